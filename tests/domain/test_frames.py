"""Frame bridges: documented columns and lossless round trips (property tests)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Complaint,
    Customer,
    Interaction,
    Opportunity,
    Relationship,
    complaints_from_frame,
    complaints_to_frame,
    customers_from_frame,
    customers_to_frame,
    interactions_from_frame,
    interactions_to_frame,
    opportunities_from_frame,
    opportunities_to_frame,
    relationships_from_frame,
    relationships_to_frame,
)
from crmkit.domain.frames import (
    COMPLAINT_COLUMNS,
    CUSTOMER_COLUMNS,
    INTERACTION_COLUMNS,
    OPPORTUNITY_COLUMNS,
    RELATIONSHIP_COLUMNS,
)
from crmkit.exceptions import InvalidValueError, MissingColumnsError


@settings(max_examples=30)  # heavy composite examples; 30 cover the rules
@given(st.lists(testing.customers(), max_size=4, unique_by=lambda c: c.code))
def test_customers_round_trip(customers: list[Customer]) -> None:
    frame = customers_to_frame(customers)
    assert tuple(frame.columns) == CUSTOMER_COLUMNS
    assert frame.index.name == "customer_id"
    assert customers_from_frame(frame) == tuple(customers)


@given(st.lists(testing.interactions(), max_size=5))
def test_interactions_round_trip(items: list[Interaction]) -> None:
    frame = interactions_to_frame(items)
    assert tuple(frame.columns) == INTERACTION_COLUMNS
    assert interactions_from_frame(frame) == tuple(items)


@settings(max_examples=30)  # heavy composite examples; 30 cover the rules
@given(st.lists(testing.complaints(), max_size=4, unique_by=lambda c: c.complaint_id))
def test_complaints_round_trip(items: list[Complaint]) -> None:
    frame = complaints_to_frame(items)
    assert tuple(frame.columns) == COMPLAINT_COLUMNS
    assert len(frame) == sum(len(c.steps) for c in items)
    assert complaints_from_frame(frame) == tuple(items)


@given(st.lists(testing.opportunities(), max_size=4))
def test_opportunities_round_trip(items: list[Opportunity]) -> None:
    frame = opportunities_to_frame(items)
    assert tuple(frame.columns) == OPPORTUNITY_COLUMNS
    assert opportunities_from_frame(frame) == tuple(items)


def test_common_time_zone_is_kept() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Tehran")
    i = Interaction(
        customer_code="C1",
        at=dt.datetime(2024, 1, 1, 9, tzinfo=tz),
        channel="web",
        kind="sales",
        phase="during sale",
        direction="inbound",
    )
    frame = interactions_to_frame([i])
    assert str(frame["datetime"].dt.tz) == "Asia/Tehran"
    assert frame.loc[0, "datetime"].hour == 9


def test_customers_from_plain_frame_uses_email_and_phone() -> None:
    frame = pd.DataFrame(
        {"name": ["Ali"], "email": ["ALI@X.IR"], "phone": ["+98 912 000 1111"]},
        index=pd.Index(["C1"], name="customer_id"),
    )
    (c,) = customers_from_frame(frame)
    assert c.contact("e-mail") == ("ali@x.ir",)
    assert c.contact("phone") == ("+989120001111",)


def test_errors_name_the_problem() -> None:
    with pytest.raises(MissingColumnsError, match="name"):
        customers_from_frame(pd.DataFrame({"email": ["a@b.ir"]}))
    with pytest.raises(InvalidValueError, match="repeated"):
        customers_to_frame([Customer(code="C1", name="A"), Customer(code="C1", name="B")])
    naive = pd.DataFrame({"customer_id": ["C1"], "datetime": [pd.Timestamp("2024-01-01")],
                          "channel": ["web"], "kind": ["sales"], "phase": ["during sale"],
                          "direction": ["inbound"]})  # fmt: skip
    with pytest.raises(InvalidValueError, match="naive"):
        interactions_from_frame(naive)


def test_invalid_cell_error_names_the_row() -> None:
    frame = pd.DataFrame({"name": ["Ali", "Sara"], "email": ["a@b.ir", "sara@"]},
                         index=pd.Index(["C1", "C2"], name="customer_id"))  # fmt: skip
    with pytest.raises(InvalidValueError, match=r"row 1 \(index 'C2'\).*'sara@'"):
        customers_from_frame(frame)


@given(
    st.lists(testing.relationships(), max_size=4,
             unique_by=lambda r: (r.customer_code, r.counterparty))
)  # fmt: skip
def test_relationships_round_trip(items: list[Relationship]) -> None:
    frame = relationships_to_frame(items)
    assert tuple(frame.columns) == RELATIONSHIP_COLUMNS
    assert len(frame) == sum(len(r.history) for r in items)
    assert relationships_from_frame(frame) == tuple(items)
