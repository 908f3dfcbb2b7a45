"""Tests of crmkit.transactions against lifetimes 0.11.3 output and published CDNOW data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import load_cdnow_summary, load_cdnow_transactions
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.transactions import calibration_and_holdout, rfm_summary

LIFETIMES_COLS = ["frequency", "recency", "T", "monetary_value"]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


@pytest.fixture(scope="module")
def online_retail(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "online_retail" / "online_retail.csv.gz"
    if not path.exists():
        pytest.skip("Online Retail data not available")
    tx = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    tx = tx.loc[(tx["Quantity"] > 0) & tx["CustomerID"].notna()].copy()
    tx["CustomerID"] = tx["CustomerID"].astype(np.int64)
    tx["InvoiceDate"] = pd.to_datetime(tx["InvoiceDate"])
    tx["amount"] = tx["Quantity"] * tx["UnitPrice"]
    return tx[["CustomerID", "InvoiceDate", "amount"]]


def _reference(reference_dir: Path, name: str) -> pd.DataFrame:
    meta = json.loads((reference_dir / "lifetimes_reference.json").read_text())
    assert name in meta["calls"]
    assert meta["versions"]["lifetimes"] == "0.11.3"
    return pd.read_csv(reference_dir / name, index_col="customer_id")


def _assert_equal(got: pd.DataFrame, ref: pd.DataFrame, cols: list[str]) -> None:
    assert got.index.tolist() == ref.index.tolist()
    for col, ref_col in zip(got[cols].columns, ref.columns, strict=True):
        exact = not col.startswith("monetary")
        np.testing.assert_allclose(
            got[col].to_numpy(), ref[ref_col].to_numpy(), rtol=0 if exact else 1e-12, atol=0
        )


@pytest.mark.parametrize("unit", ["D", "W"])
def test_cdnow_equals_lifetimes(cdnow: pd.DataFrame, reference_dir: Path, unit: str) -> None:
    ref = _reference(reference_dir, f"lifetimes_cdnow_summary_{unit}.csv.gz")
    got = rfm_summary(
        cdnow,
        customer_id_col="customer_id",
        datetime_col="date",
        amount_col="dollar_value",
        observation_end="1998-06-30",
        time_unit=unit,
        non_positive="keep",
    )
    _assert_equal(got, ref, LIFETIMES_COLS)


def test_cdnow_days_in_weeks_equals_lifetimes_multiplier(
    cdnow: pd.DataFrame, reference_dir: Path
) -> None:
    ref = _reference(reference_dir, "lifetimes_cdnow_summary_D_x7_cal.csv.gz")
    got = rfm_summary(
        cdnow,
        customer_id_col="customer_id",
        datetime_col="date",
        amount_col="dollar_value",
        observation_end="1997-09-30",
        time_unit="W",
        period="D",
        non_positive="keep",
        after_observation_end="exclude",
    )
    assert got.index.tolist() == ref.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("D", {"time_unit": "D"}),
        ("W", {"time_unit": "W"}),
        ("D_first", {"time_unit": "D", "include_first_transaction": True}),
    ],
)
def test_online_retail_equals_lifetimes(
    online_retail: pd.DataFrame, reference_dir: Path, name: str, kwargs: dict[str, object]
) -> None:
    ref = _reference(reference_dir, f"lifetimes_online_retail_summary_{name}.csv.gz")
    got = rfm_summary(
        online_retail,
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        amount_col="amount",
        non_positive="keep",
        **kwargs,
    )
    _assert_equal(got, ref, LIFETIMES_COLS)


@pytest.mark.parametrize("unit", ["D", "W"])
def test_calibration_holdout_equals_lifetimes(
    cdnow: pd.DataFrame, reference_dir: Path, unit: str
) -> None:
    ref = _reference(reference_dir, f"lifetimes_cdnow_calhold_{unit}.csv.gz")
    got = calibration_and_holdout(
        cdnow,
        customer_id_col="customer_id",
        datetime_col="date",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        amount_col="dollar_value",
        time_unit=unit,
        non_positive="keep",
    )
    cols = [*LIFETIMES_COLS, "frequency_holdout", "duration_holdout"]
    ref_cols = ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal"]
    ref_cols += ["frequency_holdout", "duration_holdout"]
    _assert_equal(got, ref[ref_cols], cols)
    if unit == "D":  # lifetimes averages holdout rows; the reference rows are customer-days
        np.testing.assert_allclose(
            got["monetary_value_holdout"], ref["monetary_value_holdout"], rtol=1e-12
        )


def test_reproduces_published_cdnow_summary() -> None:
    """The file Fader, Hardie & Lee fitted: days expressed in weeks, 2-decimal rounding."""
    tx = load_cdnow_transactions(sample=True)
    got = rfm_summary(
        tx,
        customer_id_col="sample_id",
        datetime_col="date",
        amount_col="dollar_value",
        observation_end="1997-09-30",
        time_unit="W",
        period="D",
        non_positive="keep",
        after_observation_end="exclude",
    )
    published = load_cdnow_summary(holdout=False)
    assert got.index.tolist() == published.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), published.to_numpy(), rtol=0, atol=0.005 + 1e-9)


def test_week_periods_follow_pandas_w_sun() -> None:
    days = pd.date_range("1969-12-20", "1970-02-10", freq="D")
    tx = pd.DataFrame({"customer_id": np.arange(days.size), "datetime": days})
    got = rfm_summary(tx, time_unit="W", observation_end="1970-02-10")
    expected = (pd.Period("1970-02-10", "W") - days.to_period("W")).map(lambda d: d.n)
    np.testing.assert_array_equal(got["T"].to_numpy(), expected.to_numpy(dtype=float))


def test_calendar_units_hand_computed() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "datetime": pd.to_datetime(["2024-01-31", "2024-01-02", "2024-03-01", "2024-05-15"]),
            "amount": [10.0, 5.0, 20.0, 1.0],
        }
    )
    m = rfm_summary(tx, amount_col="amount", time_unit="M", observation_end="2024-12-31")
    # a: months Jan (2 purchases, 15) and Mar (20); b: May only
    assert m.loc["a"].tolist() == [1.0, 2.0, 11.0, 20.0]
    assert m.loc["b"].tolist() == [0.0, 0.0, 7.0, 0.0]
    q = rfm_summary(tx, time_unit="Q", observation_end="2024-12-31")
    assert q.loc["a"].tolist() == [0.0, 0.0, 3.0]
    y = rfm_summary(tx, time_unit="Y", observation_end="2025-01-01")
    assert y.loc["b"].tolist() == [0.0, 0.0, 1.0]
    # daily periods in calendar months: 2024-01-02 -> 02-02 is 1 month, then 28 of the
    # 29 days 02-02 -> 03-02 (leap year)
    md = rfm_summary(tx, time_unit="M", period="D", observation_end="2024-12-31")
    assert md.loc["a", "recency"] == pytest.approx(1 + 28 / 29, rel=1e-14)
    assert md.loc["a", "frequency"] == 2.0


def test_totals_and_tz() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [7, 7, 8],
            "datetime": pd.to_datetime(
                ["2024-03-01 23:30", "2024-03-02 08:00", "2024-03-02 09:00"]
            ).tz_localize("Asia/Tehran"),
            "amount": [3.0, 4.0, 5.0],
        }
    )
    s = rfm_summary(tx, amount_col="amount", totals=True)
    assert s.columns.tolist() == [
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "n_transactions",
        "total_spend",
        "first_purchase",
        "last_purchase",
    ]
    assert s.loc[7, ["frequency", "recency", "T", "n_transactions", "total_spend"]].tolist() == [
        1.0,
        1.0,
        1.0,
        2,
        7.0,
    ]
    assert s.loc[7, "first_purchase"] == pd.Timestamp("2024-03-01 23:30", tz="Asia/Tehran")


def _tx(**extra: object) -> pd.DataFrame:
    data: dict[str, object] = {
        "customer_id": [1, 1, 2],
        "datetime": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"]),
        "amount": [1.0, 2.0, 3.0],
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_validation_errors() -> None:
    with pytest.raises(MissingColumnsError, match="amountx"):
        rfm_summary(_tx(), amount_col="amountx")
    with pytest.raises(InvalidValueError, match="must be datetime64"):
        rfm_summary(_tx(datetime=["2024-01-01", "2024-01-02", "2024-01-03"]))
    with pytest.raises(InvalidValueError, match="missing value"):
        rfm_summary(_tx(customer_id=[1, None, 2]))
    with pytest.raises(InvalidValueError, match="missing value"):
        rfm_summary(_tx(datetime=pd.to_datetime(["2024-01-01", None, "2024-01-02"])))
    assert len(rfm_summary(_tx(customer_id=[1, None, 2]), nan_policy="omit")) == 2
    with pytest.raises(InvalidValueError, match="propagate"):
        rfm_summary(_tx(), nan_policy="propagate")
    with pytest.raises(InvalidValueError, match="infinite"):
        rfm_summary(_tx(amount=[1.0, np.inf, 2.0]), amount_col="amount")
    with pytest.raises(InvalidValueError, match="empty"):
        rfm_summary(_tx().iloc[:0])
    with pytest.raises(InvalidValueError, match="time_unit"):
        rfm_summary(_tx(), time_unit="month")


def test_returns_policy() -> None:
    tx = _tx(amount=[1.0, -2.0, 0.0])
    with pytest.raises(InvalidValueError, match=r"2 value\(s\) <= 0"):
        rfm_summary(tx, amount_col="amount")
    kept = rfm_summary(tx, amount_col="amount", non_positive="keep")
    assert kept["frequency"].tolist() == [1.0, 0.0]
    assert kept["monetary_value"].tolist() == [-2.0, 0.0]
    excluded = rfm_summary(tx, amount_col="amount", non_positive="exclude")
    assert excluded.index.tolist() == [1]
    assert excluded["frequency"].tolist() == [0.0]
    with pytest.raises(InvalidValueError, match="non_positive="):
        rfm_summary(tx, amount_col="amount", non_positive="drop")


def test_invalid_period_is_reported_as_period() -> None:
    with pytest.raises(InvalidValueError, match=r"^period='H' is not one of"):
        rfm_summary(_tx(), period="H")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"^period='H' is not one of"):
        calibration_and_holdout(_tx(), calibration_end="2024-01-01", period="H")  # type: ignore[arg-type]


def test_old_keyword_names_still_work_with_a_warning() -> None:
    tx = _tx(amount=[1.0, -2.0, 3.0])
    new = rfm_summary(tx, amount_col="amount", observation_end="2024-01-31", non_positive="keep")
    with pytest.warns(DeprecationWarning, match="is deprecated") as caught:
        old = rfm_summary(
            tx, monetary_value_col="amount", observation_period_end="2024-01-31", returns="keep"
        )
    news = sorted(str(w.message).split("; pass ")[1] for w in caught)
    assert news == [
        "amount_col=... instead.",
        "non_positive=... instead.",
        "observation_end=... instead.",
    ]
    pd.testing.assert_frame_equal(old, new)
    new_ch = calibration_and_holdout(tx, calibration_end="2024-01-01", non_positive="keep")
    with pytest.warns(DeprecationWarning, match="is deprecated"):
        old_ch = calibration_and_holdout(tx, calibration_period_end="2024-01-01", returns="keep")
    pd.testing.assert_frame_equal(old_ch, new_ch)
    with pytest.raises(TypeError, match="got both"):
        rfm_summary(tx, observation_end="2024-01-31", observation_period_end="2024-01-31")


def test_after_observation_end() -> None:
    with pytest.raises(InvalidValueError, match="1 transaction"):
        rfm_summary(_tx(), observation_end="2024-01-02")
    s = rfm_summary(_tx(), observation_end="2024-01-02", after_observation_end="exclude")
    assert s["frequency"].tolist() == [0.0, 0.0]
    assert s["T"].tolist() == [1.0, 0.0]
    with pytest.raises(InvalidValueError, match="every transaction"):
        rfm_summary(_tx(), observation_end="2023-01-01", after_observation_end="exclude")


def test_calibration_errors() -> None:
    with pytest.raises(InvalidValueError, match="must be before"):
        calibration_and_holdout(_tx(), calibration_end="2024-02-01")
    with pytest.raises(InvalidValueError, match="no transaction"):
        calibration_and_holdout(_tx(), calibration_end="2023-01-01")


def test_input_not_mutated() -> None:
    tx = _tx()
    before = tx.copy()
    rfm_summary(tx, amount_col="amount", totals=True)
    pd.testing.assert_frame_equal(tx, before)


def test_dask_equals_pandas(online_retail: pd.DataFrame) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    tx = online_retail.iloc[:40_000]
    expected = rfm_summary(
        tx,
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        amount_col="amount",
        non_positive="keep",
        totals=True,
    )
    with dask.config.set(scheduler="synchronous"):
        got = rfm_summary(
            dd.from_pandas(tx, npartitions=3),
            customer_id_col="CustomerID",
            datetime_col="InvoiceDate",
            amount_col="amount",
            non_positive="keep",
            totals=True,
        ).compute()
        with pytest.raises(InvalidValueError, match="after the observation end"):
            rfm_summary(
                dd.from_pandas(tx, npartitions=2),
                customer_id_col="CustomerID",
                datetime_col="InvoiceDate",
                observation_end="2011-01-01",
            )
    pd.testing.assert_frame_equal(got.sort_index(), expected, check_exact=False, rtol=1e-12)


transactions = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.integers(0, 400),
        st.floats(0.01, 1000, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=transactions, unit=st.sampled_from(["D", "W", "M", "Q", "Y"]), seed=st.integers(0, 9))
def test_properties(rows: list[tuple[int, int, float]], unit: str, seed: int) -> None:
    ids, days, amounts = zip(*rows, strict=True)
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "datetime": pd.Timestamp("1969-11-01") + pd.to_timedelta(days, unit="D"),
            "amount": amounts,
        }
    )
    s = rfm_summary(tx, amount_col="amount", time_unit=unit, totals=True)
    shuffled = tx.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        rfm_summary(shuffled, amount_col="amount", time_unit=unit, totals=True),
        s,
        check_exact=False,
        rtol=1e-12,
    )
    assert (s["recency"] >= 0).all()
    assert (s["recency"] <= s["T"]).all()
    assert (s["frequency"] >= 0).all()
    assert (s["frequency"] < s["n_transactions"] + 1e-9).all()
    assert s["total_spend"].sum() == pytest.approx(tx["amount"].sum())


def test_hashed_ids_equal_lifetimes(cdnow: pd.DataFrame, reference_dir: Path) -> None:
    """Sparse or string ids take the hashing path; the result is the same, sorted by id."""
    ref = _reference(reference_dir, "lifetimes_cdnow_summary_W.csv.gz")
    tx = cdnow.assign(customer_id=cdnow["customer_id"] * 1_000_003)  # sparse int ids
    got = rfm_summary(
        tx,
        customer_id_col="customer_id",
        datetime_col="date",
        amount_col="dollar_value",
        time_unit="W",
        non_positive="keep",
    )
    assert got.index.is_monotonic_increasing
    got.index = got.index // 1_000_003
    _assert_equal(got, ref, LIFETIMES_COLS)
    named = cdnow.assign(customer_id="c" + cdnow["customer_id"].astype(str))
    ch = calibration_and_holdout(
        named,
        customer_id_col="customer_id",
        datetime_col="date",
        calibration_end="1997-09-30",
        time_unit="W",
    )
    assert ch.index.is_monotonic_increasing
    ch.index = ch.index.str[1:].astype(np.int64)
    ref_ch = _reference(reference_dir, "lifetimes_cdnow_calhold_W.csv.gz")
    ch = ch.sort_index()
    cols = ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]
    ref_cols = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    _assert_equal(ch, ref_ch[ref_cols], cols)


def test_dask_options_and_empty_partitions() -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 3],
            "datetime": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-09",
                    "2024-01-02",
                    "2024-01-20",
                    "2024-01-03",
                    "2024-02-05",
                ]
            ).tz_localize("Europe/Berlin"),
            "amount": [5.0, -1.0, 3.0, 4.0, 0.0, 0.0],
        }
    )
    kw = {"amount_col": "amount", "non_positive": "exclude", "totals": True}
    kw_end = {"observation_end": "2024-01-31", "after_observation_end": "exclude"}
    expected = rfm_summary(tx, **kw, **kw_end)
    with dask.config.set(scheduler="synchronous"):
        # the last partition holds only customer 3, whose rows are all excluded
        got = rfm_summary(dd.from_pandas(tx, npartitions=3, sort=False), **kw, **kw_end).compute()
        with pytest.raises(InvalidValueError, match="<= 0"):
            rfm_summary(dd.from_pandas(tx, npartitions=2), amount_col="amount")
    pd.testing.assert_frame_equal(got.sort_index(), expected)
    assert expected.index.tolist() == [1, 2]


@settings(max_examples=40, deadline=None)
@given(rows=transactions, cut=st.integers(0, 400), unit=st.sampled_from(["D", "W", "M"]))
def test_calibration_equals_summary_of_calibration_rows(
    rows: list[tuple[int, int, float]], cut: int, unit: str
) -> None:
    ids, days, amounts = zip(*rows, strict=True)
    start = pd.Timestamp("2020-01-01")
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "datetime": start + pd.to_timedelta(days, unit="D"),
            "amount": amounts,
        }
    )
    cal_end = start + pd.Timedelta(days=cut)
    end = start + pd.Timedelta(days=401)
    if not (tx["datetime"] <= cal_end).any():
        return
    ch = calibration_and_holdout(
        tx,
        calibration_end=cal_end,
        observation_end=end,
        amount_col="amount",
        time_unit=unit,
    )
    cal_rows = tx.loc[tx["datetime"] <= cal_end]
    expected = rfm_summary(cal_rows, amount_col="amount", observation_end=cal_end, time_unit=unit)
    pd.testing.assert_frame_equal(ch[expected.columns], expected)
    hold = tx.loc[tx["datetime"] > cal_end]
    hold = hold.loc[hold["customer_id"].isin(ch.index)]
    periods = hold["datetime"].dt.to_period("D" if unit == "D" else unit)
    n_hold = periods.groupby(hold["customer_id"]).nunique()
    got = ch["frequency_holdout"]
    assert (got.reindex(n_hold.index) == n_hold.astype(float)).all()
    assert (got.drop(n_hold.index) == 0).all()
    assert (ch["monetary_value_holdout"] >= 0).all()


def test_summaries_record_their_time_unit_for_the_models() -> None:
    import crmkit as ck

    tx = ck.datasets.load_cdnow_transactions(sample=True)
    kw = {"customer_id_col": "customer_id", "datetime_col": "date", "time_unit": "W"}
    summary = ck.rfm_summary(tx, **kw)
    assert summary.attrs["crmkit_time_unit"] == "W"
    split = ck.calibration_and_holdout(tx, calibration_end="1997-09-30", **kw)
    assert split.attrs["crmkit_time_unit"] == "W"
    fit = ck.clv.BetaGeo.fit(split)
    assert fit.model.time_unit == "W"
