"""GS1 identification keys: GTIN-8/12/13/14, GLN and SSCC.

All three use the GS1 modulo-10 check digit (:func:`~crmkit.codes.checksums.gs1_check_digit`).
A GTIN of any length widens to GTIN-14 by left-padding with zeros, which leaves the
check digit unchanged (the weights are counted from the right).

The first three digits of the company part (the *GS1 prefix*) tell which GS1 Member
Organisation issued the company prefix, e.g. ``626`` = GS1 Iran. This is *not* the
country of origin of the product. Validators disagree on whether an unknown or
non-trade prefix makes a code invalid (biip PR #94, gtin-validator #14), so the check is
an explicit option:

``prefix_check="off"`` (default)
    only length, characters and check digit are checked;
``"known"``
    the prefix must appear in the bundled table (any usage);
``"trade"``
    the prefix must be usable on traded items: issued by a Member Organisation, the
    GS1 Global Office, or ISSN/ISBN - restricted-circulation, coupon, refund-receipt
    and unassigned prefixes are refused.

The table is ``crmkit/codes/data/gs1_prefixes.csv`` (source and date in its header).

Examples
--------
>>> GTIN13.validate("626 1234 567 897")
'6261234567897'
>>> GTIN.to_gtin14("6261234567897")
'06261234567897'
>>> GTIN.parse("6261234567897")["organisation"]
'GS1 Iran'
"""

from __future__ import annotations

import bisect
import csv
import enum
import functools
import io
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final, Literal

import attrs

from crmkit.codes._base import (
    NeverRaisesMixin,
    check_choice,
    checksum_error,
    code_error,
    compact_text,
    require_digits,
    show,
)
from crmkit.codes.checksums import gs1_check_digit
from crmkit.exceptions import InvalidValueError

__all__ = [
    "EAN8",
    "GLN",
    "GTIN",
    "GTIN12",
    "GTIN13",
    "GTIN14",
    "SSCC",
    "GS1Prefix",
    "GS1PrefixUsage",
    "GlobalLocationNumber",
    "GlobalTradeItemNumber",
    "PrefixCheck",
    "SerialShippingContainerCode",
    "gs1_prefix_table",
    "lookup_gs1_prefix",
]

PrefixCheck = Literal["off", "known", "trade"]
_PREFIX_CHECKS: Final = ("off", "known", "trade")


class GS1PrefixUsage(enum.StrEnum):
    """What a GS1 prefix range is allocated to."""

    MEMBER = "member"
    GLOBAL_OFFICE = "global_office"
    RESTRICTED = "restricted"
    COUPON = "coupon"
    REFUND_RECEIPT = "refund_receipt"
    ISSN = "issn"
    ISBN = "isbn"
    RESERVED = "reserved"


_TRADE_USAGES: Final = frozenset(
    {GS1PrefixUsage.MEMBER, GS1PrefixUsage.GLOBAL_OFFICE, GS1PrefixUsage.ISSN, GS1PrefixUsage.ISBN}
)


def _three_digits(_inst: object, attr: Any, value: Any) -> None:
    if not (
        isinstance(value, str) and 1 <= len(value) <= 3 and value.isascii() and value.isdigit()
    ):
        raise InvalidValueError(f"{attr.name}={show(value)} must be a prefix of 1-3 ASCII digits.")


def _organisation(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidValueError(f"organisation={show(value)} must be text.")


def _usage(value: object) -> GS1PrefixUsage:
    if isinstance(value, str) and value in {u.value for u in GS1PrefixUsage}:
        return GS1PrefixUsage(value)
    raise InvalidValueError(
        f"usage={show(value)} is not one of {[u.value for u in GS1PrefixUsage]}."
    )


@attrs.frozen(kw_only=True)
class GS1Prefix:
    """One row of the GS1 prefix table: an inclusive range of three-digit prefixes.

    Attributes
    ----------
    start, end : str
        First and last three-digit prefix of the range.
    usage : GS1PrefixUsage
        What the range is for.
    organisation : str
        The GS1 Member Organisation (or GS1 Global Office use) that allocates it.
    """

    start: str = attrs.field(validator=_three_digits)
    end: str = attrs.field(validator=_three_digits)
    usage: GS1PrefixUsage = attrs.field(converter=_usage)
    organisation: str = attrs.field(validator=_organisation)


@functools.cache
def gs1_prefix_table() -> tuple[GS1Prefix, ...]:
    """The bundled GS1 prefix table, sorted by ``start`` (read once, immutable).

    Returns
    -------
    tuple of GS1Prefix

    References
    ----------
    - GS1, "GS1 Company Prefix", https://www.gs1.org/standards/id-keys/company-prefix
      (list compiled 2026-11-23; see the CSV header).

    Examples
    --------
    >>> [p.organisation for p in gs1_prefix_table() if p.start == "626"]
    ['GS1 Iran']
    """
    text = resources.files("crmkit.codes").joinpath("data", "gs1_prefixes.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO("\n".join(ln for ln in text.splitlines() if ln[:1] != "#")))
    table = tuple(GS1Prefix(**row) for row in rows)
    return tuple(sorted(table, key=lambda p: p.start))


@functools.cache
def _starts() -> tuple[str, ...]:
    return tuple(p.start for p in gs1_prefix_table())


def lookup_gs1_prefix(prefix: str) -> GS1Prefix | None:
    """The table row holding a three-digit GS1 prefix, or None if it is unassigned.

    Raises
    ------
    InvalidValueError
        If ``prefix`` is not three ASCII digits as text.

    Examples
    --------
    >>> lookup_gs1_prefix("626").organisation
    'GS1 Iran'
    >>> lookup_gs1_prefix("140") is None
    True
    """
    if not (
        isinstance(prefix, str) and len(prefix) == 3 and prefix.isascii() and prefix.isdigit()
    ):
        raise InvalidValueError(
            f"prefix={show(prefix)} must be three ASCII digits as text, e.g. '626'."
        )
    table = gs1_prefix_table()
    i = bisect.bisect_right(_starts(), prefix) - 1
    if i >= 0 and table[i].start <= prefix <= table[i].end:
        return table[i]
    return None


_RCN8: Final = GS1Prefix(
    start="0", end="2", usage="restricted", organisation="Restricted circulation (RCN-8)"
)


def _prefix_of_gtin14(gtin14: str) -> GS1Prefix | None:
    body = gtin14[1:]
    if body.startswith("00000"):  # a GTIN-8 carried in a GTIN-14
        gtin8 = body[5:]
        return _RCN8 if gtin8[0] in "02" else lookup_gs1_prefix(gtin8[:3])
    return lookup_gs1_prefix(body[:3])


@attrs.frozen(kw_only=True)
class _GS1Key(NeverRaisesMixin):
    """Shared machinery of the GS1 keys (length, digits, check digit, prefix policy)."""

    prefix_check: PrefixCheck = attrs.field(default="off", validator=check_choice(*_PREFIX_CHECKS))

    @property
    def name(self) -> str:
        raise NotImplementedError

    def _lengths(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _prefix(self, code: str) -> GS1Prefix | None:
        return lookup_gs1_prefix(code[:3])

    def compact(self, code: str) -> str:
        """Remove separators and normalise Persian/Arabic digits."""
        return compact_text(code, self.name)

    def validate(self, code: str) -> str:
        """Return the compact code or raise :class:`~crmkit.exceptions.InvalidCodeError`."""
        text = self.compact(code)
        require_digits(text, self.name, self._lengths(), code)
        expected = gs1_check_digit(text[:-1])
        if text[-1] != expected:
            raise checksum_error(code, self.name, text[-1], expected)
        if self.prefix_check != "off":
            info = self._prefix(text)
            if info is None:
                raise code_error(
                    code,
                    self.name,
                    "structure",
                    "its GS1 prefix is not assigned in the bundled table; use "
                    "prefix_check='off' to accept it.",
                )
            if self.prefix_check == "trade" and info.usage not in _TRADE_USAGES:
                raise code_error(
                    code,
                    self.name,
                    "structure",
                    f"its GS1 prefix is for {info.usage.value} use ({info.organisation}), "
                    "not for traded items; use prefix_check='known' or 'off' to accept it.",
                )
        return text

    def format_code(self, code: str) -> str:
        """The printed form: GS1 keys are printed as plain digits."""
        return self.validate(code)

    def prefix(self, code: str) -> GS1Prefix | None:
        """The GS1 prefix row of a valid code (None if unassigned)."""
        return self._prefix(self.validate(code))


def _sorted_lengths(value: Iterable[int]) -> tuple[int, ...]:
    problem = InvalidValueError(
        f"lengths={show(value)}: pass a non-empty collection of GTIN lengths taken from "
        "8, 12, 13 and 14, e.g. lengths=(13,)."
    )
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise problem
    try:
        given = list(value)
    except Exception as exc:  # a broken iterable
        raise problem from exc
    if not given or not all(type(n) is int and n in (8, 12, 13, 14) for n in given):
        raise problem
    return tuple(sorted(set(given)))


@attrs.frozen(kw_only=True)
class GlobalTradeItemNumber(_GS1Key):
    """GTIN-8, -12 (UPC-A), -13 (EAN-13) or -14; ``lengths`` selects which are accepted.

    Parameters
    ----------
    lengths : tuple of int, default (8, 12, 13, 14)
        Accepted lengths, a subset of ``(8, 12, 13, 14)``.
    prefix_check : {"off", "known", "trade"}, default "off"
        Strictness of the GS1 prefix check (see the module docstring).

    Examples
    --------
    >>> GTIN.is_valid("7501031311309"), GTIN.is_valid("7501031311308")
    (True, False)
    >>> GTIN.parse("7501031311309")["gtin14"]
    '07501031311309'
    """

    lengths: tuple[int, ...] = attrs.field(
        default=(8, 12, 13, 14),
        converter=_sorted_lengths,
    )

    @property
    def name(self) -> str:
        """``"GTIN"`` or ``"GTIN-13"`` etc. when one length is accepted."""
        return f"GTIN-{self.lengths[0]}" if len(self.lengths) == 1 else "GTIN"

    def _lengths(self) -> tuple[int, ...]:
        return self.lengths

    def _prefix(self, code: str) -> GS1Prefix | None:
        return _prefix_of_gtin14(code.zfill(14))

    def to_gtin14(self, code: str) -> str:
        """Widen a valid GTIN to 14 digits (left zero padding; check digit unchanged).

        Examples
        --------
        >>> GTIN.to_gtin14("12345670")
        '00000012345670'
        """
        return self.validate(code).zfill(14)

    def parse(self, code: str) -> dict[str, str]:
        """Components: gtin14, indicator, gs1_prefix, organisation, usage, check_digit.

        ``indicator`` is the first digit of the GTIN-14 (packaging level; 0 for a
        GTIN-8/12/13). The split between company prefix and item reference needs
        the issuer's records (GEPIR) and is not returned.
        """
        text = self.validate(code)
        gtin14 = text.zfill(14)
        info = self._prefix(text)
        return {
            "gtin": text,
            "gtin14": gtin14,
            "indicator": gtin14[0],
            "gs1_prefix": gtin14[1:4] if not gtin14[1:].startswith("00000") else gtin14[6:9],
            "organisation": info.organisation if info else "",
            "usage": info.usage.value if info else "unassigned",
            "check_digit": text[-1],
        }


@attrs.frozen(kw_only=True)
class GlobalLocationNumber(_GS1Key):
    """GLN: 13 digits (company prefix + location reference + check digit).

    Examples
    --------
    >>> GLN.validate("6291041500213")
    '6291041500213'
    """

    @property
    def name(self) -> str:
        """``"GLN"``."""
        return "GLN"

    def _lengths(self) -> tuple[int, ...]:
        return (13,)

    def parse(self, code: str) -> dict[str, str]:
        """Components: gln, gs1_prefix, organisation, usage, check_digit."""
        text = self.validate(code)
        info = self._prefix(text)
        return {
            "gln": text,
            "gs1_prefix": text[:3],
            "organisation": info.organisation if info else "",
            "usage": info.usage.value if info else "unassigned",
            "check_digit": text[-1],
        }


@attrs.frozen(kw_only=True)
class SerialShippingContainerCode(_GS1Key):
    """SSCC: 18 digits (extension digit, company prefix + serial reference, check digit).

    Examples
    --------
    >>> SSCC.parse("106141411234567897")["extension_digit"]
    '1'
    """

    @property
    def name(self) -> str:
        """``"SSCC"``."""
        return "SSCC"

    def _lengths(self) -> tuple[int, ...]:
        return (18,)

    def _prefix(self, code: str) -> GS1Prefix | None:
        return lookup_gs1_prefix(code[1:4])

    def parse(self, code: str) -> dict[str, str]:
        """Components: sscc, extension_digit, gs1_prefix, organisation, usage, check_digit."""
        text = self.validate(code)
        info = self._prefix(text)
        return {
            "sscc": text,
            "extension_digit": text[0],
            "gs1_prefix": text[1:4],
            "organisation": info.organisation if info else "",
            "usage": info.usage.value if info else "unassigned",
            "check_digit": text[-1],
        }


GTIN: Final = GlobalTradeItemNumber()
"""Any GTIN (8, 12, 13 or 14 digits), no prefix check."""
EAN8: Final = GlobalTradeItemNumber(lengths=(8,))
"""GTIN-8, printed as an EAN-8 barcode (scheme name ``"GTIN-8"``)."""
GTIN12: Final = GlobalTradeItemNumber(lengths=(12,))
"""GTIN-12 (UPC-A)."""
GTIN13: Final = GlobalTradeItemNumber(lengths=(13,))
"""GTIN-13 (EAN-13)."""
GTIN14: Final = GlobalTradeItemNumber(lengths=(14,))
"""GTIN-14 (ITF-14 and trade-unit levels)."""
GLN: Final = GlobalLocationNumber()
"""Global Location Number, no prefix check."""
SSCC: Final = SerialShippingContainerCode()
"""Serial Shipping Container Code, no prefix check."""
