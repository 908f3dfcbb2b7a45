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
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._checks import optional_time_unit, positive_finite
from crmkit.clv._special import (
    log1mexp,
    log_hyp2f1_1b,
    log_hyp2f1_1b_grad,
    one_minus_exp_over,
    wdot,
)
from crmkit.clv._transaction import (
    Objective,
    TransactionMixin,
    unique_pairs,
)
from crmkit.timeunits import TimeUnit

__all__ = ["ParetoNBD"]

Arr = NDArray[np.float64]
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(128)


def _log_g(r: float, alpha: float, s: float, beta: float, x: Arr, y: Arr) -> Arr:
    """log of G(y) = int_y^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du (Euler-transformed 2F1)."""
    a = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + y)
        out = (
            -(r + x) * np.log(alpha + y)
            - s * np.log(beta + y)
            + log_hyp2f1_1b(r + x, a + 1.0, z)
            - np.log(a)
        )
    else:
        z = (beta - alpha) / (beta + y)
        out = (
            -(r + x - 1.0) * np.log(alpha + y)
            - (s + 1.0) * np.log(beta + y)
            + log_hyp2f1_1b(s + 1.0, a + 1.0, z)
            - np.log(a)
        )
    return np.asarray(out, dtype=np.float64)


def _log_g_pairs(r: float, alpha: float, s: float, beta: float, x: Arr, y: Arr) -> Arr:
    """:func:`_log_g` evaluated once per distinct (x, y) pair of long 1-d inputs."""
    x, y = np.broadcast_arrays(x, y)
    pairs = unique_pairs(x, y)
    if pairs is None:
        return _log_g(r, alpha, s, beta, x, y)
    return _log_g(r, alpha, s, beta, pairs[0], pairs[1])[pairs[2]]


def _log_terms(
    r: float, alpha: float, s: float, beta: float, x: Arr, tx: Arr, T: Arr
) -> tuple[Arr, Arr, Arr]:
    """(log C, log of the alive-at-T term, log of the died-in-(t_x, T] term) per row."""
    log_c = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    g_tx = _log_g_pairs(r, alpha, s, beta, x, tx)
    g_T = _log_g_pairs(r, alpha, s, beta, x, T)
    died = np.log(s) + g_tx + log1mexp(np.minimum(g_T - g_tx, 0.0))
    return np.asarray(log_c), np.asarray(alive), np.asarray(died)


def _log_g_grad(r: float, alpha: float, s: float, beta: float, x: Arr, y: Arr) -> tuple[Arr, Arr]:
    """log G(y) (see :func:`_log_g`) and its gradient, shape ``(4, n)``, in (r, alpha, s, beta)."""
    a = r + s + x
    la, lb = np.log(alpha + y), np.log(beta + y)
    grad = np.empty((4, x.size))
    if alpha >= beta:
        z = (alpha - beta) / (alpha + y)
        f, dB, dC, dz = log_hyp2f1_1b_grad(r + x, a + 1.0, z)
        value = -(r + x) * la - s * lb + f - np.log(a)
        grad[0] = -la + dB + dC - 1.0 / a
        grad[1] = -(r + x) / (alpha + y) + dz * (beta + y) / (alpha + y) ** 2
        grad[2] = -lb + dC - 1.0 / a
        grad[3] = -s / (beta + y) - dz / (alpha + y)
    else:
        z = (beta - alpha) / (beta + y)
        f, dB, dC, dz = log_hyp2f1_1b_grad(s + 1.0, a + 1.0, z)
        value = -(r + x - 1.0) * la - (s + 1.0) * lb + f - np.log(a)
        grad[0] = -la + dC - 1.0 / a
        grad[1] = -(r + x - 1.0) / (alpha + y) - dz / (beta + y)
        grad[2] = -lb + dB + dC - 1.0 / a
        grad[3] = -(s + 1.0) / (beta + y) + dz * (alpha + y) / (beta + y) ** 2
    return np.asarray(value, dtype=np.float64), grad


def pareto_objective(x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
    """Weighted Pareto/NBD log-likelihood and analytic gradient.

    G is evaluated once per distinct (x, y) pair, y in {t_x, T}; terms in x alone once
    per distinct x.
    """
    xt = np.column_stack([np.concatenate([x, x]), np.concatenate([tx, T])])
    pairs, inv = np.unique(xt, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    i_tx, i_T = inv[: x.size], inv[x.size :]
    px, py = pairs[:, 0], pairs[:, 1]
    xu, xi = np.unique(x, return_inverse=True)
    wx = np.bincount(xi.reshape(-1), weights=w, minlength=xu.size)
    n = float(w.sum())

    def core(theta: Arr, grad: bool) -> tuple[float, Arr]:
        r, alpha, s, beta = (float(v) for v in theta)
        if grad:
            g, dg = _log_g_grad(r, alpha, s, beta, px, py)
        else:
            g, dg = _log_g(r, alpha, s, beta, px, py), np.empty((4, 0))
        g_tx, g_T = g[i_tx], g[i_T]
        laT, lbT = np.log(alpha + T), np.log(beta + T)
        alive = -(r + x) * laT - s * lbT
        delta = np.minimum(g_T - g_tx, 0.0)
        died = np.log(s) + g_tx + log1mexp(delta)
        rows = np.logaddexp(alive, died)
        value = (
            wdot(wx, special.gammaln(r + xu))
            + n * (r * float(np.log(alpha)) + s * float(np.log(beta)) - float(special.gammaln(r)))
            + wdot(w, rows)
        )
        if not grad:
            return value, np.zeros(4)
        p_alive = np.exp(alive - rows)
        p_died = w * (1.0 - p_alive)
        ratio = np.exp(delta)
        one_minus = -np.expm1(delta)
        # d log(G_tx - G_T) = (dlogG_tx - ratio * dlogG_T) / (1 - ratio), weighted by p_died
        scale_tx = np.divide(p_died, one_minus, out=np.zeros_like(p_died), where=one_minus > 0)
        scale_T = scale_tx * ratio
        wa = w * p_alive
        out = np.empty(4)
        for j in range(4):
            out[j] = wdot(scale_tx, dg[j][i_tx]) - wdot(scale_T, dg[j][i_T])
        out[0] += (
            wdot(wx, special.digamma(r + xu))
            + n * (float(np.log(alpha)) - float(special.digamma(r)))
            - wdot(wa, laT)
        )
        out[1] += n * r / alpha - wdot(wa * (r + x), 1.0 / (alpha + T))
        out[2] += n * float(np.log(beta)) - wdot(wa, lbT) + float(p_died.sum()) / s
        out[3] += n * s / beta - s * wdot(wa, 1.0 / (beta + T))
        return value, out

    return (lambda th: core(th, False)[0]), (lambda th: core(th, True))


def pareto_start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
    """Data-scaled starting values: r = s = 1, alpha = 1 / (purchase rate), beta = mean T."""
    rate = max(wdot(w, x) / max(wdot(w, T), 1e-12), 1e-6)
    mean_T = max(wdot(w, T) / float(w.sum()), 1e-6)
    return np.array([1.0, 1.0 / rate, 1.0, mean_T])


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
    z = 1.0 - 1.0 / kappa
    B = np.where(first, A + 1.0, S + 1.0)
    share = np.where(first, A, S) / (A + S) / kappa * np.exp(log_hyp2f1_1b(B, A + S + 1.0, z))
    return np.asarray(np.where(first, share, 1.0 - share), dtype=np.float64)


@attrs.frozen(kw_only=True)
class ParetoNBD(TransactionMixin):
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
    r: float = attrs.field(converter=float, validator=positive_finite)
    alpha: float = attrs.field(converter=float, validator=positive_finite)
    s: float = attrs.field(converter=float, validator=positive_finite)
    beta: float = attrs.field(converter=float, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    @classmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        return pareto_objective(x, tx, T, w)

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        return pareto_start(x, tx, T, w)

    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        log_c, alive, died = _log_terms(self.r, self.alpha, self.s, self.beta, x, tx, T)
        return np.asarray(log_c + np.logaddexp(alive, died), dtype=np.float64)

    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        x, tx, T = np.broadcast_arrays(x, tx, T)
        _, alive, died = _log_terms(self.r, self.alpha, self.s, self.beta, x, tx, T)
        return np.asarray(special.expit(alive - died), dtype=np.float64)

    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        return np.asarray(np.exp(-self.s * np.log1p(t / (self.beta + T))), dtype=np.float64)

    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        A = self.r + x
        a1, b1 = self.alpha + T, self.beta + T
        share_now = _share_lambda(A, self.s, a1, b1)
        share_later = _share_lambda(A, self.s, a1 + t, b1 + t)
        log_d = -A * np.log1p(t / a1) - self.s * np.log1p(t / b1)
        return np.asarray(1.0 - share_now + np.exp(log_d) * share_later, dtype=np.float64)

    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        L = np.log1p(t / (self.beta + T))
        rate = (self.r + x) * (self.beta + T) / (self.alpha + T)
        value = rate * L * one_minus_exp_over((self.s - 1.0) * L)
        return np.asarray(value * self._p_alive_rows(x, tx, T), dtype=np.float64)

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
        life = rng.exponential(1.0, size=n) / mu
        exposure = np.minimum(life, T)
        x = rng.poisson(lam * exposure).astype(np.float64)
        buyers = x > 0
        tx = np.zeros(n)
        tx[buyers] = exposure[buyers] * rng.beta(x[buyers], 1.0)
        return x, tx
