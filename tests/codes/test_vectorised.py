"""validate_column agrees cell by cell with the scalar schemes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.codes import (
    GLN,
    GTIN,
    GTIN13,
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    IRAN_LEGAL_ID,
    IRAN_NATIONAL_ID,
    SHEBA,
    SSCC,
    CodeScheme,
    GlobalTradeItemNumber,
    IranLegalID,
    IranNationalID,
    PrefixedScheme,
    gs1_check_digit,
    validate_column,
)
from crmkit.exceptions import InvalidCodeError, InvalidValueError

SCHEMES: tuple[CodeScheme, ...] = (
    GTIN,
    GTIN13,
    GlobalTradeItemNumber(prefix_check="known"),
    GlobalTradeItemNumber(lengths=(8, 13), prefix_check="trade"),
    GLN,
    SSCC,
    IRAN_NATIONAL_ID,
    IranNationalID(repeated_digits="accept", accept_unpadded=True),
    IranNationalID(middle_zeros="accept", accept_unpadded=True),
    IranNationalID(repeated_digits="accept", middle_zeros="accept"),
    IRAN_LEGAL_ID,
    IranLegalID(middle_zeros="accept"),
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    SHEBA,
    PrefixedScheme(prefix="CUST", width=6),
)


def scalar_reason(scheme: CodeScheme, value: Any) -> str:
    try:
        scheme.validate(value)
    except InvalidCodeError as exc:
        return exc.reason or ""
    return ""


def near_codes() -> st.SearchStrategy[Any]:
    """Digit strings of the schemes' lengths (many valid), mutated, spaced, or junk."""
    digits = st.integers(7, 18).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n - 1, max_size=n - 1)
    )
    valid_gs1 = digits.map(lambda p: p + gs1_check_digit(p))
    spaced = valid_gs1.map(lambda c: c[:3] + " " + c[3:])
    return st.one_of(
        valid_gs1,
        spaced,
        digits,
        st.sampled_from(["0499370899", "1111111111", "10380284790", "68415941", "۰۴۹۹۳۷۰۸۹۹"]),
        # all-zero serial digits 4-9 (policy middle_zeros), padded and unpadded
        st.sampled_from(["0010000003", "10000003", "0000000000", "00000000009", "12300000007"]),
        st.sampled_from(["IR710570029971601460641001", "CUST-000042-2", "2000000000015"]),
        st.text(max_size=20),
        st.none(),
        st.integers(),
        st.just(float("nan")),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(near_codes(), max_size=25))
def test_column_verdicts_equal_scalar_verdicts(values: list[Any]) -> None:
    series = pd.Series(values, dtype=object)
    for scheme in SCHEMES:
        out = validate_column(series, scheme)
        expected_valid = [scheme.is_valid(v) for v in values]
        assert out["valid"].tolist() == expected_valid, scheme
        for v, r in zip(values, out["reason"], strict=True):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                assert r == "missing"
            else:
                assert r == scalar_reason(scheme, v), (scheme, v)


def test_output_shape_index_and_reasons() -> None:
    s = pd.Series(
        ["6291041500213", "6291041500214", "629104150021", "62910415002X3", None, 6291041500213],
        index=pd.Index(list("abcdef"), name="row"),
    )
    out = validate_column(s, GTIN13)
    assert out.index.equals(s.index)
    assert list(out.columns) == ["valid", "reason"]
    assert out["reason"].tolist() == [
        "",
        "checksum",
        "length",
        "characters",
        "missing",
        "characters",
    ]
    assert out["valid"].dtype == bool


def test_string_dtype_column_and_empty_column() -> None:
    s = pd.Series(["6291041500213", pd.NA], dtype="string")
    assert validate_column(s, GTIN)["reason"].tolist() == ["", "missing"]
    assert validate_column(pd.Series([], dtype=object), GTIN).empty


def test_large_column_matches_scalar_on_a_sample() -> None:
    rng = np.random.default_rng(5)
    payloads = rng.integers(0, 10, size=(5000, 12))
    strings = ["".join(map(str, row)) for row in payloads]
    codes = [p + gs1_check_digit(p) for p in strings]
    codes[::7] = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in codes[::7]]
    out = validate_column(pd.Series(codes), GTIN)
    assert out["valid"].sum() == sum(GTIN.is_valid(c) for c in codes)
    assert (~out["valid"]).sum() == len(codes[::7])


def test_not_a_series() -> None:
    with pytest.raises(InvalidValueError, match="Series"):
        validate_column(["6291041500213"], GTIN)  # type: ignore[arg-type]


def test_nul_characters_long_cells_and_separators_follow_the_scalar_rules() -> None:
    cells = [
        "6291041500213\x00",  # trailing NUL: numpy would drop it, the scalar rule refuses it
        "629104\x001500213",
        " ".join("6291041500213") + " " * 60,  # longer than the vector width, still valid
        "۶۲۹۱۰۴۱۵۰۰۲۱۳",
        "6291041500213\u200f",  # right-to-left mark is a separator
        "6291041500213\u2010",  # hyphen U+2010 is not
        "",
        "---",
    ]
    out = validate_column(pd.Series(cells), GTIN)
    assert out["valid"].tolist() == [GTIN.is_valid(c) for c in cells]
    assert out["reason"].tolist() == [scalar_reason(GTIN, c) for c in cells]
    assert out["valid"].tolist() == [False, False, True, True, True, False, False, False]


def test_chunked_processing_matches_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmkit.codes import vectorised

    monkeypatch.setattr(vectorised, "_CHUNK", 7)
    rng = np.random.default_rng(11)
    cells: list[Any] = []
    for i in range(60):
        p = "".join(map(str, rng.integers(0, 10, size=int(rng.choice([7, 11, 12, 13])))))
        code = p + gs1_check_digit(p)
        kind = i % 6
        if kind == 1:
            code = code[:-1] + str((int(code[-1]) + 3) % 10)
        elif kind == 2:
            code = " ".join(code) + " " * 70  # too wide for the matrix: scalar path
        elif kind == 3:
            code = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        elif kind == 4:
            code = None
        cells.append(code)
    series = pd.Series(cells, dtype=object)
    out = validate_column(series, GTIN)
    assert out["valid"].tolist() == [GTIN.is_valid(c) for c in cells]
    texts = [c for c in cells if isinstance(c, str)]
    expected = [scalar_reason(GTIN, c) for c in texts]
    assert out.loc[series.notna(), "reason"].tolist() == expected
