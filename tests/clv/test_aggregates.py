"""Intervals on aggregates: sums over segments, agreement with the delta method, the
posterior simulation against the closed-form conditional expectation, and a seeded
coverage check on data simulated from known parameters (the full 200-set study is
benchmarks/coverage_aggregate_intervals.py)."""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd
import pytest

from crmkit import ConfidenceInterval, clv, datasets
from crmkit.clv.aggregates import (
    _simulate_future,
    aggregate_interval,
    forecast_intervals,
    predictive_interval,
    segment_intervals,
)
from crmkit.exceptions import BoundaryWarning, InvalidValueError

TRUE = clv.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return datasets.load_cdnow_summary().iloc[:250]


@pytest.fixture(scope="module")
def fit(summary: pd.DataFrame) -> clv.FitResult[clv.BetaGeo]:
    return clv.BetaGeo.fit(summary)


def _holdout(summary: pd.DataFrame):  # type: ignore[no-untyped-def]
    return lambda m: m.conditional_expected_purchases(summary, t=39)


def test_segments_masks_and_ids_agree(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    predict = _holdout(summary)
    whole = aggregate_interval(fit, predict, n_draws=60)
    assert isinstance(whole, ConfidenceInterval)
    assert whole.estimate == pytest.approx(float(predict(fit.model).sum()), rel=1e-12)
    assert whole.lower < whole.estimate < whole.upper
    assert whole.level == 0.95
    mask = summary["frequency"] > 0
    by_mask = aggregate_interval(fit, predict, customers=mask, n_draws=60)
    by_ids = aggregate_interval(fit, predict, customers=summary.index[mask], n_draws=60)
    by_array = aggregate_interval(fit, predict, customers=mask.to_numpy(), n_draws=60)
    assert by_mask == by_ids == by_array
    table = segment_intervals(fit, predict, by=mask.rename("repeat"), n_draws=60)
    assert table.index.tolist() == [False, True]
    assert table.loc[True, "estimate"] == pytest.approx(by_mask.estimate)
    assert table["estimate"].sum() == pytest.approx(whole.estimate)
    # the same draws (same seed): each group's interval equals the single-segment one
    assert (table.loc[True, "lower"], table.loc[True, "upper"]) == pytest.approx(
        (by_mask.lower, by_mask.upper)
    )


def test_stderr_of_a_sum_matches_the_delta_method(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    predict = _holdout(summary)
    theta = np.asarray(fit.estimates)

    def total(values: np.ndarray) -> float:
        model = attrs.evolve(fit.model, **dict(zip(fit.param_names, values, strict=True)))
        return float(predict(model).sum())

    grad = np.array(
        [
            (total(theta + h) - total(theta - h)) / (2 * h[i])
            for i, h in enumerate(np.diag(theta * 1e-5))
        ]
    )
    delta_se = float(np.sqrt(grad @ np.asarray(fit.covariance) @ grad))
    table = segment_intervals(
        fit, predict, by=pd.Series("all", index=summary.index), n_draws=800, rng=3
    )
    assert table.loc["all", "stderr"] == pytest.approx(delta_se, rel=0.12)


def test_two_fits_draw_the_spend_model_too() -> None:
    full = datasets.load_cdnow_summary()
    repeat = full[full["frequency"] > 0].iloc[:200]
    bg = clv.BetaGeo.fit(full)
    gg = clv.GammaGamma.fit(repeat)

    def purchases(m: clv.BetaGeo, g: clv.GammaGamma) -> pd.Series:
        return m.conditional_expected_purchases(repeat, t=39)

    def spend(m: clv.BetaGeo, g: clv.GammaGamma) -> pd.Series:
        return g.conditional_expected_spend(repeat)

    # the purchase model is drawn first, so its draws are those of a single fit
    alone = aggregate_interval(bg, lambda m: purchases(m, gg.model), n_draws=40, rng=4)
    assert aggregate_interval(bg, purchases, spend_fit=gg, n_draws=40, rng=4) == alone
    spent = aggregate_interval(bg, spend, spend_fit=gg, n_draws=40, rng=4)
    assert spent.lower < spent.estimate < spent.upper
    point = float(spend(bg.model, gg.model).sum())
    assert spent.estimate == pytest.approx(point)


@pytest.mark.parametrize(
    "model",
    [
        TRUE,
        clv.ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        clv.ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67),
    ],
)
def test_simulated_futures_average_to_the_conditional_expectation(model: object) -> None:
    history = pd.DataFrame(
        {"frequency": [0, 2, 7, 1], "recency": [0.0, 30.43, 35.0, 5.0], "T": [38.86] * 4}
    )
    reps = 40_000
    stacked = history.loc[np.repeat(history.index, reps)].reset_index(drop=True)
    sims = _simulate_future(model, stacked, 52.0, np.random.default_rng(5)).reshape(4, reps)
    expected = model.conditional_expected_purchases(history, t=52.0).to_numpy()  # type: ignore[attr-defined]
    stderr = sims.std(axis=1) / np.sqrt(reps)
    assert np.all(np.abs(sims.mean(axis=1) - expected) < 4.5 * stderr + 1e-3)


def test_predictive_interval_is_wider_and_centred(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    conf = aggregate_interval(fit, _holdout(summary), n_draws=150)
    pred = predictive_interval(fit, summary, t=39, n_draws=300)
    assert pred.estimate == pytest.approx(conf.estimate)
    assert pred.lower < conf.lower
    assert pred.upper > conf.upper
    with pytest.raises(InvalidValueError, match="aggregate_interval"):
        predictive_interval(clv.GammaGamma.fit(summary[summary["frequency"] > 0]), summary, t=39)


def test_forecast_intervals_bracket_the_period_forecast(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    result = forecast_intervals(fit, summary, observation_end="1997-09-30", horizon=4, n_draws=40)
    band = result.table
    point = clv.forecast_purchases(fit.model, summary, observation_end="1997-09-30", horizon=4)
    # the result carries the forecast at the fitted parameters and says what it is
    pd.testing.assert_frame_equal(result.forecast.table, point.table)
    assert (result.level, result.n_draws) == (0.95, 40)
    assert "Forecast intervals per month" in repr(result)
    np.testing.assert_allclose(band["purchases"], point.table["total"], rtol=1e-12)
    assert (band["purchases_lower"] <= band["purchases"]).all()
    assert (band["purchases"] <= band["purchases_upper"]).all()
    assert (np.diff(band["cumulative_upper"]) >= 0).all()


def test_bad_input_raises(fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="FitResult"):
        aggregate_interval(fit.model, _holdout(summary))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="not predicted"):
        aggregate_interval(fit, _holdout(summary), customers=["nobody"], n_draws=5)
    with pytest.raises(InvalidValueError, match="one flag per customer"):
        aggregate_interval(fit, _holdout(summary), customers=np.array([True]), n_draws=5)
    with pytest.raises(InvalidValueError, match="group"):
        segment_intervals(fit, _holdout(summary), by=pd.Series("a", index=summary.index[:3]))
    with pytest.raises(InvalidValueError, match="level"):
        aggregate_interval(fit, _holdout(summary), level=95)


def _simulate_with_holdout(
    n: int, rng: np.random.Generator, holdout: float
) -> tuple[pd.DataFrame, float]:
    """BG/NBD calibration summaries and the realised holdout total, by hand: Poisson
    purchase times, dropout after the Geometric(p)-th purchase (FHL 2005, sec. 2)."""
    lam = rng.gamma(TRUE.r, 1.0 / TRUE.alpha, size=n)
    p = rng.beta(TRUE.a, TRUE.b, size=n)
    T = rng.uniform(26.0, 52.0, size=n)
    end = T + holdout
    counts = rng.poisson(lam * end)
    owner = np.repeat(np.arange(n), counts)
    times = rng.uniform(0.0, 1.0, size=owner.size) * end[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    made = rank < rng.geometric(p)[owner]  # purchases up to and including the last one
    owner, times = owner[made], times[made]
    cal = times <= T[owner]
    x = np.bincount(owner[cal], minlength=n).astype(float)
    tx = np.zeros(n)
    np.maximum.at(tx, owner[cal], times[cal])
    frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    frame.attrs["crmkit_time_unit"] = "W"
    return frame, float((~cal).sum())


def test_coverage_on_simulated_data_sets() -> None:
    """40 seeded data sets of 500 customers: the 95% intervals hold the true value in 34
    or more; a 50% interval in 10 to 30 (a too-wide interval would cover everything at
    both levels, a too-narrow one too little). A fit without standard errors (at the
    boundary of the parameter space) has no interval and counts as a miss."""
    rng = np.random.default_rng(19)
    hits = {"cohort95": 0, "cohort50": 0, "pred95": 0}

    def cohort(m: clv.BetaGeo) -> float:
        return 1000.0 * float(m.expected_purchases(52.0))

    truth = cohort(TRUE)
    for k in range(40):
        sim, realised = _simulate_with_holdout(500, rng, 26.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            fit = clv.BetaGeo.fit(sim)
        if not np.all(np.isfinite(np.asarray(fit.covariance))):
            continue
        hits["cohort95"] += truth in aggregate_interval(fit, cohort, n_draws=100, rng=k)
        hits["cohort50"] += truth in aggregate_interval(fit, cohort, level=0.5, n_draws=100, rng=k)
        hits["pred95"] += realised in predictive_interval(fit, sim, t=26.0, n_draws=100, rng=k)
    assert hits["cohort95"] >= 34, hits
    assert 10 <= hits["cohort50"] <= 30, hits
    assert hits["pred95"] >= 34, hits


def test_a_dropout_probability_that_underflows_means_no_dropout() -> None:
    # Beta(0.001, b) draws underflow to 0 for most customers: they never drop out
    model = clv.BetaGeo(r=0.243, alpha=4.414, a=0.001, b=2.426)
    history = pd.DataFrame(
        {"frequency": [3.0] * 2000, "recency": [20.0] * 2000, "T": [30.0] * 2000}
    )
    sims = _simulate_future(model, history, 10.0, np.random.default_rng(0))
    assert np.isfinite(sims).all()
    expected = float(model.conditional_expected_purchases(history.iloc[:1], t=10.0).iloc[0])
    assert sims.mean() == pytest.approx(expected, rel=0.1)


def test_forecast_intervals_count_each_customer_of_a_shared_history(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    # customers with the same (frequency, recency, T) are computed once and weighted
    gg = clv.GammaGamma.fit(datasets.load_cdnow_summary().query("frequency > 0"))
    doubled = pd.concat([summary, summary], ignore_index=True)
    kwargs = {"observation_end": "1997-09-30", "horizon": 3, "n_draws": 20}
    once = forecast_intervals(fit, summary, spend_fit=gg, **kwargs).table
    twice = forecast_intervals(fit, doubled, spend_fit=gg, **kwargs).table
    np.testing.assert_allclose(twice.to_numpy(), 2 * once.to_numpy(), rtol=1e-10)
    point = clv.forecast_purchases(
        fit.model, doubled, observation_end="1997-09-30", horizon=3, spend=gg.model
    )
    np.testing.assert_allclose(twice["purchases"], point.table["total"], rtol=1e-10)
    np.testing.assert_allclose(twice["spend"], point.table["total_spend"], rtol=1e-10)


def test_a_draw_without_a_prediction_is_named(
    fit: clv.FitResult[clv.BetaGeo], summary: pd.DataFrame
) -> None:
    def fragile(m: clv.BetaGeo) -> float:
        if m.r > fit.model.r:  # about half of the draws
            raise InvalidValueError("no prediction here")
        return float(m.expected_purchases(10.0))

    with pytest.raises(InvalidValueError, match=r"undefined for parameter draw \d+ of 50"):
        aggregate_interval(fit, fragile, n_draws=50)
