"""The one confidence-interval result type."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmkit
from crmkit import ConfidenceInterval
from crmkit.exceptions import InvalidValueError

finite = st.floats(-1e12, 1e12, allow_nan=False)


@given(finite, finite, finite, st.floats(0.01, 0.99))
def test_contains_unpacks_and_width(a: float, b: float, c: float, level: float) -> None:
    lo, est, hi = sorted((a, b, c))
    ci = ConfidenceInterval(est, lo, hi, level=level, method="test")
    assert tuple(ci) == (lo, hi)
    assert est in ci
    assert ci.width == hi - lo
    assert (hi + 1.0 + abs(hi)) not in ci


def test_bad_intervals_are_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"lower=2\.0 is above upper=1\.0"):
        ConfidenceInterval(1.5, 2.0, 1.0, level=0.95, method="x")
    with pytest.raises(InvalidValueError, match="level=95"):
        ConfidenceInterval(1.0, 0.0, 2.0, level=95, method="x")
    with pytest.raises(InvalidValueError, match="estimate=inf must be finite"):
        ConfidenceInterval(math.inf, 0.0, math.inf, level=0.9, method="x")


def test_open_ended_interval_and_text() -> None:
    ci = ConfidenceInterval(3.0, 1.0, math.inf, level=0.9, method="profile likelihood")
    assert 1e300 in ci
    assert str(ci) == "3 (90% CI 1 to inf, profile likelihood)"


def test_frozen_and_exported() -> None:
    ci = crmkit.ConfidenceInterval(0.5, 0.4, 0.6, level=0.95, method="Wilson")
    with pytest.raises(AttributeError):
        ci.lower = 0.0  # type: ignore[misc]
    assert "ConfidenceInterval" in crmkit.__all__


def test_large_totals_print_as_whole_numbers() -> None:
    # a segment's total purchases or revenue: 11,283 rather than 1.128e+04
    ci = ConfidenceInterval(11283.16, 11020.4, 11530.2, level=0.95, method="m")
    assert str(ci) == "11,283 (95% CI 11,020 to 11,530, m)"
    ci = ConfidenceInterval(8779270.6, 8.6e6, 8.95e6, level=0.9, method="m")
    assert str(ci) == "8,779,271 (90% CI 8,600,000 to 8,950,000, m)"
    assert str(ConfidenceInterval(0.62, 0.58, 0.66, level=0.95, method="m")).startswith("0.62 (")
