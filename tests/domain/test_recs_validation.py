"""Validation of the non-customer records: dates, durations, hours, first-contact
resolution and the pipeline amount of lost deals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Complaint,
    Opportunity,
    Relationship,
    complaint_stage_durations,
    complaints_to_frame,
    weighted_forecast,
)
from crmkit.exceptions import InvalidValueError

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _opp(**kw: object) -> Opportunity:
    args: dict[str, object] = {
        "opportunity_id": "O1",
        "customer_code": "C1",
        "amount": 100.0,
        "probability": 0.5,
        "expected_close": "2024-06-30",
        "on": "2024-05-01",
    }
    args.update(kw)
    return Opportunity.open(**args)  # type: ignore[arg-type]


def test_expected_close_before_opening_is_refused() -> None:
    with pytest.raises(
        InvalidValueError, match=r"expected_close=2024-04-30 is before the opening date 2024-05-01"
    ):
        _opp(expected_close="2024-04-30")
    o = _opp()
    with pytest.raises(InvalidValueError, match="before the opening date"):
        o.advance("proposal", on="2024-05-10", expected_close="2024-04-01")
    record = o.to_record()
    record["expected_close"] = "2023-01-01"
    with pytest.raises(InvalidValueError, match="expected_close"):
        Opportunity.from_record(record)
    assert _opp(expected_close="2024-05-01").expected_close == dt.date(2024, 5, 1)


def test_resolved_on_first_contact() -> None:
    c = Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T)
    done = c.advance("resolved", at=T + 20 * dt.timedelta(minutes=1), note="fixed on the call")
    assert [s.stage.value for s in done.steps] == ["received", "resolved"]
    assert done.time_to_first_response("h") == pytest.approx(1 / 3)
    assert done.time_to_resolution("h") == pytest.approx(1 / 3)
    d = complaint_stage_durations(complaints_to_frame([done]), time_unit="h")
    assert d.loc["K1", "received"] == pytest.approx(1 / 3)
    assert d.loc["K1", "time_to_resolution"] == pytest.approx(1 / 3)
    with pytest.raises(Exception, match="cannot move from 'received' to 'closed'"):
        c.advance("closed", at=T + H)


def test_hours_are_a_unit_everywhere() -> None:
    r = Relationship.start(customer_code="C1", on="2024-01-01").transition_to(
        "maintenance", on="2024-01-03"
    )
    assert r.tenure("2024-01-04", "h") == 72.0
    assert r.time_in_stage("2024-01-04", "h") == 24.0
    c = (
        Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T)
        .advance("acknowledged", at=T + 2 * H)
        .advance("resolved", at=T + 30 * H)
    )
    assert (c.time_to_first_response("h"), c.time_to_resolution("h")) == (2.0, 30.0)
    d = complaint_stage_durations(complaints_to_frame([c]), time_unit="h")
    assert d.loc["K1", ["received", "acknowledged"]].tolist() == [2.0, 28.0]
    for bad in ("H", "hours", 1, None):
        with pytest.raises(InvalidValueError, match="'h' \\(hours\\)"):
            c.time_to_resolution(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="'h' \\(hours\\)"):
            complaint_stage_durations(complaints_to_frame([c]), time_unit=bad)  # type: ignore[arg-type]


def test_durations_are_never_negative() -> None:
    r = Relationship.start(customer_code="C1", on="2024-01-10")
    with pytest.raises(InvalidValueError, match=r"as_of=2024-01-05 precedes .* on 2024-01-10"):
        r.tenure("2024-01-05")
    c = Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T).advance(
        "in progress", at=T + 100 * H
    )
    frame = complaints_to_frame([c])
    with pytest.raises(
        InvalidValueError,
        match=r"observation_end=2024-05-03T09:00:00 UTC precedes the last step .*'K1' at "
        r"2024-05-05T13:00:00 UTC",
    ):
        complaint_stage_durations(frame, observation_end=T + 48 * H)
    backwards = frame.copy()
    backwards.loc[1, "datetime"] = pd.Timestamp(T - H)
    with pytest.raises(InvalidValueError, match="followed by a step at an earlier time"):
        complaint_stage_durations(backwards)
    ok = complaint_stage_durations(frame, time_unit="D", observation_end=T + 124 * H)
    assert ok.loc["K1", "in progress"] == 1.0


@settings(max_examples=30, deadline=None)
@given(st.lists(testing.complaints(), min_size=1, max_size=4, unique_by=lambda c: c.complaint_id))
def test_stage_durations_are_non_negative(items: list[Complaint]) -> None:
    frame = complaints_to_frame(items)
    end = max(s.at for c in items for s in c.steps) + H
    d = complaint_stage_durations(frame, time_unit="h", observation_end=end)
    stages = [c for c in d.columns if c not in ("item_code", "customer_id", "stage")]
    values = d[stages].to_numpy(dtype=float)
    assert np.all(values[~np.isnan(values)] >= 0)


def test_pipeline_amount_leaves_out_lost_deals() -> None:
    open_ = _opp(opportunity_id="A", amount=100.0, probability=0.5)
    won = _opp(opportunity_id="B", amount=200.0).advance("closed-won", on="2024-06-01")
    lost = _opp(opportunity_id="C", amount=400.0).advance("closed-lost", on="2024-06-02")
    f = weighted_forecast([open_, won, lost], period="Q")
    row = f.loc[pd.Period("2024Q2", "Q")]
    assert row["n_opportunities"] == 3
    assert row["pipeline_amount"] == 300.0  # open 100 + won 200; lost 400 left out
    assert row["weighted_amount"] == 250.0  # 100 * 0.5 + 200 * 1 + 400 * 0
    assert row["lost_amount"] == 400.0
    only_open = weighted_forecast([open_, won, lost], period="Q", include_closed=False)
    assert only_open.loc[pd.Period("2024Q2", "Q")].tolist() == [1, 100.0, 50.0, 0.0]
