"""MBG/NBD: cross-checked against lifetimes' ModifiedBetaGeoFitter on CDNOW."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, FitResult, ModifiedBetaGeo, TransactionModel
from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import DegenerateDataWarning, InvariantError


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict:
    with (reference_dir / "clv_cdnow_mbgnbd.json").open() as fh:
        return dict(json.load(fh))


@pytest.fixture(scope="module")
def fit() -> FitResult[ModifiedBetaGeo]:
    return ModifiedBetaGeo.fit(load_cdnow_summary())


def test_fit_matches_lifetimes(fit: FitResult[ModifiedBetaGeo], ref: dict) -> None:
    lt = ref["lifetimes"]
    for name, value in lt["params"].items():
        assert fit.params[name] == pytest.approx(value, rel=lt["tolerance"]["params_rtol"])
    assert fit.converged
    assert isinstance(fit.model, TransactionModel)
    assert (
        fit.log_likelihood
        >= ModifiedBetaGeo(**lt["params"]).log_likelihood(load_cdnow_summary()) - 1e-6
    )


def test_predictions_match_lifetimes(ref: dict, check_lifetimes_predictions: Any) -> None:
    lt = ref["lifetimes"]
    model = ModifiedBetaGeo(**lt["params"])
    check_lifetimes_predictions(model, lt)


def test_one_time_buyers_are_not_certainly_alive() -> None:
    """The point of MBG/NBD (lifetimes #165): x = 0 gives P(alive) < 1.

    Batislam et al. (2007), eq. 5 at x = t_x = 0: 1 / (1 + (a / b) ((alpha + T) / alpha)^r).
    """
    params = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}
    s = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [30.0]})
    hand = 1.0 / (1.0 + 0.9 / 1.6 * (36.0 / 6.0) ** 0.5)
    assert ModifiedBetaGeo(**params).probability_alive(s).iloc[0] == pytest.approx(hand)
    assert BetaGeo(**params).probability_alive(s).iloc[0] == 1.0


def test_pmf_sums_to_one_with_the_right_mean() -> None:
    model = ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614)
    k = np.arange(600)
    pmf = model.probability_of_purchases(k, 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (k * pmf).sum() == pytest.approx(float(model.expected_purchases(39.0)), rel=1e-8)


def test_parameter_recovery_100k() -> None:
    truth = ModifiedBetaGeo(r=0.5, alpha=6.0, a=0.9, b=1.6)
    rng = np.random.default_rng(11)
    T = rng.integers(20, 60, size=100_000).astype(float)
    fit = ModifiedBetaGeo.fit(truth.simulate(100_000, T, rng))
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


def test_degenerate_and_bad_input() -> None:
    s = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 9.0]})
    with pytest.warns(DegenerateDataWarning):
        ModifiedBetaGeo.fit(s)
    with pytest.raises(InvariantError):
        ModifiedBetaGeo.fit(pd.DataFrame({"frequency": [0], "recency": [2.0], "T": [9.0]}))


@given(
    params=st.tuples(*[st.floats(min_value=0.01, max_value=50.0)] * 4),
    x=st.integers(min_value=0, max_value=10_000),
    frac=st.floats(min_value=0.0, max_value=1.0),
    T=st.floats(min_value=1e-3, max_value=10_000.0),
    t=st.floats(min_value=0.0, max_value=10_000.0),
)
def test_predictions_bounded_and_finite(
    params: tuple[float, float, float, float], x: int, frac: float, T: float, t: float
) -> None:
    r, alpha, a, b = params
    model = ModifiedBetaGeo(r=r, alpha=alpha, a=a, b=b)
    s = pd.DataFrame({"frequency": [x], "recency": [frac * T if x else 0.0], "T": [T]})
    alive = model.probability_alive(s, t=[0.0, t]).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))
    cond = model.conditional_expected_purchases(s, t=t).iloc[0]
    assert np.isfinite(cond)
    assert cond >= 0
    values = model.expected_purchases([0.0, t / 2, t])
    assert values[0] == 0.0
    assert np.all(np.diff(values) >= -1e-9 * np.maximum(1.0, values[1:]))
