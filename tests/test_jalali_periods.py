"""calendar="jalali" in growth, cohorts and the pipeline forecast: Iranian fiscal periods."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit import jalali
from crmkit.domain import weighted_forecast
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import cohort_retention
from crmkit.metrics import (
    margin_growth,
    period_totals,
    quarter_over_quarter,
    revenue_growth,
    year_over_year,
)


def _daily(start: str, end: str, seed: int = 7) -> pd.Series:
    days = pd.date_range(start, end, freq="D")
    rng = np.random.default_rng(seed)
    return pd.Series(rng.gamma(2.0, 50.0, days.size).round(2), index=days, name="revenue")


def _by_jalali(s: pd.Series, freq: str) -> pd.Series:
    """Direct pandas group-by on the (year, month) of crmkit.jalali.to_jalali."""
    ymd = jalali.to_jalali(s.index)
    y, m = ymd["year"].to_numpy(), ymd["month"].to_numpy()
    key = {
        "Y": pd.Series(y).astype(str),
        "Q": pd.Series(y).astype(str) + "-Q" + pd.Series((m - 1) // 3 + 1).astype(str),
        "M": pd.Series(y).astype(str) + "-" + pd.Series(m).astype(str).str.zfill(2),
    }[freq]
    return pd.Series(s.to_numpy()).groupby(key.to_numpy()).sum()


@pytest.mark.parametrize("freq", ["M", "Q", "Y"])
def test_period_totals_equal_a_direct_groupby(freq: str) -> None:
    s = _daily("2019-01-05", "2024-11-18")
    got = period_totals(s, period=freq, calendar="jalali")  # type: ignore[arg-type]
    want = _by_jalali(s, freq)
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    # first and last periods are partial (data start 15 Dey 1397, end 28 Aban 1403)
    partial = got.attrs["crmkit_partial_periods"]
    assert len(partial) == 2
    assert partial[0]["covered_from"] == "2019-01-05"
    assert partial[-1]["covered_to"] == "2024-11-18"
    dropped = period_totals(s, period=freq, calendar="jalali", partial="drop")  # type: ignore[arg-type]
    assert list(dropped.index) == list(want.index[1:-1])


def test_fiscal_year_totals_match_the_equinox_table(reference_dir: Path) -> None:
    """Sums between consecutive Nowruz days of the astronomical table (no crmkit calendar)."""
    ref = json.loads((reference_dir / "jalali_nowruz.json").read_text(encoding="utf-8"))
    nowruz = {r["year"]: pd.Timestamp(r["nowruz"]) for r in ref["nowruz"]}
    years = [y for y in range(1396, 1403) if y in nowruz and y + 1 in nowruz]
    s = _daily(str(nowruz[years[0]].date()), str((nowruz[years[-1] + 1]).date()))
    s = s[s.index < nowruz[years[-1] + 1]]
    got = period_totals(s, period="Y", calendar="jalali")
    want = [s[(s.index >= nowruz[y]) & (s.index < nowruz[y + 1])].sum() for y in years]
    assert list(got.index) == [str(y) for y in years]
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
    assert got.attrs["crmkit_partial_periods"] == []


def test_growth_per_fiscal_year_and_quarter() -> None:
    s = _daily("2020-03-20", "2024-03-19")  # 1 Farvardin 1399 to 29 Esfand 1402
    yoy = year_over_year(s, calendar="jalali")
    totals = _by_jalali(s, "Y")
    assert list(yoy.index) == ["1400", "1401", "1402"]
    np.testing.assert_allclose(yoy["revenue"], totals.iloc[1:].to_numpy())
    np.testing.assert_allclose(yoy["previous"], totals.iloc[:-1].to_numpy())
    np.testing.assert_allclose(
        yoy["growth"], totals.iloc[1:].to_numpy() / totals.iloc[:-1].to_numpy() - 1
    )
    assert yoy["complete"].all()
    qoq = quarter_over_quarter(s, calendar="jalali")
    q = _by_jalali(s, "Q")
    assert list(qoq.index) == list(q.index[1:])
    np.testing.assert_allclose(qoq["growth"], q.iloc[1:].to_numpy() / q.iloc[:-1].to_numpy() - 1)
    lag4 = revenue_growth(s, period="Q", lag=4, calendar="jalali")
    assert lag4.index[0] == "1400-Q1"
    np.testing.assert_allclose(lag4["previous"].iloc[0], q["1399-Q1"])
    profit = s * 0.25
    mg = margin_growth(s, profit, period="Y", calendar="jalali")
    np.testing.assert_allclose(mg["margin"], 0.25)


def test_same_days_matches_jalali_month_and_day() -> None:
    # 1 Farvardin 1401 (2022-03-21) to 10 Farvardin 1402 (2023-03-30): 1.0 a day, then 2.0
    days = pd.date_range("2022-03-21", "2023-03-30", freq="D")
    s = pd.Series(np.where(days >= "2023-03-21", 2.0, 1.0), index=days)
    out = year_over_year(s, partial="same_days", calendar="jalali")
    assert list(out.index) == ["1402"]
    assert out["revenue"].iloc[0] == 20.0
    assert out["previous"].iloc[0] == 10.0
    w = out.attrs["crmkit_same_days"][0]
    assert (w["from"], w["to"], w["previous_from"], w["previous_to"]) == (
        "2023-03-21",
        "2023-03-30",
        "2022-03-21",
        "2022-03-30",
    )
    # Gregorian years compare other days altogether
    greg = year_over_year(s, partial="keep")
    assert list(greg.index.astype(str)) == ["2023"]


def test_cohorts_by_jalali_month_equal_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    start = pd.Timestamp("2022-03-21")  # 1 Farvardin 1401
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 600, n),
            "datetime": start + pd.to_timedelta(rng.integers(0, 365 * 2, n), unit="D"),
        }
    )
    # the log covers 1 Farvardin 1401 to 29 Esfand 1402 (2024-03-19), whole months only
    window = {"observation_start": "2022-03-21", "observation_end": "2024-03-19"}
    got = cohort_retention(tx, period="M", calendar="jalali", **window)
    assert got.calendar == "jalali"
    assert got.partial_periods == ()
    ymd = jalali.to_jalali(tx["datetime"])
    month = ((ymd["year"] - 1401) * 12 + ymd["month"] - 1).to_numpy()
    first = pd.Series(month).groupby(tx["customer_id"].to_numpy()).transform("min").to_numpy()
    pairs = pd.DataFrame({"c": tx["customer_id"], "coh": first, "k": month - first})
    pairs = pairs.drop_duplicates()
    counts = pairs.pivot_table(index="coh", columns="k", values="c", aggfunc="size", fill_value=0)
    sizes = counts[0]
    labels = [f"{1401 + c // 12}-{c % 12 + 1:02d}" for c in sizes.index]
    assert list(got.sizes.index) == labels
    assert got.sizes.tolist() == sizes.tolist()
    for i, c in enumerate(sizes.index):
        observable = int(month.max()) - c + 1
        row = got.retention.iloc[i]
        want = counts.loc[c].reindex(range(observable), fill_value=0) / sizes[c]
        np.testing.assert_allclose(row.iloc[:observable].to_numpy(), want.to_numpy())
        assert row.iloc[observable:].isna().all()
    # one day short: Esfand 1402 becomes partial and is dropped by default
    short = cohort_retention(
        tx[tx["datetime"] < "2024-03-19"], period="M", calendar="jalali", partial="drop"
    )
    assert [r["period"] for r in short.partial_periods] == ["1402-12"]
    assert short.retention.shape[1] == got.retention.shape[1] - 1


def test_cohorts_quarters_and_refusals() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "datetime": pd.to_datetime(["2023-03-21", "2023-06-22", "2023-06-21"]),
        }
    )
    out = cohort_retention(tx, period="Q", calendar="jalali", partial="keep")
    assert list(out.sizes.index) == ["1402-Q1"]
    assert out.retention.iloc[0].tolist() == [1.0, 0.5]
    with pytest.raises(InvalidValueError, match="calendar='jalali' has months"):
        cohort_retention(tx, period="W", calendar="jalali")
    with pytest.raises(InvalidValueError, match="calendar='shamsi' is not"):
        cohort_retention(tx, period="M", calendar="shamsi")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="calendar='shamsi' is not"):
        period_totals(pd.Series([1.0], index=tx["datetime"][:1]), calendar="shamsi")  # type: ignore[arg-type]


def _opps(closes: list[str], amounts: list[float], probs: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": amounts,
            "probability": probs,
            "expected_close": pd.to_datetime(closes),
            "stage": ["qualification"] * len(closes),
            "currency": ["IRR"] * len(closes),
        }
    )


def test_weighted_forecast_fiscal_quarters_ending_march_and_jalali() -> None:
    opps = _opps(
        ["2024-01-15", "2024-03-20", "2024-04-02", "2024-09-30"],
        [100.0, 200.0, 50.0, 80.0],
        [0.5, 0.25, 1.0, 0.5],
    )
    fy = weighted_forecast(opps, period="Q-MAR")
    close = pd.DatetimeIndex(opps["expected_close"])
    want = (
        pd.Series(opps["amount"].to_numpy() * opps["probability"].to_numpy(), index=close)
        .groupby(close.to_period("Q-MAR"))
        .sum()
    )
    assert [str(p) for p in fy.index] == ["2024Q4", "2025Q1", "2025Q2"]
    assert fy["weighted_amount"].tolist() == want.tolist()
    assert weighted_forecast(opps, period="Y-MAR")["n_opportunities"].tolist() == [2, 2]
    jal = weighted_forecast(opps, period="Q", calendar="jalali")
    # 20 March 2024 is 1 Farvardin 1403; 30 September 2024 is 9 Mehr 1403 (Q3)
    assert list(jal.index) == ["1402-Q4", "1403-Q1", "1403-Q2", "1403-Q3"]
    assert jal["weighted_amount"].tolist() == [50.0, 100.0, 0.0, 40.0]
    assert jal.index.name == "period"
    assert weighted_forecast(opps, period="Y", calendar="jalali")["n_opportunities"].tolist() == [
        1,
        3,
    ]
    with pytest.raises(InvalidValueError, match=r"period='Q-MAR' is not a period.*jalali"):
        weighted_forecast(opps, period="Q-MAR", calendar="jalali")
    with pytest.raises(InvalidValueError, match=r"period='W' is not a period.*'Q-MAR'"):
        weighted_forecast(opps, period="W")


def test_forecast_refuses_jalali_text_read_as_gregorian() -> None:
    opps = _opps(["2024-01-15"], [100.0], [0.5])
    opps["expected_close"] = ["1402-10-25"]
    with pytest.raises(InvalidValueError, match=r"look like Solar Hijri.*parse_jalali"):
        weighted_forecast(opps)
    opps["expected_close"] = jalali.parse_jalali(["1402-10-25"])
    assert list(weighted_forecast(opps, calendar="jalali").index) == ["1402-Q4"]
