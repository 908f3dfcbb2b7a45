"""Tests of the beta-discrete-Weibull retention model (Fader, Hardie, Liu, Davin et al. 2018)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv import BetaDiscreteWeibull, ShiftedBetaGeometric, from_dict, to_dict
from crmkit.clv._bdw_limits import fit_discrete_weibull
from crmkit.clv._bdw_numerics import log_churn_and_survival, log_churn_and_survival_grad
from crmkit.exceptions import BoundaryWarning, InvalidValueError

Ref = dict[str, Any]


@pytest.fixture(scope="module")
def fh(reference_dir: Path) -> Ref:
    return json.loads((reference_dir / "clv_bdw_fh2007.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def grid(reference_dir: Path) -> Ref:
    return json.loads((reference_dir / "clv_bdw_grid.json").read_text())  # type: ignore[no-any-return]


def _loglik(model: Any, survivors: list[int]) -> float:
    """Log-likelihood of one cohort's survivor counts from the model's own methods."""
    n = np.asarray(survivors, dtype=np.float64)
    t = np.arange(1, n.size)
    lp = np.log(model.churn_probability(t))
    return float((n[:-1] - n[1:]) @ lp + n[-1] * np.log(model.survival(n.size - 1)))


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_five_year_calibration_matches_the_public_replication(fh: Ref, cohort: str) -> None:
    tol = fh["tolerance"]
    counts = fh["inputs"][cohort][:5]
    fit = BetaDiscreteWeibull.fit(counts)
    ref = fh["five_year"]["bdw"][cohort]
    for name in ("alpha", "beta", "c"):
        assert fit.params[name] == pytest.approx(ref[name], abs=tol["params_abs"])
    assert fit.log_likelihood == pytest.approx(
        ref["log_likelihood"], abs=tol["log_likelihood_abs"]
    )
    assert fit.log_likelihood >= ref["log_likelihood"] - 5e-5
    assert fit.converged
    assert fit.at_boundary == ()
    sbg = ShiftedBetaGeometric.fit(counts)
    for name in ("alpha", "beta"):
        assert sbg.params[name] == pytest.approx(
            fh["five_year"]["sbg"][cohort][name], abs=tol["params_abs"]
        )
    lr = 2.0 * (fit.log_likelihood - sbg.log_likelihood)
    assert lr == pytest.approx(fh["five_year"]["lr"][cohort], abs=tol["lr_abs"])


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_all_years_match_the_public_replication(fh: Ref, cohort: str) -> None:
    fit = BetaDiscreteWeibull.fit(fh["inputs"][cohort])
    ref = fh["all_years"]["bdw"][cohort]
    for name in ("alpha", "beta", "c"):
        assert fit.params[name] == pytest.approx(ref[name], abs=fh["tolerance"]["params_abs"])
    assert fit.log_likelihood >= ref["log_likelihood"] - 5e-5
    # the likelihood of the fitted model, recomputed from its public methods
    assert _loglik(fit.model, fh["inputs"][cohort]) == pytest.approx(fit.log_likelihood, abs=1e-9)


def test_c_equal_one_is_the_sbg() -> None:
    bdw = BetaDiscreteWeibull(alpha=0.704, beta=1.182, c=1.0)
    sbg = ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    t = np.arange(1, 60)
    np.testing.assert_allclose(bdw.survival(t), sbg.survival(t), rtol=1e-13)
    np.testing.assert_allclose(bdw.churn_probability(t), sbg.churn_probability(t), rtol=1e-13)
    np.testing.assert_allclose(bdw.retention_rate(t), sbg.retention_rate(t), rtol=1e-13)
    assert bdw.discounted_expected_lifetime(0.1) == pytest.approx(
        sbg.discounted_expected_lifetime(0.1), rel=1e-12
    )
    np.testing.assert_allclose(
        bdw.discounted_expected_residual_lifetime(0.1, [0, 3, 7]),
        sbg.discounted_expected_residual_lifetime(0.1, [0, 3, 7]),
        rtol=1e-12,  # sums of up to 400 terms
    )
    big = BetaDiscreteWeibull(alpha=3.0, beta=4.0, c=1.0)
    np.testing.assert_allclose(
        big.expected_residual_lifetime([0, 2]),
        ShiftedBetaGeometric(alpha=3.0, beta=4.0).expected_residual_lifetime([0, 2]),
        rtol=1e-10,
    )
    counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    assert _loglik(bdw, counts) == pytest.approx(_loglik(sbg, counts), abs=1e-10)


@pytest.mark.parametrize(
    "counts",
    [
        [1000, 631, 468, 382, 326, 289, 262, 241],
        [1000, 869, 743, 653, 593, 551, 517, 491],
        [500, 400, 330, 280, 245],
    ],
)
def test_fitted_likelihood_is_at_least_the_sbgs(counts: list[int]) -> None:
    bdw = BetaDiscreteWeibull.fit(counts)
    sbg = ShiftedBetaGeometric.fit(counts)
    assert bdw.log_likelihood >= sbg.log_likelihood - 1e-9
    # the sBG optimum is the BdW likelihood at c = 1
    at_c1 = BetaDiscreteWeibull(alpha=sbg.params["alpha"], beta=sbg.params["beta"], c=1.0)
    assert _loglik(at_c1, counts) == pytest.approx(sbg.log_likelihood, abs=1e-9)


def test_probabilities_match_mpmath(grid: Ref) -> None:
    tol = grid["tolerance"]["log_abs_or_rel"]
    pts = grid["grid"]
    assert len(pts) > 400
    worst = 0.0
    for p in pts:
        args = (p["alpha"], p["beta"], p["c"])
        log_p, log_s = log_churn_and_survival(*args, np.array([float(p["t"])]))
        for got, want in ((log_s, p["log_s"]), (log_p, p["log_p"])):
            worst = max(worst, abs(float(got[0]) - want) / max(1.0, abs(want)))
        if p["log_p"] > -700.0:  # the public methods, where the probability is a double
            m = BetaDiscreteWeibull(alpha=p["alpha"], beta=p["beta"], c=p["c"])
            got_p = float(m.churn_probability(p["t"]))
            assert got_p == pytest.approx(np.exp(p["log_p"]), rel=1e-12)
    assert worst < tol


def test_probabilities_keep_digits_where_the_difference_cancels() -> None:
    # churn probability 1e-9 in period 1 and a tiny Weibull step at t = 1000, c = 0.05
    m = BetaDiscreteWeibull(alpha=1.0, beta=1e9 - 1.0, c=1.0)
    assert float(m.churn_probability(1)) == pytest.approx(1e-9, rel=1e-14)
    slow = BetaDiscreteWeibull(alpha=2.0, beta=3.0, c=0.05)
    # S(999) - S(1000) with S ~ 0.45: the plain difference keeps about 4 digits
    s = slow.survival([999, 1000])
    p = float(slow.churn_probability(1000))
    assert p == pytest.approx(float(s[0] - s[1]), rel=1e-8)
    assert p > 0


def test_sums_match_mpmath_nsum(grid: Ref) -> None:
    for row in grid["discounted"]:
        m = BetaDiscreteWeibull(alpha=row["alpha"], beta=row["beta"], c=row["c"])
        if row["quantity"] == "DEL":
            got = m.discounted_expected_lifetime(row["discount_rate"])
        else:
            got = float(
                m.discounted_expected_residual_lifetime(row["discount_rate"], row["renewals"])
            )
        assert got == pytest.approx(row["value"], rel=grid["tolerance"]["sum_rel"])
    for row in grid["undiscounted"]:
        m = BetaDiscreteWeibull(alpha=row["alpha"], beta=row["beta"], c=row["c"])
        got = float(m.expected_residual_lifetime(row["renewals"]))
        assert got == pytest.approx(row["value"], rel=grid["tolerance"]["undiscounted_rel"])


def test_fit_matches_brute_force_mpmath_maximum(grid: Ref) -> None:
    ref = grid["brute_force_fit"]
    rows = pd.DataFrame(ref["rows"], columns=ref["columns"])
    rows["churned"] = rows["churned"].astype(bool)
    fit = BetaDiscreteWeibull.fit(rows, tenure_counts=ref["tenure_counts"], entry_col="entry")
    for name, value in ref["params"].items():
        assert fit.params[name] == pytest.approx(value, rel=grid["tolerance"]["fit_params_rel"])
    assert fit.log_likelihood == pytest.approx(
        ref["log_likelihood"], abs=grid["tolerance"]["fit_ll_abs"]
    )
    assert fit.log_likelihood >= ref["log_likelihood"] - 1e-12 * abs(ref["log_likelihood"])


@pytest.mark.parametrize(("c", "seed"), [(0.5, 11), (1.5, 12)])
def test_recovers_simulated_parameters(c: float, seed: int) -> None:
    truth = BetaDiscreteWeibull(alpha=0.8, beta=2.5, c=c)
    sim = truth.simulate(20_000, 24, np.random.default_rng(seed))
    rows = pd.DataFrame({"tenure": sim["periods_survived"], "churned": sim["churned"]})
    rows.loc[rows["churned"], "tenure"] += 1  # churned in period periods_survived + 1
    fit = BetaDiscreteWeibull.fit(rows, tenure_counts="completed")
    assert fit.converged
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3.0 * fit.stderr[name], name


def test_simulation_matches_survival() -> None:
    model = BetaDiscreteWeibull(alpha=0.7, beta=1.2, c=0.6)
    sim = model.simulate(50_000, 12, np.random.default_rng(5))
    t = np.arange(1, 13)
    observed = np.array([(sim["periods_survived"] >= k).mean() for k in t])
    expected = model.survival(t)
    sd = np.sqrt(expected * (1 - expected) / 50_000)
    assert np.all(np.abs(observed - expected) < 4.5 * sd)


@pytest.mark.parametrize(("theta", "c"), [(0.2, 1.0), (0.1, 0.6), (0.05, 1.8)])
def test_homogeneous_data_end_on_the_discrete_weibull_limit(theta: float, c: float) -> None:
    # every customer churns with the discrete Weibull lifetime (1 - theta)^(t^c)
    rng = np.random.default_rng(7)
    lam = -np.log1p(-theta)
    periods = np.floor((rng.standard_exponential(30_000) / lam) ** (1.0 / c)) + 1
    horizon = 15
    rows = pd.DataFrame(
        {"tenure": np.minimum(periods, horizon).astype(int), "churned": periods <= horizon}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = BetaDiscreteWeibull.fit(rows, tenure_counts="completed")
    if fit.at_boundary:
        assert fit.at_boundary == ("alpha", "beta")
        assert any(issubclass(w.category, BoundaryWarning) for w in caught)
        assert fit.converged
        m = fit.model
        counts_churned = np.bincount(rows.loc[rows.churned, "tenure"], minlength=horizon + 1)
        surv_w = np.zeros(horizon + 1)
        surv_w[horizon] = float((~rows.churned).sum())
        th, cc, _ = fit_discrete_weibull(counts_churned[1:].astype(float), surv_w)
        assert m.alpha / (m.alpha + m.beta) == pytest.approx(th, rel=1e-9)
        assert m.c == pytest.approx(cc, rel=1e-6)
        assert np.isinf(fit.stderr["alpha"])
        assert np.isfinite(fit.stderr["c"])
    else:  # an interior maximum close to the limit: heterogeneity is tiny
        m = fit.model
        assert m.alpha + m.beta > 50
    assert m.alpha / (m.alpha + m.beta) == pytest.approx(theta, rel=0.1)
    assert m.c == pytest.approx(c, rel=0.05)


@pytest.mark.parametrize(("theta", "c"), [(0.2, 1.0), (0.1, 0.6), (0.05, 1.8), (0.3, 0.3)])
def test_expected_discrete_weibull_counts_report_the_limit(theta: float, c: float) -> None:
    # survivors of a million customers who all churn alike: no heterogeneity at all
    t = np.arange(13)
    counts = np.round(1e6 * (1.0 - theta) ** (t**c)).astype(int).tolist()
    with pytest.warns(BoundaryWarning, match="discrete Weibull lifetime"):
        fit = BetaDiscreteWeibull.fit(counts)
    assert fit.at_boundary == ("alpha", "beta")
    assert fit.converged
    m = fit.model
    assert m.alpha / (m.alpha + m.beta) == pytest.approx(theta, rel=1e-5)
    assert m.c == pytest.approx(c, rel=1e-5)
    assert np.isfinite(fit.stderr["c"])
    # predictions are the discrete Weibull's
    np.testing.assert_allclose(m.survival(t), (1.0 - theta) ** (t**c), rtol=1e-5)


def test_discrete_weibull_limit_fit_recovers_a_geometric() -> None:
    churned = np.array([300.0, 210.0, 147.0])
    surv_w = np.array([0.0, 0.0, 0.0, 343.0])
    theta, c, ll = fit_discrete_weibull(churned, surv_w)
    assert theta == pytest.approx(0.3, rel=1e-10)
    assert c == pytest.approx(1.0, rel=1e-8)
    expected = 657 * np.log(0.3) + (210 + 2 * 147 + 3 * 343) * np.log(0.7)
    assert ll == pytest.approx(expected, rel=1e-12)


def _telco(shared_datasets: Path) -> pd.DataFrame:
    df = pd.read_csv(shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv")
    df = df[df["tenure"] > 0]
    return df.assign(churned=df["Churn"].eq("Yes"))


@pytest.mark.parametrize("convention", ["completed", "started"])
def test_telco_every_contract_fits_from_individual_rows(
    shared_datasets: Path, convention: str
) -> None:
    df = _telco(shared_datasets)
    for contract, rows in df.groupby("Contract"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = BetaDiscreteWeibull.fit(rows, tenure_counts=convention)  # type: ignore[arg-type]
            sbg = ShiftedBetaGeometric.fit(rows, tenure_counts=convention)  # type: ignore[arg-type]
        assert fit.converged, contract
        assert fit.log_likelihood >= sbg.log_likelihood - 1e-6, contract
        if fit.at_boundary:
            assert any(issubclass(w.category, BoundaryWarning) for w in caught), contract
        # month-to-month churn falls with tenure (c < 1), contracts' churn rises (c > 1)
        if contract == "Month-to-month":
            assert fit.model.c < 1.0
        else:
            assert fit.model.c > 1.0


def test_persistence_round_trip() -> None:
    model = BetaDiscreteWeibull(alpha=0.5, beta=0.9, c=1.2, time_unit="Y")
    assert from_dict(to_dict(model)) == model


def test_individual_churn_probability_direction() -> None:
    t = np.arange(1, 10)
    falling = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=0.5).individual_churn_probability(t, 0.3)
    rising = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.5).individual_churn_probability(t, 0.3)
    assert np.all(np.diff(falling) < 0)
    assert np.all(np.diff(rising) > 0)


def test_bad_inputs_raise_with_the_value() -> None:
    m = BetaDiscreteWeibull(alpha=0.5, beta=1.0, c=0.8)
    with pytest.raises(InvalidValueError, match="t="):
        m.survival([1.5])
    with pytest.raises(InvalidValueError, match="t="):
        m.churn_probability(0)
    with pytest.raises(InvalidValueError, match="discount_rate"):
        m.discounted_expected_lifetime(0.0)
    with pytest.raises(InvalidValueError, match=r"alpha \* c = 0.4"):
        m.expected_residual_lifetime()
    with pytest.raises(InvalidValueError, match="parameter c"):
        BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=0.0)
    rows = pd.DataFrame({"tenure": [1, 2], "churned": [True, False]})
    with pytest.raises(InvalidValueError, match="tenure_counts"):
        BetaDiscreteWeibull.fit(rows)


def test_heavy_tail_with_tiny_discount_rate_raises() -> None:
    m = BetaDiscreteWeibull(alpha=0.05, beta=50.0, c=0.1)
    with pytest.raises(InvalidValueError, match="discount_rate"):
        m.discounted_expected_lifetime(1e-7)


@given(
    alpha=st.floats(0.01, 1e4),
    beta=st.floats(0.01, 1e4),
    c=st.floats(0.05, 5.0),
)
def test_survival_decreases_and_probabilities_add_up(alpha: float, beta: float, c: float) -> None:
    m = BetaDiscreteWeibull(alpha=alpha, beta=beta, c=c)
    t = np.arange(0, 40)
    s = m.survival(t)
    assert s[0] == 1.0
    assert np.all(np.diff(s) <= 0)
    p = m.churn_probability(t[1:])
    np.testing.assert_allclose(p, s[:-1] - s[1:], rtol=1e-6, atol=1e-13)
    r = m.retention_rate(t[1:])
    assert np.all((r >= 0) & (r <= 1))


@pytest.mark.parametrize(
    ("counts", "limit", "text"),
    [
        ([1000, 1000, 1000], ("alpha", "beta", "c"), "nobody churns"),
        ([1000, 999, 999], ("alpha", "c"), "c -> 0"),
        ([1000, 600, 600, 600, 600], ("alpha", "c"), "renew once never churn"),
    ],
)
def test_degenerate_cohorts_end_on_a_named_limit(
    counts: list[int], limit: tuple[str, ...], text: str
) -> None:
    with pytest.warns(BoundaryWarning, match=text):
        fit = BetaDiscreteWeibull.fit(counts)
    assert fit.at_boundary == limit
    assert fit.converged
    # the limit model reproduces the observed survival
    n = np.asarray(counts, dtype=np.float64)
    np.testing.assert_allclose(fit.model.survival(np.arange(n.size)), n / n[0], atol=2e-4)


@pytest.mark.parametrize(
    ("alpha", "beta", "c"),
    [(0.7, 1.2, 0.5), (0.3, 2.0, 1.5), (5.0, 50.0, 0.2), (1e6, 2e6, 1.3), (0.5, 1e5, 0.8)],
)
def test_gradient_matches_central_differences(alpha: float, beta: float, c: float) -> None:
    t = np.array([1.0, 2.0, 3.0, 10.0, 40.0, 200.0])
    grad_p, grad_s = log_churn_and_survival_grad(alpha, beta, c, t)
    theta = np.array([alpha, beta, c])
    for i in range(3):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        p_up, s_up = log_churn_and_survival(*up, t)
        p_down, s_down = log_churn_and_survival(*down, t)
        np.testing.assert_allclose(grad_p[i], (p_up - p_down) / (2 * h), rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(grad_s[i], (s_up - s_down) / (2 * h), rtol=1e-5, atol=1e-9)
