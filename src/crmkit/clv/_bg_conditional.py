"""One-horizon BG/NBD and MBG/NBD conditional expectations for many customers at once.

Fader, Hardie & Lee (2005, eq. 10) give the expected purchases in :math:`(T, T + t]` as
:math:`P(\\text{alive})\\, Q(t v)` with :math:`v = 1 / (\\alpha + T)` and *Q* of
:func:`crmkit.clv._hyp_bg.beta_expectations` (a Gaussian hypergeometric function of the
purchase count *x* and of *v*). When a million customers have continuous *T* (no two
alike), *Q* is one smooth function :math:`F_x(v) = Q(t v)` per purchase count, and
:func:`alive_q_one_horizon` evaluates it from piecewise polynomials whose error is
proven, fused with P(alive) block by block (each block's values stay in cache).

**Pieces.** For the count *x* (:math:`m = r + x`), the range of *v* is cut where the
binary representation of the double *v* changes in its leading bits: a piece holds the
*v* whose bits agree above bit ``sh`` (an integer shift per count), so the piece of an
entry is ``(bits(v) >> sh) + offset`` (no logarithm, no search), and a piece's relative
width is at most :math:`2^{sh - 52}`, chosen below :math:`\\epsilon_x = c\\,(1 + u_{max}) /
(u_{max} (m + 2))` (:math:`u_{max} = t v_{max}`), which keeps the ellipse parameter
:math:`\\rho` of the bound (next paragraph) at about :math:`4 / c` or more.

**Error bound.** On a piece :math:`[v_0, v_1]` the interpolant of degree
:data:`DEGREE` at Chebyshev points of the second kind is compared with the bound of
Trefethen (2019, thm. 8.2): with :math:`u = t v`, :math:`\\delta = (1 + u_0) / (m + 2)`
and the Bernstein ellipse with foci :math:`u_0, u_1` and semi-major axis
:math:`(u_1 - u_0)/2 + \\delta`, :math:`\\Re(1 + p u s) \\ge (1 + p u_0)(1 - 1/(m + 2))`
for every :math:`p, s \\in [0, 1]`, so :math:`|Q(u)| = |u|\\, |m \\int_0^1 E[(1 + p u
s)^{-m-1}] ds| \\le e\\, m\\, (u_1 + \\delta) = M` inside it and the interpolation error
is at most :math:`4 M \\rho^{-N} / (\\rho - 1)`. Relative to :math:`Q(u_0)`, the smallest
value on the piece (*Q* increases), this plus a bound on the rounding of the Chebyshev
coefficients :math:`c_j` from the node values, of their conversion to powers of
:math:`\\sigma = (v - v_0) / h \\in [0, 2]` (*h* the half-width) and of Horner's rule
(:math:`(3N + 4)\\,\\mathrm{eps}\\sum_j |c_j| \\sum_k |t_{jk}| 2^k` for the power
coefficients :math:`t_{jk}` of :math:`T_j(\\sigma - 1)`) must be below :data:`TOL`; a
count with any piece that fails, with too few customers to pay for its pieces or above
4,096 is left to the caller's direct path (the quadrature of every entry). The node
values carry the quadrature's own error, passed on multiplied by at most the Lebesgue
constant :math:`1 + (2/\\pi)\\log(N + 1) < 2.3`.

Cost: per entry about forty vectorised array operations (no loop whose length depends
on the parameters); per count at most about :math:`4 \\log(v_{max} / v_{min}) /
\\epsilon_x + 1` pieces of :data:`DEGREE` + 1 quadratures each, built only when these
quadratures are at most the count's customers (estimated from every 8th row; the
estimate decides only which path a count takes). Within a piece the local
variable :math:`d = v - v_0` (:math:`v_0`: *v* with the bits below ``sh`` cleared, the
piece's left end) is exact (Sterbenz: :math:`v_0 \\le v < 2 v_0`), and every *v* lies in
its piece by construction (the bits of the double select it).

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way. *Marketing Science* 24(2), 275-284.
- Trefethen, L. N. (2019). *Approximation Theory and Approximation Practice*, extended
  edition. SIAM.
- Higham, N. J. (2002). *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM
  (eq. 5.3, the rounding error of Horner's rule).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import chebyshev as npcheb
from numpy.polynomial import polynomial as npoly
from numpy.typing import NDArray

from crmkit.clv._hyp_bg import _cheb_matrix, beta_expectations

__all__ = ["DEGREE", "TOL", "alive_q_one_horizon"]

Arr = NDArray[np.float64]
IntArr = NDArray[np.intp]

DEGREE = 6
"""Degree of the per-piece polynomials (Horner's rule: DEGREE multiply-adds per entry)."""

TOL = 1e-13
"""Proven bound on interpolation plus rounding error, relative to the value."""

_WIDTH = 0.027  # relative piece width times (m + 2): rho >= 4 / 0.027 ~ 150
_PAY = 1  # a count's pieces are built if (DEGREE + 1) * pieces * _PAY <= its customers
_MAX_COUNT = 4096  # larger purchase counts: the caller's direct path
_BLOCK = 1 << 15
_SAMPLE = 8
_EPS = float(np.finfo(np.float64).eps)
_CHEB = _cheb_matrix(DEGREE)
_CHEB_X = np.cos(np.pi * np.arange(DEGREE + 1) / DEGREE)  # from +1 down to -1
# power-basis coefficients of T_0(sigma - 1) .. T_N(sigma - 1) (rows; sigma in [0, 2] is the
# local variable measured from the piece's left end) and their sums |coefficient| 2^k
_SHIFT = npoly.Polynomial([-1.0, 1.0])
_TO_POWER = np.array(
    [
        np.pad(
            npoly.Polynomial(npcheb.cheb2poly(np.eye(DEGREE + 1)[j]))(_SHIFT).coef, (0, DEGREE - j)
        )
        for j in range(DEGREE + 1)
    ]
)
_T_NORM1 = np.abs(_TO_POWER) @ (2.0 ** np.arange(DEGREE + 1))


def alive_q_one_horizon(
    r: float, alpha: float, a: float, b: float, shift: int, t: float, x: Arr, tx: Arr, T: Arr
) -> tuple[Arr, IntArr]:
    """P(alive) times Q(t / (alpha + T)) per customer, and the rows left to the caller.

    Parameters
    ----------
    r, alpha, a, b : float
        BG/NBD parameters.
    shift : int
        0 for BG/NBD, 1 for MBG/NBD.
    t : float
        The horizon (> 0).
    x, tx, T : numpy.ndarray
        1-d float arrays of one length: whole purchase counts >= 0 (as validated by
        :func:`crmkit.clv._data.summary_arrays`), recency <= T and T, all finite.

    Returns
    -------
    tuple
        The values (zero at the rows left over) and the indices of the rows left to the
        caller: those whose purchase count was not interpolated (see the module
        docstring) and any whose value underflowed to 0. The caller computes them
        directly.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> T = rng.uniform(27.0, 39.0, 50_000)
    >>> x = np.zeros(T.size)
    >>> vals, rest = alive_q_one_horizon(0.243, 4.414, 0.793, 2.426, 0, 39.0, x, x, T)
    >>> rest.size
    0
    """
    n = x.size
    out = np.empty(n)
    top = int(x.max())
    if top > _MAX_COUNT:
        return np.zeros(n), np.arange(n, dtype=np.intp)
    # customers per count, estimated from every _SAMPLE-th row: the estimate only decides
    # which counts are worth their pieces (the others are left to the caller)
    counts = np.bincount(x[::_SAMPLE].astype(np.intp), minlength=top + 1) * _SAMPLE
    n_groups = counts.size
    v_lo = 1.0 / (float(T.max()) + alpha)
    v_hi = 1.0 / (float(T.min()) + alpha)
    packed, coefs, use = _tables(r, alpha, a, b, shift, t, counts, v_lo, v_hi)
    lg = np.arange(n_groups, dtype=np.float64) + shift
    with np.errstate(divide="ignore"):
        c_x = np.where(lg > 0, np.log(a) - np.log(np.where(lg > 0, b + lg - 1.0, 1.0)), -np.inf)
    buf = np.empty((3, min(n, _BLOCK)))
    ibuf = np.empty((4, min(n, _BLOCK)), dtype=np.int64)
    for start in range(0, n, _BLOCK):
        sl = slice(start, start + _BLOCK)
        k = min(_BLOCK, n - start)
        w, v, acc = (row[:k] for row in buf)
        pid, sh, itmp, g = (row[:k] for row in ibuf)
        np.copyto(g, x[sl], casting="unsafe")  # the count as a table index
        np.add(T[sl], alpha, out=w)
        np.divide(1.0, w, out=v)
        # piece: the leading bits of v, shifted per count, plus the count's piece offset;
        # the piece's left end v0 is v with the bits below the shift cleared
        np.take(packed, g, out=itmp, mode="wrap")
        np.bitwise_and(itmp, 63, out=sh)
        np.right_shift(v.view(np.int64), sh, out=pid)
        np.left_shift(pid, sh, out=sh)
        np.subtract(v, sh.view(np.float64), out=v)  # d = v - v0, exact (one binade)
        itmp >>= 6
        pid += itmp
        tmp = sh.view(np.float64)  # (buffer reused)
        np.take(coefs[DEGREE], pid, out=acc, mode="wrap")
        for deg in range(DEGREE - 1, -1, -1):
            acc *= v
            np.take(coefs[deg], pid, out=tmp, mode="wrap")
            acc += tmp
        # P(alive) = 1 / (1 + exp(c_x + (r + x) log((alpha + T) / (alpha + t_x))))
        np.add(tx[sl], alpha, out=tmp)
        np.divide(w, tmp, out=w)
        np.log(w, out=w)
        np.add(x[sl], r, out=tmp)
        w *= tmp
        np.take(c_x, g, out=tmp, mode="wrap")
        w += tmp
        # exact: 1 + exp(w) is 1 for w < -700; keeps exp off its slow path for -inf
        np.maximum(w, -700.0, out=w)
        with np.errstate(over="ignore"):
            np.exp(w, out=w)
        w += 1.0
        np.divide(acc, w, out=out[sl])
    if use.all():
        return out, np.empty(0, np.intp)
    # counts without pieces met the all-zero piece; a zero is otherwise only an underflow
    # of P(alive), which the caller's direct path gives again
    return out, np.flatnonzero(out == 0.0)


def _tables(
    r: float,
    alpha: float,
    a: float,
    b: float,
    shift: int,
    t: float,
    counts: NDArray[np.intp],
    v_lo: float,
    v_hi: float,
) -> tuple[NDArray[np.int64], Arr, NDArray[np.bool_]]:
    """Per count: piece offset * 64 + bit shift; per piece: the power coefficients in
    ``v - v0`` (rows 0..DEGREE), with one last all-zero piece for counts left over; and
    the mask of the counts interpolated.
    """
    n_groups = counts.size
    m_g = r + np.arange(n_groups, dtype=np.float64)
    # piece half-width u eps / 2 against delta >= (1 + u) / (m + 2): rho ~ 4 (1 + u) / (u eps
    # (m + 2)), smallest at the largest u
    u_hi = t * v_hi
    eps_g = _WIDTH * (1.0 + u_hi) / (max(u_hi, 1e-300) * (m_g + 2.0))
    sh = np.clip(np.floor(np.log2(eps_g)) + 52.0, 0.0, 52.0).astype(np.int64)
    lo_bits = np.int64(np.array(v_lo).view(np.int64))
    hi_bits = np.int64(np.array(v_hi).view(np.int64))
    j_lo = lo_bits >> sh
    n_pieces = (hi_bits >> sh) - j_lo + 1
    use = (counts > 0) & ((DEGREE + 1) * n_pieces * _PAY <= counts) & (t > 0.0) & (v_lo > 0.0)
    n_used = np.where(use, n_pieces, 0)
    total = int(n_used.sum())
    if total == 0:
        return np.full(n_groups, 63, np.int64), np.zeros((DEGREE + 1, 1)), use
    pg = np.repeat(np.arange(n_groups), n_used)
    first = np.concatenate([[0], np.cumsum(n_used)[:-1]]).astype(np.int64)
    j = np.arange(total, dtype=np.int64) - first[pg] + j_lo[pg]
    v0 = (j << sh[pg]).view(np.float64)
    v1 = ((j + 1) << sh[pg]).view(np.float64)
    hw = 0.5 * (v1 - v0)
    mid = v0 + hw
    vn = mid[:, None] + hw[:, None] * _CHEB_X[None, :]  # (pieces, N + 1), v1 .. v0
    mg = m_g[pg]
    _, qn = beta_expectations(
        np.repeat(mg, DEGREE + 1),
        a,
        np.repeat(b + pg + shift, DEGREE + 1).astype(np.float64),
        (t * vn).ravel(),
        want_q=True,
        want_s=False,
        groups=np.repeat(pg, DEGREE + 1).astype(np.intp),
        interpolate=False,
        shared_rule=True,
    )
    qn = qn.reshape(total, DEGREE + 1)
    cheb = qn @ _CHEB.T  # Chebyshev coefficients in s = (v - mid) / hw
    u0, u1 = t * v0, t * v1
    half = 0.5 * (u1 - u0)
    delta = (1.0 + u0) / (mg + 2.0)
    major = half + delta
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rho = np.where(half > 0.0, (major + np.sqrt(major * major - half * half)) / half, np.inf)
        interp = np.where(
            np.isfinite(rho),
            4.0 * np.e * mg * (u1 + delta) * rho ** (-float(DEGREE)) / (rho - 1.0),
            0.0,
        )
        # rounding: the coefficients from the node values, the conversion to powers of
        # v - v0 and Horner's rule (|v - v0| <= 2 hw)
        from_nodes = (DEGREE + 1) * _EPS * (np.abs(qn) @ np.abs(_CHEB).T).sum(axis=1)
        rounding = from_nodes + (3 * DEGREE + 4) * _EPS * (np.abs(cheb) @ _T_NORM1)
        err = (interp + rounding) / qn[:, -1]
    ok = (qn[:, -1] > 0.0) & (err <= TOL) & np.all(np.isfinite(cheb), axis=1)
    # a count is interpolated only if every one of its pieces passed
    use &= np.bincount(pg, weights=~ok, minlength=n_groups) == 0
    keep = use[pg]
    n_used = np.where(use, n_pieces, 0)
    total = int(n_used.sum())
    first = np.concatenate([[0], np.cumsum(n_used)[:-1]]).astype(np.int64)
    coefs = np.zeros((DEGREE + 1, total + 1))  # the last piece is zero (counts left over)
    power = cheb[keep] @ _TO_POWER  # coefficients of sigma^k, sigma = (v - v0) / hw
    scale = 1.0 / hw[keep]
    for k in range(DEGREE + 1):
        coefs[k, :total] = power[:, k] * scale**k  # of (v - v0)^k
    off = np.where(use, first - j_lo, total).astype(np.int64)
    sh_out = np.where(use, sh, 63).astype(np.int64)  # bits >> 63 = 0: the zero piece
    return off * 64 + sh_out, coefs, use
