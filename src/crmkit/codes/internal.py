"""Configurable internal code schemes such as ``CUST-000042-2``.

An internal scheme is a fixed prefix, a zero-padded serial number of fixed width and an
optional check: one Luhn digit (``check="luhn"``) or two ISO 7064 MOD 97-10 digits
(``check="mod97"``) computed over the serial digits. The prefix itself is not part of
the check (it is fixed and validated literally).

Examples
--------
>>> cust = PrefixedScheme(prefix="CUST", width=6, check="luhn")
>>> cust.make(42)
'CUST-000042-2'
>>> cust.validate("cust 000042 2")
'CUST-000042-2'
>>> cust.number("CUST-000042-2")
42
"""

from __future__ import annotations

import re
from typing import Final, Literal

import attrs

from crmkit._text import normalize_digits
from crmkit.codes._base import (
    NeverRaisesMixin,
    check_choice,
    checksum_error,
    code_error,
    compact_text,
    show,
)
from crmkit.codes.checksums import luhn_check_digit, mod97_10_check_digits
from crmkit.exceptions import InvalidValueError

__all__ = ["CheckKind", "LocalCodeScheme", "PrefixedScheme"]

CheckKind = Literal["luhn", "mod97"]
_PREFIX_RE: Final = re.compile(r"[A-Z][A-Z0-9]{0,9}")


def _check_prefix(_inst: object, _attr: object, value: str) -> None:
    if not isinstance(value, str) or not _PREFIX_RE.fullmatch(value):
        raise InvalidValueError(
            f"prefix={show(value)}: use 1-10 capital letters or digits starting with a letter "
            "(e.g. 'CUST')."
        )


def _check_width(_inst: object, _attr: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 18:
        raise InvalidValueError(f"width={show(value)}: use an int from 1 to 18 digits.")


@attrs.frozen(kw_only=True)
class PrefixedScheme(NeverRaisesMixin):
    """An internal scheme ``PREFIX-<serial>[-<check>]`` with a zero-padded serial.

    Parameters
    ----------
    prefix : str
        1-10 capital letters or digits, starting with a letter (``"CUST"``).
    width : int
        Number of serial digits (1-18); serials run from 0 to ``10**width - 1``.
    check : {"luhn", "mod97"} or None, default "luhn"
        Check characters over the serial: one Luhn digit, two MOD 97-10 digits, or none.

    Notes
    -----
    ``validate`` returns the *formatted* code (with dashes), which is the canonical form
    the registry stores; ``compact`` returns it without separators.

    Examples
    --------
    >>> PrefixedScheme(prefix="SUPP", width=4, check="mod97").make(7)
    'SUPP-0007-77'
    >>> PrefixedScheme(prefix="SRV", width=3, check=None).make(5)
    'SRV-005'
    """

    prefix: str = attrs.field(validator=_check_prefix)
    width: int = attrs.field(validator=_check_width)
    check: CheckKind | None = attrs.field(
        default="luhn", validator=check_choice("luhn", "mod97", None)
    )

    @property
    def name(self) -> str:
        """``"<prefix> internal"``, e.g. ``"CUST internal"``."""
        return f"{self.prefix} internal"

    @property
    def check_length(self) -> int:
        """Number of check characters (0, 1 or 2)."""
        return {"luhn": 1, "mod97": 2, None: 0}[self.check]

    def _check_digits(self, serial: str) -> str:
        if self.check == "luhn":
            return luhn_check_digit(serial)
        if self.check == "mod97":
            return mod97_10_check_digits(serial)
        return ""

    def make(self, number: int) -> str:
        """The code of serial ``number`` (0 <= number < 10**width).

        Raises
        ------
        InvalidValueError
            If ``number`` is not an int in range.
        """
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidValueError(f"number={show(number)}: a serial number must be an int.")
        if not 0 <= number < 10**self.width:
            raise InvalidValueError(
                f"number={show(number)} does not fit {self.width} digits of scheme {self.name}; "
                "use a wider scheme."
            )
        serial = f"{number:0{self.width}d}"
        check = self._check_digits(serial)
        return f"{self.prefix}-{serial}-{check}" if check else f"{self.prefix}-{serial}"

    def compact(self, code: str) -> str:
        """Remove separators, normalise digits, upper-case."""
        return compact_text(code, self.name, upper=True)

    def validate(self, code: str) -> str:
        """Return the formatted code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        if not text.startswith(self.prefix):
            raise code_error(code, self.name, "structure", f"must start with {self.prefix!r}.")
        rest = text[len(self.prefix) :]
        if not (rest.isascii() and rest.isdigit()):
            raise code_error(
                code, self.name, "characters", f"expected digits after {self.prefix!r}."
            )
        want = self.width + self.check_length
        if len(rest) != want:
            raise code_error(
                code,
                self.name,
                "length",
                f"expected {want} digits after the prefix, got {len(rest)}.",
            )
        serial, got = rest[: self.width], rest[self.width :]
        expected = self._check_digits(serial)
        if got != expected:
            raise checksum_error(code, self.name, got, expected)
        return f"{self.prefix}-{serial}-{got}" if got else f"{self.prefix}-{serial}"

    def number(self, code: str) -> int:
        """The serial number of a valid code."""
        return int(self.parse(code)["serial"])

    def format_code(self, code: str) -> str:
        """Printed form (same as :meth:`validate`)."""
        return self.validate(code)

    def parse(self, code: str) -> dict[str, str]:
        """Components: prefix, serial, check (empty without a check)."""
        text = self.validate(code)
        parts = text.split("-")
        return {
            "prefix": parts[0],
            "serial": parts[1],
            "check": parts[2] if len(parts) > 2 else "",
        }


def _check_name(_inst: object, _attr: object, value: str) -> None:
    if not isinstance(value, str) or not str.strip(value):
        raise InvalidValueError(
            f"source={show(value)}: give a non-empty source name (e.g. 'Tabriz')."
        )


@attrs.frozen(kw_only=True)
class LocalCodeScheme(NeverRaisesMixin):
    """Free-form codes of one source (a branch's own item codes, a legacy system).

    Any non-empty text without control characters is accepted; the canonical form has
    outer whitespace removed, Persian/Arabic digits made ASCII and letters upper-cased.
    No check digit exists, so nothing beyond that is checked. The scheme name is
    ``"local:<source>"``.

    Parameters
    ----------
    source : str
        Name of the source, e.g. the branch (``"Tabriz"``).

    Examples
    --------
    >>> LocalCodeScheme(source="Tabriz").validate(" p-۰۰۱ ")
    'P-001'
    """

    source: str = attrs.field(validator=_check_name)

    @property
    def name(self) -> str:
        """``"local:<source>"``."""
        return f"local:{self.source}"

    def compact(self, code: str) -> str:
        """Strip outer whitespace, normalise digits, upper-case (inner separators kept)."""
        if not isinstance(code, str):
            raise code_error(code, self.name, "characters", "expected a str.")
        return normalize_digits(str.__str__(code)).strip().upper()

    def validate(self, code: str) -> str:
        """Return the canonical code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        if not text:
            raise code_error(code, self.name, "length", "the code is empty.")
        if not text.isprintable():
            raise code_error(code, self.name, "characters", "control characters are not allowed.")
        return text

    def format_code(self, code: str) -> str:
        """Printed form (same as :meth:`validate`)."""
        return self.validate(code)

    def parse(self, code: str) -> dict[str, str]:
        """Components: code only."""
        return {"code": self.validate(code)}
