"""The per-country IBAN formats of the SWIFT IBAN Registry (package data, private).

The table is ``crmkit/codes/data/iban_registry.csv``; its header names the source
(SWIFT IBAN Registry release 101, Iran from the Central Bank of Iran) and the date.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Final

import attrs

__all__ = ["REGISTRY_RELEASE", "IbanFormat", "iban_formats"]

REGISTRY_RELEASE: Final = "SWIFT IBAN Registry release 101 (IR: Central Bank of Iran)"
"""Where the formats come from, for messages."""

_PART: Final = re.compile(r"(\d+)!([nac])")
_CLASS: Final = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_WORD: Final = {"n": "digits", "a": "capital letters", "c": "letters or digits"}


@attrs.frozen
class IbanFormat:
    """The IBAN format of one country: BBAN structure (registry notation) and length."""

    country_code: str
    country_name: str
    bban_structure: str
    iban_length: int
    source: str

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """Regular expression of the BBAN (capitals, no separators)."""
        parts = _PART.findall(self.bban_structure)
        return re.compile("".join(f"{_CLASS[t]}{{{n}}}" for n, t in parts))

    def describe(self) -> str:
        """The BBAN structure in words, e.g. ``8 digits, 10 digits``."""
        return ", ".join(f"{n} {_WORD[t]}" for n, t in _PART.findall(self.bban_structure))


@functools.cache
def iban_formats() -> Mapping[str, IbanFormat]:
    """Country code -> :class:`IbanFormat`, read once from the package data."""
    text = resources.files("crmkit.codes").joinpath("data", "iban_registry.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out: dict[str, IbanFormat] = {}
    for row in csv.DictReader(lines):
        fmt = IbanFormat(
            country_code=row["country_code"],
            country_name=row["country_name"],
            bban_structure=row["bban_structure"],
            iban_length=int(row["iban_length"]),
            source=row["source"],
        )
        widths = sum(int(n) for n, _ in _PART.findall(fmt.bban_structure))
        if widths + 4 != fmt.iban_length:  # pragma: no cover - guards the data file
            raise AssertionError(f"iban_registry.csv: inconsistent row {row}")
        out[fmt.country_code] = fmt
    return MappingProxyType(out)
