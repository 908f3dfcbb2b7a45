"""crmkit.metrics.complaints reads the long frame of crmkit.domain.complaints_to_frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Complaint, complaints_to_frame
from crmkit.metrics.complaints import complaint_rate, complaints_from_steps, time_to_resolution

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _items() -> list[Complaint]:
    tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    a = Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T).advance(
        "resolved", at=T + 6 * H
    )
    b = (
        Complaint.receive(complaint_id="K2", customer_code="C2", item_code="P1", at=T)
        .advance("in progress", at=(T + H).astimezone(tehran))
        .advance("resolved", at=T + 10 * H)
        .advance("reopened", at=T + 20 * H)
    )
    c = (
        Complaint.receive(complaint_id="K3", customer_code="C3", item_code="S7", at=T)
        .advance("resolved", at=T + 48 * H)
        .advance("closed", at=T + 50 * H)
    )
    return [a, b, c]


def test_time_to_resolution_takes_the_domain_frame() -> None:
    frame = complaints_to_frame(_items())
    before = frame.copy()
    out = time_to_resolution(frame, time_unit="h")
    pd.testing.assert_frame_equal(frame, before)
    # hand-computed: P1 -> K1 resolved after 6 h, K2 reopened (open); S7 -> K3 after 48 h
    assert out.loc["P1", ["complaints", "resolved", "open"]].tolist() == [2, 1, 1]
    assert out.loc["P1", "mean_time_to_resolution"] == 6.0
    assert out.loc["S7", "mean_time_to_resolution"] == 48.0
    days = time_to_resolution(frame)
    assert days.loc["S7", "mean_time_to_resolution"] == 2.0
    assert complaint_rate(frame)["complaints"].to_dict() == {"P1": 2, "S7": 1}


def test_complaints_from_steps_one_row_per_complaint() -> None:
    out = complaints_from_steps(complaints_to_frame(_items()))
    assert out["complaint_id"].tolist() == ["K1", "K2", "K3"]
    assert out["stage"].tolist() == ["resolved", "reopened", "closed"]
    assert out["resolved_at"].isna().tolist() == [False, True, False]
    assert out.loc[2, "resolved_at"] == pd.Timestamp(T + 48 * H)


@settings(max_examples=30, deadline=None)
@given(st.lists(testing.complaints(), min_size=1, max_size=5, unique_by=lambda c: c.complaint_id))
def test_agrees_with_each_complaint_object(items: list[Complaint]) -> None:
    out = time_to_resolution(complaints_to_frame(items), time_unit="h")
    for code in {c.item_code for c in items}:
        mine = [c.time_to_resolution("h") for c in items if c.item_code == code]
        done = [x for x in mine if x is not None]
        assert out.loc[code, "open"] == len(mine) - len(done)
        got = out.loc[code, "mean_time_to_resolution"]
        if done:
            assert got == pytest.approx(float(np.mean(done)), rel=1e-9, abs=1e-9)
        else:
            assert np.isnan(got)
