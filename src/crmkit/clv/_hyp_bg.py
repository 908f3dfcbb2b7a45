"""Bounded-cost expectations over a beta-distributed dropout probability (BG/NBD, MBG/NBD).

Every BG/NBD and MBG/NBD prediction that involves a Gaussian hypergeometric function is
an expectation over the posterior dropout probability :math:`p \\sim \\text{Beta}(a,
\\beta)` of a function of :math:`p u`, where :math:`u = t / (\\alpha + T)` and, given
:math:`p`, the purchase rate has been integrated out (its posterior is
:math:`\\text{Gamma}(m, \\alpha + T)`, :math:`m = r + x`):

.. math::

    S &= E\\bigl[(1 + p u)^{-m}\\bigr] = {}_2F_1(m, a; a + \\beta; -u),\\\\
    Q &= E\\Bigl[\\frac{1 - (1 + p u)^{-m}}{p}\\Bigr]
       = \\frac{a + \\beta - 1}{a - 1}\\Bigl[1 - (1 + u)^{-m}\\,
         {}_2F_1\\bigl(m, \\beta; a + \\beta - 1; \\tfrac{u}{1 + u}\\bigr)\\Bigr] .

*S* is the probability that a customer alive now is still alive after *t* more time
units and *Q* the expected number of purchases in those *t* units (Fader, Hardie & Lee
2005, eq. 10, is :math:`Q` times P(alive)). Both are evaluated as integrals, never as
series whose length grows with the parameters:

1. The variable is the log-odds :math:`s = \\log(p / (1 - p))`, centred at the mode
   :math:`s^* = \\log(a / \\beta)`. The beta density in *s*,
   :math:`p^a (1 - p)^{\\beta} / B(a, \\beta)`, and both integrands are analytic in the
   strip :math:`|\\Im s| < \\pi / 2` (there :math:`\\Re p > 0`, so
   :math:`|(1 + p u)^{-m}| \\le 1`), so the trapezoidal rule converges geometrically,
   with error :math:`O(e^{-2 \\pi d / h})` for step *h* and half-width *d* of the strip
   in which the integrand stays of the size it has on the real line (Trefethen &
   Weideman 2014, thm. 5.1). *d* is :math:`\\min(1.4, 1.2 \\sigma)` with
   :math:`\\sigma^2 = 1/a + 1/\\beta` the curvature width of the density at its mode;
   :math:`h = 2 \\pi d / 56` (error factor :math:`e^{-56}`; the step of
   :math:`2 \\pi d / 34` left a relative error of 1e-10 where the bracket is a small
   difference, e.g. :math:`m = 694, a = 10, \\beta = 1, u = 2`, and :math:`2 \\pi d /
   48` one of 1.1e-10 in *S* at :math:`m = 196, a = 33, \\beta = 1, u = 262`, against
   mpmath at 60 and 120 digits). Where :math:`m u` is large the *S* integrand is much
   narrower than the density, so *d* is also at most :math:`1.2 \\sigma_S`, the
   curvature width of the log *S* integrand at its peak (without it the error reached
   2e-6 at :math:`m = 300, a = 100, \\beta = 1, u = 10`).
2. The integrands decay only like :math:`p^a` as :math:`p \\to 0` and like
   :math:`(1 - p)^{\\beta}` as :math:`p \\to 1`, far too slowly to truncate when *a* or
   :math:`\\beta` is small. Their limits are subtracted with functions whose
   expectations are exact beta-function ratios:
   :math:`f(p) = f(0) (1 - p)^{\\kappa} + f(1)\\, p + [f(p) - f(0)(1 - p)^{\\kappa} -
   f(1) p]`, :math:`\\kappa = (m + 1) u`. The bracket vanishes linearly at both ends, so
   the remaining integrand decays at least like :math:`e^{-|s|}` in both directions and
   the range is cut 40/(1 + a) (left) and 40/(1 + b) (right) log-units beyond the last
   scale of the problem. Both subtracted parts lie between 0 and the expectation itself
   (:math:`(1 - p)^{\\kappa} \\le e^{-\\kappa p} \\le (1 + p u)^{-(m + 1)}`),
   so no cancellation can occur.
3. Concentrated densities (large *a* and :math:`\\beta`) are cut where the log density
   has dropped by more than 60 below its mode, so the number of nodes stays bounded as
   :math:`a, \\beta \\to \\infty`; the nodes then shrink onto :math:`p^* = a / (a +
   \\beta)` and *S*, *Q* tend to the fixed-*p* values :math:`(1 + p^* u)^{-m}` and
   :math:`(1 - (1 + p^* u)^{-m}) / p^*` (see :func:`fixed_p_limit`).

The number of nodes per entry is at most :data:`MAX_NODES` for any positive finite
parameters (it is at most a few hundred on the documented accuracy grid), and entries
are processed in row chunks, so the cost is a fixed multiple of the number of entries.

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way. *Marketing Science* 24(2), 275-284.
- Trefethen, L. N. & Weideman, J. A. C. (2014). The exponentially convergent trapezoidal
  rule. *SIAM Review* 56(3), 385-458.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "GAUSS_TIERS",
    "INTERP_DEGREE",
    "MAX_NODES",
    "beta_expectations",
    "fixed_p_limit",
    "gauss_beta_rule",
    "lgamma_ratio",
    "log_beta_ratio",
]

Arr = NDArray[np.float64]

MAX_NODES = 4096
"""Hard cap on the trapezoid nodes per entry (never reached for finite doubles in
practice: the range is at most about 1,500 log-units and the step at least 0.26 unless
the density is concentrated, where the range shrinks with the step)."""

_CHUNK_ELEMENTS = 1 << 21  # rows x nodes evaluated at once
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
)
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def _stirling_corr(x: Arr) -> Arr:
    """:math:`\\log\\Gamma(x) - [(x - 1/2)\\log x - x + \\log\\sqrt{2\\pi}]` for x >= 8.

    Truncated after the :math:`x^{-13}` term: the omitted term is below
    :math:`3617/(122400 x^{15}) < 10^{-15}` for :math:`x \\ge 8`.
    """
    inv = 1.0 / x
    inv2 = inv * inv
    acc = np.zeros_like(x)
    for coef in reversed(_STIRLING):
        acc = acc * inv2 + coef
    return np.asarray(acc * inv, dtype=np.float64)


def lgamma_ratio(x: ArrayLike, d: ArrayLike) -> Arr:
    """:math:`\\log \\Gamma(x + d) - \\log \\Gamma(x)` for :math:`x > 0`, :math:`x + d > 0`.

    Accurate to a few units of the last place of the result (not of the two log-gamma
    values, which can be :math:`10^{17}` times larger): for :math:`x \\ge 8` the Stirling
    series are subtracted analytically,

    .. math::

        (x - \\tfrac12)\\log\\bigl(1 + \\tfrac{d}{x}\\bigr) + d \\log(x + d) - d
        + c(x + d) - c(x),

    and smaller *x* is first raised by 8 with
    :math:`\\Gamma(x + 8) = \\Gamma(x) \\prod_{k<8} (x + k)`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import special
    >>> v = lgamma_ratio(3.5, 2.0)
    >>> bool(np.isclose(v, special.gammaln(5.5) - special.gammaln(3.5), rtol=1e-14))
    True
    >>> float(lgamma_ratio(1e16, 0.5) / np.log(1e16))  # Gamma(x + 1/2) / Gamma(x) ~ x^(1/2)
    0.5
    """
    xx, dd = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(d, np.float64))
    xx = xx.astype(np.float64, copy=True)
    dd = dd.astype(np.float64, copy=True)
    out = np.zeros(xx.shape)
    small = xx < 8.0
    if small.any():
        xs, ds = xx[small], dd[small]
        acc = np.zeros(xs.shape)
        for k in range(8):
            acc -= np.log1p(ds / (xs + k))
        out[small] = acc
        xx[small] = xs + 8.0
    y = xx + dd
    out += (xx - 0.5) * np.log1p(dd / xx) + dd * np.log(y) - dd
    # the correction difference: both arguments are >= 8 here
    out += _stirling_corr(np.maximum(y, 8.0)) - _stirling_corr(xx)
    return np.asarray(out, dtype=np.float64)


def log_beta_ratio(a: ArrayLike, b: ArrayLike, delta: ArrayLike) -> Arr:
    """:math:`\\log B(a, b + \\delta) - \\log B(a, b) = \\log E[(1 - p)^{\\delta}]`.

    Here :math:`p \\sim \\text{Beta}(a, b)` and :math:`\\delta \\ge 0`. The pairing of
    the four log-gamma terms is chosen by the smaller shift, so the result keeps its
    relative accuracy when :math:`\\delta` or *a* is huge.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import special
    >>> v = log_beta_ratio(0.5, 2.0, 3.0)
    >>> bool(np.isclose(v, special.betaln(0.5, 5.0) - special.betaln(0.5, 2.0), rtol=1e-14))
    True
    """
    aa, bb, dd = np.broadcast_arrays(
        np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(delta, np.float64)
    )
    by_delta = lgamma_ratio(bb, dd) - lgamma_ratio(aa + bb, dd)
    by_a = lgamma_ratio(bb, aa) - lgamma_ratio(bb + dd, aa)
    return np.asarray(np.where(dd <= aa, by_delta, by_a), dtype=np.float64)


def _log_mode_density(a: Arr, b: Arr) -> Arr:
    """Log of the log-odds density :math:`p^a (1-p)^b / B(a, b)` at its mode."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    big = lo >= 8.0
    # both large: Stirling terms cancel analytically
    lo_b, hi_b = np.where(big, lo, 8.0), np.where(big, hi, 8.0)
    stirling = (
        0.5 * np.log(lo_b * hi_b / (lo_b + hi_b))
        - _HALF_LOG_2PI
        + _stirling_corr(lo_b + hi_b)
        - _stirling_corr(lo_b)
        - _stirling_corr(hi_b)
    )
    # small lo: lo log p* + hi log q* - lgamma(lo) + [lgamma(lo + hi) - lgamma(hi)]
    lo_s = np.where(big, 1.0, lo)
    hi_s = np.where(big, 1.0, hi)
    direct = (
        lo_s * (np.log(lo_s) - np.log(lo_s + hi_s))
        - hi_s * np.log1p(lo_s / hi_s)
        - special.gammaln(lo_s)
        + lgamma_ratio(hi_s, lo_s)
    )
    return np.asarray(np.where(big, stirling, direct), dtype=np.float64)


def fixed_p_limit(m: ArrayLike, p: ArrayLike, u: ArrayLike) -> tuple[Arr, Arr]:
    """*S* and *Q* when every customer has the same dropout probability *p*.

    This is the limit of :func:`beta_expectations` as :math:`a, \\beta \\to \\infty` with
    :math:`a / (a + \\beta) = p`: :math:`S = (1 + p u)^{-m}` and
    :math:`Q = (1 - (1 + p u)^{-m}) / p` (the Poisson-gamma expectation of
    :math:`(1 - e^{-\\lambda p t}) / p`, the expected purchases before a dropout that
    happens after each purchase with probability *p*).

    Examples
    --------
    >>> S, Q = fixed_p_limit(2.0, 0.5, 1.0)
    >>> float(S), float(Q)
    (0.4444444444444444, 1.1111111111111112)
    """
    mm, pp, uu = np.broadcast_arrays(
        np.asarray(m, np.float64), np.asarray(p, np.float64), np.asarray(u, np.float64)
    )
    y = pp * uu
    log_s = -mm * np.log1p(y)
    S = np.exp(log_s)
    Q = mm * uu * _phi(mm, y)
    return np.asarray(S, np.float64), np.asarray(Q, np.float64)


def _phi(m: Arr, y: Arr) -> Arr:
    """:math:`(1 - (1 + y)^{-m}) / (m y)`, equal to 1 at y = 0; decreasing in y."""
    zero = y <= 0.0
    ys = np.where(zero, 1.0, y)
    val = -np.expm1(-m * np.log1p(ys)) / (m * ys)
    return np.asarray(np.where(zero, 1.0, val), dtype=np.float64)


def beta_expectations(
    m: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    u: ArrayLike,
    *,
    want_q: bool = True,
    want_s: bool = True,
    groups: NDArray[np.intp] | None = None,
    interpolate: bool = True,
    shared_rule: bool = False,
) -> tuple[Arr, Arr]:
    """Return :math:`S = E[(1 + p u)^{-m}]` and :math:`Q = E[(1 - (1 + p u)^{-m}) / p]`.

    Expectations over :math:`p \\sim \\text{Beta}(a, b)`, for :math:`m, a, b > 0` and
    :math:`u \\ge 0` (all broadcast together). See the module docstring for the method;
    the cost per entry is bounded by :data:`MAX_NODES` evaluations, and is
     16 to 64 for the usual entries (:math:`\\max(m + 1, 2)\\, u \\le 40`,
    :data:`GAUSS_TIERS`), which use a Gauss rule for the beta density.

    Parameters
    ----------
    m, a, b : array_like
        Positive finite parameters.
    u : array_like
        Non-negative finite scaled horizon :math:`t / (\\alpha + T)`.
    want_q : bool
        Compute *Q* too (otherwise the second array is zeros).
    want_s : bool
        Compute *S* (default). With ``want_s=False`` (and ``want_q``) the first array
        is not computed (ones) and the Gauss rules need only the *Q* bound of
        :data:`GAUSS_TIERS`, so they serve more entries.
    groups : numpy.ndarray of int, optional
        Codes (0, 1, ...) of the distinct ``(m, a, b)`` triples of the flattened,
        broadcast inputs (for example the codes of distinct purchase counts); computed
        when omitted. Entries of one group share their quadrature nodes.
    interpolate : bool
        Let groups with many entries interpolate *S* and *Q / u* in *u* from a few
        quadrature values, where the proven bound of :data:`INTERP_DEGREE` allows it
        (default); ``False`` evaluates the quadrature at every entry.
    shared_rule : bool
        Give all Gauss entries of a group the largest tier any of them needs (one rule
        per group; a larger tier is valid for every entry of a smaller one). Cheaper
        when groups have few entries, e.g. interpolation nodes.

    Returns
    -------
    tuple of numpy.ndarray
        *S* in [0, 1] and *Q* in :math:`[0, m u]`, broadcast shape of the inputs.

    Examples
    --------
    With :math:`a = 1, b = 1` (uniform *p*), :math:`m = 1`, :math:`u = 1`:
    :math:`S = \\int_0^1 dp / (1 + p) = \\log 2` and :math:`Q = \\int_0^1 dp / (1 + p)` too:

    >>> S, Q = beta_expectations(1.0, 1.0, 1.0, 1.0)
    >>> round(float(S), 14), round(float(Q), 14)
    (0.69314718055995, 0.69314718055995)
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (m, a, b, u)))
    shape = arrays[0].shape
    mm, aa, bb, uu = (np.ascontiguousarray(v).ravel() for v in arrays)
    n = mm.size
    S = np.ones(n)
    Q = np.zeros(n)
    if groups is None:
        _, codes = np.unique(np.stack([mm, aa, bb]), axis=1, return_inverse=True)
        groups = np.asarray(codes, dtype=np.intp).reshape(-1)
    rest = np.flatnonzero(uu > 0.0)
    if interpolate and rest.size:
        # interpolated entries (any rule gives the node values) leave the other paths
        s_i, q_i, done = _interpolated(mm, aa, bb, uu, groups, rest, want_q, want_s or not want_q)
        S[rest[done]] = s_i
        Q[rest[done]] = q_i
        rest = rest[~done]
    m_r, u_r = mm[rest], uu[rest]
    kappa = np.maximum(m_r + 1.0, 2.0) * u_r
    # the S bound carries the factor (1 + u)^m; Q alone only 1 + kappa
    usable = m_r * np.log1p(u_r) <= 10.0 if (want_s or not want_q) else np.ones(rest.size, bool)
    tier_r = np.full(rest.size, -1, dtype=np.intp)
    for level, (_, kappa_max) in reversed(list(enumerate(GAUSS_TIERS))):
        tier_r[usable & (kappa <= kappa_max)] = level
    if shared_rule and np.any(tier_r >= 0):
        # one rule per group: the largest tier any of its entries needs (valid for all)
        fast = tier_r >= 0
        top = np.full(int(groups.max()) + 1, -1, dtype=np.intp)
        np.maximum.at(top, groups[rest[fast]], tier_r[fast])
        tier_r[fast] = top[groups[rest[fast]]]
    tier = np.full(n, -1, dtype=np.intp)
    tier[rest] = tier_r
    slow = rest[tier_r < 0]
    if slow.size:
        s_w, q_w = _trapezoid(mm[slow], aa[slow], bb[slow], uu[slow], want_q)
        S[slow] = s_w
        Q[slow] = q_w
    fast_rows = rest[tier_r >= 0]
    if fast_rows.size:
        key = groups[fast_rows] * len(GAUSS_TIERS) + tier[fast_rows]
        order_idx = np.argsort(key, kind="stable")
        order = fast_rows[order_idx]
        cuts = np.flatnonzero(np.diff(key[order_idx])) + 1
        for rows in np.split(order, cuts):
            i0 = rows[0]
            n_nodes = GAUSS_TIERS[int(tier[i0])][0]
            nodes, weights = _cached_rule(float(aa[i0]), float(bb[i0]), n_nodes)
            s_g, q_g = _gauss_eval(
                float(mm[i0]), nodes, weights, uu[rows], want_q, want_s or not want_q
            )
            S[rows] = s_g
            Q[rows] = q_g
    return S.reshape(shape), Q.reshape(shape)


GAUSS_TIERS = ((16, 3.0), (32, 10.0), (64, 40.0), (128, 160.0))
"""(nodes, largest kappa): entries with :math:`\\kappa = \\max(m + 1, 2)\\, u` up to the
largest value use the Gauss rule of the beta density with the first tier that admits
them; the others use the trapezoid rule. For the 32-node tier: Its error is at most twice
the best uniform polynomial approximation error of degree 63 of the integrand on
[0, 1], whatever the weight (Gautschi 2004, thm. 1.48). Both integrands are analytic
inside the Bernstein ellipse with foci 0, 1 through :math:`-1/\\kappa`, where
:math:`|1 + p u| \\ge 1 - 1/(m + 1)` bounds them by :math:`e^{2}` times their value at
:math:`p = 0`; its parameter is :math:`\\rho = 1 + 2\\epsilon + 2\\sqrt{\\epsilon +
\\epsilon^2} \\ge 1.86` for :math:`\\epsilon = 1/\\kappa \\ge 0.1`, so the error is below
:math:`4 e^2 \\rho^{-63} / (\\rho - 1) < 10^{-15}` times that value. Likewise
:math:`\\rho \\ge 3` for :math:`\\kappa \\le 3` (16 nodes, bound :math:`< 10^{-13}`),
:math:`\\rho \\ge 1.37` for :math:`\\kappa \\le 40` (64 nodes, bound :math:`< 10^{-15}`)
and :math:`\\rho \\ge 1.171` for :math:`\\kappa \\le 160` (128 nodes, bound
:math:`4 e^2 \\rho^{-255} / (\\rho - 1) < 6 \\cdot 10^{-16}`).
Relative to the value, the bound is multiplied by at most :math:`(1 + u)^{m}` for *S*
(:math:`S \\ge (1 + u)^{-m}`), so the Gauss rule is used only where
:math:`m \\log(1 + u) \\le 10`, and by :math:`1 + \\kappa` for *Q*."""


@functools.lru_cache(maxsize=512)
def _cached_rule(a: float, b: float, n: int) -> tuple[Arr, Arr]:
    """:func:`gauss_beta_rule`, kept for repeated (a, b, n): predictions for one model
    ask for the same rules again (one per purchase count and tier). Read-only arrays."""
    nodes, weights = gauss_beta_rule(a, b, n)
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


def gauss_beta_rule(a: float, b: float, n: int) -> tuple[Arr, Arr]:
    """Nodes in (0, 1) and weights (summing to 1) of the n-point Gauss rule of Beta(a, b).

    Golub-Welsch: eigenvalues and first eigenvector components of the Jacobi matrix of
    the monic orthogonal polynomials of the beta density (shifted Jacobi polynomials
    with exponents :math:`b - 1` at 1 and :math:`a - 1` at 0); the recurrence
    coefficients are written so that nothing overflows for huge *a*, *b* (Gautschi 2004,
    table 1.1).

    Examples
    --------
    >>> import numpy as np
    >>> x, w = gauss_beta_rule(2.0, 3.0, 5)
    >>> round(float(w @ x), 14), round(float(w @ x**2), 14)  # mean 2/5, E p^2 = 1/5
    (0.4, 0.2)
    """
    from scipy.linalg import eigh_tridiagonal

    c = a + b
    k = np.arange(n, dtype=np.float64)
    diag_y = np.empty(n)
    diag_y[0] = (a - b) / c
    kk = k[1:]
    diag_y[1:] = (a - b) * (c - 2.0) / ((2.0 * kk - 2.0 + c) * (2.0 * kk + c))
    off2 = np.empty(n - 1)
    off2[0] = 4.0 * a * b / (c * c * (c + 1.0))
    kj = k[2:]
    den = 2.0 * kj - 2.0 + c
    off2[1:] = (
        4.0
        * kj
        * (kj + b - 1.0)
        * (kj + a - 1.0)
        * (kj + c - 2.0)
        / (den * den * (den + 1.0) * (den - 1.0))
    )
    diag_p = 0.5 * (1.0 + diag_y)
    off_p = 0.5 * np.sqrt(off2)
    vals, vecs = eigh_tridiagonal(diag_p, off_p)
    weights = vecs[0, :] ** 2
    nodes = np.clip(vals, np.finfo(float).tiny, 1.0)
    return np.asarray(nodes, np.float64), np.asarray(weights / weights.sum(), np.float64)


def _gauss_eval(
    m: float, nodes: Arr, weights: Arr, u: Arr, want_q: bool, want_s: bool = True
) -> tuple[Arr, Arr]:
    S = np.ones(u.size)
    Q = np.zeros(u.size)
    step = max(1, _CHUNK_ELEMENTS // nodes.size)
    wq = weights / nodes
    for start in range(0, u.size, step):
        uu = u[start : start + step, None]
        em = np.expm1(-m * np.log1p(uu * nodes[None, :]))  # (1 + p u)^-m - 1
        # einsum, not BLAS: a threaded matrix-vector product is slow on a busy machine
        if want_s:
            S[start : start + step] = 1.0 + np.einsum("ij,j->i", em, weights)
        if want_q:
            Q[start : start + step] = -np.einsum("ij,j->i", em, wq)
    return np.clip(S, 0.0, 1.0), np.maximum(Q, 0.0)


def _trapezoid(m: Arr, a: Arr, b: Arr, u: Arr, want_q: bool) -> tuple[Arr, Arr]:
    kappa = (m + 1.0) * u
    mu = m * u
    pbar = a / (a + b)
    s_star = np.log(a) - np.log(b)
    sigma = np.sqrt(1.0 / a + 1.0 / b)
    half = np.minimum(1.4, 1.2 * sigma)
    h = 2.0 * np.pi * half / 56.0
    # tail cuts (log-odds relative to the mode): beyond them the bracket integrand decays
    # at least like exp(-(1 + a)|s|) on the left and exp(-(1 + b) s) on the right
    left_tail = np.minimum(0.0, -np.log1p(kappa + b) - s_star) - 40.0 / (1.0 + a)
    right_tail = np.maximum(0.0, np.log(2.0 + a + m) - s_star) + 40.0 / (1.0 + b)
    # concentration cuts. The S integrand peaks at the root d_S <= 0 of
    # a - (a + b) p - m u p (1 - p) / (1 + p u) (found by 80 bisection steps); beyond a
    # cut both log integrands have dropped by more than 60 (plus log(mu p*) for Q, whose
    # integrand can exceed its value at the mode by that factor near p = 0).
    c_mode = _log_mode_density(a, b)
    log_p, log_q = -np.log1p(b / a), -np.log1p(a / b)
    lo = left_tail.copy()
    hi = np.zeros_like(lo)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        pm = special.expit(s_star + mid)
        slope = a - (a + b) * pm - mu * pm * (1.0 - pm) / (1.0 + pm * u)
        up = slope > 0.0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    d_s = 0.5 * (lo + hi)
    # the S integrand can be much narrower than the density (large m u): its curvature
    # width at the peak bounds the step too
    ps = special.expit(s_star + d_s)
    pq = ps * (1.0 - ps)
    one_pu = 1.0 + ps * u
    curv = (a + b) * pq + mu * pq * ((1.0 - 2.0 * ps) * one_pu - u * pq) / (one_pu * one_pu)
    sigma_s = 1.0 / np.sqrt(np.maximum(curv, 1e-300))
    h = np.minimum(h, 2.0 * np.pi * np.minimum(1.4, 1.2 * sigma_s) / 56.0)
    phi_s = -_log_drop(a, b, d_s) - m * np.log1p(u * special.expit(s_star + d_s))
    need_q = 60.0 + np.log(np.maximum(1.0, mu * pbar))
    left = left_tail.copy()
    right = right_tail.copy()
    for k in (128.0, 96.0, 64.0, 48.0, 32.0, 24.0, 16.0, 12.0):
        for arr, cand in ((left, d_s - k * sigma), (right, k * sigma)):
            with np.errstate(over="ignore"):
                drop = _log_drop(a, b, cand)
                phi = -drop - m * np.log1p(u * special.expit(s_star + cand))
            ok = (drop >= need_q) & (phi_s - phi >= 60.0) & (np.abs(cand) < np.abs(arr))
            arr[ok] = cand[ok]
    count = np.minimum(np.ceil((right - left) / h), MAX_NODES - 1).astype(np.int64) + 1
    h = (right - left) / (count - 1)
    S_int = np.zeros(m.size)
    Q_int = np.zeros(m.size)
    k1 = np.exp(-m * np.log1p(u))  # S integrand at p = 1
    g1 = mu * _phi(m, u)  # Q integrand at p = 1
    # bucket rows by node count (powers of two) and process in chunks
    width = (32 * np.ceil(count / 32.0)).astype(np.int64)
    for wv in np.unique(width):
        rows_all = np.flatnonzero(width == wv)
        step = max(1, _CHUNK_ELEMENTS // int(wv))
        for start in range(0, rows_all.size, step):
            rows = rows_all[start : start + step]
            j = np.arange(int(wv), dtype=np.float64)[None, :]
            valid = j < count[rows, None]
            delta = left[rows, None] + j * h[rows, None]
            delta = np.where(valid, delta, 0.0)
            ar, br = a[rows, None], b[rows, None]
            lp, lq = log_p[rows, None], log_q[rows, None]
            log_w = (
                c_mode[rows, None] - ar * _log_mix(lq, lp, -delta) - br * _log_mix(lp, lq, delta)
            )
            weight = np.where(valid, np.exp(log_w), 0.0) * h[rows, None]
            s = s_star[rows, None] + delta
            p = special.expit(s)
            log1mp = -np.logaddexp(0.0, s)
            mr, ur = m[rows, None], u[rows, None]
            tail0 = np.exp(kappa[rows, None] * log1mp)  # (1 - p)^kappa
            y = p * ur
            k = np.exp(-mr * np.log1p(y))
            S_int[rows] = np.einsum("ij,ij->i", weight, k - tail0 - k1[rows, None] * p)
            if want_q:
                g = mu[rows, None] * _phi(mr, y)
                Q_int[rows] = np.einsum(
                    "ij,ij->i", weight, g - mu[rows, None] * tail0 - g1[rows, None] * p
                )
    e_tail0 = np.exp(log_beta_ratio(a, b, kappa))
    S = np.clip(e_tail0 + k1 * pbar + S_int, 0.0, 1.0)
    Q = np.clip(mu * e_tail0 + g1 * pbar + Q_int, 0.0, mu) if want_q else np.zeros(m.size)
    return np.asarray(S, np.float64), np.asarray(Q, np.float64)


def _log_drop(a: Arr, b: Arr, delta: Arr) -> Arr:
    """Log density at the mode minus at mode + delta (>= 0, log-odds scale)."""
    lp, lq = -np.log1p(b / a), -np.log1p(a / b)
    return np.asarray(a * _log_mix(lq, lp, -delta) + b * _log_mix(lp, lq, delta), np.float64)


def _log_mix(log_w: Arr, log_1mw: Arr, d: Arr) -> Arr:
    """:math:`\\log(1 - w + w e^{d})` for :math:`0 < w < 1`, accurate near d = 0 and for any d.

    *w* is :math:`a / (a + b)` or :math:`b / (a + b)`, passed as :math:`\\log w` and
    :math:`\\log(1 - w)` (computed from the odds, so neither is :math:`-\\infty` when *w*
    rounds to 0 or 1).
    """
    with np.errstate(over="ignore"):
        small = np.expm1(np.minimum(d, 700.0)) * np.exp(log_w)
    near = np.abs(small) < 0.5
    far = np.logaddexp(log_1mw, log_w + d)
    return np.asarray(np.where(near, np.log1p(np.where(near, small, 0.0)), far), np.float64)


INTERP_DEGREE = 8
"""Degree of the Chebyshev interpolants in *u* used for large groups of entries.

The entries with :math:`u > 0` of one group (one :math:`(m, a, b)`) are split into
pieces :math:`[u_0, u_1]` of width at most :data:`_INTERP_WIDTH` / (m + 1) in
:math:`\\log(1 + u)`. On a piece, *S* and :math:`R = Q / u = m \\int_0^1 E[(1 + p u
s)^{-m-1}]\\,ds` are interpolated at the 9 Chebyshev points of the second kind, whose
values come from the Gauss or trapezoid rule. Both are analytic in the Bernstein
ellipse with foci :math:`u_0, u_1` and semi-major axis :math:`(u_1 - u_0)/2 + \\delta`,
:math:`\\delta = (1 + u_0)/(m + 2)`: there :math:`\\Re(1 + p u) \\ge (1 + p u_0)(1 -
1/(m + 2))`, so :math:`|S| \\le e\\, S(u_0)` and :math:`|R| \\le e\\, m`. The
interpolation error is at most :math:`4 M \\rho^{-N} / (\\rho - 1)` for the ellipse
parameter :math:`\\rho` and bound *M* (Trefethen 2019, *Approximation Theory and
Approximation Practice*, thm. 8.2); relative to the smallest value on the piece,
:math:`S(u_1)` and :math:`R(u_1)` (both decrease in *u*), it is checked against
:data:`_INTERP_TOL` for every piece, and the entries of a piece that fails (or of a group
with fewer than 8 entries per node) use the quadrature directly. The node values carry
the quadrature's own error, which the interpolant passes on multiplied by at most its
Lebesgue constant, :math:`1 + (2/\\pi)\\log 9 < 2.4` (Trefethen 2019, thm. 15.2)."""

_INTERP_WIDTH = 0.05
_INTERP_TOL = 1e-14


def _cheb_matrix(n: int) -> Arr:
    """Values at the points cos(pi k / n), k = 0..n -> Chebyshev coefficients (DCT-I)."""
    k = np.arange(n + 1, dtype=np.float64)
    mat = np.cos(np.pi * np.outer(k, k) / n) * (2.0 / n)
    mat[:, [0, n]] *= 0.5
    mat[[0, n], :] *= 0.5
    return np.asarray(mat, np.float64)


_CHEB = _cheb_matrix(INTERP_DEGREE)
_CHEB_X = np.cos(np.pi * np.arange(INTERP_DEGREE + 1) / INTERP_DEGREE)


def _clenshaw(coefs_t: Arr, pid: NDArray[np.intp], x: Arr) -> Arr:
    """Sum of coefs_t[k, pid] T_k(x) for every entry (coefs_t has one row per degree)."""
    b1 = np.zeros(x.size)
    b2 = np.zeros(x.size)
    tmp = np.empty(x.size)
    two_x = 2.0 * x
    for k in range(coefs_t.shape[0] - 1, 0, -1):
        # b0 = 2 x b1 - b2 + c_k, written into b2's buffer; then (b1, b2) <- (b0, b1)
        np.multiply(two_x, b1, out=tmp)
        tmp -= b2
        np.take(coefs_t[k], pid, out=b2, mode="clip")
        b2 += tmp
        b1, b2 = b2, b1
    out = x * b1
    out -= b2
    out += np.take(coefs_t[0], pid, mode="clip")
    return np.asarray(out, np.float64)


def chebyshev_pieces(
    lo: Arr, hi: Arr, span: Arr, pieces: Arr, use_g: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], Arr, Arr, Arr]:
    """Split each interpolated group's range [lo, hi] of log1p(u) into equal pieces.

    Returns the pieces per group, each group's first piece number, the group of each
    piece, the piece ends u0 < u1 (in u) and the Chebyshev nodes of each piece,
    ``(pieces, n + 1)``, running from u1 (k = 0) to u0 (k = n).
    """
    n_pieces = np.where(use_g, pieces, 0.0).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(n_pieces)[:-1]]).astype(np.int64)
    total = int(n_pieces.sum())
    piece_group = np.repeat(np.arange(use_g.size), n_pieces)
    j = np.arange(total) - offset[piece_group]
    pw = span / np.maximum(pieces, 1.0)
    lu0 = lo[piece_group] + j * pw[piece_group]
    lu1 = np.where(j == n_pieces[piece_group] - 1, hi[piece_group], lu0 + pw[piece_group])
    u0, u1 = np.expm1(lu0), np.expm1(lu1)
    un = u0[:, None] + (0.5 * (_CHEB_X[None, :] + 1.0)) * (u1 - u0)[:, None]
    un[:, 0], un[:, -1] = u1, u0
    return n_pieces, offset, piece_group, u0, u1, un


def _interpolated(
    m: Arr,
    a: Arr,
    b: Arr,
    u: Arr,
    groups: NDArray[np.intp],
    rows: NDArray[np.intp],
    want_q: bool,
    want_s: bool = True,
) -> tuple[Arr, Arr, NDArray[np.bool_]]:
    """*S* and *Q* of ``rows`` from per-piece Chebyshev interpolants (see INTERP_DEGREE).

    Returns the values for the rows that were interpolated and the mask of those rows.
    """
    n_deg = INTERP_DEGREE
    g = groups[rows]
    n_groups = int(g.max()) + 1
    ur = u[rows]
    lu = np.log1p(ur)
    lo = np.full(n_groups, np.inf)
    hi = np.full(n_groups, -np.inf)
    np.minimum.at(lo, g, lu)
    np.maximum.at(hi, g, lu)
    count = np.bincount(g, minlength=n_groups)
    m_g = np.zeros(n_groups)
    a_g = np.ones(n_groups)
    b_g = np.ones(n_groups)
    m_g[g], a_g[g], b_g[g] = m[rows], a[rows], b[rows]
    present = count > 0
    span = np.where(present, hi - lo, 0.0)
    pieces = np.maximum(np.ceil(span * (m_g + 1.0) / _INTERP_WIDTH), 1.0)
    # interpolate only where the quadrature nodes are at most 1/8 of the entries (the
    # interpolant costs about as much per entry as an eighth of a Gauss evaluation)
    use_g = present & (8.0 * pieces * (n_deg + 1) <= count)
    if not use_g.any():
        return np.empty(0), np.empty(0), np.zeros(rows.size, dtype=bool)
    n_pieces, offset, piece_group, u0, u1, un = chebyshev_pieces(lo, hi, span, pieces, use_g)
    total = u0.size
    pw = span / np.maximum(pieces, 1.0)  # piece width in log1p(u)
    mg = m_g[piece_group]
    s_n, q_n = beta_expectations(
        np.repeat(mg, n_deg + 1),
        np.repeat(a_g[piece_group], n_deg + 1),
        np.repeat(b_g[piece_group], n_deg + 1),
        un.ravel(),
        want_q=want_q,
        want_s=want_s,
        groups=np.repeat(piece_group, n_deg + 1).astype(np.intp),
        interpolate=False,
    )
    s_n = s_n.reshape(total, n_deg + 1)
    r_n = q_n.reshape(total, n_deg + 1) / un
    # proven error bound per piece, relative to the smallest value on it
    half = 0.5 * (u1 - u0)
    delta = (1.0 + u0) / (mg + 2.0)
    major = half + delta
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(half > 0.0, (major + np.sqrt(major * major - half * half)) / half, np.inf)
        factor = np.where(np.isfinite(rho), 4.0 * np.e * rho ** (-float(n_deg)) / (rho - 1.0), 0.0)
        err_s = factor * s_n[:, -1] / s_n[:, 0] if want_s else np.zeros(total)
        err_r = factor * mg / r_n[:, 0] if want_q else np.zeros(total)
    piece_ok = (err_s <= _INTERP_TOL) & (err_r <= _INTERP_TOL)
    if want_s:
        piece_ok &= s_n[:, 0] > 0.0
    if want_q:
        piece_ok &= r_n[:, 0] > 0.0
    # entries -> piece
    gr = np.where(use_g[g], g, 0)
    jr = np.floor((lu - lo[gr]) / np.where(pw[gr] > 0.0, pw[gr], 1.0))
    jr = np.clip(jr, 0, np.maximum(n_pieces[gr] - 1, 0)).astype(np.intp)
    pid = (offset[gr] + jr).astype(np.intp)
    done = use_g[g]
    done[done] = piece_ok[pid[done]]
    pid = pid[done]
    ud = ur[done]
    width = (u1 - u0)[pid]
    x = np.where(
        width > 0.0, (2.0 * (ud - u0[pid])) / np.where(width > 0.0, width, 1.0) - 1.0, 1.0
    )
    x = np.clip(x, -1.0, 1.0)
    if want_s:
        S = np.clip(_clenshaw(np.ascontiguousarray((s_n @ _CHEB.T).T), pid, x), 0.0, 1.0)
    else:
        S = np.ones(ud.size)
    if want_q:
        R = _clenshaw(np.ascontiguousarray((r_n @ _CHEB.T).T), pid, x)
        Q = np.clip(R * ud, 0.0, m[rows][done] * ud)
    else:
        Q = np.zeros(ud.size)
    return np.asarray(S, np.float64), np.asarray(Q, np.float64), done
