"""The per-customer core of :func:`crmkit.lifecycle.profit_by_tenure` (private).

Shared by the pandas path and the dask path (which runs it on each partition's
customers): each customer's numbers depend on their own transactions only, and the
per-period sums add up over groups of customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit.timeunits import TimeUnit, elapsed
from crmkit.transactions._prep import encode_ids

__all__ = ["customer_periods", "period_sums", "table_from_sums", "whole_periods"]


def whole_periods(first_ns: Any, end_ns: int, unit: TimeUnit) -> NDArray[np.int64]:
    """Whole tenure periods observed from first purchases ``first_ns`` to ``end_ns``."""
    first = np.asarray(first_ns, dtype=np.int64).view("M8[ns]")
    n_obs = np.floor(elapsed(first, np.datetime64(end_ns, "ns"), unit))
    return np.asarray(n_obs, dtype=np.int64)


def customer_periods(
    ids: pd.Series[Any],
    ns: NDArray[np.int64],
    profit_tx: NDArray[np.float64],
    end_ns: int,
    unit: TimeUnit,
    cost: float,
    K: int | None,
) -> tuple[Any, NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Per customer (sorted ids) and tenure period: profit, activity and observed flags.

    ``K`` periods (default: the most any customer has fully observed, at least 1);
    each customer's numbers depend on their own transactions only.
    """
    codes, uniques = encode_ids(ids, sort=True)
    first = pd.Series(ns).groupby(codes).min().to_numpy()
    k_tx = np.floor(elapsed(first[codes].view("M8[ns]"), ns.view("M8[ns]"), unit)).astype(np.int64)
    n_obs = whole_periods(first, end_ns, unit)  # whole periods observed per customer
    if K is None:
        K = max(int(n_obs.max()), 1)
    n = len(uniques)
    keep = k_tx < K
    cell = codes[keep] * K + k_tx[keep]
    grid = np.asarray(np.bincount(cell, weights=profit_tx[keep], minlength=n * K), np.float64)
    grid = grid.reshape(n, K)
    active = np.bincount(cell, minlength=n * K).reshape(n, K) > 0
    grid[:, 0] -= cost
    observed = np.arange(K)[None, :] < n_obs[:, None]
    return uniques, grid, active, observed


def period_sums(
    grid: NDArray[np.float64], active: NDArray[np.bool_], observed: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Sums over customers per period (rows: customers, active, profit, profit of the
    active, cumulative profit, customers in profit); they add up over customer groups."""
    cum = np.cumsum(grid, axis=1)
    return np.vstack(
        [
            observed.sum(axis=0),
            (active & observed).sum(axis=0),
            np.where(observed, grid, 0.0).sum(axis=0),
            np.where(observed & active, grid, 0.0).sum(axis=0),
            np.where(observed, cum, 0.0).sum(axis=0),
            (observed & (cum > 0)).sum(axis=0),
        ]
    ).astype(np.float64)


def table_from_sums(sums: NDArray[np.float64]) -> pd.DataFrame:
    """The per-period table of :func:`period_sums` (added up over all customers)."""
    customers, act, profit, profit_active, cum_sum, pos = sums
    K = sums.shape[1]

    def ratio(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float64]:
        out = np.full(K, np.nan)
        np.divide(a, b, out=out, where=b > 0)
        return out

    return pd.DataFrame(
        {
            "customers": customers.astype(np.int64),
            "active": act.astype(np.int64),
            "profit": profit,
            "mean_profit": ratio(profit, customers),
            "mean_profit_active": ratio(profit_active, act),
            "cumulative_mean_profit": ratio(cum_sum, customers),
            "share_profitable": ratio(pos, customers),
        },
        index=pd.RangeIndex(K, name="k"),
    )
