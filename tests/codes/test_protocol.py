"""Every scheme keeps the common CodeScheme contract on arbitrary input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import codes
from crmkit.codes import CodeScheme
from crmkit.exceptions import InvalidCodeError

SCHEMES: tuple[CodeScheme, ...] = (
    codes.GTIN,
    codes.EAN8,
    codes.GTIN12,
    codes.GTIN13,
    codes.GTIN14,
    codes.GlobalTradeItemNumber(prefix_check="trade"),
    codes.GLN,
    codes.SSCC,
    codes.IRAN_NATIONAL_ID,
    codes.IranNationalID(repeated_digits="accept", accept_unpadded=True),
    codes.IRAN_LEGAL_ID,
    codes.IBAN,
    codes.SHEBA,
    codes.IRAN_CODE_PRODUCT,
    codes.IRAN_CODE_SERVICE,
    codes.PrefixedScheme(prefix="CUST", width=6, check="luhn"),
    codes.PrefixedScheme(prefix="S", width=3, check="mod97"),
    codes.PrefixedScheme(prefix="X", width=2, check=None),
    codes.LocalCodeScheme(source="Tabriz"),
)
REASONS = {"length", "characters", "checksum", "structure"}

# characters that make valid codes likely: digits in three scripts, separators, letters
ALPHABET = "0123456789" * 4 + "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩" + " -./" + "CUSTIRX" + "\u200c\x00é"


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_protocol_membership(scheme: CodeScheme) -> None:
    assert isinstance(scheme, CodeScheme)
    assert isinstance(scheme.name, str)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_contract_on_arbitrary_text(text: str) -> None:
    for scheme in SCHEMES:
        ok = scheme.is_valid(text)
        if ok:
            canonical = scheme.validate(text)
            assert scheme.validate(canonical) == canonical
            assert scheme.validate(scheme.compact(text)) == canonical
            assert scheme.validate(scheme.format_code(text)) == canonical
            parts = scheme.parse(text)
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in parts.items())
        else:
            with pytest.raises(InvalidCodeError) as err:
                scheme.validate(text)
            e = err.value
            assert e.scheme == scheme.name
            assert e.code == text
            assert e.reason in REASONS
            assert scheme.name in str(e)
            assert repr(text) in str(e)


@given(st.one_of(st.binary(), st.none(), st.integers(), st.floats(), st.booleans()))
def test_non_text_is_refused_cleanly(value: Any) -> None:
    for scheme in SCHEMES:
        assert scheme.is_valid(value) is False
        with pytest.raises(InvalidCodeError) as err:
            scheme.validate(value)
        assert err.value.reason == "characters"


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(["customer", "product", "service", "supplier"]), max_size=40),
    st.sampled_from(["luhn", "mod97", None]),
)
def test_every_allocated_code_validates(kinds: list[str], check: Any) -> None:
    schemes = {"customer": codes.PrefixedScheme(prefix="C", width=5, check=check)}
    reg = codes.CodeRegistry(schemes, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    issued = [reg.allocate(k) for k in kinds]
    assert len({e.code for e in issued}) == len(issued)
    for entry in issued:
        scheme = reg.scheme_for(entry.kind)
        assert scheme.validate(entry.code) == entry.code
        assert entry.scheme == scheme.name
        assert reg.get(entry.code) == entry
