"""Tests for crmkit.maturity.levels."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.maturity import (
    CAPABILITIES,
    LEVELS,
    Capability,
    MaturityLevel,
    capability_definition,
    level_definition,
    parse_capability,
    parse_level,
)


@pytest.fixture(scope="module")
def source(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference_dir / "metrics_maturity_source.json").read_text(encoding="utf-8")
    )
    return data


def test_levels_follow_the_source(source: dict[str, Any]) -> None:
    assert [d.title for d in LEVELS] == source["levels"]
    assert [int(d.level) for d in LEVELS] == list(range(6))
    assert [m.value for m in MaturityLevel] == list(range(6))


def test_every_capability_belongs_to_exactly_one_level() -> None:
    listed = [c for d in LEVELS for c in d.capabilities]
    assert sorted(listed) == sorted(Capability)
    assert LEVELS[0].capabilities == ()
    for d in CAPABILITIES:
        assert d.capability in LEVELS[d.level].capabilities
        assert d.action
        assert d.description


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (3, MaturityLevel.KNOWING_CUSTOMERS),
        ("3", MaturityLevel.KNOWING_CUSTOMERS),
        ("Optimal Interaction", MaturityLevel.OPTIMAL_INTERACTION),
        (MaturityLevel.UNDERSTANDING_NEEDS, MaturityLevel.UNDERSTANDING_NEEDS),
    ],
)
def test_parse_level(given: Any, expected: MaturityLevel) -> None:
    assert parse_level(given) is expected
    assert level_definition(given).level is expected


@pytest.mark.parametrize("bad", [6, -1, "expert", True, 2.5, "level 3"])
def test_unknown_level_names_raise(bad: Any) -> None:
    with pytest.raises(InvalidValueError, match="unknown maturity level"):
        parse_level(bad)


def test_capabilities_parse() -> None:
    assert parse_capability("Measured Satisfaction") is Capability.MEASURED_SATISFACTION
    assert capability_definition(Capability.CLV).level is MaturityLevel.KNOWING_CUSTOMERS
    with pytest.raises(InvalidValueError, match="unknown capability"):
        parse_capability("crm software")


def test_definitions_are_frozen_values() -> None:
    d = LEVELS[2]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.title = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(d)) == d
