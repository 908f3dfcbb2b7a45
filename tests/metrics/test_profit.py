"""Tests for crmkit.metrics.profit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.metrics import (
    cost_to_serve,
    cost_to_serve_trend,
    lifetime_value_summary,
    revenue_per_purchase,
)


def test_revenue_per_purchase() -> None:
    tx = pd.DataFrame({"monetary": [10.0, 20.0, 60.0]})
    assert revenue_per_purchase(tx) == 30.0
    assert revenue_per_purchase(tx.rename(columns={"monetary": "amt"}), amount_col="amt") == 30
    with pytest.warns(DeprecationWarning, match=r"pass amount_col=\.\.\. instead"):
        old = revenue_per_purchase(tx.rename(columns={"monetary": "amt"}), monetary_col="amt")
    assert old == 30
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
