"""Gamma-Gompertz lifetime numerics for the GG/NBD model (private).

The GG/NBD lifetime (Bemmaor & Glady 2012) has the survival function

.. math:: S(y) = \\Bigl(\\frac{\\beta}{\\beta - 1 + e^{b y}}\\Bigr)^s,
          \\qquad \\log S(y) = -s \\log\\bigl(1 + \\operatorname{expm1}(b y)/\\beta\\bigr),

and its likelihood, P(alive) and expectations need integrals against its density
:math:`f = -S'`. Each is computed with a **fixed** number of nodes: the integration
variable is the survival probability itself (:math:`dF = -dS`), so the lifetime density
is absorbed exactly and only a bounded, monotone factor is left; that factor is
integrated by tanh-sinh quadrature (Takahasi & Mori 1974) on a fixed grid of
:data:`NODES` points, whose nodes crowd double-exponentially towards both ends, where
the purchase factor :math:`(c + y)^{-m}` concentrates for large purchase counts. The
cost per history is :data:`NODES` array evaluations whatever the parameters; the error
is checked against mpmath at 30 and 50 digits (``tests/reference/make_clv_ggnbd_grid.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "NODES",
    "WEIGHTS",
    "lifetime_nodes",
    "log_purchase_lifetime_integral",
    "log_purchase_lifetime_integral_grad",
    "log_purchase_lifetime_integral_hess",
    "log_survival",
    "log_survival_grad",
    "log_survival_hess",
    "survival_time_integral",
]

Arr = NDArray[np.float64]

_H = 1.0 / 32.0  # tanh-sinh step
_K = 106  # k h up to 3.31: the outermost nodes lie within e^-43 of the ends
_KH = np.arange(-_K, _K + 1, dtype=np.float64) * _H
_A = np.pi * np.sinh(_KH)
#: the tanh-sinh nodes p on (0, 1) and their complements 1 - p, both without rounding
_P = special.expit(_A)
_Q = special.expit(-_A)
_W = _H * np.pi * np.cosh(_KH) * _P * _Q
NODES = _P.size
"""Number of quadrature nodes per integral (fixed)."""
WEIGHTS = _W
"""The tanh-sinh weights on (0, 1) of the nodes of :func:`lifetime_nodes`."""


_BLOCK = 256  # rows per block: NODES * _BLOCK values (436 kB) per array, cache-sized


def _blocked(fn: Callable[..., Arr], *arrays: Arr) -> Arr:
    """``fn`` on blocks of at most ``_BLOCK`` rows of the broadcast, flattened arrays
    (bounded memory), reshaped to the broadcast shape."""
    bc = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))
    shape = bc[0].shape
    flat = [a.ravel() for a in bc]
    out = np.empty(flat[0].size)
    for a in range(0, out.size, _BLOCK):
        out[a : a + _BLOCK] = fn(*(f[a : a + _BLOCK] for f in flat))
    return out.reshape(shape)


def log_survival(y: Arr, b: float, beta: float, s: float) -> Arr:
    """:math:`\\log S(y) = -s \\log(1 + \\operatorname{expm1}(b y) / \\beta)`, y >= 0."""
    by = np.asarray(b * y, dtype=np.float64)
    with np.errstate(over="ignore"):
        small = np.log1p(np.expm1(np.minimum(by, 700.0)) / beta)
    # for large b y: log(e^{by} - 1 + beta) - log(beta) = by + log1p((beta - 1) e^{-by}) - log beta
    big = by + np.log1p((beta - 1.0) * np.exp(-np.maximum(by, 1.0))) - np.log(beta)
    return np.asarray(-s * np.where(by > 30.0, big, small), dtype=np.float64)


def _time_at(log_w: Arr, b: float, beta: float, s: float) -> tuple[Arr, Arr]:
    """The y with :math:`\\log S(y) = ` ``log_w`` (<= 0), :math:`\\log(1 + \\beta
    \\operatorname{expm1}(z)) / b` with :math:`z = -\\log w / s = \\log(1 + E/\\beta)`,
    and z itself (:math:`E = \\operatorname{expm1}(b y)`)."""
    z = np.asarray(-log_w / s, dtype=np.float64)
    if z.size and float(z.max()) <= 30.0:
        return np.log1p(beta * np.expm1(z)) / b, z
    with np.errstate(over="ignore"):
        small = np.log1p(beta * np.expm1(np.minimum(z, 700.0)))
    big = np.log(beta) + z + np.log1p((1.0 - beta) * np.exp(-np.maximum(z, 1.0)) / beta)
    return np.asarray(np.where(z > 30.0, big, small) / b, dtype=np.float64), z


def _nodes_between(log_s_lo: Arr, log_s_hi: Arr) -> tuple[Arr, Arr, Arr]:
    """log of the interval length :math:`S(lo) - S(hi)` and, per node (last axis),
    :math:`\\log w` of the node and its distance from the low end in units of the
    interval (p)."""
    d = np.minimum(log_s_hi - log_s_lo, 0.0)
    q = -np.expm1(d)  # 1 - S(hi)/S(lo), in [0, 1]
    with np.errstate(divide="ignore"):
        log_len = log_s_lo + np.log(q)
    # w = S(lo) (1 - q p): log1p(-q p) keeps w - S(lo) exact for short intervals; where
    # q p > 1/2, 1 - q p = (1 - q) + q (1 - p) has no cancellation at p -> 1
    qp = q[..., None] * _P
    log_one = np.log1p(-np.minimum(qp, 0.5))
    far = qp > 0.5
    if np.any(far):
        qb = np.broadcast_to(q[..., None], qp.shape)[far]
        log_one[far] = np.log((1.0 - qb) + qb * np.broadcast_to(_Q, qp.shape)[far])
    log_w = log_s_lo[..., None] + log_one
    return log_len, log_w, np.broadcast_to(_P, log_w.shape)


def lifetime_nodes(lo: Arr, hi: Arr, b: float, beta: float, s: float) -> tuple[Arr, Arr]:
    """Quadrature for :math:`\\int_{lo}^{hi} g(y) f(y)\\,dy` in the variable
    :math:`w = S(y)`: the log of the interval length :math:`S(lo) - S(hi)` and the
    nodes y (last axis, :data:`NODES`); the integral is ``exp(log_len) * sum(WEIGHTS *
    g(y))``."""
    lo, hi = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(lo, hi))
    log_len, y, _ = _lifetime_nodes_z(lo, hi, b, beta, s)
    return log_len, y


def _lifetime_nodes_z(lo: Arr, hi: Arr, b: float, beta: float, s: float) -> tuple[Arr, Arr, Arr]:
    log_len, log_w, _ = _nodes_between(log_survival(lo, b, beta, s), log_survival(hi, b, beta, s))
    y, z = _time_at(log_w, b, beta, s)
    return log_len, np.clip(y, lo[..., None], hi[..., None]), z


def log_purchase_lifetime_integral(
    m: Arr, c: Arr, lo: Arr, hi: Arr, b: float, beta: float, s: float
) -> Arr:
    """:math:`\\log \\int_{lo}^{hi} (c + y)^{-m} f(y)\\,dy` (f the GG lifetime density).

    With :math:`w = S(y)` the integral is :math:`\\int_{S(hi)}^{S(lo)} (c + y(w))^{-m}
    dw`; the factor :math:`((c + lo)/(c + y))^m \\le 1` is integrated by the fixed
    tanh-sinh rule. ``-inf`` where ``lo == hi``. Shapes broadcast; m, c > 0.
    """
    return _blocked(lambda m_, c_, lo_, hi_: _log_pli(m_, c_, lo_, hi_, b, beta, s), m, c, lo, hi)


def _log_pli(m: Arr, c: Arr, lo: Arr, hi: Arr, b: float, beta: float, s: float) -> Arr:
    log_s_lo = log_survival(lo, b, beta, s)
    log_s_hi = log_survival(hi, b, beta, s)
    log_len, log_w, _ = _nodes_between(log_s_lo, log_s_hi)
    y = np.clip(_time_at(log_w, b, beta, s)[0], lo[..., None], hi[..., None])
    base = c + lo
    rel = -m[..., None] * np.log1p((y - lo[..., None]) / base[..., None])
    total = np.einsum("...k,k->...", np.exp(rel), _W)
    with np.errstate(divide="ignore"):
        return np.asarray(log_len + np.log(total) - m * np.log(base), dtype=np.float64)


def survival_time_integral(t: Arr, T: Arr, b: float, beta: float, s: float) -> Arr:
    """:math:`\\int_0^t S(T + u) / S(T)\\,du`: the expected time alive in (T, T + t] of a
    customer alive at T.

    By parts, :math:`t\\,S_T(t) + \\int_0^t u\\,dF_T(u)` with :math:`S_T = S(T + \\cdot) /
    S(T)`; the second term in the variable :math:`w = S_T(u)` is
    :math:`\\int_{S_T(t)}^{1} u(w)\\,dw`, by the fixed tanh-sinh rule.
    """
    return _blocked(lambda t_, T_: _sti(t_, T_, b, beta, s), t, T)


def _sti(t: Arr, T: Arr, b: float, beta: float, s: float) -> Arr:
    log_s_T = log_survival(T, b, beta, s)
    log_s_end = log_survival(T + t, b, beta, s)
    log_len, log_w, _ = _nodes_between(log_s_T, log_s_end)
    y = _time_at(log_w, b, beta, s)[0]
    u = np.clip(y - T[..., None], 0.0, t[..., None])
    inner = np.einsum("...k,k->...", u, _W) * np.exp(log_len - log_s_T)
    return np.asarray(t * np.exp(log_s_end - log_s_T) + inner, dtype=np.float64)


def log_survival_grad(y: Arr, b: float, beta: float, s: float) -> tuple[Arr, Arr, Arr]:
    """Derivatives of :math:`\\log S(y)` in (b, s, beta); :math:`E = \\operatorname{expm1}(b y)`:
    :math:`-s y e^{b y}/(\\beta + E)`, :math:`-\\log(1 + E/\\beta)`, :math:`s E / (\\beta
    (\\beta + E))`."""
    by = np.minimum(np.asarray(b * y, dtype=np.float64), 700.0)
    E = np.expm1(by)
    # e^{by} / (beta + E), without the cancellation of 1 + (beta - 1) e^{-by} for beta < 1
    share = np.exp(by) / (beta + E)
    d_b = -s * y * share
    d_s = log_survival(y, b, beta, 1.0)
    d_beta = s / beta * (E / (beta + E))
    return d_b, d_s, d_beta


def log_survival_hess(y: Arr, b: float, beta: float, s: float) -> Arr:
    """Second derivatives of :math:`\\log S(y)` in (b, s, beta), shape (3, 3, n). With
    :math:`\\iota = 1/(\\beta + E)` and :math:`\\sigma = e^{by}\\iota`:
    :math:`\\partial_{bb} = -s y^2 \\sigma (\\beta - 1)\\iota`, :math:`\\partial_{bs} = -y
    \\sigma`, :math:`\\partial_{b\\beta} = s y \\sigma \\iota`, :math:`\\partial_{ss} = 0`,
    :math:`\\partial_{s\\beta} = 1/\\beta - \\iota`, :math:`\\partial_{\\beta\\beta} =
    -s/\\beta^2 + s \\iota^2`."""
    y = np.asarray(y, dtype=np.float64)
    by = np.minimum(b * y, 700.0)
    iota = 1.0 / (beta + np.expm1(by))
    share = np.exp(by) * iota
    out = np.empty((3, 3, y.size))
    out[0, 0] = -s * y * y * share * (beta - 1.0) * iota
    out[0, 1] = out[1, 0] = -y * share
    out[0, 2] = out[2, 0] = s * y * share * iota
    out[1, 1] = 0.0
    out[1, 2] = out[2, 1] = 1.0 / beta - iota
    out[2, 2] = -s / beta**2 + s * iota * iota
    return out


def log_purchase_lifetime_integral_grad(
    m: Arr, c: Arr, lo: Arr, hi: Arr, b: float, beta: float, s: float
) -> tuple[Arr, Arr]:
    """:func:`log_purchase_lifetime_integral` (1-d arrays) and its derivatives in
    (m, c, b, s, beta), shape (5, n), on the same nodes: a parameter of the density
    enters as :math:`\\int g\\,\\partial_\\theta \\log f\\,dF`, with
    :math:`\\partial_b \\log f = 1/b + y - (s + 1) y e^{by}/(\\beta + E)`,
    :math:`\\partial_s \\log f = 1/s + \\log\\beta - \\log(\\beta + E)`,
    :math:`\\partial_\\beta \\log f = s/\\beta - (s + 1)/(\\beta + E)`."""
    value, grad, _ = _pli_blocks(m, c, lo, hi, b, beta, s, hessian=False)
    return value, grad


def log_purchase_lifetime_integral_hess(
    m: Arr, c: Arr, lo: Arr, hi: Arr, b: float, beta: float, s: float
) -> tuple[Arr, Arr, Arr]:
    """:func:`log_purchase_lifetime_integral_grad` and the second derivatives, shape
    (5, 5, n), on the same nodes.

    With :math:`h = -m \\log(c + y) + \\log f(y)` the integral is :math:`I = \\int
    e^h dy`, so :math:`\\nabla^2 \\log I = \\mathrm{E}[\\nabla^2 h] +
    \\mathrm{Cov}[\\nabla h]` under the normalised integrand :math:`e^h / I` (the
    covariance from deviations about the mean, no cancellation). :math:`\\nabla^2 h`:
    :math:`h_{mc} = -1/(c + y)`, :math:`h_{cc} = m/(c + y)^2`, and of :math:`\\log f`
    (:math:`\\iota = 1/(\\beta + E)`, :math:`\\sigma = e^{by}\\iota`):
    :math:`-1/b^2 - (s + 1) y^2 \\sigma(\\beta - 1)\\iota`, :math:`-y\\sigma`,
    :math:`(s + 1) y \\sigma\\iota`, :math:`-1/s^2`, :math:`1/\\beta - \\iota`,
    :math:`-s/\\beta^2 + (s + 1)\\iota^2`."""
    value, grad, hess = _pli_blocks(m, c, lo, hi, b, beta, s, hessian=True)
    assert hess is not None
    return value, grad, hess


def _pli_blocks(
    m: Arr, c: Arr, lo: Arr, hi: Arr, b: float, beta: float, s: float, *, hessian: bool
) -> tuple[Arr, Arr, Arr | None]:
    m, c, lo, hi = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(m, c, lo, hi))
    value = np.empty(m.size)
    grad = np.empty((5, m.size))
    hess = np.empty((5, 5, m.size)) if hessian else None
    # work arrays of the per node derivatives, reused by every block (a fresh array of
    # a few MB per block costs its page faults again)
    rows = min(_BLOCK, m.size)
    work = (np.empty((rows, 5, NODES)), np.empty((rows, 6, NODES)) if hessian else None)
    for a in range(0, m.size, _BLOCK):
        sl = slice(a, a + _BLOCK)
        v, g, h = _pli_derivs(m[sl], c[sl], lo[sl], hi[sl], b, beta, s, hessian, work)
        value[sl], grad[:, sl] = v, g
        if hess is not None and h is not None:
            hess[:, :, sl] = h
    return value, grad, hess


def _pli_derivs(
    m: Arr,
    c: Arr,
    lo: Arr,
    hi: Arr,
    b: float,
    beta: float,
    s: float,
    hessian: bool,
    work: tuple[Arr, Arr | None],
) -> tuple[Arr, Arr, Arr | None]:
    log_len, y, z = _lifetime_nodes_z(lo, hi, b, beta, s)
    n = y.shape[0]
    # per node derivatives of h, d_m up to the constant -log(c + lo) and the parameters'
    # own terms (1/b, 1/s, s/beta) left out; laid out (rows, 5, nodes) for matmul
    d = work[0][:n]
    l1p = np.log1p((y - lo[:, None]) / (c + lo)[:, None], out=d[:, 0])
    g = np.exp(-m[:, None] * l1p) * _W
    np.negative(l1p, out=d[:, 0])
    total = g.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = log_len + np.log(total) - m * np.log(c + lo)
        inv = np.where(total > 0.0, 1.0 / total, 0.0)
        gn = g * inv[:, None]  # the normalised integrand on the nodes
        # z = log(1 + E/beta): log(beta + E) = log(beta) + z, 1/(beta + E) = e^-z / beta,
        # e^{by}/(beta + E) = 1/(beta + E) + E/(beta + E) = e^-z/beta - expm1(-z)
        inv_be = np.exp(-z) / beta
        ysh = y * (inv_be - np.expm1(-z))  # y e^{by}/(beta + E)
        inv_cy = 1.0 / (c[:, None] + y)
        np.multiply(-m[:, None], inv_cy, out=d[:, 1])
        np.subtract(y, (s + 1.0) * ysh, out=d[:, 2])
        np.negative(z, out=d[:, 3])
        np.multiply(-(s + 1.0), inv_be, out=d[:, 4])
        mean = np.matmul(d, gn[:, :, None])[:, :, 0]  # (rows, 5)
        const = np.array([0.0, 0.0, 1.0 / b, 1.0 / s, s / beta])
        grad = (mean + const).T
        grad[0] -= np.log(c + lo)
        grad = np.where(np.isfinite(grad), grad, 0.0)
        if not hessian:
            return value, grad, None
        d -= mean[:, :, None]
        d *= np.sqrt(gn)[:, None, :]
        if not np.all(np.isfinite(d)):
            d[~np.isfinite(d)] = 0.0
        cov = np.matmul(d, d.transpose(0, 2, 1))  # (rows, 5, 5)
        # E[second derivatives of h] (rows, 6) by one matmul over the nodes
        assert work[1] is not None
        e2 = work[1][:n]
        e2[:, 0] = inv_cy
        np.multiply(inv_cy, inv_cy, out=e2[:, 1])
        np.multiply(y * ysh, inv_be, out=e2[:, 2])
        e2[:, 3] = ysh
        np.multiply(ysh, inv_be, out=e2[:, 4])
        e2[:, 5] = inv_be
        e = np.matmul(e2, gn[:, :, None])[:, :, 0].T
        e_ibe2 = np.einsum("ij,ij->i", gn, inv_be * inv_be)
        hess = np.moveaxis(cov, 0, 2).copy()
        hess[0, 1] -= e[0]
        hess[1, 0] -= e[0]
        hess[1, 1] += m * e[1]
        bs = -e[3]
        bbeta = (s + 1.0) * e[4]
        sbeta = 1.0 / beta - e[5]
        hess[2, 2] += -(s + 1.0) * (beta - 1.0) * e[2] - 1.0 / b**2
        hess[2, 3] += bs
        hess[3, 2] += bs
        hess[2, 4] += bbeta
        hess[4, 2] += bbeta
        hess[3, 3] += -1.0 / s**2
        hess[3, 4] += sbeta
        hess[4, 3] += sbeta
        hess[4, 4] += (s + 1.0) * e_ibe2 - s / beta**2
        hess = np.where(np.isfinite(hess), hess, 0.0)
    return value, grad, hess
