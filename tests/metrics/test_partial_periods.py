"""Incomplete first/last periods in growth, retention and cohort tables.

Every expected number is computed here directly with pandas (calendar periods via
``Series.dt.to_period``, windows via boolean masks on dates), not taken from crmkit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import cohort_retention as lifecycle_cohorts
from crmkit.metrics import (
    cohort_retention,
    margin_growth,
    period_totals,
    quarter_over_quarter,
    retention_by_period,
    revenue_growth,
    year_over_year,
)


@pytest.fixture
def daily() -> pd.Series:
    """Seeded daily revenue from 2023-02-15 to 2024-08-20 (first and last quarter partial)."""
    days = pd.date_range("2023-02-15", "2024-08-20", freq="D")
    rng = np.random.default_rng(11)
    return pd.Series(rng.integers(1, 100, size=days.size).astype(float), index=days)


def _between(s: pd.Series, lo: str, hi: str) -> float:
    return float(s[(s.index >= lo) & (s.index < pd.Timestamp(hi) + pd.Timedelta(days=1))].sum())


def test_drop_leaves_out_incomplete_quarters(daily: pd.Series) -> None:
    q = daily.groupby(daily.index.to_period("Q")).sum()
    out = quarter_over_quarter(daily)
    # 2023Q1 starts on 15 Feb and 2024Q3 ends on 20 Aug: the rows comparing them go.
    assert [str(p) for p in out.index] == ["2023Q3", "2023Q4", "2024Q1", "2024Q2"]
    expected = [
        (q[p] - q[p - 1]) / q[p - 1] for p in pd.period_range("2023Q3", "2024Q2", freq="Q")
    ]
    np.testing.assert_allclose(out["growth"].to_numpy(), expected, rtol=1e-12)
    assert out["complete"].all()
    recs = out.attrs["crmkit_partial_periods"]
    assert recs == [
        {
            "period": "2023Q1",
            "covered_from": "2023-02-15",
            "covered_to": "2023-03-31",
            "action": "dropped",
        },
        {
            "period": "2024Q3",
            "covered_from": "2024-07-01",
            "covered_to": "2024-08-20",
            "action": "dropped",
        },
    ]


def test_keep_is_the_plain_comparison_flagged(daily: pd.Series) -> None:
    q = daily.groupby(daily.index.to_period("Q")).sum()
    out = quarter_over_quarter(daily, partial="keep")
    np.testing.assert_allclose(out["revenue"].to_numpy(), q.to_numpy()[1:])
    np.testing.assert_allclose(out["previous"].to_numpy(), q.to_numpy()[:-1])
    assert out["complete"].tolist() == [False, True, True, True, True, False]
    assert {r["action"] for r in out.attrs["crmkit_partial_periods"]} == {"kept"}


def test_same_days_year_over_year_by_quarter(daily: pd.Series) -> None:
    out = revenue_growth(daily, period="Q", lag=4, partial="same_days")
    assert [str(p) for p in out.index] == ["2024Q1", "2024Q2", "2024Q3"]
    # 2024Q1 vs 2023Q1 (covered from 15 Feb): 15 Feb - 31 Mar of both years, without
    # 29 Feb 2024, which has no counterpart in 2023.
    cur_q1 = _between(daily, "2024-02-15", "2024-03-31") - daily["2024-02-29"]
    prev_q1 = _between(daily, "2023-02-15", "2023-03-31")
    # 2024Q2 vs 2023Q2: both whole.
    cur_q2, prev_q2 = (
        _between(daily, "2024-04-01", "2024-06-30"),
        _between(daily, "2023-04-01", "2023-06-30"),
    )
    # 2024Q3 (to 20 Aug) vs 2023Q3: 1 Jul - 20 Aug of both years.
    cur_q3, prev_q3 = (
        _between(daily, "2024-07-01", "2024-08-20"),
        _between(daily, "2023-07-01", "2023-08-20"),
    )
    np.testing.assert_allclose(out["revenue"].to_numpy(), [cur_q1, cur_q2, cur_q3])
    np.testing.assert_allclose(out["previous"].to_numpy(), [prev_q1, prev_q2, prev_q3])
    np.testing.assert_allclose(
        out["growth"].to_numpy(),
        [(cur_q1 - prev_q1) / prev_q1, (cur_q2 - prev_q2) / prev_q2, (cur_q3 - prev_q3) / prev_q3],
    )
    assert out["complete"].tolist() == [False, True, False]
    windows = {w["period"]: w for w in out.attrs["crmkit_same_days"]}
    assert windows["2024Q1"]["days"] == 14 + 31  # 15-28 Feb and March
    assert (windows["2024Q1"]["from"], windows["2024Q1"]["previous_to"]) == (
        "2024-02-15",
        "2023-03-31",
    )
    assert windows["2024Q3"]["to"] == "2024-08-20"
    assert windows["2024Q3"]["previous_to"] == "2023-08-20"


def test_same_days_quarter_over_quarter_matches_calendar_position(daily: pd.Series) -> None:
    out = quarter_over_quarter(daily, partial="same_days")
    last = out.loc[pd.Period("2024Q3")]
    # 1 Jul - 20 Aug against 1 Apr - 20 May (month within the quarter, day of month);
    # 31 Jul has no counterpart (30 April is the last April day) and 31 May is outside.
    cur = _between(daily, "2024-07-01", "2024-08-20") - daily["2024-07-31"]
    prev = _between(daily, "2024-04-01", "2024-05-20")
    assert last["revenue"] == pytest.approx(cur)
    assert last["previous"] == pytest.approx(prev)
    first = out.loc[pd.Period("2023Q2")]
    # 2023Q2 vs 2023Q1 covered from 15 Feb: 15 May - 30 Jun vs 15 Feb - 31 Mar, without
    # 29-31 May (no 29-31 Feb in 2023) and with 31 Mar having no 31 Jun.
    cur2 = _between(daily, "2023-05-15", "2023-06-30") - _between(
        daily, "2023-05-29", "2023-05-31"
    )
    prev2 = _between(daily, "2023-02-15", "2023-03-30")
    assert first["revenue"] == pytest.approx(cur2)
    assert first["previous"] == pytest.approx(prev2)


def test_year_over_year_and_margin_same_days(daily: pd.Series) -> None:
    yoy = year_over_year(daily, partial="same_days")
    # 2024 (to 20 Aug) vs 2023 (from 15 Feb): 15 Feb - 20 Aug, without 29 Feb 2024.
    cur = _between(daily, "2024-02-15", "2024-08-20") - daily["2024-02-29"]
    prev = _between(daily, "2023-02-15", "2023-08-20")
    assert yoy["growth"].tolist() == pytest.approx([(cur - prev) / prev])
    with pytest.raises(InvalidValueError, match="partial='same_days'"):
        year_over_year(daily)
    profit = daily * 0.25 + pd.Series(np.arange(daily.size) % 7, index=daily.index)
    m = margin_growth(daily, profit, period="Y", partial="same_days")
    pcur = _between(profit, "2024-02-15", "2024-08-20") - profit["2024-02-29"]
    pprev = _between(profit, "2023-02-15", "2023-08-20")
    assert m["margin"].tolist() == pytest.approx([pcur / cur])
    assert m["previous_margin"].tolist() == pytest.approx([pprev / prev])


def test_period_totals_flags_and_drops(daily: pd.Series) -> None:
    q = daily.groupby(daily.index.to_period("Q")).sum()
    kept = period_totals(daily)
    np.testing.assert_allclose(kept.to_numpy(), q.to_numpy())
    assert [r["period"] for r in kept.attrs["crmkit_partial_periods"]] == ["2023Q1", "2024Q3"]
    dropped = period_totals(daily, partial="drop")
    assert [str(p) for p in dropped.index] == [str(p) for p in q.index[1:-1]]


def test_observation_end_counts_the_whole_day() -> None:
    s = pd.Series(
        [1.0, 2.0, 4.0],
        index=pd.to_datetime(
            ["2024-01-01 00:00:00", "2024-03-31 23:59:59", "2024-04-01 00:00:00"]
        ),
    )
    # The window ends with the whole of 31 March: the 23:59:59 row counts, 1 April does not.
    out = period_totals(s, observation_end="2024-03-31")
    assert out.tolist() == [3.0]
    assert out.attrs["crmkit_partial_periods"] == []
    t = period_totals(s, observation_end=pd.Timestamp("2024-03-31 08:00"))
    assert t.tolist() == [3.0]  # the time of day of the bound is ignored
    tz = s.tz_localize("Europe/London")
    assert period_totals(tz, observation_end="2024-03-31").tolist() == [3.0]
    utc_end = pd.Timestamp("2024-03-31 12:00", tz="UTC")
    assert period_totals(tz, observation_end=utc_end).tolist() == [3.0]
    with pytest.raises(InvalidValueError, match="tz-aware"):
        period_totals(tz.tz_localize(None), observation_end=utc_end)


def test_bad_policy_and_window(daily: pd.Series) -> None:
    with pytest.raises(InvalidValueError, match="partial='trim'"):
        revenue_growth(daily, partial="trim")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="partial='same_days'"):
        retention_by_period(
            pd.DataFrame({"customer_id": [1], "datetime": daily.index[:1]}),
            partial="same_days",  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidValueError, match="before observation_start"):
        revenue_growth(daily, observation_start="2024-01-01", observation_end="2023-12-31")
    with pytest.raises(InvalidValueError, match="not a date"):
        revenue_growth(daily, observation_end="soon")
    with pytest.raises(InvalidValueError, match="no dated value inside"):
        revenue_growth(daily, observation_start="2030-01-01", observation_end="2030-12-31")


@pytest.fixture
def tx() -> pd.DataFrame:
    """Purchases 2024-01-01 .. 2024-04-09: January to March whole, April partial."""
    rows = [
        ("a", "2024-01-01"), ("b", "2024-01-15"), ("c", "2024-01-31"),
        ("a", "2024-02-03"), ("b", "2024-02-20"), ("d", "2024-02-21"),
        ("a", "2024-03-05"), ("d", "2024-03-06"), ("e", "2024-03-30"),
        ("a", "2024-04-02"), ("f", "2024-04-09"),
    ]  # fmt: skip
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "datetime": pd.to_datetime([r[1] for r in rows])}
    )


def _active_sets(tx: pd.DataFrame, freq: str) -> dict[pd.Period, set[str]]:
    per = tx["datetime"].dt.to_period(freq)
    return {p: set(tx.loc[per == p, "customer_id"]) for p in per.unique()}


def test_retention_by_period_drops_partial_last_month(tx: pd.DataFrame) -> None:
    sets = _active_sets(tx, "M")
    out = retention_by_period(tx, period="M")
    assert [str(p) for p in out.index] == ["2024-02", "2024-03"]
    for p in out.index:
        prev, cur = sets[p - 1], sets[p]
        assert out.loc[p, "retained"] == len(prev & cur)
        assert out.loc[p, "retention_rate"] == pytest.approx(len(prev & cur) / len(prev))
    kept = retention_by_period(tx, period="M", partial="keep")
    april = kept.loc[pd.Period("2024-04")]
    assert not april["complete"]
    assert april["retention_rate"] == pytest.approx(
        len(sets[pd.Period("2024-03")] & sets[pd.Period("2024-04")]) / 3
    )
    assert kept.attrs["crmkit_partial_periods"] == [
        {
            "period": "2024-04",
            "covered_from": "2024-04-01",
            "covered_to": "2024-04-09",
            "action": "kept",
        }
    ]
    # Declaring April observed in whole (nothing else bought) makes it complete.
    whole = retention_by_period(tx, period="M", observation_end="2024-04-30")
    pd.testing.assert_frame_equal(whole, kept.assign(complete=True), check_like=True)


def test_cohorts_leave_out_partial_last_month(tx: pd.DataFrame) -> None:
    first = tx.groupby("customer_id")["datetime"].min().dt.to_period("M")
    sets = _active_sets(tx, "M")
    out = cohort_retention(tx, period="M")
    # cohorts Jan {a,b,c}, Feb {d}, Mar {e}; April (9 days) is left out: cohort {f} and
    # every April cell.
    assert [str(p) for p in out.index] == ["2024-01", "2024-02", "2024-03"]
    assert list(out.columns) == ["size", 0, 1, 2]
    for g in out.index:
        members = set(first[first == g].index)
        assert out.loc[g, "size"] == len(members)
        for k in range(3):
            p = g + k
            if p > pd.Period("2024-03"):
                assert np.isnan(out.loc[g, k])
            else:
                assert out.loc[g, k] == pytest.approx(len(members & sets[p]) / len(members))
    assert [r["action"] for r in out.attrs["crmkit_partial_periods"]] == ["dropped"]
    kept = cohort_retention(tx, period="M", partial="keep")
    assert list(kept.index.astype(str)) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert kept.loc[pd.Period("2024-01"), 3] == pytest.approx(1 / 3)  # a in April
    assert kept.attrs["crmkit_partial_periods"][0]["action"] == "kept"


def test_cohorts_leave_out_partial_first_period(tx: pd.DataFrame) -> None:
    late = tx[tx["datetime"] >= "2024-01-15"]
    table = lifecycle_cohorts(late, period="M")
    # January covered from the 15th: its cohort row goes; April's cells go too.
    assert [str(p) for p in table.sizes.index] == ["2024-02", "2024-03"]
    assert [r["period"] for r in table.partial_periods] == ["2024-01", "2024-04"]
    assert table.retention.shape == (2, 2)
    # The same log declared observed from 1 January keeps the January cohort {b, c}.
    declared = lifecycle_cohorts(late, period="M", observation_start="2024-01-01")
    assert declared.sizes.tolist() == [2, 2, 1]
    with pytest.raises(InvalidValueError, match="partial='keep'"):
        lifecycle_cohorts(tx[tx["datetime"] >= "2024-04-01"], period="M")


def test_dask_cohorts_equal_pandas_with_partial_periods(tx: pd.DataFrame) -> None:
    dd = pytest.importorskip("dask.dataframe")
    late = tx[tx["datetime"] >= "2024-01-15"]
    for kw in (
        {},
        {"partial": "keep"},
        {"observation_start": "2024-01-01", "observation_end": "2024-03-31"},
    ):
        a = lifecycle_cohorts(late, period="M", **kw)
        b = lifecycle_cohorts(dd.from_pandas(late, npartitions=3), period="M", **kw)
        pd.testing.assert_frame_equal(a.retention, b.retention)
        assert a.partial_periods == b.partial_periods


_rows = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 729), st.floats(1.0, 100.0)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows=_rows, freq=st.sampled_from(["M", "Q", "Y"]))
def test_whole_periods_drop_equals_keep(rows: list[tuple[int, int, float]], freq: str) -> None:
    """On a log covering whole periods only, every policy gives the same answer."""
    # 2023-01-01 .. 2024-12-31: whole months, quarters and years; purchases on the first
    # and last day make the observed coverage whole.
    days = [0, 730] + [r[1] for r in rows]
    tx = pd.DataFrame(
        {
            "customer_id": [0, 0] + [r[0] for r in rows],
            "datetime": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
            "monetary": [1.0, 1.0] + [r[2] for r in rows],
        }
    )
    rev = pd.Series(tx["monetary"].to_numpy(), index=pd.DatetimeIndex(tx["datetime"]))
    base = revenue_growth(rev, period=freq, partial="keep")  # type: ignore[arg-type]
    assert base["complete"].all()
    assert base.attrs["crmkit_partial_periods"] == []
    for partial in ("drop", "same_days"):
        pd.testing.assert_frame_equal(
            revenue_growth(rev, period=freq, partial=partial),  # type: ignore[arg-type]
            base,
        )
    pd.testing.assert_frame_equal(
        retention_by_period(tx, period=freq),  # type: ignore[arg-type]
        retention_by_period(tx, period=freq, partial="keep"),  # type: ignore[arg-type]
    )
    pd.testing.assert_frame_equal(
        cohort_retention(tx, period=freq),  # type: ignore[arg-type]
        cohort_retention(tx, period=freq, partial="keep"),  # type: ignore[arg-type]
    )


# --- Online Retail II (UCI id 502), sheet 2009-2010: 2009-12-01 .. 2010-12-09 ----------


@pytest.fixture(scope="module")
def online_retail_ii(shared_datasets: Path) -> pd.DataFrame:
    raw = pd.read_csv(
        shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz",
        usecols=["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"],
        dtype={"Invoice": str},
        parse_dates=["InvoiceDate"],
    )
    raw = raw.dropna(subset=["Customer ID"])
    raw = raw[~raw["Invoice"].str.startswith("C")]
    return pd.DataFrame(
        {
            "customer_id": raw["Customer ID"].astype("int64").to_numpy(),
            "datetime": raw["InvoiceDate"].to_numpy(),
            "monetary": (raw["Quantity"] * raw["Price"]).to_numpy(),
        }
    )


def test_online_retail_ii_year_over_year_same_days(online_retail_ii: pd.DataFrame) -> None:
    tx = online_retail_ii
    rev = pd.Series(tx["monetary"].to_numpy(), index=pd.DatetimeIndex(tx["datetime"]))
    day = tx["datetime"].dt.normalize()
    dec10 = tx.loc[(day >= "2010-12-01") & (day <= "2010-12-09"), "monetary"].sum()
    dec09 = tx.loc[(day >= "2009-12-01") & (day <= "2009-12-09"), "monetary"].sum()
    expected = (dec10 - dec09) / dec09
    for out in (
        year_over_year(rev, partial="same_days"),
        revenue_growth(rev, period="Q", lag=4, partial="same_days"),
    ):
        assert out["revenue"].tolist() == pytest.approx([dec10], rel=1e-12)
        assert out["previous"].tolist() == pytest.approx([dec09], rel=1e-12)
        assert out["growth"].tolist() == pytest.approx([expected], rel=1e-12)
        (w,) = out.attrs["crmkit_same_days"]
        assert (w["from"], w["to"], w["previous_from"], w["previous_to"]) == (
            "2010-12-01",
            "2010-12-09",
            "2009-12-01",
            "2009-12-09",
        )
    # The silent whole-quarter comparison (10 weeks of 2010Q4 against one month of
    # 2009Q4) is only available on request, flagged.
    kept = revenue_growth(rev, period="Q", lag=4, partial="keep")
    assert not kept["complete"].any()
    assert kept["growth"].iloc[0] > 2.0 > expected
    with pytest.raises(InvalidValueError, match="2010Q4 \\(2010-10-01 to 2010-12-09\\)"):
        revenue_growth(rev, period="Q", lag=4)


def test_online_retail_ii_last_cohort_month_left_out(online_retail_ii: pd.DataFrame) -> None:
    tx = online_retail_ii
    table = lifecycle_cohorts(tx, period="M")
    assert str(table.sizes.index[-1]) == "2010-11"
    assert table.partial_periods == (
        {
            "period": "2010-12",
            "covered_from": "2010-12-01",
            "covered_to": "2010-12-09",
            "action": "dropped",
        },
    )
    # Direct pandas count of the December-2009 cohort in November 2010 (its last column).
    per = tx["datetime"].dt.to_period("M")
    first = per.groupby(tx["customer_id"]).transform("min")
    cohort = set(tx.loc[first == pd.Period("2009-12"), "customer_id"])
    nov = set(tx.loc[per == pd.Period("2010-11"), "customer_id"])
    assert table.retention.iloc[0].dropna().iloc[-1] == pytest.approx(
        len(cohort & nov) / len(cohort)
    )
    assert table.retention.columns[-1] == 11
    kept = lifecycle_cohorts(tx, period="M", partial="keep")
    assert kept.retention.columns[-1] == 12
    assert kept.partial_periods[0]["action"] == "kept"
    dec = set(tx.loc[per == pd.Period("2010-12"), "customer_id"])
    assert kept.retention.iloc[0, 12] == pytest.approx(len(cohort & dec) / len(cohort))


def test_online_retail_ii_recorded_reference(
    online_retail_ii: pd.DataFrame, reference_dir: Path
) -> None:
    """crmkit against the figures make_periods_online_retail_ii.py computed with pandas."""
    ref = json.loads((reference_dir / "periods_online_retail_ii.json").read_text())
    want, rel = ref["expected"], ref["tolerance"]["rel"]
    tx = online_retail_ii
    rev = pd.Series(tx["monetary"].to_numpy(), index=pd.DatetimeIndex(tx["datetime"]))
    same = revenue_growth(rev, period="Q", lag=4, partial="same_days").iloc[0]
    assert same["revenue"] == pytest.approx(want["revenue_2010_12_01_to_09"], rel=rel)
    assert same["previous"] == pytest.approx(want["revenue_2009_12_01_to_09"], rel=rel)
    assert same["growth"] == pytest.approx(want["yoy_same_days"], rel=rel)
    kept = revenue_growth(rev, period="Q", lag=4, partial="keep").iloc[0]
    assert kept["growth"] == pytest.approx(want["yoy_quarter_as_is"], rel=rel)
    table = lifecycle_cohorts(tx, period="M")
    assert int(table.sizes.iloc[0]) == want["cohort_2009_12_size"]
    assert table.retention.iloc[0, 11] == pytest.approx(
        want["cohort_2009_12_retention_2010_11"], rel=rel
    )
    assert table.partial_periods[0]["covered_to"] == want["last_day"]
    kept_table = lifecycle_cohorts(tx, period="M", partial="keep")
    assert kept_table.retention.iloc[0, 12] == pytest.approx(
        want["cohort_2009_12_retention_2010_12_partial"], rel=rel
    )


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(0, 400),
    length=st.integers(400, 900),
    freq_lag=st.sampled_from([("M", 1), ("M", 12), ("Q", 1), ("Q", 4), ("Y", 1)]),
)
def test_same_days_on_constant_sales_is_zero_growth(
    start: int, length: int, freq_lag: tuple[str, int]
) -> None:
    """One unit sold every day: like-for-like growth is exactly 0 for every comparison."""
    freq, lag = freq_lag
    days = pd.date_range(pd.Timestamp("2021-01-01") + pd.Timedelta(days=start), periods=length)
    daily = pd.Series(1.0, index=days)
    n_periods = days.to_period(freq).nunique()
    if n_periods <= lag:
        return
    out = revenue_growth(daily, period=freq, lag=lag, partial="same_days")  # type: ignore[arg-type]

    def n_days(p: pd.Period) -> int:
        return int((p.end_time.normalize() - p.start_time).days) + 1

    for w in out.attrs["crmkit_same_days"]:
        row = out.loc[pd.Period(w["period"], freq=freq)]
        assert row["revenue"] == row["previous"] == w["days"]
        if w["days"] == 0:  # e.g. 31 March alone has no counterpart in April
            assert np.isnan(row["growth"])
            assert w["from"] is None
        else:
            assert row["growth"] == 0.0
        assert not row["complete"]
    adjusted = {w["period"] for w in out.attrs["crmkit_same_days"]}
    whole = out[out["complete"]]
    assert adjusted.isdisjoint({str(p) for p in whole.index})
    assert len(adjusted) + len(whole) == len(out)
    # whole periods are compared in full: their lengths in days
    assert whole["revenue"].tolist() == [n_days(p) for p in whole.index]
    assert whole["previous"].tolist() == [n_days(p - lag) for p in whole.index]
