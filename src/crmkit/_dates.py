"""Checks for user-given dates and datetime columns: the supported range and parsing.

crmkit computes with nanoseconds since 1970 in int64; every date it accepts, and every
period boundary derived from one, must fit in that span. These helpers raise
:class:`~crmkit.exceptions.InvalidValueError` naming the argument or column and the fix.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from crmkit._validation import preview
from crmkit.exceptions import InvalidValueError

__all__ = [
    "DATE_END",
    "DATE_MIN",
    "SUPPORTED_DATES",
    "PeriodFreq",
    "check_date_range",
    "check_datetime_column",
    "parse_date",
    "to_datetime",
]

PeriodFreq: TypeAlias = Literal["M", "Q", "Y"]
"""A calendar period of reports: months, quarters or years (Gregorian or Solar Hijri)."""

DATE_MIN: Final = pd.Timestamp("1678-01-01")
"""First instant crmkit accepts in a date or datetime (inclusive)."""
DATE_END: Final = pd.Timestamp("2262-01-01")
"""First instant after the dates crmkit accepts (exclusive).

crmkit computes with nanoseconds since 1970 in int64, which hold 1677-09-21 to
2262-04-11. The supported range is the whole calendar years inside that span,
1678-01-01 to 2261-12-31, so that every period boundary derived from a supported date
(the end of its day, week, month, quarter or year) is representable too. pandas 3 reads
dates outside that span at a coarser resolution (``datetime64[us]``, ``[s]``); crmkit
refuses them with :class:`~crmkit.exceptions.InvalidValueError` rather than letting a
cast to nanoseconds wrap around.
"""
SUPPORTED_DATES: Final = "1678-01-01 to 2261-12-31"
"""The supported date range, as written in error messages."""


def check_datetime_column(frame: pd.DataFrame, column: str) -> None:
    """Raise if ``frame[column]`` is not a ``datetime64`` dtype (naive or tz-aware).

    Examples
    --------
    >>> import pandas as pd
    >>> check_datetime_column(pd.DataFrame({"date": ["2024-01-01"]}), "date")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: column 'date' must be datetime64, got dtype ...
    """
    dtype = frame[column].dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        raise InvalidValueError(
            f"column {column!r} must be datetime64, got dtype {dtype} "
            f"(first values {preview(frame[column].head().tolist())}); convert it with "
            "pandas.to_datetime(...), giving format= for non-ISO strings."
        )
    check_date_range(frame[column], name=f"column {column!r}")


def _date_range_error(name: str, bad: Sequence[Any]) -> InvalidValueError:
    jalali = any(1200 <= getattr(v, "year", 0) < 1600 for v in bad)
    return InvalidValueError(
        f"{name} has date(s) outside the supported range {SUPPORTED_DATES}: "
        f"{preview([str(v) for v in bad])}; crmkit computes in nanoseconds, which cannot "
        "hold them. Fix or drop those dates (a typo in the year?) before calling."
        + (
            " Years 1200-1599 look like Solar Hijri (Jalali) dates read as Gregorian: "
            "read Jalali text with crmkit.jalali.parse_jalali."
            if jalali
            else ""
        )
    )


def check_date_range(values: Any, *, name: str) -> None:
    """Raise if any timestamp lies outside ``DATE_MIN <= t < DATE_END`` (NaT is ignored).

    ``values`` is a :class:`pandas.Timestamp`, a datetime64 Series or index of any
    resolution, or a numpy ``datetime64`` array. tz-aware values are judged on their own
    wall clock.

    Examples
    --------
    >>> import pandas as pd
    >>> check_date_range(pd.Series(pd.to_datetime(["2024-01-01"])), name="date")
    >>> import numpy as np
    >>> late = np.array(["2024-01-01", "2999-12-31"], dtype="datetime64[us]")
    >>> check_date_range(pd.Series(late), name="date")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: date has date(s) outside the supported range ...
    """
    if isinstance(values, pd.Timestamp):
        wall = values.tz_localize(None) if values.tzinfo is not None else values
        if not DATE_MIN <= wall < DATE_END:
            raise _date_range_error(name, [values])
        return
    idx = pd.DatetimeIndex(values)
    if len(idx) == 0:
        return
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    lo, hi = idx.min(), idx.max()
    if pd.isna(lo) or (lo >= DATE_MIN and hi < DATE_END):
        return
    bad = np.asarray((idx < DATE_MIN) | (idx >= DATE_END))
    raise _date_range_error(name, list(idx[bad][:5]))


def parse_date(value: Any, *, name: str) -> pd.Timestamp:
    """Read one user-given date or datetime as a :class:`pandas.Timestamp`, or raise.

    Accepts a Timestamp, a :class:`datetime.datetime` / :class:`datetime.date`, a numpy
    ``datetime64`` or a date string; refuses numbers (an integer is not read as
    nanoseconds since 1970), None, NaT and dates outside the supported range.

    Examples
    --------
    >>> parse_date("2024-01-31", name="as_of")
    Timestamp('2024-01-31 00:00:00')
    >>> parse_date("3000-01-01", name="as_of")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: as_of has date(s) outside the supported range ...
    """
    if isinstance(value, bool | int | float | complex | np.number | bytes) or value is None:
        raise InvalidValueError(
            f"{name}={value!r} is not a date; pass a pandas.Timestamp, a datetime or an "
            "ISO string such as '1997-09-30' (numbers are not read as dates)."
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as exc:
        # pandas' OutOfBoundsDatetime and DateParseError are ValueErrors
        raise InvalidValueError(
            f"{name}={value!r} is not a date in the supported range {SUPPORTED_DATES}; "
            "pass a pandas.Timestamp, a datetime or an ISO string such as '1997-09-30'."
        ) from exc
    if pd.isna(ts):
        raise InvalidValueError(f"{name} is NaT; pass a real date.")
    check_date_range(ts, name=name)
    return ts


_POSITION = re.compile(r"at position (\d+)")


def _out_of_bounds_value(values: Any, exc: Exception) -> Any:
    """The value pandas' ``OutOfBoundsDatetime`` is about, as a Timestamp where it can be."""
    value: Any = values
    if pd.api.types.is_list_like(values):
        match = _POSITION.search(str(exc))
        if match is None or int(match.group(1)) >= len(values):
            return str(exc).splitlines()[0] if str(exc) else repr(values)
        pos = int(match.group(1))
        value = values.iloc[pos] if isinstance(values, pd.Series) else list(values)[pos]
    try:
        return pd.Timestamp(value)  # a scalar may lie outside the nanosecond range
    except (TypeError, ValueError, OverflowError):
        return value


def to_datetime(values: Any, *, name: str, **options: Any) -> Any:
    """:func:`pandas.to_datetime`, refusing dates outside the range alike on pandas 2 and 3.

    pandas 3 reads text and datetime objects outside 1677-09-21 to 2262-04-11 at a coarser
    resolution (``datetime64[us]``), and :func:`check_date_range` then refuses them;
    pandas 2 parses only into nanoseconds and raises its own ``OutOfBoundsDatetime``.
    This raises the same :class:`~crmkit.exceptions.InvalidValueError` as
    :func:`check_date_range` for both, naming ``name`` and the first such value.
    ``options`` go to :func:`pandas.to_datetime` unchanged; the result is not
    range-checked (call :func:`check_date_range` on it). pandas' warnings (a format it
    could not infer) are passed on, except those of a parse that ends in the range error:
    pandas 2 warns there only because the first date is out of bounds.

    Examples
    --------
    >>> to_datetime(["2024-01-01"], name="column 'on'")
    DatetimeIndex(['2024-01-01'], dtype='datetime64[...]', freq=None)
    >>> check_date_range(to_datetime(["1402-10-25"], name="on"), name="on")  # pandas 2 and 3
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: on has date(s) outside the supported range ...
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = pd.to_datetime(values, **options)
        except pd.errors.OutOfBoundsDatetime as exc:
            raise _date_range_error(name, [_out_of_bounds_value(values, exc)]) from exc
    for warning in caught:
        warnings.warn(warning.message, stacklevel=2)
    return parsed
