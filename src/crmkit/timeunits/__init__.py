"""Time units and exact, calendar-aware conversion of durations.

crmkit measures every duration in an explicit :data:`TimeUnit`:

=====  ========  ================================================================
unit   name      how a duration is counted
=====  ========  ================================================================
``D``  days      exact: elapsed wall-clock time / 24 h
``W``  weeks     exact: elapsed wall-clock time / 7 days
``M``  months    calendar months (see below)
``Q``  quarters  calendar quarters = steps of 3 calendar months
``Y``  years     calendar years = steps of 12 calendar months
=====  ========  ================================================================

**How partial months count.** There is no 30-day month and no 365-day year. The
duration from ``start`` to ``end`` in months is ``k + f`` where ``k`` is the
largest whole number of months with ``add(start, k, "M") <= end`` and ``f`` is the
remaining time divided by the length of the *next* calendar step, i.e.
``(end - add(start, k)) / (add(start, k + 1) - add(start, k))``. Adding months
keeps the day of month and the time of day, clamping to the last day of shorter
months (31 January + 1 month = 28 or 29 February), as
:class:`pandas.DateOffset` does. Quarters and years are the same with steps of 3
and 12 months, so 29 February 2024 + 1 year = 28 February 2025.

**Time zones and DST.** Durations are measured on the wall clock of the
timestamps' own time zone: a calendar day is one day even when a DST change makes
it 23 or 25 hours long, because for customer behaviour "the next day" is what
counts. Naive timestamps are taken as they are. Mixing naive and tz-aware
timestamps, or two different time zones, raises an error.

Examples
--------
>>> import pandas as pd
>>> from crmkit.timeunits import elapsed, add
>>> elapsed(pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29"), "M")
1.0
>>> elapsed(pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-15"), "W")
2.0
>>> add(pd.Timestamp("2024-02-29"), 1, "Y")
Timestamp('2025-02-28 00:00:00')
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import renamed_keywords
from crmkit._dates import DATE_END, DATE_MIN, SUPPORTED_DATES
from crmkit._validation import check_option, real_number
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import _periods
from crmkit.timeunits._periods import DAY_NS, DAY_STEPS, MONTH_STEPS, unit_days, wall_ns

__all__ = [
    "TIME_UNITS",
    "TimeUnit",
    "add",
    "check_time_unit",
    "convert_rate",
    "elapsed",
    "unit_name",
]

TimeUnit: TypeAlias = _periods.TimeUnit
"""A time unit: days, weeks, calendar months, calendar quarters or calendar years."""

TIME_UNITS: Final[tuple[TimeUnit, ...]] = ("D", "W", "M", "Q", "Y")

_NAMES: Final[dict[str, str]] = {
    "D": "days",
    "W": "weeks",
    "M": "months",
    "Q": "quarters",
    "Y": "years",
}
_UNIT_HINT: Final = (
    "Use 'D' (days), 'W' (weeks), 'M' (calendar months), 'Q' (quarters) or 'Y' (years)."
)
_FIXED_NS: Final[dict[str, int]] = {u: days * DAY_NS for u, days in DAY_STEPS.items()}


@renamed_keywords(unit="time_unit")
def check_time_unit(time_unit: str, *, name: str = "time_unit") -> TimeUnit:
    """Return ``time_unit`` if it is a valid :data:`TimeUnit`, else raise.

    ``name`` is the parameter the caller's user passed the unit as (``"period"``,
    ``"purchase_unit"``, ...), so the message names it. (The first parameter was named
    ``unit`` before crmkit 0.2; the old keyword still works for one release.)

    Examples
    --------
    >>> check_time_unit("W")
    'W'
    >>> check_time_unit("month")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: time_unit='month' is not one of ...
    """
    checked: TimeUnit = check_option(time_unit, TIME_UNITS, name=name, hint=_UNIT_HINT)
    return checked


@renamed_keywords(unit="time_unit")
def unit_name(time_unit: TimeUnit) -> str:
    """Plural English name of a time unit, for labels and messages.

    Examples
    --------
    >>> unit_name("Q")
    'quarters'
    """
    return _NAMES[check_time_unit(time_unit)]


def _wall_ns(values: Any, *, name: str) -> tuple[NDArray[np.int64], str | None]:
    """Timestamps as int64 wall-clock nanoseconds plus their time-zone name."""
    if isinstance(values, bool | int | float | np.number | bytes) or values is None:
        raise InvalidValueError(
            f"{name}={values!r} is not a timestamp; pass a pandas.Timestamp, a datetime, an "
            "ISO string such as '2024-01-31', or an array of them."
        )
    try:
        idx = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(values)))
    except (TypeError, ValueError, OverflowError) as exc:
        # OutOfBoundsDatetime and DateParseError are ValueErrors
        raise InvalidValueError(
            f"{name}={_short(values)} cannot be read as timestamps in the supported range "
            f"{SUPPORTED_DATES} ({exc}); pass pandas Timestamps or ISO date strings."
        ) from exc
    if idx.hasnans:
        raise InvalidValueError(
            f"{name} contains {int(np.sum(idx.isna()))} missing timestamp(s) (NaT); "
            "drop or fill them before converting durations."
        )
    return wall_ns(idx, name=name), None if idx.tz is None else str(idx.tz)


def _short(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."


_DAY_MIN: Final = int(DATE_MIN.value // DAY_NS)
_DAY_END: Final = int(DATE_END.value // DAY_NS)


def _add_months_parts(
    ns: NDArray[np.int64], months: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Add whole calendar months to wall-clock ns timestamps, clamping the day.

    Returns the result as (day code, nanoseconds into the day), which cannot overflow
    even when the result lies past the nanosecond range: ``|months|`` is at most the
    span of the supported range (checked by the callers).
    """
    dt = ns.view("M8[ns]")
    month_start = dt.astype("M8[M]")
    day_start = dt.astype("M8[D]")
    day_of_month = (day_start - month_start.astype("M8[D]")).astype(np.int64)  # 0-based
    time_of_day = (dt - day_start.astype("M8[ns]")).astype(np.int64)
    target = month_start + months.astype("m8[M]")
    days_in_target = (
        (target + np.timedelta64(1, "M")).astype("M8[D]") - target.astype("M8[D]")
    ).astype(np.int64)
    day = np.minimum(day_of_month, days_in_target - 1)
    out_day = target.astype("M8[D]").astype(np.int64) + day
    return out_day, time_of_day


def _elapsed_ns(
    start: NDArray[np.int64], end: NDArray[np.int64], unit: TimeUnit
) -> NDArray[np.float64]:
    if unit in _FIXED_NS:
        # split into (day, ns of day): end - start in ns would overflow int64 beyond
        # 292 years, and the supported range spans 584
        s_day, e_day = np.floor_divide(start, DAY_NS), np.floor_divide(end, DAY_NS)
        step_days = DAY_STEPS[unit]
        tod = (end - e_day * DAY_NS) - (start - s_day * DAY_NS)
        fixed: NDArray[np.float64] = (e_day - s_day) / step_days + tod / _FIXED_NS[unit]
        return fixed
    step = MONTH_STEPS[unit]
    s_month = start.view("M8[ns]").astype("M8[M]").astype(np.int64)
    e_month = end.view("M8[ns]").astype("M8[M]").astype(np.int64)
    k = np.floor_divide(e_month - s_month, step)
    e_day = np.floor_divide(end, DAY_NS)
    e_tod = end - e_day * DAY_NS
    a_day, a_tod = _add_months_parts(start, k * step)
    over = (a_day > e_day) | ((a_day == e_day) & (a_tod > e_tod))
    k = np.where(over, k - 1, k)
    b_day, b_tod = _add_months_parts(start, k * step)
    a_day, a_tod = np.where(over, b_day, a_day), np.where(over, b_tod, a_tod)
    n_day, n_tod = _add_months_parts(start, (k + 1) * step)
    # differences of (day, ns-of-day) pairs: at most a year apart, no int64 overflow
    done = (e_day - a_day) * DAY_NS + (e_tod - a_tod)
    length = (n_day - a_day) * DAY_NS + (n_tod - a_tod)
    result: NDArray[np.float64] = k + done / length
    return result


@overload
def elapsed(start: pd.Timestamp, end: pd.Timestamp, time_unit: TimeUnit) -> float: ...
@overload
def elapsed(start: Any, end: Any, time_unit: TimeUnit) -> NDArray[np.float64] | float: ...
@renamed_keywords(unit="time_unit")
def elapsed(start: Any, end: Any, time_unit: TimeUnit) -> NDArray[np.float64] | float:
    """Duration from ``start`` to ``end`` in ``time_unit``, exact and calendar-aware.

    Parameters
    ----------
    start, end : timestamp-like or array-like of timestamps
        Broadcast against each other. Both naive, or both in the same time zone.
    time_unit : {"D", "W", "M", "Q", "Y"}
        The unit of the result (named ``unit`` before crmkit 0.2; the old keyword still
        works for one release). See the module docstring for how partial months,
        quarters and years count.

    Returns
    -------
    float or numpy.ndarray of float
        A float when both inputs are scalars, else an array. Negative when
        ``end`` precedes ``start``.

    Raises
    ------
    InvalidValueError
        For an unknown unit, NaT values, or mixed/different time zones.

    Examples
    --------
    >>> import pandas as pd
    >>> elapsed(pd.Timestamp("2023-01-15"), pd.Timestamp("2023-03-15"), "M")
    2.0
    >>> elapsed(pd.Timestamp("2023-01-01"), pd.Timestamp("2023-02-15"), "M")  # 1 + 14/28
    1.5
    >>> elapsed(pd.Timestamp("2020-02-29"), pd.Timestamp("2021-02-28"), "Y")
    1.0
    >>> elapsed(["2024-01-01", "2024-01-01"], ["2024-04-01", "2024-07-01"], "Q")
    array([1., 2.])
    """
    u = check_time_unit(time_unit)
    scalar = np.ndim(start) == 0 and np.ndim(end) == 0
    s, tz_s = _wall_ns(start, name="start")
    e, tz_e = _wall_ns(end, name="end")
    if tz_s != tz_e:
        raise InvalidValueError(
            f"start is in time zone {tz_s!r} but end is in {tz_e!r}; convert both to "
            "one zone (Series.dt.tz_convert) or make both naive before measuring durations."
        )
    try:
        s, e = np.broadcast_arrays(s, e)
    except ValueError as exc:
        raise InvalidValueError(
            f"start (length {s.size}) and end (length {e.size}) cannot be broadcast "
            "together; pass arrays of equal length or a scalar."
        ) from exc
    out = _elapsed_ns(np.ascontiguousarray(s), np.ascontiguousarray(e), u)
    return float(out[0]) if scalar else out


@overload
def add(start: pd.Timestamp, n: int, time_unit: TimeUnit) -> pd.Timestamp: ...
@overload
def add(start: pd.DatetimeIndex, n: int, time_unit: TimeUnit) -> pd.DatetimeIndex: ...
@renamed_keywords(unit="time_unit")
def add(
    start: pd.Timestamp | pd.DatetimeIndex, n: int, time_unit: TimeUnit
) -> pd.Timestamp | pd.DatetimeIndex:
    """Add ``n`` whole units to timestamps on the calendar (wall clock, clamped month ends).

    Parameters
    ----------
    start : pandas.Timestamp or pandas.DatetimeIndex
        Naive or tz-aware; the result keeps the time zone.
    n : int
        Number of units to add (may be negative).
    time_unit : {"D", "W", "M", "Q", "Y"}
        Named ``unit`` before crmkit 0.2 (the old keyword still works for one release).

    Notes
    -----
    For tz-aware timestamps the wall clock moves: a result that falls in the hour
    repeated when daylight saving time ends takes its first occurrence, one that falls
    in the hour skipped when it starts moves forward to the first valid time.

    Examples
    --------
    >>> import pandas as pd
    >>> add(pd.Timestamp("2024-01-31"), 1, "M")
    Timestamp('2024-02-29 00:00:00')
    >>> add(pd.Timestamp("2024-03-09 12:00", tz="America/New_York"), 1, "D")
    Timestamp('2024-03-10 12:00:00-0400', tz='America/New_York')
    """
    u = check_time_unit(time_unit)
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise InvalidValueError(f"n={n!r} must be a whole number of {unit_name(u)}.")
    scalar = isinstance(start, pd.Timestamp)
    ns, tz = _wall_ns(start, name="start")
    span_days = _DAY_END - _DAY_MIN
    steps = int(n) * (DAY_STEPS[u] if u in DAY_STEPS else MONTH_STEPS[u])
    if abs(steps) > (span_days if u in _FIXED_NS else span_days // 28):
        raise InvalidValueError(
            f"adding n={n!r} {unit_name(u)} leaves the supported date range "
            f"{SUPPORTED_DATES}; pass a smaller n."
        )
    if u in _FIXED_NS:
        days = np.floor_divide(ns, DAY_NS)
        tod = ns - days * DAY_NS
        days = days + steps
    else:
        days, tod = _add_months_parts(ns, np.full(ns.shape, steps, dtype=np.int64))
    outside = (days < _DAY_MIN) | (days >= _DAY_END)
    if outside.any():
        first = str(np.datetime64(int(days[outside][0]), "D"))
        raise InvalidValueError(
            f"adding n={n!r} {unit_name(u)} gives {first}, outside the supported date range "
            f"{SUPPORTED_DATES}; pass a smaller n."
        )
    out = days * DAY_NS + tod
    idx = pd.DatetimeIndex(out.view("M8[ns]"))
    if tz is not None:
        # a wall time repeated when DST ends takes its first occurrence; one skipped when
        # DST starts moves forward (the rule of crmkit's observation ends)
        repeated_first = np.ones(len(idx), dtype=bool)
        idx = idx.tz_localize(tz, ambiguous=repeated_first, nonexistent="shift_forward")
    return idx[0] if scalar else idx


_PER_YEAR: Final[dict[str, int]] = {u: 12 // months for u, months in MONTH_STEPS.items()}
_PER_WEEK: Final[dict[str, int]] = {u: 7 // days for u, days in DAY_STEPS.items()}


def convert_rate(
    rate: float,
    from_unit: str,
    to_unit: str,
    *,
    days_per_year: float | None = None,
) -> float:
    """Convert a compound rate (discount, growth) stated per one unit into another unit.

    ``(1 + rate) ** (length(to_unit) / length(from_unit)) - 1``. Conversions within
    {D, W} and within {M, Q, Y} are exact. Between the two families the number of
    days in a year is not a constant, so you must say which average you mean with
    ``days_per_year`` (e.g. 365.2425 for the Gregorian mean); crmkit never assumes one.

    Parameters
    ----------
    rate : float
        Rate per ``from_unit``; must be > -1.
    from_unit, to_unit : {"D", "W", "M", "Q", "Y"}
    days_per_year : float, optional
        Required only when converting between day-based and month-based units.

    Examples
    --------
    >>> round(convert_rate(0.10, "Y", "Q"), 6)
    0.024114
    >>> convert_rate(0.10, "Y", "W")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: converting a rate from 'Y' to 'W' needs days_per_year...
    >>> round(convert_rate(0.10, "Y", "W", days_per_year=365.25), 6)
    0.001828
    """
    f = check_time_unit(from_unit, name="from_unit")
    t = check_time_unit(to_unit, name="to_unit")
    if not np.isfinite(real_number(rate, name="rate")) or rate <= -1:
        raise InvalidValueError(f"rate={rate!r} must be a finite number > -1.")

    if (f in _PER_WEEK) == (t in _PER_WEEK):
        table = _PER_WEEK if f in _PER_WEEK else _PER_YEAR
        ratio = table[f] / table[t]
    else:
        if days_per_year is None or not real_number(days_per_year, name="days_per_year") > 0:
            raise InvalidValueError(
                f"converting a rate from {f!r} to {t!r} needs days_per_year (e.g. 365.2425): "
                "calendar months and years have no fixed number of days. Or state the rate "
                "in the unit of your model."
            )
        ratio = unit_days(t, days_per_year=days_per_year) / unit_days(
            f, days_per_year=days_per_year
        )
    try:
        out = float((1.0 + rate) ** ratio - 1.0)
    except OverflowError:
        out = float("inf")
    if not np.isfinite(out):
        raise InvalidValueError(
            f"rate={rate!r} per {unit_name(f)[:-1]} compounds beyond the float range over one "
            f"{unit_name(t)[:-1]}; check the rate and its unit."
        )
    return out
