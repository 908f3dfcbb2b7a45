"""CustomerIndex answers like a full scan of the customers, however the query is typed."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import testing
from crmkit.domain import Channel, Customer, customers_to_frame
from crmkit.domain.quality import CustomerIndex
from crmkit.exceptions import InvalidValueError

PHONES = (Channel.PHONE, Channel.MOBILE, Channel.FAX)


def _scan(people: list[Customer], channel: tuple[Channel, ...], value: str) -> tuple[str, ...]:
    return tuple(
        c.code
        for c in people
        if any(p.channel in channel and p.value == value for p in c.contacts)
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(testing.customers(), max_size=6, unique_by=lambda c: c.code))
def test_index_agrees_with_a_scan(people: list[Customer]) -> None:
    idx = CustomerIndex(people)
    assert len(idx) == len(people)
    for c in people:
        for p in c.contacts:
            if p.channel in PHONES:
                assert idx.by_phone(p.value) == _scan(people, PHONES, p.value)
            elif p.channel is Channel.EMAIL:
                assert idx.by_email(p.value.upper()) == _scan(people, (Channel.EMAIL,), p.value)
        if c.national_id is not None:
            assert idx.by_national_id(c.national_id) == tuple(
                d.code for d in people if d.national_id == c.national_id
            )
    frame_idx = CustomerIndex.from_frame(customers_to_frame(people)) if people else idx
    assert repr(frame_idx) == repr(idx)


def test_lookups_normalise_the_query() -> None:
    people = [
        Customer(code="C1", name="Sara", national_id="0499370899",
                 contacts=[{"channel": "e-mail", "value": "Sara@Mail.IR"},
                           {"channel": "mobile", "value": "+989121234567"}]),
        Customer(code="C2", name="Sara A",
                 contacts=[{"channel": "fax", "value": "+989121234567"}]),
    ]  # fmt: skip
    idx = CustomerIndex(people)
    assert idx.by_email(" SARA@mail.ir ") == ("C1",)
    assert idx.by_phone("0912-123-4567", default_country_code="98") == ("C1", "C2")
    assert idx.by_phone("٠٠٩٨٩١٢١٢٣٤٥٦٧") == ("C1", "C2")
    assert idx.by_national_id("۰۴۹۹-۳۷۰۸۹۹") == ("C1",)
    assert idx.by_phone("+442079460958") == ()
    with pytest.raises(InvalidValueError, match="national number"):
        idx.by_phone("0912 123 4567")
    with pytest.raises(InvalidValueError, match="not a valid e-mail"):
        idx.by_email("sara@")
    with pytest.raises(InvalidValueError, match="Iranian national ID"):
        idx.by_national_id("1234")
    with pytest.raises(InvalidValueError, match="empty"):
        idx.by_national_id("  ")


def test_index_refuses_bad_input() -> None:
    with pytest.raises(InvalidValueError, match="appears twice"):
        CustomerIndex([Customer(code="C1", name="A"), Customer(code="C1", name="B")])
    with pytest.raises(InvalidValueError, match=r"customers\[0\]"):
        CustomerIndex(["C1"])  # type: ignore[list-item]  # the point of the test
    with pytest.raises(InvalidValueError, match="collection"):
        CustomerIndex(Customer(code="C1", name="A"))  # type: ignore[arg-type]


def test_from_frame_reads_flat_columns() -> None:
    frame = pd.DataFrame(
        {"name": ["A", "B"], "email": ["a@x.ir", None], "phone": [None, "09121234567"]},
        index=pd.Index(["C1", "C2"], name="customer_id"),
    )
    idx = CustomerIndex.from_frame(frame, default_country_code="98")
    assert idx.by_email("A@X.IR") == ("C1",)
    assert idx.by_phone("+989121234567") == ("C2",)
