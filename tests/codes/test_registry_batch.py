"""CodeRegistry.batch: all-or-nothing groups of changes, thread-safe as a whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.codes import GTIN, CodeRegistry, LocalCodeScheme, import_branch_codes
from crmkit.exceptions import CrmkitError, InvalidValueError, InvariantError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_registry() -> CodeRegistry:
    return CodeRegistry(clock=lambda: T0)


class BoomError(Exception):
    """Raised on purpose inside a batch."""


def state(reg: CodeRegistry) -> tuple[object, ...]:
    """Everything observable: records, audit log, next codes, index answers."""
    return (
        reg.to_records(),
        reg.audit_log().to_dict("records"),
        [reg.find(k) for k in ("customer", "product")],
        [reg.find(status=s) for s in ("active", "merged", "retired")],
    )


def populated() -> CodeRegistry:
    reg = make_registry()
    a = reg.allocate("customer", label="Sara", attributes={"city": "Tehran"})
    b = reg.allocate("customer", label="Ali")
    reg.link(a.code, "P-1", scheme=LocalCodeScheme(source="Tabriz"))
    reg.merge(b.code, into=a.code)
    reg.register("6261234567897", kind="product", scheme=GTIN, label="Tea")
    return reg


def test_batch_commits_all_changes_and_yields_the_registry() -> None:
    reg = make_registry()
    with reg.batch(actor="job-1") as b:
        assert b is reg
        c = b.allocate("customer", label="Sara")
        b.edit(c.code, attributes={"vip": True})
        assert reg.get(c.code).attribute_dict() == {"vip": True}  # visible inside
    log = reg.audit_log()
    assert log["action"].tolist() == ["allocate", "edit"]
    assert log["actor"].tolist() == ["job-1", "job-1"]
    assert set(log["batch"]) == {1}


def test_batch_that_raises_leaves_the_registry_exactly_as_before() -> None:
    reg = populated()
    before = state(reg)

    def body() -> None:
        with reg.batch() as b:
            c = b.allocate("customer", label="New")
            b.edit("CUST-000001-8", label="Changed", attributes={"city": "Shiraz"})
            b.link(c.code, "P-2", scheme=LocalCodeScheme(source="Tabriz"))
            b.unmerge("CUST-000002-6")
            b.retire("CUST-000002-6")
            b.register("4006381333931", kind="product", scheme=GTIN)
            raise BoomError

    with pytest.raises(BoomError):
        body()
    assert state(reg) == before
    # the allocation counter was rolled back too: the next code is the one the batch took
    assert reg.allocate("customer").code == "CUST-000003-4"
    with pytest.raises(CrmkitError):
        reg.lookup("P-2", scheme=LocalCodeScheme(source="Tabriz"))


def test_a_crmkit_error_inside_rolls_back_and_propagates() -> None:
    reg = populated()
    before = state(reg)

    def body() -> None:
        with reg.batch() as b:
            b.allocate("product", label="x")
            b.retire("CUST-000002-6")  # merged: not retirable

    with pytest.raises(InvariantError):
        body()
    assert state(reg) == before


def test_nested_batch_undoes_only_its_own_changes_when_caught() -> None:
    reg = make_registry()

    def inner_body() -> None:
        with reg.batch() as inner:
            inner.allocate("customer", label="dropped")
            raise BoomError

    with reg.batch() as outer:
        outer.allocate("customer", label="kept")
        with pytest.raises(BoomError):
            inner_body()
        outer.allocate("customer", label="kept too")
    assert [e.label for e in reg.entries()] == ["kept", "kept too"]
    assert [e.code for e in reg.entries()] == ["CUST-000001-8", "CUST-000002-6"]
    assert reg.audit_log()["seq"].tolist() == [0, 1]


def test_single_method_failure_changes_nothing() -> None:
    reg = populated()
    before = state(reg)
    with pytest.raises(CrmkitError):
        reg.link("CUST-000001-8", "P-1", scheme=LocalCodeScheme(source="Tabriz"))
    with pytest.raises(InvalidValueError):
        reg.allocate("customer", label=7)  # type: ignore[arg-type]
    assert state(reg) == before


def test_batch_refuses_a_bad_actor() -> None:
    reg = make_registry()
    for bad in ("", "  ", 3, b"x"):
        with pytest.raises(InvalidValueError, match="actor"):
            reg.batch(actor=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="actor"):
        reg.allocate("customer", actor=5)  # type: ignore[arg-type]


def test_other_threads_never_see_half_a_batch() -> None:
    reg = make_registry()
    inside = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def writer() -> None:
        with reg.batch() as b:
            b.allocate("customer")
            inside.set()
            release.wait(5)
            b.allocate("customer")

    def reader() -> None:
        inside.wait(5)
        seen.append(len(reg))  # blocks until the batch ends

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    inside.wait(5)
    release.set()
    for t in threads:
        t.join(10)
    assert seen == [2]


def _branch_lists(n_items: int = 300) -> list[pd.DataFrame]:
    """Three branches, each listing two thirds of ``n_items`` items (pairwise overlaps)."""
    items = [f"item-{i:04d}" for i in range(n_items)]
    third = n_items // 3
    chosen = [items[: 2 * third], items[third:], items[:third] + items[2 * third :]]
    return [
        pd.DataFrame({"branch": f"B{b}", "local_code": [f"L{b}-{t}" for t in ts], "item": ts})
        for b, ts in enumerate(chosen)
    ]


@pytest.mark.parametrize("round_", range(4))
def test_concurrent_overlapping_branch_imports_allocate_each_item_once(round_: int) -> None:
    reg = make_registry()
    lists = _branch_lists()
    barrier = threading.Barrier(len(lists))
    errors: list[BaseException] = []

    def work(frame: pd.DataFrame) -> None:
        try:
            barrier.wait(10)
            import_branch_codes(frame, reg, kind="product")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f,)) for f in lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    products = reg.find("product")
    assert len(products) == 300
    items = LocalCodeScheme(source="item")
    assert {reg.lookup(f"item-{i:04d}", scheme=items).code for i in range(300)} == {
        e.code for e in products
    }
    for frame in lists:  # every local code of every branch is linked to its item
        for branch, local, item in frame.itertuples(index=False):
            assert (
                reg.lookup(local, scheme=LocalCodeScheme(source=branch)).code
                == reg.lookup(item, scheme=items).code
            )


def failing_clock(after: int) -> Callable[[], datetime]:
    """A clock that breaks (returns a naive datetime) after ``after`` calls."""
    calls = [0]

    def clock() -> datetime:
        calls[0] += 1
        return T0.replace(tzinfo=None) if calls[0] > after else T0 + timedelta(calls[0])

    return clock


def test_branch_import_failing_half_way_is_undone() -> None:
    reg = CodeRegistry(clock=failing_clock(400))
    first = _branch_lists(60)[0]
    import_branch_codes(first, reg, kind="product")  # 40 items: ~120 clock calls
    before = state(reg)
    big = pd.DataFrame(
        {
            "branch": "B9",
            "local_code": [f"Z{i}" for i in range(300)],
            "item": [f"new-{i}" for i in range(300)],
        }
    )
    with pytest.raises(InvalidValueError, match="clock"):
        import_branch_codes(big, reg, kind="product")
    assert state(reg) == before


def test_loads_are_batches() -> None:
    reg = populated()
    again = CodeRegistry.from_json(reg.to_json())
    assert again.to_records() == reg.to_records()
    assert again.audit_log()["action"].tolist()[-1] == "load"
    assert again.audit_log()["batch"].iloc[-1] == reg.audit_log()["batch"].max() + 1


# ------------------------------------------------------------------ hypothesis

OPS = st.lists(
    st.tuples(
        st.sampled_from(["allocate", "edit", "retire", "merge", "unmerge", "link"]),
        st.integers(0, 7),
        st.integers(0, 7),
        st.sampled_from(["Sara", "sara ", "Ali", "علي", "علی", ""]),
        st.sampled_from([None, {"city": "Tehran"}, {"city": "Shiraz", "n": 1}, {"n": 1.0}]),
    ),
    max_size=25,
)


def apply(reg: CodeRegistry, ops: list[tuple[str, int, int, str, object]]) -> None:
    """Apply operations, ignoring the ones the registry refuses (a CrmkitError)."""
    for op, i, j, label, attrs_ in ops:
        codes = [e.code for e in reg.entries()]
        pick = codes[i % len(codes)] if codes else "CUST-000001-8"
        other = codes[j % len(codes)] if codes else "CUST-000001-8"
        try:
            if op == "allocate":
                reg.allocate("customer" if i % 2 else "product", label=label,
                             attributes=attrs_)  # type: ignore[arg-type]  # fmt: skip
            elif op == "edit":
                reg.edit(pick, label=label, attributes=attrs_)  # type: ignore[arg-type]
            elif op == "retire":
                reg.retire(pick)
            elif op == "merge":
                reg.merge(pick, into=other)
            elif op == "unmerge":
                reg.unmerge(pick)
            else:
                reg.link(pick, f"x{j}", scheme=LocalCodeScheme(source="hyp"))
        except CrmkitError:
            pass


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(OPS, OPS)
def test_random_operations_in_a_raising_batch_change_nothing(
    setup: list[tuple[str, int, int, str, object]], ops: list[tuple[str, int, int, str, object]]
) -> None:
    reg = make_registry()
    apply(reg, setup)
    before = state(reg)

    def body() -> None:
        with reg.batch() as b:
            apply(b, ops)
            raise BoomError

    with pytest.raises(BoomError):
        body()
    assert state(reg) == before
