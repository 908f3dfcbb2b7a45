"""Branch import: uniform codes across branches, every conflict reported, none picked."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.codes import GTIN, CodeRegistry, LocalCodeScheme, import_branch_codes
from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def registry() -> CodeRegistry:
    return CodeRegistry(clock=lambda: T0)


def test_clean_lists_map_one_item_to_one_uniform_code() -> None:
    rows = pd.DataFrame(
        {
            "branch": ["Tehran", "Tabriz", "Shiraz"],
            "local_code": ["T-1", "B-9", "s-4"],
            "item": ["6261234567897", "626 1234 567 897", "6291041500213"],
        }
    )
    reg = registry()
    res = import_branch_codes(rows, reg, kind="product", item_scheme=GTIN)
    assert not res.has_conflicts
    assert list(res.mapping.columns) == ["branch", "local_code", "item", "code", "status"]
    tea, tea2, dates = res.mapping["code"]
    assert tea == tea2 != dates
    assert reg.lookup("B-9", scheme=LocalCodeScheme(source="Tabriz")).code == tea
    assert reg.lookup("S-4", scheme=LocalCodeScheme(source="Shiraz")).code == dates
    assert reg.lookup("6261234567897", scheme=GTIN).code == tea


def test_same_local_code_for_two_items_in_two_branches_is_reported() -> None:
    rows = pd.DataFrame(
        {"branch": ["A", "B"], "local_code": ["P1", "P1"], "item": ["milk", "bread"]}
    )
    res = import_branch_codes(rows, registry(), kind="product")
    assert res.conflicts["conflict"].tolist() == ["local_code_reused", "local_code_reused"]
    assert set(res.conflicts["item"]) == {"MILK", "BREAD"}
    # each branch's meaning is unambiguous, so both are mapped, to different codes
    assert res.mapping["status"].tolist() == ["mapped", "mapped"]
    assert res.mapping["code"].nunique() == 2


def test_one_local_code_two_items_in_one_branch_is_not_mapped() -> None:
    rows = pd.DataFrame(
        {"branch": ["A", "A", "A"], "local_code": ["P1", "P1", "P2"], "item": ["x", "y", "z"]}
    )
    res = import_branch_codes(rows, registry(), kind="product")
    amb = res.conflicts[res.conflicts["conflict"] == "ambiguous_local_code"]
    assert sorted(amb["item"]) == ["X", "Y"]
    status = dict(zip(res.mapping["item"], res.mapping["status"], strict=True))
    assert status == {"X": "conflict", "Y": "conflict", "Z": "mapped"}
    assert res.mapping.loc[res.mapping["status"] == "conflict", "code"].isna().all()


def test_one_item_under_two_codes_is_reported_and_both_alias_one_code() -> None:
    rows = pd.DataFrame({"branch": ["A", "A"], "local_code": ["P1", "P7"], "item": ["tea", "tea"]})
    reg = registry()
    res = import_branch_codes(rows, reg, kind="product")
    assert res.conflicts["conflict"].tolist() == ["item_multiple_codes"] * 2
    assert len(set(res.mapping["code"])) == 1
    local = LocalCodeScheme(source="A")
    assert reg.lookup("P1", scheme=local) == reg.lookup("P7", scheme=local)


def test_invalid_items_and_raise_mode_leave_registry_untouched() -> None:
    rows = pd.DataFrame(
        {"branch": ["A", "B"], "local_code": ["1", "2"], "item": ["6261234567897", "123"]}
    )
    reg = registry()
    res = import_branch_codes(rows, reg, kind="product", item_scheme=GTIN)
    assert res.conflicts["conflict"].tolist() == ["invalid_item"]
    reg2 = registry()
    with pytest.raises(InvariantError, match="conflict"):
        import_branch_codes(rows, reg2, kind="product", item_scheme=GTIN, on_conflict="raise")
    assert len(reg2) == 0


def test_reimport_is_idempotent_and_relinking_is_a_registry_conflict() -> None:
    reg = registry()
    first = pd.DataFrame({"branch": ["A"], "local_code": ["P1"], "item": ["tea"]})
    a = import_branch_codes(first, reg, kind="product")
    b = import_branch_codes(first, reg, kind="product")
    assert a.mapping["code"].tolist() == b.mapping["code"].tolist()
    assert len(reg) == 1
    changed = pd.DataFrame({"branch": ["A"], "local_code": ["P1"], "item": ["coffee"]})
    c = import_branch_codes(changed, reg, kind="product")
    assert c.conflicts["conflict"].tolist() == ["registry_conflict"]
    assert c.mapping["status"].tolist() == ["conflict"]


def test_bad_input() -> None:
    with pytest.raises(MissingColumnsError):
        import_branch_codes(pd.DataFrame({"branch": ["A"]}), registry(), kind="product")
    rows = pd.DataFrame({"branch": ["A", None], "local_code": ["1", "2"], "item": ["x", "y"]})
    with pytest.raises(InvalidValueError, match="branch"):
        import_branch_codes(rows, registry(), kind="product")
    original = rows.copy()
    assert rows.equals(original)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["1", "2", "3", "4"]),
            st.sampled_from(["tea", "rice", "oil", "salt", "sugar"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_import_never_picks_a_side(rows: list[tuple[str, str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["branch", "local_code", "item"])
    reg = registry()
    res = import_branch_codes(frame, reg, kind="product")
    mapping = res.mapping
    assert len(mapping) == len(set(rows))
    items_of = frame.groupby(["branch", "local_code"])["item"].nunique()
    for branch, local, item, code, status in mapping.itertuples(index=False):
        ambiguous = items_of[(branch, local)] > 1
        assert (status == "conflict") == ambiguous
        if status == "mapped":
            assert reg.lookup(local, scheme=LocalCodeScheme(source=branch)).code == code
            assert reg.get(code).label == item.upper()
        else:
            assert code is None
    mapped = mapping[mapping["status"] == "mapped"]
    assert mapped.groupby("item")["code"].nunique().le(1).all()  # one item, one code
    assert mapped.groupby("code")["item"].nunique().le(1).all()  # one code, one item
