"""Fast paths of BG/NBD and MBG/NBD checked against the direct computations.

The fitting objective (softplus form with cached alpha terms) is compared with the
per-row log-likelihood of the model (an independent ``logaddexp`` formula that the
mpmath grid of ``test_bgnbd_numerics.py`` checks to 1e-10) and its gradient with
central differences; the linear-time distinctness check of the fit with
``compress_rows``.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import BetaGeo, ModifiedBetaGeo, customer_lifetime_value
from crmkit.clv._base import compress_rows
from crmkit.clv._hyp_bg import beta_expectations
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv._warm import distinct_histories as _distinct_histories
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


# --- predictions: interpolated discounted sums and single-horizon expectations ---------


def _customers(
    rng: np.random.Generator, n: int, x_max: float, T_max: float
) -> tuple[np.ndarray, ...]:
    """Many customers on a few purchase counts (so that groups are interpolated)."""
    levels = np.unique(np.concatenate([[0.0, 1.0, 2.0], np.floor(rng.uniform(0, x_max, 3))]))
    x = rng.choice(levels, n)
    T = rng.uniform(T_max / 3.0, T_max, n)
    tx = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    return x, tx, T


HARD = st.tuples(
    st.floats(1e-2, 1e3),  # r
    st.floats(1e-2, 1e4),  # alpha
    st.floats(1e-2, 1e8),  # a
    st.floats(1e-2, 1e8),  # b
    st.sampled_from([10.0, 1e3, 1e4]),  # largest x
    st.sampled_from([1.0, 100.0, 1e4]),  # largest T
    st.floats(-0.5, 1.0),  # discount rate per period
    st.sampled_from([1.0, 7.0, 30.0]),  # period length
)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@settings(max_examples=12, deadline=None, derandomize=True)
@given(case=HARD)
def test_discounted_rows_match_direct(cls: type[BetaGeo], case: tuple[float, ...]) -> None:
    r, alpha, a, b, x_max, T_max, d, step = case
    model = cls(r=r, alpha=alpha, a=a, b=b)
    x, tx, T = _customers(np.random.default_rng(1), 1200, x_max, T_max)
    ends = step * np.arange(1.0, 13.0)
    disc = (1.0 + d) ** -np.arange(1.0, 13.0)
    fast = model._discounted_rows(ends, disc, x, tx, T)
    # the direct route: the conditional expectation at every period end
    cum = np.maximum(
        model._conditional_rows(ends[None, :], x[:, None], tx[:, None], T[:, None]), 0.0
    )
    direct = np.diff(cum, axis=1, prepend=0.0) @ disc
    # accuracy is relative to sum_k |c_k| E[X(t_k)] (equal to the value when d >= 0)
    scale = cum @ np.abs(disc - np.append(disc[1:], 0.0))
    assert np.all(np.abs(fast - direct) <= 1e-10 * scale + 1e-300)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@settings(max_examples=15, deadline=None, derandomize=True)
@given(case=HARD)
def test_single_horizon_matches_direct(cls: type[BetaGeo], case: tuple[float, ...]) -> None:
    r, alpha, a, b, x_max, T_max, _, step = case
    model = cls(r=r, alpha=alpha, a=a, b=b)
    x, tx, T = _customers(np.random.default_rng(2), 2000, x_max, T_max)
    t = np.float64(39.0 * step)
    fast = model._conditional_rows(t, x, tx, T)
    _, Q = model._posterior_expectations(t, x, T, want_q=True)
    direct = Q * model._p_alive_rows(x, tx, T)
    np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-300)


def _mp_conditional(r, alpha, a, b, x, tx, T, t) -> float:  # type: ignore[no-untyped-def]
    """FHL (2005) eq. 10 in mpmath (BG/NBD)."""
    r, alpha, a, b, x, tx, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, tx, T, t))
    z = t / (alpha + T + t)
    hyp = mp.hyp2f1(r + x, b + x, a + b + x - 1, z)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    odds = (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0
    return (a + b + x - 1) / (a - 1) * bracket / (1 + odds)


@pytest.mark.parametrize(
    "params", [(0.243, 4.414, 0.793, 2.426), (2.5, 40.0, 3.0, 7.0), (0.6, 1.5, 25.0, 400.0)]
)
def test_fast_paths_against_mpmath(params: tuple[float, float, float, float]) -> None:
    """Cond. expectation and the 12-period discounted sum vs mpmath at two precisions."""
    r, alpha, a, b = params
    model = BetaGeo(r=r, alpha=alpha, a=a, b=b)
    x, tx, T = _customers(np.random.default_rng(4), 8000, 30.0, 60.0)
    t = np.float64(39.0)
    ends = np.arange(1.0, 13.0) * 4.0
    disc = 1.01 ** -np.arange(1.0, 13.0)
    cond = model._conditional_rows(t, x, tx, T)
    clv = model._discounted_rows(ends, disc, x, tx, T)
    for i in np.random.default_rng(5).choice(x.size, 6, replace=False):
        row = (r, alpha, a, b, x[i], tx[i], T[i])
        with mp.workdps(30):
            want = float(_mp_conditional(*row, t))
            cum = [_mp_conditional(*row, e) for e in ends]
            prev = [mp.mpf(0), *cum[:-1]]
            steps = zip(disc, cum, prev, strict=True)
            want_clv = float(sum(dk * (ck - cp) for dk, ck, cp in steps))
        with mp.workdps(45):
            assert float(_mp_conditional(*row, t)) == pytest.approx(want, rel=1e-20)
        assert cond[i] == pytest.approx(want, rel=1e-10)
        assert clv[i] == pytest.approx(want_clv, rel=1e-10)


def test_clv_all_distinct_equals_compressed_path() -> None:
    """customer_lifetime_value skips grouping of all-distinct rows: same numbers."""
    rng = np.random.default_rng(8)
    model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    x, tx, T = _customers(rng, 20_000, 20.0, 39.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    kw = {"horizon": 12, "time_unit": "W", "discount_rate": 0.01}
    a = customer_lifetime_value(model, 10.0, summary, **kw)  # type: ignore[arg-type]
    b = customer_lifetime_value(model, 10.0, summary, compress=False, **kw)  # type: ignore[arg-type]
    ends = np.arange(1.0, 13.0)
    disc = 1.01**-ends
    direct = 10.0 * TransactionFamily._discounted_rows(model, ends, disc, x, tx, T)
    np.testing.assert_allclose(a.to_numpy(), direct, rtol=1e-10)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


@pytest.mark.parametrize(
    ("m", "a", "b", "u"),
    [(196.0, 33.0, 1.0, 262.0), (218.0, 60.0, 1.0, 36.0), (300.0, 100.0, 1.0, 10.0)],
)
def test_trapezoid_narrow_s_integrand(m: float, a: float, b: float, u: float) -> None:
    """Large m u: S is far narrower than the beta density (errors were 1e-10 to 2e-6)."""
    refs = []
    for dps in (60, 120):
        with mp.workdps(dps):
            refs.append(mp.hyp2f1(m, a, a + b, -u))
    assert float(refs[0]) == pytest.approx(float(refs[1]), rel=1e-15)
    S, _ = beta_expectations(m, a, b, u, interpolate=False)
    assert float(S) == pytest.approx(float(refs[0]), rel=1e-12)
