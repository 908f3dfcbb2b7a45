"""Tests for crmkit.metrics.complaints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError
from crmkit.metrics import (
    CODE,
    COMPLAINT_ID,
    RECEIVED_AT,
    RESOLVED_AT,
    complaint_rate,
    time_to_resolution,
)


@pytest.fixture
def complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            COMPLAINT_ID: [1, 2, 3, 4, 5],
            CODE: ["6260000000017", "6260000000017", "SRV-01", "SRV-01", "SRV-01"],
            RECEIVED_AT: pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-02 00:00",
                    "2024-01-03 00:00",
                    "2024-01-04 00:00",
                    "2024-02-01 00:00",
                ]
            ),
            RESOLVED_AT: pd.to_datetime(
                [
                    "2024-01-01 21:00",
                    "2024-01-05 00:00",
                    "2024-01-10 00:00",
                    None,
                    "2024-03-01 00:00",
                ]
            ),
            "channel": ["phone", "email", "web", "web", "phone"],
        }
    )


def test_column_constants() -> None:
    assert (COMPLAINT_ID, CODE, RECEIVED_AT, RESOLVED_AT) == (
        "complaint_id",
        "code",
        "received_at",
        "resolved_at",
    )


def test_complaint_rate_hand_computed(complaints: pd.DataFrame) -> None:
    out = complaint_rate(complaints)
    assert out["complaints"].to_dict() == {"SRV-01": 3, "6260000000017": 2}
    assert out["share"].tolist() == pytest.approx([0.6, 0.4])
    out = complaint_rate(complaints, sales={"6260000000017": 400, "SRV-01": 60, "X": 5})
    assert out.loc["SRV-01", "rate"] == pytest.approx(0.05)
    assert out.loc["6260000000017", "rate"] == pytest.approx(0.005)
    assert out.loc["X", "complaints"] == 0


def test_complaint_rate_unknown_code(complaints: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="no sales figure"):
        complaint_rate(complaints, sales={"SRV-01": 60})


def test_time_to_resolution_hand_computed(complaints: pd.DataFrame) -> None:
    out = time_to_resolution(complaints)
    row = out.loc["6260000000017"]
    assert (row["complaints"], row["resolved"], row["open"]) == (2, 2, 0)
    assert row["mean_time_to_resolution"] == pytest.approx((0.5 + 3.0) / 2)
    srv = out.loc["SRV-01"]
    assert (srv["resolved"], srv["open"]) == (2, 1)
    assert srv["mean_time_to_resolution"] == pytest.approx((7 + 29) / 2)  # 2024 is leap
    weeks = time_to_resolution(complaints, time_unit="W")
    assert weeks.loc["SRV-01", "median_time_to_resolution"] == pytest.approx(18 / 7)


def test_bad_complaints(complaints: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnsError, match="resolved_at"):
        time_to_resolution(complaints.drop(columns=RESOLVED_AT))
    backwards = complaints.assign(**{RESOLVED_AT: complaints[RECEIVED_AT] - pd.Timedelta("1D")})
    with pytest.raises(InvariantError, match="resolved before received"):
        time_to_resolution(backwards)
    dup = complaints.assign(**{COMPLAINT_ID: [1, 1, 2, 3, 4]})
    with pytest.raises(InvalidValueError, match="duplicated"):
        complaint_rate(dup)
    with pytest.raises(InvalidValueError, match="missing value"):
        complaint_rate(complaints.assign(**{CODE: ["a", None, "b", "c", "d"]}))
    with pytest.raises(InvalidValueError, match="empty"):
        complaint_rate(complaints.iloc[:0])


def test_input_not_mutated(complaints: pd.DataFrame) -> None:
    before = complaints.copy()
    time_to_resolution(complaints)
    complaint_rate(complaints)
    pd.testing.assert_frame_equal(complaints, before)
    assert np.isnan(time_to_resolution(complaints.iloc[3:4])["mean_time_to_resolution"].iloc[0])
