"""Record fields: converters need no field name; the validator names the field.

Every converted field of every record class is checked: a bad value raises
:class:`InvalidValueError` whose message names that field and shows the value, the
placeholder the converters write never leaks, chained causes are kept, and the first
bad field (in field order) is the one reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from crmkit.domain import (
    Address,
    Complaint,
    ComplaintStep,
    ContactPoint,
    Customer,
    Demographics,
    Interaction,
    LifeEvent,
    Opportunity,
    PipelineStep,
    Relationship,
    StageChange,
)
from crmkit.domain import _common as cv
from crmkit.exceptions import InvalidValueError

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
GOOD: dict[type[Any], dict[str, Any]] = {
    Address: {"line": "1 Zand St"},
    ContactPoint: {"channel": "e-mail", "value": "a@b.ir"},
    Demographics: {},
    LifeEvent: {"kind": "moved", "on": "2024-01-01"},
    Customer: {"code": "C1", "name": "Sara"},
    StageChange: {"stage": "acquaintance", "on": "2024-01-01"},
    Relationship: {
        "customer_code": "C1",
        "history": [{"stage": "acquaintance", "on": "2024-01-01"}],
    },
    Interaction: {
        "customer_code": "C1",
        "at": T,
        "channel": "chat",
        "kind": "service",
        "phase": "after sale",
        "direction": "inbound",
    },
    ComplaintStep: {"stage": "received", "at": T},
    Complaint: {
        "complaint_id": "K1",
        "customer_code": "C1",
        "item_code": "P1",
        "steps": [{"stage": "received", "at": T}],
    },
    PipelineStep: {"stage": "prospecting", "on": "2024-01-01"},
    Opportunity: {
        "opportunity_id": "O1",
        "customer_code": "C1",
        "amount": 10.0,
        "probability": 0.5,
        "expected_close": "2024-09-01",
        "history": [{"stage": "prospecting", "on": "2024-01-01"}],
    },
}
# a value every converter refuses (not text, date, number, member or collection)
JUNK = object()
CASES = [(cls, a.name) for cls in GOOD for a in attrs.fields(cls) if a.converter is not None]


@pytest.mark.parametrize(("cls", "name"), CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
def test_a_bad_value_names_its_field(cls: type[Any], name: str) -> None:
    assert cls(**GOOD[cls]) is not None
    with pytest.raises(InvalidValueError) as info:
        cls(**{**GOOD[cls], name: JUNK})
    message = str(info.value)
    assert name in message
    assert "object object at" in message  # the value is shown
    assert cv.FIELD not in message


def test_the_cause_of_a_conversion_error_is_kept() -> None:
    with pytest.raises(InvalidValueError, match=r"^on='2024-13-01' is not an ISO date") as info:
        LifeEvent(kind="moved", on="2024-13-01")
    assert isinstance(info.value.__cause__, ValueError)


def test_the_first_bad_field_in_field_order_is_reported() -> None:
    with pytest.raises(InvalidValueError, match=r"^code="):
        Customer(code="", name="", kind="robot")
    with pytest.raises(InvalidValueError, match=r"^kind='robot'"):
        Customer(code="C1", name="Sara", kind="robot", status="asleep")


def test_nested_record_errors_name_the_nested_field() -> None:
    with pytest.raises(InvalidValueError, match=r"^on='1402-01-01' is before 1678-01-01"):
        Customer(code="C1", name="A", life_events=[{"kind": "moved", "on": "1402-01-01"}])
    with pytest.raises(InvalidValueError, match=r"^country='IRN' must be a two-letter"):
        Customer(code="C1", name="A", address={"line": "x", "country": "IRN"})


def test_a_generator_is_read_once_and_a_bad_item_still_reported() -> None:
    tags = (t for t in ["vip", 5])
    with pytest.raises(InvalidValueError, match=r"^tags=5 must be a non-empty string"):
        Customer(code="C1", name="A", tags=tags)  # type: ignore[arg-type]


def test_valid_records_never_hold_the_invalid_marker() -> None:
    for cls, kwargs in GOOD.items():
        record = cls(**kwargs)
        assert not any(isinstance(getattr(record, a.name), cv.Invalid) for a in attrs.fields(cls))
