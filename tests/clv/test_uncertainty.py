"""Parameter draws and prediction intervals: agreement with the Wald intervals and the
delta method (independent large-sample formulas), reproducibility and bad input."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pytest

from crmkit import clv, datasets
from crmkit.clv.uncertainty import parameter_draws, prediction_interval
from crmkit.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def fit(summary: pd.DataFrame) -> clv.FitResult[clv.BetaGeo]:
    return clv.BetaGeo.fit(summary)


def test_parameter_interval_matches_wald_interval(fit: clv.FitResult[clv.BetaGeo]) -> None:
    wald = fit.confidence_intervals(0.9)
    band = prediction_interval(fit, lambda m: [m.r, m.alpha, m.a, m.b], level=0.9, n_draws=4000)
    np.testing.assert_allclose(band["lower"], wald["lower"], rtol=0.02)
    np.testing.assert_allclose(band["upper"], wald["upper"], rtol=0.02)
    np.testing.assert_allclose(band["estimate"], fit.estimates)


def test_stderr_matches_delta_method(fit: clv.FitResult[clv.BetaGeo]) -> None:
    theta = np.asarray(fit.estimates)

    def f(values: np.ndarray) -> float:
        model = attrs.evolve(fit.model, **dict(zip(fit.param_names, values, strict=True)))
        return float(model.expected_purchases(52))

    grad = np.empty(theta.size)
    for i in range(theta.size):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    delta_se = float(np.sqrt(grad @ fit.covariance @ grad))
    band = prediction_interval(fit, lambda m: m.expected_purchases(52), n_draws=4000, rng=3)
    assert band["stderr"].iloc[0] == pytest.approx(delta_se, rel=0.08)


def test_series_predictions_keep_the_index_and_bracket_the_estimate(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    some = summary.iloc[:6]
    band = prediction_interval(fit, lambda m: m.probability_alive(some), n_draws=200, rng=5)
    assert band.index.equals(some.index)
    assert (
        (band["lower"] <= band["estimate"] + 1e-12) & (band["estimate"] <= band["upper"] + 1e-12)
    ).all()
    assert ((band["lower"] >= 0) & (band["upper"] <= 1)).all()
    again = prediction_interval(fit, lambda m: m.probability_alive(some), n_draws=200, rng=5)
    pd.testing.assert_frame_equal(band, again)


def test_draws_keep_the_family_and_time_unit(summary: pd.DataFrame) -> None:
    fit = clv.BetaGeo.fit(summary, time_unit="W")
    draws = parameter_draws(fit, n_draws=10, rng=np.random.default_rng(0))
    assert all(isinstance(d, clv.BetaGeo) and d.time_unit == "W" for d in draws)
    assert len({d.r for d in draws}) == 10


def test_bad_input(fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="n_draws"):
        parameter_draws(fit, n_draws=1)
    broken = attrs.evolve(fit, covariance=np.full((4, 4), np.nan))
    with pytest.raises(InvalidValueError, match="covariance"):
        parameter_draws(broken, n_draws=10)
    with pytest.raises(InvalidValueError, match="level"):
        prediction_interval(fit, lambda m: m.r, level=1.0)
    calls = iter([[1.0, 2.0]] + [[1.0]] * 10)
    with pytest.raises(InvalidValueError, match="same shape"):
        prediction_interval(fit, lambda m: next(calls), n_draws=5)
