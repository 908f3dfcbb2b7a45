"""Cohort retention: hand-computed tables, pandas-Period cross-check on real data, invariants."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.datasets import load_cdnow_transactions
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.lifecycle import AssignmentRules, cohort_retention
from crmkit.timeunits._periods import period_ordinals, wall_ns


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4],
            "datetime": pd.to_datetime(
                ["2024-01-05", "2024-02-10", "2024-03-01", "2024-01-20", "2024-02-02",
                 "2024-03-30", "2024-03-02"]
            ),
        }
    )  # fmt: skip


def test_hand_computed_monthly_table() -> None:
    # _tx() covers 2024-01-05 .. 2024-03-30: January and March are incomplete months,
    # kept here to check the counting itself (tests/lifecycle/test_partial_cohorts.py
    # checks the default, which leaves them out).
    t = cohort_retention(_tx(), period="M", partial="keep")
    assert t.sizes.tolist() == [2, 1, 1]
    assert [str(p) for p in t.sizes.index] == ["2024-01", "2024-02", "2024-03"]
    expected = np.array([[1.0, 0.5, 0.5], [1.0, 1.0, np.nan], [1.0, np.nan, np.nan]])
    np.testing.assert_array_equal(t.retention.to_numpy(), expected)
    np.testing.assert_array_equal(t.active.to_numpy()[0], [2.0, 1.0, 1.0])
    # weighted mean: k=1 -> (1 + 1) / (2 + 1); k=2 -> 1/2
    np.testing.assert_allclose(t.mean_retention().to_numpy(), [1.0, 2 / 3, 0.5])


def test_observation_end_extends_and_cuts() -> None:
    t = cohort_retention(_tx(), period="M", observation_end="2024-04-15", partial="keep")
    assert t.retention.shape == (3, 4)
    assert t.retention.iloc[2, 1] == 0.0  # April observable, nobody bought
    cut = cohort_retention(_tx(), period="M", observation_end="2024-02-28", partial="keep")
    assert cut.sizes.tolist() == [2, 1]
    with pytest.raises(InvalidValueError, match="no transactions"):
        cohort_retention(_tx(), observation_end="2020-01-01")
    # Whole months declared observed: nothing is left out.
    whole = cohort_retention(
        _tx(), period="M", observation_start="2024-01-01", observation_end="2024-04-30"
    )
    assert whole.partial_periods == ()
    pd.testing.assert_frame_equal(whole.retention, t.retention)


def test_quarters_years_weeks_and_days() -> None:
    q = cohort_retention(_tx(), period="Q", partial="keep")
    assert q.sizes.tolist() == [4]
    assert q.retention.shape == (1, 1)
    assert str(q.sizes.index[0]) == "2024Q1"
    y = cohort_retention(_tx(), period="Y", partial="keep")
    assert str(y.sizes.index[0]) == "2024"
    w = cohort_retention(_tx(), period="W", partial="keep")
    assert str(w.sizes.index[0]) == "2024-01-01/2024-01-07"  # Monday to Sunday
    d = cohort_retention(_tx(), period="D")
    assert d.sizes.sum() == 4


def test_period_ordinals_equal_pandas_periods() -> None:
    rng = np.random.default_rng(3)
    ns = rng.integers(-(10**18), 2 * 10**18, size=2000)
    dt = pd.Series(ns.view("M8[ns]"))
    for unit, freq in {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}.items():
        expected = dt.dt.to_period(freq).array.asi8
        np.testing.assert_array_equal(period_ordinals(wall_ns(dt), unit), expected)


def test_errors() -> None:
    with pytest.raises(MissingColumnsError):
        cohort_retention(_tx().rename(columns={"datetime": "date"}))
    with pytest.raises(InvalidValueError, match=r"^period=.month. is not one of"):
        cohort_retention(_tx(), period="month")
    bad = _tx().astype({"datetime": str})
    with pytest.raises(InvalidValueError, match="datetime64"):
        cohort_retention(bad)


def _reference_table(tx: pd.DataFrame, cid: str, dtc: str, freq: str) -> pd.DataFrame:
    """Independent implementation with pandas Periods and groupby-nunique."""
    p = tx[dtc].dt.to_period(freq)
    first = p.groupby(tx[cid]).transform("min")
    k = (p.array.asi8 - first.array.asi8).astype(int)
    frame = pd.DataFrame({"cohort": first, "k": k, "cid": tx[cid]})
    active = frame.pivot_table(index="cohort", columns="k", values="cid", aggfunc="nunique")
    sizes = active[0]
    return active.div(sizes, axis=0)


def test_online_retail_matches_pandas_periods(shared_datasets: Path) -> None:
    tx = pd.read_csv(
        shared_datasets / "online_retail" / "online_retail.csv.gz",
        usecols=["InvoiceDate", "CustomerID"],
        parse_dates=["InvoiceDate"],
    ).dropna()
    t = cohort_retention(
        tx,
        period="M",
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        partial="keep",  # compares every month, December 2011 (to the 9th) too
    )
    ref = _reference_table(tx, "CustomerID", "InvoiceDate", "M")
    got = t.retention.to_numpy()
    want = ref.reindex(columns=range(got.shape[1])).to_numpy()
    observable = ~np.isnan(got)
    np.testing.assert_allclose(got[observable], np.nan_to_num(want[observable]), rtol=1e-12)
    assert t.sizes.sum() == tx["CustomerID"].nunique() == 4372


def test_cdnow_single_quarter_cohort(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "lifecycle_cdnow.json").read_text())["expected"]
    t = cohort_retention(load_cdnow_transactions(), period="Q", datetime_col="date")
    assert [str(p) for p in t.sizes.index] == ref["cohorts_by_quarter"]
    assert int(t.sizes.iloc[0]) == ref["n_customers"]


@given(
    rows=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 700)), min_size=1, max_size=60),
    unit=st.sampled_from(["W", "M", "Q"]),
)
def test_retention_invariants(rows: list[tuple[int, int]], unit: str) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day"])
    tx["datetime"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(tx.pop("day"), unit="D")
    t = cohort_retention(tx, period=unit, partial="keep")
    r = t.retention.to_numpy()
    assert (r[:, 0] == 1.0).all()
    finite = r[~np.isnan(r)]
    assert ((finite >= 0) & (finite <= 1)).all()
    assert t.sizes.sum() == tx["customer_id"].nunique()
    shuffled = cohort_retention(tx.iloc[::-1], period=unit, partial="keep")
    pd.testing.assert_frame_equal(t.retention, shuffled.retention)


def test_sort_and_bitmap_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmkit.lifecycle import assign_stages
    from crmkit.transactions import _core

    tx = load_cdnow_transactions()
    dense_table = cohort_retention(tx, period="W", datetime_col="date")
    dense_st = assign_stages(tx, as_of="1998-01-01", datetime_col="date", amount_col=None,
                             rules=AssignmentRules(high_value_quantile=None))  # fmt: skip
    monkeypatch.setattr(_core, "_DENSE_LIMIT", 0)
    sorted_table = cohort_retention(tx, period="W", datetime_col="date")
    sorted_st = assign_stages(tx, as_of="1998-01-01", datetime_col="date", amount_col=None,
                              rules=AssignmentRules(high_value_quantile=None))  # fmt: skip
    pd.testing.assert_frame_equal(dense_table.active, sorted_table.active)
    pd.testing.assert_frame_equal(dense_st, sorted_st)


def test_string_ids_use_factorize() -> None:
    tx = _tx().assign(customer_id=lambda f: "c" + f["customer_id"].astype(str))
    t = cohort_retention(tx, period="M", partial="keep")
    assert t.sizes.tolist() == [2, 1, 1]
