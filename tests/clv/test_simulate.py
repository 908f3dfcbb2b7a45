"""Tests of crmkit.clv.simulate: dispatch, seeding, and recovery through each family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.clv.gammagamma import GammaGamma
from crmkit.clv.sbg import ShiftedBetaGeometric
from crmkit.clv.simulate import simulate
from crmkit.exceptions import InvalidValueError


class Fixed:
    """Test-local model whose simulate records its arguments."""

    def simulate(self, n_customers: int, T: object, rng: np.random.Generator) -> pd.DataFrame:
        return pd.DataFrame({"T": [T] * n_customers, "u": rng.random(n_customers)})


def test_dispatches_with_seeded_generator() -> None:
    a = simulate(Fixed(), 3, T=5, rng=np.random.default_rng(11))
    b = simulate(Fixed(), 3, T=5, rng=11)
    pd.testing.assert_frame_equal(a, b)
    assert a["T"].tolist() == [5, 5, 5]
    np.testing.assert_array_equal(a["u"], np.random.default_rng(11).random(3))


def test_bgbb_simulation_matches_model_moments() -> None:
    model = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    sim = simulate(model, 200_000, T=6, rng=1)
    # sample mean of x vs E[X(6)], and the share with x = 0 vs P(X(6) = 0)
    se = sim["frequency"].std() / np.sqrt(len(sim))
    assert abs(sim["frequency"].mean() - float(model.expected_purchases(6))) < 4 * se
    p0 = float(model.probability_of_purchases(0, 6))
    assert abs((sim["frequency"] == 0).mean() - p0) < 4 * np.sqrt(p0 * (1 - p0) / len(sim))
    assert (sim["recency"] >= sim["frequency"]).all()


def test_sbg_simulation_matches_survival() -> None:
    model = ShiftedBetaGeometric(alpha=0.7, beta=1.2)
    sim = simulate(model, 200_000, T=10, rng=2)
    share = np.array([(sim["periods_survived"] >= t).mean() for t in range(11)])
    expected = model.survival(np.arange(11))
    assert np.all(
        np.abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 200_000) + 1e-12
    )


def test_gamma_gamma_simulation_mean() -> None:
    model = GammaGamma(p=6.0, q=4.0, v=15.0)
    sim = simulate(model, 200_000, T=3, rng=3)
    assert sim["frequency"].eq(3).all()
    # E[zbar] = p v / (q - 1) = 30
    se = sim["monetary_value"].std() / np.sqrt(len(sim))
    assert abs(sim["monetary_value"].mean() - 30.0) < 4 * se


def test_bad_arguments() -> None:
    with pytest.raises(InvalidValueError, match="simulate"):
        simulate(object(), 3, T=1, rng=1)
    with pytest.raises(InvalidValueError, match="n_customers"):
        simulate(Fixed(), 0, T=1, rng=1)
    with pytest.raises(InvalidValueError, match="Generator"):
        simulate(Fixed(), 3, T=1, rng=np.random.RandomState(1))  # type: ignore[arg-type]
