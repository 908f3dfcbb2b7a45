"""``is_valid`` answers False only for crmkit's verdict, never for a bug in a scheme.

``is_valid`` never raises for any *input*: a code the scheme rejects raises a
:class:`~crmkit.exceptions.CrmkitError` inside ``validate``, which ``is_valid`` turns into
False. Any other exception is a defect in the scheme (or a check-digit function) and must
propagate instead of being reported as "invalid code".
"""

from __future__ import annotations

from typing import Any

import pytest

from crmkit.codes import GTIN, IBAN, mod97_10_is_valid
from crmkit.codes._base import NeverRaisesMixin, code_error
from crmkit.codes.checksums import passes_check_digit


class _BrokenScheme(NeverRaisesMixin):
    """A scheme whose validate has a bug (a division by zero on some codes)."""

    name = "BROKEN"

    def validate(self, code: str) -> str:
        if code == "reject":
            raise code_error(code, self.name, "characters", "not allowed.")
        return str(len(code) // (len(code) - len(code)))  # ZeroDivisionError: the bug


def test_a_bug_in_a_scheme_propagates_instead_of_reading_as_invalid() -> None:
    scheme = _BrokenScheme()
    with pytest.raises(ZeroDivisionError):
        scheme.is_valid("12345")


def test_the_schemes_own_rejection_still_reads_as_false() -> None:
    assert _BrokenScheme().is_valid("reject") is False


def test_a_bug_in_a_check_digit_function_propagates() -> None:
    def broken(payload: str) -> str:
        raise KeyError(payload)  # a bug, not a verdict on the code

    with pytest.raises(KeyError):
        passes_check_digit("12345", broken)


@pytest.mark.parametrize(
    "junk",
    [None, 12345, 1.5, b"6261234567897", ["6261234567897"], "", "x" * 5000, 10**400, object()],
)
def test_builtin_schemes_still_never_raise_on_junk(junk: Any) -> None:
    assert GTIN.is_valid(junk) is False
    assert IBAN.is_valid(junk) is False
    assert mod97_10_is_valid(junk) is False
