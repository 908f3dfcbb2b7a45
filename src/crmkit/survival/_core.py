"""Array core of the survival tables: event counts per (group, time), product-limit
estimate, Greenwood variance and pointwise confidence intervals.

Counts come from plain sorts of each group's tenures, churn times and entry times (no
argsort), distinct values and their counts read off the sorted arrays; the estimate and
Greenwood's sum are per-group cumulative sums over the concatenated groups (global sums
minus their value where each group starts). Cost O(n log n) in the number of customers.
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
    at_risk: NDArray[np.float64]
    entered: NDArray[np.float64]
    churned: NDArray[np.float64]
    censored: NDArray[np.float64]
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


def _distinct(
    times: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distinct values of ``times`` (sorted) and how many customers (or how much weight)
    each holds: a plain sort without weights, an argsort with them."""
    if times.size == 0:
        return times, np.zeros(0)
    if weights is None:
        ordered = np.sort(times)
    else:
        order = np.argsort(times)
        ordered = times[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    if weights is None:
        counts = np.diff(np.r_[first, ordered.size]).astype(np.float64)
    else:
        counts = np.add.reduceat(weights[order], first)
    return ordered[first], counts


def _one_group(
    tenure: NDArray[np.float64],
    churned: NDArray[np.bool_],
    entry: NDArray[np.float64] | None,
    weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
           NDArray[np.float64]]:  # fmt: skip
    """(time, at_risk, entered, churned, removed) of one group."""
    exit_times, exits = _distinct(tenure, weights)
    churn_times, churns = _distinct(tenure[churned], None if weights is None else weights[churned])
    if entry is None:  # everyone enters at 0: the timeline is 0 and the tenures
        zero = int(exit_times[0] > 0)
        time = np.r_[0.0, exit_times] if zero else exit_times
        removed = np.r_[0.0, exits] if zero else exits
        entered = np.zeros(time.size)
        entered[0] = tenure.size if weights is None else weights.sum()
    else:
        entry_times, entries = _distinct(entry, weights)
        time = np.union1d(exit_times, entry_times)
        removed = np.zeros(time.size)
        removed[np.searchsorted(time, exit_times)] = exits
        entered = np.zeros(time.size)
        entered[np.searchsorted(time, entry_times)] = entries
    deaths = np.zeros(time.size)
    deaths[np.searchsorted(time, churn_times)] = churns
    late = entered.copy()
    late[0] = 0.0  # entrants at the group's first time are at risk at once
    at_risk = np.cumsum(entered) - (np.cumsum(removed) - removed) - late
    if entry is not None:
        instant = (entry == tenure) & churned & (entry > time[0])
        if instant.any():
            raise InvalidValueError(
                f"{int(instant.sum()):,} customer(s) churn at the instant they enter "
                "(entry time == tenure) after the earliest entry time; under left "
                "truncation a customer is at risk only after entry, so such a churn has "
                "no risk set. Record the entry before the churn time, or drop those rows "
                "and report that you did."
            )
    return time, at_risk, entered, deaths, removed


def event_table(
    tenure: NDArray[np.float64],
    churned: NDArray[np.bool_],
    entry: NDArray[np.float64] | None,
    codes: NDArray[np.intp],
    n_groups: int,
    weights: NDArray[np.float64] | None = None,
) -> EventTable:
    """Counts of entries, churns and censorings at every distinct time of each group.

    The risk set at time t holds the customers with entry < t <= tenure; customers who
    enter at their group's first time (time 0 without ``entry``) are at risk from that
    time on, so a churn there counts (lifelines' ``KaplanMeierFitter(entry=)``
    convention). Without ``entry`` every customer enters at time 0.

    Counts are customers, or sums of ``weights`` (frequency weights). Cost: three sorts
    of each group's values (tenures, churn times, entry times), argsorts with weights;
    groups are split by one stable sort of their codes and handled in a loop
    of ``n_groups`` steps.

    Raises
    ------
    InvalidValueError
        If a customer churns at the instant of entry after the group's first time: such
        a churn has no risk set under left truncation.
    """
    if n_groups == 1:
        parts = [_one_group(tenure, churned, entry, weights)]
    else:
        small = codes.astype(np.uint16) if n_groups <= 65_536 else codes
        order = np.argsort(small, kind="stable")  # a radix sort for small codes
        bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
        parts = []
        for g in range(n_groups):
            rows = order[bounds[g] : bounds[g + 1]]
            parts.append(
                _one_group(
                    tenure[rows],
                    churned[rows],
                    None if entry is None else entry[rows],
                    None if weights is None else weights[rows],
                )
            )
    sizes = np.array([p[0].size for p in parts])
    code = np.repeat(np.arange(n_groups, dtype=np.intp), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.intp)
    time, at_risk, entered, deaths, removed = (
        np.concatenate([p[i] for p in parts]) for i in range(5)
    )
    return EventTable(
        code=code,
        time=time,
        at_risk=at_risk,
        entered=entered,
        churned=deaths,
        censored=removed - deaths,
        starts=starts,
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
    ratio = np.divide(churned, at_risk, out=np.zeros(len(at_risk)), where=churn)
    zero = ratio >= 1.0
    ok = churn & ~zero
    log_factor = np.log1p(-ratio, out=np.zeros(len(at_risk)), where=ok)
    term = np.divide(ratio, at_risk - churned, out=np.zeros(len(at_risk)), where=ok)
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
