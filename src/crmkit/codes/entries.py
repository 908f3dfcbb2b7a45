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

from crmkit.codes._base import show
from crmkit.exceptions import (
    InvalidValueError,
    InvariantError,
    RegistryLoadError,
    UnknownCodeError,
)

__all__ = [
    "AttributeValue",
    "CodeEntry",
    "CodeKind",
    "EntryStatus",
    "RegistryLoadError",
    "UnknownCodeError",
]

_INT_LIMIT = 2**63
"""Attribute ints must fit 64 bits so CSV, Parquet and JSON readers keep them exact."""

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


def _to_kind(value: str) -> CodeKind:
    if isinstance(value, CodeKind):
        return value
    if isinstance(value, str) and value in {k.value for k in CodeKind}:
        return CodeKind(value)
    raise InvalidValueError(
        f"kind={show(value)} is not one of {[k.value for k in CodeKind]}; pass one of those."
    )


def _to_status(value: str) -> EntryStatus:
    if isinstance(value, EntryStatus):
        return value
    if isinstance(value, str) and value in {s.value for s in EntryStatus}:
        return EntryStatus(value)
    raise InvalidValueError(
        f"status={show(value)} is not one of {[s.value for s in EntryStatus]}; pass one of those."
    )


def _utf8(what: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValueError(
            f"{what}={show(text)} holds a lone surrogate (position {exc.start}), which no "
            "UTF-8 file, DataFrame or database can store; remove it from the text."
        ) from exc


def _check_value(key: str, val: object) -> None:
    if isinstance(val, str):
        _utf8(f"attribute {key!r}", val)
    if val is not None and not isinstance(val, str | int | float | bool):
        raise InvalidValueError(
            f"attribute {key!r}={show(val)}: values must be str, int, float, bool or None "
            "(JSON scalars) so the registry can be saved as plain records."
        )
    if isinstance(val, float) and not math.isfinite(val):
        raise InvalidValueError(f"attribute {key!r}={val!r}: use a finite number.")
    if isinstance(val, int) and not isinstance(val, bool) and not -_INT_LIMIT <= val < _INT_LIMIT:
        raise InvalidValueError(
            f"attribute {key!r}={show(val)}: integers must fit 64 bits (|value| < 2**63) "
            "to survive CSV, Parquet and JSON readers; store a larger number as text."
        )


def _to_attributes(value: object) -> tuple[tuple[str, AttributeValue], ...]:
    """Attributes from a dict, pairs or None (any other object is refused)."""
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Mapping | Iterable):
        raise InvalidValueError(
            f"attributes={show(value)}: pass a dict of name -> JSON scalar (or None)."
        )
    try:
        items = list(value.items() if isinstance(value, Mapping) else value)
        pairs = [(k, v) for k, v in items]
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"attributes={show(value)}: pass a dict of name -> JSON scalar (or None)."
        ) from exc
    for key, val in pairs:
        if not isinstance(key, str):
            raise InvalidValueError(f"attribute name {show(key)} must be a str.")
        _utf8("attribute name", key)
        _check_value(key, val)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidValueError(f"attribute names repeat: {sorted(keys)}.")
    return tuple(sorted(pairs, key=lambda kv: kv[0]))


def _to_created(value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidValueError(
                f"created={show(value)} is not an ISO 8601 timestamp; write it as "
                "'2026-01-01T00:00:00+00:00' (with its UTC offset)."
            ) from exc
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(
            f"created={show(value)}: use a timezone-aware datetime (e.g. datetime.now(UTC))."
        )
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidValueError(
            f"created={show(value)} cannot be expressed in UTC (out of range); check the date."
        ) from exc


def _to_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    problem = InvalidValueError(
        f"external_codes={show(value)}: pass a list of (scheme name, code) pairs of str."
    )
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise problem
    pairs = []
    try:
        for item in value:
            if isinstance(item, str | bytes) or not isinstance(item, Iterable):
                raise problem
            pair = tuple(item)
            if len(pair) != 2 or not all(isinstance(x, str) and x for x in pair):
                raise problem
            pairs.append((str.__str__(pair[0]), str.__str__(pair[1])))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidValueError):
            raise
        raise problem from exc
    return tuple(pairs)


def _text_field(name: str, *, empty: bool) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str) or (not empty and not value):
            what = "a str" if empty else "a non-empty str"
            raise InvalidValueError(f"{name}={show(value)} must be {what}.")
        _utf8(name, value)

    return check


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

    code: str = attrs.field(validator=_text_field("code", empty=False))
    kind: CodeKind = attrs.field(converter=_to_kind)
    scheme: str = attrs.field(validator=_text_field("scheme", empty=False))
    created: datetime = attrs.field(converter=_to_created)
    label: str = attrs.field(default="", validator=_text_field("label", empty=True))
    attributes: tuple[tuple[str, AttributeValue], ...] = attrs.field(
        default=(), converter=_to_attributes
    )
    status: EntryStatus = attrs.field(default=EntryStatus.ACTIVE, converter=_to_status)
    merged_into: str | None = attrs.field(default=None)
    external_codes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)

    @merged_into.validator
    def _check_merged(self, _attr: object, value: str | None) -> None:
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidValueError(
                f"merged_into={show(value)} must be a code (non-empty str) or None."
            )
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

        Values are taken as they are, never coerced: ``code``, ``scheme`` and
        ``label`` must be text (a missing ``label`` or ``None`` means ``""``; NaN is
        refused because it is how CSV readers spell a lost empty or ``"NA"`` label);
        ``merged_into`` is a code, or ``None`` / ``""`` for none.

        Raises
        ------
        InvalidValueError
            If the record is not a mapping, a required key is missing, a key is unknown
            or a value is out of its domain.
        """
        if not isinstance(record, Mapping):
            raise InvalidValueError(
                f"a record must be a mapping (CodeEntry.to_record() output), got {show(record)}."
            )
        keys = [k for k in record if isinstance(k, str)]
        missing = [k for k in ("code", "kind", "scheme", "created") if k not in record]
        if missing:
            raise InvalidValueError(
                f"record lacks key(s) {missing}; got {sorted(keys)}. Use "
                "CodeEntry.to_record() output."
            )
        unknown = sorted(show(k) for k in record if k not in _RECORD_KEYS)
        if unknown:
            raise InvalidValueError(
                f"record has unknown key(s) {unknown}; known keys are {list(_RECORD_KEYS)}."
            )
        label = record.get("label", "")
        if label is None:
            label = ""
        elif isinstance(label, float) and math.isnan(label):
            raise InvalidValueError(
                "label is NaN: a CSV reader turned an empty or 'NA'-like label into a "
                "missing value, so the text is lost. Read the file with "
                "CodeRegistry.read_csv (or pandas.read_csv(..., dtype=str, "
                "keep_default_na=False))."
            )
        merged = record.get("merged_into")
        return cls(
            code=record["code"],
            kind=record["kind"],
            scheme=record["scheme"],
            created=record["created"],
            label=label,
            attributes=record.get("attributes"),
            status=record.get("status", EntryStatus.ACTIVE),
            merged_into=None
            if merged is None or (isinstance(merged, str) and not merged)
            else merged,
            external_codes=record.get("external_codes"),
        )


_RECORD_KEYS = (
    "code",
    "kind",
    "scheme",
    "label",
    "attributes",
    "status",
    "merged_into",
    "created",
    "external_codes",
)
