"""Records and frames of the non-customer domain classes persist and come back equal.

* ``to_record`` is JSON-safe and ``from_record(to_record(x)) == x``;
* each ``*_to_frame`` goes through CSV (every cell read as text), Parquet and exact JSON
  (``frame_to_json``) and ``*_from_frame`` gives back equal objects, every timestamp on
  its own wall clock and offset (mixed zones included);
* the constructors' argument types are the converters' real types (mypy --strict uses
  them; wrong types fail type checking).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import typing
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Complaint,
    ComplaintStep,
    Interaction,
    Opportunity,
    PipelineStep,
    Relationship,
    StageChange,
    complaints_from_frame,
    complaints_to_frame,
    customers_from_frame,
    customers_to_frame,
    frame_from_json,
    frame_to_json,
    interactions_from_frame,
    interactions_to_frame,
    opportunities_from_frame,
    opportunities_to_frame,
    relationships_from_frame,
    relationships_to_frame,
)
from crmkit.domain import _frame_io as fio
from crmkit.exceptions import InvalidValueError

RECORD_KINDS: dict[str, tuple[Any, type[Any]]] = {
    "StageChange": (testing.stage_changes(), StageChange),
    "Relationship": (testing.relationships(), Relationship),
    "Interaction": (testing.interactions(), Interaction),
    "ComplaintStep": (testing.complaint_steps(), ComplaintStep),
    "Complaint": (testing.complaints(), Complaint),
    "PipelineStep": (testing.pipeline_steps(), PipelineStep),
    "Opportunity": (testing.opportunities(), Opportunity),
}

FRAME_KINDS: dict[str, tuple[Any, Callable[..., Any], Callable[..., Any], Any]] = {
    # the customers' frame follows the same file convention
    "customers": (testing.customers(), customers_to_frame, customers_from_frame, lambda c: c.code),
    "interactions": (testing.interactions(), interactions_to_frame, interactions_from_frame, None),
    "complaints": (
        testing.complaints(),
        complaints_to_frame,
        complaints_from_frame,
        lambda c: c.complaint_id,
    ),
    "opportunities": (
        testing.opportunities(),
        opportunities_to_frame,
        opportunities_from_frame,
        None,
    ),
    "relationships": (
        testing.relationships(),
        relationships_to_frame,
        relationships_from_frame,
        lambda r: (r.customer_code, r.counterparty),
    ),
}


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    # the customers' frame keeps its codes in the index: write it as a column
    return fio.read_frame_csv(io.StringIO(frame.to_csv(index=frame.index.name is not None)))


def _parquet(frame: pd.DataFrame) -> pd.DataFrame:
    pytest.importorskip("pyarrow")
    return fio.parquet_trip(frame)


def _json(frame: pd.DataFrame) -> pd.DataFrame:
    return frame_from_json(frame_to_json(frame))


FORMATS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "csv": _csv,
    "parquet": _parquet,
    "json": _json,
}


def _clocks(obj: Any) -> list[tuple[str, dt.timedelta | None]]:
    """Every timestamp of a record as (local wall time, UTC offset): equality of
    aware datetimes compares instants only, this also checks the local reading."""
    out = []
    stamps = [obj.at] if isinstance(obj, Interaction) else [s.at for s in obj.steps]
    for t in stamps:
        out.append((t.replace(tzinfo=None).isoformat(), t.utcoffset()))
    return out


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_record_is_json_safe_and_reads_back_equal(kind: str, data: st.DataObject) -> None:
    strategy, cls = RECORD_KINDS[kind]
    obj = data.draw(strategy)
    record = obj.to_record()
    text = json.dumps(record)  # enums, dates, datetimes, tuples: all JSON-safe
    back = cls.from_record(json.loads(text))
    assert back == obj
    assert back.to_record() == record  # same offsets, same wall times, same order
    assert cls.from_record(record) == obj


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("kind", sorted(FRAME_KINDS))
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_frame_round_trips_through_each_format(kind: str, fmt: str, data: st.DataObject) -> None:
    strategy, to, back, key = FRAME_KINDS[kind]
    lists = (
        st.lists(strategy, min_size=1, max_size=3, unique_by=key)
        if key
        else st.lists(strategy, min_size=1, max_size=3)
    )
    items = data.draw(lists)
    frame = to(items)
    before = frame.copy()
    out = back(FORMATS[fmt](frame))
    assert out == tuple(items)
    if kind in ("interactions", "complaints"):
        assert [_clocks(x) for x in out] == [_clocks(x) for x in items]
    # the records too: same offsets and wall times written out
    assert [x.to_record() for x in out] == [x.to_record() for x in items]
    pd.testing.assert_frame_equal(frame, before)  # the frame is not modified


def test_mixed_zone_complaints_keep_local_times_and_offsets() -> None:
    tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    tokyo = pytest.importorskip("zoneinfo").ZoneInfo("Asia/Tokyo")
    c = (
        Complaint.receive(
            complaint_id="K1",
            customer_code="C1",
            item_code="P1",
            at=dt.datetime(2024, 5, 1, 9, 0, tzinfo=tehran),
        )
        .advance("acknowledged", at=dt.datetime(2024, 5, 1, 15, 0, tzinfo=tokyo))
        .advance("resolved", at=dt.datetime(2024, 5, 2, 12, 0, tzinfo=dt.UTC))
    )
    frame = complaints_to_frame([c])
    assert frame["time_zone"].tolist() == ["+03:30", "Asia/Tokyo", "UTC"]
    for fmt, trip in FORMATS.items():
        (back,) = complaints_from_frame(trip(frame))
        got = [s.at.isoformat() for s in back.steps]
        assert got == [
            "2024-05-01T09:00:00+03:30",
            "2024-05-01T15:00:00+09:00",
            "2024-05-02T12:00:00+00:00",
        ], fmt
        assert back.steps[1].at.tzinfo == tokyo  # the IANA zone itself, not just +09:00


def test_frame_without_time_zone_column_still_reads() -> None:
    i = Interaction(
        customer_code="C1",
        at=dt.datetime(2024, 1, 2, 8, tzinfo=dt.UTC),
        channel="chat",
        kind="service",
        phase="after sale",
        direction="inbound",
    )
    frame = interactions_to_frame([i]).drop(columns="time_zone")
    assert interactions_from_frame(frame) == (i,)


def test_unreadable_cells_name_row_column_and_value() -> None:
    o = Opportunity.open(
        opportunity_id="007",
        customer_code="C1",
        amount=1000.0,
        probability=0.2,
        expected_close="2024-05-31",
        on="2024-01-10",
    )
    text = _csv(opportunities_to_frame([o]))
    assert text.loc[0, "opportunity_id"] == "007"  # leading zeros kept
    assert opportunities_from_frame(text) == (o,)
    bad = text.copy()
    bad.loc[0, "amount"] = "1,000"
    with pytest.raises(InvalidValueError, match=r"row 0 .*amount='1,000' must be a number"):
        opportunities_from_frame(bad)
    bad = text.copy()
    bad.loc[0, "expected_close"] = "now"
    with pytest.raises(InvalidValueError, match="expected_close='now' is not ISO text"):
        opportunities_from_frame(bad)
    zoned = complaints_to_frame(
        [
            Complaint.receive(
                complaint_id="K1",
                customer_code="C1",
                item_code="P1",
                at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            )
        ]
    )
    zoned.loc[0, "time_zone"] = "Mars/Olympus"
    with pytest.raises(InvalidValueError, match="time_zone='Mars/Olympus' is not a time zone"):
        complaints_from_frame(zoned)


@pytest.mark.parametrize(
    "junk", [None, 5, [1], {"columns": ["a"]}, '{"columns": ["a"], "rows": [[1, 2]]}', "{"]
)
def test_frame_from_json_refuses_other_text(junk: Any) -> None:
    with pytest.raises(InvalidValueError):
        frame_from_json(junk)


def test_frame_to_json_is_exact_for_floats() -> None:
    frame = pd.DataFrame({"amount": [0.1 + 0.2, 1 / 3, 5e-324]})
    back = frame_from_json(frame_to_json(frame))
    assert back["amount"].tolist() == frame["amount"].tolist()


@pytest.mark.parametrize(
    "cls", [Relationship, StageChange, Interaction, Complaint, ComplaintStep, Opportunity,
            PipelineStep],
)  # fmt: skip
def test_constructor_argument_types_are_precise(cls: type[Any]) -> None:
    """attrs' __init__ takes each argument's type from its converter: none is Any, so
    mypy --strict rejects e.g. Complaint(customer_code=5) or Opportunity(amount="10")."""
    hints = typing.get_type_hints(cls.__init__)
    assert hints, cls
    loose = [name for name, hint in hints.items() if hint is Any]
    assert not loose, f"{cls.__name__} takes Any for {loose}"
    if cls is Complaint:
        assert hints["customer_code"] is str
    if cls is Opportunity:
        assert str not in typing.get_args(hints["amount"])
        assert hints["amount"] is not str
