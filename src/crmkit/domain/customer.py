"""Customers, their contact points, addresses, demographics and life events.

A :class:`Customer` is an immutable value: changing one (a new address, a life event,
a merge) returns a new object. The customer's ``code`` is the unique identifier the
organisation's code registry gives it (:class:`crmkit.codes.CodeRegistry`); this
module accepts any non-empty code string as given (surrounding
whitespace removed) and does not re-check it against a scheme.

Identity rules (what makes two values "the same"):

* e-mail addresses are stored case-folded (``A@X.IR`` is stored as ``a@x.ir``);
  phone, mobile and fax numbers in E.164 form; a customer's contact points are
  de-duplicated on (channel, normalised value), first one kept;
* a national ID written only with digits (Persian, Arabic-Indic or ASCII, with optional
  spaces, dashes or dots) is an Iranian national ID (*kod-e melli*): it is checked with
  :data:`crmkit.codes.IRAN_NATIONAL_ID` (10 digits and the check digit) and stored as
  its 10 ASCII digits. An ID that contains letters (a passport number, a foreign ID
  written with its ISO 3166 country prefix such as ``"DE-T22000129"``) is kept as
  written, digits made ASCII; write an all-digit foreign ID with such a prefix;
* dates are Gregorian and lie between 1678-01-01 and 2261-12-31: a Solar Hijri date
  such as ``1402-01-01`` is refused with a message to convert it first.

Life events are the record updates CRM data-quality practice names (moving, income change,
marriage, birth of a child, death; divorce added): :meth:`Customer.apply` returns the
updated customer with the event appended to its history. Each event kind updates its
field: ``moved`` sets the :class:`Address` the event carries, ``income change`` the
income band, ``marriage`` / ``divorce`` the :class:`MaritalStatus`, ``death`` the
status. Every domain object has ``to_record()`` (a JSON-safe dict) and
``from_record()`` (its inverse).

Examples
--------
>>> import datetime as dt, json
>>> c = Customer(
...     code="CUST-000042",
...     name="Sara Ahmadi",
...     kind="person",
...     contacts=[
...         ContactPoint(channel="e-mail", value="Sara@Mail.IR"),
...         {"channel": "e-mail", "value": "sara@mail.ir"},
...     ],
... )
>>> [p.value for p in c.contacts]
['sara@mail.ir']
>>> moved = c.apply(
...     LifeEvent(
...         kind="moved", on=dt.date(2024, 5, 1), address={"line": "12 Zand St", "city": "Shiraz"}
...     )
... )
>>> moved.address.city, [e.kind.value for e in moved.life_events], c.life_events
('Shiraz', ['moved'], ())
>>> Customer.from_record(json.loads(json.dumps(moved.to_record()))) == moved
True
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from crmkit._text import normalize_text, strip_code_separators
from crmkit.codes import IRAN_NATIONAL_ID
from crmkit.codes._base import show
from crmkit.domain import _common as cv
from crmkit.domain._address import Address, to_optional_address
from crmkit.domain._records import to_record as _to_record
from crmkit.domain.interaction import Channel, to_channel, to_optional_channel
from crmkit.domain.quality.normalize import normalize_email, normalize_phone
from crmkit.exceptions import CrmkitError, InvalidValueError, InvariantError

__all__ = [
    "Address",
    "ContactPoint",
    "Customer",
    "CustomerKind",
    "CustomerStatus",
    "Demographics",
    "Gender",
    "LifeEvent",
    "LifeEventKind",
    "MaritalStatus",
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


class MaritalStatus(enum.Enum):
    """Marital status of a person (set directly, or by a marriage or divorce event)."""

    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class LifeEventKind(enum.Enum):
    """Life events that require a record update, in the customary order (divorce added)."""

    MOVED = "moved"
    INCOME_CHANGE = "income change"
    MARRIAGE = "marriage"
    DIVORCE = "divorce"
    BIRTH_OF_CHILD = "birth of a child"
    DEATH = "death"
    OTHER = "other"


def _contact_value(channel: Channel, value: str, default_country_code: str | None) -> str:
    if channel is Channel.EMAIL:
        return normalize_email(value)
    if channel in (Channel.PHONE, Channel.MOBILE, Channel.FAX):
        return normalize_phone(value, default_country_code=default_country_code)
    return value


# Converters of the enum and record fields: they need no field name (the validator
# cv.named names the field); the shared ones (text, dates ...) live in domain._common.
def _to_event_kind(value: LifeEventKind | str) -> LifeEventKind:
    return cv.to_member(LifeEventKind, value)


def _to_kind(value: CustomerKind | str) -> CustomerKind:
    return cv.to_member(CustomerKind, value)


def _to_status(value: CustomerStatus | str) -> CustomerStatus:
    return cv.to_member(CustomerStatus, value)


def _to_marital_status(value: MaritalStatus | str | None) -> MaritalStatus | None:
    return cv.to_optional_member(MaritalStatus, value)


def _to_gender(value: Gender | str | None) -> Gender | None:
    return cv.to_optional_member(Gender, value)


def check_national_id(field: str, value: Any) -> str | None:
    text = cv.check_optional_text(field, value)
    if text is None:
        return None
    text = normalize_text(text)
    compact = strip_code_separators(text)
    if not (compact.isascii() and compact.isdigit()):
        return text  # letters: a foreign ID or passport number, kept as written
    try:
        return IRAN_NATIONAL_ID.validate(compact)
    except CrmkitError as exc:
        raise InvalidValueError(
            f"{field}={show(value)} is written only with digits, so it is read as an "
            f"Iranian national ID, and it is not one: {exc} For another country's ID, "
            "write it with its ISO 3166 country prefix (e.g. 'DE-12345678')."
        ) from exc


def _to_national_id(value: str | None) -> str | None:
    return cv.soft(check_national_id, value)


def _to_contacts(
    value: Iterable[ContactPoint | Mapping[str, Any]] | None,
) -> tuple[ContactPoint, ...]:
    points = cv.to_records(ContactPoint, value)
    if isinstance(points, cv.Invalid):
        return points  # the validator raises its error
    # one entry per (channel, normalised value): 'A@X.IR' and 'a@x.ir' are one address
    return tuple({(p.channel, p.value): p for p in reversed(points)}.values())[::-1]


def _to_life_events(
    value: Iterable[LifeEvent | Mapping[str, Any]] | None,
) -> tuple[LifeEvent, ...]:
    return cv.to_records(LifeEvent, value)


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

    channel: Channel = attrs.field(converter=to_channel, validator=cv.named)
    default_country_code: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    value: str = attrs.field(converter=cv.to_text, validator=cv.named)

    def __attrs_post_init__(self) -> None:
        # Normalising depends on the channel, so it runs after every field is set.
        clean = _contact_value(self.channel, self.value, self.default_country_code)
        object.__setattr__(self, "value", clean)  # frozen: the attrs-documented idiom

    def to_record(self) -> dict[str, Any]:
        """JSON-safe record: ``channel`` (its value), ``default_country_code``, ``value``.

        Examples
        --------
        >>> ContactPoint(channel="e-mail", value="A@X.IR").to_record()
        {'channel': 'e-mail', 'default_country_code': None, 'value': 'a@x.ir'}
        """
        return _to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ContactPoint:
        """Build from a mapping with keys ``channel``, ``value`` [, ``default_country_code``]."""
        return cv.construct(cls, _pick(record, ("channel", "value", "default_country_code"), cls))


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

    birth_date: dt.date | None = attrs.field(
        default=None, converter=cv.to_optional_date, validator=cv.named
    )
    age_band: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    gender: Gender | None = attrs.field(default=None, converter=_to_gender, validator=cv.named)
    income_band: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )

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

    def to_record(self) -> dict[str, Any]:
        """JSON-safe record (dates as ISO text, the gender as its value).

        Examples
        --------
        >>> Demographics(birth_date="1990-04-01", gender="female").to_record()
        {'birth_date': '1990-04-01', 'age_band': None, 'gender': 'female', 'income_band': None}
        """
        return _to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Demographics:
        """Build from a mapping with any of the field names as keys."""
        return cls(**_pick(record, ("birth_date", "age_band", "gender", "income_band"), cls))


@attrs.frozen(kw_only=True)
class LifeEvent:
    """A dated life event that changes what the organisation should know about a customer.

    Events that change a field carry the new value: ``moved`` the new ``address``,
    ``income change`` the new ``income_band``; ``marriage`` and ``divorce`` imply the
    new marital status and ``death`` the status, so they carry nothing.
    :meth:`Customer.apply` makes the update.

    Parameters
    ----------
    kind : LifeEventKind or str
        ``"moved"``, ``"income change"``, ``"marriage"``, ``"divorce"``,
        ``"birth of a child"``, ``"death"`` or ``"other"``.
    on : datetime.date or str
        When it happened (Gregorian; ISO text accepted).
    detail : str, optional
        Free text.
    address : Address, mapping or str, optional
        The new address; only for ``moved``.
    income_band : str, optional
        The new income band; only for ``income change``.

    Raises
    ------
    InvariantError
        If ``address`` or ``income_band`` is given for another kind of event.

    Examples
    --------
    >>> LifeEvent(kind="marriage", on="2023-06-10").kind
    <LifeEventKind.MARRIAGE: 'marriage'>
    >>> rec = LifeEvent(kind="moved", on="2024-05-01", address="5 Hafez St").to_record()
    >>> rec["on"], rec["address"]["line"]
    ('2024-05-01', '5 Hafez St')
    """

    kind: LifeEventKind = attrs.field(converter=_to_event_kind, validator=cv.named)
    on: dt.date = attrs.field(converter=cv.to_date, validator=cv.named)
    detail: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    address: Address | None = attrs.field(
        default=None, converter=to_optional_address, validator=cv.named
    )
    income_band: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )

    def __attrs_post_init__(self) -> None:
        carried = (
            ("address", self.address, LifeEventKind.MOVED),
            ("income_band", self.income_band, LifeEventKind.INCOME_CHANGE),
        )
        for name, value, kind in carried:
            if value is not None and self.kind is not kind:
                raise InvariantError(
                    f"a {self.kind.value!r} event cannot carry {name}={value!r}; only a "
                    f"{kind.value!r} event does. Use kind={kind.value!r} or put the text in "
                    "detail."
                )

    def to_record(self) -> dict[str, Any]:
        """JSON-safe record (kind as its value, ``on`` as ISO text, address nested)."""
        return _to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LifeEvent:
        """Build from a mapping with keys ``kind``, ``on`` and any optional field."""
        keys = ("kind", "on", "detail", "address", "income_band")
        return cv.construct(cls, _pick(record, keys, cls))


def _check_demographics(field: str, value: Any) -> Demographics | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = Demographics.from_record(value)
    if not isinstance(value, Demographics):
        raise InvalidValueError(f"{field}={show(value)} must be a Demographics or a mapping.")
    return None if value == Demographics() else value


def _to_demographics(value: Demographics | Mapping[str, Any] | None) -> Demographics | None:
    return cv.soft(_check_demographics, value)


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
    marital_status : MaritalStatus or str, optional
        Only for persons.
    address : Address, mapping or str, optional
        Postal address; text becomes ``Address(line=text)``.
    contacts : iterable of ContactPoint or mapping
        De-duplicated on (channel, normalised value), first one kept: ``A@X.IR`` and
        ``a@x.ir`` are one e-mail address.
    tags : iterable of str
        Free labels; duplicates are removed, first-seen order kept.
    segment : str, optional
    national_id : str, optional
        National identification number, an exact duplicate key. All-digit IDs are
        Iranian national IDs, validated and stored as 10 ASCII digits; IDs with letters
        are kept as written (see the module notes).
    acquired_on : datetime.date or str, optional
        Date of acquisition (first contact that made them a customer or prospect).
    acquisition_channel : Channel or str, optional
    status : CustomerStatus or str, default ``"active"``
    life_events : iterable of LifeEvent or mapping
        In date order; a death must be last and implies ``status="deceased"``.
    aliases : iterable of str
        Codes of records merged into this one (see
        :func:`~crmkit.domain.quality.merge_customers`).

    Raises
    ------
    InvalidValueError
        For any invalid field; the message names the field and value.
    InvariantError
        Demographics or a marital status on an organisation, events out of order, a
        death without ``deceased`` status, or the own code listed among the aliases.

    Examples
    --------
    >>> Customer(code="C1", name="Parsian Co", kind="organisation").kind.value
    'organisation'
    >>> Customer(code="C2", name="Sara", national_id="۰۴۹۹-۳۷۰۸۹۹").national_id
    '0499370899'
    >>> Customer(code="C3", name="Reza", national_id="1234")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: national_id='1234' is written only with digits, ...
    """

    code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    name: str = attrs.field(converter=cv.to_text, validator=cv.named)
    kind: CustomerKind = attrs.field(
        default=CustomerKind.PERSON, converter=_to_kind, validator=cv.named
    )
    demographics: Demographics | None = attrs.field(
        default=None, converter=_to_demographics, validator=cv.named
    )
    marital_status: MaritalStatus | None = attrs.field(
        default=None, converter=_to_marital_status, validator=cv.named
    )
    address: Address | None = attrs.field(
        default=None, converter=to_optional_address, validator=cv.named
    )
    contacts: tuple[ContactPoint, ...] = attrs.field(
        default=(), converter=_to_contacts, validator=cv.named
    )
    tags: tuple[str, ...] = attrs.field(default=(), converter=cv.to_text_tuple, validator=cv.named)
    segment: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    national_id: str | None = attrs.field(
        default=None, converter=_to_national_id, validator=cv.named
    )
    acquired_on: dt.date | None = attrs.field(
        default=None, converter=cv.to_optional_date, validator=cv.named
    )
    acquisition_channel: Channel | None = attrs.field(
        default=None, converter=to_optional_channel, validator=cv.named
    )
    status: CustomerStatus = attrs.field(
        default=CustomerStatus.ACTIVE, converter=_to_status, validator=cv.named
    )
    life_events: tuple[LifeEvent, ...] = attrs.field(
        default=(), converter=_to_life_events, validator=[cv.named, _events_sorted]
    )
    aliases: tuple[str, ...] = attrs.field(
        default=(), converter=cv.to_text_tuple, validator=cv.named
    )

    def __attrs_post_init__(self) -> None:
        if self.kind is CustomerKind.ORGANISATION:
            for name in ("demographics", "marital_status"):
                value = getattr(self, name)
                if value is not None:
                    raise InvariantError(
                        f"customer {self.code!r} is an organisation but has {name}="
                        f"{show(value)}; {name} apply to persons only."
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

        Updates by kind: ``moved`` sets ``address`` to the event's address (an event
        without one clears it: the old address is known to be out of date);
        ``income change`` sets the income band the same way; ``marriage`` sets
        ``marital_status`` to married, ``divorce`` to divorced; ``death`` sets
        ``status`` to deceased (end the customer's relationships with
        :meth:`crmkit.domain.Relationship.end_by_death`). ``birth of a child`` and
        ``other`` are recorded only.

        Raises
        ------
        InvalidValueError
            If the customer is already deceased, ``event`` is not a :class:`LifeEvent`,
            or the event predates the latest recorded one (apply events in date order).
        InvariantError
            If the update does not fit the customer (a marriage of an organisation).

        Examples
        --------
        >>> c = Customer(code="C1", name="A", marital_status="single")
        >>> c = c.apply(LifeEvent(kind="marriage", on="2022-05-01"))
        >>> c = c.apply(LifeEvent(kind="income change", on="2023-01-01", income_band="Q4"))
        >>> c.marital_status.value, c.demographics.income_band
        ('married', 'Q4')
        >>> c = c.apply(LifeEvent(kind="death", on="2024-01-02"))
        >>> c.status.value, len(c.life_events)
        ('deceased', 3)
        """
        if not isinstance(event, LifeEvent):
            raise InvalidValueError(f"event={show(event)} must be a LifeEvent.")
        if self.is_deceased:
            raise InvalidValueError(
                f"customer {self.code!r} is deceased; no further life events can be applied."
            )
        if self.life_events and event.on < self.life_events[-1].on:
            raise InvalidValueError(
                f"event on {event.on} predates the latest recorded event "
                f"({self.life_events[-1].on}); apply events in date order."
            )
        kind = event.kind
        updates: dict[str, Any] = {"life_events": (*self.life_events, event)}
        if kind is LifeEventKind.MOVED:
            updates["address"] = event.address
        elif kind is LifeEventKind.INCOME_CHANGE:
            demo = self.demographics or Demographics()
            updates["demographics"] = attrs.evolve(demo, income_band=event.income_band)
        elif kind is LifeEventKind.MARRIAGE:
            updates["marital_status"] = MaritalStatus.MARRIED
        elif kind is LifeEventKind.DIVORCE:
            updates["marital_status"] = MaritalStatus.DIVORCED
        elif kind is LifeEventKind.DEATH:
            updates["status"] = CustomerStatus.DECEASED
        return attrs.evolve(self, **updates)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe record: one key per field; nested objects as nested records.

        Enums become their values, dates ISO text, tuples lists, so
        ``json.dumps(c.to_record())`` works and ``Customer.from_record`` reads it back
        to an equal customer.

        Examples
        --------
        >>> import json
        >>> c = Customer(code="C1", name="Ali", tags=["vip"], acquired_on="2024-01-31")
        >>> rec = c.to_record()
        >>> rec["acquired_on"], rec["status"], rec["tags"]
        ('2024-01-31', 'active', ['vip'])
        >>> Customer.from_record(json.loads(json.dumps(rec))) == c
        True
        """
        return _to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Customer:
        """Build a customer from a flat mapping (a CSV row, a JSON object).

        Keys are the field names; ``demographics`` may be a nested mapping or the flat
        keys ``birth_date``, ``age_band``, ``gender``, ``income_band``; ``email`` and
        ``phone`` (with optional ``default_country_code``) become contact points.
        Missing values (``None``, NaN, empty strings) count as absent. The output of
        :meth:`to_record` is read back to an equal customer.

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
        if demo:
            if "demographics" in kw:
                raise InvalidValueError(
                    f"Customer.from_record got both demographics and the flat key(s) "
                    f"{sorted(demo)}; give the demographic fields one way."
                )
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
