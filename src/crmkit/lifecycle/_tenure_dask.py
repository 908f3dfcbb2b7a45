""":func:`crmkit.lifecycle.profit_by_tenure` on a dask transaction log (private).

Imported only for a dask frame. One scan finds the observation end (unless given), the
earliest purchase and the missing values; the number of tenure periods ``K`` follows
from the earliest purchase (no customer observes more whole periods than the earliest
one). The rows then move so that all rows of a customer share a partition, and each
partition runs the pandas core (:func:`crmkit.lifecycle._tenure_core.customer_periods`) on its
customers: the per-period sums add up over partitions, and the per-customer profit stays
a dask frame (one row per customer, columns ``0..K-1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle._tenure_core import (
    customer_periods,
    period_sums,
    table_from_sums,
    whole_periods,
)
from crmkit.timeunits import TimeUnit
from crmkit.transactions._prep import check_dask_nan, day_end, tz_of, wall_ns, zoned_day

__all__ = ["profit_by_tenure_dask", "verdict_sums"]

_INT64_MAX = np.iinfo(np.int64).max
_SCAN = pd.DataFrame({"rows": np.array([], dtype=np.int64), "lo": np.array([], dtype=np.int64)})


def _scan(part: pd.DataFrame, dtc: str) -> pd.DataFrame:
    ns = wall_ns(part[dtc])
    return pd.DataFrame({"rows": [ns.size], "lo": [int(ns.min()) if ns.size else _INT64_MAX]})


_ROW = "__crmkit_row"


def _number_rows(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> Any:
    """The rows with their place in the log: partition number, then row."""
    number = 0 if partition_info is None else int(partition_info["number"])
    return part.assign(**{_ROW: (number << 40) + np.arange(len(part), dtype=np.int64)})


def _customers(
    part: pd.DataFrame,
    *,
    cols: dict[str, str],
    factor: float,
    end_ns: int,
    unit: TimeUnit,
    cost: float,
    K: int,
    empty: pd.DataFrame,
) -> pd.DataFrame:
    """One partition's customers: profit per period (NaN where not fully observed)."""
    if len(part) == 0:
        return empty
    part = part.sort_values(_ROW, kind="stable")
    profit_tx = part[cols["value"]].to_numpy(dtype=np.float64) * factor
    ids, grid, active, observed = customer_periods(
        part[cols["id"]], wall_ns(part[cols["datetime"]]), profit_tx, end_ns, unit, cost, K
    )
    out = pd.DataFrame(
        np.where(observed, grid, np.nan),
        index=pd.Index(ids, name=cols["id"]),
        columns=pd.RangeIndex(K, name="k"),
    )
    # whether each period had a purchase, for the "active" sums (dropped after them)
    return out.join(pd.DataFrame(active, index=out.index, columns=_active_names(K)))


def _active_names(K: int) -> list[str]:
    return [f"__active{k}" for k in range(K)]


def _sums(part: pd.DataFrame, K: int) -> pd.DataFrame:
    grid = part[list(range(K))].to_numpy(dtype=np.float64)
    observed = ~np.isnan(grid)
    active = part[_active_names(K)].to_numpy(dtype=bool)
    sums = period_sums(np.where(observed, grid, 0.0), active, observed)
    # unobserved cells hold 0 here; the cumulative sum runs over observed cells only
    # because a customer's observed periods come first (0..n_obs-1)
    return pd.DataFrame(sums.reshape(1, -1))


def profit_by_tenure_dask(
    tx: Any,
    *,
    cols: dict[str, str],
    factor: float,
    cost: float,
    unit: TimeUnit,
    observation_end: Any,
) -> tuple[pd.Timestamp, pd.DataFrame, Any]:
    """The end, the per-period table and the lazy per-customer profit of a dask log."""
    import dask

    cid, dtc = cols["id"], cols["datetime"]
    tz = tz_of(tx, dtc)
    nan_counts = tx.isna().sum()
    if observation_end is None:
        # dask ships no type information for its top-level compute()
        last, nans = dask.compute(  # type: ignore[attr-defined,no-untyped-call]
            tx[dtc].max(), nan_counts
        )
        check_dask_nan(nans, "raise")
        end = zoned_day(last, tz, name="end")
    else:
        end = zoned_day(observation_end, tz, name="observation_end")
        check_dask_nan(nan_counts.compute(), "raise")
        tx = tx[tx[dtc] < day_end(end)]
    scan = tx.map_partitions(_scan, dtc, meta=_SCAN).compute()
    if int(scan["rows"].sum()) == 0:
        raise InvalidValueError(f"no transactions on or before observation_end={end}.")
    end_ns = int(wall_ns(pd.Series([day_end(end)]))[0])
    K = max(int(whole_periods([int(scan["lo"].min())], end_ns, unit)[0]), 1)
    columns: dict[Any, pd.Series[Any]] = {k: pd.Series([], dtype=np.float64) for k in range(K)}
    columns.update({a: pd.Series([], dtype=bool) for a in _active_names(K)})
    meta = pd.DataFrame(columns, index=pd.Index(tx._meta[cid].iloc[:0], name=cid))
    meta.columns = pd.Index([*range(K), *_active_names(K)], dtype=object)
    kw = {"cols": cols, "factor": factor, "end_ns": end_ns, "unit": unit, "cost": cost}
    # rows numbered before the shuffle and put back in that order after it, so each
    # customer's profits are summed in the order of the pandas path
    numbered = tx.map_partitions(_number_rows, meta=tx._meta.assign(**{_ROW: np.int64(0)}))
    per_customer = numbered.shuffle(on=cid).map_partitions(
        _customers, **kw, K=K, empty=meta, meta=meta
    )
    sums_meta = pd.DataFrame({i: pd.Series([], dtype=np.float64) for i in range(6 * K)})
    sums = per_customer.map_partitions(_sums, K, meta=sums_meta).sum().compute()
    table = table_from_sums(sums.to_numpy(dtype=np.float64).reshape(6, K))
    profit_meta = pd.DataFrame(
        np.empty((0, K)), index=meta.index, columns=pd.RangeIndex(K, name="k")
    )
    return end, table, per_customer.map_partitions(_profit_only, K, meta=profit_meta)


def _profit_only(part: pd.DataFrame, K: int) -> pd.DataFrame:
    out = part.iloc[:, :K].astype(np.float64)
    out.columns = pd.RangeIndex(K, name="k")
    return out


def _verdict_part(part: pd.DataFrame) -> pd.DataFrame:
    both = part.loc[part[1].notna(), [0, 1]].to_numpy(dtype=np.float64)
    cum0, cum1 = both[:, 0], both[:, 0] + both[:, 1]
    return pd.DataFrame(
        {
            "n": [float(both.shape[0])],
            "cum0": [cum0.sum()],
            "p1": [both[:, 1].sum()],
            "cum1": [cum1.sum()],
            "first": [float((cum0 > 0).sum())],
            "only_second": [float(((cum0 <= 0) & (cum1 > 0)).sum())],
            "never": [float((cum1 <= 0).sum())],
        }
    )


def verdict_sums(profit: Any) -> pd.Series[float]:
    """Counts and sums of the second-year verdict over a dask per-customer profit."""
    meta = _verdict_part(pd.DataFrame({0: [], 1: []}, dtype=np.float64))
    parts: Any = profit[[0, 1]].map_partitions(_verdict_part, meta=meta.iloc[:0])
    out: pd.Series[float] = parts.sum().compute()
    return out
