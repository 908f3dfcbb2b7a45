"""Tests for crmkit.maturity.risks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.maturity import (
    RISKS,
    ImplementationRisk,
    RiskEntry,
    RiskRegister,
    parse_risk,
    risk_rating,
)


def test_seven_risks_follow_the_source(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "metrics_maturity_source.json").read_text(encoding="utf-8"))
    assert [d.title for d in RISKS] == ref["risks"]
    assert [d.risk for d in RISKS] == list(ImplementationRisk)
    assert all(d.mitigations for d in RISKS)


def test_ranked_view_hand_computed() -> None:
    reg = RiskRegister.from_scores(
        {
            "system users": (3, 4),  # 12
            ImplementationRisk.REWORK: (4, 3),  # 12, lower impact -> after users
            "insufficient_budget": (2, 2),  # 4
            "politics-and-stakeholders": (5, 5),  # 25
        },
        mitigations={"rework": "prototype first"},
    )
    table = reg.ranked()
    assert table["risk"].tolist() == [
        "politics_and_stakeholders",
        "system_users",
        "rework",
        "insufficient_budget",
    ]
    assert table["score"].tolist() == [25, 12, 12, 4]
    assert table["rating"].tolist() == ["critical", "high", "high", "low"]
    assert table.loc[2, "mitigation"] == "prototype first"
    assert "executive sponsor" in table.loc[0, "mitigation"]
    assert list(table.columns) == [
        "risk",
        "title",
        "likelihood",
        "impact",
        "score",
        "rating",
        "mitigation",
        "owner",
    ]
    assert reg.unassessed() == (
        ImplementationRisk.PROCESSES,
        ImplementationRisk.SPEED_OF_CHANGE,
        ImplementationRisk.MOBILITY,
    )


def test_with_entry_replaces() -> None:
    reg = RiskRegister.from_scores({"rework": (1, 1)})
    reg2 = reg.with_entry(RiskEntry(risk="rework", likelihood=5, impact=4, owner="PMO"))
    assert reg.entries[0].score == 1  # original unchanged
    assert reg2.ranked().loc[0, "score"] == 20
    assert reg2.ranked().loc[0, "owner"] == "PMO"
    assert "prototype" in reg2.entries[0].mitigation  # suggested mitigation by default


@pytest.mark.parametrize("bad", [0, 6, 2.5, True])
def test_scores_outside_scale_raise(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="1 \\(very low\\) to 5"):
        RiskEntry(risk="rework", likelihood=bad, impact=3)  # type: ignore[arg-type]


def test_bad_register_input() -> None:
    with pytest.raises(InvalidValueError, match="unknown implementation risk"):
        parse_risk("aliens")
    with pytest.raises(InvalidValueError, match="more than once"):
        RiskRegister(
            entries=(
                RiskEntry(risk="rework", likelihood=1, impact=1),
                RiskEntry(risk="rework", likelihood=2, impact=1),
            )
        )
    with pytest.raises(InvalidValueError, match="pair"):
        RiskRegister.from_scores({"rework": 3})  # type: ignore[dict-item]
    with pytest.raises(InvalidValueError, match="1-25"):
        risk_rating(0)
