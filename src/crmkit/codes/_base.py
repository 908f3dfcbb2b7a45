"""The common interface of every code scheme and the helpers the schemes share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from crmkit._text import show, strip_code_separators
from crmkit.exceptions import CrmkitError, InvalidCodeError, InvalidValueError

__all__ = [
    "CodeScheme",
    "NeverRaisesMixin",
    "check_choice",
    "check_flag",
    "checksum_error",
    "code_error",
    "compact_text",
    "plain_str",
    "require_digits",
    "show",
]


def plain_str(value: object) -> str | None:
    """``value`` as an exact ``str`` (a copy for str subclasses), or None if not text.

    Subclass methods are never called, so a ``str`` subclass whose methods raise is
    handled like the plain text it holds.
    """
    if isinstance(value, str):
        return str.__str__(value)
    return None


@runtime_checkable
class CodeScheme(Protocol):
    """What every code scheme offers (GS1, Iranian and internal schemes alike).

    Attributes
    ----------
    name : str
        Short scheme name used in messages and registry records (``"GTIN-13"``).

    Methods
    -------
    compact(code) -> str
        Remove separators (spaces, dashes, dots, slashes) and turn Persian or
        Arabic-Indic digits into ASCII; raises only if ``code`` is not a ``str``.
    validate(code) -> str
        The canonical (compact) form, or raise :class:`~crmkit.exceptions.InvalidCodeError`
        naming the code, the scheme and the reason (``"length"``, ``"characters"``,
        ``"checksum"`` with the expected check digit, ``"structure"``).
    is_valid(code) -> bool
        Never raises, whatever ``code`` is (``None``, bytes, numbers, any text).
    format_code(code) -> str
        The validated code in its human-readable printed form.
    parse(code) -> dict[str, str]
        The validated code split into its named components (``{"code": ...}`` for
        schemes without documented components).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        """A protocol has no instances: say so with a crmkit error."""
        raise InvalidValueError(
            "CodeScheme is a protocol (the interface every scheme offers), not a scheme; "
            "use a concrete one such as crmkit.codes.GTIN or PrefixedScheme(...)."
        )

    @property
    def name(self) -> str:
        """Short scheme name."""
        ...

    def compact(self, code: str) -> str:
        """Strip separators and normalise digits."""
        ...

    def validate(self, code: str) -> str:
        """Return the canonical form or raise InvalidCodeError."""
        ...

    def is_valid(self, code: object) -> bool:
        """Whether ``code`` validates; never raises."""
        ...

    def format_code(self, code: str) -> str:
        """Printed form of a valid code."""
        ...

    def parse(self, code: str) -> dict[str, str]:
        """Named components of a valid code."""
        ...


def check_flag(_inst: object, attr: Any, value: object) -> None:
    """attrs validator: ``value`` must be a real ``bool`` (no truthy strings or ints)."""
    if not isinstance(value, bool):
        raise InvalidValueError(
            f"{attr.name}={show(value)} must be True or False (a bool); strings such as "
            "'yes' or 'no' and numbers are not read as flags."
        )


def check_choice(*allowed: object) -> Callable[[object, Any, object], None]:
    """attrs validator: ``value`` must be one of ``allowed`` (compared by type and value)."""

    def check(_inst: object, attr: Any, value: object) -> None:
        if not any(type(value) is type(a) and value == a for a in allowed):
            raise InvalidValueError(
                f"{attr.name}={show(value)} is not one of {list(allowed)}; pass one of those."
            )

    return check


def code_error(code: object, scheme: str, reason: str, detail: str) -> InvalidCodeError:
    """Build an :class:`InvalidCodeError` whose message names code, scheme and reason."""
    return InvalidCodeError(
        f"{show(code)} is not a valid {scheme} ({reason}): {detail}",
        code=plain_str(code) if isinstance(code, str) else show(code),
        scheme=scheme,
        reason=reason,
    )


def compact_text(code: object, scheme: str, *, upper: bool = False) -> str:
    """Compact ``code`` for ``scheme`` or raise if it is not text at all."""
    plain = plain_str(code)
    if plain is None:
        raise code_error(
            code,
            scheme,
            "characters",
            f"expected a str, got {type(code).__name__}; codes are text because "
            "leading zeros matter (read the column with dtype=str).",
        )
    text = strip_code_separators(plain)
    return text.upper() if upper else text


def require_digits(code: str, scheme: str, lengths: tuple[int, ...], original: object) -> None:
    """Raise unless ``code`` is ASCII digits of one of ``lengths``."""
    if not (code.isascii() and code.isdigit()):
        bad = sorted({c for c in code if not ("0" <= c <= "9")})
        raise code_error(
            original,
            scheme,
            "characters",
            f"only digits 0-9 are allowed, found {show(bad[:10])}.",
        )
    if len(code) not in lengths:
        want = " or ".join(str(n) for n in lengths)
        raise code_error(original, scheme, "length", f"expected {want} digits, got {len(code)}.")


def checksum_error(original: object, scheme: str, got: str, expected: str) -> InvalidCodeError:
    """The error for a wrong check digit, giving the expected one."""
    return code_error(
        original,
        scheme,
        "checksum",
        f"the check digit is {show(got)} but should be {show(expected)}; "
        "look for a mistyped or swapped digit.",
    )


class NeverRaisesMixin:
    """Provides ``is_valid`` for any class with a ``validate`` method."""

    __slots__ = ()

    def validate(self, code: str) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def is_valid(self, code: object) -> bool:
        """Whether ``code`` validates; never raises for any input, whatever ``code`` is.

        Only crmkit's own errors (:class:`~crmkit.exceptions.CrmkitError`: the scheme
        rejecting the code) mean False; any other exception is a bug in the scheme and
        propagates instead of being reported as an invalid code.
        """
        try:
            self.validate(code)  # type: ignore[arg-type]  # any object is rejected cleanly
        except CrmkitError:  # the scheme's verdict; other errors are bugs and propagate
            return False
        return True
