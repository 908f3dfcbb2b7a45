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
_GAP_MIN = 1e-5
"""Smallest (r + x)(T - t_x)/(alpha + T) expanded (t_x = T aside)."""
K_MAX = 128
"""Most terms: the tail bound at EPS_MAX and the largest s allowed there (s + 1 <=
log(30)/log(3)) is below 1e-17 after 77 terms; smaller eps need fewer."""


def far_rows(
    r: float, alpha: float, s: float, beta: float, x: Arr, tx: Arr, T: Arr
) -> NDArray[np.bool_]:
    """Mask of the histories :func:`far_log_ratio` covers (see the module docstring).

    Also left out: :math:`0 < (r + x)(T - t_x) < 10^{-5} (\\alpha + T)`. There the
    :math:`\\alpha`-derivative, :math:`-\\frac{m}{W_1} \\mathrm{E}[(T - u)/(\\alpha +
    u)]` (a mean under the integrand of *D*), is formed as a difference of terms about
    :math:`(\\alpha + T)/(m (T - t_x))` times larger, and would lose more than
    :math:`10^{-10}` (relative).
    """
    if not beta > alpha:
        return np.zeros(np.shape(T), dtype=bool)
    eps = (alpha + T) / (beta - alpha)
    with np.errstate(divide="ignore", invalid="ignore"):  # eps >= 1: NaN, not far
        cancel = (s + 1.0) * (np.log1p(eps) - np.log1p(-eps))
    gap = T - tx
    wide = (gap == 0.0) | ((r + x) * gap >= _GAP_MIN * (alpha + T))
    return np.asarray((eps <= EPS_MAX) & (cancel <= _CANCEL_MAX) & wide, dtype=bool)


def _scaled_exprel(A: Arr) -> Arr:
    """:math:`(1 - e^{-|A|})/|A|` (1 at 0), so that :math:`(e^A - 1)/A = e^{\\max(A, 0)}`
    times it; in (0, 1], to rounding."""
    a = np.maximum(np.abs(A), 1e-300)
    return np.asarray(-np.expm1(-a) / a, dtype=np.float64)


# g(x) = 1/(1 - e^-x) - 1/x = d log((e^x - 1)/x) / dx: Bernoulli series near 0
_G_SERIES = (0.5, 1.0 / 12.0, 0.0, -1.0 / 720.0, 0.0, 1.0 / 30240.0, 0.0, -1.0 / 1209600.0)


def _dlog_exprel(A: Arr, scaled: Arr) -> Arr:
    """:math:`g(A) = d/dA \\log((e^A - 1)/A) = 1/(1 - e^{-A}) - 1/A \\in (0, 1)` from
    ``scaled`` = :func:`_scaled_exprel` (A): :math:`h = (1 - \\tilde E)/(|A| \\tilde E)`
    is *g* for :math:`A > 0` and :math:`1 - g` for :math:`A < 0`."""
    a = np.maximum(np.abs(A), 1e-300)
    h = (1.0 - scaled) / (a * scaled)
    g = np.where(A > 0.0, h, 1.0 - h)
    small = np.flatnonzero(a < 0.25)
    if small.size:
        # |A| < 0.25: the series to A^7 leaves |A|^9/47900160 < 1e-13 of 1/2 (< 5e-17)
        xs = A[small]
        ser = np.zeros_like(xs)
        for c in reversed(_G_SERIES):
            ser = ser * xs + c
        g[small] = ser
    return np.asarray(g, dtype=np.float64)


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
    :math:`\\varepsilon \\le 1/2`, bounded cancellation). Rows are taken in decreasing
    :math:`\\varepsilon` and each stops once its own tail bound is met (at most
    :data:`K_MAX` terms). With :math:`A_k = (m - 1 - k) L`, :math:`(e^{A} - 1)/A =
    e^{\\max(A, 0)} \\tilde E(A)`, :math:`\\tilde E(A) = (1 - e^{-|A|})/|A| \\in (0, 1]`,
    so :math:`v_k = c_k \\varepsilon^k e^{-\\min(kL, \\max(A_0, 0))} \\tilde E(A_k) /
    \\tilde E(A_0)` (no overflow, one ``expm1`` per term); the *L*-derivative of the sum
    is its boundary term, :math:`\\sum_k (-1)^k c_k (\\varepsilon e^{-L})^k = (1 +
    W_0/d)^{-s-1}`.

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
    eps_all = (alpha + TT) / d
    order = np.argsort(-eps_all, kind="stable")  # the tail bound grows with eps
    xx, txx, TT, eps = xx[order], txx[order], TT[order], eps_all[order]
    W0, W1 = alpha + txx, alpha + TT
    L = np.log1p((TT - txx) / W0)
    live = L > 0.0
    Ls = np.where(live, L, 1.0)
    m = r + xx
    A0 = (m - 1.0) * Ls
    E0 = _scaled_exprel(A0)
    iE0 = 1.0 / E0
    f0 = np.exp(-np.maximum(A0, 0.0))  # e^{-max(A_0, 0)}
    decay = np.exp(-Ls)
    V = np.ones(n)
    if grad:
        sum_k = np.zeros(n)  # sum (-1)^k k v_k
        sum_h = np.zeros(n)  # sum (-1)^k H_k v_k, H_k = sum_{j<k} 1/(s + 1 + j)
        sum_g = _dlog_exprel(A0, E0)  # sum (-1)^k g(A_k) v_k
    ce = np.ones(n)  # c_k eps^k
    pw = np.ones(n)  # e^{-kL}
    H = 0.0
    lead = (s + 1.0) * np.log1p(eps)  # 1/V <= (1 + eps)^(s+1)
    log_tail = math.log(_TAIL)
    sign = 1.0
    act = n  # rows still summing: a prefix (decreasing eps)
    for k in range(1, K_MAX + 1):
        if act == 0:
            break
        a = slice(0, act)
        ce[a] *= (s + k) / k * eps[a]  # c_k eps^k from c_{k-1} eps^{k-1}
        pw[a] *= decay[a]
        sign = -sign
        Ak = A0[a] - k * Ls[a]
        Ek = _scaled_exprel(Ak)
        vk = ce[a] * np.maximum(pw[a], f0[a]) * Ek * iE0[a]
        V[a] += sign * vk
        if grad:
            H += 1.0 / (s + k)
            sum_k[a] += (sign * k) * vk
            sum_h[a] += (sign * H) * vk
            sum_g[a] += sign * _dlog_exprel(Ak, Ek) * vk
        # tail bound after this term (terms k + 1, ...), weighted by k + 2 (derivatives)
        rk = (s + k + 1.0) / (k + 1.0) * eps[a]
        r2 = rk * (k + 3.0) / (k + 2.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            lb = np.log(ce[a] * rk * (k + 2.0) / (1.0 - r2)) + lead[a]
        act = int(np.count_nonzero(~((r2 < 1.0) & (lb <= log_tail))))
    with np.errstate(divide="ignore"):
        logE0 = np.log(Ls) + np.maximum(A0, 0.0) + np.log(E0)
        R = math.log(s) + np.log(W1 / d) + s * np.log1p(eps) + logE0 + np.log(V)
    R = np.where(live, R, -np.inf)
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n)
    if not grad:
        return R[inv], None
    iV = 1.0 / V
    K1 = sum_k * iV  # d log V / d log eps (at fixed L)
    # d/dL of the sum: its boundary term e^{(m-1)L} (1 + W_0/d)^(-s-1), over E(m - 1) V
    QL = np.exp(np.minimum(A0, 0.0) - (s + 1.0) * np.log1p(W0 / d)) * iE0 / Ls * iV
    Mm = Ls * sum_g * iV  # d/dm of log E(m - 1) + log V
    ia0, ia1 = 1.0 / W0, 1.0 / W1
    ga = -(TT - txx) * ia0 * ia1  # 1/W1 - 1/W0 without cancellation
    dR = np.empty((4, n))
    dR[0] = Mm
    dR[1] = ia1 + (1.0 + s) / d + K1 * (ia1 + 1.0 / d) + QL * ga
    dR[2] = 1.0 / s + np.log1p(eps) + sum_h * iV
    dR[3] = -(1.0 + K1) / d - s * eps / (beta + TT)
    dR = np.where(live, dR, 0.0)
    return R[inv], dR[:, inv]
