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
from crmkit.clv._boundary import (
    LIMIT_SUM,
    TINY_SHAPE,
    first_period_message,
    first_period_share,
    geometric_limit_shapes,
)

__all__ = ["C_BOX", "bdw_boundary", "data_limit", "fit_discrete_weibull"]

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
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            e = -np.expm1(-lam * dx)  # 1 - e^{-lambda dx}
            keep = np.exp(-lam * dx)
            ratio = np.where(churned != 0, dx * keep / e, 0.0)
            # - dx^2 e^{-lambda dx} / (1 - e^{-lambda dx})^2
            curv = np.where(churned != 0, ratio * dx / e, 0.0)
        g = float(churned @ ratio) - exposure
        h = -float(churned @ curv)
        if not (math.isfinite(g) and math.isfinite(h)):
            break
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
        if not math.isfinite(lam):
            return math.nan
        _, dx, dx0_dc, ddx_dc = weibull_steps(t, c)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            xs = np.where(ks > 0, np.exp(c * np.log(np.where(ks > 0, ks, 1.0))), 0.0)
            dxs = xs * np.log(np.where(ks > 0, ks, 1.0))
            keep = np.exp(-lam * dx) / -np.expm1(-lam * dx)
            value = c * lam * float(churned @ (keep * ddx_dc - dx0_dc) - surv_w @ dxs)
        return value if math.isfinite(value) else math.nan

    # Brent's search locates a smooth maximum only to about 1e-8; the root of the
    # slope pins it to rounding (bracketed, at most 100 iterations)
    lo, hi = log_c - 1e-3, log_c + 1e-3
    s_lo, s_hi = slope(lo), slope(hi)
    if math.isfinite(s_lo) and math.isfinite(s_hi) and s_lo > 0 > s_hi:
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
        elif at_lo[0] and float(np.sum(churned)) > 0.0:
            # churn is seen, so alpha -> 0 comes with c -> infinity, alpha * c fixed:
            # S(t) -> S(1) t^(-alpha c) (a power law in tenure)
            hold += [0, 1, 2]
            names += ["alpha", "beta", "c"]
            kappa = float(theta[0] * theta[2])
            share = float(theta[0] / (theta[0] + theta[1]))
            parts.append(
                f"alpha -> 0 and c -> infinity with alpha * c = {kappa:.6g}: a share "
                f"{share:.6g} churns in the first period and the survival of the others "
                f"falls as a power of tenure, S(t) = S(1) t^(-{kappa:.6g}); the estimates "
                "are those where the search stopped"
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
            kappa = float(theta[0] * theta[2])
            if kappa * math.log(2.0) > 40.0:
                parts.append("c -> infinity: nobody renews a second time")
            else:
                share = float(theta[0] / (theta[0] + theta[1]))
                parts.append(
                    f"c -> infinity with alpha * c = {kappa:.6g}: a share {share:.6g} "
                    "churns in the first period and the survival of the others falls as "
                    f"a power of tenure, S(t) = S(1) t^(-{kappa:.6g}) (the estimates are "
                    f"those at the search box, c = {theta[2]:.6g})"
                )
        for i, n in enumerate(("alpha", "beta", "c")):
            # any other coordinate on the box stays there (free, it would be pulled
            # out of the box by the polish and fail the gradient check)
            if (at_lo[i] or at_hi[i]) and i not in hold:
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


def data_limit(churned: _F, surv_w: _F) -> tuple[_F, tuple[str, ...], str] | None:
    """A limit of the BdW that the counts alone identify: ``(params, at, message)``.

    ``churned[t-1]`` customers cancelled in period t; ``surv_w[k]`` is the weight of
    ``log S(k)``. Two shapes of data put the likelihood's supremum on a limit that no
    search need find:

    - nobody was observed at risk of a second renewal (no churn after period 1, no
      weight on S(k), k >= 2): only :math:`P(T=1) = \\alpha/(\\alpha+\\beta)` enters the
      likelihood (:func:`~crmkit.clv._boundary.first_period_share`); the geometric
      limit is reported, c held at 1;
    - nobody was observed at risk of a third renewal, some cancelled in period 2 and
      some renewed twice (:func:`_two_periods`): the two renewal decisions identify two
      numbers, the BdW has three parameters;
    - some customers cancelled in period 2 and nobody was observed beyond it:
      since :math:`P(T=2) \\le S(1)`, the log-likelihood is at most
      :math:`n_1 \\log p + (n_2 + w_1)\\log(1-p)`, reached only as c -> infinity
      (:math:`S(2)/S(1) = E[(1-\\theta)^{2^c - 1}] \\to 0`: whoever renews once cancels
      at the next decision), with :math:`\\hat p = n_1/(n_1 + n_2 + w_1)`.

    None otherwise (the search decides).

    Examples
    --------
    >>> params, at, _ = data_limit(np.array([5.0, 5.0]), np.array([0.0, 0.0, 0.0]))
    >>> params.tolist(), at  # the cohort [10, 5, 0]
    ([0.5, 0.5, 1000000.0], ('alpha', 'beta', 'c'))
    """
    names = ("alpha", "beta", "c")
    share = first_period_share(churned, surv_w)
    if share is not None:
        a, b = geometric_limit_shapes(share)
        return np.array([a, b, 1.0]), names, first_period_message(share, "BdW")
    if churned.size < 2 or churned[1] <= 0 or np.any(churned[2:] != 0):
        return None
    if np.any(surv_w[3:] != 0):
        return None
    if surv_w.size > 2 and surv_w[2] != 0:
        return _two_periods(churned, surv_w)
    n1 = float(churned[0])
    # rest <= 0 only with left truncation: every late entrant cancelled in period 2
    rest = max(float(churned[1]) + (float(surv_w[1]) if surv_w.size > 1 else 0.0), 0.0)
    if n1 + rest <= 0.0:
        # only late entrants, all cancelling in period 2: P(T = 1) is not seen at all
        # (reported as 1/2); the supremum is still the limit c -> infinity
        p = 0.5
        ident = (
            "nothing else is identified (nobody was observed at the first renewal "
            "decision; alpha/(alpha+beta) is reported as 1/2)"
        )
    else:
        p = n1 / (n1 + rest)
        ident = (
            f"only the first-period churn probability alpha/(alpha+beta) = {p:.6g} is "
            "identified, not alpha and beta"
        )
    alpha, beta = (p, 1.0 - p) if 0.0 < p < 1.0 else (TINY_SHAPE, 1.0)
    if p >= 1.0:
        alpha, beta = geometric_limit_shapes(1.0)
    # S(2) / S(1) below e^-50 (about 2e-22): P(T = 2) = S(1) to rounding
    c = max(C_BOX[1], 50.0 / (alpha * math.log(2.0)))
    message = (
        "c -> infinity: every customer who renewed once cancelled at the next renewal "
        "decision (period 2) and nobody was observed beyond it, so in the limit nobody "
        f"renews a second time (S(t) = 0 for t >= 2); {ident}"
        + (" (reported with alpha + beta = 1)" if 0.0 < p < 1.0 and n1 > 0.0 else "")
        + "; observe later periods to estimate more."
    )
    return np.array([alpha, beta, c]), names, message


def _two_periods(churned: _F, surv_w: _F) -> tuple[_F, tuple[str, ...], str] | None:
    """The BdW on data that end after two renewal decisions: a ridge of exact fits.

    With :math:`n_1, n_2` cancellations in periods 1, 2 and weights :math:`w_1, w_2`
    on :math:`\\log S(1), \\log S(2)`, the likelihood is at most that of the saturated
    model with hazards :math:`h_1 = n_1/(n_1+n_2+w_1+w_2)` and :math:`h_2 = n_2/(n_2+w_2)`
    (the Kaplan-Meier hazards), and every BdW with :math:`\\alpha/(\\alpha+\\beta) = h_1`
    reaches it with its own c (:math:`S(2)/S(1)` falls from 1 to 0 as c runs from 0 to
    infinity). The representative reported is the one without heterogeneity, the
    discrete Weibull :math:`(1-h_1)^{t^c}` with
    :math:`(1-h_1)^{2^c-1} = 1-h_2`, i.e. :math:`c = \\log_2(1 + \\log(1-h_2)/\\log(1-h_1))`.
    None when a hazard is 0 or 1 (other limits; the search decides).
    """
    n1, n2 = float(churned[0]), float(churned[1])
    w1, w2 = float(surv_w[1]), float(surv_w[2])
    at_risk_1, at_risk_2 = n1 + n2 + w1 + w2, n2 + w2
    if not (0.0 < n1 < at_risk_1 and 0.0 < n2 < at_risk_2):
        return None
    h1, h2 = n1 / at_risk_1, n2 / at_risk_2
    c = math.log2(1.0 + math.log1p(-h2) / math.log1p(-h1))
    if not C_BOX[0] <= c <= C_BOX[1]:  # pragma: no cover - hazards of whole counts
        return None
    a, b = geometric_limit_shapes(h1)
    message = (
        "the data end after two renewal decisions (nobody was observed at risk of a "
        "third), which identify two numbers, the churn probability of the first period "
        f"({h1:.6g}) and the retention of the second ({1.0 - h2:.6g}); the BdW's three "
        "parameters are not identified: every alpha, beta with alpha/(alpha+beta) = "
        f"{h1:.6g} fits them exactly with its own c, so heterogeneity and duration "
        "dependence cannot be told apart. Reported: the limit without heterogeneity, "
        f"alpha, beta -> infinity, the discrete Weibull lifetime S(t) = (1 - {h1:.6g})"
        f"^(t^c) with c = {c:.6g}; observe a third period to separate the two."
    )
    return np.array([a, b, c]), ("alpha", "beta", "c"), message
