"""Merging customers carries their relationships along and combines duplicates.

The combined history is checked against an independent oracle: the stage each input
relationship is in at the end of a day (its last change on or before that day).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Customer, Relationship, RelationshipStage
from crmkit.domain.quality import combine_relationships, merge_records
from crmkit.exceptions import InvalidValueError

ALIVE = (RelationshipStage.ACQUAINTANCE, RelationshipStage.MAINTENANCE)


def _stage_on(r: Relationship, day: dt.date) -> RelationshipStage | None:
    changes = [c for c in r.history if c.on <= day]
    return changes[-1].stage if changes else None


def _same_customer(rels: list[Relationship]) -> list[Relationship]:
    return [Relationship(customer_code="C1", shape=r.shape, history=r.history) for r in rels]


@settings(max_examples=60, deadline=None)
@given(st.lists(testing.relationships(), min_size=1, max_size=4))
def test_combined_history_is_alive_exactly_when_one_input_is(rels: list[Relationship]) -> None:
    rels = _same_customer(rels)
    out = combine_relationships(rels)  # constructing it validates every move
    assert out.started_on == min(r.started_on for r in rels)
    days = sorted({c.on for r in rels for c in r.history})
    for day in days:
        inputs = [_stage_on(r, day) for r in rels]
        combined = _stage_on(out, day)
        assert (combined in ALIVE) == any(s in ALIVE for s in inputs)
        if RelationshipStage.MAINTENANCE in inputs:
            assert combined is RelationshipStage.MAINTENANCE
    for prev, nxt in zip(out.history, out.history[1:], strict=False):
        assert prev.stage is not nxt.stage  # no repeated stage
        assert nxt.reactivation == (prev.stage is RelationshipStage.TERMINATION)


def test_overlapping_spells_stay_alive_and_never_step_back() -> None:
    a = Relationship.start(customer_code="C1", on="2020-01-01").transition_to(
        "maintenance", on="2020-06-01"
    )
    a = a.terminate(on="2021-01-01", reason="moved abroad")
    b = Relationship.start(customer_code="C1", on="2020-03-01")
    out = combine_relationships([a, b])
    assert [(c.stage.value, c.on.isoformat()) for c in out.history] == [
        ("acquaintance", "2020-01-01"),
        ("maintenance", "2020-06-01"),
    ]  # b is still alive after a ends; the combined one stays in maintenance
    b2 = b.terminate(on="2022-01-01", reason="death")
    out = combine_relationships([a, b2])
    assert [(c.stage.value, c.on.isoformat(), c.reason) for c in out.history][-1] == (
        "termination",
        "2022-01-01",
        "death",
    )


def test_combine_refuses_mixed_pairs_and_empty() -> None:
    a = Relationship.start(customer_code="C1", on="2020-01-01")
    b = Relationship.start(customer_code="C2", on="2020-01-01")
    with pytest.raises(InvalidValueError, match="different customers or counterparties"):
        combine_relationships([a, b])
    with pytest.raises(InvalidValueError, match="at least one"):
        combine_relationships([])
    assert combine_relationships([a]) is a


def test_merge_records_repoints_and_combines_relationships() -> None:
    survivor = Customer(code="C1", name="Ali")
    other = Customer(code="C2", name="Ali", aliases=["OLD-7"])
    rels = [
        Relationship.start(customer_code="C9", on="2019-01-01"),
        Relationship.start(customer_code="C2", on="2020-01-01", counterparty="partner-A"),
        Relationship.start(customer_code="C1", on="2021-01-01", shape="one-network-one"),
        Relationship.start(customer_code="OLD-7", on="2018-05-01").terminate(on="2019-05-01"),
    ]
    result = merge_records(survivor, [other], relationships=rels)
    assert [(r.customer_code, r.counterparty) for r in result.relationships] == [
        ("C9", "organisation"),
        ("C1", "partner-A"),
        ("C1", "organisation"),
    ]
    combined = result.relationships[2]
    assert combined.shape.value == "one-network-one"  # the survivor's own relationship's
    assert [(c.stage.value, c.on.isoformat(), c.reactivation) for c in combined.history] == [
        ("acquaintance", "2018-05-01", False),
        ("termination", "2019-05-01", False),
        ("acquaintance", "2021-01-01", True),
    ]
    assert result.merged_codes == ("C2", "OLD-7")
    assert result.reassigned == {
        "interactions": 0,
        "complaints": 0,
        "opportunities": 0,
        "relationships": 2,
    }
    assert result.combined_relationships == ("organisation",)
    assert rels[1].customer_code == "C2"  # inputs untouched


def test_merge_records_refuses_wrong_relationship_items() -> None:
    a = Customer(code="C1", name="A")
    with pytest.raises(InvalidValueError, match="relationships must hold Relationship"):
        merge_records(a, [], relationships=["C1"])  # type: ignore[list-item]  # the point


PLAIN = st.builds(
    Customer,
    code=testing.codes(),
    name=st.just("A"),
    aliases=st.lists(testing.codes("OLD"), max_size=2, unique=True),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(PLAIN, min_size=2, max_size=3, unique_by=lambda c: c.code), st.data())
def test_merge_records_loses_no_relationship(people: list[Customer], data: st.DataObject) -> None:
    codes = [p.code for p in people]
    aliases = [a for p in people for a in p.aliases]
    if set(codes) & set(aliases) or len(aliases) != len(set(aliases)):
        return
    owners = st.sampled_from([*codes, *aliases, "SOMEONE-ELSE"])
    counterparties = st.sampled_from(["organisation", "partner-A"])
    rels = [
        Relationship(customer_code=data.draw(owners), counterparty=data.draw(counterparties),
                     shape=r.shape, history=r.history)
        for r in data.draw(st.lists(testing.relationships(max_moves=3), max_size=6))
    ]  # fmt: skip
    result = merge_records(people[0], people[1:], relationships=rels)
    merged = set(codes) | set(aliases)
    survivor = people[0].code
    mine = [r for r in rels if r.customer_code in merged]
    others = [r for r in rels if r.customer_code not in merged]
    assert [r for r in result.relationships if r.customer_code != survivor] == others
    out = [r for r in result.relationships if r.customer_code == survivor]
    assert sorted(r.counterparty for r in out) == sorted({r.counterparty for r in mine})
    for r in out:
        group = [m for m in mine if m.counterparty == r.counterparty]
        assert r.started_on == min(m.started_on for m in group)
        assert r.is_terminated == all(
            _stage_on(m, r.stage_since) is RelationshipStage.TERMINATION for m in group
        )
    assert result.reassigned["relationships"] == sum(
        r.customer_code in merged and r.customer_code != survivor for r in rels
    )
