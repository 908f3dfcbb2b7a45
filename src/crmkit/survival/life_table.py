"""Life tables: churn hazard, retention and survival per tenure period."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import check_in_range, check_option, real_array, real_number
from crmkit.exceptions import InvalidValueError
from crmkit.survival._core import CiMethod, confidence_bounds, product_limit
from crmkit.survival._input import read_survival_data
from crmkit.survival.kaplan_meier import CI_METHODS, _group_index, _shown_counts, _total

__all__ = ["LifeTable", "life_table"]

Censoring: TypeAlias = Literal["end", "half"]
_CENSORING = ("end", "half")


@attrs.frozen(kw_only=True, repr=False)
class LifeTable(Displayable):
    """Churn hazard, retention and survival per tenure period, overall or per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period with customers at risk, indexed by ``start`` (and by the
        group column first, when there are groups): ``end`` (the period is
        [start, end)), ``at_risk`` (customers at risk at the start), ``churned``,
        ``censored`` (tenure ends in the period without churn), ``exposed`` (the
        denominator of the hazard: ``at_risk``, or ``at_risk - censored / 2`` with
        ``censoring="half"``), ``hazard`` (churned / exposed), ``retention``
        (1 - hazard), ``survival`` (share still active at the period's end),
        ``std_error`` (Greenwood), ``lower`` and ``upper``.
    censoring : str
        ``"end"`` or ``"half"`` (actuarial).
    level : float
        Confidence level of ``lower`` / ``upper``.
    ci_method : str
        ``"log-log"``, ``"log"`` or ``"plain"``.
    group_col : str or None
        The column the customers were grouped by.
    groups : tuple
        The group labels in table order (``()`` without groups).
    n_customers : float
        Customers in the data (the sum of the weights with ``weights_col``).
    """

    table: pd.DataFrame = attrs.field(eq=False)
    censoring: str
    level: float
    ci_method: str
    group_col: str | None
    groups: tuple[Any, ...]
    n_customers: float

    def to_frame(self) -> pd.DataFrame:
        """The table as a tidy frame (a copy): the index levels become columns."""
        return self.table.reset_index()

    def _display(self) -> Display:
        by = f", {len(self.groups)} groups by {self.group_col!r}" if self.groups else ""
        shown = self.table[["end", "at_risk", "churned", "censored", "hazard", "survival"]]
        columns, rows, note = frame_rows(shown)
        word = "censored at period end" if self.censoring == "end" else "actuarial (half)"
        return Display(
            f"Life table on {fmt_number(self.n_customers)} customers{by}",
            [
                f"{len(self.table):,} periods; censoring: {word}; "
                f"{fmt_number(self.level * 100)}% intervals: {self.ci_method}"
            ],
            columns,
            rows,
            [note],
        )


def _breaks(breaks: ArrayLike, largest: float) -> NDArray[np.float64]:
    if np.ndim(breaks) == 0:
        width = check_in_range(real_number(breaks, name="breaks"), name="breaks", low=0,
                               low_inclusive=False)  # fmt: skip
        count = int(np.floor(largest / width)) + 2
        if (count - 1) * width <= largest:  # the division rounded down at a boundary
            count += 1
        if count > 10_000_000:
            raise InvalidValueError(
                f"breaks={breaks!r} cuts tenures up to {largest:g} into {count:,} periods; "
                "pass a wider period."
            )
        return np.arange(count, dtype=np.float64) * width
    edges = real_array(breaks, name="breaks").ravel()
    if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise InvalidValueError(
            f"breaks must be a period width > 0 or at least two finite increasing "
            f"boundaries; got {edges.tolist()[:6]}."
        )
    return edges


def _period_of(
    tenure: NDArray[np.float64], edges: NDArray[np.float64], breaks: ArrayLike
) -> NDArray[np.intp]:
    """Index j of the period [b_j, b_j+1) holding each tenure."""
    if np.ndim(breaks) != 0:
        found: NDArray[np.intp] = np.searchsorted(edges, tenure, side="right") - 1
        return found
    # equal widths: divide, then correct the rounding at a boundary (O(n), no search);
    # edges[k] is k * width computed the same way, so the comparisons are exact
    width = edges[1]
    last = float(len(edges) - 2)
    guess = np.clip(np.floor(tenure / width), 0.0, last)
    guess -= guess * width > tenure
    guess += ((guess + 1.0) * width <= tenure) & (guess < last)
    out: NDArray[np.intp] = guess.astype(np.intp)
    return out


def _arrival_period(
    entry: NDArray[np.float64],
    tenure: NDArray[np.float64],
    churned: NDArray[np.bool_],
    period: NDArray[np.intp],
    codes: NDArray[np.intp],
    edges: NDArray[np.float64],
) -> NDArray[np.intp]:
    """The first period each customer is at risk in: the one starting at the entry time
    for those entering at their group's first entry time, the next one for later
    entrants (at risk only after entry, as in :func:`kaplan_meier`)."""
    n_periods = len(edges) - 1
    boundary = np.searchsorted(edges, entry, side="left")
    off = edges[np.minimum(boundary, n_periods)] != entry
    if off.any():
        raise InvalidValueError(
            f"{int(off.sum()):,} entry time(s) lie inside a period (e.g. "
            f"{entry[off][:3].tolist()}); a life table counts customers from a period's "
            "start. Round the entry times up to a boundary, or pass breaks that include "
            "them."
        )
    first = pd.Series(entry).groupby(codes).min().to_numpy()[codes]
    arrive: NDArray[np.intp] = boundary + (entry > first).astype(np.intp)
    inside = (period < arrive) & ((entry < tenure) | churned)
    if inside.any():
        raise InvalidValueError(
            f"{int(inside.sum()):,} customer(s) enter after their group's first entry "
            "time and leave before the next period starts (e.g. entry "
            f"{entry[inside][:3].tolist()}, tenure {tenure[inside][:3].tolist()}); a life "
            "table counts a late entrant from the period after its entry, as Kaplan-Meier "
            "counts them only after entry. Pass narrower breaks, or use kaplan_meier."
        )
    return arrive


def life_table(
    data: pd.DataFrame,
    /,
    *,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    group_col: str | None = None,
    weights_col: str | None = None,
    breaks: ArrayLike = 1.0,
    censoring: Censoring = "end",
    level: float = 0.95,
    ci_method: CiMethod = "log-log",
) -> LifeTable:
    r"""A life table: churn hazard, retention and survival per tenure period.

    Period :math:`j` is :math:`[b_j, b_{j+1})`; a customer whose tenure falls in it and
    who churned counts as a churn of period :math:`j`, one who did not as censored in
    it. With :math:`n_j` customers at risk at the period's start and :math:`d_j` churns,

    .. math::

        h_j = \frac{d_j}{n'_j}, \qquad S_j = \prod_{k \le j} (1 - h_k), \qquad
        \widehat{\operatorname{Var}}\,S_j = S_j^2 \sum_{k \le j}
        \frac{d_k}{n'_k (n'_k - d_k)}

    where :math:`n'_j = n_j` with ``censoring="end"`` (the censored count as at risk for
    the whole period: the discrete-time hazard of contractual settings, where a
    customer's status is known at each renewal) and :math:`n'_j = n_j - c_j / 2` with
    ``censoring="half"`` (the actuarial adjustment: censorings spread evenly over the
    period; Cutler & Ederer 1958). With whole-number tenures, ``breaks=1`` and
    ``censoring="end"``, ``survival`` equals the Kaplan-Meier estimate at each period's
    start time (:func:`crmkit.survival.kaplan_meier`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer. Not modified.
    tenure_col, churned_col, entry_col, group_col, weights_col : str
        As in :func:`crmkit.survival.kaplan_meier`. With ``entry_col``, entry times must
        lie on the period boundaries; a customer who enters at the group's first entry
        time is at risk from the period starting there, a later entrant from the next
        period (at risk only after entry, the Kaplan-Meier convention, and the
        contractual one: entry e means more than e periods survived). A late entrant
        whose tenure equals its entry time is observed for no time and counts nowhere.
    breaks : float or sequence of float, default 1.0
        A period width (periods [0, w), [w, 2w), ... covering every tenure), or the
        boundaries :math:`b_0 < b_1 < \dots` with :math:`b_0 \le` every tenure and entry
        and the last one > every tenure.
    censoring : {"end", "half"}, default "end"
        How censored customers count in their last period (see above).
    level : float, default 0.95
        Confidence level of ``lower`` / ``upper``.
    ci_method : {"log-log", "log", "plain"}, default "log-log"
        As in :func:`crmkit.survival.kaplan_meier`.

    Returns
    -------
    LifeTable
        Periods with nobody at risk are left out of ``table``.

    Raises
    ------
    MissingColumnsError, InvalidValueError, InvariantError
        As :func:`crmkit.survival.kaplan_meier`; also for boundaries that do not cover
        the tenures or entry times off the boundaries.

    References
    ----------
    Cutler, S. J., & Ederer, F. (1958). Maximum utilization of the life table method in
    analyzing survival. *J. Chronic Diseases* 8(6), 699-712. Greenwood, M. (1926). The
    natural duration of cancer. *Reports on Public Health and Medical Subjects* 33.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.survival import life_table
    >>> df = pd.DataFrame({"tenure": [0, 1, 1, 2, 3, 3], "churned": [0, 1, 0, 1, 0, 1]})
    >>> life_table(df).table[["at_risk", "churned", "censored", "hazard", "survival"]]
           at_risk  churned  censored  hazard  survival
    start
    0.0          6        0         1   0.000     1.000
    1.0          5        1         1   0.200     0.800
    2.0          3        1         0   0.333     0.533
    3.0          2        1         1   0.500     0.267
    """
    survival_data = read_survival_data(
        data,
        tenure_col=tenure_col,
        churned_col=churned_col,
        entry_col=entry_col,
        group_col=group_col,
        weights_col=weights_col,
    )
    mode: Censoring = check_option(censoring, _CENSORING, name="censoring")
    level = check_in_range(level, name="level", low=0, high=1, low_inclusive=False,
                           high_inclusive=False)  # fmt: skip
    method: CiMethod = check_option(ci_method, CI_METHODS, name="ci_method")
    tenure, churned, entry = survival_data.tenure, survival_data.churned, survival_data.entry
    edges = _breaks(breaks, float(tenure.max()))
    lowest = float(tenure.min()) if entry is None else float(entry.min())
    if edges[0] > lowest or edges[-1] <= tenure.max():
        raise InvalidValueError(
            f"breaks from {edges[0]:g} to {edges[-1]:g} do not cover the data (times from "
            f"{lowest:g} to {tenure.max():g}); the first boundary must be <= every time and "
            "the last > every tenure."
        )
    n_periods = len(edges) - 1
    n_groups = max(len(survival_data.groups), 1)
    period = _period_of(tenure, edges, breaks)
    cell = survival_data.codes * n_periods + period
    size = n_groups * n_periods
    w = survival_data.weights
    one = np.ones(len(tenure)) if w is None else w
    shape = (n_groups, n_periods)
    if entry is None:
        arrive = np.zeros(len(tenure), dtype=np.intp)
    else:
        arrive = _arrival_period(entry, tenure, churned, period, survival_data.codes, edges)
        one = np.where(arrive > period, 0.0, one)  # entry == tenure: observed for no time
        arrive = np.minimum(arrive, n_periods - 1)  # (those may point past the last period)
    leaving = np.bincount(cell, weights=one, minlength=size).reshape(shape).astype(np.float64)
    churns = np.bincount(cell, weights=one * churned, minlength=size).astype(np.float64)
    churns = churns.reshape(shape)
    arriving = (
        np.bincount(survival_data.codes * n_periods + arrive, weights=one, minlength=size)
        .reshape(shape)
        .astype(np.float64)
    )
    # at risk in period j: arrived in period j or before, not left before b_j
    at_risk = np.cumsum(arriving, axis=1) - (np.cumsum(leaving, axis=1) - leaving)
    censored = leaving - churns
    keep = at_risk > 0
    code_grid = np.broadcast_to(np.arange(n_groups)[:, None], keep.shape)
    code = code_grid[keep].astype(np.intp)
    n = at_risk[keep]
    d = churns[keep]
    c = censored[keep]
    exposed = n - c / 2.0 if mode == "half" else n
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]).astype(np.intp)
    survival, greenwood = product_limit(exposed, d, code, starts)
    lower, upper = confidence_bounds(survival, greenwood, level=level, ci_method=method)
    hazard = d / exposed  # exposed >= at_risk / 2 > 0 on every kept row
    start = np.broadcast_to(edges[:-1], keep.shape)[keep]
    if survival_data.groups:
        index: pd.Index[Any] = _group_index(survival_data.groups, code, start,
                                            names=[group_col, "start"])  # fmt: skip
    else:
        index = pd.Index(start, name="start")
    counts = _shown_counts([n, d, c], weighted=w is not None)
    table = pd.DataFrame(
        {
            "end": np.broadcast_to(edges[1:], keep.shape)[keep],
            "at_risk": counts[0],
            "churned": counts[1],
            "censored": counts[2],
            "exposed": exposed,
            "hazard": hazard,
            "retention": 1.0 - hazard,
            "survival": survival,
            "std_error": survival * np.sqrt(greenwood),
            "lower": lower,
            "upper": upper,
        },
        index=index,
    )
    return LifeTable(
        table=table,
        censoring=mode,
        level=level,
        ci_method=method,
        group_col=group_col,
        groups=survival_data.groups,
        n_customers=_total(survival_data.weights, len(tenure)),
    )
