"""Tests for crmkit.metrics.retention."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.datasets import load_cdnow_transactions
from crmkit.exceptions import InvalidValueError, InvariantError
from crmkit.metrics import churn_rate, cohort_retention, retention_by_period, retention_rate


def test_retention_rate_counts() -> None:
    assert retention_rate(200, 170) == 0.85
    assert churn_rate(200, 170) == pytest.approx(0.15)
    with pytest.raises(InvariantError, match="exceeds"):
        retention_rate(10, 11)
    with pytest.raises(InvalidValueError, match="n_start"):
        retention_rate(0, 0)


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "c", "d", "a", "d", "b"],
            "datetime": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-02-01",
                    "2024-03-09",
                    "2024-04-02",
                    "2024-05-20",
                    "2024-06-01",
                    "2024-10-01",
                    "2024-11-11",
                    "2024-12-24",
                ]
            ),
        }
    )


def test_retention_by_period_hand_computed(tx: pd.DataFrame) -> None:
    # The log covers 2024-01-05 .. 2024-12-24: 2024Q1 and 2024Q4 are incomplete.
    out = retention_by_period(tx, period="Q", partial="keep")
    # Q1 {a,b,c}, Q2 {a,c,d}, Q3 {}, Q4 {a,d,b}
    assert [str(p) for p in out.index] == ["2024Q2", "2024Q3", "2024Q4"]
    assert out["complete"].tolist() == [False, True, False]
    dropped = retention_by_period(tx, period="Q")
    assert [str(p) for p in dropped.index] == ["2024Q3"]
    assert dropped["retention_rate"].tolist() == [0.0]
    assert out["active_previous"].tolist() == [3, 3, 0]
    assert out["retained"].tolist() == [2, 0, 0]
    np.testing.assert_allclose(out["retention_rate"].to_numpy(), [2 / 3, 0.0, np.nan])
    np.testing.assert_allclose(out["churn_rate"].to_numpy(), [1 / 3, 1.0, np.nan])


def test_cohort_retention_hand_computed(tx: pd.DataFrame) -> None:
    out = cohort_retention(tx, period="Q", partial="keep")
    # cohorts: Q1 {a,b,c}; Q2 {d}
    assert out["size"].tolist() == [3, 1]
    np.testing.assert_allclose(
        out.loc[pd.Period("2024Q1"), [0, 1, 2, 3]].to_numpy(), [1.0, 2 / 3, 0.0, 2 / 3]
    )
    row = out.loc[pd.Period("2024Q2"), [0, 1, 2, 3]].to_numpy(dtype=float)
    np.testing.assert_allclose(row[:3], [1.0, 0.0, 1.0])
    assert np.isnan(row[3])  # not yet observed


def test_bad_input(tx: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="one period"):
        retention_by_period(tx.iloc[:2], period="Y")
    with pytest.raises(InvalidValueError, match=r"^period=.W. is not"):
        retention_by_period(tx, period="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="empty"):
        cohort_retention(tx.iloc[:0])


def _naive_retention(frame: pd.DataFrame, freq: str) -> dict[str, float]:
    """Independent set-based implementation used as a cross-check."""
    per = frame["datetime"].dt.to_period(freq)
    active: dict[pd.Period, set[object]] = {}
    for cust, p in zip(frame["customer_id"], per, strict=True):
        active.setdefault(p, set()).add(cust)
    out = {}
    for p in pd.period_range(min(active), max(active), freq=freq)[1:]:
        prev = active.get(p - 1, set())
        if prev:
            out[str(p)] = len(prev & active.get(p, set())) / len(prev)
    return out


def test_cdnow_sample_matches_set_based_count() -> None:
    raw = load_cdnow_transactions(sample=True)
    frame = pd.DataFrame(
        {"customer_id": raw["customer_id"], "datetime": pd.to_datetime(raw["date"])}
    )
    out = retention_by_period(frame, period="M")
    naive = _naive_retention(frame, "M")
    got = {str(p): r for p, r in out["retention_rate"].items() if not np.isnan(r)}
    assert got.keys() == naive.keys()
    for key, value in naive.items():
        assert got[key] == pytest.approx(value)


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 700)), min_size=2, max_size=80))
def test_rates_in_unit_interval(rows: list[tuple[int, int]]) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "datetime": pd.Timestamp("2023-01-01") + pd.to_timedelta([r[1] for r in rows], "D"),
        }
    )
    if frame["datetime"].dt.to_period("Q").nunique() < 2:
        return
    rates = retention_by_period(frame, partial="keep")["retention_rate"].dropna().to_numpy()
    assert np.all((rates >= 0) & (rates <= 1))
    shares = cohort_retention(frame, partial="keep").drop(columns="size").to_numpy(dtype=float)
    finite = shares[~np.isnan(shares)]
    assert np.all((finite >= 0) & (finite <= 1))


def test_cohort_retention_keeps_observed_zero_ages() -> None:
    # Cohort 2024Q1 ({a}) is observable at ages 1 and 2 (data run to 2024Q3) and nobody
    # came back: those cells are 0.0, not missing columns (hand-computed).
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "datetime": pd.to_datetime(["2024-01-10", "2024-07-01"]),
        }
    )
    out = cohort_retention(tx, period="Q", partial="keep")
    assert list(out.columns) == ["size", 0, 1, 2]
    assert out.loc[pd.Period("2024Q1"), [0, 1, 2]].tolist() == [1.0, 0.0, 0.0]
    assert out.loc[pd.Period("2024Q3"), 0] == 1.0
    assert out.loc[pd.Period("2024Q3"), [1, 2]].isna().all()


def test_cohort_retention_equals_lifecycle_table() -> None:
    from crmkit.lifecycle import cohort_retention as lifecycle_cohorts

    tx = load_cdnow_transactions()
    for freq in ("M", "Q", "Y"):
        flat = cohort_retention(tx, period=freq, datetime_col="date")
        table = lifecycle_cohorts(tx, period=freq, datetime_col="date")
        np.testing.assert_array_equal(flat["size"].to_numpy(), table.sizes.to_numpy())
        np.testing.assert_allclose(
            flat.drop(columns="size").to_numpy(), table.retention.to_numpy(), equal_nan=True
        )
