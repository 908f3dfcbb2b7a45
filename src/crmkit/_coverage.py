"""Which calendar periods a dated log covers in whole (private; metrics and lifecycle).

A log *covers* whole days, from its first observed day to its last observed day, or from
an explicit ``observation_start`` to an explicit ``observation_end``. Both bounds are
calendar dates taken in whole: ``observation_end="2010-12-09"`` keeps every row with a
timestamp before 2010-12-10 00:00 (the whole of 9 December), whatever the time of day in
the argument. Days are wall-clock days of the data's own time zone.

A calendar period is *complete* when all of its days are covered. Only the first and the
last period of a contiguous run can be incomplete; comparing such a period with a whole one
(growth over the previous year, retention into a period with nine days of data) mixes
different lengths of time, so callers leave it out, compare the same days, or flag it.

Every function works on integer day codes (days since 1970-01-01) and costs at most
O(rows) or O(days of one period) (366 at most).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from crmkit._jalali import Calendar, days_to_jalali, period_bounds
from crmkit._validation import check_option
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit
from crmkit.timeunits._periods import DAY_NS, calendar_labels, period_start
from crmkit.transactions._prep import observation_day

__all__ = [
    "Coverage",
    "PartialPolicy",
    "check_partial",
    "coverage",
    "day_codes",
    "inclusive_day",
    "partial_records",
    "period_days",
    "same_days",
]

PartialPolicy = Literal["drop", "same_days", "keep"]


def check_partial(partial: Any, allowed: tuple[str, ...]) -> str:
    """Validate a ``partial=`` policy argument."""
    checked: str = check_option(
        partial,
        allowed,
        name="partial",
        hint="It says how to treat an incomplete first or last period: 'drop' leaves it "
        "out, 'keep' keeps it flagged complete=False"
        + (
            ", 'same_days' compares the same days of both periods"
            if "same_days" in allowed
            else ""
        )
        + ".",
    )
    return checked


def inclusive_day(value: Any, *, tz: str | None, name: str) -> int:
    """Day code of a calendar-date bound (its whole day is inside the observation).

    The one rule of :func:`crmkit.transactions._prep.observation_day`: the time of day is
    ignored, a naive value is a calendar date of the data's own wall clock, a tz-aware
    value is first converted to the data's zone ``tz``.
    """
    return int(observation_day(value, tz, name=name).value // DAY_NS)


def day_codes(ns: NDArray[np.int64]) -> NDArray[np.int64]:
    """Day code (days since 1970-01-01, floored) of wall-clock nanoseconds."""
    out: NDArray[np.int64] = np.floor_divide(ns, DAY_NS)
    return out


def day_label(day: int) -> str:
    """ISO date of a day code."""
    return str(np.datetime64(int(day), "D"))


@attrs.frozen
class Coverage:
    """Whole days observed: ``first_day`` to ``last_day`` inclusive (day codes)."""

    first_day: int
    last_day: int

    def mask(self, ns: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Rows whose wall-clock time lies inside the covered days."""
        days = day_codes(ns)
        out: NDArray[np.bool_] = (days >= self.first_day) & (days <= self.last_day)
        return out


def coverage(
    first_ns: int,
    last_ns: int,
    *,
    observation_start: Any,
    observation_end: Any,
    tz: str | None,
) -> Coverage:
    """Covered days: explicit bounds where given, else the first/last observed day."""
    first = (
        int(first_ns // DAY_NS)
        if observation_start is None
        else inclusive_day(observation_start, tz=tz, name="observation_start")
    )
    last = (
        int(last_ns // DAY_NS)
        if observation_end is None
        else inclusive_day(observation_end, tz=tz, name="observation_end")
    )
    if last < first:
        raise InvalidValueError(
            f"observation_end ({day_label(last)}) is before observation_start "
            f"({day_label(first)}); pass an end on or after the start."
        )
    return Coverage(first, last)


def _codes(ordinals: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    # pandas week ordinals count from the week after crmkit's week codes
    out: NDArray[np.int64] = ordinals - 1 if unit == "W" else ordinals
    return out


def period_days(
    ordinals: Any, unit: TimeUnit, calendar: Calendar = "gregorian"
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First and last day code of each period (pandas ordinals of ``unit``, or Jalali codes)."""
    if calendar == "jalali":
        return period_bounds(ordinals, unit)  # type: ignore[arg-type]
    codes = _codes(np.asarray(ordinals, dtype=np.int64), unit)
    first = period_start(codes, unit) // DAY_NS
    last = period_start(codes + 1, unit) // DAY_NS - 1
    return first, last


def complete_mask(
    ordinals: Any, unit: TimeUnit, cov: Coverage, calendar: Calendar = "gregorian"
) -> NDArray[np.bool_]:
    """True for periods whose every day is covered."""
    first, last = period_days(ordinals, unit, calendar)
    out: NDArray[np.bool_] = (first >= cov.first_day) & (last <= cov.last_day)
    return out


def partial_records(
    ordinals: Any, unit: TimeUnit, cov: Coverage, action: str, calendar: Calendar = "gregorian"
) -> list[dict[str, str]]:
    """One record per incomplete period: its label, the days covered and what was done."""
    ords = np.asarray(ordinals, dtype=np.int64)
    first, last = period_days(ords, unit, calendar)
    out = []
    labels = calendar_labels(ords, unit, calendar)
    for i in np.flatnonzero((first < cov.first_day) | (last > cov.last_day)):
        out.append(
            {
                "period": str(labels[int(i)]),
                "covered_from": day_label(max(int(first[i]), cov.first_day)),
                "covered_to": day_label(min(int(last[i]), cov.last_day)),
                "action": action,
            }
        )
    return out


def _keys(
    ordinal: int, unit: TimeUnit, cov: Coverage, calendar: Calendar = "gregorian"
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Covered days of one period and their calendar key (month in period, day of month)."""
    first, last = period_days(np.array([ordinal]), unit, calendar)
    lo, hi = max(int(first[0]), cov.first_day), min(int(last[0]), cov.last_day)
    days = np.arange(lo, hi + 1, dtype=np.int64)  # at most 366 days
    if calendar == "jalali":
        y, m, d = days_to_jalali(np.r_[first[:1], days])
        month = y * 12 + m - 1
        return days, (month[1:] - month[0]) * 32 + d[1:] - 1
    months = days.astype("M8[D]").astype("M8[M]")
    month0 = np.datetime64(int(first[0]), "D").astype("M8[M]").astype(np.int64)
    month_in_period = months.astype(np.int64) - month0
    day_of_month = days - months.astype("M8[D]").astype(np.int64)
    return days, month_in_period * 32 + day_of_month


def same_days(
    current: int, previous: int, unit: TimeUnit, cov: Coverage, calendar: Calendar = "gregorian"
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The covered days of ``current`` and of ``previous`` that have a covered counterpart.

    Days are matched by calendar position: month within the period and day of month
    (1 December 2010 with 1 December 2009; 31 August has no counterpart in a 30-day
    November and 29 February none in a common year, so such days are left out of both).
    """
    cur_days, cur_keys = _keys(current, unit, cov, calendar)
    prev_days, prev_keys = _keys(previous, unit, cov, calendar)
    return cur_days[np.isin(cur_keys, prev_keys)], prev_days[np.isin(prev_keys, cur_keys)]


def window_record(
    current: str, previous: str, cur_days: NDArray[np.int64], prev_days: NDArray[np.int64]
) -> dict[str, Any]:
    """Description of one same-days comparison."""

    def span(days: NDArray[np.int64]) -> tuple[str | None, str | None]:
        if days.size == 0:
            return None, None
        return day_label(int(days.min())), day_label(int(days.max()))

    c0, c1 = span(cur_days)
    p0, p1 = span(prev_days)
    return {
        "period": current,
        "from": c0,
        "to": c1,
        "previous": previous,
        "previous_from": p0,
        "previous_to": p1,
        "days": int(cur_days.size),
    }
