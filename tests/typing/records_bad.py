"""Calls ``mypy --strict`` must reject: one wrong argument per record class (checked by
tests/test_static_types.py together with customer_bad.py).

Each bad line ends with a marker comment naming the error code mypy must report on it.
The calls sit in a function that is never run: importing this module is harmless.
"""

from __future__ import annotations

import datetime as dt

from crmkit.domain import (
    Complaint,
    ComplaintStep,
    Demographics,
    Interaction,
    Opportunity,
    PipelineStep,
    Relationship,
    StageChange,
)

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)


# fmt: off
def bad_calls() -> None:
    Demographics(birth_date=19900101)  # E: arg-type
    StageChange(stage="acquaintance", on=20230101)  # E: arg-type
    Relationship(customer_code=7, history=[])  # E: arg-type
    Interaction(customer_code="C1", at=T, channel="chat", kind="service", phase="after sale", direction="inbound", amount="10")  # E: arg-type  # noqa: E501
    ComplaintStep(stage="received", at=1714554000)  # E: arg-type
    Complaint(complaint_id="K1", customer_code=5, item_code="P1", steps=[])  # E: arg-type
    PipelineStep(stage="prospecting", on=["2024-05-01"])  # E: arg-type
    Opportunity(opportunity_id="O1", customer_code="C1", amount="10", probability=0.5, expected_close="2024-09-01", history=[])  # E: arg-type  # noqa: E501
# fmt: on
