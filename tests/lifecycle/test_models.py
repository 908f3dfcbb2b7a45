"""Stage models as data: names, order and content exactly as in DOMAIN.md section 3."""

from __future__ import annotations

import pickle

import attrs
import pytest

import crmkit.lifecycle as lc
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import FUNNEL, KALAKOTA, SOWALSKIE, Stage, StageModel


def test_public_names_sorted_and_importable() -> None:
    assert list(lc.__all__) == sorted(lc.__all__, key=lambda n: (not n.isupper(), n))
    for name in lc.__all__:
        assert getattr(lc, name) is not None


def test_funnel_of_seed_003() -> None:
    assert FUNNEL.names == ("prospect", "first purchase", "repeat", "loyal", "high-value")
    assert FUNNEL.progressive
    assert FUNNEL.lapsed_stage is None


def test_kalakota_table_2_1() -> None:
    # DOMAIN.md section 3: Johnson & Storm's table 2-1.
    assert KALAKOTA.names == ("acquire", "enhance", "retain")
    rows = [(s.name, s.focus, s.strategies) for s in KALAKOTA.stages]
    assert rows == [
        ("acquire", "differentiation", ("innovation",)),
        ("enhance", "bundling", ("reduce the cost of serving the customer",)),
        ("retain", "adaptation", ("listen to the customer", "offer new products")),
    ]


def test_sowalskie_stages() -> None:
    assert SOWALSKIE.names == ("acquaintance", "maintenance", "termination")
    assert SOWALSKIE.lapsed_stage == "termination"
    assert not SOWALSKIE.progressive


def test_models_are_frozen_values_that_pickle() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        FUNNEL.name = "x"  # type: ignore[misc]  # the point of the test
    assert pickle.loads(pickle.dumps(KALAKOTA)) == KALAKOTA
    assert lc.STAGE_MODELS == (FUNNEL, KALAKOTA, SOWALSKIE)


def test_stage_lookup_and_errors() -> None:
    assert KALAKOTA.index("retain") == 2
    assert KALAKOTA.stage("acquire").focus == "differentiation"
    with pytest.raises(InvalidValueError, match="unknown stage"):
        KALAKOTA.index("delight")


def test_invalid_models_raise() -> None:
    with pytest.raises(InvalidValueError, match="repeats stage name"):
        StageModel(name="m", stages=(Stage(name="a"), Stage(name="a")), level_stages=["a"] * 5)
    with pytest.raises(InvalidValueError, match="one per funnel level"):
        StageModel(name="m", stages=(Stage(name="a"),), level_stages=["a"] * 4)
    with pytest.raises(InvalidValueError, match="unknown stage"):
        StageModel(name="m", stages=(Stage(name="a"),), level_stages=["a"] * 5, lapsed_stage="z")
    with pytest.raises(InvalidValueError, match="non-empty name"):
        Stage(name=" ")
    with pytest.raises(InvalidValueError, match="unknown Stage field"):
        Stage.from_record({"name": "a", "colour": "red"})


def test_stage_from_record() -> None:
    s = Stage.from_record({"name": "retain", "strategies": ["a", "b"]})
    assert s == Stage(name="retain", strategies=("a", "b"))
