"""The shifted-geometric model of contractual retention: one churn probability for all.

Every customer cancels at the end of each period with the same probability θ, so the
lifetime T (the period in which a customer cancels) is geometric on 1, 2, ... and the
retention rate is the constant 1 - θ. It is the limit of the sBG model (Fader & Hardie
2007) when the Beta distribution of θ collapses to a point (alpha, beta -> infinity with
alpha / (alpha + beta) = θ), and of the beta-discrete-Weibull model (Fader et al. 2018)
with c = 1 as well. It is the baseline those models are tested against, and the model an
sBG fit returns (with a :class:`~crmkit.exceptions.BoundaryWarning`) when the data show
no heterogeneity.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import (
    as_generator,
    check_callable,
    check_flag,
    check_in_range,
    real_array,
    real_number,
)
from crmkit.clv._base import FitResult, Progress
from crmkit.clv._checks import optional_time_unit, positive_count, real_parameter, scalar_or_array
from crmkit.clv._persist import Persistable
from crmkit.clv._retention_data import TenureCounts, retention_counts
from crmkit.exceptions import BoundaryWarning, InvalidValueError
from crmkit.timeunits import TimeUnit

__all__ = ["ShiftedGeometric"]

_F = NDArray[np.float64]


def _periods(t: ArrayLike, *, low: int, name: str = "t") -> _F:
    arr = real_array(t, name=name)
    if not np.all(np.isfinite(arr)) or np.any(arr < low) or np.any(arr != np.round(arr)):
        raise InvalidValueError(f"{name}={t!r} must be whole numbers of periods >= {low}.")
    return arr


def _probability(instance: Any, attribute: Any, value: float) -> None:
    """attrs validator: a real number in [0, 1]."""
    value = real_number(value, name=f"{type(instance).__name__}: parameter {attribute.name}")
    if not 0.0 <= value <= 1.0:
        raise InvalidValueError(
            f"{type(instance).__name__}: parameter {attribute.name}={value!r} must be a "
            "probability in [0, 1] (the churn probability per period)."
        )


@attrs.frozen(kw_only=True)
class ShiftedGeometric(Persistable):
    """Constant churn: every customer cancels each period with probability theta.

    With T the period in which a customer cancels (t = 1, 2, ...):

    .. math::

        P(T=t) = \\theta(1-\\theta)^{t-1},\\qquad S(t) = (1-\\theta)^t,\\qquad
        r_t = 1-\\theta

    (Fader & Hardie 2007, eqs. 1-3, the model before heterogeneity is added). The
    log-likelihood of churned counts :math:`c_t`, right-censored counts :math:`a_t` and
    left-truncated entries :math:`e_t` (see :class:`ShiftedBetaGeometric`) is
    :math:`C\\ln\\theta + (D-C)\\ln(1-\\theta)` with :math:`C=\\sum_t c_t` cancellations
    and :math:`D=\\sum_t t\\,(c_t+a_t-e_t)` renewal decisions observed, so the
    maximum-likelihood estimate is :math:`\\hat\\theta = C/D`.

    Parameters
    ----------
    theta : float
        Churn probability per period, in [0, 1]: 0 means nobody ever cancels, 1 that
        everyone cancels at the end of the first period.
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
    >>> m = ShiftedGeometric(theta=0.2, time_unit="M")
    >>> m.survival([0, 1, 2]).round(4).tolist()
    [1.0, 0.8, 0.64]
    >>> round(m.discounted_expected_lifetime(0.01), 4)  # (1 + d) / (d + theta)
    4.8095
    >>> m.expected_residual_lifetime()  # (1 - theta) / theta renewals
    4.0

    Fitted on the "regular" cohort of Fader & Hardie (2007), years 0-7: 759 of 1,000
    customers cancel over 3,358 renewal decisions.

    >>> fit = ShiftedGeometric.fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(fit.params["theta"], 4), round(fit.stderr["theta"], 4)
    (0.226, 0.0072)
    """

    theta: float = attrs.field(converter=real_parameter, validator=_probability)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name."""
        return {"theta": self.theta}

    @classmethod
    def fit(
        cls,
        data: pd.DataFrame | ArrayLike,
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
        """Fit by maximum likelihood (closed form) on survivor tables or individual rows.

        :math:`\\hat\\theta = C/D`, cancellations over renewal decisions observed, with
        the exact standard error from the observed information
        :math:`D/(\\hat\\theta(1-\\hat\\theta))`:
        :math:`\\widehat{se} = \\sqrt{\\hat\\theta(1-\\hat\\theta)/D}`.

        Parameters
        ----------
        data : sequence of int or pandas.DataFrame
            Survivor counts n_0, n_1, ..., n_k of one cohort, a survivor table with
            ``period`` and ``n_alive`` columns (and optionally a cohort column), or one
            row per customer with ``tenure`` and ``churned`` columns; read exactly as
            :meth:`ShiftedBetaGeometric.fit` reads them.
        tenure_col, churned_col, period_col, n_alive_col : str
            Column names, as in :meth:`ShiftedBetaGeometric.fit`.
        entry_col, weights_col, cohort_col : str, optional
            Entry tenure of left-truncated customers; frequency weights (customers per
            row); cohort of survivor tables.
        tenure_counts : {"completed", "started"}, optional
            Required with one row per customer: whether an active customer's tenure t
            means t renewals made (``"completed"``) or t - 1 (``"started"``).
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            Length of one period; default (frame input) ``data.attrs["crmkit_time_unit"]``.
        x0 : array-like of 1 float, optional
            Accepted for the common fit signature of the contractual families and
            checked (a probability in (0, 1)), then unused: the estimate is closed-form.
        strict : bool
            Accepted for the common signature; a closed form cannot fail to converge.
        callback : callable, optional
            Called once, ``callback(1, log_likelihood, {"theta": theta})``.

        Returns
        -------
        FitResult[ShiftedGeometric]
            Always ``converged=True``. If nobody cancelled (theta = 0) or every observed
            renewal decision was a cancellation (theta = 1), ``at_boundary`` is
            ``("theta",)``, the standard error is infinite and a
            :class:`~crmkit.exceptions.BoundaryWarning` says so.

        Raises
        ------
        InvalidValueError
            Bad counts or rows (see :meth:`ShiftedBetaGeometric.fit`), or data without
            a single renewal decision (every customer still in their first period).

        Warns
        -----
        BoundaryWarning
            If the estimate is 0 or 1.

        Examples
        --------
        >>> import pandas as pd
        >>> rows = pd.DataFrame({"tenure": [1, 3, 4, 4], "churned": [True, True, False, False]})
        >>> fit = ShiftedGeometric.fit(rows, tenure_counts="completed")
        >>> fit.params  # 2 cancellations in 1 + 3 + 4 + 4 = 12 decisions
        {'theta': 0.16666666666666666}
        """
        if time_unit is None and isinstance(data, pd.DataFrame):
            time_unit = data.attrs.get("crmkit_time_unit")
        unit = optional_time_unit(time_unit)
        if x0 is not None:
            start = real_array(x0, name="x0").ravel()
            if start.size != 1 or not 0.0 < float(start[0]) < 1.0:
                raise InvalidValueError(f"x0={x0!r} must be one churn probability in (0, 1).")
        check_callable(callback, name="callback")
        check_flag(strict, name="strict")
        counts = retention_counts(
            data,
            tenure_col=tenure_col,
            churned_col=churned_col,
            entry_col=entry_col,
            weights_col=weights_col,
            tenure_counts=tenure_counts,
            period_col=period_col,
            n_alive_col=n_alive_col,
            cohort_col=cohort_col,
        )
        cancelled = float(counts.churned.sum())
        decisions = counts.renewal_decisions()
        theta = cancelled / decisions
        at_boundary: tuple[str, ...] = ()
        if theta in (0.0, 1.0):
            at_boundary = ("theta",)
            variance = math.inf
            what = (
                f"nobody cancelled in {decisions:,.0f} renewal decisions: theta = 0, "
                "every customer stays forever (survival 1, expected lifetime infinite; "
                "value customers with a discount rate)"
                if theta == 0.0
                else f"every one of the {decisions:,.0f} renewal decisions observed was a "
                "cancellation: theta = 1, every customer leaves after one period"
            )
            warnings.warn(
                f"ShiftedGeometric fit ended at the edge of the parameter space: {what}. "
                "The standard error of theta is infinite (the likelihood keeps rising "
                "towards the limit).",
                BoundaryWarning,
                stacklevel=2,
            )
        else:
            variance = theta * (1.0 - theta) / decisions
        # C ln(theta) + (D - C) ln(1 - theta), with 0 ln 0 = 0 at the boundary
        with np.errstate(divide="ignore"):
            log_lik = float(
                (cancelled * math.log(theta) if cancelled else 0.0)
                + ((decisions - cancelled) * math.log1p(-theta) if decisions > cancelled else 0.0)
            )
        if callback is not None:
            callback(1, log_lik, {"theta": theta})
        return FitResult(
            model=cls(theta=theta, time_unit=unit),
            log_likelihood=log_lik,
            param_names=("theta",),
            estimates=(theta,),
            covariance=np.array([[variance]]),
            n_customers=counts.n_customers,
            n_unique=counts.n_rows,
            converged=True,
            iterations=0,
            message="closed form: theta = cancellations / renewal decisions",
            at_boundary=at_boundary,
        )

    def churn_probability(self, t: ArrayLike) -> _F:
        """P(T = t) = theta (1 - theta)^(t-1): a new customer cancels in period t (t >= 1).

        Examples
        --------
        >>> ShiftedGeometric(theta=0.5).churn_probability([1, 2, 3]).tolist()
        [0.5, 0.25, 0.125]
        """
        tt = _periods(t, low=1)
        return scalar_or_array(self.theta * self._power(tt - 1.0))

    def survival(self, t: ArrayLike) -> _F:
        """S(t) = (1 - theta)^t: share of a cohort still active after t periods (t >= 0).

        Examples
        --------
        >>> ShiftedGeometric(theta=0.25).survival([0, 1, 2]).tolist()
        [1.0, 0.75, 0.5625]
        """
        return scalar_or_array(self._power(_periods(t, low=0)))

    def retention_rate(self, t: ArrayLike) -> _F:
        """r_t = S(t) / S(t-1) = 1 - theta for every period t >= 1.

        Examples
        --------
        >>> ShiftedGeometric(theta=0.25).retention_rate([1, 5]).tolist()
        [0.75, 0.75]
        """
        tt = _periods(t, low=1)
        return scalar_or_array(np.full(tt.shape, 1.0 - self.theta))

    def _power(self, k: _F) -> _F:
        # (1 - theta)^k with 0^0 = 1 (theta = 1: S(0) = 1, S(t) = 0 for t >= 1)
        return np.asarray(np.power(1.0 - self.theta, k), dtype=np.float64)

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL: expected discounted number of payments of a new customer, first one now.

        .. math::

            DEL(d) = \\sum_{t=0}^{\\infty}\\frac{(1-\\theta)^t}{(1+d)^t}
            = \\frac{1+d}{d+\\theta}

        ``discount_rate`` is per period, > 0.

        Examples
        --------
        >>> ShiftedGeometric(theta=0.1).discounted_expected_lifetime(0.1)
        5.5
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        return (1.0 + d) / (d + self.theta)

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: ArrayLike = 0
    ) -> _F | float:
        """DERL: expected discounted future payments of a customer who has renewed n-1 times.

        .. math::

            DERL(d \\mid n-1) = \\sum_{k=0}^{\\infty}\\frac{S(n+k)}{S(n-1)}\\frac{1}{(1+d)^k}
            = \\frac{(1-\\theta)(1+d)}{d+\\theta}

        the same for every tenure (no heterogeneity, no sorting of the good risks); the
        payment at the coming renewal is not discounted (Fader & Hardie 2010, eq. 6 in
        the limit of a point mass).

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
        >>> ShiftedGeometric(theta=0.1).discounted_expected_residual_lifetime(0.1)
        4.95
        """
        d = check_in_range(discount_rate, name="discount_rate", low=0.0, low_inclusive=False)
        n = _periods(renewals, low=0, name="renewals")
        value = (1.0 - self.theta) * (1.0 + d) / (d + self.theta)
        if np.ndim(renewals) == 0:
            return value
        return np.full(n.shape, value)

    def expected_residual_lifetime(self, renewals: ArrayLike = 0) -> _F | float:
        """Expected number of further renewals, undiscounted: (1 - theta) / theta.

        The same at every tenure. The expected lifetime of a new customer in periods
        (renewals + 1) is ``1 / theta``.

        Raises
        ------
        InvalidValueError
            If ``theta == 0`` (nobody ever leaves: the expectation is infinite; use a
            discount rate).

        Examples
        --------
        >>> ShiftedGeometric(theta=0.2).expected_residual_lifetime([0, 7]).tolist()
        [4.0, 4.0]
        """
        if self.theta == 0.0:
            raise InvalidValueError(
                "with theta=0 nobody ever cancels and the expected residual lifetime is "
                "infinite; use discounted_expected_residual_lifetime with a discount rate > 0."
            )
        n = _periods(renewals, low=0, name="renewals")
        value = (1.0 - self.theta) / self.theta
        return value if np.ndim(renewals) == 0 else np.full(n.shape, value)

    def simulate(self, n_customers: int, T: int, rng: Any) -> pd.DataFrame:
        """Draw the renewal histories of a cohort of ``n_customers`` over ``T`` periods.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``periods_survived`` (renewals made, 0..T, int64)
            and ``churned`` (bool, cancelled within the T periods), as
            :meth:`ShiftedBetaGeometric.simulate`.

        Examples
        --------
        >>> import numpy as np
        >>> sim = ShiftedGeometric(theta=0.3).simulate(5, 4, np.random.default_rng(1))
        >>> list(sim.columns), len(sim)
        (['periods_survived', 'churned'], 5)
        """
        size = positive_count(n_customers, name="n_customers")
        horizon = positive_count(T, name="T")
        gen = as_generator(rng, allow_none=False)
        if self.theta == 0.0:
            churn_period = np.full(size, horizon + 1, dtype=np.int64)
        else:
            churn_period = gen.geometric(self.theta, size)
        return pd.DataFrame(
            {
                "periods_survived": np.minimum(churn_period - 1, horizon).astype(np.int64),
                "churned": churn_period <= horizon,
            },
            index=pd.RangeIndex(size, name="customer_id"),
        )
