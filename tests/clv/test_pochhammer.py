"""Digamma and trigamma differences without cancellation, against mpmath at two precisions."""

from __future__ import annotations

import mpmath as mp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv._pochhammer import digamma_diff, trigamma_diff


def _mp_diff(order: int, x: float, m: float, dps: int) -> float:
    with mp.workdps(dps):
        X = mp.mpf(x)
        return float(mp.psi(order, X + m) - mp.psi(order, X))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(log_x=st.floats(-3.0, 16.0), m=st.integers(0, 10_000))
def test_differences_match_mpmath(log_x: float, m: int) -> None:
    """x from 1e-3 to 1e16 (beta shapes on the one-probability limit), m a purchase count."""
    x = 10.0**log_x
    for order, fn in ((0, digamma_diff), (1, trigamma_diff)):
        want = _mp_diff(order, x, m, 40)
        assert want == pytest.approx(_mp_diff(order, x, m, 80), rel=1e-15, abs=1e-300)
        assert float(fn(x, float(m))) == pytest.approx(want, rel=1e-13, abs=1e-300)


def test_trigamma_diff_on_the_limit_is_minus_m_over_x_squared() -> None:
    # psi_1(x + m) - psi_1(x) = -m / x^2 + O(m^2 / x^3): polygamma differences give 0 here
    for x in (1e12, 1e14, 1e16):
        assert float(trigamma_diff(x, 3.0)) == pytest.approx(-3.0 / x**2, rel=1e-10)
