"""Period forecasts: buckets add up to the cumulative expectation, calendar lengths are
exact, cohorts follow the tracking curve of a new customer (checked against hand
integrals and scipy quadrature), spend prices the buckets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from crmkit.clv import BetaGeo, GammaGamma, ParetoNBD, forecast_purchases
from crmkit.exceptions import InvalidValueError

BG_W = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
PARETO_W = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")
SUMMARY = pd.DataFrame(
    {"frequency": [2, 0, 7, 1], "recency": [30.43, 0.0, 35.0, 5.0], "T": [38.86] * 4},
    index=pd.Index([11, 12, 13, 14], name="customer_id"),
)


def _days(a: pd.Timestamp, b: pd.Timestamp) -> float:
    return (b - a) / pd.Timedelta(days=1)


@settings(max_examples=40, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    hour=st.integers(0, 23),
    horizon=st.integers(1, 30),
    period=st.sampled_from(["D", "W", "M", "Q", "Y"]),
    model=st.sampled_from([BG_W, PARETO_W]),
)
def test_buckets_sum_to_the_cumulative_expectation(
    day: dt.date, hour: int, horizon: int, period: str, model: BetaGeo | ParetoNBD
) -> None:
    start = pd.Timestamp(day) + pd.Timedelta(hours=hour)
    fc = forecast_purchases(model, SUMMARY, observation_end=start, horizon=horizon, period=period)
    # the window's length in weeks by plain day arithmetic, not by crmkit.timeunits
    t = _days(start, fc.end) / 7.0
    cumulative = model.conditional_expected_purchases(SUMMARY, t=t)
    np.testing.assert_allclose(fc.per_customer.sum(axis=1), cumulative, rtol=1e-9, atol=1e-12)
    assert fc.total_purchases == pytest.approx(cumulative.sum(), rel=1e-9)
    assert (fc.per_customer.to_numpy() >= 0).all()
    # buckets tile the window on calendar boundaries
    table = fc.table
    assert table["start"].iloc[0] == start
    assert table["end"].iloc[-1] == fc.end
    assert (table["start"].iloc[1:].to_numpy() == table["end"].iloc[:-1].to_numpy()).all()
    for label, lo, hi in zip(table.index, table["start"], table["end"], strict=True):
        assert label.start_time <= lo < hi <= (label + 1).start_time
    inner = table["start"].iloc[1:]
    assert all(label.start_time == s for label, s in zip(table.index[1:], inner, strict=True))


@pytest.mark.parametrize(
    ("month", "days"), [("2023-02", 28), ("2024-02", 29), ("2023-04", 30), ("2023-01", 31)]
)
def test_a_calendar_month_has_its_own_number_of_days(month: str, days: int) -> None:
    first = pd.Period(month, "M").start_time
    daily = BetaGeo(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426, time_unit="D")
    fc = forecast_purchases(daily, SUMMARY.assign(T=272.0), observation_end=first, horizon=1)
    assert fc.table["t_end"].tolist() == [days]
    expected = daily.conditional_expected_purchases(SUMMARY.assign(T=272.0), t=days)
    np.testing.assert_allclose(fc.per_customer.iloc[:, 0], expected, rtol=1e-12)
    weekly = forecast_purchases(BG_W, SUMMARY, observation_end=first, horizon=1)
    assert weekly.table["t_end"].iloc[0] == pytest.approx(days / 7.0, rel=1e-12)


def test_partial_first_and_last_buckets_count_their_exact_length() -> None:
    fc = forecast_purchases(BG_W, SUMMARY, observation_end="1997-09-30 12:00", horizon=2)
    assert fc.table.index.astype(str).tolist() == ["1997-09", "1997-10", "1997-11"]
    lengths_days = np.diff(np.concatenate([[0.0], fc.table["t_end"].to_numpy()])) * 7.0
    np.testing.assert_allclose(lengths_days, [0.5, 31.0, 29.5], rtol=1e-12)


def test_weeks_run_monday_to_sunday() -> None:
    fc = forecast_purchases(BG_W, SUMMARY, observation_end="2024-01-03", horizon=3, period="W")
    starts = fc.table["start"].iloc[1:]
    assert all(s.day_of_week == 0 for s in starts)  # Monday
    assert fc.table["t_end"].iloc[0] == pytest.approx(5 / 7)  # Wed 3 Jan to Mon 8 Jan


def test_time_zone_aware_observation_end_keeps_its_zone() -> None:
    start = pd.Timestamp("2024-03-20 09:00", tz="Europe/Berlin")
    fc = forecast_purchases(BG_W, SUMMARY, observation_end=start, horizon=1, period="M")
    assert str(fc.table["end"].iloc[0].tz) == "Europe/Berlin"
    assert fc.table["start"].iloc[1] == pd.Timestamp("2024-04-01", tz="Europe/Berlin")


class _Linear:
    """E[X(t)] = rate * t: a cohort's expectations follow by hand."""

    time_unit = "D"

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def expected_purchases(self, t: np.ndarray) -> np.ndarray:
        return self.rate * np.asarray(t, dtype=float)

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: float) -> pd.Series:
        return pd.Series(self.rate * np.asarray(t), index=summary.index)


def test_cohort_spread_evenly_over_its_month_matches_hand_integral() -> None:
    model = _Linear(0.1)
    sizes = pd.Series([300.0], index=pd.PeriodIndex(["2023-02"], freq="M"))
    fc = forecast_purchases(
        model, SUMMARY, observation_end="2023-01-15", horizon=3, cohort_sizes=sizes
    )
    # 300 customers over 28 days buying 0.1 a day: 300 * 0.1 * 28 / 2 in February, then
    # 300 * 0.1 * 31 in March; nothing in January.
    assert fc.cohorts.columns.tolist() == ["2023-02"]
    np.testing.assert_allclose(
        fc.table["new"], [0.0, 300 * 0.1 * 14, 300 * 0.1 * 31, 300 * 0.1 * 14], rtol=1e-12
    )


def test_cohort_follows_the_new_customer_tracking_curve() -> None:
    sizes = pd.Series([500.0, 200.0], index=pd.PeriodIndex(["1997-10", "1997-12"], freq="M"))
    fc = forecast_purchases(
        BG_W, SUMMARY, observation_end="1997-09-30", horizon=6, cohort_sizes=sizes
    )
    # October cohort: customers enter uniformly over 31 days; by the end of January
    # (days after 1 October: 123) they made (500 / 31) * int_0^31 E[X((123 - s) / 7)] ds.
    value, _ = integrate.quad(lambda s: float(BG_W.expected_purchases((123 - s) / 7)), 0, 31)
    by_january = fc.cohorts["1997-10"].loc[:"1998-01"].sum()
    assert by_january == pytest.approx(500 / 31 * value, rel=2e-4)
    assert fc.cohorts["1997-12"].loc[:"1997-11"].sum() == 0.0
    np.testing.assert_allclose(fc.table["new"], fc.cohorts.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(fc.table["total"], fc.table["existing"] + fc.table["new"])


def test_spend_prices_each_bucket() -> None:
    gg = GammaGamma(p=6.25, q=3.74, v=15.44)
    summary = SUMMARY.assign(monetary_value=[22.35, 0.0, 40.0, 10.0])
    sizes = pd.Series([100.0], index=pd.PeriodIndex(["1997-11"], freq="M"))
    fc = forecast_purchases(
        BG_W, summary, observation_end="1997-09-30", horizon=3, spend=gg, cohort_sizes=sizes
    )
    per_purchase = gg.conditional_expected_spend(summary)
    np.testing.assert_allclose(
        fc.table["existing_spend"], fc.per_customer.mul(per_purchase, axis=0).sum(), rtol=1e-12
    )
    np.testing.assert_allclose(fc.table["new_spend"], fc.table["new"] * gg.expected_spend())
    assert fc.per_customer_spend is not None
    flat = forecast_purchases(BG_W, summary, observation_end="1997-09-30", horizon=3, spend=20.0)
    np.testing.assert_allclose(flat.table["total_spend"], 20.0 * flat.table["total"])


def test_inputs_are_not_mutated_and_display_is_short() -> None:
    before = SUMMARY.copy()
    fc = forecast_purchases(BG_W, SUMMARY, observation_end="1997-09-30", horizon=12)
    pd.testing.assert_frame_equal(SUMMARY, before)
    text = repr(fc)
    assert text.startswith("Forecast per month of 4 customers")
    assert len(text.splitlines()) < 20
    assert "<table>" in fc._repr_html_()


def test_bad_input_raises_with_the_fix() -> None:
    bare = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(InvalidValueError, match="model_time_unit"):
        forecast_purchases(bare, SUMMARY, observation_end="1997-09-30", horizon=3)
    with pytest.raises(InvalidValueError, match="horizon"):
        forecast_purchases(BG_W, SUMMARY, observation_end="1997-09-30", horizon=0)
    outside = pd.Series([10.0], index=pd.PeriodIndex(["1999-01"], freq="M"))
    with pytest.raises(InvalidValueError, match="period of the forecast window"):
        forecast_purchases(
            BG_W, SUMMARY, observation_end="1997-09-30", horizon=3, cohort_sizes=outside
        )
    negative = pd.Series([-1.0], index=pd.PeriodIndex(["1997-10"], freq="M"))
    with pytest.raises(InvalidValueError, match=">= 0"):
        forecast_purchases(
            BG_W, SUMMARY, observation_end="1997-09-30", horizon=3, cohort_sizes=negative
        )
    per_customer = pd.Series(20.0, index=SUMMARY.index)
    with pytest.raises(InvalidValueError, match="new customers"):
        forecast_purchases(
            BG_W,
            SUMMARY,
            observation_end="1997-09-30",
            horizon=3,
            spend=per_customer,
            cohort_sizes=pd.Series([5.0], index=pd.PeriodIndex(["1997-10"], freq="M")),
        )
    with pytest.raises(InvalidValueError, match="time_unit"):
        forecast_purchases(BG_W, SUMMARY, observation_end="1997-09-30", horizon=3, period="month")


def test_a_midnight_skipped_by_dst_starts_the_period_at_the_first_valid_instant() -> None:
    # Chile moved its clocks from 00:00 to 01:00 on 2022-09-11 (a Sunday): the week
    # starting Monday 12 September is unaffected, the day 2022-09-11 starts at 01:00
    start = pd.Timestamp("2022-09-10 12:00", tz="America/Santiago")
    fc = forecast_purchases(BG_W, SUMMARY, observation_end=start, horizon=2, period="D")
    assert fc.table["start"].iloc[1] == pd.Timestamp("2022-09-11 01:00", tz="America/Santiago")
    assert fc.total_purchases > 0


def test_a_fit_result_forecasts_like_its_model() -> None:
    # holdout_by_frequency and probability_alive_history take a FitResult; so does this
    # (it used to say that the time unit of the model was unknown)
    from crmkit.datasets import load_cdnow_summary

    summary = load_cdnow_summary()
    fit = BetaGeo.fit(summary)
    spend = GammaGamma.fit(summary[summary["frequency"] > 0])
    priced = SUMMARY.assign(monetary_value=[30.0, 0.0, 45.0, 20.0])
    options = {"observation_end": "1997-09-30", "horizon": 3}
    got = forecast_purchases(fit, priced, spend=spend, **options)
    want = forecast_purchases(fit.model, priced, spend=spend.model, **options)
    pd.testing.assert_frame_equal(got.table, want.table)
