"""Transition matrices and funnel conversion: hand-computed cases and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import (
    FUNNEL,
    KALAKOTA,
    SOWALSKIE,
    AssignmentRules,
    assign_stages,
    funnel_conversion,
    transition_matrix,
)


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 3, 3, 4],
            "datetime": pd.to_datetime(
                ["2024-01-02", "2024-05-02", "2024-06-01", "2024-01-01", "2024-01-10",
                 "2024-01-20", "2024-04-01", "2023-06-01"]
            ),
            "monetary": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )  # fmt: skip


def test_funnel_transitions_hand_computed() -> None:
    rules = AssignmentRules(high_value_quantile=None)
    tm = transition_matrix(
        _tx(), start="2024-03-01", end="2024-06-30", rules=rules, customers=[1, 2, 3, 4, 5]
    )
    # 1: first -> repeat; 2: prospect -> first; 3: repeat -> loyal; 4: first -> first;
    # 5: prospect -> prospect
    c = tm.counts
    assert c.loc["first purchase", "repeat"] == 1
    assert c.loc["prospect", "first purchase"] == 1
    assert c.loc["repeat", "loyal"] == 1
    assert c.loc["first purchase", "first purchase"] == 1
    assert c.loc["prospect", "prospect"] == 1
    assert c.to_numpy().sum() == 5
    np.testing.assert_allclose(tm.rates.loc["prospect"].to_numpy(), [0.5, 0.5, 0, 0, 0])
    assert tm.rates.loc["high-value"].isna().all()
    assert tm.stages.loc[2].tolist() == ["prospect", "first purchase"]


def test_sowalskie_termination_transitions() -> None:
    rules = AssignmentRules(inactivity=90, high_value_quantile=None)
    tm = transition_matrix(
        _tx(), start="2024-03-01", end="2024-09-30", model=SOWALSKIE, rules=rules
    )
    # at start: 1 acq, 3 maint, 4 term(last 2023-06); 2 prospect -> acq
    # at end: 1 last 05-02 -> term; 2 last 06-01 -> term (acq lapsed); 3 term; 4 term
    assert tm.counts["termination"].sum() == 4
    assert tm.counts.loc["termination", "termination"] == 1


def test_bad_dates() -> None:
    with pytest.raises(InvalidValueError, match="must be after"):
        transition_matrix(_tx(), start="2024-06-01", end="2024-01-01")


def test_funnel_conversion_from_assignment() -> None:
    st_ = assign_stages(
        _tx(),
        as_of="2024-06-30",
        rules=AssignmentRules(high_value_quantile=None),
        customers=range(1, 11),
    )
    conv = funnel_conversion(st_)
    assert conv["customers"].tolist() == [6, 2, 1, 1, 0]
    assert conv["reached"].tolist() == [10, 4, 2, 1, 0]
    np.testing.assert_allclose(conv["conversion"].to_numpy(), [1.0, 0.4, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(conv["share"].to_numpy(), [1.0, 0.4, 0.2, 0.1, 0.0])


def test_funnel_conversion_errors() -> None:
    with pytest.raises(InvalidValueError, match="progressive"):
        funnel_conversion(pd.DataFrame({"stage": ["maintenance"]}), model=SOWALSKIE)
    with pytest.raises(InvalidValueError, match="not in"):
        funnel_conversion(pd.DataFrame({"stage": ["acquire"]}))
    k = funnel_conversion(pd.DataFrame({"stage": ["acquire", "retain"]}), model=KALAKOTA)
    assert k["reached"].tolist() == [2, 1, 1]


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 500), st.floats(0, 50)),
        min_size=1,
        max_size=40,
    ),
    model_i=st.integers(0, 2),
)
def test_rows_sum_to_one(rows: list[tuple[int, int, float]], model_i: int) -> None:
    model = (FUNNEL, KALAKOTA, SOWALSKIE)[model_i]
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "monetary"])
    tx["datetime"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx.pop("day"), unit="D")
    tm = transition_matrix(
        tx, start="2024-06-01", end="2025-06-01", model=model, rules=AssignmentRules(inactivity=60)
    )
    sums = tm.rates.sum(axis=1, skipna=False).to_numpy()
    nonempty = tm.counts.sum(axis=1).to_numpy() > 0
    np.testing.assert_allclose(sums[nonempty], 1.0)
    assert np.isnan(sums[~nonempty]).all()
    assert tm.counts.to_numpy().sum() == tx["customer_id"].nunique()
