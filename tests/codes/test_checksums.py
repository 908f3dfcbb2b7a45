"""Check-digit functions against published vectors and their documented error detection."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.codes import checksums, checksums_iran
from crmkit.exceptions import InvalidCodeError

CHECK: dict[str, Callable[[str], str]] = {
    "gs1_mod10": checksums.gs1_check_digit,
    "luhn": checksums.luhn_check_digit,
    "mod97_10": checksums.mod97_10_check_digits,
    "mod11_2": checksums.mod11_2_check_digit,
    "iran_legal_id": checksums_iran.iran_legal_id_check_digit,
}
VALID: dict[str, Callable[[str], bool]] = {
    "gs1_mod10": checksums.gs1_is_valid,
    "luhn": checksums.luhn_is_valid,
    "mod97_10": checksums.mod97_10_is_valid,
    "mod11_2": checksums.mod11_2_is_valid,
    "iran_national_id": checksums_iran.iran_national_id_is_valid,
    "iran_legal_id": checksums_iran.iran_legal_id_is_valid,
}


@pytest.fixture(scope="module")
def vectors(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "codes_checksums.json").read_text("utf-8"))
    return data["groups"]


@pytest.mark.parametrize("group", sorted(CHECK))
def test_published_check_digits(vectors: dict[str, Any], group: str) -> None:
    for payload, expected in vectors[group]["check"].items():
        assert CHECK[group](payload) == expected, (group, payload)


@pytest.mark.parametrize("group", sorted(VALID))
def test_published_valid_and_invalid_codes(vectors: dict[str, Any], group: str) -> None:
    for code in vectors[group]["valid"]:
        assert VALID[group](code), (group, code)
    for code in vectors[group]["invalid"]:
        assert not VALID[group](code), (group, code)


def test_iban_check_digits_match_registry_examples(vectors: dict[str, Any]) -> None:
    for iban in vectors["iban"]["valid"]:
        assert checksums.iban_check_digits(iban[:2], iban[4:]) == iban[2:4]


def test_repeated_digit_national_ids_pass_the_bare_checksum(vectors: dict[str, Any]) -> None:
    # 54 * d mod 11 always yields check digit d: the reason a policy flag is needed.
    for code in vectors["iran_national_id"]["repeated_digit"]:
        assert checksums_iran.iran_national_id_is_valid(code)


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "۱۲۳", " 123"])
def test_payload_with_bad_characters_raises(bad: str) -> None:
    with pytest.raises(InvalidCodeError) as err:
        checksums.gs1_check_digit(bad)
    assert err.value.reason == "characters"


def test_fixed_length_payloads_raise_on_wrong_length() -> None:
    with pytest.raises(InvalidCodeError, match="exactly 9"):
        checksums_iran.iran_national_id_check_digit("12345678")
    with pytest.raises(InvalidCodeError, match="exactly 10"):
        checksums_iran.iran_legal_id_check_digit("123")


def test_hand_computed_gs1_and_luhn() -> None:
    # GS1: 4006381333931: 4*1+0*3+0*1+6*3+3*1+8*3+1*1+3*3+3*1+3*3+9*1+3*3 = 89 -> 1.
    assert checksums.gs1_check_digit("400638133393") == "1"
    # Luhn: 4111 1111 1111 111: doubled digits 4 and seven 1s give 8 + 14 = 22,
    # the other seven 1s give 7, total 29 -> check digit 1.
    assert checksums.luhn_check_digit("411111111111111") == "1"


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_every_computed_check_validates(payload: str) -> None:
    assert checksums.gs1_is_valid(payload + checksums.gs1_check_digit(payload))
    assert checksums.luhn_is_valid(payload + checksums.luhn_check_digit(payload))
    assert checksums.mod97_10_is_valid(payload + checksums.mod97_10_check_digits(payload))
    assert checksums.mod11_2_is_valid(payload + checksums.mod11_2_check_digit(payload))


def _substitutions(code: str) -> list[str]:
    return [
        code[:i] + d + code[i + 1 :]
        for i, c in enumerate(code)
        if c.isdigit()
        for d in "0123456789"
        if d != c
    ]


def _transpositions(code: str) -> list[tuple[int, str]]:
    return [
        (i, code[:i] + code[i + 1] + code[i] + code[i + 2 :])
        for i in range(len(code) - 1)
        if code[i] != code[i + 1]
    ]


payloads = st.text(alphabet="0123456789", min_size=1, max_size=17)


@given(payloads)
def test_gs1_catches_every_single_digit_error(payload: str) -> None:
    code = payload + checksums.gs1_check_digit(payload)
    assert not any(checksums.gs1_is_valid(m) for m in _substitutions(code))


@given(payloads)
def test_gs1_transpositions_caught_unless_digits_differ_by_5(payload: str) -> None:
    code = payload + checksums.gs1_check_digit(payload)
    for i, m in _transpositions(code):
        missed = checksums.gs1_is_valid(m)
        assert missed == (abs(int(code[i]) - int(code[i + 1])) == 5), (code, i)


@given(payloads)
def test_luhn_catches_single_errors_and_transpositions_except_09(payload: str) -> None:
    code = payload + checksums.luhn_check_digit(payload)
    assert not any(checksums.luhn_is_valid(m) for m in _substitutions(code))
    for i, m in _transpositions(code):
        assert checksums.luhn_is_valid(m) == ({code[i], code[i + 1]} == {"0", "9"}), (code, i)


def test_luhn_documented_blind_spot_09_90() -> None:
    code = "09" + checksums.luhn_check_digit("09")  # 09 and 90 have the same Luhn sum
    assert checksums.luhn_is_valid(code)
    assert checksums.luhn_is_valid("90" + code[2])


@given(payloads)
def test_iso7064_catch_all_single_errors_and_transpositions(payload: str) -> None:
    for code, ok in (
        (payload + checksums.mod97_10_check_digits(payload), checksums.mod97_10_is_valid),
        (payload + checksums.mod11_2_check_digit(payload), checksums.mod11_2_is_valid),
    ):
        assert not any(ok(m) for m in _substitutions(code))
        assert not any(ok(m) for _, m in _transpositions(code))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_national_id_errors_caught_except_remainder_1_vs_10(payload: str) -> None:
    code = payload + checksums_iran.iran_national_id_check_digit(payload)
    # transpositions with the check digit itself (i = 8) are not covered by the weights
    for m in _substitutions(code) + [m for i, m in _transpositions(code) if i < 8]:
        if checksums_iran.iran_national_id_is_valid(m):
            # the only blind spot: remainders 1 and 10 both give check digit 1
            r = sum(int(d) * (10 - i) for i, d in enumerate(m[:9])) % 11
            r0 = sum(int(d) * (10 - i) for i, d in enumerate(code[:9])) % 11
            assert {r, r0} == {1, 10}
            assert m[9] == "1"


def _legal_remainder(code: str) -> int:
    e = int(code[9]) + 2
    return (
        sum(
            (int(d) + e) * w
            for d, w in zip(code[:10], checksums_iran.LEGAL_ID_WEIGHTS, strict=True)
        )
        % 11
    )


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_legal_id_errors_caught_except_remainder_0_vs_10(payload: str) -> None:
    code = payload + checksums_iran.iran_legal_id_check_digit(payload)
    assert checksums_iran.iran_legal_id_is_valid(code)
    for m in _substitutions(code) + [m for i, m in _transpositions(code) if i < 8]:
        if checksums_iran.iran_legal_id_is_valid(m):
            assert {_legal_remainder(m), _legal_remainder(code)} == {0, 10}
            assert m[10] == "0"


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.floats()))
def test_is_valid_functions_never_raise(value: Any) -> None:
    for fn in VALID.values():
        assert fn(value) in (True, False)
