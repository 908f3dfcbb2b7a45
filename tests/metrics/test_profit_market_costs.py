"""Tests for crmkit.metrics.profit, crmkit.metrics.market and crmkit.metrics.costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.metrics import (
    cost_savings,
    cost_to_serve,
    cost_to_serve_trend,
    lifetime_value_summary,
    market_share,
    market_shares,
    relative_market_share,
    revenue_per_purchase,
)


def test_revenue_per_purchase() -> None:
    tx = pd.DataFrame({"monetary": [10.0, 20.0, 60.0]})
    assert revenue_per_purchase(tx) == 30.0
    assert revenue_per_purchase(tx.rename(columns={"monetary": "amt"}), monetary_col="amt") == 30
    with pytest.raises(MissingColumnsError):
        revenue_per_purchase(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(InvalidValueError, match="missing value"):
        revenue_per_purchase(pd.DataFrame({"monetary": [1.0, None]}))
    with pytest.raises(InvalidValueError, match="empty"):
        revenue_per_purchase(tx.iloc[:0])


def test_lifetime_value_summary_accepts_series() -> None:
    s = pd.Series([10.0, 20.0, 30.0, 100.0], index=["a", "b", "c", "d"])
    out = lifetime_value_summary(s)
    assert out["mean"] == 40.0
    assert out["median"] == 25.0
    assert out["total"] == 160.0
    with pytest.raises(InvalidValueError, match="empty"):
        lifetime_value_summary([])


def test_cost_to_serve_and_trend() -> None:
    assert cost_to_serve(500, 20) == 25.0
    with pytest.raises(InvalidValueError, match="n_customers"):
        cost_to_serve(500, 0)
    idx = pd.period_range("2024Q1", periods=3, freq="Q")
    costs = pd.Series([1000.0, 900.0, 990.0], idx)
    out = cost_to_serve_trend(costs, pd.Series([100, 100, 90], idx))
    assert out["cost_to_serve"].tolist() == [10.0, 9.0, 11.0]
    np.testing.assert_allclose(out["reduction"].to_numpy()[1:], [0.1, (9 - 11) / 9])
    assert np.isnan(out["reduction"].iloc[0])
    with pytest.raises(InvalidValueError, match="same index"):
        cost_to_serve_trend(pd.Series([1.0], idx[:1]), pd.Series([1.0], idx[1:2]))


def test_market_share_hand_computed() -> None:
    rivals = {"a": 500.0, "b": 200.0}
    assert market_share(300, rivals) == pytest.approx(0.3)
    assert relative_market_share(300, rivals) == pytest.approx(0.6)
    assert relative_market_share(600, rivals) == pytest.approx(1.2)
    shares = market_shares({"us": 300, **rivals})
    assert shares.index.tolist() == ["a", "us", "b"]
    assert shares.sum() == pytest.approx(1.0)
    with pytest.raises(InvalidValueError, match="empty"):
        market_share(1, {})
    with pytest.raises(InvalidValueError, match=">= 0"):
        market_share(1, {"a": -1})
    with pytest.raises(InvalidValueError, match="zero sales"):
        market_share(0, {"a": 0})


@given(
    st.floats(0, 1e9),
    st.lists(st.floats(0, 1e9), min_size=1, max_size=10),
)
def test_market_share_in_unit_interval(own: float, rivals: list[float]) -> None:
    if own + sum(rivals) == 0:
        return
    assert 0.0 <= market_share(own, {str(i): v for i, v in enumerate(rivals)}) <= 1.0


def test_cost_savings() -> None:
    out = cost_savings(
        pd.Series({"service": 100.0, "sales": 50.0, "it": 0.0}),
        {"sales": 60.0, "service": 70.0, "it": 5.0},
    )
    assert out.index.tolist() == ["service", "sales", "it", "total"]
    assert out["saving"].tolist() == [30.0, -10.0, -5.0, 15.0]
    assert out.loc["service", "saving_rate"] == pytest.approx(0.3)
    assert np.isnan(out.loc["it", "saving_rate"])
    assert out.loc["total", "saving_rate"] == pytest.approx(0.1)
    with pytest.raises(InvalidValueError, match="only in before"):
        cost_savings({"a": 1.0, "b": 2.0}, {"a": 1.0})
    with pytest.raises(InvalidValueError, match="total_label"):
        cost_savings({"total": 1.0}, {"total": 1.0})
