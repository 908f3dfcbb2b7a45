"""The fast Pareto/NBD paths: interpolated hypergeometric terms and the warm-started fit.

The interpolated ratio (used from FAST_MIN_ROWS histories on) is checked against the
direct computation on every row (hypothesis, worst-case parameters and histories) and
against the mpmath grid (tests/reference/clv_pareto_grid.json, Fader & Hardie 2005,
note 009, eqs. 18-19 and 41 at 30 and 50 digits) with each grid history embedded in a
batch large enough to be interpolated.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmkit.clv._warm as warm_module
import crmkit.clv.paretonbd as pnbd_module
from crmkit.clv import ParetoNBD
from crmkit.clv import _chebyshev as chebyshev
from crmkit.clv._chebyshev import grouped_interpolate
from crmkit.clv._pareto_ratio import FAST_MIN_ROWS, pareto_log_ratio
from crmkit.exceptions import DegenerateDataWarning

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "clv_pareto_grid.json"
N = FAST_MIN_ROWS + 904


def _batch(rng: np.random.Generator, x_values: list[float], t_max: float) -> tuple:
    x = rng.choice(np.asarray(x_values), N)
    T = rng.uniform(0.2, 1.0, N) * t_max
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, N), 0.0)
    return x, tx, T


def _compare(
    theta: tuple[float, ...], x: np.ndarray, tx: np.ndarray, T: np.ndarray, min_done: float = 0.0
) -> None:
    """Fast against direct; ``min_done``: least share of rows the interpolants must cover."""
    shares: list[float] = []
    inner = chebyshev.grouped_interpolate

    def recorded(*args: object, **kw: object) -> tuple[np.ndarray, np.ndarray]:
        vals, done = inner(*args, **kw)  # type: ignore[arg-type]
        shares.append(float(done.mean()))
        return vals, done

    chebyshev.grouped_interpolate = recorded  # type: ignore[assignment]
    try:
        _compare_both(theta, x, tx, T)
        order = np.argsort(x, kind="stable")  # sorted by x: the fit's layout
        _compare_both(theta, x[order], tx[order], T[order])
    finally:
        chebyshev.grouped_interpolate = inner  # type: ignore[assignment]
    assert len(shares) == 6  # unsorted: one call per grad; sorted: one per half
    assert min(shares) >= min_done, shares


def _compare_both(theta: tuple[float, ...], x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> None:
    for grad in (False, True):
        R1, d1 = pareto_log_ratio(*theta, x, tx, T, grad=grad)
        R0, d0 = pareto_log_ratio(*theta, x, tx, T, grad=grad, fast=False)
        fin = np.isfinite(R0)
        np.testing.assert_array_equal(np.isfinite(R1), fin)
        err = np.abs(R1[fin] - R0[fin]) / np.maximum(1.0, np.abs(R0[fin]))
        assert err.max() <= 1e-10, (theta, float(err.max()))
        if grad:
            assert d0 is not None
            assert d1 is not None
            gerr = np.abs(d1 - d0) / np.maximum(1.0, np.abs(d0))
            assert gerr.max() <= 1e-8, (theta, float(gerr.max()))


log_param = st.floats(min_value=-4.0, max_value=8.0).map(lambda e: 10.0**e)


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(r=log_param, alpha=log_param, s=log_param, beta=log_param, big=st.booleans())
def test_interpolated_ratio_matches_direct(
    r: float, alpha: float, s: float, beta: float, big: bool
) -> None:
    rng = np.random.default_rng(7)
    xs = [0.0, 1.0, 3.0, 1e4] if big else [0.0, 1.0, 2.0, 7.0]
    x, tx, T = _batch(rng, xs, 1e4 if big else 40.0)
    _compare((r, alpha, s, beta), x, tx, T)


@pytest.mark.parametrize(
    "theta",
    [
        (0.55, 10.58, 0.61, 11.67),  # CDNOW (alpha < beta)
        (0.55, 11.67, 0.61, 10.58),  # alpha > beta
        (2.0, 1e-3, 0.5, 1e4),  # 1 - z down to 1e-7
        (0.3, 5e3, 3.0, 1e-2),
        (1e-4, 1e8, 1e8, 1e-4),
    ],
)
def test_interpolated_ratio_worst_cases(theta: tuple[float, ...]) -> None:
    rng = np.random.default_rng(3)
    x, tx, T = _batch(rng, [0.0, 1.0, 50.0, 1e4], 1e4)
    _compare(theta, x, tx, T, min_done=0.7)


def test_interpolated_model_matches_mpmath_grid() -> None:
    """Each grid history is one row of a batch of N histories with the same x."""
    doc = json.loads(REFERENCE.read_text())
    tol = doc["tolerance"]
    rng = np.random.default_rng(11)
    for e in doc["points"][::3]:
        model = ParetoNBD(r=e["r"], alpha=e["alpha"], s=e["s"], beta=e["beta"])
        x = np.full(N, e["x"])
        T = e["T"] * rng.uniform(0.5, 1.5, N)
        tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, N), 0.0)
        tx[0], T[0] = e["t_x"], e["T"]
        ll = model._log_likelihood_rows(x, tx, T)[0]
        want = e["log_likelihood"]
        assert abs(ll - want) <= tol["log_likelihood_atol"] * max(1.0, abs(want)), e
        pa = model._p_alive_rows(x, tx, T)[0]
        assert abs(pa - e["probability_alive"]) <= max(
            tol["rtol"] * e["probability_alive"], tol["atol"]
        ), e
        for t in doc["horizons"]:
            got = model._conditional_rows(np.asarray(t), x, tx, T)[0]
            ref = e["conditional_expected_purchases"][str(t)]
            assert abs(got - ref) <= max(tol["rtol"] * ref, tol["atol"]), (e, t)


def test_grouped_interpolate_rejects_a_piece_that_fails_its_check() -> None:
    """A jump inside a piece fails the check: those rows are left to the caller."""
    u = np.linspace(0.0, 4.0, 4001)
    group = np.zeros(u.size, dtype=np.intp)

    def func(g: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.where(v < 1.0, np.sin(v), np.sin(v) + 1.0)[None]

    vals, done = grouped_interpolate(func, group, u, 1, rtol=np.array([1e-13]), min_rows=10)
    assert done.any()
    assert not done.all()
    assert not done[(u > 0.5) & (u < 1.5)].any()  # the piece [0, 2) holds the jump
    np.testing.assert_allclose(vals[0, done], func(group, u)[0, done], rtol=0, atol=1e-12)


def test_grouped_interpolate_leaves_small_groups() -> None:
    u = np.linspace(0.0, 1.0, 500)
    group = np.repeat(np.arange(2, dtype=np.intp), [450, 50])
    vals, done = grouped_interpolate(
        lambda g, v: np.stack([np.exp(v) + g, np.cos(v)]),
        group,
        u,
        2,
        rtol=np.array([1e-13, 1e-13]),
        min_rows=100,
    )
    assert done[:450].all()
    assert not done[450:].any()
    np.testing.assert_allclose(vals[0, :450], np.exp(u[:450]), rtol=1e-13)
    np.testing.assert_allclose(vals[1, :450], np.cos(u[:450]), rtol=1e-13, atol=1e-13)


def _simulated(n: int, seed: int = 0) -> pd.DataFrame:
    model = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    rng = np.random.default_rng(seed)
    return model.simulate(n, rng.uniform(27.0, 39.0, n), rng)


def test_warm_started_fit_is_the_full_data_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _simulated(9000)
    plain = ParetoNBD.fit(data)
    monkeypatch.setattr(ParetoNBD, "_warm_start_rows", 5000)
    monkeypatch.setattr(warm_module, "WARM_SAMPLE", 2500)
    calls: list[int] = []
    inner = warm_module.refine

    def counted(*args: object) -> np.ndarray:
        calls.append(1)
        return inner(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(warm_module, "refine", counted)
    progress: list[tuple[int, float]] = []
    warm = ParetoNBD.fit(data, callback=lambda i, ll, p: progress.append((i, ll)))
    assert calls  # the warm path ran
    # the full-data refinement steps are reported (a 1M fit shows progress early)
    assert progress
    assert progress[0][0] == 1
    assert progress[-1][1] == pytest.approx(plain.log_likelihood, abs=1e-6)
    assert warm.converged
    assert warm.n_customers == 9000
    for k, v in plain.params.items():
        assert warm.params[k] == pytest.approx(v, rel=1e-6)
    assert warm.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-7)
    for k, v in plain.stderr.items():
        assert warm.stderr[k] == pytest.approx(v, rel=1e-3)


def test_warm_start_falls_back_to_the_plain_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Degenerate data warn in the subsample: the plain fit runs and warns once."""
    monkeypatch.setattr(ParetoNBD, "_warm_start_rows", 100)
    monkeypatch.setattr(warm_module, "WARM_SAMPLE", 50)
    data = pd.DataFrame({"frequency": np.zeros(200), "recency": 0.0, "T": np.linspace(5, 40, 200)})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fit = ParetoNBD.fit(data)
    assert [w.category for w in rec] == [DegenerateDataWarning]
    assert not fit.converged
    assert fit.n_customers == 200


@pytest.mark.parametrize("theta", [(0.55, 10.58, 0.61, 11.67), (0.9, 8.0, 1.4, 3.0)])
def test_interpolated_objective_gradient_matches_finite_differences(
    theta: tuple[float, ...],
) -> None:
    """The analytic gradient of the interpolated objective against central differences."""
    data = _simulated(N, seed=5)
    x, tx, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    value, vg = pnbd_module.pareto_objective(x, tx, T, np.ones(N))
    assert vg is not None
    th = np.asarray(theta)
    _, g = vg(th)
    for j in range(4):
        h = 1e-6 * th[j]
        up, down = th.copy(), th.copy()
        up[j] += h
        down[j] -= h
        fd = (value(up) - value(down)) / (2 * h)
        assert g[j] == pytest.approx(fd, rel=1e-6, abs=1e-3), (j, g[j], fd)


@pytest.mark.parametrize(
    "theta",
    [
        (0.55, 10.58, 0.61, 11.67),
        (0.9, 8.0, 1.4, 3.0),
        (2.0, 30.0, 0.3, 30.0),
        (40.0, 2.0, 5.0, 900.0),
    ],
)
def test_fused_objective_equals_the_direct_computation(
    theta: tuple[float, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-pass value and gradient sums (many histories) against the per-history
    direct computation on the same rows (alpha >= beta and alpha < beta; weights;
    histories with t_x = T and groups too small to interpolate, which are computed
    directly inside the fused pass)."""
    import crmkit.clv._pareto_objective as objective_module

    data = _simulated(N, seed=7)
    x, tx, T = (data[c].to_numpy().copy() for c in ("frequency", "recency", "T"))
    tx[x == 3] = T[x == 3]  # whole group at t_x = T
    x[:5] = 500.0  # a group of five rows: never interpolated
    w = np.random.default_rng(8).integers(1, 5, N).astype(float)
    th = np.asarray(theta)
    value, vg = objective_module.pareto_objective(x, tx, T, w)
    v_fast, g_fast = vg(th)
    assert value(th) == pytest.approx(v_fast, rel=1e-15)
    monkeypatch.setattr(objective_module, "FAST_MIN_ROWS", 10 * N)
    v_direct, g_direct = objective_module.pareto_objective(x, tx, T, w)[1](th)
    assert v_fast == pytest.approx(v_direct, rel=1e-13)
    np.testing.assert_allclose(g_fast, g_direct, rtol=1e-9, atol=1e-9 * np.abs(g_direct).max())


@pytest.mark.parametrize(
    "theta", [(0.55, 10.58, 0.61, 11.67), (0.9, 8.0, 1.0, 3.0), (2.0, 30.0, 3.3, 0.01)]
)
@pytest.mark.parametrize("kind", ["distinct", "few T", "small"])
def test_pareto_discounted_sum_equals_the_per_period_sum(
    theta: tuple[float, ...], kind: str
) -> None:
    """The CLV sum through one interpolated function of T (Abel summation) against the
    per-period differences of the conditional expectation (the generic route)."""
    from crmkit.clv._transaction import TransactionFamily

    model = ParetoNBD(r=theta[0], alpha=theta[1], s=theta[2], beta=theta[3])
    data = _simulated(N if kind != "small" else 300, seed=11)
    x, tx, T = (data[c].to_numpy().copy() for c in ("frequency", "recency", "T"))
    if kind == "few T":
        T = np.round(T)
        tx = np.minimum(tx, T)
    ends = np.arange(1, 53, dtype=float) * 0.75
    disc = 1.003 ** -np.arange(1, 53, dtype=float)
    fast = model._discounted_rows(ends, disc, x, tx, T)
    generic = TransactionFamily._discounted_rows(model, ends, disc, x, tx, T)
    # both carry the interpolated P(alive) (relative error up to ~1e-11 by design)
    np.testing.assert_allclose(fast, generic, rtol=1e-10)
