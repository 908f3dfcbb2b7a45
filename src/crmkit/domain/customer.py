"""Customers, their contact points, demographics and life events.

A :class:`Customer` is an immutable value: changing one (a new address, a life event,
a merge) returns a new object. The customer's ``code`` is the unique identifier the
organisation's code registry gives it (:class:`crmkit.codes.CodeRegistry`); this
module accepts any non-empty code string as given (surrounding
whitespace removed) and does not re-check it against a scheme.

Life events are the record updates CRM data-quality practice names (moving, income change,
marriage, birth of a child, death): :meth:`Customer.apply` returns the updated customer
with the event appended to its history; a death sets the status to ``deceased``.

Examples
--------
>>> import datetime as dt
>>> c = Customer(
...     code="CUST-000042",
...     name="Sara Ahmadi",
...     kind="person",
...     contacts=[ContactPoint(channel="e-mail", value="Sara@Mail.IR")],
... )
>>> c.contacts[0].value
'sara@mail.ir'
>>> moved = c.apply(LifeEvent(kind="moved", on=dt.date(2024, 5, 1), detail="Shiraz"))
>>> [e.kind.value for e in moved.life_events], c.life_events
(['moved'], ())
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from crmkit.domain import _common as cv
from crmkit.domain.interaction import Channel
from crmkit.domain.quality.normalize import normalize_email, normalize_phone
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = [
    "ContactPoint",
    "Customer",
    "CustomerKind",
    "CustomerStatus",
    "Demographics",
    "Gender",
    "LifeEvent",
    "LifeEventKind",
]


class CustomerKind(enum.Enum):
    """Whether the customer is a person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerStatus(enum.Enum):
    """Record status: ``prospect`` (no purchase yet), ``active``, ``inactive``, ``deceased``."""

    PROSPECT = "prospect"
    ACTIVE = "active"
    INACTIVE = "inactive"
    DECEASED = "deceased"


class Gender(enum.Enum):
    """Gender as recorded (one of the usual demographic fields: age, gender, income)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class LifeEventKind(enum.Enum):
    """Life events that require a record update, in the customary order."""

    MOVED = "moved"
    INCOME_CHANGE = "income change"
    MARRIAGE = "marriage"
    BIRTH_OF_CHILD = "birth of a child"
    DEATH = "death"
    OTHER = "other"


def _contact_value(channel: Channel, value: str, default_country_code: str | None) -> str:
    if channel is Channel.EMAIL:
        return normalize_email(value)
    if channel in (Channel.PHONE, Channel.MOBILE, Channel.FAX):
        return normalize_phone(value, default_country_code=default_country_code)
    return value


# Named converters (the mypy attrs plugin needs named functions, not factories).
def _date_on(value: Any) -> dt.date:
    return cv.date("on")(value)


def _member_channel(value: Any) -> Channel:
    return cv.member(Channel, "channel")(value)


def _member_event_kind(value: Any) -> LifeEventKind:
    return cv.member(LifeEventKind, "kind")(value)


def _member_kind(value: Any) -> CustomerKind:
    return cv.member(CustomerKind, "kind")(value)


def _member_status(value: Any) -> CustomerStatus:
    return cv.member(CustomerStatus, "status")(value)


def _optional_date_acquired_on(value: Any) -> dt.date | None:
    return cv.optional_date("acquired_on")(value)


def _optional_date_birth_date(value: Any) -> dt.date | None:
    return cv.optional_date("birth_date")(value)


def _optional_member_acquisition_channel(value: Any) -> Channel | None:
    return cv.optional_member(Channel, "acquisition_channel")(value)


def _optional_member_gender(value: Any) -> Gender | None:
    return cv.optional_member(Gender, "gender")(value)


def _text_value(value: Any) -> str:
    return cv.text("value")(value)


def _optional_text_age_band(value: Any) -> str | None:
    return cv.optional_text("age_band")(value)


def _optional_text_default_country_code(value: Any) -> str | None:
    return cv.optional_text("default_country_code")(value)


def _optional_text_detail(value: Any) -> str | None:
    return cv.optional_text("detail")(value)


def _optional_text_income_band(value: Any) -> str | None:
    return cv.optional_text("income_band")(value)


def _optional_text_national_id(value: Any) -> str | None:
    return cv.optional_text("national_id")(value)


def _optional_text_segment(value: Any) -> str | None:
    return cv.optional_text("segment")(value)


def _text_code(value: Any) -> str:
    return cv.text("code")(value)


def _text_name(value: Any) -> str:
    return cv.text("name")(value)


def _text_tuple_aliases(value: Any) -> tuple[str, ...]:
    return cv.text_tuple("aliases")(value)


def _text_tuple_tags(value: Any) -> tuple[str, ...]:
    return cv.text_tuple("tags")(value)


def _tuple_of_contacts(value: Any) -> tuple[ContactPoint, ...]:
    return cv.tuple_of(ContactPoint, "contacts")(value)


def _tuple_of_life_events(value: Any) -> tuple[LifeEvent, ...]:
    return cv.tuple_of(LifeEvent, "life_events")(value)


@attrs.frozen(kw_only=True)
class ContactPoint:
    """One way to reach a customer: a channel and an address/number on it.

    E-mail values are normalised and validated with
    :func:`~crmkit.domain.quality.normalize_email`; phone, mobile and fax values with
    :func:`~crmkit.domain.quality.normalize_phone` (E.164).

    Parameters
    ----------
    channel : Channel or str
        ``"e-mail"``, ``"phone"``, ``"mobile"``, ``"fax"``, ``"mail"`` (postal) ...
    value : str
        The address or number.
    default_country_code : str, optional
        Used only to normalise national phone numbers (``"98"`` for Iran); not stored in
        the normalised value's meaning, kept for provenance.

    Raises
    ------
    InvalidValueError
        Unknown channel, empty value, invalid e-mail or phone number.

    Examples
    --------
    >>> ContactPoint(channel="mobile", value="۰۹۱۲۱۲۳۴۵۶۷", default_country_code="98").value
    '+989121234567'
    """

    channel: Channel = attrs.field(converter=_member_channel)
    default_country_code: str | None = attrs.field(
        default=None, converter=_optional_text_default_country_code
    )
    value: str = attrs.field(converter=_text_value)

    def __attrs_post_init__(self) -> None:
        # Normalising depends on the channel, so it runs after every field is set.
        clean = _contact_value(self.channel, self.value, self.default_country_code)
        object.__setattr__(self, "value", clean)  # frozen: the attrs-documented idiom

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ContactPoint:
        """Build from a mapping with keys ``channel``, ``value`` [, ``default_country_code``]."""
        return cls(**_pick(record, ("channel", "value", "default_country_code"), cls))


@attrs.frozen(kw_only=True)
class Demographics:
    """Optional demographic fields: birth date or age band, gender, income band.

    Parameters
    ----------
    birth_date : datetime.date, optional
    age_band : str, optional
        A label such as ``"25-34"``; use either this or ``birth_date``.
    gender : Gender or str, optional
    income_band : str, optional
        A label in the user's scheme (e.g. ``"Q3"``).

    Raises
    ------
    InvariantError
        If both ``birth_date`` and ``age_band`` are given (one would go stale).

    Examples
    --------
    >>> Demographics(birth_date="1990-04-01", gender="female").birth_date
    datetime.date(1990, 4, 1)
    """

    birth_date: dt.date | None = attrs.field(default=None, converter=_optional_date_birth_date)
    age_band: str | None = attrs.field(default=None, converter=_optional_text_age_band)
    gender: Gender | None = attrs.field(default=None, converter=_optional_member_gender)
    income_band: str | None = attrs.field(default=None, converter=_optional_text_income_band)

    def __attrs_post_init__(self) -> None:
        if self.birth_date is not None and self.age_band is not None:
            raise InvariantError(
                f"both birth_date={self.birth_date} and age_band={self.age_band!r} were "
                "given; keep the birth date (the age band is derived from it)."
            )

    def age(self, as_of: dt.date | str) -> int | None:
        """Age in whole years on ``as_of`` (``None`` without a birth date).

        Raises
        ------
        InvalidValueError
            If ``as_of`` is not a date (or ISO date text) or precedes the birth date.

        Examples
        --------
        >>> import datetime as dt
        >>> Demographics(birth_date="2000-02-29").age(dt.date(2018, 2, 28))
        17
        """
        when = cv.date("as_of")(as_of)
        if self.birth_date is None:
            return None
        b = self.birth_date
        if when < b:
            raise InvalidValueError(
                f"as_of={when} is before the birth date {b}; pass a later date."
            )
        return when.year - b.year - ((when.month, when.day) < (b.month, b.day))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Demographics:
        """Build from a mapping with any of the field names as keys."""
        return cls(**_pick(record, ("birth_date", "age_band", "gender", "income_band"), cls))


@attrs.frozen(kw_only=True)
class LifeEvent:
    """A dated life event that changes what the organisation should know about a customer.

    Parameters
    ----------
    kind : LifeEventKind or str
        ``"moved"``, ``"income change"``, ``"marriage"``, ``"birth of a child"``,
        ``"death"`` or ``"other"``.
    on : datetime.date
        When it happened.
    detail : str, optional
        Free text (new city, new income band ...).

    Examples
    --------
    >>> LifeEvent(kind="marriage", on="2023-06-10").kind
    <LifeEventKind.MARRIAGE: 'marriage'>
    """

    kind: LifeEventKind = attrs.field(converter=_member_event_kind)
    on: dt.date = attrs.field(converter=_date_on)
    detail: str | None = attrs.field(default=None, converter=_optional_text_detail)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LifeEvent:
        """Build from a mapping with keys ``kind``, ``on`` [, ``detail``]."""
        return cls(**_pick(record, ("kind", "on", "detail"), cls))


def _demographics(value: Any) -> Demographics | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = Demographics.from_record(value)
    if not isinstance(value, Demographics):
        raise InvalidValueError(f"demographics={value!r} must be a Demographics or a mapping.")
    return None if value == Demographics() else value


def _events_sorted(instance: Customer, attribute: Any, value: tuple[LifeEvent, ...]) -> None:
    del instance, attribute
    dates = [e.on for e in value]
    if dates != sorted(dates):
        raise InvariantError(
            f"life_events must be in date order, got dates {[d.isoformat() for d in dates]}; "
            "sort them or add events with Customer.apply()."
        )
    deaths = [e for e in value if e.kind is LifeEventKind.DEATH]
    if deaths and value[-1] is not deaths[0]:
        raise InvariantError(
            f"a death on {deaths[0].on} must be the last life event; remove later events."
        )


@attrs.frozen(kw_only=True)
class Customer:
    """A customer record.

    Parameters
    ----------
    code : str
        Unique customer code from the code registry (e.g. ``"CUST-000042"``).
    name : str
        Person or organisation name as entered (use
        :func:`~crmkit.domain.quality.normalize_name` to compare names).
    kind : CustomerKind or str, default ``"person"``
    demographics : Demographics or mapping, optional
        Only for persons; an all-empty one is stored as ``None``.
    contacts : tuple of ContactPoint
    tags : tuple of str
        Free labels; duplicates are removed, first-seen order kept.
    segment : str, optional
    national_id : str, optional
        National identification number (used as an exact duplicate key).
    acquired_on : datetime.date, optional
        Date of acquisition (first contact that made them a customer or prospect).
    acquisition_channel : Channel or str, optional
    status : CustomerStatus or str, default ``"active"``
    life_events : tuple of LifeEvent
        In date order; a death must be last and implies ``status="deceased"``.
    aliases : tuple of str
        Codes of records merged into this one (see
        :func:`~crmkit.domain.quality.merge_customers`).

    Raises
    ------
    InvalidValueError
        For any invalid field; the message names the field and value.
    InvariantError
        Demographics on an organisation, events out of order, a death without
        ``deceased`` status, or the own code listed among the aliases.

    Examples
    --------
    >>> Customer(code="C1", name="Parsian Co", kind="organisation").kind.value
    'organisation'
    """

    code: str = attrs.field(converter=_text_code)
    name: str = attrs.field(converter=_text_name)
    kind: CustomerKind = attrs.field(default=CustomerKind.PERSON, converter=_member_kind)
    demographics: Demographics | None = attrs.field(default=None, converter=_demographics)
    contacts: tuple[ContactPoint, ...] = attrs.field(default=(), converter=_tuple_of_contacts)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_text_tuple_tags)
    segment: str | None = attrs.field(default=None, converter=_optional_text_segment)
    national_id: str | None = attrs.field(default=None, converter=_optional_text_national_id)
    acquired_on: dt.date | None = attrs.field(default=None, converter=_optional_date_acquired_on)
    acquisition_channel: Channel | None = attrs.field(
        default=None, converter=_optional_member_acquisition_channel
    )
    status: CustomerStatus = attrs.field(default=CustomerStatus.ACTIVE, converter=_member_status)
    life_events: tuple[LifeEvent, ...] = attrs.field(
        default=(), converter=_tuple_of_life_events, validator=_events_sorted
    )
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_text_tuple_aliases)

    def __attrs_post_init__(self) -> None:
        if self.kind is CustomerKind.ORGANISATION and self.demographics is not None:
            raise InvariantError(
                f"customer {self.code!r} is an organisation but has demographics; "
                "demographics apply to persons only."
            )
        dead = any(e.kind is LifeEventKind.DEATH for e in self.life_events)
        if dead and self.status is not CustomerStatus.DECEASED:
            raise InvariantError(
                f"customer {self.code!r} has a death event but status={self.status.value!r}; "
                "a recorded death implies status='deceased'."
            )
        if self.code in self.aliases:
            raise InvariantError(f"customer {self.code!r} lists its own code among aliases.")

    @property
    def is_deceased(self) -> bool:
        """True when the customer's status is ``deceased``."""
        return self.status is CustomerStatus.DECEASED

    def contact(self, channel: Channel | str) -> tuple[str, ...]:
        """Values of every contact point on ``channel``.

        Examples
        --------
        >>> c = Customer(code="C1", name="A", contacts=[{"channel": "e-mail", "value": "a@b.ir"}])
        >>> c.contact("e-mail")
        ('a@b.ir',)
        """
        ch = cv.member(Channel, "channel")(channel)
        return tuple(p.value for p in self.contacts if p.channel is ch)

    def apply(self, event: LifeEvent) -> Customer:
        """Return the customer updated by a life event, with the event in its history.

        A ``death`` sets ``status`` to ``deceased``; end the customer's relationships
        with :meth:`crmkit.domain.Relationship.end_by_death`.

        Raises
        ------
        InvalidValueError
            If the customer is already deceased, ``event`` is not a :class:`LifeEvent`,
            or the event predates the latest recorded one (apply events in date order).

        Examples
        --------
        >>> c = Customer(code="C1", name="A").apply(LifeEvent(kind="death", on="2024-01-02"))
        >>> c.status.value, len(c.life_events)
        ('deceased', 1)
        """
        if not isinstance(event, LifeEvent):
            raise InvalidValueError(f"event={event!r} must be a LifeEvent.")
        if self.is_deceased:
            raise InvalidValueError(
                f"customer {self.code!r} is deceased; no further life events can be applied."
            )
        if self.life_events and event.on < self.life_events[-1].on:
            raise InvalidValueError(
                f"event on {event.on} predates the latest recorded event "
                f"({self.life_events[-1].on}); apply events in date order."
            )
        status = CustomerStatus.DECEASED if event.kind is LifeEventKind.DEATH else self.status
        return attrs.evolve(self, life_events=(*self.life_events, event), status=status)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Customer:
        """Build a customer from a flat mapping (a CSV row, a JSON object).

        Keys are the field names; ``demographics`` may be a nested mapping or the flat
        keys ``birth_date``, ``age_band``, ``gender``, ``income_band``; ``email`` and
        ``phone`` (with optional ``default_country_code``) become contact points.
        Missing values (``None``, NaN, empty strings) count as absent.

        Raises
        ------
        InvalidValueError
            For unknown keys (typos are not silently ignored) or invalid values.

        Examples
        --------
        >>> row = {"code": "C7", "name": "Reza", "email": "R@x.ir", "birth_date": "1980-01-31"}
        >>> c = Customer.from_record(row)
        >>> c.contact("e-mail"), c.demographics.birth_date.year
        (('r@x.ir',), 1980)
        """
        flat_demo = ("birth_date", "age_band", "gender", "income_band")
        fields = tuple(a.name for a in attrs.fields(cls))
        known = set(fields) | set(flat_demo) | {"email", "phone", "default_country_code"}
        record = cv.record_dict(cls, record)
        cv.check_keys(cls, record, sorted(known))
        kw = {k: record[k] for k in fields if k in record and not _missing(record[k])}
        demo = {k: record[k] for k in flat_demo if k in record and not _missing(record[k])}
        if demo and "demographics" not in kw:
            kw["demographics"] = Demographics.from_record(demo)
        contacts = cv.items("contacts", kw.get("contacts", ()))
        cc = record.get("default_country_code")
        cc = None if _missing(cc) else cc
        for key, channel in (("email", Channel.EMAIL), ("phone", Channel.PHONE)):
            if key in record and not _missing(record[key]):
                contacts.append(
                    ContactPoint(channel=channel, value=record[key], default_country_code=cc)
                )
        if contacts:
            kw["contacts"] = contacts
        return cv.construct(cls, kw)


def _missing(value: Any) -> bool:
    return cv.is_missing(value) or (isinstance(value, str) and not value.strip())


def _pick(record: Mapping[str, Any], keys: tuple[str, ...], cls: type) -> dict[str, Any]:
    rec = cv.record_dict(cls, record)
    cv.check_keys(cls, rec, keys)
    return rec
