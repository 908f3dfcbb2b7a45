"""Interactions: vocabularies in the seeds' order, tz-aware timestamps."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmkit.domain import Channel, Interaction, InteractionKind, SalePhase
from crmkit.exceptions import InvalidValueError

BASE = {"customer_code": "C1", "channel": "phone", "kind": "sales", "phase": "before sale",
        "direction": "outbound"}  # fmt: skip


def test_vocabularies_follow_domain_md() -> None:
    assert [c.value for c in Channel] == [
        "phone", "mail", "fax", "e-mail", "chat", "web", "mobile", "in person", "partner",
    ]  # fmt: skip
    assert [k.value for k in InteractionKind] == ["marketing", "sales", "service", "complaint"]
    assert [p.value for p in SalePhase] == ["before sale", "during sale", "after sale"]


@pytest.mark.parametrize(
    "naive", [dt.datetime(2024, 1, 1, 9), "2024-01-01T09:00:00", pd.Timestamp("2024-01-01")]
)
def test_naive_timestamps_are_refused(naive: object) -> None:
    with pytest.raises(InvalidValueError, match="naive"):
        Interaction(at=naive, **BASE)


def test_aware_timestamps_from_text_and_pandas() -> None:
    a = Interaction(at="2024-01-01T09:00:00+03:30", **BASE)
    b = Interaction(at=pd.Timestamp("2024-01-01 05:30", tz="UTC"), **BASE)
    assert a.at == b.at  # the same instant


def test_amount_rules() -> None:
    t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidValueError, match="amount=-1"):
        Interaction(at=t, amount=-1, **BASE)
    with pytest.raises(InvalidValueError, match="finite"):
        Interaction(at=t, amount=float("inf"), **BASE)
    with pytest.raises(InvalidValueError, match="currency"):
        Interaction(at=t, currency="IRR", **BASE)
    assert Interaction(at=t, amount=10.0, **BASE).is_purchase


def test_from_record_rejects_unknown_fields() -> None:
    with pytest.raises(InvalidValueError, match="unknown Interaction field"):
        Interaction.from_record({"at": "2024-01-01T00:00:00+00:00", "chanel": "web", **BASE})


def test_from_record_refuses_conflicting_customer_id_alias() -> None:
    rec = {"at": "2024-01-01T00:00:00+00:00", **BASE}
    same = Interaction.from_record({**rec, "customer_id": "C1"})
    assert same.customer_code == "C1"
    alias_only = {k: v for k, v in rec.items() if k != "customer_code"}
    assert Interaction.from_record({**alias_only, "customer_id": "C9"}).customer_code == "C9"
    with pytest.raises(InvalidValueError, match="customer_id='C2'"):
        Interaction.from_record({**rec, "customer_id": "C2"})
    with pytest.raises(InvalidValueError, match="needs a mapping"):
        Interaction.from_record([("at", "2024-01-01")])  # type: ignore[arg-type]
