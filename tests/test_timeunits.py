"""Calendar-aware time units: hand-computed cases and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TIME_UNITS, add, check_time_unit, convert_rate, elapsed, unit_name

TS = pd.Timestamp


@pytest.mark.parametrize(
    ("start", "end", "unit", "expected"),
    [
        # days and weeks are exact, leap day included
        ("2024-02-28", "2024-03-01", "D", 2.0),
        ("2023-02-28", "2023-03-01", "D", 1.0),
        ("2024-01-01 06:00", "2024-01-02 18:00", "D", 1.5),
        ("2024-01-01", "2024-01-22", "W", 3.0),
        ("2024-01-01", "2024-01-04 12:00", "W", 0.5),
        # calendar months: whole steps, clamped month ends
        ("2024-01-15", "2024-03-15", "M", 2.0),
        ("2024-01-31", "2024-02-29", "M", 1.0),
        ("2023-01-31", "2023-02-28", "M", 1.0),
        ("2024-01-31", "2024-03-31", "M", 2.0),
        # partial months: fraction of the next calendar step
        ("2023-01-01", "2023-02-15", "M", 1.0 + 14 / 28),
        ("2024-01-01", "2024-02-15", "M", 1.0 + 14 / 29),
        ("2024-01-01", "2024-01-16", "M", 15 / 31),
        ("2024-01-31", "2024-03-01", "M", 1.0 + 1 / 31),  # Feb 29 -> Mar 31 is 31 days
        # quarters and years
        ("2024-01-01", "2024-04-01", "Q", 1.0),
        ("2024-11-30", "2025-02-28", "Q", 1.0),
        ("2020-02-29", "2021-02-28", "Y", 1.0),
        ("2020-02-29", "2021-03-01", "Y", 1.0 + 1 / 365),
        ("2023-07-01", "2024-07-01", "Y", 1.0),
        ("2023-07-01", "2024-01-01", "Y", 184 / 366),
        # negative durations
        ("2024-03-15", "2024-01-15", "M", -2.0),
        ("2024-01-08", "2024-01-01", "W", -1.0),
    ],
)
def test_hand_computed_cases(start: str, end: str, unit: str, expected: float) -> None:
    assert elapsed(TS(start), TS(end), unit) == pytest.approx(expected, abs=1e-12)


def test_vectorised_and_broadcast() -> None:
    starts = pd.to_datetime(["2024-01-01", "2024-01-31", "2023-12-15"])
    out = elapsed(starts, TS("2024-03-01"), "M")
    assert isinstance(out, np.ndarray)
    assert out == pytest.approx([2.0, 1.0 + 1 / 31, 2.0 + 15 / 29])  # Feb 15 -> Mar 15 is 29 days
    series = pd.Series(starts)
    assert elapsed(series, series, "D") == pytest.approx([0.0, 0.0, 0.0])


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Australia/Sydney"])
def test_dst_changes_count_wall_clock_days(tz: str) -> None:
    # spring forward and fall back both happen within these ranges for each zone
    for start, end in [("2024-03-09 12:00", "2024-04-10 12:00"), ("2024-10-01", "2024-11-05")]:
        s, e = TS(start, tz=tz), TS(end, tz=tz)
        naive = elapsed(TS(start), TS(end), "D")
        assert elapsed(s, e, "D") == naive
        assert elapsed(s, e, "W") == pytest.approx(naive / 7)
    # 23-hour day in New York still counts as one day
    ny = "America/New_York"
    assert elapsed(TS("2024-03-10 00:00", tz=ny), TS("2024-03-11 00:00", tz=ny), "D") == 1.0
    assert (TS("2024-03-11", tz=ny) - TS("2024-03-10", tz=ny)) == pd.Timedelta(hours=23)


def test_time_zone_mismatch_and_nat_raise() -> None:
    with pytest.raises(InvalidValueError, match="time zone"):
        elapsed(TS("2024-01-01", tz="UTC"), TS("2024-01-02"), "D")
    with pytest.raises(InvalidValueError, match="time zone"):
        elapsed(TS("2024-01-01", tz="UTC"), TS("2024-01-02", tz="Asia/Tehran"), "D")
    with pytest.raises(InvalidValueError, match="NaT"):
        elapsed(pd.to_datetime(["2024-01-01", None]), TS("2024-01-02"), "D")
    with pytest.raises(InvalidValueError, match="broadcast"):
        elapsed(pd.to_datetime(["2024-01-01"] * 2), pd.to_datetime(["2024-01-02"] * 3), "D")


def test_unit_checks() -> None:
    assert TIME_UNITS == ("D", "W", "M", "Q", "Y")
    assert [unit_name(u) for u in TIME_UNITS] == ["days", "weeks", "months", "quarters", "years"]
    assert check_time_unit("Q") == "Q"
    with pytest.raises(InvalidValueError, match="time_unit='30D'"):
        elapsed(TS("2024-01-01"), TS("2024-02-01"), "30D")
    with pytest.raises(InvalidValueError, match="whole number"):
        add(TS("2024-01-01"), 1.5, "M")  # type: ignore[arg-type]  # deliberate misuse


def test_add_keeps_time_zone_and_clamps() -> None:
    assert add(TS("2024-01-31 10:30"), 1, "M") == TS("2024-02-29 10:30")
    assert add(TS("2024-05-31"), -1, "Q") == TS("2024-02-29")
    idx = add(pd.DatetimeIndex(["2024-01-31", "2024-03-31"], tz="Asia/Tehran"), 1, "M")
    assert idx.tz is not None
    assert [str(d.date()) for d in idx] == ["2024-02-29", "2024-04-30"]


# ---------------------------------------------------------------- invariants
dates = st.datetimes(
    min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2060-12-31").to_pydatetime(),
).map(lambda d: pd.Timestamp(d).floor("s"))


@given(start=dates, n=st.integers(-200, 200), unit=st.sampled_from(["M", "Q", "Y"]))
def test_add_matches_pandas_dateoffset(start: pd.Timestamp, n: int, unit: str) -> None:
    months = n * {"M": 1, "Q": 3, "Y": 12}[unit]
    assert add(start, n, unit) == start + pd.DateOffset(months=months)


@given(start=dates, n=st.integers(-200, 200), unit=st.sampled_from(list(TIME_UNITS)))
def test_elapsed_inverts_add_when_no_clamping(start: pd.Timestamp, n: int, unit: str) -> None:
    if unit in "MQY" and start.day > 28:
        start = start.replace(day=28)
    assert elapsed(start, add(start, n, unit), unit) == pytest.approx(n, abs=1e-9)


@given(a=dates, b=dates, c=dates, unit=st.sampled_from(list(TIME_UNITS)))
def test_elapsed_monotone_in_end(
    a: pd.Timestamp, b: pd.Timestamp, c: pd.Timestamp, unit: str
) -> None:
    lo, hi = sorted([b, c])
    assert elapsed(a, lo, unit) <= elapsed(a, hi, unit) + 1e-12


@given(a=dates, b=dates, unit=st.sampled_from(list(TIME_UNITS)))
def test_floor_of_elapsed_is_whole_steps(a: pd.Timestamp, b: pd.Timestamp, unit: str) -> None:
    value = elapsed(a, b, unit)
    k = math.floor(value)
    assert add(a, k, unit) <= b < add(a, k + 1, unit)


@given(a=dates, b=dates)
def test_days_antisymmetric(a: pd.Timestamp, b: pd.Timestamp) -> None:
    assert elapsed(a, b, "D") == -elapsed(b, a, "D")


def test_convert_rate() -> None:
    assert convert_rate(0.1, "Y", "Q") == pytest.approx(1.1**0.25 - 1)
    assert convert_rate(0.1, "Y", "M") == pytest.approx(1.1 ** (1 / 12) - 1)
    assert convert_rate(0.01, "D", "W") == pytest.approx(1.01**7 - 1)
    assert convert_rate(
        convert_rate(0.05, "Q", "W", days_per_year=365.2425), "W", "Q", days_per_year=365.2425
    ) == pytest.approx(0.05)
    with pytest.raises(InvalidValueError, match="days_per_year"):
        convert_rate(0.1, "M", "D")
    with pytest.raises(InvalidValueError, match="> -1"):
        convert_rate(-1.0, "Y", "M")


def test_old_unit_keyword_still_works_with_a_deprecation_warning() -> None:
    start, end = pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-15")
    calls = [
        (lambda **kw: elapsed(start, end, **kw), "M"),
        (lambda **kw: add(start, 1, **kw), "M"),
        (lambda **kw: check_time_unit(**kw), "W"),
        (lambda **kw: unit_name(**kw), "Q"),
    ]
    for call, unit in calls:
        with pytest.warns(DeprecationWarning, match=r"\(unit=\.\.\.\) is deprecated.*time_unit="):
            old = call(unit=unit)
        assert old == call(time_unit=unit)
        with pytest.raises(TypeError, match="got both unit"):
            call(unit=unit, time_unit=unit)
