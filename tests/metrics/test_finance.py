"""Tests for crmkit.metrics.finance and crmkit.metrics.annuity."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import (
    irr,
    irr_roots,
    npv,
    payback_period,
    revenue_to_share_ratio,
    roi,
    tco,
)


@pytest.fixture(scope="module")
def npf_ref(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference_dir / "metrics_numpy_financial.json").read_text(encoding="utf-8")
    )
    return data


def test_npv_matches_numpy_financial(npf_ref: dict[str, Any]) -> None:
    tol = npf_ref["tolerance"]
    for case in npf_ref["npv"]:
        assert npv(case["rate"], case["values"]) == pytest.approx(
            case["result"], rel=tol["rtol"], abs=tol["atol"]
        ), case["call"]


def test_irr_matches_numpy_financial_where_unique(npf_ref: dict[str, Any]) -> None:
    tol = npf_ref["tolerance"]
    for case in npf_ref["irr"]:
        roots = irr_roots(case["values"])
        if roots.size == 1:
            assert irr(case["values"]) == pytest.approx(
                case["result"], rel=tol["rtol"], abs=tol["atol"]
            ), case["call"]
        else:  # several roots: crmkit refuses, but npf's pick is one of crmkit's roots
            with pytest.raises(InvalidValueError, match="internal rates of return"):
                irr(case["values"])
            assert np.min(np.abs(roots - case["result"])) < 1e-9, case["call"]


def test_irr_multi_root_case_present(npf_ref: dict[str, Any]) -> None:
    assert any(irr_roots(c["values"]).size > 1 for c in npf_ref["irr"])


def test_npv_hand_computed() -> None:
    # -100 + 60/1.1 + 60/1.21 = 4.13223...
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21, abs=1e-12)
    assert npv(0.0, [1, 2, 3]) == 6.0


@pytest.mark.parametrize("rate", [-1.0, -2.0, float("nan"), float("inf")])
def test_rate_at_or_below_minus_one_raises(rate: float) -> None:
    with pytest.raises(InvalidValueError, match="> -1"):
        npv(rate, [-1, 2])


def test_empty_flows_raise() -> None:
    with pytest.raises(InvalidValueError, match="empty"):
        npv(0.1, [])
    with pytest.raises(InvalidValueError, match="empty"):
        irr([])


def test_irr_all_negative_flows_raise() -> None:
    with pytest.raises(InvalidValueError, match="all outflows"):
        irr([-100, -20, -5])
    with pytest.raises(InvalidValueError, match="all inflows"):
        irr([100, 20])
    assert irr_roots([-100, -20]).size == 0


def test_irr_no_real_root_raises() -> None:
    # 1 - 3x + 3x^2 has negative discriminant: no rate gives NPV 0
    assert irr_roots([1, -3, 3]).size == 0
    with pytest.raises(InvalidValueError, match="no internal rate of return"):
        irr([1, -3, 3])


def test_irr_two_roots_hand_computed() -> None:
    # -100 + 230x - 132x^2 = 0 at 1+r = 1.1 and 1.2 (hand factorisation)
    np.testing.assert_allclose(irr_roots([-100, 230, -132]), [0.1, 0.2], atol=1e-12)
    with pytest.raises(InvalidValueError, match="2 internal rates"):
        irr([-100, 230, -132])


def test_irr_all_zero_raises() -> None:
    with pytest.raises(InvalidValueError, match="all zero"):
        irr_roots([0, 0])


def test_irr_simple_doubling() -> None:
    assert irr([-1, 2]) == pytest.approx(1.0, abs=1e-12)
    assert irr([-100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100 * 1.05**10]) == pytest.approx(0.05)


conventional = st.tuples(
    st.floats(min_value=1.0, max_value=1e6),
    st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=12).filter(
        lambda xs: sum(xs) > 1e-3
    ),
)


@given(conventional, st.floats(-0.9, 2.0), st.floats(-0.9, 2.0))
def test_npv_decreasing_in_rate_for_conventional_flows(
    flows: tuple[float, list[float]], r1: float, r2: float
) -> None:
    c = [-flows[0], *flows[1]]
    lo, hi = sorted((r1, r2))
    assert npv(hi, c) <= npv(lo, c) + 1e-9 * sum(abs(x) for x in c)


@given(conventional)
def test_irr_is_a_root_of_npv(flows: tuple[float, list[float]]) -> None:
    c = [-flows[0], *flows[1]]
    r = irr(c)
    assert r > -1
    assert abs(npv(r, c)) <= 1e-7 * sum(abs(x) for x in c)


def test_payback() -> None:
    assert payback_period([-100, 40, 40, 40]) == pytest.approx(2.5)
    assert payback_period([10, 5]) == 0.0
    # discounted: 50/1.1 + 50/1.21 = 86.78; remaining 13.22 of 37.57 in year 3
    d = [50 / 1.1, 50 / 1.1**2, 50 / 1.1**3]
    assert payback_period([-100, 50, 50, 50], rate=0.1) == pytest.approx(
        2 + (100 - d[0] - d[1]) / d[2]
    )
    with pytest.raises(InvalidValueError, match="does not pay back"):
        payback_period([-100, 10, 10])


def test_roi_tco_and_ratio() -> None:
    assert roi(150, 100) == pytest.approx(0.5)
    with pytest.raises(InvalidValueError, match="cost"):
        roi(1, 0)
    assert tco(1000, [100, 200]) == 1300.0
    assert tco(1000, 100, horizon=2, rate=0.1) == pytest.approx(1000 + 100 / 1.1 + 100 / 1.21)
    with pytest.raises(InvalidValueError, match="horizon"):
        tco(1000, 100)
    with pytest.raises(InvalidValueError, match="horizon=3"):
        tco(1000, [1, 2], horizon=3)
    with pytest.raises(InvalidValueError, match=">= 0"):
        tco(1000, [1, -2])
    assert revenue_to_share_ratio(0.2, 0.25) == pytest.approx(0.8)
    with pytest.raises(InvalidValueError, match="unit_share"):
        revenue_to_share_ratio(0.2, 0.0)


@given(st.lists(st.integers(-100, 100), min_size=2, max_size=8))
def test_irr_roots_are_roots_and_obey_descartes(values: list[int]) -> None:
    if not any(values):
        return
    roots = irr_roots(values)
    nonzero = [v for v in values if v]
    sign_changes = sum(1 for a, b in itertools.pairwise(nonzero) if a * b < 0)
    assert roots.size <= sign_changes
    assert np.all(roots > -1)
    assert np.all(np.diff(roots) > 0)
    for r in roots:
        scale = sum(abs(v) / (1 + r) ** t for t, v in enumerate(values))
        assert abs(npv(float(r), values)) <= 1e-8 * scale


def test_npv_extreme_rates() -> None:
    assert npv(1e300, [5.0, 1.0, 1.0]) == pytest.approx(5.0)  # later flows vanish
    with pytest.raises(InvalidValueError, match="overflows"):
        npv(-1 + 1e-10, [0.0] * 40 + [1.0])
    with pytest.raises(InvalidValueError, match="overflows"):
        payback_period([-1.0] + [0.0] * 40 + [1.0], rate=-1 + 1e-10)


def test_irr_degenerate_flows_give_clear_errors() -> None:
    with pytest.raises(InvalidValueError, match="1e-15 of -100"):
        irr([-6.0, 6.5e-308])
    with pytest.raises(InvalidValueError, match="1e150"):
        irr_roots([-463785.0, 1.0, -2.6e-303])
    # tiny flows are fine when the root is well defined
    assert irr([-1.0, 1.0, 4.7e-299]) == pytest.approx(0.0, abs=1e-12)
    # complex pair with a tiny real part is not a root
    assert irr_roots([8.1e-85, -1.6e-92, 1.0]).size == 0


def test_tco_refuses_a_fractional_horizon() -> None:
    # 100 a period over 2 periods is 200 (hand-computed); 2.5 periods used to become 2.
    assert tco(0, 100, horizon=2) == 200.0
    with pytest.raises(InvalidValueError, match=r"horizon=2\.5 must be a whole number"):
        tco(0, 100, horizon=2.5)
