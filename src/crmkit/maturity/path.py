"""The five-stage development path of a successful CRM, with the next step at each stage.

From the CRM practitioner literature: an organisation moves through awareness, focus,
satisfaction, value and loyalty; each stage has a description of where the organisation is
and the steps that move it on. The texts below are the source's, condensed.
"""

from __future__ import annotations

import enum

import attrs

from crmkit.exceptions import InvalidValueError

__all__ = [
    "STAGES",
    "DevelopmentStage",
    "StageDefinition",
    "next_stage",
    "parse_stage",
    "stage_definition",
]


class DevelopmentStage(enum.IntEnum):
    """The five stages of the CRM development path, in order (1 = first)."""

    AWARENESS = 1
    FOCUS = 2
    SATISFACTION = 3
    VALUE = 4
    LOYALTY = 5


@attrs.frozen(kw_only=True)
class StageDefinition:
    """One stage of the development path.

    Attributes
    ----------
    stage : DevelopmentStage
    description : str
        Where an organisation at this stage stands.
    next_steps : tuple of str
        What it should do next, in the source's order.
    """

    stage: DevelopmentStage
    description: str
    next_steps: tuple[str, ...]


_S = DevelopmentStage

STAGES: tuple[StageDefinition, ...] = (
    StageDefinition(
        stage=_S.AWARENESS,
        description="hardly knows its customers outside the organisation; product-oriented.",
        next_steps=("define marketing and sales processes", "build a customer database"),
    ),
    StageDefinition(
        stage=_S.FOCUS,
        description="starts knowing its customers and looks for the most profitable ones; "
        "no holistic view yet.",
        next_steps=(
            "align processes",
            "integrate information",
            "improve cooperation between departments",
        ),
    ),
    StageDefinition(
        stage=_S.SATISFACTION,
        description="measures customer satisfaction, tries to beat competitors and links "
        "satisfaction to internal compensation.",
        next_steps=(
            "build incentive systems focused on customers",
            "keep improving processes",
        ),
    ),
    StageDefinition(
        stage=_S.VALUE,
        description="knows how to value a specific customer and why customers buy; the "
        "holistic view is not yet fully applied.",
        next_steps=(
            "analyse the profiles of the best customers",
            "refine tools, technology and processes",
        ),
    ),
    StageDefinition(
        stage=_S.LOYALTY,
        description="sees renewals and rising demand, cuts the cost of what customers do "
        "not value, and uses information to understand and steer customer behaviour.",
        next_steps=(
            "continuously analyse key customer metrics",
            "refine incentives",
            "tailor products to each customer",
        ),
    ),
)


def parse_stage(stage: DevelopmentStage | int | str) -> DevelopmentStage:
    """A :class:`DevelopmentStage` from itself, its number (1-5) or name (any case).

    Raises
    ------
    InvalidValueError
        For an unknown stage, listing the valid ones.

    Parameters
    ----------
    stage : DevelopmentStage, int or str
        The stage as enum member, number 1-5 or name.

    Returns
    -------
    DevelopmentStage

    Examples
    --------
    >>> parse_stage("Value")
    <DevelopmentStage.VALUE: 4>
    >>> parse_stage("delight")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: unknown development stage 'delight'; ...
    """
    if isinstance(stage, DevelopmentStage):
        return stage
    if isinstance(stage, str):
        key = stage.strip().upper()
        if key in DevelopmentStage.__members__:
            return DevelopmentStage[key]
    elif isinstance(stage, int) and not isinstance(stage, bool) and 1 <= stage <= 5:
        return DevelopmentStage(stage)
    valid = ", ".join(f"{s.value}={s.name.lower()}" for s in DevelopmentStage)
    raise InvalidValueError(f"unknown development stage {stage!r}; valid stages are {valid}.")


def stage_definition(stage: DevelopmentStage | int | str) -> StageDefinition:
    """The :class:`StageDefinition` of a stage.

    Parameters
    ----------
    stage : DevelopmentStage, int or str
        The stage as enum member, number 1-5 or name.

    Returns
    -------
    StageDefinition

    Raises
    ------
    InvalidValueError
        For an unknown stage.

    Examples
    --------
    >>> stage_definition("awareness").next_steps
    ('define marketing and sales processes', 'build a customer database')
    """
    return STAGES[parse_stage(stage) - 1]


def next_stage(stage: DevelopmentStage | int | str) -> DevelopmentStage | None:
    """The stage after ``stage``, or ``None`` after loyalty (the path's end).

    Parameters
    ----------
    stage : DevelopmentStage, int or str
        The stage as enum member, number 1-5 or name.

    Returns
    -------
    DevelopmentStage or None

    Raises
    ------
    InvalidValueError
        For an unknown stage.

    Examples
    --------
    >>> next_stage("satisfaction")
    <DevelopmentStage.VALUE: 4>
    >>> next_stage("loyalty") is None
    True
    """
    s = parse_stage(stage)
    return None if s is DevelopmentStage.LOYALTY else DevelopmentStage(s + 1)
