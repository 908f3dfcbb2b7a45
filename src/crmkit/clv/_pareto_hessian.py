"""The exact Hessian of the Pareto/NBD log-likelihood (private).

Per history (Fader & Hardie 2005, note 009, eqs. 19-22) :math:`\\ell = \\log C + \\log A
+ \\operatorname{softplus}(R)` with

.. math::

    R = \\log s - \\log(m + s) + G_{t_x} + \\log(1 - e^{\\delta}) \\;[+ \\log\\tfrac{\\alpha
    + T}{\\beta + T} \\text{ if } \\alpha < \\beta], \\qquad \\delta = G_T - G_{t_x},

:math:`m = r + x`, :math:`G_{t_x} = e_a \\log\\frac{\\alpha + T}{\\alpha + t_x} + e_b
\\log\\frac{\\beta + T}{\\beta + t_x} + F(t_x)`, :math:`G_T = F(T)` and :math:`F(y) =
\\log {}_2F_1(1, B; C; z_y)` (Euler-transformed, :math:`C = m + s + 1`; :math:`B = m`,
:math:`z_y = (\\alpha - \\beta)/(\\alpha + y)`, :math:`(e_a, e_b) = (m, s)` if
:math:`\\alpha \\ge \\beta`, else :math:`B = s + 1`, :math:`z_y = (\\beta - \\alpha)/(\\beta
+ y)`, :math:`(e_a, e_b) = (m - 1, s + 1)`). Then

.. math::

    \\nabla R = \\nabla(\\log s - \\log(m+s)) + \\frac{\\nabla G_{t_x} - e^{\\delta}\\nabla
    G_T}{1 - e^{\\delta}}, \\qquad
    \\nabla^2 R = \\nabla^2(\\log s - \\log(m+s)) + \\frac{\\nabla^2 G_{t_x} - e^{\\delta}
    \\nabla^2 G_T}{1 - e^{\\delta}} - \\frac{e^{\\delta}}{(1 - e^{\\delta})^2} \\nabla\\delta
    \\nabla\\delta^\\top

(plus the derivatives of the last logarithm), and the softplus adds :math:`\\sigma
\\nabla^2 R + \\sigma(1 - \\sigma) \\nabla R \\nabla R^\\top` (:math:`\\sigma =
\\operatorname{expit}(R)`). The second derivatives of *F* follow by the chain rule from
those of :math:`\\log {}_2F_1(1, B; C; z)` in *(B, C, z)*, summed with the series of
positive terms (:func:`series_1b_hessian`; *B* and *C* are linear in the parameters,
*z* is not). On many histories the ten columns of *F* are interpolated per purchase
count as for the gradient (:func:`crmkit.clv._pareto_ratio.interpolated_log_f`, checked
Chebyshev interpolation in :math:`u = \\log(1 - z)`); rows the interpolation does not
cover, or whose tail integrals nearly cancel, are computed directly.

The Hessian is exact only where every argument is on the series range, :math:`z \\le 0.9`
for all histories, i.e. :math:`|\\alpha - \\beta| \\le 0.9 (\\max(\\alpha, \\beta) + \\min
t_x)`: elsewhere (e.g. fits running to a limit :math:`\\beta \\to \\infty`)
:func:`pareto_hessian` returns NaN and the fit driver uses finite differences of the
gradient instead.

References
----------
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._hyp_pareto import SERIES_Z_MAX
from crmkit.clv._pareto_ratio import DELTA_MIN, FAST_MIN_ROWS, distinct_pairs

__all__ = ["pareto_hessian", "series_1b_hessian"]

Arr = NDArray[np.float64]
ValueGradientHessian = Callable[[Arr], tuple[float, Arr, Arr]]

_CHUNK = 16_384
# log F, its first (B, C, z) and second (BB, BC, CC, Bz, Cz, zz) derivatives
_INTERP_RTOL = np.array([1e-13] + [1e-11] * 3 + [1e-10] * 6)
# Hessian entries kept per row, in this order (0 = r, 1 = alpha, 2 = s, 3 = beta)
_PAIRS = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))


def series_1b_hessian(B: ArrayLike, C: ArrayLike, z: ArrayLike) -> Arr:
    """:math:`\\log {}_2F_1(1, B; C; z)` with its first and second derivatives, ``z <= 0.9``.

    The series :math:`S = \\sum_k t_k`, :math:`t_k = \\frac{(B)_k}{(C)_k} z^k`, has
    positive terms with :math:`\\partial_B t_k = t_k a_k`, :math:`\\partial_C t_k = -t_k
    c_k`, :math:`\\partial_z t_k = k t_k / z`, :math:`\\partial_B^2 t_k = t_k (a_k^2 -
    a_k')`, :math:`\\partial_C^2 t_k = t_k (c_k^2 + c_k')`, :math:`\\partial_B\\partial_C
    t_k = -t_k a_k c_k` and :math:`\\partial_z^2 t_k = k (k - 1) t_k / z^2`, where
    :math:`a_k = \\sum_{j<k} 1/(B + j)`, :math:`a_k' = \\sum_{j<k} 1/(B + j)^2` (and
    :math:`c_k`, :math:`c_k'` with *C*). The terms are summed until the tail of the
    slowest sum (:math:`k^2 z^k`) is below :math:`10^{-17}` relative (at most about 560
    terms); then :math:`\\partial \\log S = \\partial S / S` and :math:`\\partial^2 \\log S
    = \\partial^2 S / S - (\\partial S / S)(\\partial S / S)`.

    Returns
    -------
    numpy.ndarray
        Shape ``(10, n)``: log F, d/dB, d/dC, d/dz, d2/dB2, d2/dBdC, d2/dC2, d2/dBdz,
        d2/dCdz, d2/dz2 (of log F).

    Examples
    --------
    :math:`{}_2F_1(1, 1; 2; z) = -\\log(1 - z)/z`, whose second z-derivative of the log
    at z = 0.5 is :math:`-1/(z^2) + \\dots`; compared with differences of the first:

    >>> import numpy as np
    >>> h = 1e-6
    >>> d = series_1b_hessian([1.0, 1.0], [2.0, 2.0], [0.5 + h, 0.5 - h])
    >>> fd = (d[3, 0] - d[3, 1]) / (2 * h)
    >>> bool(np.isclose(series_1b_hessian(1.0, 2.0, 0.5)[9, 0], fd, rtol=1e-8))
    True
    """
    b, c, zz = (
        a.ravel().astype(np.float64)
        for a in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (B, C, z)))
    )
    zz = np.clip(zz, 0.0, SERIES_Z_MAX)
    n = zz.size
    with np.errstate(divide="ignore"):
        logz = np.log(zz)
        k0 = np.where(zz > 0.0, np.ceil((np.log(1e-16) + np.log1p(-zz)) / logz), 1.0)
        need = np.where(
            zz > 0.0,
            np.ceil((np.log(1e-17) + 3.0 * np.log1p(-zz) - 2.0 * np.log(k0 + 2.0)) / logz),
            0.0,
        )
    need = np.maximum(need, 0.0) + 3.0
    order = np.argsort(-need, kind="stable")
    need_s = need[order]
    bs, cs, zs = b[order], c[order], zz[order]
    S = np.ones(n)
    acc = np.zeros((9, n))  # SB, SC, Sz, SBB, SBC, SCC, SBz, SCz, Szz
    a1 = np.zeros(n)
    a2 = np.zeros(n)
    c1 = np.zeros(n)
    c2 = np.zeros(n)
    coef = np.ones(n)
    p0 = np.ones(n)  # z^(k-1)
    pm = np.zeros(n)  # z^(k-2) (0 for k = 1: its factor k(k-1) is 0)
    max_need = int(need_s[0]) if n else 0
    for k in range(1, max_need + 1):
        m = int(np.searchsorted(-need_s, -k, side="left"))
        if m == 0:
            break
        sl = slice(0, m)
        ib = 1.0 / (bs[sl] + (k - 1))
        ic = 1.0 / (cs[sl] + (k - 1))
        a1[sl] += ib
        a2[sl] += ib * ib
        c1[sl] += ic
        c2[sl] += ic * ic
        coef[sl] *= (bs[sl] + (k - 1)) * ic
        t = coef[sl] * p0[sl] * zs[sl]
        tz = k * coef[sl] * p0[sl]
        tzz = (k * (k - 1)) * coef[sl] * pm[sl]
        A, Cc = a1[sl], c1[sl]
        S[sl] += t
        acc[0, sl] += t * A
        acc[1, sl] -= t * Cc
        acc[2, sl] += tz
        acc[3, sl] += t * (A * A - a2[sl])
        acc[4, sl] -= t * A * Cc
        acc[5, sl] += t * (Cc * Cc + c2[sl])
        acc[6, sl] += tz * A
        acc[7, sl] -= tz * Cc
        acc[8, sl] += tzz
        pm[sl] = p0[sl]
        p0[sl] *= zs[sl]
    d = acc / S
    out = np.empty((10, n))
    out[0] = np.log(S)
    out[1:4] = d[0:3]
    out[4] = d[3] - d[0] * d[0]
    out[5] = d[4] - d[0] * d[1]
    out[6] = d[5] - d[1] * d[1]
    out[7] = d[6] - d[0] * d[2]
    out[8] = d[7] - d[1] * d[2]
    out[9] = d[8] - d[2] * d[2]
    res = np.empty_like(out)
    res[:, order] = out
    return res


ZTerms = tuple[Arr, Arr, Arr, Arr | None, Arr, Arr | None]


def _z_terms(alpha: float, beta: float, y: Arr, i: Arr | None = None) -> ZTerms:
    """z(y) and its derivatives in alpha and beta: z, za, zb, zaa, zab, zbb (None: 0).

    ``i`` is ``1 / (max(alpha, beta) + y)`` when already known.
    """
    if alpha >= beta:
        i = 1.0 / (alpha + y) if i is None else i
        za = (beta + y) * i * i
        return (alpha - beta) * i, za, -i, -2.0 * za * i, i * i, None
    i = 1.0 / (beta + y) if i is None else i
    zb = (alpha + y) * i * i
    return (beta - alpha) * i, -i, zb, None, i * i, -2.0 * zb * i


def _gradient_g(a_ge: bool, F: Arr, za: Arr, zb: Arr) -> Arr:
    """Gradient (4, n) of F(B, C, z(y)) in (r, alpha, s, beta)."""
    g = np.empty((4, za.size))
    if a_ge:  # B = m (r), C = m + s + 1 (r and s)
        np.add(F[1], F[2], out=g[0])
        g[2] = F[2]
    else:  # B = s + 1
        g[0] = F[2]
        np.add(F[1], F[2], out=g[2])
    np.multiply(F[3], za, out=g[1])
    np.multiply(F[3], zb, out=g[3])
    return g


def _hessian_g_sum(a_ge: bool, F: Arr, zd: ZTerms, wq: Arr) -> Arr:
    """:math:`\\sum_i wq_i \nabla^2 F_i` (entries in the order of _PAIRS).

    :math:`\nabla^2 F = J\\,\nabla^2_{(B, C, z)} F\\, J^\top + F_z \nabla^2 z` with the
    Jacobian *J* of *(B, C, z)*: *B* and *C* are linear in the parameters.
    """
    _, za, zb, zaa, zab, zbb = zd
    fz, fBB, fBC, fCC, fBz, fCz, fzz = F[3], F[4], F[5], F[6], F[7], F[8], F[9]
    s_bb, s_bc, s_cc = _dot(wq, fBB), _dot(wq, fBC), _dot(wq, fCC)
    wa, wb = wq * za, wq * zb
    bz_a, bz_b, cz_a, cz_b = _dot(wa, fBz), _dot(wb, fBz), _dot(wa, fCz), _dot(wb, fCz)
    wzz = wa * fzz
    wfz = wq * fz
    h = np.empty(10)
    h[4] = _dot(wzz, za) + (0.0 if zaa is None else _dot(wfz, zaa))
    h[6] = _dot(wzz, zb) + _dot(wfz, zab)
    h[9] = _dot(wb * fzz, zb) + (0.0 if zbb is None else _dot(wfz, zbb))
    if a_ge:
        h[0], h[2], h[7] = s_bb + 2.0 * s_bc + s_cc, s_bc + s_cc, s_cc
        h[1], h[3], h[5], h[8] = bz_a + cz_a, bz_b + cz_b, cz_a, cz_b
    else:
        h[0], h[2], h[7] = s_cc, s_bc + s_cc, s_bb + 2.0 * s_bc + s_cc
        h[1], h[3], h[5], h[8] = cz_a, cz_b, bz_a + cz_a, bz_b + cz_b
    return h


def _rows(
    theta: tuple[float, float, float, float],
    rows: tuple[Arr, Arr, Arr, Arr],
    F_tx: Arr,
    F_T: Arr,
    done: NDArray[np.bool_] | None,
    a_ge: bool,
    log_a: bool = True,
) -> tuple[float, Arr, Arr, NDArray[np.intp]]:
    r"""Value, gradient and Hessian sums (upper triangle) of log A + softplus(R) over rows.

    With ``done`` (the rows whose F was interpolated), the softplus terms of the other
    rows and of rows whose tail integrals nearly cancel (:math:`\delta >` -DELTA_MIN)
    are left out and those rows returned, for a direct computation.
    """
    r, alpha, s, beta = theta
    x, tx, T, w = rows
    g = np.zeros(4)
    H = np.zeros((4, 4))
    ia_tx, ia_T = 1.0 / (alpha + tx), 1.0 / (alpha + T)
    ib_tx, ib_T = 1.0 / (beta + tx), 1.0 / (beta + T)
    value = 0.0
    if log_a:
        # log C + log A without the terms in x alone: -r la - x log(alpha + T) - s lb
        la, lb = np.log1p(T / alpha), np.log1p(T / beta)
        wx = w * x
        value = -r * _dot(w, la) - _dot(wx, np.log(alpha + T)) - s * _dot(w, lb)
        ka = T * ia_T / alpha  # T / (alpha (alpha + T))
        kb = T * ib_T / beta
        g[0] -= _dot(w, la)
        g[1] += r * _dot(w, ka) - _dot(wx, ia_T)
        g[2] -= _dot(w, lb)
        g[3] += s * _dot(w, kb)
        H[0, 1] += _dot(w, ka)
        H[1, 1] += -r * _dot(w, ka * (2.0 * alpha + T) * ia_T / alpha) + _dot(wx, ia_T * ia_T)
        H[2, 3] += _dot(w, kb)
        H[3, 3] += -s * _dot(w, kb * (2.0 * beta + T) * ib_T / beta)
    # G(t_x) = ea lr_a + eb lr_b + F(t_x), G(T) = F(T), delta = G(T) - G(t_x)
    dT = T - tx
    lr_a = np.log1p(dT * ia_tx)
    lr_b = np.log1p(dT * ib_tx)
    m = r + x
    ea = m if a_ge else m - 1.0
    eb = s if a_ge else s + 1.0
    G_tx = ea * lr_a
    G_tx += eb * lr_b
    G_tx += F_tx[0]
    delta = F_T[0] - G_tx
    bad = np.zeros(0, dtype=np.intp)
    if done is not None:
        bad = np.flatnonzero(~(done & (delta <= -DELTA_MIN)))
        if bad.size:  # left to the direct computation: weight 0 here, a harmless delta
            w = w.copy()
            w[bad] = 0.0
            delta[bad] = -1.0
    else:
        ok = delta < 0.0  # t_x = T: R = -inf, softplus(R) = 0
        if not ok.all():
            w = np.where(ok, w, 0.0)
            delta = np.where(ok, delta, -1.0)
    b = m + s
    e = np.exp(delta)
    om = -np.expm1(delta)
    R = np.log(s / b) + G_tx + np.log(om)
    if not a_ge:
        R += np.log1p((alpha - beta) * ib_T)
    Rc = np.minimum(R, 700.0)
    ex = np.exp(Rc)
    value += _dot(w, np.log1p(ex)) + _dot(w, R - Rc)
    sig = ex / (1.0 + ex)
    p = w * sig
    q = p / om
    qr = q * e
    zd_tx = _z_terms(alpha, beta, tx, ia_tx if a_ge else ib_tx)
    zd_T = _z_terms(alpha, beta, T, ia_T if a_ge else ib_T)
    g_tx = _gradient_g(a_ge, F_tx, zd_tx[1], zd_tx[2])
    g_T = _gradient_g(a_ge, F_T, zd_T[1], zd_T[2])
    ga = dT * ia_tx * ia_T  # 1/(alpha + t_x) - 1/(alpha + T)
    gb = dT * ib_tx * ib_T
    g_tx[0] += lr_a
    g_tx[1] -= ea * ga
    g_tx[2] += lr_b
    g_tx[3] -= eb * gb
    ib = 1.0 / b
    dR = g_tx - e * g_T
    dR /= om
    dR[0] -= ib
    dR[2] += 1.0 / s - ib
    if not a_ge:
        dR[1] += ia_T
        dR[3] -= ib_T
    g += dR @ p
    # sum p d2R + tau dR dR^T: d2R = (d2G_tx - e d2G_T)/om - e/om^2 dd dd^T + ...
    hs = _hessian_g_sum(a_ge, F_tx, zd_tx, q) - _hessian_g_sum(a_ge, F_T, zd_T, qr)
    hs[1] -= _dot(q, ga)
    hs[4] += _dot(q * ea, ia_tx * ia_tx - ia_T * ia_T)
    hs[8] -= _dot(q, gb)
    hs[9] += eb * _dot(q, ib_tx * ib_tx - ib_T * ib_T)
    dd = g_T - g_tx
    vR = dR * np.sqrt(p * (1.0 - sig))
    vd = dd * np.sqrt(qr / om)
    outer = np.einsum("in,jn->ij", vR, vR) - np.einsum("in,jn->ij", vd, vd)
    sum_p = float(p.sum())
    p_b2 = _dot(p, ib * ib)
    for k, (i, j) in enumerate(_PAIRS):
        H[i, j] += hs[k] + outer[i, j]
    H[0, 0] += p_b2
    H[0, 2] += p_b2
    H[2, 2] += p_b2 - sum_p / (s * s)
    if not a_ge:
        H[1, 1] -= _dot(p, ia_T * ia_T)
        H[3, 3] += _dot(p, ib_T * ib_T)
    return value, g, H, bad


def _dot(a: Arr, b: Arr) -> float:
    return float(np.einsum("i,i->", a, b))


def _interpolated(
    th: tuple[float, float, float, float],
    x: Arr,
    tx: Arr,
    T: Arr,
    codes: NDArray[np.intp],
    xu: Arr,
) -> tuple[Arr, Arr, NDArray[np.bool_]]:
    """The ten columns of F at t_x and T by checked interpolation per purchase count."""
    from crmkit.clv._chebyshev import grouped_interpolate

    r, alpha, s, beta = th
    big, small = max(alpha, beta), min(alpha, beta)
    Bg = r + xu if alpha >= beta else np.full(xu.size, s + 1.0)
    Cg = r + xu + s + 1.0

    def exact(gr: NDArray[np.intp], v: Arr) -> Arr:
        rv = np.exp(v)
        res = series_1b_hessian(Bg[gr], Cg[gr], -np.expm1(v))
        res[3] *= rv
        res[7:9] *= rv
        res[9] *= rv * rv
        return res

    out = []
    done = np.ones(x.size, dtype=bool)
    for y in (tx, T):
        rho = (small + y) / (big + y)
        vals, ok = grouped_interpolate(exact, codes, np.log(rho), xu.size, rtol=_INTERP_RTOL)
        irho = 1.0 / rho
        vals[3] *= irho
        vals[7:9] *= irho
        vals[9] *= irho * irho
        out.append(vals)
        done &= ok
    return out[0], out[1], done


def supported(theta: Arr, tx_min: float) -> bool:
    """Whether every hypergeometric argument is on the series range (exact Hessian)."""
    alpha, beta = float(theta[1]), float(theta[3])
    big, small = max(alpha, beta), min(alpha, beta)
    return bool((big - small) <= SERIES_Z_MAX * (big + tx_min))


def pareto_hessian(x: Arr, tx: Arr, T: Arr, w: Arr) -> ValueGradientHessian:
    """``theta -> (log-likelihood, gradient, Hessian)`` of the weighted histories.

    One pass over the histories (sorted by *x* once here). Where the Hessian is not
    exact (:func:`supported` false) all three are NaN: the caller then uses its
    value-and-gradient function and differences of the gradient.
    """
    if not bool(np.all(x[1:] >= x[:-1])):  # the fit's objective passes them sorted
        order = np.argsort(x, kind="stable")
        x, tx, T, w = x[order], tx[order], T[order], w[order]
    new = np.concatenate([[True], x[1:] != x[:-1]]) if x.size else np.zeros(0, bool)
    codes = np.asarray(np.cumsum(new) - 1, dtype=np.intp)
    xu = x[new]
    wx = np.bincount(codes, weights=w, minlength=xu.size)
    n_w = float(w.sum())
    tx_min = float(tx.min()) if tx.size else 0.0
    nan = (np.nan, np.full(4, np.nan), np.full((4, 4), np.nan))

    def direct(th: tuple[float, float, float, float], idx: NDArray[np.intp]) -> tuple[Arr, Arr]:
        r, alpha, s, beta = th
        # both points at once, each distinct (x, y) once (B, C depend on x, z on y)
        xy = np.concatenate([x[idx], x[idx]])
        yy = np.concatenate([tx[idx], T[idx]])
        if idx.size < FAST_MIN_ROWS:  # short: the sort is cheap next to the series
            first, inverse = distinct_pairs(xy, yy)
            xy, yy = xy[first], yy[first]
        B = r + xy if alpha >= beta else np.full(xy.size, s + 1.0)
        C = r + xy + s + 1.0
        out = series_1b_hessian(B, C, _z_terms(alpha, beta, yy)[0])
        if idx.size < FAST_MIN_ROWS:
            out = out[:, inverse]
        return out[:, : idx.size], out[:, idx.size :]

    last: list[tuple[bytes, tuple[float, Arr, Arr]]] = []

    def fgh(theta: Arr) -> tuple[float, Arr, Arr]:
        key = np.ascontiguousarray(theta, dtype=np.float64).tobytes()
        if last and last[0][0] == key:
            v, g, H = last[0][1]
            return v, g.copy(), H.copy()
        res = compute(theta)
        last[:] = [(key, (res[0], res[1].copy(), res[2].copy()))]
        return res

    def compute(theta: Arr) -> tuple[float, Arr, Arr]:
        if not supported(theta, tx_min):
            return nan
        th = (float(theta[0]), float(theta[1]), float(theta[2]), float(theta[3]))
        r, alpha, _, beta = th
        n = x.size
        value = float(wx @ lgamma_ratio(r, xu))  # no cancellation of large log-gammas
        g = np.zeros(4)
        H = np.zeros((4, 4))
        g[0] = float(wx @ special.digamma(r + xu)) - n_w * float(special.digamma(r))
        H[0, 0] = float(wx @ special.polygamma(1, r + xu)) - n_w * float(special.polygamma(1, r))
        if n < FAST_MIN_ROWS:
            redo = np.arange(n)
        else:
            F_tx, F_T, done = _interpolated(th, x, tx, T, codes, xu)
            a_ge = alpha >= beta
            bad: list[NDArray[np.intp]] = []
            for a in range(0, n, _CHUNK):
                c = slice(a, min(a + _CHUNK, n))
                v_c, g_c, H_c, bad_c = _rows(
                    th, (x[c], tx[c], T[c], w[c]), F_tx[:, c], F_T[:, c], done[c], a_ge
                )
                value += v_c
                g += g_c
                H += H_c
                bad.append(bad_c + a)
            redo = np.concatenate(bad)
        if redo.size:
            F_tx_r, F_T_r = direct(th, redo)
            v_c, g_c, H_c, _ = _rows(
                th,
                (x[redo], tx[redo], T[redo], w[redo]),
                F_tx_r,
                F_T_r,
                None,
                alpha >= beta,
                log_a=n < FAST_MIN_ROWS,
            )
            value += v_c
            g += g_c
            H += H_c
        H = np.triu(H) + np.triu(H, 1).T
        return value, g, H

    return fgh
