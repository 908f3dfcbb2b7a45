"""Property tests shared by the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD).

For any parameters and any valid history: probabilities stay in [0, 1], expectations
are finite and >= 0, the log-likelihood is finite, and E[X(t)] starts at 0 and never
decreases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD

FAMILIES = [
    pytest.param(BetaGeo, 1e-9, id="BG/NBD"),
    pytest.param(ModifiedBetaGeo, 1e-9, id="MBG/NBD"),
    pytest.param(ParetoNBD, 1e-12, id="Pareto/NBD"),
]

histories = st.tuples(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=1e-3, max_value=10_000.0),
)
params = st.tuples(*[st.floats(min_value=0.01, max_value=50.0)] * 4)


def _model(cls: type, values: tuple[float, float, float, float]) -> BetaGeo | ParetoNBD:
    names = ("r", "alpha", "s", "beta") if cls is ParetoNBD else ("r", "alpha", "a", "b")
    return cls(**dict(zip(names, values, strict=True)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("cls", "tol"), FAMILIES)
@given(params=params, hist=histories, t=st.floats(min_value=0.0, max_value=10_000.0))
def test_predictions_bounded_and_finite(
    cls: type,
    tol: float,
    params: tuple[float, float, float, float],
    hist: tuple[int, float, float],
    t: float,
) -> None:
    model = _model(cls, params)
    x, frac, T = hist
    tx = frac * T if x > 0 else 0.0
    frame = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    alive = model.probability_alive(frame, t=[0.0, t]).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))
    cond = model.conditional_expected_purchases(frame, t=t).iloc[0]
    assert np.isfinite(cond)
    assert cond >= 0
    assert 0.0 <= model.probability_no_purchase(frame, t=t).iloc[0] <= 1.0
    assert np.isfinite(model.log_likelihood(frame))


@pytest.mark.parametrize(("cls", "tol"), FAMILIES)
@given(params=params, ts=st.lists(st.floats(0.0, 10_000.0), min_size=1, max_size=10))
def test_expected_purchases_monotone_from_zero(
    cls: type, tol: float, params: tuple[float, float, float, float], ts: list[float]
) -> None:
    model = _model(cls, params)
    grid = np.sort(np.asarray([0.0, *ts]))
    values = model.expected_purchases(grid)
    assert values[0] == 0.0
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) >= -tol * np.maximum(1.0, values[1:]))
