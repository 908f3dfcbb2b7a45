"""One meaning of "observation end": a calendar date whose whole day is observed.

Every expected number is computed here with plain pandas on the wall clock: rows with
``datetime < end date + 1 day`` are in, T and recency count days between calendar dates
(lifetimes' ``freq="D"`` convention).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import (
    assign_stages,
    cohort_retention,
    profit_by_tenure,
    transition_matrix,
)
from crmkit.transactions import calibration_and_holdout, rfm_summary
from crmkit.transactions._prep import end_of_observation

END = "2024-01-31"


def _tx(tz: str | None = None) -> pd.DataFrame:
    times = [
        ("a", "2024-01-02 08:00", 10.0),
        ("a", "2024-01-20 12:00", 20.0),
        ("a", "2024-01-31 00:00", 5.0),
        ("a", "2024-01-31 23:59:59.999999", 7.0),
        ("b", "2024-01-15 09:00", 3.0),
        ("b", "2024-01-15 18:30", 4.0),
        ("b", "2024-01-31 13:00", 6.0),
        ("c", "2024-01-31 22:00", 9.0),
        ("d", "2024-01-10 10:00", 1.0),
    ]
    out = pd.DataFrame(times, columns=["customer_id", "datetime", "amount"])
    out["datetime"] = pd.to_datetime(out["datetime"], format="ISO8601")
    if tz is not None:
        out["datetime"] = out["datetime"].dt.tz_localize(tz)
    return out


def _late(tz: str | None = None) -> pd.DataFrame:
    extra = pd.DataFrame(
        {
            "customer_id": ["a", "e"],
            "datetime": pd.to_datetime(["2024-02-01 00:00", "2024-02-03 10:00"]),
            "amount": [2.0, 8.0],
        }
    )
    if tz is not None:
        extra["datetime"] = extra["datetime"].dt.tz_localize(tz)
    return pd.concat([_tx(tz), extra], ignore_index=True)


def _direct(tx: pd.DataFrame, end: str) -> pd.DataFrame:
    """frequency/recency/T/monetary_value by hand on the wall clock, daily periods."""
    wall = tx["datetime"].dt.tz_localize(None) if tx["datetime"].dt.tz else tx["datetime"]
    day = wall.dt.normalize()
    inside = tx.assign(day=day)[wall < pd.Timestamp(end) + pd.Timedelta(days=1)]
    per_day = inside.groupby(["customer_id", "day"])["amount"].sum().reset_index()
    g = per_day.groupby("customer_id")
    first, last, n = g["day"].min(), g["day"].max(), g.size()
    first_spend = per_day.loc[g["day"].idxmin(), ["customer_id", "amount"]].set_index(
        "customer_id"
    )["amount"]
    repeat_total = g["amount"].sum() - first_spend
    out = pd.DataFrame(
        {
            "frequency": (n - 1).astype(float),
            "recency": (last - first).dt.days.astype(float),
            "T": (pd.Timestamp(end) - first).dt.days.astype(float),
            "monetary_value": np.where(n > 1, repeat_total / (n - 1).clip(lower=1), 0.0),
        }
    )
    out.index.name = "customer_id"
    return out


@pytest.mark.parametrize("tz", [None, "Asia/Tehran", "America/New_York"])
def test_whole_end_day_counts(tz: str | None) -> None:
    tx = _tx(tz)
    got = rfm_summary(tx, amount_col="amount", observation_end=END)
    expected = _direct(tx, END)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.loc["c", "T"] == 0.0  # first purchase at 22:00 on the end date
    # default end: the date of the last transaction
    pd.testing.assert_frame_equal(rfm_summary(tx, amount_col="amount"), got)


@pytest.mark.parametrize("tz", [None, "Asia/Tehran"])
def test_time_of_day_and_zone_of_the_end_value(tz: str | None) -> None:
    tx = _tx(tz)
    ref = rfm_summary(tx, observation_end=END)
    values: list[object] = [
        "2024-01-31 06:00",
        pd.Timestamp("2024-01-31 23:59:59"),
        np.datetime64("2024-01-31"),
    ]
    if tz is not None:  # a tz-aware end is read in the column's zone first
        values += [pd.Timestamp(END, tz=tz), pd.Timestamp(END, tz=tz).tz_convert("UTC")]
    for value in values:
        pd.testing.assert_frame_equal(rfm_summary(tx, observation_end=value), ref)
    if tz is None:
        with pytest.raises(InvalidValueError, match="tz-aware"):
            rfm_summary(tx, observation_end=pd.Timestamp(END, tz="UTC"))


@pytest.mark.parametrize("tz", [None, "Asia/Tehran"])
def test_rows_after_the_end_day(tz: str | None) -> None:
    tx = _late(tz)
    with pytest.raises(InvalidValueError, match=r"2 transaction\(s\) dated after"):
        rfm_summary(tx, observation_end=END)
    got = rfm_summary(tx, observation_end=END, after_observation_end="exclude")
    pd.testing.assert_frame_equal(got, rfm_summary(_tx(tz), observation_end=END))


def test_coarser_periods_cut_at_the_date_not_the_period() -> None:
    # 2024-01-31 is a Wednesday: the Thursday row of the same week is after the end
    tx = _late()
    with pytest.raises(InvalidValueError, match="after the observation end 2024-01-31"):
        rfm_summary(tx, observation_end=END, time_unit="W")
    got = rfm_summary(tx, observation_end=END, time_unit="W", after_observation_end="exclude")
    inside = _tx()
    weeks = inside["datetime"].dt.to_period("W")
    first = weeks.groupby(inside["customer_id"]).min()
    expected_t = (pd.Period(END, "W") - first).map(lambda d: d.n).astype(float)
    np.testing.assert_array_equal(got["T"].to_numpy(), expected_t.to_numpy())
    n_weeks = weeks.groupby(inside["customer_id"]).nunique()
    np.testing.assert_array_equal(got["frequency"].to_numpy(), (n_weeks - 1).to_numpy(float))


def test_dask_agrees_on_the_end_day() -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    tx = _late("Asia/Tehran")
    kw = {"amount_col": "amount", "observation_end": END}
    expected = rfm_summary(tx, **kw, after_observation_end="exclude", totals=True)
    with dask.config.set(scheduler="synchronous"):
        ddf = dd.from_pandas(tx, npartitions=2)
        got = rfm_summary(ddf, **kw, after_observation_end="exclude", totals=True).compute()
        with pytest.raises(InvalidValueError, match=r"2 transaction\(s\) dated after"):
            rfm_summary(ddf, **kw)
    pd.testing.assert_frame_equal(got.sort_index(), expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("tz", [None, "Asia/Tehran"])
def test_calibration_end_day_is_in_calibration(tz: str | None) -> None:
    tx = _late(tz)
    cal_end = "2024-01-15"  # b bought at 09:00 and 18:30 that day
    got = calibration_and_holdout(
        tx,
        calibration_end=cal_end,
        observation_end="2024-02-01",
        amount_col="amount",
        after_observation_end="exclude",
    )
    wall = tx["datetime"].dt.tz_localize(None) if tz else tx["datetime"]
    cal_rows = tx[wall < pd.Timestamp("2024-01-16")]
    cal = _direct(cal_rows, cal_end)
    pd.testing.assert_frame_equal(
        got[["frequency", "recency", "T", "monetary_value"]], cal, check_exact=False, rtol=1e-12
    )
    hold = tx[(wall >= pd.Timestamp("2024-01-16")) & (wall < pd.Timestamp("2024-02-02"))]
    hold_days = hold.assign(day=wall.dt.normalize()).groupby("customer_id")["day"].nunique()
    expected_hold = hold_days.reindex(cal.index, fill_value=0).astype(float)
    np.testing.assert_array_equal(got["frequency_holdout"], expected_hold.to_numpy())
    assert got.loc["a", "frequency_holdout"] == 3.0  # 01-20, 01-31 and the 02-01 00:00 row
    assert got["duration_holdout"].unique().tolist() == [17.0]
    same = calibration_and_holdout(
        tx,
        calibration_end="2024-01-15 09:00",
        observation_end="2024-02-01",
        amount_col="amount",
        after_observation_end="exclude",
    )
    pd.testing.assert_frame_equal(same, got)
    with pytest.raises(InvalidValueError, match="must be before"):
        calibration_and_holdout(
            tx, calibration_end="2024-01-15 01:00", observation_end="2024-01-15"
        )


def test_end_of_observation_bound() -> None:
    assert end_of_observation("2010-12-09", None) == pd.Timestamp("2010-12-10")
    assert end_of_observation("2010-12-09 23:00", None) == pd.Timestamp("2010-12-10")
    tehran = end_of_observation("2024-01-31", "Asia/Tehran")
    assert tehran == pd.Timestamp("2024-02-01", tz="Asia/Tehran")
    # Sao Paulo skipped 2018-11-04 00:00 (clocks went to 01:00): the day ended at 01:00
    sp = end_of_observation("2018-11-03", "America/Sao_Paulo")
    assert sp == pd.Timestamp("2018-11-04 01:00", tz="America/Sao_Paulo")
    tx = _tx("Asia/Tehran")
    inside = tx[tx["datetime"] < end_of_observation(END, "Asia/Tehran")]
    assert len(inside) == len(tx)


@pytest.mark.parametrize("tz", [None, "Asia/Tehran"])
def test_lifecycle_as_of_counts_the_whole_day(tz: str | None) -> None:
    tx = _tx(tz).rename(columns={"amount": "monetary"})
    st = assign_stages(tx, as_of=END)
    wall = tx["datetime"].dt.tz_localize(None) if tz else tx["datetime"]
    days = wall.dt.normalize().groupby(tx["customer_id"]).nunique()
    np.testing.assert_array_equal(st["n_purchases"].to_numpy(), days.to_numpy())
    np.testing.assert_array_equal(
        st["total_spend"].to_numpy(), tx.groupby("customer_id")["monetary"].sum().to_numpy()
    )
    if tz is not None:
        pd.testing.assert_frame_equal(assign_stages(tx, as_of=pd.Timestamp(END, tz=tz)), st)
    tm = transition_matrix(tx, start="2024-01-15", end=END)
    assert int(tm.counts.to_numpy().sum()) == tx["customer_id"].nunique()
    # c bought only at 22:00 on the end date: a prospect at start, a first purchase at end
    assert tm.stages.loc["c", "to"] == "first purchase"


def test_tenure_observation_end_counts_the_whole_day() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "datetime": pd.to_datetime(
                ["2020-01-01 10:00", "2021-01-01 15:00", "2020-06-01 00:00"]
            ),
            "monetary": [100.0, 50.0, 80.0],
        }
    )
    res = profit_by_tenure(tx, acquisition_cost=0.0, margin=1.0, observation_end="2021-01-01")
    # observed through the end of 2021-01-01: customer 1 (first purchase 2020-01-01
    # 10:00) has a whole first year; at a midnight cut-off it would have none
    assert res.customer_profit.loc[1, 0] == 100.0
    assert res.table["customers"].tolist() == [1]


@pytest.mark.parametrize("tz", ["Asia/Tehran", "Europe/London"])
def test_cohort_retention_takes_a_naive_end_on_tz_aware_data(tz: str) -> None:
    tx = _tx(tz)
    naive = cohort_retention(tx, period="D", observation_end="2024-02-05")
    aware = cohort_retention(tx, period="D", observation_end=pd.Timestamp("2024-02-05", tz=tz))
    pd.testing.assert_frame_equal(naive.retention, aware.retention)
    assert naive.retention.shape[1] == 35  # 2024-01-02 .. 2024-02-05


@pytest.fixture(scope="module")
def retail(shared_datasets: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name, path, cols in [
        ("I", "online_retail/online_retail.csv.gz", ("CustomerID", "UnitPrice", "InvoiceNo")),
        (
            "II",
            "online_retail_ii/online_retail_ii_2009_2010.csv.gz",
            ("Customer ID", "Price", "Invoice"),
        ),
    ]:
        file = shared_datasets / path
        if not file.exists():
            pytest.skip(f"{path} not available")
        d = pd.read_csv(file, usecols=[cols[0], cols[1], cols[2], "Quantity", "InvoiceDate"])
        d = d[d[cols[0]].notna() & (d["Quantity"] > 0) & (d[cols[1]] > 0)]
        out[name] = pd.DataFrame(
            {
                "customer_id": d[cols[0]].astype(np.int64),
                "datetime": pd.to_datetime(d["InvoiceDate"]),
                "amount": d["Quantity"] * d[cols[1]],
            }
        )
    return out


@pytest.mark.parametrize(("name", "end"), [("I", "2011-12-09"), ("II", "2010-12-09")])
def test_online_retail_last_day_is_kept(
    retail: dict[str, pd.DataFrame], name: str, end: str
) -> None:
    tx = retail[name]
    last_day = tx["datetime"].dt.normalize() == pd.Timestamp(end)
    assert last_day.sum() > 500  # hundreds of lines on the last day, until the evening
    s = rfm_summary(tx, amount_col="amount", observation_end=end, totals=True)
    assert int(s["n_transactions"].sum()) == len(tx)
    assert s["total_spend"].sum() == pytest.approx(tx["amount"].sum(), rel=1e-12)
    split = calibration_and_holdout(
        tx,
        calibration_end=pd.Timestamp(end) - pd.Timedelta(days=90),
        observation_end=end,
    )
    wall = tx["datetime"]
    hold = tx[wall >= pd.Timestamp(end) - pd.Timedelta(days=89)]
    hold = hold[hold["customer_id"].isin(split.index)]
    n_days = (
        hold.assign(day=hold["datetime"].dt.normalize()).groupby("customer_id")["day"].nunique()
    )
    assert split["frequency_holdout"].sum() == n_days.sum()


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 40),
    end_offset=st.integers(0, 20),
    cal_offset=st.integers(0, 19),
    tz=st.sampled_from([None, "Asia/Tehran", "America/Sao_Paulo"]),
    unit=st.sampled_from(["D", "W", "M"]),
)
def test_end_date_equals_filtering_rows_before_the_next_midnight(
    seed: int, n: int, end_offset: int, cal_offset: int, tz: str | None, unit: str
) -> None:
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 21 * 24 * 60, n)
    wall = pd.Timestamp("2018-10-25") + pd.to_timedelta(minutes, unit="min")
    tx = pd.DataFrame(
        {"customer_id": rng.integers(0, 6, n), "datetime": wall, "amount": rng.random(n) + 0.1}
    )
    if tz is not None:  # 2018-11-04 00:00 does not exist in Sao Paulo
        tx["datetime"] = tx["datetime"].dt.tz_localize(tz, nonexistent="shift_forward")
    end = pd.Timestamp("2018-10-25") + pd.Timedelta(days=end_offset)
    cal = pd.Timestamp("2018-10-25") + pd.Timedelta(days=min(cal_offset, end_offset - 1))
    local = tx["datetime"].dt.tz_localize(None) if tz else tx["datetime"]
    inside = tx[local < end + pd.Timedelta(days=1)]
    kw = {"amount_col": "amount", "time_unit": unit}
    if len(inside) == 0:
        with pytest.raises(InvalidValueError, match="every transaction"):
            rfm_summary(tx, observation_end=end, after_observation_end="exclude", **kw)
        return
    got = rfm_summary(tx, observation_end=end, after_observation_end="exclude", **kw)
    pd.testing.assert_frame_equal(got, rfm_summary(inside, observation_end=end, **kw))
    cal_rows = tx[local < cal + pd.Timedelta(days=1)]
    if end_offset == 0 or len(cal_rows) == 0:
        return
    split = calibration_and_holdout(
        tx,
        calibration_end=cal,
        observation_end=end,
        after_observation_end="exclude",
        **kw,
    )
    expected = rfm_summary(cal_rows, observation_end=cal, **kw)
    pd.testing.assert_frame_equal(split[expected.columns.tolist()], expected)
