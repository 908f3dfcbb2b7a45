"""Codes inside complaints, interactions and opportunities resolved through the registry.

One product written three ways (its own code, a code merged into it, its GTIN typed with
Persian digits and dashes) is one product: complaints about it are counted once, under
the surviving code.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmkit.codes import GTIN, CodeRegistry, UnknownCodeError
from crmkit.domain import (
    Complaint,
    Interaction,
    Opportunity,
    complaints_per_item,
    complaints_to_frame,
)
from crmkit.exceptions import InvalidValueError

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
GTIN_TEA = "6261234567897"
PERSIAN_TEA = "۶۲۶-۱۲۳۴-۵۶۷۸۹۷"  # the same GTIN, Persian digits and dashes


@pytest.fixture
def registry() -> tuple[CodeRegistry, str, str, str]:
    reg = CodeRegistry()
    tea = reg.allocate("product", label="Tea 500 g").code
    old = reg.allocate("product", label="Tea 500 g (branch code)").code
    reg.merge(old, into=tea)
    reg.link(tea, GTIN_TEA, scheme=GTIN)
    coffee = reg.allocate("product", label="Coffee").code
    return reg, tea, old, coffee


def _complaint(cid: str, item: str, customer: str = "C1") -> Complaint:
    return Complaint.receive(complaint_id=cid, customer_code=customer, item_code=item, at=T)


def test_one_product_typed_three_ways_counts_once(
    registry: tuple[CodeRegistry, str, str, str],
) -> None:
    reg, tea, old, coffee = registry
    items = [
        _complaint("K1", tea, "C1"),
        _complaint("K2", old, "C2"),
        _complaint("K3", PERSIAN_TEA, "C1"),
        _complaint("K4", coffee, "C3").advance("resolved", at=T + dt.timedelta(hours=2)),
    ]
    frame = complaints_to_frame(items)
    before = frame.copy()
    naive = complaints_per_item(frame)
    assert len(naive) == 4  # as written: four "products"
    out = complaints_per_item(frame, registry=reg, schemes=[GTIN])
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert out.index.tolist() == [tea, coffee]
    assert out.loc[tea, "n_complaints"] == 3
    assert out.loc[tea, "n_customers"] == 2
    assert out.loc[tea, "n_open"] == 3
    assert out.loc[coffee, "n_open"] == 0
    assert out.loc[tea, "share"] == pytest.approx(0.75)
    assert set(out.loc[tea, "written_as"]) == {tea, old, PERSIAN_TEA}


def test_unknown_codes_are_refused_not_dropped(
    registry: tuple[CodeRegistry, str, str, str],
) -> None:
    reg, tea, _, _ = registry
    frame = complaints_to_frame([_complaint("K1", tea), _complaint("K2", "NOPE-1")])
    with pytest.raises(UnknownCodeError, match=r"1 item_code value\(s\).*'NOPE-1'"):
        complaints_per_item(frame, registry=reg, schemes=[GTIN])
    # the GTIN is only found when its scheme is given
    frame = complaints_to_frame([_complaint("K1", PERSIAN_TEA)])
    with pytest.raises(UnknownCodeError, match="schemes"):
        complaints_per_item(frame, registry=reg)


def test_the_column_is_resolved_in_one_vectorised_call(
    registry: tuple[CodeRegistry, str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, tea, old, _ = registry
    calls: list[list[str]] = []
    real = CodeRegistry.resolve_column

    def counting(self: CodeRegistry, values: pd.Series, **kwargs: object) -> pd.Series:
        calls.append(list(values))
        return real(self, values, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(CodeRegistry, "resolve_column", counting)
    frame = complaints_to_frame([_complaint(f"K{k}", tea if k % 2 else old) for k in range(40)])
    out = complaints_per_item(frame, registry=reg)
    assert out.loc[tea, "n_complaints"] == 40
    assert len(calls) == 1  # one call for the column; it resolves each distinct code once


def test_without_schemes_external_codes_are_not_tried(
    registry: tuple[CodeRegistry, str, str, str],
) -> None:
    reg, *_ = registry
    frame = complaints_to_frame([_complaint("K1", GTIN_TEA)])
    with pytest.raises(UnknownCodeError, match="not known to the registry"):
        complaints_per_item(frame, registry=reg)  # the GTIN is linked, but no scheme given
    assert len(complaints_per_item(frame, registry=reg, schemes=[GTIN])) == 1


@pytest.mark.parametrize("junk", [None, "registry", {"a": 1}, 5])
def test_registry_and_schemes_are_checked(junk: object) -> None:
    frame = complaints_to_frame([_complaint("K1", "P1")])
    if junk is not None:
        with pytest.raises(InvalidValueError, match="CodeRegistry"):
            complaints_per_item(frame, registry=junk)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="schemes"):
        complaints_per_item(frame, registry=CodeRegistry(), schemes=["GTIN"])  # type: ignore[list-item]


def test_records_resolve_their_codes(registry: tuple[CodeRegistry, str, str, str]) -> None:
    reg, tea, old, _ = registry
    cust_a = reg.allocate("customer").code
    cust_b = reg.allocate("customer").code
    reg.merge(cust_b, into=cust_a)
    c = _complaint("K1", PERSIAN_TEA, cust_b)
    got = c.resolve_codes(reg, schemes=[GTIN])
    assert (got.item_code, got.customer_code) == (tea, cust_a)
    assert c.item_code == PERSIAN_TEA  # frozen: the original is unchanged
    assert c.resolve_codes(reg, schemes=[GTIN], customer=False).customer_code == cust_b
    i = Interaction(
        customer_code=cust_b,
        at=T,
        channel="web",
        kind="sales",
        phase="during sale",
        direction="inbound",
        item_code=old,
        amount=10.0,
    )
    assert i.resolve_codes(reg).item_code == tea
    assert i.resolve_codes(reg).customer_code == cust_a
    o = Opportunity.open(
        opportunity_id="O1",
        customer_code=cust_b,
        amount=10.0,
        probability=0.5,
        expected_close="2024-06-01",
        on="2024-05-01",
    )
    assert o.resolve_codes(reg).customer_code == cust_a
    with pytest.raises(UnknownCodeError, match="customer_code='C9'"):
        _complaint("K2", tea, "C9").resolve_codes(reg)


def test_resolve_codes_has_one_docstring_shared_by_every_record() -> None:
    # one text (crmkit.domain._canon), each record's own example; numpydoc sections present
    from crmkit.domain import Complaint, Interaction, Opportunity

    docs = [cls.resolve_codes.__doc__ or "" for cls in (Complaint, Interaction, Opportunity)]
    shared = "followed\nthrough merges to the surviving entry"
    for doc, cls in zip(docs, ("Complaint", "Interaction", "Opportunity"), strict=True):
        assert shared in doc
        for section in ("Parameters", "Returns", "Raises", "Examples"):
            assert f"\n{section}\n" in doc
        assert f"\n{cls}\n    A new record" in doc
    assert "customer : bool" in docs[0]
    assert "customer : bool" not in docs[2]
    assert len({d.split("Examples")[1] for d in docs}) == 3  # own example each
