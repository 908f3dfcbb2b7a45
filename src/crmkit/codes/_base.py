"""The common interface of every code scheme and the helpers the schemes share."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from crmkit._text import strip_code_separators
from crmkit.exceptions import InvalidCodeError

__all__ = [
    "CodeScheme",
    "NeverRaisesMixin",
    "checksum_error",
    "code_error",
    "compact_text",
    "require_digits",
]


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


def code_error(code: object, scheme: str, reason: str, detail: str) -> InvalidCodeError:
    """Build an :class:`InvalidCodeError` whose message names code, scheme and reason."""
    return InvalidCodeError(
        f"{code!r} is not a valid {scheme} ({reason}): {detail}",
        code=str(code),
        scheme=scheme,
        reason=reason,
    )


def compact_text(code: object, scheme: str, *, upper: bool = False) -> str:
    """Compact ``code`` for ``scheme`` or raise if it is not text at all."""
    if not isinstance(code, str):
        raise code_error(
            code,
            scheme,
            "characters",
            f"expected a str, got {type(code).__name__}; codes are text because "
            "leading zeros matter (read the column with dtype=str).",
        )
    text = strip_code_separators(code)
    return text.upper() if upper else text


def require_digits(code: str, scheme: str, lengths: tuple[int, ...], original: object) -> None:
    """Raise unless ``code`` is ASCII digits of one of ``lengths``."""
    if not (code.isascii() and code.isdigit()):
        bad = sorted({c for c in code if not ("0" <= c <= "9")})
        raise code_error(
            original,
            scheme,
            "characters",
            f"only digits 0-9 are allowed, found {bad!r}.",
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
        f"the check digit is {got!r} but should be {expected!r}; "
        "look for a mistyped or swapped digit.",
    )


class NeverRaisesMixin:
    """Provides ``is_valid`` for any class with a ``validate`` method."""

    __slots__ = ()

    def validate(self, code: str) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def is_valid(self, code: object) -> bool:
        """Whether ``code`` validates; never raises, whatever ``code`` is."""
        try:
            self.validate(code)  # type: ignore[arg-type]  # any object is rejected cleanly
        except Exception:  # is_valid must never raise, whatever the input
            return False
        return True
