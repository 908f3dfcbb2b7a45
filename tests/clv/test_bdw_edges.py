"""Degenerate survivor tables: the sBG and BdW fits end at once at a named limit.

Outside numbers: the suprema of the log-likelihood in closed form (multinomial and
Kaplan-Meier hazards), and the BdW survival of Fader, Hardie, Liu, Davin & Steenburgh
(2018, eq. 5), :math:`S(t) = B(\\alpha, \\beta + t^c) / B(\\alpha, \\beta)`, in mpmath at two
precisions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import BetaDiscreteWeibull, ShiftedBetaGeometric, ShiftedGeometric
from crmkit.clv._bdw_numerics import LOG_FAR, log_churn_and_survival, log_churn_and_survival_grad
from crmkit.exceptions import BoundaryWarning, CrmkitWarning

Fit = Any


def _fit(family: Any, data: Any, **options: Any) -> tuple[Fit, list[warnings.WarningMessage]]:
    """Fit with every warning recorded (none may escape, none is lost)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = family.fit(data, strict=False, **options)
    return fit, list(caught)


def _only_crmkit(caught: list[warnings.WarningMessage]) -> None:
    other = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert all(issubclass(w.category, CrmkitWarning) for w in caught), other


def _boundary_text(caught: list[warnings.WarningMessage]) -> str:
    texts = [str(w.message) for w in caught if issubclass(w.category, BoundaryWarning)]
    assert len(texts) == 1, [str(w.message) for w in caught]
    return texts[0]


def _rows(survivors: list[int]) -> pd.DataFrame:
    """One row per customer of a cohort (tenure in completed periods)."""
    k = len(survivors) - 1
    tenure = [t for t in range(1, k + 1) for _ in range(survivors[t - 1] - survivors[t])]
    churned = [True] * len(tenure) + [False] * survivors[-1]
    return pd.DataFrame({"tenure": tenure + [k] * survivors[-1], "churned": churned})


def _finite(fit: Fit) -> None:
    assert math.isfinite(fit.log_likelihood)
    assert all(math.isfinite(v) for v in fit.params.values())


# -- only the first renewal decision is observed --------------------------------------


@pytest.mark.parametrize("family", [ShiftedBetaGeometric, BetaDiscreteWeibull])
@pytest.mark.parametrize("shape", ["cohort", "rows"])
def test_first_period_only_reports_the_geometric_limit(family: Any, shape: str) -> None:
    data: Any = [10, 5] if shape == "cohort" else _rows([10, 5])
    options = {} if shape == "cohort" else {"tenure_counts": "completed"}
    fit, caught = _fit(family, data, **options)
    _only_crmkit(caught)
    text = _boundary_text(caught)
    assert "only the first-period churn probability alpha/(alpha+beta) = 0.5" in text
    assert "ShiftedGeometric(theta=0.5)" in text
    assert fit.converged
    assert set(fit.at_boundary) == set(fit.params)  # nothing else is identified
    assert np.all(np.isinf(np.diag(fit.covariance)))
    # the supremum: 5 log 0.5 + 5 log 0.5 (a binomial share of 1/2)
    assert fit.log_likelihood == pytest.approx(10.0 * math.log(0.5), abs=1e-9)
    geo = ShiftedGeometric(theta=0.5)
    t = np.arange(1, 8)
    np.testing.assert_allclose(fit.model.survival(t), geo.survival(t), rtol=1e-10)


@pytest.mark.parametrize("family", [ShiftedBetaGeometric, BetaDiscreteWeibull])
@pytest.mark.parametrize("survivors", [[10, 0, 0], [2, 0]])
def test_everyone_churns_in_the_first_period(family: Any, survivors: list[int]) -> None:
    fit, caught = _fit(family, survivors)
    _only_crmkit(caught)
    assert "every customer cancelled in the first period" in _boundary_text(caught)
    assert fit.converged
    assert "alpha" in fit.at_boundary
    assert "beta" in fit.at_boundary
    _finite(fit)
    assert fit.log_likelihood == pytest.approx(0.0, abs=1e-9)  # the supremum, P(T=1) = 1
    assert float(fit.model.churn_probability(1)) == pytest.approx(1.0, abs=1e-12)


# -- BdW: c -> infinity ---------------------------------------------------------------


@pytest.mark.parametrize("shape", ["cohort", "rows"])
def test_nobody_renews_twice_is_the_c_infinity_limit(shape: str) -> None:
    data: Any = [10, 5, 0] if shape == "cohort" else _rows([10, 5, 0])
    options = {} if shape == "cohort" else {"tenure_counts": "completed"}
    fit, caught = _fit(BetaDiscreteWeibull, data, **options)
    _only_crmkit(caught)
    assert "c -> infinity" in _boundary_text(caught)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta", "c")
    _finite(fit)
    # P(T=2) <= S(1), so the log-likelihood is at most 5 log p + 5 log(1 - p), p = 1/2
    assert fit.log_likelihood == pytest.approx(10.0 * math.log(0.5), abs=1e-9)
    assert fit.model.churn_probability([1, 2]).tolist() == pytest.approx([0.5, 0.5], abs=1e-12)
    assert float(fit.model.survival(2)) < 1e-20
    # the sBG cannot do that: its best is the geometric limit, theta = 10 / 15
    sbg, caught = _fit(ShiftedBetaGeometric, data, **options)
    _only_crmkit(caught)
    assert sbg.log_likelihood == pytest.approx(10 * math.log(2 / 3) + 5 * math.log(1 / 3))
    assert fit.log_likelihood > sbg.log_likelihood


def test_nobody_churns_first_then_all_churn_in_period_two() -> None:
    fit, caught = _fit(BetaDiscreteWeibull, [10, 10, 0])
    _only_crmkit(caught)
    assert "c -> infinity" in _boundary_text(caught)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("rows", "limit"),
    [
        # a late entrant (renewed once before observation) cancels in period 2 and the
        # other customer in period 1: log P(T=1) + log(1 - S(2)/S(1)), supremum 0
        ({"tenure": [2, 1], "churned": [True, True], "entry": [1, 0]}, "c -> infinity"),
        # the late entrant renews again: log P(T=1) + log(S(2)/S(1)), supremum 0 at c -> 0
        ({"tenure": [1, 2], "churned": [True, False], "entry": [0, 1]}, "c -> 0"),
        # one late entrant who cancels in period 2: log(1 - S(2)/S(1)), supremum 0
        ({"tenure": [2], "churned": [True], "entry": [1]}, "c -> infinity"),
    ],
)
def test_left_truncated_pairs_end_at_their_limit(rows: dict[str, list[Any]], limit: str) -> None:
    fit, caught = _fit(
        BetaDiscreteWeibull, pd.DataFrame(rows), tenure_counts="completed", entry_col="entry"
    )
    _only_crmkit(caught)
    assert limit in _boundary_text(caught)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta", "c")
    assert fit.log_likelihood == pytest.approx(0.0, abs=1e-5)


# -- BdW: two renewal decisions identify two hazards ----------------------------------


@pytest.mark.parametrize("survivors", [[100, 60, 45], [100, 60, 30], [13, 9, 5]])
def test_two_periods_reach_the_saturated_likelihood(survivors: list[int]) -> None:
    n0, n1, n2 = survivors
    h1, h2 = (n0 - n1) / n0, (n1 - n2) / n1  # Kaplan-Meier hazards
    saturated = (n0 - n1) * math.log(h1) + n1 * math.log(1 - h1)
    saturated += (n1 - n2) * math.log(h2) + n2 * math.log(1 - h2)
    fit, caught = _fit(BetaDiscreteWeibull, survivors)
    _only_crmkit(caught)
    assert "not identified" in _boundary_text(caught)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta", "c")
    assert fit.log_likelihood == pytest.approx(saturated, abs=1e-8)
    assert fit.model.retention_rate([1, 2]).tolist() == pytest.approx([1 - h1, 1 - h2])


# -- the cohort [1000, 600, 1, 1, 1]: an interior maximum at large c ------------------


def _mp_log_survival(a: float, b: float, c: float, t: int) -> Any:
    if t == 0:
        return mpmath.mpf(0)
    x = mpmath.mpf(t) ** c
    return (
        mpmath.loggamma(b + x)
        - mpmath.loggamma(a + b + x)
        + mpmath.loggamma(a + b)
        - mpmath.loggamma(b)
    )


def _mp_loglik(a: float, b: float, c: float, survivors: list[int]) -> Any:
    total = mpmath.mpf(0)
    for t in range(1, len(survivors)):
        s0, s1 = _mp_log_survival(a, b, c, t - 1), _mp_log_survival(a, b, c, t)
        total += (survivors[t - 1] - survivors[t]) * (s0 + mpmath.log(1 - mpmath.exp(s1 - s0)))
    return total + survivors[-1] * _mp_log_survival(a, b, c, len(survivors) - 1)


def test_steep_cohort_converges_inside_and_beats_the_c_infinity_limit() -> None:
    survivors = [1000, 600, 1, 1, 1]
    fit, caught = _fit(BetaDiscreteWeibull, survivors)
    _only_crmkit(caught)
    assert fit.converged
    assert fit.at_boundary == ()
    a, b, c = fit.params["alpha"], fit.params["beta"], fit.params["c"]
    for dps in (90, 120):  # x = 4^c has about 45 digits
        with mpmath.workdps(dps):
            assert float(_mp_loglik(a, b, c, survivors)) == pytest.approx(
                fit.log_likelihood, abs=1e-8
            )
    with mpmath.workdps(90):
        best = _mp_loglik(a, b, c, survivors)
        for i in range(3):
            for sign in (-1.0, 1.0):
                moved = [a, b, c]
                moved[i] *= 1.0 + sign * 1e-3
                assert _mp_loglik(moved[0], moved[1], moved[2], survivors) < best
    # the c -> infinity limit S(t) = 0.6 t^-kappa: its supremum in closed form
    # (p = 0.4; 2^-kappa = 2/601 maximises 599 log(1 - 2^-kappa) - kappa log 4)
    kappa = math.log2(300.5)
    limit = 400 * math.log(0.4) + 600 * math.log(0.6)
    limit += 599 * math.log1p(-(2.0**-kappa)) - kappa * math.log(4.0)
    assert fit.log_likelihood > limit + 0.01


# -- numerics -----------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "c"), [(0.3, 0.5, 300.0), (0.2, 0.3, 41.0), (2.0, 3.0, 500.0)])
def test_log_survival_far_field_against_mpmath(a: float, b: float, c: float) -> None:
    t = np.array([1.0, 2.0, 3.0, 4.0])
    lp, ls = log_churn_and_survival(a, b, c, t)
    for dps in (400, 450):  # x = t^c has up to 300 digits
        with mpmath.workdps(dps):
            for i, ti in enumerate(t.astype(int)):
                s0, s1 = _mp_log_survival(a, b, c, ti - 1), _mp_log_survival(a, b, c, ti)
                p = s0 + mpmath.log(1 - mpmath.exp(s1 - s0))
                assert ls[i] == pytest.approx(float(s1), rel=1e-12)
                assert lp[i] == pytest.approx(float(p), rel=1e-12)


@pytest.mark.parametrize(("a", "b", "c"), [(0.2, 0.3, 41.0), (2.0, 3.0, 180.0), (0.2, 0.3, 400.0)])
def test_gradient_in_c_keeps_its_digits_for_huge_t_power_c(a: float, b: float, c: float) -> None:
    t = np.array([2.0, 3.0, 4.0])
    gp, gs = log_churn_and_survival_grad(a, b, c, t)
    with mpmath.workdps(400):
        for i, ti in enumerate(t.astype(int)):

            def log_s(cc: Any, ti: int = ti) -> Any:
                return _mp_log_survival(a, b, cc, ti)

            def log_p(cc: Any, ti: int = ti) -> Any:
                s0, s1 = _mp_log_survival(a, b, cc, ti - 1), _mp_log_survival(a, b, cc, ti)
                return s0 + mpmath.log(1 - mpmath.exp(s1 - s0))

            assert gs[2, i] == pytest.approx(float(mpmath.diff(log_s, mpmath.mpf(c))), rel=1e-8)
            assert gp[2, i] == pytest.approx(float(mpmath.diff(log_p, mpmath.mpf(c))), rel=1e-8)


def test_far_field_is_continuous_at_its_threshold() -> None:
    for t in (2.0, 4.0):
        c = LOG_FAR / math.log(t)
        below = log_churn_and_survival(0.3, 0.5, c * (1 - 1e-12), np.array([t, t + 1]))
        above = log_churn_and_survival(0.3, 0.5, c * (1 + 1e-12), np.array([t, t + 1]))
        np.testing.assert_allclose(below, above, rtol=1e-9)


# -- any small survivor table -------------------------------------------------------


@st.composite
def _survivor_tables(draw: Callable[..., Any]) -> list[int]:
    counts = [draw(st.integers(1, 50))]
    for _ in range(draw(st.integers(1, 4))):
        counts.append(draw(st.integers(0, counts[-1])))
    return counts


@settings(max_examples=40)  # three fits per example
@given(survivors=_survivor_tables())
def test_small_tables_fit_without_errors_and_nest(survivors: list[int]) -> None:
    lls = []
    for family in (ShiftedGeometric, ShiftedBetaGeometric, BetaDiscreteWeibull):
        fit, caught = _fit(family, survivors)
        _only_crmkit(caught)
        _finite(fit)
        lls.append(fit.log_likelihood)
    geometric, sbg, bdw = lls
    assert sbg >= geometric - 1e-6  # the geometric is the sBG's limit
    assert bdw >= sbg - 1e-6  # the sBG is the BdW with c = 1
