"""Vectorised frame analyses, checked against hand-computed cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import (
    Complaint,
    complaint_stage_durations,
    complaints_per_item,
    complaints_to_frame,
    contacts_before_first_purchase,
    interactions_to_frame,
)
from crmkit.exceptions import InvalidValueError

T0 = dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _complaints() -> list[Complaint]:
    k1 = (
        Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T0)
        .advance("acknowledged", at=T0 + 12 * H)
        .advance("in progress", at=T0 + 24 * H)
        .advance("resolved", at=T0 + 72 * H)
        .reopen(at=T0 + 96 * H)
        .advance("in progress", at=T0 + 108 * H)
        .advance("resolved", at=T0 + 120 * H)
        .advance("closed", at=T0 + 144 * H)
    )
    k2 = Complaint.receive(complaint_id="K2", customer_code="C2", item_code="P1", at=T0)
    k3 = Complaint.receive(complaint_id="K3", customer_code="C1", item_code="P2", at=T0).advance(
        "in progress", at=T0 + 48 * H
    )
    return [k1, k2, k3]


def test_complaints_per_item_hand_counted() -> None:
    out = complaints_per_item(complaints_to_frame(_complaints()))
    assert out.index.tolist() == ["P1", "P2"]
    assert out["n_complaints"].tolist() == [2, 1]
    assert out["n_customers"].tolist() == [2, 1]
    assert out["n_open"].tolist() == [1, 1]
    assert out["share"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_stage_durations_hand_computed() -> None:
    d = complaint_stage_durations(complaints_to_frame(_complaints()), time_unit="D")
    k1 = d.loc["K1"]
    # received 12 h, acknowledged 12 h, in progress 48 h + 12 h, resolved 24 h + 24 h,
    # reopened 12 h, closed: current stage (no observation_end) -> 0
    assert k1["received"] == 0.5
    assert k1["acknowledged"] == 0.5
    assert k1["in progress"] == 2.5
    assert k1["resolved"] == 2.0
    assert k1["reopened"] == 0.5
    assert k1["closed"] == 0.0
    assert k1["time_to_first_response"] == 0.5
    assert k1["time_to_resolution"] == 5.0
    assert np.isnan(d.loc["K2", "time_to_first_response"])
    assert np.isnan(d.loc["K3", "time_to_resolution"])
    assert d.loc["K3", "received"] == 2.0
    frame = complaints_to_frame(_complaints())
    open_ones = frame[frame["complaint_id"].isin(["K2", "K3"])]
    with_end = complaint_stage_durations(
        open_ones, time_unit="D", observation_end=pd.Timestamp(T0 + 96 * H)
    )
    assert with_end.loc["K2", "received"] == 4.0
    assert with_end.loc["K3", "in progress"] == 2.0
    # K1's last step is after T0 + 96 h: its current stage would get a negative time
    with pytest.raises(
        InvalidValueError, match=r"observation_end=2024-.* precedes the last step .*'K1' at"
    ):
        complaint_stage_durations(frame, time_unit="D", observation_end=pd.Timestamp(T0 + 96 * H))


def test_stage_durations_refuse_naive_observation_end() -> None:
    with pytest.raises(InvalidValueError, match="naive"):
        complaint_stage_durations(
            complaints_to_frame(_complaints()), observation_end=pd.Timestamp("2024-02-01")
        )


@settings(max_examples=30)  # heavy composite examples; 30 cover the rules
@given(st.lists(testing.complaints(), min_size=1, max_size=4, unique_by=lambda c: c.complaint_id))
def test_stage_durations_agree_with_the_objects(items: list[Complaint]) -> None:
    d = complaint_stage_durations(complaints_to_frame(items), time_unit="D")
    for c in items:
        first, res = c.time_to_first_response("D"), c.time_to_resolution("D")
        got_first = d.loc[c.complaint_id, "time_to_first_response"]
        got_res = d.loc[c.complaint_id, "time_to_resolution"]
        assert np.isnan(got_first) if first is None else got_first == pytest.approx(first)
        assert np.isnan(got_res) if res is None else got_res == pytest.approx(res)


def test_contacts_before_first_purchase_hand_counted() -> None:
    from crmkit.domain import Interaction

    def i(code: str, h: int, kind: str, amount: float | None = None) -> Interaction:
        return Interaction(customer_code=code, at=T0 + h * H, channel="phone", kind=kind,
                           phase="before sale", direction="outbound", amount=amount)  # fmt: skip

    items = [i("A", 0, "marketing"), i("A", 1, "sales"), i("A", 2, "sales", 10.0),
             i("A", 3, "service"), i("B", 0, "marketing"), i("B", 5, "marketing"),
             i("C", 1, "sales", 5.0)]  # fmt: skip
    out = contacts_before_first_purchase(interactions_to_frame(items))
    assert out["n_contacts_before"].to_dict() == {"A": 2, "B": 2, "C": 0}
    assert out["converted"].to_dict() == {"A": True, "B": False, "C": True}
    buys = pd.DataFrame({"customer_id": ["B"], "datetime": [pd.Timestamp(T0 + 3 * H)]})
    out2 = contacts_before_first_purchase(interactions_to_frame(items), buys)
    assert out2.loc["B", "n_contacts_before"] == 1
    assert out2.loc["B", "converted"]


def test_contacts_before_first_purchase_refuses_mixed_naive_and_aware() -> None:
    from crmkit.domain import Interaction

    i = Interaction(customer_code="A", at=T0, channel="web", kind="marketing",
                    phase="before sale", direction="outbound")  # fmt: skip
    buys = pd.DataFrame({"customer_id": ["A"], "datetime": [pd.Timestamp("2024-02-01")]})
    with pytest.raises(InvalidValueError, match="time zone"):
        contacts_before_first_purchase(interactions_to_frame([i]), buys)


def test_contacts_before_first_purchase_refuses_missing_ids_and_times() -> None:
    from crmkit.domain import Interaction

    i = Interaction(customer_code="A", at=T0, channel="web", kind="marketing",
                    phase="before sale", direction="outbound")  # fmt: skip
    frame = interactions_to_frame([i, i])
    frame.loc[1, "customer_id"] = None
    with pytest.raises(InvalidValueError, match="'customer_id' has 1 missing"):
        contacts_before_first_purchase(frame)
    buys = pd.DataFrame(
        {"customer_id": ["A"], "datetime": pd.Series([pd.NaT], dtype="datetime64[ns, UTC]")}
    )
    with pytest.raises(InvalidValueError, match="'datetime' has 1 missing"):
        contacts_before_first_purchase(interactions_to_frame([i]), buys)
