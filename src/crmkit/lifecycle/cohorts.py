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

The log covers whole days, from its first to its last observed day (or from
``observation_start`` to ``observation_end``). A first or last period that is only partly
covered (December 2010 with nine days of data) would show as a collapse of every cohort's
retention in its last column and an undersized last cohort; by default it is left out
(``partial="drop"``), and ``partial="keep"`` keeps it, listed in
:attr:`CohortRetention.partial_periods`.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._coverage import (
    Coverage,
    check_partial,
    complete_mask,
    coverage,
    inclusive_day,
    partial_records,
)
from crmkit._display import Display, Displayable, frame_rows
from crmkit._engines import is_dask
from crmkit._validation import check_nan_policy, check_option
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.exceptions import InvalidValueError
from crmkit.jalali import Calendar
from crmkit.timeunits import TIME_UNITS, TimeUnit
from crmkit.timeunits._periods import DAY_NS, calendar_labels, calendar_ordinals, calendar_unit
from crmkit.transactions._core import distinct_pairs
from crmkit.transactions._prep import (
    LogNanPolicy,
    check_dask_nan,
    check_log,
    encode_ids,
    tz_of,
    wall_ns,
)

__all__ = ["CohortRetention", "cohort_retention"]


_UNIT_NAMES = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CohortRetention(Displayable):
    """An acquisition-cohort retention table.

    Attributes
    ----------
    period : {"D", "W", "M", "Q", "Y"}
        The calendar period of cohorts and of the columns.
    sizes : pandas.Series
        Customers acquired in each cohort (index: ``pandas.Period`` cohort, or a label
        such as ``"1402-01"`` with ``calendar="jalali"``; name ``cohort``).
    active : pandas.DataFrame
        Customers of the cohort (rows) with a purchase ``k`` periods after acquisition
        (columns ``0, 1, ...``); NaN where not observable.
    retention : pandas.DataFrame
        ``active`` divided by ``sizes``: shares in [0, 1], column 0 equal to 1.
    partial_periods : tuple of dict
        The incomplete first and/or last period (not every day covered by the data):
        ``period``, ``covered_from``, ``covered_to`` (ISO dates) and ``action``
        (``"dropped"``: its cohort row and its cells are left out; ``"kept"``: they are
        in the tables and cover fewer days). Empty when every period is whole. The same
        list is in ``retention.attrs["crmkit_partial_periods"]``.
    calendar : {"gregorian", "jalali"}
        The calendar of the periods: ``"jalali"`` for Solar Hijri months and Iranian
        fiscal quarters and years.
    """

    period: TimeUnit
    sizes: pd.Series[Any]
    active: pd.DataFrame
    retention: pd.DataFrame
    partial_periods: tuple[dict[str, str], ...] = ()
    calendar: Calendar = "gregorian"

    def _display(self) -> Display:
        table = self.retention.iloc[:, :8]
        columns, rows, note = frame_rows(table, max_rows=10, digits=3)
        columns[0] = "cohort"
        partial = ", ".join(f"{p['period']} ({p['action']})" for p in self.partial_periods)
        return Display(
            f"Cohort retention: {len(self.sizes)} {_UNIT_NAMES[self.period]} cohorts, "
            f"{int(self.sizes.sum()):,} customers",
            [f"partial periods: {partial}"] if partial else [],
            columns,
            rows,
            [note, "share of each cohort active k periods after acquisition (.retention)"],
        )

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
        ...         "datetime": pd.to_datetime(["2024-01-01", "2024-02-29", "2024-01-09"]),
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
    tx: pd.DataFrame, cid: str, dtc: str, unit: TimeUnit, calendar: Calendar
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int, int]:
    """(cohort ordinal, k, active count) per non-empty cell; first and last wall-clock ns."""
    codes, uniques = encode_ids(tx[cid])
    ns = wall_ns(tx[dtc])
    ords = calendar_ordinals(ns, unit, calendar)
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
    return coh_idx + base, k_idx, counts[cell], int(ns.min()), int(ns.max())


def _inside(part: pd.DataFrame, dtc: str, first_day: int, last_day: int) -> pd.DataFrame:
    """Rows whose wall-clock day lies in ``[first_day, last_day]``."""
    return part[Coverage(first_day, last_day).mask(wall_ns(part[dtc]))]


def _cells_dask(
    tx: Any,
    cid: str,
    dtc: str,
    unit: TimeUnit,
    nan_counts: Any,
    nan_policy: str,
    calendar: Calendar,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int, int]:
    """As :func:`_cells_pandas`, on a dask DataFrame."""
    import dask

    def to_pairs(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {cid: part[cid], "_p": calendar_ordinals(wall_ns(part[dtc]), unit, calendar)},
            index=part.index,
        )

    meta = pd.DataFrame({cid: tx._meta[cid], "_p": pd.Series([], dtype=np.int64)})
    pairs = tx.map_partitions(to_pairs, meta=meta).drop_duplicates()
    first_lazy = pairs.groupby(cid)["_p"].min()
    # dask ships no type information for its top-level compute()
    first, nans, t_min, t_max = dask.compute(  # type: ignore[attr-defined,no-untyped-call]
        first_lazy, nan_counts, tx[dtc].min(), tx[dtc].max()
    )
    check_dask_nan(nans, nan_policy)
    if pd.isna(t_min):
        raise InvalidValueError(
            "no transactions inside the observation window; pass a wider "
            "observation_start/observation_end."
        )

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
    bounds = wall_ns(pd.DatetimeIndex([t_min, t_max]))
    return coh, k, res.to_numpy(dtype=np.int64), int(bounds[0]), int(bounds[1])


def cohort_retention(
    transactions: Any,
    *,
    period: TimeUnit = "M",
    observation_start: Any = None,
    observation_end: Any = None,
    partial: Literal["drop", "keep"] = "drop",
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    nan_policy: LogNanPolicy = "raise",
    calendar: Calendar = "gregorian",
) -> CohortRetention:
    """Acquisition-cohort retention table: active share per period since acquisition.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        One row per purchase (line); only the id and datetime columns are read.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Calendar period of cohorts and of the retention columns (weeks run Monday to
        Sunday; quarters and years are calendar quarters and years).
    observation_start, observation_end : date-like, optional
        First and last calendar day observed, each taken in whole: rows from
        ``observation_start`` 00:00 to before ``observation_end + 1 day`` count, rows
        outside are ignored. Default: the first and the last day with a transaction.
        Columns run up to the period containing the end; cells after it are NaN.
    partial : {"drop", "keep"}, default "drop"
        A first or last period not covered in whole: ``"drop"`` leaves out its cohort
        row and its cells (NaN, not observable as a whole period), so the last column
        is the last whole period; ``"keep"`` keeps them (the last period's cells then
        count purchases in fewer days). Either way the period is listed in
        ``partial_periods``.
    customer_id_col, datetime_col : str
        Column names.
    nan_policy : {"raise", "omit"}
        Missing ids or dates.
    calendar : {"gregorian", "jalali"}, default "gregorian"
        ``"jalali"`` groups by Solar Hijri months, Iranian fiscal quarters
        (Farvardin-Khordad, ...) or fiscal years from 1 Farvardin (``period`` "M", "Q"
        or "Y"; :mod:`crmkit.jalali`); cohorts are then labelled ``"1402-01"``,
        ``"1402-Q1"`` or ``"1402"``.

    Returns
    -------
    CohortRetention
        ``sizes``, ``active`` and ``retention`` tables indexed by cohort period, and
        ``partial_periods``.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, wrong dtypes, NaN, an unknown period or ``partial``, no
        transaction in the window, or no whole period left with ``partial="drop"``.

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
    ...                 "2024-01-01",
    ...                 "2024-02-10",
    ...                 "2024-03-01",
    ...                 "2024-01-20",
    ...                 "2024-02-02",
    ...                 "2024-03-31",
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

    With data only to 15 March, March is incomplete: by default its cells are left out
    (so the table does not show a collapse in March); ``partial="keep"`` shows them,
    flagged.

    >>> early = tx[tx["datetime"] <= "2024-03-15"]
    >>> cohort_retention(early, period="M").retention
    k          0    1
    cohort
    2024-01  1.0  0.5
    2024-02  1.0  NaN
    >>> kept = cohort_retention(early, period="M", partial="keep")
    >>> kept.retention.iloc[:, 2].tolist()
    [0.5, nan]
    >>> [(r["period"], r["covered_to"], r["action"]) for r in kept.partial_periods]
    [('2024-03', '2024-03-01', 'kept')]

    Solar Hijri months: the purchases fall in Dey (10), Bahman (11) and Esfand (12) 1402
    and, on 31 March 2024, in Farvardin 1403; customer 3 (a Bahman cohort) comes back in
    Farvardin, two months later. The first and last months are only partly covered, kept:

    >>> jal = cohort_retention(tx, period="M", calendar="jalali", partial="keep")
    >>> jal.retention
    k          0    1    2    3
    cohort
    1402-10  1.0  0.5  0.5  0.0
    1402-11  1.0  0.0  1.0  NaN
    >>> [(r["period"], r["covered_from"], r["covered_to"]) for r in jal.partial_periods]
    [('1402-10', '2024-01-01', '2024-01-20'), ('1403-01', '2024-03-20', '2024-03-31')]
    """
    unit: TimeUnit = check_option(
        period,
        TIME_UNITS,
        name="period",
        hint="use 'D', 'W', 'M' (calendar months), 'Q' (quarters) or 'Y' (years).",
    )
    cal = calendar_unit(unit, calendar)
    check_partial(partial, ("drop", "keep"))
    policy = "raise" if check_nan_policy(nan_policy) == "propagate" else nan_policy
    cols = {"id": customer_id_col, "datetime": datetime_col}
    tx = check_log(transactions, cols, nan_policy=policy)
    nan_counts = tx.isna().sum() if is_dask(tx) else None
    tz = tz_of(tx, datetime_col)
    bound_lo = (
        None
        if observation_start is None
        else inclusive_day(observation_start, tz=tz, name="observation_start")
    )
    bound_hi = (
        None
        if observation_end is None
        else inclusive_day(observation_end, tz=tz, name="observation_end")
    )
    if bound_lo is not None or bound_hi is not None:
        lo = np.iinfo(np.int64).min // DAY_NS if bound_lo is None else bound_lo
        hi = np.iinfo(np.int64).max // DAY_NS if bound_hi is None else bound_hi
        if is_dask(tx):
            tx = tx.map_partitions(_inside, datetime_col, lo, hi, meta=tx._meta)
        else:
            tx = _inside(tx, datetime_col, lo, hi)
    if is_dask(tx):
        coh, k, n, t_lo, t_hi = _cells_dask(
            tx, customer_id_col, datetime_col, unit, nan_counts, policy, cal
        )
    else:
        if len(tx) == 0:
            raise InvalidValueError(
                f"no transactions between observation_start={observation_start!r} and "
                f"observation_end={observation_end!r}; pass a wider window."
            )
        coh, k, n, t_lo, t_hi = _cells_pandas(tx, customer_id_col, datetime_col, unit, cal)
    cov = coverage(
        t_lo, t_hi, observation_start=observation_start, observation_end=observation_end, tz=tz
    )
    edges = calendar_ordinals(
        np.array([cov.first_day, cov.last_day], dtype=np.int64) * DAY_NS, unit, cal
    )
    first_ord, last = int(edges[0]), int(edges[1])
    edge_ords = np.unique(edges)
    whole = dict(
        zip(edge_ords.tolist(), complete_mask(edge_ords, unit, cov, cal).tolist(), strict=True)
    )
    records = tuple(
        partial_records(edge_ords, unit, cov, "dropped" if partial == "drop" else "kept", cal)
    )
    cohorts = np.arange(int(coh.min()), int(coh.max()) + 1)
    if partial == "drop":
        if not whole[last]:
            last -= 1
        cohorts = cohorts[cohorts <= last]
        if not whole[first_ord]:
            cohorts = cohorts[cohorts != first_ord]
        cell = np.isin(coh, cohorts) & (coh + k <= last)
        coh, k, n = coh[cell], k[cell], n[cell]
        if cohorts.size == 0 or n.size == 0:
            covered = ", ".join(
                f"{r['period']} ({r['covered_from']} to {r['covered_to']})" for r in records
            )
            raise InvalidValueError(
                f"no whole {unit} period with an acquisition: incomplete period(s) "
                f"{covered} are left out with partial='drop'. Pass partial='keep' to "
                "include them, observation_start/observation_end if the log covers more "
                "days than its first and last purchase, or a shorter period."
            )
    n_k = last - int(cohorts[0]) + 1
    grid = np.zeros((cohorts.size, n_k), dtype=np.float64)
    grid[coh - cohorts[0], k] = n
    sizes = grid[:, 0].copy()
    keep = sizes > 0
    cohorts, grid, sizes = cohorts[keep], grid[keep], sizes[keep]
    unobserved = cohorts[:, None] + np.arange(n_k)[None, :] > last
    grid[unobserved] = np.nan
    index = pd.Index(calendar_labels(cohorts, unit, cal), name="cohort")
    cols_k = pd.RangeIndex(n_k, name="k")
    active = pd.DataFrame(grid, index=index, columns=cols_k)
    retention = pd.DataFrame(grid / sizes[:, None], index=index, columns=cols_k)
    sizes_s = pd.Series(sizes.astype(np.int64), index=index, name="customers")
    for frame in (active, retention, sizes_s):
        frame.attrs["crmkit_partial_periods"] = [dict(r) for r in records]
    return CohortRetention(
        period=unit,
        sizes=sizes_s,
        active=active,
        retention=retention,
        partial_periods=records,
        calendar=cal,
    )
