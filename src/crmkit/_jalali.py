"""Solar Hijri (Jalali) calendar arithmetic on integer day codes (private).

The public interface is :mod:`crmkit.jalali`; this module holds what the period machinery
of :mod:`crmkit.timeunits._periods` and :mod:`crmkit._coverage` needs: the Nowruz table of every
year 1-3177 AP from Borkowski's (1996) break years, day codes (days since 1970-01-01) to
and from (year, month, day), and the codes, bounds and labels of Jalali months, fiscal
quarters and fiscal years. Every function is vectorised and costs O(n log 3177).

Borkowski, K. M. (1996). The Persian calendar for 3000 years. *Earth, Moon, and
Planets*, 74(3), 223-230.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import PeriodFreq
from crmkit._validation import check_option
from crmkit.exceptions import InvalidValueError

__all__ = [
    "JALALI_YEAR_MAX",
    "JALALI_YEAR_MIN",
    "MONTHS",
    "MONTHS_FA",
    "Calendar",
    "check_calendar",
    "check_period",
    "check_years",
    "days_to_jalali",
    "int_array",
    "jalali_to_days",
    "month_lengths",
    "period_bounds",
    "period_ordinals",
    "period_text",
    "preview",
    "year_table",
]

Calendar: TypeAlias = Literal["gregorian", "jalali"]
"""A calendar option: ``"gregorian"`` (the default everywhere) or ``"jalali"``."""

JALALI_YEAR_MIN: Final = 1
"""First Solar Hijri year supported (1 Farvardin 1 AP = 22 March 622)."""

JALALI_YEAR_MAX: Final = 3177
"""Last Solar Hijri year supported (Borkowski's arithmetic is fitted up to it)."""

MONTHS: Final[tuple[str, ...]] = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)
"""The twelve Solar Hijri months in Latin transliteration."""

MONTHS_FA: Final[tuple[str, ...]] = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
"""The twelve Solar Hijri months in Persian script."""

# Years in which the 33-year leap pattern restarts with a new phase (Borkowski 1996);
# the last entry closes the valid range (years < 3178).
_BREAKS: Final = np.array(
    [-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262,
     2324, 2394, 2456, 3178],
    dtype=np.int64,
)  # fmt: skip
_RANGE: Final = f"{JALALI_YEAR_MIN}-{JALALI_YEAR_MAX} AP (22 March 622 to 19 March 3799)"
_INT_LIMIT: Final = 10**9
# Day of the year (0-based) on which each month starts.
_MONTH_START: Final = np.array([0, 31, 62, 93, 124, 155, 186, 216, 246, 276, 306, 336])


@cache
def year_table() -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Day code (days since 1970-01-01) of 1 Farvardin of years 1..3178, and leap flags.

    Borkowski's arithmetic, vectorised over the years: the leap years before a year are
    counted per break interval (8 per full 33 years, one per 4 years of a partial cycle),
    compared with the Gregorian leap days since AD 621 to give the March day of Nowruz.
    """
    jy = np.arange(JALALI_YEAR_MIN, JALALI_YEAR_MAX + 1, dtype=np.int64)
    jumps = np.diff(_BREAKS)
    # leap years accumulated from break to break (before each break year)
    per_interval = (jumps // 33) * 8 + (jumps % 33) // 4
    before = np.concatenate(([-14], -14 + np.cumsum(per_interval)))
    k = np.searchsorted(_BREAKS, jy, side="right") - 1  # break interval of each year
    start, jump = _BREAKS[k], jumps[k]
    n = jy - start  # >= 0 in the valid range, so floor and truncated division agree
    leap_j = before[k] + (n // 33) * 8 + ((n % 33) + 3) // 4
    leap_j += ((jump % 33) == 4) & ((jump - n) == 4)
    gy = jy + 621
    leap_g = gy // 4 - ((gy // 100 + 1) * 3) // 4 - 150
    march = 20 + leap_j - leap_g  # day of March of Nowruz
    # years since the last leap year; 0 marks a leap year (every jump is >= 29, so the
    # shifted n stays positive)
    n_shift = np.where(jump - n < 6, n - jump + ((jump + 4) // 33) * 33, n)
    leap = ((n_shift + 1) % 33 - 1) % 4 == 0
    march1 = (gy - 1970).astype("M8[Y]").astype("M8[M]") + np.timedelta64(2, "M")
    day = march1.astype("M8[D]").astype(np.int64) + march - 1
    starts = np.concatenate((day, [day[-1] + 365 + int(leap[-1])]))
    starts.setflags(write=False)
    leap.setflags(write=False)
    return starts, leap


# ----------------------------------------------------------------------------- checks


def int_array(values: Any, name: str) -> NDArray[np.int64]:
    """Whole numbers as int64, or an error naming the value (nothing is rounded or wrapped).

    Magnitudes beyond ``_INT_LIMIT`` (far outside every valid year, month or day) are
    refused rather than converted, so a huge integer never wraps around.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidValueError(
            f"{name} must be whole numbers or an array of them; got {values!r:.80}."
        ) from exc
    kind = arr.dtype.kind
    if kind == "O" and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in arr.ravel()
    ):
        flat = arr.ravel()
        big = [int(v) for v in flat if abs(int(v)) > _INT_LIMIT]
        if big:
            raise InvalidValueError(
                f"{name} {big[0]} is out of range; pass a Solar Hijri year 1-3177, a month "
                "1-12 or a day 1-31."
            )
        return np.array([int(v) for v in flat], dtype=np.int64).reshape(arr.shape)
    if kind not in "iuf":
        raise InvalidValueError(
            f"{name} must be whole numbers (got dtype {arr.dtype}: "
            f"{preview(arr.ravel()[:3].tolist())}); pass integers such as 1402."
        )
    if kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise InvalidValueError(
                f"{name} must be whole numbers; got {preview(arr[bad].ravel()[:3].tolist())}. "
                "Pass integers (a missing value has no Jalali date)."
            )
    huge = np.abs(arr.astype(np.float64)) > _INT_LIMIT
    if huge.any():
        raise InvalidValueError(
            f"{name} {preview(arr[huge].ravel()[:1].tolist())} is out of range; pass a Solar "
            "Hijri year 1-3177, a month 1-12 or a day 1-31."
        )
    return arr.astype(np.int64)


def preview(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_years(years: NDArray[np.int64], name: str = "year") -> None:
    bad = (years < JALALI_YEAR_MIN) | (years > JALALI_YEAR_MAX)
    if bad.any():
        raise InvalidValueError(
            f"{name} {preview(years[bad].ravel()[:3].tolist())} is outside the supported "
            f"Solar Hijri years {_RANGE}; pass a year in that range (a Gregorian year "
            "such as 2024 is not a Jalali year: use to_jalali to convert a date)."
        )


def check_period(period: Any, *, name: str = "period") -> PeriodFreq:
    """Return a Jalali period ("M", "Q" or "Y") or raise naming the user's parameter."""
    value: PeriodFreq = check_option(
        period,
        ("M", "Q", "Y"),
        name=name,
        hint="Jalali month, fiscal quarter or fiscal year from 1 Farvardin.",
    )
    return value


# ------------------------------------------------------------------ day-code core


def days_to_jalali(
    days: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Jalali (year, month, day) of day codes (days since 1970-01-01); vectorised.

    Raises :class:`~crmkit.exceptions.InvalidValueError` for days outside the range.
    """
    starts, _ = year_table()
    days = np.asarray(days, dtype=np.int64)
    out_of_range = (days < starts[0]) | (days >= starts[-1])
    if out_of_range.any():
        shown = [str(np.datetime64(int(d), "D")) for d in days[out_of_range].ravel()[:3]]
        raise InvalidValueError(
            f"date(s) {', '.join(shown)} lie outside the Solar Hijri years {_RANGE} that "
            "the arithmetic calendar covers; pass dates inside it."
        )
    k = np.searchsorted(starts, days, side="right") - 1
    doy = days - starts[k]
    first_half = doy < 186
    month = np.where(first_half, doy // 31, 6 + (doy - 186) // 30) + 1
    day = np.where(first_half, doy % 31, (doy - 186) % 30) + 1
    return k + JALALI_YEAR_MIN, month, day


def check_months(month: NDArray[np.int64]) -> None:
    """Refuse month numbers outside 1-12, showing a few of them."""
    bad = (month < 1) | (month > 12)
    if bad.any():
        raise InvalidValueError(
            f"month {preview(month[bad].ravel()[:3].tolist())} is not 1-12 "
            "(1 = Farvardin, ..., 12 = Esfand); pass a month number in that range."
        )


def jalali_to_days(
    year: NDArray[np.int64], month: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Day codes (days since 1970-01-01) of Jalali dates, after checking each is valid."""
    year, month, day = np.broadcast_arrays(year, month, day)
    check_years(year)
    check_months(month)
    length = month_lengths(year, month)
    bad_d = (day < 1) | (day > length)
    if bad_d.any():
        i = np.flatnonzero(bad_d.ravel())[0]
        y, m, d = (int(a.ravel()[i]) for a in (year, month, day))
        raise InvalidValueError(
            f"day {d} does not exist in {MONTHS[m - 1]} {y} ({int(length.ravel()[i])} days"
            f"{'; ' + str(y) + ' is not a leap year' if m == 12 and d == 30 else ''}); "
            "pass a day within the month."
        )
    starts, _ = year_table()
    out: NDArray[np.int64] = starts[year - JALALI_YEAR_MIN] + _MONTH_START[month - 1] + day - 1
    return out


def month_lengths(year: NDArray[np.int64], month: NDArray[np.int64]) -> NDArray[np.int64]:
    _, leap = year_table()
    esfand = 29 + leap[year - JALALI_YEAR_MIN].astype(np.int64)
    out: NDArray[np.int64] = np.where(month <= 6, 31, np.where(month <= 11, 30, esfand))
    return out


def period_ordinals(days: NDArray[np.int64], freq: PeriodFreq) -> NDArray[np.int64]:
    """Consecutive integer codes of the Jalali month, quarter or year holding each day.

    ``Y``: the year; ``Q``: ``4 * year + quarter - 1``; ``M``: ``12 * year + month - 1``.
    """
    year, month, _ = days_to_jalali(days)
    if freq == "Y":
        return year
    if freq == "Q":
        out: NDArray[np.int64] = year * 4 + (month - 1) // 3
        return out
    out = year * 12 + month - 1
    return out


def period_bounds(ordinals: Any, freq: PeriodFreq) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First and last day code of Jalali periods (codes of :func:`period_ordinals`)."""
    ords = np.asarray(ordinals, dtype=np.int64)
    if freq == "Y":
        months, step = ords * 12, 12
    elif freq == "Q":
        months, step = (ords // 4) * 12 + (ords % 4) * 3, 3
    else:
        months, step = ords, 1
    nxt = months + step
    y0, m0 = np.divmod(months, 12)
    y1, m1 = np.divmod(nxt, 12)
    check_years(y0, "period year")
    starts, _ = year_table()
    first = starts[y0 - JALALI_YEAR_MIN] + _MONTH_START[m0]
    last = starts[y1 - JALALI_YEAR_MIN] + _MONTH_START[m1] - 1
    return first, last


def period_text(ordinals: Any, freq: PeriodFreq) -> pd.Index[str]:
    """Labels of Jalali periods: ``"1402"``, ``"1402-Q1"`` or ``"1402-01"``."""
    ords = pd.Series(np.asarray(ordinals, dtype=np.int64))
    if freq == "Y":
        text = ords.astype(str)
    elif freq == "Q":
        text = (ords // 4).astype(str) + "-Q" + (ords % 4 + 1).astype(str)
    else:
        text = (ords // 12).astype(str) + "-" + (ords % 12 + 1).astype(str).str.zfill(2)
    out: pd.Index[str] = pd.Index(text.to_numpy(dtype=object), dtype=object)
    return out


def check_calendar(calendar: Any) -> Calendar:
    """Validate a ``calendar=`` option."""
    if not isinstance(calendar, str) or calendar not in ("gregorian", "jalali"):
        raise InvalidValueError(
            f"calendar={calendar!r} is not 'gregorian' (calendar months, quarters and "
            "years) or 'jalali' (Solar Hijri months, Iranian fiscal quarters and years "
            "from 1 Farvardin)."
        )
    return calendar  # type: ignore[return-value]
