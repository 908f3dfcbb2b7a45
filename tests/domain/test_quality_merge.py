"""Merging: one survivor, aliases kept, nothing lost (property tests)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Customer, LifeEvent
from crmkit.domain.quality import (
    cluster_duplicates,
    merge_customer_frame,
    merge_customers,
    merge_records,
    remap_ids,
)
from crmkit.exceptions import InvalidValueError, InvariantError


def test_merge_fills_and_unites() -> None:
    a = Customer(code="C1", name="Ali", tags=["vip"], acquired_on="2021-05-01",
                 contacts=[{"channel": "e-mail", "value": "ali@x.ir"}])  # fmt: skip
    b = Customer(code="C2", name="Ali K", tags=["b2b", "vip"], acquired_on="2020-01-01",
                 segment="A", demographics={"birth_date": "1980-01-01"}, aliases=["OLD-1"],
                 contacts=[{"channel": "e-mail", "value": "ALI@x.ir"},
                           {"channel": "phone", "value": "+989121234567"}])  # fmt: skip
    m = merge_customers(a, b)
    assert (m.code, m.name) == ("C1", "Ali")
    assert m.aliases == ("C2", "OLD-1")
    assert m.tags == ("vip", "b2b")
    assert str(m.acquired_on) == "2020-01-01"
    assert m.segment == "A"
    assert m.demographics is not None
    assert [p.value for p in m.contacts] == ["ali@x.ir", "+989121234567"]


def test_merge_refuses_self_and_inconsistent_deaths() -> None:
    a = Customer(code="C1", name="A")
    with pytest.raises(InvalidValueError, match="itself"):
        merge_customers(a, a)
    dead = Customer(code="C2", name="A").apply(LifeEvent(kind="death", on="2020-01-01"))
    moved = Customer(code="C3", name="A").apply(LifeEvent(kind="moved", on="2021-01-01"))
    with pytest.raises(InvariantError, match="after the recorded death"):
        merge_customers(moved, dead)
    assert merge_customers(a, dead).is_deceased


@settings(max_examples=30)  # heavy composite examples; 30 cover the rules
@given(
    st.lists(testing.customers(), min_size=2, max_size=4, unique_by=lambda c: c.code),
    st.data(),
)
def test_merge_keeps_every_interaction(people: list[Customer], data: st.DataObject) -> None:
    owners = sorted({p.code for p in people} | {a for p in people for a in p.aliases})
    items = data.draw(
        st.lists(testing.interactions(st.sampled_from([*owners, "SOMEONE-ELSE"])), max_size=12)
    )
    codes = {p.code for p in people}
    aliases = [a for p in people for a in p.aliases]
    assume(not codes & set(aliases) and len(aliases) == len(set(aliases)))
    try:
        result = merge_records(people[0], people[1:], interactions=items)
    except InvariantError:
        return  # records disagree about a death; merge refuses (tested above)
    merged_codes = {p.code for p in people} | set(aliases)
    assert len(result.interactions) == len(items)
    for before, after in zip(items, result.interactions, strict=True):
        expected = people[0].code if before.customer_code in merged_codes else before.customer_code
        assert after.customer_code == expected
        assert after.at == before.at
        assert after.amount == before.amount
    assert set(result.customer.aliases) == merged_codes - {people[0].code}
    assert {p.value for p in result.customer.contacts} == {
        c.value for p in people for c in p.contacts
    }


def test_cluster_and_remap() -> None:
    pairs = pd.DataFrame({"customer_id_left": ["C1", "C3", "C7"],
                          "customer_id_right": ["C2", "C2", "C8"],
                          "score": [1.0, 0.9, 0.4]})  # fmt: skip
    m = cluster_duplicates(pairs, threshold=0.5)
    assert m.to_dict() == {"C1": "C1", "C2": "C1", "C3": "C1"}
    order = pd.Index(["C3", "C2", "C1"])
    assert cluster_duplicates(pairs, threshold=0.5, survivor_order=order).eq("C3").all()
    tx = pd.DataFrame({"customer_id": ["C2", "C3", "C7", "C1"], "amount": [1.0, 2, 3, 4]})
    out = remap_ids(tx, m)
    assert out["customer_id"].tolist() == ["C1", "C1", "C7", "C1"]
    assert tx["customer_id"].tolist() == ["C2", "C3", "C7", "C1"]  # input untouched


@settings(max_examples=25)
@given(st.lists(testing.customers(), min_size=3, max_size=6, unique_by=lambda c: c.code))
def test_merge_customer_frame_keeps_every_code(people: list[Customer]) -> None:
    from crmkit.domain import customers_from_frame, customers_to_frame

    codes = [p.code for p in people]
    assume(not set(codes) & {a for p in people for a in p.aliases})
    frame = customers_to_frame(people)
    survivors = pd.Series({codes[0]: codes[0], codes[1]: codes[0]})
    try:
        out = merge_customer_frame(frame, survivors)
    except InvariantError:
        return
    assert out.index.tolist() == [codes[0], *codes[2:]]
    assert codes[1] in out.loc[codes[0], "aliases"]
    pd.testing.assert_frame_equal(out.loc[codes[2:]], frame.loc[codes[2:]])
    (merged,) = customers_from_frame(out.loc[[codes[0]]])
    assert merged == merge_customers(people[0], people[1])
