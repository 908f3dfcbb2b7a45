"""Fast paths of BG/NBD and MBG/NBD checked against the direct computations.

The fitting objective (softplus form with cached alpha terms) is compared with the
per-row log-likelihood of the model (an independent ``logaddexp`` formula that the
mpmath grid of ``test_bgnbd_numerics.py`` checks to 1e-10) and its gradient with
central differences; the linear-time distinctness check of the fit with
``compress_rows``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, ModifiedBetaGeo
from crmkit.clv._base import compress_rows
from crmkit.clv._transaction import _distinct_histories
from crmkit.clv.bgnbd import beta_geo_objective


def _histories(rng: np.random.Generator, n: int, days: bool) -> tuple[np.ndarray, ...]:
    T = rng.uniform(1.0, 1e4, n) if not days else rng.integers(1, 60, n).astype(float)
    x = np.floor(rng.pareto(0.7, n) * 3.0)
    x = np.minimum(x, 1e4)
    frac = rng.uniform(0.0, 1.0, n)
    tx = np.where(x > 0, np.floor(frac * T) if days else frac * T, 0.0)
    w = rng.integers(1, 4, n).astype(float)
    return x, tx, T, w


PARAMS = st.tuples(
    st.floats(1e-3, 1e4),
    st.floats(1e-3, 1e4),
    st.floats(1e-3, 1e8),
    st.floats(1e-3, 1e8),
)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize("days", [False, True])
@settings(max_examples=25, deadline=None, derandomize=True)
@given(theta=PARAMS)
def test_objective_matches_rows(
    cls: type[BetaGeo], days: bool, theta: tuple[float, float, float, float]
) -> None:
    x, tx, T, w = _histories(np.random.default_rng(7), 5000, days)
    f, vg = beta_geo_objective(x, tx, T, w, cls._shift)
    r, alpha, a, b = theta
    model = cls(r=r, alpha=alpha, a=a, b=b)
    direct = float(np.dot(w, model._log_likelihood_rows(x, tx, T)))
    value, grad = vg(np.array(theta))
    assert value == pytest.approx(direct, rel=1e-11, abs=1e-9)
    assert f(np.array(theta)) == value
    # a second call at the same alpha (cached logs) gives the same numbers
    value2, grad2 = vg(np.array(theta))
    assert value2 == value
    np.testing.assert_array_equal(grad, grad2)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize("days", [False, True])
def test_objective_gradient(cls: type[BetaGeo], days: bool) -> None:
    x, tx, T, w = _histories(np.random.default_rng(11), 3000, days)
    _, vg = beta_geo_objective(x, tx, T, w, cls._shift)
    rng = np.random.default_rng(3)
    for _ in range(10):
        theta = np.exp(rng.normal(0.0, 1.5, 4))
        _, grad = vg(theta)
        for i in range(4):
            h = 1e-6 * theta[i]
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            fd = (vg(up)[0] - vg(down)[0]) / (2.0 * h)
            scale = abs(vg(theta)[0]) / theta[i]
            assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-7 * scale)


@pytest.mark.parametrize("days", [False, True])
def test_distinct_histories_same_weighted_rows(days: bool) -> None:
    x, tx, T, w = _histories(np.random.default_rng(5), 20_000, days)
    if not days:  # make a few exact duplicates among continuous rows
        x[:50], tx[:50], T[:50] = x[50:100], tx[50:100], T[50:100]
    xs, txs, Ts, ws = _distinct_histories(x, tx, T, w)
    uniq, counts, _ = compress_rows({"x": x, "tx": tx, "T": T}, w)
    assert ws.sum() == pytest.approx(w.sum())
    got = sorted(zip(xs, txs, Ts, ws, strict=True))
    want = sorted(zip(uniq["x"], uniq["tx"], uniq["T"], counts, strict=True))
    assert got == want


def test_distinct_histories_all_distinct_returned_as_is() -> None:
    x, tx, T, w = _histories(np.random.default_rng(6), 20_000, False)
    out = _distinct_histories(x, tx, T, w)
    for got, want in zip(out, (x, tx, T, w), strict=True):
        assert got is want
