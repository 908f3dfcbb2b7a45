"""Assess CRM maturity from a questionnaire or from capability evidence.

**Item bank.** :data:`ITEM_BANK` holds two statements per capability (20 in all); each
belongs to one capability and so to one level (see :mod:`crmkit.maturity.levels`).
Respondents answer each on the five-point Likert scale :data:`LIKERT_SCALE`
(1 = strongly disagree ... 5 = strongly agree).

**Scoring rules.**

1. A capability's score is the mean answer over its items. It counts as *in place* when
   every one of its items is answered and the score is at least ``threshold`` (default 4,
   "agree"). A capability with an unanswered item is not in place, and the missing item
   ids are reported in :attr:`MaturityAssessment.unanswered` (nothing is silently
   imputed).
2. Levels are cumulative: the level reached is the highest *L* such that every capability
   of levels 1..*L* is in place. Level 0 needs nothing.
3. The gaps are the capabilities of the next level that are not in place; the next steps
   are their actions, ordered by the user's effort/cost estimate (lowest first; steps
   without an estimate last), so the cheapest path to the next level comes first.

:func:`assess_capabilities` applies rules 2-3 to yes/no evidence directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import attrs
import numpy as np
import pandas as pd

from crmkit._display import Display, Displayable, fmt_number
from crmkit._validation import items_of, real_number
from crmkit.exceptions import InvalidValueError
from crmkit.maturity.levels import (
    CAPABILITIES,
    LEVELS,
    Capability,
    MaturityLevel,
    capability_definition,
    parse_capability,
)

__all__ = [
    "ITEM_BANK",
    "LIKERT_SCALE",
    "MaturityAssessment",
    "NextStep",
    "QuestionnaireItem",
    "assess",
    "assess_capabilities",
]

LIKERT_SCALE: tuple[tuple[int, str], ...] = (
    (1, "strongly disagree"),
    (2, "disagree"),
    (3, "neither agree nor disagree"),
    (4, "agree"),
    (5, "strongly agree"),
)
"""The answer scale of :data:`ITEM_BANK`: value and label."""


@attrs.frozen(kw_only=True)
class QuestionnaireItem:
    """One statement of the item bank."""

    item_id: str
    capability: Capability
    statement: str

    @property
    def level(self) -> MaturityLevel:
        """The maturity level the item's capability belongs to."""
        return capability_definition(self.capability).level


_C = Capability
_ITEMS: tuple[tuple[Capability, str, str], ...] = (
    (
        _C.UNIQUE_CODES,
        "Every customer has exactly one code used by all branches.",
        "Every product and service we sell has a uniform code (e.g. GTIN or Iran Code).",
    ),
    (
        _C.CUSTOMER_DATABASE,
        "All customer records live in one shared database.",
        "Duplicate customer records are found and merged, and records are updated after "
        "life events such as a move.",
    ),
    (
        _C.MEASURED_SATISFACTION,
        "We measure customer satisfaction (NPS, CSAT) every period.",
        "We track the share of customers who buy again within a period.",
    ),
    (
        _C.COMPLAINT_TRACKING,
        "Every complaint is recorded against a product or service code.",
        "We can trace each stage of how a complaint was answered and how long it took.",
    ),
    (
        _C.SEGMENTS,
        "Customers are grouped into segments by their purchase behaviour.",
        "Campaigns target selected segments rather than all customers.",
    ),
    (
        _C.CLV,
        "We estimate the lifetime value of individual customers.",
        "Decisions on acquisition and retention spending use customer lifetime value.",
    ),
    (
        _C.INTERACTION_HISTORY,
        "Contacts across phone, e-mail, web and field visits are "
        "recorded in one history per customer.",
        "Staff see a customer's previous interactions before contacting them.",
    ),
    (
        _C.METRICS_REVIEW,
        "Management reviews a scorecard of CRM metrics (satisfaction, "
        "profit, share, ROI, retention) every period.",
        "Interaction processes are changed based on the scorecard's results.",
    ),
    (
        _C.PERSONALISATION,
        "Offers and contacts are tailored to each individual customer.",
        "Products or services are adapted to individual customers' needs.",
    ),
    (
        _C.CLOSED_LOOP,
        "The results of every campaign and contact are analysed and fed back into the next one.",
        "Customer metrics are analysed continuously, not only in yearly reviews.",
    ),
)

ITEM_BANK: tuple[QuestionnaireItem, ...] = tuple(
    QuestionnaireItem(item_id=f"{cap.value}_{i + 1}", capability=cap, statement=text)
    for cap, *texts in _ITEMS
    for i, text in enumerate(texts)
)
"""The questionnaire: two statements per capability; ids are ``<capability>_<n>``."""


@attrs.frozen(kw_only=True)
class NextStep:
    """An action that closes one gap, with the user's effort/cost estimate."""

    capability: Capability
    level: MaturityLevel
    action: str
    effort: float | None


@attrs.frozen(kw_only=True, repr=False)
class MaturityAssessment(Displayable):
    """Result of an assessment.

    Attributes
    ----------
    level : MaturityLevel
        The level reached.
    next_level : MaturityLevel or None
        The level to work towards (``None`` at level 5).
    capability_scores : tuple of (Capability, float)
        Mean answer per capability (NaN if unanswered); 1.0/0.0 for yes/no evidence.
    in_place : tuple of Capability
        Capabilities counted as present (the evidence).
    gaps : tuple of Capability
        Capabilities of ``next_level`` not in place.
    next_steps : tuple of NextStep
        Actions closing the gaps, cheapest first.
    unanswered : tuple of str
        Item ids without an answer (questionnaire only).
    """

    level: MaturityLevel
    next_level: MaturityLevel | None
    capability_scores: tuple[tuple[Capability, float], ...]
    in_place: tuple[Capability, ...]
    gaps: tuple[Capability, ...]
    next_steps: tuple[NextStep, ...]
    unanswered: tuple[str, ...] = ()

    def _display(self) -> Display:
        nxt = "none (top level)" if self.next_level is None else f"{int(self.next_level)}"
        facts = [
            f"next level {nxt}; gaps: {', '.join(c.value for c in self.gaps) or 'none'}",
        ]
        rows = [
            [s.capability.value, fmt_number(s.effort) if s.effort is not None else "?"]
            for s in self.next_steps[:8]
        ]
        if self.unanswered:
            facts.append(f"{len(self.unanswered)} questionnaire items unanswered")
        return Display(
            f"CRM maturity level {int(self.level)} ({self.level.name.lower().replace('_', ' ')})",
            facts,
            ["next step", "effort"] if rows else [],
            rows,
        )

    @property
    def total_effort(self) -> float | None:
        """Sum of the next steps' efforts, or ``None`` if any estimate is missing."""
        efforts = [s.effort for s in self.next_steps]
        if any(e is None for e in efforts):
            return None
        return float(sum(e for e in efforts if e is not None))

    def to_frame(self) -> pd.DataFrame:
        """Evidence per capability: ``capability, level, score, in_place, gap``."""
        caps = [c for c, _ in self.capability_scores]
        return pd.DataFrame(
            {
                "capability": [c.value for c in caps],
                "level": [int(capability_definition(c).level) for c in caps],
                "score": [s for _, s in self.capability_scores],
                "in_place": [c in self.in_place for c in caps],
                "gap": [c in self.gaps for c in caps],
            }
        )


def _efforts(effort: Mapping[Capability | str, float] | None) -> dict[Capability, float]:
    out: dict[Capability, float] = {}
    if effort is not None and not isinstance(effort, Mapping):
        raise InvalidValueError(
            f"effort must be a mapping {{capability: cost}}, got {type(effort).__name__}."
        )
    for key, value in ({} if effort is None else effort).items():
        cap = parse_capability(key)
        try:
            v = real_number(value, name=f"effort for {cap.value!r}")
        except InvalidValueError:
            v = math.nan  # reported below with the offending value
        if not math.isfinite(v) or v < 0:
            raise InvalidValueError(
                f"effort for {cap.value!r} is {value!r}; give a finite cost/effort >= 0."
            )
        out[cap] = v
    return out


def _result(
    in_place: set[Capability],
    scores: tuple[tuple[Capability, float], ...],
    effort: Mapping[Capability | str, float] | None,
    unanswered: tuple[str, ...] = (),
) -> MaturityAssessment:
    costs = _efforts(effort)
    level = MaturityLevel.ACCOUNT_NUMBER_FOCUS
    for definition in LEVELS[1:]:
        if not set(definition.capabilities) <= in_place:
            break
        level = definition.level
    nxt = None if level == MaturityLevel.OPTIMAL_INTERACTION else MaturityLevel(level + 1)
    gaps = () if nxt is None else tuple(c for c in LEVELS[nxt].capabilities if c not in in_place)
    order = {d.capability: i for i, d in enumerate(CAPABILITIES)}
    steps = sorted(
        (
            NextStep(
                capability=c,
                level=capability_definition(c).level,
                action=capability_definition(c).action,
                effort=costs.get(c),
            )
            for c in gaps
        ),
        key=lambda s: (s.effort is None, s.effort or 0.0, order[s.capability]),
    )
    return MaturityAssessment(
        level=level,
        next_level=nxt,
        capability_scores=scores,
        in_place=tuple(c for c in Capability if c in in_place),
        gaps=gaps,
        next_steps=tuple(steps),
        unanswered=unanswered,
    )


def assess(
    answers: Mapping[str, int],
    *,
    threshold: float = 4.0,
    effort: Mapping[Capability | str, float] | None = None,
) -> MaturityAssessment:
    r"""Maturity level from questionnaire answers (see the module's scoring rules).

    .. math::

        \bar{a}_c = \frac{1}{|I_c|}\sum_{i \in I_c} a_i, \qquad
        c \text{ in place} \iff \bar{a}_c \ge \tau, \qquad
        L = \max\{\ell : \text{all capabilities of levels } 1..\ell \text{ in place}\}

    Parameters
    ----------
    answers : mapping of str to int
        Item id (from :data:`ITEM_BANK`) to answer on :data:`LIKERT_SCALE` (1-5).
    threshold : float, default 4.0
        Minimum mean answer for a capability to count as in place, in [1, 5].
    effort : mapping of Capability or str to float, optional
        The user's effort/cost estimate per capability (any unit, >= 0) used to order
        the next steps.

    Returns
    -------
    MaturityAssessment

    Raises
    ------
    InvalidValueError
        For unknown item ids, answers that are not integers 1-5, a bad threshold or
        effort, or unknown capability names.

    Examples
    --------
    >>> answers = {item.item_id: 5 for item in ITEM_BANK if item.level <= 2}
    >>> answers["segments_1"] = 4
    >>> result = assess(answers, effort={"clv": 30, "segments": 10})
    >>> result.level.name, [s.capability.value for s in result.next_steps]
    ('UNDERSTANDING_NEEDS', ['segments', 'clv'])
    >>> assess({"unique_codes_1": 6})
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: answer 6 to item 'unique_codes_1' is outside ...
    """
    if not isinstance(answers, Mapping):
        raise InvalidValueError("answers must be a mapping of item id -> answer (1-5).")
    tau = real_number(threshold, name="threshold")
    if not 1.0 <= tau <= 5.0:
        raise InvalidValueError(f"threshold={threshold!r} must lie on the 1-5 answer scale.")
    known = {item.item_id: item for item in ITEM_BANK}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise InvalidValueError(
            f"unknown questionnaire item(s) {unknown[:5]}; valid ids are those of "
            "crmkit.maturity.ITEM_BANK, e.g. 'unique_codes_1'."
        )
    for item_id, value in answers.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or not (1 <= value <= 5)
        ):
            raise InvalidValueError(
                f"answer {value!r} to item {item_id!r} is outside the 1-5 Likert scale "
                "(1 = strongly disagree ... 5 = strongly agree); recode it."
            )
    scores: list[tuple[Capability, float]] = []
    in_place: set[Capability] = set()
    for cap in Capability:
        items = [i.item_id for i in ITEM_BANK if i.capability is cap]
        got = [int(answers[i]) for i in items if i in answers]
        mean = float(np.mean(got)) if got else math.nan
        scores.append((cap, mean))
        if len(got) == len(items) and mean >= tau:
            in_place.add(cap)
    unanswered = tuple(i.item_id for i in ITEM_BANK if i.item_id not in answers)
    return _result(in_place, tuple(scores), effort, unanswered)


def assess_capabilities(
    evidence: Mapping[Capability | str, bool] | Iterable[Capability | str],
    *,
    effort: Mapping[Capability | str, float] | None = None,
) -> MaturityAssessment:
    """Maturity level from yes/no capability evidence.

    Parameters
    ----------
    evidence : mapping of capability to bool, or iterable of capabilities
        Which capabilities the organisation has (names or :class:`Capability`); an
        iterable lists those present. Capabilities not mentioned count as absent.
    effort : mapping, optional
        Effort/cost estimate per capability, as in :func:`assess`.

    Returns
    -------
    MaturityAssessment
        With capability scores 1.0 (present) or 0.0 (absent).

    Raises
    ------
    InvalidValueError
        For unknown capability names or non-boolean values.

    Examples
    --------
    >>> r = assess_capabilities(
    ...     {
    ...         "unique_codes": True,
    ...         "customer_database": True,
    ...         "measured_satisfaction": True,
    ...         "segments": True,
    ...     }
    ... )
    >>> r.level.value, [g.value for g in r.gaps]
    (1, ['complaint_tracking'])
    """
    present: set[Capability] = set()
    if isinstance(evidence, Mapping):
        for key, value in evidence.items():
            if not isinstance(value, bool | np.bool_):
                raise InvalidValueError(
                    f"evidence for {key!r} must be True or False, got {value!r}."
                )
            if value:
                present.add(parse_capability(key))
            else:
                parse_capability(key)
    elif isinstance(evidence, str):
        raise InvalidValueError("evidence must be a mapping or a list of capability names.")
    else:
        present = {parse_capability(c) for c in items_of(evidence, name="evidence")}
    scores = tuple((c, 1.0 if c in present else 0.0) for c in Capability)
    return _result(present, scores, effort)
