"""The Pareto/NBD likelihood ratio *R* of every history, with bounded cost (private).

:func:`pareto_log_ratio` forms :math:`R = \\log(s D / A)` of the Pareto/NBD likelihood
(Fader & Hardie 2005, note 009, eqs. 19-22) from the hypergeometric terms of
:mod:`crmkit.clv._hyp_pareto`: directly per history, or (many histories) interpolated
per purchase count by checked Chebyshev interpolation (:func:`interpolated_log_f`).

References
----------
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit.clv._compress import unique_pairs
from crmkit.clv._hyp_pareto import (
    SERIES_Z_MAX,
    _series_1b,
    log_hyp2f1_1b_rho,
    log_power_integral,
)
from crmkit.clv._pareto_far import far_log_ratio, far_rows

__all__ = [
    "DELTA_MIN",
    "FAST_MIN_ROWS",
    "distinct_pairs",
    "interpolated_log_f",
    "pareto_log_ratio",
]

Arr = NDArray[np.float64]

FAST_MIN_ROWS = 4_096  # fewer histories: the direct computation on every one
_CHUNK = 32_768
DELTA_MIN = 0.01  # |log G(T) - log G(t_x)| below this: direct (cancellation)
_INTERP_RTOL = np.array([1e-13, 1e-11, 1e-11, 1e-11])  # log F, its B, C, z-derivatives
_EMPTY = np.empty(0)


# The Pareto/NBD likelihood ratio


def distinct_pairs(a: Arr, b: Arr) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices of the first of each distinct (a, b) pair and the inverse index (by a sort).

    Terms that depend on a history only through (x, t_x) or (x, T) are computed once
    per distinct pair: transaction logs record days, so pairs repeat.
    """
    order = np.lexsort((b, a))
    sa, sb = a[order], b[order]
    new = np.empty(a.size, dtype=bool)
    new[:1] = True
    new[1:] = (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
    inverse = np.empty(a.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _pairs_log_f(B: Arr, C: Arr, z: Arr, x: Arr, y: Arr, grad: bool) -> tuple[Arr, Arr, Arr, Arr]:
    """log 2F1(1, B; C; z) on the series range, evaluated once per distinct (x, y)."""
    pairs = unique_pairs(x, y) if x.ndim == 1 else None
    if pairs is None:
        if x.ndim != 1 or x.size >= 2 * FAST_MIN_ROWS:  # long: unique_pairs judged it
            return _series_1b(B, C, z, grad=grad)
        first, inverse = distinct_pairs(x, y)
        if first.size > 0.8 * x.size:  # too few repeats to pay for the gather
            return _series_1b(B, C, z, grad=grad)
        res = _series_1b(B[first], C[first], z[first], grad=grad)
        return tuple(v[inverse] if v.size else v for v in res)  # type: ignore[return-value]
    first = np.unique(pairs[2], return_index=True)[1]
    res = _series_1b(B[first], C[first], z[first], grad=grad)
    return tuple(v[pairs[2]] if v.size else v for v in res)  # type: ignore[return-value]


def pareto_log_ratio(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: ArrayLike,
    tx: ArrayLike,
    T: ArrayLike,
    *,
    grad: bool = False,
    fast: bool = True,
    groups: tuple[NDArray[np.intp], Arr] | None = None,
) -> tuple[Arr, Arr | None]:
    """:math:`R = \\log(s D / A)` per history, and its gradient in :math:`(r, \\alpha, s, \\beta)`.

    With :math:`m = r + x`, the Pareto/NBD likelihood (Fader & Hardie 2005, note 009,
    eq. 19) is :math:`L = \\frac{\\Gamma(r+x)\\alpha^r\\beta^s}{\\Gamma(r)} (A + s D)` where

    .. math::

        A = (\\alpha + T)^{-m} (\\beta + T)^{-s}, \\qquad
        D = \\int_{t_x}^{T} (\\alpha + u)^{-m} (\\beta + u)^{-s-1} du ,

    so :math:`\\log L = \\log C + \\log A + \\operatorname{softplus}(R)` and
    :math:`P(\\text{alive}) = \\operatorname{expit}(-R)`. *R* is formed from ratios only
    (:math:`\\log((\\alpha + T)/(\\alpha + t_x))` by ``log1p``), so no large logarithm
    such as :math:`s \\log \\beta` cancels. Where :math:`z = |\\alpha - \\beta| / (\\max(\\alpha,
    \\beta) + t_x) \\le 0.9` the two Euler-transformed hypergeometric terms of eq. 22 are
    summed as short series; where :math:`\\beta - \\alpha \\ge 2(\\alpha + T)` (and the
    binomial series does not cancel) *D* is expanded in :math:`1/(\\beta - \\alpha)`
    (:func:`crmkit.clv._pareto_far.far_log_ratio`); elsewhere *D* is integrated
    directly by :func:`log_power_integral`. The cost per history is bounded for any
    positive parameters.

    With ``fast`` (default) and at least :data:`FAST_MIN_ROWS` histories, the
    hypergeometric terms are interpolated per purchase count (:func:`_fast_log_ratio`);
    ``fast=False`` forces the direct computation on every history. ``groups`` =
    ``(codes, x of each code)`` may give the purchase-count groups of histories already
    sorted by code.

    Returns
    -------
    tuple
        ``(R, dR)`` with ``dR`` of shape ``(4, n)`` (``None`` unless ``grad``); ``R =
        -inf`` where :math:`t_x = T`.

    Examples
    --------
    >>> R, _ = pareto_log_ratio(0.55, 10.58, 0.61, 11.67, [2.0], [30.43], [38.86])
    >>> round(float(1.0 / (1.0 + np.exp(R[0]))), 4)  # P(alive)
    0.8684
    """
    xx, txx, TT = (
        np.asarray(a, dtype=np.float64).ravel()
        for a in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, tx, T)))
    )
    n = xx.size
    lr_a = np.log1p((TT - txx) / (alpha + txx))
    lr_b = np.log1p((TT - txx) / (beta + txx))
    if fast and n >= FAST_MIN_ROWS:
        return _fast_log_ratio((r, alpha, s, beta), xx, txx, TT, lr_a, lr_b, grad, groups)
    m = r + xx
    R = np.empty(n)
    dR = np.empty((4, n)) if grad else None
    big, small = max(alpha, beta), min(alpha, beta)
    d = big - small
    far = far_rows(r, alpha, s, beta, xx, txx, TT)
    f = np.flatnonzero(far)
    if f.size:  # beta far above alpha + T: the expansion in 1 / (beta - alpha)
        R[f], dRf = far_log_ratio(r, alpha, s, beta, xx[f], txx[f], TT[f], grad=grad)
        if dR is not None and dRf is not None:
            dR[:, f] = dRf
    easy = (d / (big + txx) <= SERIES_Z_MAX) & ~far
    i = np.flatnonzero(easy)
    if i.size:
        _easy_rows(r, alpha, s, beta, xx[i], txx[i], TT[i], lr_a[i], lr_b[i], R, dR, i)
    j = np.flatnonzero(~easy & ~far)
    if j.size:
        tj, Tj = txx[j], TT[j]
        mj = m[j]
        v0 = small + tj
        rho0 = v0 / (big + tj)
        tau1 = np.log1p((Tj - tj) / v0)
        a_small = alpha <= beta
        p = mj if a_small else np.full(j.size, s + 1.0)
        q = np.full(j.size, s + 1.0) if a_small else mj
        logI, mom = log_power_integral(p, q, rho0, tau1, moments=grad)
        with np.errstate(invalid="ignore"):
            Rj = np.log(s) + mj * lr_a[j] + s * lr_b[j] - np.log(beta + tj) + np.log(v0) + logI
        R[j] = np.where(tau1 > 0.0, Rj, -np.inf)
        if dR is not None and mom is not None:
            e_tau, e_L, e_it, e_iL = mom
            vmax = big + tj
            if a_small:
                la, lb, ia, ib = e_tau, e_L, e_it / v0, e_iL / vmax
            else:
                la, lb, ia, ib = e_L, e_tau, e_iL / vmax, e_it / v0
            dR[0, j] = lr_a[j] - la
            dR[1, j] = mj * (1.0 / (alpha + Tj) - ia)
            dR[2, j] = 1.0 / s + lr_b[j] - lb
            dR[3, j] = s / (beta + Tj) - (s + 1.0) * ib
            dR[:, j] = np.where(tau1 > 0.0, dR[:, j], 0.0)
    return R, dR


def _easy_rows(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: Arr,
    tx: Arr,
    T: Arr,
    lr_a: Arr,
    lr_b: Arr,
    R: Arr,
    dR: Arr | None,
    idx: NDArray[np.intp],
) -> None:
    """R (and dR) by the Euler-transformed series of note 009, eq. 22 (z <= 0.9)."""
    yy = np.concatenate([tx, T])
    xy = np.concatenate([x, x])
    my = r + xy
    if alpha >= beta:
        z = (alpha - beta) / (alpha + yy)
        Bp = my
    else:
        z = (beta - alpha) / (beta + yy)
        Bp = np.full(yy.size, s + 1.0)
    fs = _pairs_log_f(Bp, my + s + 1.0, z, xy, yy, dR is not None)
    _ratio_from_f((r, alpha, s, beta), x, tx, T, lr_a, lr_b, fs, R, dR, idx)


def _log1mexp(x: Arr) -> Arr:
    """log(1 - e^x) for x <= 0 (Maechler 2012), each branch only where it is used."""
    with np.errstate(divide="ignore"):
        out = np.log1p(-np.exp(x))
        near = np.flatnonzero(x > -0.6931471805599453)
        out[near] = np.log(-np.expm1(x[near]))
    return out


def _ratio_from_f(
    theta: tuple[float, float, float, float],
    x: Arr,
    tx: Arr,
    T: Arr,
    lr_a: Arr,
    lr_b: Arr,
    fs: tuple[Arr, Arr, Arr, Arr],
    R: Arr,
    dR: Arr | None,
    idx: NDArray[np.intp] | slice,
) -> Arr:
    """R (and dR) from log 2F1 (and its derivatives) at t_x (first half) and T (second).

    :math:`\\log G(y) = -m \\log(\\alpha + y) - s \\log(\\beta + y) - \\log(m + s) + \\log
    {}_2F_1(\\dots; z(y))` is the tail integral from *y* (note 009, eq. 22), so
    :math:`R = \\log s + \\log G(t_x) + \\log(1 - e^{\\delta}) - \\log A` with
    :math:`\\delta = \\log G(T) - \\log G(t_x) \\le 0`, which is returned: an error in
    the hypergeometric values reaches *R* amplified by about :math:`1/|\\delta|`.
    """
    r, alpha, s, beta = theta
    f, fB, fC, fz = fs
    k = x.size
    m = r + x
    b = m + s
    f_tx, f_T = f[:k], f[k:]
    if alpha >= beta:
        g_tx = m * lr_a + s * lr_b + f_tx - np.log(b)
        g_T = f_T - np.log(b)
    else:
        lab = np.log1p((alpha - beta) / (beta + T))
        g_tx = (m - 1.0) * lr_a + (s + 1.0) * lr_b + lab + f_tx - np.log(b)
        g_T = lab + f_T - np.log(b)
    delta = np.asarray(np.minimum(g_T - g_tx, 0.0), dtype=np.float64)
    with np.errstate(divide="ignore"):
        R[idx] = np.log(s) + g_tx + _log1mexp(delta)
    if dR is None:
        return delta
    # dR = (dlogG(t_x) - e^delta dlogG(T)) / (1 - e^delta) - dlogA + (0, 0, 1/s, 0),
    # with dlogG from the series derivatives (chain rule through B, C = b + 1 and z);
    # the log(alpha + y), log(beta + y) and 1/(. + y) parts are combined in closed form
    ratio = np.exp(delta)
    one_minus = -np.expm1(delta)
    kk = 1.0 / np.where(one_minus > 0.0, one_minus, 1.0)

    def dd(a_tx: Arr, a_T: Arr) -> Arr:
        return np.asarray(kk * (a_tx - ratio * a_T), dtype=np.float64)

    fB_tx, fB_T, fC_tx, fC_T, fz_tx, fz_T = fB[:k], fB[k:], fC[:k], fC[k:], fz[:k], fz[k:]
    ia_tx, ia_T = 1.0 / (alpha + tx), 1.0 / (alpha + T)
    ib_tx, ib_T = 1.0 / (beta + tx), 1.0 / (beta + T)
    ga, gb = (T - tx) * ia_tx * ia_T, (T - tx) * ib_tx * ib_T  # 1/(. + t_x) - 1/(. + T)
    out = np.empty((4, k))
    if alpha >= beta:
        out[0] = kk * lr_a + dd(fB_tx + fC_tx, fB_T + fC_T) - 1.0 / b
        out[1] = -m * kk * ga + dd(fz_tx * (beta + tx) * ia_tx**2, fz_T * (beta + T) * ia_T**2)
        out[2] = kk * lr_b + dd(fC_tx, fC_T) - 1.0 / b + 1.0 / s
        out[3] = -s * kk * gb - dd(fz_tx * ia_tx, fz_T * ia_T)
    else:
        out[0] = kk * lr_a + dd(fC_tx, fC_T) - 1.0 / b
        out[1] = -(m - 1.0) * kk * ga + ia_T - dd(fz_tx * ib_tx, fz_T * ib_T)
        out[2] = kk * lr_b + dd(fB_tx + fC_tx, fB_T + fC_T) - 1.0 / b + 1.0 / s
        out[3] = dd(fz_tx * (alpha + tx) * ib_tx**2, fz_T * (alpha + T) * ib_T**2)
        out[3] -= (s + 1.0) * kk * gb + ib_T
    dR[:, idx] = np.where(one_minus > 0.0, out, 0.0)
    return delta


def _fast_log_ratio(
    theta: tuple[float, float, float, float],
    x: Arr,
    tx: Arr,
    T: Arr,
    lr_a: Arr,
    lr_b: Arr,
    grad: bool,
    groups: tuple[NDArray[np.intp], Arr] | None = None,
) -> tuple[Arr, Arr | None]:
    """:func:`pareto_log_ratio` with the hypergeometric terms interpolated per *x*.

    For fixed parameters and purchase count *x*, :math:`\\log {}_2F_1(1, B; C; z)` of
    eq. 22 (note 009) and its derivatives depend on the history only through
    :math:`u = \\log(1 - z) = \\log((\\min(\\alpha, \\beta) + y) / (\\max(\\alpha, \\beta)
    + y))`. As a function of *u* they are analytic in the strip :math:`|\\Im u| < \\pi`
    (the cut :math:`z \\ge 1` maps to :math:`\\Im u = \\pm\\pi`), so
    :func:`crmkit.clv._chebyshev.grouped_interpolate` reproduces them on pieces of width
    2 from 25 direct evaluations, each piece checked against direct values. Rows of
    small groups, of pieces that fail their check and of histories whose two tail
    integrals nearly cancel (:math:`|\\delta| <` :data:`DELTA_MIN`) are computed
    directly.
    """
    r, alpha, s, beta = theta
    n = x.size
    parts = interpolated_log_f(theta, x, tx, T, grad, groups)
    R = np.empty(n)
    dR = np.empty((4, n)) if grad else None
    delta = np.empty(n)
    for a in range(0, n, _CHUNK):  # chunks that stay in the processor cache
        c = slice(a, min(a + _CHUNK, n))
        fc = np.concatenate([parts[0][:, c], parts[1][:, c]], axis=1)
        fs = (fc[0], fc[1], fc[2], fc[3]) if grad else (fc[0], _EMPTY, _EMPTY, _EMPTY)
        delta[c] = _ratio_from_f(theta, x[c], tx[c], T[c], lr_a[c], lr_b[c], fs, R, dR, c)
    redo = np.flatnonzero(~(delta <= -DELTA_MIN) | ~parts[2])
    if redo.size:
        Rr, dRr = pareto_log_ratio(
            r, alpha, s, beta, x[redo], tx[redo], T[redo], grad=grad, fast=False
        )
        R[redo] = Rr
        if dR is not None and dRr is not None:
            dR[:, redo] = dRr
    return R, dR


def interpolated_log_f(
    theta: tuple[float, float, float, float],
    x: Arr,
    tx: Arr,
    T: Arr,
    grad: bool,
    groups: tuple[NDArray[np.intp], Arr] | None = None,
) -> tuple[Arr, Arr, NDArray[np.bool_]]:
    """The interpolated hypergeometric terms of :func:`_fast_log_ratio` at t_x and T.

    Returns ``(F_tx, F_T, done)``: log 2F1 and (with ``grad``) its derivatives in B, C
    and z, shape ``(4 or 1, n)``, and the mask of rows interpolated at both points (the
    others must be computed directly). ``groups`` = (codes, x of each code) when known,
    for rows sorted by code.
    """
    from crmkit.clv._chebyshev import grouped_interpolate

    r, alpha, s, beta = theta
    n = x.size
    in_order = groups is not None or bool(np.all(x[1:] >= x[:-1]))
    codes: NDArray[np.intp]
    xu: Arr
    if groups is not None:
        codes, xu = groups
    elif in_order:  # the fit's objective sorts by x once
        new = np.concatenate([[True], x[1:] != x[:-1]])
        codes, xu = np.asarray(np.cumsum(new) - 1, dtype=np.intp), x[new]
    else:
        fc, fl = pd.factorize(x)
        codes, xu = np.asarray(fc, dtype=np.intp), np.asarray(fl, dtype=np.float64)
    big, small = max(alpha, beta), min(alpha, beta)
    rho = [(small + y) / (big + y) for y in (tx, T)]
    u = [np.log(v) for v in rho]
    Cg = r + xu + s + 1.0
    Bg = r + xu if alpha >= beta else np.full(xu.size, s + 1.0)
    tol = _INTERP_RTOL[: 4 if grad else 1]

    def exact(g: NDArray[np.intp], v: Arr) -> Arr:
        rv = np.exp(v)
        res = log_hyp2f1_1b_rho(Bg[g], Cg[g], -np.expm1(v), rv, grad=grad)
        return np.stack([res[0], res[1], res[2], res[3] * rv]) if grad else res[0][None]

    if in_order:
        parts = [grouped_interpolate(exact, codes, h, xu.size, rtol=tol) for h in u]
    else:
        both = grouped_interpolate(
            exact, np.concatenate([codes, codes]), np.concatenate(u), xu.size, rtol=tol
        )
        parts = [(both[0][:, :n], both[1][:n]), (both[0][:, n:], both[1][n:])]
    if grad:
        for (v, _), rh in zip(parts, rho, strict=True):
            v[3] /= rh
    return parts[0][0], parts[1][0], parts[0][1] & parts[1][1]
