"""The Gamma-Gompertz/NBD purchase model (Bemmaor & Glady 2012).

While active, a customer buys as a Poisson process with rate :math:`\\lambda \\sim
\\text{Gamma}(r, \\alpha)`, as in the Pareto/NBD. The lifetime is Gompertz with a shared
scale *b* and a customer's own :math:`\\eta \\sim \\text{Gamma}(s, \\beta)`:
:math:`P(\\tau > y \\mid \\eta) = \\exp(-\\eta (e^{b y} - 1))`, so that across customers

.. math:: S(y) = P(\\tau > y) = \\Bigl(\\frac{\\beta}{\\beta - 1 + e^{b y}}\\Bigr)^s

(the Gamma-Gompertz distribution). The dropout hazard of a customer grows (b > 0) with
time, which the Pareto/NBD's exponential lifetime cannot express.

Numerics: every integral over the lifetime (the likelihood's, P(alive)'s, the
expectations') is taken in the variable :math:`w = S(y)`, which absorbs the lifetime
density, by a fixed tanh-sinh rule (:mod:`crmkit.clv._ggnbd_numerics`): bounded cost
per customer, checked against mpmath at 30 and 50 digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv._ggnbd_numerics import (
    WEIGHTS,
    lifetime_nodes,
    log_purchase_lifetime_integral,
    log_purchase_lifetime_integral_grad,
    log_purchase_lifetime_integral_hess,
    log_survival,
    log_survival_grad,
    log_survival_hess,
    survival_time_integral,
)
from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._special import wdot
from crmkit.clv._starts import nbd_moment_start
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv._transaction_fit import Objective
from crmkit.timeunits import TimeUnit

__all__ = ["GammaGompertzNBD", "ggnbd_log_ratio"]

Arr = NDArray[np.float64]


def _log_first(theta: tuple[float, ...], x: Arr, T: Arr) -> Arr:
    """:math:`\\log[(\\alpha + T)^{-(r + x)} S(T)]` (without the constant of the likelihood)."""
    r, alpha, b, s, beta = theta
    return np.asarray(-(r + x) * np.log(alpha + T) + log_survival(T, b, beta, s), np.float64)


def ggnbd_log_ratio(theta: tuple[float, ...], x: Arr, tx: Arr, T: Arr) -> Arr:
    """:math:`R = \\log(\\int_{t_x}^T (\\alpha + y)^{-(r + x)} f(y)\\,dy) - \\log((\\alpha +
    T)^{-(r + x)} S(T))`: the likelihood's dropout term over its alive term, so that
    :math:`P(\\text{alive}) = 1 / (1 + e^R)`; ``-inf`` where :math:`t_x = T`."""
    r, alpha, b, s, beta = theta
    m = r + x
    log_int = log_purchase_lifetime_integral(m, np.full(m.shape, alpha), tx, T, b, beta, s)
    return np.asarray(log_int - _log_first(theta, x, T), dtype=np.float64)


def ggnbd_log_likelihood(theta: tuple[float, ...], x: Arr, tx: Arr, T: Arr) -> Arr:
    """Log-likelihood per history (Bemmaor & Glady 2012, in the form CLVTools'
    ``ggomnbd`` evaluates)."""
    r, alpha = theta[0], theta[1]
    log_c = lgamma_ratio(r, x) + r * np.log(alpha)
    first = _log_first(theta, x, T)
    return np.asarray(
        log_c + first + np.logaddexp(0.0, ggnbd_log_ratio(theta, x, tx, T)), dtype=np.float64
    )


def ggnbd_objective(x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
    """Weighted GG/NBD log-likelihood, its analytic gradient and Hessian in (r, alpha, b,
    s, beta).

    :math:`\\log L = \\log C + \\operatorname{logaddexp}(A, \\log I)` with the alive term
    *A* and the lifetime integral *I*; the derivatives of *I* are taken on its own
    quadrature nodes (:func:`crmkit.clv._ggnbd_numerics.log_purchase_lifetime_integral_hess`).
    With :math:`p_A = e^{A - \\log L'}` and :math:`p_I = 1 - p_A` the shares of the two
    terms, the Hessian of the logaddexp is :math:`p_A \\nabla^2 A + p_I \\nabla^2 \\log I +
    p_A p_I (\\nabla A - \\nabla \\log I)(\\nabla A - \\nabla \\log I)^\\top`.
    """
    xu, inv = np.unique(x, return_inverse=True)
    wx = np.bincount(inv.reshape(-1), weights=w, minlength=xu.size)
    n = float(w.sum())

    def evaluate(theta: Arr, hessian: bool) -> tuple[float, Arr, Arr | None]:
        r, alpha, b, s, beta = (float(v) for v in theta)
        m = r + x
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if hessian:
                log_i, d_i, h_i = log_purchase_lifetime_integral_hess(
                    m, np.full(m.shape, alpha), tx, T, b, beta, s
                )
            else:
                log_i, d_i = log_purchase_lifetime_integral_grad(
                    m, np.full(m.shape, alpha), tx, T, b, beta, s
                )
            log_aT = np.log(alpha + T)
            first = -m * log_aT + log_survival(T, b, beta, s)
            total = np.logaddexp(first, log_i)
            p_dead = np.exp(log_i - total)  # share of the dropout term
        p_alive = 1.0 - p_dead
        value = wdot(wx, lgamma_ratio(r, xu)) + n * r * np.log(alpha) + wdot(w, total)
        if not np.isfinite(value):
            return -np.inf, np.zeros(5), None
        sb, ss, sbeta = log_survival_grad(T, b, beta, s)
        d_a = np.stack([-log_aT, -m / (alpha + T), sb, ss, sbeta])  # gradient of A
        wa, wd = w * p_alive, w * p_dead
        g = d_a @ wa + d_i @ wd
        g[0] += wdot(wx, special.digamma(r + xu)) - n * float(special.digamma(r))
        g[0] += n * np.log(alpha)
        g[1] += n * r / alpha
        if not hessian:
            return float(value), g, None
        # Hessian of A: (r, alpha) block and the survival block; no cross terms
        h_a = np.zeros((5, 5, x.size))
        h_a[0, 1] = h_a[1, 0] = -1.0 / (alpha + T)
        h_a[1, 1] = m / (alpha + T) ** 2
        h_a[2:, 2:] = log_survival_hess(T, b, beta, s)
        diff = d_a - d_i
        h = h_a @ wa + h_i @ wd + (diff * (wa * p_dead)) @ diff.T
        h[0, 0] += wdot(wx, special.polygamma(1, r + xu)) - n * float(special.polygamma(1, r))
        h[0, 1] += n / alpha
        h[1, 0] += n / alpha
        h[1, 1] -= n * r / alpha**2
        return float(value), g, h

    def value_and_gradient(theta: Arr) -> tuple[float, Arr]:
        value, g, _ = evaluate(theta, False)
        return value, g

    def value_gradient_hessian(theta: Arr) -> tuple[float, Arr, Arr]:
        value, g, h = evaluate(theta, True)
        return value, g, np.full((5, 5), np.nan) if h is None else h

    def ll(theta: Arr) -> float:
        th = tuple(float(v) for v in theta)
        with np.errstate(over="ignore", invalid="ignore"):
            rows = ggnbd_log_likelihood(th, x, tx, T)
        value = wdot(w, rows)
        return value if np.isfinite(value) else -np.inf

    return ll, _ValueGradient(value_and_gradient, value_gradient_hessian)


class _ValueGradient:
    """``theta -> (value, gradient)``, with ``value_gradient_hessian`` for the fit driver
    (damped Newton steps, the polish and the standard errors on the exact Hessian)."""

    def __init__(
        self,
        vg: Callable[[Arr], tuple[float, Arr]],
        fgh: Callable[[Arr], tuple[float, Arr, Arr]],
    ) -> None:
        self._vg = vg
        self.value_gradient_hessian = fgh

    def __call__(self, theta: Arr) -> tuple[float, Arr]:
        return self._vg(theta)


def ggnbd_start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
    """Starting values: (r, alpha) by the NBD mean and zeros; ``b = 1 / mean T``, ``s = 1``,
    ``beta = 1`` (an exponential lifetime with the mean of the observation length)."""
    r, alpha = nbd_moment_start(x, T, w)
    mean_T = max(wdot(w, T) / float(w.sum()), 1e-6)
    return np.array([r, alpha, 1.0 / mean_T, 1.0, 1.0])


@attrs.frozen(kw_only=True)
class GammaGompertzNBD(TransactionFamily):
    """The Gamma-Gompertz/NBD (GG/NBD) model as a value: build it or fit it.

    .. math::

        L = \\frac{\\Gamma(r + x)\\,\\alpha^r}{\\Gamma(r)} \\Bigl[
        \\frac{S(T)}{(\\alpha + T)^{r + x}}
        + \\int_{t_x}^{T} \\frac{f(y)\\,dy}{(\\alpha + y)^{r + x}} \\Bigr],
        \\quad f(y) = \\frac{b s \\beta^s e^{b y}}{(\\beta - 1 + e^{b y})^{s + 1}}

    (Bemmaor & Glady 2012; the form CLVTools' ``ggomnbd`` evaluates), evaluated on the log scale.

    Parameters
    ----------
    r, alpha : float
        Gamma distribution of the purchase rate :math:`\\lambda` (``alpha`` in the
        summary's time unit), both > 0.
    b : float
        Gompertz scale of the lifetime (per unit of time), the same for everyone, > 0.
    s, beta : float
        Gamma distribution of the Gompertz shape :math:`\\eta` of each customer, both
        > 0 (``beta`` has no unit).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The time unit of the summary the parameters refer to.

    Notes
    -----
    Given the history, the purchase rate and the Gompertz shape of an active customer
    are independent, :math:`\\lambda \\sim \\text{Gamma}(r + x, \\alpha + T)` and
    :math:`\\eta \\sim \\text{Gamma}(s, \\beta - 1 + e^{bT})`, so

    - :meth:`probability_alive`: :math:`P(\\text{alive}) = S(T) (\\alpha + T)^{-(r + x)}
      / [\\ldots]` (the first term of *L* over *L*); at :math:`T + t` times
      :math:`S(T + t)/S(T)`;
    - :meth:`conditional_expected_purchases`: :math:`P(\\text{alive})\\,\\frac{r +
      x}{\\alpha + T} \\int_0^t \\frac{S(T + u)}{S(T)}\\,du` (with the correction of
      Adler 2022);
    - :meth:`expected_purchases`: :math:`\\frac{r}{\\alpha}\\int_0^t S(u)\\,du`;
    - :meth:`probability_of_purchases`: :math:`S(t)\\,\\text{NB}(k; t) + \\int_0^t
      \\text{NB}(k; u)\\,dF(u)`.

    As :math:`b \\to 0` with :math:`\\beta / b = \\beta_P` fixed, :math:`\\beta - 1 +
    e^{b y} = b(\\beta_P + y) + O(b^2)`, so :math:`S(y) \\to (\\beta_P / (\\beta_P +
    y))^s`: the Pareto (exponential-gamma) lifetime, and the model is the Pareto/NBD
    with :math:`(r, \\alpha, s, \\beta_P)` (Bemmaor & Glady 2012).

    References
    ----------
    - Bemmaor, A. C. & Glady, N. (2012). Modeling purchasing behavior with sudden
      "death": a flexible customer lifetime model. *Management Science* 58(5),
      1012-1021.
    - Adler, J. (2022). Comment on "Modeling purchasing behavior with sudden 'death':
      a flexible customer lifetime model". *Management Science* 69(3), 1929-1930.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import GammaGompertzNBD
    >>> gg = GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5, time_unit="W")
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
    >>> gg.probability_alive(s).round(4).tolist()
    [0.7081, 0.1434]
    >>> round(float(gg.expected_purchases(39)), 4)
    0.9566
    >>> gg.conditional_expected_purchases(s, t=39).round(4).tolist()
    [0.8213, 0.0359]

    (the values of mpmath's quadrature of the same integrals at 30 digits:
    0.70814, 0.14342, 0.95660, 0.82128 and 0.03588).
    """

    _family: ClassVar[str] = "GG/NBD"
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    b: float = attrs.field(converter=real_parameter, validator=positive_finite)
    s: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "b", "s", "beta")

    @property
    def _theta(self) -> tuple[float, float, float, float, float]:
        return (self.r, self.alpha, self.b, self.s, self.beta)

    @classmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        return ggnbd_objective(x, tx, T, w)

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        return ggnbd_start(x, tx, T, w)

    @staticmethod
    def _flat(*arrays: Arr) -> tuple[tuple[int, ...], list[Arr]]:
        bc = np.broadcast_arrays(*arrays)
        return bc[0].shape, [np.asarray(a, dtype=np.float64).ravel() for a in bc]

    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        shape, (xf, txf, Tf) = self._flat(x, tx, T)
        return ggnbd_log_likelihood(self._theta, xf, txf, Tf).reshape(shape)

    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        shape, (xf, txf, Tf) = self._flat(x, tx, T)
        R = ggnbd_log_ratio(self._theta, xf, txf, Tf)
        with np.errstate(over="ignore"):  # e^R = inf: P(alive) = 0
            return np.asarray(1.0 / (1.0 + np.exp(R)), dtype=np.float64).reshape(shape)

    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        b, s, beta = self.b, self.s, self.beta
        return np.asarray(
            np.exp(log_survival(T + t, b, beta, s) - log_survival(T, b, beta, s)), np.float64
        )

    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        # S_T(t) ((alpha + T)/(alpha + T + t))^(r + x) + int_0^t ((alpha + T)/(alpha + T
        # + u))^(r + x) dF_T(u), F_T the lifetime left after T
        shape, (tf, xf, Tf) = self._flat(t, x, T)
        b, s, beta = self.b, self.s, self.beta
        m, a_T = self.r + xf, self.alpha + Tf
        log_s_T = log_survival(Tf, b, beta, s)
        stay = np.exp(log_survival(Tf + tf, b, beta, s) - log_s_T - m * np.log1p(tf / a_T))
        log_int = log_purchase_lifetime_integral(
            m, np.full(m.shape, self.alpha), Tf, Tf + tf, b, beta, s
        )
        leave = np.exp(log_int + m * np.log(a_T) - log_s_T)
        return np.asarray(stay + leave, dtype=np.float64).reshape(shape)

    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        alive = self._p_alive_rows(x, tx, T)
        shape, (tf, Tf) = self._flat(t, T)
        time_alive = survival_time_integral(tf, Tf, self.b, self.beta, self.s).reshape(shape)
        value = alive * (self.r + x) / (self.alpha + T) * time_alive
        return np.asarray(value, dtype=np.float64)

    def _expected(self, t: Arr) -> Arr:
        tt = np.asarray(t, dtype=np.float64)
        time_alive = survival_time_integral(
            tt.ravel(), np.zeros(tt.size), self.b, self.beta, self.s
        )
        return np.asarray(self.r / self.alpha * time_alive, dtype=np.float64).reshape(tt.shape)

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
        shape, (kf, tf) = self._flat(k, t)
        b, s, beta = self.b, self.s, self.beta
        out = np.exp(log_survival(tf, b, beta, s) + self._log_nb(kf, tf))
        for a in range(0, tf.size, 2048):  # bounded memory: 2048 rows of nodes at a time
            sl = slice(a, a + 2048)
            log_len, u = lifetime_nodes(np.zeros(tf[sl].size), tf[sl], b, beta, s)
            inner = np.einsum("ij,j->i", np.exp(self._log_nb(kf[sl, None], u)), WEIGHTS)
            out[sl] += np.exp(log_len) * inner
        return np.asarray(out, dtype=np.float64).reshape(shape)

    def _simulate_arrays(self, T: Arr, rng: np.random.Generator) -> tuple[Arr, Arr]:
        n = T.size
        lam = rng.gamma(self.r, 1.0 / self.alpha, size=n)
        eta = rng.gamma(self.s, 1.0 / self.beta, size=n)
        # P(tau > y | eta) = exp(-eta (e^{b y} - 1)): tau = log(1 + E / eta) / b, E ~ Exp(1)
        life = np.log1p(rng.exponential(1.0, size=n) / eta) / self.b
        exposure = np.minimum(life, T)
        x = rng.poisson(lam * exposure).astype(np.float64)
        buyers = x > 0
        tx = np.zeros(n)
        tx[buyers] = exposure[buyers] * rng.beta(x[buyers], 1.0)
        return x, tx
