"""Discounted sums of BG/NBD and MBG/NBD expectations over many horizons at once.

A customer lifetime value over *K* periods needs the expected purchases at every
period end :math:`t_1 < \\dots < t_K`. With :math:`v = 1 / (\\alpha + T)` and *Q* of
:func:`crmkit.clv._hyp_bg.beta_expectations`, the conditional expectation at
:math:`t_k` is :math:`P(\\text{alive})\\, Q(t_k v)`, and by Abel summation

.. math::

    \\sum_{k=1}^{K} d_k \\bigl(E[X(t_k)] - E[X(t_{k-1})]\\bigr)
    = P(\\text{alive})\\, v\\, G(v), \\qquad
    G(v) = \\sum_{k=1}^{K} c_k\\, t_k\\, R(t_k v),

with :math:`c_k = d_k - d_{k+1}` (:math:`d_{K+1} = 0`) and :math:`R(u) = Q(u) / u`.
*G* is one smooth function of *v* per distinct purchase count, so for a group with many
customers it is interpolated (Chebyshev, degree :data:`~crmkit.clv._hyp_bg.INTERP_DEGREE`
on pieces) and each customer costs one interpolant evaluation instead of *K*
expectations.

**Error bound.** Pieces are those of :func:`crmkit.clv._hyp_bg.beta_expectations` for
the largest horizon, :math:`u = t_K v` (width :math:`0.05 / (m + 1)` in
:math:`\\log(1 + u)`), laid over the range of *v* of all entries (the same for every
group; two reductions instead of a minimum and maximum per group). In the Bernstein
ellipse with foci :math:`v_0, v_1` and semi-major axis :math:`(v_1 - v_0)/2 +
\\delta_v`, :math:`\\delta_v = (1/t_K + v_0)/(m + 2)`, every argument :math:`t_k v` lies
in the region where :math:`|R| \\le e\\, m`
(:math:`t_k \\delta_v \\le (1 + t_k v_0)/(m + 2)` because :math:`t_k \\le t_K`), so
:math:`|G| \\le M = e\\, m \\sum_k |c_k| t_k` and the interpolation error is at most
:math:`4 M \\rho^{-8} / (\\rho - 1)` (Trefethen 2019, thm. 8.2). A piece is used only
where this is below :math:`10^{-14}` times :math:`\\sum_k |c_k| t_k R(t_k v_1)`, which
bounds :math:`\\sum_k |c_k| t_k R(t_k v)` from below on the piece (*R* decreases); for a
non-negative discount rate all :math:`c_k \\ge 0` and this is *G* itself. Other entries
use the quadrature of every horizon directly. The cost is bounded: at most
:math:`9 K` quadratures per piece, pieces per group at most
:math:`\\max(4, \\lceil 20 (m + 1) \\log(1 + t_K v_{max}) \\rceil)` and only built when they are
fewer than the group's entries / 18.

References
----------
- Trefethen, L. N. (2019). *Approximation Theory and Approximation Practice*, extended
  edition. SIAM.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from crmkit.clv._hyp_bg import (
    _CHEB,
    _INTERP_TOL,
    _INTERP_WIDTH,
    INTERP_DEGREE,
    _clenshaw,
    beta_expectations,
    chebyshev_pieces,
)

__all__ = ["discounted_q"]

Arr = NDArray[np.float64]

_MIN_PIECES = 4.0
_DIRECT_ENTRIES = 1 << 20  # entries x horizons per direct quadrature call (memory bound)
_BLOCK = 1 << 15  # entries per block of the interpolant evaluation


def discounted_q(
    m_g: Arr,
    a_g: Arr,
    b_g: Arr,
    groups: NDArray[np.intp],
    v: Arr,
    scales: Arr,
    coefs: Arr,
    multiplier: Callable[[NDArray[np.intp] | slice], Arr] | None = None,
) -> Arr:
    """:math:`\\sum_k c_k Q(m, a, b; t_k v)` for every entry (see the module docstring).

    Parameters
    ----------
    m_g, a_g, b_g : numpy.ndarray
        Posterior shape *m* and beta parameters of each group (one entry per code).
    groups : numpy.ndarray of int
        Group code (0, 1, ...) of every entry.
    v : numpy.ndarray
        :math:`v = 1 / (\\alpha + T) \\ge 0` of every entry.
    scales, coefs : numpy.ndarray
        The horizons :math:`t_k > 0` and weights :math:`c_k` (one each per horizon).
    multiplier : callable, optional
        ``multiplier(rows)`` gives a non-negative factor for the entries ``rows`` (a slice or
        indices); the result is then :math:`\\max(\\sum_k \\dots, 0)` times it,
        computed block by block while the block's values are in cache (e.g. P(alive)).
        Groups with a code but no entry may occur (their parameters are ignored).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    One horizon with weight 1 is *Q* itself:

    >>> import numpy as np
    >>> from crmkit.clv._hyp_bg import beta_expectations
    >>> one = np.ones(1)
    >>> got = discounted_q(one, one, one, np.zeros(1, np.intp), one, np.array([2.0]), one)
    >>> bool(np.isclose(got[0], beta_expectations(1.0, 1.0, 1.0, 2.0)[1], rtol=1e-14))
    True
    """
    out = np.zeros(v.size)
    if v.size == 0:
        return out
    done = _interpolated_sum(m_g, a_g, b_g, groups, v, scales, coefs, out, multiplier)
    # (done is None: every entry was interpolated; entries at v = 0 stay 0)
    rows = np.flatnonzero(~done) if done is not None else np.empty(0, np.intp)
    rows = rows[v[rows] > 0.0]
    n_k = scales.size
    step = max(1, _DIRECT_ENTRIES // n_k)
    for start in range(0, rows.size, step):
        sub = rows[start : start + step]
        gs = groups[sub]
        _, Q = beta_expectations(
            np.repeat(m_g[gs], n_k),
            np.repeat(a_g[gs], n_k),
            np.repeat(b_g[gs], n_k),
            (v[sub, None] * scales[None, :]).ravel(),
            want_q=True,
            want_s=False,
            groups=np.repeat(gs, n_k),
            interpolate=False,
        )
        out[sub] = np.einsum("ij,j->i", Q.reshape(sub.size, n_k), coefs)
        if multiplier is not None:
            out[sub] = np.maximum(out[sub], 0.0) * multiplier(sub)
    return out


def _interpolated_sum(
    m_g: Arr,
    a_g: Arr,
    b_g: Arr,
    groups: NDArray[np.intp],
    v: Arr,
    scales: Arr,
    coefs: Arr,
    out: Arr,
    multiplier: Callable[[NDArray[np.intp] | slice], Arr] | None = None,
) -> NDArray[np.bool_] | None:
    """Write the interpolated values of the entries of large groups into ``out``.

    Returns the mask of the entries written (None: every entry). A group is interpolated
    only if the bound holds on all its pieces.
    """
    n_deg = INTERP_DEGREE
    n_k = scales.size
    t_max = float(scales.max())
    n_groups = m_g.size
    count = np.bincount(groups, minlength=n_groups)
    present = count > 0
    # one range for all groups (two reductions instead of a scattered minimum and
    # maximum per entry): a group's pieces may cover more than its own entries need
    v_lo, v_hi = float(v.min()), float(v.max())
    lo = np.where(present, np.log1p(t_max * v_lo), np.inf)
    hi = np.where(present, np.log1p(t_max * v_hi), -np.inf)
    span = np.where(present, hi - lo, 0.0)
    # at least _MIN_PIECES: a group spanning a short range (small m) would otherwise get
    # one or two wide pieces whose bound just misses the tolerance
    pieces = np.maximum(np.ceil(span * (m_g + 1.0) / _INTERP_WIDTH), _MIN_PIECES)
    # K quadratures per node against K per entry: interpolate when the nodes are at most
    # half the entries
    use_g = present & (2.0 * pieces * (n_deg + 1) <= count)
    if not use_g.any():
        return np.zeros(v.size, dtype=bool)
    n_pieces, offset, piece_group, u0, u1, un = chebyshev_pieces(lo, hi, span, pieces, use_g)
    total = u0.size
    pw = span / np.maximum(pieces, 1.0)  # piece width in log1p(u)
    vn = un / t_max
    mg = m_g[piece_group]
    rep = (n_deg + 1) * n_k
    _, q_n = beta_expectations(
        np.repeat(mg, rep),
        np.repeat(a_g[piece_group], rep),
        np.repeat(b_g[piece_group], rep),
        (vn[:, :, None] * scales[None, None, :]).ravel(),
        want_q=True,
        want_s=False,
        groups=np.repeat(piece_group, rep).astype(np.intp),
        interpolate=False,
        shared_rule=True,
    )
    q_n = q_n.reshape(total, n_deg + 1, n_k)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g_n = np.einsum("pjk,k->pj", q_n, coefs) / vn
        ref = np.einsum("pk,k->p", q_n[:, 0, :], np.abs(coefs)) / vn[:, 0]
        bound = np.e * mg * float(np.abs(coefs) @ scales)
        half = 0.5 * (u1 - u0)
        delta = (1.0 + u0) / (mg + 2.0)
        major = half + delta
        rho = np.where(half > 0.0, (major + np.sqrt(major * major - half * half)) / half, np.inf)
        factor = np.where(np.isfinite(rho), 4.0 * rho ** (-float(n_deg)) / (rho - 1.0), 0.0)
        err = factor * bound / ref
    piece_ok = (ref > 0.0) & (err <= _INTERP_TOL) & np.all(np.isfinite(g_n), axis=1)
    bad = np.bincount(piece_group, weights=~piece_ok, minlength=n_groups) > 0
    use_g &= ~bad
    if not use_g.any():
        return np.zeros(v.size, dtype=bool)
    # per-entry work: piece index, local coordinate, Clenshaw; in blocks of _BLOCK
    # entries (slices, so that the temporaries stay in cache and nothing is gathered
    # twice). Each group's pieces are framed by copies of its first and last piece, so
    # that a piece index rounded one below or above the range still finds the right
    # local coordinate (then clipped to [-1, 1]): no per-entry clipping against the
    # group's range. Entries of groups that are not interpolated get a zero piece and
    # are overwritten by the caller.
    inv_pw = np.where(use_g & (pw > 0.0), 1.0 / np.where(pw > 0.0, pw, 1.0), 0.0)
    n_used = np.where(use_g, n_pieces, 0)
    ext_n = np.where(use_g, n_used + 2, 1)
    ext_start = np.concatenate([[0], np.cumsum(ext_n)[:-1]])
    total_ext = int(ext_n.sum())
    src = np.full(total_ext, -1, dtype=np.intp)  # original piece of each framed piece
    for_g = np.repeat(np.arange(n_groups), ext_n)
    j = np.arange(total_ext) - ext_start[for_g]
    used_rows = use_g[for_g]
    src[used_rows] = (offset[for_g] + np.clip(j - 1, 0, n_used[for_g] - 1))[used_rows]
    base = np.where(use_g, ext_start + 1.0 - np.where(use_g, lo, 0.0) * inv_pw, ext_start + 0.5)
    width = u1 - u0
    safe = np.where(width > 0.0, width, 1.0)
    slope_p = np.where(width > 0.0, 2.0 * t_max / safe, 0.0)
    shift_p = np.where(width > 0.0, -2.0 * u0 / safe - 1.0, 1.0)
    coef_p = np.einsum("pj,kj->kp", np.where(np.isfinite(g_n), g_n, 0.0), _CHEB)
    real = src >= 0
    slope = np.where(real, slope_p[src], 0.0)
    shift = np.where(real, shift_p[src], 0.0)
    coef_t = np.ascontiguousarray(np.where(real[None, :], coef_p[:, src], 0.0))
    max_x = float(np.log1p(t_max * v_hi))
    for start in range(0, v.size, _BLOCK):
        sl = slice(start, start + _BLOCK)
        g = groups[sl]
        v_d = v[sl]
        pid_f = v_d * t_max
        np.log1p(pid_f, out=pid_f)
        np.minimum(pid_f, max_x, out=pid_f)  # (rounding of log1p(t v) at the maximum)
        pid_f *= inv_pw[g]
        pid_f += base[g]
        np.maximum(pid_f, 0.0, out=pid_f)
        pid = pid_f.astype(np.intp)
        x = v_d * slope[pid]
        x += shift[pid]
        np.clip(x, -1.0, 1.0, out=x)
        G = _clenshaw(coef_t, pid, x)
        G *= v_d
        if multiplier is not None:
            np.maximum(G, 0.0, out=G)
            G *= multiplier(sl)
        out[sl] = G
    return None if bool(np.all(use_g[present])) else use_g[groups]
