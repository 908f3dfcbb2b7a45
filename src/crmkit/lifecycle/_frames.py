"""Shared machinery of :mod:`crmkit.lifecycle`: input checks, periods, per-customer features.

Aggregations are written once for pandas and for dask DataFrames (the optional
``crmkit[dask]`` extra, imported lazily): the engine reduces the transaction log to one
row per customer (or per cohort cell), and the small result is finished in pandas.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import check_datetime_column
from crmkit._txprep import observation_day
from crmkit._validation import (
    check_nan_policy,
    check_numeric_column,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.columns import FIRST_PURCHASE, FREQUENCY, LAST_PURCHASE, TOTAL_SPEND
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import check_time_unit
from crmkit.timeunits._periods import PERIOD_FREQ, period_labels, period_ordinals, wall_ns
from crmkit.transactions import rfm_summary

__all__ = [
    "FEATURE_COLUMNS",
    "PERIOD_FREQ",
    "customer_features",
    "day_end",
    "is_dask",
    "period_labels",
    "period_ordinals",
    "prepare",
    "to_timestamp",
    "wall_ns",
]

_DENSE_LIMIT: Final = 1 << 27

FEATURE_COLUMNS: Final = ("n_purchases", TOTAL_SPEND, FIRST_PURCHASE, LAST_PURCHASE)


def is_dask(frame: Any) -> bool:
    """True for a dask DataFrame (checked without importing dask)."""
    return type(frame).__module__.split(".")[0] in {"dask", "dask_expr"}


def prepare(
    frame: Any,
    columns: dict[str, str],
    *,
    numeric: tuple[str, ...] = (),
    nan_policy: str = "raise",
    name: str = "transactions",
) -> Any:
    """Check a transaction log's columns and dtypes and apply ``nan_policy``.

    ``columns`` maps roles to column names; the ``"datetime"`` role must be datetime64
    and every role in ``numeric`` numeric. pandas frames are checked for NaN here; a
    dask frame's dtypes are checked on its metadata and its NaN count is checked by the
    caller in the same pass as the aggregation (``"omit"`` drops rows lazily).
    """
    policy = check_nan_policy(nan_policy)
    meta = frame._meta if is_dask(frame) else frame
    require_columns(meta, list(columns.values()))  # refuses unhashable names first
    cols = list(dict.fromkeys(columns.values()))
    check_datetime_column(meta, columns["datetime"])
    for role in numeric:
        check_numeric_column(meta, columns[role])
    if is_dask(frame):
        if policy == "omit":
            return frame[cols].dropna()
        return frame[cols]
    require_nonempty(frame, name=name)
    out = handle_nan(frame[cols], cols, policy)
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


def tz_of(frame: Any, column: str) -> str | None:
    """Time-zone name of a datetime column (pandas or dask), None when naive."""
    meta = frame._meta if is_dask(frame) else frame
    tz = getattr(meta[column].dtype, "tz", None)
    return None if tz is None else str(tz)


def to_timestamp(value: Any, *, tz: str | None, name: str) -> pd.Timestamp:
    """Parse an observation end (``as_of``, ``start``, ``end``, ``observation_end``).

    Returns the calendar date's midnight in the data's convention: naive for a naive
    column, in the column's zone for a tz-aware one. A time of day in ``value`` is
    ignored and a naive ``value`` is read on the wall clock of a tz-aware column, as in
    :func:`crmkit.rfm_summary`; rows of the whole day are observed (compare with
    :func:`day_end`). A tz-aware ``value`` on a naive column raises.
    """
    day = observation_day(value, tz, name=name)
    if tz is None:
        return day
    return day.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def day_end(day: pd.Timestamp) -> pd.Timestamp:
    """Exclusive upper bound of the rows observed up to ``day``: its next midnight."""
    nxt = day.tz_localize(None).normalize() + pd.Timedelta(days=1)
    if day.tz is None:
        return nxt
    return nxt.tz_localize(day.tz, ambiguous=True, nonexistent="shift_forward")


def dense_codes(values: pd.Series[Any]) -> tuple[NDArray[np.int64], pd.Index]:
    """Integer codes 0..n-1 of the values and the sorted distinct values.

    Integer ids with a compact range are mapped with one O(n) pass over a presence
    array; anything else goes through :func:`pandas.factorize`.
    """
    dtype = values.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        arr = values.to_numpy()
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo + 1 <= max(2 * arr.size, 1 << 20):
            shifted = np.subtract(arr, lo, dtype=np.int64)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[shifted] = True
            remap = np.cumsum(present, dtype=np.int64) - 1
            distinct = (np.flatnonzero(present) + lo).astype(arr.dtype)
            return remap[shifted], pd.Index(distinct)
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def distinct_pairs(
    codes: NDArray[np.int64], values: NDArray[np.int64], span: int, n_codes: int
) -> NDArray[np.int64]:
    """Sorted distinct keys ``code * span + value``, codes < ``n_codes``, values < ``span``.

    A presence bitmap when the key space is small (at most 2**27 cells), else a sort.
    """
    keys = codes * span + values
    if n_codes * span <= _DENSE_LIMIT:
        present = np.zeros(n_codes * span, dtype=bool)
        present[keys] = True
        dense: NDArray[np.int64] = np.flatnonzero(present).astype(np.int64, copy=False)
        return dense
    keys.sort()
    keep = np.empty(keys.size, dtype=bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    out: NDArray[np.int64] = keys[keep]
    return out


def _no_features(tx: Any, customer_id_col: str, datetime_col: str) -> pd.DataFrame:
    """The features of a log without rows: no customer, the columns' dtypes kept."""
    meta = tx._meta if is_dask(tx) else tx
    return pd.DataFrame(
        {
            "n_purchases": pd.Series([], dtype=np.int64),
            TOTAL_SPEND: pd.Series([], dtype=np.float64),
            FIRST_PURCHASE: pd.Series([], dtype=meta[datetime_col].dtype),
            LAST_PURCHASE: pd.Series([], dtype=meta[datetime_col].dtype),
        },
        index=pd.Index(meta[customer_id_col].iloc[:0], name=customer_id_col),
    )


def customer_features(
    tx: Any,
    *,
    until: pd.Timestamp | None,
    customer_id_col: str,
    datetime_col: str,
    monetary_col: str | None,
    purchase_unit: str,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    """One row per customer with a purchase on or before the day ``until`` (all when None).

    ``until`` comes from :func:`to_timestamp`: every row of its calendar day counts.

    Columns (in order): ``n_purchases`` (distinct ``purchase_unit`` periods with a
    purchase), ``total_spend``, ``first_purchase``, ``last_purchase``; index sorted.
    ``tx`` must have passed :func:`prepare`. The figures are those of
    :func:`crmkit.rfm_summary` with ``totals=True`` (one pipeline): ``n_purchases`` is
    its ``frequency`` counting the first period, every row counts (``returns="keep"``)
    and rows after ``until`` are left out.
    """
    unit = check_time_unit(purchase_unit)
    dask = is_dask(tx)
    if until is not None:
        # "not after" rather than "before": a missing date stays for the NaN check
        tx = tx[~(tx[datetime_col] >= day_end(until))]
    if not dask and len(tx) == 0:
        return _no_features(tx, customer_id_col, datetime_col)
    try:
        result: Any = rfm_summary(  # a lazy dask frame for a dask log
            tx,
            customer_id_col,
            datetime_col,
            monetary_col,
            observation_period_end=until,
            time_unit=unit,
            include_first_transaction=True,
            totals=True,
            nan_policy=nan_policy,
            returns="keep",
            after_observation_end="exclude",
        )
    except InvalidValueError:
        # a dask log with no row up to ``until`` (counted only on this path: one pass)
        if dask and until is not None and len(tx.index) == 0:
            return _no_features(tx, customer_id_col, datetime_col)
        raise
    # the dask result is small (one row per customer): finished in pandas
    summary: pd.DataFrame = result.compute().sort_index() if dask else result
    dtype = (tx._meta if dask else tx)[datetime_col].dtype
    out = pd.DataFrame(
        {
            "n_purchases": summary[FREQUENCY].astype(np.int64),
            TOTAL_SPEND: (
                summary[TOTAL_SPEND].astype(np.float64)
                if monetary_col is not None
                else pd.Series(0.0, index=summary.index)
            ),
            FIRST_PURCHASE: summary[FIRST_PURCHASE].astype(dtype),
            LAST_PURCHASE: summary[LAST_PURCHASE].astype(dtype),
        }
    )
    out.index.name = customer_id_col
    return out
