"""Calls ``mypy --strict`` must reject (checked by tests/test_static_types.py).

Each bad line ends with a marker comment naming the error code mypy must report on it.
The calls sit in a function that is never run: importing this module is harmless.
"""

from __future__ import annotations

import datetime as dt

from crmkit.domain import Address, ContactPoint, Customer, LifeEvent


def bad_calls() -> None:
    Customer(code=123, name="A")  # E: arg-type
    Customer(code="C1", name=["Ali", "Rezaei"])  # E: arg-type
    Customer(code="C1", name="A", contacts="oops")  # E: arg-type
    Customer(code="C1", name="A", contacts=[42])  # E: list-item
    Customer(code="C1", name="A", acquired_on=20240101)  # E: arg-type
    Customer(code="C1", name="A", status=3)  # E: arg-type
    Customer(code="C1", name="A", life_events=["moved"])  # E: list-item
    Customer(code="C1", name="A", address=5)  # E: arg-type
    ContactPoint(channel=1, value="a@b.ir")  # E: arg-type
    LifeEvent(kind="moved", on=dt.datetime.now().timestamp())  # E: arg-type
    Address(line=None)  # E: arg-type
