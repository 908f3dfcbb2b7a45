"""Iranian schemes: national ID (with its policy flags), legal ID, Sheba/IBAN, Iran Code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.codes import (
    IBAN,
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    IRAN_LEGAL_ID,
    IRAN_NATIONAL_ID,
    SHEBA,
    CodeScheme,
    IbanScheme,
    IranNationalID,
    iran_national_id_check_digit,
)
from crmkit.exceptions import InvalidCodeError


@pytest.fixture(scope="module")
def groups(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "codes_checksums.json").read_text("utf-8"))
    return data["groups"]


ALL = (IBAN, IRAN_CODE_PRODUCT, IRAN_CODE_SERVICE, IRAN_LEGAL_ID, IRAN_NATIONAL_ID, SHEBA)


def test_protocol() -> None:
    for scheme in ALL:
        assert isinstance(scheme, CodeScheme)


def test_national_id_published_vectors(groups: dict[str, Any]) -> None:
    g = groups["iran_national_id"]
    for code in g["valid"]:
        assert IRAN_NATIONAL_ID.validate(code) == code
    for code in g["invalid"]:
        assert not IRAN_NATIONAL_ID.is_valid(code)


def test_repeated_digit_policy_flag(groups: dict[str, Any]) -> None:
    accept = IranNationalID(repeated_digits="accept")
    for code in groups["iran_national_id"]["repeated_digit"]:
        with pytest.raises(InvalidCodeError, match="repeated_digits='accept'") as err:
            IRAN_NATIONAL_ID.validate(code)
        assert err.value.reason == "structure"
        assert accept.validate(code) == code
    with pytest.raises(ValueError, match="repeated_digits"):
        IranNationalID(repeated_digits="maybe")  # type: ignore[arg-type]


def test_unpadded_ids_need_the_explicit_option(groups: dict[str, Any]) -> None:
    lenient = IranNationalID(accept_unpadded=True)
    for code in groups["iran_national_id"]["unpadded_valid"]:
        with pytest.raises(InvalidCodeError) as err:
            IRAN_NATIONAL_ID.validate(code)
        assert err.value.reason == "length"
        assert lenient.validate(code) == code.zfill(10)


def test_national_id_checksum_error_gives_expected_digit() -> None:
    with pytest.raises(InvalidCodeError, match="should be '9'") as err:
        IRAN_NATIONAL_ID.validate("049-937089-8")
    assert err.value.scheme == "Iranian national ID"
    assert err.value.code == "049-937089-8"


def test_national_id_format_and_parse_with_persian_digits() -> None:
    assert IRAN_NATIONAL_ID.format_code("۰۴۹۹۳۷۰۸۹۹") == "049-937089-9"
    assert IRAN_NATIONAL_ID.parse("0499370899") == {
        "national_id": "0499370899",
        "city_code": "049",
        "serial": "937089",
        "check_digit": "9",
    }


def test_legal_id(groups: dict[str, Any]) -> None:
    g = groups["iran_legal_id"]
    for code in g["valid"]:
        assert IRAN_LEGAL_ID.validate(code) == code
    for code in g["invalid"]:
        assert not IRAN_LEGAL_ID.is_valid(code)
    with pytest.raises(InvalidCodeError, match="should be '0'"):
        IRAN_LEGAL_ID.validate("10380284792")
    assert IRAN_LEGAL_ID.parse("10380284790")["check_digit"] == "0"


def test_iban_and_sheba(groups: dict[str, Any]) -> None:
    g = groups["iban"]
    for code in g["valid"]:
        assert IBAN.validate(code) == code
    for code in g["invalid"]:
        assert not IBAN.is_valid(code)
    for code, bank in g["ir_bank_codes"].items():
        assert SHEBA.parse(code)["bank_code"] == bank
    assert SHEBA.format_code("ir71 0570 0299 7160 1460 6410 01") == (
        "IR71 0570 0299 7160 1460 6410 01"
    )
    assert not SHEBA.is_valid("GB82WEST12345698765432")
    with pytest.raises(InvalidCodeError, match="should be '71'") as err:
        SHEBA.validate("IR720570029971601460641001")
    assert err.value.reason == "checksum"
    with pytest.raises(InvalidCodeError) as err:
        SHEBA.validate("IR7105700299716014606410")
    assert err.value.reason == "length"
    assert IbanScheme(country="GB").is_valid("GB82WEST12345698765432")


def test_iran_code_product_structure_only() -> None:
    assert IRAN_CODE_PRODUCT.parse("2710032-12345-0001") == {
        "iran_code": "2710032123450001",
        "class_code": "2710032",
        "member_code": "12345",
        "product_counter": "0001",
    }
    assert IRAN_CODE_PRODUCT.format_code("2710032123450001") == "2710032-12345-0001"
    # no documented check digit: a changed last digit is still structurally valid
    assert IRAN_CODE_PRODUCT.is_valid("2710032123450002")
    with pytest.raises(InvalidCodeError) as err:
        IRAN_CODE_PRODUCT.validate("271003212345000")
    assert err.value.reason == "length"


def test_iran_code_service_structure_only() -> None:
    assert IRAN_CODE_SERVICE.validate("۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶۷") == "12345678901234567"
    assert IRAN_CODE_SERVICE.parse("12345678901234567") == {"service_code": "12345678901234567"}
    assert not IRAN_CODE_SERVICE.is_valid("1234567890123456")
    assert not IRAN_CODE_SERVICE.is_valid("1234567890123456A")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["", "-", " "]))
def test_national_id_validate_compact_idempotent(payload: str, sep: str) -> None:
    code = payload + iran_national_id_check_digit(payload)
    scheme = IranNationalID(repeated_digits="accept")
    once = scheme.validate(scheme.compact(sep.join(code)))
    assert once == scheme.validate(once) == code


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.floats()))
def test_is_valid_never_raises(value: Any) -> None:
    for scheme in ALL:
        assert scheme.is_valid(value) in (True, False)


def test_iban_country_option_is_checked() -> None:
    with pytest.raises(ValueError, match="ISO 3166"):
        IbanScheme(country="ir")


def test_iban_lives_in_its_own_module_and_stays_importable_from_the_old_paths() -> None:
    # ISO 13616 is international: the scheme is crmkit.codes.iban; the old paths keep working
    import crmkit.codes
    import crmkit.codes.iban
    import crmkit.codes.schemes_iran

    assert crmkit.codes.IBAN is crmkit.codes.iban.IBAN is crmkit.codes.schemes_iran.IBAN
    assert crmkit.codes.IbanScheme is crmkit.codes.iban.IbanScheme
    assert crmkit.codes.schemes_iran.IbanScheme is crmkit.codes.iban.IbanScheme
    assert crmkit.codes.IbanScheme.__module__ == "crmkit.codes.iban"
    assert crmkit.codes.iban.IbanScheme(country="IR") == crmkit.codes.SHEBA
