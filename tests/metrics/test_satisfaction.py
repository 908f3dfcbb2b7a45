"""Tests for crmkit.metrics.satisfaction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.metrics import (
    ces,
    csat,
    nps,
    nps_breakdown,
    product_penetration,
    products_per_customer,
    repeat_purchase_rate,
)


def _answers(case: dict[str, object]) -> list[int]:
    if "scores" in case:
        return list(case["scores"])  # type: ignore[call-overload]  # JSON list
    counts = case["counts"]
    assert isinstance(counts, dict)
    return [10] * counts["promoters"] + [8] * counts["passives"] + [3] * counts["detractors"]


def test_nps_published_examples(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "metrics_nps_examples.json").read_text(encoding="utf-8"))
    tol = ref["tolerance"]["abs"]
    for case in ref["cases"]:
        parts = nps_breakdown(_answers(case))
        assert parts["nps"] == pytest.approx(case["nps"], abs=tol), case["name"]
        assert parts["promoters"] == pytest.approx(case["promoters"], abs=tol)
        assert parts["detractors"] == pytest.approx(case["detractors"], abs=tol)
        assert nps(_answers(case)) == pytest.approx(case["nps"], abs=tol)


def test_nps_boundaries() -> None:
    assert nps([9, 10]) == 100.0
    assert nps([0, 6]) == -100.0
    assert nps([7, 8]) == 0.0  # passives only


@pytest.mark.parametrize("bad", [[11], [-1], [7.5], [float("nan")], []])
def test_nps_rejects_answers_outside_scale(bad: list[float]) -> None:
    with pytest.raises(InvalidValueError):
        nps(bad)


@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_shares_are_rates_and_sum_to_one(scores: list[int]) -> None:
    parts = nps_breakdown(scores)
    for key in ("promoters", "passives", "detractors"):
        assert 0.0 <= parts[key] <= 1.0
    assert parts[["promoters", "passives", "detractors"]].sum() == pytest.approx(1.0)
    assert -100.0 <= parts["nps"] <= 100.0


def test_csat_and_ces_hand_computed() -> None:
    assert csat([5, 4, 3, 2, 1]) == pytest.approx(0.4)
    assert csat([7, 6, 5], scale=7, satisfied_from=6) == pytest.approx(2 / 3)
    assert ces([1, 7]) == 4.0
    with pytest.raises(InvalidValueError, match="1-5 scale"):
        csat([0, 5])
    with pytest.raises(InvalidValueError, match="satisfied_from"):
        csat([5], satisfied_from=6)
    with pytest.raises(InvalidValueError, match="1-7 scale"):
        ces([8])


@given(st.lists(st.integers(1, 5), min_size=1, max_size=100))
def test_csat_in_unit_interval(scores: list[int]) -> None:
    assert 0.0 <= csat(scores) <= 1.0


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c", "d"],
            "datetime": pd.to_datetime(
                [
                    "2024-01-02",
                    "2024-02-10",
                    "2024-05-01",
                    "2024-03-03",
                    "2024-01-20",
                    "2024-03-30",
                    "2024-04-01",
                ]
            ),
            "product_id": ["x", "y", "x", "x", "z", "z", "x"],
        }
    )


def test_repeat_purchase_rate_hand_computed(tx: pd.DataFrame) -> None:
    # Q1 buyers a (2 purchases), b (1), c (2) -> 2 of 3 repeat
    assert repeat_purchase_rate(tx, start="2024-01-01", end="2024-04-01") == pytest.approx(2 / 3)
    # April-June: a once, d once
    assert repeat_purchase_rate(tx, start="2024-04-01", end="2024-07-01") == 0.0
    with pytest.raises(InvalidValueError, match="no purchases"):
        repeat_purchase_rate(tx, start="2025-01-01", end="2025-02-01")
    with pytest.raises(InvalidValueError, match="after start"):
        repeat_purchase_rate(tx, start="2024-02-01", end="2024-01-01")


def test_repeat_purchase_rate_tz_aware(tx: pd.DataFrame) -> None:
    aware = tx.assign(datetime=tx["datetime"].dt.tz_localize("Asia/Tehran"))
    assert repeat_purchase_rate(aware, start="2024-01-01", end="2024-04-01") == pytest.approx(
        2 / 3
    )


def test_repeat_purchase_rate_mixed_tz_raises(tx: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="time-zone aware"):
        repeat_purchase_rate(tx, start=pd.Timestamp("2024-01-01", tz="UTC"), end="2024-04-01")


def test_penetration_hand_computed(tx: pd.DataFrame) -> None:
    pen = product_penetration(tx)
    assert pen.to_dict() == {"x": 0.75, "z": 0.25, "y": 0.25}
    assert product_penetration(tx, n_customers=8)["x"] == pytest.approx(3 / 8)
    with pytest.raises(InvalidValueError, match="n_customers=2"):
        product_penetration(tx, n_customers=2)
    # a: x,y; b: x; c: z; d: x -> (2+1+1+1)/4
    assert products_per_customer(tx) == pytest.approx(5 / 4)


def test_missing_columns_and_empty(tx: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnsError, match="product_id"):
        product_penetration(tx.drop(columns="product_id"))
    with pytest.raises(InvalidValueError, match="empty"):
        products_per_customer(tx.iloc[:0])
    with pytest.raises(InvalidValueError, match="datetime64"):
        repeat_purchase_rate(tx.assign(datetime="x"), start="2024-01-01", end="2024-02-01")


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 364)), min_size=1, max_size=60))
def test_repeat_rate_in_unit_interval(rows: list[tuple[int, int]]) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "datetime": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] for r in rows], "D"),
        }
    )
    rate = repeat_purchase_rate(frame, start="2024-01-01", end="2025-01-01")
    assert 0.0 <= rate <= 1.0
    counts = np.bincount([r[0] for r in rows])
    assert rate == pytest.approx(np.sum(counts >= 2) / np.sum(counts >= 1))


def test_scale_and_customer_counts_must_be_whole_numbers() -> None:
    # 4 and 5 on a 1-5 scale with satisfied_from=4: 2 of 2 satisfied (hand-computed).
    assert csat([4, 5], scale=5, satisfied_from=4) == 1.0
    with pytest.raises(InvalidValueError, match=r"scale=5\.5 must be a whole number"):
        csat([4, 5], scale=5.5, satisfied_from=4)
    with pytest.raises(InvalidValueError, match=r"scale=7\.9 must be a whole number"):
        ces([1, 2], scale=7.9)
    tx = pd.DataFrame({"customer_id": [1, 2], "product_id": ["a", "a"]})
    with pytest.raises(InvalidValueError, match=r"n_customers=2\.5 must be a whole number"):
        product_penetration(tx, n_customers=2.5)
