"""Relationship stages (Sowalskie): validated, dated transitions and derived durations."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Customer, LifeEvent, Relationship, RelationshipStage, StageChange
from crmkit.domain.relationship import ALLOWED
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError

ORDER = ["acquaintance", "maintenance", "termination"]


def test_stage_order_is_the_seeds() -> None:
    assert [s.value for s in RelationshipStage] == ORDER


def test_illegal_move_lists_allowed_moves() -> None:
    r = Relationship.start(customer_code="C1", on="2020-01-01").transition_to(
        "maintenance", on="2020-02-01"
    )
    with pytest.raises(InvalidTransitionError, match=r"allowed moves: \['termination'\]"):
        r.transition_to("acquaintance", on="2020-03-01")


def test_terminated_cannot_move_without_explicit_reactivation() -> None:
    r = Relationship.start(customer_code="C1", on="2020-01-01").terminate(on="2020-06-01")
    with pytest.raises(InvalidTransitionError, match="reactivate"):
        r.transition_to("maintenance", on="2021-01-01")
    r2 = r.reactivate(on="2021-01-01", stage="maintenance", reason="win-back")
    assert r2.stage is RelationshipStage.MAINTENANCE
    assert r2.history[-1].reactivation
    assert r2.history[-1].reason == "win-back"


def test_reactivation_only_from_termination() -> None:
    r = Relationship.start(customer_code="C1", on="2020-01-01")
    with pytest.raises(InvalidTransitionError, match="reactivation"):
        r.reactivate(on="2020-02-01")


def test_history_going_back_in_time_is_refused() -> None:
    with pytest.raises(InvariantError, match="back in time"):
        Relationship(
            customer_code="C1",
            history=[
                StageChange(stage="acquaintance", on="2020-05-01"),
                StageChange(stage="maintenance", on="2020-01-01"),
            ],
        )
    r = Relationship.start(customer_code="C1", on="2020-05-01")
    with pytest.raises(InvalidValueError, match="predates"):
        r.terminate(on="2020-01-01")


def test_tenure_and_time_in_stage_hand_computed() -> None:
    # 2023-01-31 -> 2023-02-28 is one calendar month (clamped month end), 28 days
    r = Relationship.start(customer_code="C1", on="2023-01-31").transition_to(
        "maintenance", on="2023-02-28"
    )
    assert r.tenure(dt.date(2024, 1, 31), "M") == pytest.approx(12.0)
    assert r.tenure(dt.date(2023, 2, 28), "D") == 28.0
    assert r.time_in_stage(dt.date(2023, 3, 7), "W") == pytest.approx(1.0)
    with pytest.raises(InvalidValueError, match="precedes"):
        r.tenure(dt.date(2020, 1, 1))


def test_death_ends_the_relationship() -> None:
    c = Customer(code="C1", name="A").apply(LifeEvent(kind="death", on="2024-03-01"))
    r = Relationship.start(customer_code="C1", on="2020-01-01").end_by_death(c)
    assert r.is_terminated
    assert r.stage_since == dt.date(2024, 3, 1)
    assert r.end_by_death(c) is r
    with pytest.raises(InvalidValueError, match="no recorded death"):
        Relationship.start(customer_code="C2", on="2020-01-01").end_by_death(
            Customer(code="C2", name="B")
        )


@given(testing.relationships())
def test_every_history_step_is_an_allowed_move(r: Relationship) -> None:
    for prev, nxt in zip(r.history, r.history[1:], strict=False):
        assert nxt.on >= prev.on
        if nxt.reactivation:
            assert prev.stage is RelationshipStage.TERMINATION
        else:
            assert nxt.stage in ALLOWED[prev.stage]
    assert Relationship.from_record({"customer_code": r.customer_code, "shape": r.shape,
                                     "counterparty": r.counterparty,
                                     "history": r.history}) == r  # fmt: skip


@given(testing.relationships(), st.sampled_from(RelationshipStage))
def test_transition_rules_hold_for_any_state(r: Relationship, target: RelationshipStage) -> None:
    on = r.stage_since + dt.timedelta(days=1)
    if target in ALLOWED[r.stage]:
        assert r.transition_to(target, on=on).stage is target
    else:
        with pytest.raises(InvalidTransitionError):
            r.transition_to(target, on=on)
