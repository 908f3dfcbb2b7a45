"""The exact BG/NBD / MBG/NBD Hessian and the Newton path of the fit driver.

The analytic Hessian of :class:`crmkit.clv._bg_objective.BetaGeoObjective` is checked
against mpmath derivatives of the closed-form likelihood (``tests/reference/
clv_bgnbd_hessian.json``) and against central differences of the analytic gradient on
random parameters; the driver's Newton path must reach the same optimum as the
quasi-Newton one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, ModifiedBetaGeo
from crmkit.clv._base import maximize_log_likelihood
from crmkit.clv._bg_objective import BetaGeoObjective
from crmkit.clv._compress import all_distinct
from crmkit.clv._newton import cholesky_solve, newton_minimize
from crmkit.exceptions import CrmkitError

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "clv_bgnbd_hessian.json").read_text()
)


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['model']}-{c['params']}")
def test_hessian_matches_mpmath(case: dict) -> None:
    h = REF["histories"]
    x, tx, T, w = (np.array(h[k], dtype=float) for k in ("x", "tx", "T", "w"))
    shift = 0 if case["model"] == "BG/NBD" else 1
    obj = BetaGeoObjective(x, tx, T, w, shift)
    value, grad, hess = obj.value_gradient_hessian(np.array(case["params"]))
    rtol = REF["tolerance"]["rtol"]
    assert value == pytest.approx(case["log_likelihood"], rel=1e-12)
    want_g = np.array(case["gradient"])
    np.testing.assert_allclose(grad, want_g, rtol=0, atol=rtol * np.max(np.abs(want_g)))
    want_h = np.array(case["hessian"])
    for row, want in zip(hess, want_h, strict=True):
        np.testing.assert_allclose(row, want, rtol=0, atol=rtol * np.max(np.abs(want)))


def _histories(seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(1.0, 200.0, n)
    x = np.minimum(np.floor(rng.pareto(0.8, n) * 2.0), 500.0)
    tx = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    return x, tx, T, rng.integers(1, 4, n).astype(float)


@pytest.mark.parametrize("shift", [0, 1])
@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    log_theta=st.tuples(
        st.floats(-5.0, 5.0), st.floats(-5.0, 6.0), st.floats(-5.0, 8.0), st.floats(-5.0, 8.0)
    )
)
def test_hessian_matches_gradient_differences(
    shift: int, log_theta: tuple[float, float, float, float]
) -> None:
    x, tx, T, w = _histories(3, 2000)
    obj = BetaGeoObjective(x, tx, T, w, shift)
    theta = np.exp(np.array(log_theta))
    value, grad, hess = obj.value_gradient_hessian(theta)
    v1, g1 = obj(theta)
    assert value == v1 == obj.value(theta)
    np.testing.assert_array_equal(grad, g1)
    np.testing.assert_array_equal(hess, hess.T)
    # in log-parameters (where the fit works) every entry is on a comparable scale
    hz = hess * np.outer(theta, theta)
    fd = np.empty((4, 4))
    for j in range(4):
        h = 1e-5
        up, down = theta.copy(), theta.copy()
        up[j] *= np.exp(h)
        down[j] *= np.exp(-h)
        fd[:, j] = (obj(up)[1] * theta - obj(down)[1] * theta) / (2.0 * h)
    # theta_i (g_i(up) - g_i(down)) / (2 h) = theta_i theta_j H_ij + O(h^2)
    np.testing.assert_allclose(fd, hz, rtol=0, atol=1e-6 * np.max(np.abs(hz)))


def _fixed_p_log_likelihood(
    r: float,
    alpha: float,
    p: float,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
    shift: int,
) -> float:
    """The likelihood with one dropout probability p for everyone (FHL 2005 eq. 6 with a
    point mass at p; shift 1: the MBG/NBD, Batislam et al. 2007 eq. 3), in closed form."""
    from scipy import special

    k = x + shift
    log_a = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    first = k * np.log1p(-p) + log_a - (r + x) * np.log(alpha + T)
    second = np.where(
        k > 0,
        np.log(p) + np.maximum(k - 1.0, 0.0) * np.log1p(-p) + log_a - (r + x) * np.log(alpha + tx),
        -np.inf,
    )
    return float(w @ np.logaddexp(first, second))


@pytest.mark.parametrize("shift", [0, 1])
@pytest.mark.parametrize("total", [1e8, 1e11, 1e14, 1e16])
def test_derivatives_on_the_fixed_p_ridge(shift: int, total: float) -> None:
    """On a, b -> infinity with a/(a+b) = p the gradient and Hessian stay exact.

    The derivative in p (a + b fixed) is the closed form's, by central differences; the
    one along the ridge (log a and log b together) vanishes like 1/(a + b); the Hessian
    matches central differences of the gradient. Digamma differences of the beta ratio
    used to cancel here (a gradient of 1e3 per data set at a + b = 1e14).
    """
    x, tx, T, w = _histories(5, 2000)
    r, alpha, p = 0.7, 40.0, 0.02
    obj = BetaGeoObjective(x, tx, T, w, shift)
    theta = np.array([r, alpha, p * total, (1.0 - p) * total])
    _, g, hess = obj.value_gradient_hessian(theta)
    h = 1e-6
    dp = (
        _fixed_p_log_likelihood(r, alpha, p + h, x, tx, T, w, shift)
        - _fixed_p_log_likelihood(r, alpha, p - h, x, tx, T, w, shift)
    ) / (2.0 * h)
    # the model approaches the limit like (count) / (a + b): 3e-6 relative at 1e8
    assert total * (g[2] - g[3]) == pytest.approx(dp, rel=max(1e-7, 1e3 / total))
    along = g[2] * theta[2] + g[3] * theta[3]
    assert abs(along) < 1e-3 * np.sum(w) * max(1.0, 1e8 / total)
    hz = hess * np.outer(theta, theta)
    fd = np.empty((4, 4))
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] *= np.exp(1e-5)
        down[j] *= np.exp(-1e-5)
        fd[:, j] = (obj(up)[1] * theta - obj(down)[1] * theta) / 2e-5
    np.testing.assert_allclose(fd, hz, rtol=0, atol=1e-6 * np.max(np.abs(hz)))


def test_cholesky_solve_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    for k in (1, 2, 4, 6):
        a = rng.normal(size=(k, k))
        H = a @ a.T + k * np.eye(k)
        g = rng.normal(size=k)
        np.testing.assert_allclose(cholesky_solve(H, g), np.linalg.solve(H, g), rtol=1e-12)
    assert cholesky_solve(np.array([[0.0]]), np.ones(1)) is None
    assert cholesky_solve(np.array([[np.nan]]), np.ones(1)) is None


def test_newton_minimize_quadratic_and_box() -> None:
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    c = np.array([0.3, -0.7])

    def fgh(z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        d = z - c
        return float(0.5 * d @ A @ d), A @ d, A

    out = newton_minimize(fgh, np.array([5.0, 5.0]), np.full(2, -10.0), np.full(2, 10.0))
    assert out.interior
    np.testing.assert_allclose(out.z, c, atol=1e-12)
    assert out.iterations <= 8  # steps of at most 2 per coordinate, then one exact step
    # the minimum outside the box: no interior result, the caller goes on
    out = newton_minimize(fgh, np.zeros(2), np.full(2, -10.0), np.array([10.0, -1.0]))
    assert not out.interior


def test_newton_path_agrees_with_quasi_newton_path() -> None:
    x, tx, T, w = _histories(5, 3000)
    obj = BetaGeoObjective(x, tx, T, w, 0)
    common = {
        "names": ["r", "alpha", "a", "b"],
        "n_obs": float(w.sum()),
        "value_and_gradient": obj,
    }
    plain = maximize_log_likelihood(obj.value, [1.0, 10.0, 1.0, 3.0], **common)
    fast = maximize_log_likelihood(
        obj.value,
        [1.0, 10.0, 1.0, 3.0],
        value_gradient_hessian=obj.value_gradient_hessian,
        **common,
    )
    assert plain.converged
    assert fast.converged
    np.testing.assert_allclose(fast.params, plain.params, rtol=1e-6)
    assert fast.log_likelihood >= plain.log_likelihood - 1e-8
    # standard errors from the exact Hessian agree with the finite-difference ones
    np.testing.assert_allclose(
        np.sqrt(np.diag(fast.covariance)), np.sqrt(np.diag(plain.covariance)), rtol=1e-4
    )
    assert fast.iterations < plain.iterations


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_fit_on_simulated_continuous_histories(cls: type[BetaGeo]) -> None:
    rng = np.random.default_rng(8)
    truth = cls(r=0.5, alpha=6.0, a=0.8, b=2.5)
    sim = truth.simulate(20_000, rng.uniform(20.0, 40.0, 20_000), rng)
    fit = cls.fit(sim)
    assert fit.converged
    assert fit.n_unique == 20_000  # continuous times: every history distinct
    for name, value in truth.params.items():
        est, se = fit.params[name], fit.stderr[name]
        assert abs(est - value) < 5.0 * se, name


def test_all_distinct() -> None:
    rng = np.random.default_rng(2)
    v = rng.uniform(0.0, 50.0, 100_000)
    assert all_distinct(v)
    dup = v.copy()
    dup[17] = dup[99_000]
    assert not all_distinct(dup)
    assert not all_distinct(np.round(v))
    assert all_distinct(np.array([]))
    assert not all_distinct(np.array([0.0, -0.0]))
    assert all_distinct(np.arange(1e6))  # regular spacing: still linear (hashed bits)


def test_clean_summary_fast_path_matches_detailed_checks() -> None:
    from crmkit.clv._data import _clean_arrays, summary_arrays

    rng = np.random.default_rng(4)
    n = 5000
    T = rng.uniform(1.0, 50.0, n)
    x = rng.integers(0, 6, n).astype(float)
    tx = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    needed = ["frequency", "recency", "T"]
    fast = _clean_arrays(frame, needed, False, True)
    assert fast is not None
    for name in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(getattr(fast, name), frame[name].to_numpy())
    np.testing.assert_array_equal(fast.weights, np.ones(n))
    # anything the detailed checks would refuse leaves the fast path
    for col, i, bad in [
        ("frequency", 3, 1.5),
        ("recency", 5, np.nan),
        ("T", 7, -1.0),
        ("T", 9, np.inf),
        ("recency", 11, 1e3),  # recency > T
    ]:
        broken = frame.copy()
        broken.loc[i, col] = bad
        assert _clean_arrays(broken, needed, False, True) is None
        with pytest.raises(CrmkitError):
            summary_arrays(broken)
    ghost = frame.copy()
    ghost.loc[np.flatnonzero(x == 0)[0], "recency"] = 1.0
    assert _clean_arrays(ghost, needed, False, True) is None
    with pytest.raises(CrmkitError, match="frequency 0 but recency > 0"):
        summary_arrays(ghost)
    # nullable integer columns take the detailed path
    nullable = frame.assign(frequency=frame["frequency"].astype("Int64"))
    assert _clean_arrays(nullable, needed, False, True) is None


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_cdnow_fit_finished_by_newton_steps(cls: type[BetaGeo]) -> None:
    from crmkit.datasets import load_cdnow_summary

    fit = cls.fit(load_cdnow_summary())
    assert fit.converged
    assert fit.message.startswith("Newton: converged")
    assert fit.iterations <= 10  # 5 (BG/NBD) and 7 (MBG/NBD) Newton steps today


def test_newton_minimize_evaluation_budget() -> None:
    from crmkit.clv._newton import MAX_EVALS

    rng = np.random.default_rng(0)
    calls = []

    def noisy(z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        # values unrelated to the gradient: most line searches fail or crawl
        calls.append(1)
        return float(rng.uniform()), np.ones(2), np.eye(2)

    out = newton_minimize(noisy, np.zeros(2), np.full(2, -1e9), np.full(2, 1e9))
    assert len(calls) <= MAX_EVALS
    assert not out.interior
