"""Dask path of :func:`crmkit.rfm_summary` and :func:`crmkit.calibration_and_holdout`.

Imported only when a dask DataFrame is passed. The transaction log never has to fit in
one process:

1. *Scan* (computed at once): every partition is validated exactly as a pandas log
   (:func:`crmkit.transactions._prep.prepare`) and reduced to one row of counts and the earliest
   and latest timestamp. Bad input therefore raises when the function is called, with
   the pandas message, and the observation end and the rows after it are known.
2. *Rows* (lazy): every partition is validated again and reduced to the columns the
   summary needs (customer id, wall-clock nanoseconds, amount), rows after the
   observation end dropped.
3. *Shuffle* (lazy): rows move so that all rows of a customer share one partition
   (hash of the id; on dask.distributed the peer-to-peer shuffle, which spills to disk).
4. *Summary* (lazy): each partition goes through the same numpy core as pandas input, so
   each customer's row is the pandas row.

The result is a dask DataFrame indexed by ``customer_id``, sorted within each partition
but partitioned by hash (``.compute().sort_index()`` is the pandas result). This module
never imports dask itself: it only calls methods of the frame the user passed.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit._dates import check_datetime_column
from crmkit._validation import preview, require_columns
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit
from crmkit.transactions._core import period_codes
from crmkit.transactions._prep import (
    Prepared,
    check_rows_after_end,
    end_bound_ns,
    observation_day,
    prepare,
)
from crmkit.transactions._summary import (
    aggregate_rows,
    calibration_frame,
    check_calibration_dates,
    finished_summary,
)

__all__ = ["dask_calibration_and_holdout", "dask_rfm_summary"]

_ID, _NS, _AMOUNT = "__id", "__ns", "__amount"
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


@attrs.frozen(kw_only=True)
class _Columns:
    """The user's column names and row options, shared by every partition task."""

    customer_id_col: str
    datetime_col: str
    amount_col: str | None
    nan_policy: str
    non_positive: str

    def names(self) -> list[str]:
        out = [self.customer_id_col, self.datetime_col]
        return out if self.amount_col is None else [*out, self.amount_col]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        return prepare(
            frame,
            customer_id_col=self.customer_id_col,
            datetime_col=self.datetime_col,
            amount_col=self.amount_col,
            nan_policy=self.nan_policy,
            non_positive=self.non_positive,
            allow_empty=True,
        )


_SCAN_META = pd.DataFrame(
    {
        "rows": np.array([], dtype=np.int64),
        "lo": np.array([], dtype=np.int64),
        "hi": np.array([], dtype=np.int64),
        "late": np.array([], dtype=np.int64),
        "early": np.array([], dtype=np.int64),
    }
)


def _scan(frame: pd.DataFrame, spec: _Columns, late_ns: int | None, early_ns: int | None) -> Any:
    """One row: kept rows, min/max ns, rows at/after ``late_ns``, rows before ``early_ns``."""
    if len(frame) == 0:
        return _SCAN_META
    ns = spec.prepare(frame).ns
    return pd.DataFrame(
        {
            "rows": [ns.size],
            "lo": [int(ns.min()) if ns.size else _INT64_MAX],
            "hi": [int(ns.max()) if ns.size else _INT64_MIN],
            "late": [0 if late_ns is None else int(np.count_nonzero(ns >= late_ns))],
            "early": [0 if early_ns is None else int(np.count_nonzero(ns < early_ns))],
        }
    )


def _rows(frame: pd.DataFrame, spec: _Columns, id_dtype: Any, bound_ns: int | None) -> Any:
    """The validated rows' id, wall-clock ns and amount, rows at/after ``bound_ns`` dropped."""
    if len(frame) == 0:
        prep = Prepared(
            ids=pd.Series([], dtype=id_dtype),
            ns=np.array([], dtype=np.int64),
            amount=None if spec.amount_col is None else np.array([], dtype=np.float64),
            tz=None,
        )
    else:
        prep = spec.prepare(frame)
    data: dict[str, Any] = {_ID: prep.ids.to_numpy(), _NS: prep.ns}
    if prep.amount is not None:
        data[_AMOUNT] = prep.amount
    out = pd.DataFrame(data)
    if bound_ns is not None:
        out = out.loc[out[_NS].to_numpy() < bound_ns]
    return out


def _prepared(rows: pd.DataFrame, tz: str | None) -> Prepared:
    return Prepared(
        ids=rows[_ID].reset_index(drop=True),
        ns=rows[_NS].to_numpy(dtype=np.int64),
        amount=rows[_AMOUNT].to_numpy(dtype=np.float64) if _AMOUNT in rows.columns else None,
        tz=tz,
    )


def _check_meta(ddf: Any, spec: _Columns) -> str | None:
    meta = ddf._meta  # the empty pandas frame describing every partition
    require_columns(meta, spec.names())
    check_datetime_column(meta, spec.datetime_col)
    tz = getattr(meta[spec.datetime_col].dt, "tz", None)
    return None if tz is None else str(tz)


def _scan_totals(ddf: Any, spec: _Columns, late_ns: int | None, early_ns: int | None) -> Any:
    parts = (
        ddf[spec.names()].map_partitions(_scan, spec, late_ns, early_ns, meta=_SCAN_META).compute()
    )
    rows = int(parts["rows"].sum())
    if rows == 0:
        raise InvalidValueError(
            "transactions is empty (0 rows after the nan_policy and non_positive options); "
            "pass at least one row."
        )
    return rows, int(parts["lo"].min()), int(parts["hi"].max()), parts


def _partitioned_rows(
    ddf: Any, spec: _Columns, bound_ns: int | None, npartitions: int | None
) -> Any:
    id_dtype = ddf._meta[spec.customer_id_col].dtype
    meta = _rows(ddf._meta[spec.names()].iloc[:0], spec, id_dtype, None)
    rows = ddf[spec.names()].map_partitions(_rows, spec, id_dtype, bound_ns, meta=meta)
    n = ddf.npartitions if npartitions is None else npartitions
    return rows.shuffle(on=_ID, npartitions=n)


def _summary_partition(
    rows: pd.DataFrame,
    *,
    end_code: int,
    tz: str | None,
    per: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    totals: bool,
) -> pd.DataFrame:
    agg, ids = aggregate_rows(_prepared(rows, tz), per, totals=totals, include_first=include_first)
    return finished_summary(
        agg,
        ids,
        end_code,
        per=per,
        unit=unit,
        include_first=include_first,
        totals=totals,
        tz=tz,
    )


def dask_rfm_summary(
    ddf: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    observation_end: Any,
    period: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    totals: bool,
    nan_policy: str,
    non_positive: str,
    after_observation_end: str,
) -> Any:
    """The lazy per-customer summary of a dask transaction log (see the module doc)."""
    spec = _Columns(
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
        non_positive=non_positive,
    )
    tz = _check_meta(ddf, spec)
    day = None
    if observation_end is not None:
        day = observation_day(observation_end, tz, name="observation_end")
    bound = None if day is None else end_bound_ns(day)
    rows, _, hi, parts = _scan_totals(ddf, spec, bound, None)
    if day is None:
        end_code = int(period_codes(np.array([hi], dtype=np.int64), period)[0])
    else:
        n_late = int(parts["late"].sum())
        check_rows_after_end(n_late, day, after_observation_end, n_rows=rows)
        end_code = int(period_codes(np.array([day.value], dtype=np.int64), period)[0])
    kw: dict[str, Any] = {
        "end_code": end_code,
        "tz": tz,
        "per": period,
        "unit": unit,
        "include_first": include_first,
        "totals": totals,
    }
    shuffled = _partitioned_rows(ddf, spec, bound, None)
    meta = _summary_partition(shuffled._meta, **kw)
    return shuffled.map_partitions(_summary_partition, meta=meta, **kw)


def _holdout_partition(
    rows: pd.DataFrame,
    *,
    cal_end: pd.Timestamp,
    obs_end: pd.Timestamp,
    tz: str | None,
    per: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    monetary: bool,
) -> pd.DataFrame:
    prep = _prepared(rows, tz)
    return calibration_frame(
        prep,
        cal_end,
        obs_end,
        per=per,
        unit=unit,
        include_first=include_first,
        monetary=monetary,
    )


def dask_calibration_and_holdout(
    ddf: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    calibration_end: Any,
    observation_end: Any,
    period: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    nan_policy: str,
    non_positive: str,
    after_observation_end: str,
) -> Any:
    """The lazy calibration/holdout summary of a dask transaction log (module doc)."""
    spec = _Columns(
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
        non_positive=non_positive,
    )
    tz = _check_meta(ddf, spec)
    cal_end = observation_day(calibration_end, tz, name="calibration_end")
    obs_end = None
    if observation_end is not None:
        obs_end = observation_day(observation_end, tz, name="observation_end")
        check_calibration_dates(cal_end, obs_end)
    late_bound = None if obs_end is None else end_bound_ns(obs_end)
    _, lo, hi, parts = _scan_totals(ddf, spec, late_bound, end_bound_ns(cal_end))
    if obs_end is None:
        obs_end = pd.Timestamp(hi).normalize()
        check_calibration_dates(cal_end, obs_end)
    check_rows_after_end(int(parts["late"].sum()), obs_end, after_observation_end)
    if int(parts["early"].sum()) == 0:
        raise InvalidValueError(
            f"no transaction on or before calibration_end={cal_end.date()}; the first "
            f"is {preview([pd.Timestamp(lo)])}. Pass a later date."
        )
    kw: dict[str, Any] = {
        "cal_end": cal_end,
        "obs_end": obs_end,
        "tz": tz,
        "per": period,
        "unit": unit,
        "include_first": include_first,
        "monetary": amount_col is not None,
    }
    shuffled = _partitioned_rows(ddf, spec, end_bound_ns(obs_end), None)
    meta = _holdout_partition(shuffled._meta, **kw)
    return shuffled.map_partitions(_holdout_partition, meta=meta, **kw)
