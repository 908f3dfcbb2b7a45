"""Postal addresses of customers (private module; the class is public as
:class:`crmkit.domain.Address`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from crmkit._text import normalize_digits
from crmkit.codes._base import show
from crmkit.domain import _common as cv
from crmkit.domain._records import to_record as _to_record
from crmkit.exceptions import InvalidValueError

__all__ = ["Address", "check_optional_address", "to_optional_address"]


# Converters: they need no field name (the validator cv.named names the field).
def _check_line(field: str, value: Any) -> str:
    return " ".join(cv.check_text(field, value).split())


def _check_city(field: str, value: Any) -> str | None:
    text = cv.check_optional_text(field, value)
    return None if text is None else " ".join(text.split())


def _check_postal_code(field: str, value: Any) -> str | None:
    text = cv.check_optional_text(field, value)
    return None if text is None else normalize_digits(text)


def _check_country(field: str, value: Any) -> str | None:
    text = cv.check_optional_text(field, value)
    if text is None:
        return None
    if not (len(text) == 2 and text.isascii() and text.isalpha()):
        raise InvalidValueError(
            f"{field}={show(value)} must be a two-letter ISO 3166-1 alpha-2 code such as "
            "'IR' or 'DE'."
        )
    return text.upper()


def _to_line(value: str) -> str:
    return cv.soft(_check_line, value)


def _to_city(value: str | None) -> str | None:
    return cv.soft(_check_city, value)


def _to_postal_code(value: str | None) -> str | None:
    return cv.soft(_check_postal_code, value)


def _to_country(value: str | None) -> str | None:
    return cv.soft(_check_country, value)


@attrs.frozen(kw_only=True)
class Address:
    """A postal address: one free-text line plus the parts used for analysis.

    Addresses differ too much between countries for a fixed structure, so the street
    part is one line of text (whitespace collapsed); ``city``, ``postal_code`` and
    ``country`` are separate because they are what segmentation and de-duplication use.

    Parameters
    ----------
    line : str
        Street, number, unit ... as one line.
    city : str, optional
    postal_code : str, optional
        Persian/Arabic-Indic digits become ASCII (Iranian postal codes have 10 digits;
        the form is not checked, schemes differ by country).
    country : str, optional
        ISO 3166-1 alpha-2 code (``"IR"``), stored upper-case.

    Raises
    ------
    InvalidValueError
        Empty line or a country that is not two letters.

    Examples
    --------
    >>> a = Address(
    ...     line="  No. 5,  Hafez St ", city="Shiraz", postal_code="۷۱۳۴۸۱۴۳۳۶", country="ir"
    ... )
    >>> a.line, a.postal_code, a.country
    ('No. 5, Hafez St', '7134814336', 'IR')
    >>> Address.from_record(a.to_record()) == a
    True
    """

    line: str = attrs.field(converter=_to_line, validator=cv.named)
    city: str | None = attrs.field(default=None, converter=_to_city, validator=cv.named)
    postal_code: str | None = attrs.field(
        default=None, converter=_to_postal_code, validator=cv.named
    )
    country: str | None = attrs.field(default=None, converter=_to_country, validator=cv.named)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe record (keys ``line``, ``city``, ``postal_code``, ``country``)."""
        return _to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Address:
        """Build from a mapping with keys ``line`` [, ``city``, ``postal_code``, ``country``]."""
        return cv.construct(cls, cv.record_fields(cls, record))


def check_optional_address(field: str, value: Any) -> Address | None:
    """``None``/missing/blank, or an :class:`Address` from itself, a mapping or one line."""
    if cv.is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Address):
        return value
    if isinstance(value, str):
        return Address(line=value)
    if isinstance(value, Mapping):
        return Address.from_record(value)
    raise InvalidValueError(
        f"{field}={show(value)} must be an Address, a mapping of its fields or the address "
        "as one line of text."
    )


def to_optional_address(value: Address | Mapping[str, Any] | str | None) -> Address | None:
    """Converter of an optional address field (the validator cv.named names the field)."""
    return cv.soft(check_optional_address, value)
