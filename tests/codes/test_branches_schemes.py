"""import_branch_codes with several item schemes, a label column and an actor."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from crmkit.codes import (
    GTIN,
    IRAN_CODE_PRODUCT,
    CodeRegistry,
    LocalCodeScheme,
    import_branch_codes,
)
from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError


def registry() -> CodeRegistry:
    return CodeRegistry(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))


ROWS = pd.DataFrame(
    {
        "branch": ["Tehran", "Tabriz", "Tehran", "Shiraz", "Shiraz"],
        "local_code": ["P1", "A-7", "P2", "S1", "S2"],
        "item": ["6261234567897", "۶۲۶-۱۲۳۴۵۶۷۸۹۷", "2710032-12345-0001", "free key", "12"],
        "name": ["Tea 500 g", "TEA  500 G", "Rice 1 kg", None, "Salt"],
    }
)


def test_first_scheme_that_validates_an_item_wins() -> None:
    reg = registry()
    res = import_branch_codes(
        ROWS, reg, kind="product", item_scheme=[GTIN, IRAN_CODE_PRODUCT], label_col="name"
    )
    assert res.mapping["code"].tolist() == [
        "PROD-000001-8", "PROD-000001-8", "PROD-000002-6", None, None,
    ]  # fmt: skip
    assert res.conflicts["conflict"].tolist() == ["invalid_item", "invalid_item"]
    assert "GTIN" in res.conflicts["detail"].iloc[0]
    assert reg.lookup("6261234567897", scheme=GTIN).label == "Tea 500 g"
    assert reg.lookup("2710032123450001", scheme=IRAN_CODE_PRODUCT).label == "Rice 1 kg"
    # a free-form fallback takes the rest; no label given -> the (canonical) item key
    res = import_branch_codes(
        ROWS,
        reg,
        kind="product",
        item_scheme=[GTIN, IRAN_CODE_PRODUCT, LocalCodeScheme(source="item")],
        label_col="name",
    )
    assert not res.has_conflicts
    assert [e.label for e in reg.find("product")] == ["Tea 500 g", "Rice 1 kg", "FREE KEY", "Salt"]


def test_label_mismatch_is_reported_and_never_overwrites() -> None:
    reg = registry()
    frame = pd.DataFrame(
        {
            "branch": ["A", "B"],
            "local_code": ["1", "2"],
            "item": ["6261234567897", "6261234567897"],
            "label": ["Tea", "Green tea"],
        }
    )
    res = import_branch_codes(frame, reg, kind="product", item_scheme=GTIN, label_col="label")
    assert res.conflicts[["conflict", "branch"]].to_numpy().tolist() == [["label_mismatch", "B"]]
    assert res.conflicts["detail"].iloc[0] == (
        "label 'Green tea' differs from 'Tea', given first; the first is used"
    )
    assert res.mapping["status"].tolist() == ["mapped", "mapped"]
    assert reg.find("product")[0].label == "Tea"
    later = pd.DataFrame(
        {"branch": ["C"], "local_code": ["3"], "item": ["6261234567897"], "label": ["Chai"]}
    )
    res = import_branch_codes(later, reg, kind="product", item_scheme=GTIN, label_col="label")
    assert res.conflicts["detail"].tolist() == [
        "label 'Chai' differs from the registry's 'Tea', which is kept"
    ]
    assert reg.find("product")[0].label == "Tea"
    before = reg.to_records()
    with pytest.raises(InvariantError, match="label_mismatch"):
        import_branch_codes(
            later.assign(local_code="4"),
            reg,
            kind="product",
            item_scheme=GTIN,
            label_col="label",
            on_conflict="raise",
        )
    assert reg.to_records() == before


def test_actor_is_recorded_and_options_are_checked() -> None:
    reg = registry()
    import_branch_codes(ROWS.iloc[:1], reg, kind="product", item_scheme=[GTIN], actor="etl")
    assert set(reg.audit_log()["actor"]) == {"etl"}
    assert reg.audit_log()["batch"].tolist() == [1, 1, 1]
    with pytest.raises(InvalidValueError, match="item_scheme"):
        import_branch_codes(ROWS, reg, kind="product", item_scheme=[])
    with pytest.raises(InvalidValueError, match="item_scheme"):
        import_branch_codes(ROWS, reg, kind="product", item_scheme=[GTIN, "GTIN"])  # type: ignore[list-item]
    with pytest.raises(MissingColumnsError):
        import_branch_codes(ROWS, reg, kind="product", label_col="title")
    with pytest.raises(InvalidValueError, match="label_col"):
        import_branch_codes(ROWS, reg, kind="product", label_col=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="'name'"):
        import_branch_codes(ROWS.assign(name=1.5), reg, kind="product", label_col="name")
    with pytest.raises(InvalidValueError, match="actor"):
        import_branch_codes(ROWS, reg, kind="product", actor="")
