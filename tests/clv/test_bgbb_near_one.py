"""BG/BB alive sums for gamma near 1 against mpmath term-by-term sums."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crmkit.clv import BetaGeoBetaBinom

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "clv_bgbb_near_one.json").read_text()
)


@pytest.mark.parametrize(
    "case", REF["cases"], ids=lambda c: f"g{c['gamma']!r}-d{c['delta']}-n{c['n']}-m{c['m']}"
)
def test_alive_sum_matches_mpmath(case: dict) -> None:
    model = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=case["gamma"], delta=case["delta"])
    got = model._alive_sum_over_r(np.array([float(case["n"])]), np.array([float(case["m"])]))
    assert float(got[0]) == pytest.approx(case["sum_over_r"], rel=REF["tolerance"]["rtol"])


def test_expected_purchases_continuous_across_gamma_one() -> None:
    # E[X(n)] = alpha / (alpha + beta) * sum_{s=1}^{n} B(gamma, delta + s) / B(gamma, delta):
    # a smooth function of gamma, so values 1e-9 apart in gamma agree to ~1e-9 relative
    base = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=1.0, delta=2.8)
    at_one = float(base.expected_purchases(10))
    for eps in (1e-12, -1e-10, 1e-9, -1e-7):
        near = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=1.0 + eps, delta=2.8)
        assert float(near.expected_purchases(10)) == pytest.approx(at_one, rel=10 * abs(eps))
