"""Fused one-horizon BG/NBD and MBG/NBD predictions and the blocked summary checks.

The piecewise polynomials of :mod:`crmkit.clv._bg_conditional` are compared with the
quadrature of every entry (``beta_expectations(..., interpolate=False)``) times the
closed-form P(alive), and with Fader, Hardie & Lee (2005, eq. 10) evaluated by mpmath at
two precisions that agree, including the ends of the range of T (the ends of the first
and last pieces) and entries placed on piece boundaries. The blocked P(alive) and the
blocked validation are compared with their direct forms and with the detailed error
messages.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import crmkit.clv._bg_conditional as bgc
from crmkit.clv import BetaGeo, ModifiedBetaGeo
from crmkit.clv._bg_conditional import alive_q_one_horizon
from crmkit.clv._hyp_bg import beta_expectations
from crmkit.exceptions import InvalidValueError, InvariantError

CDNOW = (0.243, 4.414, 0.793, 2.426)


def _distinct(
    rng: np.random.Generator, n: int, levels: list[float], T_lo: float, T_hi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All-distinct histories on a few purchase counts (so that counts are interpolated)."""
    x = rng.choice(np.asarray(levels, dtype=np.float64), n)
    T = rng.uniform(T_lo, T_hi, n)
    T[:2] = T_lo, T_hi  # the ends of the range: first and last piece ends
    tx = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    return x, tx, T


def _direct(model: BetaGeo, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Quadrature of every entry times the expit form of P(alive)."""
    s = model._shift
    _, Q = beta_expectations(
        model.r + x,
        model.a,
        model.b + x + s,
        t / (model.alpha + T),
        want_s=False,
        interpolate=False,
    )
    return np.asarray(Q * special.expit(-model._log_odds_dead(x, tx, T)), dtype=np.float64)


def _mp_conditional(r, alpha, a, b, s, x, tx, T, t):  # type: ignore[no-untyped-def]
    """FHL (2005) eq. 10 (s = 0) and its MBG/NBD form (s = 1, Batislam et al. 2007)."""
    r, alpha, a, b, x, tx, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, tx, T, t))
    z = t / (alpha + T + t)
    hyp = mp.hyp2f1(r + x, b + x + s, a + b + x + s - 1, z)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    if x + s > 0:
        odds = (a / (b + x + s - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
    else:
        odds = mp.mpf(0)
    return (a + b + x + s - 1) / (a - 1) * bracket / (1 + odds)


PARAMS = st.tuples(
    st.floats(1e-3, 1e3),  # r
    st.floats(1e-4, 1e4),  # alpha
    st.floats(1e-3, 1e8),  # a
    st.floats(1e-3, 1e8),  # b
    st.sampled_from([(1e-3, 1.0), (27.0, 39.0), (1.0, 1e4)]),  # range of T
    st.sampled_from([1e-3, 39.0, 1e4]),  # horizon
)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@settings(max_examples=20, deadline=None, derandomize=True)
@given(case=PARAMS)
def test_matches_the_quadrature_of_every_entry(
    cls: type[BetaGeo], case: tuple[float, float, float, float, tuple[float, float], float]
) -> None:
    r, alpha, a, b, (T_lo, T_hi), t = case
    model = cls(r=r, alpha=alpha, a=a, b=b)
    x, tx, T = _distinct(np.random.default_rng(3), 60_000, [0.0, 1.0, 3.0, 40.0], T_lo, T_hi)
    out, rest = alive_q_one_horizon(r, alpha, a, b, cls._shift, t, x, tx, T)
    assert np.all(out[rest] == 0.0)
    rows = np.unique(np.concatenate([[0, 1], np.random.default_rng(4).choice(x.size, 400)]))
    want = _direct(model, t, x[rows], tx[rows], T[rows])
    done = ~np.isin(rows, rest)
    np.testing.assert_allclose(out[rows][done], want[done], rtol=1e-12, atol=1e-300)
    # the model method (fused rows plus the direct path for the rest) agrees too
    full = model._conditional_rows(np.float64(t), x, tx, T)
    np.testing.assert_allclose(full[rows], want, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize(
    ("params", "T_range", "t"),
    [
        (CDNOW, (27.0, 39.0), 39.0),
        (CDNOW, (1e-3, 1e4), 1e4),
        ((2.5, 40.0, 3.0, 7.0), (1.0, 100.0), 52.0),
        ((0.6, 1.5, 25.0, 400.0), (0.5, 60.0), 39.0),
        ((1e-3, 1e-4, 0.05, 1e5), (1.0, 100.0), 1e4),
        ((30.0, 1e4, 1e7, 3e7), (1.0, 1e4), 1e3),
    ],
)
def test_against_mpmath_at_two_precisions(
    cls: type[BetaGeo],
    params: tuple[float, float, float, float],
    T_range: tuple[float, float],
    t: float,
) -> None:
    r, alpha, a, b = params
    s = cls._shift
    x, tx, T = _distinct(np.random.default_rng(5), 80_000, [0.0, 1.0, 2.0, 7.0], *T_range)
    out, rest = alive_q_one_horizon(r, alpha, a, b, s, t, x, tx, T)
    assert rest.size < x.size  # the fused path is exercised
    picks = [0, 1, *np.random.default_rng(6).choice(x.size, 6, replace=False)]
    for x_end in (1.0, 7.0):  # ends of the range for a buyer group
        on = np.flatnonzero(x == x_end)
        picks += [int(on[np.argmin(T[on])]), int(on[np.argmax(T[on])])]
    for i in picks:
        if i in rest:
            continue
        row = (r, alpha, a, b, s, x[i], tx[i], T[i], t)
        with mp.workdps(30):
            want = _mp_conditional(*row)
        with mp.workdps(50):
            assert float(_mp_conditional(*row)) == pytest.approx(float(want), rel=1e-20)
        assert out[i] == pytest.approx(float(want), rel=1e-10, abs=1e-300)


def test_entries_on_piece_boundaries() -> None:
    """T placed so that v = 1 / (alpha + T) sits on (or next to) a piece boundary."""
    r, alpha, a, b = CDNOW
    rng = np.random.default_rng(7)
    x, tx, T = _distinct(rng, 120_000, [0.0, 1.0], 27.0, 39.0)
    m = r + 1.0
    sh = int(np.floor(np.log2(bgc._WIDTH / (m + 2.0))) + 52)
    lo = np.array(1.0 / (39.0 + alpha)).view(np.int64) >> sh
    j = (lo + 1 + np.arange(20)) << sh
    v_edges = j.view(np.float64)
    T_edges = 1.0 / v_edges - alpha
    T[2:22] = T_edges
    T[22:42] = np.nextafter(T_edges, np.inf)
    x[2:42] = 1.0
    tx[2:42] = 0.5 * T[2:42]
    out, rest = alive_q_one_horizon(r, alpha, a, b, 0, 39.0, x, tx, T)
    rows = np.arange(2, 42)
    assert not np.isin(rows, rest).any()
    want = _direct(BetaGeo(r=r, alpha=alpha, a=a, b=b), 39.0, x[rows], tx[rows], T[rows])
    np.testing.assert_allclose(out[rows], want, rtol=1e-12)


def test_a_failed_bound_leaves_the_count_to_the_direct_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r, alpha, a, b = CDNOW
    x, tx, T = _distinct(np.random.default_rng(8), 50_000, [0.0, 1.0, 2.0], 27.0, 39.0)
    _, rest = alive_q_one_horizon(r, alpha, a, b, 0, 39.0, x, tx, T)
    assert rest.size == 0
    monkeypatch.setattr(bgc, "TOL", 0.0)  # no piece can pass
    out, rest = alive_q_one_horizon(r, alpha, a, b, 0, 39.0, x, tx, T)
    assert rest.size == x.size
    assert np.all(out == 0.0)
    model = BetaGeo(r=r, alpha=alpha, a=a, b=b)
    full = model._conditional_rows(np.float64(39.0), x, tx, T)
    rows = np.arange(0, x.size, 500)
    np.testing.assert_allclose(full[rows], _direct(model, 39.0, x[rows], tx[rows], T[rows]), 1e-10)


def test_large_counts_go_to_the_direct_path() -> None:
    x, tx, T = _distinct(np.random.default_rng(9), 10_000, [0.0, 5000.0], 1.0, 50.0)
    _out, rest = alive_q_one_horizon(*CDNOW, 0, 39.0, x, tx, T)
    assert rest.size == x.size


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@settings(max_examples=15, deadline=None, derandomize=True)
@given(theta=PARAMS)
def test_blocked_p_alive_equals_the_expit_form(
    cls: type[BetaGeo], theta: tuple[float, float, float, float, tuple[float, float], float]
) -> None:
    r, alpha, a, b, (T_lo, T_hi), _ = theta
    model = cls(r=r, alpha=alpha, a=a, b=b)
    x, tx, T = _distinct(np.random.default_rng(10), 70_000, [0.0, 1.0, 2.0, 30.0], T_lo, T_hi)
    want = special.expit(-model._log_odds_dead(x, tx, T))
    # both round the log odds L once per operation: relative error ~ |L| eps, L < 746
    np.testing.assert_allclose(model._p_alive_rows(x, tx, T), want, rtol=2e-12, atol=1e-300)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_probability_alive_now_skips_nothing(cls: type[BetaGeo]) -> None:
    """t = 0 (the default) equals the t = 0 column of the general path."""
    model = cls(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x, tx, T = _distinct(np.random.default_rng(11), 70_000, [0.0, 1.0, 4.0], 27.0, 39.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    now = model.probability_alive(summary)
    grid = model.probability_alive(summary, t=[0.0, 1.0])
    np.testing.assert_allclose(now.to_numpy(), grid[0.0].to_numpy(), rtol=1e-15)
    assert now.name == "probability_alive"


def _big_summary(n: int = 200_000) -> pd.DataFrame:
    x, tx, T = _distinct(np.random.default_rng(12), n, [0.0, 1.0, 2.0], 27.0, 39.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


@pytest.mark.parametrize(
    ("column", "value", "error", "match"),
    [
        ("frequency", np.nan, InvalidValueError, "frequency"),
        ("frequency", -1.0, InvalidValueError, "frequency"),
        ("frequency", 1.5, InvalidValueError, "whole numbers"),
        ("frequency", np.inf, InvalidValueError, "frequency"),
        ("recency", np.nan, InvalidValueError, "recency"),
        ("recency", -0.5, InvalidValueError, "recency"),
        ("recency", 1e3, InvariantError, "recency > T"),
        ("T", np.nan, InvalidValueError, "T"),
        ("T", np.inf, InvalidValueError, "T"),
        ("T", 1e-3, InvariantError, "recency > T"),
    ],
)
def test_bad_row_late_in_a_large_summary_is_named(
    column: str, value: float, error: type[Exception], match: str
) -> None:
    """A bad value in the last block of a large summary still gets the detailed error."""
    summary = _big_summary()
    row = summary.index[-3]
    summary.loc[row, "frequency"] = 2.0
    summary.loc[row, "recency"] = 10.0
    summary.loc[row, column] = value
    with pytest.raises(error, match=match) as info:
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).conditional_expected_purchases(
            summary, t=39.0
        )
    assert str(row) in str(info.value) or column in str(info.value)


def test_recency_without_purchase_late_in_a_large_summary() -> None:
    summary = _big_summary()
    row = summary.index[-2]
    summary.loc[row, ["frequency", "recency"]] = 0.0, 3.0
    with pytest.raises(InvariantError, match="frequency 0 but recency > 0") as info:
        ModifiedBetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).probability_alive(summary)
    assert str(row) in str(info.value)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_daily_summaries_match_the_grouped_pairs_path(cls: type[BetaGeo]) -> None:
    """Compressible data (T, t_x in whole days) also take the fused path: same numbers
    as the per-distinct-(x, T) computation."""
    model = cls(r=0.243, alpha=4.414, a=0.793, b=2.426)
    rng = np.random.default_rng(13)
    x, tx, T = _distinct(rng, 100_000, [0.0, 1.0, 2.0, 5.0, 9.0], 27.0, 39.0)
    T = np.round(T * 7.0) / 7.0
    tx = np.minimum(np.round(tx * 7.0) / 7.0, T)
    fused = model._conditional_rows(np.float64(39.0), x, tx, T)
    grouped = model._alive_q_sum(np.array([39.0]), np.ones(1), x, tx, T)
    np.testing.assert_allclose(fused, grouped, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # parameter draws of a BG/NBD fit on Online Retail II (2009-2010, weekly) whose
        # a, b have standard errors of 23 and 23,000: the draws reach a + b < 1e-16
        (6.824700046597609e-20, 9.298645589331503e-17),
        (3.1e-30, 5.7e-28),
        (1e-8, 1e-6),
    ],
)
def test_dropout_shapes_far_below_one_against_mpmath(a: float, b: float) -> None:
    # the Gauss rule of Beta(a, b) lost a + b in 2 + (a + b) - 2 and divided by zero
    r, alpha = 0.8933, 10.53
    model = BetaGeo(r=r, alpha=alpha, a=a, b=b)
    s = pd.DataFrame(
        {"frequency": [0.0, 1.0, 5.0, 40.0], "recency": [0.0, 5.0, 30.0, 50.0],
         "T": [10.0, 40.0, 53.0, 53.0]}
    )  # fmt: skip
    for t in (1.0, 52.0):
        got = np.asarray(model.conditional_expected_purchases(s, t=t))
        for i, row in enumerate(s.itertuples(index=False)):
            args = (r, alpha, a, b, 0, row.frequency, row.recency, row.T, t)
            with mp.workdps(60):
                want = _mp_conditional(*args)
            with mp.workdps(90):
                assert float(_mp_conditional(*args)) == pytest.approx(float(want), rel=1e-20)
            assert got[i] == pytest.approx(float(want), rel=1e-10)
