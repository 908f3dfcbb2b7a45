"""Pareto/NBD: published CDNOW estimates, lifetimes, mpmath hard points, direct integration."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from crmkit.clv import FitResult, ParetoNBD, TransactionModel
from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import DegenerateDataWarning, InvariantError

PUBLISHED = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict:
    with (reference_dir / "clv_cdnow_paretonbd.json").open() as fh:
        return dict(json.load(fh))


@pytest.fixture(scope="module")
def fit(cdnow: pd.DataFrame) -> FitResult[ParetoNBD]:
    return ParetoNBD.fit(cdnow)


def test_fit_reproduces_published_estimates(
    fit: FitResult[ParetoNBD], ref: dict, check_published: Any
) -> None:
    check_published(fit, ref["published"])
    assert isinstance(fit.model, ParetoNBD)
    assert isinstance(fit.model, TransactionModel)


def test_matches_lifetimes(
    fit: FitResult[ParetoNBD], ref: dict, check_lifetimes_predictions: Any
) -> None:
    lt = ref["lifetimes"]
    for name, value in lt["params"].items():
        assert fit.params[name] == pytest.approx(value, rel=lt["tolerance"]["params_rtol"])
    model = ParetoNBD(**lt["params"])
    assert fit.log_likelihood >= model.log_likelihood(load_cdnow_summary()) - 1e-6
    check_lifetimes_predictions(model, lt, pmf=False)


def test_mpmath_hard_points(reference_dir: Path) -> None:
    """Frequencies and horizons of 10,000 periods, alpha >> beta and alpha << beta."""
    with (reference_dir / "clv_mpmath_hard_points.json").open() as fh:
        ref = json.load(fh)
    rtol = ref["tolerance"]["rtol"]
    for e in ref["pareto_nbd"]:
        model = ParetoNBD(**e["params"])
        s = pd.DataFrame({"frequency": [e["x"]], "recency": [e["t_x"]], "T": [e["T"]]})
        assert model.log_likelihood(s) == pytest.approx(e["log_likelihood"], rel=rtol)
        assert model.probability_alive(s).iloc[0] == pytest.approx(
            e["probability_alive"], rel=rtol, abs=1e-10
        )


def _alive_integral(
    model: ParetoNBD, x: int, T: float, weight: Callable[[float, float], float]
) -> float:
    """int int lam^x e^{-(lam+mu) T} weight(lam, mu) prior (the alive-at-T branch)."""

    def integrand(mu: float, lam: float) -> float:
        log_prior = (
            model.r * np.log(model.alpha)
            - special.gammaln(model.r)
            + (model.r - 1) * np.log(lam)
            - model.alpha * lam
            + model.s * np.log(model.beta)
            - special.gammaln(model.s)
            + (model.s - 1) * np.log(mu)
            - model.beta * mu
        )
        return float(np.exp(log_prior + x * np.log(lam) - (lam + mu) * T) * weight(lam, mu))

    value, _ = integrate.dblquad(integrand, 0.0, np.inf, 0.0, np.inf, epsabs=0, epsrel=1e-10)
    return float(value)


def test_future_alive_and_no_purchase_by_direct_integration() -> None:
    model = ParetoNBD(r=1.5, alpha=4.0, s=1.2, beta=6.0)
    x, tx, T, t = 3, 6.0, 9.0, 5.0
    s = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    alive_now = float(model.probability_alive(s).iloc[0])
    base = _alive_integral(model, x, T, lambda lam, mu: 1.0)
    later = _alive_integral(model, x, T, lambda lam, mu: np.exp(-mu * t))
    assert model.probability_alive(s, t=t).iloc[0] == pytest.approx(
        alive_now * later / base, rel=1e-6
    )

    def silent(lam: float, mu: float) -> float:
        rate = lam + mu
        return float(mu / rate + lam / rate * np.exp(-rate * t))

    expected = 1.0 - alive_now + alive_now * _alive_integral(model, x, T, silent) / base
    assert model.probability_no_purchase(s, t=t).iloc[0] == pytest.approx(expected, rel=1e-6)


def test_pmf_is_a_distribution_with_the_right_mean() -> None:
    k = np.arange(400)
    for t in (1.0, 39.0, 200.0):
        pmf = PUBLISHED.probability_of_purchases(k, t)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
        assert (k * pmf).sum() == pytest.approx(float(PUBLISHED.expected_purchases(t)), rel=1e-8)
    # P(X(t) = 0) by direct integration over the lifetime and the purchase rate
    t = 10.0
    m = PUBLISHED
    before, _ = integrate.quad(
        lambda tau: (
            (m.alpha / (m.alpha + tau)) ** m.r * m.s * m.beta**m.s / (m.beta + tau) ** (m.s + 1)
        ),
        0.0,
        t,
        epsabs=0,
        epsrel=1e-12,
    )
    # alive at t (Lomax survival) and no purchase in (0, t] (NBD zero class)
    direct = before + (m.beta / (m.beta + t)) ** m.s * (m.alpha / (m.alpha + t)) ** m.r
    assert float(PUBLISHED.probability_of_purchases(0, t)) == pytest.approx(direct, rel=1e-9)


def test_expected_purchases_at_s_equal_one_is_the_log_limit() -> None:
    model = ParetoNBD(r=2.0, alpha=5.0, s=1.0, beta=3.0)
    t = 7.0
    assert float(model.expected_purchases(t)) == pytest.approx(
        2.0 * 3.0 / 5.0 * np.log1p(t / 3.0), rel=1e-12
    )


def test_parameter_recovery_100k() -> None:
    truth = ParetoNBD(r=0.55, alpha=10.6, s=0.61, beta=11.7)
    rng = np.random.default_rng(7)
    T = rng.integers(20, 60, size=100_000).astype(float)
    sim = truth.simulate(100_000, T, rng)
    # transaction logs record days: recency and T in weeks to the nearest day
    sim["recency"] = np.floor(sim["recency"] * 7.0) / 7.0
    fit = ParetoNBD.fit(sim)
    assert fit.n_unique < 30_000
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


def test_repeat_frequency_table(cdnow: pd.DataFrame) -> None:
    table = PUBLISHED.expected_repeat_frequency(cdnow, max_frequency=5)
    assert table.index.tolist() == list(range(6))
    assert table.sum() == pytest.approx(len(cdnow))


def test_heavy_buyers_stay_finite() -> None:
    """lifetimes overflows here (issue #25); every prediction must stay finite."""
    s = pd.DataFrame(
        {"frequency": [10_000, 10_000, 300], "recency": [9_999.0, 10.0, 39.0], "T": [10_000.0] * 3}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cond = PUBLISHED.conditional_expected_purchases(s, t=[1.0, 52.0])
        alive = PUBLISHED.probability_alive(s, t=[0.0, 52.0])
        quiet = PUBLISHED.probability_no_purchase(s, t=52.0)
        ll = PUBLISHED.log_likelihood(s)
    assert np.all(np.isfinite(cond.to_numpy()))
    assert np.all(np.isfinite(alive.to_numpy()))
    assert np.all(np.isfinite(quiet.to_numpy()))
    assert np.isfinite(ll)
    assert cond.iloc[0, 1] > 40  # about one purchase a period, still active


def test_all_one_time_buyers_warns() -> None:
    s = pd.DataFrame({"frequency": [0] * 20, "recency": [0.0] * 20, "T": np.linspace(5, 40, 20)})
    with pytest.warns(DegenerateDataWarning):
        fit = ParetoNBD.fit(s)
    assert all(np.isfinite(v) for v in fit.params.values())


def test_bad_input_raises() -> None:
    with pytest.raises(InvariantError, match="recency > T"):
        ParetoNBD.fit(pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [4.0]}))


def test_simulate_at_the_no_dropout_limit_is_quiet_and_never_drops_out() -> None:
    # s -> 0 draws dropout rates that underflow to 0: infinite lifetimes, so every
    # customer buys as a Poisson(lambda) process over all of T; E[x] = r / alpha * T
    m = ParetoNBD(r=0.5, alpha=10.0, s=1e-9, beta=10.0)
    sim = m.simulate(200_000, 50.0, np.random.default_rng(11))
    expected = 0.5 / 10.0 * 50.0
    se = float(sim["frequency"].std()) / np.sqrt(len(sim))
    assert abs(float(sim["frequency"].mean()) - expected) < 4 * se
