"""Stage assignment: hand-computed cases, the CDNOW reference count, invariants."""

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
from crmkit.lifecycle import (
    FUNNEL,
    KALAKOTA,
    SOWALSKIE,
    AssignmentRules,
    assign_stages,
    assign_stages_from_summary,
)


def _tx() -> pd.DataFrame:
    # a: 1 purchase day (2 lines on one day); b: 2 days; c: 4 days, big spender; d: 5 small
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "c", "c", "c", "d", "d", "d", "d", "d"],
            "datetime": pd.to_datetime(
                [
                    "2024-01-05 09:00", "2024-01-05 17:00",
                    "2024-01-02 00:00", "2024-03-01 00:00",
                    "2023-01-01 00:00", "2023-02-01 00:00", "2023-03-01 00:00", "2023-04-01 00:00",
                    "2024-01-01 00:00", "2024-01-02 00:00", "2024-01-03 00:00", "2024-01-04 00:00",
                "2024-06-01 00:00",
                ]
            ),
            "monetary": [10.0, 10.0, 5.0, 5.0, 50.0, 50.0, 50.0, 50.0, 1, 1, 1, 1, 1],
        }
    )  # fmt: skip


def test_funnel_hand_computed() -> None:
    # as of 2024-03-31 d has 4 purchase days (spend 4), c has 4 (spend 200).
    # spends of buyers: a 20, b 10, c 200, d 4 -> 0.8 quantile (linear) = 20 + 0.4*180 = 92
    st_ = assign_stages(_tx(), as_of="2024-03-31", customers=["a", "b", "c", "d", "e"])
    assert st_.index.tolist() == ["a", "b", "c", "d", "e"]
    assert st_["stage"].tolist() == ["first purchase", "repeat", "high-value", "loyal", "prospect"]
    assert st_["n_purchases"].tolist() == [1, 2, 4, 4, 0]
    assert st_["level"].tolist() == [1, 2, 4, 3, 0]
    assert st_["total_spend"].tolist() == [20.0, 10.0, 200.0, 4.0, 0.0]
    assert st_.columns.tolist() == [
        "stage", "level", "n_purchases", "total_spend", "first_purchase", "last_purchase",
        "lapsed",
    ]  # fmt: skip
    assert pd.isna(st_.loc["e", "last_purchase"])
    assert st_["stage"].cat.ordered


def test_rows_after_as_of_are_not_seen() -> None:
    st_ = assign_stages(_tx(), as_of="2024-01-02 12:00")
    assert st_.index.tolist() == ["b", "c", "d"]
    assert st_["n_purchases"].tolist() == [1, 4, 2]


def test_sowalskie_and_kalakota_with_inactivity() -> None:
    rules = AssignmentRules(inactivity=6, inactivity_unit="M")
    s = assign_stages(_tx(), as_of="2024-03-31", model=SOWALSKIE, rules=rules)
    # c's last purchase 2023-04-01 is 12 months before: terminated
    assert s["stage"].tolist() == ["acquaintance", "maintenance", "termination", "maintenance"]
    assert s["lapsed"].tolist() == [False, False, True, False]
    k = assign_stages(_tx(), as_of="2024-03-31", model=KALAKOTA, rules=rules)
    assert k["stage"].tolist() == ["acquire", "enhance", "retain", "retain"]


def test_inactivity_boundary_is_inclusive_of_the_window() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1], "datetime": pd.to_datetime(["2024-01-31"]), "monetary": [1.0]}
    )
    rules = AssignmentRules(inactivity=1, inactivity_unit="M", high_value_quantile=None)
    on_edge = assign_stages(tx, as_of="2024-02-29", model=SOWALSKIE, rules=rules)
    after = assign_stages(tx, as_of="2024-03-01", model=SOWALSKIE, rules=rules)
    assert on_edge["stage"].tolist() == ["acquaintance"]  # exactly one month: still active
    assert after["stage"].tolist() == ["termination"]


def test_purchase_unit_merges_periods() -> None:
    rules = AssignmentRules(purchase_unit="M", high_value_quantile=None)
    s = assign_stages(_tx(), as_of="2024-12-31", rules=rules)
    assert s.loc["d", "n_purchases"] == 2  # January and June


def test_tz_aware_data() -> None:
    tx = _tx()
    tx["datetime"] = tx["datetime"].dt.tz_localize("Asia/Tehran")
    s = assign_stages(tx, as_of=pd.Timestamp("2024-03-31", tz="Asia/Tehran"))
    assert s["stage"].tolist() == ["first purchase", "repeat", "high-value", "loyal"]
    # a naive date is read on the data's wall clock, as in rfm_summary
    pd.testing.assert_frame_equal(assign_stages(tx, as_of="2024-03-31"), s)
    with pytest.raises(InvalidValueError, match="naive"):
        assign_stages(_tx(), as_of=pd.Timestamp("2024-03-31", tz="Asia/Tehran"))


def test_rules_validation() -> None:
    with pytest.raises(InvalidValueError, match="at least 2"):
        AssignmentRules(repeat_min_purchases=1)
    with pytest.raises(InvalidValueError, match="must exceed"):
        AssignmentRules(repeat_min_purchases=3, loyal_min_purchases=3)
    with pytest.raises(InvalidValueError, match=r"\[0, 1\]"):
        AssignmentRules(high_value_quantile=1.5)
    with pytest.raises(InvalidValueError, match="positive whole"):
        AssignmentRules(inactivity=0)
    with pytest.raises(InvalidValueError, match=r"inactivity_unit=.month. is not one of"):
        AssignmentRules(inactivity_unit="month")  # type: ignore[arg-type]  # bad on purpose


def test_input_errors() -> None:
    tx = _tx()
    with pytest.raises(MissingColumnsError, match="monetary"):
        assign_stages(tx.drop(columns="monetary"), as_of="2024-03-31")
    with pytest.raises(InvalidValueError, match="high-value rule needs spend"):
        assign_stages(tx, as_of="2024-03-31", amount_col=None)
    bad = tx.copy()
    bad.loc[3, "customer_id"] = None
    with pytest.raises(InvalidValueError, match="missing value"):
        assign_stages(bad, as_of="2024-03-31")
    assert len(assign_stages(bad, as_of="2024-03-31", nan_policy="omit")) == 4
    with pytest.raises(InvalidValueError, match="not a date"):
        assign_stages(tx, as_of="someday")
    with pytest.raises(InvalidValueError, match="StageModel"):
        assign_stages(tx, as_of="2024-03-31", model="funnel")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="duplicated"):
        assign_stages(tx, as_of="2024-03-31", customers=["a", "a"])
    s = assign_stages(
        tx,
        as_of="2024-03-31",
        amount_col=None,
        rules=AssignmentRules(high_value_quantile=None),
    )
    assert s["stage"].tolist() == ["first purchase", "repeat", "loyal", "loyal"]


def test_input_is_not_mutated() -> None:
    tx = _tx()
    before = tx.copy()
    assign_stages(tx, as_of="2024-03-31", customers=["z"])
    pd.testing.assert_frame_equal(tx, before)


def test_from_summary_hand_computed() -> None:
    s = pd.DataFrame(
        {
            "frequency": [0, 2, 5],
            "recency": [0.0, 10.0, 30.0],
            "T": [40.0, 40.0, 31.0],
            "monetary_value": [0.0, 8.0, 20.0],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    days = AssignmentRules(inactivity=182, inactivity_unit="D")  # 26 weeks
    out = assign_stages_from_summary(s, time_unit="W", model=SOWALSKIE, rules=days)
    assert out["stage"].tolist() == ["termination", "termination", "maintenance"]
    assert out["n_purchases"].tolist() == [1, 3, 6]
    assert out["total_spend"].tolist() == [0.0, 16.0, 100.0]
    months = AssignmentRules(inactivity=6, inactivity_unit="M")
    with pytest.raises(InvalidValueError, match="summary's unit"):
        assign_stages_from_summary(s, time_unit="W", rules=months)
    bad = s.assign(recency=[0.0, 50.0, 30.0])
    with pytest.raises(InvalidValueError, match="recency exceeds T"):
        assign_stages_from_summary(bad, time_unit="W")


def test_cdnow_repeat_buyers_match_published_count(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "lifecycle_cdnow.json").read_text())["expected"]
    tx = load_cdnow_transactions()
    s = assign_stages(
        tx,
        as_of="1997-09-30",
        rules=AssignmentRules(high_value_quantile=None),
        datetime_col="date",
        amount_col="dollar_value",
    )
    assert len(s) == ref["n_customers"]
    assert int((s["level"] >= 2).sum()) == ref["n_repeat_buyers_by_calibration_end"]


def test_online_retail_snapshot_is_total(shared_datasets: Path) -> None:
    tx = pd.read_csv(
        shared_datasets / "online_retail" / "online_retail.csv.gz",
        usecols=["InvoiceDate", "CustomerID", "Quantity", "UnitPrice"],
        parse_dates=["InvoiceDate"],
        nrows=60_000,
    ).dropna(subset=["CustomerID"])
    tx = tx.assign(amount=tx["Quantity"] * tx["UnitPrice"])
    s = assign_stages(
        tx,
        as_of="2011-01-31",
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        amount_col="amount",
        model=KALAKOTA,
    )
    assert s.index.is_unique
    assert s["stage"].notna().all()
    assert len(s) == tx.loc[tx["InvoiceDate"] <= "2011-01-31", "CustomerID"].nunique()


_frames = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 400), st.floats(0, 100)),
    min_size=1,
    max_size=40,
)


@given(rows=_frames, seed=st.integers(0, 2**16), model_i=st.integers(0, 2))
def test_assignment_total_and_deterministic(
    rows: list[tuple[int, int, float]], seed: int, model_i: int
) -> None:
    model = (FUNNEL, KALAKOTA, SOWALSKIE)[model_i]
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "monetary"])
    tx["datetime"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx.pop("day"), unit="D")
    customers = list(range(8))
    rules = AssignmentRules(inactivity=60)
    a = assign_stages(tx, as_of="2024-12-31", model=model, rules=rules, customers=customers)
    shuffled = tx.sample(frac=1.0, random_state=np.random.default_rng(seed).integers(2**31))
    b = assign_stages(shuffled, as_of="2024-12-31", model=model, rules=rules, customers=customers)
    pd.testing.assert_frame_equal(a, b)
    assert a.index.tolist() == customers  # every known customer, once
    assert a["stage"].notna().all()
    assert set(a["stage"]) <= set(model.names)


def test_infinite_amount_is_refused_as_rfm_summary_refuses_it() -> None:
    # the stage features come from rfm_summary(totals=True): the same checks apply
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "datetime": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05"]),
            "amount": [1.0, np.inf, 2.0],
        }
    )
    with pytest.raises(InvalidValueError, match="infinite"):
        assign_stages(tx, as_of="2024-03-01", amount_col="amount")
