"""Every ``rng`` option goes through the one check of crmkit._validation.as_generator.

The simulators refuse ``None`` (their output must be reproducible); the resampling and
clustering options accept it (fresh entropy). A bad value names the option, the value
and the accepted kinds, whichever public function received it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmkit
from crmkit.clv import (
    BetaDiscreteWeibull,
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    ShiftedBetaGeometric,
    ShiftedGeometric,
    parameter_draws,
    simulate,
)
from crmkit.exceptions import InvalidValueError
from crmkit.segmentation import kmeans

SIMULATORS = [
    lambda rng: BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).simulate(3, 10.0, rng),
    lambda rng: ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67).simulate(3, 10.0, rng),
    lambda rng: BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78).simulate(3, 6, rng),
    lambda rng: ShiftedBetaGeometric(alpha=0.704, beta=1.182).simulate(3, 6, rng),
    lambda rng: ShiftedGeometric(theta=0.2).simulate(3, 6, rng),
    lambda rng: BetaDiscreteWeibull(alpha=0.26, beta=1.72, c=1.58).simulate(3, 6, rng),
    lambda rng: GammaGamma(p=6.25, q=3.74, v=15.44).simulate(3, 2, rng),
    lambda rng: simulate(BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426), 3, T=10.0, rng=rng),
]


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("bad", [None, -1, 1.5, "42", True])
def test_simulators_refuse_a_bad_or_missing_rng(sim: object, bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"rng=.* must be a numpy.random.Generator") as e:
        sim(bad)  # type: ignore[operator]
    assert "or an integer seed >= 0;" in str(e.value)
    assert "or None" not in str(e.value)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_simulators_take_a_seed_or_a_generator(sim: object) -> None:
    a = sim(7)  # type: ignore[operator]
    b = sim(np.random.default_rng(7))  # type: ignore[operator]
    pd.testing.assert_frame_equal(a, b)


def _fit() -> object:
    data = simulate(BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426), 300, T=30.0, rng=3)
    return BetaGeo.fit(data)


def test_resampling_options_take_none_and_refuse_bad_values() -> None:
    fit = _fit()
    assert len(parameter_draws(fit, n_draws=5, rng=None)) == 5  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"rng=-1 .* an integer seed >= 0 or None"):
        parameter_draws(fit, n_draws=5, rng=-1)  # type: ignore[arg-type]
    c = crmkit.pareto.concentration(pd.Series([5.0, 1.0, 1.0, 3.0, 9.0, 2.0]))
    with pytest.raises(InvalidValueError, match=r"rng='x' .* an integer seed >= 0 or None"):
        c.bootstrap("top_share", p=0.2, n_resamples=20, rng="x")
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(InvalidValueError, match=r"rng=-1 .* an integer seed >= 0 or None"):
        kmeans(X, 2, rng=-1)
