"""The Pareto/NBD likelihood ratio *R* when :math:`\\beta` is far above :math:`\\alpha + T`.

Fits whose maximum lies at the limit :math:`\\beta \\to \\infty` (no dropout) spend most
evaluations where :math:`\\beta \\gg \\alpha + T`. There the hypergeometric argument
:math:`z = (\\beta - \\alpha)/(\\beta + y)` is close to 1 and the general methods of
:mod:`crmkit.clv._hyp_pareto` (a quadrature) are slow, while the integral of note 009
(Fader & Hardie 2005, eq. 19) has a short expansion in :math:`1/(\\beta - \\alpha)`.
With :math:`m = r + x`, :math:`w = \\alpha + u`, :math:`d = \\beta - \\alpha > 0`,
:math:`W_0 = \\alpha + t_x`, :math:`W_1 = \\alpha + T`, :math:`L = \\log(W_1/W_0)` and
:math:`\\varepsilon = W_1 / d`, the binomial series of :math:`(\\beta + u)^{-s-1} =
d^{-s-1}(1 + w/d)^{-s-1}` integrated term by term gives

.. math::

    D = \\int_{t_x}^{T} (\\alpha + u)^{-m} (\\beta + u)^{-s-1} du
      = W_1^{1-m} d^{-s-1} \\sum_{k \\ge 0} \\frac{(s+1)_k}{k!} (-\\varepsilon)^k
        E(m - 1 - k), \\qquad E(a) = \\int_0^L e^{a t} dt = L \\frac{e^{aL} - 1}{aL},

so that (:math:`A = (\\alpha + T)^{-m} (\\beta + T)^{-s}`)

.. math::

    R = \\log\\frac{s D}{A} = \\log s + \\log\\frac{W_1}{d} + s \\log(1 + \\varepsilon)
      + \\log E(m - 1) + \\log V, \\qquad
    V = \\sum_{k \\ge 0} (-1)^k v_k, \\quad
    v_k = \\frac{(s+1)_k}{k!} \\varepsilon^k \\frac{E(m - 1 - k)}{E(m - 1)} .

Bounds (all proven): :math:`E` increases with *a*, so :math:`0 < v_k \\le c_k
\\varepsilon^k` with :math:`c_k = (s+1)_k / k!`; the ratio :math:`c_{k+1}\\varepsilon /
c_k = (s + 1 + k)\\varepsilon/(k + 1)` decreases in *k*, so the tail after *K* terms is
at most :math:`c_K \\varepsilon^K / (1 - \\rho_K)`, :math:`\\rho_K = (s+1+K)\\varepsilon /
(K+1)`; and :math:`V \\ge (1 + \\varepsilon)^{-s-1}` (as :math:`(1 + w/d)^{-s-1}` is at
least its value at :math:`w = W_1`), :math:`\\sum_k v_k \\le (1 - \\varepsilon)^{-s-1}`.
The expansion is used only where :math:`\\varepsilon \\le 1/2` and the cancellation
factor :math:`((1 + \\varepsilon)/(1 - \\varepsilon))^{s+1} \\le 30`; there at most
:data:`K_MAX` terms make the tail (weighted by *k + 1*, for the derivatives) below
:math:`10^{-17}` of *V*, so the cost per history is bounded. The derivatives in
:math:`(r, \\alpha, s, \\beta)` are means of :math:`\\partial \\log v_k` under the
signed weights :math:`(-1)^k v_k / V` (module :func:`far_log_ratio`).

References
----------
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
- Abramowitz, M. & Stegun, I. A. (1964). *Handbook of Mathematical Functions*, 3.6.8
  (binomial series).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["EPS_MAX", "K_MAX", "far_log_ratio", "far_rows"]

Arr = NDArray[np.float64]

EPS_MAX = 0.5
"""Largest :math:`\\varepsilon = (\\alpha + T)/(\\beta - \\alpha)` expanded."""
_CANCEL_MAX = math.log(30.0)
"""Largest log of the cancellation factor ((1 + eps)/(1 - eps))^(s + 1)."""
_TAIL = 1e-17
"""Truncation: (k-weighted) tail bound relative to the lower bound of V."""
K_MAX = 128
"""Most terms: the tail bound at EPS_MAX and the largest s allowed there (s + 1 <=
log(30)/log(3)) is below 1e-17 after 77 terms; smaller eps need fewer."""


def far_rows(alpha: float, s: float, beta: float, T: Arr) -> NDArray[np.bool_]:
    """Mask of the histories :func:`far_log_ratio` covers (see the module docstring)."""
    if not beta > alpha:
        return np.zeros(np.shape(T), dtype=bool)
    eps = (alpha + T) / (beta - alpha)
    with np.errstate(divide="ignore", invalid="ignore"):  # eps >= 1: NaN, not far
        cancel = (s + 1.0) * (np.log1p(eps) - np.log1p(-eps))
    return np.asarray((eps <= EPS_MAX) & (cancel <= _CANCEL_MAX), dtype=bool)


def _log_exprel(x: Arr) -> Arr:
    """log((e^x - 1)/x), 0 at x = 0, without overflow for large x."""
    out = np.empty_like(x)
    big = x > 1.0
    xb = x[big]
    out[big] = xb - np.log(xb) + np.log(-np.expm1(-xb))
    xs = x[~big]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(xs == 0.0, 1.0, np.expm1(xs) / np.where(xs == 0.0, 1.0, xs))
    out[~big] = np.log(ratio)
    return out


# g(x) = 1/(1 - e^-x) - 1/x = d log((e^x - 1)/x) / dx: Bernoulli series near 0
_G_SERIES = (0.5, 1.0 / 12.0, 0.0, -1.0 / 720.0, 0.0, 1.0 / 30240.0, 0.0, -1.0 / 1209600.0)


def _dlog_exprel(x: Arr) -> Arr:
    """d/dx log((e^x - 1)/x) = 1/(1 - e^-x) - 1/x, in [0, 1]."""
    small = np.abs(x) < 0.25
    xs = np.where(small, 1.0, x)
    with np.errstate(over="ignore", divide="ignore"):
        direct = 1.0 / -np.expm1(-xs) - 1.0 / xs
    # |x| < 0.25: the series to x^7 leaves |x|^9/47900160 < 1e-13 of 1/2, below 5e-17
    ser = np.zeros_like(x)
    for c in reversed(_G_SERIES):
        ser = ser * x + c
    return np.asarray(np.where(small, ser, direct), dtype=np.float64)


def far_log_ratio(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: ArrayLike,
    tx: ArrayLike,
    T: ArrayLike,
    *,
    grad: bool = False,
) -> tuple[Arr, Arr | None]:
    """:math:`R = \\log(s D / A)` and its gradient by the expansion of the module docstring.

    Only for histories :func:`far_rows` selects (:math:`\\beta > \\alpha`,
    :math:`\\varepsilon \\le 1/2`, bounded cancellation); at most :data:`K_MAX` terms.

    Returns
    -------
    tuple
        ``(R, dR)``, ``dR`` of shape ``(4, n)`` in :math:`(r, \\alpha, s, \\beta)` (``None``
        unless ``grad``); ``R = -inf`` and ``dR = 0`` where :math:`t_x = T`.

    Examples
    --------
    >>> R, _ = far_log_ratio(0.83, 69.1, 0.01, 1e6, [2.0], [100.0], [300.0])
    >>> from crmkit.clv._pareto_ratio import pareto_log_ratio
    >>> R0, _ = pareto_log_ratio(0.83, 69.1, 0.01, 1e6, [2.0], [100.0], [300.0], fast=False)
    >>> bool(abs(R[0] - R0[0]) < 1e-12)
    True
    """
    xx, txx, TT = (
        np.asarray(a, dtype=np.float64).ravel()
        for a in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, tx, T)))
    )
    n = xx.size
    d = beta - alpha
    W0, W1 = alpha + txx, alpha + TT
    L = np.log1p((TT - txx) / W0)
    live = L > 0.0
    Ls = np.where(live, L, 1.0)
    eps = W1 / d
    m = r + xx
    a0 = (m - 1.0) * Ls
    le0 = _log_exprel(a0)
    # v_k = c_k eps^k exprel((m - 1 - k) L) / exprel((m - 1) L), summed with signs
    V = np.ones(n)
    if grad:
        sum_k = np.zeros(n)  # sum (-1)^k k v_k
        sum_h = np.zeros(n)  # sum (-1)^k H_k v_k, H_k = sum_{j<k} 1/(s + 1 + j)
        sum_g = _dlog_exprel(a0)  # sum (-1)^k g((m-1-k)L) v_k  (k = 0 term)
        sum_q = np.ones(n)  # sum (-1)^k v_k q((m-1-k)L) / q((m-1)L), q = e^{aL}/E(a)
    ce = np.ones(n)  # c_k eps^k
    H = 0.0
    # terms needed: c_K eps^K (K + 1) (1 + eps)^(s+1) / (1 - rho'_K) <= _TAIL
    lead = (s + 1.0) * np.log1p(eps)
    sign = 1.0
    # e^{aL}/E(a) = 1 / (L exprel(-aL)), relative to its k = 0 value
    lq0 = _log_exprel(-a0)
    for k in range(1, K_MAX + 1):
        rho = (s + k) / k * eps  # c_k eps^k / (c_{k-1} eps^{k-1})
        ce = ce * rho
        sign = -sign
        a = a0 - k * Ls
        vk = ce * np.exp(_log_exprel(a) - le0)
        V += sign * vk
        if grad:
            H += 1.0 / (s + k)
            sum_k += sign * k * vk
            sum_h += sign * H * vk
            sum_g += sign * _dlog_exprel(a) * vk
            sum_q += sign * np.exp(lq0 - _log_exprel(-a)) * vk
        # tail bound after this term (terms k + 1, ...), weighted by k + 2
        rk = (s + k + 1.0) / (k + 1.0) * eps
        r2 = rk * (k + 3.0) / (k + 2.0)
        with np.errstate(divide="ignore"):
            bound = ce * rk * (k + 2.0) / np.maximum(1.0 - r2, 1e-300)
        if float(np.max(np.where(r2 < 1.0, np.log(bound) + lead, np.inf))) <= math.log(_TAIL):
            break
    logE0 = np.log(Ls) + le0
    with np.errstate(divide="ignore"):
        R = math.log(s) + np.log(W1 / d) + s * np.log1p(eps) + logE0 + np.log(V)
    R = np.where(live, R, -np.inf)
    if not grad:
        return R, None
    iV = 1.0 / V
    K1 = sum_k * iV  # d log V / d log eps (at fixed L)
    # d/dL of log E(m-1-k): e^{aL}/E(a) = 1/(L exprel(-aL))
    QL = sum_q * iV / (Ls * np.exp(lq0))
    Mm = Ls * sum_g * iV  # d/dm of log E(m - 1) + log V
    ia0, ia1 = 1.0 / W0, 1.0 / W1
    dR = np.empty((4, n))
    dR[0] = Mm
    dR[1] = ia1 + (1.0 + s) / d + K1 * (ia1 + 1.0 / d) + QL * (ia1 - ia0)
    dR[2] = 1.0 / s + np.log1p(eps) + sum_h * iV
    dR[3] = -(1.0 + K1) / d - s * W1 / ((beta + TT) * d)
    dR = np.where(live, dR, 0.0)
    return R, dR
