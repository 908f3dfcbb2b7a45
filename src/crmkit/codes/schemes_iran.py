"""Iranian code schemes: national ID, legal-entity ID, Sheba (IR IBAN) and Iran Code.

What is checked, scheme by scheme:

* :class:`IranNationalID` - 10 digits, mod-11 check digit, and a documented *policy*
  for the ten repeated-digit codes ``0000000000`` ... ``9999999999``. All ten pass the
  checksum (every digit times the weight sum 54 gives a matching check digit), yet
  civil-registration practice never issues them; validators disagree, so the choice is
  the explicit ``repeated_digits`` option (default ``"reject"``). Codes written without
  their leading zeros (8 or 9 digits) are refused unless ``accept_unpadded=True``.
* :class:`IranLegalID` - 11 digits and the legal-ID check digit.
* :data:`SHEBA` - the Iranian IBAN: :class:`~crmkit.codes.iban.IbanScheme` with
  ``country="IR"`` (26 characters, all-digit BBAN; the format from the Central Bank of
  Iran). The international IBAN scheme itself (ISO 13616) is :mod:`crmkit.codes.iban`;
  ``IBAN`` and ``IbanScheme`` stay importable from here.
* :class:`IranCodeProduct` - 16 digits split as class code (7), member (supplier) code
  (5) and product counter (4), as published by the Iran Code centre (GS1 Iran).
  **No check digit is applied**: none is documented publicly, so a mistyped digit in
  an Iran Code is *not* detected; only the length and characters are.
* :class:`IranCodeService` - 17 digits (the "national service code" of the Iran Code
  glossary). The split into components is not publicly documented, so ``parse``
  returns the whole code only, and no check digit is applied.

Examples
--------
>>> IRAN_NATIONAL_ID.format_code("۰۴۹۹۳۷۰۸۹۹")
'049-937089-9'
>>> SHEBA.parse("IR71 0570 0299 7160 1460 6410 01")["bank_code"]
'057'
"""

from __future__ import annotations

from typing import Final, Literal

import attrs

from crmkit.codes._base import (
    NeverRaisesMixin,
    check_choice,
    check_flag,
    checksum_error,
    code_error,
    compact_text,
    require_digits,
)
from crmkit.codes.checksums_iran import iran_legal_id_check_digit, iran_national_id_check_digit
from crmkit.codes.iban import IBAN, IbanScheme
from crmkit.exceptions import InvalidCodeError

__all__ = [
    "IBAN",
    "IRAN_CODE_PRODUCT",
    "IRAN_CODE_SERVICE",
    "IRAN_LEGAL_ID",
    "IRAN_NATIONAL_ID",
    "SHEBA",
    "IbanScheme",
    "IranCodeProduct",
    "IranCodeService",
    "IranLegalID",
    "IranNationalID",
    "RepeatedDigitsPolicy",
    "ZeroSerialPolicy",
]

RepeatedDigitsPolicy = Literal["reject", "accept"]
ZeroSerialPolicy = Literal["reject", "accept"]


def _zero_serial_error(code: object, scheme: str) -> InvalidCodeError:
    return code_error(
        code,
        scheme,
        "structure",
        "digits 4-9 (the serial after the 3-digit prefix) are all zero, which is never "
        "issued; pass middle_zeros='accept' to allow such codes (e.g. for test data).",
    )


@attrs.frozen(kw_only=True)
class IranNationalID(NeverRaisesMixin):
    """Iranian national ID (*kod-e melli*): 3-digit city code, 6-digit serial, check digit.

    Parameters
    ----------
    repeated_digits : {"reject", "accept"}, default "reject"
        Policy for ``0000000000`` ... ``9999999999`` (checksum-valid, never issued).
    accept_unpadded : bool, default False
        If True, 8- or 9-digit input is taken as a code whose leading zeros were
        dropped (e.g. by a spreadsheet) and padded back to 10 digits.
    middle_zeros : {"reject", "accept"}, default "reject"
        Policy for codes whose six serial digits (positions 4-9, after the 3-digit
        city prefix) are all zero, such as ``0010000003``: some pass the checksum, but
        serial 000000 is never issued. ``"reject"`` follows persian-tools
        ``verifyIranianNationalId``; ``"accept"`` checks the checksum only.

    References
    ----------
    - National Organization for Civil Registration of Iran, national-code rules;
      persian-tools ``verifyIranianNationalId`` (persian-tools/persian-tools,
      ``src/modules/nationalId/index.ts``: repeated-digit codes and an all-zero
      middle six rejected).

    Examples
    --------
    >>> IranNationalID().is_valid("1111111111")
    False
    >>> IranNationalID(repeated_digits="accept").is_valid("1111111111")
    True
    >>> (
    ...     IranNationalID().is_valid("0010000003"),
    ...     IranNationalID(middle_zeros="accept").is_valid("0010000003"),
    ... )
    (False, True)
    """

    repeated_digits: RepeatedDigitsPolicy = attrs.field(
        default="reject", validator=check_choice("reject", "accept")
    )
    accept_unpadded: bool = attrs.field(default=False, validator=check_flag)
    middle_zeros: ZeroSerialPolicy = attrs.field(
        default="reject", validator=check_choice("reject", "accept")
    )

    @property
    def name(self) -> str:
        """``"Iranian national ID"``."""
        return "Iranian national ID"

    def compact(self, code: str) -> str:
        """Remove separators and normalise Persian digits."""
        return compact_text(code, self.name)

    def validate(self, code: str) -> str:
        """Return the 10-digit code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        lengths = (8, 9, 10) if self.accept_unpadded else (10,)
        require_digits(text, self.name, lengths, code)
        text = text.zfill(10)
        expected = iran_national_id_check_digit(text[:9])
        if text[9] != expected:
            raise checksum_error(code, self.name, text[9], expected)
        if self.repeated_digits == "reject" and len(set(text)) == 1:
            raise code_error(
                code,
                self.name,
                "structure",
                "repeated-digit codes are never issued; pass "
                "repeated_digits='accept' to allow them (e.g. for test data).",
            )
        if self.middle_zeros == "reject" and text[3:9] == "000000" and len(set(text)) > 1:
            raise _zero_serial_error(code, self.name)
        return text

    def format_code(self, code: str) -> str:
        """Printed form ``XXX-XXXXXX-X``."""
        text = self.validate(code)
        return f"{text[:3]}-{text[3:9]}-{text[9]}"

    def parse(self, code: str) -> dict[str, str]:
        """Components: national_id, city_code (3 digits), serial (6), check_digit."""
        text = self.validate(code)
        return {
            "national_id": text,
            "city_code": text[:3],
            "serial": text[3:9],
            "check_digit": text[9],
        }


@attrs.frozen(kw_only=True)
class IranLegalID(NeverRaisesMixin):
    """Iranian legal-entity national ID (*shenase-ye melli*, 11 digits).

    Parameters
    ----------
    middle_zeros : {"reject", "accept"}, default "reject"
        Policy for codes whose digits 4-9 are all zero (e.g. ``00000000009``,
        ``12300000000``): ``"reject"`` follows persian-tools ``verifyIranianLegalId``
        (``src/modules/legalId/index.ts``), ``"accept"`` checks the checksum only.

    References
    ----------
    - Ali Arash, "shenase melli" algorithm note (aliarash.com/article/shenasameli);
      persian-tools ``verifyIranianLegalId``.

    Examples
    --------
    >>> IRAN_LEGAL_ID.validate("103-8028-4790")
    '10380284790'
    >>> (
    ...     IRAN_LEGAL_ID.is_valid("00000000009"),
    ...     IranLegalID(middle_zeros="accept").is_valid("00000000009"),
    ... )
    (False, True)
    """

    middle_zeros: ZeroSerialPolicy = attrs.field(
        default="reject", validator=check_choice("reject", "accept")
    )

    @property
    def name(self) -> str:
        """``"Iranian legal ID"``."""
        return "Iranian legal ID"

    def compact(self, code: str) -> str:
        """Remove separators and normalise Persian digits."""
        return compact_text(code, self.name)

    def validate(self, code: str) -> str:
        """Return the 11-digit code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        require_digits(text, self.name, (11,), code)
        expected = iran_legal_id_check_digit(text[:10])
        if text[10] != expected:
            raise checksum_error(code, self.name, text[10], expected)
        if self.middle_zeros == "reject" and text[3:9] == "000000":
            raise _zero_serial_error(code, self.name)
        return text

    def format_code(self, code: str) -> str:
        """Printed form: the 11 digits."""
        return self.validate(code)

    def parse(self, code: str) -> dict[str, str]:
        """Components: legal_id, check_digit (the rest has no public sub-structure)."""
        text = self.validate(code)
        return {"legal_id": text, "check_digit": text[10]}


@attrs.frozen(kw_only=True)
class IranCodeProduct(NeverRaisesMixin):
    """Iran Code product code: 16 digits, class (7) + member (5) + product counter (4).

    Only length and characters are checked: no check digit is documented.

    References
    ----------
    - Iran Code centre (National Center for Numbering of Goods and Services of Iran,
      GS1 Iran), irancode.ir: "seven digits for product type and group
      classification, five digits for the supplier identifier, and four digits for
      product specifications"; the five-digit member code is repeated in every code
      of the member's products (meshcut.com, "Iran Code membership code").

    Examples
    --------
    >>> IRAN_CODE_PRODUCT.parse("2710032-12345-0001")["member_code"]
    '12345'
    """

    @property
    def name(self) -> str:
        """``"Iran Code (product)"``."""
        return "Iran Code (product)"

    def compact(self, code: str) -> str:
        """Remove separators and normalise Persian digits."""
        return compact_text(code, self.name)

    def validate(self, code: str) -> str:
        """Return the 16-digit code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        require_digits(text, self.name, (16,), code)
        return text

    def format_code(self, code: str) -> str:
        """Printed form ``class-member-counter``."""
        text = self.validate(code)
        return f"{text[:7]}-{text[7:12]}-{text[12:]}"

    def parse(self, code: str) -> dict[str, str]:
        """Components: iran_code, class_code (7), member_code (5), product_counter (4)."""
        text = self.validate(code)
        return {
            "iran_code": text,
            "class_code": text[:7],
            "member_code": text[7:12],
            "product_counter": text[12:],
        }


@attrs.frozen(kw_only=True)
class IranCodeService(NeverRaisesMixin):
    """Iran Code national service code: 17 digits; structure and check digit undocumented.

    References
    ----------
    - Iran Code glossary (icld.ir, "national service code"): "a 17-digit code uniquely
      assigned to each commercial service item at national level".

    Examples
    --------
    >>> IRAN_CODE_SERVICE.is_valid("12345678901234567")
    True
    """

    @property
    def name(self) -> str:
        """``"Iran Code (service)"``."""
        return "Iran Code (service)"

    def compact(self, code: str) -> str:
        """Remove separators and normalise Persian digits."""
        return compact_text(code, self.name)

    def validate(self, code: str) -> str:
        """Return the 17-digit code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        require_digits(text, self.name, (17,), code)
        return text

    def format_code(self, code: str) -> str:
        """Printed form: the 17 digits."""
        return self.validate(code)

    def parse(self, code: str) -> dict[str, str]:
        """Components: service_code only (no documented sub-structure)."""
        return {"service_code": self.validate(code)}


IRAN_NATIONAL_ID: Final = IranNationalID()
"""Iranian national ID, repeated-digit codes rejected, leading zeros required."""
IRAN_LEGAL_ID: Final = IranLegalID()
"""Iranian legal-entity national ID."""
SHEBA: Final = IbanScheme(country="IR")
"""Iranian IBAN (Sheba number): IR + 24 digits."""
IRAN_CODE_PRODUCT: Final = IranCodeProduct()
"""Iran Code product code (16 digits)."""
IRAN_CODE_SERVICE: Final = IranCodeService()
"""Iran Code service code (17 digits)."""
