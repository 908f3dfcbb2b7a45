"""Profit by tenure year and the second-year verdict: hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.datasets import load_cdnow_transactions
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import profit_by_tenure


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3],
            "datetime": pd.to_datetime(
                ["2020-01-01", "2020-06-01", "2021-03-01", "2020-02-01", "2021-01-15",
                 "2021-06-01"]
            ),
            "monetary": [100.0, 100.0, 300.0, 100.0, 50.0, 80.0],
        }
    )  # fmt: skip


def test_hand_computed_table() -> None:
    res = profit_by_tenure(_tx(), acquisition_cost=150.0, margin=0.5, observation_end="2022-07-01")
    # customer 1: year 0 (100+100)*.5-150 = -50, year 1 150;  customer 2: year 0 -75
    # (2021-01-15 is still year 0), year 1 0;  customer 3 (from 2021-06-01): year 0 -110,
    # year 1 not observed (it ends 2023-06-01 > 2022-07-01).
    t = res.table
    assert t["customers"].tolist() == [3, 2]
    assert t["active"].tolist() == [3, 1]
    np.testing.assert_allclose(t["profit"], [-235.0, 150.0])
    np.testing.assert_allclose(t["mean_profit"], [-235 / 3, 75.0])
    np.testing.assert_allclose(t["mean_profit_active"], [-235 / 3, 150.0])
    np.testing.assert_allclose(t["cumulative_mean_profit"], [-235 / 3, (100 - 75) / 2])
    np.testing.assert_allclose(t["share_profitable"], [0.0, 0.5])
    assert np.isnan(res.customer_profit.loc[3, 1])
    v = res.verdict()
    assert v.n_customers == 2
    assert v.cumulative_mean_first == pytest.approx(-62.5)
    assert v.cumulative_mean_second == pytest.approx(12.5)
    assert v.share_profitable_first == 0.0
    assert v.share_profitable_only_second == 0.5
    assert v.share_not_profitable == 0.5
    assert v.holds
    assert set(v.measured()) >= {"cumulative_mean_second", "n_customers"}


def test_claim_can_fail() -> None:
    res = profit_by_tenure(_tx(), acquisition_cost=10.0, margin=0.5, observation_end="2022-03-01")
    v = res.verdict()
    assert v.cumulative_mean_first > 0
    assert not v.holds


def test_profit_column_and_quarters() -> None:
    tx = _tx().assign(profit=[10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    res = profit_by_tenure(tx, acquisition_cost=0.0, profit_col="profit", time_unit="Q")
    assert res.table.index.name == "k"
    # customer 1's quarters: 2020-01-01 q0, 2020-06-01 q1, 2021-03-01 q4
    assert res.customer_profit.loc[1, [0, 1, 2, 3, 4]].tolist() == [10.0, 10.0, 0.0, 0.0, 10.0]


def test_errors() -> None:
    with pytest.raises(InvalidValueError, match="exactly one"):
        profit_by_tenure(_tx(), acquisition_cost=1.0)
    with pytest.raises(InvalidValueError, match="exactly one"):
        profit_by_tenure(_tx(), acquisition_cost=1.0, margin=0.2, profit_col="monetary")
    with pytest.raises(InvalidValueError, match="acquisition_cost"):
        profit_by_tenure(_tx(), acquisition_cost=-1.0, margin=0.2)
    with pytest.raises(InvalidValueError, match="margin"):
        profit_by_tenure(_tx(), acquisition_cost=1.0, margin=1.5)


def test_cdnow_is_too_short_for_the_claim_in_years() -> None:
    tx = load_cdnow_transactions()
    res = profit_by_tenure(
        tx, acquisition_cost=20.0, margin=0.3, datetime_col="date", amount_col="dollar_value"
    )
    # every customer joined in 1997Q1 and the data end 1998-06-30: one whole year each
    assert res.table["customers"].tolist() == [23570]
    with pytest.raises(InvalidValueError, match="two whole years"):
        res.verdict()
    q = profit_by_tenure(
        tx,
        acquisition_cost=20.0,
        margin=0.3,
        time_unit="Q",
        datetime_col="date",
        amount_col="dollar_value",
    )
    assert q.verdict().n_customers == 23570


def test_online_retail_ii_matches_dateoffset_windows(shared_datasets: Path) -> None:
    """Cross-check against an independent pandas computation with calendar DateOffsets."""
    raw = pd.read_csv(
        shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz",
        usecols=["Quantity", "InvoiceDate", "Price", "Customer ID"],
        parse_dates=["InvoiceDate"],
    ).dropna()
    tx = pd.DataFrame(
        {
            "customer_id": raw["Customer ID"].astype("int64"),
            "datetime": raw["InvoiceDate"],
            "monetary": raw["Quantity"] * raw["Price"],
        }
    )
    res = profit_by_tenure(tx, acquisition_cost=40.0, margin=0.25, time_unit="Q")
    end = tx["datetime"].max()
    first = tx.groupby("customer_id")["datetime"].transform("min")
    for k in (0, 1, 2):
        lo = first + pd.DateOffset(months=3 * k)
        hi = first + pd.DateOffset(months=3 * (k + 1))
        firsts = tx.groupby("customer_id")["datetime"].min()
        observed = firsts[firsts + pd.DateOffset(months=3 * (k + 1)) <= end].index
        in_window = (tx["datetime"] >= lo) & (tx["datetime"] < hi)
        mask = in_window & tx["customer_id"].isin(observed)
        profit = 0.25 * tx.loc[mask, "monetary"].sum() - (40.0 * len(observed) if k == 0 else 0)
        row = res.table.loc[k]
        assert row["customers"] == len(observed)
        assert row["active"] == tx.loc[mask, "customer_id"].nunique()
        assert row["profit"] == pytest.approx(profit, rel=1e-9)


def test_old_names_still_work_with_a_warning() -> None:
    kw = {"acquisition_cost": 150.0, "margin": 0.5, "observation_end": "2022-07-01"}
    new = profit_by_tenure(_tx(), time_unit="Y", amount_col="monetary", **kw)  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="is deprecated") as caught:
        old = profit_by_tenure(_tx(), tenure_unit="Y", monetary_col="monetary", **kw)  # type: ignore[arg-type]
    assert sorted(str(w.message).split("; pass ")[1] for w in caught) == [
        "amount_col=... instead.",
        "time_unit=... instead.",
    ]
    pd.testing.assert_frame_equal(old.table, new.table)
    with pytest.warns(DeprecationWarning, match=r"ProfitByTenure.tenure_unit .*read .time_unit"):
        assert new.tenure_unit == new.time_unit == "Y"
    verdict = new.verdict()
    with pytest.warns(DeprecationWarning, match=r"SecondYearVerdict.tenure_unit"):
        assert verdict.tenure_unit == "Y"
    assert "time_unit" not in verdict.measured()
