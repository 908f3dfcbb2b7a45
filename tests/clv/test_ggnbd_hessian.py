"""GG/NBD exact derivatives: the Hessian of the log-likelihood against mpmath (30 and 50
digits) and against central differences of the analytic gradient, and the fit on them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import GammaGompertzNBD
from crmkit.clv._ggnbd_numerics import (
    log_purchase_lifetime_integral_grad,
    log_purchase_lifetime_integral_hess,
    log_survival_grad,
    log_survival_hess,
)
from crmkit.clv.ggnbd import ggnbd_objective
from crmkit.datasets import load_cdnow_summary

REF = Path(__file__).resolve().parents[1] / "reference"


def _one(point: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray]:
    arr = [np.array([float(point[k])]) for k in ("x", "tx", "T")]
    _, vg = ggnbd_objective(*arr, np.ones(1))
    theta = np.array([point["params"][k] for k in ("r", "alpha", "b", "s", "beta")])
    return vg.value_gradient_hessian(theta)  # type: ignore[union-attr,no-any-return]


@pytest.mark.parametrize(
    "point", json.loads((REF / "clv_ggnbd_hessian.json").read_text())["points"]
)
def test_matches_mpmath(point: dict[str, Any]) -> None:
    tol = json.loads((REF / "clv_ggnbd_hessian.json").read_text())["tolerance"]
    _, g, h = _one(point)
    want_g, want_h = np.array(point["gradient"]), np.array(point["hessian"])
    np.testing.assert_allclose(g, want_g, rtol=tol["gradient_rel"])
    big = np.max(np.abs(want_h))
    atol = tol["hessian_abs_of_largest"] * big
    np.testing.assert_allclose(h, want_h, rtol=tol["hessian_rel"], atol=atol)


def _central(fn: Any, p: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    cols = []
    for j in range(p.size):
        e = np.zeros(p.size)
        e[j] = rel * max(abs(p[j]), 1e-300)
        cols.append((fn(p + e) - fn(p - e)) / (2 * e[j]))
    return np.stack(cols, axis=-1)


@settings(max_examples=30, deadline=None)
@given(
    b=st.floats(min_value=1e-4, max_value=2.0),
    s=st.floats(min_value=0.05, max_value=20.0),
    beta=st.floats(min_value=1e-3, max_value=100.0),
    m=st.floats(min_value=0.1, max_value=200.0),
    c=st.floats(min_value=0.1, max_value=100.0),
    frac=st.floats(min_value=0.0, max_value=0.999),
)
def test_integral_hessian_is_the_derivative_of_its_gradient(
    b: float, s: float, beta: float, m: float, c: float, frac: float
) -> None:
    lo, hi = np.array([39.0 * frac]), np.array([39.0])
    _, grad, hess = log_purchase_lifetime_integral_hess(
        np.array([m]), np.array([c]), lo, hi, b, beta, s
    )
    _, grad2 = log_purchase_lifetime_integral_grad(
        np.array([m]), np.array([c]), lo, hi, b, beta, s
    )
    np.testing.assert_array_equal(grad, grad2)

    def gradient(p: np.ndarray) -> np.ndarray:
        return log_purchase_lifetime_integral_grad(
            np.array([p[0]]), np.array([p[1]]), lo, hi, p[2], p[4], p[3]
        )[1][:, 0]

    p = np.array([m, c, b, s, beta])
    fd = _central(gradient, p)
    scale = np.sqrt(np.outer(np.abs(np.diag(hess[:, :, 0])), np.abs(np.diag(hess[:, :, 0]))))
    # the differenced gradient is a quadrature sum accurate to ~1e-13 of its size: column
    # j of the difference quotient carries that error divided by its step 1e-6 |p_j|
    rounding = 1e-13 * (1.0 + np.abs(grad).max()) / (1e-6 * np.abs(p))
    assert np.all(np.abs(fd - hess[:, :, 0]) <= 1e-5 * scale + rounding[None, :])


def test_survival_hessian_is_the_derivative_of_its_gradient() -> None:
    y = np.array([0.0, 0.5, 10.0, 39.0, 5000.0])
    for b, s, beta in [(0.05, 0.6, 0.5), (1.3, 4.0, 20.0), (1e-6, 0.6, 1e-5)]:

        def gradient(p: np.ndarray) -> np.ndarray:
            return np.stack(log_survival_grad(y, p[0], p[2], p[1]))

        fd = _central(gradient, np.array([b, s, beta]))  # (3, n, 3)
        got = log_survival_hess(y, b, beta, s)  # (3, 3, n)
        want = np.moveaxis(fd, 2, 1)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9 * np.abs(want).max())


def test_objective_hessian_on_cdnow_is_the_derivative_of_its_gradient() -> None:
    s = load_cdnow_summary()
    x, tx, T = (s[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    _, vg = ggnbd_objective(x, tx, T, np.ones(x.size))
    for theta in (np.array([0.55, 10.6, 0.05, 0.6, 0.5]), np.array([0.6, 12.0, 2e-3, 1.3, 3.0])):
        value, g, h = vg.value_gradient_hessian(theta)  # type: ignore[union-attr]
        assert (value, g.tolist()) == (vg(theta)[0], vg(theta)[1].tolist())
        fd = _central(lambda p: vg(p)[1], theta)
        np.testing.assert_allclose(h, fd, rtol=1e-5)


def test_cdnow_fit_takes_few_passes() -> None:
    """With the exact Hessian the fit (which ends at the Pareto/NBD limit) takes under
    two dozen iterations; L-BFGS-B on the gradient alone took 50."""
    s = load_cdnow_summary()
    seen: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = GammaGompertzNBD.fit(s, callback=lambda i, ll, p: seen.append(ll))
    assert fit.log_likelihood == pytest.approx(-9594.9739, abs=1e-3)
    assert len(seen) <= 25
