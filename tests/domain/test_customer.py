"""Customer, contact points, demographics and life events."""

from __future__ import annotations

import datetime as dt
import pickle

import attrs
import pytest
from hypothesis import given

from crmkit import testing
from crmkit.domain import (
    ContactPoint,
    Customer,
    CustomerStatus,
    Demographics,
    LifeEvent,
    LifeEventKind,
)
from crmkit.exceptions import InvalidValueError, InvariantError, ValidationError


def test_code_is_kept_as_given_after_strip() -> None:
    assert Customer(code="  CUST-000042 ", name="A").code == "CUST-000042"


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_empty_or_non_text_code_names_the_field(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="code="):
        Customer(code=bad, name="A")


def test_frozen_and_picklable() -> None:
    c = Customer(code="C1", name="A")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        c.name = "B"  # type: ignore[misc]  # the point of the test
    assert pickle.loads(pickle.dumps(c)) == c


def test_contact_normalisation_email_and_phone() -> None:
    c = Customer(
        code="C1",
        name="A",
        contacts=[
            {"channel": "e-mail", "value": " Sara@Mail.IR "},
            ContactPoint(channel="mobile", value="۰۹۱۲ ۱۲۳ ۴۵۶۷", default_country_code="98"),
        ],
    )
    assert c.contact("e-mail") == ("sara@mail.ir",)
    assert c.contact("mobile") == ("+989121234567",)


def test_invalid_email_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="not a valid e-mail"):
        ContactPoint(channel="e-mail", value="sara@")


def test_unknown_channel_lists_choices() -> None:
    with pytest.raises(InvalidValueError, match="'e-mail'"):
        ContactPoint(channel="pigeon", value="x")


def test_demographics_birth_date_and_age_band_conflict() -> None:
    with pytest.raises(InvariantError, match="both birth_date"):
        Demographics(birth_date="1990-01-01", age_band="25-34")


def test_age_counts_birthdays_exactly() -> None:
    d = Demographics(birth_date="1990-06-15")
    assert d.age(dt.date(2020, 6, 14)) == 29
    assert d.age(dt.date(2020, 6, 15)) == 30


def test_organisation_cannot_have_demographics() -> None:
    with pytest.raises(InvariantError, match="organisation"):
        Customer(code="C1", name="Co", kind="organisation", demographics={"gender": "female"})


def test_life_events_apply_in_order_and_keep_history() -> None:
    c = Customer(code="C1", name="A")
    c2 = c.apply(LifeEvent(kind="moved", on="2020-01-01", detail="Tabriz"))
    c3 = c2.apply(LifeEvent(kind="marriage", on="2021-05-05"))
    assert [e.kind for e in c3.life_events] == [LifeEventKind.MOVED, LifeEventKind.MARRIAGE]
    assert c.life_events == ()  # the original is unchanged
    with pytest.raises(InvalidValueError, match="predates"):
        c3.apply(LifeEvent(kind="other", on="2019-01-01"))


def test_death_sets_deceased_and_blocks_further_events() -> None:
    c = Customer(code="C1", name="A").apply(LifeEvent(kind="death", on="2024-02-02"))
    assert c.status is CustomerStatus.DECEASED
    assert c.is_deceased
    with pytest.raises(InvalidValueError, match="deceased"):
        c.apply(LifeEvent(kind="moved", on="2024-03-01"))


def test_death_event_requires_deceased_status() -> None:
    with pytest.raises(InvariantError, match="deceased"):
        Customer(code="C1", name="A", life_events=[LifeEvent(kind="death", on="2024-01-01")])


def test_from_record_flat_row_and_typo() -> None:
    c = Customer.from_record(
        {"code": "C7", "name": "Reza", "phone": "0912 000 1111", "default_country_code": "98",
         "gender": "male", "tags": ["vip"], "segment": float("nan")}
    )  # fmt: skip
    assert c.contact("phone") == ("+989120001111",)
    assert c.demographics == Demographics(gender="male")
    assert c.segment is None
    with pytest.raises(InvalidValueError, match="unknown Customer field"):
        Customer.from_record({"code": "C7", "name": "Reza", "emial": "x@y.ir"})


def test_errors_are_validation_errors_and_value_errors() -> None:
    with pytest.raises(ValidationError):
        Customer(code="C1", name="A", status="zombie")
    with pytest.raises(ValueError, match="status="):
        Customer(code="C1", name="A", status="zombie")


@given(testing.customers())
def test_generated_customers_are_valid_and_evolve_identity(c: Customer) -> None:
    assert attrs.evolve(c) == c
    assert c.is_deceased == any(e.kind is LifeEventKind.DEATH for e in c.life_events)
