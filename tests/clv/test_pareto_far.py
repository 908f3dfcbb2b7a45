"""Pareto/NBD ratio R where beta is far above alpha + T (expansion in 1/(beta - alpha))."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit.clv._pareto_ratio as pr
from crmkit.clv._pareto_far import EPS_MAX, K_MAX, far_log_ratio, far_rows
from crmkit.clv._pareto_ratio import pareto_log_ratio

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "clv_pareto_far.json"
DOC: dict[str, Any] = json.loads(REFERENCE.read_text())


def _args(p: dict[str, Any]) -> tuple[tuple[float, ...], tuple[list[float], ...]]:
    theta = (p["r"], p["alpha"], p["s"], p["beta"])
    return theta, ([p["x"]], [p["t_x"]], [p["T"]])


@pytest.mark.parametrize("route", ["expansion", "pareto_log_ratio"])
def test_mpmath_reference(route: str) -> None:
    """R and its gradient against mpmath (30 and 50 digits agree) within the stored tolerance."""
    tol = DOC["tolerance"]
    assert len(DOC["points"]) >= 50
    for p in DOC["points"]:
        theta, rows = _args(p)
        x, tx, T = (np.array(v) for v in rows)
        assert far_rows(*theta, x, tx, T)[0], p
        if route == "expansion":
            R, dR = far_log_ratio(*theta, *rows, grad=True)
        else:
            R, dR = pareto_log_ratio(*theta, *rows, grad=True, fast=False)
        assert dR is not None
        want = np.array(p["gradient"])
        if p["R"] is None:  # t_x = T: no dropout integral
            assert R[0] == -math.inf
            assert np.all(dR[:, 0] == 0.0)
            continue
        assert abs(R[0] - p["R"]) <= tol["R_atol"], p
        np.testing.assert_allclose(dR[:, 0], want, rtol=tol["gradient_rtol"], atol=0.0)


def test_rows_and_bounds() -> None:
    """Only beta > alpha with eps <= 1/2 and bounded cancellation; the documented worst case
    needs at most K_MAX terms (the tail bound of the module docstring)."""
    T = np.array([0.0, 10.0, 100.0, 1000.0])
    tx = np.zeros(4)
    assert not far_rows(1.0, 5.0, 0.5, 5.0, tx, tx, T).any()
    assert not far_rows(1.0, 5.0, 0.5, 1.0, tx, tx, T).any()
    np.testing.assert_array_equal(
        far_rows(1.0, 1.0, 0.5, 1.0 + 2.0 * 101.0, tx, tx, T), [1, 1, 1, 0]
    )
    # s = 1e6: only eps = 1e-6 keeps the cancellation ((1 + eps)/(1 - eps))^(s + 1) <= 30
    np.testing.assert_array_equal(far_rows(1.0, 1.0, 1e6, 1e6, tx, tx, T), [1, 0, 0, 0])
    # (r + x)(T - t_x) below 1e-5 (alpha + T), but not 0: left to the other methods
    gaps = np.array([100.0, 100.0 - 1e-4, 100.0 - 1e-2])
    np.testing.assert_array_equal(
        far_rows(1.0, 1.0, 0.5, 1e4, np.ones(3), gaps, np.full(3, 100.0)), [1, 0, 1]
    )
    s = math.log(30.0) / math.log(3.0) - 1.0  # the largest s at eps = 1/2
    ce, need = 1.0, None
    for k in range(1, K_MAX + 1):
        ce *= (s + k) / k * EPS_MAX
        rk = (s + k + 1.0) / (k + 1.0) * EPS_MAX
        r2 = rk * (k + 3.0) / (k + 2.0)
        bound = ce * rk * (k + 2.0) / (1.0 - r2) * (1.0 + EPS_MAX) ** (s + 1.0)
        if r2 < 1.0 and bound <= 1e-17:
            need = k
            break
    assert need is not None
    assert need <= 80


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    r=st.floats(1e-3, 1e3),
    alpha=st.floats(1e-3, 1e3),
    s=st.floats(1e-12, 5.0),
    eps=st.floats(1e-8, 0.5),
    x=st.sampled_from([0.0, 1.0, 3.0, 50.0]),
    frac=st.floats(0.0, 0.99),
    T=st.floats(0.5, 2000.0),
)
def test_matches_other_routes(
    r: float, alpha: float, s: float, eps: float, x: float, frac: float, T: float
) -> None:
    """Where it applies, R agrees with the hypergeometric series / quadrature route, and
    its gradient with central differences of R."""
    beta = alpha + (alpha + T) / eps
    tx = frac * T if x > 0 else 0.0
    if not far_rows(r, alpha, s, beta, np.array([x]), np.array([tx]), np.array([T]))[0]:
        return
    R, dR = far_log_ratio(r, alpha, s, beta, [x], [tx], [T], grad=True)
    assert dR is not None
    # the other routes: the same function with the expansion switched off
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pr, "far_rows", lambda *a: np.zeros(1, dtype=bool))
        R0, _ = pareto_log_ratio(r, alpha, s, beta, [x], [tx], [T], fast=False)
    assert abs(R[0] - R0[0]) <= 1e-9 * max(1.0, abs(R0[0]))
    theta = np.array([r, alpha, s, beta])
    for j in range(4):
        h = 1e-6 * theta[j]
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        fd = (
            far_log_ratio(*up, [x], [tx], [T])[0][0] - far_log_ratio(*dn, [x], [tx], [T])[0][0]
        ) / (2.0 * h)
        assert (
            abs(dR[j, 0] - fd)
            <= 1e-5 * max(abs(fd), abs(dR[j, 0]), 1e-300) + 1e-9 * abs(R[0]) / theta[j]
        ), (j, dR[j, 0], fd)
