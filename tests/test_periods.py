"""Tests for crmkit.timeunits._periods (the one period-code / wall-clock implementation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.timeunits import TimeUnit
from crmkit.timeunits._periods import (
    PERIOD_FREQ,
    period_codes,
    period_labels,
    period_ordinals,
    period_start,
    wall_ns,
)

_UNITS = ("D", "W", "M", "Q", "Y")


@given(
    st.lists(
        st.datetimes(min_value=pd.Timestamp("1900-01-01"), max_value=pd.Timestamp("2200-01-01")),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(_UNITS),
)
def test_ordinals_equal_pandas_periods(stamps: list[object], unit: TimeUnit) -> None:
    dt = pd.Series(pd.to_datetime(stamps)).dt.as_unit("ns")
    expected = dt.dt.to_period(PERIOD_FREQ[unit]).array.asi8
    ords = period_ordinals(wall_ns(dt), unit)
    np.testing.assert_array_equal(ords, expected)
    labels = period_labels(ords, unit)
    assert list(labels) == list(dt.dt.to_period(PERIOD_FREQ[unit]))


def test_codes_start_and_week_offset() -> None:
    # 1969-12-29 (a Monday) starts week code 0, which pandas numbers ordinal 1.
    ns = wall_ns(
        pd.Series(pd.to_datetime(["1969-12-29 00:00", "1969-12-28 23:59", "1970-01-04 00:00"]))
    )
    np.testing.assert_array_equal(period_codes(ns, "W"), [0, -1, 0])
    np.testing.assert_array_equal(period_ordinals(ns, "W"), [1, 0, 1])
    starts = pd.DatetimeIndex(period_start(np.array([0, -1, 1]), "Q").view("M8[ns]"))
    assert [str(t.date()) for t in starts] == ["1970-01-01", "1969-10-01", "1970-04-01"]


def test_wall_clock_of_tz_aware_values() -> None:
    # 23:30 on 31 March in Tehran is still March there (it is 20:00 UTC).
    s = pd.Series(pd.to_datetime(["2024-03-31 23:30"])).dt.tz_localize("Asia/Tehran")
    assert period_labels(period_ordinals(wall_ns(s), "M"), "M")[0] == pd.Period("2024-03")
    assert period_codes(np.array([], dtype=np.int64), "M").size == 0


def test_unit_days_is_the_one_days_per_unit_table() -> None:
    from crmkit.exceptions import InvalidValueError
    from crmkit.timeunits._periods import GREGORIAN_YEAR_DAYS, unit_days

    # the values the report's lapse rule used before it read this table
    expected = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12, "Q": 365.2425 / 4, "Y": 365.2425}
    for unit, days in expected.items():
        assert unit_days(unit, days_per_year=GREGORIAN_YEAR_DAYS) == days
    with pytest.raises(InvalidValueError, match="needs days_per_year"):
        unit_days("M", days_per_year=None)
