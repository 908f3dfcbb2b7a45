"""Fits whose maximum is a limit model report that limit, with its closed-form predictions.

For each limit a data set is simulated (seeded) from the limit model itself; the fit
must end with a BoundaryWarning naming the limit, its parameters must be the limit
model's own maximum-likelihood estimate, and every public prediction of the fitted model
must equal the limit model's closed form, written here independently from the papers:

- sBG, alpha, beta -> infinity: the geometric lifetime (Fader & Hardie 2007, sec. 3:
  a single churn probability theta gives S(t) = (1 - theta)^t and constant retention
  1 - theta; Fader & Hardie 2010, eqs. 4 and 6 for DEL and DERL).
- Gamma-Gamma, q, v -> infinity with q/v = nu fixed: one spend rate nu for everyone
  (Colombo & Jiang 1999; Fader, Hardie & Lee 2005, sec. "spend"): every transaction is
  Gamma(p, nu), so the mean of x transactions is Gamma(p x, x nu) and every customer's
  expected spend is p / nu.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from crmkit.clv import GammaGamma, ShiftedBetaGeometric
from crmkit.exceptions import BoundaryWarning

TOL = 1e-8


# ---------------------------------------------------------------------------- sBG
def _geometric_cohort(n: int, theta: float, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    life = rng.geometric(theta, n)  # period of cancellation, 1, 2, ...
    return np.array([int((life > t).sum()) for t in range(k + 1)])


def _geometric_mle(survivors: np.ndarray) -> tuple[float, float]:
    """Churn probability MLE of the geometric lifetime and its log-likelihood (censored)."""
    k = survivors.size - 1
    churned = -np.diff(survivors)
    t = np.arange(1, k + 1)
    at_risk = float(churned @ t + k * survivors[-1])
    theta = churned.sum() / at_risk
    ll = churned.sum() * np.log(theta) + (at_risk - churned.sum()) * np.log1p(-theta)
    return float(theta), float(ll)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_sbg_on_geometric_data_reports_the_geometric_limit(seed: int) -> None:
    # one churn probability for everybody; before the limit was handled these fits
    # stopped on the flat ridge and raised ConvergenceError
    surv = _geometric_cohort(2000, 0.25, 8, seed)
    t0 = time.perf_counter()
    with pytest.warns(BoundaryWarning, match="same churn probability") as caught:
        fit = ShiftedBetaGeometric.fit(surv)
    assert time.perf_counter() - t0 < 20.0  # generous: well under a second
    assert len(caught) == 1
    assert "geometric" in str(caught[0].message)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta")
    assert np.isinf(fit.stderr["alpha"])
    assert np.isinf(fit.stderr["beta"])
    theta, ll = _geometric_mle(surv)
    m = fit.model
    assert m.alpha / (m.alpha + m.beta) == pytest.approx(theta, rel=1e-12)
    assert fit.log_likelihood == pytest.approx(ll, rel=TOL)
    _assert_sbg_is_geometric(m, theta)


def _assert_sbg_is_geometric(m: ShiftedBetaGeometric, theta: float) -> None:
    t = np.arange(0, 60)
    assert np.allclose(m.survival(t), (1.0 - theta) ** t, rtol=TOL, atol=0)
    t1 = t[1:]
    assert np.allclose(
        m.churn_probability(t1), theta * (1.0 - theta) ** (t1 - 1), rtol=TOL, atol=0
    )
    assert np.allclose(m.retention_rate(t1), 1.0 - theta, rtol=TOL, atol=0)
    for d in (0.01, 0.1, 1.0):
        # DEL = sum_t ((1 - theta)/(1 + d))^t; DERL starts one renewal later
        del_ = (1.0 + d) / (d + theta)
        assert m.discounted_expected_lifetime(d) == pytest.approx(del_, rel=TOL)
        derl = m.discounted_expected_residual_lifetime(d, [0, 3, 50])
        assert np.allclose(derl, (1.0 - theta) * del_, rtol=TOL, atol=0)
    # expected further renewals of a geometric lifetime: (1 - theta) / theta
    ern = m.expected_residual_lifetime([0, 3, 50])
    assert np.allclose(ern, (1.0 - theta) / theta, rtol=TOL, atol=0)


def test_sbg_interior_maximum_on_nearly_geometric_data_is_kept() -> None:
    # a sample from the geometric model can have a (barely) better interior maximum:
    # here at alpha + beta of about 4000, 1.3e-4 above the geometric log-likelihood
    surv = _geometric_cohort(2000, 0.25, 8, 11)
    fit = ShiftedBetaGeometric.fit(surv)
    assert fit.converged
    assert fit.at_boundary == ()
    assert fit.log_likelihood > _geometric_mle(surv)[1]


# ---------------------------------------------------------------------- Gamma-Gamma
def _one_spend_rate(n: int, p: float, nu: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, n).astype(float)
    zbar = rng.gamma(p * x, 1.0 / (x * nu))  # mean of x independent Gamma(p, nu) values
    return pd.DataFrame({"frequency": x, "monetary_value": zbar})


def _one_spend_rate_mle(x: np.ndarray, zbar: np.ndarray) -> tuple[float, float, float]:
    """(p, nu) maximising sum log Gamma(p x, x nu)-density(zbar), and the maximum."""

    def nu_of(p: float) -> float:  # d/dnu = 0
        return p * x.sum() / (x * zbar).sum()

    def score_p(p: float) -> float:
        return float(np.sum(x * (np.log(x * nu_of(p)) + np.log(zbar) - special.digamma(p * x))))

    p = optimize.brentq(score_p, 1e-3, 1e3, xtol=1e-15, rtol=1e-15)
    nu = nu_of(p)
    ll = np.sum(
        p * x * np.log(x * nu)
        + (p * x - 1) * np.log(zbar)
        - x * nu * zbar
        - special.gammaln(p * x)
    )
    return float(p), float(nu), float(ll)


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_gamma_gamma_with_one_spend_rate_reports_that_limit(seed: int) -> None:
    data = _one_spend_rate(3000, 3.0, 0.2, seed)
    with pytest.warns(BoundaryWarning, match="same spend rate") as caught:
        fit = GammaGamma.fit(data)
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("q", "v")
    assert np.isinf(fit.stderr["q"])
    assert np.isfinite(fit.stderr["p"])
    p, nu, ll = _one_spend_rate_mle(
        data["frequency"].to_numpy(), data["monetary_value"].to_numpy()
    )
    m = fit.model
    # the limit model's own MLE (analytic gradient: the polish reaches it to ~1e-10)
    assert m.p == pytest.approx(p, rel=1e-8)
    assert m.q / m.v == pytest.approx(nu, rel=1e-8)
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
    # predictions: p / nu for everyone, at the fitted model's own (p, nu)
    mean = m.p / (m.q / m.v)
    assert m.expected_spend() == pytest.approx(mean, rel=TOL)
    cond = m.conditional_expected_spend(data).to_numpy()
    assert np.allclose(cond, mean, rtol=TOL, atol=0)
    assert mean == pytest.approx(p / nu, rel=1e-8)
