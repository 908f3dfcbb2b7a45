"""Calls ``mypy --strict`` must accept (checked by tests/test_static_types.py)."""

from __future__ import annotations

import datetime as dt

from crmkit.domain import (
    Complaint,
    ComplaintStep,
    Interaction,
    Opportunity,
    PipelineStep,
    Relationship,
    StageChange,
)

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)


def good_calls() -> tuple[Relationship, Interaction, Complaint, Opportunity]:
    r = Relationship(
        customer_code="C1",
        history=[StageChange(stage="acquaintance", on="2023-01-01")],
    )
    i = Interaction(
        customer_code="C1",
        at=T,
        channel="chat",
        kind="service",
        phase="after sale",
        direction="inbound",
        amount=10.0,
    )
    c = Complaint(
        complaint_id="K1",
        customer_code="C1",
        item_code="P1",
        steps=[ComplaintStep(stage="received", at=T)],
    )
    o = Opportunity(
        opportunity_id="O1",
        customer_code="C1",
        amount=10.0,
        probability=0.5,
        expected_close=dt.date(2024, 9, 1),
        history=[PipelineStep(stage="prospecting", on="2024-05-01")],
    )
    return r, i, c, o
