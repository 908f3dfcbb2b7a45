"""Limits of the beta-discrete-Weibull model and the fit of its no-heterogeneity limit.

The BdW ``(alpha, beta, c)`` (Fader, Hardie, Liu, Davin & Steenburgh 2018) has these edges:

- :math:`\\alpha, \\beta \\to \\infty` with :math:`\\alpha/(\\alpha+\\beta) \\to \\theta`: every
  customer has the same churn process, the *discrete Weibull* lifetime
  :math:`S(t) = (1-\\theta)^{t^c}` (Nakagawa & Osaki 1975); with c = 1 the geometric. The
  maximum-likelihood :math:`(\\theta, c)` of that limit is fitted here directly (a
  one-dimensional Newton solve for :math:`\\lambda = -\\log(1-\\theta)` inside a bounded
  search over :math:`\\log c`), and the model is reported at
  :math:`\\alpha + \\beta =` :data:`~crmkit.clv._boundary.LIMIT_SUM`, where its predictions
  over t periods differ from the limit's by about :math:`t^c/10^{14}` relative.
- :math:`\\alpha \\to 0`: nobody churns; :math:`\\alpha, \\beta \\to 0` together: θ is 0 or 1,
  a share :math:`\\alpha/(\\alpha+\\beta)` churns at once and the rest never (c is not
  identified in either). :math:`\\beta \\to \\infty` alone: θ is small
  and :math:`\\theta\\beta` is Gamma(α) distributed, so
  :math:`S(t) \\to (1 + t^c/\\beta)^{-\\alpha}` (a gamma mixture of discrete Weibull
  lifetimes); with c free this limit can be approached with c rising, so the estimates
  are reported at the search box.
- :math:`c \\to 0`: :math:`t^c \\to 1` for every t >= 1, so whoever renews once never
  churns; :math:`c \\to \\infty`: nobody renews twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from crmkit.clv._base import BoundaryHandler, BoundaryOutcome
from crmkit.clv._bdw_numerics import weibull_steps
from crmkit.clv._boundary import LIMIT_SUM

__all__ = ["C_BOX", "bdw_boundary", "fit_discrete_weibull"]

_F = NDArray[np.float64]
C_BOX = (1e-6, 1e6)
"""Search box of the duration-dependence parameter c."""


def _lambda_fit(churned: _F, surv_w: _F, x0: _F, dx: _F, xs: _F) -> tuple[float, float]:
    """Maximum over lambda > 0 of the discrete-Weibull log-likelihood for fixed steps.

    ``sum churned (-lambda x0 + log(1 - e^{-lambda dx})) - lambda sum surv_w xs`` is
    concave in lambda; Newton on log(lambda) from the geometric-like start, at most 100
    steps.
    """
    exposure = float(churned @ x0 + surv_w @ xs)
    n = float(churned.sum())
    if n <= 0 or exposure <= 0:
        return math.nan, -math.inf
    lam = n / (exposure + n)  # exact when every dx = 1 and lambda small

    def value(lv: float) -> float:
        with np.errstate(divide="ignore"):
            return float(churned @ np.log(-np.expm1(-lv * dx)) - lv * exposure)

    for _ in range(100):
        e = -np.expm1(-lam * dx)  # 1 - e^{-lambda dx}
        keep = np.exp(-lam * dx)
        ratio = dx * keep / e
        g = float(churned @ ratio) - exposure
        h = -float(churned @ (ratio * dx / e))  # - dx^2 e^{-lambda dx} / (1 - e^{-lambda dx})^2
        # Newton in u = log(lambda): dl/du = lam g, d2l/du2 = lam g + lam^2 h
        gu, hu = lam * g, lam * g + lam * lam * h
        step = -gu / hu if hu < 0 else math.copysign(1.0, gu)
        step = max(-2.0, min(2.0, step))
        lam *= math.exp(step)
        if abs(step) < 1e-13:
            break
    return lam, value(lam)


def fit_discrete_weibull(churned: _F, surv_w: _F) -> tuple[float, float, float]:
    """``(theta, c, log-likelihood)`` of the discrete Weibull lifetime on counts.

    ``churned[t-1]`` customers cancelled in period t; ``surv_w[k]`` is the weight of
    ``log S(k)`` (active minus entered). The log-likelihood is profiled over c in
    :data:`C_BOX` (bounded Brent search, at most 200 evaluations).

    Examples
    --------
    >>> import numpy as np
    >>> churned = np.array([300.0, 210.0, 147.0])  # geometric, theta = 0.3
    >>> surv_w = np.array([0.0, 0.0, 0.0, 343.0])
    >>> theta, c, _ = fit_discrete_weibull(churned, surv_w)
    >>> round(theta, 6), round(c, 6)
    (0.3, 1.0)
    """
    from scipy import optimize  # on first use: keeps `import crmkit` light

    t = np.arange(1, churned.size + 1, dtype=np.float64)
    ks = np.arange(surv_w.size, dtype=np.float64)

    def profile(log_c: float) -> tuple[float, float]:
        c = math.exp(log_c)
        x0, dx, _, _ = weibull_steps(t, c)
        with np.errstate(over="ignore"):
            xs = np.where(ks > 0, np.exp(c * np.log(np.where(ks > 0, ks, 1.0))), 0.0)
        if not (np.all(np.isfinite(dx)) and np.all(np.isfinite(xs[surv_w != 0]))):
            return math.nan, -math.inf
        return _lambda_fit(churned, surv_w, x0, dx, xs)

    res = optimize.minimize_scalar(
        lambda u: -profile(u)[1],
        bounds=(math.log(C_BOX[0]), math.log(C_BOX[1])),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 200},
    )
    log_c = float(res.x)

    def slope(u: float) -> float:
        # d/du of the profile log-likelihood, u = log c: by the envelope theorem the
        # partial derivative in c at the fitted lambda, times c
        c = math.exp(u)
        lam = profile(u)[0]
        _, dx, dx0_dc, ddx_dc = weibull_steps(t, c)
        xs = np.where(ks > 0, np.exp(c * np.log(np.where(ks > 0, ks, 1.0))), 0.0)
        dxs = xs * np.log(np.where(ks > 0, ks, 1.0))
        keep = np.exp(-lam * dx) / -np.expm1(-lam * dx)
        return c * lam * float(churned @ (keep * ddx_dc - dx0_dc) - surv_w @ dxs)

    # Brent's search locates a smooth maximum only to about 1e-8; the root of the
    # slope pins it to rounding (bracketed, at most 100 iterations)
    lo, hi = log_c - 1e-3, log_c + 1e-3
    if math.isfinite(slope(lo)) and math.isfinite(slope(hi)) and slope(lo) > 0 > slope(hi):
        log_c = optimize.brentq(slope, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=100)
    lam, ll = profile(log_c)
    return float(-np.expm1(-lam)), math.exp(log_c), ll


def bdw_boundary(default_start: Sequence[float] | _F, churned: _F, surv_w: _F) -> BoundaryHandler:
    """Limits of the beta-discrete-Weibull ``(alpha, beta, c)`` on the given counts."""
    d = np.asarray(default_start, dtype=np.float64)
    cache: list[tuple[float, float, float]] = []
    # every renewal decision observed was a cancellation in the first period: theta = 1,
    # S(t) = 0 for t >= 1 whatever c (the discrete Weibull fit has no interior maximum)
    all_cancel = bool(
        churned[:1].sum() > 0 and not churned[1:].any() and not (surv_w[1:] > 0).any()
    )

    def limit_fit() -> tuple[float, float, float]:
        if not cache:
            cache.append(fit_discrete_weibull(churned, surv_w))
        return cache[0]

    def handler(theta: _F, at_lo: NDArray[np.bool_], at_hi: NDArray[np.bool_]) -> BoundaryOutcome:
        out = theta.copy()
        hold: list[int] = []
        names: list[str] = []
        parts: list[str] = []
        both = bool(at_hi[0] or (at_hi[1] and theta[0] > 100.0 * d[0]))
        if both:
            if all_cancel:  # c is not identified: reported as 1 (the sBG's limit)
                th, c = min(float(theta[0] / (theta[0] + theta[1])), 1.0 - 1e2 / LIMIT_SUM), 1.0
            else:
                th, c, _ = limit_fit()
                if not (0.0 < th < 1.0 and math.isfinite(c)):
                    th, c = float(theta[0] / (theta[0] + theta[1])), float(theta[2])
            out[0], out[1], out[2] = th * LIMIT_SUM, (1.0 - th) * LIMIT_SUM, c
            hold += [0, 1]
            names += ["alpha", "beta"]
            if all_cancel:
                hold.append(2)
                names.append("c")
                parts.append(
                    "alpha, beta -> infinity with alpha/(alpha+beta) -> 1: every renewal "
                    "decision observed was a cancellation, so every customer churns in the "
                    "first period (S(t) = 0 for t >= 1) and c is not identified (reported "
                    "as 1)"
                )
            else:
                trend = (
                    "rises"
                    if c > 1.0 + 1e-6
                    else "falls"
                    if c < 1.0 - 1e-6
                    else "stays constant (geometric lifetime)"
                )
                parts.append(
                    f"alpha, beta -> infinity with alpha/(alpha+beta) = {th:.6g}: every "
                    "customer churns alike, with the discrete Weibull lifetime "
                    f"S(t) = (1 - {th:.6g})^(t^c), c = {c:.6g}; the churn probability "
                    f"{trend} with tenure (no heterogeneity)"
                )
        elif at_lo[0] and at_lo[1]:
            share = float(theta[0] / (theta[0] + theta[1]))
            hold += [0, 1, 2]
            names += ["alpha", "beta", "c"]
            parts.append(
                f"alpha, beta -> 0 with alpha/(alpha+beta) = {share:.6g}: a share "
                f"{share:.6g} of the customers churns in the first period and the others "
                "never do (theta is 0 or 1); c is not identified"
            )
        elif at_lo[0]:
            hold += [0, 1, 2]
            names += ["alpha", "beta", "c"]
            parts.append("alpha -> 0: nobody churns in these data; c is not identified")
        elif at_hi[1]:
            hold.append(1)
            names.append("beta")
            parts.append(
                f"beta -> infinity with alpha = {theta[0]:.6g}, c = {theta[2]:.6g}: every "
                "customer's first-period churn probability is tiny (theta * beta is "
                "Gamma(alpha) distributed) and the survival approaches "
                "S(t) = (1 + t^c / beta)^(-alpha), a gamma mixture of discrete Weibull "
                f"lifetimes; the estimates are those at the search box (beta = {theta[1]:.6g})"
            )
        if at_lo[2] and 2 not in hold:
            # S(t) = S(1) for every t >= 1: only the first-period churn probability
            # alpha / (alpha + beta) is identified; alpha is held, beta fits the ratio
            hold += [0, 2]
            names += ["alpha", "c"]
            share = float(theta[0] / (theta[0] + theta[1]))
            parts.append(
                "c -> 0: t^c is 1 for every t >= 1, so customers who renew once never "
                f"churn; only the first-period churn probability alpha/(alpha+beta) = "
                f"{share:.6g} is identified"
            )
        elif at_hi[2] and 2 not in hold:
            hold.append(2)
            names.append("c")
            parts.append("c -> infinity: nobody renews a second time")
        if not parts:
            for i, n in enumerate(("alpha", "beta", "c")):
                if at_lo[i] or at_hi[i]:
                    hold.append(i)
                    names.append(n)
                    parts.append(f"{n} -> {'0' if at_lo[i] else 'infinity'}")
        order = ("alpha", "beta", "c")
        return BoundaryOutcome(
            params=out,
            hold=tuple(sorted(set(hold))),
            names=tuple(n for n in order if n in names),
            message="; ".join(parts) + ".",
        )

    return handler
