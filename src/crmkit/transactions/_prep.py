"""The one preparation step of a dated log (private; transactions, lifecycle, metrics).

Every function of crmkit that reads a transaction log takes its rules from here:

* the column contract and the NaN policy (:func:`check_log`, pandas or dask frames);
* finite and positive amounts (the ``non_positive`` policy) and the arrays of a pandas log
  (:func:`prepare`: wall-clock nanoseconds, amounts);
* the time-zone rule of a user-given date: a naive date is read on the wall clock of a
  tz-aware column, a tz-aware date is converted to the column's zone, a tz-aware date on
  a naive column is an error (:func:`to_timestamp`);
* the observation end: a calendar date whose whole day is observed
  (:func:`observation_day`, :func:`zoned_day`, :func:`day_end`), and the rows after it
  (:func:`check_rows_after_end`);
* dense customer codes (:func:`encode_ids`).

Nothing is dropped unless the caller chose an option that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import check_datetime_column, parse_date
from crmkit._engines import is_dask
from crmkit._validation import (
    check_nan_policy,
    check_numeric_column,
    check_option,
    handle_nan,
    preview,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits._periods import DAY_NS, wall_ns

__all__ = [
    "AfterEndPolicy",
    "LogNanPolicy",
    "NonPositivePolicy",
    "Prepared",
    "check_dask_nan",
    "check_log",
    "check_rows_after_end",
    "day_end",
    "encode_ids",
    "end_of_observation",
    "observation_day",
    "prepare",
    "to_wall",
    "tz_of",
    "wall_ns",
    "zoned_day",
    "zoned_instant",
]

NonPositivePolicy: TypeAlias = Literal["raise", "keep", "exclude"]
"""What to do with rows whose amount is <= 0 (returns, cancellations, free items)."""
AfterEndPolicy: TypeAlias = Literal["raise", "exclude"]
"""What to do with rows dated after the observation end."""
LogNanPolicy: TypeAlias = Literal["raise", "omit"]
"""What to do with rows of a log missing a customer id, a date or an amount."""


@attrs.frozen(kw_only=True)
class Prepared:
    """Validated columns of a transaction log as arrays."""

    ids: pd.Series[Any]
    ns: NDArray[np.int64]
    amount: NDArray[np.float64] | None
    tz: str | None


def check_non_positive(non_positive: str) -> NonPositivePolicy:
    """Validate the ``non_positive`` option."""
    checked: NonPositivePolicy = check_option(
        non_positive,
        ("raise", "keep", "exclude"),
        name="non_positive",
        hint="'keep' adds rows with amount <= 0 to their period's spend (lifetimes' "
        "behaviour), 'exclude' removes them before summarising.",
    )
    return checked


def check_after_end(after: str) -> AfterEndPolicy:
    """Validate the ``after_observation_end`` option."""
    checked: AfterEndPolicy = check_option(
        after,
        ("raise", "exclude"),
        name="after_observation_end",
        hint="'exclude' drops rows dated after the observation end (lifetimes truncates them).",
    )
    return checked


def check_rows_after_end(
    n_late: int, day: pd.Timestamp, policy: str, *, n_rows: int | None = None
) -> None:
    """The rule for rows dated after the observation end ``day`` (pandas and dask paths).

    ``n_late`` rows are after the day: with ``after_observation_end="raise"`` that is an
    error; with ``"exclude"`` they are left out, which is an error too when they are all
    ``n_rows`` rows of the log (give ``n_rows`` to check that).
    """
    if n_late and policy == "raise":
        raise InvalidValueError(
            f"{n_late} transaction(s) dated after the observation end {day.date()} (the "
            "whole day included); pass a later observation_end, or "
            "after_observation_end='exclude' to leave them out (lifetimes truncates them "
            "silently)."
        )
    if n_late and n_late == n_rows:
        raise InvalidValueError(
            f"every transaction is after observation_end={day.date()}; pass a later date."
        )


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
                f"{name}={ts} is tz-aware but the datetime column is naive (no time "
                "zone); pass a naive date, or make the column time-zone aware with "
                "Series.dt.tz_localize(...)."
            )
        ts = ts.tz_convert(tz).tz_localize(None)
    return pd.Timestamp(ts).as_unit("ns")


def zoned_instant(value: Any, tz: str | None, *, name: str) -> pd.Timestamp:
    """:func:`to_timestamp` as a timestamp that compares with the datetime column.

    The instant keeps its time of day (for half-open windows ``[start, end)``); a naive
    value is read on the column's wall clock, as everywhere.

    Examples
    --------
    >>> zoned_instant("2024-03-01 08:00", "Asia/Tehran", name="start")
    Timestamp('2024-03-01 08:00:00+0330', tz='Asia/Tehran')
    """
    ts = to_timestamp(value, tz, name=name)
    if tz is None:
        return ts
    return ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def observation_day(value: Any, tz: str | None, *, name: str) -> pd.Timestamp:
    """The calendar date of a user-given observation end, as a naive wall-clock midnight.

    This is crmkit's one meaning of an observation (or calibration) end: a calendar
    date whose whole day is observed. A time of day in ``value`` is ignored (the date it
    falls on counts, as lifetimes reads its ``observation_period_end`` at its period); a
    naive value is read on the wall clock of a tz-aware column, a tz-aware value is
    converted to the column's zone first.
    """
    return to_timestamp(value, tz, name=name).normalize()


def zoned_day(value: Any, tz: str | None, *, name: str) -> pd.Timestamp:
    """:func:`observation_day` as a timestamp that compares with the datetime column.

    The calendar date's midnight: naive for a naive column (``tz`` None), localised to
    ``tz`` for a tz-aware one (a midnight skipped by a daylight-saving change moves
    forward, a repeated one takes its first occurrence).

    Examples
    --------
    >>> zoned_day("2024-03-31 18:00", "Europe/Berlin", name="as_of")
    Timestamp('2024-03-31 00:00:00+0100', tz='Europe/Berlin')
    """
    day = observation_day(value, tz, name=name)
    if tz is None:
        return day
    return day.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def day_end(day: pd.Timestamp) -> pd.Timestamp:
    """Exclusive upper bound of the rows observed up to ``day``: its next midnight.

    ``day`` is naive or tz-aware (from :func:`zoned_day`); the bound is in the same zone.
    """
    nxt = day.tz_localize(None).normalize() + pd.Timedelta(days=1)
    if day.tz is None:
        return nxt
    return nxt.tz_localize(day.tz, ambiguous=True, nonexistent="shift_forward")


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
    return day_end(zoned_day(value, tz, name=name))


def tz_of(frame: Any, column: str) -> str | None:
    """Time-zone name of a datetime column (pandas or dask), None when naive."""
    meta = frame._meta if is_dask(frame) else frame
    tz = getattr(meta[column].dtype, "tz", None)
    return None if tz is None else str(tz)


def check_log(
    frame: Any,
    columns: Mapping[str, str],
    *,
    numeric: tuple[str, ...] = (),
    nan_policy: str = "raise",
    name: str = "transactions",
    hint: str | None = None,
    allow_empty: bool = False,
    narrow: bool = True,
) -> Any:
    """The column contract of a dated log: columns, dtypes, emptiness and ``nan_policy``.

    ``columns`` maps roles to column names; the ``"datetime"`` role must be datetime64
    and every role in ``numeric`` numeric. A pandas frame is checked for NaN here and
    returned (narrowed to the named columns unless ``narrow=False``); a dask frame's
    dtypes are checked on its metadata, ``"omit"`` drops rows lazily and a NaN count is
    left to the caller's aggregation pass (:func:`check_dask_nan`). ``allow_empty`` is
    for dask partitions, which may be empty or emptied by the options.
    """
    policy = check_nan_policy(nan_policy)
    meta = frame._meta if is_dask(frame) else frame
    require_columns(meta, list(columns.values()), hint=hint)  # refuses unhashable names first
    cols = list(dict.fromkeys(columns.values()))
    if not allow_empty and not is_dask(frame):
        require_nonempty(frame, name=name)
    check_datetime_column(meta, columns["datetime"])
    for role in numeric:
        check_numeric_column(meta, columns[role])
    if is_dask(frame):
        return frame[cols].dropna() if policy == "omit" else frame[cols]
    out = handle_nan(frame[cols] if narrow else frame, cols, policy)
    if not allow_empty:
        require_nonempty(out, name=f"{name} after nan_policy='omit'")
    return out


def check_dask_nan(nan_counts: pd.Series[Any], nan_policy: str) -> None:
    """Raise for NaN found in a dask frame with ``nan_policy="raise"``."""
    if nan_policy != "raise":
        return
    bad = nan_counts[nan_counts > 0]
    if len(bad):
        col = str(bad.index[0])
        raise InvalidValueError(
            f"column {col!r} has {int(bad.iloc[0])} missing value(s); fill or drop them "
            "first, or pass nan_policy='omit' to drop those rows explicitly."
        )


def prepare(
    frame: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    nan_policy: str,
    non_positive: str,
    allow_empty: bool = False,
) -> Prepared:
    """Validate a pandas transaction log and extract its columns as arrays.

    The column contract is :func:`check_log`'s; ``allow_empty`` is for dask partitions,
    which may be empty or emptied by the options.
    """
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise InvalidValueError(
            "nan_policy='propagate' is not supported for transaction logs: a row without "
            "customer, date or amount cannot be summarised; use 'raise' or 'omit'."
        )
    returns_policy = check_non_positive(non_positive)
    columns = {"id": customer_id_col, "datetime": datetime_col}
    if amount_col is not None:
        columns["amount"] = amount_col
    frame = check_log(
        frame,
        columns,
        numeric=("amount",) if amount_col is not None else (),
        nan_policy=policy,
        hint="name them with customer_id_col=, datetime_col=, ...",
        allow_empty=allow_empty,
        narrow=False,
    )
    amount = None
    if amount_col is not None:
        amount = frame[amount_col].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(amount)
        if bad.any():
            raise InvalidValueError(
                f"column {amount_col!r} has {int(bad.sum())} infinite value(s) at "
                f"index {preview(frame.index[bad])}; fix or drop those rows."
            )
        nonpos = amount <= 0
        if nonpos.any() and returns_policy == "raise":
            raise InvalidValueError(
                f"column {amount_col!r} has {int(nonpos.sum())} value(s) <= 0 "
                f"(returns, cancellations or free items) at index "
                f"{preview(frame.index[nonpos])}; pass non_positive='keep' to add them to their "
                "period's spend (as lifetimes does) or non_positive='exclude' to leave those rows "
                "out of the summary."
            )
        if nonpos.any() and returns_policy == "exclude":
            frame = frame.loc[~nonpos]
            amount = amount[~nonpos]
            if not allow_empty:
                require_nonempty(frame, name="transactions after non_positive='exclude'")
    ns, tz = to_wall(frame[datetime_col])
    return Prepared(ids=frame[customer_id_col], ns=ns, amount=amount, tz=tz)


def encode_ids(
    ids: pd.Series[Any], *, sort: bool = False
) -> tuple[NDArray[np.intp], pd.Index[Any]]:
    """Dense codes ``0..n-1`` of customer ids and the ids they stand for.

    Integer ids in a compact range skip hashing: ``id - min`` marks the present ids in a
    table that is compacted with a cumulative sum (codes then follow id order). Other ids
    are hashed (:func:`pandas.factorize`): in order of first appearance, so that callers
    sort the small per-customer result rather than the per-row codes, or in sorted order
    with ``sort=True``.

    Examples
    --------
    >>> codes, ids = encode_ids(pd.Series([30, 10, 30, 20]))
    >>> codes.tolist(), ids.tolist()
    ([2, 0, 2, 1], [10, 20, 30])
    >>> codes, ids = encode_ids(pd.Series(["b", "a", "b"]), sort=True)
    >>> codes.tolist(), ids.tolist()
    ([1, 0, 1], ['a', 'b'])
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
    fcodes, funiques = pd.factorize(ids, sort=sort)
    return fcodes.astype(np.intp, copy=False), pd.Index(funiques)
