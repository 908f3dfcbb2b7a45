"""Limits of the CLV model families at the edge of their parameter space.

Maximum likelihood can put a family's estimate at the edge of its parameter space: the
likelihood keeps rising as some parameters run to 0 or infinity, and the model then
approaches a simpler *limit model*. :func:`crmkit.clv._base.maximize_log_likelihood`
stops such fits at a search box on the log-parameters; the handlers here name the limit
that was reached, say what it means, and move the parameters far enough along the limit
that predictions equal the limit model's.

The limits (derived from the mixing distributions):

- Pareto/NBD, :math:`\\mu \\sim \\text{Gamma}(s, \\beta)`: :math:`s \\to 0` or
  :math:`\\beta \\to \\infty` sends every dropout rate to 0, so nobody drops out and the
  model is the NBD (Ehrenberg 1959) with :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)`.
  The reported point is :math:`s = 10^{-15}`, where P(alive) differs from 1 by about
  :math:`10^{-15}\\log(1 + T/\\beta)`.
- GG/NBD, :math:`S(y) = (\\beta / (\\beta - 1 + e^{by}))^s`: :math:`b \\to 0` with
  :math:`\\beta/b = \\beta_P` fixed gives :math:`S(y) \\to (\\beta_P/(\\beta_P + y))^s`,
  the Pareto/NBD (Bemmaor & Glady 2012). The reported point scales *b* and
  :math:`\\beta` down together by :data:`GG_PARETO_FACTOR` (ratio held), where the
  survival differs from the Pareto limit by about :math:`b y / 2` relative; *b* is held
  and :math:`\\beta` free, so the polish still fits :math:`\\beta_P`.
- BG/NBD and MBG/NBD, :math:`p \\sim \\text{Beta}(a, b)`: :math:`a \\to 0` (or
  :math:`b \\to \\infty` alone) puts all mass at :math:`p = 0`: no dropout, the NBD
  again (reported at :math:`a = 10^{-15}`). :math:`a, b \\to \\infty` with
  :math:`a/(a+b)` fixed makes the dropout probability the same number *p* for everyone
  (reported at :math:`a + b =` :data:`LIMIT_SUM`, ``a`` held and ``b`` free so that the
  polish still fits *p*).
- Any family's gamma-distributed rate with shape and rate both to infinity (ratio
  fixed) is a single rate for everyone (e.g. Poisson purchasing with
  :math:`\\lambda = r/\\alpha`; in Gamma-Gamma :math:`q, v \\to \\infty` gives one
  spend rate :math:`\\nu = q/v`, so every customer's expected spend per transaction is
  :math:`p v / q` whatever their own average).
- BG/BB: :math:`\\alpha, \\beta \\to \\infty` is one transaction probability, and
  :math:`\\gamma, \\delta \\to \\infty` one dropout probability, for everyone.
- sBG: :math:`\\alpha, \\beta \\to \\infty` is one churn probability
  :math:`\\theta = \\alpha/(\\alpha+\\beta)` for everyone: the geometric lifetime, with
  constant retention :math:`1 - \\theta`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from crmkit.clv._base import BoundaryHandler, BoundaryOutcome, Optimum
from crmkit.exceptions import BoundaryWarning

__all__ = [
    "GG_PARETO_FACTOR",
    "LIMIT_SUM",
    "LOW_FACTOR",
    "TINY_SHAPE",
    "UP_FACTOR",
    "beta_geo_boundary",
    "bgbb_boundary",
    "first_period_message",
    "first_period_share",
    "gamma_gamma_boundary",
    "geometric_limit_shapes",
    "ggnbd_boundary",
    "limit_optimum",
    "pareto_boundary",
    "sbg_boundary",
    "search_box",
]

Arr = NDArray[np.float64]
Mask = NDArray[np.bool_]

LOW_FACTOR = 1e-6
"""Lower end of the search box, relative to the data-scaled default start."""
UP_FACTOR = 1e8
"""Upper end of the search box, relative to the data-scaled default start."""
TINY_SHAPE = 1e-15
"""Value reported for a shape parameter whose limit is 0 (the limit model within 1e-14)."""
LIMIT_SUM = 1e14
"""Sum of a beta pair's shapes reported when both run to infinity (ratio fixed).

The beta distribution then has variance below ``1 / (4 LIMIT_SUM)``; predictions over
``t`` periods differ from the one-probability limit by about ``t / LIMIT_SUM``
relative (1e-10 for t = 1e4)."""


def search_box(default_start: Sequence[float] | Arr) -> Arr:
    """The box ``[1e-6 d, 1e8 d]`` around data-scaled default starts ``d`` (shape (k, 2))."""
    d = np.asarray(default_start, dtype=np.float64)
    return np.column_stack([d * LOW_FACTOR, d * UP_FACTOR])


class _Report:
    """Accumulates the pieces of a boundary report."""

    def __init__(self, names: Sequence[str], theta: Arr) -> None:
        self.names = list(names)
        self.theta = theta.copy()
        self.hold: list[int] = []
        self.at: list[str] = []
        self.parts: list[str] = []

    def add(self, hold: Sequence[str], at: Sequence[str], text: str) -> None:
        for n in hold:
            i = self.names.index(n)
            if i not in self.hold:
                self.hold.append(i)
        for n in at:
            if n not in self.at:
                self.at.append(n)
        self.parts.append(text)

    def generic(self, at_lo: Mask, at_hi: Mask, family: str) -> None:
        for i, n in enumerate(self.names):
            if (at_lo[i] or at_hi[i]) and n not in self.at:
                side = "0" if at_lo[i] else "infinity"
                self.add(
                    [n], [n], f"{n} -> {side} (the {family} likelihood rises towards that edge)"
                )

    def outcome(self) -> BoundaryOutcome:
        ordered = tuple(n for n in self.names if n in self.at)
        return BoundaryOutcome(
            params=self.theta,
            hold=tuple(sorted(self.hold)),
            names=ordered,
            message="; ".join(self.parts) + ".",
        )


def _both_large(theta: Arr, d: Arr, i: int, j: int, at_hi: Mask) -> bool:
    """Whether the pair (i, j) runs to infinity together (ratio fixed), not j alone.

    ``j`` reaching the top of the box with ``i`` far above its start (100 times) is the
    ridge on which both grow with their ratio fixed; ``j`` alone large with ``i`` of the
    order of its start is the limit ``i / (i + j) -> 0``.
    """
    return bool(at_hi[i] or (at_hi[j] and theta[i] > 100.0 * d[i]))


def _homogeneous_rate(rep: _Report, shape: str, rate: str, what: str) -> None:
    i, j = rep.names.index(shape), rep.names.index(rate)
    value = rep.theta[i] / rep.theta[j]
    rep.add(
        [shape],
        [shape, rate],
        f"{shape}, {rate} -> infinity with {shape}/{rate} = {value:.6g}: every customer has "
        f"the same {what} ({value:.6g} per period)",
    )


def pareto_boundary(default_start: Sequence[float] | Arr) -> BoundaryHandler:
    """Limits of the Pareto/NBD ``(r, alpha, s, beta)``."""
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("r", "alpha", "s", "beta"), theta)
        if _both_large(theta, d, 2, 3, at_hi):
            _homogeneous_rate(rep, "s", "beta", "dropout rate mu")
        elif at_lo[2] or at_hi[3]:
            rep.theta[2] = TINY_SHAPE
            if at_hi[3]:
                rep.theta[3] = d[3]
            rep.add(
                ["s", "beta"],
                ["s", "beta"],
                "s -> 0 / beta -> infinity: no dropout is visible in these data, the "
                "dropout rate is 0 for everyone; the model is the NBD without dropout "
                "(P(alive) is 1 for everyone, purchases follow the NBD with r, alpha)",
            )
        if _both_large(theta, d, 0, 1, at_hi):
            _homogeneous_rate(rep, "r", "alpha", "purchase rate lambda (Poisson purchasing)")
        rep.generic(at_lo, at_hi, "Pareto/NBD")
        return rep.outcome()

    return handler


GG_PARETO_FACTOR = 1e-8
"""Factor by which a GG/NBD fit at its Pareto/NBD limit scales b and beta down together."""


def ggnbd_boundary(default_start: Sequence[float] | Arr) -> BoundaryHandler:
    """Limits of the GG/NBD ``(r, alpha, b, s, beta)``."""
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("r", "alpha", "b", "s", "beta"), theta)
        if at_lo[3] or at_hi[4]:
            # s -> 0 or beta -> infinity: S(y) -> 1 whatever b, so b is not identified
            rep.theta[3] = TINY_SHAPE
            if at_hi[4]:
                rep.theta[4] = d[4]
            rep.add(
                ["b", "s", "beta"],
                ["b", "s", "beta"],
                "s -> 0 / beta -> infinity: no dropout is visible in these data; the model "
                "is the NBD without dropout (P(alive) is 1 for everyone, purchases follow "
                "the NBD with r, alpha; b is not identified)",
            )
        elif at_lo[2] or at_lo[4]:
            beta_p = theta[4] / theta[2]
            rep.theta[2] = theta[2] * GG_PARETO_FACTOR
            rep.theta[4] = theta[4] * GG_PARETO_FACTOR
            rep.add(
                ["b"],
                ["b", "beta"],
                f"b -> 0 with beta/b = {beta_p:.6g}: the Gompertz lifetime's hazard no longer "
                "changes with time, so the lifetime is the Pareto (exponential-gamma) one and "
                f"the model is the Pareto/NBD with r, alpha, s and beta = {beta_p:.6g} "
                "(fit ParetoNBD for its standard errors)",
            )
        if _both_large(theta, d, 0, 1, at_hi):
            _homogeneous_rate(rep, "r", "alpha", "purchase rate lambda (Poisson purchasing)")
        rep.generic(at_lo, at_hi, "GG/NBD")
        return rep.outcome()

    return handler


def beta_geo_boundary(default_start: Sequence[float] | Arr, family: str) -> BoundaryHandler:
    """Limits of the BG/NBD and MBG/NBD ``(r, alpha, a, b)``."""
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("r", "alpha", "a", "b"), theta)
        if _both_large(theta, d, 2, 3, at_hi):
            p = _to_one_probability(rep, 2, 3)
            rep.add(
                ["a"],
                ["a", "b"],
                f"a, b -> infinity with a/(a+b) = {p:.6g}: every customer has the same "
                f"dropout probability p = {p:.6g}; the model is the {family} with a fixed p "
                "(no heterogeneity in dropout)",
            )
        elif at_lo[2] or at_hi[3]:
            rep.theta[2] = TINY_SHAPE
            if at_hi[3]:
                rep.theta[3] = d[3]
            rep.add(
                ["a", "b"],
                ["a", "b"],
                "a -> 0 / b -> infinity: no dropout is visible in these data, the dropout "
                "probability is 0 for everyone; the model is the NBD without dropout "
                "(P(alive) is 1 for everyone"
                + (" with a repeat purchase" if family == "MBG/NBD" else "")
                + ", purchases follow the NBD with r, alpha)",
            )
        if _both_large(theta, d, 0, 1, at_hi):
            _homogeneous_rate(rep, "r", "alpha", "purchase rate lambda (Poisson purchasing)")
        rep.generic(at_lo, at_hi, family)
        return rep.outcome()

    return handler


def gamma_gamma_boundary(
    default_start: Sequence[float] | Arr = (1.0, 3.0, 1.0),
) -> BoundaryHandler:
    """Limits of Gamma-Gamma ``(p, q, v)``; ``default_start`` anchors the search box."""
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("p", "q", "v"), theta)
        if _both_large(theta, d, 1, 2, at_hi):
            p, q, v = theta
            nu = q / v
            # far enough along the ridge that q / (q - 1) and (p x + q) / q are 1 to
            # within x p / LIMIT_SUM; v stays free so the polish fits the spend rate
            rep.theta[1], rep.theta[2] = LIMIT_SUM, LIMIT_SUM / nu
            rep.add(
                ["q"],
                ["q", "v"],
                f"q, v -> infinity with q/v = {nu:.6g}: every customer has the same spend "
                f"rate nu = {nu:.6g}, so spend per transaction is Gamma(p, nu) for everyone "
                f"and the expected spend of every customer is the population mean p / nu = "
                f"{p / nu:.6g}, whatever their own average",
            )
        if at_hi[0]:
            rep.add(
                ["p"],
                ["p", "v"],
                "p -> infinity: each customer's transactions all have the same value (no "
                "variation within a customer)",
            )
        rep.generic(at_lo, at_hi, "Gamma-Gamma")
        return rep.outcome()

    return handler


def _to_one_probability(rep: _Report, i: int, j: int) -> float:
    """Move a beta pair ``(i, j)`` along its ratio to ``i + j = LIMIT_SUM``; hold ``i``.

    The other shape stays free, so the polish that follows still fits the common
    probability ``theta_i / (theta_i + theta_j)``.
    """
    prob = float(rep.theta[i] / (rep.theta[i] + rep.theta[j]))
    rep.theta[i] = prob * LIMIT_SUM
    rep.theta[j] = (1.0 - prob) * LIMIT_SUM
    return prob


def bgbb_boundary(default_start: Sequence[float] | Arr = (1.0, 1.0, 1.0, 1.0)) -> BoundaryHandler:
    """Limits of the BG/BB ``(alpha, beta, gamma, delta)``; ``default_start`` anchors the box."""
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("alpha", "beta", "gamma", "delta"), theta)
        if _both_large(theta, d, 0, 1, at_hi):
            p = _to_one_probability(rep, 0, 1)
            rep.add(
                ["alpha"],
                ["alpha", "beta"],
                f"alpha, beta -> infinity with alpha/(alpha+beta) = {p:.6g}: every customer "
                f"has the same transaction probability p = {p:.6g} per opportunity",
            )
        if _both_large(theta, d, 2, 3, at_hi):
            th = _to_one_probability(rep, 2, 3)
            rep.add(
                ["gamma"],
                ["gamma", "delta"],
                f"gamma, delta -> infinity with gamma/(gamma+delta) = {th:.6g}: every customer "
                f"has the same dropout probability theta = {th:.6g} per opportunity",
            )
        elif at_lo[2] or at_hi[3]:
            rep.theta[2] = TINY_SHAPE
            if at_hi[3]:
                rep.theta[3] = d[3]
            rep.add(
                ["gamma", "delta"],
                ["gamma", "delta"],
                "gamma -> 0 / delta -> infinity: no dropout is visible in these data "
                "(P(alive) is 1 for everyone)",
            )
        rep.generic(at_lo, at_hi, "BG/BB")
        return rep.outcome()

    return handler


def sbg_boundary(
    default_start: Sequence[float] | Arr = (1.0, 1.0), geometric_theta: float | None = None
) -> BoundaryHandler:
    """Limits of the shifted-beta-geometric ``(alpha, beta)``.

    ``default_start`` is the data-scaled start the search box is built around;
    ``geometric_theta`` the maximum-likelihood churn probability of the limit model (the
    geometric lifetime), known in closed form. On the geometric limit the likelihood
    changes with the churn probability by less than its rounding error within about
    1e-8 of the maximum, so the closed form is reported instead of the optimiser's ratio.
    """
    d = np.asarray(default_start, dtype=np.float64)

    def handler(theta: Arr, at_lo: Mask, at_hi: Mask) -> BoundaryOutcome:
        rep = _Report(("alpha", "beta"), theta)
        if _both_large(theta, d, 0, 1, at_hi):
            if geometric_theta is not None and 0.0 < geometric_theta < 1.0:
                rep.theta[0], rep.theta[1] = geometric_theta, 1.0 - geometric_theta
            th = _to_one_probability(rep, 0, 1)
            rep.add(
                ["alpha", "beta"],
                ["alpha", "beta"],
                f"alpha, beta -> infinity with alpha/(alpha+beta) = {th:.6g}: every customer "
                f"has the same churn probability theta = {th:.6g} per period; the lifetime "
                f"is geometric, with constant retention rate 1 - theta = {1.0 - th:.6g} and "
                f"expected lifetime 1/theta = {1.0 / th:,.4g} periods at every tenure (an "
                "extrapolation where that exceeds the longest tenure observed); "
                "predictions equal those of "
                f"clv.ShiftedGeometric(theta={th:.6g}), whose fit gives theta a standard "
                "error",
            )
        elif at_lo[0] or at_hi[1]:
            rep.add(
                ["alpha", "beta"],
                ["alpha", "beta"],
                "alpha -> 0 / beta -> infinity: nobody churns in these data (retention 1)",
            )
        rep.generic(at_lo, at_hi, "sBG")
        return rep.outcome()

    return handler


def first_period_share(churned: Arr, surv_w: Arr) -> float | None:
    """The churn share of the first period when the data say nothing about later periods.

    ``churned[t-1]`` customers cancelled in period t; ``surv_w[k]`` is the weight of
    ``log S(k)``. When nobody cancelled after period 1 and no weight rests on ``S(k)``,
    k >= 2 (nobody was observed at risk of a second renewal), every contractual model's
    log-likelihood is :math:`n_1 \\log P(T=1) + w_1 \\log S(1)`: it depends on the
    parameters only through the first-period churn probability, whose estimate
    :math:`n_1/(n_1 + w_1)` is returned. None when later periods carry information or
    nobody churned (the "nobody churns" limit).

    Examples
    --------
    >>> first_period_share(np.array([5.0]), np.array([0.0, 5.0]))  # the cohort [10, 5]
    0.5
    >>> first_period_share(np.array([5.0, 2.0]), np.array([0.0, 0.0, 3.0])) is None
    True
    """
    if np.any(churned[1:] != 0) or np.any(surv_w[2:] != 0):
        return None
    n1 = float(churned[0]) if churned.size else 0.0
    w1 = float(surv_w[1]) if surv_w.size > 1 else 0.0
    if n1 <= 0.0 or n1 + w1 <= 0.0:
        return None
    return min(n1 / (n1 + w1), 1.0)


def first_period_message(share: float, family: str) -> str:
    """Words of the "only the first renewal decision is observed" limit."""
    if share >= 1.0:
        what = (
            "every renewal decision observed was a cancellation: every customer "
            "cancelled in the first period and nobody was observed at risk of a later "
            "renewal, so the churn probability is 1 (theta = 1 for everyone) and nothing "
            "about later periods is identified"
        )
    else:
        what = (
            "nobody was observed at risk of a second renewal decision, so only the "
            f"first-period churn probability alpha/(alpha+beta) = {share:.6g} is "
            "identified, not how it varies across customers or with tenure; every "
            "alpha, beta with that ratio fits equally well"
        )
    extra = "; c is not identified and is held at 1 (the sBG)" if family == "BdW" else ""
    return (
        f"{what}{extra}. Reported: the geometric limit alpha, beta -> infinity with "
        f"alpha/(alpha+beta) = {share:.6g} (one churn probability for everyone), whose "
        f"predictions equal those of clv.ShiftedGeometric(theta={share:.6g}), the model "
        "these data identify; observe a later renewal period to estimate more."
    )


def geometric_limit_shapes(theta: float) -> tuple[float, float]:
    """``(alpha, beta)`` of a beta pair reported at its one-probability limit ``theta``.

    ``alpha + beta =`` :data:`LIMIT_SUM` with ``alpha / (alpha + beta) = theta``; for
    ``theta`` within 1e-14 of 1 (everyone churns) ``beta`` stays at 1, so the mean is
    ``1 - 1e-14``.

    Examples
    --------
    >>> geometric_limit_shapes(0.25)
    (25000000000000.0, 75000000000000.0)
    >>> geometric_limit_shapes(1.0)
    (100000000000000.0, 1.0)
    """
    return theta * LIMIT_SUM, max((1.0 - theta) * LIMIT_SUM, 1.0)


def limit_optimum(
    log_likelihood: Callable[[Arr], float],
    params: Arr,
    *,
    names: Sequence[str],
    at: Sequence[str],
    message: str,
    family: str,
) -> Optimum:
    """The fit result of a limit that the data identify in closed form, with its warning.

    Used when the counts alone show that the likelihood's supremum is a limit of the
    parameter space (e.g. only the first renewal decision is observed): no search is
    run, the limit model is reported at ``params`` with the log-likelihood there, the
    standard errors of ``at`` are infinite and a
    :class:`~crmkit.exceptions.BoundaryWarning` states the limit.
    """
    value = float(log_likelihood(params))
    if not math.isfinite(value):  # pragma: no cover - the callers' limits are finite
        raise ValueError(f"the {family} limit model has log-likelihood {value}")
    k = len(names)
    cov = np.full((k, k), np.nan)
    for n in at:
        i = list(names).index(n)
        cov[i, i] = np.inf
    warnings.warn(
        f"{family} fit ended at the edge of the parameter space: {message} Standard "
        f"errors of {', '.join(at)} are infinite (the likelihood is highest in the limit "
        "or flat along these directions, so it has no curvature there).",
        BoundaryWarning,
        stacklevel=3,
    )
    return Optimum(
        params=np.asarray(params, dtype=np.float64),
        log_likelihood=value,
        covariance=cov,
        converged=True,
        iterations=0,
        message="limit identified from the counts: " + message,
        result=None,
        at_boundary=tuple(n for n in names if n in at),
    )
