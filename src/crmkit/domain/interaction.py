"""Interactions: every touchpoint between a customer and the organisation.

The channels, kinds and sale phases are those named in the CRM practitioner literature. An
interaction is a visible behaviour (a contact or a purchase), not the relationship
itself (:mod:`crmkit.domain.relationship`).

Examples
--------
>>> import datetime as dt
>>> call = Interaction(
...     customer_code="C1",
...     at=dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC),
...     channel="phone",
...     kind="sales",
...     phase="before sale",
...     direction="outbound",
... )
>>> call.channel, call.is_purchase
(<Channel.PHONE: 'phone'>, False)
>>> Interaction(
...     customer_code="C1",
...     at=dt.datetime(2024, 3, 1),
...     channel="web",
...     kind="sales",
...     phase="during sale",
...     direction="inbound",
... )
Traceback (most recent call last):
...
crmkit.exceptions.InvalidValueError: at='2024-03-01T00:00:00' is naive (no time zone)...
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from crmkit.codes._base import CodeScheme
from crmkit.codes.registry import CodeRegistry
from crmkit.domain import _canon
from crmkit.domain import _common as cv
from crmkit.domain._records import to_record
from crmkit.exceptions import InvalidValueError

__all__ = ["Channel", "Direction", "Interaction", "InteractionKind", "SalePhase"]


class Channel(enum.Enum):
    """Contact channels named in the CRM practitioner literature.

    ``mail`` is postal mail (a letter); ``in person`` covers field sales visits;
    ``partner`` is a partner or reseller channel.
    """

    PHONE = "phone"
    MAIL = "mail"
    FAX = "fax"
    EMAIL = "e-mail"
    CHAT = "chat"
    WEB = "web"
    MOBILE = "mobile"
    IN_PERSON = "in person"
    PARTNER = "partner"


class InteractionKind(enum.Enum):
    """What the interaction is about: marketing, sales, (after-sales) service, complaint."""

    MARKETING = "marketing"
    SALES = "sales"
    SERVICE = "service"
    COMPLAINT = "complaint"


class SalePhase(enum.Enum):
    """When the interaction happens relative to a sale."""

    BEFORE = "before sale"
    DURING = "during sale"
    AFTER = "after sale"


class Direction(enum.Enum):
    """Who initiated the contact: the customer (inbound) or the organisation (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Converters of the enum fields: they need no field name (the validator cv.named names
# the field); the shared ones (text, dates ...) live in domain._common.
def to_channel(value: Channel | str) -> Channel:
    """Converter of a channel field (also used by customers and complaints)."""
    return cv.to_member(Channel, value)


def to_optional_channel(value: Channel | str | None) -> Channel | None:
    """Converter of an optional channel field."""
    return cv.to_optional_member(Channel, value)


def _to_direction(value: Direction | str) -> Direction:
    return cv.to_member(Direction, value)


def _to_kind(value: InteractionKind | str) -> InteractionKind:
    return cv.to_member(InteractionKind, value)


def _to_phase(value: SalePhase | str) -> SalePhase:
    return cv.to_member(SalePhase, value)


@attrs.frozen(kw_only=True)
class Interaction:
    """One touchpoint.

    Parameters
    ----------
    customer_code : str
        Code of the customer (from the code registry).
    at : datetime.datetime
        When it happened; must be tz-aware (naive timestamps are ambiguous across
        branches in different zones and are refused).
    channel : Channel or str
    kind : InteractionKind or str
    phase : SalePhase or str
        ``"before sale"``, ``"during sale"`` or ``"after sale"``.
    direction : Direction or str
        ``"inbound"`` or ``"outbound"``.
    item_code : str, optional
        Product or service code the interaction concerns.
    amount : float, optional
        Money involved (a purchase value), ``>= 0``, in ``currency``.
    currency : str, optional
        ISO 4217 code of ``amount`` (e.g. ``"IRR"``); crmkit never converts currencies.
    outcome : str, optional
        Free text result (``"purchase"``, ``"no answer"`` ...).
    interaction_id : str, optional
        Identifier in the source system.

    Raises
    ------
    InvalidValueError
        Naive or missing timestamp, unknown channel/kind/phase/direction, negative or
        non-finite amount, a currency without an amount.

    Examples
    --------
    >>> import datetime as dt
    >>> sale = Interaction(
    ...     customer_code="C1",
    ...     at="2024-03-02T10:00:00+03:30",
    ...     channel="web",
    ...     kind="sales",
    ...     phase="during sale",
    ...     direction="inbound",
    ...     item_code="P-1",
    ...     amount=120.0,
    ...     currency="IRR",
    ... )
    >>> sale.is_purchase, sale.at.utcoffset()
    (True, datetime.timedelta(seconds=12600))
    """

    customer_code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    at: dt.datetime = attrs.field(converter=cv.to_aware, validator=cv.named)
    channel: Channel = attrs.field(converter=to_channel, validator=cv.named)
    kind: InteractionKind = attrs.field(converter=_to_kind, validator=cv.named)
    phase: SalePhase = attrs.field(converter=_to_phase, validator=cv.named)
    direction: Direction = attrs.field(converter=_to_direction, validator=cv.named)
    item_code: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    amount: float | None = attrs.field(
        default=None, converter=cv.to_optional_amount, validator=cv.named
    )
    currency: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    outcome: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    interaction_id: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )

    def __attrs_post_init__(self) -> None:
        if self.currency is not None and self.amount is None:
            raise InvalidValueError(
                f"currency={self.currency!r} given without an amount; pass amount= too."
            )

    @property
    def is_purchase(self) -> bool:
        """True for a sales interaction with a positive amount (a purchase)."""
        return self.kind is InteractionKind.SALES and (self.amount or 0.0) > 0.0

    def reassigned(self, customer_code: str) -> Interaction:
        """The same interaction attributed to another customer code (used by merges).

        Examples
        --------
        >>> import datetime as dt
        >>> i = Interaction(
        ...     customer_code="C2",
        ...     at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        ...     channel="chat",
        ...     kind="service",
        ...     phase="after sale",
        ...     direction="inbound",
        ... )
        >>> i.reassigned("C1").customer_code
        'C1'
        """
        return attrs.evolve(self, customer_code=customer_code)

    @_canon.resolve_codes_doc(
        record="interaction",
        fields="``item_code`` (when set) and, with ``customer=True``, ``customer_code`` are",
        example="""
>>> from crmkit.codes import CodeRegistry
>>> reg = CodeRegistry()
>>> a, b = reg.allocate("customer").code, reg.allocate("customer").code
>>> _ = reg.merge(b, into=a)
>>> i = Interaction(
...     customer_code=b,
...     at="2024-01-01T08:00:00+00:00",
...     channel="chat",
...     kind="service",
...     phase="after sale",
...     direction="inbound",
... )
>>> i.resolve_codes(reg).customer_code == a
True
""",
    )
    def resolve_codes(
        self,
        registry: CodeRegistry,
        *,
        schemes: Iterable[CodeScheme] = (),
        customer: bool = True,
    ) -> Interaction:
        cv.check_flag("customer", customer)
        fields = ("item_code", "customer_code") if customer else ("item_code",)
        return _canon.resolved(self, registry, schemes, fields)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (enum values, ``at`` as ISO text with its offset).

        :meth:`from_record` reads it back to an equal interaction.

        Examples
        --------
        >>> i = Interaction(
        ...     customer_code="C1",
        ...     at="2024-01-01T08:00:00+03:30",
        ...     channel="e-mail",
        ...     kind="marketing",
        ...     phase="before sale",
        ...     direction="outbound",
        ... )
        >>> r = i.to_record()
        >>> r["at"], r["channel"], Interaction.from_record(r) == i
        ('2024-01-01T08:00:00+03:30', 'e-mail', True)
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Interaction:
        """Build from a mapping keyed by the field names (missing values count as absent).

        ``customer_id`` is accepted as a synonym of ``customer_code`` (the frame column).

        Examples
        --------
        >>> Interaction.from_record(
        ...     {
        ...         "customer_id": "C9",
        ...         "at": "2024-01-01T08:00:00+00:00",
        ...         "channel": "e-mail",
        ...         "kind": "marketing",
        ...         "phase": "before sale",
        ...         "direction": "outbound",
        ...         "amount": float("nan"),
        ...     }
        ... ).amount is None
        True
        """
        rec = cv.record_fields(cls, record, aliases={"customer_id": "customer_code"})
        return cv.construct(cls, rec)
