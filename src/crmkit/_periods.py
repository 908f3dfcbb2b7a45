"""Calendar periods of wall-clock timestamps, in numpy (private, shared by the whole package).

Time is handled as int64 *wall-clock* nanoseconds: a tz-aware timestamp is read in its
own zone (``2024-03-31 23:30+02:00`` lies in March), which is how a calendar period of a
purchase is meant. One implementation serves the RFM summary (:mod:`crmkit.transactions`),
:mod:`crmkit.lifecycle` and :mod:`crmkit.metrics`.

Period *codes* count periods since the one holding 1970-01-01 (floored, so earlier dates
work): ``D`` days, ``W`` weeks Monday to Sunday, ``M``/``Q``/``Y`` calendar months,
quarters and years. pandas *ordinals* (``Period.ordinal``) are the same numbers except for
weeks, which pandas counts from the week after (``ordinal = code + 1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._validation import check_date_range

if TYPE_CHECKING:
    from crmkit.timeunits import TimeUnit

__all__ = [
    "DAY_NS",
    "PERIOD_FREQ",
    "period_codes",
    "period_labels",
    "period_ordinals",
    "period_start",
    "wall_ns",
]

DAY_NS: Final = 86_400 * 10**9
"""Nanoseconds in a day."""

PERIOD_FREQ: Final[dict[str, str]] = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}
"""pandas period frequency of each time unit (weeks run Monday to Sunday)."""

_MONTH_STEP: Final[dict[str, int]] = {"M": 1, "Q": 3, "Y": 12}
_TABLE_SPAN: Final = 10_000_000


def wall_ns(
    values: pd.Series[Any] | pd.DatetimeIndex, *, name: str = "timestamps"
) -> NDArray[np.int64]:
    """Wall-clock nanoseconds of datetimes (tz-aware values read in their own zone).

    Raises :class:`~crmkit.exceptions.InvalidValueError` for dates outside the supported
    range (:data:`crmkit._validation.DATE_MIN` to ``DATE_END``) instead of wrapping around.
    """
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    check_date_range(idx, name=name)
    out: NDArray[np.int64] = idx.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return out


def _calendar_codes(days: NDArray[np.int64], unit: TimeUnit) -> NDArray[np.int64]:
    months = days.view("M8[D]").astype("M8[M]").astype(np.int64)
    out: NDArray[np.int64] = np.floor_divide(months, _MONTH_STEP[unit])
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
    months = (codes * _MONTH_STEP[unit]).astype("m8[M]")
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
