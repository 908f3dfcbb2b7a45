"""IBAN and Iranian-ID verdicts against python-stdnum's and persian-tools' published vectors.

The vectors are stored in ``tests/reference/codes_iban_stdnum.json`` and
``tests/reference/codes_iran_persian_tools.json`` (sources, commits and the script
``make_codes_vectors.py`` that extracted them are recorded there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmkit.codes import IBAN, SHEBA, IbanScheme, IranLegalID, IranNationalID
from crmkit.codes._iban_registry import iban_formats
from crmkit.exceptions import InvalidCodeError


@pytest.fixture(scope="module")
def stdnum(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "codes_iban_stdnum.json").read_text())
    return data


@pytest.fixture(scope="module")
def persian_tools(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference_dir / "codes_iran_persian_tools.json").read_text("utf-8")
    )
    return data["groups"]


def test_stdnum_registry_samples_are_valid(stdnum: dict[str, Any]) -> None:
    codes = stdnum["groups"]["registry_samples_valid"]
    assert len(codes) > 150
    assert [c for c in codes if not IBAN.is_valid(c)] == []
    assert [c for c in codes if not IbanScheme(check_country=False).is_valid(c)] == []


@pytest.mark.parametrize(
    "group",
    [
        "broken_checksum_invalid",
        "wrong_length_invalid",
        "bad_characters_or_unknown_country_invalid",
        "unknown_country_or_empty_bban_invalid",
    ],
)
def test_stdnum_invalid_groups_are_rejected(stdnum: dict[str, Any], group: str) -> None:
    codes = stdnum["groups"][group]
    assert codes
    assert [c for c in codes if IBAN.is_valid(c)] == []


def test_wrong_length_and_structure_need_the_registry(stdnum: dict[str, Any]) -> None:
    # These have right check digits: only the per-country format rejects them.
    loose = IbanScheme(check_country=False)
    assert all(loose.is_valid(c) for c in stdnum["groups"]["wrong_length_invalid"])
    for code in stdnum["groups"]["wrong_length_invalid"]:
        with pytest.raises(InvalidCodeError) as err:
            IBAN.validate(code)
        assert err.value.reason == "length"


def test_national_account_checks_agree_with_stdnum(stdnum: dict[str, Any]) -> None:
    # python-stdnum rejects these with its Spanish national (CCC) check and accepts them
    # with check_country=False; crmkit gives the same two verdicts.
    codes = stdnum["groups"]["national_check_failures"]["codes"]
    assert not any(IBAN.is_valid(c) for c in codes)
    loose = IbanScheme(check_country=False)
    assert all(loose.is_valid(c) for c in codes)
    for code in codes:
        with pytest.raises(InvalidCodeError, match="control digits") as err:
            IBAN.validate(code)
        assert err.value.reason == "checksum"


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("BE68539007547034", True),  # 5390075470 mod 97 = 34
        ("BE71096123456769", True),  # 0961234567 mod 97 = 69
        ("BE86539007547035", False),  # IBAN digits right, account control digits wrong
    ],
)
def test_belgian_account_control_digits(code: str, valid: bool) -> None:
    from crmkit.codes import iban_check_digits

    # rebuild the IBAN check digits so that only the national check can fail
    fixed = code[:2] + iban_check_digits(code[:2], code[4:]) + code[4:]
    assert IBAN.is_valid(fixed) is valid
    assert IbanScheme(check_country=False).is_valid(fixed)


@pytest.mark.parametrize("code", ["XX4212345678901234", "DE543704004405320130001"])
def test_issue_examples_are_rejected_by_default(code: str) -> None:
    with pytest.raises(InvalidCodeError) as err:
        IBAN.validate(code)
    assert err.value.reason in ("structure", "length")
    assert "check_country=False" in str(err.value) or "22 characters" in str(err.value)
    assert not IBAN.is_valid(code)


def test_unknown_country_message_names_the_fix() -> None:
    with pytest.raises(InvalidCodeError, match="check_country=False") as err:
        IBAN.validate("XX4212345678901234")
    assert err.value.reason == "structure"
    assert IbanScheme(check_country=False).validate("XX4212345678901234") == "XX4212345678901234"


def test_bban_structure_is_checked_per_position() -> None:
    # GB: 4 letters + 6 digits + 8 digits. A digit in the bank code is refused even with
    # check digits recomputed to be right.
    from crmkit.codes import iban_check_digits

    bban = "NW3K60161331926819"
    code = "GB" + iban_check_digits("GB", bban) + bban
    assert IbanScheme(check_country=False).is_valid(code)
    with pytest.raises(InvalidCodeError, match="4 capital letters") as err:
        IBAN.validate(code)
    assert err.value.reason == "structure"


def test_registry_table_lengths_and_iran() -> None:
    table = iban_formats()
    assert len(table) == 90
    assert table["DE"].iban_length == 22
    assert table["IR"].iban_length == 26
    assert table["IR"].source == "CBI"
    assert table["NO"].iban_length == 15
    assert max(f.iban_length for f in table.values()) <= 34
    assert table["GB"].describe() == "4 capital letters, 6 digits, 8 digits"


def test_sheba_keeps_the_iranian_rules(persian_tools: dict[str, Any]) -> None:
    group = persian_tools["sheba"]
    assert [c for c in group["valid"] if not SHEBA.is_valid(c)] == []
    assert [c for c in group["invalid"] if SHEBA.is_valid(c) or IBAN.is_valid(c)] == []
    with pytest.raises(InvalidCodeError) as err:
        SHEBA.validate("IR06 0570 0299 7160 1460 6410 0A")
    assert err.value.reason == "characters"


def test_national_ids_agree_with_persian_tools(persian_tools: dict[str, Any]) -> None:
    group = persian_tools["national_id"]
    scheme = IranNationalID(accept_unpadded=True)  # persian-tools pads 8-9 digit input
    assert [c for c in group["valid"] if not scheme.is_valid(c)] == []
    assert [c for c in group["invalid"] if scheme.is_valid(c)] == []
    for row in group["with_options"]:
        assert scheme.is_valid(row["code"]) == row["valid"], row


def test_no_persian_tools_vector_depends_on_the_prefix_list(
    persian_tools: dict[str, Any],
) -> None:
    # crmkit has no city-prefix list; every invalid vector must fail for another reason.
    scheme = IranNationalID(accept_unpadded=True)
    for code in persian_tools["national_id"]["invalid"]:
        assert not scheme.is_valid(code), code


def test_middle_zero_vector_is_checksum_valid_only_with_the_policy_off() -> None:
    # persian-tools' "0010000000" fails its checksum anyway; 0010000003 isolates the rule.
    assert not IranNationalID().is_valid("0010000003")
    assert IranNationalID(middle_zeros="accept").is_valid("0010000003")
    with pytest.raises(InvalidCodeError, match="middle_zeros='accept'") as err:
        IranNationalID().validate("0010000003")
    assert err.value.reason == "structure"


def test_legal_ids_agree_with_persian_tools(persian_tools: dict[str, Any]) -> None:
    group = persian_tools["legal_id"]
    assert [c for c in group["valid"] if not IranLegalID().is_valid(c)] == []
    assert [c for c in group["invalid"] if IranLegalID().is_valid(c)] == []
    # Numeric vectors of the spec file, as text: 10380284792 and 10380285692 invalid,
    # 11111111111 invalid.
    for code in ("10380284792", "10380285692", "11111111111"):
        assert not IranLegalID().is_valid(code)
    assert not IranLegalID().is_valid("00000000009")
    assert IranLegalID(middle_zeros="accept").is_valid("00000000009")


def _bban_for(structure: str, fill: dict[str, str]) -> str:
    import re

    return "".join(fill[t] * int(n) for n, t in re.findall(r"(\d+)!([nac])", structure))


@pytest.mark.parametrize("country", sorted(iban_formats()))
def test_every_registry_row_accepts_its_structure_and_nothing_else(country: str) -> None:
    from crmkit.codes import iban_check_digits

    fmt = iban_formats()[country]

    def iban(bban: str) -> str:
        return country + iban_check_digits(country, bban) + bban

    good = _bban_for(fmt.bban_structure, {"n": "1", "a": "B", "c": "7"})
    if country == "ES":  # CCC control digits of 00+11111111 and of 1111111111 (mod 11)
        good = good[:8] + "30" + good[10:]
    if country == "BE":  # 1111111111 mod 97 = 70
        good = good[:10] + "70"
    assert IBAN.validate(iban(good)) == iban(good)
    assert len(iban(good)) == fmt.iban_length
    for bad in (good + "1", good[:-1]):  # one character too many / too few
        with pytest.raises(InvalidCodeError) as err:
            IBAN.validate(iban(bad))
        assert err.value.reason == "length"
    # a letter where the registry wants a digit (or a digit where it wants a letter)
    first = fmt.bban_structure.split("!")[1][0]
    swapped = ("B" if first == "n" else "1") + good[1:] if first != "c" else None
    if swapped is not None:
        assert not IBAN.is_valid(iban(swapped))
        assert IbanScheme(check_country=False).is_valid(iban(swapped))
