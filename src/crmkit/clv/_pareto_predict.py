"""Pareto/NBD predictions of many histories at a few array passes each (private).

:func:`tabled_predict` forms :math:`R = \\log(s D / A)` of the Pareto/NBD likelihood
(Fader & Hardie 2005, note 009, eqs. 19-22), :math:`P(\\text{alive}) = 1 / (1 + e^R)`
(eq. 18) or the conditional expected purchases (eq. 41), with a cost per history that
does not depend on the parameters and a proven error bound per history; histories whose
bound is not small enough are reported back for the direct computation of
:mod:`crmkit.clv._pareto_ratio`.

The hypergeometric term. With :math:`m = r + x`, :math:`a \\le b` the two shifts
:math:`\\min(\\alpha, \\beta) \\le \\max(\\alpha, \\beta)` and, at a time *y*,

.. math::

    u(y) = \\log\\frac{a + y}{b + y} \\le 0, \\qquad z = 1 - e^{u},

the tail integral :math:`G(y) = \\int_y^\\infty (\\alpha + v)^{-m} (\\beta + v)^{-s-1}
dv` is an elementary factor times :math:`F = {}_2F_1(1, B; C; z)` with :math:`C = m + s
+ 1` and :math:`B = m` (:math:`\\alpha \\ge \\beta`) or :math:`B = s + 1` (:math:`\\alpha
< \\beta`) (Euler's transformation of eq. 22). Since :math:`C > B > 0`,

.. math::

    F(z) = \\int_0^1 \\frac{d\\mu(t)}{1 - z t}, \\qquad \\mu = \\text{Beta}(B, C - B),

a Stieltjes function. For fixed parameters, :math:`f = \\log F` depends on a history only
through its purchase count *x* and :math:`u`. For :math:`\\theta = |\\Im u| < \\pi`,
:math:`1 - z t = (1 - t) + t e^u` lies on the segment from 1 to :math:`e^u`, whose
distance from 0 is at least :math:`\\min(1, e^{\\Re u}) \\cos(\\theta/2)`; with the
mean over :math:`\\mu` this gives

.. math::

    \\frac{\\cos(\\theta/2)}{\\max(1, e^{\\Re u})} \\le |F| \\le
    \\frac{1}{\\min(1, e^{\\Re u}) \\cos(\\theta/2)}, \\qquad |\\arg F| \\le \\theta,

so :math:`|f| \\le M = |\\Re u| - \\log\\cos(\\theta_0/2) + \\theta_0` on the strip
:math:`|\\Im u| \\le \\theta_0`. On a piece of half-width *h* of the data's range of
*u*, *f* is thus analytic and bounded by *M* inside the Bernstein ellipse
:math:`E_\\rho` of semi-minor axis :math:`\\theta_0` (:math:`\\rho - 1/\\rho = 2
\\theta_0 / h`; :math:`\\theta_0` from :math:`\\pi/2` to :math:`0.9\\pi`, the best
bound is used), and its Chebyshev interpolant of degree *d* errs by at most :math:`4 M
\\rho^{-d}/(\\rho - 1)` (Trefethen 2013, thm. 8.2). The difference :math:`f(u_{t_x}) -
f(u_T)` needs a bound on the derivative of the error: :math:`4 M \\sum_{k > d} k^2
\\rho^{-k}` (Markov's :math:`|T_k'| \\le k^2`), or Cauchy's estimate on a smaller
ellipse (:func:`_bounds`).

Per purchase count, :func:`_tables` evaluates *f* directly
(:func:`crmkit.clv._hyp_pareto.log_hyp2f1_1b_rho`) at the Chebyshev points of every
piece and stores the interpolant as monomial coefficients, with the number of pieces and
the degree chosen from the bounds above (they depend only on the range of *u*). Per
history, :func:`tabled_predict` then needs two ``log1p``, one ``log``, ``exp``,
``expm1``, one Horner evaluation of the value at :math:`t_x` and of the divided
difference to *T* (whose rounding error is relative to the difference), and some 30
cheap operations, in blocks that stay in the processor cache (where t_x and T lie in
two pieces, :math:`f(u_T)` comes from its own piece and the bound is the two table
errors). With :math:`\\ell` the
elementary part of :math:`\\log G(t_x) - \\log G(T)` (``log1p`` terms) and
:math:`\\Delta f = f(u_{t_x}) - f(u_T)`,

.. math::

    R = \\log\\frac{s}{m + s} + \\kappa + \\ell + f(u_{t_x}) + \\log\\bigl(1 -
    e^{-(\\ell + \\Delta f)}\\bigr),

(:math:`\\kappa = u(T)` when :math:`\\alpha < \\beta`, else 0): the difference of the two
tail integrals is never formed, so no cancellation amplifies the table error when
:math:`t_x` is close to *T*. A history is accepted when the bound on the relative error
of :math:`\\ell + \\Delta f` (table derivative, node values and rounding) is below
:data:`TOL`; then :math:`|\\Delta R| \\le` TOL + the table error, below 1e-10, and the
relative error of P(alive) is at most :math:`(1 - P)|\\Delta R|`.

References
----------
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
- Trefethen, L. N. (2013). *Approximation Theory and Approximation Practice*. SIAM,
  ch. 8 (Bernstein ellipses and the convergence of Chebyshev interpolants).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from crmkit.clv._hyp_pareto import SERIES_Z_MAX, log_hyp2f1_1b_rho

__all__ = ["TOL", "tabled_predict"]

Arr = NDArray[np.float64]

TOL = 5e-11  # relative error bound accepted on l + delta f (R absolute ~ TOL)
_E_TARGET = 1e-12  # interpolation error bound on f itself (enters R directly)
_EPS = float(np.finfo(np.float64).eps)
_D_MIN, _D_MAX = 2, 14
_P_MAX = 64
_CHUNK = 8_192
_MAX_CODES = 1 << 18  # (largest purchase count + 1) x pieces: the tables' rows
_SIGMAS = np.geomspace(1.01, 1e6, 400)
_THETAS = np.pi * np.array([0.5, 0.6, 0.7, 0.8, 0.9])  # semi-minor axes (in u) tried


def _bounds(h: float, u_abs: float, d: int) -> tuple[float, float]:
    """Bounds on |e| and |e'| (per unit of u) of the degree-d interpolant on half-width h.

    With :math:`|c_k| \\le 2 M \\rho^{-k}` and aliasing onto lower degrees, :math:`e =
    \\sum_{k > d} c_k (T_k - T_{k'})`, so :math:`|e| \\le 4 M \\rho^{-d} / (\\rho - 1)`
    and, as :math:`|T_k'| \\le k^2` on [-1, 1], :math:`|e'| \\le 4 M \\sum_{k > d} k^2
    \\rho^{-k}`; also :math:`|e'| \\le` the Cauchy estimate on :math:`E_\\sigma`
    (module docstring). The smaller derivative bound is returned.
    """
    if h == 0.0:
        return 0.0, 0.0
    best_err, best_de = math.inf, math.inf
    k = np.arange(d + 1, d + 2001, dtype=np.float64)
    for theta in _THETAS:  # every ellipse inside the strip gives a valid bound
        q = 2.0 * theta / h
        rho = (q + math.sqrt(q * q + 4.0)) / 2.0  # semi-minor axis theta (in u)
        ext = h * ((rho + 1.0 / rho) / 2.0 - 1.0)  # the ellipse beyond the piece
        M = u_abs + ext - math.log(math.cos(theta / 2.0)) + theta
        best_err = min(best_err, 4.0 * M * rho ** (-d) / (rho - 1.0))
        sig = _SIGMAS[rho / 1.01 > _SIGMAS]
        ratio = sig / rho
        with np.errstate(under="ignore"):
            de = 4.0 * M * ratio ** (d + 1) / (1.0 - ratio) * 2.0 * sig / (sig - 1.0) ** 2
            dk = 4.0 * M * float(np.sum(k * k * np.exp(-k * math.log(rho))))
        if rho ** (-(d + 2001)) * (d + 2001.0) ** 2 > 1e-300:  # sum not converged
            dk = math.inf
        best_de = min(best_de, float(de.min(initial=math.inf)), dk)
    return best_err, best_de / h


def _layout(u_lo: float, u_hi: float, ratio: float) -> tuple[int, int, float, float] | None:
    """Pieces, degree and the two bounds for the range [u_lo, u_hi]; None if too wide.

    ``ratio`` estimates the largest :math:`|\\Delta u| / (\\ell + \\Delta f)` of the
    histories, so that the derivative bound accepts them (the check is per row anyway).
    """
    u_abs = max(abs(u_lo), abs(u_hi))
    P = 1
    while P <= _P_MAX:  # the fewest pieces (rows spanning two pieces lose the derivative)
        h = (u_hi - u_lo) / (2.0 * P)
        for d in range(_D_MIN, _D_MAX + 1):
            err, de = _bounds(h, u_abs, d)
            if err > _E_TARGET:
                continue
            for d2 in range(d, _D_MAX + 1):  # a higher degree if the derivative needs it
                err2, de2 = _bounds(h, u_abs, d2)
                if de2 * ratio <= TOL:
                    return P, d2, err2, de2
            return P, d, err, de
        P *= 2
    return None


def _cheb_to_monomial(d: int) -> Arr:
    """Matrix taking Chebyshev coefficients (degree d) to monomial ones: a = c @ W."""
    W = np.zeros((d + 1, d + 1))
    for k in range(d + 1):
        unit = np.zeros(d + 1)
        unit[k] = 1.0
        poly = np.polynomial.chebyshev.cheb2poly(unit)
        W[k, : poly.size] = poly
    return W


def _tables(
    theta: tuple[float, float, float, float],
    codes: NDArray[np.intp],
    xu: Arr,
    u_lo: float,
    P: int,
    d: int,
    h: float,
) -> tuple[Arr, float, float, float]:
    """Monomial coefficients (d + 1, len(xu) * P) of f per code and piece (NaN where not
    built), the bound on the node values' error and the largest sums of |a_k| and of
    k |a_k| over the pieces (for rounding bounds)."""
    r, alpha, s, beta = theta
    n_codes = xu.size
    j = np.arange(d + 1)
    nodes = np.cos(np.pi * (j + 0.5) / (d + 1))
    mids = u_lo + h * (2.0 * np.arange(P) + 1.0)
    u = mids[None, :, None] + h * nodes[None, None, :]  # (G, P, d + 1)
    xg = xu[codes]
    C = (r + xg + s + 1.0)[:, None, None]
    B = (r + xg if alpha >= beta else np.full(xg.size, s + 1.0))[:, None, None]
    u_b, B_b, C_b = np.broadcast_arrays(u, B, C)
    z = -np.expm1(u_b)
    vals = log_hyp2f1_1b_rho(B_b, C_b, z, np.exp(u_b))[0]
    # error of the direct values: a sum of positive terms, the k-th with relative error
    # <= 3k eps, their weighted mean k below z / (1 - z) (series range); 1e-13 beyond
    series = z <= SERIES_Z_MAX
    with np.errstate(divide="ignore"):
        rel = np.where(series, _EPS * (5.0 + 3.0 * z / np.maximum(1.0 - z, 0.1)), 1e-13)
    val_err = float(np.max(rel * np.maximum(1.0, np.abs(vals)))) if vals.size else 0.0
    cmat = (2.0 / (d + 1)) * np.cos(np.pi * np.outer(j, j + 0.5) / (d + 1))
    cmat[0] /= 2.0
    cheb = np.einsum("kj,gpj->gpk", cmat, vals)
    mono = cheb @ _cheb_to_monomial(d)  # (G, P, d + 1)
    coefs = np.full((d + 1, n_codes * P), np.nan)
    flat = (codes[:, None] * P + np.arange(P)[None, :]).ravel()
    coefs[:, flat] = mono.reshape(-1, d + 1).T
    ok = np.isfinite(mono).all(axis=2).ravel()
    coefs[:, flat[~ok]] = np.nan
    fine = np.abs(mono[np.isfinite(mono).all(axis=2)])  # (pieces, d + 1)
    abs_sum = float(fine.sum(axis=-1).max(initial=0.0))
    k_sum = float((fine * np.arange(d + 1)).sum(axis=-1).max(initial=0.0))
    return coefs, val_err, abs_sum, k_sum


def _codes_of(x: Arr, per_code: int, P: int) -> tuple[NDArray[np.intp], int] | None:
    """The purchase counts to tabulate (each costs ``per_code`` direct evaluations) and
    the size of the code range.

    Every count up to the largest when that is cheap against the rows; otherwise the
    counts with enough rows to pay for their table. None for negative counts or a code
    range too large for the tables' memory.
    """
    x_lo, x_hi = float(x.min()), float(x.max())
    if not (x_lo >= 0.0 and (x_hi + 1.0) * P <= _MAX_CODES):
        return None
    n_codes = int(x_hi) + 1
    if n_codes * per_code <= x.size // 8:
        return np.arange(n_codes, dtype=np.intp), n_codes
    counts = np.bincount(x.astype(np.intp), minlength=n_codes)
    return np.asarray(np.flatnonzero(counts >= 4 * per_code), dtype=np.intp), n_codes


def _ratio_estimate(theta: tuple[float, float, float, float], x: Arr, tx: Arr, T: Arr) -> float:
    """A high quantile of :math:`|\\Delta u| / \\ell` on a fixed sample of at most 1024
    rows (:math:`\\ell \\le \\ell + \\Delta f`): it picks a degree whose derivative
    bound accepts most rows; acceptance itself is checked on every row."""
    r, alpha, s, beta = theta
    step = max(1, x.size // 1024)
    xs, ts, Ts = x[::step], tx[::step], T[::step]
    gap = Ts - ts
    with np.errstate(all="ignore"):
        lr_a = np.log1p(gap / (alpha + ts))
        lr_b = np.log1p(gap / (beta + ts))
        if alpha < beta:
            ell = (r + xs - 1.0) * lr_a + (s + 1.0) * lr_b
        else:
            ell = (r + xs) * lr_a + s * lr_b
        q = np.abs(lr_a - lr_b) / ell
    q = q[np.isfinite(q) & (ell > 0.0)]
    return float(np.quantile(q, 0.99)) if q.size else 1.0


def tabled_predict(
    theta: tuple[float, float, float, float],
    x: Arr,
    tx: Arr,
    T: Arr,
    *,
    what: str = "log_ratio",
    t: float = 0.0,
) -> tuple[Arr, NDArray[np.bool_]] | None:
    """``(values, ok)`` per history by the tables, and the mask of accepted rows.

    ``what`` selects the values: ``"log_ratio"`` (:math:`R = \\log(sD/A)`),
    ``"p_alive"`` (:math:`1/(1 + e^R)`) or ``"conditional"`` (the expected purchases in
    :math:`(T, T + t]`, note 009, eq. 41). Rows not accepted (error bound above
    :data:`TOL`, a purchase count without a table or not a whole number, or :math:`t_x =
    T`) hold arbitrary values and must be computed directly. Returns None where the
    tables do not apply (negative or huge counts, a range of *u* too wide for
    :data:`_P_MAX` pieces, or too few rows for tables to pay off).

    Examples
    --------
    >>> x = np.repeat([0.0, 2.0], 3000)
    >>> T = np.full(6000, 38.86)
    >>> tx = np.where(x > 0, 30.43, 0.0)
    >>> p, ok = tabled_predict((0.55, 10.58, 0.61, 11.67), x, tx, T, what="p_alive")
    >>> bool(ok.all()), round(float(p[-1]), 4)
    (True, 0.8684)
    """
    alpha, beta = theta[1], theta[3]
    n = x.size
    if n == 0:
        return None
    small, big = min(alpha, beta), max(alpha, beta)
    y_lo, y_hi = float(tx.min()), float(T.max())
    if not (math.isfinite(y_lo) and math.isfinite(y_hi)) or y_lo < 0.0:
        return None
    u_lo = math.log((small + y_lo) / (big + y_lo))
    u_hi = math.log((small + y_hi) / (big + y_hi))
    ratio = _ratio_estimate(theta, x, tx, T)
    lay = _layout(u_lo, u_hi, ratio)
    if lay is None:
        return None
    P, d, err, derr = lay
    got = _codes_of(x, P * (d + 1), P)
    if got is None or got[0].size == 0:
        return None
    codes, n_codes = got
    width = (u_hi - u_lo) / P
    h = width / 2.0
    xu = np.arange(n_codes, dtype=np.float64)
    coefs, val_err, abs_sum, k_sum = _tables(theta, codes, xu, u_lo, P, d, h)
    # the node values' error reaches the interpolant times its Lebesgue constant, and
    # its derivative times d^2 more (Markov); Horner adds 2d eps times the |coefficients|
    lam = 2.0 / math.pi * math.log(d + 1.0) + 1.0
    err += lam * val_err
    derr += (d * d * lam * val_err / h) if h > 0.0 else 0.0
    if err > _E_TARGET * 10.0:  # the direct values are not accurate enough
        return None
    # delta f = (s_tx - s_T) p[s_tx, s_T] (rounding relative to du); where t_x and T lie
    # in two pieces, the difference of two Horner values (rounding relative to p)
    derr += (2.0 / width if width > 0.0 else 0.0) * 4.0 * d * _EPS * k_sum
    rounding = 2.0 * (4.0 * d * _EPS * abs_sum)
    kern = _Kernel(theta, coefs, xu, P, d, u_lo, width, derr, rounding, err)
    out = np.empty(n)
    ok = np.empty(n, dtype=bool)
    with np.errstate(all="ignore"):  # rows with inf or nan values fail their check
        for a in range(0, n, _CHUNK):
            c = slice(a, min(a + _CHUNK, n))
            kern.block(x[c], tx[c], T[c], out[c], ok[c], what, t)
    return out, ok


class _Kernel:
    """The tables and constants of one call, and the per-block computation."""

    def __init__(
        self,
        theta: tuple[float, float, float, float],
        coefs: Arr,
        xu: Arr,
        P: int,
        d: int,
        u_lo: float,
        width: float,
        derr: float,
        rounding: float,
        err: float,
    ) -> None:
        r, alpha, s, beta = theta
        self.theta = theta
        self.coefs = list(coefs)
        self.P, self.d = P, d
        self.u_lo = u_lo
        self.inv_w = 1.0 / width if width > 0.0 else 0.0
        self.mid = u_lo + width / 2.0
        self.inv_h = 2.0 / width if width > 0.0 else 0.0
        self.derr = derr
        self.derr_s = derr * width / 2.0  # per unit of the normalised variable
        self.rounding = rounding
        self.two = 2.0 * err + rounding
        self.a_small = alpha < beta
        m = r + xu
        self.m = m
        self.log_share = np.log(s) - np.log(m + s)
        # l = c_a lr_a + c_b lr_b with c_a = m - 1, c_b = s + 1 (alpha < beta) or m, s
        self.c_a = m - 1.0 if self.a_small else m
        self.shift_a = r - 1.0 if self.a_small else r  # c_a = x + shift_a
        self.c_b = s + 1.0 if self.a_small else s
        # rounding of l + delta f: 8 eps (|l_1| + l_2 + delta f) = 8 eps (tot + 2 |c_a|-
        # part where c_a < 0); the first is folded into the tolerance
        self.neg = (16.0 * _EPS) * float(np.maximum(0.0, -self.c_a).max(initial=0.0))
        self.tol = TOL - 8.0 * _EPS

    def block(
        self, x: Arr, tx: Arr, T: Arr, out: Arr, ok: NDArray[np.bool_], what: str, t: float
    ) -> None:
        """The values of ``what`` and the acceptance mask of one block of rows."""
        alpha, s, beta = self.theta[1:]
        g = x.astype(np.intp)
        gap = T - tx
        at = tx + alpha
        bt = tx + beta
        lr_a = gap / at
        np.log1p(lr_a, out=lr_a)
        lr_b = np.divide(gap, bt, out=gap)
        np.log1p(lr_b, out=lr_b)
        ell = x + self.shift_a
        ell *= lr_a
        kq = self.c_b * lr_b
        ell += kq  # l = c_a lr_a + c_b lr_b
        U = np.empty((2, x.size))  # u (scaled) at t_x and at T
        if self.a_small:
            np.divide(at, bt, out=U[0])
            du = lr_a - lr_b
        else:
            np.divide(bt, at, out=U[0])
            du = lr_b - lr_a
        np.log(U[0], out=U[0])
        np.maximum(du, 0.0, out=du)  # u(T) - u(t_x) >= 0
        if self.a_small:  # kappa + l with kappa = u(T)
            np.add(U[0], du, out=kq)
            kq += ell
        else:
            kq[:] = ell
        span = None
        if self.P == 1:
            U[0] -= self.mid
            U[0] *= self.inv_h
            idx = g
        else:  # the piece of t_x, and whether T lies in another one
            q = U[0] - self.u_lo
            q *= self.inv_w
            j0 = np.clip(q.astype(np.intp), 0, self.P - 1)
            q_T = du * self.inv_w
            q_T += q
            j1 = np.clip(q_T.astype(np.intp), 0, self.P - 1)
            span = np.flatnonzero(j0 != j1)
            np.subtract(q, j0, out=U[0])
            U[0] *= 2.0
            U[0] -= 1.0
            idx = g * self.P
            idx += j0
        du *= self.inv_h  # in units of the normalised variable from here on
        np.add(U[0], du, out=U[1])
        f_tx, dd = self._horner_dd(idx, U)
        dd *= du  # f(T) - f(t_x) = (s_T - s_tx) p[s_tx, s_T]
        tot = np.subtract(ell, dd, out=dd)  # = log G(t_x) - log G(T) >= 0
        bound = du * self.derr_s
        if span is not None and span.size:  # T in another piece: its own interpolant
            s_T = 2.0 * (q_T[span] - j1[span]) - 1.0
            f_T = self._horner1(g[span] * self.P + j1[span], s_T)
            tot[span] = ell[span] + (f_tx[span] - f_T)
            bound[span] = self.two  # the two interpolants' errors and their rounding
        kq += f_tx  # R = log(s / (m + s)) + kq + log(1 - e^-tot)
        if what == "log_ratio":
            kq += np.log(-np.expm1(-tot))
            kq += self.log_share[g]
            out[:] = kq
        else:
            kq += self.log_share[g]
            e_r = np.exp(kq)  # e^R = s / (m + s) e^kq (1 - e^-tot)
            e_r *= np.expm1(-tot)
            np.subtract(1.0, e_r, out=e_r)  # 1 + e^R
            if what == "p_alive":
                np.reciprocal(e_r, out=out)
            else:  # (r + x)(beta + T)/(alpha + T) P(alive) int_0^t S(u) du / (beta + T)
                bT = T + beta
                hor = np.log1p(t / bT)
                if s != 1.0:
                    hor *= 1.0 - s
                    np.expm1(hor, out=hor)
                    hor /= 1.0 - s
                val = self.m[g] * bT
                val /= T + alpha
                val /= e_r
                val *= hor
                out[:] = val
        if self.neg > 0.0:  # (the largest over the codes: no gather)
            bound += self.neg * lr_a
        np.less(bound, self.tol * tot, out=ok)  # t_x = T (tot = 0): direct
        ok &= g == x  # whole purchase counts only

    def _horner_dd(self, g: NDArray[np.intp], U: Arr) -> tuple[Arr, Arr]:
        """p(U[0]) and the divided difference p[U[0], U[1]] of the tabled polynomials of
        rows g, by Horner's rule and its companion recurrence B_k = B_(k+1) U[1] +
        A_(k+1) (whose rounding error is relative to the difference, not to p)."""
        c = self.coefs
        s1, s2 = U[0], U[1]
        A = c[self.d][g]
        B = A.copy()
        A *= s1
        A += c[self.d - 1][g]
        for k in range(self.d - 2, -1, -1):
            B *= s2
            B += A
            A *= s1
            A += c[k][g]
        return A, B

    def _horner1(self, i: NDArray[np.intp], s: Arr) -> Arr:
        """The tabled polynomials of rows i at s, by Horner's rule."""
        c = self.coefs
        p: Arr = c[self.d][i] * s
        for k in range(self.d - 1, 0, -1):
            p += c[k][i]
            p *= s
        p += c[0][i]
        return p
