"""Gamma-Gamma: the spend-per-transaction model of Fader, Hardie & Lee (2005).

The value of each of a customer's transactions is Gamma(p, ν) (shape p, rate ν); the
rate ν is Gamma(q, γ) (shape q, rate γ) across customers. The customer's observed mean
spend per repeat transaction :math:`\\bar z` over *x* transactions is the sufficient
statistic. The paper calls the scale parameter γ; crmkit names it ``v`` (as lifetimes
and PyMC-Marketing do) to avoid a clash with the BG/BB γ. Spend is assumed independent
of purchase frequency: fitting warns with :class:`SpendFrequencyCorrelationWarning` when
the data contradict that.
"""

from __future__ import annotations

import warnings
from typing import Any, Final, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit import columns as cols
from crmkit._compat import renamed_keywords
from crmkit._validation import (
    NanPolicy,
    as_generator,
    check_numeric_column,
    handle_nan,
    real_array,
    require_columns,
    require_nonempty,
)
from crmkit.clv._base import FitResult, Progress, maximize_log_likelihood
from crmkit.clv._boundary import gamma_gamma_boundary, search_box
from crmkit.clv._checks import (
    broadcast_values,
    labels_of,
    positive_count,
    positive_finite,
    real_parameter,
)
from crmkit.clv._dask import WEIGHT, distinct_rows, is_dask, scores_on_partitions
from crmkit.clv._data import as_summary_frame
from crmkit.clv._persist import Persistable
from crmkit.clv._pochhammer import digamma_diff, log_poch
from crmkit.clv._special import wdot
from crmkit.clv._starts import gamma_gamma_moment_start
from crmkit.exceptions import (
    DegenerateDataWarning,
    InvalidValueError,
    SpendFrequencyCorrelationWarning,
)

__all__ = ["CORRELATION_THRESHOLD", "GammaGamma", "SpendFrequencyCorrelationWarning"]

_NAMES = ("p", "q", "v")
_F = NDArray[np.float64]

CORRELATION_THRESHOLD: Final = 0.3
"""Absolute Pearson correlation of frequency and mean spend (repeat buyers) above
which :meth:`GammaGamma.fit` warns that the independence assumption is doubtful."""


def _spend_arrays(
    summary: pd.DataFrame,
    *,
    frequency_col: str,
    monetary_value_col: str,
    nan_policy: NanPolicy = "raise",
    require_repeat: bool,
    weights_col: str | None = None,
) -> tuple[_F, _F, _F, pd.Index]:
    """Validate (frequency, monetary_value[, weights]); return x, mean spend, weights, index."""
    needed = [frequency_col, monetary_value_col] + (
        [weights_col] if weights_col is not None else []
    )
    summary = as_summary_frame(summary, needed, family="Gamma-Gamma")
    require_columns(summary, needed)
    require_nonempty(summary, name="the Gamma-Gamma summary")
    for c in needed:
        check_numeric_column(summary, c)
    frame = handle_nan(summary, needed, nan_policy)
    require_nonempty(frame, name="the Gamma-Gamma summary after dropping missing values")
    x = frame[frequency_col].to_numpy(dtype=np.float64)
    m = frame[monetary_value_col].to_numpy(dtype=np.float64)
    bad_x = ~np.isfinite(x) | (x < 0) | (np.abs(x - np.round(x)) > 1e-9)
    if bad_x.any():
        raise InvalidValueError(
            f"Gamma-Gamma: column {frequency_col!r} must hold whole numbers >= 0; bad values "
            f"{x[bad_x][:3].tolist()} at index {labels_of(frame.index, bad_x)}."
        )
    repeat = x > 0
    bad_m = repeat & (~np.isfinite(m) | (m <= 0) | (m > 1e150))  # squares stay finite
    if bad_m.any():
        raise InvalidValueError(
            f"Gamma-Gamma: {int(bad_m.sum())} repeat buyer(s) at index "
            f"{labels_of(frame.index, bad_m)} have zero, negative, infinite or huge (> 1e150) "
            f"{monetary_value_col!r} "
            f"({m[bad_m][:3].tolist()}); the model needs positive spend. Remove returns and "
            "free orders from the spend average, or drop these customers explicitly."
        )
    if require_repeat and not repeat.any():
        raise InvalidValueError(
            "Gamma-Gamma: no customer has frequency > 0, so there is no repeat spend to fit; "
            "the model is fitted on repeat buyers only."
        )
    w = (
        frame[weights_col].to_numpy(dtype=np.float64)
        if weights_col is not None
        else np.ones(x.size)
    )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidValueError(f"Gamma-Gamma: column {weights_col!r} must hold counts >= 0.")
    return np.round(x), m, w, frame.index


@attrs.frozen(kw_only=True)
class GammaGamma(Persistable):
    """The Gamma-Gamma model of mean spend per transaction, as a frozen value.

    For a customer with *x* repeat transactions of mean value :math:`\\bar z`
    (Fader & Hardie 2013, note 025, eq. 3; Colombo & Jiang 1999):

    .. math::

        f(\\bar z \\mid p, q, \\gamma; x) =
        \\frac{\\Gamma(px+q)}{\\Gamma(px)\\Gamma(q)}
        \\frac{\\gamma^{q}\\,\\bar z^{px-1} x^{px}}{(\\gamma + x\\bar z)^{px+q}}

    and the posterior mean spend per transaction (FHL 2005, eq. 5) is

    .. math::

        E[Z\\mid p,q,\\gamma; \\bar z, x] =
        \\frac{q-1}{px+q-1}\\,\\frac{p\\gamma}{q-1}
        + \\frac{px}{px+q-1}\\,\\bar z .

    Parameters
    ----------
    p : float
        Shape of the per-transaction spend distribution (> 0).
    q : float
        Shape of the distribution of the spend rate ν across customers (> 0).
    v : float
        Scale γ of that distribution in FHL (2005) (> 0), in money units.

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
      curves for customer base analysis. *J. Marketing Research*, 42(4), 415-430.
    - Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value
      (brucehardie.com, note 025).
    - Colombo, R. & Jiang, W. (1999). A stochastic RFM model. *J. Interactive Marketing*,
      13(3), 2-12.

    Examples
    --------
    FHL (2005) publish p = 6.25, q = 3.74, γ = 15.44 for the 946 CDNOW repeat buyers;
    the packaged summary has the mean spend rounded to cents, which moves γ to 15.4477:

    >>> from crmkit.datasets import load_cdnow_summary
    >>> s = load_cdnow_summary()
    >>> fit = GammaGamma.fit(s)
    >>> {k: round(v, 4) for k, v in fit.params.items()}
    {'p': 6.2488, 'q': 3.7446, 'v': 15.4477}
    >>> fit.n_customers
    946
    """

    p: float = attrs.field(converter=real_parameter, validator=positive_finite)
    q: float = attrs.field(converter=real_parameter, validator=positive_finite)
    v: float = attrs.field(converter=real_parameter, validator=positive_finite)

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name: ``p``, ``q``, ``v`` (the paper's γ)."""
        return {"p": self.p, "q": self.q, "v": self.v}

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame,
        /,
        *,
        frequency_col: str = cols.FREQUENCY,
        monetary_value_col: str = cols.MONETARY_VALUE,
        weights_col: str | None = None,
        x0: ArrayLike | None = None,
        nan_policy: NanPolicy = "raise",
        strict: bool = True,
        callback: Progress | None = None,
    ) -> FitResult[Self]:
        """Fit on the repeat buyers of a summary (customers with frequency 0 are excluded).

        The search is bounded (log-parameters in ``[1e-6, 1e8]`` times the moment
        start). If every customer's spend rate is the same (no heterogeneity between
        customers), the maximum lies at q, v -> infinity with v/q fixed: the fit stops
        there with a :class:`~crmkit.exceptions.BoundaryWarning` and every customer's
        expected spend is the population mean p v / q.

        Parameters
        ----------
        summary : pandas.DataFrame
            ``frequency`` (repeat transactions *x*) and ``monetary_value`` (mean value of
            the *repeat* transactions, :math:`\\bar z`). Customers with x = 0 carry no
            spend information and are left out explicitly; their count is not in
            ``n_customers``.
        frequency_col, monetary_value_col : str
            Column names.
        weights_col : str, optional
            Column of customer counts per row.
        x0 : array-like of 3 floats, optional
            Starting values (default: method-of-moments values from the data).
        nan_policy : {"raise", "omit"}
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if the optimiser fails.
        callback : callable, optional
            ``callback(iteration, log_likelihood, params)`` after each iteration.

        Returns
        -------
        FitResult[GammaGamma]

        Raises
        ------
        InvalidValueError
            Zero/negative spend of a repeat buyer (the rows are named), non-integer
            frequency, or no repeat buyer at all.

        Warns
        -----
        SpendFrequencyCorrelationWarning
            If the absolute Pearson correlation of frequency and monetary value over
            the repeat buyers exceeds :data:`CORRELATION_THRESHOLD` (0.3).
        DegenerateDataWarning
            If fewer than 10 repeat buyers or a single distinct spend value: the
            estimates are then poorly identified.
        """
        if is_dask(summary):  # the cluster reduces the customers to distinct (x, zbar)
            keys = [frequency_col, monetary_value_col]
            summary = distinct_rows(summary, keys, weights_col, name="Gamma-Gamma")
            weights_col = WEIGHT
        x, m, w, _ = _spend_arrays(
            summary,
            frequency_col=frequency_col,
            monetary_value_col=monetary_value_col,
            nan_policy=nan_policy,
            require_repeat=True,
            weights_col=weights_col,
        )
        keep = (x > 0) & (w > 0)
        x, m, w = x[keep], m[keep], w[keep]
        # weights count customers: a collapsed summary must warn exactly like the
        # one-row-per-customer summary it stands for
        n_buyers = float(w.sum())
        mean = float(np.average(m, weights=w))
        var = float(np.average((m - mean) ** 2, weights=w))
        if n_buyers < 10 or np.unique(m).size < 2:
            warnings.warn(
                f"Gamma-Gamma: only {n_buyers:g} repeat buyer(s) with "
                f"{np.unique(m).size} distinct spend value(s); the estimates are poorly "
                "identified.",
                DegenerateDataWarning,
                stacklevel=2,
            )
        else:
            x_mean = float(np.average(x, weights=w))
            x_var = float(np.average((x - x_mean) ** 2, weights=w))
            if x_var > 0:
                cov = float(np.average((x - x_mean) * (m - mean), weights=w))
                r = cov / np.sqrt(x_var * var)
                if abs(r) > CORRELATION_THRESHOLD:
                    warnings.warn(
                        "Gamma-Gamma assumes spend per transaction is independent of "
                        "frequency, but their Pearson correlation over the repeat buyers is "
                        f"{r:.3f} (|r| > {CORRELATION_THRESHOLD}); predictions of spend may "
                        "be biased. Consider modelling segments separately.",
                        SpendFrequencyCorrelationWarning,
                        stacklevel=2,
                    )
        default = gamma_gamma_moment_start(m, w)  # moments: see crmkit.clv._starts
        start = default if x0 is None else real_array(x0, name="x0")
        others = [default * np.array([0.3, 1.0, 0.3]), default * np.array([3.0, 3.0, 3.0])]

        # Only ln(v + x zbar) varies per customer; the gamma-function terms depend on x
        # alone and the ln(zbar) terms reduce to two sums, so each evaluation costs one
        # log per customer (note 025, eq. 3, regrouped).
        ux, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv.reshape(-1), weights=w)
        xm = x * m
        s1 = float(wdot(w, x * np.log(m)))
        s0 = float(wdot(w, np.log(m)))
        wx_logx = float(wdot(wx, ux * np.log(ux)))

        # Written so that nothing cancels when q, v -> infinity together (one spend rate
        # for everyone, the limit the fit may end on): Gamma(px + q)/Gamma(q) as a
        # log-Pochhammer symbol and q ln v - (px + q) ln(v + x zbar) as
        # -q log1p(x zbar / v) - px ln(v + x zbar).
        def loglik(theta: _F) -> float:
            p, q, v = (float(t) for t in theta)
            pux = p * ux
            per_x = log_poch(q, pux) - special.gammaln(pux)
            l1p = np.log1p(xm / v)
            log_v_xm = np.log(v) + l1p
            return float(
                wdot(wx, per_x)
                + p * (wx_logx + s1)
                - s0
                - q * wdot(w, l1p)
                - p * wdot(w, x * log_v_xm)
            )

        def gradient(theta: _F) -> _F:
            p, q, v = (float(t) for t in theta)
            pux = p * ux
            dpsi = digamma_diff(q, pux)  # psi(px + q) - psi(q)
            l1p = np.log1p(xm / v)
            log_v_xm = np.log(v) + l1p
            dp = (
                wdot(wx, ux * (dpsi + special.digamma(q) - special.digamma(pux)))
                + wx_logx
                + s1
                - wdot(w, x * log_v_xm)
            )
            dq = wdot(wx, dpsi) - wdot(w, l1p)
            dv = wdot(w, (q * xm / v - p * x) / (v + xm))
            return np.array([dp, dq, dv], dtype=np.float64)

        opt = maximize_log_likelihood(
            loglik,
            start,
            names=_NAMES,
            n_obs=float(w.sum()),
            gradient=gradient,
            strict=strict,
            family="Gamma-Gamma",
            bounds=search_box(default),
            boundary=gamma_gamma_boundary(default),
            restarts=others if x0 is None else [default, *others],
            user_start=x0 is not None,
            callback=callback,
        )
        model = cls(**dict(zip(_NAMES, opt.params.tolist(), strict=True)))
        return FitResult.from_optimum(
            model, opt, names=_NAMES, n_customers=int(w.sum()), n_unique=int(x.size)
        )

    def expected_spend(self) -> float:
        """Mean spend per transaction of a randomly chosen new customer, :math:`p\\gamma/(q-1)`.

        Raises
        ------
        InvalidValueError
            If ``q <= 1``: the population mean is then infinite.

        Examples
        --------
        >>> round(GammaGamma(p=6.25, q=3.74, v=15.44).expected_spend(), 2)
        35.22
        """
        if self.q <= 1.0:
            raise InvalidValueError(
                f"GammaGamma(q={self.q}) has an infinite mean spend (needs q > 1); use "
                "conditional_expected_spend for customers with repeat transactions."
            )
        return self.p * self.v / (self.q - 1.0)

    @scores_on_partitions
    def conditional_expected_spend(
        self,
        summary: pd.DataFrame,
        *,
        frequency_col: str = cols.FREQUENCY,
        monetary_value_col: str = cols.MONETARY_VALUE,
    ) -> pd.Series:
        """Posterior mean spend per transaction of each customer (FHL 2005, eq. 5).

        Customers with frequency 0 get the population mean :meth:`expected_spend`
        (their ``monetary_value`` is ignored).

        Returns
        -------
        pandas.Series
            Named ``conditional_expected_spend``, indexed like ``summary``.

        Examples
        --------
        >>> import pandas as pd
        >>> gg = GammaGamma(p=6.25, q=3.74, v=15.44)
        >>> s = pd.DataFrame({"frequency": [2, 0], "monetary_value": [22.35, 0.0]})
        >>> gg.conditional_expected_spend(s).round(2).tolist()
        [24.66, 35.22]
        """
        x, m, _, index = _spend_arrays(
            summary,
            frequency_col=frequency_col,
            monetary_value_col=monetary_value_col,
            require_repeat=False,
        )
        px = self.p * x
        denom = px + self.q - 1.0
        if np.any(denom <= 0):
            raise InvalidValueError(
                f"GammaGamma(q={self.q}): the posterior mean is infinite for customers with "
                "p * frequency + q <= 1."
            )
        m_eff = np.where(x > 0, m, 0.0)
        out = self.p * (self.v + x * m_eff) / denom
        return pd.Series(out, index=index, name="conditional_expected_spend")

    @renamed_keywords(T="n_transactions")
    def simulate(self, n_customers: int, n_transactions: ArrayLike, rng: Any) -> pd.DataFrame:
        """Draw the mean spend of ``n_customers`` customers making ``n_transactions`` each.

        ν ~ Gamma(q, rate v) per customer; each transaction ~ Gamma(p, rate ν), so the
        sum of x transactions is Gamma(p x, rate ν).

        Parameters
        ----------
        n_customers : int
        n_transactions : int or array-like of int
            Number of transactions per customer (>= 1), broadcast to ``n_customers``
            (called ``T`` in crmkit 0.1).
        rng : numpy.random.Generator

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``frequency`` (int64) and ``monetary_value``.

        Examples
        --------
        >>> import numpy as np
        >>> sim = GammaGamma(p=6.25, q=3.74, v=15.44).simulate(3, 2, np.random.default_rng(0))
        >>> list(sim.columns), bool((sim["monetary_value"] > 0).all())
        (['frequency', 'monetary_value'], True)
        """
        size = positive_count(n_customers, name="n_customers")
        gen = as_generator(rng, allow_none=False)
        x = broadcast_values(n_transactions, size, name="n_transactions")
        if np.any(x < 1) or np.any(x != np.round(x)):
            raise InvalidValueError(
                f"n_transactions={n_transactions!r} must be whole numbers of transactions >= 1."
            )
        nu = gen.gamma(self.q, 1.0 / self.v, size)
        total = gen.gamma(self.p * x, 1.0 / nu)
        return pd.DataFrame(
            {cols.FREQUENCY: x.astype(np.int64), cols.MONETARY_VALUE: total / x},
            index=pd.RangeIndex(size, name=cols.CUSTOMER_ID),
        )
