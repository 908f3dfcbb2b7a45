"""Tests for crmkit.metrics.scorecard."""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import SCORECARD_COLUMNS, Scorecard


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c", "a", "b", "d", "d"],
            "datetime": pd.to_datetime(
                [
                    "2023-04-10",
                    "2023-05-01",
                    "2024-01-05",
                    "2024-02-01",
                    "2024-04-02",
                    "2024-05-05",
                    "2024-05-06",
                    "2024-06-30",
                ]
            ),
            "monetary": [100.0, 100.0, 50.0, 50.0, 30.0, 60.0, 40.0, 70.0],
            "product_id": ["x", "y", "x", "x", "y", "x", "x", "z"],
        }
    )


def test_full_scorecard_hand_computed(tx: pd.DataFrame) -> None:
    complaints = pd.DataFrame(
        {
            "complaint_id": [1, 2, 3],
            "code": ["x", "x", "z"],
            "received_at": pd.to_datetime(["2024-04-01", "2024-05-01", "2024-01-01"]),
            "resolved_at": pd.to_datetime(["2024-04-03", "2024-05-05", "2024-01-02"]),
        }
    )
    profit = pd.Series(
        [10.0, 25.0, 40.0],
        index=pd.to_datetime(["2024-01-15", "2024-04-15", "2023-04-15"]),
    )
    card = Scorecard.compute(
        period="2024Q2",
        transactions=tx,
        profit=profit,
        nps_scores=[10, 9, 5, 8],
        csat_scores=[5, 4, 2],
        ces_scores=[6, 4],
        clv=[100.0, 300.0],
        service_cost=900.0,
        own_sales=200.0,
        competitor_sales={"r1": 500.0, "r2": 300.0},
        own_units=10.0,
        competitor_units={"r1": 30.0, "r2": 10.0},
        cash_flows=[-100.0, 60.0, 60.0],
        discount_rate=0.1,
        investment_gain=150.0,
        investment_cost=100.0,
        initial_cost=1000.0,
        recurring_costs=[100.0, 100.0],
        costs_before={"service": 100.0},
        costs_after={"service": 80.0},
        complaints=complaints,
        sales_by_code={"x": 40, "z": 10},
    )
    assert tuple(card.table.columns) == SCORECARD_COLUMNS
    assert card.period == "2024Q2"
    v = card.value
    # Q2 2024: a(30), b(60), d(40, 70) -> 3 buyers, 1 repeat; 4 purchases, revenue 200
    assert v("repeat_purchase_rate") == pytest.approx(1 / 3)
    assert v("revenue_per_purchase") == pytest.approx(50.0)
    assert v("products_per_customer") == pytest.approx(4 / 3)  # a:y b:x d:x,z
    assert v("nps") == 25.0
    assert v("csat") == pytest.approx(2 / 3)
    assert v("ces") == 5.0
    assert v("mean_clv") == 200.0
    assert v("customer_equity") == 400.0
    assert v("cost_to_serve") == pytest.approx(300.0)  # 900 / 3 buyers
    assert v("market_share") == pytest.approx(0.2)
    assert v("relative_market_share") == pytest.approx(0.4)
    assert v("revenue_to_share_ratio") == pytest.approx(0.2 / 0.2)
    assert v("npv") == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21)
    assert v("payback_period") == pytest.approx(1 + 40 / 60)
    assert v("roi") == pytest.approx(0.5)
    assert v("tco") == pytest.approx(1000 + 100 / 1.1 + 100 / 1.21)
    assert v("revenue_growth_qoq") == pytest.approx((200 - 100) / 100)  # Q1 2024 = 100
    # The data start on 2023-04-10, so 2023Q2 is incomplete: year over year compares the
    # same days, 10 April to 30 June of both years. 2024: 60 + 40 + 70 = 170 (the 30 of
    # 2 April is outside the window); 2023: 200.
    assert v("revenue_growth_yoy") == pytest.approx((170 - 200) / 200)
    yoy_label = card.table.set_index("metric").loc["revenue_growth_yoy", "period"]
    assert yoy_label == "2024Q2 (same days: 2024-04-10 to 2024-06-30 vs 2023-04-10 to 2023-06-30)"
    assert v("margin_change_previous_period") == pytest.approx(25 / 200 - 10 / 100)
    assert v("margin_change_yoy") == pytest.approx(25 / 170 - 40 / 200)
    assert v("cost_savings") == 20.0
    assert v("cost_savings_rate") == pytest.approx(0.2)
    # Q1 2024 active {a, c}; Q2 {a, b, d} -> 1 of 2 retained
    assert v("retention_rate") == pytest.approx(0.5)
    assert v("churn_rate") == pytest.approx(0.5)
    assert v("complaints") == 2.0  # received in Q2
    assert v("complaint_rate") == pytest.approx(2 / 50)
    assert v("mean_time_to_resolution") == pytest.approx(3.0)
    assert card.unavailable.empty
    assert v("irr") == pytest.approx(0.1306623862918075)  # root of -100 + 60x + 60x^2


def test_reports_what_is_missing_and_why(tx: pd.DataFrame) -> None:
    card = Scorecard.compute(
        transactions=tx.drop(columns="product_id"), cash_flows=[-100, 230, -132]
    )
    missing = card.unavailable.set_index("metric")
    assert "nps" in missing.index
    assert missing.loc["nps", "requires"] == "nps_scores"
    assert "missing input" in missing.loc["market_share", "reason"]
    assert "product_id" in missing.loc["products_per_customer", "reason"]
    assert "2 internal rates" in missing.loc["irr", "reason"]
    assert "revenue_per_purchase" in set(card.table["metric"])
    assert card.period == "all"
    # computed and unavailable partition the metric list
    assert set(card.table["metric"]).isdisjoint(missing.index)
    assert len(card.table) + len(missing) == 28


def test_compare_two_periods(tx: pd.DataFrame) -> None:
    q1 = Scorecard.compute(period="2024Q1", transactions=tx)
    q2 = Scorecard.compute(period="2024Q2", transactions=tx)
    diff = q2.compare(q1).set_index("metric")
    assert diff.loc["revenue_per_purchase", "baseline"] == 50.0
    assert diff.loc["revenue_per_purchase", "value"] == 50.0
    assert diff.loc["revenue_per_purchase", "change"] == 0.0
    assert diff.loc["repeat_purchase_rate", "change"] == pytest.approx(1 / 3)
    assert diff.loc["repeat_purchase_rate", "baseline_period"] == "2024Q1"


def test_bad_scorecard_input(tx: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="transaction"):
        Scorecard.compute(transaction=tx)  # type: ignore[call-arg]
    with pytest.raises(InvalidValueError, match="calendar month"):
        Scorecard.compute(period=pd.Period("2024-01-01", freq="D"), transactions=tx)
    card = Scorecard.compute(nps_scores=[1])
    with pytest.raises(InvalidValueError, match="not in this scorecard"):
        card.value("npv")


def test_bad_transaction_columns_are_reported(tx: pd.DataFrame) -> None:
    card = Scorecard.compute(transactions=tx.rename(columns={"datetime": "date"}))
    reasons = card.unavailable.set_index("metric")["reason"]
    assert "missing column(s) ['datetime']" in reasons["repeat_purchase_rate"]
    assert "missing column(s) ['datetime']" in reasons["revenue_growth_qoq"]
    card = Scorecard.compute(transactions=tx.drop(columns="monetary"))
    assert "monetary" in card.unavailable.set_index("metric").loc["revenue_growth_qoq", "reason"]


def test_yearly_and_monthly_periods(tx: pd.DataFrame) -> None:
    y = Scorecard.compute(period="2024", transactions=tx)
    # 2023 is covered from 10 April and 2024 to 30 June: the same days, 10 April to
    # 30 June, give 170 (2024) against 200 (2023); the whole years would give 300 vs 200.
    assert y.value("revenue_growth_yoy") == pytest.approx((170 - 200) / 200)
    assert "revenue_growth_qoq" in set(y.unavailable["metric"])
    m = Scorecard.compute(period="2024-05", transactions=tx)
    assert m.value("revenue_per_purchase") == pytest.approx(50.0)  # 60 and 40
