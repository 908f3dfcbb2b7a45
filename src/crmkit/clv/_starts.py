"""Method-of-moments starting values for the CLV model families.

Each function returns a start for the maximum-likelihood fit computed in closed form (or
a bounded root search) from a few weighted moments of the data. The estimates ignore
parts of each model (e.g. dropout when estimating the purchase process), so they are
starts, not estimates; every value is kept inside a fixed range around the scale of the
data so that a degenerate moment (no overdispersion, no churn) cannot throw the search
box, which is anchored at the start, far away. When the moments do not identify a
parameter, the data-scaled value used before (e.g. ``r = 1``, ``alpha = 1 / rate``) is
returned.

- NBD ``(r, alpha)``: Ehrenberg's (1959) "mean and zeros" method. With a Gamma(r, alpha)
  purchase rate and Poisson purchasing over a period of length T, the mean count is
  :math:`m = rT/\\alpha` and the share of non-buyers :math:`f_0 = (1 + m/r)^{-r}`; *r* is
  the root of that equation (decreasing in *r* from 1 to :math:`e^{-m}`), found by a
  bisection of fixed length on :math:`\\log r`. The zero class is not changed by dropout
  in the BG/NBD (dropout only follows a repeat purchase) and only slightly in the
  Pareto/NBD, which is why it is preferred to the variance.
- Dropout ``(a, b)`` (BG/NBD, MBG/NBD) and ``(s, beta)`` (Pareto/NBD): crude values, as
  before: ``a = 1, b = 3`` (mean dropout probability 0.25 per purchase), ``s = 1`` and
  ``beta`` the mean observation length (mean lifetime of the order of the data).
- Gamma-Gamma ``(p, q, v)``: :math:`E[\\bar z] = pv/(q - 1)` (Fader, Hardie & Lee 2005;
  Colombo & Jiang 1999) with ``q = 3`` and ``p`` the inverse squared coefficient of
  variation of the customers' mean spend (the shape of a gamma with those moments),
  clipped to [0.5, 50]. (A full method of moments, regressing :math:`\\bar z^2` on
  :math:`1/x`, needs finite fourth moments, q > 4, and was unstable on CDNOW, where
  q is about 3.7.)
- BG/BB ``(alpha, beta)``: beta-binomial moments (Skellam 1948): with
  :math:`\\bar p = \\sum x / \\sum n` and intra-customer correlation
  :math:`\\rho = 1/(\\alpha + \\beta + 1)` from
  :math:`\\operatorname{Var}(x) = n \\bar p (1 - \\bar p)(1 + (n - 1)\\rho)`;
  ``gamma = delta = 1`` (a crude dropout start: uniform dropout probability).
- sBG ``(alpha, beta)``: the first two retention rates
  :math:`r_1 = \\beta/(\\alpha+\\beta)`, :math:`r_2 = (\\beta+1)/(\\alpha+\\beta+1)`
  (Fader & Hardie 2007, eq. 8) solved for the two shapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "better_start",
    "bgbb_moment_start",
    "gamma_gamma_moment_start",
    "nbd_moment_start",
    "sbg_moment_start",
]

Arr = NDArray[np.float64]

_SHAPE_RANGE = (1e-2, 1e2)  # moment shapes are clipped to this range
_BISECTIONS = 80  # fixed-length bisection on log r over [1e-2, 1e2]: width 2^-80 decades


def _wmean(w: Arr, v: Arr) -> float:
    return float(np.einsum("i,i->", w, v) / max(float(w.sum()), 1e-300))


def nbd_moment_start(x: Arr, T: Arr, w: Arr) -> tuple[float, float]:
    """``(r, alpha)`` of the NBD by the mean and the share of zeros (Ehrenberg 1959).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lam = rng.gamma(0.5, 1 / 4.0, 200_000)  # r = 0.5, alpha = 4
    >>> T = np.full(lam.size, 10.0)
    >>> x = rng.poisson(lam * T).astype(float)
    >>> r, alpha = nbd_moment_start(x, T, np.ones(x.size))
    >>> round(r, 1), round(alpha, 0)
    (0.5, 4.0)
    """
    t_mean = max(_wmean(w, T), 1e-12)
    m = max(_wmean(w, x), 1e-12)
    rate = m / t_mean
    f0 = _wmean(w, (x == 0).astype(np.float64))
    lo, hi = math.log(_SHAPE_RANGE[0]), math.log(_SHAPE_RANGE[1])
    if not 0.0 < f0 < 1.0 or f0 <= math.exp(-m):
        # no zeros, all zeros, or no overdispersion: r = 1 (exponential mixing)
        r = 1.0
    else:
        # g(r) = -r log1p(m / r) - log f0 is decreasing in r: bisection of fixed length
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            r_mid = math.exp(mid)
            if -r_mid * math.log1p(m / r_mid) > math.log(f0):
                lo = mid  # too many zeros predicted: r must grow
            else:
                hi = mid
        r = math.exp(0.5 * (lo + hi))
    return r, r / max(rate, 1e-6)


def gamma_gamma_moment_start(zbar: Arr, w: Arr) -> Arr:
    """``(p, q, v)`` from the mean and the coefficient of variation of the mean spend.

    Examples
    --------
    >>> import numpy as np
    >>> zbar = np.array([10.0, 20.0, 30.0])
    >>> np.round(gamma_gamma_moment_start(zbar, np.ones(3)), 3).tolist()
    [6.0, 3.0, 6.667]
    """
    mean = _wmean(w, zbar)
    var = _wmean(w, (zbar - mean) ** 2)
    p = min(max(mean**2 / max(var, 1e-12), 0.5), 50.0)
    return np.array([p, 3.0, 2.0 * mean / p])


def bgbb_moment_start(x: Arr, n: Arr, w: Arr) -> Arr:
    """``(alpha, beta, gamma, delta)``: beta-binomial moments of x, crude dropout shapes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> p = rng.beta(1.0, 3.0, 400_000)  # mean 0.25, rho = 1/5
    >>> n = np.full(p.size, 6.0)
    >>> x = rng.binomial(6, p).astype(float)
    >>> np.round(bgbb_moment_start(x, n, np.ones(x.size)), 1).tolist()
    [1.0, 3.0, 1.0, 1.0]
    """
    p = float(
        np.clip(np.einsum("i,i->", w, x) / max(np.einsum("i,i->", w, n), 1e-12), 1e-3, 1 - 1e-3)
    )
    num = float(np.einsum("i,i->", w, (x - n * p) ** 2) - np.einsum("i,i->", w, n) * p * (1 - p))
    den = float(np.einsum("i,i->", w, n * (n - 1.0))) * p * (1 - p)
    rho = num / den if den > 0 else 0.5
    rho = float(np.clip(rho, 1.0 / (1.0 + _SHAPE_RANGE[1]), 1.0 / (1.0 + _SHAPE_RANGE[0])))
    total = 1.0 / rho - 1.0
    return np.array([p * total, (1.0 - p) * total, 1.0, 1.0])


def sbg_moment_start(churned: Arr, censored: Arr) -> Arr:
    """``(alpha, beta)`` from the first two pooled retention rates (FH 2007, eq. 8).

    ``churned[t-1]`` customers cancel in period t, ``censored[k]`` are still active
    after k periods (both summed over cohorts).

    Examples
    --------
    >>> import numpy as np
    >>> surv = np.array([1000, 631, 468, 382, 326, 289, 262, 241.0])  # FH 2007, regular
    >>> churned = -np.diff(surv)
    >>> censored = np.zeros(8)
    >>> censored[7] = surv[-1]
    >>> np.round(sbg_moment_start(churned, censored), 2).tolist()  # MLE: 0.704, 1.182
    [0.86, 1.47]
    """
    at_risk = np.cumsum((np.concatenate([churned, [0.0]]) + censored)[::-1])[::-1]
    if churned.size < 2 or at_risk[1] <= 0 or at_risk[0] <= 0:
        return np.ones(2)
    r1 = 1.0 - churned[0] / at_risk[0]
    r2 = 1.0 - churned[1] / at_risk[1]
    if not (0.0 < r1 < r2 < 1.0):
        return np.ones(2)  # retention not rising: heterogeneity not visible in two periods
    total = float(np.clip((1.0 - r2) / (r2 - r1), 2 * _SHAPE_RANGE[0], 2 * _SHAPE_RANGE[1]))
    return np.array([(1.0 - r1) * total, r1 * total])


def better_start(log_likelihood: Callable[[Arr], float], candidates: Sequence[Arr]) -> Arr:
    """The candidate start with the highest finite log-likelihood (the first on ties).

    One evaluation per candidate: a moment start is only used where it is better than
    the data-scaled one, since crude moments can also be worse.

    Examples
    --------
    >>> import numpy as np
    >>> better_start(lambda t: -float((t[0] - 2.0) ** 2), [np.ones(1), np.array([3.0])])
    array([1.])
    """
    best, best_ll = np.asarray(candidates[0], dtype=np.float64), -math.inf
    for c in candidates:
        arr = np.asarray(c, dtype=np.float64)
        with np.errstate(all="ignore"):
            ll = float(log_likelihood(arr))
        if math.isfinite(ll) and ll > best_ll:
            best, best_ll = arr, ll
    return best
