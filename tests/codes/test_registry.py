"""CodeRegistry: allocation, uniqueness, merges, lookups, threads and lossless round trips."""

from __future__ import annotations

import contextlib
import json
import pickle
import threading
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.codes import (
    GTIN,
    IRAN_NATIONAL_ID,
    CodeEntry,
    CodeKind,
    CodeRegistry,
    EntryStatus,
    LocalCodeScheme,
    PrefixedScheme,
    RegistryLoadError,
    UnknownCodeError,
)
from crmkit.exceptions import InvalidCodeError, InvalidValueError, InvariantError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_registry() -> CodeRegistry:
    return CodeRegistry(clock=lambda: T0)


def test_allocate_issues_sequential_valid_codes_per_kind() -> None:
    reg = make_registry()
    a = reg.allocate("customer", label="Sara", attributes={"city": "Tehran", "age": 31})
    b = reg.allocate(CodeKind.CUSTOMER)
    p = reg.allocate("product")
    assert (a.code, b.code, p.code) == ("CUST-000001-8", "CUST-000002-6", "PROD-000001-8")
    assert a.kind is CodeKind.CUSTOMER
    assert a.status is EntryStatus.ACTIVE
    assert a.created == T0
    assert a.attribute_dict() == {"age": 31, "city": "Tehran"}
    assert reg.get("cust 000001 8") == a
    assert len(reg) == 3
    assert "CUST-000001-8" in reg


def test_entries_are_frozen_and_pickle() -> None:
    entry = make_registry().allocate("supplier", label="Pars Co")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.label = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(entry)) == entry


def test_custom_schemes_and_shared_prefix_refused() -> None:
    reg = CodeRegistry({"customer": PrefixedScheme(prefix="C", width=4, check="mod97")})
    assert reg.allocate("customer").code == f"C-0001-{98 - 100 % 97:02d}"
    with pytest.raises(InvalidValueError, match="share a prefix"):
        CodeRegistry({"customer": PrefixedScheme(prefix="PROD", width=6)})
    with pytest.raises(InvalidValueError, match="kind="):
        reg.allocate("vendor")


def test_register_validates_and_duplicates_raise_naming_existing_entry() -> None:
    reg = make_registry()
    reg.register("6261234567897", kind="product", scheme=GTIN, label="Tea 500 g")
    with pytest.raises(InvalidCodeError, match="Tea 500 g") as err:
        reg.register("626-1234567897", kind="product", scheme=GTIN, label="Tea again")
    assert err.value.reason == "duplicate"
    with pytest.raises(InvalidCodeError) as err:
        reg.register("6261234567898", kind="product", scheme=GTIN)
    assert err.value.reason == "checksum"


def test_registering_an_internal_code_moves_the_counter_past_it() -> None:
    reg = make_registry()
    reg.register("CUST-000005-9", kind="customer")
    codes = [reg.allocate("customer").code for _ in range(6)]
    assert "CUST-000005-9" not in codes
    assert codes[-1] == "CUST-000011-7"  # Luhn: 1*2 + 1 = 3 -> 7; continues after serial 5


def test_link_and_lookup_by_external_code() -> None:
    reg = make_registry()
    prod = reg.allocate("product", label="Tea 500 g")
    reg.link(prod.code, "6261234567897", scheme=GTIN)
    assert reg.lookup("۶۲۶۱۲۳۴۵۶۷۸۹۷", scheme=GTIN).code == prod.code
    assert reg.get(prod.code).external_codes == (("GTIN", "6261234567897"),)
    other = reg.allocate("product")
    with pytest.raises(InvalidCodeError, match="already linked") as err:
        reg.link(other.code, "6261234567897", scheme=GTIN)
    assert err.value.reason == "duplicate"
    with pytest.raises(UnknownCodeError):
        reg.lookup("6291041500213", scheme=GTIN)
    cust = reg.allocate("customer")
    reg.link(cust.code, "0499370899", scheme=IRAN_NATIONAL_ID)
    assert reg.lookup("049-937089-9", scheme=IRAN_NATIONAL_ID).code == cust.code


def test_unknown_code() -> None:
    with pytest.raises(UnknownCodeError) as err:
        make_registry().get("CUST-000001-8")
    assert isinstance(err.value, LookupError)
    assert err.value.reason == "unknown"


def test_retire_and_merge_rules() -> None:
    reg = make_registry()
    a, b, c = (reg.allocate("customer").code for _ in range(3))
    retired = reg.retire(c)
    assert retired.status is EntryStatus.RETIRED
    with pytest.raises(InvariantError, match="retired"):
        reg.merge(a, into=c)
    with pytest.raises(InvariantError):
        reg.retire(c)
    merged = reg.merge(b, into=a)
    assert merged.status is EntryStatus.MERGED
    assert merged.merged_into == a
    assert reg.resolve(b).code == a
    with pytest.raises(InvariantError, match="cycle"):
        reg.merge(a, into=b)
    with pytest.raises(InvariantError, match="only active"):
        reg.merge(b, into=a)
    p = reg.allocate("product").code
    with pytest.raises(InvariantError, match="kinds must match"):
        reg.merge(p, into=a)
    # allocation never reissues retired or merged codes
    assert reg.allocate("customer").code not in {a, b, c}


def test_lookup_resolves_merges() -> None:
    reg = make_registry()
    old = reg.allocate("product", label="old record")
    new = reg.allocate("product", label="new record")
    reg.link(old.code, "6261234567897", scheme=GTIN)
    reg.merge(old.code, into=new.code)
    assert reg.lookup("6261234567897", scheme=GTIN).label == "new record"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=30))
def test_merge_chains_always_resolve_to_an_active_entry(pairs: list[tuple[int, int]]) -> None:
    reg = make_registry()
    codes = [reg.allocate("customer").code for _ in range(10)]
    for s, t in pairs:
        with contextlib.suppress(InvariantError):
            reg.merge(codes[s], into=codes[t])
    for code in codes:
        final = reg.resolve(code)
        assert final.status is EntryStatus.ACTIVE
        # following merged_into by hand reaches the same entry without a cycle
        seen, entry = set(), reg.get(code)
        while entry.merged_into is not None:
            assert entry.code not in seen
            seen.add(entry.code)
            entry = reg.get(entry.merged_into)
        assert entry == final


def test_concurrent_allocation_no_duplicate_no_lost_code() -> None:
    reg = CodeRegistry()
    per_thread, n_threads = 300, 8
    results: list[list[str]] = [[] for _ in range(n_threads)]
    barrier = threading.Barrier(n_threads)

    def work(i: int) -> None:
        barrier.wait()
        for _ in range(per_thread):
            results[i].append(reg.allocate("customer").code)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    issued = [c for r in results for c in r]
    total = per_thread * n_threads
    assert len(set(issued)) == len(issued) == total
    assert len(reg) == total
    scheme = reg.scheme_for("customer")
    assert sorted(scheme.number(c) for c in issued) == list(range(1, total + 1))
    assert all(scheme.is_valid(c) for c in issued)


def _populated() -> CodeRegistry:
    tick = iter(range(1000))
    reg = CodeRegistry(clock=lambda: T0 + timedelta(seconds=next(tick)))
    a = reg.allocate("customer", label="Sara", attributes={"vip": True, "score": 0.5})
    b = reg.allocate("customer", label="سارا", attributes={"note": None})
    reg.merge(b.code, into=a.code)
    p = reg.allocate("product", label="Tea")
    reg.link(p.code, "6261234567897", scheme=GTIN)
    reg.link(p.code, "P-1", scheme=LocalCodeScheme(source="Tabriz"))
    reg.register("6291041500213", kind="product", scheme=GTIN, label="Dates")
    s = reg.allocate("service")
    reg.retire(s.code)
    return reg


def test_records_round_trip_losslessly_through_json() -> None:
    reg = _populated()
    text = json.dumps(reg.to_records())
    back = CodeRegistry.from_records(json.loads(text))
    assert back.entries() == reg.entries()
    assert back.lookup("P-1", scheme=LocalCodeScheme(source="Tabriz")).label == "Tea"
    assert back.allocate("customer").code == "CUST-000003-4"  # counters restored


def test_frame_round_trip_losslessly() -> None:
    reg = _populated()
    frame = reg.to_frame()
    assert frame.index.name == "code"
    assert list(frame.columns) == [
        "kind",
        "scheme",
        "label",
        "status",
        "merged_into",
        "created",
        "attributes",
        "external_codes",
    ]
    assert isinstance(frame["created"].dtype, pd.DatetimeTZDtype)
    back = CodeRegistry.from_frame(frame)
    assert back.entries() == reg.entries()
    assert CodeRegistry.from_frame(back.to_frame()).to_records() == reg.to_records()


def test_from_records_revalidates_and_refuses_unknown_schemes() -> None:
    records = _populated().to_records()
    bad = [dict(records[0], code="CUST-000001-9")]
    with pytest.raises(RegistryLoadError, match="checksum"):
        CodeRegistry.from_records(bad)
    weird = [dict(records[0], scheme="ACME codes")]
    with pytest.raises(InvalidValueError, match="schemes_by_name"):
        CodeRegistry.from_records(weird)
    dangling = [r for r in records if r["code"] != "CUST-000001-8"]
    with pytest.raises(InvalidValueError, match="not among the records"):
        CodeRegistry.from_records(dangling)


def test_entry_validation() -> None:
    with pytest.raises(InvalidValueError, match="timezone-aware"):
        CodeEntry(code="X", kind="customer", scheme="s", created=datetime(2026, 1, 1))
    with pytest.raises(InvariantError):
        CodeEntry(code="X", kind="customer", scheme="s", created=T0, status="merged")
    with pytest.raises(InvalidValueError, match="JSON scalars"):
        CodeEntry(code="X", kind="customer", scheme="s", created=T0, attributes={"a": [1]})
    tehran = timezone(timedelta(hours=3, minutes=30))
    local_time = datetime(2026, 1, 1, tzinfo=tehran)
    e = CodeEntry(code="X", kind="customer", scheme="s", created=local_time)
    assert e.created.tzinfo is UTC
