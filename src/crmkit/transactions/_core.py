"""Array core of the RFM summary: period codes and per-customer reductions in numpy.

Everything here works on plain arrays, with no pandas group-by and no Python loop per
row: customers are dense integer codes ``0..n-1``, time is int64 wall-clock
nanoseconds, and every per-customer quantity is one :func:`numpy.bincount` or one
``np.minimum.at`` / ``np.maximum.at`` pass. Distinct purchase periods and each
customer's first and last period come from one :func:`numpy.sort` of a combined
``customer * span + period`` key; that sort and hashing the ids are the dominant costs.

The same reductions accept rows that were already pre-aggregated per
(customer, period) by an out-of-core engine (dask), with a row count per input row and
separate earliest/latest timestamps, so the pandas and the dask paths share one core.

:func:`distinct_pairs` is the same reduction for callers that need the distinct
(customer, period) keys themselves (the life-cycle stages and cohorts).
"""

from __future__ import annotations

from typing import Final

import attrs
import numpy as np
from numpy.typing import NDArray

from crmkit._validation import overflow_scale
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, elapsed
from crmkit.timeunits._periods import DAY_NS, period_codes, period_start

__all__ = [
    "CustomerAggregates",
    "aggregate",
    "distinct_pairs",
    "period_codes",
    "period_elapsed",
    "period_start",
]

_DENSE_LIMIT: Final = 1 << 27
_INT64_MAX: Final = np.iinfo(np.int64).max
_INT64_MIN: Final = np.iinfo(np.int64).min


def period_elapsed(
    start: NDArray[np.int64], end: NDArray[np.int64], period: TimeUnit, unit: TimeUnit
) -> NDArray[np.float64]:
    """Duration from period ``start`` to period ``end`` (codes) expressed in ``unit``.

    Equal period and unit give the whole number of periods between them; days and
    weeks are exact; otherwise :func:`crmkit.timeunits.elapsed` measures calendar time
    between the periods' first instants.
    """
    if period == unit:
        return (end - start).astype(np.float64)
    s, e = period_start(start, period), period_start(end, period)
    if unit in ("D", "W"):
        out: NDArray[np.float64] = (e - s) / (DAY_NS if unit == "D" else 7 * DAY_NS)
        return out
    return np.asarray(elapsed(s.view("M8[ns]"), e.view("M8[ns]"), unit), dtype=np.float64)


@attrs.frozen(kw_only=True)
class CustomerAggregates:
    """Per-customer reductions, arrays of length ``n_customers`` (private result)."""

    n_periods: NDArray[np.int64]
    first_period: NDArray[np.int64]
    last_period: NDArray[np.int64]
    n_rows: NDArray[np.int64] | None
    total: NDArray[np.float64] | None
    repeat_total: NDArray[np.float64] | None
    first_ns: NDArray[np.int64] | None
    last_ns: NDArray[np.int64] | None


def _distinct_periods(
    cust: NDArray[np.intp], period: NDArray[np.int64], n_customers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct periods, first and last period per customer, from one sort of a key.

    Sorting ``customer * span + period`` groups each customer's periods in order, so the
    unique keys give the count of distinct periods and, at each customer's first and last
    unique key, the first and last period (0 for customers without rows).
    """
    if cust.size == 0:
        zeros = np.zeros(n_customers, dtype=np.int64)
        return zeros, zeros.copy(), zeros.copy()
    pmin = int(period.min())
    span = int(period.max()) - pmin + 1
    if span * max(n_customers, 1) < 2**62:
        key = np.multiply(cust, span, dtype=np.int64)
        key += period
        if pmin:
            key -= pmin
        key.sort()
        new = np.empty(key.size, dtype=bool)
        new[0] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        unique = key[new]
        del key, new
        owners, periods = np.divmod(unique, span)
        periods += pmin
    else:  # pragma: no cover - needs > 2**62 customer-periods; lexsort fallback
        order = np.lexsort((period, cust))
        c, p = cust[order], period[order]
        new = np.ones(c.size, dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
        owners, periods = c[new].astype(np.int64), p[new]
    counts: NDArray[np.int64] = np.bincount(owners, minlength=n_customers).astype(np.int64)
    last_pos = np.cumsum(counts) - 1
    first_pos = last_pos - counts + 1
    has = counts > 0
    first = np.where(has, periods[np.clip(first_pos, 0, periods.size - 1)], 0)
    last = np.where(has, periods[np.clip(last_pos, 0, periods.size - 1)], 0)
    return counts, first, last


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


def aggregate(
    cust: NDArray[np.intp],
    n_customers: int,
    period: NDArray[np.int64],
    *,
    amount: NDArray[np.float64] | None = None,
    row_count: NDArray[np.int64] | None = None,
    first_ns: NDArray[np.int64] | None = None,
    last_ns: NDArray[np.int64] | None = None,
    need_rows: bool = True,
    need_total: bool = True,
) -> CustomerAggregates:
    """Reduce rows (or pre-aggregated customer-period rows) to per-customer arrays.

    Parameters
    ----------
    cust : array of int
        Dense customer code ``0..n_customers-1`` of each row.
    period : array of int64
        Period code of each row (:func:`period_codes`).
    amount : array of float64, optional
        Spend of each row (summed when rows share a period).
    row_count : array of int64, optional
        Number of original transactions each row stands for (1 if omitted).
    first_ns, last_ns : array of int64, optional
        Earliest and latest wall-clock timestamp each row stands for (the same array
        for raw rows); when given, the customers' first/last purchase instants are
        returned too.
    need_rows, need_total : bool
        Skip the row counts / total spend (None in the result) when not wanted.
    """
    n_periods, first_p, last_p = _distinct_periods(cust, period, n_customers)
    n_rows = total = repeat_total = None
    if need_rows and row_count is None:
        n_rows = np.bincount(cust, minlength=n_customers).astype(np.int64)
    elif need_rows:
        n_rows = np.bincount(cust, weights=row_count, minlength=n_customers).astype(np.int64)
    if amount is not None:
        scale = overflow_scale(amount)
        scaled = amount / scale if scale != 1.0 else amount
        if need_total:
            total = np.bincount(cust, weights=scaled, minlength=n_customers).astype(np.float64)
        repeat = period != first_p[cust]
        repeat_total = np.bincount(
            cust[repeat], weights=scaled[repeat], minlength=n_customers
        ).astype(np.float64)
        if scale != 1.0:
            with np.errstate(over="ignore"):
                total = None if total is None else total * scale
                repeat_total = repeat_total * scale
            for sums in (total, repeat_total):
                if sums is not None and not np.isfinite(sums).all():
                    raise InvalidValueError(
                        f"the spend of {int((~np.isfinite(sums)).sum())} customer(s) adds up "
                        "to more than the float range (about 1.8e308); rescale the amounts "
                        "(e.g. to thousands) first."
                    )
    lo = hi = None
    if first_ns is not None and last_ns is not None:
        lo = np.full(n_customers, _INT64_MAX, dtype=np.int64)
        np.minimum.at(lo, cust, first_ns)
        hi = np.full(n_customers, _INT64_MIN, dtype=np.int64)
        np.maximum.at(hi, cust, last_ns)
    return CustomerAggregates(
        n_periods=n_periods,
        first_period=first_p,
        last_period=last_p,
        n_rows=n_rows,
        total=total,
        repeat_total=repeat_total,
        first_ns=lo,
        last_ns=hi,
    )
