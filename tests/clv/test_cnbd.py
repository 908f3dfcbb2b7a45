"""BG/CNBD-k and MBG/CNBD-k (Platzer & Reutterer 2016): against mpmath, against BG/NBD
and MBG/NBD at k = 1, on CDNOW, and on simulated regular buyers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit
from crmkit.clv import (
    BetaGeo,
    BetaGeoCNBD,
    ModifiedBetaGeo,
    ModifiedBetaGeoCNBD,
    from_json,
    to_json,
)
from crmkit.datasets import load_cdnow_transactions
from crmkit.exceptions import BoundaryWarning, InvalidValueError, MissingColumnsError

REF = Path(__file__).resolve().parents[1] / "reference"
GRID = json.loads((REF / "clv_cnbd_grid.json").read_text())
LARGE_X = json.loads((REF / "clv_cnbd_large_x.json").read_text())
BGNBD = json.loads((REF / "clv_cdnow_bgnbd.json").read_text())
CLASSES = {0: BetaGeoCNBD, 1: ModifiedBetaGeoCNBD}


def _frame(x: float, tx: float, T: float) -> pd.DataFrame:
    return pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return crmkit.rfm_summary(
        load_cdnow_transactions(sample=True),
        datetime_col="date",
        time_unit="W",
        period="D",
        observation_end="1997-09-30",
        after_observation_end="exclude",
        log_intervals=True,
    )


@pytest.mark.parametrize("point", GRID["points"], ids=lambda p: f"k{p['k']}-s{p['shift']}")
def test_predictions_match_mpmath(point: dict[str, Any]) -> None:
    tol = GRID["tolerance"]
    cls = CLASSES[point["shift"]]
    model = cls(**{n: point[n] for n in ("k", "r", "alpha", "a", "b")})
    s = _frame(point["x"], point["tx"], point["T"])
    x, tx, T = (np.array([float(point[n])]) for n in ("x", "tx", "T"))
    ll = float(model._log_likelihood_rows(x, tx, T)[0])
    assert ll == pytest.approx(point["log_likelihood"], abs=tol["log_likelihood_atol"])
    rtol = tol["rtol"]
    assert model.probability_alive(s).iloc[0] == pytest.approx(point["p_alive"], rel=rtol)
    alive_t = model.probability_alive(s, t=point["t"]).iloc[0]
    assert alive_t == pytest.approx(point["p_alive_at_t"], rel=rtol)
    cond = model.conditional_expected_purchases(s, t=point["t"]).iloc[0]
    assert cond == pytest.approx(point["conditional_expected"], rel=rtol)
    pmf = model.probability_of_purchases(np.arange(5), point["t"])
    np.testing.assert_allclose(pmf, point["pmf_0_4"], rtol=rtol, atol=1e-300)


@pytest.mark.parametrize(
    "point", LARGE_X["points"], ids=lambda p: f"k{p['k']}-x{p['x']}-s{p['shift']}"
)
def test_heavy_buyers_match_mpmath(point: dict[str, Any]) -> None:
    # exponents r + kx in the thousands in the negative power of the roots-of-unity sum
    rtol = LARGE_X["tolerance"]["rtol"]
    model = CLASSES[point["shift"]](**{n: point[n] for n in ("k", "r", "alpha", "a", "b")})
    s = _frame(point["x"], point["tx"], point["T"])
    assert model.probability_alive(s).iloc[0] == pytest.approx(point["p_alive"], rel=rtol)
    alive_t = model.probability_alive(s, t=point["t"]).iloc[0]
    assert alive_t == pytest.approx(point["p_alive_at_t"], rel=rtol)
    cond = model.conditional_expected_purchases(s, t=point["t"]).iloc[0]
    assert cond == pytest.approx(point["conditional_expected"], rel=rtol)


@pytest.mark.parametrize(
    ("cnbd", "classic"), [(BetaGeoCNBD, BetaGeo), (ModifiedBetaGeoCNBD, ModifiedBetaGeo)]
)
def test_k1_is_bgnbd_and_mbgnbd(cnbd: Any, classic: Any) -> None:
    # the k = 1 predictions are the closed forms of FHL 2005 / Batislam et al. 2007,
    # computed by the BG/NBD code (checked there against mpmath and the papers)
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    new, old = cnbd(k=1, **params), classic(**params)
    s = pd.DataFrame(
        {
            "frequency": [0, 1, 2, 7, 40, 300],
            "recency": [0.0, 5.0, 30.43, 20.0, 38.0, 38.5],
            "T": [38.86, 38.86, 38.86, 30.0, 39.0, 39.0],
        }
    )
    horizons = [0.5, 39.0, 520.0]
    for method in (
        "conditional_expected_purchases",
        "probability_alive",
        "probability_no_purchase",
    ):
        got = getattr(new, method)(s, t=horizons).to_numpy()
        want = getattr(old, method)(s, t=horizons).to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        new.expected_purchases([0, 1, 39, 78]), old.expected_purchases([0, 1, 39, 78]), rtol=1e-10
    )
    np.testing.assert_allclose(
        new.probability_of_purchases(np.arange(8), 39),
        old.probability_of_purchases(np.arange(8), 39),
        rtol=1e-12,
    )
    assert new.log_likelihood(s) == pytest.approx(old.log_likelihood(s), abs=1e-9)


def test_cdnow_chooses_k1_and_reproduces_bgnbd(
    cdnow: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4;
    # BTYDplus' demo/cdnow.R: "k=1 -> no regularity detected for CDNow"
    profile = BetaGeoCNBD.regularity_profile(cdnow, max_k=4)
    assert profile["log_likelihood"].idxmax() == 1
    assert profile["converged"].all()
    fit = BetaGeoCNBD.fit(cdnow)  # default grid up to 12, stopped early as BTYDplus does
    assert fit.model.k == 1
    assert fit.log_likelihood == pytest.approx(profile.loc[1, "log_likelihood"])
    with caplog.at_level("DEBUG", logger="crmkit.clv"):
        BetaGeoCNBD.fit(cdnow)
    tried = [m for m in caplog.messages if "log-likelihood" in m and "BG/CNBD-k: k=" in m]
    assert len(tried) == 3  # k = 1, 2, 3: two consecutive falls stop the search
    bg = BetaGeo.fit(cdnow)
    assert fit.log_likelihood == pytest.approx(bg.log_likelihood, abs=1e-6)
    pub = BGNBD["published"]
    assert fit.log_likelihood == pytest.approx(
        pub["log_likelihood"], abs=pub["tolerance"]["log_likelihood_abs"]
    )
    for name, want in pub["params"].items():
        assert fit.params[name] == pytest.approx(want, abs=pub["tolerance"]["params_abs"])
        assert fit.params[name] == pytest.approx(bg.params[name], rel=1e-6)


def test_cdnow_mbgcnbd_k1_is_mbgnbd(cdnow: pd.DataFrame) -> None:
    fit = ModifiedBetaGeoCNBD.fit(cdnow, max_k=3)
    mbg = ModifiedBetaGeo.fit(cdnow)
    assert fit.model.k == 1
    assert fit.log_likelihood == pytest.approx(mbg.log_likelihood, abs=1e-6)
    for name in ("r", "alpha", "a", "b"):
        assert fit.params[name] == pytest.approx(mbg.params[name], rel=1e-6)


@pytest.mark.parametrize("cls", [BetaGeoCNBD, ModifiedBetaGeoCNBD])
def test_recovers_simulated_k3(cls: Any) -> None:
    # the BTYDplus test's design (tests/testthat/test-bg-cnbd-k.R): k 3, r 0.85,
    # alpha 1.45, a 0.79, b 2.42, observation 36 ... 96 weeks
    true = cls(k=3, r=0.85, alpha=1.45, a=0.79, b=2.42, time_unit="W")
    rng = np.random.default_rng(20161)
    T = np.round(rng.uniform(36, 96, 2000) / 12) * 12
    sim = true.simulate(T.size, T, rng)
    profile = cls.regularity_profile(sim, max_k=5)
    assert profile["log_likelihood"].idxmax() == 3
    fit = cls.fit(sim, k=3)
    assert fit.converged
    se = np.sqrt(np.diag(fit.covariance))
    for i, name in enumerate(fit.param_names):
        assert abs(fit.params[name] - true.params[name]) < 3 * se[i], name


def test_log_intervals_column_of_rfm_summary() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3],
            "datetime": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",  # same day: one purchase
                    "2024-01-04",
                    "2024-01-11",
                    "2024-01-05",
                    "2024-01-02",
                    "2024-01-30",
                ]
            ),
        }
    )
    s = crmkit.rfm_summary(tx, observation_end="2024-01-31", log_intervals=True)
    # gaps of 3 and 7 days; none; 28 days (BTYDplus elog2cbs: sum(log(itt)))
    np.testing.assert_allclose(s["log_interval_sum"], [np.log(3) + np.log(7), 0.0, np.log(28)])
    weeks = crmkit.rfm_summary(
        tx, observation_end="2024-01-31", time_unit="W", period="D", log_intervals=True
    )
    np.testing.assert_allclose(
        weeks["log_interval_sum"], [np.log(3 / 7) + np.log(1), 0.0, np.log(4)]
    )
    assert "log_interval_sum" not in crmkit.rfm_summary(tx, observation_end="2024-01-31")


def test_missing_column_names_it_and_the_fix() -> None:
    s = pd.DataFrame({"frequency": [2.0, 0.0], "recency": [10.0, 0.0], "T": [20.0, 20.0]})
    with pytest.raises(MissingColumnsError, match=r"log_interval_sum.*log_intervals=True"):
        BetaGeoCNBD.fit(s)
    with pytest.raises(MissingColumnsError, match="log_interval_sum"):
        BetaGeoCNBD(k=2, r=1.0, alpha=1.0, a=1.0, b=3.0).log_likelihood(s)
    # k = 1 needs no column
    assert np.isfinite(BetaGeoCNBD(k=1, r=1.0, alpha=1.0, a=1.0, b=3.0).log_likelihood(s))
    bad = s.assign(log_interval_sum=[1.0, 0.5])
    with pytest.raises(InvalidValueError, match="frequency 0"):
        BetaGeoCNBD(k=2, r=1.0, alpha=1.0, a=1.0, b=3.0).log_likelihood(bad)
    with pytest.raises(InvalidValueError, match="non-finite"):
        BetaGeoCNBD(k=2, r=1.0, alpha=1.0, a=1.0, b=3.0).log_likelihood(
            s.assign(log_interval_sum=[np.nan, 0.0])
        )


@pytest.mark.parametrize("k", [0, 21, 2.5, True, "3"])
def test_bad_k_raises(k: Any) -> None:
    with pytest.raises(InvalidValueError, match="k="):
        BetaGeoCNBD(k=k, r=1.0, alpha=1.0, a=1.0, b=3.0)


def test_log_likelihood_adds_the_interval_term() -> None:
    s = pd.DataFrame(
        {
            "frequency": [3.0, 0.0],
            "recency": [10.0, 0.0],
            "T": [20.0, 20.0],
            "log_interval_sum": [2.0, 0.0],
        }
    )
    m = BetaGeoCNBD(k=3, r=1.0, alpha=1.0, a=1.0, b=3.0)
    rows = m._log_likelihood_rows(
        s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
    )
    # (k - 1) * sum log dt - x * log (k - 1)! = 2 * 2 - 3 * log 2
    assert m.log_likelihood(s) == pytest.approx(rows.sum() + 4.0 - 3.0 * np.log(2.0), abs=1e-12)


def test_persistence_round_trip() -> None:
    m = ModifiedBetaGeoCNBD(k=4, r=0.5, alpha=2.0, a=0.8, b=3.0, time_unit="W")
    assert from_json(to_json(m)) == m


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(1, 12),
    params=st.tuples(*[st.floats(0.05, 20.0)] * 4),
    x=st.integers(0, 200),
    frac=st.floats(0.0, 1.0),
    T=st.floats(0.5, 500.0),
    t=st.floats(0.0, 500.0),
    shift=st.integers(0, 1),
)
def test_predictions_bounded_and_consistent(
    k: int, params: tuple[float, ...], x: int, frac: float, T: float, t: float, shift: int
) -> None:
    model = CLASSES[shift](k=k, r=params[0], alpha=params[1], a=params[2], b=params[3])
    s = _frame(x, frac * T if x else 0.0, T)
    alive = model.probability_alive(s, t=[0.0, t]).to_numpy()[0]
    assert 0.0 <= alive[1] <= alive[0] + 1e-12 <= 1.0 + 1e-12
    cond = model.conditional_expected_purchases(s, t=t).iloc[0]
    assert np.isfinite(cond)
    assert cond >= 0.0
    no_buy = model.probability_no_purchase(s, t=t).iloc[0]
    assert 0.0 <= no_buy <= 1.0
    # at most the expectation if everyone stayed alive: cond <= P(alive) E[N + k] / k
    upper = alive[0] * ((params[0] + k * x + k) * t / (params[1] + T) + k) / k
    assert cond <= upper * (1 + 1e-9)


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("shift", [0, 1])
def test_gradient_matches_central_differences(k: int, shift: int) -> None:
    from crmkit.clv._cnbd_maths import cnbd_log_likelihood, cnbd_value_and_gradient

    rng = np.random.default_rng(k + 10 * shift)
    x = rng.integers(0, 20, 50).astype(float)
    T = rng.uniform(5, 50, 50)
    tx = np.where(x > 0, T * rng.uniform(0, 1, 50), 0.0)
    w = rng.uniform(0.5, 2, 50)
    p = np.array([0.8, 2.0, 0.7, 3.0])
    value, grad = cnbd_value_and_gradient(p, k, shift, x, tx, T, w)

    def f(q: np.ndarray) -> float:
        return float(w @ cnbd_log_likelihood(*q, k, shift, x, tx, T))

    assert value == pytest.approx(f(p), abs=1e-9)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-6 * p[i]
        fd = (f(p + h) - f(p - h)) / (2 * h[i])
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-6)


def test_log_intervals_refused_for_a_dask_log() -> None:
    dd = pytest.importorskip("dask.dataframe")
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "datetime": pd.to_datetime(["2024-01-01", "2024-01-05"])}
    )
    with pytest.raises(InvalidValueError, match=r"log_intervals=True.*compute\(\)"):
        crmkit.rfm_summary(dd.from_pandas(tx, npartitions=1), log_intervals=True)


@pytest.mark.parametrize(("shift", "classic"), [(0, BetaGeo), (1, ModifiedBetaGeo)])
def test_general_erlang_formulas_at_k1_are_the_closed_forms(shift: int, classic: Any) -> None:
    # the k > 1 code path (roots of unity, Gauss rule) evaluated at k = 1, against the
    # BG/NBD and MBG/NBD closed forms (FHL 2005 eq. 10; Batislam et al. 2007 eq. 6)
    from crmkit.clv._cnbd_maths import alive_moments, cnbd_log_odds_dead, cnbd_pmf

    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    old = classic(r=r, alpha=alpha, a=a, b=b)
    x = np.array([0, 1, 2, 7, 40, 300.0])
    tx = np.array([0, 5, 30.43, 20, 38, 38.5])
    T = np.array([38.86, 38.86, 38.86, 30.0, 39.0, 39.0])
    s = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    alive = 1.0 / (1.0 + np.exp(cnbd_log_odds_dead(r, alpha, a, b, 1, shift, x, tx, T)))
    np.testing.assert_allclose(alive, old.probability_alive(s).to_numpy(), rtol=1e-12)
    for t in (0.5, 39.0, 520.0):
        surv, expect = alive_moments(r, alpha, a, b, 1, shift, np.full(x.size, t), x, tx, T)
        want = old.conditional_expected_purchases(s, t=t).to_numpy()
        np.testing.assert_allclose(alive * expect, want, rtol=1e-10)
        want_alive = old.probability_alive(s, t=t).to_numpy()
        np.testing.assert_allclose(alive * surv, want_alive, rtol=1e-10)
    m = np.arange(8.0)
    np.testing.assert_allclose(
        cnbd_pmf(r, alpha, a, b, 1, shift, m, np.full(8, 39.0)),
        old.probability_of_purchases(m, 39),
        rtol=1e-12,
    )


def test_warnings_of_discarded_orders_are_not_shown() -> None:
    # Regular buyers (k = 3) with some dropout: the k = 1 candidate (the BG/NBD) ends at
    # its a -> 0 limit, but the chosen k = 3 fit is interior, so the user must not be
    # told that the fit "ended at the edge of the parameter space".
    truth = BetaGeoCNBD(k=3, r=1.0, alpha=5.0, a=0.2, b=20.0, time_unit="W")
    data = truth.simulate(800, T=np.full(800, 52.0), rng=np.random.default_rng(1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = BetaGeoCNBD.fit(data, max_k=4)
    assert fit.model.k == 3
    assert fit.at_boundary == ()
    assert [str(w.message) for w in caught] == []


def test_warnings_of_the_chosen_order_are_shown() -> None:
    # Forced k = 1 on the same data: the BG/NBD limit warning belongs to the result.
    truth = BetaGeoCNBD(k=3, r=1.0, alpha=5.0, a=0.2, b=20.0, time_unit="W")
    data = truth.simulate(800, T=np.full(800, 52.0), rng=np.random.default_rng(1))
    with pytest.warns(BoundaryWarning, match="edge of the parameter space"):
        fit = BetaGeoCNBD.fit(data, k=1)
    assert fit.at_boundary != ()
