"""Calls ``mypy --strict`` must accept (checked by tests/test_static_types.py)."""

from __future__ import annotations

import datetime as dt

from crmkit.domain import (
    Address,
    Channel,
    ContactPoint,
    Customer,
    CustomerStatus,
    LifeEvent,
    MaritalStatus,
)


def good_calls() -> Customer:
    c = Customer(
        code="C1",
        name="Sara",
        kind="person",
        demographics={"birth_date": "1990-01-01"},
        marital_status=MaritalStatus.SINGLE,
        address=Address(line="5 Hafez St", city="Shiraz"),
        contacts=[
            ContactPoint(channel=Channel.EMAIL, value="s@x.ir"),
            {"channel": "mobile", "value": "09121234567", "default_country_code": "98"},
        ],
        tags=("vip",),
        national_id="0499370899",
        acquired_on=dt.date(2024, 1, 1),
        acquisition_channel="web",
        status=CustomerStatus.ACTIVE,
        life_events=[LifeEvent(kind="moved", on="2023-01-01", address="1 Zand St")],
        aliases=["OLD-1"],
    )
    return c.apply(LifeEvent(kind="marriage", on=dt.date(2024, 6, 1)))
