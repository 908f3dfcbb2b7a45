"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

While active, a customer buys as a Poisson process with rate :math:`\\lambda`; their
unobserved lifetime is exponential with rate :math:`\\mu`. Across customers
:math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and :math:`\\mu \\sim \\text{Gamma}(s,
\\beta)`. The data per customer are *x* (repeat purchases), *t_x* (time of the last one)
and *T* (time since the first purchase).

Numerics: the likelihood's hypergeometric difference is the integral
:math:`\\int_{t_x}^{T} (\\alpha + y)^{-(r+x)} (\\beta + y)^{-(s+1)} dy`; it is computed as
a difference of two logarithms whose Gaussian hypergeometric functions are rewritten by
Euler's transformation into series of positive terms
(:func:`crmkit.clv._special.log_hyp2f1_1b`), so it stays finite and accurate for
frequencies and horizons of 10,000 periods and more (where lifetimes overflows).

Predictions for many customers at once (P(alive), conditional expected purchases,
customer lifetime value, the log-likelihood of a summary) read that hypergeometric term
from Chebyshev tables per purchase count (:mod:`crmkit.clv._pareto_predict`): a few
array passes per customer, with a proven error bound per customer (relative error of
P(alive) below 1e-10); customers outside the bound are computed directly.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv._hyp_pareto import log_hyp2f1_1b_rho, log_power_integral
from crmkit.clv._pareto_objective import pareto_objective
from crmkit.clv._pareto_predict import tabled_predict
from crmkit.clv._pareto_ratio import FAST_MIN_ROWS, pareto_log_ratio
from crmkit.clv._special import one_minus_exp_over, wdot
from crmkit.clv._starts import nbd_moment_start
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv._transaction_fit import Objective
from crmkit.timeunits import TimeUnit

__all__ = ["ParetoNBD", "pareto_objective"]

Arr = NDArray[np.float64]
WARM_MIN_ROWS = 30_000  # summaries with more rows are fitted from a subsample's estimate
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(128)


_STIRLING_R = 1e4  # from here on log Gamma(r + x) - log Gamma(r) by Stirling's series


def _stirling_tail(z: ArrayLike) -> Arr:
    """log Gamma(z) - ((z - 1/2) log z - z + log(2 pi)/2) for z >= 1e4: the series
    1/(12 z) - 1/(360 z^3) + 1/(1260 z^5) - 1/(1680 z^7), whose next term is below 1e-39."""
    zi = 1.0 / np.asarray(z, dtype=np.float64)
    z2 = zi * zi
    return np.asarray(zi * (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 / 1680))), np.float64)


def _log_rising(r: float, x: Arr) -> Arr:
    """log Gamma(r + x) - log Gamma(r) without cancelling large values: log Gamma(x) -
    log B(r, x) for r < 1e4, and for larger r (where ``betaln`` loses up to 1e-11
    relative) :math:`(r - 1/2)\\log(1 + x/r) + x \\log(r + x) - x` plus the difference
    of the Stirling tails."""
    xs = np.where(x > 0, x, 1.0)
    if r >= _STIRLING_R:
        tail = _stirling_tail(r + xs) - _stirling_tail(r)
        val = (r - 0.5) * np.log1p(xs / r) + xs * np.log(r + xs) - xs + tail
    else:
        val = special.gammaln(xs) - special.betaln(r, xs)
    return np.asarray(np.where(x > 0, val, 0.0), dtype=np.float64)


def _log_c_a(r: float, alpha: float, s: float, beta: float, x: Arr, T: Arr) -> Arr:
    """log of Gamma(r+x) alpha^r beta^s / Gamma(r) * A, A = (alpha+T)^-(r+x) (beta+T)^-s."""
    return np.asarray(
        _log_rising(r, x)
        - r * np.log1p(T / alpha)
        - x * np.log(alpha + T)
        - s * np.log1p(T / beta),
        dtype=np.float64,
    )


def _log_c_sd(r: float, alpha: float, s: float, beta: float, x: Arr, tx: Arr, T: Arr) -> Arr:
    """log of Gamma(r+x) alpha^r beta^s / Gamma(r) * s D, D = int_{t_x}^T (alpha + y)^-(r+x)
    (beta + y)^-(s+1) dy, without large cancelling terms (D by
    :func:`crmkit.clv._hyp_pareto.log_power_integral`, bounded cost; t_x < T)."""
    m = r + x
    small, big = min(alpha, beta), max(alpha, beta)
    v0 = small + tx
    rho0 = v0 / (big + tx)
    tau1 = np.log1p((T - tx) / v0)
    p, q = (m, np.full(m.shape, s + 1.0)) if alpha <= beta else (np.full(m.shape, s + 1.0), m)
    log_i = log_power_integral(p, q, rho0, tau1)[0].reshape(m.shape)
    return np.asarray(
        _log_rising(r, x)
        - r * np.log1p(tx / alpha)
        - x * np.log(alpha + tx)
        - s * np.log1p(tx / beta)
        - np.log(beta + tx)
        + np.log(s)
        + np.log(v0)
        + log_i,
        dtype=np.float64,
    )


def pareto_start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
    """Starting values: (r, alpha) by the NBD mean and zeros, s = 1, beta = mean T.

    See :mod:`crmkit.clv._starts`.
    """
    r, alpha = nbd_moment_start(x, T, w)
    mean_T = max(wdot(w, T) / float(w.sum()), 1e-6)
    return np.array([r, alpha, 1.0, mean_T])


def _share_lambda(A: Arr, S: float, a1: Arr, b1: Arr) -> Arr:
    """E[lambda / (lambda + mu)] for independent Gamma(A, a1) and Gamma(S, b1) rates.

    .. math:: \\frac{A}{(A + S)\\kappa}\\,{}_2F_1(1, A + 1; A + S + 1; 1 - 1/\\kappa),
              \\quad \\kappa = a_1 / b_1,

    used as written when :math:`a_1 \\ge b_1` and through :math:`1 - E[\\mu/(\\lambda+\\mu)]`
    otherwise, so that the argument always lies in [0, 1).
    """
    A, a1, b1 = np.broadcast_arrays(A, a1, b1)
    first = a1 >= b1
    kappa = np.where(first, a1 / b1, b1 / a1)
    rho0 = np.where(first, b1 / a1, a1 / b1)
    z = np.where(first, (a1 - b1) / a1, (b1 - a1) / b1)
    B = np.where(first, A + 1.0, S + 1.0)
    log_f = log_hyp2f1_1b_rho(B, A + S + 1.0, z, rho0)[0]
    share = np.where(first, A, S) / (A + S) / kappa * np.exp(log_f)
    return np.asarray(np.where(first, share, 1.0 - share), dtype=np.float64)


@attrs.frozen(kw_only=True)
class ParetoNBD(TransactionFamily):
    """The Pareto/NBD model as a value: build it from published parameters or fit it.

    .. math::

        L = \\frac{\\Gamma(r + x)\\,\\alpha^r \\beta^s}{\\Gamma(r)} \\Bigl[
        \\frac{1}{(\\alpha + T)^{r + x} (\\beta + T)^s}
        + s \\int_{t_x}^{T} \\frac{dy}{(\\alpha + y)^{r + x} (\\beta + y)^{s + 1}} \\Bigr]

    (Fader & Hardie 2005, note 009, eq. 19; the integral equals the difference of
    Gaussian hypergeometric terms of their eq. 22 with :math:`A_0`), evaluated on the log
    scale.

    Parameters
    ----------
    r, alpha : float
        Gamma distribution of the purchase rate :math:`\\lambda` (``alpha`` in the
        summary's time unit), both > 0.
    s, beta : float
        Gamma distribution of the dropout rate :math:`\\mu` (``beta`` in the summary's
        time unit), both > 0.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The time unit of the summary the parameters refer to.

    Notes
    -----
    - :meth:`expected_purchases`: :math:`E[X(t)] = \\frac{r\\beta}{\\alpha(s-1)}
      [1 - (\\frac{\\beta}{\\beta + t})^{s-1}]` (note 009, eq. 17; the limit
      :math:`\\frac{r\\beta}{\\alpha}\\log(1 + t/\\beta)` at :math:`s = 1`);
    - :meth:`conditional_expected_purchases`: note 009, eq. 41;
    - :meth:`probability_alive`: :math:`P(\\text{alive}) = \\text{first term} / L` (eq.
      18), and at :math:`T + t`: times :math:`(\\frac{\\beta + T}{\\beta + T + t})^s`;
    - :meth:`probability_no_purchase`: :math:`1 - P(\\text{alive}) + P(\\text{alive})\\,
      E[\\frac{\\mu}{\\lambda + \\mu} + \\frac{\\lambda}{\\lambda + \\mu}
      e^{-(\\lambda + \\mu) t}]` over the posterior of an active customer;
    - :meth:`probability_of_purchases`: :math:`P(X(t) = k) = (\\frac{\\beta}{\\beta +
      t})^s \\text{NB}(k; t) + \\int_0^t \\text{NB}(k; u)\\, dF(u)`, the NBD count
      mixed over the Pareto (Lomax) lifetime :math:`F`, by 128-point Gauss-Legendre
      quadrature in :math:`F`.

    References
    ----------
    - Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers:
      who are they and what will they do next? *Management Science* 33(1), 1-24.
    - Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
      related expressions. Note 009, brucehardie.com/notes/009.
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way. *Marketing Science* 24(2), 275-284 (Pareto/NBD estimates for CDNOW).

    Examples
    --------
    >>> from crmkit.clv import ParetoNBD
    >>> pnbd = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")
    >>> round(float(pnbd.expected_purchases(39)), 4)
    1.2024
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {"frequency": [2, 10_000], "recency": [30.43, 9_990.0], "T": [38.86, 10_000.0]}
    ... )
    >>> pnbd.probability_alive(s).round(4).tolist()
    [0.8684, 0.4278]
    """

    _family: ClassVar[str] = "Pareto/NBD"
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    s: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _warm_start_rows: ClassVar[int | None] = WARM_MIN_ROWS

    @classmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        return pareto_objective(x, tx, T, w)

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        return pareto_start(x, tx, T, w)

    def _log_ratio(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        x, tx, T = np.broadcast_arrays(x, tx, T)
        shape = x.shape
        x, tx, T = (np.asarray(a, dtype=np.float64).ravel() for a in (x, tx, T))
        theta = (self.r, self.alpha, self.s, self.beta)
        if x.size < FAST_MIN_ROWS:
            return pareto_log_ratio(*theta, x, tx, T)[0].reshape(shape)
        got = self._tabled("log_ratio", x, tx, T)
        return (got if got is not None else self._log_ratio_many(x, tx, T)).reshape(shape)

    def _tabled(self, what: str, x: Arr, tx: Arr, T: Arr, t: float = 0.0) -> Arr | None:
        """Many 1-d histories: ``what`` of :func:`tabled_predict` (tables per purchase
        count with a proven error bound per row), the rows outside the bound from R
        computed directly; None where the tables do not apply."""
        if x.ndim != 1 or x.size < FAST_MIN_ROWS or not (x.shape == tx.shape == T.shape):
            return None
        x, tx, T = (np.asarray(a, dtype=np.float64) for a in (x, tx, T))
        theta = (self.r, self.alpha, self.s, self.beta)
        got = tabled_predict(theta, x, tx, T, what=what, t=t)
        if got is None:
            return None
        values, ok = got
        rest = np.flatnonzero(~ok) if not ok.all() else np.empty(0, dtype=np.intp)
        if rest.size:
            xr, Tr = x[rest], T[rest]
            R = self._log_ratio_many(xr, tx[rest], Tr)
            if what == "log_ratio":
                values[rest] = R
            else:
                with np.errstate(over="ignore"):  # e^R = inf: P(alive) = 0
                    pa = 1.0 / (1.0 + np.exp(R))
                values[rest] = pa if what == "p_alive" else self._per_customer(t, xr, Tr, pa)
        return values

    def _log_ratio_many(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        """R of 1-d arrays by :func:`pareto_log_ratio` (interpolated from FAST_MIN_ROWS on)."""
        theta = (self.r, self.alpha, self.s, self.beta)
        if x.size < FAST_MIN_ROWS:
            return pareto_log_ratio(*theta, x, tx, T)[0]
        # sorted by x: the interpolated path then evaluates contiguous groups
        groups = None
        if float(x.min()) >= 0.0 and float(x.max()) < 2**15 and np.array_equal(x, np.floor(x)):
            key = x.astype(np.int16)  # counts: their own group codes, radix-sorted
            order = np.argsort(key, kind="stable")
            codes = key[order].astype(np.intp)
            groups = (codes, np.arange(int(codes[-1]) + 1, dtype=np.float64))
        else:
            fc, levels = pd.factorize(x, sort=True)
            order = np.argsort(fc.astype(np.int16) if len(levels) < 2**15 else fc, kind="stable")
        R = np.empty(x.size)
        R[order] = pareto_log_ratio(*theta, x[order], tx[order], T[order], groups=groups)[0]
        return R

    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        x, tx, T = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(x, tx, T))
        log_ca = _log_c_a(self.r, self.alpha, self.s, self.beta, x, T)
        R = self._log_ratio(x, tx, T)
        ll = np.asarray(log_ca + np.logaddexp(0.0, R), np.float64)
        # log L = log(C A) + softplus(R) loses |log(C A)| * 1e-16 where the two nearly
        # cancel (R ~ -log(C A) ~ 1e8 for r ~ 1e8): there log(C s D) is formed directly
        # and log L = log(C s D) + log(1 + e^-R)
        bad = (R > 0.0) & (np.abs(log_ca) > 1e3 * np.maximum(1.0, np.abs(ll)))
        if np.any(bad):
            log_csd = _log_c_sd(self.r, self.alpha, self.s, self.beta, x[bad], tx[bad], T[bad])
            ll[bad] = log_csd + np.log1p(np.exp(-R[bad]))
        return ll

    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        got = self._tabled("p_alive", x, tx, T)
        if got is not None:
            return got
        # expit(-R) = 1 / (1 + e^R), accurate for every R (R = -inf where t_x = T)
        R = self._log_ratio(x, tx, T)
        with np.errstate(over="ignore"):  # e^R = inf: P(alive) = 0
            return np.asarray(1.0 / (1.0 + np.exp(R)), dtype=np.float64)

    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        if np.ndim(t) == 0 and float(t) == 0.0:  # alive now: no factor
            return np.asarray(1.0)
        return np.asarray(np.exp(-self.s * np.log1p(t / (self.beta + T))), dtype=np.float64)

    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        A = self.r + x
        a1, b1 = self.alpha + T, self.beta + T
        share_now = _share_lambda(A, self.s, a1, b1)
        share_later = _share_lambda(A, self.s, a1 + t, b1 + t)
        log_d = -A * np.log1p(t / a1) - self.s * np.log1p(t / b1)
        return np.asarray(1.0 - share_now + np.exp(log_d) * share_later, dtype=np.float64)

    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        if np.ndim(t) == 0:
            got = self._tabled("conditional", x, tx, T, float(t))
            if got is not None:
                return got
        return self._per_customer(t, x, T, self._p_alive_rows(x, tx, T))

    def _per_customer(self, t: Arr | float, x: Arr, T: Arr, p_alive: Arr) -> Arr:
        """Note 009, eq. 41 from P(alive): the rate (r + x) / (alpha + T) times (beta + T)
        times P(alive), times per horizon int_0^t ((beta + T) / (beta + T + u))^s du /
        (beta + T) = L (1 - e^{-(s - 1) L}) / ((s - 1) L), L = log(1 + t / (beta + T))."""
        per_customer = (self.r + x) * (self.beta + T) / (self.alpha + T) * p_alive
        L = np.log1p(t / (self.beta + T))
        sm1 = self.s - 1.0
        per_horizon = L if sm1 == 0.0 else np.expm1(-sm1 * L) / -sm1
        return np.asarray(per_customer * per_horizon, dtype=np.float64)

    def _discounted_rows(self, ends: Arr, discount: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        # sum_k d_k (E[X(t_k)] - E[X(t_(k-1))]) = P(alive) (r + x)(beta + T)/(alpha + T)
        # * G(T), G(T) = sum_k c_k H(t_k; beta + T), c_k = d_k - d_(k+1) (Abel summation):
        # the horizons enter through one function of T, evaluated once per row
        x, tx, T = (np.asarray(a, dtype=np.float64).ravel() for a in np.broadcast_arrays(x, tx, T))
        coefs = discount - np.append(discount[1:], 0.0)
        G = self._horizon_sum(np.asarray(ends, dtype=np.float64), coefs, T)
        per_customer = (self.r + x) * (self.beta + T) / (self.alpha + T)
        value = per_customer * self._p_alive_rows(x, tx, T) * G
        return np.asarray(np.maximum(value, 0.0), dtype=np.float64)

    def _horizon_sum(self, ends: Arr, coefs: Arr, T: Arr) -> Arr:
        """:math:`\\sum_k c_k H(t_k)` per row, :math:`H(t) = \\int_0^t (\\frac{\\beta +
        T}{\\beta + T + u})^s du / (\\beta + T)` (the horizon factor of
        :meth:`_conditional_rows`).

        As a function of :math:`v = \\log(\\beta + T)` it is analytic in the strip
        :math:`|\\Im v| < \\pi` (its singularities lie at :math:`\\beta + T = -t_k`),
        so on many distinct T it is interpolated by checked Chebyshev pieces
        (:func:`crmkit.clv._chebyshev.grouped_interpolate`, one group); few distinct T,
        small inputs and failed pieces are summed directly (bounded blocks).
        """
        from crmkit.clv._chebyshev import grouped_interpolate

        sm1 = self.s - 1.0

        def direct(bT: Arr) -> Arr:
            out = np.empty(bT.size)
            block = max(1, (1 << 19) // max(ends.size, 1))
            for a in range(0, bT.size, block):  # bounded memory per block
                L = np.log1p(ends[None, :] / bT[a : a + block, None])
                H = L if sm1 == 0.0 else np.expm1(-sm1 * L) / -sm1
                out[a : a + block] = np.einsum("ij,j->i", H, coefs)
            return out

        if T.size < FAST_MIN_ROWS:
            return direct(self.beta + T)
        codes, levels = pd.factorize(T)
        if 4 * len(levels) < T.size:  # few distinct T: once per value
            return direct(self.beta + np.asarray(levels, dtype=np.float64))[codes]
        v = np.log(self.beta + T)
        G, done = grouped_interpolate(
            lambda g, u: direct(np.exp(u))[None],
            np.zeros(T.size, dtype=np.intp),
            v,
            1,
            rtol=np.array([1e-13]),
        )
        rest = np.flatnonzero(~done)
        out = G[0]
        if rest.size:
            out[rest] = direct(self.beta + T[rest])
        return np.asarray(out, dtype=np.float64)

    def _expected(self, t: Arr) -> Arr:
        L = np.log1p(t / self.beta)
        value = self.r * self.beta / self.alpha * L * one_minus_exp_over((self.s - 1.0) * L)
        return np.asarray(value, dtype=np.float64)

    def _log_nb(self, k: Arr, u: Arr) -> Arr:
        r, alpha = self.r, self.alpha
        return np.asarray(
            special.gammaln(r + k)
            - special.gammaln(r)
            - special.gammaln(k + 1.0)
            - r * np.log1p(u / alpha)
            + special.xlogy(k, u / (alpha + u)),
            dtype=np.float64,
        )

    def _pmf(self, k: Arr, t: Arr) -> Arr:
        s, beta = self.s, self.beta
        log_surv = -s * np.log1p(t / beta)
        first = np.exp(log_surv + self._log_nb(k, t))
        F = -np.expm1(log_surv)
        v = (F[..., None] / 2.0) * (_NODES + 1.0)
        u = beta * np.expm1(-np.log1p(-v) / s)
        inner = np.einsum("...j,j->...", np.exp(self._log_nb(k[..., None], u)), _WEIGHTS)
        return np.asarray(first + F / 2.0 * inner, dtype=np.float64)

    def _simulate_arrays(self, T: Arr, rng: np.random.Generator) -> tuple[Arr, Arr]:
        n = T.size
        lam = rng.gamma(self.r, 1.0 / self.alpha, size=n)
        mu = rng.gamma(self.s, 1.0 / self.beta, size=n)
        # tiny s (the no-dropout limit) draws rates that underflow to 0: an infinite
        # lifetime, i.e. the customer is exposed for all of T (not a warning)
        with np.errstate(divide="ignore"):
            life = rng.exponential(1.0, size=n) / mu
        exposure = np.minimum(life, T)
        x = rng.poisson(lam * exposure).astype(np.float64)
        buyers = x > 0
        tx = np.zeros(n)
        tx[buyers] = exposure[buyers] * rng.beta(x[buyers], 1.0)
        return x, tx
