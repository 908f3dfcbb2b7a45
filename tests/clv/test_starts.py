"""Method-of-moments starts (crmkit.clv._starts) and fits from extreme starts.

The moment equations are checked on exact expected data (weights equal to the model's
probabilities), where they must return the generating parameters; the fits from
extreme starts must reach the published optimum or raise ConvergenceError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import special, stats

from crmkit.clv import BetaGeoBetaBinom, GammaGamma, ShiftedBetaGeometric
from crmkit.clv._starts import (
    better_start,
    bgbb_moment_start,
    gamma_gamma_moment_start,
    nbd_moment_start,
    sbg_moment_start,
)
from crmkit.datasets import load_cdnow_summary, load_donations

REF = Path(__file__).resolve().parents[1] / "reference"


def _ref(name: str) -> dict[str, Any]:
    return dict(json.loads((REF / name).read_text()))


# ------------------------------------------------------------ moment equations
def test_nbd_mean_and_zeros_recovers_exact_nbd() -> None:
    # counts over T = 10 with weights = NBD pmf (r = 0.7, alpha = 3): Ehrenberg's
    # equations hold exactly, so the bisection returns the generating values
    r, alpha, T = 0.7, 3.0, 10.0
    x = np.arange(0, 4000, dtype=float)
    w = stats.nbinom.pmf(x, r, alpha / (alpha + T))
    got_r, got_alpha = nbd_moment_start(x, np.full(x.size, T), w)
    assert got_r == pytest.approx(r, rel=1e-9)
    assert got_alpha == pytest.approx(alpha, rel=1e-9)


def test_nbd_start_without_overdispersion_falls_back_to_r_one() -> None:
    x = np.array([1.0, 2.0, 3.0])  # no zeros at all
    r, alpha = nbd_moment_start(x, np.full(3, 10.0), np.ones(3))
    assert r == 1.0
    assert alpha == pytest.approx(10.0 / 2.0)  # 1 / (purchase rate 0.2)


def test_beta_binomial_moments_recover_exact_beta_binomial() -> None:
    a, b, n = 1.3, 2.2, 6
    x = np.arange(n + 1, dtype=float)
    w = stats.betabinom.pmf(x, n, a, b)
    start = bgbb_moment_start(x, np.full(x.size, float(n)), w)
    assert start[:2] == pytest.approx([a, b], rel=1e-12)
    assert start[2:].tolist() == [1.0, 1.0]


def test_sbg_start_solves_the_first_two_retention_rates() -> None:
    # exact expected survivors S(t) = B(a, b + t) / B(a, b) of a cohort of 1000
    a, b = 0.704, 1.182
    t = np.arange(0, 8)
    surv = 1000.0 * np.exp(special.betaln(a, b + t) - special.betaln(a, b))
    churned = -np.diff(surv)
    censored = np.zeros(8)
    censored[7] = surv[-1]
    assert sbg_moment_start(churned, censored) == pytest.approx([a, b], rel=1e-12)


def test_sbg_start_without_rising_retention_is_the_scale() -> None:
    churned = np.array([100.0, 90.0])  # retention 0.9 then 0.9: geometric
    censored = np.array([0.0, 0.0, 810.0])
    assert sbg_moment_start(churned, censored).tolist() == [1.0, 1.0]


def test_gamma_gamma_start_matches_mean_spend() -> None:
    zbar = np.array([10.0, 20.0, 30.0, 40.0])
    p, q, v = gamma_gamma_moment_start(zbar, np.ones(4))
    assert p * v / (q - 1.0) == pytest.approx(25.0)  # E[zbar] = p v / (q - 1)
    assert p == pytest.approx(25.0**2 / 125.0)  # mean^2 / variance


def test_better_start_skips_non_finite_candidates() -> None:
    def ll(t: np.ndarray) -> float:
        return -np.inf if t[0] > 5 else -float(t[0])

    assert better_start(ll, [np.array([9.0]), np.array([2.0]), np.array([1.0])]).tolist() == [1.0]


# ------------------------------------------------- extreme starts reach the optimum
EXTREME = [1e6, 1e-6]


@pytest.mark.parametrize("value", EXTREME)
def test_gamma_gamma_extreme_start_reaches_published_optimum(value: float) -> None:
    ref = _ref("clv_gammagamma_fhl2005.json")
    tol = ref["tolerance"]["params_abs_rounded_input"]
    # (an honest ConvergenceError would be acceptable; today every start reaches it)
    fit = GammaGamma.fit(load_cdnow_summary(), x0=[value] * 3)
    assert fit.converged
    for name, pub in ref["params"].items():
        assert fit.params[name] == pytest.approx(pub, abs=tol)


@pytest.mark.parametrize("value", EXTREME)
def test_bgbb_extreme_start_reaches_published_optimum(value: float) -> None:
    ref = _ref("clv_bgbb_fhs2010.json")
    fit = BetaGeoBetaBinom.fit(load_donations(), x0=[value] * 4)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(
        ref["log_likelihood"], abs=ref["tolerance"]["log_likelihood_abs"]
    )
    for name, pub in ref["params"].items():
        assert fit.params[name] == pytest.approx(pub, abs=ref["tolerance"]["params_abs"])


@pytest.mark.parametrize("value", EXTREME)
@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_sbg_extreme_start_reaches_published_optimum(value: float, cohort: str) -> None:
    ref = _ref("clv_sbg_fh2007.json")
    surv = ref["inputs"][cohort][:8]  # years 0-7, as in FH 2007
    fit = ShiftedBetaGeometric.fit(surv, x0=[value] * 2)
    assert fit.converged
    for name, pub in ref["params"][cohort].items():
        assert fit.params[name] == pytest.approx(pub, abs=ref["tolerance"]["params_abs"])


def test_default_starts_reach_published_optima() -> None:
    donations = load_donations()
    fit = BetaGeoBetaBinom.fit(donations)
    assert fit.converged
    ref = _ref("clv_bgbb_fhs2010.json")
    for name, pub in ref["params"].items():
        assert fit.params[name] == pytest.approx(pub, abs=ref["tolerance"]["params_abs"])
