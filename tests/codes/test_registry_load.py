"""CodeRegistry loads: validated whole-input first, all or nothing, one error listing
every bad record; CSV and JSON round trips lossless for every field."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.codes import (
    GTIN,
    CodeRegistry,
    LocalCodeScheme,
    RegistryLoadError,
    gs1_check_digit,
)
from crmkit.exceptions import CrmkitError, InvalidValueError, MissingColumnsError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rec(code: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": code,
        "kind": "customer",
        "scheme": "CUST internal",
        "created": "2026-01-01T00:00:00+00:00",
    }
    base.update(kw)
    return base


A, B, C = "CUST-000001-8", "CUST-000002-6", "CUST-000003-4"
P1 = "PROD-000001-8"


def load_error(records: Any) -> RegistryLoadError:
    with pytest.raises(RegistryLoadError) as err:
        CodeRegistry.from_records(records)
    return err.value


def test_merge_cycle_is_refused_at_load_naming_both_records() -> None:
    err = load_error(
        [
            rec(A, status="merged", merged_into=B),
            rec(B, status="merged", merged_into=A),
        ]
    )
    assert {p[1] for p in err.problems} == {A, B}
    assert all("cycle" in p[2] for p in err.problems)
    assert "2 of 2 record(s)" in str(err)


def test_longer_cycle_and_chain_into_cycle() -> None:
    err = load_error(
        [
            rec(A, status="merged", merged_into=B),
            rec(B, status="merged", merged_into=C),
            rec(C, status="merged", merged_into=A),
        ]
    )
    assert len(err.problems) == 3
    assert "->" in err.problems[0][2]


def test_merge_across_kinds_is_refused() -> None:
    err = load_error(
        [
            rec(A, status="merged", merged_into=P1),
            rec(P1, kind="product", scheme="PROD internal"),
            rec(B, status="merged", merged_into=C),
            rec(C, status="retired"),
        ]
    )
    reasons = {code: why for _, code, why in err.problems}
    assert "kinds must match" in reasons[A]
    assert set(reasons) == {A}


def test_alias_of_an_entry_retired_later_round_trips() -> None:
    # merge() refuses a retired target, but retiring the target afterwards is allowed,
    # so that state must load again (resolve gives the retired entry).
    reg = CodeRegistry(clock=lambda: T0)
    a, b = reg.allocate("customer"), reg.allocate("customer")
    reg.merge(b.code, into=a.code)
    reg.retire(a.code)
    back = CodeRegistry.from_records(reg.to_records())
    assert back.resolve(b.code).status.value == "retired"
    with pytest.raises(CrmkitError, match="retired"):
        back.merge(back.allocate("customer").code, into=a.code)


def test_chain_to_an_active_entry_loads() -> None:
    reg = CodeRegistry.from_records(
        [
            rec(A, status="merged", merged_into=B),
            rec(B, status="merged", merged_into=C),
            rec(C, label="final"),
        ]
    )
    assert reg.resolve(A).label == "final"


BAD_RECORDS: list[tuple[Any, str]] = [
    ("not a mapping", "mapping"),
    ({**rec(A), "code": 12}, "code"),
    ({**rec(A), "code": ""}, "code"),
    (rec(A, kind="vendor"), "kind"),
    (rec(A, kind=None), "kind"),
    (rec(A, status="gone"), "status"),
    (rec(A, status=["active"]), "status"),
    (rec(A, created="yesterday"), "ISO 8601"),
    (rec(A, created="2026-01-01T00:00:00"), "timezone-aware"),
    (rec(A, created=20260101), "timezone-aware"),
    (rec(A, created=float("nan")), "timezone-aware"),
    (rec(A, label=float("nan")), "keep_default_na"),
    (rec(A, label=5), "label"),
    (rec(A, attributes="{"), "attributes"),
    (rec(A, attributes={"a": [1]}), "JSON scalars"),
    (rec(A, attributes={"a": float("inf")}), "finite"),
    (rec(A, attributes={"a": 10**400}), "64 bits"),
    (rec(A, attributes={1: "x"}), "must be a str"),
    (rec(A, external_codes=[["GTIN"]]), "pairs"),
    (rec(A, external_codes="GTIN"), "pairs"),
    (rec(A, external_codes=[["GTIN", 5]]), "pairs"),
    (rec(A, external_codes=[["GTIN", "6261234567898"]]), "checksum"),
    (rec(A, scheme="ACME"), "schemes_by_name"),
    (rec(A, scheme=None), "scheme"),
    (rec(A, status="merged"), "merged_into"),
    (rec(A, merged_into=B), "merged_into"),
    (rec(A, merged_into=5, status="merged"), "merged_into"),
    (rec(A, colour="red"), "unknown key"),
    (rec("cust 000001 8"), "canonical"),
    ({"code": A}, "lacks key"),
]


@pytest.mark.parametrize(("record", "needle"), BAD_RECORDS)
def test_each_bad_record_gives_one_crmkit_error(record: Any, needle: str) -> None:
    err = load_error([rec(C, label="fine"), record])
    assert [p[0] for p in err.problems] == [1]
    assert needle in err.problems[0][2], err.problems[0][2]
    assert isinstance(err, InvalidValueError)


def test_load_error_pickles_with_its_problems() -> None:
    import pickle

    err = load_error([rec(A, kind="vendor")])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems
    assert str(back) == str(err)


def test_every_bad_record_is_listed_in_one_error() -> None:
    records = [rec(C, label="fine")] + [r for r, _ in BAD_RECORDS]
    err = load_error(records)
    assert sorted({p[0] for p in err.problems}) == list(range(1, len(records)))
    text = str(err)
    assert "record 1" in text
    assert f"record {len(records) - 1}" in text
    assert f"{len(records) - 1} of {len(records)} record(s)" in text


def test_duplicates_are_listed_with_the_first_occurrence() -> None:
    g = "6261234567897"
    err = load_error(
        [
            rec(A),
            rec(A, label="again"),
            rec(B, external_codes=[["GTIN", g]]),
            rec(C, external_codes=[["GTIN", g]]),
        ]
    )
    reasons = [(p[0], p[2]) for p in err.problems]
    assert any(pos == 1 and "repeats record 0" in why for pos, why in reasons)
    assert any(pos == 3 and "record 2" in why for pos, why in reasons)


@pytest.mark.parametrize("records", ["text", b"bytes", {"code": A}, 5, None])
def test_records_must_be_a_list_of_mappings(records: Any) -> None:
    with pytest.raises(InvalidValueError, match="list of dicts"):
        CodeRegistry.from_records(records)


def test_error_message_is_bounded_for_huge_inputs() -> None:
    err = load_error([rec(A, kind="vendor")] * 250 + [rec("x" * 10_000)])
    assert len(err.problems) == 251
    assert "and 151 more" in str(err)
    assert len(str(err)) < 60_000


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("attributes", "{not json", "not valid JSON"),
        ("attributes", "[1, 2]", "JSON object"),
        ("external_codes", "{}", "JSON array"),
        ("external_codes", "[[", "not valid JSON"),
        ("created", "31/12/2026", "ISO 8601"),
        ("created", pd.NaT, "timezone-aware"),
        ("label", np.nan, "keep_default_na"),
        ("kind", np.nan, "kind"),
        ("status", 3, "status"),
    ],
)
def test_corrupt_frame_cells_give_a_load_error(column: str, value: Any, needle: str) -> None:
    reg = CodeRegistry(clock=lambda: T0)
    reg.allocate("customer", label="a")
    reg.allocate("customer", label="b")
    frame = reg.to_frame().astype(object)
    frame.iloc[1, frame.columns.get_loc(column)] = value
    before = frame.copy()
    with pytest.raises(RegistryLoadError) as err:
        CodeRegistry.from_frame(frame)
    assert [p[0] for p in err.value.problems] == [1]
    assert needle in err.value.problems[0][2]
    pd.testing.assert_frame_equal(frame, before)  # input untouched


def test_frame_problems_need_a_frame_and_its_columns() -> None:
    with pytest.raises(InvalidValueError, match="DataFrame"):
        CodeRegistry.from_frame([1, 2])  # type: ignore[arg-type]
    with pytest.raises(MissingColumnsError):
        CodeRegistry.from_frame(pd.DataFrame({"kind": ["customer"]}))


def test_default_csv_reader_loss_is_refused_not_turned_into_nan_text(tmp_path: Any) -> None:
    reg = CodeRegistry(clock=lambda: T0)
    for label in ["", "NA", "None"]:
        reg.allocate("customer", label=label)
    path = tmp_path / "reg.csv"
    reg.to_csv(path)
    lossy = pd.read_csv(path, index_col="code")  # pandas' defaults: NA strings -> NaN
    with pytest.raises(RegistryLoadError) as err:
        CodeRegistry.from_frame(lossy)
    assert len(err.value.problems) == 3
    assert "CodeRegistry.read_csv" in str(err.value)
    back = CodeRegistry.read_csv(path)
    assert [e.label for e in back.entries()] == ["", "NA", "None"]


def test_read_csv_and_from_json_refuse_garbage() -> None:
    with pytest.raises(CrmkitError):
        CodeRegistry.read_csv(io.StringIO("a,b\n1,2\n"))
    with pytest.raises(InvalidValueError, match="cannot be parsed"):
        CodeRegistry.from_json("[{")
    with pytest.raises(InvalidValueError, match="list of dicts"):
        CodeRegistry.from_json('{"code": 1}')
    with pytest.raises(InvalidValueError, match="JSON text"):
        CodeRegistry.from_json(None)  # type: ignore[arg-type]


def test_lone_surrogates_are_refused_where_text_enters() -> None:
    reg = CodeRegistry(clock=lambda: T0)
    with pytest.raises(InvalidValueError, match="surrogate"):
        reg.allocate("customer", label="bad \ud800")
    with pytest.raises(InvalidValueError, match="surrogate"):
        reg.allocate("customer", attributes={"note": "\udfff"})
    err = load_error([rec(A, label="\ud800")])
    assert "surrogate" in err.problems[0][2]
    assert len(reg) == 0


def test_constructor_options_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="kind="):
        CodeRegistry({"vendor": None})  # type: ignore[dict-item]
    with pytest.raises(InvalidValueError, match="PrefixedScheme"):
        CodeRegistry({"customer": "CUST"})  # type: ignore[dict-item]
    with pytest.raises(InvalidValueError, match="dict of kind"):
        CodeRegistry(["customer"])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="clock"):
        CodeRegistry(clock=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="schemes_by_name"):
        CodeRegistry(schemes_by_name=[5])  # type: ignore[list-item]
    reg = CodeRegistry(clock=lambda: "now")  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidValueError, match="timezone-aware"):
        reg.allocate("customer")


# ----------------------------------------------------------------- round trips
TRICKY = ["", "NA", "None", "nan", "null", "NaN", "N/A", "#N/A", " ", " a ", "a,b", '"q"',
          "line\nbreak", "cr\rlf", "\t", "0", "1.0", "True"]  # fmt: skip
labels = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    labels,
)


@st.composite
def registries(draw: st.DrawFn) -> CodeRegistry:
    tick = iter(range(10_000))
    reg = CodeRegistry(clock=lambda: T0 + timedelta(microseconds=7 * next(tick)))
    n = draw(st.integers(1, 6))
    codes = []
    for _ in range(n):
        kind = draw(st.sampled_from(["customer", "product", "service", "supplier"]))
        attrs_ = draw(st.dictionaries(labels, scalars, max_size=3))
        codes.append(reg.allocate(kind, label=draw(labels), attributes=attrs_))
    for i, entry in enumerate(codes):
        action = draw(st.sampled_from(["none", "retire", "merge", "link"]))
        if action == "retire":
            reg.retire(entry.code)
        elif action == "merge":
            targets = [t for t in codes if t.kind is entry.kind and t.code != entry.code]
            if targets:
                target = draw(st.sampled_from(targets))
                with contextlib.suppress(CrmkitError):  # refused merge: keep as is
                    reg.merge(entry.code, into=target.code)
        elif action == "link":
            payload = f"626{i:09d}"
            reg.link(entry.code, payload + gs1_check_digit(payload), scheme=GTIN)
            with contextlib.suppress(CrmkitError):  # repeated or unprintable: refused
                reg.link(entry.code, draw(labels), scheme=LocalCodeScheme(source="B"))
    return reg


@settings(max_examples=40, deadline=None)
@given(registries())
def test_json_round_trip_is_lossless(reg: CodeRegistry) -> None:
    text = json.dumps(reg.to_records())
    assert CodeRegistry.from_records(json.loads(text)).entries() == reg.entries()
    assert CodeRegistry.from_json(reg.to_json()).entries() == reg.entries()


@settings(max_examples=40, deadline=None)
@given(registries())
def test_csv_round_trip_is_lossless(reg: CodeRegistry) -> None:
    text = reg.to_csv()
    assert text is not None
    back = CodeRegistry.read_csv(io.StringIO(text))
    assert back.entries() == reg.entries()
    assert back.to_csv() == text
    # pandas' own reader with text cells gives the same frame to from_frame
    frame = pd.read_csv(io.StringIO(text), index_col="code", dtype=str, keep_default_na=False)
    assert CodeRegistry.from_frame(frame).entries() == reg.entries()


@settings(max_examples=25, deadline=None)
@given(registries())
def test_frame_round_trip_is_lossless(reg: CodeRegistry) -> None:
    assert CodeRegistry.from_frame(reg.to_frame()).entries() == reg.entries()
