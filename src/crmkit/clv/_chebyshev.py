"""Checked piecewise Chebyshev interpolation of a function per group of rows (private).

Many model quantities are, for fixed parameters, a smooth function :math:`g_k(u)` of one
variable per group *k* of rows (e.g. per purchase count *x*). Evaluating such a function
directly on every row repeats an expensive computation that an interpolant of low
degree reproduces to rounding level. :func:`grouped_interpolate` does this with a
bounded, checked cost:

1. per group with at least ``min_rows`` rows, the range :math:`[u_{lo}, u_{hi}]` of its
   rows is split into pieces of width at most ``width`` (so the number of pieces is
   bounded by the range over ``width`` and by ``max_pieces``);
2. on each piece the function is evaluated directly at the :data:`NODES` Chebyshev
   points of the first kind and its Chebyshev coefficients are formed (Trefethen 2013,
   *Approximation Theory and Approximation Practice*, ch. 3-4); trailing coefficients
   below a tenth of the tolerance are dropped (the degree adapts to the piece);
3. the truncated interpolant is compared with the direct values at :data:`CHECKS`
   further points of the piece, including both ends. A piece whose error exceeds the
   tolerance in any column is *not* used: its rows are reported back as not
   interpolated and the caller evaluates them directly.

For a function analytic in a strip :math:`|\\Im u| < d` the coefficients on a piece of
half-width *h* decay like :math:`\\rho^{-k}` with :math:`\\rho = d/h + \\sqrt{(d/h)^2
+ 1}` (Trefethen 2013, thm. 8.2), which is what makes the fixed node count sufficient;
the check makes the result safe where this assumption fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["CHECKS", "NODES", "grouped_interpolate"]

Arr = NDArray[np.float64]
IntArr = NDArray[np.intp]

NODES = 25
CHECKS = 9
_CHUNK = 16_384
_J = np.arange(NODES)
_X = np.cos(np.pi * (_J + 0.5) / NODES)  # first-kind points on [-1, 1]
# c = _M @ values: discrete Chebyshev transform at first-kind points
_M = (2.0 / NODES) * np.cos(np.pi * np.outer(np.arange(NODES), _J + 0.5) / NODES)
_M[0] /= 2.0
_XC = np.concatenate([np.linspace(-1.0, 1.0, CHECKS - 2), [-0.95, 0.95]])


def _vander(s: Arr, deg: int) -> Arr:
    """Chebyshev polynomials :math:`T_0 .. T_{deg}` at ``s``, shape (deg + 1, len(s))."""
    v = np.empty((deg + 1, s.size))
    v[0] = 1.0
    if deg >= 1:
        v[1] = s
    s2 = 2.0 * s
    for k in range(2, deg + 1):  # deg < NODES
        np.multiply(s2, v[k - 1], out=v[k])
        v[k] -= v[k - 2]
    return v


def grouped_interpolate(
    func: Callable[[IntArr, Arr], Arr],
    group: IntArr,
    u: Arr,
    n_groups: int,
    *,
    rtol: Arr,
    width: float = 2.0,
    min_rows: int = 400,
    max_pieces: int = 64,
) -> tuple[Arr, NDArray[np.bool_]]:
    """Interpolate ``func(group, u)`` (shape ``(ncols, len(u))``) row by row.

    Parameters
    ----------
    func : callable
        ``func(g, v)`` returns the exact values, shape ``(ncols, len(v))``, at points
        ``v`` of groups ``g`` (called once, on all nodes and check points together).
    group : numpy.ndarray of int
        Group code of each row, in ``[0, n_groups)``.
    u : numpy.ndarray
        The variable of each row (finite).
    n_groups : int
        Number of group codes.
    rtol : numpy.ndarray
        Tolerance per column, relative to ``max(1, max |column|)`` on the piece.
    width : float
        Largest piece width in ``u``.
    min_rows : int
        Groups with fewer rows are not interpolated (direct evaluation is cheaper).
    max_pieces : int
        Groups whose range would need more pieces are not interpolated.

    Returns
    -------
    tuple
        ``(values, done)``: values of shape ``(ncols, len(u))`` (zero where not done)
        and the mask of rows whose value comes from an interpolant that passed its
        check.

    Examples
    --------
    >>> g = np.zeros(1000, dtype=np.intp)
    >>> u = np.linspace(0.0, 3.0, 1000)
    >>> vals, done = grouped_interpolate(
    ...     lambda k, v: np.exp(v)[None], g, u, 1, rtol=np.array([1e-13]), min_rows=10
    ... )
    >>> bool(done.all()), bool(np.allclose(vals[0], np.exp(u), rtol=1e-13, atol=0.0))
    (True, True)
    """
    n = u.size
    counts = np.bincount(group, minlength=n_groups)
    big = np.flatnonzero(counts >= min_rows)
    if big.size == 0:
        return np.zeros((rtol.size, n)), np.zeros(n, dtype=bool)
    # rows ordered by group (no reordering if they already are)
    in_order = bool(np.all(group[1:] >= group[:-1]))
    if in_order:
        order = None
        us = u
    else:
        key = group.astype(np.int16) if n_groups < 2**15 else group  # radix sort if short
        order = np.argsort(key, kind="stable")
        us = u[order]
    starts = np.concatenate([[0], np.cumsum(counts)])
    lo_b = np.array([us[starts[k] : starts[k + 1]].min() for k in big])
    hi_b = np.array([us[starts[k] : starts[k + 1]].max() for k in big])
    npieces = np.maximum(np.ceil((hi_b - lo_b) / width), 1.0).astype(np.intp)
    keep = npieces <= max_pieces
    big, lo_b, hi_b, npieces = big[keep], lo_b[keep], hi_b[keep], npieces[keep]
    if big.size == 0:
        return np.zeros((rtol.size, n)), np.zeros(n, dtype=bool)
    # pieces: group, left end, half-width
    pg = np.repeat(np.arange(big.size), npieces)
    first = np.concatenate([[0], np.cumsum(npieces)[:-1]])
    pk = np.arange(pg.size) - first[pg]
    pw = (hi_b - lo_b) / npieces  # piece width per group (may be 0)
    left = lo_b[pg] + pk * pw[pg]
    half = pw[pg] / 2.0
    mid = left + half
    pts = np.concatenate([_X, _XC])
    v = mid[:, None] + half[:, None] * pts[None, :]  # (P, NODES + CHECKS)
    gcode = np.broadcast_to(big[pg][:, None], v.shape)
    exact = func(gcode.ravel(), v.ravel())  # (ncols, P * (NODES + CHECKS))
    ncols = exact.shape[0]
    exact = exact.reshape(ncols, pg.size, pts.size)
    at_nodes, at_checks = exact[:, :, :NODES], exact[:, :, NODES:]
    coefs = np.einsum("kj,cpj->pkc", _M, at_nodes)  # (P, NODES, ncols)
    scale = np.maximum(1.0, np.abs(exact).max(axis=2)).T  # (P, ncols)
    tol = rtol[None, :] * scale
    # degree per piece: last coefficient above a tenth of the tolerance in any column
    above = np.abs(coefs) > 0.1 * tol[:, None, :]
    significant = above.any(axis=2)
    deg = np.where(significant.any(axis=1), NODES - 1 - np.argmax(significant[:, ::-1], axis=1), 0)
    # check: truncated interpolant against the exact values at the check points
    vc = _vander(_XC, NODES - 1).T  # (CHECKS, NODES)
    mask = np.arange(NODES)[None, :] <= deg[:, None]
    approx = np.einsum("ik,pkc->pic", vc, coefs * mask[:, :, None])  # (P, CHECKS, ncols)
    err = np.abs(approx - np.transpose(at_checks, (1, 2, 0)))
    ok = np.all(err <= tol[:, None, :], axis=(1, 2)) & np.all(np.isfinite(coefs), axis=(1, 2))
    # evaluate in group order (contiguous blocks), then undo the order once
    out_s = np.empty((ncols, n))
    done_s = np.zeros(n, dtype=bool)
    for b, k in enumerate(big):
        a0, a1 = int(starts[k]), int(starts[k + 1])
        ur = us[a0:a1]
        p0, np_ = int(first[b]), int(npieces[b])
        if np_ == 1:
            if ok[p0] and half[p0] == 0.0:  # one value of u in the group: its exact value
                out_s[:, a0:a1] = at_nodes[:, p0, :1]
                done_s[a0:a1] = True
            elif ok[p0]:
                _eval_piece(ur, mid[p0], half[p0], coefs[p0, : deg[p0] + 1], out_s[:, a0:a1])
                done_s[a0:a1] = True
            continue
        pid = np.clip(((ur - lo_b[b]) / pw[b]).astype(np.intp), 0, np_ - 1)
        for j in range(np_):  # at most max_pieces
            if not ok[p0 + j]:
                continue
            sel = np.flatnonzero(pid == j)
            block = np.empty((ncols, sel.size))
            q = p0 + j
            _eval_piece(ur[sel], mid[q], half[q], coefs[q, : deg[q] + 1], block)
            out_s[:, a0 + sel] = block
            done_s[a0 + sel] = True
    if not done_s.all():  # zero where not interpolated (as documented)
        out_s[:, ~done_s] = 0.0
    if order is None:
        return out_s, done_s
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n)
    return out_s[:, inv], done_s[inv]


def _eval_piece(u: Arr, mid: float, half: float, coefs: Arr, out: Arr) -> None:
    """Write the interpolant with ``coefs`` (shape (deg + 1, ncols)) at ``u`` into ``out``.

    Rows are processed in chunks that stay in the processor cache.
    """
    for a in range(0, u.size, _CHUNK):
        ua = u[a : a + _CHUNK]
        s = np.clip((ua - mid) / half, -1.0, 1.0) if half > 0.0 else np.zeros(ua.size)
        out[:, a : a + _CHUNK] = coefs.T @ _vander(s, coefs.shape[0] - 1)
