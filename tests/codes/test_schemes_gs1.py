"""GS1 schemes: GTIN-8/12/13/14, GLN, SSCC, widening and the GS1 prefix table."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.codes import (
    EAN8,
    GLN,
    GTIN,
    GTIN12,
    GTIN13,
    GTIN14,
    SSCC,
    CodeScheme,
    GlobalTradeItemNumber,
    GS1PrefixUsage,
    gs1_check_digit,
    gs1_prefix_table,
    lookup_gs1_prefix,
)
from crmkit.exceptions import InvalidCodeError, ValidationError


@pytest.fixture(scope="module")
def gs1(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "codes_checksums.json").read_text("utf-8"))
    return data["groups"]["gs1_mod10"]


def test_published_gtins_validate(gs1: dict[str, Any]) -> None:
    assert GTIN13.validate("6291041500213") == "6291041500213"
    assert GTIN.validate("7501031311309") == "7501031311309"
    assert SSCC.validate("106141411234567897") == "106141411234567897"
    for code in gs1["invalid"]:
        assert not GTIN.is_valid(code)


def test_every_scheme_satisfies_the_protocol() -> None:
    for scheme in (GTIN, EAN8, GTIN12, GTIN13, GTIN14, GLN, SSCC):
        assert isinstance(scheme, CodeScheme)


def test_compact_normalises_persian_digits_and_separators() -> None:
    assert GTIN13.validate("۶۲۹-۱۰۴۱ ۵۰۰۲۱۳") == "6291041500213"
    assert GTIN13.compact(" 629.1041/500213 ") == "6291041500213"


def test_errors_name_code_scheme_reason_and_expected_check_digit() -> None:
    with pytest.raises(InvalidCodeError) as err:
        GTIN13.validate("6291041500214")
    e = err.value
    assert (e.code, e.scheme, e.reason) == ("6291041500214", "GTIN-13", "checksum")
    assert "'6291041500214'" in str(e)
    assert "GTIN-13" in str(e)
    assert "should be '3'" in str(e)
    assert isinstance(e, ValidationError)
    assert isinstance(e, ValueError)


@pytest.mark.parametrize(
    ("code", "reason"),
    [("62910415002", "length"), ("629104150021X", "characters"), ("", "characters")],
)
def test_length_and_character_errors(code: str, reason: str) -> None:
    with pytest.raises(InvalidCodeError) as err:
        GTIN13.validate(code)
    assert err.value.reason == reason


def test_single_length_schemes_refuse_other_lengths() -> None:
    assert GTIN.is_valid("12345670")
    assert not GTIN13.is_valid("12345670")
    assert EAN8.is_valid("12345670")
    assert GTIN12.is_valid("036000291452")  # UPC-A example printed on Wikipedia's UPC article
    assert GTIN14.is_valid("00036000291452")


def test_widening_to_gtin14_keeps_the_check_digit() -> None:
    assert GTIN.to_gtin14("036000291452") == "00036000291452"
    assert GTIN.to_gtin14("6291041500213") == "06291041500213"
    assert GTIN.to_gtin14("12345670") == "00000012345670"


def test_prefix_table_source_and_iran() -> None:
    table = gs1_prefix_table()
    header = (
        Path(__import__("crmkit.codes").codes.__file__).parent / "data" / "gs1_prefixes.csv"
    ).read_text("utf-8")
    assert "gs1.org/standards/id-keys/company-prefix" in header
    assert "2026-11-23" in header
    starts = [int(p.start) for p in table]
    assert starts == sorted(starts)
    for a, b in itertools.pairwise(table):  # ranges never overlap
        assert int(a.end) < int(b.start)
    iran = lookup_gs1_prefix("626")
    assert iran is not None
    assert iran.organisation == "GS1 Iran"
    assert iran.usage is GS1PrefixUsage.MEMBER
    assert lookup_gs1_prefix("140") is None


def test_parse_reports_issuing_organisation_not_country_of_origin() -> None:
    parts = GTIN.parse("6291041500213")
    assert parts["gs1_prefix"] == "629"
    assert parts["organisation"] == "GS1 Emirates"
    assert GTIN.parse("6261234567897")["organisation"] == "GS1 Iran"
    assert GTIN.parse("9780306406157")["usage"] == "isbn"  # ISBN 978-0-306-40615-7
    assert GLN.parse("6291041500213")["gs1_prefix"] == "629"
    assert SSCC.parse("106141411234567897")["extension_digit"] == "1"


def test_prefix_strictness_is_an_explicit_option() -> None:
    restricted = "2" + "00000000001"
    restricted += gs1_check_digit(restricted)  # 2xx: restricted circulation
    unassigned = "140000000000"
    unassigned += gs1_check_digit(unassigned)
    off = GlobalTradeItemNumber(lengths=(13,))
    known = GlobalTradeItemNumber(lengths=(13,), prefix_check="known")
    trade = GlobalTradeItemNumber(lengths=(13,), prefix_check="trade")
    assert off.is_valid(restricted)
    assert off.is_valid(unassigned)
    assert known.is_valid(restricted)
    assert not known.is_valid(unassigned)
    assert not trade.is_valid(restricted)
    assert trade.is_valid("6291041500213")
    with pytest.raises(InvalidCodeError, match="restricted") as err:
        trade.validate(restricted)
    assert err.value.reason == "structure"


def test_rcn8_gtin8_is_restricted() -> None:
    rcn = "0123456"
    rcn += gs1_check_digit(rcn)
    assert GTIN.is_valid(rcn)
    assert not GlobalTradeItemNumber(prefix_check="trade").is_valid(rcn)
    assert GlobalTradeItemNumber(prefix_check="known").is_valid(rcn)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="prefix_check"):
        GlobalTradeItemNumber(prefix_check="strict")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lengths"):
        GlobalTradeItemNumber(lengths=(10,))


gtin_payloads = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)


@given(gtin_payloads)
def test_any_single_digit_change_of_a_valid_gtin_is_caught(payload: str) -> None:
    code = payload + gs1_check_digit(payload)
    assert GTIN.is_valid(code)
    for i, c in enumerate(code):
        for d in "0123456789":
            if d != c:
                assert not GTIN.is_valid(code[:i] + d + code[i + 1 :])


@given(gtin_payloads, st.sampled_from(["", " ", "-", "  "]))
def test_validate_compact_idempotent(payload: str, sep: str) -> None:
    code = payload + gs1_check_digit(payload)
    spaced = sep.join(code)
    once = GTIN.validate(GTIN.compact(spaced))
    assert once == GTIN.validate(spaced) == GTIN.validate(once) == code
    assert GTIN.format_code(code) == code
    assert GTIN.to_gtin14(code).endswith(code)


@given(
    st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.floats(), st.lists(st.text()))
)
def test_is_valid_never_raises(value: Any) -> None:
    for scheme in (GTIN, GTIN13, GLN, SSCC, GlobalTradeItemNumber(prefix_check="trade")):
        assert scheme.is_valid(value) in (True, False)
