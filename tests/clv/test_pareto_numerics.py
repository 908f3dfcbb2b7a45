"""Pareto/NBD numerics: mpmath grid, bounded cost at the edge of the space, limit models."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from crmkit.clv import ParetoNBD
from crmkit.clv._hyp_pareto import log_hyp2f1_1b_rho, log_power_integral
from crmkit.clv._pareto_ratio import pareto_log_ratio
from crmkit.clv._special import log_hyp2f1_1b, log_hyp2f1_1b_grad
from crmkit.clv.paretonbd import pareto_objective

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


def _grid_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_clv_pareto_grid", REFERENCE_DIR / "make_clv_pareto_grid.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GRID = _grid_module()


def _frame(x: float, tx: float, T: float) -> pd.DataFrame:
    return pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})


def _predict(model: ParetoNBD, x: float, tx: float, T: float) -> tuple[float, float, list[float]]:
    arr = (np.array([x]), np.array([tx]), np.array([T]))
    ll = float(model._log_likelihood_rows(*arr)[0])
    frame = _frame(x, tx, T)
    pa = float(model.probability_alive(frame).iloc[0])
    cond = [
        float(np.asarray(model.conditional_expected_purchases(frame, t=t)).ravel()[0])
        for t in GRID.T_HORIZONS
    ]
    return ll, pa, cond


def _close(got: float, want: float, rtol: float = 1e-10) -> bool:
    return abs(got - want) <= max(rtol * abs(want), 1e-300)


def test_grid_reference() -> None:
    """Every stored mpmath point (30 and 50 digits agree) within the stored tolerance."""
    with (REFERENCE_DIR / "clv_pareto_grid.json").open() as fh:
        doc = json.load(fh)
    tol = doc["tolerance"]
    assert len(doc["points"]) >= 70
    for e in doc["points"]:
        model = ParetoNBD(r=e["r"], alpha=e["alpha"], s=e["s"], beta=e["beta"])
        ll, pa, cond = _predict(model, e["x"], e["t_x"], e["T"])
        want_ll = e["log_likelihood"]
        assert abs(ll - want_ll) <= tol["log_likelihood_atol"] * max(1.0, abs(want_ll)), e
        assert abs(pa - e["probability_alive"]) <= max(
            tol["rtol"] * e["probability_alive"], tol["atol"]
        ), e
        for t, got in zip(doc["horizons"], cond, strict=True):
            want = e["conditional_expected_purchases"][str(t)]
            assert abs(got - want) <= max(tol["rtol"] * want, tol["atol"]), (e, t)


def test_measured_case_beta_far_above_alpha() -> None:
    """P(alive | x = 0, T = 100) at r = s = 0.5, alpha = 0.01, beta = 1e5 (1 - z ~ 1e-5).

    mpmath (note 009, eqs. 18-19, the integral by mp.quad at 30 and 50 digits, as in
    make_clv_pareto_grid.py) gives 0.99901088...; the former series, cut off once
    1 - z < 1e-6, gave 0.99906032.
    """
    want = float(GRID.reference(0.5, 0.01, 0.5, 1e5, 0, 0.0, 100.0, dps=30)["probability_alive"])
    assert want == pytest.approx(0.99901088, abs=5e-9)
    got = float(
        ParetoNBD(r=0.5, alpha=0.01, s=0.5, beta=1e5).probability_alive(_frame(0, 0, 100)).iloc[0]
    )
    assert got == pytest.approx(want, rel=1e-12)


def _exponential_dropout(
    r: float, alpha: float, mu: float, x: float, tx: float, T: float
) -> tuple[Any, Any]:
    """P(alive) and E[X(T, T+1)] when every customer drops out at the same rate mu.

    The limit s, beta -> inf with s / beta = mu: Gamma(s, beta) concentrates at mu, so
    the likelihood is (Fader & Hardie 2005, note 009, eq. 19 with the Gamma mixing over
    mu removed) Gamma(r + x) alpha^r / Gamma(r) [(alpha + T)^-(r+x) e^(-mu T) +
    mu int_{t_x}^T (alpha + u)^-(r+x) e^(-mu u) du] (the NBD purchase model with an
    exponential lifetime of one known rate).
    """
    mp.mp.dps = 30
    m = mp.mpf(r) + x
    alive = (alpha + mp.mpf(T)) ** -m * mp.exp(-mu * mp.mpf(T))
    died = mu * mp.quad(lambda u: (alpha + u) ** -m * mp.exp(-mu * u), [tx, (tx + T) / 2, T])
    p = alive / (alive + died)
    return p, m / (alpha + T) * (1 - mp.exp(-mu)) / mu * p


def test_measured_case_large_s_and_beta_reaches_exponential_limit() -> None:
    """s = 1e8, beta = 1e9: dropout rate mu = s / beta = 0.1 for everybody (P = 0.0840)."""
    p_lim, _ = _exponential_dropout(0.5, 3.0, mp.mpf("0.1"), 0, 0.0, 20.0)
    assert float(p_lim) == pytest.approx(0.0840, abs=5e-5)
    model = ParetoNBD(r=0.5, alpha=3.0, s=1e8, beta=1e9)
    got = float(model.probability_alive(_frame(0, 0, 20)).iloc[0])
    exact = GRID.reference(0.5, 3.0, 1e8, 1e9, 0, 0.0, 20.0, dps=30)["probability_alive"]
    assert got == pytest.approx(float(exact), rel=1e-10)
    assert got == pytest.approx(float(p_lim), rel=1e-6)  # mu T^2 / beta = 4e-8 away


@pytest.mark.parametrize(("x", "tx", "T"), [(0, 0.0, 20.0), (3, 5.0, 30.0), (40, 29.0, 30.0)])
def test_limit_constant_dropout_rate(x: float, tx: float, T: float) -> None:
    """s, beta -> inf with s / beta = mu: within 1e-8 once mu (T + 1)^2 / beta <= 1e-9."""
    mu = 0.05
    p_lim, e_lim = _exponential_dropout(0.8, 4.0, mp.mpf(mu), x, tx, T)
    beta = mu * (T + 1.0) ** 2 / 1e-9
    model = ParetoNBD(r=0.8, alpha=4.0, s=mu * beta, beta=beta)
    frame = _frame(x, tx, T)
    assert float(model.probability_alive(frame).iloc[0]) == pytest.approx(float(p_lim), abs=1e-8)
    got = float(np.asarray(model.conditional_expected_purchases(frame, t=1.0)).ravel()[0])
    assert got == pytest.approx(float(e_lim), rel=1e-8)


@pytest.mark.parametrize(("s", "beta"), [(1e-12, 10.0), (1e-10, 1e12), (0.7, 1e14), (3.0, 1e15)])
def test_limit_no_dropout_is_nbd(s: float, beta: float) -> None:
    """s -> 0 or beta -> inf: nobody drops out; P(alive) = 1 and E = (r + x) t / (alpha + T).

    The NBD model (Ehrenberg 1959): gamma-mixed Poisson purchases, the posterior rate
    Gamma(r + x, alpha + T).
    """
    r, alpha = 0.6, 8.0
    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    for x, tx, T in [(0, 0.0, 50.0), (5, 20.0, 52.0), (200, 99.0, 100.0)]:
        frame = _frame(x, tx, T)
        assert float(model.probability_alive(frame).iloc[0]) == pytest.approx(1.0, abs=1e-8)
        for t in (1.0, 10.0):
            got = float(np.asarray(model.conditional_expected_purchases(frame, t=t)).ravel()[0])
            assert got == pytest.approx((r + x) * t / (alpha + T), rel=1e-8)
        ll = float(model._log_likelihood_rows(np.array([x]), np.array([tx]), np.array([T]))[0])
        mp.mp.dps = 30
        nbd = (
            mp.loggamma(r + x)
            - mp.loggamma(r)
            + r * mp.log(alpha / (alpha + mp.mpf(T)))
            - x * mp.log(alpha + mp.mpf(T))
        )
        assert ll == pytest.approx(float(nbd), abs=1e-8)


EXTREME = [
    (0.5, 3.0, 1e-10, 1e12),
    (1e-6, 1e-6, 1e12, 1e12),
    (1e9, 1e-9, 1e-9, 1e9),
    (1e-9, 1e12, 1e9, 1e-9),
    (2.0, 1.0, 1.0, 1.0 + 1e-15),
]


@pytest.mark.parametrize(("r", "alpha", "s", "beta"), EXTREME)
def test_extreme_parameters_finite(r: float, alpha: float, s: float, beta: float) -> None:
    """Far outside the grid: every quantity finite, P(alive) in [0, 1], no warning."""
    rng = np.random.default_rng(5)
    n = 500
    x = rng.integers(0, 10_000, n).astype(float)
    T = rng.uniform(0.0, 1e5, n)
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    ll = model._log_likelihood_rows(x, tx, T)
    assert np.isfinite(ll).all()
    pa = model.probability_alive(frame).to_numpy()
    assert np.isfinite(pa).all()
    assert (pa >= 0).all()
    assert (pa <= 1).all()
    ce = np.asarray(model.conditional_expected_purchases(frame, t=10.0))
    assert np.isfinite(ce).all()
    assert (ce >= 0).all()
    pn = np.asarray(model.probability_no_purchase(frame, t=10.0))
    assert np.isfinite(pn).all()
    assert (pn >= 0).all()
    assert (pn <= 1 + 1e-12).all()
    value, grad = pareto_objective(x, tx, T, np.ones(n))[1](np.array([r, alpha, s, beta]))
    assert np.isfinite(value)
    assert np.isfinite(grad).all()


def test_objective_gradient_matches_finite_differences_in_quadrature_range() -> None:
    """beta >> alpha (every history on the quadrature path) and the series path."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 30, 200).astype(float)
    T = rng.uniform(5, 60, 200)
    tx = np.where(x > 0, T * rng.uniform(0, 1, 200), 0.0)
    w = rng.integers(1, 4, 200).astype(float)
    f, fg = pareto_objective(x, tx, T, w)
    assert fg is not None
    for theta in ([0.6, 2.0, 0.4, 5e4], [0.6, 9.0, 0.8, 11.0], [2.0, 3e3, 5.0, 1.0]):
        th = np.array(theta)
        value, grad = fg(th)
        assert value == pytest.approx(f(th), rel=1e-13)
        for j in range(4):
            h = 1e-6 * th[j]
            up, down = th.copy(), th.copy()
            up[j] += h
            down[j] -= h
            fd = (f(up) - f(down)) / (2 * h)
            assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-6 * abs(value) / th[j])


@pytest.mark.parametrize(
    ("B", "C", "rho0"),
    [
        (1.0, 2.0, 1e-12),
        (0.3, 0.8, 1e-3),
        (1e4, 1e4 + 0.5, 1e-6),
        (2.5, 4.5, 0.05),
        (50.0, 51.0, 1e-9),
    ],
)
def test_log_hyp2f1_1b_near_one_matches_mpmath(B: float, C: float, rho0: float) -> None:
    """1 - z down to 1e-12, also C <= 1 (contiguous shift) and C - 1 - B integer."""
    got = float(log_hyp2f1_1b_rho(B, C, 1.0 - rho0, rho0)[0])
    want = []
    for dps in (30, 50):
        mp.mp.dps = dps
        want.append(mp.log(mp.hyp2f1(1, B, C, 1 - mp.mpf(rho0))))
    assert abs(want[0] - want[1]) < 1e-20
    assert got == pytest.approx(float(want[1]), rel=1e-11)


def test_log_hyp2f1_1b_grad_near_one() -> None:
    B = np.array([0.7, 5.0, 300.0])
    C = B + np.array([1.6, 0.4, 2.0])
    z = np.array([0.95, 0.999, 1 - 1e-7])
    _f, dB, dC, dz = log_hyp2f1_1b_grad(B, C, z)
    h = 1e-6
    np.testing.assert_allclose(
        dB, (log_hyp2f1_1b(B + h, C, z) - log_hyp2f1_1b(B - h, C, z)) / (2 * h), rtol=1e-5
    )
    np.testing.assert_allclose(
        dC, (log_hyp2f1_1b(B, C + h, z) - log_hyp2f1_1b(B, C - h, z)) / (2 * h), rtol=1e-5
    )
    hz = (1 - z) * 1e-5
    np.testing.assert_allclose(
        dz, (log_hyp2f1_1b(B, C, z + hz) - log_hyp2f1_1b(B, C, z - hz)) / (2 * hz), rtol=1e-4
    )


def test_power_integral_closed_forms() -> None:
    """rho0 = 1: int_0^tau1 e^{-(p+q-1) tau} = (1 - e^{-(p+q-1) tau1}) / (p+q-1)."""
    p = np.array([0.2, 3.0, 1e6, 1.0])
    q = np.array([0.9, 0.5, 1e-4, 1e-4])
    tau1 = np.array([np.inf, 2.0, 1e-3, 50.0])
    got, _ = log_power_integral(p, q, 1.0, tau1)
    k = p + q - 1.0
    np.testing.assert_allclose(np.exp(got), -np.expm1(-k * tau1) / k, rtol=1e-12)
    zero, _ = log_power_integral(2.0, 3.0, 0.5, 0.0)
    assert np.isneginf(zero[0])


def test_pareto_log_ratio_is_minus_inf_when_last_purchase_at_T() -> None:
    R, dR = pareto_log_ratio(0.5, 1.0, 0.5, 1e6, [3.0, 3.0], [10.0, 10.0], [10.0, 10.0], grad=True)
    assert np.isneginf(R).all()
    assert dR is not None
    assert np.isfinite(dR).all()
