"""Dask path of :func:`crmkit.rfm_summary` (imported only when a dask frame is passed).

Each partition is validated and reduced to rows per (customer, period) with the period
spend, row count and earliest/latest timestamp; dask combines those across partitions
(``groupby(...).agg``) and the small result goes through the same numpy core as pandas
input. This module never imports dask itself: it only calls methods of the frame the
user passed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmkit._summary_core import CustomerAggregates, aggregate, period_codes
from crmkit._txprep import encode_ids, end_bound_ns, observation_day, prepare
from crmkit._validation import check_datetime_column, require_columns
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit

__all__ = ["dask_customer_aggregates"]

_ID, _PERIOD, _NS, _AMOUNT, _LATE = "__id", "__period", "__ns", "__amount", "__late"


def _partition(
    frame: pd.DataFrame,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    nan_policy: str,
    returns: str,
    period: TimeUnit,
    id_dtype: Any,
    bound_ns: int | None,
) -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            _ID: pd.Series([], dtype=id_dtype),
            _PERIOD: np.array([], dtype=np.int64),
            _LATE: np.array([], dtype=bool),
            _NS: np.array([], dtype=np.int64),
            _AMOUNT: np.array([], dtype=np.float64),
        }
    )
    if len(frame) == 0:
        return empty
    prep = prepare(
        frame,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        nan_policy=nan_policy,
        returns=returns,
        allow_empty=True,
    )
    amount = np.zeros(prep.ns.size) if prep.amount is None else prep.amount
    return pd.DataFrame(
        {
            _ID: prep.ids.to_numpy(),
            _PERIOD: period_codes(prep.ns, period),
            _LATE: np.zeros(prep.ns.size, bool) if bound_ns is None else prep.ns >= bound_ns,
            _NS: prep.ns,
            _AMOUNT: amount,
        }
    )


def dask_customer_aggregates(
    ddf: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    observation_period_end: Any,
    period: TimeUnit,
    nan_policy: str,
    returns: str,
    after_observation_end: str,
) -> tuple[CustomerAggregates, pd.Index[Any], int, str | None]:
    """Reduce a dask transaction frame to per-customer aggregates (see module doc)."""
    meta = ddf._meta  # the empty pandas frame describing every partition
    cols = [customer_id_col, datetime_col]
    if monetary_value_col is not None:
        cols.append(monetary_value_col)
    require_columns(meta, cols)
    check_datetime_column(meta, datetime_col)
    tz = getattr(meta[datetime_col].dt, "tz", None)
    tz_name = None if tz is None else str(tz)
    day = None
    if observation_period_end is not None:
        day = observation_day(observation_period_end, tz_name, name="observation_period_end")
    kwargs: dict[str, Any] = {
        "customer_id_col": customer_id_col,
        "datetime_col": datetime_col,
        "monetary_value_col": monetary_value_col,
        "nan_policy": nan_policy,
        "returns": returns,
        "period": period,
        "id_dtype": meta[customer_id_col].dtype,
        "bound_ns": None if day is None else end_bound_ns(day),
    }
    reduced_meta = _partition(meta.iloc[:0], **kwargs)
    rows = ddf[cols].map_partitions(_partition, meta=reduced_meta, **kwargs)
    pairs = (
        rows.groupby([_ID, _PERIOD, _LATE])
        .agg({_AMOUNT: "sum", _NS: ["count", "min", "max"]})
        .compute()
    )
    if len(pairs) == 0:
        raise InvalidValueError("transactions is empty (0 rows); pass at least one row.")
    pairs.columns = ["amount", "count", "lo", "hi"]
    pairs = pairs.reset_index()
    codes = pairs[_PERIOD].to_numpy(dtype=np.int64)
    if day is None:
        end_code = int(codes.max())
    else:
        end_code = int(period_codes(np.array([day.value], dtype=np.int64), period)[0])
        late = pairs[_LATE].to_numpy(dtype=bool)
        if late.any():
            if after_observation_end == "raise":
                raise InvalidValueError(
                    f"{int(pairs['count'].to_numpy()[late].sum())} transaction(s) dated after "
                    f"the observation end {day.date()} (the whole day included); pass a later "
                    "observation_period_end, or after_observation_end='exclude' to leave them "
                    "out (lifetimes truncates them silently)."
                )
            pairs = pairs.loc[~late]
            codes = codes[~late]
            if len(pairs) == 0:
                raise InvalidValueError(
                    f"every transaction is after observation_period_end={day.date()}; "
                    "pass a later date."
                )
    cust, ids = encode_ids(pairs[_ID])
    agg = aggregate(
        cust,
        len(ids),
        codes,
        amount=None if monetary_value_col is None else pairs["amount"].to_numpy(np.float64),
        row_count=pairs["count"].to_numpy(np.int64),
        first_ns=pairs["lo"].to_numpy(np.int64),
        last_ns=pairs["hi"].to_numpy(np.int64),
    )
    return agg, ids, end_code, tz_name
