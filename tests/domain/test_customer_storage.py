"""Customer frames survive CSV, Parquet and JSON files and read back to equal customers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Customer,
    LifeEvent,
    customers_from_frame,
    customers_to_frame,
    read_frame_csv,
)
from crmkit.exceptions import CrmkitError, InvalidValueError, MissingColumnsError

PEOPLE = st.lists(testing.customers(), min_size=1, max_size=4, unique_by=lambda c: c.code)
SETTINGS = settings(max_examples=25, deadline=None)


# CSV, Parquet and frame_to_json round trips of the customers' frame: with every other
# domain frame in tests/domain/test_records_io.py (one convention for all).


@SETTINGS
@given(PEOPLE)
def test_json_records_round_trip(people: list[Customer]) -> None:
    text = json.dumps([c.to_record() for c in people], ensure_ascii=False)
    assert tuple(Customer.from_record(r) for r in json.loads(text)) == tuple(people)


@SETTINGS
@given(PEOPLE)
def test_in_memory_round_trip(people: list[Customer]) -> None:
    assert customers_from_frame(customers_to_frame(people)) == tuple(people)


def test_life_events_column_is_json_text_and_address_is_flat() -> None:
    c = Customer(code="C1", name="Sara", marital_status="married").apply(
        LifeEvent(kind="moved", on="2024-05-01", address={"line": "5 Hafez St", "city": "Shiraz"})
    )
    row = customers_to_frame([c]).loc["C1"]
    assert json.loads(row["life_events"])[0]["address"]["city"] == "Shiraz"
    assert (row["address_line"], row["address_city"], row["marital_status"]) == (
        "5 Hafez St",
        "Shiraz",
        "married",
    )


def test_old_life_event_tuples_are_still_read() -> None:
    frame = customers_to_frame([Customer(code="C1", name="A")])
    frame["life_events"] = [(("moved", "2020-01-01", "Tabriz"),)]
    (c,) = customers_from_frame(frame)
    assert c.life_events == (LifeEvent(kind="moved", on="2020-01-01", detail="Tabriz"),)
    frame["life_events"] = ["[1, 2]"]
    with pytest.raises(InvalidValueError, match="life_events holds 1"):
        customers_from_frame(frame)


def test_bare_read_csv_gives_a_crmkit_error_naming_the_fix() -> None:
    buf = io.StringIO()
    customers_to_frame([Customer(code="C1", name="A", national_id="0499370899")]).to_csv(buf)
    buf.seek(0)
    frame = pd.read_csv(buf, index_col="customer_id")  # guesses national_id is a number
    with pytest.raises(CrmkitError, match=r"national_id=.*dtype=str"):
        customers_from_frame(frame)


def test_read_frame_csv_names_unreadable_sources_and_missing_codes() -> None:
    with pytest.raises(InvalidValueError, match="customer codes must be the index"):
        customers_from_frame(read_frame_csv(io.StringIO("code,name\nC1,A\n")))
    with pytest.raises(MissingColumnsError, match="name"):
        customers_from_frame(read_frame_csv(io.StringIO("customer_id,title\nC1,A\n")))
    with pytest.raises(InvalidValueError, match="could not be read as CSV"):
        read_frame_csv(Path("/nonexistent/customers.csv"))


def test_csv_text_cells_keep_leading_zeros_and_na_text() -> None:
    c = Customer(code="007", name="NA", national_id="0499370899", segment="NA")
    frame = read_frame_csv(io.StringIO(customers_to_frame([c]).to_csv()))
    assert customers_from_frame(frame) == (c,)


def test_address_parts_without_a_line_are_refused() -> None:
    frame = customers_to_frame([Customer(code="C1", name="A")])
    frame["address_city"] = ["Shiraz"]
    with pytest.raises(InvalidValueError, match="address_line is missing"):
        customers_from_frame(frame)


def test_json_midnight_timestamps_are_read_as_dates() -> None:
    frame = customers_to_frame([Customer(code="C1", name="A", acquired_on="2024-01-31")])
    frame["acquired_on"] = ["2024-01-31T00:00:00.000"]
    assert customers_from_frame(frame)[0].acquired_on.isoformat() == "2024-01-31"  # type: ignore[union-attr]
    frame["acquired_on"] = ["2024-01-31T10:00:00.000"]
    with pytest.raises(InvalidValueError, match="time of day"):
        customers_from_frame(frame)
