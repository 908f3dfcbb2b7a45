"""Registry entries: frozen records of one code (kind, scheme, label, status, aliases).

Examples
--------
>>> from datetime import datetime, UTC
>>> e = CodeEntry(
...     code="CUST-000001-8",
...     kind="customer",
...     scheme="CUST internal",
...     created=datetime(2026, 1, 1, tzinfo=UTC),
...     attributes={"city": "Tehran"},
... )
>>> e.attributes, e.status
((('city', 'Tehran'),), <EntryStatus.ACTIVE: 'active'>)
>>> CodeEntry.from_record(e.to_record()) == e
True
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from crmkit.exceptions import InvalidCodeError, InvalidValueError, InvariantError

__all__ = [
    "AttributeValue",
    "CodeEntry",
    "CodeKind",
    "EntryStatus",
    "UnknownCodeError",
]

AttributeValue = str | int | float | bool | None
"""JSON scalar types allowed as entry attribute values."""


class CodeKind(enum.StrEnum):
    """What a code identifies: a customer, product, service or supplier."""

    CUSTOMER = "customer"
    PRODUCT = "product"
    SERVICE = "service"
    SUPPLIER = "supplier"


class EntryStatus(enum.StrEnum):
    """Life-cycle status of a registry entry."""

    ACTIVE = "active"
    RETIRED = "retired"
    MERGED = "merged"


class UnknownCodeError(InvalidCodeError, LookupError):
    """A code that the registry does not hold (``reason="unknown"``)."""


def _to_kind(value: str) -> CodeKind:
    if isinstance(value, CodeKind):
        return value
    try:
        return CodeKind(value)
    except ValueError as exc:
        raise InvalidValueError(
            f"kind={value!r} is not one of {[k.value for k in CodeKind]}."
        ) from exc


def _to_status(value: str) -> EntryStatus:
    if isinstance(value, EntryStatus):
        return value
    try:
        return EntryStatus(value)
    except ValueError as exc:
        raise InvalidValueError(
            f"status={value!r} is not one of {[s.value for s in EntryStatus]}."
        ) from exc


def _to_attributes(
    value: Mapping[str, AttributeValue] | Iterable[tuple[str, AttributeValue]] | None,
) -> tuple[tuple[str, AttributeValue], ...]:
    if not value:
        return ()
    items = list(value.items() if isinstance(value, Mapping) else value)
    for key, val in items:
        if not isinstance(key, str):
            raise InvalidValueError(f"attribute name {key!r} must be a str.")
        if val is not None and not isinstance(val, str | int | float | bool):
            raise InvalidValueError(
                f"attribute {key!r}={val!r}: values must be str, int, float, bool or None "
                "(JSON scalars) so the registry can be saved as plain records."
            )
        if isinstance(val, float) and not math.isfinite(val):
            raise InvalidValueError(f"attribute {key!r}={val!r}: use a finite number.")
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise InvalidValueError(f"attribute names repeat: {sorted(keys)}.")
    return tuple(sorted((k, v) for k, v in items))


def _to_created(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValueError(
            f"created={value!r}: use a timezone-aware datetime (e.g. datetime.now(UTC))."
        )
    return value.astimezone(UTC)


def _to_pairs(value: Iterable[Iterable[str]]) -> tuple[tuple[str, str], ...]:
    pairs = tuple((str(s), str(c)) for s, c in value)
    return pairs


@attrs.frozen(kw_only=True)
class CodeEntry:
    """One code held by a :class:`~crmkit.codes.CodeRegistry`.

    Attributes
    ----------
    code : str
        The canonical code (the scheme's :meth:`validate` output).
    kind : CodeKind
        customer, product, service or supplier.
    scheme : str
        Name of the scheme that validated the code (``"CUST internal"``, ``"GTIN"``).
    label : str
        Free text (name of the customer or item).
    attributes : tuple of (str, value) pairs
        JSON-scalar attributes sorted by name; pass a dict, read with
        :meth:`attribute_dict`.
    status : EntryStatus
        active, retired or merged.
    merged_into : str or None
        The code this entry was merged into (set exactly when status is merged).
    created : datetime
        Creation time, timezone-aware, stored in UTC.
    external_codes : tuple of (scheme, code) pairs
        External codes (GTIN, branch-local codes, ...) linked to this entry.
    """

    code: str
    kind: CodeKind = attrs.field(converter=_to_kind)
    scheme: str
    created: datetime = attrs.field(converter=_to_created)
    label: str = ""
    attributes: tuple[tuple[str, AttributeValue], ...] = attrs.field(
        default=(), converter=_to_attributes
    )
    status: EntryStatus = attrs.field(default=EntryStatus.ACTIVE, converter=_to_status)
    merged_into: str | None = attrs.field(default=None)
    external_codes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)

    @merged_into.validator
    def _check_merged(self, _attr: object, value: str | None) -> None:
        if (self.status is EntryStatus.MERGED) != (value is not None):
            raise InvariantError(
                f"entry {self.code!r}: merged_into={value!r} with status "
                f"{self.status.value!r}; merged_into is set exactly when status is 'merged'."
            )
        if value == self.code:
            raise InvariantError(f"entry {self.code!r} cannot be merged into itself.")

    def attribute_dict(self) -> dict[str, AttributeValue]:
        """The attributes as a new dict."""
        return dict(self.attributes)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 ``created``, attributes as an object)."""
        return {
            "code": self.code,
            "kind": self.kind.value,
            "scheme": self.scheme,
            "label": self.label,
            "attributes": self.attribute_dict(),
            "status": self.status.value,
            "merged_into": self.merged_into,
            "created": self.created.isoformat(),
            "external_codes": [list(p) for p in self.external_codes],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CodeEntry:
        """Build an entry from :meth:`to_record` output (or a row with the same keys).

        Raises
        ------
        InvalidValueError
            If a required key is missing or a value is out of its domain.
        """
        missing = [k for k in ("code", "kind", "scheme", "created") if k not in record]
        if missing:
            raise InvalidValueError(
                f"record lacks key(s) {missing}; got {sorted(record)}. Use "
                "CodeEntry.to_record() output."
            )
        return cls(
            code=str(record["code"]),
            kind=record["kind"],
            scheme=str(record["scheme"]),
            created=record["created"],
            label=str(record.get("label") or ""),
            attributes=record.get("attributes") or (),
            status=record.get("status", EntryStatus.ACTIVE),
            merged_into=record.get("merged_into") or None,
            external_codes=record.get("external_codes") or (),
        )
