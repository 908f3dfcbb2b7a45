"""Opportunities: pipeline stages, closed probabilities, weighted forecast."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given

from crmkit import testing
from crmkit.domain import Opportunity, OpportunityStage, opportunities_to_frame, weighted_forecast
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError


def _opp(i: str, amount: float, p: float, close: str, currency: str | None = None) -> Opportunity:
    return Opportunity.open(opportunity_id=i, customer_code="C1", amount=amount, probability=p,
                            expected_close=close, on="2024-01-01", currency=currency)  # fmt: skip


def test_stage_order() -> None:
    assert [s.value for s in OpportunityStage] == [
        "prospecting", "qualification", "proposal", "negotiation", "closed-won", "closed-lost",
    ]  # fmt: skip


def test_close_sets_probability_and_date() -> None:
    o = _opp("A", 100.0, 0.3, "2024-06-30").advance("proposal", on="2024-02-01", probability=0.6)
    assert (o.stage, o.probability, o.is_closed) == (OpportunityStage.PROPOSAL, 0.6, False)
    won = o.advance("closed-won", on="2024-03-15")
    assert won.is_won
    assert won.is_closed
    assert won.probability == 1.0
    assert str(won.expected_close) == "2024-03-15"
    lost = o.advance("closed-lost", on="2024-03-15")
    assert lost.probability == 0.0
    assert not lost.is_won
    with pytest.raises(InvariantError, match="probability"):
        o.advance("closed-won", on="2024-03-15", probability=0.5)


def test_backwards_and_out_of_closed_moves_are_refused() -> None:
    o = _opp("A", 1.0, 0.1, "2024-06-30").advance("negotiation", on="2024-02-01")
    with pytest.raises(InvalidTransitionError, match="allowed moves"):
        o.advance("qualification", on="2024-02-02")
    with pytest.raises(InvalidTransitionError, match=r"allowed moves: \[\]"):
        o.advance("closed-lost", on="2024-02-02").advance("negotiation", on="2024-02-03")


def test_probability_must_be_in_unit_interval() -> None:
    with pytest.raises(InvalidValueError, match="probability"):
        _opp("A", 1.0, 1.2, "2024-06-30")


def test_weighted_forecast_matches_hand_computation() -> None:
    ref = json.loads(
        (Path(__file__).parents[1] / "reference" / "domain_forecast.json").read_text()
    )
    opps = [_opp(*row) for row in ref["inputs"]["opportunities"]]
    opps[3] = opps[3].advance("closed-lost", on="2024-02-10")
    for period, expected in ref["inputs"]["expected"].items():
        got = weighted_forecast(opps, period=period)
        assert [str(p) for p in got.index] == list(expected)
        assert got["weighted_amount"].tolist() == pytest.approx(
            [expected[k][1] for k in expected], abs=ref["tolerance"]
        )
        assert got["n_opportunities"].tolist() == [expected[k][0] for k in expected]
    open_only = weighted_forecast(opportunities_to_frame(opps), period="Y", include_closed=False)
    assert open_only["n_opportunities"].tolist() == [3, 1]  # D (closed-lost) left out


def test_forecast_refuses_mixed_currencies() -> None:
    with pytest.raises(InvalidValueError, match="currencies"):
        weighted_forecast([_opp("A", 1, 0.5, "2024-01-01", "IRR"),
                           _opp("B", 1, 0.5, "2024-01-01", "EUR")])  # fmt: skip
    with pytest.raises(InvalidValueError, match="period"):
        weighted_forecast([_opp("A", 1, 0.5, "2024-01-01")], period="W")


@given(testing.opportunities())
def test_forecast_total_equals_sum_of_weighted_amounts(o: Opportunity) -> None:
    f = weighted_forecast([o], period="M")
    assert f["weighted_amount"].sum() == pytest.approx(o.amount * o.probability)
    assert isinstance(f.index, pd.PeriodIndex)


def test_weighted_forecast_refuses_rows_it_cannot_place() -> None:
    frame = pd.DataFrame(
        {
            "amount": [100.0, 50.0],
            "probability": [0.5, 0.5],
            "expected_close": [pd.Timestamp("2024-01-10"), pd.NaT],
            "stage": ["proposal", "proposal"],
            "currency": ["EUR", "EUR"],
        }
    )
    with pytest.raises(InvalidValueError, match="'expected_close' has 1 missing"):
        weighted_forecast(frame, period="Q")
    with pytest.raises(InvalidValueError, match="'amount' has 1 missing"):
        weighted_forecast(
            frame.assign(expected_close="2024-01-10", amount=[1.0, None]), period="Q"
        )
    # tz-aware close dates: 2024-03-31 23:00 in Tehran is in Q1 there (hand-computed).
    aware = frame.assign(
        expected_close=pd.to_datetime(["2024-03-31 23:00", "2024-01-01 00:00"]).tz_localize(
            "Asia/Tehran"
        )
    )
    got = weighted_forecast(aware, period="Q")
    assert got.index.astype(str).tolist() == ["2024Q1"]
    assert got["weighted_amount"].tolist() == [75.0]
