"""GG/NBD: mpmath references, the published CDNOW estimates, the Pareto/NBD limit."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv import FitResult, GammaGompertzNBD, ParetoNBD, TransactionModel
from crmkit.clv._ggnbd_numerics import NODES, log_purchase_lifetime_integral
from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import BoundaryWarning

REF = Path(__file__).resolve().parents[1] / "reference"


def _load(name: str) -> Any:
    return json.loads((REF / name).read_text())


def _close(got: float, want: float, tol: float) -> bool:
    return abs(got - want) <= tol * max(1.0, abs(want))


def test_is_a_transaction_model() -> None:
    gg = GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5)
    assert isinstance(gg, TransactionModel)
    assert list(gg.params) == ["r", "alpha", "b", "s", "beta"]


@pytest.mark.parametrize("point", _load("clv_ggnbd_grid.json")["points"])
def test_matches_mpmath(point: dict[str, Any]) -> None:
    ref = _load("clv_ggnbd_grid.json")
    tol, t = ref["tolerance"], ref["horizon"]
    gg = GammaGompertzNBD(**point["params"])
    s = pd.DataFrame({"frequency": [point["x"]], "recency": [point["tx"]], "T": [point["T"]]})
    assert _close(gg.log_likelihood(s), point["log_likelihood"], tol["log_likelihood"])
    assert _close(gg.probability_alive(s).iloc[0], point["p_alive"], tol["p_alive"])
    cond = gg.conditional_expected_purchases(s, t=t).iloc[0]
    assert _close(cond, point["conditional_39"], tol["conditional_39"])
    assert _close(float(gg.expected_purchases(t)), point["expected_39"], tol["expected_39"])


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def fit(cdnow: pd.DataFrame) -> FitResult[GammaGompertzNBD]:
    with pytest.warns(BoundaryWarning, match="b -> 0 with beta/b"):
        return GammaGompertzNBD.fit(cdnow)


def test_cdnow_reproduces_bemmaor_glady(fit: FitResult[GammaGompertzNBD]) -> None:
    pub = _load("clv_cdnow_ggnbd.json")["published"]
    for name, tol in pub["tolerance"]["params_abs"].items():
        assert fit.params[name] == pytest.approx(pub["params"][name], abs=tol), name
    assert fit.log_likelihood == pytest.approx(
        pub["log_likelihood"], abs=pub["tolerance"]["log_likelihood_abs"]
    )


def test_cdnow_matches_clvtools(fit: FitResult[GammaGompertzNBD]) -> None:
    ref = _load("clv_cdnow_ggnbd.json")["clvtools"]
    tol = ref["tolerance"]
    for name, t in tol["params_abs"].items():
        assert fit.params[name] == pytest.approx(ref["params"][name], abs=t), name
    ratio = fit.params["beta"] / fit.params["b"]
    want = ref["params"]["beta"] / ref["params"]["b"]
    assert ratio == pytest.approx(want, rel=tol["beta_over_b_rel"])
    assert fit.log_likelihood == pytest.approx(
        ref["log_likelihood"], abs=tol["log_likelihood_abs"]
    )
    assert fit.log_likelihood >= ref["log_likelihood"] - 1e-6  # at least as high


def test_cdnow_boundary_is_the_pareto_fit(
    fit: FitResult[GammaGompertzNBD], cdnow: pd.DataFrame
) -> None:
    """At the limit b -> 0 the fit is the Pareto/NBD one (Fader, Hardie & Lee 2005)."""
    assert set(fit.at_boundary) == {"b", "beta"}
    pub = _load("clv_cdnow_paretonbd.json")["published"]
    tol = pub["tolerance"]["params_abs"]
    p = fit.params
    assert p["r"] == pytest.approx(pub["params"]["r"], abs=tol)
    assert p["alpha"] == pytest.approx(pub["params"]["alpha"], abs=tol)
    assert p["s"] == pytest.approx(pub["params"]["s"], abs=tol)
    assert p["beta"] / p["b"] == pytest.approx(pub["params"]["beta"], abs=tol)
    assert p["b"] * float(cdnow["T"].max()) < 1e-12  # predictions are the limit's


def test_pareto_limit() -> None:
    """b -> 0 with beta/b fixed: the GG lifetime tends to the Pareto (exponential-gamma)
    one, and log L, P(alive) and E[X] to the Pareto/NBD ones, the gap shrinking like b."""
    r, alpha, s, beta_p = 0.55, 10.58, 0.61, 11.67
    pnbd = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta_p)
    summary = pd.DataFrame(
        {"frequency": [0, 2, 7, 40], "recency": [0.0, 30.43, 12.0, 38.0], "T": [38.86] * 4}
    )
    gaps = []
    for b in (1e-2, 1e-4, 1e-6, 1e-12):
        gg = GammaGompertzNBD(r=r, alpha=alpha, b=b, s=s, beta=beta_p * b)
        gap = max(
            abs(gg.log_likelihood(summary) - pnbd.log_likelihood(summary)),
            float(np.max(np.abs(gg.probability_alive(summary) - pnbd.probability_alive(summary)))),
            float(
                np.max(
                    np.abs(
                        gg.conditional_expected_purchases(summary, t=39)
                        - pnbd.conditional_expected_purchases(summary, t=39)
                    )
                )
            ),
            abs(float(gg.expected_purchases(39) - pnbd.expected_purchases(39))),
        )
        gaps.append(gap)
    assert gaps[-1] < 1e-9
    # first order in b: each factor 100 in b is a factor 100 in the gap
    for big, small in itertools.pairwise(gaps[:3]):
        assert small / big == pytest.approx(0.01, rel=0.2)


def test_integral_cost_is_fixed() -> None:
    """Bounded cost: the same number of nodes whatever the parameters."""
    assert NODES < 250
    got = log_purchase_lifetime_integral(
        np.array([1e4, 0.3]),
        np.array([1e-3, 1e3]),
        np.zeros(2),
        np.array([1e4, 1e-6]),
        3.0,
        1e-4,
        30.0,
    )
    assert np.all(np.isfinite(got))


def test_simulation_matches_expectations() -> None:
    gg = GammaGompertzNBD(r=0.8, alpha=5.0, b=0.08, s=1.5, beta=2.0)
    sim = gg.simulate(200_000, 30.0, np.random.default_rng(17))
    x = sim["frequency"].to_numpy()
    want = float(gg.expected_purchases(30.0))
    assert x.mean() == pytest.approx(want, abs=4 * x.std() / np.sqrt(x.size))
    pmf = gg.probability_of_purchases(np.arange(4), 30.0)
    freq = np.array([(x == k).mean() for k in range(4)])
    assert np.all(np.abs(freq - pmf) <= 4 * np.sqrt(pmf * (1 - pmf) / x.size))


def test_fit_recovers_simulated_parameters() -> None:
    truth = GammaGompertzNBD(r=0.8, alpha=5.0, b=0.1, s=1.5, beta=3.0)
    data = truth.simulate(2_500, np.random.default_rng(3).uniform(30, 60, 2_500), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = GammaGompertzNBD.fit(data)
    assert fit.converged
    for name, value in truth.params.items():
        se = fit.stderr[name]
        assert abs(fit.params[name] - value) < 3 * se, (name, fit.params[name], se)


positive = st.floats(min_value=1e-3, max_value=1e2)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    r=positive,
    alpha=positive,
    b=st.floats(1e-6, 3.0),
    s=positive,
    beta=st.floats(1e-5, 1e3),
    x=st.integers(0, 200),
    frac=st.floats(0.0, 1.0),
    T=st.floats(0.5, 200.0),
)
def test_invariants(
    r: float, alpha: float, b: float, s: float, beta: float, x: int, frac: float, T: float
) -> None:
    gg = GammaGompertzNBD(r=r, alpha=alpha, b=b, s=s, beta=beta)
    tx = 0.0 if x == 0 else frac * T
    summary = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    pa = gg.probability_alive(summary, t=[0.0, 10.0, 100.0]).to_numpy()[0]
    assert np.all((pa >= 0) & (pa <= 1))
    assert pa[0] >= pa[1] >= pa[2]
    ce = gg.conditional_expected_purchases(summary, t=[1.0, 10.0, 100.0]).to_numpy()[0]
    assert np.all(np.isfinite(ce))
    assert np.all(np.diff(ce) >= -1e-12 * ce[-1])
    ex = gg.expected_purchases([0.0, 1.0, 10.0, 100.0])
    assert ex[0] == 0.0
    assert np.all(np.diff(ex) >= -1e-12 * ex[-1])  # rounding once S(t) is 0
    assert np.isfinite(gg.log_likelihood(summary))
    npp = gg.probability_no_purchase(summary, t=[0.0, 10.0]).to_numpy()[0]
    assert npp[0] == pytest.approx(1.0)
    assert 0.0 <= npp[1] <= 1.0


def test_simulated_futures_average_to_the_conditional_expectation() -> None:
    """Futures drawn from the posterior of an active customer (lambda ~ Gamma(r + x,
    alpha + T), eta ~ Gamma(s, beta - 1 + e^{bT}), Gompertz remaining life), alive with
    probability P(alive), average to conditional_expected_purchases."""
    gg = GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5)
    history = pd.DataFrame(
        {"frequency": [0, 2, 7, 1], "recency": [0.0, 30.43, 35.0, 5.0], "T": [38.86] * 4}
    )
    rng = np.random.default_rng(11)
    reps, t = 100_000, 52.0
    x = np.repeat(history["frequency"].to_numpy(float), reps)
    T = np.repeat(history["T"].to_numpy(float), reps)
    alive = rng.random(x.size) < np.repeat(gg.probability_alive(history).to_numpy(), reps)
    lam = rng.gamma(gg.r + x, 1.0 / (gg.alpha + T))
    eta = rng.gamma(gg.s, 1.0 / (gg.beta + np.expm1(gg.b * T)))
    # P(remaining life > u | eta) = exp(-eta e^{bT} (e^{bu} - 1))
    rest = np.log1p(rng.exponential(1.0, x.size) / (eta * np.exp(gg.b * T))) / gg.b
    sims = np.where(alive, rng.poisson(lam * np.minimum(rest, t)), 0.0).reshape(4, reps)
    expected = gg.conditional_expected_purchases(history, t=t).to_numpy()
    stderr = sims.std(axis=1) / np.sqrt(reps)
    assert np.all(np.abs(sims.mean(axis=1) - expected) < 4.5 * stderr)
    none = (sims == 0).mean(axis=1)
    want = gg.probability_no_purchase(history, t=t).to_numpy()
    assert np.all(np.abs(none - want) < 4.5 * np.sqrt(want * (1 - want) / reps))


def test_no_dropout_ends_at_the_nbd_limit() -> None:
    """Data without dropout (NBD: Poisson purchasing, gamma rates, nobody leaves): on this
    sample the likelihood's maximum is at s -> 0 / beta -> infinity (on other samples it
    may lie at a small s inside, or at the Pareto/NBD limit with a small s), and the fit
    stops there with a BoundaryWarning naming the NBD."""
    rng = np.random.default_rng(1)
    n, T = 3_000, 40.0
    lam = rng.gamma(0.8, 1.0 / 5.0, size=n)
    rng.gamma(1e-9, 0.1, size=n)  # (the dropout rates of a Pareto/NBD with s = 1e-9: 0)
    rng.exponential(1.0, size=n)
    x = rng.poisson(lam * T).astype(float)
    tx = np.zeros(n)
    tx[x > 0] = T * rng.beta(x[x > 0], 1.0)
    data = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    with pytest.warns(BoundaryWarning, match="NBD without dropout"):
        fit = GammaGompertzNBD.fit(data)
    assert fit.converged
    assert set(fit.at_boundary) == {"b", "s", "beta"}
    assert fit.model.probability_alive(data).min() == pytest.approx(1.0, abs=1e-12)
    assert fit.params["r"] == pytest.approx(0.8, rel=0.1)
    assert fit.params["alpha"] == pytest.approx(5.0, rel=0.1)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.55, "alpha": 10.6, "b": 0.05, "s": 0.6, "beta": 0.5},
        {"r": 2.0, "alpha": 3.0, "b": 1.5, "s": 4.0, "beta": 30.0},  # sharp Gompertz mode
        {"r": 0.55, "alpha": 10.6, "b": 1e-9, "s": 0.6, "beta": 1.2e-8},  # near Pareto/NBD
    ],
)
def test_pmf_sums_to_one_with_the_expected_mean(params: dict[str, float]) -> None:
    gg = GammaGompertzNBD(**params)
    k = np.arange(400)
    for t in (1.0, 39.0, 104.0):
        pmf = gg.probability_of_purchases(k, t)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
        assert float(np.dot(k, pmf)) == pytest.approx(float(gg.expected_purchases(t)), rel=1e-8)


def test_lifetime_value_at_the_limit_is_the_pareto_one(cdnow: pd.DataFrame) -> None:
    """customer_lifetime_value takes the new family; at b = 1e-15 (beta = 11.668 b) it is
    the Pareto/NBD's value (Fader, Hardie & Lee 2005 parameters)."""
    from crmkit.clv import customer_lifetime_value

    gg = GammaGompertzNBD(r=0.5533, alpha=10.578, b=1e-15, s=0.6062, beta=11.668e-15)
    pnbd = ParetoNBD(r=0.5533, alpha=10.578, s=0.6062, beta=11.668)
    kw: dict[str, Any] = {"horizon": 26, "time_unit": "W", "discount_rate": 0.002}
    got = customer_lifetime_value(gg, 35.0, cdnow, model_time_unit="W", **kw)
    want = customer_lifetime_value(pnbd, 35.0, cdnow, model_time_unit="W", **kw)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
