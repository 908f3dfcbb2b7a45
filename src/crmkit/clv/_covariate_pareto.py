"""Pareto/NBD ratio *R* per customer from hypergeometric series (private).

With covariates every customer has their own :math:`\\alpha_i, \\beta_i`, but the
Euler-transformed hypergeometric term of the Pareto/NBD likelihood (Fader & Hardie 2005,
note 009, eq. 22), :math:`F(y) = \\log {}_2F_1(1, B; C; z_y)` with :math:`C = m + s + 1`
and :math:`B = m` (:math:`\\alpha_i \\ge \\beta_i`) or :math:`B = s + 1`, depends on the
customer only through the purchase count *x*, the branch :math:`\\alpha_i \\ge \\beta_i`
and :math:`z_y = |\\alpha_i - \\beta_i| / (\\max(\\alpha_i, \\beta_i) + y)`. So per
(count, branch) group, *F* and its first and second derivatives in :math:`(B, C, z)` are
one analytic function of :math:`u = \\log(1 - z)`, interpolated by the checked Chebyshev
pieces of :func:`crmkit.clv._chebyshev.grouped_interpolate` (as
:mod:`crmkit.clv._pareto_hessian` does for the model without covariates) from
:func:`crmkit.clv._pareto_hessian.series_1b_hessian`; rows of small groups or of pieces
that fail their check get the series directly.

*R*, its gradient and its Hessian in the natural parameters :math:`(r, \\alpha_i, s,
\\beta_i)` then follow per customer by the chain rule of :mod:`crmkit.clv._pareto_hessian`
(written per row instead of summed). Rows where this is not accurate are flagged for
the bounded-cost quadrature: a series argument :math:`z_{t_x} > 0.9`, or tail integrals
that nearly cancel (:math:`\\delta = G_T - G_{t_x} > -0.01`, e.g. :math:`t_x` close to
*T*).

References
----------
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crmkit.clv._hyp_pareto import SERIES_Z_MAX
from crmkit.clv._pareto_hessian import series_1b_hessian
from crmkit.clv._pareto_ratio import DELTA_MIN, FAST_MIN_ROWS

__all__ = ["series_ratio_rows"]

Arr = NDArray[np.float64]

# log F, its first (B, C, z) and second (BB, BC, CC, Bz, Cz, zz) derivatives
_INTERP_RTOL = np.array([1e-13] + [1e-11] * 3 + [1e-10] * 6)
_CHUNK = 32_768  # rows per pass of the chain rule (bounds the (4, 4, n) arrays)


def _columns(
    r: float, s: float, x: Arr, y: Arr, a_ge: NDArray[np.bool_], small: Arr, big: Arr
) -> Arr:
    """The ten columns of :func:`series_1b_hessian` at *y* for every row, shape (10, n);
    interpolated per (count, branch) group where the groups are large enough."""
    from crmkit.clv._chebyshev import grouped_interpolate

    xu, xcode = np.unique(x, return_inverse=True)
    code = np.asarray(2 * xcode.ravel() + a_ge, dtype=np.intp)
    xg = np.repeat(xu, 2)
    ge = np.tile([False, True], xu.size)
    Bg = np.where(ge, r + xg, s + 1.0)
    Cg = r + xg + s + 1.0

    def exact(gr: NDArray[np.intp], v: Arr) -> Arr:
        # derivatives in z times (1 - z)^k: bounded, smooth functions of u
        rv = np.exp(v)
        res = series_1b_hessian(Bg[gr], Cg[gr], -np.expm1(v))
        res[3] *= rv
        res[7:9] *= rv
        res[9] *= rv * rv
        return res

    rho = (small + y) / (big + y)
    u = np.log(rho)
    if x.size >= FAST_MIN_ROWS:
        vals, done = grouped_interpolate(exact, code, u, 2 * xu.size, rtol=_INTERP_RTOL)
        miss = np.flatnonzero(~done)
    else:
        vals, miss = np.empty((10, x.size)), np.arange(x.size)
    if miss.size:
        vals[:, miss] = exact(code[miss], u[miss])
    irho = 1.0 / rho
    vals[3] *= irho
    vals[7:9] *= irho
    vals[9] *= irho * irho
    return vals


def _g_derivatives(
    F: Arr, jr: Arr, alpha: Arr, beta: Arr, y: Arr, a_ge: NDArray[np.bool_], order: int
) -> tuple[Arr, Arr | None]:
    """Gradient (4, n) and Hessian (4, 4, n) of :math:`F(B, C, z_y)` in :math:`(r,
    \\alpha, s, \\beta)`: *B* and *C* are linear in *r* and *s* (``jr`` = 1 where *B* =
    *m*, else 0), :math:`z_y` is not."""
    ia, ib = 1.0 / (alpha + y), 1.0 / (beta + y)
    za = np.where(a_ge, (beta + y) * ia * ia, -ib)
    zb = np.where(a_ge, -ia, (alpha + y) * ib * ib)
    js = 1.0 - jr
    FB, FC, Fz = F[1], F[2], F[3]
    g = np.stack([jr * FB + FC, Fz * za, js * FB + FC, Fz * zb])
    if order < 2:
        return g, None
    FBB, FBC, FCC, FBz, FCz, Fzz = F[4], F[5], F[6], F[7], F[8], F[9]
    zaa = np.where(a_ge, -2.0 * za * ia, 0.0)
    zab = np.where(a_ge, ia * ia, ib * ib)
    zbb = np.where(a_ge, 0.0, -2.0 * zb * ib)
    h = np.empty((4, 4, y.size))
    h[0, 0] = jr * (FBB + 2.0 * FBC) + FCC
    h[0, 2] = h[2, 0] = FBC + FCC
    h[2, 2] = js * (FBB + 2.0 * FBC) + FCC
    cr = jr * FBz + FCz
    cs = js * FBz + FCz
    h[0, 1] = h[1, 0] = cr * za
    h[0, 3] = h[3, 0] = cr * zb
    h[2, 1] = h[1, 2] = cs * za
    h[2, 3] = h[3, 2] = cs * zb
    h[1, 1] = Fzz * za * za + Fz * zaa
    h[1, 3] = h[3, 1] = Fzz * za * zb + Fz * zab
    h[3, 3] = Fzz * zb * zb + Fz * zbb
    return g, h


def _chain(
    r: float,
    alpha: Arr,
    s: float,
    beta: Arr,
    x: Arr,
    tx: Arr,
    T: Arr,
    F_tx: Arr,
    F_T: Arr,
    order: int,
) -> tuple[Arr, Arr, Arr, Arr | None]:
    """``(R, delta, dR, hR)`` per row from the columns of *F* at :math:`t_x` and *T*.

    :math:`R = \\log s - \\log(m + s) + G_{t_x} + \\log(1 - e^{\\delta}) [+ \\log\\frac{\\alpha
    + T}{\\beta + T}]` (module :mod:`crmkit.clv._pareto_hessian`), so with :math:`e =
    e^{\\delta}`, :math:`\\nabla R = (\\nabla G_{t_x} - e \\nabla G_T) / (1 - e) + \\dots` and
    :math:`\\nabla^2 R = (\\nabla^2 G_{t_x} - e \\nabla^2 G_T) / (1 - e) - e (1 - e)^{-2}
    \\nabla\\delta \\nabla\\delta' + \\dots`."""
    a_ge = alpha >= beta
    m = r + x
    b = m + s
    ia_tx, ia_T = 1.0 / (alpha + tx), 1.0 / (alpha + T)
    ib_tx, ib_T = 1.0 / (beta + tx), 1.0 / (beta + T)
    dT = T - tx
    lr_a, lr_b = np.log1p(dT * ia_tx), np.log1p(dT * ib_tx)
    ea = np.where(a_ge, m, m - 1.0)
    eb = np.where(a_ge, s, s + 1.0)
    G_tx = ea * lr_a + eb * lr_b + F_tx[0]
    delta = F_T[0] - G_tx
    d = np.where(delta <= -DELTA_MIN, delta, -1.0)  # the others are redone by quadrature
    e = np.exp(d)
    om = -np.expm1(d)
    lab = np.where(a_ge, 0.0, np.log1p((alpha - beta) * ib_T))
    R = np.log(s / b) + G_tx + np.log(om) + lab
    jr = a_ge.astype(np.float64)
    g_tx, h_tx = _g_derivatives(F_tx, jr, alpha, beta, tx, a_ge, order)
    g_T, h_T = _g_derivatives(F_T, jr, alpha, beta, T, a_ge, order)
    ga = dT * ia_tx * ia_T  # 1/(alpha + t_x) - 1/(alpha + T)
    gb = dT * ib_tx * ib_T
    g_tx[0] += lr_a
    g_tx[1] -= ea * ga
    g_tx[2] += lr_b
    g_tx[3] -= eb * gb
    inv_om = 1.0 / om
    dR = (g_tx - e * g_T) * inv_om
    dR[0] -= 1.0 / b
    dR[2] += 1.0 / s - 1.0 / b
    lt = ~a_ge
    dR[1] += np.where(lt, ia_T, 0.0)
    dR[3] -= np.where(lt, ib_T, 0.0)
    if order < 2 or h_tx is None or h_T is None:
        return R, delta, dR, None
    h_tx[0, 1] -= ga
    h_tx[1, 0] -= ga
    h_tx[2, 3] -= gb
    h_tx[3, 2] -= gb
    h_tx[1, 1] += ea * (ia_tx - ia_T) * (ia_tx + ia_T)
    h_tx[3, 3] += eb * (ib_tx - ib_T) * (ib_tx + ib_T)
    dd = g_T - g_tx
    hR = (h_tx - e * h_T) * inv_om - (e * inv_om * inv_om) * dd[:, None] * dd[None, :]
    ib2 = 1.0 / (b * b)
    hR[0, 0] += ib2
    hR[0, 2] += ib2
    hR[2, 0] += ib2
    hR[2, 2] += ib2 - 1.0 / (s * s)
    hR[1, 1] -= np.where(lt, ia_T * ia_T, 0.0)
    hR[3, 3] += np.where(lt, ib_T * ib_T, 0.0)
    return R, delta, dR, hR


def series_ratio_rows(
    r: float, alpha: Arr, s: float, beta: Arr, x: Arr, tx: Arr, T: Arr, order: int
) -> tuple[Arr, Arr, Arr | None, NDArray[np.bool_]]:
    """*R*, its gradient ``(4, n)`` and (``order`` 2) Hessian ``(4, 4, n)`` in :math:`(r,
    \\alpha_i, s, \\beta_i)` per customer by the series (module docstring), and the mask
    of the rows computed (the others are left for the quadrature, with zeros here)."""
    n = x.size
    big, small = np.maximum(alpha, beta), np.minimum(alpha, beta)
    with np.errstate(invalid="ignore"):
        ok = (big - small) <= SERIES_Z_MAX * (big + tx)
    ok &= (tx < T) & np.isfinite(big) & (small > 0.0)  # the rest: the quadrature's limits
    R = np.zeros(n)
    dR = np.zeros((4, n))
    hR = np.zeros((4, 4, n)) if order >= 2 else None
    idx = np.flatnonzero(ok)
    if not idx.size:
        return R, dR, hR, ok
    a_ge = alpha[idx] >= beta[idx]
    cols = [_columns(r, s, x[idx], y[idx], a_ge, small[idx], big[idx]) for y in (tx, T)]
    for a in range(0, idx.size, _CHUNK):
        c = slice(a, min(a + _CHUNK, idx.size))
        i = idx[c]
        Rc, delta, dc, hc = _chain(
            r, alpha[i], s, beta[i], x[i], tx[i], T[i], cols[0][:, c], cols[1][:, c], order
        )
        good = delta <= -DELTA_MIN
        ok[i] = good
        R[i] = np.where(good, Rc, 0.0)
        dR[:, i] = np.where(good, dc, 0.0)
        if hR is not None and hc is not None:
            hR[:, :, i] = np.where(good, hc, 0.0)
    return R, dR, hR, ok
