"""Parsing of the maturity vocabularies (enums) from user-typed names (private)."""

from __future__ import annotations

import enum
from typing import TypeVar

from crmkit.exceptions import InvalidValueError

__all__ = ["name_key", "parse_member"]

E = TypeVar("E", bound=enum.Enum)


def name_key(text: str) -> str:
    """``"Speed of-change "`` -> ``"speed_of_change"`` (lower case; the enums' value form)."""
    return str(text).strip().lower().replace("-", "_").replace(" ", "_")


def parse_member(value: E | str, kind: type[E], *, what: str, plural: str) -> E:
    """The member of ``kind`` given as itself or by its value's name, case-insensitive.

    Raises :class:`~crmkit.exceptions.InvalidValueError` naming ``what`` and listing the
    valid values (``plural``) for an unknown name.
    """
    if isinstance(value, kind):
        return value
    try:
        return kind(name_key(str(value)))
    except ValueError as exc:
        raise InvalidValueError(
            f"unknown {what} {value!r}; valid {plural} are {[m.value for m in kind]}."
        ) from exc
