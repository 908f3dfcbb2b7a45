"""Normalisation of names, e-mails and phones (E.164 examples from the ITU / regulators)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain.quality import (
    normalize_email,
    normalize_email_series,
    normalize_name,
    normalize_name_series,
    normalize_phone,
    normalize_phone_series,
)
from crmkit.exceptions import InvalidValueError

REF = json.loads((Path(__file__).parents[1] / "reference" / "domain_phone.json").read_text())


@pytest.mark.parametrize(("raw", "cc", "expected"), REF["inputs"]["valid"])
def test_phone_reference_numbers(raw: str, cc: str | None, expected: str) -> None:
    assert normalize_phone(raw, default_country_code=cc) == expected
    vec = normalize_phone_series(pd.Series([raw]), default_country_code=cc)
    assert vec.tolist() == [expected]


@pytest.mark.parametrize(("raw", "cc"), REF["inputs"]["invalid"])
def test_phone_invalid_numbers(raw: str, cc: str | None) -> None:
    with pytest.raises(InvalidValueError, match="phone="):
        normalize_phone(raw, default_country_code=cc)
    assert normalize_phone_series(pd.Series([raw]), default_country_code=cc).isna().all()


def test_bad_country_code() -> None:
    with pytest.raises(InvalidValueError, match="default_country_code"):
        normalize_phone("0912 345 6789", default_country_code="0098")


def test_name_variants_collapse() -> None:
    # Arabic Yeh/Kaf/Alef Maksura, tatweel, harakat, ZWNJ and spacing
    variants = ["علي كريمي", "علی کریمی", "  علـی   کریمی ", "عَلی کریمی", "علی\u200cکریمی"]
    assert {normalize_name(v) for v in variants} == {"علی کریمی"}
    assert normalize_name("Ali  KARIMI") == "ali karimi"
    with pytest.raises(InvalidValueError, match="empty"):
        normalize_name(" \u200c ")


def test_email_normalisation_and_validation() -> None:
    assert normalize_email("  Ali.Karimi@Example.IR ") == "ali.karimi@example.ir"
    assert normalize_email("user۱۲@x.ir") == "user12@x.ir"
    for bad in ["a@b", "@b.ir", "a..b@c.ir", "a b@c.ir", "a@b@c.ir", ".a@b.ir"]:
        with pytest.raises(InvalidValueError, match="not a valid e-mail"):
            normalize_email(bad)


@given(st.lists(testing.names(), max_size=5))
def test_vectorised_name_agrees_with_scalar(names: list[str]) -> None:
    got = normalize_name_series(pd.Series(names, dtype=object)).tolist()
    assert got == [normalize_name(n) for n in names]


@given(st.lists(testing.emails() | st.text(max_size=12), max_size=5))
def test_vectorised_email_agrees_with_scalar(values: list[str]) -> None:
    got = normalize_email_series(pd.Series(values, dtype=object)).tolist()
    for v, g in zip(values, got, strict=True):
        try:
            expected = normalize_email(v)
        except InvalidValueError:
            assert g is pd.NA
        else:
            assert g == expected


@given(testing.phones())
def test_phone_normalisation_is_idempotent(p: str) -> None:
    once = normalize_phone(p)
    assert normalize_phone(once) == once == p


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_one_name_key_serves_names_and_registry_labels(text: str) -> None:
    """normalize_name, its vectorised twin and the registry's label key agree."""
    from crmkit._text import name_key

    key = name_key(text)
    series = normalize_name_series(pd.Series([text]))[0]
    if not key:
        assert series is pd.NA
        return
    assert normalize_name(text) == key == series


def test_names_match_by_case_folding() -> None:
    assert normalize_name("Straße") == normalize_name("STRASSE") == "strasse"
    assert normalize_name_series(pd.Series(["Straße", "STRASSE"])).tolist() == ["strasse"] * 2
