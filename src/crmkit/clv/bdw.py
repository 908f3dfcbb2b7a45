"""BdW: the beta-discrete-Weibull model of contractual retention (Fader et al. 2018).

The sBG assumes each customer's churn probability θ is the same in every period, so
the rising aggregate retention rate is due to heterogeneity alone. The BdW lets the
individual churn probability change with tenure: a customer with parameter θ survives t
renewal decisions with probability :math:`(1-\\theta)^{t^c}` (the discrete Weibull
lifetime of Nakagawa & Osaki 1975), so the churn probability in period t,
:math:`1 - (1-\\theta)^{t^c - (t-1)^c}`, falls with tenure when c < 1, rises when c > 1
and is constant when c = 1, the sBG. θ ~ Beta(alpha, beta) across customers as in the sBG.
"""

from __future__ import annotations

from typing import Any, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import as_generator, check_in_range, real_array
from crmkit.clv._base import FitResult, Progress, maximize_log_likelihood
from crmkit.clv._bdw_limits import C_BOX, bdw_boundary, data_limit
from crmkit.clv._bdw_numerics import (
    discounted_residual_sum,
    log_churn_and_survival,
    log_churn_and_survival_grad,
    log_gap,
    log_survival,
    residual_sum,
    weibull_steps,
)
from crmkit.clv._boundary import limit_optimum, search_box
from crmkit.clv._checks import (
    optional_time_unit,
    positive_count,
    positive_finite,
    real_parameter,
    scalar_or_array,
)
from crmkit.clv._persist import Persistable
from crmkit.clv._retention_data import TenureCounts, retention_counts
from crmkit.clv._special import wdot
from crmkit.clv._starts import better_start, sbg_moment_start
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit

__all__ = ["BetaDiscreteWeibull"]

_NAMES = ("alpha", "beta", "c")
_F = NDArray[np.float64]


def _periods(t: ArrayLike, *, low: int, name: str = "t") -> _F:
    arr = real_array(t, name=name)
    if not np.all(np.isfinite(arr)) or np.any(arr < low) or np.any(arr != np.round(arr)):
        raise InvalidValueError(f"{name}={t!r} must be whole numbers of periods >= {low}.")
    return arr


@attrs.frozen(kw_only=True)
class BetaDiscreteWeibull(Persistable):
    """The beta-discrete-Weibull retention model of Fader et al. (2018) as a frozen value.

    With T the period in which a customer cancels (t = 1, 2, ...):

    .. math::

        S(t) = P(T > t) = \\frac{B(\\alpha, \\beta + t^c)}{B(\\alpha, \\beta)},\\qquad
        P(T = t) = S(t-1) - S(t),\\qquad r_t = \\frac{S(t)}{S(t-1)}

    (Fader, Hardie, Liu, Davin & Steenburgh 2018, eqs. 5-7). With c = 1 this is the
    sBG of Fader & Hardie (2007). The likelihood of cohort survivor tables or
    individual (right-censored, optionally left-truncated) rows is
    :math:`\\sum_t \\mathrm{churned}_t \\ln P(T=t) + \\sum_t \\mathrm{active}_t \\ln S(t)
    - \\sum_e \\mathrm{entered}_e \\ln S(e)`.

    Parameters
    ----------
    alpha, beta : float
        Beta shape parameters of the churn probability θ in a customer's first period
        (> 0); its mean is alpha / (alpha + beta).
    c : float
        Duration dependence (> 0): the individual churn probability falls with tenure
        when c < 1, rises when c > 1; c = 1 is the sBG.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Length of one contract period.

    References
    ----------
    - Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018). "How
      to project customer retention" revisited: the role of duration dependence.
      *J. Interactive Marketing*, 43, 1-16.
    - Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
      *J. Interactive Marketing*, 21(1), 76-90.
    - Nakagawa, T. & Osaki, S. (1975). The discrete Weibull distribution. *IEEE
      Transactions on Reliability*, 24(5), 300-301.

    Examples
    --------
    The "high end" customers of Fader & Hardie (2007), years 0-4 (the five-year
    calibration period of Fader et al. 2018):

    >>> fit = BetaDiscreteWeibull.fit([1000, 869, 743, 653, 593])
    >>> {k: round(v, 3) for k, v in fit.params.items()}
    {'alpha': 0.259, 'beta': 1.723, 'c': 1.584}
    >>> round(fit.log_likelihood, 2)
    -1222.75

    c > 1: each customer's churn probability rises with tenure, while the cohort's
    retention rate still rises (the good risks stay):

    >>> fit.model.retention_rate([1, 2, 3, 4]).round(3).tolist()
    [0.869, 0.854, 0.883, 0.906]
    """

    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    c: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name."""
        return {"alpha": self.alpha, "beta": self.beta, "c": self.c}

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

        The data are reduced to counts per period first
        (:func:`crmkit.clv._retention_data.retention_counts`), so a million customers
        cost what the longest tenure costs. The search is bounded (alpha, beta in
        ``[1e-6, 1e8]``, c in ``[1e-6, 1e6]``). If every customer churns alike, the
        maximum lies at alpha, beta -> infinity: the fit stops there with a
        :class:`~crmkit.exceptions.BoundaryWarning`, the model is the discrete Weibull
        lifetime :math:`S(t) = (1-\\theta)^{t^c}` with its maximum-likelihood
        :math:`(\\theta, c)`, and ``FitResult.at_boundary`` is ``("alpha", "beta")``.

        Some data identify fewer numbers than the model has parameters; the counts show
        it, and the fit returns at once (no search) with a ``BoundaryWarning``,
        ``converged=True`` and every parameter in ``at_boundary`` (infinite standard
        errors): if nobody was at risk of a second renewal, only the first-period churn
        probability is identified and the geometric limit is reported (c = 1, the
        predictions of :class:`~crmkit.clv.ShiftedGeometric`); if moreover some cancelled
        in period 2 and nobody was observed beyond it, the maximum is the limit
        c -> infinity (nobody renews twice); if the data end after two renewal
        decisions, the discrete Weibull lifetime that reproduces both hazards is
        reported (heterogeneity and duration dependence cannot be told apart).

        Parameters
        ----------
        survivors : sequence of int or pandas.DataFrame
            The counts n_0, n_1, ..., n_k of one cohort, or a survivor table with
            columns ``period`` and ``n_alive`` (and optionally a cohort column), or one
            row per customer with columns ``tenure`` (whole periods) and ``churned``
            (bool), exactly as :meth:`ShiftedBetaGeometric.fit
            <crmkit.clv.ShiftedBetaGeometric.fit>` reads them.
        tenure_col, churned_col : str
            Columns of one-row-per-customer data.
        entry_col : str, optional
            Tenure at which each customer entered observation (left truncation).
        weights_col : str, optional
            Frequency weights of one-row-per-customer data: how many customers each row
            stands for (finite, >= 0), e.g. a table with one row per (tenure, churned)
            and a count, as :func:`crmkit.survival.kaplan_meier` reads it.
        tenure_counts : {"completed", "started"}
            Required with one-row-per-customer data: ``"completed"`` if an active
            customer with tenure t has renewed t times, ``"started"`` if t - 1 times.
        period_col, n_alive_col, cohort_col : str
            Column names of survivor tables.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            Length of one period, stored on the model; default (frame input)
            ``survivors.attrs.get("crmkit_time_unit")``.
        x0 : array-like of 3 floats, optional
            Starting values (default: the sBG moment start with c = 1, and restarts
            with c = 0.5 and c = 2 when the first end point fails the checks).
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if the optimiser fails.
        callback : callable, optional
            ``callback(iteration, log_likelihood, params)`` after each iteration.

        Returns
        -------
        FitResult[BetaDiscreteWeibull]
            ``n_customers`` is the number of customers (cohort sizes or rows).

        Raises
        ------
        InvalidValueError
            Non-integer or negative counts, empty cohort, gaps in the periods, a
            missing ``tenure_counts`` with individual rows, data without a single
            renewal decision (every customer active at tenure 0).
        InvariantError
            Counts that increase over time.

        Warns
        -----
        BoundaryWarning
            If the maximum lies at a limit of the parameter space (see above).
        ConvergenceWarning
            With ``strict=False``, if no end point passes the convergence checks; the
            result then has ``converged=False``.

        Examples
        --------
        One row per customer, tenure in completed periods:

        >>> import pandas as pd
        >>> rows = pd.DataFrame({"tenure": [1, 1, 2, 3, 3, 3], "churned": [1, 1, 1, 0, 0, 0]})
        >>> fit = BetaDiscreteWeibull.fit(rows, tenure_counts="completed")
        >>> fit.n_customers, fit.converged
        (6, True)
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
        churned_all = counts.churned[1:]  # index t-1: customers cancelling in period t
        surv_all = counts.active - counts.entered  # weight of log S(k), index k
        k_max = counts.max_period
        t_all = np.arange(1, k_max + 1, dtype=np.float64)
        ks_all = np.arange(k_max + 1, dtype=np.float64)
        # only periods with a weight enter (a zero weight times log 0 is no term)
        use_c = churned_all != 0
        use_s = (surv_all != 0) & (ks_all > 0)
        tc, wc = t_all[use_c], churned_all[use_c]
        ts, ws = ks_all[use_s], surv_all[use_s]

        def loglik(theta: _F) -> float:
            a, b, c = float(theta[0]), float(theta[1]), float(theta[2])
            lp = log_churn_and_survival(a, b, c, tc)[0]
            ls = log_survival(a, b, c, ts)
            return float(wdot(wc, lp) + wdot(ws, ls))

        def gradient(theta: _F) -> _F:
            a, b, c = float(theta[0]), float(theta[1]), float(theta[2])
            gp = log_churn_and_survival_grad(a, b, c, tc)[0]
            gs = log_churn_and_survival_grad(a, b, c, ts)[1]
            return np.array([wdot(wc, gp[i]) + wdot(ws, gs[i]) for i in range(3)])

        limit = data_limit(churned_all, surv_all)
        if limit is not None:
            # the counts alone identify a limit (see _bdw_limits.data_limit): no search
            opt = limit_optimum(
                loglik, limit[0], names=_NAMES, at=limit[1], message=limit[2], family="BdW"
            )
            p = opt.params
            model = cls(alpha=float(p[0]), beta=float(p[1]), c=float(p[2]), time_unit=unit)
            return FitResult.from_optimum(
                model, opt, names=_NAMES, n_customers=counts.n_customers, n_unique=counts.n_rows
            )
        scale = np.ones(3)
        ab = sbg_moment_start(churned_all, counts.active)
        default = better_start(loglik, [np.array([ab[0], ab[1], 1.0]), scale])
        start = default if x0 is None else np.asarray(x0, dtype=np.float64)
        others = [
            np.array([default[0], default[1], 0.5]),
            np.array([default[0], default[1], 2.0]),
            np.array([default[0] * 3.0, default[1] * 3.0, 1.0]),
        ]
        box = search_box(scale)
        box[2] = C_BOX
        opt = maximize_log_likelihood(
            loglik,
            start,
            names=_NAMES,
            n_obs=float(counts.n_customers),
            gradient=gradient,
            strict=strict,
            family="BdW",
            bounds=box,
            boundary=bdw_boundary(scale, churned_all, surv_all),
            restarts=others if x0 is None else [default, *others[:2]],
            user_start=x0 is not None,
            callback=callback,
        )
        p = opt.params
        model = cls(alpha=float(p[0]), beta=float(p[1]), c=float(p[2]), time_unit=unit)
        return FitResult.from_optimum(
            model, opt, names=_NAMES, n_customers=counts.n_customers, n_unique=counts.n_rows
        )

    def churn_probability(self, t: ArrayLike) -> _F:
        """P(T = t): probability that a new customer cancels in period t (t >= 1).

        Computed as :math:`S(t-1)(1 - S(t)/S(t-1))` with the ratio in log space
        (:mod:`crmkit.clv._bdw_numerics`), accurate also where :math:`S(t-1) - S(t)`
        would cancel.

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0)  # the sBG
        >>> m.churn_probability([1, 2]).round(6).tolist()
        [0.5, 0.166667]
        """
        tt = _periods(t, low=1)
        out = np.exp(log_churn_and_survival(self.alpha, self.beta, self.c, tt.ravel())[0])
        return scalar_or_array(out.reshape(tt.shape))

    def survival(self, t: ArrayLike) -> _F:
        """S(t) = P(T > t): share of a cohort still active after t periods (t >= 0).

        Examples
        --------
        >>> BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0).survival([0, 1, 3]).round(12).tolist()
        [1.0, 0.5, 0.25]
        """
        tt = _periods(t, low=0)
        out = np.exp(log_survival(self.alpha, self.beta, self.c, tt.ravel()))
        return scalar_or_array(out.reshape(tt.shape))

    def retention_rate(self, t: ArrayLike) -> _F:
        """r_t = S(t) / S(t-1): share of period t-1 survivors who renew in period t.

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0)
        >>> m.retention_rate([1, 2, 3]).round(12).tolist()
        [0.5, 0.666666666667, 0.75]
        """
        tt = _periods(t, low=1)
        x0, dx, _, _ = weibull_steps(tt.ravel(), self.c)
        out = np.exp(log_gap(self.beta + x0, self.alpha, dx))
        return scalar_or_array(out.reshape(tt.shape))

    def individual_churn_probability(self, t: ArrayLike, theta: float) -> _F:
        """Churn probability in period t of a customer with parameter θ (t >= 1).

        :math:`1 - (1-\\theta)^{t^c - (t-1)^c}`: falls with t when c < 1, rises when
        c > 1 (Fader et al. 2018, eq. 3).

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=0.5)
        >>> m.individual_churn_probability([1, 2, 10], 0.3).round(4).tolist()
        [0.3, 0.1374, 0.0562]
        """
        tt = _periods(t, low=1)
        th = check_in_range(theta, name="theta", low=0.0, high=1.0)
        _, dx, _, _ = weibull_steps(tt.ravel(), self.c)
        out = -np.expm1(dx * np.log1p(-th)) if th < 1.0 else np.ones_like(dx)
        return scalar_or_array(out.reshape(tt.shape))

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL: expected discounted number of payments of a new customer, first one now.

        .. math::

            DEL(d) = \\sum_{t=0}^{\\infty}\\frac{S(t)}{(1+d)^t}

        No closed form for c != 1: the series is summed until the geometric bound of
        its tail, :math:`S(K)(1+d)^{-K}/d`, is below 1e-15 of the sum (at most
        :math:`\\log(10^{15}/d)/\\log(1+d)` terms: 387 for d = 0.1). Multiply by the
        margin per period for the expected CLV of a new customer.

        Raises
        ------
        InvalidValueError
            If ``discount_rate <= 0``, or so small that the sum needs more than
            262,144 periods (a survival that decays very slowly, c < 1).

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0)
        >>> round(m.discounted_expected_lifetime(0.1), 6)  # the sBG's 1.1 ln 11
        2.637685
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        return self._discounted(0, d)

    def _discounted(self, n: int, d: float) -> float:
        try:
            return discounted_residual_sum(self.alpha, self.beta, self.c, n, d)
        except ValueError as exc:
            raise InvalidValueError(
                f"{exc} (alpha={self.alpha:g}, c={self.c:g}); use a larger discount_rate "
                "per period, or a shorter time unit's rate compounded over the period."
            ) from exc

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: ArrayLike = 0
    ) -> _F | float:
        """DERL: expected discounted future payments of a customer who has renewed n-1 times.

        .. math::

            DERL(d \\mid n-1) = \\sum_{k=0}^{\\infty}\\frac{S(n+k)}{S(n-1)}\\frac{1}{(1+d)^k}

        (Fader & Hardie 2010, eq. 6, with the BdW survival). The customer is about to
        make the n-th renewal decision; the payment at that renewal is not discounted.
        Summed as :meth:`discounted_expected_lifetime` (same tail bound and cost).

        Parameters
        ----------
        discount_rate : float
            Discount rate per period, > 0.
        renewals : int or array-like of int
            Renewals made so far, n - 1 >= 0.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar ``renewals``, else an array of the same shape.

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0)
        >>> m.discounted_expected_residual_lifetime(0.1, [0, 5]).round(4).tolist()
        [1.8015, 5.0993]
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        n = _periods(renewals, low=0, name="renewals") + 1.0
        values = {int(v): self._discounted(int(v), d) for v in np.unique(n)}
        out = np.array([values[int(v)] for v in n.ravel()], dtype=np.float64).reshape(n.shape)
        return float(out) if np.ndim(renewals) == 0 else out

    def expected_residual_lifetime(self, renewals: ArrayLike = 0) -> _F | float:
        """Expected number of further renewals, undiscounted: :math:`\\sum_k S(n+k)/S(n-1)`.

        Finite only when alpha * c > 1 (for large t, :math:`S(t) \\propto t^{-\\alpha c}`).
        The first 256 terms are summed and the power-law tail is added by the
        Euler-Maclaurin formula with one quadrature (see
        :func:`crmkit.clv._bdw_numerics.residual_sum`).

        Raises
        ------
        InvalidValueError
            If ``alpha * c <= 1`` (the expectation is infinite; use a discount rate), or
            if it is so close to 1 that the tail integral does not reach its tolerance.

        Examples
        --------
        >>> m = BetaDiscreteWeibull(alpha=3.0, beta=4.0, c=1.0)
        >>> [round(v, 9) for v in m.expected_residual_lifetime([0, 2]).tolist()]  # sBG
        [2.0, 3.0]
        """
        if self.alpha * self.c <= 1.0:
            raise InvalidValueError(
                f"with alpha * c = {self.alpha * self.c:g} <= 1 the expected residual "
                "lifetime is infinite; use discounted_expected_residual_lifetime with a "
                "discount rate > 0."
            )
        n = _periods(renewals, low=0, name="renewals") + 1.0
        try:
            values = {
                int(v): residual_sum(self.alpha, self.beta, self.c, int(v)) for v in np.unique(n)
            }
        except ValueError as exc:
            raise InvalidValueError(
                f"{exc}; use discounted_expected_residual_lifetime with a discount rate > 0."
            ) from exc
        out = np.array([values[int(v)] for v in n.ravel()], dtype=np.float64).reshape(n.shape)
        return float(out) if np.ndim(renewals) == 0 else out

    def simulate(self, n_customers: int, T: int, rng: Any) -> pd.DataFrame:
        """Draw the renewal histories of a cohort of ``n_customers`` over ``T`` periods.

        θ ~ Beta(alpha, beta); with E ~ Exp(1) the customer cancels in period
        :math:`\\lfloor (E/\\lambda)^{1/c} \\rfloor + 1`, :math:`\\lambda = -\\log(1-\\theta)`,
        so that :math:`P(T > t) = (1-\\theta)^{t^c}`.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``periods_survived`` (renewals made, 0..T, int64)
            and ``churned`` (bool, cancelled within the T periods).

        Examples
        --------
        >>> import numpy as np
        >>> sim = BetaDiscreteWeibull(alpha=0.7, beta=1.2, c=0.8).simulate(
        ...     4, 7, np.random.default_rng(3)
        ... )
        >>> list(sim.columns)
        ['periods_survived', 'churned']
        """
        size = positive_count(n_customers, name="n_customers")
        horizon = positive_count(T, name="T")
        gen = as_generator(rng, allow_none=False)
        theta = np.clip(gen.beta(self.alpha, self.beta, size), 1e-300, 1.0)
        lam = -np.log1p(-np.minimum(theta, 1.0 - 1e-16))
        e = gen.standard_exponential(size)
        with np.errstate(over="ignore", divide="ignore"):
            survived = np.floor(np.exp(np.log(e / lam) / self.c))
        survived = np.minimum(np.nan_to_num(survived, nan=0.0, posinf=horizon + 1.0), horizon + 1)
        churn_period = survived.astype(np.int64) + 1
        return pd.DataFrame(
            {
                "periods_survived": np.minimum(churn_period - 1, horizon).astype(np.int64),
                "churned": churn_period <= horizon,
            },
            index=pd.RangeIndex(size, name="customer_id"),
        )
