"""The frame shell of the RFM summary: arrays of :mod:`._core` to per-customer frames.

The pandas path of :func:`crmkit.rfm_summary` and :func:`crmkit.calibration_and_holdout`
and every partition of their dask path (:mod:`._dask`) end in the same functions here,
so a customer's row does not depend on the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._validation import preview
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit
from crmkit.transactions._core import CustomerAggregates, aggregate, period_codes, period_elapsed
from crmkit.transactions._prep import Prepared, encode_ids, end_bound_ns

__all__ = [
    "UNIT_ATTR",
    "aggregate_rows",
    "calibration_frame",
    "check_calibration_dates",
    "finished_summary",
    "log_interval_sums",
    "sorted_by_customer",
    "subset",
    "summary_frame",
]


def mean_or_zero(total: NDArray[np.float64], count: NDArray[np.int64]) -> NDArray[np.float64]:
    out = np.zeros(total.shape, dtype=np.float64)
    np.divide(total, count, out=out, where=count > 0)
    return out


def wall_to_series(ns: NDArray[np.int64], tz: str | None, index: pd.Index[Any]) -> pd.Series:
    values = pd.DatetimeIndex(ns.view("M8[ns]"))
    if tz is not None:
        values = values.tz_localize(tz)
    return pd.Series(values, index=index)


def summary_frame(
    agg: CustomerAggregates,
    ids: pd.Index[Any],
    end_code: int,
    *,
    period: TimeUnit,
    unit: TimeUnit,
    include_first_transaction: bool,
    totals: bool,
    tz: str | None,
) -> pd.DataFrame:
    index = pd.Index(ids, name=cols.CUSTOMER_ID)
    n = agg.n_periods
    data: dict[str, Any] = {
        cols.FREQUENCY: (n if include_first_transaction else n - 1).astype(np.float64),
        cols.RECENCY: period_elapsed(agg.first_period, agg.last_period, period, unit),
        cols.T: period_elapsed(agg.first_period, np.full_like(n, end_code), period, unit),
    }
    if include_first_transaction and agg.total is not None:
        data[cols.MONETARY_VALUE] = mean_or_zero(agg.total, n)
    elif agg.repeat_total is not None:
        data[cols.MONETARY_VALUE] = mean_or_zero(agg.repeat_total, n - 1)
    out = pd.DataFrame(data, index=index)
    if totals:
        if agg.n_rows is not None:
            out[cols.N_TRANSACTIONS] = agg.n_rows
        if agg.total is not None:
            out[cols.TOTAL_SPEND] = agg.total
        if agg.first_ns is not None and agg.last_ns is not None:
            out[cols.FIRST_PURCHASE] = wall_to_series(agg.first_ns, tz, index)
            out[cols.LAST_PURCHASE] = wall_to_series(agg.last_ns, tz, index)
    return out


UNIT_ATTR = "crmkit_time_unit"
"""``frame.attrs`` key recording the time unit of a summary; the CLV models read it."""


def finished_summary(
    agg: Any,
    ids: Any,
    end_code: Any,
    *,
    per: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    totals: bool,
    tz: Any,
) -> pd.DataFrame:
    """The summary frame of aggregated rows, sorted by customer, its unit recorded.

    The pandas path and each partition of the dask path end here.
    """
    out = sorted_by_customer(
        summary_frame(
            agg,
            ids,
            end_code,
            period=per,
            unit=unit,
            include_first_transaction=include_first,
            totals=totals,
            tz=tz,
        )
    )
    out.attrs[UNIT_ATTR] = unit
    return out


def sorted_by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return frame if frame.index.is_monotonic_increasing else frame.sort_index()
    except TypeError as exc:  # ids that cannot be ordered, e.g. a mix of int and str
        kinds = sorted({type(v).__name__ for v in frame.index})
        raise InvalidValueError(
            f"customer ids mix types that cannot be ordered ({', '.join(kinds)}), e.g. "
            f"{preview(list(frame.index[:5]))}; the id 1 and the id '1' would count as two "
            "customers. Convert the id column to one type first, e.g. .astype(str)."
        ) from exc


def aggregate_rows(
    prep: Prepared, per: TimeUnit, *, totals: bool = False, include_first: bool = False
) -> tuple[CustomerAggregates, pd.Index[Any]]:
    """Per-customer aggregates of validated rows (no row may be after the end)."""
    codes = period_codes(prep.ns, per)
    cust, ids = encode_ids(prep.ids)
    ns = prep.ns if totals else None  # first/last purchase instants only for totals
    agg = aggregate(
        cust,
        len(ids),
        codes,
        amount=prep.amount,
        first_ns=ns,
        last_ns=ns,
        need_rows=totals,
        need_total=totals or include_first,
    )
    return agg, ids


def check_calibration_dates(cal_end: pd.Timestamp, obs_end: pd.Timestamp) -> None:
    if cal_end >= obs_end:
        raise InvalidValueError(
            f"calibration_end={cal_end.date()} must be before observation_end="
            f"{obs_end.date()} (both are calendar dates whose whole day counts); the "
            "holdout period would be empty."
        )


def calibration_frame(
    prep: Prepared,
    cal_end: pd.Timestamp,
    obs_end: pd.Timestamp,
    *,
    per: TimeUnit,
    unit: TimeUnit,
    include_first: bool,
    monetary: bool,
    log_intervals: bool = False,
) -> pd.DataFrame:
    """Calibration summary and holdout columns of rows up to the observation end.

    Rows of customers without a calibration row are ignored; with no calibration row at
    all (a dask partition) the result is an empty frame with the same columns. With
    ``log_intervals`` the calibration rows' :func:`log_interval_sums` follow the
    calibration columns.
    """
    in_cal = prep.ns < end_bound_ns(cal_end)
    cal = subset(prep, in_cal)
    end_code = int(period_codes(np.array([cal_end.value], dtype=np.int64), per)[0])
    agg, ids = aggregate_rows(cal, per, include_first=include_first)
    out = summary_frame(
        agg,
        ids,
        end_code,
        period=per,
        unit=unit,
        include_first_transaction=include_first,
        totals=False,
        tz=prep.tz,
    )
    if log_intervals:
        sums = log_interval_sums(cal, per, unit)
        out[cols.LOG_INTERVAL_SUM] = sums.reindex(out.index).to_numpy()
    hold = subset(prep, ~in_cal)
    pos = ids.get_indexer(pd.Index(hold.ids))
    known = pos >= 0
    hold_codes = period_codes(hold.ns[known], per)
    amount = None if hold.amount is None else hold.amount[known]
    h = aggregate(pos[known].astype(np.intp), len(ids), hold_codes, amount=amount)
    out[cols.FREQUENCY_HOLDOUT] = h.n_periods.astype(np.float64)
    if monetary and h.total is not None:
        out[cols.MONETARY_VALUE_HOLDOUT] = mean_or_zero(h.total, h.n_periods)
    ends = period_codes(np.array([cal_end.value, obs_end.value], dtype=np.int64), per)
    out[cols.DURATION_HOLDOUT] = float(period_elapsed(ends[:1], ends[1:], per, unit)[0])
    out = sorted_by_customer(out)
    out.attrs[UNIT_ATTR] = unit
    return out


def subset(prep: Prepared, mask: NDArray[np.bool_]) -> Prepared:
    """The rows of ``prep`` where ``mask`` is True."""
    return Prepared(
        ids=prep.ids[mask],
        ns=prep.ns[mask],
        amount=None if prep.amount is None else prep.amount[mask],
        tz=prep.tz,
    )


def log_interval_sums(prep: Prepared, per: TimeUnit, unit: TimeUnit) -> pd.Series:
    """Per customer, the sum of the logs of the times between consecutive distinct
    purchase periods, in ``unit`` (0 for one period), indexed by customer id.

    BTYDplus' ``elog2cbs`` calls it ``litt``: the (M)BG/CNBD-k likelihood of the
    observed inter-purchase times needs it (Platzer & Reutterer 2016).
    """
    codes = period_codes(prep.ns, per)
    cust, ids = encode_ids(prep.ids)
    order = np.lexsort((codes, cust))
    c, p = cust[order], codes[order]
    distinct = np.ones(c.size, dtype=bool)
    distinct[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
    c, p = c[distinct], p[distinct]
    same = c[1:] == c[:-1]
    gaps = period_elapsed(p[:-1][same], p[1:][same], per, unit)
    sums = np.bincount(c[1:][same], weights=np.log(gaps), minlength=len(ids))
    return pd.Series(sums, index=pd.Index(ids, name=cols.CUSTOMER_ID), name=cols.LOG_INTERVAL_SUM)
