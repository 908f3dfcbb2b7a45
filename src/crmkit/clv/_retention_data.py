"""Contractual (subscription) observations reduced to counts per period.

Every contractual model in :mod:`crmkit.clv` (sBG, BdW, the geometric limit) has a
likelihood that depends on the data only through three counts per whole period t:

* ``churned[t]`` -- customers who cancelled in period t (they paid t periods, T = t);
* ``active[t]`` -- customers still active after t renewal decisions (T > t, right-censored);
* ``entered[e]`` -- customers observed only from e survived periods on (T > e is known
  before observation starts: left truncation, or delayed entry).

The log-likelihood is then

.. math::

    \\ell = \\sum_t \\mathrm{churned}_t \\ln P(T=t) + \\sum_t \\mathrm{active}_t \\ln S(t)
    - \\sum_e \\mathrm{entered}_e \\ln S(e),

which is additive, so survivor tables of cohorts and individual rows reduce to the same
three arrays, and millions of customers cost what the longest tenure costs.

Two input shapes are read:

* **cohort survivor tables** -- n_0, n_1, ..., n_k customers alive at the start of each
  period, one series per cohort (the data of Fader & Hardie 2007);
* **individual rows** -- one row per customer with a tenure in whole periods, whether
  the customer has churned, and optionally the tenure at which observation started.

For individual rows the meaning of an active customer's tenure must be stated, because
it moves the estimates (one renewal more or less per censored customer):

* ``tenure_counts="completed"`` -- tenure counts completed periods: an active customer
  with tenure t has made t renewals (T > t), a churned one cancelled at the end of
  period t (T = t);
* ``tenure_counts="started"`` -- tenure counts started (paid) periods, the current one
  included: an active customer with tenure t is in period t and has made t - 1 renewals
  (T > t - 1), a churned one cancelled in period t (T = t).

The entry tenure (left truncation) is read with the same convention. An active customer
with tenure 0 (signed up, no period completed) has made no renewal decision under either
reading: the row is counted in ``n_customers`` and adds nothing to the likelihood.

Example: a monthly subscriber who paid for January, February and March and is still
active in March has tenure 2 when tenure counts completed months (renewed twice: T > 2)
and 3 when it counts started months (also T > 2). If the data are "started" but are read
as "completed", every active customer gets one renewal too many and retention looks
better than it is.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import real_array, require_columns, require_nonempty
from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError
from crmkit.survival._input import read_churn_flags, read_times, read_weights

__all__ = [
    "RenewalClock",
    "RetentionCounts",
    "TenureCounts",
    "counts_from_individual",
    "counts_from_survivors",
    "individual_clock",
    "retention_counts",
]

_F = NDArray[np.float64]
TenureCounts = Literal["completed", "started"]
_TENURE_COUNTS = ("completed", "started")
# Longest tenure accepted, in contract periods: the counts are dense arrays indexed by
# period, so a tenure in days or seconds by mistake (1e9) would allocate gigabytes. A
# million periods is over 80,000 years of monthly contracts.
_MAX_PERIODS = 1_000_000


@attrs.frozen(kw_only=True)
class RetentionCounts:
    """Churned, active and entered customers per whole period (index = period t).

    All three arrays have the same length K + 1 (K = longest tenure), ``churned[0]``
    is 0 (nobody cancels before their first period ends) and ``entered[0]`` is 0
    (entering at 0 survived periods is no truncation).
    """

    churned: _F = attrs.field(eq=False)
    active: _F = attrs.field(eq=False)
    entered: _F = attrs.field(eq=False)
    n_customers: int
    n_rows: int

    @property
    def max_period(self) -> int:
        """K: the longest tenure observed (churned or active)."""
        return int(self.churned.size - 1)

    @property
    def periods(self) -> _F:
        """0, 1, ..., K as floats."""
        return np.arange(self.churned.size, dtype=np.float64)

    @property
    def truncated(self) -> bool:
        """True if some customers enter observation late (left truncation)."""
        return bool(np.any(self.entered > 0))

    def at_risk(self) -> _F:
        """Customers at risk of cancelling in period t (index t; ``at_risk[0]`` is 0).

        Everyone who has survived t - 1 renewals, has not left the data before t, and
        entered observation with at most t - 1 survived periods.
        """
        k = self.churned.size
        leave = np.zeros(k + 1)
        leave[1:] = self.churned + self.active  # leaving the risk set after period t
        # at risk in period t: entered with e <= t - 1 (entry at 0 for the untruncated)
        starts = self.entered.copy()
        starts[0] = self.n_customers - float(self.entered[1:].sum())
        cum_in = np.cumsum(starts)  # entered with e <= index
        cum_out = np.cumsum(leave)[:k]  # churned at <= t-1 or censored at <= t-1
        out = np.zeros(k)
        out[1:] = cum_in[:-1] - cum_out[1:]
        return out

    def renewal_decisions(self) -> float:
        """Renewal decisions observed (periods at risk), after any left truncation.

        Raises
        ------
        InvalidValueError
            If there is none (every customer active at tenure 0, or entered at their
            tenure): no churn probability can be estimated from such data.
        """
        t = self.periods
        decisions = float(t @ self.churned + t @ self.active - t @ self.entered)
        if decisions <= 0:
            raise InvalidValueError(
                f"the data hold no renewal decision ({self.n_customers} customers, none "
                "observed past the start of their first period): the churn probability "
                "cannot be estimated. Observe the customers for at least one period."
            )
        return decisions

    def geometric_churn(self) -> float | None:
        """Maximum-likelihood churn probability if everyone churns alike (geometric).

        Churners over renewal decisions observed; ``None`` if no decision was observed.
        """
        t = self.periods
        decisions = float(t @ self.churned + t @ self.active - t @ self.entered)
        return float(self.churned.sum()) / decisions if decisions > 0 else None


def _build(churned: _F, active: _F, entered: _F, n_rows: int) -> RetentionCounts:
    size = max(churned.size, active.size, entered.size)
    out = []
    for arr in (churned, active, entered):
        full = np.zeros(size)
        full[: arr.size] = arr
        out.append(full)
    n_customers = round(float(out[0].sum() + out[1].sum()))
    return RetentionCounts(
        churned=out[0], active=out[1], entered=out[2], n_customers=n_customers, n_rows=n_rows
    )


def _survivor_series(
    data: pd.DataFrame | ArrayLike,
    *,
    period_col: str,
    n_alive_col: str,
    cohort_col: str | None,
) -> list[_F]:
    """Return one array of survivor counts n_0, n_1, ..., n_k per cohort."""
    if not isinstance(data, pd.DataFrame):
        arr = real_array(data, name="survivors")
        if arr.ndim != 1:
            raise InvalidValueError(
                "survivors must be a 1-d sequence n_0, n_1, ... of customers alive at each "
                "period start, or a DataFrame with period and n_alive columns."
            )
        series = [arr]
    else:
        needed = [period_col, n_alive_col] + ([cohort_col] if cohort_col is not None else [])
        require_columns(data, needed)
        require_nonempty(data, name="the survivor table")
        if data[needed].isna().to_numpy().any():
            raise InvalidValueError("the survivor table has missing values; fill or drop them.")
        groups = data.groupby(cohort_col, sort=True) if cohort_col is not None else [(None, data)]
        series = []
        for key, grp in groups:
            grp = grp.sort_values(period_col)
            per = grp[period_col].to_numpy(dtype=np.float64)
            if not np.array_equal(per, np.arange(per.size)):
                where = f" of cohort {_label(key)!r}" if cohort_col is not None else ""
                raise InvalidValueError(
                    f"periods{where} must be 0, 1, ..., k without gaps (period 0 = cohort size); "
                    f"got {per[:8].tolist()}."
                )
            series.append(grp[n_alive_col].to_numpy(dtype=np.float64))
    for s in series:
        if s.size < 2:
            raise InvalidValueError(
                "each cohort needs its size at period 0 and at least one later count."
            )
        if not np.all(np.isfinite(s)) or np.any(s < 0) or np.any(s != np.round(s)):
            raise InvalidValueError(f"survivor counts must be whole numbers >= 0, got {s[:8]}.")
        if s[0] <= 0:
            raise InvalidValueError("the cohort size (count at period 0) must be > 0.")
        if np.any(np.diff(s) > 0):
            raise InvariantError(
                f"survivor counts must not increase over time (customers cannot come back "
                f"into a cohort), got {s[:8].tolist()}."
            )
    return series


def counts_from_survivors(
    data: pd.DataFrame | ArrayLike,
    *,
    period_col: str = "period",
    n_alive_col: str = "n_alive",
    cohort_col: str | None = None,
) -> RetentionCounts:
    """Counts per period from survivor tables n_0, n_1, ..., n_k of one or more cohorts.

    Examples
    --------
    >>> c = counts_from_survivors([1000, 631, 468])
    >>> c.churned.tolist(), c.active.tolist(), c.n_customers
    ([0.0, 369.0, 163.0], [0.0, 0.0, 468.0], 1000)
    """
    series = _survivor_series(
        data, period_col=period_col, n_alive_col=n_alive_col, cohort_col=cohort_col
    )
    k_max = max(s.size for s in series) - 1
    churned = np.zeros(k_max + 1)
    active = np.zeros(k_max + 1)
    for s in series:
        churned[1 : s.size] += -np.diff(s)
        active[s.size - 1] += s[-1]
    n_rows = int(np.count_nonzero(churned) + np.count_nonzero(active))
    return _build(churned, active, np.zeros(k_max + 1), n_rows)


def _label(value: object) -> object:
    """A value for a message: numpy scalars as the Python number they hold (5, not
    np.int64(5) or 5.0)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _whole_periods(frame: pd.DataFrame, col: str) -> NDArray[np.int64]:
    # gaps, text, negative and non-finite values: the survival tables' reader, so both
    # tools refuse the same inputs with the same words; whole periods are this reader's
    arr = read_times(frame, col, "whole contract periods")
    bad = arr != np.round(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"column {col!r} must hold whole numbers of periods; found {_label(arr[i])!r} "
            f"at index {_label(frame.index[i])!r} ({int(bad.sum()):,} such row(s)). Convert "
            "durations to whole contract periods first (e.g. months as integers)."
        )
    return arr.astype(np.int64)


def _churn_flags(frame: pd.DataFrame, col: str) -> NDArray[np.bool_]:
    return read_churn_flags(frame, col)


@attrs.frozen(kw_only=True)
class RenewalClock:
    """One row per customer on the clock of the contractual models (all checked).

    ``periods`` is T = t for a churned customer (cancelled in period t) and the number
    of renewals made (T > periods) for an active one; ``entered`` the renewals known to
    have been made before observation started (0 without left truncation); ``weight``
    how many customers the row stands for.
    """

    periods: NDArray[np.int64] = attrs.field(eq=False)
    churned: NDArray[np.bool_] = attrs.field(eq=False)
    entered: NDArray[np.int64] = attrs.field(eq=False)
    weight: _F = attrs.field(eq=False)


def individual_clock(
    data: pd.DataFrame,
    *,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    tenure_counts: TenureCounts | None = None,
    weights_col: str | None = None,
) -> RenewalClock:
    """Check one-row-per-customer data and put every row on the renewal clock.

    The single home of the ``tenure_counts`` rule: a churned customer with tenure t has
    T = t under both readings; an active one has made t renewals (``"completed"``) or
    t - 1 (``"started"``); the entry tenure shifts the same way. Parameters as in
    :func:`counts_from_individual`.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"tenure": [1, 3], "churned": [True, False]})
    >>> individual_clock(rows, tenure_counts="started").periods.tolist()
    [1, 2]
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidValueError(
            f"individual retention data must be a pandas DataFrame with one row per "
            f"customer, got {type(data).__name__}."
        )
    if tenure_counts is None:
        raise InvalidValueError(
            "tenure_counts is required for one-row-per-customer data: pass "
            "tenure_counts='completed' if an active customer with tenure t has renewed t "
            "times (tenure = completed periods), or 'started' if t - 1 times (tenure = "
            "periods paid, the current one included). The two readings give different fits."
        )
    if tenure_counts not in _TENURE_COUNTS:
        raise InvalidValueError(
            f"tenure_counts={tenure_counts!r} is not one of 'completed', 'started'."
        )
    needed = [tenure_col, churned_col] + [c for c in (entry_col, weights_col) if c is not None]
    require_columns(data, needed)
    require_nonempty(data, name="the retention data")
    tenure = _whole_periods(data, tenure_col)
    churned = _churn_flags(data, churned_col)
    weights = None if weights_col is None else read_weights(data, weights_col)
    shift = 1 if tenure_counts == "started" else 0
    if churned.any() and tenure[churned].min() < 1:
        i = int(np.flatnonzero(churned & (tenure < 1))[0])
        raise InvalidValueError(
            f"a churned customer (index {_label(data.index[i])!r}) has {tenure_col}=0; a customer "
            "who cancelled has paid at least one period, so churned tenures must be >= 1. "
            "If tenure counts periods before the one in which the customer cancelled, add 1."
        )
    # An active customer with tenure 0 has made no renewal decision under either
    # reading (signed up, first period not begun or not completed): T > 0 holds for
    # everyone, so the row adds log S(0) = 0 to the likelihood. It is counted in
    # n_customers, never at risk, and changes no estimate.
    survived = np.where(churned, 0, np.maximum(tenure - shift, 0))
    if entry_col is not None:
        entry = _whole_periods(data, entry_col)
        # a churned customer must have been seen before cancelling; an active one
        # cannot enter after their current tenure
        late = np.where(churned, entry >= tenure + shift, entry > tenure)
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise InvariantError(
                f"customer at index {_label(data.index[i])!r} enters observation at "
                f"{entry_col}={int(entry[i])} after their {tenure_col}={int(tenure[i])}"
                f"{' (churned)' if churned[i] else ''}; the entry tenure must not exceed "
                "the tenure (and must be below it for churned customers)."
            )
        entered_at = np.maximum(entry - shift, 0)
    else:
        entered_at = np.zeros(tenure.size, dtype=np.int64)
    _check_longest(tenure, data, tenure_col)
    return RenewalClock(
        periods=np.where(churned, tenure, survived).astype(np.int64),
        churned=churned,
        entered=np.asarray(entered_at, dtype=np.int64),
        weight=np.ones(tenure.size) if weights is None else weights,
    )


def _check_longest(tenure: NDArray[np.int64], data: pd.DataFrame, tenure_col: str) -> None:
    longest = int(tenure.max())
    if longest > _MAX_PERIODS:
        i = int(np.argmax(tenure))
        raise InvalidValueError(
            f"column {tenure_col!r} holds a tenure of {longest:,} periods (index "
            f"{_label(data.index[i])!r}); the counts per period would need {longest + 1:,} "
            "entries. Tenure must count whole contract periods (e.g. months), not days or "
            "seconds: convert it first."
        )


def counts_from_individual(
    data: pd.DataFrame,
    *,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    tenure_counts: TenureCounts | None = None,
    weights_col: str | None = None,
) -> RetentionCounts:
    """Counts per period from one row per customer (tenure, churned, optional entry).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    tenure_col : str
        Whole periods of tenure (>= 0).
    churned_col : str
        Boolean (or 0/1): True if the customer has cancelled, False if still active
        (right-censored).
    entry_col : str, optional
        Tenure at which the customer entered the observation window (left truncation:
        a customer is in the data only because they survived that long); default: every
        customer is observed from the start of their contract.
    tenure_counts : {"completed", "started"}
        How tenure counts periods (see the module notes): ``"completed"`` means an active
        customer with tenure t has renewed t times; ``"started"`` means t - 1 times.
        Required: crmkit does not guess, because the two readings give different fits.
    weights_col : str, optional
        Frequency weights: how many customers each row stands for (finite, >= 0), for
        a table with one row per (tenure, churned[, entry]) and a customer count, as
        :func:`crmkit.survival.kaplan_meier` reads it. Default: every row is one customer.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"tenure": [1, 2, 2, 3], "churned": [True, True, False, False]})
    >>> c = counts_from_individual(rows, tenure_counts="completed")
    >>> c.churned.tolist(), c.active.tolist()
    ([0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0])
    >>> counts_from_individual(rows, tenure_counts="started").active.tolist()
    [0.0, 1.0, 1.0]
    """
    clock = individual_clock(
        data,
        tenure_col=tenure_col,
        churned_col=churned_col,
        entry_col=entry_col,
        tenure_counts=tenure_counts,
        weights_col=weights_col,
    )
    churned, w, entered_at, t = clock.churned, clock.weight, clock.entered, clock.periods
    size = int(t.max()) + 1
    c = np.bincount(t[churned], weights=w[churned], minlength=size).astype(np.float64)
    a = np.bincount(t[~churned], weights=w[~churned], minlength=size).astype(np.float64)
    e = np.bincount(entered_at, weights=w, minlength=size).astype(np.float64)
    e[0] = 0.0
    key = (t * 2 + churned) * size + entered_at
    n_rows = int(np.unique(key[w > 0]).size)
    return _build(c, a, e, n_rows)


def retention_counts(
    data: pd.DataFrame | ArrayLike,
    *,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    tenure_counts: TenureCounts | None = None,
    period_col: str = "period",
    n_alive_col: str = "n_alive",
    cohort_col: str | None = None,
    weights_col: str | None = None,
) -> RetentionCounts:
    """Read either input shape: individual rows if ``data`` has ``tenure_col``.

    A frame with a ``tenure_col`` column is one row per customer; any other frame or a
    1-d sequence is a survivor table. Options of the other shape are rejected, so a
    misspelt column name is not silently read as the wrong shape.

    Examples
    --------
    >>> import pandas as pd
    >>> retention_counts([100, 60, 40]).active.tolist()
    [0.0, 0.0, 40.0]
    >>> rows = pd.DataFrame({"tenure": [1, 2], "churned": [True, False]})
    >>> retention_counts(rows, tenure_counts="completed").churned.tolist()
    [0.0, 1.0, 0.0]
    """
    for name, value in (
        ("tenure_col", tenure_col),
        ("churned_col", churned_col),
        ("period_col", period_col),
        ("n_alive_col", n_alive_col),
        ("entry_col", entry_col),
        ("cohort_col", cohort_col),
        ("weights_col", weights_col),
    ):
        optional = ("entry_col", "cohort_col", "weights_col")
        if not (isinstance(value, str) or (value is None and name in optional)):
            raise InvalidValueError(f"{name}={value!r:.60} must be a column name (a string).")
    if tenure_counts is not None and not isinstance(tenure_counts, str):
        raise InvalidValueError(
            f"tenure_counts={tenure_counts!r:.60} must be 'completed' or 'started'."
        )
    if isinstance(data, pd.DataFrame) and tenure_col in data.columns:
        if cohort_col is not None:
            raise InvalidValueError(
                f"cohort_col={cohort_col!r} applies to survivor tables, but the data has a "
                f"{tenure_col!r} column (one row per customer); fit each cohort (or group) "
                "separately, or drop cohort_col."
            )
        return counts_from_individual(
            data,
            tenure_col=tenure_col,
            churned_col=churned_col,
            entry_col=entry_col,
            tenure_counts=tenure_counts,
            weights_col=weights_col,
        )
    if isinstance(data, pd.DataFrame) and period_col not in data.columns:
        raise MissingColumnsError(
            [period_col, n_alive_col] if n_alive_col not in data.columns else [period_col],
            available=data.columns,
            hint=(
                f"Pass a survivor table (columns {period_col!r} = 0, 1, ..., k and "
                f"{n_alive_col!r}), or one row per customer with a {tenure_col!r} and a "
                f"{churned_col!r} column (or name yours with tenure_col= and churned_col=)."
            ),
        )
    individual_options = (entry_col, tenure_counts, weights_col)
    if not isinstance(data, pd.DataFrame) and any(v is not None for v in individual_options):
        raise InvalidValueError(
            f"one-row-per-customer data must be a pandas DataFrame with a {tenure_col!r} "
            f"column, got {type(data).__name__}; build one with pandas.DataFrame(...) (a "
            "plain sequence is read as the survivor counts n_0, n_1, ... of one cohort, "
            "without entry_col, tenure_counts or weights_col)."
        )
    if any(v is not None for v in individual_options):
        raise InvalidValueError(
            "entry_col, tenure_counts and weights_col apply to one-row-per-customer data "
            "(a tenure column); survivor tables count customers alive at each period "
            "start and need none of them."
        )
    return counts_from_survivors(
        data, period_col=period_col, n_alive_col=n_alive_col, cohort_col=cohort_col
    )
