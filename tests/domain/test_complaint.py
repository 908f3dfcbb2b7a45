"""Complaints: response stages, reopen, derived response times."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Complaint, ComplaintStage
from crmkit.domain.complaint import ALLOWED
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _open() -> Complaint:
    return Complaint.receive(
        complaint_id="K1", customer_code="C1", item_code="SRV-7", at=T0, channel="phone"
    )


def test_stage_order() -> None:
    assert [s.value for s in ComplaintStage] == [
        "received", "acknowledged", "in progress", "resolved", "closed", "reopened",
    ]  # fmt: skip


def test_response_times_hand_computed() -> None:
    c = _open().advance("acknowledged", at=T0 + 6 * H, channel="e-mail", note="ticket 17")
    assert c.time_to_first_response("D") == 0.25
    assert c.time_to_resolution() is None
    assert c.is_open
    c = c.advance("in progress", at=T0 + 24 * H).advance("resolved", at=T0 + 72 * H)
    assert c.time_to_resolution("D") == 3.0
    # reopened: open again, resolution measured to the latest resolution
    c = c.reopen(at=T0 + 96 * H).advance("in progress", at=T0 + 97 * H)
    assert c.is_open
    assert c.time_to_resolution() is None
    c = c.advance("resolved", at=T0 + 120 * H).advance("closed", at=T0 + 121 * H)
    assert c.time_to_resolution("D") == 5.0
    assert [s.channel.value if s.channel else None for s in c.steps[:2]] == ["phone", "e-mail"]


def test_illegal_move_lists_allowed() -> None:
    with pytest.raises(InvalidTransitionError, match=r"allowed moves: \['acknowledged'"):
        _open().advance("closed", at=T0 + H)


def test_must_start_received_and_move_forward_in_time() -> None:
    c = _open()
    with pytest.raises(InvalidValueError, match="earlier"):
        c.advance("acknowledged", at=T0 - H)
    with pytest.raises(InvariantError, match="received"):
        Complaint(complaint_id="K", customer_code="C", item_code="P",
                  steps=[{"stage": "acknowledged", "at": T0}])  # fmt: skip
    with pytest.raises(InvalidValueError, match="naive"):
        c.advance("acknowledged", at=dt.datetime(2024, 5, 2))


@given(testing.complaints(), st.sampled_from(ComplaintStage))
def test_transition_rules_hold(c: Complaint, target: ComplaintStage) -> None:
    at = c.steps[-1].at + H
    if target in ALLOWED[c.stage]:
        assert c.advance(target, at=at).stage is target
    else:
        with pytest.raises(InvalidTransitionError):
            c.advance(target, at=at)


@given(testing.complaints())
def test_durations_are_consistent(c: Complaint) -> None:
    first = c.time_to_first_response("D")
    res = c.time_to_resolution("D")
    assert (first is None) == (len(c.steps) == 1)
    if res is not None:
        assert first is not None
        assert 0 <= first <= res
