"""Numerically stable special functions for the continuous-time purchase models.

Everything here works on numpy arrays, never produces NaN or a floating-point
warning for valid input, and keeps large quantities on the log scale.

* :func:`log1mexp` -- :math:`\\log(1 - e^{x})` for :math:`x \\le 0` (Maechler 2012).
* :func:`log_hyp2f1_1b` -- :math:`\\log {}_2F_1(1, B; C; z)` for :math:`0 \\le z < 1`,
  :math:`C > B > 0`, at bounded cost (a short series of positive terms or a fixed
  quadrature, see :mod:`crmkit.clv._hyp_pareto`). Every Gaussian
  hypergeometric function of the Pareto/NBD likelihood reduces to this form by Euler's
  transformation :math:`{}_2F_1(a, b; a + 1; z) = (1 - z)^{1 - b}\\,{}_2F_1(1, a + 1 - b;
  a + 1; z)` (Abramowitz & Stegun 15.3.3), so no term cancels and no power overflows.
* :func:`hyp2f1_bracket` -- :math:`\\bigl(1 - (1 - z)^{c}\\,{}_2F_1(A, c; C; z)\\bigr) / c`,
  the bracket of the BG/NBD and MBG/NBD expectations, exact also when :math:`c \\to 0`
  (shape :math:`a \\to 1`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit.clv._hyp_bg import beta_expectations
from crmkit.clv._hyp_pareto import _series_1b, log_hyp2f1_1b, log_hyp2f1_1b_grad

__all__ = [
    "hyp2f1_bracket",
    "hyp2f1_minus_one_over_b",
    "log1mexp",
    "log_hyp2f1_1b",
    "log_hyp2f1_1b_grad",
    "one_minus_exp_over",
    "wdot",
]

_MAX_TERMS = 50_000_000  # enough for 1 - z >= 1e-6 (a few tenths of a second per entry)
# log_hyp2f1_1b, log_hyp2f1_1b_grad and _series_1b (Pareto/NBD) live in _hyp_pareto and
# are re-exported here for existing imports.
_PARETO_REEXPORTS = (_series_1b,)
_SERIES_Z_MAX = 0.99
_BG_MAX_TERMS = 20_000  # cap of the hyp2f1_minus_one_over_b series (bounded cost)


def wdot(w: ArrayLike, v: ArrayLike) -> float:
    """Weighted sum :math:`\\sum_i w_i v_i` without BLAS.

    ``numpy.dot`` of two long vectors calls the BLAS ``ddot``, which OpenBLAS may split
    over threads: on a machine whose cores are busy (parallel jobs, dask workers) a
    10,000-element product took 3 ms instead of 3 us, and the threaded sum can change in
    the last bits with the thread count. This single-threaded ``einsum`` is fast and
    deterministic (the likelihoods call it many times per evaluation).

    Examples
    --------
    >>> wdot([1.0, 2.0], [3.0, 4.0])
    11.0
    """
    return float(np.einsum("i,i->", np.asarray(w, np.float64), np.asarray(v, np.float64)))


def log1mexp(x: ArrayLike) -> NDArray[np.float64]:
    """Return :math:`\\log(1 - e^{x})` for :math:`x \\le 0`, accurate near 0 and for large -x.

    Parameters
    ----------
    x : array_like
        Non-positive values; ``x = 0`` gives ``-inf``.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    - Maechler, M. (2012). "Accurately computing log(1 - exp(-|a|))", Rmpfr vignette.

    Examples
    --------
    >>> float(log1mexp(-1e-20)), float(log1mexp(-50.0))
    (-46.0517018598809, -1.9287498479639178e-22)
    """
    arr = np.minimum(np.asarray(x, dtype=np.float64), 0.0)
    near = arr > -np.log(2.0)
    with np.errstate(divide="ignore"):
        out = np.where(
            near,
            np.log(-np.expm1(np.where(near, arr, -1.0))),
            np.log1p(-np.exp(np.where(near, -1.0, arr))),
        )
    return np.asarray(out, dtype=np.float64)


def one_minus_exp_over(u: ArrayLike) -> NDArray[np.float64]:
    """Return :math:`(1 - e^{-u}) / u`, equal to 1 at :math:`u = 0` (no 0/0).

    Examples
    --------
    >>> one_minus_exp_over([0.0, 1e-12, 2.0]).round(12).tolist()
    [1.0, 1.0, 0.432332358382]
    """
    arr = np.asarray(u, dtype=np.float64)
    small = np.abs(arr) < 1e-8
    safe = np.where(small, 1.0, arr)
    return np.asarray(np.where(small, 1.0 - arr / 2.0, -np.expm1(-safe) / safe), np.float64)


def hyp2f1_minus_one_over_b(
    A: ArrayLike, B: ArrayLike, C: ArrayLike, z: ArrayLike
) -> NDArray[np.float64]:
    """Return :math:`({}_2F_1(A, B; C; z) - 1) / B` for :math:`0 \\le z < 1`, :math:`C > 0`.

    .. math::

        \\frac{{}_2F_1(A, B; C; z) - 1}{B} = \\sum_{k \\ge 1}
        \\frac{(A)_k (B + 1)_{k-1}}{(C)_k\\, k!} z^k ,

    summed directly for :math:`z \\le 0.99` (vectorised over the entries not yet
    converged; stopped when the geometric bound on the tail is below :math:`10^{-16}` of
    the sum, and after at most 20,000 terms whatever the parameters). Entries beyond
    :math:`z = 0.99` or not converged by then are computed, when :math:`B > 0`,
    :math:`C > B` and :math:`C > A`, from Pfaff's transformation
    :math:`{}_2F_1(A, B; C; z) = (1 - z)^{-B} E[(1 + p u)^{-(C - A)}]`,
    :math:`p \\sim \\text{Beta}(B, C - B)`, :math:`u = z / (1 - z)` (Abramowitz & Stegun
    15.3.4; bounded-cost quadrature of :func:`crmkit.clv._hyp_bg.beta_expectations`),
    and by :func:`scipy.special.hyp2f1` otherwise. The BG/NBD and MBG/NBD models no
    longer call this function (see :mod:`crmkit.clv._hyp_bg`).

    Examples
    --------
    :math:`{}_2F_1(1, 1; 2; z) = -\\log(1 - z)/z`:

    >>> import numpy as np
    >>> v = hyp2f1_minus_one_over_b(1.0, 1.0, 2.0, 0.5)
    >>> bool(np.isclose(1.0 + v, -np.log(0.5) / 0.5, rtol=1e-14))
    True
    """
    aa, bb, CC, zz = (
        arr.ravel().astype(np.float64)
        for arr in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    )
    shape = np.broadcast_shapes(*(np.shape(v) for v in (A, B, C, z)))
    zz = np.clip(zz, 0.0, 1.0 - 1e-16)
    out = np.zeros(aa.size)
    pending = np.zeros(aa.size, dtype=bool)
    idx = np.flatnonzero((zz <= _SERIES_Z_MAX) & (zz > 0.0))
    if idx.size:
        a_i, b_i, c_i, z_i = aa[idx], bb[idx], CC[idx], zz[idx]
        term = a_i * z_i / c_i
        total = term.copy()
        active = np.arange(idx.size)
        k = 1
        while active.size and k < _BG_MAX_TERMS:
            ratio = (a_i[active] + k) * (b_i[active] + k) / ((c_i[active] + k) * (k + 1))
            ratio = ratio * z_i[active]
            t_new = term[active] * ratio
            term[active] = t_new
            total[active] += t_new
            k += 1
            q = np.maximum(np.abs(ratio), z_i[active])
            tail = np.abs(t_new) * q / np.where(q < 1.0, 1.0 - q, np.inf)
            done = (q < 1.0) & (tail <= 1e-16 * np.abs(total[active]))
            done |= t_new == 0.0
            active = active[~done]
        out[idx] = total
        pending[idx[active]] = True
    pending |= zz > _SERIES_Z_MAX
    jdx = np.flatnonzero(pending)
    if jdx.size:
        a_j, b_j, c_j, z_j = aa[jdx], bb[jdx], CC[jdx], zz[jdx]
        pfaff = (b_j > 0.0) & (c_j > b_j) & (c_j > a_j)
        out_j = np.zeros(jdx.size)
        if pfaff.any():
            bp, cp, ap, zp = b_j[pfaff], c_j[pfaff], a_j[pfaff], z_j[pfaff]
            S, _ = beta_expectations(cp - ap, bp, cp - bp, zp / (1.0 - zp), want_q=False)
            # (F - 1)/B with F = (1 - z)^-B S: (e^{-B log(1-z)} - 1)/B * S + (S - 1)/B
            log1z = np.log1p(-zp)
            out_j[pfaff] = -log1z * one_minus_exp_over(bp * log1z) * S + (S - 1.0) / bp
        rest = ~pfaff
        if rest.any():
            a_r, b_r, c_r, z_r = a_j[rest], b_j[rest], c_j[rest], z_j[rest]
            # (F - 1)/B is smooth in B; near B = 0 average it at B = +-1e-4 (error ~1e-8)
            small = np.abs(b_r) < 1e-4
            b_eval = np.where(small, 1e-4, b_r)
            out_r = (_scipy_hyp2f1(a_r, b_eval, c_r, z_r) - 1.0) / b_eval
            if small.any():
                minus = (_scipy_hyp2f1(a_r, -b_eval, c_r, z_r) - 1.0) / -b_eval
                out_r = np.where(small, (out_r + minus) / 2.0, out_r)
            out_j[rest] = out_r
        out[jdx] = out_j
    return np.asarray(out.reshape(shape), dtype=np.float64)


def _scipy_hyp2f1(
    a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    f = np.asarray(special.hyp2f1(a, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(f)
    if bad.any():  # scipy fails at some integer c - a - b: shift c by 1e-12 relative
        f[bad] = special.hyp2f1(a[bad], b[bad], c[bad] * (1.0 + 1e-12), z[bad])
    return f


def hyp2f1_bracket(c: ArrayLike, A: ArrayLike, C: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
    """Return :math:`(1 - (1 - z)^{c}\\,{}_2F_1(A, c; C; z))/c` for :math:`0 \\le z < 1`.

    This is the bracket of the BG/NBD expectations after Euler's transformation, with
    :math:`c = a - 1`; it stays exact as :math:`c \\to 0` because it is split as

    .. math::

        \\frac{1 - (1 - z)^{c}}{c} - (1 - z)^{c}\\, \\frac{{}_2F_1(A, c; C; z) - 1}{c},
        \\qquad \\frac{{}_2F_1 - 1}{c} = \\sum_{k \\ge 1}
        \\frac{(A)_k (c + 1)_{k-1}}{(C)_k\\, k!} z^k ,

    the series being :func:`hyp2f1_minus_one_over_b`.

    Parameters
    ----------
    c : array_like
        :math:`c > -1`, typically :math:`a - 1` (may be 0).
    A, C : array_like
        Remaining hypergeometric parameters, :math:`C > 0`.
    z : array_like
        Argument in :math:`[0, 1)`.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    With :math:`A = 0` the hypergeometric factor is 1 and the bracket is
    :math:`(1 - (1-z)^c)/c`:

    >>> round(float(hyp2f1_bracket(0.5, 0.0, 3.0, 0.75)), 12)
    1.0
    """
    cc, aa, CC, zz = (
        arr.ravel()
        for arr in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (c, A, C, z)))
    )
    shape = np.broadcast_shapes(*(np.shape(v) for v in (c, A, C, z)))
    zz = np.clip(zz, 0.0, 1.0 - 1e-16)
    log1z = np.log1p(-zz)
    # (1 - (1-z)^c)/c = -log(1-z) * (1 - e^{-u})/u with u = -c log(1-z)
    first = -log1z * one_minus_exp_over(-cc * log1z)
    powc = np.exp(cc * log1z)
    series_part = hyp2f1_minus_one_over_b(aa, cc, CC, zz)
    out = first - powc * series_part
    return np.asarray(out.reshape(shape), dtype=np.float64)
