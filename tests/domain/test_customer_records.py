"""Customer records: JSON-safe to_record/from_record, identity rules, life-event updates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.codes import IRAN_NATIONAL_ID
from crmkit.domain import (
    Address,
    ContactPoint,
    Customer,
    CustomerStatus,
    Demographics,
    LifeEvent,
    MaritalStatus,
)
from crmkit.exceptions import InvalidValueError, InvariantError


def _json_trip(record: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(record, ensure_ascii=False))  # type: ignore[no-any-return]


# ------------------------------------------------------------------ to_record round trips


@settings(max_examples=60, deadline=None)
@given(testing.customers())
def test_customer_record_round_trips_through_json(c: Customer) -> None:
    rec = c.to_record()
    assert Customer.from_record(_json_trip(rec)) == c
    assert Customer.from_record(rec) == c


@given(testing.contact_points())
def test_contact_point_record_round_trips(p: ContactPoint) -> None:
    assert ContactPoint.from_record(_json_trip(p.to_record())) == p


@given(testing.demographics())
def test_demographics_record_round_trips(d: Demographics) -> None:
    assert Demographics.from_record(_json_trip(d.to_record())) == d


@given(testing.life_events(allow_death=True))
def test_life_event_record_round_trips(e: LifeEvent) -> None:
    assert LifeEvent.from_record(_json_trip(e.to_record())) == e


@given(testing.addresses())
def test_address_record_round_trips(a: Address) -> None:
    assert Address.from_record(_json_trip(a.to_record())) == a


def test_record_is_plain_json_values() -> None:
    c = Customer(
        code="C1", name="سارا احمدی", national_id="0499370899", acquired_on="2024-01-31",
        demographics={"birth_date": "1990-04-01", "gender": "female"}, marital_status="single",
        address={"line": "5 Hafez St", "city": "Shiraz", "country": "ir"},
        contacts=[{"channel": "e-mail", "value": "S@X.IR"}], acquisition_channel="web",
        life_events=[LifeEvent(kind="moved", on="2023-02-01", address="1 Zand St")],
    )  # fmt: skip
    rec = c.to_record()
    assert rec["acquired_on"] == "2024-01-31"
    assert rec["status"] == "active"
    assert rec["marital_status"] == "single"
    assert rec["demographics"] == {
        "birth_date": "1990-04-01", "age_band": None, "gender": "female", "income_band": None,
    }  # fmt: skip
    assert rec["address"] == {
        "line": "5 Hafez St", "city": "Shiraz", "postal_code": None, "country": "IR",
    }  # fmt: skip
    assert rec["contacts"] == [
        {"channel": "e-mail", "default_country_code": None, "value": "s@x.ir"}
    ]
    assert rec["life_events"][0]["address"]["line"] == "1 Zand St"  # type: ignore[index]
    assert list(rec) == [
        "code", "name", "kind", "demographics", "marital_status", "address", "contacts",
        "tags", "segment", "national_id", "acquired_on", "acquisition_channel", "status",
        "life_events", "aliases",
    ]  # fmt: skip
    json.dumps(rec)  # no TypeError on enums or dates


def test_from_record_refuses_both_nested_and_flat_demographics() -> None:
    with pytest.raises(InvalidValueError, match="demographic fields one way"):
        Customer.from_record(
            {"code": "C1", "name": "A", "demographics": {"gender": "male"}, "gender": "female"}
        )


# ------------------------------------------------------------------ identity rules


def test_email_case_variants_are_one_contact() -> None:
    c = Customer(
        code="C1",
        name="A",
        contacts=[
            {"channel": "e-mail", "value": "a@x.ir"},
            {"channel": "e-mail", "value": "A@X.IR"},
            {"channel": "mobile", "value": "۰۹۱۲۱۲۳۴۵۶۷", "default_country_code": "98"},
            {"channel": "mobile", "value": "+98 912 123 4567"},
        ],
    )
    assert [(p.channel.value, p.value) for p in c.contacts] == [
        ("e-mail", "a@x.ir"),
        ("mobile", "+989121234567"),
    ]
    assert c.contacts[1].default_country_code == "98"  # the first one is kept


def test_same_number_on_two_channels_is_kept_twice() -> None:
    c = Customer(
        code="C1",
        name="A",
        contacts=[
            {"channel": "phone", "value": "+989121234567"},
            {"channel": "mobile", "value": "+989121234567"},
        ],
    )
    assert len(c.contacts) == 2


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0499370899", "0499370899"),
        ("۰۴۹۹۳۷۰۸۹۹", "0499370899"),
        ("٠٤٩٩٣٧٠٨٩٩", "0499370899"),
        ("049-937089-9", "0499370899"),
        (" 049 937 0899 ", "0499370899"),
        ("DE-T22000129", "DE-T22000129"),
        ("P۱۲۳۴۵۶۷", "P1234567"),
    ],
)
def test_national_id_is_normalised(typed: str, stored: str) -> None:
    assert Customer(code="C1", name="A", national_id=typed).national_id == stored


@pytest.mark.parametrize("bad", ["1234", "0499370898", "1111111111", "04993708999"])
def test_invalid_all_digit_national_id_is_refused(bad: str) -> None:
    assert not IRAN_NATIONAL_ID.is_valid(bad)
    with pytest.raises(InvalidValueError, match=r"national_id=.*Iranian national ID.*prefix"):
        Customer(code="C1", name="A", national_id=bad)


@given(testing.national_ids())
def test_generated_national_ids_are_kept(nid: str) -> None:
    assert Customer(code="C1", name="A", national_id=nid).national_id == nid


@pytest.mark.parametrize("field", ["acquired_on"])
@pytest.mark.parametrize("value", ["1402-01-01", dt.date(1402, 1, 1), "1677-12-31"])
def test_solar_hijri_looking_dates_are_refused(field: str, value: object) -> None:
    with pytest.raises(InvalidValueError, match=r"before 1678-01-01.*Solar Hijri"):
        Customer.from_record({"code": "C1", "name": "A", field: value})


def test_dates_after_2261_are_refused_and_edges_accepted() -> None:
    with pytest.raises(InvalidValueError, match="after 2261-12-31"):
        LifeEvent(kind="other", on="2262-01-01")
    assert LifeEvent(kind="other", on="1678-01-01").on == dt.date(1678, 1, 1)
    assert LifeEvent(kind="other", on="2261-12-31").on == dt.date(2261, 12, 31)
    with pytest.raises(InvalidValueError, match=r"birth_date=.*Solar Hijri"):
        Demographics(birth_date="1369-05-01")


def test_address_forms() -> None:
    assert Customer(code="C1", name="A", address="  5  Hafez St ").address == Address(
        line="5 Hafez St"
    )
    with pytest.raises(InvalidValueError, match="country="):
        Address(line="x", country="Iran")
    with pytest.raises(InvalidValueError, match="address="):
        Customer(code="C1", name="A", address=5)  # type: ignore[arg-type]  # the point
    with pytest.raises(InvalidValueError, match="unknown Address field"):
        Address.from_record({"line": "x", "town": "y"})


def test_marital_status_is_for_persons() -> None:
    with pytest.raises(InvariantError, match=r"organisation.*marital_status"):
        Customer(code="C1", name="Co", kind="organisation", marital_status="married")
    with pytest.raises(InvalidValueError, match="marital_status="):
        Customer(code="C1", name="A", marital_status="complicated")


# ------------------------------------------------------------------ life-event updates


def test_moved_sets_the_address_and_a_move_without_one_clears_it() -> None:
    c = Customer(code="C1", name="A", address="old street 1")
    moved = c.apply(LifeEvent(kind="moved", on="2024-01-01", address={"line": "new 2"}))
    assert moved.address == Address(line="new 2")
    assert c.address == Address(line="old street 1")  # the original is unchanged
    unknown = moved.apply(LifeEvent(kind="moved", on="2024-06-01", detail="abroad"))
    assert unknown.address is None
    assert [e.kind.value for e in unknown.life_events] == ["moved", "moved"]


def test_marriage_divorce_and_income_change_update_their_fields() -> None:
    c = Customer(code="C1", name="A", demographics={"gender": "female", "income_band": "Q1"})
    c = c.apply(LifeEvent(kind="marriage", on="2020-01-01"))
    assert c.marital_status is MaritalStatus.MARRIED
    c = c.apply(LifeEvent(kind="income change", on="2021-01-01", income_band="Q3"))
    assert c.demographics == Demographics(gender="female", income_band="Q3")
    c = c.apply(LifeEvent(kind="divorce", on="2022-01-01"))
    assert c.marital_status is MaritalStatus.DIVORCED
    c = c.apply(LifeEvent(kind="birth of a child", on="2023-01-01"))
    assert c.marital_status is MaritalStatus.DIVORCED
    c = c.apply(LifeEvent(kind="death", on="2024-01-01"))
    assert c.status is CustomerStatus.DECEASED
    assert len(c.life_events) == 5


def test_income_change_without_band_clears_it() -> None:
    c = Customer(code="C1", name="A", demographics={"income_band": "Q1"})
    assert c.apply(LifeEvent(kind="income change", on="2021-01-01")).demographics is None


def test_marriage_of_an_organisation_is_refused() -> None:
    org = Customer(code="C1", name="Co", kind="organisation")
    with pytest.raises(InvariantError, match="organisation"):
        org.apply(LifeEvent(kind="marriage", on="2020-01-01"))


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("marriage", {"address": "x 1"}), ("moved", {"income_band": "Q1"}),
     ("death", {"address": "x 1"})],
)  # fmt: skip
def test_event_values_belong_to_their_kind(kind: str, extra: dict[str, str]) -> None:
    with pytest.raises(InvariantError, match=f"{next(iter(extra))}="):
        LifeEvent(kind=kind, on="2020-01-01", **extra)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(testing.customers(), st.lists(testing.life_events(), max_size=4))
def test_apply_keeps_history_and_sets_fields(c: Customer, events: list[LifeEvent]) -> None:
    if c.is_deceased:
        return
    start = c.life_events[-1].on if c.life_events else dt.date(1900, 1, 1)
    events = sorted((e for e in events if e.on >= start), key=lambda e: e.on)
    out = c
    for e in events:
        try:
            out = out.apply(e)
        except InvariantError:  # a marriage or an income change of an organisation
            assert c.kind.value == "organisation"
            return
    assert out.life_events == (*c.life_events, *events)
    moves = [e for e in events if e.kind.value == "moved"]
    assert out.address == (moves[-1].address if moves else c.address)
    marital = [e for e in events if e.kind.value in ("marriage", "divorce")]
    if marital:
        expected = "married" if marital[-1].kind.value == "marriage" else "divorced"
        assert out.marital_status is not None
        assert out.marital_status.value == expected
