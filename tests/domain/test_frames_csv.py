"""Frames after a CSV trip, and rows that used to be dropped silently.

Each ``*_from_frame`` reads back its own ``to_csv`` output: with code and text columns
read as text (``dtype=str, keep_default_na=False``) and numeric columns as numbers (an
empty cell missing) the round trip is lossless; with
pandas' defaults or with every cell as text it is lossless or refused with a crmkit error
naming the row and the fix, never a builtin error.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Complaint,
    ComplaintStep,
    Relationship,
    complaints_from_frame,
    complaints_to_frame,
    customers_from_frame,
    customers_to_frame,
    interactions_from_frame,
    interactions_to_frame,
    opportunities_from_frame,
    opportunities_to_frame,
    relationships_from_frame,
    relationships_to_frame,
)
from crmkit.exceptions import CrmkitError, InvalidValueError

NUMERIC = ("amount", "probability", "step")
# pandas 3 reads CSV numbers exactly by default (and deprecates the option); pandas 2's
# default C parser may miss the last digit, so ask it for the round-trip parser
EXACT_FLOATS: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)
T = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)

KINDS: dict[str, tuple[Any, Callable[..., Any], Callable[..., Any], Any, bool]] = {
    "customers": (
        testing.customers(),
        customers_to_frame,
        customers_from_frame,
        lambda c: c.code,
        True,
    ),
    "interactions": (
        testing.interactions(),
        interactions_to_frame,
        interactions_from_frame,
        None,
        False,
    ),
    "complaints": (
        testing.complaints(),
        complaints_to_frame,
        complaints_from_frame,
        lambda c: c.complaint_id,
        False,
    ),
    "opportunities": (
        testing.opportunities(),
        opportunities_to_frame,
        opportunities_from_frame,
        None,
        False,
    ),
    "relationships": (
        testing.relationships(),
        relationships_to_frame,
        relationships_from_frame,
        lambda r: (r.customer_code, r.counterparty),
        False,
    ),
}


def csv_text(frame: pd.DataFrame, indexed: bool) -> str:
    return frame.to_csv(index=indexed)


def read_back(text: str, indexed: bool, mode: str) -> pd.DataFrame:
    if mode == "text-columns":  # the documented way: codes as text, numbers as numbers
        cols = pd.read_csv(io.StringIO(text), nrows=0).columns
        df = pd.read_csv(
            io.StringIO(text),
            dtype={c: str for c in cols if c not in NUMERIC},
            keep_default_na=False,  # "NA", "null" ... in text stay text
            na_values={c: [""] for c in cols if c in NUMERIC},  # an empty number is missing
            **EXACT_FLOATS,
        )
    elif mode == "all-text":
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    else:
        df = pd.read_csv(io.StringIO(text))
    return df.set_index("customer_id") if indexed else df


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_csv_trip_is_lossless_with_text_code_columns(kind: str, data: st.DataObject) -> None:
    strategy, to, back, key, indexed = KINDS[kind]
    lists = (
        st.lists(strategy, min_size=1, max_size=3, unique_by=key)
        if key
        else st.lists(strategy, min_size=1, max_size=3)
    )
    items = data.draw(lists)
    text = csv_text(to(items), indexed)
    assert back(read_back(text, indexed, "text-columns")) == tuple(items)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("mode", ["pandas-defaults", "all-text"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_other_csv_readings_parse_or_give_a_crmkit_error(
    kind: str, mode: str, data: st.DataObject
) -> None:
    strategy, to, back, key, indexed = KINDS[kind]
    lists = (
        st.lists(strategy, min_size=1, max_size=3, unique_by=key)
        if key
        else st.lists(strategy, min_size=1, max_size=3)
    )
    items = data.draw(lists)
    frame = read_back(csv_text(to(items), indexed), indexed, mode)
    try:
        out = back(frame)
    except CrmkitError as exc:
        message = str(exc)
    else:
        assert len(out) == len(items)
        return
    assert any(word in message for word in ("row", "complaint", "relationship"))


def _complaint(cid: str, customer: str = "C1") -> Complaint:
    return Complaint.receive(
        complaint_id=cid, customer_code=customer, item_code="P1", at=T
    ).advance("acknowledged", at=T + dt.timedelta(hours=1))


def test_complaints_without_id_are_refused_not_dropped() -> None:
    frame = complaints_to_frame([_complaint("K1"), _complaint("K2")])
    frame.loc[2, "complaint_id"] = np.nan
    frame.loc[3, "complaint_id"] = ""
    with pytest.raises(InvalidValueError, match=r"2 row\(s\) have no usable complaint_id") as err:
        complaints_from_frame(frame)
    assert "row 2" in str(err.value)
    assert "row 3" in str(err.value)


def test_rows_of_one_complaint_must_agree_and_steps_must_not_repeat() -> None:
    frame = complaints_to_frame([_complaint("K1")])
    other = frame.copy()
    other.loc[1, "customer_id"] = "C2"
    with pytest.raises(InvalidValueError, match="disagree on customer_id"):
        complaints_from_frame(other)
    dup = frame.copy()
    dup.loc[1, "step"] = 0
    with pytest.raises(InvalidValueError, match="step 0 appears twice"):
        complaints_from_frame(dup)
    text_step = frame.astype({"step": str})  # the CSV convention: every cell as text
    assert complaints_from_frame(text_step) == complaints_from_frame(frame)
    bad_step = text_step.copy()
    bad_step.loc[1, "step"] = "1.5"
    with pytest.raises(InvalidValueError, match=r"row 1 .*step='1.5' must be a whole number"):
        complaints_from_frame(bad_step)


def test_rows_in_any_order_give_the_same_complaint() -> None:
    c = _complaint("K1")
    frame = complaints_to_frame([c]).iloc[::-1]
    assert complaints_from_frame(frame) == (c,)


def test_relationship_rows_without_key_and_text_flags() -> None:
    r = Relationship.start(customer_code="C1", on="2023-01-01").terminate(on="2024-01-01")
    frame = relationships_to_frame([r])
    bad = frame.copy()
    bad.loc[1, "counterparty"] = np.nan
    with pytest.raises(InvalidValueError, match="no usable customer_id / counterparty"):
        relationships_from_frame(bad)
    as_text = frame.astype({"reactivation": str})
    assert relationships_from_frame(as_text) == (r,)
    wrong = frame.astype({"reactivation": object})
    wrong.loc[0, "reactivation"] = "no"
    with pytest.raises(InvalidValueError, match="True or False"):
        relationships_from_frame(wrong)


def test_corrupt_tuple_cells_are_named() -> None:
    from crmkit.domain import Customer

    frame = customers_to_frame([Customer(code="C1", name="Sara")]).astype({"contacts": object})
    frame.loc["C1", "contacts"] = "(('e-mail',"
    with pytest.raises(InvalidValueError, match=r"contacts=.*cannot be read as a tuple"):
        customers_from_frame(frame)
    frame.loc["C1", "contacts"] = "(('e-mail', 'x@y.ir'),)"
    with pytest.raises(InvalidValueError, match="every item must be a tuple of 3"):
        customers_from_frame(frame)


@pytest.mark.parametrize(
    "func",
    [
        complaints_from_frame,
        customers_from_frame,
        interactions_from_frame,
        opportunities_from_frame,
        relationships_from_frame,
    ],
)
@pytest.mark.parametrize("junk", [None, [1, 2], "frame", {"a": 1}, np.nan])
def test_from_frame_needs_a_frame(func: Callable[..., Any], junk: Any) -> None:
    with pytest.raises(InvalidValueError, match="DataFrame"):
        func(junk)


@pytest.mark.parametrize(
    "func",
    [
        complaints_to_frame,
        customers_to_frame,
        interactions_to_frame,
        opportunities_to_frame,
        relationships_to_frame,
    ],
)
@pytest.mark.parametrize("junk", [None, 5, "abc", {"a": 1}, [object()]])
def test_to_frame_needs_a_collection_of_objects(func: Callable[..., Any], junk: Any) -> None:
    with pytest.raises(InvalidValueError):
        func(junk)


def test_complaint_step_steps_survive_a_default_csv_trip() -> None:
    c = Complaint(
        complaint_id="007",
        customer_code="C1",
        item_code="P1",
        steps=[ComplaintStep(stage="received", at=T, note="NA")],
    )
    text = complaints_to_frame([c]).to_csv(index=False)
    # pandas' defaults read '007' as 7: refused with the fix, not silently renamed
    with pytest.raises(InvalidValueError, match="dtype=str"):
        complaints_from_frame(pd.read_csv(io.StringIO(text)))
    frame = pd.read_csv(io.StringIO(text), dtype={"complaint_id": str, "note": str},
                        keep_default_na=False)  # fmt: skip
    assert complaints_from_frame(frame) == (c,)
