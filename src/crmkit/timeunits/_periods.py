"""Calendar periods of wall-clock timestamps, in numpy (private to :mod:`crmkit.timeunits`).

Time is handled as int64 *wall-clock* nanoseconds: a tz-aware timestamp is read in its
own zone (``2024-03-31 23:30+02:00`` lies in March), which is how a calendar period of a
purchase is meant. One implementation serves the durations of :mod:`crmkit.timeunits`,
the RFM summary (:mod:`crmkit.transactions`), :mod:`crmkit.lifecycle` and
:mod:`crmkit.metrics`. It also holds the vocabulary they share (:data:`TimeUnit`, the
period aliases and the one table of calendar steps, ``MONTH_STEPS``), so it imports
nothing from the public module above it.

Period *codes* count periods since the one holding 1970-01-01 (floored, so earlier dates
work): ``D`` days, ``W`` weeks Monday to Sunday, ``M``/``Q``/``Y`` calendar months,
quarters and years. pandas *ordinals* (``Period.ordinal``) are the same numbers except for
weeks, which pandas counts from the week after (``ordinal = code + 1``).
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import check_date_range
from crmkit._jalali import Calendar, check_calendar, period_text
from crmkit._jalali import period_ordinals as jalali_ordinals
from crmkit.exceptions import InvalidValueError

__all__ = [
    "DAY_NS",
    "DAY_STEPS",
    "GREGORIAN_YEAR_DAYS",
    "MONTH_STEPS",
    "PERIOD_FREQ",
    "TimeUnit",
    "calendar_labels",
    "calendar_ordinals",
    "calendar_unit",
    "check_period_alias",
    "dated_periods",
    "period_codes",
    "period_labels",
    "period_ordinals",
    "period_start",
    "unit_days",
    "wall_ns",
]

TimeUnit: TypeAlias = Literal["D", "W", "M", "Q", "Y"]
"""A time unit: days, weeks, calendar months, calendar quarters or calendar years."""

DAY_NS: Final = 86_400 * 10**9
"""Nanoseconds in a day."""

DAY_STEPS: Final[dict[str, int]] = {"D": 1, "W": 7}
"""Length in days of the units of fixed length."""

MONTH_STEPS: Final[dict[str, int]] = {"M": 1, "Q": 3, "Y": 12}
"""Length in calendar months of the calendar units (the one month-step table)."""

GREGORIAN_YEAR_DAYS: Final = 365.2425
"""The Gregorian mean year in days (97 leap years in 400), for callers that state a mean."""


def unit_days(unit: str, *, days_per_year: float | None) -> float:
    """Length of one ``unit`` in days: exact for D and W; a month-based unit is its share
    of ``days_per_year``, a mean the caller states (``None`` is refused for M, Q, Y).

    >>> unit_days("W", days_per_year=None), unit_days("Q", days_per_year=GREGORIAN_YEAR_DAYS)
    (7.0, 91.310625)
    """
    if unit in DAY_STEPS:
        return float(DAY_STEPS[unit])
    if days_per_year is None:
        raise InvalidValueError(
            f"the length of one {unit!r} in days needs days_per_year (e.g. 365.2425): "
            "calendar months and years have no fixed number of days."
        )
    return days_per_year / (12 // MONTH_STEPS[unit])


PERIOD_FREQ: Final[dict[str, str]] = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}
"""pandas period frequency of each time unit (weeks run Monday to Sunday)."""

_TABLE_SPAN: Final = 10_000_000


def wall_ns(
    values: pd.Series[Any] | pd.DatetimeIndex, *, name: str = "timestamps"
) -> NDArray[np.int64]:
    """Wall-clock nanoseconds of datetimes (tz-aware values read in their own zone).

    Raises :class:`~crmkit.exceptions.InvalidValueError` for dates outside the supported
    range (:data:`crmkit._dates.DATE_MIN` to ``DATE_END``) instead of wrapping around.
    """
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    check_date_range(idx, name=name)
    out: NDArray[np.int64] = idx.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return out


def _calendar_codes(days: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    months = days.view("M8[D]").astype("M8[M]").astype(np.int64)
    out: NDArray[np.int64] = np.floor_divide(months, MONTH_STEPS[unit])
    return out


def period_codes(ns: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    """Integer index of the calendar period holding each wall-clock ns timestamp.

    ``D``: days since 1970-01-01; ``W``: weeks Monday to Sunday (week 0 starts on
    1969-12-29); ``M``/``Q``/``Y``: calendar months, quarters (Jan-Mar, ...) and years
    since 1970. Codes are floored, so pre-1970 dates work. Calendar units go through a
    lookup table over the days spanned (O(n) integer work) when that span is moderate.
    """
    days: NDArray[np.int64] = np.floor_divide(ns, DAY_NS)
    if unit == "D":
        return days
    if unit == "W":
        # 1970-01-01 is a Thursday: day -3 (1969-12-29) is the Monday starting week 0.
        out: NDArray[np.int64] = np.floor_divide(days + 3, 7)
        return out
    if days.size == 0:
        return _calendar_codes(days, unit)
    lo, hi = int(days.min()), int(days.max())
    if hi - lo < _TABLE_SPAN:
        table = _calendar_codes(np.arange(lo, hi + 1, dtype=np.int64), unit)
        out = table[days - lo]
        return out
    return _calendar_codes(days, unit)


def period_start(codes: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    """Wall-clock ns of the first instant of each period code (inverse of :func:`period_codes`)."""
    if unit == "D":
        out: NDArray[np.int64] = codes * DAY_NS
        return out
    if unit == "W":
        out = (codes * 7 - 3) * DAY_NS
        return out
    months = (codes * MONTH_STEPS[unit]).astype("m8[M]")
    out = (np.datetime64(0, "M") + months).astype("M8[ns]").astype(np.int64)
    return out


def period_ordinals(ns: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    """pandas period ordinals (``Period.ordinal``) of wall-clock ns timestamps.

    Equal to ``Series.dt.to_period(PERIOD_FREQ[unit]).array.asi8`` but computed with
    numpy only, so it is fast and works on time-zone-aware wall clocks.
    """
    codes = period_codes(ns, unit)
    if unit == "W":
        out: NDArray[np.int64] = codes + 1
        return out
    return codes


def period_labels(ordinals: Any, unit: TimeUnit) -> pd.PeriodIndex:
    """The :class:`pandas.PeriodIndex` of period ordinals made by :func:`period_ordinals`."""
    # pandas-stubs lacks PeriodIndex.from_ordinals (pandas >= 2.2)
    build = pd.PeriodIndex.from_ordinals  # type: ignore[attr-defined]
    return pd.PeriodIndex(build(np.asarray(ordinals, dtype=np.int64), freq=PERIOD_FREQ[unit]))


def calendar_unit(unit: TimeUnit, calendar: Any) -> Calendar:
    """Validate a ``calendar=`` option for a time unit (Jalali periods are M, Q and Y)."""
    cal = check_calendar(calendar)
    if cal == "jalali" and unit not in ("M", "Q", "Y"):
        raise InvalidValueError(
            f"calendar='jalali' has months, fiscal quarters and fiscal years ('M', 'Q', "
            f"'Y'), not {unit!r}: days and weeks are the same in both calendars, so pass "
            "calendar='gregorian' for them."
        )
    return cal


def calendar_ordinals(
    ns: NDArray[np.int64], unit: TimeUnit, calendar: Calendar
) -> NDArray[np.int64]:
    """Period ordinals in either calendar: pandas ordinals (Gregorian) or Jalali codes.

    Jalali codes (:func:`crmkit.jalali.period_ordinals`) are consecutive integers too, so
    every computation on ordinals (differences, ranges, bincount) works unchanged.
    """
    if calendar == "jalali":
        return jalali_ordinals(np.floor_divide(ns, DAY_NS), unit)  # type: ignore[arg-type]
    return period_ordinals(ns, unit)


def calendar_labels(ordinals: Any, unit: TimeUnit, calendar: Calendar) -> pd.Index[Any]:
    """Labels of period ordinals: a PeriodIndex (Gregorian) or ``"1402-Q1"`` text (Jalali)."""
    if calendar == "jalali":
        return period_text(ordinals, unit)  # type: ignore[arg-type]
    return period_labels(ordinals, unit)


_MONTH_ABBR: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
PERIOD_ALIASES: Final[frozenset[str]] = frozenset(
    ["M", "Q", "Y"] + [f"{p}-{m}" for p in ("Q", "Y") for m in _MONTH_ABBR]
)
"""pandas period aliases of calendar months, quarters and years, with fiscal years ending
in a given month (``"Q-MAR"``: quarters of a fiscal year ending in March)."""


def check_period_alias(period: Any, calendar: Any) -> Calendar:
    """Validate a period alias (:data:`PERIOD_ALIASES`) and a ``calendar=`` option."""
    cal = check_calendar(calendar)
    allowed = ("M", "Q", "Y") if cal == "jalali" else PERIOD_ALIASES
    if not isinstance(period, str) or period not in allowed:
        raise InvalidValueError(
            f"period={period!r} is not a period: pass 'M', 'Q' or 'Y' (calendar months, "
            "quarters, years), "
            + (
                "which calendar='jalali' takes as Solar Hijri months and Iranian fiscal "
                "quarters and years from 1 Farvardin."
                if cal == "jalali"
                else "or a fiscal year ending in a month such as 'Q-MAR' or 'Y-JUN' "
                "(pandas period aliases)."
            )
        )
    return cal


def dated_periods(
    dates: pd.Series[Any], period: str, calendar: Calendar
) -> tuple[pd.Index[Any], pd.Index[Any]]:
    """Period of each naive datetime and every period from the first to the last.

    Gregorian: :class:`pandas.PeriodIndex` of ``period`` (any alias of
    :data:`PERIOD_ALIASES`); Jalali: labels such as ``"1402-Q1"``.
    """
    if calendar == "jalali":
        days = pd.DatetimeIndex(dates).to_numpy().astype("M8[D]").astype(np.int64)
        ords = jalali_ordinals(days, period)  # type: ignore[arg-type]
        full = np.arange(int(ords.min()), int(ords.max()) + 1, dtype=np.int64)
        return period_text(ords, period), period_text(full, period)  # type: ignore[arg-type]
    per = pd.PeriodIndex(dates.dt.to_period(period))
    return per, pd.period_range(per.min(), per.max(), freq=period)
