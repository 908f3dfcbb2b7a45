"""Array core of the survival tables: event counts per (group, time), product-limit
estimate, Greenwood variance and pointwise confidence intervals.

Everything is one sort plus cumulative sums, whatever the number of groups: the rows
are sorted by (group, time), distinct (group, time) pairs become table rows, and
per-group cumulative sums are global cumulative sums minus their value where the group
starts. Cost O(n log n) in the number of customers.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from crmkit.exceptions import InvalidValueError

__all__ = [
    "CiMethod",
    "EventTable",
    "confidence_bounds",
    "event_table",
    "group_cumsum",
    "product_limit",
]

CiMethod: TypeAlias = Literal["log-log", "log", "plain"]
"""Pointwise interval for S(t): ``"log-log"`` (Kalbfleisch & Prentice 2002, lifelines'
"exponential Greenwood"), ``"log"`` (R survival's default) or ``"plain"`` (Greenwood's
normal interval, clipped to [0, 1])."""


@attrs.frozen(kw_only=True)
class EventTable:
    """Counts at every distinct (group, time): the rows of a Kaplan-Meier table."""

    code: NDArray[np.intp]
    time: NDArray[np.float64]
    at_risk: NDArray[np.int64]
    entered: NDArray[np.int64]
    churned: NDArray[np.int64]
    censored: NDArray[np.int64]
    starts: NDArray[np.intp]
    """Index of the first row of each group (groups in code order)."""


def group_cumsum(
    values: NDArray[np.float64], code: NDArray[np.intp], starts: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Cumulative sum of ``values`` restarting at each group's first row.

    ``values`` must be finite (rows are sorted by group, ``starts`` index each group's
    first row, ``code`` is the group of each row).

    Examples
    --------
    >>> import numpy as np
    >>> code = np.array([0, 0, 1, 1, 1])
    >>> group_cumsum(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), code, np.array([0, 2])).tolist()
    [1.0, 3.0, 3.0, 7.0, 12.0]
    """
    total = np.cumsum(values)
    before = total[starts] - values[starts]  # sum of the rows before each group
    out: NDArray[np.float64] = total - before[code]
    return out


def event_table(
    tenure: NDArray[np.float64],
    churned: NDArray[np.bool_],
    entry: NDArray[np.float64] | None,
    codes: NDArray[np.intp],
    n_groups: int,
) -> EventTable:
    """Counts of entries, churns and censorings at every distinct time of each group.

    The risk set at time t holds the customers with entry < t <= tenure; customers who
    enter at their group's first time (time 0 without ``entry``) are at risk from that
    time on, so a churn there counts (lifelines' ``KaplanMeierFitter(entry=)``
    convention). Without ``entry`` every customer enters at time 0.

    Raises
    ------
    InvalidValueError
        If a customer churns at the instant of entry after the group's first time: such
        a churn has no risk set under left truncation.
    """
    n = len(tenure)
    if entry is None:
        # one entry row per group at time 0, weighted by the group's size
        e_code = np.arange(n_groups, dtype=np.intp)
        e_time = np.zeros(n_groups)
        e_count = np.bincount(codes, minlength=n_groups).astype(np.float64)
    else:
        e_code, e_time, e_count = codes, entry, np.ones(n)
    all_code = np.concatenate([codes, e_code])
    all_time = np.concatenate([tenure, e_time])
    if n_groups == 1:
        order = np.argsort(all_time, kind="stable")
    else:
        order = np.lexsort((all_time, all_code))
    s_time = all_time[order]
    s_code = all_code[order]
    new = np.empty(len(order), dtype=np.bool_)
    new[0] = True
    np.not_equal(s_time[1:], s_time[:-1], out=new[1:])
    new[1:] |= s_code[1:] != s_code[:-1]
    row = np.cumsum(new) - 1
    n_rows = int(row[-1]) + 1
    is_exit = order < n
    exit_w = np.where(is_exit, 1.0, 0.0)
    churn_w = np.zeros(len(order))
    churn_w[is_exit] = churned[order[is_exit]]
    enter_w = np.zeros(len(order))
    enter_w[~is_exit] = e_count[order[~is_exit] - n]
    removed = np.bincount(row, weights=exit_w, minlength=n_rows).astype(np.float64)
    deaths = np.bincount(row, weights=churn_w, minlength=n_rows).astype(np.float64)
    entered = np.bincount(row, weights=enter_w, minlength=n_rows).astype(np.float64)
    code = s_code[new]
    time = s_time[new]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    cum_in = group_cumsum(entered, code, starts)
    cum_out_before = group_cumsum(removed, code, starts) - removed
    late = entered.copy()
    late[starts] = 0.0  # entrants at the group's first time are at risk at once
    at_risk = cum_in - cum_out_before - late
    if entry is not None:
        instant = (entry == tenure) & churned & (entry > time[starts][codes])
        if instant.any():
            raise InvalidValueError(
                f"{int(instant.sum()):,} customer(s) churn at the instant they enter "
                "(entry time == tenure) after the earliest entry time; under left "
                "truncation a customer is at risk only after entry, so such a churn has "
                "no risk set. Record the entry before the churn time, or drop those rows "
                "and report that you did."
            )
    return EventTable(
        code=code.astype(np.intp),
        time=time,
        at_risk=np.rint(at_risk).astype(np.int64),
        entered=np.rint(entered).astype(np.int64),
        churned=np.rint(deaths).astype(np.int64),
        censored=np.rint(removed - deaths).astype(np.int64),
        starts=starts.astype(np.intp),
    )


def product_limit(
    at_risk: NDArray[np.float64],
    churned: NDArray[np.float64],
    code: NDArray[np.intp],
    starts: NDArray[np.intp],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Survival ``prod(1 - d/n)`` and Greenwood's sum ``sum d / (n (n - d))`` per group.

    Rows with no churn contribute a factor 1 and a term 0; once every customer at risk
    has churned (d = n) the survival is 0 from there on and the Greenwood term of that
    row is left out (its variance is undefined; the interval there is [0, 0]).
    """
    churn = churned > 0
    zero = churn & (churned >= at_risk)
    ok = churn & ~zero
    log_factor = np.zeros(len(at_risk))
    term = np.zeros(len(at_risk))
    log_factor[ok] = np.log1p(-churned[ok] / at_risk[ok])
    term[ok] = churned[ok] / (at_risk[ok] * (at_risk[ok] - churned[ok]))
    dead = group_cumsum(zero.astype(np.float64), code, starts) > 0
    survival = np.where(dead, 0.0, np.exp(group_cumsum(log_factor, code, starts)))
    return survival, group_cumsum(term, code, starts)


def confidence_bounds(
    survival: NDArray[np.float64],
    greenwood: NDArray[np.float64],
    *,
    level: float,
    ci_method: CiMethod,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pointwise (lower, upper) bounds of S(t) from Greenwood's sum.

    Where S = 1 (no churn yet) both bounds are 1; where S = 0 both are 0.
    """
    z = float(ndtri(0.5 + level / 2.0))
    root = np.sqrt(greenwood)
    inner = (survival > 0) & (survival < 1)
    lower = survival.copy()
    upper = survival.copy()
    s = survival[inner]
    r = root[inner]
    if ci_method == "log-log":
        v = np.log(s)  # the exact expression of lifelines' _bounds, for equal rounding
        lower[inner] = np.exp(-np.exp(np.log(-v) - z * r / v))
        upper[inner] = np.exp(-np.exp(np.log(-v) + z * r / v))
    elif ci_method == "log":
        lower[inner] = s * np.exp(-z * r)
        upper[inner] = np.minimum(1.0, s * np.exp(z * r))
    elif ci_method == "plain":
        lower[inner] = np.maximum(0.0, s - z * s * r)
        upper[inner] = np.minimum(1.0, s + z * s * r)
    else:  # pragma: no cover - checked by the public functions
        raise InvalidValueError(f"unknown ci_method {ci_method!r}")
    return lower, upper
