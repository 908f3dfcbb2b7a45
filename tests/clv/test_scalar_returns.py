"""One return convention across the CLV families: scalar in, float out; array in, array out.

Before the fix BetaGeo.expected_purchases(3) was a 0-d ndarray while its
probability_of_purchases(1, 3) was a numpy float64, BG/BB did the opposite, and sBG's
survival curve returned 0-d arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from crmkit.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGompertzNBD,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)

BG = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
MBG = ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614)
PNBD = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)
GG = GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5)
BGBB = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
SBG = ShiftedBetaGeometric(alpha=0.668, beta=3.806)

CALLS: dict[str, Callable[[Any], Any]] = {
    "BG expected_purchases": BG.expected_purchases,
    "BG probability_of_purchases": lambda t: BG.probability_of_purchases(1, t),
    "MBG expected_purchases": MBG.expected_purchases,
    "Pareto expected_purchases": PNBD.expected_purchases,
    "Pareto probability_of_purchases": lambda t: PNBD.probability_of_purchases(1, t),
    "GG/NBD expected_purchases": GG.expected_purchases,
    "GG/NBD probability_of_purchases": lambda t: GG.probability_of_purchases(1, t),
    "BG/BB expected_purchases": BGBB.expected_purchases,
    "BG/BB probability_of_purchases": lambda t: BGBB.probability_of_purchases(1, t),
    "sBG survival": SBG.survival,
    "sBG churn_probability": SBG.churn_probability,
    "sBG retention_rate": SBG.retention_rate,
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_scalar_in_float_out_array_in_array_out(name: str) -> None:
    call = CALLS[name]
    scalar = call(3)
    assert isinstance(scalar, float), type(scalar)
    assert np.ndim(scalar) == 0
    array = call([3])
    assert isinstance(array, np.ndarray)
    assert array.shape == (1,)
    assert float(array[0]) == pytest.approx(float(scalar), rel=1e-12)
