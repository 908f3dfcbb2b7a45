"""The exact Pareto/NBD Hessian and the Newton-first Pareto/NBD fit.

The analytic Hessian of :mod:`crmkit.clv._pareto_hessian` is checked against mpmath
derivatives of the integral-form likelihood (``tests/reference/clv_pareto_hessian.json``),
its series second derivatives against mpmath's hypergeometric function, and the whole
Hessian against central differences of the analytic gradient on random parameters, on
few histories (direct) and on many (interpolated). The fit with the Newton steps must
reach the optimum of the quasi-Newton fit.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import ParetoNBD
from crmkit.clv._pareto_hessian import pareto_hessian, series_1b_hessian, supported
from crmkit.clv._pareto_objective import pareto_objective

REF_PATH = Path(__file__).resolve().parents[1] / "reference" / "clv_pareto_hessian.json"


@pytest.mark.parametrize("index", [0, 1])
def test_hessian_matches_mpmath(index: int) -> None:
    REF = json.loads(REF_PATH.read_text())
    case = REF["cases"][index]
    h = REF["histories"]
    x, tx, T, w = (np.array(h[k], dtype=float) for k in ("x", "tx", "T", "w"))
    value, grad, hess = pareto_hessian(x, tx, T, w)(np.array(case["params"]))
    rtol = REF["tolerance"]["rtol"]
    assert value == pytest.approx(case["log_likelihood"], rel=1e-12)
    want_g = np.array(case["gradient"])
    np.testing.assert_allclose(grad, want_g, rtol=0, atol=rtol * np.max(np.abs(want_g)))
    want_h = np.array(case["hessian"])
    for row, want in zip(hess, want_h, strict=True):
        np.testing.assert_allclose(row, want, rtol=0, atol=rtol * np.max(np.abs(want)))


def _mp_log_f_derivatives(B: float, C: float, z: float, dps: int) -> list[float]:
    with mp.workdps(dps):

        def f(b: object, c: object, zz: object) -> object:
            return mp.log(mp.hyp2f1(1, b, c, zz))

        at = (mp.mpf(B), mp.mpf(C), mp.mpf(z))
        orders = [
            (0, 0, 0),
            (1, 0, 0),
            (0, 1, 0),
            (0, 0, 1),
            (2, 0, 0),
            (1, 1, 0),
            (0, 2, 0),
            (1, 0, 1),
            (0, 1, 1),
            (0, 0, 2),
        ]
        return [float(mp.diff(f, at, o)) for o in orders]


@pytest.mark.parametrize(
    ("B", "C", "z"),
    [
        (0.55, 2.16, 0.0),
        (2.55, 4.16, 0.3),
        (1.61, 3.16, 0.9),
        (120.5, 122.1, 0.05),
        (0.01, 1.5, 0.6),
    ],
)
def test_series_second_derivatives_match_mpmath(B: float, C: float, z: float) -> None:
    got = series_1b_hessian(B, C, z)[:, 0]
    lo, hi = _mp_log_f_derivatives(B, C, z, 30), _mp_log_f_derivatives(B, C, z, 45)
    np.testing.assert_allclose(lo, hi, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(got, hi, rtol=1e-12, atol=1e-14)


def _histories(seed: int, n: int) -> tuple[np.ndarray, ...]:
    model = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    rng = np.random.default_rng(seed)
    d = model.simulate(n, rng.uniform(27.0, 39.0, n), rng)
    x, tx, T = (d[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    return x, tx, T, rng.integers(1, 4, n).astype(float)


@pytest.mark.parametrize("n", [1500, 12_000])
@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    log_theta=st.tuples(
        st.floats(-3.0, 2.0), st.floats(0.0, 4.0), st.floats(-3.0, 2.0), st.floats(-1.0, 2.0)
    )
)
def test_hessian_matches_gradient_differences(
    n: int, log_theta: tuple[float, float, float, float]
) -> None:
    x, tx, T, w = _histories(5, n)
    theta = np.exp(np.array(log_theta))
    fgh = pareto_hessian(x, tx, T, w)
    value, grad, hess = fgh(theta)
    if not supported(theta, float(tx.min())):
        assert np.isnan(value)
        assert np.isnan(hess).all()
        return
    _, vg = pareto_objective(x, tx, T, w)
    v1, g1 = vg(theta)
    assert value == pytest.approx(v1, rel=1e-12)
    np.testing.assert_allclose(grad, g1, rtol=1e-9, atol=1e-9 * np.max(np.abs(g1)))
    np.testing.assert_array_equal(hess, hess.T)
    # in log-parameters (where the fit works) every entry is on a comparable scale
    hz = hess * np.outer(theta, theta) + np.diag(theta * grad)
    fd = np.empty((4, 4))
    h = 1e-5
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] *= np.exp(h)
        down[j] *= np.exp(-h)
        fd[:, j] = (vg(up)[1] * up - vg(down)[1] * down) / (2.0 * h)
    np.testing.assert_allclose(hz, fd, rtol=0, atol=1e-6 * np.max(np.abs(fd)))


def test_unsupported_region_is_nan() -> None:
    x, tx, T, w = _histories(1, 200)
    value, grad, hess = pareto_hessian(x, tx, T, w)(np.array([0.5, 1.0, 0.5, 1e6]))
    assert np.isnan(value)
    assert np.isnan(grad).all()
    assert np.isnan(hess).all()


def test_newton_fit_matches_quasi_newton_fit() -> None:
    """Fits with and without the exact Hessian end at the same optimum (40,000 rows:
    warm start on a subsample, Newton steps on the full data)."""
    x, tx, T, _ = _histories(11, 40_000)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    fit = ParetoNBD.fit(summary)

    class NoHessian(ParetoNBD):
        @classmethod
        def _objective(cls, x, tx, T, w):  # type: ignore[no-untyped-def]
            ll, vg = pareto_objective(x, tx, T, w)
            return ll, (lambda th: vg(th))

    plain = NoHessian.fit(summary)
    assert fit.converged
    assert plain.converged
    for k in ("r", "alpha", "s", "beta"):
        assert fit.params[k] == pytest.approx(plain.params[k], rel=1e-6)
    assert fit.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    se, se_plain = fit.stderr, plain.stderr
    for k in ("r", "alpha", "s", "beta"):
        assert se[k] == pytest.approx(se_plain[k], rel=1e-4)


def _mp_total_log_likelihood(theta: list[float], hist: list[tuple[float, ...]], dps: int) -> float:
    """Weighted Pareto/NBD log-likelihood (note 009, eq. 19, integral form) in mpmath."""
    with mp.workdps(dps):
        r, alpha, s, beta = (mp.mpf(v) for v in theta)
        total = mp.mpf(0)
        for x, tx, T, w in hist:
            m = r + x
            common = mp.loggamma(m) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
            a_term = (alpha + T) ** (-m) * (beta + T) ** (-s)
            # 40 panels: one panel misses the fast decay of the integrand at large r
            integral = mp.quad(
                lambda y, m=m: (alpha + y) ** (-m) * (beta + y) ** (-s - 1),
                mp.linspace(tx, T, 40),
            )
            total += w * (common + mp.log(a_term + s * integral))
        return float(total)


@pytest.mark.parametrize("theta", [[1e8, 2e8, 0.61, 11.67], [1e8, 2e8, 1e7, 1.9e8]])
def test_objective_without_cancellation_at_very_large_r(theta: list[float]) -> None:
    """At r = 1e8 the log-gammas are 1.7e9 each: summed over 100,000 customers and then
    subtracted they lose up to about 1e-2 of the log-likelihood; formed per purchase
    count as differences (Stirling), the objective matches mpmath to 1e-13."""
    hist = [(0.0, 0.0, 38.0, 40_001.3), (2.0, 20.25, 38.0, 29_999.7), (5.0, 31.0, 39.0, 30_017.1)]
    want = _mp_total_log_likelihood(theta, hist, 30)
    assert want == pytest.approx(_mp_total_log_likelihood(theta, hist, 45), rel=1e-15)
    x, tx, T, w = (np.array(c) for c in zip(*hist, strict=True))
    ll, vg = pareto_objective(x, tx, T, w)
    th = np.array(theta)
    assert ll(th) == pytest.approx(want, rel=1e-13)
    assert vg(th)[0] == pytest.approx(want, rel=1e-13)
    if supported(th, 0.0):
        assert pareto_hessian(x, tx, T, w)(th)[0] == pytest.approx(want, rel=1e-13)
