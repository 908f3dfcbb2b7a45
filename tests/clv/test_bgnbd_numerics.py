"""BG/NBD and MBG/NBD numerics: mpmath references, measured regressions, fixed-p limits."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, ModifiedBetaGeo
from crmkit.clv._hyp_bg import beta_expectations

REF = Path(__file__).resolve().parents[1] / "reference" / "clv_bgnbd_grid.json"


def _frame(x: float, tx: float, T: float) -> pd.DataFrame:
    return pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})


def _close(got: float, want: float, rtol: float, atol: float) -> bool:
    return abs(got - want) <= max(atol, rtol * abs(want))


def test_mpmath_grid() -> None:
    data = json.loads(REF.read_text())
    tol = data["tolerance"]
    assert len(data["points"]) > 300
    failures = []
    for pt in data["points"]:
        cls = BetaGeo if pt["family"] == "BG/NBD" else ModifiedBetaGeo
        model = cls(r=pt["r"], alpha=pt["alpha"], a=pt["a"], b=pt["b"])
        s = _frame(pt["x"], pt["tx"], pt["T"])
        got = {
            "log_likelihood": model.log_likelihood(s),
            "p_alive": float(model.probability_alive(s).iloc[0]),
            "p_alive_at_t": float(model.probability_alive(s, t=pt["t"]).iloc[0]),
            "conditional_expected_purchases": float(
                model.conditional_expected_purchases(s, t=pt["t"]).iloc[0]
            ),
        }
        for key, value in got.items():
            rtol, atol = tol["rtol"], tol["atol"]
            if key == "log_likelihood":
                atol = tol["log_likelihood_atol"]
            if key == "p_alive_at_t" and pt[key] < tol["tiny_below"]:
                rtol = tol["tiny_rtol"]
            if not _close(value, pt[key], rtol, atol):
                failures.append((pt["family"], key, value, pt[key], pt))
    assert failures == []


def _mp_conditional(
    r: float, alpha: float, a: float, b: float, x: float, tx: float, T: float, t: float, dps: int
) -> float:
    """Fader, Hardie & Lee (2005) eq. 10 with mpmath's hyp2f1."""
    with mp.workdps(dps):
        R, Al, A, B, X, TX, TT, tt = (mp.mpf(v) for v in (r, alpha, a, b, x, tx, T, t))
        z = tt / (Al + TT + tt)
        bracket = 1 - ((Al + TT) / (Al + TT + tt)) ** (R + X) * mp.hyp2f1(
            R + X, B + X, A + B + X - 1, z
        )
        alive = 1 / (1 + (A / (B + X - 1)) * ((Al + TT) / (Al + TX)) ** (R + X))
        return float((A + B + X - 1) / (A - 1) * bracket * alive)


def test_measured_case_large_a_b() -> None:
    """The reported NaN: a = 1e4, b = 6e4 (answer about 0.336), and a = 1.25e6, b = 7.24e6."""
    s = _frame(1.0, 5.0, 20.0)
    for a, b in ((1e4, 6e4), (1.25e6, 7.24e6)):
        want = _mp_conditional(0.589, 2.79, a, b, 1.0, 5.0, 20.0, 10.0, 30)
        assert want == pytest.approx(_mp_conditional(0.589, 2.79, a, b, 1, 5, 20, 10, 50))
        start = time.perf_counter()
        got = float(
            BetaGeo(r=0.589, alpha=2.79, a=a, b=b).conditional_expected_purchases(s, t=10).iloc[0]
        )
        assert time.perf_counter() - start < 0.5
        assert got == pytest.approx(want, rel=1e-10)
    assert want == pytest.approx(0.3297, abs=1e-4)
    first = _mp_conditional(0.589, 2.79, 1e4, 6e4, 1.0, 5.0, 20.0, 10.0, 30)
    assert first == pytest.approx(0.336, abs=5e-4)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_huge_and_tiny_parameters_are_finite_and_fast(cls: type[BetaGeo]) -> None:
    s = pd.DataFrame(
        {"frequency": [0, 1, 30, 1e4], "recency": [0.0, 5.0, 40.0, 9e3], "T": [1e-3, 20, 52, 1e4]}
    )
    for r, alpha, a, b in (
        (0.5, 3.0, 1e12, 1e12),
        (1e-12, 1e12, 1e-12, 1e12),
        (1e12, 1e-12, 1e12, 1e-12),
        (1e4, 1e-4, 1e-4, 1e8),
    ):
        model = cls(r=r, alpha=alpha, a=a, b=b)
        start = time.perf_counter()
        out = [
            model.conditional_expected_purchases(s, t=[0.0, 1.0, 1e4]).to_numpy(),
            model.probability_alive(s, t=[0.0, 10.0]).to_numpy(),
            model.probability_no_purchase(s, t=10.0).to_numpy(),
            np.asarray(model.expected_purchases([1.0, 1e4])),
            np.asarray(model.probability_of_purchases([0, 3], 10.0)),
        ]
        assert time.perf_counter() - start < 1.0
        assert all(np.all(np.isfinite(o)) for o in out)


# fixed-p limit: a, b -> infinity with a / (a + b) = p


def _fixed_p(
    r: float, alpha: float, p: float, x: float, tx: float, T: float, t: float, shift: int
):
    """Closed forms of the BG/NBD (shift 0) / MBG/NBD (shift 1) with one dropout probability p.

    Given alive, lambda ~ Gamma(r + x, alpha + T) and E[exp(-lambda p t)] =
    ((alpha + T) / (alpha + T + p t))^(r + x); the odds of having dropped out after the
    last purchase are p / (1 - p) ((alpha + T) / (alpha + t_x))^(r + x) (Fader, Hardie &
    Lee 2005, eq. 6 with a point-mass dropout probability).
    """
    has2 = x + shift > 0
    odds = p / (1 - p) * ((alpha + T) / (alpha + tx)) ** (r + x) if has2 else 0.0
    alive = 1.0 / (1.0 + odds)
    surv = ((alpha + T) / (alpha + T + p * t)) ** (r + x)
    return alive, alive * surv, alive * (1.0 - surv) / p


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize("p", [0.01, 0.3, 0.9])
def test_fixed_p_limit(cls: type[BetaGeo], p: float) -> None:
    r, alpha, x, tx, T, t = 0.7, 3.0, 4.0, 20.0, 30.0, 25.0
    s = _frame(x, tx, T)
    for n in (1e12, 1e15):
        model = cls(r=r, alpha=alpha, a=p * n, b=(1 - p) * n)
        alive, alive_t, cond = _fixed_p(r, alpha, p, x, tx, T, t, cls._shift)
        assert float(model.probability_alive(s).iloc[0]) == pytest.approx(alive, rel=1e-8)
        assert float(model.probability_alive(s, t=t).iloc[0]) == pytest.approx(alive_t, rel=1e-8)
        got = float(model.conditional_expected_purchases(s, t=t).iloc[0])
        assert got == pytest.approx(cond, rel=1e-8)
        new = (1.0 - (alpha / (alpha + p * t)) ** r) / p * (1.0 - p if cls._shift else 1.0)
        assert float(model.expected_purchases(t)) == pytest.approx(new, rel=1e-8)


def _mp_expectations(m: float, a: float, b: float, u: float, dps: int) -> tuple[float, float]:
    with mp.workdps(dps):
        M, A, B, U = (mp.mpf(v) for v in (m, a, b, u))
        S = mp.hyp2f1(M, A, A + B, -U)
        Q = (A + B - 1) / (A - 1) * (1 - mp.hyp2f1(M, A - 1, A + B - 1, -U))
        return float(S), float(Q)


@settings(max_examples=40, deadline=None)
@example(m=1.5, a=543.0, b=113.0, u=2.0)  # mpmath at 30/50 digits agree and are both wrong
@example(m=694.0, a=10.0, b=1.0, u=2.0)  # a trapezoid step of 2 pi d / 34 was 1e-10 off
@example(m=8.5, a=456.0, b=946.0, u=10.0)  # mpmath at 60 digits wrong in the 10th digit
@given(
    m=st.floats(1e-3, 1e3),
    a=st.floats(1e-3, 1e3),
    b=st.floats(1e-3, 1e3),
    u=st.floats(1e-4, 1e3),
)
def test_expectations_match_mpmath(m: float, a: float, b: float, u: float) -> None:
    """S = 2F1(m, a; a + b; -u) and Q = (a + b - 1)/(a - 1) [1 - 2F1(m, a - 1; a + b - 1; -u)]."""
    if abs(a - 1.0) < 1e-3:  # the closed form for Q divides by a - 1
        a += 2e-3
    if abs(a + b - 1.0) < 1e-3:  # ... and mpmath's 2F1 has a pole at c = a + b - 1 = 0
        b += 2e-3
    S, Q = beta_expectations(m, a, b, u)
    # mpmath's 2F1 at -u loses digits to cancellation for large a, b: at 30 and 50
    # digits it can agree with itself and still be wrong in the 10th digit (m=1.5,
    # a=543, b=113, u=2), and at 60 digits it was wrong in the 10th digit for m=8.5,
    # a=456, b=946, u=10 (120 and 200 digits agree with crmkit to 2e-15), so the two
    # reference precisions are 120 and 240 digits.
    rS, rQ = _mp_expectations(m, a, b, u, 120)
    rS50, rQ50 = _mp_expectations(m, a, b, u, 240)
    assert rS == pytest.approx(rS50, rel=1e-13)
    assert rQ == pytest.approx(rQ50, rel=1e-13)
    assert float(S) == pytest.approx(rS, rel=1e-10, abs=1e-300)
    assert float(Q) == pytest.approx(rQ, rel=1e-10, abs=1e-300)


@settings(max_examples=12, deadline=None)
@example(m=4.0, a=8.0, b=1.0, u_lo=2.0, ratio=4.0)
@example(m=6.0, a=24.0, b=1.0, u_lo=2.0, ratio=3.0)
@given(
    m=st.floats(0.05, 60.0),
    a=st.floats(0.05, 50.0),
    b=st.floats(0.05, 50.0),
    u_lo=st.floats(1e-3, 2.0),
    ratio=st.floats(1.0, 4.0),
)
def test_interpolated_expectations_match_mpmath(
    m: float, a: float, b: float, u_lo: float, ratio: float
) -> None:
    """A large group of one (m, a, b) is interpolated in u; sampled entries match mpmath."""
    if abs(a - 1.0) < 1e-3:
        a += 2e-3
    if abs(a + b - 1.0) < 1e-3:
        b += 2e-3
    u = np.linspace(u_lo, u_lo * ratio, 20_000)
    S, Q = beta_expectations(m, a, b, u)
    S0, Q0 = beta_expectations(m, a, b, u, interpolate=False)
    # interpolant and direct rule each carry a few 1e-12 of quadrature error (m=4, a=8,
    # b=1, u in [2, 8]: -7e-13 and +3e-13 against mpmath; m=6, a=24, b=1: 5.4e-12 apart),
    # well inside the 1e-10 accuracy asserted against mpmath below
    np.testing.assert_allclose(S, S0, rtol=2e-11, atol=1e-300)
    np.testing.assert_allclose(Q, Q0, rtol=2e-11, atol=1e-300)
    for i in (0, 7_777, 19_999):
        rS, rQ = _mp_expectations(m, a, b, float(u[i]), 60)
        assert float(S[i]) == pytest.approx(rS, rel=1e-10, abs=1e-300)
        assert float(Q[i]) == pytest.approx(rQ, rel=1e-10, abs=1e-300)
