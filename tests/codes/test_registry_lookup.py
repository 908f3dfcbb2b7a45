"""CodeRegistry.find (indexed look-ups) and resolve_column (codes in frames)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from crmkit._text import name_key
from crmkit.codes import (
    GTIN,
    IRAN_CODE_PRODUCT,
    CodeEntry,
    CodeRegistry,
    EntryStatus,
    LocalCodeScheme,
    UnknownCodeError,
)
from crmkit.exceptions import InvalidValueError, InvariantError

from .test_registry_batch import OPS, apply

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_registry() -> CodeRegistry:
    return CodeRegistry(clock=lambda: T0)


def codes(entries: tuple[CodeEntry, ...]) -> list[str]:
    return [e.code for e in entries]


def test_find_by_kind_status_label_and_attributes() -> None:
    reg = make_registry()
    a = reg.allocate("customer", label="Sara Karimi", attributes={"city": "Tehran", "vip": True})
    b = reg.allocate("customer", label="sara   KARIMI", attributes={"city": "Tehran", "vip": 1})
    p = reg.allocate("product", label="Sara Karimi", attributes={"city": "Tehran"})
    reg.merge(b.code, into=a.code)
    assert codes(reg.find("customer")) == [a.code, b.code]
    assert codes(reg.find(label="SARA karimi ")) == [a.code, b.code, p.code]
    assert codes(reg.find("customer", status="active")) == [a.code]
    assert codes(reg.find(status=EntryStatus.MERGED)) == [b.code]
    assert codes(reg.find(attributes={"vip": True})) == [a.code]  # True is not 1
    assert codes(reg.find(attributes={"vip": 1.0})) == [b.code]  # 1 equals 1.0
    assert codes(reg.find(attributes={"city": "Tehran", "vip": 1})) == [b.code]
    assert reg.find(attributes={"city": "Shiraz"}) == ()
    assert reg.find(label="nobody") == ()
    assert reg.find() == reg.entries()


def test_find_label_normalises_persian_and_arabic_forms() -> None:
    reg = make_registry()
    c = reg.allocate("customer", label="علي كريمي ۱۲")  # Arabic yeh and kaf, Persian digits
    assert codes(reg.find(label="علی  کریمی 12")) == [c.code]
    assert codes(reg.find(label="علی\u200cکریمی ١٢")) == [c.code]  # ZWNJ, Arabic-Indic


def test_find_refuses_bad_criteria() -> None:
    reg = make_registry()
    with pytest.raises(InvalidValueError, match="kind"):
        reg.find("person")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="status"):
        reg.find(status="gone")
    with pytest.raises(InvalidValueError, match="label"):
        reg.find(label=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="attributes"):
        reg.find(attributes=["city"])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="attribute"):
        reg.find(attributes={"n": float("nan")})


def test_index_follows_edits_merges_retire_unmerge_and_loads() -> None:
    reg = make_registry()
    a = reg.allocate("customer", label="Sara", attributes={"city": "Tehran"})
    b = reg.allocate("customer", label="Ali")
    reg.edit(a.code, label="Sara K.", attributes={"city": "Shiraz"})
    assert reg.find(label="sara") == ()
    assert codes(reg.find(label="sara k.")) == [a.code]
    assert reg.find(attributes={"city": "Tehran"}) == ()
    reg.merge(b.code, into=a.code)
    reg.unmerge(b.code)
    reg.retire(b.code)
    assert codes(reg.find(status="retired")) == [b.code]
    again = CodeRegistry.from_json(reg.to_json())
    assert codes(again.find(attributes={"city": "Shiraz"})) == [a.code]
    assert codes(again.find(status="retired")) == [b.code]


def brute_force(reg: CodeRegistry, **criteria: object) -> list[str]:
    out = []
    for e in reg.entries():
        if "kind" in criteria and e.kind.value != criteria["kind"]:
            continue
        if "status" in criteria and e.status.value != criteria["status"]:
            continue
        if "label" in criteria and name_key(e.label) != name_key(str(criteria["label"])):
            continue
        attrs_ = criteria.get("attributes") or {}
        have = e.attribute_dict()
        assert isinstance(attrs_, dict)
        if any(
            k not in have or have[k] != v or isinstance(have[k], bool) != isinstance(v, bool)
            for k, v in attrs_.items()
        ):
            continue
        out.append(e.code)
    return out


QUERIES: list[dict[str, object]] = [
    {"kind": "customer"},
    {"kind": "product", "status": "active"},
    {"status": "merged"},
    {"status": "retired"},
    {"label": "sara"},
    {"label": "علی"},
    {"label": ""},
    {"attributes": {"city": "Tehran"}},
    {"attributes": {"n": 1}},
    {"kind": "customer", "attributes": {"city": "Shiraz", "n": 1.0}},
]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(OPS, OPS)
def test_indexes_agree_with_a_brute_force_scan(setup: list, more: list) -> None:  # type: ignore[type-arg]
    reg = make_registry()
    apply(reg, setup)

    def body() -> None:  # changes rolled back must leave the indexes right too
        with reg.batch() as b:
            apply(b, more)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        body()
    apply(reg, more[::-1])
    for q in QUERIES:
        assert codes(reg.find(**q)) == brute_force(reg, **q), q  # type: ignore[arg-type]


# ---------------------------------------------------------------- resolve_column


def products() -> CodeRegistry:
    reg = make_registry()
    tea = reg.allocate("product", label="Tea")
    reg.link(tea.code, "6261234567897", scheme=GTIN)
    reg.link(tea.code, "T-1", scheme=LocalCodeScheme(source="Tabriz"))
    old = reg.allocate("product", label="Tea (old)")
    reg.link(old.code, "2710032-12345-0001", scheme=IRAN_CODE_PRODUCT)
    reg.merge(old.code, into=tea.code)
    reg.register("0012345678905", kind="product", scheme=GTIN, label="Rice")
    return reg


def test_resolve_column_maps_every_form_to_the_current_code() -> None:
    reg = products()
    col = pd.Series(
        [
            "PROD-000001-8",  # own code
            "prod 000002 6",  # merged own code, another form -> survivor
            "۶۲۶۱۲۳۴۵۶۷۸۹۷",  # GTIN, Persian digits
            "626-1234567897",  # GTIN with a dash
            "2710032123450001",  # Iran Code of the merged entry
            "T-1",  # branch-local code
            "0012345678905",  # registered GTIN as own code, leading zeros
            "PROD-000001-8",
        ],
        index=pd.Index(list("abcdefgh"), name="row"),
        name="item",
    )
    before = col.copy()
    out = reg.resolve_column(col)
    assert out.tolist() == ["PROD-000001-8"] * 6 + ["0012345678905", "PROD-000001-8"]
    assert out.index.equals(col.index)
    assert out.name == "item"
    assert out.dtype == object
    pd.testing.assert_series_equal(col, before)
    frame = reg.resolve_column(col, details=True)
    assert list(frame.columns) == ["code", "label", "kind"]
    assert frame["label"].tolist()[-2:] == ["Rice", "Tea"]
    assert set(frame["kind"]) == {"product"}


def test_resolve_column_unknown_codes_raise_or_coerce() -> None:
    reg = products()
    col = ["PROD-000001-8", "nope", None, "also nope", "nope"]
    with pytest.raises(UnknownCodeError, match=r"\['nope', 'also nope', '<missing>'\]"):
        reg.resolve_column(col)
    out = reg.resolve_column(col, errors="coerce")
    assert out.tolist() == ["PROD-000001-8", None, None, None, None]
    assert out.index.equals(pd.RangeIndex(5))


def test_resolve_column_with_schemes_and_ambiguity() -> None:
    reg = products()
    other = reg.allocate("product", label="Coffee")
    reg.link(other.code, "T-1", scheme=LocalCodeScheme(source="Shiraz"))
    with pytest.raises(InvariantError, match="schemes="):
        reg.resolve_column(["T-1"])
    shiraz = LocalCodeScheme(source="Shiraz")
    assert reg.resolve_column(["T-1"], schemes=[shiraz]).tolist() == [other.code]
    # own codes are always tried; external ones only under the schemes given
    assert reg.resolve_column(np.array(["626-1234567897"]), schemes=[GTIN]).tolist() == [
        "PROD-000001-8"
    ]
    with pytest.raises(UnknownCodeError):
        reg.resolve_column(pd.Index(["626-1234567897"]), schemes=[shiraz])


def test_resolve_column_refuses_bad_input() -> None:
    reg = products()
    with pytest.raises(InvalidValueError, match="not text"):
        reg.resolve_column(pd.Series([12345678905]))
    with pytest.raises(InvalidValueError, match="Series"):
        reg.resolve_column("PROD-000001-8")
    with pytest.raises(InvalidValueError, match="errors="):
        reg.resolve_column(["x"], errors="ignore")  # type: ignore[call-overload]
    with pytest.raises(InvalidValueError, match="schemes="):
        reg.resolve_column(["x"], schemes="GTIN")
    with pytest.raises(InvalidValueError, match="details="):
        reg.resolve_column(["x"], details=1)  # type: ignore[call-overload]


def test_resolve_column_resolves_each_distinct_value_once() -> None:
    reg = products()
    calls = []
    real = GTIN.is_valid

    class Counting(type(GTIN)):  # type: ignore[misc]
        def is_valid(self, code: str) -> bool:
            calls.append(code)
            return real(code)

    col = pd.Series(["626-1234567897", "6261234567897"] * 5000)
    assert set(reg.resolve_column(col, schemes=[Counting()])) == {"PROD-000001-8"}
    assert len(calls) == 2


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(OPS)
def test_resolve_column_agrees_with_resolve_one_by_one(ops: list) -> None:  # type: ignore[type-arg]
    reg = make_registry()
    apply(reg, ops)
    own = [e.code for e in reg.entries()]
    typed = [c.lower().replace("-", " ") for c in own]
    links = [c for e in reg.entries() for _, c in e.external_codes]
    want = [reg.resolve(c).code for c in own]
    assert reg.resolve_column(own + typed).tolist() == want + want
    hyp = LocalCodeScheme(source="hyp")
    assert reg.resolve_column(links).tolist() == [reg.lookup(c, scheme=hyp).code for c in links]
