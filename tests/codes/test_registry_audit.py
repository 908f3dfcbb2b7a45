"""CodeRegistry audit log, edit and unmerge; leading zeros and empty labels in files."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from crmkit.codes import (
    GTIN,
    AuditAction,
    AuditRecord,
    CodeRegistry,
    EntryStatus,
    LocalCodeScheme,
)
from crmkit.codes.registry import AUDIT_COLUMNS
from crmkit.exceptions import InvalidValueError, InvariantError


def ticking() -> CodeRegistry:
    """A registry whose clock moves one minute per call."""
    t = [datetime(2026, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:
        t[0] += timedelta(minutes=1)
        return t[0]

    return CodeRegistry(clock=clock)


def test_every_change_is_one_audit_row() -> None:
    reg = ticking()
    a = reg.allocate("customer", label="Sara", actor="clerk")
    b = reg.allocate("customer", label="Sara K.")
    reg.link(a.code, "C-9", scheme=LocalCodeScheme(source="Tabriz"), actor="sync")
    reg.edit(a.code, attributes={"city": "Tehran"}, actor="clerk")
    reg.merge(b.code, into=a.code, actor="dedup")
    reg.unmerge(b.code, actor="reviewer")
    reg.retire(b.code)
    reg.register("6261234567897", kind="product", scheme=GTIN)
    log = reg.audit_log()
    assert tuple(log.columns) == AUDIT_COLUMNS
    assert log["action"].tolist() == [
        "allocate", "allocate", "link", "edit", "merge", "unmerge", "retire", "register",
    ]  # fmt: skip
    assert log["actor"].tolist() == [
        "clerk", None, "sync", "clerk", "dedup", "reviewer", None, None,
    ]  # fmt: skip
    assert log["seq"].tolist() == list(range(8))
    assert log["batch"].tolist() == list(range(1, 9))
    assert log["when"].is_monotonic_increasing
    assert str(log["when"].dt.tz) == "UTC"
    first = log.iloc[0]
    assert json.loads(first["before"]) is None
    assert json.loads(first["after"]) == a.to_record()
    merge = log.iloc[4]
    assert json.loads(merge["before"])["status"] == "active"
    assert json.loads(merge["after"])["merged_into"] == a.code
    edit = log.iloc[3]
    assert json.loads(edit["before"])["attributes"] == {}
    assert json.loads(edit["after"])["attributes"] == {"city": "Tehran"}


def test_audit_log_round_trips_through_json_but_not_csv() -> None:
    reg = ticking()
    c = reg.allocate("customer", label="Sara", actor="clerk")
    reg.edit(c.code, label="Sara Karimi", actor="clerk")
    text = reg.to_json()
    again = CodeRegistry.from_json(text)
    saved = reg.audit_log()
    log = again.audit_log()
    pd.testing.assert_frame_equal(log.iloc[:2], saved)
    assert log["action"].tolist()[2:] == ["load"]
    assert json.loads(log["after"].iloc[2]) == {"entries": 1}
    # a second round trip keeps the first load row
    third = CodeRegistry.from_json(again.to_json()).audit_log()
    assert third["action"].tolist() == ["allocate", "edit", "load", "load"]
    assert third["batch"].tolist() == [1, 2, 3, 4]
    # CSV carries the entries only
    from_csv = CodeRegistry.read_csv(io.StringIO(reg.to_csv()))
    assert from_csv.entries() == reg.entries()
    assert from_csv.audit_log()["action"].tolist() == ["load"]


def test_from_json_refuses_a_broken_audit_log() -> None:
    reg = ticking()
    reg.allocate("customer")
    doc = json.loads(reg.to_json())
    bad = json.loads(json.dumps(doc))
    bad["audit"][0]["seq"] = 3
    with pytest.raises(InvalidValueError, match="seq=3"):
        CodeRegistry.from_json(json.dumps(bad))
    bad = json.loads(json.dumps(doc))
    bad["audit"][0]["action"] = "delete"
    with pytest.raises(InvalidValueError, match="audit record 0"):
        CodeRegistry.from_json(json.dumps(bad))
    bad = json.loads(json.dumps(doc))
    bad["version"] = 3
    with pytest.raises(InvalidValueError, match="version"):
        CodeRegistry.from_json(json.dumps(bad))
    # the entry list alone (earlier versions' files) still loads
    old = CodeRegistry.from_json(json.dumps(doc["entries"]))
    assert old.entries() == reg.entries()


def test_audit_record_round_trip_and_checks() -> None:
    rec = AuditRecord(
        seq=0, batch=1, when="2026-01-01T03:30:00+03:30", actor="x",
        action="edit", code="CUST-000001-8", before={"a": [1, None]}, after=None,
    )  # fmt: skip
    assert rec.when == datetime(2026, 1, 1, tzinfo=UTC)
    assert rec.action is AuditAction.EDIT
    assert AuditRecord.from_record(rec.to_record()) == rec
    with pytest.raises(InvalidValueError):
        AuditRecord.from_record({**rec.to_record(), "extra": 1})
    with pytest.raises(InvalidValueError):
        AuditRecord(**{**rec.to_record(), "before": {"x": float("nan")}})
    with pytest.raises(InvalidValueError):
        AuditRecord(**{**rec.to_record(), "seq": -1})


def test_edit_changes_label_and_attributes_never_the_code() -> None:
    reg = ticking()
    c = reg.allocate("customer", label="sara", attributes={"city": "Tehran", "n": 1})
    new = reg.edit(c.code, label="Sara")
    assert (new.code, new.label, new.attribute_dict()) == (c.code, "Sara", c.attribute_dict())
    new = reg.edit(c.code, attributes={"city": "Shiraz"})
    assert new.attribute_dict() == {"city": "Shiraz"}
    assert reg.edit(c.code) == new  # nothing to change: no row
    assert reg.audit_log()["action"].tolist() == ["allocate", "edit", "edit"]
    with pytest.raises(TypeError):
        reg.edit(c.code, code="CUST-000009-9")  # type: ignore[call-arg]
    with pytest.raises(InvalidValueError, match="label"):
        reg.edit(c.code, label=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="attribute"):
        reg.edit(c.code, attributes={"n": [1]})  # type: ignore[dict-item]
    assert reg.get(c.code) == new


def test_unmerge_restores_the_entry_and_its_links() -> None:
    reg = ticking()
    a = reg.allocate("customer", label="Sara")
    b = reg.allocate("customer", label="Sara (dup)", attributes={"src": "web"})
    tabriz = LocalCodeScheme(source="Tabriz")
    b = reg.link(b.code, "W-1", scheme=tabriz)
    c = reg.allocate("customer")
    reg.merge(c.code, into=b.code)  # c follows b
    reg.merge(b.code, into=a.code)
    assert reg.lookup("W-1", scheme=tabriz).code == a.code
    assert reg.resolve(c.code).code == a.code
    restored = reg.unmerge(b.code)
    assert restored == b
    assert reg.lookup("W-1", scheme=tabriz).code == b.code
    assert reg.resolve(c.code).code == b.code
    assert reg.find(status="active") == (reg.get(a.code), restored)


def test_unmerge_refuses_with_what_to_do() -> None:
    reg = ticking()
    a, b, c = (reg.allocate("customer") for _ in range(3))
    with pytest.raises(InvariantError, match="not merged"):
        reg.unmerge(a.code)
    reg.merge(b.code, into=a.code)
    reg.merge(a.code, into=c.code)
    with pytest.raises(InvariantError, match=r"unmerge\('CUST-000001-8'\)"):
        reg.unmerge(b.code)
    reg.unmerge(a.code)
    reg.retire(a.code)
    with pytest.raises(InvariantError, match="retired"):
        reg.unmerge(b.code)
    assert reg.get(b.code).status is EntryStatus.MERGED


# ----------------------------------------------- leading zeros and empty labels


def zero_registry() -> CodeRegistry:
    reg = CodeRegistry(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    legacy = LocalCodeScheme(source="legacy")
    reg.register("0012345678905", kind="product", scheme=GTIN, label="")
    reg.register("000123", kind="customer", scheme=legacy, label="NA")
    e = reg.register("0000", kind="customer", scheme=legacy, label="",
                     attributes={"zip": "00501"})  # fmt: skip
    reg.link(e.code, "007", scheme=LocalCodeScheme(source="Tabriz"))
    return reg


def test_numeric_codes_with_leading_zeros_survive_every_format() -> None:
    reg = zero_registry()
    want = reg.to_records()
    assert CodeRegistry.from_records(want).to_records() == want
    assert CodeRegistry.from_json(reg.to_json()).to_records() == want
    assert CodeRegistry.from_frame(reg.to_frame()).to_records() == want
    assert CodeRegistry.read_csv(io.StringIO(reg.to_csv())).to_records() == want
    text = reg.to_csv()
    assert text is not None
    assert '"0012345678905"' in text  # the file holds every character
    plain = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert plain["code"].tolist() == ["0012345678905", "000123", "0000"]
    assert plain["label"].tolist() == ["", "NA", ""]
    assert CodeRegistry.from_frame(plain.set_index("code")).to_records() == want


def test_a_plain_csv_read_is_refused_rather_than_loaded_wrong() -> None:
    text = zero_registry().to_csv()
    assert text is not None
    plain = pd.read_csv(io.StringIO(text), index_col="code")
    with pytest.raises(InvalidValueError, match="read_csv"):
        CodeRegistry.from_frame(plain)
