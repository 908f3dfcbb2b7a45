"""Tests for crmkit.maturity.path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.maturity import (
    STAGES,
    DevelopmentStage,
    next_stage,
    parse_stage,
    stage_definition,
)


@pytest.fixture(scope="module")
def source(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference_dir / "metrics_maturity_source.json").read_text(encoding="utf-8")
    )
    return data


def test_stages_follow_the_source(source: dict[str, Any]) -> None:
    assert [s.stage.name.lower() for s in STAGES] == [s["name"] for s in source["stages"]]
    for definition, ref in zip(STAGES, source["stages"], strict=True):
        assert list(definition.next_steps) == ref["next_steps"]
        assert definition.description


def test_stages_parse() -> None:
    assert parse_stage(1) is DevelopmentStage.AWARENESS
    assert stage_definition("LOYALTY").stage is DevelopmentStage.LOYALTY
    assert next_stage(DevelopmentStage.AWARENESS) is DevelopmentStage.FOCUS
    assert next_stage(5) is None
    for bad in (0, 6, "delight", True):
        with pytest.raises(InvalidValueError, match="unknown development stage"):
            parse_stage(bad)
