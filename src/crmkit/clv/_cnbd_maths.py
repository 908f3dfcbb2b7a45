"""Array maths of the (M)BG/CNBD-k models (Platzer & Reutterer 2016; Reutterer, Platzer
& Schroeder 2021).

While active, a customer's inter-purchase times are Erlang-k with rate :math:`\\lambda`
(the sum of *k* exponential stages of rate :math:`\\lambda`, so purchases are every
*k*-th event of a Poisson process of rate :math:`\\lambda`); after each repeat purchase
(MBG: also at the first purchase, ``s = 1``) the customer drops out with probability
:math:`p`. Across customers :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and
:math:`p \\sim \\text{Beta}(a, b)`. ``k = 1`` is BG/NBD (``s = 0``) or MBG/NBD (``s = 1``).

Given a history (x, t_x, T) and alive at T, the number *i* of stages completed since the
last purchase has posterior weights :math:`w_i \\propto \\frac{\\Gamma(r + kx + i)}{
\\Gamma(r + kx)\\, i!} u^i` (:math:`u = (T - t_x) / (\\alpha + T)`, *i* = 0 ... k - 1),
:math:`\\lambda \\mid i \\sim \\text{Gamma}(r + kx + i, \\alpha + T)` and :math:`p \\sim
\\text{Beta}(a, b + x + s)`. The purchases in (T, T + t] are :math:`F = \\lfloor (N +
i) / k \\rfloor` with :math:`N \\sim \\text{Poisson}(\\lambda t)` stage events, until the
dropout. With :math:`q = 1 - p`:

* P(still alive at T + t | alive at T) :math:`= E[q^F]`;
* expected purchases | alive :math:`= E[\\sum_{m \\ge 1} q^{m - 1} 1(F \\ge m)] = E[(1 -
  q^F) / p]`.

For a fixed *q*, :math:`E[q^F \\mid i]` is exact by a roots-of-unity filter: with
:math:`z = q^{1/k}`, :math:`\\omega = e^{2\\pi \\mathrm{i}/k}` and :math:`w_l = z
\\omega^l`,

.. math::

    E[q^{\\lfloor (N + i)/k \\rfloor}] = \\frac{1}{k} \\sum_{l=0}^{k-1} w_l^{i}
    \\Bigl(\\sum_{j=0}^{k-1} w_l^{-j}\\Bigr) \\Bigl(1 + \\frac{t (1 - w_l)}{\\alpha +
    T}\\Bigr)^{-(r + kx + i)}

(the probability generating function of the negative binomial at complex arguments,
principal branch, valid as :math:`\\Re(1 - w_l) \\ge 0`). The expectation over *p* is an
n-point Gauss rule of the Beta(a, b + x + s) posterior, n chosen from the expected
number of future stage events (at most :data:`MAX_NODES`). The terms of conjugate roots
:math:`w_l, w_{k-l}` are conjugate, so only l = 0 ... k // 2 are evaluated: every
prediction costs about ``n k (k // 2 + 1)`` complex operations per distinct history.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._hyp_bg import _cached_rule, lgamma_ratio, log_beta_ratio

__all__ = [
    "MAX_K",
    "MAX_NODES",
    "alive_moments",
    "cnbd_log_likelihood",
    "cnbd_log_odds_dead",
    "cnbd_pmf",
    "cnbd_value_and_gradient",
    "no_purchase_if_alive",
    "phase_log_weights",
]

Arr = NDArray[np.float64]

MAX_K = 20
"""Largest Erlang order accepted (the predictions cost about k^2 / 2 per node and history)."""

MAX_NODES = 160
"""Largest Gauss rule over the dropout probability."""

_BLOCK = 1 << 16  # complex entries per block of the quadrature (a few fit in cache)


def phase_log_weights(r: float, alpha: float, k: int, x: Arr, tx: Arr, T: Arr) -> Arr:
    """log of :math:`\\frac{\\Gamma(r + kx + j)}{\\Gamma(r + kx)\\, j!} u^j`, j = 0 ... k-1.

    Shape ``x.shape + (k,)``; :math:`u = (T - t_x) / (\\alpha + T)` (``0 ** 0 = 1``).
    """
    m = r + k * np.asarray(x, np.float64)
    u = (np.asarray(T, np.float64) - tx) / (alpha + T)
    j = np.arange(k, dtype=np.float64)
    out: Arr = (
        lgamma_ratio(m[..., None], j)
        - special.gammaln(j + 1.0)
        + special.xlogy(j, np.asarray(u)[..., None])
    )
    return out


def cnbd_log_odds_dead(
    r: float, alpha: float, a: float, b: float, k: int, s: int, x: Arr, tx: Arr, T: Arr
) -> Arr:
    """log(P(dead) / P(alive)) = log S1 - log S2; -inf where no dropout chance (x + s = 0)."""
    x = np.asarray(x, np.float64)
    has = (x + s) > 0
    denom = np.where(has, (x + (s - 1.0)) + b, 1.0)
    log_s1 = np.log(a) - np.log(denom) + (r + k * x) * np.log1p((T - tx) / (alpha + tx))
    log_s2 = special.logsumexp(phase_log_weights(r, alpha, k, x, tx, T), axis=-1)
    return np.asarray(np.where(has, log_s1 - log_s2, -np.inf), dtype=np.float64)


def cnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, k: int, s: int, x: Arr, tx: Arr, T: Arr
) -> Arr:
    """Per-row log-likelihood *without* the term :math:`(k - 1) \\sum \\log \\Delta t -
    x \\log (k - 1)!` of the observed inter-purchase times (it holds no parameter)."""
    x = np.asarray(x, np.float64)
    kx = k * x
    has = (x + s) > 0
    log_s2 = special.logsumexp(phase_log_weights(r, alpha, k, x, tx, T), axis=-1)
    denom = np.where(has, (x + (s - 1.0)) + b, 1.0)
    log_s1 = np.where(
        has,
        np.log(a) - np.log(denom) + (r + kx) * np.log1p((T - tx) / (alpha + tx)),
        -np.inf,
    )
    base = log_beta_ratio(a, b, x + s) + lgamma_ratio(r, kx) - r * np.log1p(T / alpha)
    base = base - kx * np.log(alpha + T)
    return np.asarray(base + np.logaddexp(log_s1, log_s2), dtype=np.float64)


def _nodes_for(mean_events: float) -> int:
    """Gauss nodes for (1 - p)^F with about ``mean_events`` future purchases: the
    polynomial degree that resolves :math:`e^{-\\mu p}` to 1e-16 grows like
    :math:`\\sqrt{37 \\mu}` (Chebyshev coefficients :math:`I_n(\\mu/2) e^{-\\mu/2}`)."""
    need = 16 + math.sqrt(40.0 * max(mean_events, 0.0)) / 2.0
    return int(min(MAX_NODES, max(24, 8 * math.ceil(need / 8))))


def _negative_power(d: NDArray[np.complex128], m: Arr) -> NDArray[np.complex128]:
    """:math:`(1 + d)^{-m}` on the principal branch (Re d >= 0 here) in real arithmetic,
    :math:`|1 + d|^{-m} e^{-\\mathrm{i} m \\arg(1 + d)}` with :math:`\\log |1 + d|^2 =
    \\operatorname{log1p}(2 d_r + |d|^2)`: as accurate as complex log and exp for large m,
    and a third faster."""
    dr, di = d.real, d.imag
    size = np.log1p(dr * (2.0 + dr) + di * di)  # |d| < 1e150 (t / (alpha + T) < 1e150)
    size *= -0.5 * m
    np.exp(size, out=size)
    angle = np.arctan2(di, 1.0 + dr)
    angle *= -m
    out = np.empty(d.shape, dtype=np.complex128)
    out.real = size * np.cos(angle)
    out.imag = size * np.sin(angle)
    return out


def alive_moments(
    r: float,
    alpha: float,
    a: float,
    b: float,
    k: int,
    s: int,
    t: Arr,
    x: Arr,
    tx: Arr,
    T: Arr,
) -> tuple[Arr, Arr]:
    """(E[q^F], E[(1 - q^F) / p]) given alive at T, for 1-d arrays of equal length.

    The first is P(alive at T + t | alive at T), the second the expected purchases in
    (T, T + t] of an alive customer.
    """
    n = x.size
    survive = np.ones(n)
    expect = np.zeros(n)
    if n == 0:
        return survive, expect
    logw = phase_log_weights(r, alpha, k, x, tx, T)
    wts = np.exp(logw - special.logsumexp(logw, axis=-1, keepdims=True))  # (n, k)
    beta = alpha + T
    # conjugate roots give conjugate terms (everything else is real): keep l = 0 ... k // 2
    # and count the others twice, which halves the work
    half = np.arange(k // 2 + 1)
    omega = np.exp(2j * np.pi * half / k)
    mult = np.where((half == 0) | (2 * half == k), 1.0, 2.0) / k
    bprime = b + x + s
    for bp in np.unique(bprime):
        rows = np.flatnonzero(bprime == bp)
        mean_events = float(np.max((r + k * x[rows] + k) * t[rows] / beta[rows]))
        nodes, weights = _cached_rule(float(a), float(bp), _nodes_for(mean_events / k))
        p = nodes
        z = np.exp(np.log1p(-p) / k)  # q ** (1/k) without rounding q first
        w = z[:, None] * omega[None, :]  # (nodes, L)
        one_minus_w = 1.0 - w
        # sum_j w^-j, j = 0 ... k - 1 (Horner), weighted by the conjugate multiplicity
        inv = 1.0 / w
        geo = np.ones(w.shape, dtype=np.complex128)
        for _ in range(k - 1):
            geo *= inv
            geo += 1.0
        geo *= mult
        step = max(1, _BLOCK // (nodes.size * half.size))
        for start in range(0, rows.size, step):
            rr = rows[start : start + step]
            d = (t[rr] / beta[rr])[:, None, None] * one_minus_w  # c - 1, (m, nodes, L)
            phi = _negative_power(d, (r + k * x[rr])[:, None, None])
            c = d
            c += 1.0
            ratio = w / c
            # sum_i w_i ratio^i (Horner), in place
            poly = np.empty(c.shape, dtype=np.complex128)
            poly[...] = wts[rr, k - 1][:, None, None]
            for i in range(k - 2, -1, -1):
                poly *= ratio
                poly += wts[rr, i][:, None, None]
            poly *= phi
            poly *= geo
            G = np.clip(poly.real.sum(axis=-1), 0.0, 1.0)  # (m, nodes)
            survive[rr] = G @ weights
            expect[rr] = ((1.0 - G) / p[None, :]) @ weights
    return survive, expect


def no_purchase_if_alive(r: float, alpha: float, k: int, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
    """P(no purchase in (T, T + t] | alive at T) :math:`= \\sum_i w_i P(N_i \\le k - 1 -
    i)` with :math:`N_i` negative binomial (shape r + kx + i, success 1 - t/(alpha+T+t))."""
    logw = phase_log_weights(r, alpha, k, x, tx, T)
    wts = np.exp(logw - special.logsumexp(logw, axis=-1, keepdims=True))
    i = np.arange(k, dtype=np.float64)
    shape = (r + k * np.asarray(x, np.float64))[..., None] + i
    y = ((alpha + T) / (alpha + T + t))[..., None]
    cdf = special.betainc(shape, k - i, y)
    return np.asarray(np.sum(wts * cdf, axis=-1), dtype=np.float64)


def _nb_tail(n: Arr, r: float, rho: Arr) -> Arr:
    """P(N >= n) for N negative binomial (r, rho): :math:`I_\\rho(n, r)`, 1 at n = 0."""
    safe = np.where(n > 0, n, 1.0)
    return np.asarray(np.where(n > 0, special.betainc(safe, r, rho), 1.0), dtype=np.float64)


def cnbd_pmf(r: float, alpha: float, a: float, b: float, k: int, s: int, m: Arr, t: Arr) -> Arr:
    """P(X(t) = m) for a new customer.

    Alive after m purchases: :math:`\\frac{B(a, b + m + s)}{B(a, b)} [P(N \\ge mk) -
    P(N \\ge mk + k)]`; dropped at the m-th (m + s > 0):
    :math:`\\frac{B(a + 1, b + m + s - 1)}{B(a, b)} P(N \\ge mk)`, with *N* the
    negative binomial number of stage events in (0, t].
    """
    rho = t / (alpha + t)
    lo = _nb_tail(k * m, r, rho)
    hi = _nb_tail(k * m + k, r, rho)
    first = np.exp(log_beta_ratio(a, b, m + s)) * (lo - hi)
    has = (m + s) > 0
    m2 = np.where(has, m + s - 1.0, 0.0)
    second = np.where(
        has, np.exp(np.log(a) - np.log(a + b + m2) + log_beta_ratio(a, b, m2)) * lo, 0.0
    )
    return np.asarray(first + second, dtype=np.float64)


def cnbd_value_and_gradient(
    params: Arr, k: int, s: int, x: Arr, tx: Arr, T: Arr, w: Arr
) -> tuple[float, Arr]:
    """Weighted :func:`cnbd_log_likelihood` and its gradient in (r, alpha, a, b).

    With :math:`\\pi_1 = S_1 / (S_1 + S_2)` and :math:`\\pi_j` the share of the j-th
    term of :math:`S_2`, :math:`d \\log(S_1 + S_2) = \\pi_1\\, d \\log S_1 + \\sum_j
    \\pi_j\\, d \\log(\\text{term}_j)`; the other terms are digammas and rationals.
    """
    r, alpha, a, b = (float(v) for v in params)
    n = x + s
    m = r + k * x
    has = n > 0
    logw = phase_log_weights(r, alpha, k, x, tx, T)  # (rows, k)
    denom = np.where(has, (x + (s - 1.0)) + b, 1.0)
    growth = np.log1p((T - tx) / (alpha + tx))
    log_s1 = np.where(has, np.log(a) - np.log(denom) + m * growth, -np.inf)
    total = np.logaddexp(log_s1, special.logsumexp(logw, axis=-1))
    pi1 = np.exp(log_s1 - total)
    pij = np.exp(logw - total[:, None])
    kx = k * x
    rows = (
        log_beta_ratio(a, b, n)
        + lgamma_ratio(r, kx)
        - r * np.log1p(T / alpha)
        - kx * np.log(alpha + T)
        + total
    )
    j = np.arange(k, dtype=np.float64)
    psi_m = special.digamma(m)
    d_terms_r = special.digamma(m[:, None] + j) - psi_m[:, None]
    g_r = psi_m - special.digamma(r) - np.log1p(T / alpha)
    g_r = g_r + pi1 * growth + np.sum(pij * d_terms_r, axis=-1)
    g_alpha = r * T / (alpha * (alpha + T)) - kx / (alpha + T)
    g_alpha = g_alpha + pi1 * m * (1.0 / (alpha + T) - 1.0 / (alpha + tx))
    g_alpha = g_alpha - np.sum(pij * j, axis=-1) / (alpha + T)
    psi_ab = special.digamma(a + b)
    psi_abn = special.digamma(a + b + n)
    g_a = psi_ab - psi_abn + pi1 / a
    g_b = special.digamma(b + n) - psi_abn - special.digamma(b) + psi_ab - pi1 / denom
    grad = np.array([w @ g_r, w @ g_alpha, w @ g_a, w @ g_b], dtype=np.float64)
    return float(w @ rows), grad
