"""Tests of crmkit.clv.evaluation with a hand-computable model, BG/BB and CDNOW data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmkit import datasets
from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.clv.evaluation import evaluate_holdout, repeat_frequency_table, tracking_series
from crmkit.exceptions import InvalidValueError, MissingColumnsError


def test_holdout_hand_computed(poisson_no_churn: Any) -> None:
    summary = pd.DataFrame(
        {"frequency_holdout": [0, 2, 5, 1], "duration_holdout": [10.0, 10.0, 20.0, 5.0]},
        index=pd.Index(list("abcd"), name="customer_id"),
    )
    ev = evaluate_holdout(poisson_no_churn(rate=0.1), summary)
    np.testing.assert_allclose(ev.per_customer["predicted"], [1.0, 1.0, 2.0, 0.5])
    errors = np.array([1.0, -1.0, -3.0, -0.5])
    np.testing.assert_allclose(ev.per_customer["error"], errors)
    assert ev.mae == pytest.approx(np.abs(errors).mean())
    assert ev.rmse == pytest.approx(np.sqrt((errors**2).mean()))
    assert ev.bias == pytest.approx(errors.mean())
    assert ev.total_actual == 8.0
    assert ev.total_predicted == pytest.approx(4.5)
    assert list(ev.per_customer.index) == list("abcd")


def test_holdout_on_cdnow_with_mean_rate_model(poisson_no_churn: Any) -> None:
    summary = datasets.load_cdnow_summary()
    # The rate that matches the calibration purchases per week of exposure predicts the
    # holdout total with zero bias by construction of its rate; check the bookkeeping.
    total_rate = summary["frequency_holdout"].sum() / summary["duration_holdout"].sum()
    ev = evaluate_holdout(poisson_no_churn(rate=total_rate), summary)
    assert ev.n_customers == 2357
    assert ev.bias == pytest.approx(0.0, abs=1e-12)
    assert ev.total_actual == summary["frequency_holdout"].sum()


def test_holdout_errors(poisson_no_churn: Any) -> None:
    with pytest.raises(MissingColumnsError):
        evaluate_holdout(poisson_no_churn(rate=1.0), pd.DataFrame({"frequency_holdout": [1]}))
    with pytest.raises(InvalidValueError, match="conditional_expected_purchases"):
        evaluate_holdout(object(), pd.DataFrame({"frequency_holdout": [1]}))


def test_tracking_series_hand_computed(poisson_no_churn: Any) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3],
            "datetime": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",
                    "2024-01-20",
                    "2024-01-03",
                    "2024-02-01",
                    "2024-01-15",
                ]
            ),
        }
    )
    with pytest.raises(InvalidValueError, match="time unit is unknown"):
        tracking_series(poisson_no_churn(rate=1.0), tx, time_unit="W")
    out = tracking_series(poisson_no_churn(rate=1.0, time_unit="W"), tx, time_unit="W")
    # weeks from 2024-01-01; last transaction 2024-02-01 falls in week 5
    assert len(out) == 5
    np.testing.assert_array_equal(out["actual"], [0, 0, 1, 0, 1])
    ends = pd.date_range("2024-01-08", periods=5, freq="7D")
    ages = [
        np.clip((ends - pd.Timestamp(d)).days / 7, 0, None)
        for d in ("2024-01-01", "2024-01-03", "2024-01-15")
    ]
    np.testing.assert_allclose(out["expected_cumulative"], np.sum(ages, axis=0))
    assert out["period_end"].iloc[0] == pd.Timestamp("2024-01-08")


def test_tracking_series_counts_cdnow_repeat_purchase_days(poisson_no_churn: Any) -> None:
    tx = datasets.load_cdnow_transactions(sample=True)
    days = tx[["sample_id", "date"]].rename(
        columns={"sample_id": "customer_id", "date": "datetime"}
    )
    out = tracking_series(
        poisson_no_churn(rate=0.05, time_unit="W"), days, time_unit="W", end="1997-09-30"
    )
    calib = out.loc[out["period_end"] <= pd.Timestamp("1997-10-01")]
    summary = datasets.load_cdnow_summary()
    assert calib["actual_cumulative"].iloc[-1] == summary["frequency"].sum()
    assert len(calib) == 39


def test_tracking_series_months_and_model_unit(poisson_no_churn: Any) -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "datetime": pd.to_datetime(["2024-01-31", "2024-03-05"])}
    )
    out = tracking_series(poisson_no_churn(rate=1.0, time_unit="D"), tx, time_unit="M")
    # calendar months from 2024-01-31: ends 2024-02-29, 2024-03-31 (clamped); ages in days
    assert out["period_end"].tolist() == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-31")]
    np.testing.assert_allclose(out["expected_cumulative"], [29.0, 60.0])


def test_repeat_frequency_table_bgbb_matches_hardie(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "clv_bgbb_fhs2010.json").read_text())
    donations = datasets.load_donations()
    model = BetaGeoBetaBinom.fit(donations).model
    table = repeat_frequency_table(
        model, donations, max_count=6, T_col="n_periods", weights_col="weights"
    )
    assert table["actual"].sum() == 11104
    assert table["expected"].sum() == pytest.approx(11104)
    np.testing.assert_allclose(
        table.loc[["0", "6+"], "expected"],
        ref["expected_donors_with_x_repeat"]["value"],
        atol=ref["tolerance"]["expected_donors_abs"],
    )
    assert table.loc["0", "actual"] == 3464


def test_repeat_frequency_table_poisson_hand_computed(poisson_no_churn: Any) -> None:
    summary = pd.DataFrame({"frequency": [0, 1, 1, 3, 9], "T": [2.0, 2.0, 4.0, 4.0, 4.0]})
    table = repeat_frequency_table(poisson_no_churn(rate=0.5), summary, max_count=3)
    assert table.index.tolist() == ["0", "1", "2", "3+"]
    np.testing.assert_array_equal(table["actual"], [1, 2, 0, 2])
    pmf = 2 * stats.poisson.pmf(np.arange(3), 1.0) + 3 * stats.poisson.pmf(np.arange(3), 2.0)
    np.testing.assert_allclose(table["expected"].iloc[:3], pmf)
    assert table["expected"].sum() == pytest.approx(5.0)


def test_repeat_frequency_table_requires_extension(poisson_no_churn: Any) -> None:
    class NoPmf:
        pass

    with pytest.raises(InvalidValueError, match="probability_of_purchases"):
        repeat_frequency_table(NoPmf(), pd.DataFrame({"frequency": [1], "T": [1.0]}))
    with pytest.raises(InvalidValueError, match="max_count"):
        repeat_frequency_table(
            poisson_no_churn(rate=1.0), pd.DataFrame({"frequency": [1], "T": [1.0]}), max_count=0
        )


def test_repeat_frequency_table_refuses_fractional_frequency(poisson_no_churn: Any) -> None:
    # 1.5 purchases used to be rounded silently (to 2) into the histogram
    summary = pd.DataFrame({"frequency": [0.0, 1.5, 2.0], "T": [4.0, 4.0, 4.0]})
    with pytest.raises(InvalidValueError, match=r"whole numbers.*\[1\.5\]"):
        repeat_frequency_table(poisson_no_churn(rate=0.5), summary, max_count=3)


def test_tracking_series_refuses_contradictory_model_time_unit(poisson_no_churn: Any) -> None:
    # a daily model declared weekly used to be tracked silently on the weekly clock
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "datetime": pd.to_datetime(["2024-01-01", "2024-01-09"])}
    )
    with pytest.raises(InvalidValueError, match="contradicts the model's own"):
        tracking_series(
            poisson_no_churn(rate=1.0, time_unit="D"), tx, time_unit="W", model_time_unit="W"
        )
