"""Durations in hours or in the calendar units of :mod:`crmkit.timeunits` (private).

Service records (complaints answered within hours, relationships measured in days)
need one unit finer than a day. ``"h"`` is **exact elapsed hours** between the two
instants (3,600 s each; across a DST change a calendar day can be 23 or 25 hours);
``"D"``, ``"W"``, ``"M"``, ``"Q"`` and ``"Y"`` are those of
:func:`crmkit.timeunits.elapsed`.

Examples
--------
>>> import pandas as pd
>>> duration(pd.Timestamp("2024-01-01 09:00"), pd.Timestamp("2024-01-01 21:30"), "h")
12.5
>>> duration(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-15"), "W")
2.0
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from crmkit._dates import to_datetime
from crmkit._validation import check_option
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TIME_UNITS, elapsed

__all__ = ["DURATION_UNITS", "DurationUnit", "check_duration_unit", "duration"]

DurationUnit: TypeAlias = Literal["h", "D", "W", "M", "Q", "Y"]
"""Hours (exact) or a :data:`crmkit.timeunits.TimeUnit`."""

DURATION_UNITS: Final[tuple[str, ...]] = ("h", *TIME_UNITS)


def check_duration_unit(unit: Any, name: str = "unit") -> DurationUnit:
    """``unit`` if it is one of :data:`DURATION_UNITS`, else :class:`InvalidValueError`.

    Examples
    --------
    >>> check_duration_unit("h")
    'h'
    >>> check_duration_unit("hours")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: unit='hours' is not one of ['h', 'D', 'W', 'M', \
'Q', 'Y']. Use 'h' (hours), 'D' (days), 'W' (weeks), 'M' (calendar months), 'Q' or 'Y'.
    """
    checked: DurationUnit = check_option(
        unit,
        DURATION_UNITS,
        name=name,
        hint="Use 'h' (hours), 'D' (days), 'W' (weeks), 'M' (calendar months), 'Q' or 'Y'.",
    )
    return checked


def duration(start: Any, end: Any, unit: str) -> Any:
    """Time from ``start`` to ``end`` (scalars or arrays) in ``unit``.

    ``"h"`` counts exact elapsed hours between the instants; the other units follow
    :func:`crmkit.timeunits.elapsed` (so a scalar pair gives a float, arrays an array).
    """
    u = check_duration_unit(unit)
    if u != "h":
        return elapsed(start, end, u)
    scalar = not isinstance(start, np.ndarray | pd.Series | pd.Index | list | tuple)
    s_idx = pd.DatetimeIndex(np.atleast_1d(to_datetime(start, name="start")))
    e_idx = pd.DatetimeIndex(np.atleast_1d(to_datetime(end, name="end")))
    if (s_idx.tz is None) != (e_idx.tz is None):
        raise InvalidValueError(
            "start and end mix naive and tz-aware timestamps; localise both first."
        )
    hours = np.asarray((e_idx - s_idx) / pd.Timedelta(hours=1), dtype=np.float64)
    return float(hours[0]) if scalar and hours.size == 1 else hours
