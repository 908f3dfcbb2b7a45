"""compare_retention_models: nested LR tests, Kaplan-Meier on the models' clock, holdout.

Outside values: the BdW and sBG fits of the Fader & Hardie (2007) cohorts with their LR
statistics (tests/reference/clv_bdw_fh2007.json, an independent replication); the
Kaplan-Meier estimate of crmkit.survival (checked against lifelines in
tests/survival); chi-square tail probabilities of scipy.stats.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import crmkit
from crmkit.clv import (
    BetaDiscreteWeibull,
    ShiftedBetaGeometric,
    ShiftedGeometric,
    compare_retention_models,
    contractual_value_summary,
)
from crmkit.clv._retention_data import retention_counts
from crmkit.exceptions import BoundaryWarning, InvalidValueError, MissingColumnsError
from crmkit.survival import kaplan_meier


def _rows(model: object, n: int, horizon: int, seed: int) -> pd.DataFrame:
    """One row per customer, tenure = completed periods (churned: the cancelling period)."""
    sim = model.simulate(n, horizon, np.random.default_rng(seed))  # type: ignore[attr-defined]
    churned = sim["churned"].to_numpy()
    tenure = sim["periods_survived"].to_numpy() + churned
    return pd.DataFrame({"tenure": tenure, "churned": churned})


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (ShiftedGeometric(theta=0.08), "ShiftedGeometric"),
        (ShiftedBetaGeometric(alpha=0.7, beta=1.2), "ShiftedBetaGeometric"),
        (BetaDiscreteWeibull(alpha=1.0, beta=2.0, c=0.5), "BetaDiscreteWeibull"),
    ],
)
def test_the_family_that_simulated_the_data_wins(model: object, expected: str) -> None:
    rows = _rows(model, 6000, 24, seed=7)
    result = compare_retention_models(rows, tenure_counts="completed")
    assert result.chosen == {"all": expected}
    # and its survival curve stays within sampling noise of Kaplan-Meier
    assert result.table.loc[expected, "km_max_gap"] < 0.02


def test_lr_statistic_is_twice_the_log_likelihood_difference() -> None:
    rows = _rows(ShiftedBetaGeometric(alpha=0.7, beta=1.2), 3000, 12, seed=1)
    result = compare_retention_models(rows, tenure_counts="completed")
    fits = result.fits["all"]
    table = result.table
    sbg = 2 * (
        fits["ShiftedBetaGeometric"].log_likelihood - fits["ShiftedGeometric"].log_likelihood
    )
    bdw = 2 * (
        fits["BetaDiscreteWeibull"].log_likelihood - fits["ShiftedBetaGeometric"].log_likelihood
    )
    assert table.loc["ShiftedBetaGeometric", "lr_statistic"] == pytest.approx(sbg, rel=1e-12)
    assert table.loc["BetaDiscreteWeibull", "lr_statistic"] == pytest.approx(bdw, rel=1e-12)
    # the geometric is the sBG on the edge of its parameter space: chi-bar-square
    # 0.5 chi2(0) + 0.5 chi2(1) (Self & Liang 1987), i.e. half the chi2(1) p-value
    assert table.loc["ShiftedBetaGeometric", "lr_p_value"] == pytest.approx(
        0.5 * stats.chi2.sf(sbg, 1), rel=1e-9
    )
    assert table.loc["BetaDiscreteWeibull", "lr_p_value"] == pytest.approx(
        stats.chi2.sf(max(bdw, 0.0), 1), rel=1e-9
    )
    assert table.loc["ShiftedGeometric", "lr_against"] == ""
    assert np.isnan(table.loc["ShiftedGeometric", "lr_statistic"])


@pytest.mark.parametrize("convention", ["completed", "started"])
def test_kaplan_meier_is_that_of_crmkit_survival_on_the_models_clock(convention: str) -> None:
    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"tenure": rng.integers(1, 30, 800), "churned": rng.random(800) < 0.4})
    before = rows.copy()
    result = compare_retention_models(rows, tenure_counts=convention)
    pd.testing.assert_frame_equal(rows, before)  # input not modified
    # the mapping: an active customer with tenure t has made t renewals ("completed")
    # or t - 1 ("started"); a churned one cancelled in period t either way
    shift = 1 if convention == "started" else 0
    clock = rows.assign(tenure=np.where(rows["churned"], rows["tenure"], rows["tenure"] - shift))
    curves = result.curves()
    t = curves.index.to_numpy()
    expected = kaplan_meier(clock).survival_at(t.astype(float))
    np.testing.assert_allclose(curves["kaplan_meier"].to_numpy(), expected, rtol=0, atol=1e-14)
    if convention == "completed":  # the Kaplan-Meier curve of the raw tenures
        np.testing.assert_allclose(expected, kaplan_meier(rows).survival_at(t.astype(float)))
    # the same hazards as the counts every model's likelihood reads
    counts = retention_counts(rows, tenure_counts=convention)
    risk = counts.at_risk()[1:]
    hazard = np.divide(counts.churned[1:], risk, out=np.zeros_like(risk), where=risk > 0)
    np.testing.assert_allclose(
        curves["kaplan_meier"].to_numpy()[1:], np.cumprod(1 - hazard)[: t.size - 1], atol=1e-12
    )
    gap = np.abs(curves["ShiftedBetaGeometric"].to_numpy() - curves["kaplan_meier"].to_numpy())
    assert result.table.loc["ShiftedBetaGeometric", "km_max_gap"] == pytest.approx(gap[1:].max())


def test_left_truncated_rows_use_the_kaplan_meier_risk_sets_with_entry() -> None:
    rng = np.random.default_rng(5)
    tenure = rng.integers(2, 20, 500)
    rows = pd.DataFrame({"tenure": tenure, "churned": rng.random(500) < 0.5, "entry": tenure // 2})
    result = compare_retention_models(rows, tenure_counts="completed", entry_col="entry")
    t = result.curves().index.to_numpy().astype(float)
    expected = kaplan_meier(rows, entry_col="entry").survival_at(t)
    np.testing.assert_allclose(result.curves()["kaplan_meier"].to_numpy(), expected, atol=1e-14)


@pytest.fixture(scope="module")
def fh2007(reference_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((reference_dir / "clv_bdw_fh2007.json").read_text())
    return data


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_published_lr_statistics_of_the_fh2007_cohorts(
    fh2007: dict[str, object], cohort: str
) -> None:
    survivors = fh2007["inputs"][cohort]  # type: ignore[index]
    five = fh2007["five_year"]  # type: ignore[index]
    tol = fh2007["tolerance"]  # type: ignore[index]
    result = compare_retention_models(survivors[:5])
    row = result.table.loc["BetaDiscreteWeibull"]
    assert row["lr_against"] == "ShiftedBetaGeometric"
    assert row["lr_reference"] == "chi2(1)"
    assert row["lr_statistic"] == pytest.approx(five["lr"][cohort], abs=tol["lr_abs"])
    for family, key in (("BetaDiscreteWeibull", "bdw"), ("ShiftedBetaGeometric", "sbg")):
        published = five[key][cohort]["log_likelihood"]
        assert result.table.loc[family, "log_likelihood"] >= published - 5e-5
    # the same fits from the whole 13-year series cut after year 4 (the holdout check)
    cut = compare_retention_models(survivors, calibration_periods=4)
    assert cut.table.loc["BetaDiscreteWeibull", "lr_statistic"] == pytest.approx(
        five["lr"][cohort], abs=tol["lr_abs"]
    )
    assert cut.criterion == "holdout"
    assert cut.table["holdout_max_gap"].notna().all()


def test_individual_rows_cut_at_k_equal_rows_censored_by_hand() -> None:
    rows = _rows(ShiftedBetaGeometric(alpha=0.8, beta=2.0), 2000, 20, seed=11)
    result = compare_retention_models(rows, tenure_counts="completed", calibration_periods=6)
    late = rows["tenure"] > 6
    by_hand = rows.assign(tenure=rows["tenure"].clip(upper=6), churned=rows["churned"] & ~late)
    fit = ShiftedBetaGeometric.fit(by_hand, tenure_counts="completed")
    got = result.fits["all"]["ShiftedBetaGeometric"]
    assert got.log_likelihood == pytest.approx(fit.log_likelihood, rel=1e-10)
    assert result.table["km_max_gap_at"].max() <= 6
    assert (result.table["holdout_max_gap"] > 0).all()


@pytest.fixture(scope="module")
def telco(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv"
    frame = pd.read_csv(path, usecols=["customerID", "tenure", "Contract", "Churn"])
    return frame.assign(churned=frame["Churn"].eq("Yes"))


@pytest.mark.parametrize("convention", ["completed", "started"])
def test_telco_per_contract_records_boundary_warnings(
    telco: pd.DataFrame, convention: str
) -> None:
    # filterwarnings=error: a BoundaryWarning escaping would fail this test
    result = compare_retention_models(
        telco, tenure_counts=convention, group_col="Contract", time_unit="M"
    )
    table = result.table
    assert set(result.chosen) == {"Month-to-month", "One year", "Two year"}
    assert table.groupby(level="Contract")["n_customers"].first().to_dict() == (
        telco["Contract"].value_counts().to_dict()
    )
    one_year_sbg = table.loc[("One year", "ShiftedBetaGeometric")]
    assert one_year_sbg["at_boundary"] == "alpha, beta"
    assert "BoundaryWarning" in one_year_sbg["status"]
    # the sBG at its geometric limit: BdW tested against it with 0.5 chi2(1) + 0.5 chi2(2)
    assert table.loc[("One year", "BetaDiscreteWeibull"), "lr_reference"].startswith(
        "0.5 chi2(1) + 0.5 chi2(2)"
    )
    mtm = table.loc[("Month-to-month", "ShiftedBetaGeometric")]
    assert mtm["at_boundary"] == ""
    assert mtm["status"] == "ok"
    # the users' figure: the sBG overstates month-to-month survival at 72 months
    curves = result.curves(group="Month-to-month")
    if convention == "completed":
        assert curves.loc[72, "ShiftedBetaGeometric"] == pytest.approx(0.361, abs=5e-4)
        assert curves.loc[72, "kaplan_meier"] == pytest.approx(0.129, abs=5e-4)
    # one call from the comparison to contractual value per contract (the value
    # refuses active tenures of 0 under "started": 11 Telco customers have them)
    value = contractual_value_summary(
        result.chosen_fits, telco.assign(spend=1.0), spend="spend", discount_rate=0.01,
        tenure_counts="completed", group_col="Contract",
    )  # fmt: skip
    assert list(value.index) == ["Month-to-month", "One year", "Two year"]
    assert "Contract" in repr(result) or "Month-to-month" in repr(result)


def test_options_and_errors() -> None:
    rows = pd.DataFrame({"tenure": [1, 2, 3, 3], "churned": [True, True, False, False]})
    with pytest.raises(InvalidValueError, match="tenure_counts is required"):
        compare_retention_models(rows)
    with pytest.raises(InvalidValueError, match="calibration_periods=k"):
        compare_retention_models(rows, tenure_counts="completed", criterion="holdout")
    with pytest.raises(InvalidValueError, match="leaves nothing to project"):
        compare_retention_models(rows, tenure_counts="completed", calibration_periods=3)
    with pytest.raises(InvalidValueError, match=">= 1"):
        compare_retention_models(rows, tenure_counts="completed", calibration_periods=0)
    with pytest.raises(InvalidValueError, match="criterion"):
        compare_retention_models(rows, tenure_counts="completed", criterion="mae")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="families"):
        compare_retention_models(rows, tenure_counts="completed", families=ShiftedGeometric)  # type: ignore[arg-type]
    with pytest.raises(MissingColumnsError):
        compare_retention_models(rows, tenure_counts="completed", group_col="plan")
    with pytest.raises(InvalidValueError, match="group_col"):
        compare_retention_models([100, 60, 40], group_col="plan")
    with pytest.raises(InvalidValueError, match="group"):
        compare_retention_models(rows, tenure_counts="completed").curves(group="x")
    telco_like = rows.assign(plan=["a", "a", "b", "b"])
    by_plan = compare_retention_models(
        telco_like, tenure_counts="completed", group_col="plan", families=(ShiftedGeometric,)
    )
    with pytest.raises(InvalidValueError, match="not a group"):
        by_plan.curves(group=["a"])
    assert list(by_plan.curves(group="b").columns) == [
        "kaplan_meier",
        "lower",
        "upper",
        "ShiftedGeometric",
    ]


def test_plot_draws_one_axis_per_group(telco: pd.DataFrame) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmkit import plotting

    part = telco[telco["Contract"] != "Two year"]
    result = compare_retention_models(
        part, tenure_counts="completed", group_col="Contract", calibration_periods=24,
        families=(ShiftedGeometric, ShiftedBetaGeometric),
    )  # fmt: skip
    _fig, axes = plt.subplots(1, 2)
    drawn = plotting.retention_fit_plot(result, ax=axes)
    assert [a.get_title() for a in drawn] == ["Month-to-month", "One year"]
    labels = [t.get_text() for t in drawn[0].get_legend().get_texts()]
    assert labels[0] == "Kaplan-Meier"
    assert any("(chosen)" in s for s in labels)
    with pytest.raises(InvalidValueError, match="one per group"):
        plotting.retention_fit_plot(result, ax=axes[:1])
    with pytest.raises(InvalidValueError, match="RetentionComparison"):
        plotting.retention_fit_plot(result.table)  # type: ignore[arg-type]
    plt.close("all")


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(min_value=1, max_value=12), st.booleans()), min_size=2, max_size=40
    ),
    convention=st.sampled_from(["completed", "started"]),
)
def test_clock_and_gap_invariants(data: list[tuple[int, bool]], convention: str) -> None:
    rows = pd.DataFrame(data, columns=["tenure", "churned"])
    result = compare_retention_models(rows, tenure_counts=convention, families=(ShiftedGeometric,))
    shift = 1 if convention == "started" else 0
    clock = rows.assign(tenure=np.where(rows["churned"], rows["tenure"], rows["tenure"] - shift))
    curves = result.curves()
    t = curves.index.to_numpy().astype(float)
    np.testing.assert_allclose(
        curves["kaplan_meier"].to_numpy(), kaplan_meier(clock).survival_at(t), atol=1e-14
    )
    row = result.table.loc["ShiftedGeometric"]
    gaps = np.abs(curves["ShiftedGeometric"] - curves["kaplan_meier"]).to_numpy()[1:]
    assert row["km_max_gap"] == pytest.approx(gaps.max(), abs=1e-15)
    assert 0.0 <= row["km_mean_gap"] <= row["km_max_gap"] <= 1.0
    assert 0.0 <= row["km_outside_band"] <= 1.0


def test_grouped_survivor_tables_cut_at_year_7_give_the_published_sbg(
    reference_dir: Path,
) -> None:
    ref = json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())
    frame = pd.concat(
        [
            pd.DataFrame({"segment": name, "period": range(13), "n_alive": counts})
            for name, counts in ref["inputs"].items()
            if name in ("regular", "high_end")
        ]
    )
    result = compare_retention_models(frame, group_col="segment", calibration_periods=7)
    for segment in ("regular", "high_end"):
        fit = result.fits[segment]["ShiftedBetaGeometric"]
        for name, value in ref["params"][segment].items():
            assert fit.params[name] == pytest.approx(value, abs=ref["tolerance"]["params_abs"])
    # survivor tables: Kaplan-Meier is n_t / n_0 of each cohort
    curves = result.curves(group="high_end")
    np.testing.assert_allclose(
        curves["kaplan_meier"].to_numpy(), np.asarray(ref["inputs"]["high_end"]) / 1000
    )
    assert result.table.index.names == ["segment", "model"]


def test_weighted_rows_compare_like_the_rows_they_stand_for() -> None:
    # one row per (contract, tenure, churned) with a customer count: the same fits and
    # the same Kaplan-Meier gaps as the 7,043 rows, in-sample and on a holdout
    telco = crmkit.datasets.load_telco_churn()
    rows = telco.assign(churned=telco["Churn"].eq("Yes"))[["Contract", "tenure", "churned"]]
    table = rows.value_counts().rename("n").reset_index()
    common = {"tenure_counts": "completed", "group_col": "Contract", "calibration_periods": 24}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        plain = compare_retention_models(rows, **common)
        weighted = compare_retention_models(table, weights_col="n", **common)
    cols = ["log_likelihood", "km_max_gap", "km_mean_gap", "holdout_mean_gap"]
    pd.testing.assert_frame_equal(
        weighted.table[cols], plain.table[cols], check_exact=False, rtol=1e-7
    )
    assert weighted.chosen == plain.chosen
