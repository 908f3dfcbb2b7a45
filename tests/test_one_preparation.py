"""One preparation step: the summary and the life-cycle functions read a log alike.

An observation end is a calendar date of the data's own wall clock (a naive date on a
tz-aware column is read in the column's zone, a tz-aware date is converted to it, a
tz-aware date on a naive column is an error), and customer ids are encoded once. These
tests ask every function that takes an end date the same question and compare answers.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import (
    AssignmentRules,
    assign_stages,
    cohort_retention,
    contacts_before_purchase,
    profit_by_tenure,
    transition_matrix,
)
from crmkit.metrics import repeat_purchase_rate, retention_by_period
from crmkit.transactions import calibration_and_holdout, rfm_summary
from crmkit.transactions._prep import encode_ids

END = "2024-03-31"
WALL = [
    ("2024-01-02 10:00", 1),
    ("2024-02-03 23:30", 1),
    ("2024-01-15 00:00", 2),
    ("2024-03-01 12:00", 3),
    ("2024-03-31 23:30", 3),  # last hour of the end date on the wall clock: observed
    ("2024-04-01 00:30", 4),  # first hour after it: not observed
    ("2024-03-31 23:30", 5),
]
OBSERVED = [1, 2, 3, 5]
NO_HIGH_VALUE = AssignmentRules(high_value_quantile=None)


def _log(tz: str | None, ids: list[Any] | None = None) -> pd.DataFrame:
    stamps = pd.to_datetime([w for w, _ in WALL])
    return pd.DataFrame(
        {
            "customer_id": ids if ids is not None else [c for _, c in WALL],
            "datetime": stamps if tz is None else stamps.tz_localize(tz),
            "monetary": np.arange(1.0, len(WALL) + 1.0),
        }
    )


def _customers_seen(tx: pd.DataFrame, end: Any) -> dict[str, list[Any]]:
    """The customers each function observes up to ``end``."""
    summary = rfm_summary(tx, observation_end=end, after_observation_end="exclude")
    stages = assign_stages(tx, as_of=end, rules=NO_HIGH_VALUE)
    tenure = profit_by_tenure(
        tx, margin=1.0, acquisition_cost=0.0, observation_end=end, time_unit="D"
    )
    cohorts = cohort_retention(tx, period="D", observation_end=end, partial="keep")
    moves = transition_matrix(tx, start="2024-01-01", end=end, rules=NO_HIGH_VALUE)
    return {
        "rfm_summary": summary.index.tolist(),
        "assign_stages": stages.index.tolist(),
        "profit_by_tenure": tenure.customer_profit.index.tolist(),
        # cohort sizes and transition counts hold no ids: compare how many
        "cohort_retention": list(range(int(cohorts.sizes.sum()))),
        "transition_matrix": list(range(int(moves.counts.to_numpy().sum()))),
    }


@pytest.mark.parametrize("tz", [None, "Europe/Berlin", "America/New_York", "Asia/Tehran"])
def test_a_naive_end_date_is_read_on_the_columns_wall_clock_everywhere(tz: str | None) -> None:
    # New York's 23:30 is already the next day in UTC and Tehran's 00:30 still the end
    # date: a rule that read the end in UTC would disagree with the wall clock in both
    seen = _customers_seen(_log(tz), END)
    assert seen["rfm_summary"] == OBSERVED
    assert seen["assign_stages"] == OBSERVED
    assert seen["profit_by_tenure"] == OBSERVED
    assert len(seen["cohort_retention"]) == len(OBSERVED)
    assert len(seen["transition_matrix"]) == len(OBSERVED)


@pytest.mark.dask
@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tehran"])
def test_the_dask_paths_read_the_end_date_alike(tz: str) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(_log(tz), npartitions=3)
    with dask.config.set(scheduler="synchronous"):
        summary = rfm_summary(ddf, observation_end=END, after_observation_end="exclude")
        stages = assign_stages(ddf, as_of=END, rules=NO_HIGH_VALUE)
        cohorts = cohort_retention(ddf, period="D", observation_end=END, partial="keep")
        assert sorted(summary.compute().index) == OBSERVED
    assert stages.index.tolist() == OBSERVED
    assert int(cohorts.sizes.sum()) == len(OBSERVED)


def test_a_time_of_day_in_the_end_is_ignored_everywhere() -> None:
    assert _customers_seen(_log("Europe/Berlin"), END + " 08:00") == _customers_seen(
        _log("Europe/Berlin"), END
    )


def test_a_tz_aware_end_is_converted_to_the_columns_zone_everywhere() -> None:
    # 2024-03-31 23:00 UTC is 2024-04-01 01:00 in Berlin: the whole of 1 April counts
    end = pd.Timestamp("2024-03-31 23:00", tz="UTC")
    seen = _customers_seen(_log("Europe/Berlin"), end)
    assert seen["rfm_summary"] == [1, 2, 3, 4, 5]
    assert seen["assign_stages"] == seen["profit_by_tenure"] == seen["rfm_summary"]
    assert len(seen["cohort_retention"]) == len(seen["transition_matrix"]) == 5


CALLS = {
    "rfm_summary": lambda tx, end: rfm_summary(tx, observation_end=end),
    "calibration_and_holdout": lambda tx, end: calibration_and_holdout(
        tx, calibration_end="2024-02-01", observation_end=end
    ),
    "assign_stages": lambda tx, end: assign_stages(tx, as_of=end, rules=NO_HIGH_VALUE),
    "transition_matrix": lambda tx, end: transition_matrix(
        tx, start="2024-01-01", end=end, rules=NO_HIGH_VALUE
    ),
    "profit_by_tenure": lambda tx, end: profit_by_tenure(
        tx, margin=1.0, acquisition_cost=0.0, observation_end=end
    ),
    "cohort_retention": lambda tx, end: cohort_retention(tx, period="D", observation_end=end),
    "metrics.retention_by_period": lambda tx, end: retention_by_period(
        tx, period="M", observation_end=end, partial="keep"
    ),
    "metrics.repeat_purchase_rate": lambda tx, end: repeat_purchase_rate(
        tx, start="2024-01-01", end=end
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_tz_aware_end_on_a_naive_column_is_refused_alike(name: str) -> None:
    end = pd.Timestamp("2024-04-30", tz="Europe/Berlin")
    with pytest.raises(InvalidValueError, match="tz-aware but the datetime column is naive"):
        CALLS[name](_log(None), end)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_naive_end_on_a_tz_aware_column_is_accepted_alike(name: str) -> None:
    CALLS[name](_log("Europe/Berlin"), "2024-04-30")  # must not raise


ID_KINDS: dict[str, list[Any]] = {
    "compact ints": [7, 7, 3, 5, 9, 8, 6],
    "sparse ints": [10**12, 10**12, 5, -(10**12), 42, 7, 10**15],
    "strings": ["b", "b", "a", "c", "e", "d", "a2"],
}


@pytest.mark.parametrize("kind", sorted(ID_KINDS))
def test_every_function_encodes_and_orders_ids_alike(kind: str) -> None:
    tx = _log("Europe/Berlin", ID_KINDS[kind])
    end = "2024-04-30"
    summary = rfm_summary(tx, observation_end=end).index
    expected = pd.Index(sorted(set(ID_KINDS[kind])))
    assert summary.tolist() == expected.tolist()
    stages = assign_stages(tx, as_of=end, rules=NO_HIGH_VALUE).index
    tenure = profit_by_tenure(tx, margin=1.0, acquisition_cost=0.0, observation_end=end)
    assert stages.tolist() == summary.tolist()
    assert tenure.customer_profit.index.tolist() == summary.tolist()


@pytest.mark.parametrize("kind", sorted(ID_KINDS))
def test_contacts_per_purchase_follow_id_order_whatever_the_row_order(kind: str) -> None:
    tx = _log(None, ID_KINDS[kind])
    contacts = tx.assign(datetime=tx["datetime"] - pd.Timedelta(hours=1))[
        ["customer_id", "datetime"]
    ]
    got = contacts_before_purchase(contacts, tx).per_purchase
    again = contacts_before_purchase(contacts.iloc[::-1], tx.iloc[::-1]).per_purchase
    pd.testing.assert_frame_equal(got, again)
    ids = got["customer_id"].tolist()
    assert ids == sorted(ids)


@given(st.lists(st.one_of(st.integers(-(2**40), 2**40), st.integers(0, 50)), min_size=1))
def test_encode_ids_is_a_dense_coding(values: list[int]) -> None:
    ids = pd.Series(values, dtype=np.int64)
    for sort in (False, True):
        codes, uniques = encode_ids(ids, sort=sort)
        # decoding gives the ids back, every code is used, the uniques are distinct
        assert uniques[codes].tolist() == values
        assert sorted(set(codes.tolist())) == list(range(len(uniques)))
        assert uniques.is_unique
        if sort:
            assert uniques.is_monotonic_increasing
    # the sorted coding is pandas' own sorted factorisation
    ref_codes, ref_uniques = pd.factorize(ids, sort=True)
    codes, uniques = encode_ids(ids, sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert uniques.tolist() == ref_uniques.tolist()


SRC = Path(__file__).resolve().parents[1] / "src" / "crmkit"


def test_lifecycle_has_no_preparation_of_its_own() -> None:
    assert importlib.util.find_spec("crmkit.lifecycle._frames") is None
    for path in sorted((SRC / "lifecycle").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        # ids go through encode_ids, dates through the observation-day rule
        assert not calls & {"factorize", "tz_localize", "tz_convert"} or path.name in {
            "assign.py"  # timestamps of first/last purchase back in the column's zone
        }, path.name
