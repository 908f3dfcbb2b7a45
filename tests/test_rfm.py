"""Tests of crmkit.rfm: quantile scores, tie rule and the segment rule table."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.rfm import (
    DEFAULT_SEGMENTS,
    SegmentRule,
    assign_segments,
    quantile_scores,
    rfm_scores,
    rfm_segments,
    rules_from_frame,
)


def test_scores_match_pandas_qcut_for_distinct_values() -> None:
    rng = np.random.default_rng(7)
    values = rng.permutation(1000).astype(float)
    ours = quantile_scores(values)
    qcut = pd.qcut(values, 5, labels=False) + 1
    np.testing.assert_array_equal(ours, qcut)
    low = quantile_scores(values, higher_is_better=False)
    np.testing.assert_array_equal(low, 6 - qcut)


def test_tie_rule_hand_computed() -> None:
    # n = 10, k = 5: ranks (min) 1,1,1,4,5,6,6,8,9,10 -> 1 + floor(5 (r - 1) / 10)
    values = [3, 3, 3, 4, 5, 6, 6, 8, 9, 10]
    assert quantile_scores(values).tolist() == [1, 1, 1, 2, 3, 3, 3, 4, 5, 5]
    assert quantile_scores([7.0] * 6).tolist() == [1] * 6
    s = quantile_scores(pd.Series([1.0, 2.0], index=["a", "b"]), n_scores=2)
    assert s.to_dict() == {"a": 1, "b": 2}
    with pytest.raises(InvalidValueError, match="n_scores"):
        quantile_scores([1, 2], n_scores=11)
    with pytest.raises(InvalidValueError, match="NaN"):
        quantile_scores([1.0, np.nan])


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(0, 20), min_size=1, max_size=80), k=st.integers(2, 10))
def test_score_properties(values: list[int], k: int) -> None:
    scores = quantile_scores(values, n_scores=k)
    arr = np.asarray(values)
    assert scores.min() >= 1
    assert scores.max() <= k
    # monotone, and equal values share a score
    order = np.argsort(arr, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    for v in np.unique(arr):
        assert np.unique(scores[arr == v]).size == 1


def test_default_table_covers_every_cell_once_first_match() -> None:
    cells = pd.DataFrame(
        list(itertools.product(range(1, 6), range(1, 6), range(1, 6))),
        columns=["recency_score", "frequency_score", "monetary_score"],
    )
    seg = assign_segments(cells)
    assert not seg.isna().any()
    grid = seg.groupby([cells["recency_score"], cells["frequency_score"]]).first()
    assert grid[(5, 5)] == "champions"
    assert grid[(1, 1)] == "lost"
    assert grid[(2, 1)] == "hibernating"
    assert grid[(1, 5)] == "can't lose"
    assert grid[(5, 1)] == "new"
    assert grid[(4, 2)] == "potential loyalist"
    assert grid[(2, 3)] == "at risk"
    assert grid[(3, 4)] == "loyal"
    assert {r.name for r in DEFAULT_SEGMENTS} <= set(seg.cat.categories)


def test_custom_rules_and_unmatched() -> None:
    sc = pd.DataFrame(
        {"recency_score": [5, 1, 3], "frequency_score": [1, 5, 3], "monetary_score": [5, 5, 1]}
    )
    table = pd.DataFrame(
        {
            "name": ["big recent", "big"],
            "r_min": [4, 1],
            "r_max": [5, 5],
            "f_min": [1, 1],
            "f_max": [5, 5],
            "m_min": [5, 5],
            "m_max": [5, 5],
        }
    )
    with pytest.raises(InvalidValueError, match=r"match no segment rule.*\(3, 3, 1\)"):
        assign_segments(sc, rules=table)
    seg = assign_segments(sc, rules=table, unmatched="other")
    assert seg.tolist() == ["big recent", "big", "other"]
    assert list(seg.cat.categories) == ["big recent", "big", "other"]
    assert rules_from_frame(table)[0] == SegmentRule(
        name="big recent", recency=(4, 5), frequency=(1, 5), monetary=(5, 5)
    )
    with pytest.raises(InvalidValueError, match="low <= high"):
        SegmentRule(name="bad", recency=(4, 2))
    with pytest.raises(InvalidValueError, match="empty"):
        assign_segments(sc, rules=())


def test_rfm_scores_from_summary() -> None:
    summary = pd.DataFrame(
        {
            "frequency": [0.0, 1.0, 2.0, 5.0, 9.0],
            "recency": [0.0, 10.0, 50.0, 80.0, 99.0],
            "T": [100.0, 100.0, 100.0, 100.0, 100.0],
            "total_spend": [5.0, 50.0, 20.0, 500.0, 900.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    sc = rfm_scores(summary)
    assert sc["inactivity"].tolist() == [100.0, 90.0, 50.0, 20.0, 1.0]
    assert sc["recency_score"].tolist() == [1, 2, 3, 4, 5]
    assert sc["monetary_score"].tolist() == [1, 3, 2, 4, 5]
    assert sc.loc["e", "rfm"] == "555"
    seg = rfm_segments(summary)
    assert seg.loc["e", "segment"] == "champions"
    assert seg.loc["a", "segment"] == "lost"
    with pytest.raises(InvalidValueError, match="recency > T"):
        rfm_scores(summary.assign(recency=[0.0, 10.0, 50.0, 80.0, 101.0]))
    with pytest.raises(MissingColumnsError):
        rfm_scores(summary.drop(columns="total_spend"))


def test_spend_col_and_its_old_name() -> None:
    summary = pd.DataFrame(
        {
            "frequency": [0.0, 1.0, 2.0],
            "recency": [0.0, 10.0, 50.0],
            "T": [100.0, 100.0, 100.0],
            "monetary_value": [0.0, 50.0, 20.0],
        }
    )
    new = rfm_scores(summary, spend_col="monetary_value", n_scores=3)
    assert new["monetary_score"].tolist() == [1, 3, 2]
    with pytest.warns(DeprecationWarning, match=r"rfm_scores\(monetary_col=\.\.\.\)"):
        old = rfm_scores(summary, monetary_col="monetary_value", n_scores=3)
    assert old.equals(new)
    with pytest.warns(DeprecationWarning, match=r"pass spend_col=\.\.\. instead"):
        seg = rfm_segments(summary, monetary_col="monetary_value", n_scores=3)
    assert seg.drop(columns="segment").equals(new)


def test_assign_segments_unmatched_label_may_name_an_existing_segment() -> None:
    rules = (SegmentRule(name="top", recency=(5, 5)), SegmentRule(name="rest", recency=(3, 4)))
    scores = pd.DataFrame(
        {"recency_score": [5, 4, 1], "frequency_score": [1, 1, 1], "monetary_score": [1, 1, 1]}
    )
    seg = assign_segments(scores, rules=rules, unmatched="rest")
    assert seg.tolist() == ["top", "rest", "rest"]
    assert list(seg.cat.categories) == ["top", "rest"]
