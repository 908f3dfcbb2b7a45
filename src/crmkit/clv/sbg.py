"""sBG: the shifted-beta-geometric model of contractual retention (Fader & Hardie 2007).

Each customer renews a contract at the end of every period with a constant
probability 1 - θ and cancels with probability θ; θ ~ Beta(alpha, beta) across
customers. Heterogeneity alone makes the aggregate retention rate *rise* with tenure
(the good risks stay), which is why the model projects survival far better than a
constant churn rate. It is fitted on the survivor counts of one or more cohorts.
"""

from __future__ import annotations

from typing import Any, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import as_generator, check_in_range, real_array
from crmkit.clv._base import FitResult, Progress, maximize_log_likelihood
from crmkit.clv._boundary import (
    first_period_message,
    first_period_share,
    geometric_limit_shapes,
    limit_optimum,
    sbg_boundary,
    search_box,
)
from crmkit.clv._checks import (
    optional_time_unit,
    positive_count,
    positive_finite,
    real_parameter,
    scalar_or_array,
)
from crmkit.clv._persist import Persistable
from crmkit.clv._pochhammer import log_beta_ratio, log_beta_ratio_grad
from crmkit.clv._retention_data import TenureCounts, retention_counts
from crmkit.clv._special import log_hyp2f1_1b, wdot
from crmkit.clv._starts import better_start, sbg_moment_start
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit

__all__ = ["ShiftedBetaGeometric"]

_NAMES = ("alpha", "beta")
_F = NDArray[np.float64]


def _periods(t: ArrayLike, *, low: int, name: str = "t") -> _F:
    arr = real_array(t, name=name)
    if not np.all(np.isfinite(arr)) or np.any(arr < low) or np.any(arr != np.round(arr)):
        raise InvalidValueError(f"{name}={t!r} must be whole numbers of periods >= {low}.")
    return arr


@attrs.frozen(kw_only=True)
class ShiftedBetaGeometric(Persistable):
    """The sBG retention model of Fader & Hardie (2007) as a frozen value.

    With T the period in which a customer cancels (t = 1, 2, ...):

    .. math::

        P(T=t) = \\frac{B(\\alpha+1,\\beta+t-1)}{B(\\alpha,\\beta)},\\qquad
        S(t) = \\frac{B(\\alpha,\\beta+t)}{B(\\alpha,\\beta)},\\qquad
        r_t = \\frac{\\beta+t-1}{\\alpha+\\beta+t-1}

    (FH 2007, eqs. 5, 6 and 8). A cohort observed for k periods with :math:`n_t` alive at
    the start of period t+1 has log-likelihood
    :math:`\\sum_{t=1}^{k}(n_{t-1}-n_t)\\ln P(T=t) + n_k \\ln S(k)`.

    Parameters
    ----------
    alpha, beta : float
        Beta shape parameters of the churn probability θ (> 0); the mean churn
        probability is alpha / (alpha + beta).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Length of one contract period.

    References
    ----------
    - Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
      *J. Interactive Marketing*, 21(1), 76-90.
    - Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
      setting: the perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.

    Examples
    --------
    The "regular" customers of FH (2007), years 0-7:

    >>> fit = ShiftedBetaGeometric.fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> {k: round(v, 3) for k, v in fit.params.items()}
    {'alpha': 0.704, 'beta': 1.182}
    >>> fit.model.retention_rate([1, 2]).round(3).tolist()
    [0.627, 0.756]

    The same cohort as one row per customer (tenure in completed years):

    >>> import pandas as pd
    >>> n = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> tenure = [t for t in range(1, 8) for _ in range(n[t - 1] - n[t])] + [7] * 241
    >>> rows = pd.DataFrame({"tenure": tenure, "churned": [True] * 759 + [False] * 241})
    >>> fit = ShiftedBetaGeometric.fit(rows, tenure_counts="completed")
    >>> {k: round(v, 3) for k, v in fit.params.items()}
    {'alpha': 0.704, 'beta': 1.182}
    """

    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name."""
        return {"alpha": self.alpha, "beta": self.beta}

    @classmethod
    def fit(
        cls,
        survivors: pd.DataFrame | ArrayLike,
        /,
        *,
        tenure_col: str = "tenure",
        churned_col: str = "churned",
        entry_col: str | None = None,
        weights_col: str | None = None,
        tenure_counts: TenureCounts | None = None,
        period_col: str = "period",
        n_alive_col: str = "n_alive",
        cohort_col: str | None = None,
        time_unit: TimeUnit | None = None,
        x0: ArrayLike | None = None,
        strict: bool = True,
        callback: Progress | None = None,
    ) -> FitResult[Self]:
        """Fit on survivor counts of cohorts, or on one row per customer.

        The search is bounded (log-parameters in ``[1e-6, 1e8]``). If every customer
        churns with the same probability, the maximum lies at alpha, beta -> infinity:
        the fit stops there with a :class:`~crmkit.exceptions.BoundaryWarning`, the
        model is the geometric lifetime (constant retention) and
        ``FitResult.at_boundary`` is ``("alpha", "beta")``. The warning states the
        churn probability theta, the retention rate 1 - theta and the implied expected
        lifetime 1/theta (an extrapolation when it exceeds the observed tenures);
        :class:`~crmkit.clv.ShiftedGeometric` fits that limit directly, with a standard
        error for theta. If nobody was observed at risk of a second renewal (a single
        period), only the first-period churn probability alpha / (alpha + beta) is
        identified: the fit returns that geometric limit at once, with the
        ``BoundaryWarning`` and ``at_boundary == ("alpha", "beta")``.

        Parameters
        ----------
        survivors : sequence of int or pandas.DataFrame
            Either the counts n_0, n_1, ..., n_k of one cohort (n_0 = cohort size,
            n_t = customers still active after t renewals), or a frame with columns
            ``period`` (0..k) and ``n_alive``, and optionally a cohort column for
            several cohorts observed for different lengths; or a frame with one row per
            customer and columns ``tenure`` (whole periods) and ``churned`` (bool), the
            right-censored individual data of a subscription business.
        tenure_col, churned_col : str
            Columns of one-row-per-customer data (read when ``tenure_col`` is a column).
        entry_col : str, optional
            Tenure at which each customer entered the observation window (left
            truncation): the likelihood of a late entrant is conditioned on having
            survived that long, divided by S(entry).
        weights_col : str, optional
            Frequency weights of one-row-per-customer data: how many customers each row
            stands for (finite, >= 0), e.g. a table with one row per (tenure, churned)
            and a count, as :func:`crmkit.survival.kaplan_meier` reads it.
        tenure_counts : {"completed", "started"}
            Required with one-row-per-customer data: ``"completed"`` if an active
            customer with tenure t has renewed t times, ``"started"`` if t - 1 times
            (tenure counts paid periods, the current one included). A churned customer
            with tenure t cancelled in period t under both readings.
        period_col, n_alive_col, cohort_col : str
            Column names of survivor tables.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            Length of one period, stored on the model; default (frame input)
            ``survivors.attrs.get("crmkit_time_unit")``.
        x0 : array-like of 2 floats, optional
            Starting values (default: from the first two retention rates, see
            :mod:`crmkit.clv._starts`, with restarts from 0.3 and 3 times those when the
            first end point fails the convergence checks).
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if the optimiser fails.
        callback : callable, optional
            ``callback(iteration, log_likelihood, params)`` after each iteration.

        Returns
        -------
        FitResult[ShiftedBetaGeometric]
            ``n_customers`` is the total size of the cohorts (or the number of rows).

        Raises
        ------
        InvalidValueError
            Non-integer or negative counts, empty cohort, gaps in the periods; with one
            row per customer: no ``tenure_counts``, missing, negative or fractional
            tenures, churn flags that are not boolean or 0/1 (e.g. "Yes"/"No"), a
            churned customer with tenure 0, ``cohort_col`` given, no renewal decision
            in the data (every customer active at tenure 0).
        InvariantError
            Counts that increase over time; an entry tenure after the tenure.
        MissingColumnsError
            A named column is absent (all missing ones are listed).

        Warns
        -----
        BoundaryWarning
            If the maximum lies at a limit of the parameter space (see above).
        ConvergenceWarning
            With ``strict=False``, if no end point passes the convergence checks; the
            result then has ``converged=False``.
        """
        if time_unit is None and isinstance(survivors, pd.DataFrame):
            time_unit = survivors.attrs.get("crmkit_time_unit")
        unit = optional_time_unit(time_unit)
        counts = retention_counts(
            survivors,
            tenure_col=tenure_col,
            churned_col=churned_col,
            entry_col=entry_col,
            weights_col=weights_col,
            tenure_counts=tenure_counts,
            period_col=period_col,
            n_alive_col=n_alive_col,
            cohort_col=cohort_col,
        )
        counts.renewal_decisions()  # refuses data without one
        churned = counts.churned[1:]  # index t-1: customers cancelling in period t
        censored = counts.active  # index k: customers still active after k periods
        entered = counts.entered  # index e: customers observed from e survived periods
        k_max = counts.max_period
        t = np.arange(1, k_max + 1, dtype=np.float64)
        ks = np.arange(k_max + 1, dtype=np.float64)
        # log S(k) enters with weight active[k] - entered[k] (left truncation divides
        # each late entrant's likelihood by S(e))
        surv_w = censored - entered

        def loglik(theta: _F) -> float:
            # ratios of beta functions without cancellation, also on the geometric
            # limit (alpha, beta -> infinity) where betaln differences lose every digit
            a, b = float(theta[0]), float(theta[1])
            lp = log_beta_ratio(a, b, 1.0, t - 1.0)
            ls = log_beta_ratio(a, b, 0.0, ks)
            return float(wdot(churned, lp) + wdot(surv_w, ls))

        def gradient(theta: _F) -> _F:
            a, b = float(theta[0]), float(theta[1])
            pa, pb = log_beta_ratio_grad(a, b, 1.0, t - 1.0)
            sa, sb = log_beta_ratio_grad(a, b, 0.0, ks)
            return np.array(
                [
                    wdot(churned, pa) + wdot(surv_w, sa),
                    wdot(churned, pb) + wdot(surv_w, sb),
                ]
            )

        share = first_period_share(churned, surv_w)
        if share is not None:
            # only the first renewal decision is observed: the likelihood depends on
            # alpha / (alpha + beta) alone; report its geometric limit
            opt = limit_optimum(
                loglik,
                np.array(geometric_limit_shapes(share)),
                names=_NAMES,
                at=_NAMES,
                message=first_period_message(share, "sBG"),
                family="sBG",
            )
            model = cls(alpha=float(opt.params[0]), beta=float(opt.params[1]), time_unit=unit)
            return FitResult.from_optimum(
                model, opt, names=_NAMES, n_customers=counts.n_customers, n_unique=counts.n_rows
            )
        # maximum-likelihood churn probability of the geometric limit (one theta for
        # everyone): churners over periods at risk, censored customers included
        geometric_theta = counts.geometric_churn()
        # start from the first two retention rates, restarts around it; the search box
        # stays anchored at 1
        scale = np.ones(2)
        default = better_start(loglik, [sbg_moment_start(churned, censored), scale])
        start = default if x0 is None else real_array(x0, name="x0")
        others = [default * 0.3, default * 3.0]
        n_total = float(counts.n_customers)
        opt = maximize_log_likelihood(
            loglik,
            start,
            names=_NAMES,
            n_obs=n_total,
            gradient=gradient,
            strict=strict,
            family="sBG",
            bounds=search_box(scale),
            boundary=sbg_boundary(scale, geometric_theta),
            restarts=others if x0 is None else [default, *others],
            user_start=x0 is not None,
            callback=callback,
        )
        model = cls(alpha=float(opt.params[0]), beta=float(opt.params[1]), time_unit=unit)
        return FitResult.from_optimum(
            model, opt, names=_NAMES, n_customers=counts.n_customers, n_unique=counts.n_rows
        )

    def churn_probability(self, t: ArrayLike) -> _F:
        """P(T = t): probability that a new customer cancels in period t (t >= 1).

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).churn_probability([1, 2]).round(6).tolist()
        [0.5, 0.166667]
        """
        tt = _periods(t, low=1)
        out = np.exp(log_beta_ratio(self.alpha, self.beta, 1.0, tt - 1.0))
        return scalar_or_array(out)

    def survival(self, t: ArrayLike) -> _F:
        """S(t) = P(T > t): share of a cohort still active after t periods (t >= 0).

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).survival([0, 1, 3]).tolist()
        [1.0, 0.5, 0.25]
        """
        tt = _periods(t, low=0)
        out = np.exp(log_beta_ratio(self.alpha, self.beta, 0.0, tt))
        return scalar_or_array(out)

    def retention_rate(self, t: ArrayLike) -> _F:
        """r_t = S(t) / S(t-1): share of period t-1 survivors who renew in period t.

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).retention_rate([1, 2, 3]).tolist()
        [0.5, 0.6666666666666666, 0.75]
        """
        tt = _periods(t, low=1)
        return scalar_or_array((self.beta + tt - 1.0) / (self.alpha + self.beta + tt - 1.0))

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL: expected discounted number of payments of a new customer, first one now.

        .. math::

            DEL(d) = \\sum_{t=0}^{\\infty}\\frac{S(t)}{(1+d)^t}
            = {}_2F_1\\!\\left(1,\\beta;\\alpha+\\beta;\\tfrac{1}{1+d}\\right)

        Multiply by the margin per period for the expected CLV of a new customer
        (Fader & Hardie 2010, eq. 4). ``discount_rate`` is per period, > 0.

        Examples
        --------
        >>> m = ShiftedBetaGeometric(alpha=1.0, beta=1.0)
        >>> round(m.discounted_expected_lifetime(0.1), 6)  # sum x^t / (t + 1) = 1.1 ln 11
        2.637685
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        # bounded cost and accurate for any shapes (scipy's hyp2f1 returns NaN for large
        # alpha + beta, e.g. on the geometric limit)
        z = np.array([1.0 / (1.0 + d)])
        return float(np.exp(log_hyp2f1_1b(np.array([self.beta]), self.alpha + self.beta, z))[0])

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: ArrayLike = 0
    ) -> _F | float:
        """DERL: expected discounted future payments of a customer who has renewed n-1 times.

        .. math::

            DERL(d \\mid n-1) = \\sum_{k=0}^{\\infty}\\frac{S(n+k)}{S(n-1)}\\frac{1}{(1+d)^k}
            = \\frac{\\beta+n-1}{\\alpha+\\beta+n-1}\\,
            {}_2F_1\\!\\left(1,\\beta+n;\\alpha+\\beta+n;\\tfrac{1}{1+d}\\right)

        (Fader & Hardie 2010, eq. 6). The customer is about to make the n-th renewal
        decision; the payment at that renewal is not discounted, the next one by 1/(1+d).

        Parameters
        ----------
        discount_rate : float
            Discount rate per period, > 0 (use :meth:`expected_residual_lifetime` for 0).
        renewals : int or array-like of int
            Renewals made so far, n - 1 >= 0 (0 = a customer in their first period).

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar ``renewals``, else an array of the same shape.

        Examples
        --------
        >>> m = ShiftedBetaGeometric(alpha=1.0, beta=1.0)
        >>> round(m.discounted_expected_residual_lifetime(0.1), 4)
        1.8015
        >>> m.discounted_expected_residual_lifetime(0.1, [0, 5]).round(4).tolist()
        [1.8015, 5.0993]
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        n = _periods(renewals, low=0, name="renewals") + 1.0
        a, b = self.alpha, self.beta
        z = np.full(n.shape, 1.0 / (1.0 + d))
        out = (b + n - 1.0) / (a + b + n - 1.0) * np.exp(log_hyp2f1_1b(b + n, a + b + n, z))
        return float(out) if np.ndim(renewals) == 0 else np.asarray(out, dtype=np.float64)

    def expected_residual_lifetime(self, renewals: ArrayLike = 0) -> _F | float:
        """Expected number of further renewals, undiscounted: (β + n - 1)/(α - 1).

        Finite only when alpha > 1.

        Raises
        ------
        InvalidValueError
            If ``alpha <= 1`` (the expectation is infinite; use a discount rate).

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=3.0, beta=4.0).expected_residual_lifetime([0, 2]).tolist()
        [2.0, 3.0]
        """
        if self.alpha <= 1.0:
            raise InvalidValueError(
                f"with alpha={self.alpha} <= 1 the expected residual lifetime is infinite; "
                "use discounted_expected_residual_lifetime with a discount rate > 0."
            )
        n = _periods(renewals, low=0, name="renewals") + 1.0
        out = np.asarray((self.beta + n - 1.0) / (self.alpha - 1.0), dtype=np.float64)
        return float(out) if np.ndim(renewals) == 0 else out

    def simulate(self, n_customers: int, T: int, rng: Any) -> pd.DataFrame:
        """Draw the renewal histories of a cohort of ``n_customers`` over ``T`` periods.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``periods_survived`` (renewals made, 0..T, int64)
            and ``churned`` (bool, cancelled within the T periods). The survivor count
            after t periods is ``(periods_survived >= t).sum()``.

        Examples
        --------
        >>> import numpy as np
        >>> sim = ShiftedBetaGeometric(alpha=0.7, beta=1.2).simulate(
        ...     4, 7, np.random.default_rng(3)
        ... )
        >>> list(sim.columns)
        ['periods_survived', 'churned']
        """
        size = positive_count(n_customers, name="n_customers")
        horizon = positive_count(T, name="T")
        gen = as_generator(rng, allow_none=False)
        theta = np.clip(gen.beta(self.alpha, self.beta, size), 1e-300, 1.0)
        churn_period = gen.geometric(theta)
        return pd.DataFrame(
            {
                "periods_survived": np.minimum(churn_period - 1, horizon).astype(np.int64),
                "churned": churn_period <= horizon,
            },
            index=pd.RangeIndex(size, name="customer_id"),
        )
