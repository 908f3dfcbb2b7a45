"""Internal prefixed schemes and local (branch) schemes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.codes import CodeScheme, LocalCodeScheme, PrefixedScheme
from crmkit.exceptions import InvalidCodeError, InvalidValueError

CUST = PrefixedScheme(prefix="CUST", width=6, check="luhn")
SUPP = PrefixedScheme(prefix="SUPP", width=6, check="mod97")
PLAIN = PrefixedScheme(prefix="SRV", width=3, check=None)


def test_protocol() -> None:
    for scheme in (CUST, SUPP, PLAIN, LocalCodeScheme(source="Tabriz")):
        assert isinstance(scheme, CodeScheme)


def test_hand_computed_check_digits() -> None:
    # Luhn over 000042: double the 2 -> 4, plus 4 = 8 -> check digit 2.
    assert CUST.make(42) == "CUST-000042-2"
    # MOD 97-10 over 0007: 700 mod 97 = 21 -> 98 - 21 = 77.
    assert PrefixedScheme(prefix="SUPP", width=4, check="mod97").make(7) == "SUPP-0007-77"
    assert PLAIN.make(5) == "SRV-005"


def test_validate_returns_formatted_canonical_form() -> None:
    assert CUST.validate("cust0000422") == "CUST-000042-2"
    assert CUST.validate(" CUST-۰۰۰۰۴۲-۲ ") == "CUST-000042-2"
    assert CUST.parse("CUST-000042-2") == {"prefix": "CUST", "serial": "000042", "check": "2"}
    assert PLAIN.parse("SRV-005")["check"] == ""
    assert CUST.number("CUST-000042-2") == 42


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("CUST-000042-3", "checksum"),
        ("PROD-000042-2", "structure"),
        ("CUST-00042-2", "length"),
        ("CUST-0000A2-2", "characters"),
    ],
)
def test_errors(code: str, reason: str) -> None:
    with pytest.raises(InvalidCodeError) as err:
        CUST.validate(code)
    assert err.value.reason == reason
    assert err.value.scheme == "CUST internal"
    if reason == "checksum":
        assert "should be '2'" in str(err.value)


def test_bad_configuration_and_numbers() -> None:
    with pytest.raises(InvalidValueError):
        PrefixedScheme(prefix="cu st", width=6)
    with pytest.raises(InvalidValueError):
        PrefixedScheme(prefix="CUST", width=0)
    with pytest.raises(ValueError, match="check"):
        PrefixedScheme(prefix="CUST", width=3, check="crc")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="does not fit"):
        PLAIN.make(1000)
    with pytest.raises(InvalidValueError):
        PLAIN.make(-1)


def test_luhn_internal_codes_miss_09_90_transposition_as_documented() -> None:
    # Luhn's documented blind spot carries over to internal codes.
    a, b = CUST.make(9), CUST.make(90)
    assert a.split("-")[2] == b.split("-")[2]


def test_local_scheme() -> None:
    tabriz = LocalCodeScheme(source="Tabriz")
    assert tabriz.name == "local:Tabriz"
    assert tabriz.validate(" a-7 ") == "A-7"
    assert not tabriz.is_valid("   ")
    assert not tabriz.is_valid("A\x00B")
    with pytest.raises(InvalidValueError):
        LocalCodeScheme(source=" ")


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from([CUST, SUPP]))
def test_every_made_code_validates_and_round_trips(n: int, scheme: PrefixedScheme) -> None:
    code = scheme.make(n)
    assert scheme.validate(code) == code
    assert scheme.validate(scheme.compact(code)) == code
    assert scheme.number(code) == n


@given(st.integers(min_value=0, max_value=999_999))
def test_single_digit_changes_of_serial_are_caught(n: int) -> None:
    code = CUST.make(n)
    serial = code[5:11]
    for i, c in enumerate(serial):
        for d in "0123456789":
            if d != c:
                changed = serial[:i] + d + serial[i + 1 :]
                assert not CUST.is_valid(f"CUST-{changed}-{code[-1]}")


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.floats()))
def test_is_valid_never_raises(value: Any) -> None:
    for scheme in (CUST, SUPP, PLAIN, LocalCodeScheme(source="X")):
        assert scheme.is_valid(value) in (True, False)
