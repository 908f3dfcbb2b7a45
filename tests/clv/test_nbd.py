"""The NBD model (no dropout): against scipy's negative binomial and on simulated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

from crmkit.clv import NBD
from crmkit.datasets import load_cdnow_summary


def test_cdnow_fit_matches_scipy_negative_binomial() -> None:
    # independent route: scipy's count pmf times the density x!/T^x of the purchase
    # times given their count, maximised by Nelder-Mead
    s = load_cdnow_summary()
    x, T = s["frequency"].to_numpy(), s["T"].to_numpy()

    def negll(z: np.ndarray) -> float:
        r, alpha = np.exp(z)
        rows = stats.nbinom.logpmf(x, r, alpha / (alpha + T)) + special.gammaln(x + 1)
        return -float(np.sum(rows - special.xlogy(x, T)))

    ref = optimize.minimize(
        negll,
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000},
    )
    fit = NBD.fit(s)
    assert fit.converged
    np.testing.assert_allclose(list(fit.params.values()), np.exp(ref.x), rtol=1e-5)
    assert fit.log_likelihood == pytest.approx(-ref.fun, abs=1e-6)
    assert fit.model.log_likelihood(s) == pytest.approx(fit.log_likelihood, abs=1e-9)


def test_predictions_are_the_gamma_poisson_ones() -> None:
    m = NBD(r=0.385, alpha=12.07)
    s = pd.DataFrame({"frequency": [0, 3], "recency": [0.0, 20.0], "T": [38.0, 30.0]})
    assert m.probability_alive(s, t=[0.0, 100.0]).to_numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # posterior Gamma(r + x, alpha + T): mean rate (r + x) / (alpha + T)
    np.testing.assert_allclose(
        m.conditional_expected_purchases(s, t=52).to_numpy(),
        [(0.385 + 0) * 52 / (12.07 + 38), (0.385 + 3) * 52 / (12.07 + 30)],
    )
    np.testing.assert_allclose(m.expected_purchases([0, 39]), [0, 0.385 * 39 / 12.07])
    k = np.arange(10)
    np.testing.assert_allclose(
        m.probability_of_purchases(k, 39),
        stats.nbinom.pmf(k, 0.385, 12.07 / (12.07 + 39)),
        rtol=1e-12,
    )
    # no purchase in (T, T + t]: negative binomial zero class of the posterior
    np.testing.assert_allclose(
        m.probability_no_purchase(s, t=10).to_numpy(),
        [(50.07 / 60.07) ** 0.385, (42.07 / 52.07) ** 3.385],
    )


def test_recovers_simulated_parameters() -> None:
    true = NBD(r=0.8, alpha=5.0)
    sim = true.simulate(3000, np.random.default_rng(7).uniform(20, 80, 3000), 11)
    fit = NBD.fit(sim)
    se = np.sqrt(np.diag(fit.covariance))
    for i, name in enumerate(fit.param_names):
        assert abs(fit.params[name] - true.params[name]) < 3 * se[i], name
