"""Validation and array extraction for transaction logs (private; used by transactions.py).

One pass over the input frame: column contract, NaN policy, finite and positive amounts
(the ``returns`` policy), datetime dtype, wall-clock nanoseconds and dense customer
codes. Nothing is dropped unless the caller chose an option that says so.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import check_datetime_column, parse_date
from crmkit._validation import (
    check_nan_policy,
    check_numeric_column,
    handle_nan,
    preview,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits._periods import DAY_NS, wall_ns

__all__ = [
    "AfterEndPolicy",
    "Prepared",
    "ReturnsPolicy",
    "encode_ids",
    "end_of_observation",
    "observation_day",
    "prepare",
    "to_wall",
]

ReturnsPolicy: TypeAlias = Literal["raise", "keep", "exclude"]
"""What to do with rows whose amount is <= 0 (returns, cancellations, free items)."""
AfterEndPolicy: TypeAlias = Literal["raise", "exclude"]
"""What to do with rows dated after the observation end."""


@attrs.frozen(kw_only=True)
class Prepared:
    """Validated columns of a transaction log as arrays."""

    ids: pd.Series[Any]
    ns: NDArray[np.int64]
    amount: NDArray[np.float64] | None
    tz: str | None


def _check_option(value: str, name: str, allowed: tuple[str, ...], meaning: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidValueError(f"{name}={value!r} is not one of {list(allowed)}; {meaning}")


def check_returns(returns: str) -> ReturnsPolicy:
    """Validate the ``returns`` option."""
    _check_option(
        returns,
        "returns",
        ("raise", "keep", "exclude"),
        "'keep' adds rows with amount <= 0 to their period's spend (lifetimes' behaviour), "
        "'exclude' removes them before summarising.",
    )
    return returns  # type: ignore[return-value]  # narrowed by the membership check


def check_after_end(after: str) -> AfterEndPolicy:
    """Validate the ``after_observation_end`` option."""
    _check_option(
        after,
        "after_observation_end",
        ("raise", "exclude"),
        "'exclude' drops rows dated after the observation end (lifetimes truncates them).",
    )
    return after  # type: ignore[return-value]  # narrowed by the membership check


def to_wall(values: pd.Series[Any]) -> tuple[NDArray[np.int64], str | None]:
    """Wall-clock int64 nanoseconds of a datetime64 column plus its time-zone name."""
    tz = getattr(values.dt, "tz", None)
    return wall_ns(values, name=f"column {values.name!r}"), None if tz is None else str(tz)


def to_timestamp(value: Any, tz: str | None, *, name: str) -> pd.Timestamp:
    """Parse a user-given date into a naive wall-clock Timestamp in the data's zone."""
    ts = parse_date(value, name=name)
    if ts.tzinfo is not None:
        if tz is None:
            raise InvalidValueError(
                f"{name}={ts} is tz-aware but the datetime column is naive; pass a naive "
                "date or localise the column with Series.dt.tz_localize(...)."
            )
        ts = ts.tz_convert(tz).tz_localize(None)
    return pd.Timestamp(ts).as_unit("ns")


def observation_day(value: Any, tz: str | None, *, name: str) -> pd.Timestamp:
    """The calendar date of a user-given observation end, as a naive wall-clock midnight.

    This is crmkit's one meaning of an observation (or calibration) end: a calendar
    date whose whole day is observed. A time of day in ``value`` is ignored (the date it
    falls on counts, as lifetimes reads ``observation_period_end`` at its period); a
    naive value is read on the wall clock of a tz-aware column, a tz-aware value is
    converted to the column's zone first.
    """
    return to_timestamp(value, tz, name=name).normalize()


def end_bound_ns(day: pd.Timestamp) -> int:
    """Wall-clock ns of the first instant after the observation day ``day`` (exclusive)."""
    return int(day.value) + DAY_NS


def end_of_observation(
    value: Any, tz: str | None, *, name: str = "observation_end"
) -> pd.Timestamp:
    """Exclusive upper bound of the rows an observation end admits, in the column's zone.

    Rows with ``datetime < end_of_observation(value, tz)`` are observed: every timestamp
    on the calendar date of ``value`` counts (see :func:`observation_day`). The bound is
    the next midnight on the wall clock, naive for a naive column or localised to
    ``tz`` (a midnight skipped by a daylight-saving change moves forward, a repeated one
    takes its first occurrence), so it compares directly with the datetime column.

    Examples
    --------
    >>> end_of_observation("2010-12-09", None)
    Timestamp('2010-12-10 00:00:00')
    >>> end_of_observation("2010-12-09 17:30", "Europe/London")
    Timestamp('2010-12-10 00:00:00+0000', tz='Europe/London')
    """
    nxt = observation_day(value, tz, name=name) + pd.Timedelta(days=1)
    if tz is None:
        return nxt
    return nxt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def prepare(
    frame: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    nan_policy: str,
    returns: str,
    allow_empty: bool = False,
) -> Prepared:
    """Validate a pandas transaction log and extract its columns as arrays.

    ``allow_empty`` is for dask partitions, which may be empty or emptied by the options.
    """
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise InvalidValueError(
            "nan_policy='propagate' is not supported for transaction logs: a row without "
            "customer, date or amount cannot be summarised; use 'raise' or 'omit'."
        )
    returns_policy = check_returns(returns)
    cols = [customer_id_col, datetime_col]
    if monetary_value_col is not None:
        cols.append(monetary_value_col)
    require_columns(frame, cols, hint="name them with customer_id_col=, datetime_col=, ...")
    if not allow_empty:
        require_nonempty(frame, name="transactions")
    check_datetime_column(frame, datetime_col)
    if monetary_value_col is not None:
        check_numeric_column(frame, monetary_value_col)
    frame = handle_nan(frame, cols, policy)
    if not allow_empty:
        require_nonempty(frame, name="transactions after dropping missing values")
    amount = None
    if monetary_value_col is not None:
        amount = frame[monetary_value_col].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(amount)
        if bad.any():
            raise InvalidValueError(
                f"column {monetary_value_col!r} has {int(bad.sum())} infinite value(s) at "
                f"index {preview(frame.index[bad])}; fix or drop those rows."
            )
        nonpos = amount <= 0
        if nonpos.any() and returns_policy == "raise":
            raise InvalidValueError(
                f"column {monetary_value_col!r} has {int(nonpos.sum())} value(s) <= 0 "
                f"(returns, cancellations or free items) at index "
                f"{preview(frame.index[nonpos])}; pass returns='keep' to add them to their "
                "period's spend (as lifetimes does) or returns='exclude' to leave those rows "
                "out of the summary."
            )
        if nonpos.any() and returns_policy == "exclude":
            frame = frame.loc[~nonpos]
            amount = amount[~nonpos]
            if not allow_empty:
                require_nonempty(frame, name="transactions after returns='exclude'")
    ns, tz = to_wall(frame[datetime_col])
    return Prepared(ids=frame[customer_id_col], ns=ns, amount=amount, tz=tz)


def encode_ids(ids: pd.Series[Any]) -> tuple[NDArray[np.intp], pd.Index[Any]]:
    """Dense codes ``0..n-1`` of customer ids and the ids they stand for.

    Integer ids in a compact range skip hashing: ``id - min`` marks the present ids in a
    table that is compacted with a cumulative sum (codes then follow id order). Other ids
    are hashed (:func:`pandas.factorize`, order of first appearance): callers sort the
    small per-customer result, not the per-row codes.
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 4 * values.size + 1024:
            offset = (values - lo).astype(np.intp)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[offset] = True
            rank = np.cumsum(present, dtype=np.intp) - 1
            uniques = np.flatnonzero(present) + lo
            return rank[offset], pd.Index(uniques.astype(values.dtype))
    fcodes, funiques = pd.factorize(ids, sort=False)
    return fcodes.astype(np.intp, copy=False), pd.Index(funiques)
