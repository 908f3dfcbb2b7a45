"""Acquisition-cohort retention tables.

Customers are grouped by the calendar period of their first purchase (their
*acquisition cohort*); for each cohort and each number of periods since acquisition
``k = 0, 1, 2, ...`` the table counts the customers with at least one purchase in period
``cohort + k`` and divides by the cohort size:

.. math::

    r_{c,k} = \\frac{\\#\\{i \\in c : i \\text{ buys in period } c + k\\}}{\\# c},
    \\qquad r_{c,0} = 1 .

Cells whose period lies after the last observed period are not observable and are NaN.
The aggregation runs on a pandas or a dask DataFrame and gives the same table.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle._frames import (
    check_dask_nan,
    dense_codes,
    distinct_pairs,
    is_dask,
    period_labels,
    period_ordinals,
    prepare,
    to_timestamp,
    tz_of,
    wall_ns,
)
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = ["CohortRetention", "cohort_retention"]


@attrs.frozen(kw_only=True, eq=False)
class CohortRetention:
    """An acquisition-cohort retention table.

    Attributes
    ----------
    period : {"D", "W", "M", "Q", "Y"}
        The calendar period of cohorts and of the columns.
    sizes : pandas.Series
        Customers acquired in each cohort (index: ``pandas.Period`` cohort, name
        ``cohort``).
    active : pandas.DataFrame
        Customers of the cohort (rows) with a purchase ``k`` periods after acquisition
        (columns ``0, 1, ...``); NaN where not observable.
    retention : pandas.DataFrame
        ``active`` divided by ``sizes``: shares in [0, 1], column 0 equal to 1.
    """

    period: TimeUnit
    sizes: pd.Series[Any]
    active: pd.DataFrame
    retention: pd.DataFrame

    def mean_retention(self) -> pd.Series[Any]:
        """Customer-weighted mean retention per period since acquisition.

        Each column averages only the cohorts in which it is observable, weighted by
        cohort size.

        Examples
        --------
        >>> import pandas as pd
        >>> tx = pd.DataFrame(
        ...     {
        ...         "customer_id": [1, 1, 2],
        ...         "datetime": pd.to_datetime(["2024-01-03", "2024-02-03", "2024-01-09"]),
        ...     }
        ... )
        >>> cohort_retention(tx, period="M").mean_retention().tolist()
        [1.0, 0.5]
        """
        observed = self.active.notna().to_numpy()
        weights = np.where(observed, self.sizes.to_numpy()[:, None], 0.0)
        totals = np.nan_to_num(self.active.to_numpy(dtype=np.float64))
        denom = weights.sum(axis=0)
        out = np.divide(
            totals.sum(axis=0), denom, out=np.full(denom.shape, np.nan), where=denom > 0
        )
        return pd.Series(out, index=self.active.columns, name="retention")


def _cells_pandas(
    tx: pd.DataFrame, cid: str, dtc: str, unit: TimeUnit
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(cohort ordinal, k, active count) per non-empty cell."""
    codes, uniques = dense_codes(tx[cid])
    ords = period_ordinals(wall_ns(tx[dtc]), unit)
    first = np.full(len(uniques), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, ords)
    k = ords - first[codes]
    span = int(k.max()) + 1
    cust, kk = np.divmod(distinct_pairs(codes, k, span, len(uniques)), span)
    cohort = first[cust]
    base = int(cohort.min())
    n_coh = int(cohort.max()) - base + 1
    counts = np.bincount((cohort - base) * span + kk, minlength=n_coh * span)
    cell = np.flatnonzero(counts)
    coh_idx, k_idx = np.divmod(cell, span)
    return coh_idx + base, k_idx, counts[cell]


def _cells_dask(
    tx: Any, cid: str, dtc: str, unit: TimeUnit, nan_counts: Any, nan_policy: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    import dask

    def to_pairs(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {cid: part[cid], "_p": period_ordinals(wall_ns(part[dtc]), unit)}, index=part.index
        )

    meta = pd.DataFrame({cid: tx._meta[cid], "_p": pd.Series([], dtype=np.int64)})
    pairs = tx.map_partitions(to_pairs, meta=meta).drop_duplicates()
    first_lazy = pairs.groupby(cid)["_p"].min()
    # dask ships no type information for its top-level compute()
    first, nans = dask.compute(first_lazy, nan_counts)  # type: ignore[attr-defined,no-untyped-call]
    check_dask_nan(nans, nan_policy)

    def to_cells(part: pd.DataFrame) -> pd.DataFrame:
        coh = first.reindex(part[cid]).to_numpy(dtype=np.int64)
        return pd.DataFrame({"cohort": coh, "k": part["_p"].to_numpy() - coh})

    cell_meta = pd.DataFrame(
        {"cohort": pd.Series([], dtype=np.int64), "k": pd.Series([], dtype=np.int64)}
    )
    counts = pairs.map_partitions(to_cells, meta=cell_meta).groupby(["cohort", "k"]).size()
    res = counts.compute().sort_index()
    coh = res.index.get_level_values(0).to_numpy(dtype=np.int64)
    k = res.index.get_level_values(1).to_numpy(dtype=np.int64)
    return coh, k, res.to_numpy(dtype=np.int64)


def cohort_retention(
    transactions: Any,
    *,
    period: str = "M",
    observation_end: Any = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    nan_policy: str = "raise",
) -> CohortRetention:
    """Acquisition-cohort retention table: active share per period since acquisition.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        One row per purchase (line); only the id and datetime columns are read.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Calendar period of cohorts and of the retention columns (weeks run Monday to
        Sunday; quarters and years are calendar quarters and years).
    observation_end : timestamp-like, optional
        End of observation; defaults to the last transaction. Columns run up to the
        period containing it and cells after it are NaN. Rows after it are ignored.
    customer_id_col, datetime_col : str
        Column names.
    nan_policy : {"raise", "omit"}
        Missing ids or dates.

    Returns
    -------
    CohortRetention
        ``sizes``, ``active`` and ``retention`` tables indexed by cohort period.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, wrong dtypes, NaN or an unknown period.

    See Also
    --------
    crmkit.metrics.cohort_retention : the same shares as one flat DataFrame (cohort
        size, then one column per age), for months, quarters and years.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 1, 2, 3, 3],
    ...         "datetime": pd.to_datetime(
    ...             [
    ...                 "2024-01-05",
    ...                 "2024-02-10",
    ...                 "2024-03-01",
    ...                 "2024-01-20",
    ...                 "2024-02-02",
    ...                 "2024-03-30",
    ...             ]
    ...         ),
    ...     }
    ... )
    >>> table = cohort_retention(tx, period="M")
    >>> table.sizes.tolist()
    [2, 1]
    >>> table.retention
    k          0    1    2
    cohort
    2024-01  1.0  0.5  0.5
    2024-02  1.0  1.0  NaN
    """
    unit = check_time_unit(period)
    policy = "raise" if nan_policy == "propagate" else nan_policy
    cols = {"id": customer_id_col, "datetime": datetime_col}
    tx = prepare(transactions, cols, nan_policy=policy)
    nan_counts = tx.isna().sum() if is_dask(tx) else None
    if observation_end is not None:
        end = to_timestamp(observation_end, tz=tz_of(tx, datetime_col), name="observation_end")
        tx = tx[tx[datetime_col] <= end]
    if is_dask(tx):
        coh, k, n = _cells_dask(tx, customer_id_col, datetime_col, unit, nan_counts, policy)
    else:
        if len(tx) == 0:
            raise InvalidValueError(
                f"no transactions on or before observation_end={observation_end!r}; "
                "pass a later date."
            )
        coh, k, n = _cells_pandas(tx, customer_id_col, datetime_col, unit)
    if observation_end is None:
        last = int((coh + k).max())
    else:
        last = int(period_ordinals(wall_ns(pd.Series([end])), unit)[0])
    cohorts = np.arange(int(coh.min()), int(coh.max()) + 1)
    n_k = last - int(cohorts[0]) + 1
    grid = np.zeros((cohorts.size, n_k), dtype=np.float64)
    grid[coh - cohorts[0], k] = n
    sizes = grid[:, 0].copy()
    keep = sizes > 0
    cohorts, grid, sizes = cohorts[keep], grid[keep], sizes[keep]
    unobserved = cohorts[:, None] + np.arange(n_k)[None, :] > last
    grid[unobserved] = np.nan
    index = pd.Index(period_labels(cohorts, unit), name="cohort")
    cols_k = pd.RangeIndex(n_k, name="k")
    active = pd.DataFrame(grid, index=index, columns=cols_k)
    retention = pd.DataFrame(grid / sizes[:, None], index=index, columns=cols_k)
    return CohortRetention(
        period=unit,
        sizes=pd.Series(sizes.astype(np.int64), index=index, name="customers"),
        active=active,
        retention=retention,
    )
