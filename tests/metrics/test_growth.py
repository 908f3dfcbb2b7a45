"""Tests for crmkit.metrics.growth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import (
    margin_growth,
    period_totals,
    quarter_over_quarter,
    revenue_growth,
    year_over_year,
)


@pytest.fixture
def revenue() -> pd.Series:
    dates = pd.to_datetime(
        ["2023-01-15", "2023-03-31", "2023-04-01", "2023-11-30", "2024-02-29", "2024-05-05"]
    )
    return pd.Series([50.0, 50.0, 120.0, 80.0, 110.0, 132.0], index=dates)


def test_period_totals_calendar_quarters_with_gap(revenue: pd.Series) -> None:
    q = period_totals(revenue, period="Q")
    assert [str(p) for p in q.index] == [
        "2023Q1",
        "2023Q2",
        "2023Q3",
        "2023Q4",
        "2024Q1",
        "2024Q2",
    ]
    assert q.tolist() == [100.0, 120.0, 0.0, 80.0, 110.0, 132.0]
    y = period_totals(revenue, period="Y")
    assert y.tolist() == [300.0, 242.0]


def test_qoq_hand_computed(revenue: pd.Series) -> None:
    # The data cover 2023-01-15 .. 2024-05-05: 2023Q1 and 2024Q2 are incomplete.
    out = quarter_over_quarter(revenue, partial="keep")
    assert str(out.index[0]) == "2023Q2"
    expected = [0.2, -1.0, np.nan, (110 - 80) / 80, 0.2]
    np.testing.assert_allclose(out["growth"].to_numpy(), expected)
    assert out["complete"].tolist() == [False, True, True, True, False]
    dropped = quarter_over_quarter(revenue)
    assert [str(p) for p in dropped.index] == ["2023Q3", "2023Q4", "2024Q1"]
    np.testing.assert_allclose(dropped["growth"].to_numpy(), expected[1:4])
    assert dropped["complete"].all()


def test_yoy_and_same_quarter_last_year(revenue: pd.Series) -> None:
    kept = year_over_year(revenue, partial="keep")
    assert kept["growth"].tolist() == pytest.approx([(242 - 300) / 300])
    assert kept["complete"].tolist() == [False]
    with pytest.raises(InvalidValueError, match="no two whole Y periods"):
        year_over_year(revenue)
    lag4 = revenue_growth(revenue, period="Q", lag=4, partial="keep")
    assert [str(p) for p in lag4.index] == ["2024Q1", "2024Q2"]
    np.testing.assert_allclose(lag4["growth"].to_numpy(), [0.1, 0.1])


def test_margin_growth_hand_computed(revenue: pd.Series) -> None:
    profit = pd.Series([10.0, 30.0], index=pd.to_datetime(["2023-02-01", "2023-05-01"]))
    out = margin_growth(revenue, profit, period="Q", partial="keep")
    assert out.loc[pd.Period("2023Q2"), "margin"] == pytest.approx(0.25)
    assert out.loc[pd.Period("2023Q2"), "margin_change"] == pytest.approx(0.15)
    assert out.loc[pd.Period("2023Q2"), "margin_growth"] == pytest.approx(1.5)
    assert np.isnan(out.loc[pd.Period("2023Q3"), "margin"])  # zero revenue


def test_tz_aware_dates_use_wall_clock() -> None:
    s = pd.Series(
        [1.0, 2.0], index=pd.DatetimeIndex(["2024-03-31 23:30", "2024-04-01 00:30"], tz="UTC")
    )
    assert period_totals(s).tolist() == [1.0, 2.0]


def test_bad_input() -> None:
    with pytest.raises(InvalidValueError, match="empty"):
        quarter_over_quarter(pd.Series([], index=pd.DatetimeIndex([]), dtype=float))
    with pytest.raises(InvalidValueError, match="DatetimeIndex"):
        quarter_over_quarter(pd.Series([1.0, 2.0]))
    with pytest.raises(InvalidValueError, match="at least 2"):
        quarter_over_quarter(pd.Series([1.0], index=pd.to_datetime(["2024-01-01"])))
    s = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-05-01"]))
    with pytest.raises(InvalidValueError, match="lag"):
        revenue_growth(s, lag=0)
    with pytest.raises(InvalidValueError, match=r"^period=.W. is not"):
        revenue_growth(s, period="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="non-finite"):
        period_totals(pd.Series([np.nan], index=pd.to_datetime(["2024-01-01"])))


def test_old_freq_keyword_still_works_with_a_warning() -> None:
    s = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-05-01"]))
    with pytest.warns(DeprecationWarning, match=r"pass period=\.\.\. instead"):
        old = period_totals(s, freq="M")  # type: ignore[call-arg]
    pd.testing.assert_series_equal(old, period_totals(s, period="M"))
