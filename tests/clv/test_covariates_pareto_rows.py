"""Per-customer Pareto/NBD derivatives for the covariate fit, and its fast paths.

Outside checks: one customer's log-likelihood, gradient and Hessian at
customer-specific (alpha_i, beta_i), extreme ratios included, against mpmath
derivatives of the integral-form likelihood at 30 and 50 digits
(``tests/reference/clv_pareto_covariate_rows.json``), by both the series path and the
quadrature path; the total Hessian against the mpmath Hessian of the model without
covariates (``clv_pareto_hessian.json``). The interpolated series rows are checked
against the quadrature on random rows, and the fits with the exact Hessian and with
compressed rows against the fit without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv._covariate_rows import _ratio_rows, pareto_rows
from crmkit.clv.covariates import ParetoNBDCovariates

REF = Path(__file__).resolve().parents[1] / "reference"


def _natural(row_theta: list[float], g: Any, h: Any) -> tuple[Any, Any]:
    """Gradient and Hessian of pareto_rows (gradient in r, log alpha, s, log beta;
    Hessian in the four logarithms) in the natural parameters (r, alpha, s, beta)."""
    theta = np.asarray(row_theta, dtype=float)
    g_log = g * np.array([theta[0], 1.0, theta[2], 1.0])
    g_nat = g_log / theta
    h_nat = (h - np.diag(g_log)) / np.outer(theta, theta)
    return g_nat, h_nat


@pytest.mark.parametrize("series", [True, False])
def test_row_derivatives_match_mpmath(series: bool) -> None:
    ref = json.loads((REF / "clv_pareto_covariate_rows.json").read_text())
    rtol = ref["tolerance"]["rtol"]
    for case in ref["cases"]:
        x, tx, T, r, alpha, s, beta = case["row"]
        ll, g, h = pareto_rows(
            r,
            np.array([alpha]),
            s,
            np.array([beta]),
            np.array([float(x)]),
            np.array([tx]),
            np.array([T]),
            hessian=True,
            series=series,
        )
        assert g is not None
        assert h is not None
        assert ll[0] == pytest.approx(case["log_likelihood"], rel=1e-12), case["row"]
        g_nat, h_nat = _natural([r, alpha, s, beta], g[:, 0], h[:, :, 0])
        want_g = np.array(case["gradient"])
        np.testing.assert_allclose(g_nat, want_g, rtol=0, atol=rtol * np.abs(want_g).max())
        for got, want in zip(h_nat, np.array(case["hessian"]), strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=rtol * np.abs(want).max())


@pytest.mark.parametrize("index", [0, 1])
def test_summed_rows_match_the_mpmath_hessian_without_covariates(index: int) -> None:
    ref = json.loads((REF / "clv_pareto_hessian.json").read_text())
    case = ref["cases"][index]
    hist = ref["histories"]
    x, tx, T, w = (np.array(hist[k], dtype=float) for k in ("x", "tx", "T", "w"))
    r, alpha, s, beta = case["params"]
    n = x.size
    ll, g, h = pareto_rows(r, np.full(n, alpha), s, np.full(n, beta), x, tx, T, hessian=True)
    assert g is not None
    assert h is not None
    assert float(ll @ w) == pytest.approx(case["log_likelihood"], rel=1e-12)
    g_nat, h_nat = _natural(case["params"], g @ w, h @ w)
    want_g, want_h = np.array(case["gradient"]), np.array(case["hessian"])
    np.testing.assert_allclose(g_nat, want_g, rtol=0, atol=1e-10 * np.abs(want_g).max())
    for got, want in zip(h_nat, want_h, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * np.abs(want).max())


def _rows(n: int, seed: int, spread: float) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    x = rng.poisson(3.0, n).astype(float)
    T = rng.uniform(5.0, 60.0, n)
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    alpha = 8.0 * np.exp(rng.normal(0.0, spread, n))
    beta = 20.0 * np.exp(rng.normal(0.0, spread, n))
    return x, tx, T, alpha, beta


def _close(a: Any, b: Any, rtol: float) -> None:
    axes = tuple(range(a.ndim - 1))
    scale = np.maximum(np.abs(b).max(axis=axes), 1e-300)
    assert float(np.max(np.abs(a - b).max(axis=axes) / scale)) <= rtol


@pytest.mark.parametrize("spread", [0.3, 3.0])
def test_interpolated_series_rows_equal_the_quadrature(spread: float) -> None:
    # 6000 rows: the (count, branch) groups are interpolated; spread 3 puts many rows
    # beyond the series range and far apart alpha_i / beta_i (quadrature there)
    x, tx, T, alpha, beta = _rows(6000, 5, spread)
    fast = _ratio_rows(0.8, alpha, 0.9, beta, x, tx, T, 2)
    slow = _ratio_rows(0.8, alpha, 0.9, beta, x, tx, T, 2, series=False)
    live = np.isfinite(slow[0])
    assert np.array_equal(np.isfinite(fast[0]), live)
    np.testing.assert_allclose(fast[0][live], slow[0][live], rtol=1e-11, atol=1e-12)
    _close(fast[1], slow[1], 1e-10)
    _close(fast[2], slow[2], 1e-8)


@settings(max_examples=30, deadline=None)
@given(
    r=st.floats(0.05, 20.0),
    s=st.floats(0.05, 20.0),
    la=st.floats(-8.0, 8.0),
    lb=st.floats(-8.0, 8.0),
    seed=st.integers(0, 2**16),
)
def test_direct_series_rows_equal_the_quadrature(
    r: float, s: float, la: float, lb: float, seed: int
) -> None:
    x, tx, T, alpha, beta = _rows(40, seed, 0.5)
    alpha, beta = alpha * np.exp(la) / 8.0, beta * np.exp(lb) / 20.0
    fast = _ratio_rows(r, alpha, s, beta, x, tx, T, 2)
    slow = _ratio_rows(r, alpha, s, beta, x, tx, T, 2, series=False)
    live = np.isfinite(slow[0])
    np.testing.assert_allclose(fast[0][live], slow[0][live], rtol=1e-10, atol=1e-11)
    _close(fast[1], slow[1], 1e-9)
    _close(fast[2], slow[2], 1e-7)


def test_rows_at_infinite_scales_take_the_quadrature_limits() -> None:
    # alpha_i or beta_i overflowing to inf (extreme coefficients during a search)
    x, tx, T = np.array([1.0, 2.0, 0.0]), np.array([3.0, 5.0, 0.0]), np.full(3, 10.0)
    alpha, beta = np.array([np.inf, 5.0, 1e300]), np.array([3.0, np.inf, 2.0])
    with np.errstate(all="ignore"):
        fast = pareto_rows(0.5, alpha, 0.7, beta, x, tx, T, hessian=True)
        slow = pareto_rows(0.5, alpha, 0.7, beta, x, tx, T, hessian=True, series=False)
    np.testing.assert_array_equal(fast[0], slow[0])
    assert np.isfinite(fast[0][1])


def _summary(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded Pareto/NBD histories (r, alpha, s, beta = 0.8, 8, 0.9, 20; T = 39 weeks),
    purchase times rounded to days, with a three-level covariate without effect."""
    rng = np.random.default_rng(seed)
    idx = pd.Index(np.arange(n), name="customer_id")
    T = 39.0
    lam = rng.gamma(0.8, 1.0 / 8.0, n)
    end = np.minimum(rng.exponential(1.0 / rng.gamma(0.9, 1.0 / 20.0, n)), T)
    x = rng.poisson(lam * end).astype(float)
    tx = np.where(x > 0, np.floor(7.0 * end * rng.beta(np.maximum(x, 1.0), 1.0)) / 7.0, 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T}, index=idx)
    z = pd.DataFrame({"region": rng.choice(["north", "south", "east"], n)}, index=idx)
    return summary, z


def test_exact_hessian_fit_equals_the_quasi_newton_fit(
    monkeypatch: pytest.MonkeyPatch, cdnow: Any
) -> None:
    rng = np.random.default_rng(11)
    z = pd.DataFrame({"w": rng.normal(0.0, 1.0, len(cdnow))}, index=cdnow.index)
    fast = ParetoNBDCovariates.fit(cdnow, purchase_covariates=z, dropout_covariates=z)
    monkeypatch.setattr(ParetoNBDCovariates, "_has_hessian", False)
    slow = ParetoNBDCovariates.fit(cdnow, purchase_covariates=z, dropout_covariates=z)
    assert fast.converged
    assert slow.converged
    assert fast.log_likelihood == pytest.approx(slow.log_likelihood, rel=1e-10)
    np.testing.assert_allclose(fast.estimates, slow.estimates, rtol=1e-6, atol=1e-8)
    se_fast = np.sqrt(np.diag(fast.covariance))
    se_slow = np.sqrt(np.diag(slow.covariance))
    np.testing.assert_allclose(se_fast, se_slow, rtol=1e-4)


def test_compressed_rows_give_the_same_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmkit.clv._covariate_fit as covmod

    summary, z = _summary(1500, 12)
    kw = {"purchase_covariates": z, "dropout_covariates": z}
    seen: list[int] = []
    real = covmod._compressed

    def spy(data: Any, blocks: Any) -> Any:
        out = real(data, blocks)
        seen.append(out[0][0].size)
        return out

    monkeypatch.setattr(covmod, "_compressed", spy)
    packed = ParetoNBDCovariates.fit(summary, **kw)
    assert seen
    assert seen[0] < 0.8 * len(summary)
    monkeypatch.setattr(covmod, "_COMPRESS_GAIN", -1.0)  # never compress
    plain = ParetoNBDCovariates.fit(summary, **kw)
    assert packed.converged
    assert plain.converged
    assert packed.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(packed.estimates, plain.estimates, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(packed.covariance, plain.covariance, rtol=1e-6, atol=1e-12)
