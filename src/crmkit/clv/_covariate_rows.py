"""Per-customer log-likelihoods and gradients with customer-specific parameters (private).

With time-invariant covariates (Fader & Hardie 2007, note 019) every customer has their
own scale :math:`\\alpha_i` (and :math:`\\beta_i`, or :math:`a_i, b_i`), so the
likelihood terms cannot be shared across customers with the same history. These
functions take the per-customer parameters as arrays and return, per customer, the log-
likelihood and its derivatives in the shared shape parameters and in the logarithms of
the per-customer ones (from which the coefficients' gradient follows by the chain rule).

* BG/NBD and MBG/NBD (Fader, Hardie & Lee 2005, eq. 6; Batislam, Denizel & Filiztekin
  2007): closed form, written with the ratio functions of :mod:`crmkit.clv._hyp_bg`;
  analytic derivatives (digamma differences).
* Pareto/NBD (Fader & Hardie 2005, note 009, eq. 19): :math:`\\log L = \\log C +
  \\log A + \\operatorname{softplus}(R)` as in :mod:`crmkit.clv._pareto_ratio`, with
  *R* and its first and second derivatives per customer from the hypergeometric series
  interpolated per (purchase count, branch) (:mod:`crmkit.clv._covariate_pareto`), or,
  beyond the series range, from the bounded-cost quadrature
  :func:`crmkit.clv._hyp_pareto.log_power_integral_cov`, whose means and covariances
  give the analytic gradient and Hessian.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit.clv._covariate_pareto import series_ratio_rows
from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._hyp_pareto import log_power_integral, log_power_integral_cov
from crmkit.clv._pochhammer import digamma_diff, log_beta_ratio, trigamma_diff

__all__ = ["beta_geo_rows", "pareto_ratio_rows", "pareto_rows"]

Arr = NDArray[np.float64]


_TRIGAMMA_SHIFT = 10


def trigamma(z: ArrayLike) -> Arr:
    """:math:`\\psi_1(z) = \\sum_{k \\ge 0} (z + k)^{-2}` for :math:`z > 0`: the first ten
    terms, then the asymptotic series at :math:`y = z + 10 \\ge 10`,
    :math:`1/y + 1/(2y^2) + 1/(6y^3) - 1/(30y^5) + 1/(42y^7) - 1/(30y^9)` (Abramowitz &
    Stegun 6.4.12), whose next term is below :math:`8 \\cdot 10^{-13}` times the sum.
    Several times faster than ``scipy.special.polygamma(1, z)``."""
    z = np.asarray(z, dtype=np.float64)
    acc = np.zeros(z.shape)
    for k in range(_TRIGAMMA_SHIFT):
        acc += 1.0 / (z + k) ** 2
    y = z + _TRIGAMMA_SHIFT
    iy = 1.0 / y
    i2 = iy * iy
    tail = iy * (
        1.0 + iy * (0.5 + iy * (1.0 / 6.0 - i2 * (1.0 / 30.0 - i2 * (1.0 / 42.0 - i2 / 30.0))))
    )
    return np.asarray(acc + tail, dtype=np.float64)


def _per_count(r: float, x: Arr) -> tuple[Arr, Arr, Arr]:
    """log Gamma(r + x) / Gamma(r), and the digamma and trigamma differences in *r*,
    computed once per distinct purchase count."""
    xu, inverse = np.unique(x, return_inverse=True)
    lg = lgamma_ratio(r, xu)
    d1 = special.digamma(r + xu) - special.digamma(r)
    d2 = trigamma(r + xu) - trigamma(r)
    return lg[inverse], d1[inverse], d2[inverse]


def beta_geo_rows(
    r: float,
    alpha: Arr,
    a: Arr,
    b: Arr,
    shift: int,
    x: Arr,
    tx: Arr,
    T: Arr,
    *,
    hessian: bool = False,
) -> tuple[Arr, Arr, Arr | None]:
    """BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) log-likelihood per customer.

    Returns ``(ll, grad, hess)``: ``grad`` of shape ``(4, n)`` holds the derivatives in
    *r*, :math:`\\log \\alpha_i`, :math:`\\log a_i` and :math:`\\log b_i`; ``hess`` (with
    ``hessian``) the ``(4, 4, n)`` second derivatives in :math:`(\\log r, \\log \\alpha_i,
    \\log a_i, \\log b_i)`, analytic (trigamma differences), else None. With
    :math:`L = \\log(e^{t_1} + e^{t_2})` and weights :math:`w_k = e^{t_k - L}` the
    Hessian is :math:`w_1 \\nabla^2 t_1 + w_2 \\nabla^2 t_2 + w_1 w_2 (\\nabla t_1 -
    \\nabla t_2)(\\nabla t_1 - \\nabla t_2)'`.
    """
    n = x.size
    has2 = (x + shift) > 0
    k1 = x + shift
    k2 = np.where(has2, x + shift - 1.0, 0.0)
    lg, dr1, dr2 = _per_count(r, x)
    la_T, la_tx = np.log1p(T / alpha), np.log1p(tx / alpha)
    # beta-function ratios and their digamma / trigamma differences without cancellation
    # (a betaln difference loses every digit once a_i, b_i reach ~1e9, where dropout
    # covariates on data with little dropout take them)
    t1 = log_beta_ratio(a, b, 0.0, k1) + lg - r * la_T - x * np.log(alpha + T)
    t2 = np.where(
        has2,
        log_beta_ratio(a, b, 1.0, k2) + lg - r * la_tx - x * np.log(alpha + tx),
        -np.inf,
    )
    ll = np.logaddexp(t1, t2)
    w2 = np.exp(t2 - ll)
    w1 = 1.0 - w2
    ab = a + b
    # d/da, d/db of log B(a, b + k1) - log B(a, b) and of log B(a + 1, b + k2) - log B(a, b)
    d1a = -digamma_diff(ab, k1)
    d1b = digamma_diff(b, k1) + d1a
    d2a = 1.0 / a - digamma_diff(ab, k2 + 1.0)
    d2b = np.where(has2, digamma_diff(b, k2) - digamma_diff(ab, k2 + 1.0), 0.0)
    d2a = np.where(has2, d2a, 0.0)
    # gradients of t1 and t2 in (log r, log alpha, log a, log b)
    g1 = np.stack([r * (dr1 - la_T), (r * T - x * alpha) / (alpha + T), a * d1a, b * d1b])
    g2 = np.stack([r * (dr1 - la_tx), (r * tx - x * alpha) / (alpha + tx), a * d2a, b * d2b])
    g = w1 * g1 + w2 * g2
    g[0] /= r
    if not hessian:
        return np.asarray(ll, dtype=np.float64), g, None
    e1 = -trigamma_diff(ab, k1)
    e2 = np.where(has2, -trigamma_diff(ab, k2 + 1.0), 0.0)
    h1 = np.zeros((4, 4, n))
    h2 = np.zeros((4, 4, n))
    for h, gk, Y, ek, bb_extra, aa_extra in (
        (h1, g1, T, e1, trigamma_diff(b, k1), 0.0),
        (h2, g2, tx, e2, np.where(has2, trigamma_diff(b, k2), 0.0), -1.0 / a**2),
    ):
        h[0, 0] = gk[0] + r * r * dr2
        h[0, 1] = h[1, 0] = r * Y / (alpha + Y)
        h[1, 1] = -alpha * Y * (r + x) / (alpha + Y) ** 2
        h[2, 2] = gk[2] + a * a * (ek + aa_extra)
        h[2, 3] = h[3, 2] = a * b * ek
        h[3, 3] = gk[3] + b * b * (ek + bb_extra)
    h2 = np.where(has2, h2, 0.0)
    diff = np.where(has2, g1 - g2, 0.0)
    hess = w1 * h1 + w2 * h2 + (w1 * w2) * diff[:, None, :] * diff[None, :, :]
    return np.asarray(ll, dtype=np.float64), g, np.asarray(hess, dtype=np.float64)


_ROW_CHUNK = 8_192  # rows per quadrature pass (bounds the memory of the node arrays)


def pareto_ratio_rows(
    r: float, alpha: Arr, s: float, beta: Arr, x: Arr, tx: Arr, T: Arr, *, grad: bool
) -> tuple[Arr, Arr | None]:
    """:math:`R = \\log(s D / A)` per customer with per-customer :math:`\\alpha_i,
    \\beta_i` (see :func:`crmkit.clv._pareto_ratio.pareto_log_ratio`; here *D* always by
    :func:`log_power_integral`), and its derivatives in :math:`(r, \\alpha_i, s,
    \\beta_i)`, shape ``(4, n)``. ``R = -inf`` where :math:`t_x = T`."""
    R, dR, _ = _ratio_rows(r, alpha, s, beta, x, tx, T, 1 if grad else 0)
    return R, dR


def _ratio_rows(
    r: float,
    alpha: Arr,
    s: float,
    beta: Arr,
    x: Arr,
    tx: Arr,
    T: Arr,
    order: int,
    *,
    series: bool = True,
) -> tuple[Arr, Arr | None, Arr | None]:
    """*R*, and up to ``order`` (0, 1 or 2) its gradient ``(4, n)`` and Hessian ``(4, 4,
    n)`` in the natural parameters :math:`(r, \\alpha_i, s, \\beta_i)`.

    With derivatives (and ``series``), the rows on the series range by
    :func:`crmkit.clv._covariate_pareto.series_ratio_rows`; the others (all, without
    derivatives) by the quadrature, in chunks of :data:`_ROW_CHUNK` rows."""
    n = x.size
    alpha = np.asarray(np.broadcast_to(alpha, (n,)), dtype=np.float64)
    beta = np.asarray(np.broadcast_to(beta, (n,)), dtype=np.float64)
    if order >= 1 and series:
        R, dR_s, hR, ok = series_ratio_rows(r, alpha, s, beta, x, tx, T, order)
        dR: Arr | None = dR_s
        rest = np.flatnonzero(~ok)
    else:
        R = np.empty(n)
        dR = np.empty((4, n)) if order >= 1 else None
        hR = np.empty((4, 4, n)) if order >= 2 else None
        rest = np.arange(n)
    for a in range(0, rest.size, _ROW_CHUNK):
        c = rest[a : a + _ROW_CHUNK]
        Rc, dc, hc = _ratio_chunk(r, alpha[c], s, beta[c], x[c], tx[c], T[c], order)
        R[c] = Rc
        if dR is not None and dc is not None:
            dR[:, c] = dc
        if hR is not None and hc is not None:
            hR[:, :, c] = hc
    return R, dR, hR


_PERM_A = [0, 2, 1, 3]  # (tau, e^-tau, L, e^-L): alpha has the smaller shift
_PERM_B = [1, 3, 0, 2]  # (L, e^-L, tau, e^-tau): beta has it


def _ratio_chunk(
    r: float, alpha: Arr, s: float, beta: Arr, x: Arr, tx: Arr, T: Arr, order: int
) -> tuple[Arr, Arr | None, Arr | None]:
    """One chunk of :func:`_ratio_rows`.

    With :math:`\\psi(u) = -m \\log(\\alpha + u) - (s + 1) \\log(\\beta + u)` the
    integrand of *D*, :math:`\\nabla \\log D = E[\\nabla\\psi]` and :math:`\\nabla^2 \\log D
    = E[\\nabla^2 \\psi] + \\operatorname{Var}[\\nabla \\psi]` under the normalised
    integrand; :math:`\\nabla\\psi = -(\\log(\\alpha + u), m/(\\alpha + u), \\log(\\beta + u),
    (s + 1)/(\\beta + u))`, whose moments are those of :func:`log_power_integral_cov`
    (:math:`\\alpha + u = v_0 e^{\\tau}` and :math:`\\beta + u = v_{max} e^{L}` when
    :math:`\\alpha \\le \\beta`, the other way round otherwise)."""
    m = r + x
    lr_a = np.log1p((T - tx) / (alpha + tx))
    lr_b = np.log1p((T - tx) / (beta + tx))
    a_small = alpha <= beta
    small, big = np.minimum(alpha, beta), np.maximum(alpha, beta)
    v0 = small + tx
    vmax = big + tx
    rho0 = v0 / vmax
    tau1 = np.log1p((T - tx) / v0)
    q_s = np.full(x.size, s + 1.0)
    p = np.where(a_small, m, q_s)
    q = np.where(a_small, q_s, m)
    cov: Arr | None = None
    if order >= 2:
        log_i, mom, cov = log_power_integral_cov(p, q, rho0, tau1)
    else:
        log_i, mom_or_none = log_power_integral(p, q, rho0, tau1, moments=order >= 1)
        mom = mom_or_none if mom_or_none is not None else np.empty((4, 0))
    live = tau1 > 0.0
    with np.errstate(invalid="ignore"):
        R = np.log(s) + m * lr_a + s * lr_b - np.log(beta + tx) + np.log(v0) + log_i
    R = np.asarray(np.where(live, R, -np.inf), dtype=np.float64)
    if order < 1:
        return R, None, None
    e_tau, e_L, e_it, e_iL = mom
    la = np.where(a_small, e_tau, e_L)
    lb = np.where(a_small, e_L, e_tau)
    ca = np.where(a_small, 1.0 / v0, 1.0 / vmax)  # 1/(alpha + u) = ca * (its e^-feature)
    cb = np.where(a_small, 1.0 / vmax, 1.0 / v0)
    ea = np.where(a_small, e_it, e_iL)
    eb = np.where(a_small, e_iL, e_it)
    ia, ib = ea * ca, eb * cb
    dR = np.empty((4, x.size))
    dR[0] = lr_a - la
    dR[1] = m * (1.0 / (alpha + T) - ia)
    dR[2] = 1.0 / s + lr_b - lb
    dR[3] = s / (beta + T) - (s + 1.0) * ib
    dR = np.asarray(np.where(live, dR, 0.0), dtype=np.float64)
    if cov is None:
        return R, dR, None
    # covariance of (log(alpha + u), e_a, log(beta + u), e_b), then of grad psi
    cf = np.where(a_small, cov[np.ix_(_PERM_A, _PERM_A)], cov[np.ix_(_PERM_B, _PERM_B)])
    M = np.stack([-np.ones_like(m), -m * ca, -np.ones_like(m), -(s + 1.0) * cb])
    h = M[:, None] * M[None, :] * cf
    ia_T, ib_T = 1.0 / (alpha + T), 1.0 / (beta + T)
    # E[grad^2 psi] and the Hessian of -log A = m log(alpha + T) + s log(beta + T)
    h[0, 1] += ia_T - ia
    h[1, 0] = h[0, 1]
    h[1, 1] += m * (ca * ca * cf[1, 1] + (ia - ia_T) * (ia + ia_T))
    h[2, 3] += ib_T - ib
    h[3, 2] = h[2, 3]
    h[3, 3] += (s + 1.0) * cb * cb * cf[3, 3] + (s + 1.0) * ib * ib - s * ib_T * ib_T
    h[2, 2] -= 1.0 / (s * s)
    return R, dR, np.asarray(np.where(live, h, 0.0), dtype=np.float64)


def _softplus_expit(R: Arr) -> tuple[Arr, Arr]:
    E = np.exp(-np.abs(R))
    inv = 1.0 / (1.0 + E)
    return np.maximum(R, 0.0) + np.log1p(E), np.where(R >= 0.0, inv, E * inv)


def pareto_rows(
    r: float,
    alpha: Arr,
    s: float,
    beta: Arr,
    x: Arr,
    tx: Arr,
    T: Arr,
    *,
    grad: bool = True,
    hessian: bool = False,
    series: bool = True,
) -> tuple[Arr, Arr | None, Arr | None]:
    """Pareto/NBD log-likelihood per customer, (``grad``) its derivatives in *r*,
    :math:`\\log \\alpha_i`, *s* and :math:`\\log \\beta_i`, shape ``(4, n)``, and
    (``hessian``) its second derivatives in :math:`(\\log r, \\log \\alpha_i, \\log s,
    \\log \\beta_i)`, shape ``(4, 4, n)``, analytic (else None).

    With :math:`\\log L = \\log C + \\log A + \\operatorname{softplus}(R)`, the Hessian
    is that of :math:`\\log C + \\log A` (closed form) plus :math:`\\sigma \\nabla^2 R +
    \\sigma (1 - \\sigma) \\nabla R \\nabla R'` with :math:`\\sigma = \\operatorname{expit}(R)`.
    ``series=False`` computes *R* by the quadrature on every row (for checks).
    """
    order = 2 if hessian else (1 if grad else 0)
    R, dR, hR = _ratio_rows(r, alpha, s, beta, x, tx, T, order, series=series)
    la, lb = np.log1p(T / alpha), np.log1p(T / beta)
    sp, ex = _softplus_expit(R)
    ll = lgamma_ratio(r, x) - r * la - x * np.log(alpha + T) - s * lb + sp
    if dR is None:
        return np.asarray(ll, dtype=np.float64), None, None
    d_r = special.digamma(r + x) - special.digamma(r)
    g = np.empty((4, x.size))
    g[0] = d_r - la + ex * dR[0]
    g[1] = (r * T - x * alpha) / (alpha + T) + ex * dR[1] * alpha
    g[2] = -lb + ex * dR[2]
    g[3] = s * T / (beta + T) + ex * dR[3] * beta
    if hR is None:
        return np.asarray(ll, dtype=np.float64), g, None
    m = r + x
    theta = np.stack([np.full(x.size, r), alpha, np.full(x.size, s), beta])
    gR = theta * dR  # gradient of R in the log-parameters
    hess = theta[:, None] * theta[None, :] * hR
    for j in range(4):
        hess[j, j] += gR[j]
    hess *= ex
    hess += (ex * (1.0 - ex)) * gR[:, None] * gR[None, :]
    # log C + log A in the log-parameters, exactly (no cancellation for large alpha_i)
    hess[0, 0] += r * r * (trigamma(r + x) - trigamma(r)) + r * (d_r - la)
    hess[0, 1] += r * T / (alpha + T)
    hess[1, 0] += r * T / (alpha + T)
    hess[1, 1] -= m * alpha * T / (alpha + T) ** 2
    hess[2, 2] -= s * lb
    hess[2, 3] += s * T / (beta + T)
    hess[3, 2] += s * T / (beta + T)
    hess[3, 3] -= s * beta * T / (beta + T) ** 2
    return np.asarray(ll, dtype=np.float64), g, np.asarray(hess, dtype=np.float64)
