"""Batched Pareto/NBD predictions through tables per purchase count.

``crmkit.clv._pareto_predict`` evaluates P(alive), the conditional expectation and the
log-ratio R of large batches from Chebyshev tables of log 2F1 per purchase count, with
a proven error bound per row; rows outside the bound are computed directly. Checked
here against:

* mpmath at 30 and 50 digits (tests/reference/clv_pareto_tables.json: Fader & Hardie
  2005, note 009, eqs. 18, 19 and 41), each reference history placed in the seeded
  batch it was made for, through the model's row methods (tables and fallback
  together), relative 1e-10;
* the direct computation on every accepted row, over the documented parameter range
  (hypothesis);
* the interpolation error bound itself, against the direct values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.clv import ParetoNBD
from crmkit.clv._hyp_pareto import log_hyp2f1_1b_rho
from crmkit.clv._pareto_predict import _bounds, tabled_predict
from crmkit.clv._pareto_ratio import pareto_log_ratio

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "clv_pareto_tables.json"
DOC = json.loads(REFERENCE.read_text())
N = 20_000


def _batch(entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seeded batch of the entry, its reference histories in the first rows."""
    rng = np.random.default_rng(entry["seed"])
    x = rng.choice(np.asarray(entry["x_values"], dtype=float), N)
    T = rng.uniform(*entry["T_range"], N)
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, N), 0.0)
    for i, h in enumerate(entry["histories"]):
        x[i], tx[i], T[i] = h["x"], h["t_x"], h["T"]
    return x, tx, T


def _close(got: float, want: float) -> bool:
    tol = DOC["tolerance"]
    return abs(got - want) <= max(tol["rtol"] * abs(want), tol["atol"])


@pytest.mark.parametrize(
    "entry", DOC["batches"], ids=lambda e: "theta=" + ",".join(f"{v:g}" for v in e["theta"])
)
def test_batched_predictions_match_mpmath(entry: dict[str, Any]) -> None:
    model = ParetoNBD(**dict(zip(("r", "alpha", "s", "beta"), entry["theta"], strict=True)))
    x, tx, T = _batch(entry)
    k = len(entry["histories"])
    pa = model._p_alive_rows(x, tx, T)[:k]
    ll = model._log_likelihood_rows(x, tx, T)[:k]
    cond = {t: model._conditional_rows(np.asarray(t), x, tx, T)[:k] for t in DOC["horizons"]}
    for i, h in enumerate(entry["histories"]):
        assert _close(pa[i], h["probability_alive"]), (h, pa[i])
        want = h["log_likelihood"]
        assert abs(ll[i] - want) <= DOC["tolerance"]["log_likelihood_atol"] * max(1.0, abs(want))
        for t in DOC["horizons"]:
            ref = h["conditional_expected_purchases"][str(t)]
            assert _close(cond[t][i], ref), (h, t, cond[t][i])


@pytest.mark.parametrize("index", range(8))
def test_tables_accept_the_reference_histories(index: int) -> None:
    """The mpmath test above goes through the tables: every reference history with t_x
    < T is accepted, gaps of 1e-9 T included (the difference of the tail integrals is
    never formed), and t_x = T is left to the direct computation. Where one table piece
    covers the batch (the first three: moderate alpha/beta) almost every row is
    accepted; with several pieces (wide ranges of u) rows whose t_x and T lie in two
    pieces need both table errors small against the difference, and 90 % pass."""
    entry = DOC["batches"][index]
    theta = tuple(float(v) for v in entry["theta"])
    x, tx, T = _batch(entry)
    got = tabled_predict(theta, x, tx, T, what="p_alive")  # type: ignore[arg-type]
    assert got is not None
    values, ok = got
    k = len(entry["histories"])
    np.testing.assert_array_equal(ok[:k], tx[:k] < T[:k])
    assert ok.mean() >= (0.999 if index < 3 else 0.9)
    for i, h in enumerate(entry["histories"]):
        if ok[i]:
            assert _close(values[i], h["probability_alive"]), (h, values[i])


log_param = st.floats(min_value=-4.0, max_value=8.0).map(lambda e: 10.0**e)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(r=log_param, alpha=log_param, s=log_param, beta=log_param, wide=st.booleans())
def test_accepted_rows_match_the_direct_computation(
    r: float, alpha: float, s: float, beta: float, wide: bool
) -> None:
    """Over the documented range (beta/alpha within 1e-8..1e8): every accepted row's R
    within 1e-10 (absolute) of the direct computation (itself checked against mpmath in
    test_pareto_numerics), P(alive) within 1e-10 relative."""
    if not 1e-8 <= beta / alpha <= 1e8:
        return
    rng = np.random.default_rng(5)
    n = 6_000
    x = rng.choice(np.array([0.0, 1.0, 3.0, 40.0] + ([1e4] if wide else [])), n)
    T = rng.uniform(0.1, 1.0, n) * (1e4 if wide else 40.0)
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    got = tabled_predict((r, alpha, s, beta), x, tx, T)
    if got is None:
        return
    R, ok = got
    # (gaps T - t_x far below T are checked against mpmath above: the direct
    # computation forms the difference of the two tail integrals there)
    R0, _ = pareto_log_ratio(r, alpha, s, beta, x[ok], tx[ok], T[ok], fast=False)
    R1 = R[ok]
    assert np.all(np.abs(R1 - R0) <= 1e-10 * np.maximum(1.0, np.abs(R0)))
    pa0 = 1.0 / (1.0 + np.exp(np.minimum(R0, 700.0)))
    pa1 = tabled_predict((r, alpha, s, beta), x, tx, T, what="p_alive")
    assert pa1 is not None
    np.testing.assert_array_equal(pa1[1], ok)
    fine = R0 < 700.0
    np.testing.assert_allclose(pa1[0][ok][fine], pa0[fine], rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize(
    ("B", "C", "u_lo", "u_hi"),
    [
        (1.61, 2.16, -0.098, -0.0217),  # CDNOW, x = 0 (alpha < beta)
        (1.61, 22.16, -0.098, -0.0217),
        (3.0, 4.5, -2.0, -0.5),
        (0.55, 1.61, -0.5, 0.0),  # alpha > beta, x = 0
    ],
)
@pytest.mark.parametrize("d", [4, 6, 8])
def test_interpolation_error_is_within_its_bound(
    B: float, C: float, u_lo: float, u_hi: float, d: int
) -> None:
    """log 2F1(1, B; C; 1 - e^u) against its degree-d Chebyshev interpolant on [u_lo,
    u_hi]: the error at 400 points is below the Bernstein-ellipse bound (plus the
    rounding of the direct values)."""
    h = (u_hi - u_lo) / 2.0
    nodes = np.cos(np.pi * (np.arange(d + 1) + 0.5) / (d + 1))

    def f(u: np.ndarray) -> np.ndarray:
        return log_hyp2f1_1b_rho(B, C, -np.expm1(u), np.exp(u))[0]

    coefs = np.polynomial.chebyshev.chebfit(nodes, f(u_lo + h * (nodes + 1.0)), d)
    s = np.linspace(-1.0, 1.0, 400)
    err = np.max(np.abs(np.polynomial.chebyshev.chebval(s, coefs) - f(u_lo + h * (s + 1.0))))
    bound, _ = _bounds(h, max(abs(u_lo), abs(u_hi)), d)
    assert err <= bound + 1e-14
    assert math.isfinite(bound)


def test_public_predictions_go_through_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """probability_alive and conditional_expected_purchases on a large simulated CDNOW
    summary use the tables (every row accepted) and agree with the direct route."""
    import crmkit.clv.paretonbd as pnbd_module

    calls: list[tuple[str, float]] = []
    inner = pnbd_module.tabled_predict

    def recorded(*args: Any, **kw: Any) -> Any:
        got = inner(*args, **kw)
        assert got is not None
        calls.append((kw["what"], float(got[1].mean())))
        return got

    monkeypatch.setattr(pnbd_module, "tabled_predict", recorded)
    model = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    rng = np.random.default_rng(3)
    data = model.simulate(N, rng.uniform(27.0, 39.0, N), rng)
    pa = model.probability_alive(data)
    ce = model.conditional_expected_purchases(data, t=12.0)
    assert [c[0] for c in calls] == ["p_alive", "conditional"]
    assert min(c[1] for c in calls) == 1.0
    x, tx, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    R = model._log_ratio_many(x, tx, T)  # the route without tables
    pa0 = 1.0 / (1.0 + np.exp(R))
    far = T - tx >= 1e-3 * T  # (the direct route forms a difference for shorter gaps)
    np.testing.assert_allclose(pa.to_numpy()[far], pa0[far], rtol=1e-10)
    ce0 = model._per_customer(12.0, x, T, pa0)
    np.testing.assert_allclose(ce.to_numpy()[far], ce0[far], rtol=1e-10)
