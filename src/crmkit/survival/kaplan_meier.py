"""The Kaplan-Meier (product-limit) estimate of customer survival, with Greenwood errors."""

from __future__ import annotations

from typing import Any, overload

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import check_in_range, check_option, real_array, real_number
from crmkit.exceptions import InvalidValueError
from crmkit.survival._core import CiMethod, confidence_bounds, event_table, product_limit
from crmkit.survival._input import read_survival_data

__all__ = ["KaplanMeier", "kaplan_meier"]

CI_METHODS: tuple[str, ...] = ("log-log", "log", "plain")
_CI_WORDS = {
    "log-log": "log-log (exponential Greenwood)",
    "log": "log",
    "plain": "plain Greenwood",
}
_HALF_SLACK = 1e-12
"""Rounding slack of the median's S(t) <= 0.5 test (a KM product is exact to ~1e-15)."""
_COLUMNS = (
    "at_risk",
    "entered",
    "churned",
    "censored",
    "survival",
    "std_error",
    "lower",
    "upper",
)


@attrs.frozen(kw_only=True, repr=False)
class KaplanMeier(Displayable):
    """A Kaplan-Meier estimate of survival (retention) by tenure, overall or per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct time (tenure or entry time) of each group, indexed by
        ``time`` (and by the group column first, when there are groups), in time order:
        ``at_risk`` (customers at risk just before ``time``), ``entered`` (customers
        whose observation starts at ``time``; everyone at time 0 without an entry
        column), ``churned``, ``censored`` (tenure ends at ``time`` without churn),
        ``survival`` (S(time), right-continuous), ``std_error`` (Greenwood), ``lower``
        and ``upper`` (pointwise bounds at ``level`` by ``ci_method``).
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
    level: float
    ci_method: str
    group_col: str | None
    groups: tuple[Any, ...]
    n_customers: float

    def _group_table(self, group: Any) -> pd.DataFrame:
        if not self.groups:
            if group is not None:
                raise InvalidValueError(
                    f"group={group!r} given, but the estimate has no groups (call "
                    "kaplan_meier(..., group_col=...) to estimate per group)."
                )
            return self.table
        if group is None:
            raise InvalidValueError(
                f"the estimate has {len(self.groups)} groups by {self.group_col!r}; pass "
                f"group= one of {list(self.groups)}."
            )
        try:
            known = group in self.groups
        except (TypeError, ValueError):  # an unhashable or array-valued label
            known = False
        if not known:
            raise InvalidValueError(
                f"group={group!r} is not a group of {self.group_col!r}; the groups are "
                f"{list(self.groups)}."
            )
        part: pd.DataFrame = self.table.loc[group]  # one group's rows, indexed by time
        return part

    @overload
    def survival_at(self, t: float, *, group: Any = None) -> float: ...
    @overload
    def survival_at(self, t: ArrayLike, *, group: Any = None) -> NDArray[np.float64]: ...
    def survival_at(self, t: Any, *, group: Any = None) -> float | NDArray[np.float64]:
        """S(t): the estimate at tenure ``t`` (a step function, right-continuous).

        Before the first time of the table the survival is 1; after the last time it
        stays at its last value (the estimate is not defined there when the last
        customer was censored: read the table's last row).

        Parameters
        ----------
        t : float or array-like of float
            Tenures, in the unit of the tenure column.
        group : object, optional
            The group to read (required when the estimate has groups).

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar ``t``, else an array shaped like ``t``.
        """
        table = self._group_table(group)
        times = table.index.to_numpy(dtype=np.float64)
        survival = table["survival"].to_numpy()
        scalar = np.ndim(t) == 0
        values = (
            np.array([real_number(t, name="t")]) if scalar else real_array(t, name="t").ravel()
        )
        if np.isnan(values).any():
            raise InvalidValueError("t holds NaN; pass tenures as numbers.")
        pos = np.searchsorted(times, values, side="right") - 1
        out = np.where(pos >= 0, survival[np.maximum(pos, 0)], 1.0)
        if scalar:
            return float(out[0])
        return out.reshape(np.shape(t))

    def median_survival(self, *, group: Any = None) -> float:
        """The median tenure: the first time at which S(t) <= 0.5 (``inf`` if none).

        The convention of lifelines' ``median_survival_time_``; R's ``survfit`` takes
        the midpoint when S(t) equals 0.5 exactly over an interval. A product that is
        0.5 in exact arithmetic can round to either side of it, so values within
        ``1e-12`` of 0.5 count as 0.5.

        Parameters
        ----------
        group : object, optional
            The group to read (required when the estimate has groups).
        """
        return _first_at_or_below_half(self._group_table(group), "survival")

    def median_interval(self, *, group: Any = None) -> tuple[float, float]:
        """Confidence interval of the median tenure, at ``level``.

        The times where the pointwise bounds ``lower`` and ``upper`` first reach 0.5
        (Brookmeyer & Crowley 1982, with the bounds of ``ci_method``; lifelines'
        ``median_survival_times(confidence_interval_)``); ``inf`` where a bound never
        does.

        Parameters
        ----------
        group : object, optional
            The group to read (required when the estimate has groups).
        """
        table = self._group_table(group)
        return (
            _first_at_or_below_half(table, "lower"),
            _first_at_or_below_half(table, "upper"),
        )

    @property
    def summary(self) -> pd.DataFrame:
        """Per group (one row ``"all"`` without groups): ``n_customers``, ``churned``,
        ``censored`` (sums of weights with ``weights_col``), ``median_survival`` with
        its interval ``median_lower`` / ``median_upper`` (:meth:`median_interval`),
        ``last_time`` and ``survival_last`` (S at the last time)."""
        labels = self.groups or ("all",)
        rows = []
        for label in labels:
            part = self._group_table(label if self.groups else None)
            rows.append(
                {
                    "n_customers": part["churned"].sum() + part["censored"].sum(),
                    "churned": part["churned"].sum(),
                    "censored": part["censored"].sum(),
                    "median_survival": _first_at_or_below_half(part, "survival"),
                    "median_lower": _first_at_or_below_half(part, "lower"),
                    "median_upper": _first_at_or_below_half(part, "upper"),
                    "last_time": float(part.index[-1]),
                    "survival_last": float(part["survival"].iloc[-1]),
                }
            )
        return pd.DataFrame(rows, index=pd.Index(labels, name=self.group_col or "group"))

    def to_frame(self) -> pd.DataFrame:
        """The table as a tidy frame (a copy): the index levels become columns."""
        return self.table.reset_index()

    def _display(self) -> Display:
        by = f", {len(self.groups)} groups by {self.group_col!r}" if self.groups else ""
        shown = ["n_customers", "churned", "median_survival", "median_lower", "median_upper",
                 "survival_last"]  # fmt: skip
        columns, rows, note = frame_rows(self.summary[shown])
        return Display(
            f"Kaplan-Meier estimate on {fmt_number(self.n_customers)} customers{by}",
            [
                f"{fmt_number(self.level * 100)}% pointwise intervals: "
                f"{_CI_WORDS[self.ci_method]}; {len(self.table):,} table rows"
            ],
            columns,
            rows,
            [note],
        )


def _first_at_or_below_half(table: pd.DataFrame, column: str) -> float:
    below = np.flatnonzero(table[column].to_numpy() <= 0.5 + _HALF_SLACK)
    return float(table.index[below[0]]) if below.size else float("inf")


def _shown_counts(
    counts: list[NDArray[np.float64]], *, weighted: bool
) -> list[NDArray[np.float64]] | list[NDArray[np.int64]]:
    """Counts as integers for whole customers, as they are (floats) for weighted rows."""
    if weighted:
        return counts
    return [np.rint(c).astype(np.int64) for c in counts]


def _total(weights: NDArray[np.float64] | None, n_rows: int) -> float:
    return float(n_rows) if weights is None else float(weights.sum())


def _group_index(
    groups: tuple[Any, ...], code: NDArray[np.intp], time: NDArray[np.float64], *, names: list[Any]
) -> pd.MultiIndex:
    """(group, time) index built from codes (no hashing of a million labels)."""
    times, time_code = np.unique(time, return_inverse=True)
    # pandas-stubs type levels and codes as Python sequences; arrays are what pandas
    # itself stores, and copying a million codes into lists would defeat the purpose
    levels: Any = [pd.Index(list(groups), dtype=object), pd.Index(times)]
    codes: Any = [code, time_code.ravel()]
    return pd.MultiIndex(levels=levels, codes=codes, names=names, verify_integrity=False)


def kaplan_meier(
    data: pd.DataFrame,
    /,
    *,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    group_col: str | None = None,
    weights_col: str | None = None,
    level: float = 0.95,
    ci_method: CiMethod = "log-log",
) -> KaplanMeier:
    r"""Kaplan-Meier estimate of survival by tenure, with Greenwood standard errors.

    .. math::

        \hat S(t) = \prod_{t_i \le t} \Bigl(1 - \frac{d_i}{n_i}\Bigr), \qquad
        \widehat{\operatorname{Var}}\,\hat S(t) = \hat S(t)^2
        \sum_{t_i \le t} \frac{d_i}{n_i (n_i - d_i)}

    with :math:`d_i` churns at time :math:`t_i` and :math:`n_i` customers at risk just
    before it (Kaplan & Meier 1958, eq. 2a; Greenwood 1926). The default interval is the
    log-log ("exponential Greenwood") one, :math:`\hat S^{\exp(\pm z\,\sigma/\log\hat S)}`
    with :math:`\sigma^2` Greenwood's sum (Kalbfleisch & Prentice 2002, sec. 1.4),
    which stays inside [0, 1]; it equals lifelines' ``KaplanMeierFitter``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer. Not modified.
    tenure_col : str, default "tenure"
        Time observed until churn or until the end of observation (censoring), >= 0,
        in any unit (months for contracts). lifelines calls it ``duration_col``.
    churned_col : str, default "churned"
        Boolean (or 0/1) column: True if the tenure ended in churn, False if the
        customer was still active (censored). Text columns are refused: build the flag
        with ``frame["Churn"] == "Yes"``. lifelines calls it ``event_col``.
    entry_col : str, optional
        Left truncation (delayed entry): the tenure at which observation of the customer
        starts, <= tenure (customers who joined before the data begin). A customer is
        at risk at t when entry < t <= tenure; those entering at the first time of their
        group are at risk from it (lifelines' ``entry=`` convention).
    group_col : str, optional
        Estimate separately per value of this column (e.g. the contract type).
    weights_col : str, optional
        Frequency weights: how many customers each row stands for (finite, >= 0), for
        aggregated data such as one row per (tenure, churned) with a count. The counts
        of ``table`` are then sums of weights (floats); rows of weight 0 stand for no
        customer and are left out (a group holding only such rows too); lifelines'
        ``weights=``.
    level : float, default 0.95
        Confidence level of the pointwise intervals, in (0, 1).
    ci_method : {"log-log", "log", "plain"}, default "log-log"
        ``"log"`` is R survival's default (:math:`\hat S e^{\pm z\sigma}`, capped at 1);
        ``"plain"`` is :math:`\hat S (1 \pm z \sigma)` clipped to [0, 1].

    Returns
    -------
    KaplanMeier
        ``table`` per (group,) time; ``survival_at``, ``median_survival``,
        ``median_interval``, ``summary``.

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For missing values, negative or non-finite times, a churn column that is not
        boolean or 0/1, a bad ``level`` or ``ci_method``, or a churn at the instant of a
        late entry.
    InvariantError
        If an entry time is after the tenure.

    Notes
    -----
    Where every customer at risk churns the estimate drops to 0; Greenwood's variance
    is undefined there and the row's ``std_error``, ``lower`` and ``upper`` are 0
    (lifelines reports NaN bounds filled with 1). Where no one has churned yet the
    bounds are 1.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *J. American Statistical Association* 53(282), 457-481.
    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health and
    Medical Subjects* 33, 1-26. Kalbfleisch, J. D., & Prentice, R. L. (2002). *The
    Statistical Analysis of Failure Time Data*, 2nd ed., Wiley. Brookmeyer, R., &
    Crowley, J. (1982). A confidence interval for the median survival time.
    *Biometrics* 38(1), 29-41.

    Examples
    --------
    Four customers: churns at months 2 and 5, censorings at 3 and 5.

    >>> import pandas as pd
    >>> from crmkit.survival import kaplan_meier
    >>> df = pd.DataFrame({"tenure": [2, 3, 5, 5], "churned": [True, False, True, False]})
    >>> km = kaplan_meier(df)
    >>> km.table[["at_risk", "churned", "censored", "survival"]]
          at_risk  churned  censored  survival
    time
    0.0         4        0         0     1.000
    2.0         4        1         0     0.750
    3.0         3        0         1     0.750
    5.0         2        1         1     0.375
    >>> km.survival_at(4.5), km.median_survival()
    (0.75, 5.0)
    """
    survival_data = read_survival_data(
        data,
        tenure_col=tenure_col,
        churned_col=churned_col,
        entry_col=entry_col,
        group_col=group_col,
        weights_col=weights_col,
    )
    level = check_in_range(level, name="level", low=0, high=1, low_inclusive=False,
                           high_inclusive=False)  # fmt: skip
    method: CiMethod = check_option(ci_method, CI_METHODS, name="ci_method")
    n_groups = max(len(survival_data.groups), 1)
    events = event_table(
        survival_data.tenure,
        survival_data.churned,
        survival_data.entry,
        survival_data.codes,
        n_groups,
        survival_data.weights,
    )
    survival, greenwood = product_limit(events.at_risk, events.churned, events.code, events.starts)
    counts = _shown_counts(
        [events.at_risk, events.entered, events.churned, events.censored],
        weighted=survival_data.weights is not None,
    )
    lower, upper = confidence_bounds(survival, greenwood, level=level, ci_method=method)
    time = pd.Index(events.time, name="time")
    if survival_data.groups:
        index: pd.Index[Any] = _group_index(survival_data.groups, events.code, events.time,
                                            names=[group_col, "time"])  # fmt: skip
    else:
        index = time
    table = pd.DataFrame(
        {
            "at_risk": counts[0],
            "entered": counts[1],
            "churned": counts[2],
            "censored": counts[3],
            "survival": survival,
            "std_error": survival * np.sqrt(greenwood),
            "lower": lower,
            "upper": upper,
        },
        index=index,
        columns=list(_COLUMNS),
    )
    return KaplanMeier(
        table=table,
        level=level,
        ci_method=method,
        group_col=group_col,
        groups=survival_data.groups,
        n_customers=_total(survival_data.weights, len(survival_data.tenure)),
    )
