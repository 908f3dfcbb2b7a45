"""The Iranian (Solar Hijri, Jalali) calendar: conversion, text and fiscal periods.

The Solar Hijri calendar is the official calendar of Iran. A year starts on *Nowruz*,
1 Farvardin, the day of the March (vernal) equinox when the equinox falls before noon at
the Iran Standard Time meridian (52.5° E), else the day after. Its first six months have
31 days, the next five 30, and Esfand 29 days, or 30 in a leap year. Years are counted
from the Hijra (1 Farvardin 1 AP = 22 March 622, proleptic Gregorian).

**Arithmetic and its range.** Which years are leap is decided by the equinox, not by a
rule. crmkit uses the arithmetic of Borkowski (1996): leap years follow a 33-year pattern
(every fourth year, with a fifth-year step once a cycle) whose phase shifts at a fixed
list of *break* years. Borkowski computed the equinox with an analytical theory of the
Earth's motion from the Hijra to AD 3800 and built the break list to reconstruct the
leap years of that astronomical calendar over about 3000 years; crmkit supports the
years 1 to 3177 AP (22 March 622 to 19 March 3799) and refuses dates outside them with
:class:`~crmkit.exceptions.InvalidValueError`. The same arithmetic is used by the
jalaali-js and jalaali-python libraries. crmkit's tests check it against the equinox
itself (Meeus 1998, chapter 27) over 1179-1579 AP (1800-2200). The simple 33-year cycle and
the 2820-year cycle of Birashk (1993) drift from the astronomical calendar, the
2820-year one already in 1404 AP (2025).

Every conversion goes through one table of the Nowruz day of each year (3177 entries,
built once from the 20 break years), so converting many dates costs a binary search and
a few integer operations per date, in numpy.

**Fiscal periods.** The Iranian fiscal year runs from 1 Farvardin to the end of Esfand;
its quarters are Farvardin-Khordad, Tir-Shahrivar, Mehr-Azar and Dey-Esfand.
:func:`jalali_period` labels dates by Jalali month (``"1402-01"``), quarter
(``"1402-Q1"``) or year (``"1402"``); :func:`crmkit.metrics.period_totals`, the growth
functions, :func:`crmkit.lifecycle.cohort_retention` and
:func:`crmkit.domain.weighted_forecast` take ``calendar="jalali"`` to use these periods.

**Gregorian in, Jalali in.** A text such as ``"1402-01-01"`` is *not* a Gregorian date:
read it with :func:`parse_jalali`. :func:`to_jalali` refuses text so that a Jalali string
is never read as a Gregorian one.

References
----------
Borkowski, K. M. (1996). The Persian calendar for 3000 years. *Earth, Moon, and
Planets*, 74(3), 223-230.

Heydari-Malayeri, M. (2004). A concise review of the Iranian calendar.
arXiv:astro-ph/0409620.

Meeus, J. (1998). *Astronomical Algorithms* (2nd ed.), chapter 27. Willmann-Bell.

Examples
--------
>>> import pandas as pd
>>> from crmkit import jalali
>>> jalali.to_jalali(pd.Timestamp("2024-03-20"))
JalaliDate(year=1403, month=1, day=1)
>>> jalali.from_jalali(1402, 12, 29)
Timestamp('2024-03-19 00:00:00')
>>> jalali.parse_jalali("۱۴۰۲/۰۱/۰۱")
Timestamp('2023-03-21 00:00:00')
>>> jalali.format_jalali(pd.Timestamp("2023-03-21"), style="persian")
'۱ فروردین ۱۴۰۲'
>>> jalali.jalali_period(pd.to_datetime(["2023-03-20", "2023-03-21", "2023-06-22"]), period="Q")
Index(['1401-Q4', '1402-Q1', '1402-Q2'], dtype='object')
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Final, Literal, NamedTuple, TypeAlias, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import positional_options, renamed_keywords
from crmkit._dates import PeriodFreq
from crmkit._jalali import (
    JALALI_YEAR_MAX,
    JALALI_YEAR_MIN,
    MONTHS,
    MONTHS_FA,
    Calendar,
    check_months,
    check_period,
    check_years,
    days_to_jalali,
    int_array,
    jalali_to_days,
    month_lengths,
    period_ordinals,
    period_text,
    year_table,
)
from crmkit._text import DIGIT_TABLE
from crmkit.exceptions import InvalidValueError

__all__ = [
    "JALALI_YEAR_MAX",
    "JALALI_YEAR_MIN",
    "MONTHS",
    "MONTHS_FA",
    "Calendar",
    "JalaliDate",
    "format_jalali",
    "from_jalali",
    "is_leap_jalali",
    "jalali_period",
    "month_length",
    "nowruz",
    "parse_jalali",
    "to_jalali",
]

_PERSIAN_DIGITS: Final = "۰۱۲۳۴۵۶۷۸۹"
_TO_PERSIAN: Final = str.maketrans("0123456789", _PERSIAN_DIGITS)
_TEXT: Final = re.compile(r"^\s*(\d{1,4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$")
_GREGORIAN_LOOKING: Final = (1700, 2299)


class JalaliDate(NamedTuple):
    """A Solar Hijri date: year (AP), month (1 = Farvardin, ..., 12 = Esfand) and day."""

    year: int
    month: int
    day: int


# ------------------------------------------------------------------ public scalars


@overload
def is_leap_jalali(year: int | np.integer[Any]) -> bool: ...
@overload
def is_leap_jalali(year: Any) -> NDArray[np.bool_]: ...
def is_leap_jalali(year: Any) -> bool | NDArray[np.bool_]:
    """Whether a Solar Hijri year has 366 days (Esfand of 30 days).

    Parameters
    ----------
    year : int or array-like of int
        Solar Hijri year(s), 1 to 3177.

    Returns
    -------
    bool or numpy.ndarray of bool

    Raises
    ------
    InvalidValueError
        A year outside 1-3177 or not a whole number.

    Examples
    --------
    >>> is_leap_jalali(1403), is_leap_jalali(1404)
    (True, False)
    >>> is_leap_jalali([1395, 1399, 1400]).tolist()
    [True, True, False]
    """
    years = int_array(year, "year")
    check_years(years)
    _, leap = year_table()
    flags: NDArray[np.bool_] = leap[years - JALALI_YEAR_MIN]
    return bool(flags) if flags.ndim == 0 else flags


@overload
def month_length(year: int | np.integer[Any], month: int | np.integer[Any]) -> int: ...
@overload
def month_length(year: Any, month: Any) -> NDArray[np.int64]: ...
def month_length(year: Any, month: Any) -> int | NDArray[np.int64]:
    """Number of days in a Solar Hijri month: 31 (months 1-6), 30 (7-11), Esfand 29 or 30.

    Parameters
    ----------
    year : int or array-like of int
        Solar Hijri year(s), 1 to 3177.
    month : int or array-like of int
        Month number(s), 1 (Farvardin) to 12 (Esfand); broadcast against ``year``.

    Returns
    -------
    int or numpy.ndarray of int

    Examples
    --------
    >>> month_length(1402, 1), month_length(1402, 7), month_length(1402, 12)
    (31, 30, 29)
    >>> month_length(1403, 12)
    30
    """
    years, months = np.broadcast_arrays(int_array(year, "year"), int_array(month, "month"))
    check_years(years)
    check_months(months)
    out = month_lengths(years, months)
    return int(out) if out.ndim == 0 else out


@overload
def nowruz(year: int | np.integer[Any]) -> pd.Timestamp: ...
@overload
def nowruz(year: Any) -> pd.DatetimeIndex: ...
def nowruz(year: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """Gregorian date of Nowruz, 1 Farvardin, the first day of Solar Hijri year(s).

    Parameters
    ----------
    year : int or array-like of int
        Solar Hijri year(s), 1 to 3177.

    Returns
    -------
    pandas.Timestamp or pandas.DatetimeIndex
        Midnight of 1 Farvardin (microsecond resolution, so every year of the range fits).

    Examples
    --------
    >>> nowruz(1403)
    Timestamp('2024-03-20 00:00:00')
    >>> [str(d.date()) for d in nowruz([1, 1304, 1404])]
    ['0622-03-22', '1925-03-21', '2025-03-21']
    """
    years = int_array(year, "year")
    check_years(years)
    starts, _ = year_table()
    return _to_datetimes(starts[years - JALALI_YEAR_MIN])


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _to_datetimes(days: NDArray[np.int64]) -> pd.Timestamp | pd.DatetimeIndex:
    values = np.asarray(days, dtype=np.int64).astype("M8[D]").astype("M8[us]")
    if values.ndim == 0:
        return pd.Timestamp(values.ravel()[0])
    return pd.DatetimeIndex(values.ravel())


# ------------------------------------------------------------------ conversion


def _is_text(value: Any) -> bool:
    return isinstance(value, str | bytes | np.str_)


def _day_codes(dates: Any, name: str) -> tuple[NDArray[np.int64], bool, pd.Index[Any] | None]:
    """Wall-clock day codes of Gregorian datetimes; whether the input was a scalar; index."""
    if _is_text(dates):
        raise InvalidValueError(
            f"{name}={dates!r} is text; to_jalali takes Gregorian datetimes. Read Jalali "
            "text with crmkit.jalali.parse_jalali, Gregorian text with pandas.to_datetime."
        )
    if isinstance(dates, pd.Timestamp | _dt.date | np.datetime64):
        ts = pd.Timestamp(dates)
        if pd.isna(ts):
            raise InvalidValueError(f"{name} is NaT; a missing date has no Jalali date.")
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        day = ts.to_datetime64().astype("M8[D]").astype(np.int64)
        return np.asarray(day, dtype=np.int64), True, None
    index = dates.index if isinstance(dates, pd.Series) else None
    if isinstance(dates, pd.Series | pd.Index):
        values = dates
    elif isinstance(dates, list | tuple) and not any(
        isinstance(v, list | tuple | np.ndarray) for v in dates
    ):
        values = pd.Index(list(dates), dtype=object)
    else:
        arr = np.asarray(dates)
        if arr.ndim != 1:
            raise InvalidValueError(
                f"{name} must be one-dimensional (got shape {arr.shape}); pass a Series, "
                "an index or a 1-D array of datetimes."
            )
        values = pd.Index(arr) if arr.dtype.kind == "M" else pd.Index(list(arr), dtype=object)
    if values.dtype.kind != "M" and not isinstance(values.dtype, pd.DatetimeTZDtype):
        items = list(values)
        if items and not all(
            isinstance(v, pd.Timestamp | _dt.date | np.datetime64) for v in items
        ):
            odd = next(v for v in items if not isinstance(v, pd.Timestamp | _dt.date))
            hint = (
                " Read Jalali text with crmkit.jalali.parse_jalali, Gregorian text with "
                "pandas.to_datetime."
                if _is_text(odd)
                else ""
            )
            raise InvalidValueError(
                f"{name} must hold datetimes; found {_plain(odd)!r} (dtype {values.dtype}).{hint}"
            )
        try:
            values = pd.DatetimeIndex(items)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(
                f"{name} mixes time zones or naive and aware datetimes; convert them to "
                "one zone first."
            ) from exc
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if idx.hasnans:
        raise InvalidValueError(
            f"{name} has {int(np.asarray(idx.isna()).sum())} missing date(s) (NaT); a "
            "missing date has no Jalali date. Drop or fill them first."
        )
    days = idx.to_numpy().astype("M8[D]").astype(np.int64)
    return days, False, index


@overload
def to_jalali(dates: pd.Timestamp | _dt.date | np.datetime64) -> JalaliDate: ...
@overload
def to_jalali(dates: Any) -> pd.DataFrame: ...
def to_jalali(dates: Any) -> JalaliDate | pd.DataFrame:
    """Solar Hijri (year, month, day) of Gregorian dates.

    Parameters
    ----------
    dates : datetime-like or array-like of datetimes
        A :class:`pandas.Timestamp`, :class:`datetime.date` or ``numpy.datetime64``, or a
        Series, index, array or list of them. Time-zone-aware values are read on their
        own wall clock (the calendar day where they happen); the time of day is ignored.
        Text is refused: a string such as ``"1402-01-01"`` may be a Jalali date, which
        pandas would read as Gregorian (use :func:`parse_jalali`).

    Returns
    -------
    JalaliDate or pandas.DataFrame
        For one date a :class:`JalaliDate`; otherwise a frame with ``int64`` columns
        ``year``, ``month`` and ``day`` (indexed like a Series input, else 0..n-1).

    Raises
    ------
    InvalidValueError
        Text, NaT, non-datetime values, or a date outside 1-3177 AP.

    Examples
    --------
    >>> import pandas as pd
    >>> to_jalali(pd.Timestamp("2025-03-20"))
    JalaliDate(year=1403, month=12, day=30)
    >>> to_jalali(pd.to_datetime(["1979-02-11", "2000-01-01"]))
       year  month  day
    0  1357     11   22
    1  1378     10   11
    >>> to_jalali("1402-01-01")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: dates='1402-01-01' is text; to_jalali takes ...
    """
    days, scalar, index = _day_codes(dates, "dates")
    year, month, day = days_to_jalali(days)
    if scalar:
        return JalaliDate(int(year), int(month), int(day))
    return pd.DataFrame(
        {"year": year, "month": month, "day": day},
        index=index if index is not None else pd.RangeIndex(days.size),
    )


@overload
def from_jalali(
    year: int | np.integer[Any], month: int | np.integer[Any], day: int | np.integer[Any]
) -> pd.Timestamp: ...
@overload
def from_jalali(year: Any, month: Any, day: Any) -> pd.DatetimeIndex: ...
def from_jalali(year: Any, month: Any, day: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """Gregorian date of Solar Hijri dates.

    Parameters
    ----------
    year, month, day : int or array-like of int
        Solar Hijri year (1-3177), month (1-12) and day of month; arrays are broadcast
        against each other.

    Returns
    -------
    pandas.Timestamp or pandas.DatetimeIndex
        Midnight of each date (microsecond resolution, so every date of the range fits;
        crmkit's analytic functions accept 1678-2261 only).

    Raises
    ------
    InvalidValueError
        A year outside 1-3177, a month outside 1-12, a day the month does not have
        (Esfand 30 in a common year), or a number that is not whole.

    Examples
    --------
    >>> from_jalali(1357, 11, 22)
    Timestamp('1979-02-11 00:00:00')
    >>> from_jalali(1403, [1, 12], [1, 30])
    DatetimeIndex(['2024-03-20', '2025-03-20'], dtype='datetime64[us]', freq=None)
    >>> from_jalali(1402, 12, 30)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: day 30 does not exist in Esfand 1402 (29 days; ...
    """
    y = int_array(year, "year")
    m = int_array(month, "month")
    d = int_array(day, "day")
    return _to_datetimes(jalali_to_days(y, m, d))


# ------------------------------------------------------------------ text


def _parse_one(text: Any, name: str) -> tuple[int, int, int]:
    if not _is_text(text):
        raise InvalidValueError(
            f"{name} must be text such as '1402-01-01' or '۱۴۰۲/۰۱/۰۱'; got {text!r}."
        )
    s = text.decode() if isinstance(text, bytes) else str(text)
    match = _TEXT.match(s.translate(DIGIT_TABLE))
    if match is None:
        raise InvalidValueError(
            f"{name} {text!r} is not a Jalali date written year-month-day (such as "
            "'1402-01-01', '1402/1/1' or '۱۴۰۲/۰۱/۰۱'); fix the text."
        )
    y, m, d = (int(g) for g in match.groups())
    return y, m, d


@overload
def parse_jalali(text: str, *, guard_gregorian: bool = True) -> pd.Timestamp: ...
@overload
def parse_jalali(text: Any, *, guard_gregorian: bool = True) -> pd.DatetimeIndex: ...
def parse_jalali(text: Any, *, guard_gregorian: bool = True) -> pd.Timestamp | pd.DatetimeIndex:
    """Read Solar Hijri dates written as text into Gregorian timestamps.

    Parameters
    ----------
    text : str or array-like of str
        Dates written year-month-day with ``-``, ``/`` or ``.`` between the parts, in
        Latin, Persian (``۰-۹``) or Arabic-Indic (``٠-٩``) digits: ``"1402-01-01"``,
        ``"1402/1/1"``, ``"۱۴۰۲/۰۱/۰۱"``. Only dates (no time of day).
    guard_gregorian : bool, default True
        Refuse years 1700-2299, which are Gregorian years written by mistake far more
        often than Jalali years of the 24th-30th centuries CE (Jalali 1700 is 2321 CE).
        Pass False to read such years as Jalali.

    Returns
    -------
    pandas.Timestamp or pandas.DatetimeIndex
        As :func:`from_jalali`.

    Raises
    ------
    InvalidValueError
        Text in another layout, a missing value, or a date that does not exist
        (the message names the first offending entry).

    Examples
    --------
    >>> parse_jalali("1403/12/30")
    Timestamp('2025-03-20 00:00:00')
    >>> parse_jalali(["۱۴۰۲-۰۱-۰۱", "1402.7.1"])
    DatetimeIndex(['2023-03-21', '2023-09-23'], dtype='datetime64[us]', freq=None)
    >>> parse_jalali("2024-03-20")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: text '2024-03-20' has year 2024, which looks ...
    """
    if not isinstance(guard_gregorian, bool):
        raise InvalidValueError(f"guard_gregorian={guard_gregorian!r} must be True or False.")
    if _is_text(text):
        y, m, d = _parse_one(text, "text")
        if guard_gregorian:
            _guard(np.array([y]), [text], "text")
        return from_jalali(y, m, d)
    if isinstance(text, pd.Series | pd.Index):
        items = text.tolist()
    else:
        items = list(np.asarray(text, dtype=object).ravel())
    if not items:
        return pd.DatetimeIndex(np.array([], dtype="M8[us]"))
    s = pd.Series(items, dtype=object)
    is_text = s.map(_is_text).to_numpy(dtype=bool)
    if not is_text.all():
        i = int(np.flatnonzero(~is_text)[0])
        _parse_one(items[i], f"text[{i}]")  # raises, naming the value
    latin = s.map(
        lambda v: (v.decode() if isinstance(v, bytes) else str(v)).translate(DIGIT_TABLE)
    )
    parts = latin.str.extract(_TEXT)
    bad = parts.isna().any(axis=1).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _parse_one(items[i], f"text[{i}]")  # raises
    ymd = parts.to_numpy(dtype=np.int64)
    if guard_gregorian:
        _guard(ymd[:, 0], items, "text")
    result = from_jalali(ymd[:, 0], ymd[:, 1], ymd[:, 2])
    assert isinstance(result, pd.DatetimeIndex)
    return result


def _guard(years: NDArray[np.int64], items: list[Any], name: str) -> None:
    bad = (years >= _GREGORIAN_LOOKING[0]) & (years <= _GREGORIAN_LOOKING[1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = name if len(items) == 1 else f"{name}[{i}]"
        raise InvalidValueError(
            f"{where} {items[i]!r} has year {int(years[i])}, which looks like a Gregorian "
            f"year (Jalali years are about 621 less: {int(years[i]) - 621} or "
            f"{int(years[i]) - 622}). Read Gregorian text with pandas.to_datetime; pass "
            "guard_gregorian=False if it really is a Jalali year."
        )


Style: TypeAlias = Literal["iso", "latin", "persian"]


@overload
def format_jalali(
    dates: pd.Timestamp | _dt.date | np.datetime64, *, style: Style = "iso"
) -> str: ...
@overload
def format_jalali(dates: Any, *, style: Style = "iso") -> pd.Index[str]: ...
def format_jalali(dates: Any, *, style: Style = "iso") -> str | pd.Index[str]:
    """Write Gregorian dates as Solar Hijri text.

    Parameters
    ----------
    dates : datetime-like or array-like of datetimes
        As in :func:`to_jalali`.
    style : {"iso", "latin", "persian"}, default "iso"
        ``"iso"``: ``1402-01-01``; ``"latin"``: ``1 Farvardin 1402``; ``"persian"``:
        ``۱ فروردین ۱۴۰۲`` (Persian digits and month name).

    Returns
    -------
    str or pandas.Index of str

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime(["2023-03-21", "2024-03-19"])
    >>> format_jalali(d).tolist()
    ['1402-01-01', '1402-12-29']
    >>> format_jalali(d, style="latin").tolist()
    ['1 Farvardin 1402', '29 Esfand 1402']
    >>> format_jalali(d[1], style="persian")
    '۲۹ اسفند ۱۴۰۲'
    """
    if not isinstance(style, str) or style not in ("iso", "latin", "persian"):
        raise InvalidValueError(
            f"style={style!r} is not 'iso' (1402-01-01), 'latin' (1 Farvardin 1402) or "
            "'persian' (۱ فروردین ۱۴۰۲)."
        )
    days, scalar, _ = _day_codes(dates, "dates")
    year, month, day = days_to_jalali(np.atleast_1d(days))
    y = pd.Series(year).astype(str)
    if style == "iso":
        text = (
            y.str.zfill(4)
            + "-"
            + pd.Series(month).astype(str).str.zfill(2)
            + "-"
            + pd.Series(day).astype(str).str.zfill(2)
        )
    else:
        names = np.asarray(MONTHS if style == "latin" else MONTHS_FA, dtype=object)
        text = pd.Series(day).astype(str) + " " + pd.Series(names[month - 1]) + " " + y
        if style == "persian":
            text = text.str.translate(_TO_PERSIAN)
    if scalar:
        return str(text.iloc[0])
    out: pd.Index[str] = pd.Index(text.to_numpy(dtype=object), dtype=object)
    return out


# ------------------------------------------------------------------ fiscal periods


@positional_options("period")
@renamed_keywords(freq="period")
def jalali_period(dates: Any, *, period: PeriodFreq = "Q") -> pd.Index[str]:
    """Iranian fiscal period (Jalali month, quarter or year) of each date, as a label.

    The Iranian fiscal year runs from 1 Farvardin (Nowruz, about 21 March) to the end of
    Esfand; quarter 1 is Farvardin-Khordad, 2 Tir-Shahrivar, 3 Mehr-Azar, 4 Dey-Esfand.

    Parameters
    ----------
    dates : array-like of datetimes
        As in :func:`to_jalali` (Series, index, array or list).
    period : {"M", "Q", "Y"}, default "Q"
        Jalali month (``"1402-01"``), fiscal quarter (``"1402-Q1"``) or fiscal year
        (``"1402"``). The labels sort in time order.

    Returns
    -------
    pandas.Index of str

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime(["2023-03-20", "2023-03-21", "2023-12-22", "2024-03-20"])
    >>> jalali_period(d, period="M").tolist()
    ['1401-12', '1402-01', '1402-10', '1403-01']
    >>> jalali_period(d, period="Y").tolist()
    ['1401', '1402', '1402', '1403']
    """
    unit = check_period(period)
    days, scalar, _ = _day_codes(dates, "dates")
    if scalar:
        raise InvalidValueError(
            "jalali_period labels many dates; pass a Series, index or list (for one date "
            "use to_jalali)."
        )
    return period_text(period_ordinals(days, unit), unit)
