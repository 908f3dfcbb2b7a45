"""Tests for crmkit.maturity.assessment."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.maturity import (
    ITEM_BANK,
    LIKERT_SCALE,
    Capability,
    MaturityLevel,
    assess,
    assess_capabilities,
)


def _answers(up_to_level: int, value: int = 5) -> dict[str, int]:
    return {i.item_id: value for i in ITEM_BANK if i.level <= up_to_level}


def test_item_bank_shape() -> None:
    assert len(ITEM_BANK) == 20
    assert len({i.item_id for i in ITEM_BANK}) == 20
    for cap in Capability:
        assert sum(i.capability is cap for i in ITEM_BANK) == 2
    assert [v for v, _ in LIKERT_SCALE] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("level", range(6))
def test_all_agree_up_to_a_level_reaches_it(level: int) -> None:
    result = assess(_answers(level))
    assert result.level == level
    if level < 5:
        assert result.next_level == level + 1
        assert len(result.gaps) == 2
    else:
        assert result.next_level is None
        assert result.gaps == ()
        assert result.next_steps == ()


def test_levels_are_cumulative() -> None:
    answers = _answers(5)
    answers["complaint_tracking_2"] = 2  # mean 3.5 < 4 -> level 2 fails
    result = assess(answers)
    assert result.level is MaturityLevel.CUSTOMER_FOCUSED_ADAPTATION
    assert result.gaps == (Capability.COMPLAINT_TRACKING,)
    # higher capabilities stay visible as evidence
    assert Capability.CLOSED_LOOP in result.in_place
    frame = result.to_frame().set_index("capability")
    assert frame.loc["complaint_tracking", "score"] == 3.5
    assert bool(frame.loc["complaint_tracking", "gap"])


def test_threshold_rule_and_hand_scores() -> None:
    answers = _answers(1, value=4)
    answers["unique_codes_1"] = 3  # mean 3.5
    assert assess(answers).level == 0
    assert assess(answers, threshold=3.5).level == 1
    scores = dict(assess(answers).capability_scores)
    assert scores[Capability.UNIQUE_CODES] == 3.5
    assert math.isnan(scores[Capability.CLV])


def test_unanswered_items_are_reported_not_imputed() -> None:
    answers = _answers(1)
    del answers["customer_database_2"]
    result = assess(answers)
    assert result.level == 0
    assert "customer_database_2" in result.unanswered
    assert len(result.unanswered) == 20 - 3


def test_next_steps_ordered_by_effort() -> None:
    result = assess(_answers(2), effort={"clv": 5.0, "segments": 20.0})
    assert [s.capability for s in result.next_steps] == [Capability.CLV, Capability.SEGMENTS]
    assert result.total_effort == 25.0
    partial = assess(_answers(2), effort={"segments": 1.0})
    assert [s.capability for s in partial.next_steps] == [Capability.SEGMENTS, Capability.CLV]
    assert partial.next_steps[1].effort is None
    assert partial.total_effort is None
    default = assess(_answers(2))  # no estimates: canonical order
    assert [s.capability for s in default.next_steps] == [Capability.SEGMENTS, Capability.CLV]


@pytest.mark.parametrize("bad", [0, 6, -1, 3.5, True, "4", None])
def test_answers_outside_scale_raise(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="1-5 Likert"):
        assess({"unique_codes_1": bad})  # type: ignore[dict-item]


def test_other_bad_input() -> None:
    with pytest.raises(InvalidValueError, match="unknown questionnaire item"):
        assess({"q99": 3})
    with pytest.raises(InvalidValueError, match="threshold"):
        assess({}, threshold=6)
    with pytest.raises(InvalidValueError, match="effort"):
        assess({}, effort={"clv": -1})
    with pytest.raises(InvalidValueError, match="unknown capability"):
        assess({}, effort={"blockchain": 1})
    with pytest.raises(InvalidValueError, match="True or False"):
        assess_capabilities({"clv": "yes"})  # type: ignore[dict-item]
    with pytest.raises(InvalidValueError, match="unknown capability"):
        assess_capabilities(["unique_codes", "crm_software"])
    with pytest.raises(InvalidValueError, match="mapping or a list"):
        assess_capabilities("unique_codes")


def test_capability_evidence() -> None:
    r = assess_capabilities(
        {"unique_codes": True, "customer_database": True, "measured_satisfaction": False}
    )
    assert r.level is MaturityLevel.CUSTOMER_FOCUSED_ADAPTATION
    assert r.gaps == (Capability.MEASURED_SATISFACTION, Capability.COMPLAINT_TRACKING)
    assert assess_capabilities([]).level == 0
    assert assess_capabilities(list(Capability)).level == 5


@given(st.dictionaries(st.sampled_from([i.item_id for i in ITEM_BANK]), st.integers(1, 5)))
def test_level_monotone_in_answers(answers: dict[str, int]) -> None:
    base = assess(answers).level
    raised = {k: min(5, v + 1) for k, v in answers.items()}
    assert assess(raised).level >= base
    assert assess(answers, threshold=1.0).level >= base


def test_non_numeric_effort_is_a_crmkit_error() -> None:
    with pytest.raises(InvalidValueError, match="effort for 'clv' is 'a lot'"):
        assess(_answers(2), effort={"clv": "a lot"})  # type: ignore[dict-item]
