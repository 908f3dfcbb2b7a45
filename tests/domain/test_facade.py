"""The crmkit.domain, crmkit.domain.quality and crmkit.testing facades."""

from __future__ import annotations

import importlib

import pytest


def _camel(name: str) -> bool:
    return name[:1].isupper() and not name.isupper()


@pytest.mark.parametrize("module", ["crmkit.domain", "crmkit.domain.quality", "crmkit.testing"])
def test_all_is_sorted_and_importable(module: str) -> None:
    mod = importlib.import_module(module)
    # ruff's RUF022 order (CONSTANTS, CamelCase, rest), as tests/test_packaging.py checks
    # for every public module; a plain sort disagrees once a class sorts between constants
    groups = [[n for n in mod.__all__ if test(n)] for test in (str.isupper, _camel, str.islower)]
    assert list(mod.__all__) == [n for g in groups for n in sorted(g)]
    for name in mod.__all__:
        assert getattr(mod, name) is not None


def test_step_strategies_draw_valid_objects() -> None:
    from hypothesis import given, settings

    from crmkit import testing
    from crmkit.domain import ComplaintStep, PipelineStep, StageChange

    @settings(max_examples=20)
    @given(testing.stage_changes(), testing.complaint_steps(), testing.pipeline_steps())
    def check(a: StageChange, b: ComplaintStep, c: PipelineStep) -> None:
        assert StageChange.from_record({"stage": a.stage, "on": a.on, "reason": a.reason}) == a
        assert ComplaintStep.from_record({"stage": b.stage, "at": b.at, "channel": b.channel,
                                          "note": b.note}) == b  # fmt: skip
        assert PipelineStep.from_record({"stage": c.stage, "on": c.on}) == c

    check()
