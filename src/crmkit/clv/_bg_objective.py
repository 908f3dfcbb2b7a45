"""BG/NBD and MBG/NBD log-likelihood with its exact gradient and Hessian (private).

With :math:`k = x + s` dropout chances (``s = shift``: 0 for BG/NBD, 1 for MBG/NBD),
:math:`D = \\log((\\alpha + T) / (\\alpha + t_x))` and :math:`c_x = \\log(a / (b + k -
1))`, the log of eq. 6 of Fader, Hardie & Lee (2005) is, per history,

.. math::

    \\ell = \\log\\frac{\\Gamma(r + x)}{\\Gamma(r)} + \\log\\frac{B(a, b + k)}{B(a, b)}
    - r \\log(1 + T / \\alpha) - x \\log(\\alpha + T)
    + \\delta_{k > 0} \\operatorname{softplus}(z), \\qquad z = c_x + (r + x) D

(the second term of eq. 6 divided by the first is :math:`e^{z}`, since
:math:`B(a + 1, b + k - 1) / B(a, b + k) = a / (b + k - 1)`). A history costs one
exponential and one ``log1p`` per evaluation; terms that depend on *x* only are summed
per distinct *x*.

**Derivatives.** With :math:`\\sigma = \\operatorname{expit}(z)`, :math:`\\tau =
\\sigma(1 - \\sigma)` and the derivatives of *z*: :math:`z_r = D`, :math:`z_\\alpha =
(r + x) D_1`, :math:`z_a = 1/a`, :math:`z_b = -1/(b + k - 1)`, where :math:`D_1 =
\\partial D / \\partial \\alpha = -(T - t_x) / ((\\alpha + T)(\\alpha + t_x))` and
:math:`D_2 = \\partial^2 D / \\partial \\alpha^2 = -D_1 (1/(\\alpha + T) + 1/(\\alpha +
t_x))`, the softplus term contributes :math:`\\sigma \\nabla z` to the gradient and
:math:`\\tau \\nabla z \\nabla z^\\top + \\sigma \\nabla^2 z` to the Hessian, with the
non-zero second derivatives :math:`z_{r\\alpha} = D_1`, :math:`z_{\\alpha\\alpha} = (r +
x) D_2`, :math:`z_{aa} = -1/a^2`, :math:`z_{bb} = 1/(b + k - 1)^2`. The other terms
give digamma and trigamma differences per distinct *x* (:math:`\\psi(r + x) - \\psi(r)`,
:math:`\\psi_1(r + x) - \\psi_1(r)`, and those of the beta function ratio, written
without cancellation by :mod:`crmkit.clv._pochhammer` so that they stay exact on the
one-dropout-probability limit :math:`a, b \\to \\infty`) and sums over
the histories of :math:`\\log(1 + T/\\alpha)`, :math:`T / (\\alpha(\\alpha + T))`,
:math:`x / (\\alpha + T)`, :math:`T (2 \\alpha + T) / (\\alpha^2 (\\alpha + T)^2)` and
:math:`x / (\\alpha + T)^2`. The Hessian is checked against central differences of the
gradient and against mpmath derivatives of the direct likelihood (tests).

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._pochhammer import digamma_diff, trigamma_diff
from crmkit.clv._special import wdot

__all__ = ["BetaGeoObjective", "count_codes"]

Arr = NDArray[np.float64]

_BLOCK = 1 << 15  # rows per block of the array work (temporaries stay in cache)
_STABLE_FROM = 1e4
"""a + b from which the beta ratio's derivatives are taken without cancellation."""


def count_codes(x: Arr) -> tuple[NDArray[np.intp], Arr]:
    """Codes 0, 1, ... of the distinct values of *x* and those values (by code).

    Purchase counts are small whole numbers, so a lookup table indexed by the count is
    built in linear time; other values are hashed (:func:`pandas.factorize`).

    Examples
    --------
    >>> import numpy as np
    >>> codes, levels = count_codes(np.array([3.0, 0.0, 3.0, 1.0]))
    >>> codes.tolist(), levels.tolist()
    ([2, 0, 2, 1], [0.0, 1.0, 3.0])
    """
    if x.size and float(x.min()) >= 0 and float(x.max()) <= 4 * x.size + 1024:
        xi = x.astype(np.intp)
        if np.array_equal(xi, x):
            present = np.zeros(int(xi.max()) + 1, dtype=np.intp)
            present[xi] = 1
            levels = np.flatnonzero(present).astype(np.float64)
            return np.asarray((np.cumsum(present) - 1)[xi], dtype=np.intp), levels
    codes, uniques = pd.factorize(x)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=np.float64)


class BetaGeoObjective:
    """Weighted BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) log-likelihood of histories.

    Calling the object returns ``(value, gradient)``; :meth:`value` the value alone and
    :meth:`value_gradient_hessian` all three, each in one pass over the histories
    (natural-scale parameters ``(r, alpha, a, b)``). See the module docstring.
    """

    def __init__(self, x: Arr, tx: Arr, T: Arr, w: Arr, shift: int) -> None:
        xi, xu = count_codes(x)
        self.shift = shift
        self.xu = xu
        self.wx = np.bincount(xi, weights=w, minlength=xu.size)
        self.n = float(w.sum())
        self.k1u = xu + shift
        self.has2u = self.k1u > 0
        self.k2u = np.where(self.has2u, self.k1u - 1.0, 0.0)
        pos = (x + shift) > 0
        if pos.all():
            self.xp, self.txp, self.wp, self.xip = x, tx, w, xi
            gap = T - tx
        else:
            self.xp, self.txp, self.wp, self.xip = x[pos], tx[pos], w[pos], xi[pos]
            gap = T[pos] - tx[pos]
        self.gap = gap
        self.Tp = T if pos.all() else T[pos]
        self.wxp = self.wp * self.xp
        self.sum_wx = float(wdot(w, x))
        # the alpha sums run over all histories, the softplus terms over those with k > 0
        self.T, self.w, self.wx_rows = T, w, w * x
        few = T.size >= 64 and np.unique(T[: min(T.size, 4096)]).size * 4 < min(T.size, 4096)
        self.T_lev: Arr | None = None
        if few:
            # T often takes few distinct values (days): the sums are then taken per level
            code, lev = pd.factorize(T)
            code = np.asarray(code, np.intp)
            self.T_lev = np.asarray(lev, np.float64)
            self.T_w = np.bincount(code, weights=w, minlength=self.T_lev.size).astype(np.float64)
            self.T_wx = np.bincount(code, weights=self.wx_rows, minlength=self.T_lev.size).astype(
                np.float64
            )
        self._cache: dict[str, Any] = {}

    # -- terms that depend on alpha only -------------------------------------------------
    def _alpha_terms(self, alpha: float, order: int) -> dict[str, Any]:
        cache = self._cache
        if cache.get("alpha") == alpha and cache["order"] >= order:
            return cache
        if self.T_lev is not None:
            T, w, wx = self.T_lev, self.T_w, self.T_wx
        else:
            T, w, wx = self.T, self.w, self.wx_rows
        sums = np.zeros(6)
        for start in range(0, T.size, _BLOCK):
            sl = slice(start, start + _BLOCK)
            t, ww, wwx = T[sl], w[sl], wx[sl]
            it = 1.0 / (alpha + t)
            lt = np.log1p(t / alpha)
            sums[0] += wdot(ww, lt)
            sums[1] += wdot(wwx, lt)
            tit = t * it
            sums[2] += wdot(ww, tit)
            sums[3] += wdot(wwx, it)
            if order >= 2:
                # T (2 alpha + T) / (alpha + T)^2 and x / (alpha + T)^2
                sums[4] += wdot(ww, tit * (2.0 * alpha + t) * it)
                sums[5] += wdot(wwx, it * it)
        n = self.gap.size
        D = np.empty(n)
        D1 = np.empty(n) if order >= 1 else None
        D2 = np.empty(n) if order >= 2 else None
        for start in range(0, n, _BLOCK):
            sl = slice(start, start + _BLOCK)
            it = 1.0 / (alpha + self.txp[sl])
            g = self.gap[sl] * it
            np.log1p(g, out=D[sl])
            if D1 is not None:
                iT = 1.0 / (alpha + self.Tp[sl])
                d1 = D1[sl]
                np.multiply(g, iT, out=d1)
                d1 *= -1.0
                if D2 is not None:
                    # D2 = -D1 (1/(alpha + T) + 1/(alpha + t_x))
                    np.add(iT, it, out=D2[sl])
                    D2[sl] *= g
                    D2[sl] *= iT
        cache.clear()
        cache.update(
            alpha=alpha,
            order=order,
            A0=float(sums[0]),
            A1=float(sums[1]) + self.sum_wx * np.log(alpha),
            B0=float(sums[2]) / alpha,
            B1=float(sums[3]),
            C0=float(sums[4]) / (alpha * alpha),
            C1=float(sums[5]),
            D=D,
            D1=D1,
            D2=D2,
        )
        return cache

    # -- per distinct x ------------------------------------------------------------------
    def _per_x(self, r: float, a: float, b: float) -> tuple[Arr, Arr]:
        """lgamma_ratio(r, x) + log B(a, b + k) / B(a, b) per distinct x, and c_x."""
        xu, k1 = self.xu, self.k1u
        nx = xu.size
        # the beta ratio paired by the smaller shift (as in log_beta_ratio) and
        # lgamma_ratio(r, x), as one lgamma_ratio call
        lead = np.concatenate([np.full(nx, b), np.full(nx, a + b), np.full(nx, b), b + k1])
        lead = np.concatenate([lead, np.full(nx, r)])
        step = np.concatenate([k1, k1, np.full(2 * nx, a), xu])
        lg = lgamma_ratio(lead, step)
        by_k = lg[:nx] - lg[nx : 2 * nx]
        by_a = lg[2 * nx : 3 * nx] - lg[3 * nx : 4 * nx]
        lbr = np.where(k1 <= a, by_k, by_a)
        bk = np.where(self.has2u, b + self.k2u, 1.0)
        c = np.where(self.has2u, np.log(a) - np.log(bk), -np.inf)
        return lbr + lg[4 * nx :], c

    def value(self, theta: Arr) -> float:
        """The log-likelihood at ``theta``."""
        return self._evaluate(theta, 0)[0]

    def __call__(self, theta: Arr) -> tuple[float, Arr]:
        """Log-likelihood and gradient at ``theta``."""
        v, g, _ = self._evaluate(theta, 1)
        return v, g

    def value_gradient_hessian(self, theta: Arr) -> tuple[float, Arr, Arr]:
        """Log-likelihood, gradient and Hessian at ``theta``."""
        return self._evaluate(theta, 2)

    def _softplus_sums(self, r: float, c: Arr, eb_u: Arr, at: dict[str, Any], order: int) -> Arr:
        """Weighted sums over the histories with k > 0 (see the index list below)."""
        # 0: w softplus(z); gradient: 1: w sig D, 2: w sig q, 3: w sig, 4: w sig e;
        # Hessian: 5: w tau D^2, 6: w tau D q, 7: w sig D1, 8: w tau q^2, 9: w sig m D2,
        # 10: w tau D, 11: w tau q, 12: w tau, 13: w tau D e, 14: w tau q e,
        # 15: w tau e^2, 16: w sig e^2, 17: w tau e  (q = dz/dalpha, e = dz/db)
        s = np.zeros(18)
        D, D1, D2 = at["D"], at["D1"], at["D2"]
        xp, wp, xip = self.xp, self.wp, self.xip
        for start in range(0, xp.size, _BLOCK):
            sl = slice(start, start + _BLOCK)
            m = r + xp[sl]
            idx = xip[sl]
            d = D[sl]
            zz = c[idx]
            zz += m * d
            e = np.exp(-np.abs(zz))
            soft = np.log1p(e)
            soft += np.maximum(zz, 0.0)
            ww = wp[sl]
            s[0] += wdot(ww, soft)
            if order == 0:
                continue
            e1 = e + 1.0
            ws = np.where(zz >= 0.0, 1.0, e)
            ws /= e1  # expit(z)
            ws *= ww
            q = m * D1[sl]
            eb = eb_u[idx]
            s[1] += wdot(ws, d)
            s[2] += wdot(ws, q)
            s[3] += float(ws.sum())
            wse = ws * eb
            s[4] += float(wse.sum())
            if order < 2:
                continue
            wt = e / (e1 * e1)  # expit(z) expit(-z)
            wt *= ww
            wtd = wt * d
            wtq = wt * q
            wte = wt * eb
            s[5] += wdot(wtd, d)
            s[6] += wdot(wtd, q)
            s[7] += wdot(ws, D1[sl])
            s[8] += wdot(wtq, q)
            s[9] += wdot(ws * m, D2[sl])
            s[10] += float(wtd.sum())
            s[11] += float(wtq.sum())
            s[12] += float(wt.sum())
            s[13] += wdot(wtd, eb)
            s[14] += wdot(wtq, eb)
            s[15] += wdot(wte, eb)
            s[16] += wdot(wse, eb)
            s[17] += float(wte.sum())
        return s

    def _evaluate(self, theta: Arr, order: int) -> tuple[float, Arr, Arr]:
        r, alpha, a, b = (float(v) for v in theta)
        at = self._alpha_terms(alpha, order)
        per_x, c = self._per_x(r, a, b)
        has2 = self.has2u
        eb_u = np.where(has2, -1.0 / np.where(has2, b + self.k2u, 1.0), 0.0)
        s = self._softplus_sums(r, c, eb_u, at, order)
        wx, n = self.wx, self.n
        value = wdot(wx, per_x) - r * at["A0"] - at["A1"] + s[0]
        if order == 0:
            return value, np.zeros(4), np.zeros((4, 4))
        xu, k1 = self.xu, self.k1u
        ab = a + b
        dr = wdot(wx, special.digamma(r + xu)) - n * float(special.digamma(r)) - at["A0"] + s[1]
        dalpha = r * at["B0"] - at["B1"] + s[2]
        # d/da and d/db of log B(a, b + k) / B(a, b): digamma differences, of order
        # k / (a + b). Towards the one-dropout-probability limit (a, b -> infinity)
        # they sink below the rounding of the digamma values and are taken without
        # cancellation; below _STABLE_FROM the plain differences lose at most 1e-11
        # relative and cost less.
        stable = ab >= _STABLE_FROM
        if stable:
            lb_a = -digamma_diff(ab, k1)
            lb_b = digamma_diff(b, k1) + lb_a
        else:
            lb_a = float(special.digamma(ab)) - special.digamma(ab + k1)
            lb_b = special.digamma(b + k1) - float(special.digamma(b)) + lb_a
        da = wdot(wx, lb_a) + s[3] / a
        db = wdot(wx, lb_b) + s[4]
        grad = np.array([dr, dalpha, da, db])
        if order < 2:
            return value, grad, np.zeros((4, 4))
        tri = special.polygamma
        if stable:
            lb_aa = -trigamma_diff(ab, k1)
            lb_bb = trigamma_diff(b, k1) + lb_aa
        else:
            lb_aa = float(tri(1, ab)) - tri(1, ab + k1)
            lb_bb = tri(1, b + k1) - float(tri(1, b)) + lb_aa
        h_rr = wdot(wx, tri(1, r + xu)) - n * float(tri(1, r)) + s[5]
        h_ra = at["B0"] + s[6] + s[7]
        h_aa = -r * at["C0"] + at["C1"] + s[8] + s[9]
        h_pa = wdot(wx, lb_aa)
        H = np.array(
            [
                [h_rr, h_ra, s[10] / a, s[13]],
                [h_ra, h_aa, s[11] / a, s[14]],
                [s[10] / a, s[11] / a, h_pa + (s[12] - s[3]) / (a * a), h_pa + s[17] / a],
                [s[13], s[14], h_pa + s[17] / a, wdot(wx, lb_bb) + s[15] + s[16]],
            ]
        )
        return value, grad, H
