"""The BG/NBD purchase model (Fader, Hardie & Lee 2005), "counting your customers the easy way".

While active, a customer buys as a Poisson process with rate :math:`\\lambda`; after each
*repeat* purchase they become inactive with probability :math:`p`. Across customers
:math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and :math:`p \\sim \\text{Beta}(a, b)`.
The data per customer are *x* (repeat purchases), *t_x* (time of the last one) and *T*
(time since the first purchase), all in one time unit.

The same maths with dropout also allowed right after the first purchase is the MBG/NBD
model (:mod:`crmkit.clv.mbgnbd`); both share the code below through ``_shift``.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._bg_conditional import alive_q_one_horizon
from crmkit.clv._bg_objective import BetaGeoObjective, count_codes
from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv._compress import unique_pairs
from crmkit.clv._hyp_bg import beta_expectations, lgamma_ratio, log_beta_ratio
from crmkit.clv._hyp_bg_value import discounted_q
from crmkit.clv._starts import nbd_moment_start
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv._transaction_fit import Objective
from crmkit.timeunits import TimeUnit

__all__ = ["BetaGeo"]

Arr = NDArray[np.float64]


def beta_geo_objective(x: Arr, tx: Arr, T: Arr, w: Arr, shift: int) -> Objective:
    """Weighted BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) log-likelihood and gradient.

    The second callable is a :class:`~crmkit.clv._bg_objective.BetaGeoObjective`, which
    also gives the exact Hessian (see that module for the formulas).
    """
    obj = BetaGeoObjective(x, tx, T, w, shift)
    return obj.value, obj


def _count_index(x: Arr) -> tuple[NDArray[np.intp], Arr]:
    """Whole-number counts as their own group codes (levels 0..max), else count_codes.

    Codes without entries are harmless for :func:`~crmkit.clv._hyp_bg_value.discounted_q`;
    using the count itself saves the relabelling pass over the entries.
    """
    if x.size and float(x.min()) >= 0 and float(x.max()) <= 4096:
        xi = x.astype(np.intp)
        if np.array_equal(xi, x):
            return xi, np.arange(int(xi.max()) + 1, dtype=np.float64)
    return count_codes(x)


def beta_geo_start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
    """Starting values: (r, alpha) by the NBD mean and zeros, a = 1, b = 3.

    See :mod:`crmkit.clv._starts`.
    """
    r, alpha = nbd_moment_start(x, T, w)
    return np.array([r, alpha, 1.0, 3.0])


_ALIVE_BLOCK = 1 << 15


def _p_alive_blocks(
    r: float, alpha: float, a: float, b: float, shift: int, x: Arr, tx: Arr, T: Arr
) -> Arr:
    """P(alive) of long 1-d arrays, block by block with in-place operations.

    :math:`1 / (1 + \\frac{a}{b + x + s - 1} (\\frac{\\alpha + T}{\\alpha + t_x})^{r + x})`
    with the odds written as one exponential; rows without a dropout opportunity
    (:math:`x + s = 0`) get odds 0. The temporaries of a block stay in cache.
    """
    n = x.size
    out = np.empty(n)
    step = min(n, _ALIVE_BLOCK)
    buf = np.empty((2, step))
    log_a = float(np.log(a))
    for start in range(0, n, step):
        sl = slice(start, start + step)
        xs = x[sl]
        lo, tmp = (row[: xs.size] for row in buf)
        # (r + x) log1p((T - t_x) / (alpha + t_x))
        np.subtract(T[sl], tx[sl], out=lo)
        np.add(tx[sl], alpha, out=tmp)
        lo /= tmp
        np.log1p(lo, out=lo)
        np.add(xs, r, out=tmp)
        lo *= tmp
        # + log a - log(b + x + s - 1); at x + s = 0 (no dropout chance yet) odds 0
        if shift == 0:  # BG/NBD: log(max(x, 1) - 1 + b) is finite, and x = 0 gets -1e300
            np.maximum(xs, 1.0, out=tmp)
            tmp -= 1.0  # whole numbers: exact, then one rounding
            tmp += b
            np.log(tmp, out=tmp)
            lo -= tmp
            np.minimum(xs, 1.0, out=tmp)
            tmp -= 1.0
            tmp *= 1e300
            lo += tmp
        else:
            np.add(xs, b, out=tmp)
            np.log(tmp, out=tmp)
            lo -= tmp
        lo += log_a
        # exp(-700) < 1e-304: 1 + exp(lo) rounds to 1 below -700, so clipping there is
        # exact, and it keeps exp away from the slow path of -inf and underflow
        np.maximum(lo, -700.0, out=lo)
        with np.errstate(over="ignore"):
            np.exp(lo, out=lo)
        lo += 1.0
        np.reciprocal(lo, out=out[sl])
    return out


class BetaGeoMaths(TransactionFamily):
    """Array core shared by BG/NBD (``_shift = 0``) and MBG/NBD (``_shift = 1``)."""

    __slots__ = ()
    _shift: ClassVar[int] = 0
    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    r: float
    alpha: float
    a: float
    b: float

    @classmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        return beta_geo_objective(x, tx, T, w, cls._shift)

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        return beta_geo_start(x, tx, T, w)

    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        # Written with ratio functions (log Gamma(r + x)/Gamma(r), log B(a, b + k)/B(a, b),
        # log1p) so that no two large logs cancel: exact to a few ulps of the result
        # for parameters up to 1e12.
        r, alpha, a, b, s = self.r, self.alpha, self.a, self.b, self._shift
        has2 = (x + s) > 0
        k2 = np.where(has2, x + s - 1.0, 0.0)
        lg = lgamma_ratio(r, x)
        t1 = log_beta_ratio(a, b, x + s) + lg - r * np.log1p(T / alpha) - x * np.log(alpha + T)
        t2 = np.where(
            has2,
            np.log(a)
            - np.log(a + b + k2)
            + log_beta_ratio(a, b, k2)
            + lg
            - r * np.log1p(tx / alpha)
            - x * np.log(alpha + tx),
            -np.inf,
        )
        return np.asarray(np.logaddexp(t1, t2), dtype=np.float64)

    def _log_odds_dead(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        a, b, s = self.a, self.b, self._shift
        has2 = (x + s) > 0
        denom = np.where(has2, (x + (s - 1.0)) + b, 1.0)  # one rounding for small b
        lo = np.log(a) - np.log(denom) + (self.r + x) * np.log1p((T - tx) / (self.alpha + tx))
        return np.asarray(np.where(has2, lo, -np.inf), dtype=np.float64)

    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        if np.ndim(x) == 1 and np.shape(tx) == np.shape(T) == np.shape(x) and x.size > 65536:
            return _p_alive_blocks(self.r, self.alpha, self.a, self.b, self._shift, x, tx, T)
        return np.asarray(special.expit(-self._log_odds_dead(x, tx, T)), dtype=np.float64)

    def _posterior_expectations(
        self, t: Arr, x: Arr, T: Arr, *, want_q: bool, want_s: bool = True
    ) -> tuple[Arr, Arr]:
        """S and Q of :func:`crmkit.clv._hyp_bg.beta_expectations` for alive customers.

        Given alive at T after x repeat purchases, the purchase rate is
        Gamma(r + x, alpha + T) and the dropout probability Beta(a, b + x + shift) (x
        survived dropout chances, plus the first purchase in MBG/NBD). Distinct (x, T)
        pairs are evaluated once for a scalar horizon; entries with the same x share
        their quadrature nodes.
        """
        t_b, x_b, T_b = np.broadcast_arrays(t, x, T)
        shape = t_b.shape
        tf, xf, Tf = (np.ascontiguousarray(v).ravel() for v in (t_b, x_b, T_b))
        pairs = unique_pairs(xf, Tf) if np.ndim(t) == 0 else None
        if pairs is not None:
            xs, Ts, inverse = pairs
            ts = np.full(xs.size, float(tf[0]) if tf.size else 0.0)
        else:
            xs, Ts, ts, inverse = xf, Tf, tf, None
        S, Q = beta_expectations(
            self.r + xs,
            self.a,
            self.b + xs + self._shift,
            ts / (self.alpha + Ts),
            want_q=want_q,
            want_s=want_s,
            groups=count_codes(xs)[0],
            shared_rule=True,
        )
        if inverse is not None:
            S, Q = S[inverse], Q[inverse]
        return S.reshape(shape), Q.reshape(shape)

    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        S, _ = self._posterior_expectations(t, x, T, want_q=False)
        return np.asarray(np.clip(S, 0.0, 1.0), dtype=np.float64)

    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        return np.asarray(
            np.exp((self.r + x) * np.log1p(-t / (self.alpha + T + t))), dtype=np.float64
        )

    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        one_d = np.ndim(x) == 1 and np.shape(T) == np.shape(tx) == np.shape(x)
        if np.ndim(t) == 0 and one_d and x.size > 4096:
            # one horizon, many customers: Q interpolated per purchase count
            if float(t) > 0.0:
                # fused piecewise polynomials per purchase count (cheaper than grouping
                # distinct (x, T) pairs even when there are few); the rest directly
                r, alpha, a, b = self.r, self.alpha, self.a, self.b
                out, rest = alive_q_one_horizon(r, alpha, a, b, self._shift, float(t), x, tx, T)
                if rest.size:
                    xr, txr, Tr = x[rest], tx[rest], T[rest]
                    out[rest] = self._alive_q_sum(np.array([float(t)]), np.ones(1), xr, txr, Tr)
                return out
            return self._alive_q_sum(np.array([float(t)]), np.ones(1), x, tx, T)
        _, Q = self._posterior_expectations(t, x, T, want_q=True, want_s=False)
        return np.asarray(Q * self._p_alive_rows(x, tx, T), dtype=np.float64)

    def _discounted_rows(self, ends: Arr, discount: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        # sum_k d_k (E[X(t_k)] - E[X(t_(k-1))]) = P(alive) v G(v), G interpolated per x
        # (Abel summation; see crmkit.clv._hyp_bg_value)
        coefs = discount - np.append(discount[1:], 0.0)
        return self._alive_q_sum(np.asarray(ends, np.float64), coefs, x, tx, T)

    def _alive_q_sum(self, scales: Arr, coefs: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        """max(sum_k c_k Q(t_k / (alpha + T)), 0) P(alive) per customer (1-d arrays).

        Purchase counts index the per-count tables directly (they are validated whole
        numbers), and P(alive) is computed block by block with the interpolant.
        """
        pairs = unique_pairs(x, T)
        if pairs is not None:  # few distinct (x, T): once per pair
            xs, Ts, inverse = pairs
            G = self._q_sum(scales, coefs, xs, Ts)[inverse]
            return np.asarray(np.maximum(G, 0.0) * self._p_alive_rows(x, tx, T), np.float64)
        groups, xu = _count_index(x)
        r, alpha, s = self.r, self.alpha, self._shift
        has2 = (xu + s) > 0
        with np.errstate(divide="ignore"):
            c_x = np.where(
                has2, np.log(self.a) - np.log(np.where(has2, self.b + xu + s - 1.0, 1.0)), -np.inf
            )

        def alive(rows: NDArray[np.intp] | slice) -> Arr:
            # 1 / (1 + exp(c_x + (r + x) log((alpha + T) / (alpha + t_x))))
            xr, txr = x[rows], tx[rows]
            lo = T[rows] - txr
            txr = txr + alpha
            lo /= txr
            np.log1p(lo, out=lo)
            xr = xr + r
            lo *= xr
            lo += c_x[groups[rows]]
            np.maximum(lo, -700.0, out=lo)  # exact (1 + e^-700 = 1); avoids exp(-inf)
            with np.errstate(over="ignore"):
                np.exp(lo, out=lo)
            lo += 1.0
            np.reciprocal(lo, out=lo)
            return lo

        return discounted_q(
            r + xu,
            np.full(xu.size, self.a),
            self.b + xu + s,
            groups,
            1.0 / (alpha + T),
            scales,
            coefs,
            multiplier=alive,
        )

    def _q_sum(self, scales: Arr, coefs: Arr, x: Arr, T: Arr) -> Arr:
        """sum_k c_k Q(t_k / (alpha + T)) per customer (1-d x and T)."""
        pairs = unique_pairs(x, T)
        if pairs is not None:  # few distinct (x, T): once per pair
            xs, Ts, inverse = pairs
            return self._q_sum(scales, coefs, xs, Ts)[inverse]
        codes, xu = count_codes(x)
        return discounted_q(
            self.r + xu,
            np.full(xu.size, self.a),
            self.b + xu + self._shift,
            codes,
            1.0 / (self.alpha + T),
            scales,
            coefs,
        )

    def _expected(self, t: Arr) -> Arr:
        zero = np.zeros_like(t)
        return self._conditional_rows(t, zero, zero, zero)

    def _pmf(self, k: Arr, t: Arr) -> Arr:
        r, alpha, a, b, s = self.r, self.alpha, self.a, self.b, self._shift
        q = t / (alpha + t)
        log_nb = (
            lgamma_ratio(r, k)
            - special.gammaln(k + 1.0)
            - r * np.log1p(t / alpha)
            + special.xlogy(k, q)
        )
        first = np.exp(log_beta_ratio(a, b, k) + log_nb)
        has2 = (k + s) > 0
        k2 = np.where(has2, k + s, 1.0)
        second = np.where(
            has2,
            np.exp(np.log(a) - np.log(a + b + k2 - 1.0) + log_beta_ratio(a, b, k2 - 1.0))
            * special.betainc(k2, r, q),
            0.0,
        )
        return np.asarray(first + second, dtype=np.float64)

    def _simulate_arrays(self, T: Arr, rng: np.random.Generator) -> tuple[Arr, Arr]:
        n = T.size
        lam = rng.gamma(self.r, 1.0 / self.alpha, size=n)
        p = rng.beta(self.a, self.b, size=n)
        # repeat purchases made before dropping out: >= 1 for BG/NBD, >= 0 for MBG/NBD
        dropout_after = rng.geometric(p).astype(np.float64) - self._shift
        n_events = rng.poisson(lam * T).astype(np.float64)
        x = np.minimum(n_events, dropout_after)
        buyers = x > 0
        frac = np.zeros(n)
        frac[buyers] = rng.beta(x[buyers], n_events[buyers] - x[buyers] + 1.0)
        return x, frac * T


@attrs.frozen(kw_only=True)
class BetaGeo(BetaGeoMaths):
    """The BG/NBD model as a value: build it from published parameters or fit it.

    .. math::

        L(r, \\alpha, a, b \\mid x, t_x, T) =
        \\frac{B(a, b + x)}{B(a, b)} \\frac{\\Gamma(r + x)\\,\\alpha^r}{\\Gamma(r)\\,
        (\\alpha + T)^{r + x}}
        + \\delta_{x > 0} \\frac{B(a + 1, b + x - 1)}{B(a, b)}
        \\frac{\\Gamma(r + x)\\,\\alpha^r}{\\Gamma(r)\\,(\\alpha + t_x)^{r + x}}

    (Fader, Hardie & Lee 2005, eq. 6), evaluated on the log scale with ``logaddexp`` so
    that it stays finite for any frequency (the #NUM! problem of Fader & Hardie's note
    027 cannot occur).

    Parameters
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of the purchase rate :math:`\\lambda`
        (``alpha`` in the summary's time unit), both > 0.
    a, b : float
        Beta distribution of the dropout probability :math:`p`, both > 0.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The time unit of the summary the parameters refer to (informational: horizons
        ``t`` passed to the methods are in this unit).

    Notes
    -----
    Predictions (all vectorised over customers and horizons):

    - :meth:`expected_purchases`: :math:`E[X(t)] = \\frac{a + b - 1}{a - 1}\\bigl[1 -
      (\\frac{\\alpha}{\\alpha + t})^r {}_2F_1(r, b; a + b - 1; \\frac{t}{\\alpha + t})\\bigr]`
      (eq. 9);
    - :meth:`conditional_expected_purchases`: eq. 10;
    - :meth:`probability_alive`: :math:`1 / (1 + \\delta_{x>0} \\frac{a}{b + x - 1}
      (\\frac{\\alpha + T}{\\alpha + t_x})^{r + x})` (Fader, Hardie & Lee 2008, note 021),
      and at a future date :math:`P(\\text{alive at } T + t) = P(\\text{alive})\\,
      {}_2F_1(r + x, a; a + b + x; -t / (\\alpha + T))`, since an active customer drops
      out at rate :math:`\\lambda p`;
    - :meth:`probability_no_purchase`: :math:`1 - P(\\text{alive})\\,[1 - (\\frac{\\alpha +
      T}{\\alpha + T + t})^{r + x}]`;
    - :meth:`probability_of_purchases`: :math:`P(X(t) = x)`, eq. 8.

    Hypergeometric functions are evaluated after Euler's transformation so that their
    parameters stay moderate for heavy buyers (see :mod:`crmkit.clv._special`).

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
    - Fader, P. S. & Hardie, B. G. S. (2013). Overcoming the BG/NBD model's #NUM! error
      problem. Note 027, brucehardie.com/notes/027.

    Examples
    --------
    The CDNOW estimates of Fader, Hardie & Lee (2005), time in weeks:

    >>> from crmkit.clv import BetaGeo
    >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> round(float(bg.expected_purchases(39)), 4)
    1.1967
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> round(float(bg.conditional_expected_purchases(s, t=39).iloc[0]), 3)
    1.226
    """

    _family: ClassVar[str] = "BG/NBD"
    _shift: ClassVar[int] = 0
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    a: float = attrs.field(converter=real_parameter, validator=positive_finite)
    b: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)
