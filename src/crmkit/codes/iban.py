"""International Bank Account Numbers (ISO 13616): :class:`IbanScheme` and :data:`IBAN`.

:class:`IbanScheme` checks the ISO 13616 structure and the MOD 97-10 check digits
(ISO 7064) and by default (``check_country=True``) the country's length and BBAN
structure from the SWIFT IBAN Registry (package data
``crmkit/codes/data/iban_registry.csv``, release 101, with Iran's Sheba format added from
the Central Bank of Iran). The Iranian IBAN (Sheba number) is
:data:`crmkit.codes.SHEBA`, ``IbanScheme(country="IR")``.

Examples
--------
>>> IBAN.format_code("de89370400440532013000")
'DE89 3704 0044 0532 0130 00'
>>> IBAN.parse("GB82 WEST 1234 5698 7654 32")["bban"]
'WEST12345698765432'
"""

from __future__ import annotations

from typing import Final

import attrs

from crmkit.codes._base import (
    NeverRaisesMixin,
    check_flag,
    checksum_error,
    code_error,
    compact_text,
    show,
)
from crmkit.codes._iban_registry import REGISTRY_RELEASE, iban_formats
from crmkit.codes.checksums import iban_check_digits
from crmkit.exceptions import InvalidValueError

__all__ = ["IBAN", "IbanScheme"]


def _check_country(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None and not (
        isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()
    ):
        raise InvalidValueError(
            f"country={show(value)}: use a two-letter ISO 3166 code in capitals, e.g. 'IR'."
        )


_CCC_WEIGHTS = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)


def _ccc_digit(digits: str) -> str:
    """One control digit of a Spanish CCC: weights 1, 2, 4, ..., 6 modulo 11."""
    r = 11 - sum(int(d) * w for d, w in zip(digits, _CCC_WEIGHTS, strict=True)) % 11
    return "0" if r == 11 else "1" if r == 10 else str(r)


def _spain(bban: str) -> tuple[str, str]:
    """Spanish BBAN (CCC): bank 4, branch 4, control 2, account 10 digits."""
    return bban[8:10], _ccc_digit("00" + bban[:8]) + _ccc_digit(bban[10:20])


def _belgium(bban: str) -> tuple[str, str]:
    """Belgian BBAN: 10 digits and their remainder modulo 97 (97 for 0)."""
    rest = int(bban[:10]) % 97
    return bban[10:12], f"{rest or 97:02d}"


# National account control digits checked with check_country=True, as python-stdnum's
# stdnum.es.iban (CCC control digits) and stdnum.be.iban (modulo 97) do; the registry
# structure check before guarantees the digits these read.
_NATIONAL_CHECKS = {"ES": _spain, "BE": _belgium}


@attrs.frozen(kw_only=True)
class IbanScheme(NeverRaisesMixin):
    """International Bank Account Number (ISO 13616); ``country="IR"`` for Sheba numbers.

    Parameters
    ----------
    country : str or None, default None
        Restrict to one ISO 3166 country (``"IR"`` for Iranian Sheba numbers).
    check_country : bool, default True
        Policy for the country part. With True (the default) the country code must be
        in the SWIFT IBAN Registry (or be ``IR``) and the IBAN must have that country's
        length and BBAN structure (e.g. ``DE`` + 2 check digits + 18 digits). With
        False only the generic ISO 13616 structure is checked - two capital letters,
        two check digits, 11 to 30 letters or digits - plus the check digits: use it
        for countries newer than the bundled registry release. With True, Spanish and
        Belgian IBANs must also carry their national account control digits (the CCC
        digits, modulo 11; the Belgian modulo 97), as python-stdnum checks them; other
        countries' national checks are not implemented.

    References
    ----------
    - ISO 13616-1:2020, *Financial services - International bank account number*.
    - SWIFT, *IBAN Registry*, release 101 (per-country BBAN structure and length).
    - Central Bank of the Islamic Republic of Iran, Sheba (IR IBAN, 26 characters).
    - Spanish Código Cuenta Cliente control digits; Belgian account numbers (modulo 97).

    Examples
    --------
    >>> IbanScheme(country="IR").format_code("ir820540102680020817909002")
    'IR82 0540 1026 8002 0817 9090 02'
    >>> IBAN.is_valid("DE89 3704 0044 0532 0130 00"), IBAN.is_valid("DE543704004405320130001")
    (True, False)
    >>> IBAN.is_valid("XX4212345678901234")
    False
    >>> IbanScheme(check_country=False).is_valid("XX4212345678901234")
    True
    """

    country: str | None = attrs.field(default=None, validator=_check_country)
    check_country: bool = attrs.field(default=True, validator=check_flag)

    @property
    def name(self) -> str:
        """``"IBAN"`` or ``"IBAN (IR)"``."""
        return "IBAN" if self.country is None else f"IBAN ({self.country})"

    def compact(self, code: str) -> str:
        """Remove separators, normalise digits, upper-case."""
        return compact_text(code, self.name, upper=True)

    def validate(self, code: str) -> str:
        """Return the compact IBAN or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        if not (text.isascii() and text.isalnum()):
            raise code_error(code, self.name, "characters", "only A-Z and 0-9 are allowed.")
        if not (text[:2].isalpha() and text[2:4].isdigit() and len(text) >= 4):
            raise code_error(
                code, self.name, "structure", "must start with 2 letters and 2 check digits."
            )
        cc = text[:2]
        if self.country is not None and cc != self.country:
            raise code_error(code, self.name, "structure", f"must start with {self.country}.")
        if self.check_country:
            self._check_registry(code, text)
        elif not 15 <= len(text) <= 34:
            raise code_error(
                code, self.name, "length", f"expected 15-34 characters, got {len(text)}."
            )
        expected = iban_check_digits(cc, text[4:])
        if text[2:4] != expected:
            raise checksum_error(code, self.name, text[2:4], expected)
        if self.check_country and cc in _NATIONAL_CHECKS:
            got, want = _NATIONAL_CHECKS[cc](text[4:])
            if got != want:
                raise code_error(
                    code,
                    self.name,
                    "checksum",
                    f"the {cc} account number's own control digits are {got!r}, expected "
                    f"{want!r}; pass check_country=False to skip national checks.",
                )
        return text

    def _check_registry(self, code: object, text: str) -> None:
        fmt = iban_formats().get(text[:2])
        if fmt is None:
            raise code_error(
                code,
                self.name,
                "structure",
                f"country code {text[:2]!r} has no IBAN format in the {REGISTRY_RELEASE}; "
                "check the country, or pass check_country=False to check only the "
                "generic structure and the check digits.",
            )
        if len(text) != fmt.iban_length:
            raise code_error(
                code,
                self.name,
                "length",
                f"a {fmt.country_code} ({fmt.country_name}) IBAN has {fmt.iban_length} "
                f"characters, got {len(text)}.",
            )
        if not fmt.pattern.fullmatch(text[4:]):
            raise code_error(
                code,
                self.name,
                "structure" if fmt.country_code != "IR" else "characters",
                f"a {fmt.country_code} BBAN is {fmt.describe()} "
                f"({fmt.bban_structure} in the registry), got {text[4:]!r}.",
            )

    def format_code(self, code: str) -> str:
        """Printed form: groups of four characters."""
        text = self.validate(code)
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    def parse(self, code: str) -> dict[str, str]:
        """Components: country, check_digits, bban (and bank_code, 3 digits, for IR)."""
        text = self.validate(code)
        parts = {"iban": text, "country": text[:2], "check_digits": text[2:4], "bban": text[4:]}
        if text[:2] == "IR":
            parts["bank_code"] = text[4:7]
        return parts


IBAN: Final = IbanScheme()
"""Any IBAN (structure and check digits)."""
