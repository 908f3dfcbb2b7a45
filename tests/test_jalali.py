"""crmkit.jalali: conversion against the sky and published dates, invariants, text, errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import _jalali, jalali
from crmkit.exceptions import InvalidValueError

FIRST = int(np.datetime64("0622-03-22", "D").astype(np.int64))  # 1 Farvardin 1
# the day after 29 (or 30) Esfand 3177, the end of the range
END = (
    int(np.datetime64(jalali.nowruz(3177), "D").astype(np.int64))
    + 365
    + jalali.is_leap_jalali(3177)
)


def _load(reference_dir: Path, name: str) -> Any:
    return json.loads((reference_dir / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ outside numbers


def test_nowruz_matches_the_march_equinox_1800_to_2200(reference_dir: Path) -> None:
    ref = _load(reference_dir, "jalali_nowruz.json")
    assert len(ref["nowruz"]) > 350
    years = [r["year"] for r in ref["nowruz"]]
    got = [str(d.date()) for d in jalali.nowruz(years)]
    assert got == [r["nowruz"] for r in ref["nowruz"]]
    # and the conversion puts 1 Farvardin on that day, the last day of the old year before
    days = pd.to_datetime([r["nowruz"] for r in ref["nowruz"]])
    ymd = jalali.to_jalali(days)
    assert (ymd["year"].to_numpy() == years).all()
    assert (ymd[["month", "day"]].to_numpy() == [1, 1]).all()
    before = jalali.to_jalali(days - pd.Timedelta(days=1))
    assert (before["year"].to_numpy() == np.array(years) - 1).all()
    assert (before["month"] == 12).all()
    assert (before["day"].to_numpy() == 29 + jalali.is_leap_jalali(np.array(years) - 1)).all()


def test_published_conversions_leap_years_and_nowruz_days(reference_dir: Path) -> None:
    ref = _load(reference_dir, "jalali_conversions.json")
    n = 0
    for group in ref["groups"]:
        for pair in group["pairs"]:
            g = pd.Timestamp(pair["gregorian"])
            assert tuple(jalali.to_jalali(g)) == tuple(pair["jalali"]), pair
            assert jalali.from_jalali(*pair["jalali"]) == g, pair
            if "weekday" in pair:
                assert g.day_name() == pair["weekday"]
            n += 1
        for year in group.get("leap_years", []):
            assert jalali.is_leap_jalali(year) is True, year
            assert jalali.month_length(year, 12) == 30
        for year in group.get("common_years", []):
            assert jalali.is_leap_jalali(year) is False, year
            assert jalali.month_length(year, 12) == 29
        for year, day in group.get("nowruz_march_day", {}).items():
            assert jalali.nowruz(int(year)) == pd.Timestamp(int(year) + 621, 3, day)
    assert n >= 18


# ------------------------------------------------------------------ invariants


def test_every_day_of_the_range_round_trips_and_steps_by_one() -> None:
    days = np.arange(FIRST, END, dtype=np.int64)  # 1.16 million days, 1-3177 AP
    ymd = jalali.to_jalali(days.astype("M8[D]"))
    y, m, d = (ymd[c].to_numpy() for c in ("year", "month", "day"))
    back = jalali.from_jalali(y, m, d)
    assert (back.to_numpy().astype("M8[D]").astype(np.int64) == days).all()
    # consecutive days: the next day of the month, or day 1 of the next month / year
    same_month = (y[1:] == y[:-1]) & (m[1:] == m[:-1]) & (d[1:] == d[:-1] + 1)
    next_month = (y[1:] == y[:-1]) & (m[1:] == m[:-1] + 1) & (d[1:] == 1)
    next_year = (y[1:] == y[:-1] + 1) & (m[1:] == 1) & (d[1:] == 1) & (m[:-1] == 12)
    assert (same_month | next_month | next_year).all()
    assert (y[0], m[0], d[0]) == (1, 1, 1)
    assert (y[-1], m[-1]) == (3177, 12)
    # month lengths: 6 x 31, 5 x 30, Esfand 29/30 as the leap flag says
    last = np.flatnonzero(np.r_[(m[1:] != m[:-1]), True])
    lengths = d[last].reshape(-1, 12)
    assert (lengths[:, :6] == 31).all()
    assert (lengths[:, 6:11] == 30).all()
    years = np.arange(1, 3178)
    assert (lengths[:, 11] == 29 + jalali.is_leap_jalali(years)).all()
    assert (jalali.month_length(years[:, None], np.arange(1, 13)) == lengths).all()


def test_leap_years_have_366_days_and_the_mean_year_is_tropical() -> None:
    years = np.arange(1, 3177)
    length = np.diff(jalali.nowruz(np.arange(1, 3178)).to_numpy()).astype("m8[D]").astype(int)
    assert ((length == 366) == jalali.is_leap_jalali(years)).all()
    assert set(np.unique(length)) == {365, 366}
    # 3176 years, mean length within a minute of the mean tropical year (365.24219 days)
    assert abs(length.mean() - 365.24219) < 1 / 1440


@given(st.integers(FIRST, END - 1))
def test_round_trip_hypothesis(day: int) -> None:
    ts = pd.Timestamp(np.datetime64(day, "D"))
    j = jalali.to_jalali(ts)
    assert jalali.from_jalali(*j) == ts
    assert 1 <= j.day <= jalali.month_length(j.year, j.month)
    # the next day built like ``ts``: pandas 2 adds a Timedelta in nanoseconds (up to 2262)
    nxt = jalali.to_jalali(pd.Timestamp(np.datetime64(day + 1, "D"))) if day + 1 < END else None
    if nxt is not None:
        assert (nxt.year, nxt.month, nxt.day) > (j.year, j.month, j.day)


@given(st.integers(1, 3177), st.integers(1, 12), st.integers(1, 31))
def test_from_jalali_valid_or_clear_error(year: int, month: int, day: int) -> None:
    if day <= jalali.month_length(year, month):
        assert tuple(jalali.to_jalali(jalali.from_jalali(year, month, day))) == (year, month, day)
    else:
        with pytest.raises(InvalidValueError, match=f"day {day} does not exist"):
            jalali.from_jalali(year, month, day)


# ------------------------------------------------------------------ inputs and text


def test_input_kinds_and_time_zones() -> None:
    s = pd.Series(
        pd.to_datetime(["2024-03-19 23:30", "2024-03-20 00:10"]), index=["a", "b"], name="t"
    )
    out = jalali.to_jalali(s)
    assert list(out.index) == ["a", "b"]
    assert out.dtypes.tolist() == [np.dtype(np.int64)] * 3
    assert out.to_numpy().tolist() == [[1402, 12, 29], [1403, 1, 1]]
    assert tuple(jalali.to_jalali(dt.date(2024, 3, 20))) == (1403, 1, 1)
    assert tuple(jalali.to_jalali(np.datetime64("2024-03-20"))) == (1403, 1, 1)
    assert jalali.to_jalali([dt.date(2024, 3, 20), pd.Timestamp("2024-03-19")])[
        "day"
    ].tolist() == [1, 29]
    # tz-aware: the day where it happens (23:30 in Tehran on 19 March is still Esfand)
    aware = pd.Timestamp("2024-03-19 23:30", tz="Asia/Tehran")
    assert tuple(jalali.to_jalali(aware)) == (1402, 12, 29)
    assert jalali.to_jalali(pd.DatetimeIndex([aware])).iloc[0].tolist() == [1402, 12, 29]
    assert jalali.to_jalali(pd.DatetimeIndex([], dtype="M8[ns]")).shape == (0, 3)


def test_inputs_are_not_mutated() -> None:
    s = pd.Series(pd.to_datetime(["2024-03-19", "2024-03-20"]))
    copy = s.copy()
    jalali.to_jalali(s)
    jalali.format_jalali(s)
    jalali.jalali_period(s, period="M")
    pd.testing.assert_series_equal(s, copy)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("1402-01-01", "is text; to_jalali takes Gregorian datetimes"),
        (["2024-01-01"], "must hold datetimes; found '2024-01-01'.*parse_jalali"),
        (pd.Series(["1402-01-01"]), "parse_jalali"),
        ([1, 2], "must hold datetimes; found 1"),
        (pd.NaT, "NaT"),
        (pd.to_datetime(["2024-01-01", None]), "1 missing date"),
        (np.array(["0500-01-01"], dtype="M8[D]"), "0500-01-01 lie outside"),
        (np.array(["3800-01-01"], dtype="M8[D]"), "3800-01-01 lie outside"),
        (np.zeros((2, 2), dtype="M8[D]"), "one-dimensional"),
    ],
)
def test_to_jalali_refuses(value: Any, match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        jalali.to_jalali(value)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 1, 1), r"year 0 is outside the supported Solar Hijri years 1-3177"),
        ((3178, 1, 1), "year 3178 is outside"),
        ((1402, 13, 1), "month 13 is not 1-12"),
        ((1402, 0, 1), "month 0 is not 1-12"),
        ((1402, 7, 31), "day 31 does not exist in Mehr 1402 \\(30 days\\)"),
        ((1402, 12, 30), "1402 is not a leap year"),
        ((1402, 1, 0), "day 0 does not exist"),
        ((1402.5, 1, 1), "whole numbers"),
        ((np.nan, 1, 1), "whole numbers"),
        (("1402", 1, 1), "whole numbers"),
        ((True, 1, 1), "whole numbers"),
    ],
)
def test_from_jalali_refuses(args: tuple[Any, Any, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        jalali.from_jalali(*args)


def test_from_jalali_arrays_and_float_whole_numbers() -> None:
    out = jalali.from_jalali(np.array([1402.0, 1403.0]), [1, 12], 1)
    assert [str(d.date()) for d in out] == ["2023-03-21", "2025-02-19"]
    assert jalali.from_jalali(1, 1, 1) == pd.Timestamp("0622-03-22")
    assert jalali.from_jalali(3177, 12, 29) == pd.Timestamp("3799-03-19")
    assert jalali.is_leap_jalali(np.int64(1403)) is True
    with pytest.raises(InvalidValueError, match="year 3178"):
        jalali.is_leap_jalali(3178)
    with pytest.raises(InvalidValueError, match="month 13"):
        jalali.month_length(1402, 13)


def test_parse_jalali_digits_separators_and_errors() -> None:
    expected = pd.Timestamp("2023-03-21")
    for text in ["1402-01-01", "1402/1/1", "1402.01.01", " ۱۴۰۲/۰۱/۰۱ ", "١٤٠٢-٠١-٠١"]:
        assert jalali.parse_jalali(text) == expected, text
    many = jalali.parse_jalali(pd.Series(["1402-01-01", "۱۴۰۳/۱۲/۳۰"]))
    assert [str(d.date()) for d in many] == ["2023-03-21", "2025-03-20"]
    assert len(jalali.parse_jalali([])) == 0
    with pytest.raises(InvalidValueError, match=r"text\[1\] '1402-13-01'.*month 13|month 13"):
        jalali.parse_jalali(["1402-01-01", "1402-13-01"])
    with pytest.raises(InvalidValueError, match=r"text\[1\] 'yesterday' is not a Jalali date"):
        jalali.parse_jalali(["1402-01-01", "yesterday"])
    with pytest.raises(InvalidValueError, match=r"text\[0\] must be text"):
        jalali.parse_jalali([None])
    with pytest.raises(InvalidValueError, match="1402 is not a leap year"):
        jalali.parse_jalali("1402/12/30")
    with pytest.raises(InvalidValueError, match=r"looks like a Gregorian year.*1403 or 1402"):
        jalali.parse_jalali("2024-03-20")
    with pytest.raises(InvalidValueError, match=r"text\[1\] '2024-03-20'"):
        jalali.parse_jalali(["1402-01-01", "2024-03-20"])
    assert jalali.parse_jalali("2024-01-01", guard_gregorian=False) == jalali.from_jalali(
        2024, 1, 1
    )
    with pytest.raises(InvalidValueError, match="guard_gregorian"):
        jalali.parse_jalali("1402-01-01", guard_gregorian="no")  # type: ignore[call-overload]


def test_format_round_trips_through_parse() -> None:
    days = pd.date_range("2023-03-15", "2023-04-05", freq="D")
    iso = jalali.format_jalali(days)
    assert iso[0] == "1401-12-24"
    assert iso[6] == "1402-01-01"
    assert (jalali.parse_jalali(iso) == days).all()
    assert jalali.format_jalali(days, style="latin")[6] == "1 Farvardin 1402"
    persian = jalali.format_jalali(days, style="persian")
    assert persian[0] == "۲۴ اسفند ۱۴۰۱"
    assert all(jalali.MONTHS_FA[0] in p for p in persian[6:])
    with pytest.raises(InvalidValueError, match="style='long'"):
        jalali.format_jalali(days, style="long")  # type: ignore[call-overload]


def test_month_names() -> None:
    assert len(jalali.MONTHS) == len(jalali.MONTHS_FA) == 12
    assert jalali.MONTHS[0] == "Farvardin"
    assert jalali.MONTHS[11] == "Esfand"
    assert jalali.MONTHS_FA[0] == "فروردین"
    assert jalali.MONTHS_FA[11] == "اسفند"


# ------------------------------------------------------------------ fiscal periods


def test_fiscal_period_labels_and_bounds() -> None:
    d = pd.to_datetime(["2023-03-20", "2023-03-21", "2023-06-21", "2023-06-22", "2024-03-19"])
    assert jalali.jalali_period(d, period="Q").tolist() == [
        "1401-Q4",
        "1402-Q1",
        "1402-Q1",
        "1402-Q2",
        "1402-Q4",
    ]
    assert jalali.jalali_period(d, period="M").tolist() == [
        "1401-12",
        "1402-01",
        "1402-03",
        "1402-04",
        "1402-12",
    ]
    assert jalali.jalali_period(d, period="Y").tolist() == ["1401", "1402", "1402", "1402", "1402"]
    # bounds of every quarter of 1402: Farvardin-Khordad, Tir-Shahrivar, Mehr-Azar, Dey-Esfand
    ords = np.arange(1402 * 4, 1402 * 4 + 4)
    first, last = _jalali.period_bounds(ords, "Q")
    to_iso = [str(np.datetime64(int(x), "D")) for x in np.r_[first, last]]
    assert to_iso == [
        "2023-03-21",
        "2023-06-22",
        "2023-09-23",
        "2023-12-22",
        "2023-06-21",
        "2023-09-22",
        "2023-12-21",
        "2024-03-19",
    ]
    assert (last - first + 1).tolist() == [93, 93, 90, 89]
    with pytest.raises(InvalidValueError, match="period='W' is not one of"):
        jalali.jalali_period(d, period="W")  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=r"jalali_period\(freq=\.\.\.\) is deprecated"):
        old = jalali.jalali_period(d, freq="M")
    assert old.tolist() == jalali.jalali_period(d, period="M").tolist()
    with pytest.raises(InvalidValueError, match="labels many dates"):
        jalali.jalali_period(d[0], period="Q")


def test_check_calendar() -> None:
    assert _jalali.check_calendar("jalali") == "jalali"
    with pytest.raises(InvalidValueError, match="calendar='persian' is not 'gregorian'"):
        _jalali.check_calendar("persian")
