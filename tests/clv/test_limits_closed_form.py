"""Fits whose maximum is a limit model report that limit, with its closed-form predictions.

For each limit a data set is simulated (seeded) from the limit model itself; the fit
must end with a BoundaryWarning naming the limit, its parameters must be the limit
model's own maximum-likelihood estimate, and every public prediction of the fitted model
must equal the limit model's closed form, written here independently from the papers:

- sBG, alpha, beta -> infinity: the geometric lifetime (Fader & Hardie 2007, sec. 3:
  a single churn probability theta gives S(t) = (1 - theta)^t and constant retention
  1 - theta; Fader & Hardie 2010, eqs. 4 and 6 for DEL and DERL).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from crmkit.clv import ShiftedBetaGeometric
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
