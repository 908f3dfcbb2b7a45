"""Customer life-cycle stage models from the CRM literature, as frozen data.

Three models are provided, with the names and order of their published sources:

* :data:`FUNNEL` — the four execution goals of a CRM strategy (win customers, make them
  repeat, make them loyal, serve the most valuable) read as a funnel of customer states:
  prospect → first purchase → repeat → loyal → high-value.
* :data:`KALAKOTA` — Kalakota & Robinson's CRM life cycle with Johnson & Storm's table 2-1:
  acquire (differentiation; innovation), enhance (bundling; reduce the cost of serving the
  customer), retain (adaptation; listen to the customer, offer new products).
* :data:`SOWALSKIE` — the three relationship stages of Sowalskie (2001):
  acquaintance → maintenance → termination.

Every model maps the five *funnel levels* computed from a purchase history (0 prospect,
1 first purchase, 2 repeat, 3 loyal, 4 high-value) onto its own stages, plus an optional
stage for lapsed customers (no purchase within the inactivity window). That mapping is
data too, so a user-defined :class:`StageModel` is assigned by exactly the same code.

References
----------
- Kalakota, R. & Robinson, M. (2001). *e-Business 2.0: Roadmap for Success*.
  Addison-Wesley (the acquire / enhance / retain CRM life cycle).
- Sowalskie (2001): the acquaintance, maintenance and termination stages of a customer
  relationship.
- Johnson & Storm, table 2-1: the focus and strategies of each life-cycle stage.

Examples
--------
>>> from crmkit.lifecycle import FUNNEL, KALAKOTA, SOWALSKIE
>>> FUNNEL.names
('prospect', 'first purchase', 'repeat', 'loyal', 'high-value')
>>> KALAKOTA.stage("enhance").strategies
('reduce the cost of serving the customer',)
>>> SOWALSKIE.lapsed_stage
'termination'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import attrs

from crmkit._validation import check_flag, check_text, items_of, text_field
from crmkit.exceptions import InvalidValueError

__all__ = [
    "FUNNEL",
    "FUNNEL_LEVELS",
    "KALAKOTA",
    "SOWALSKIE",
    "STAGE_MODELS",
    "Stage",
    "StageModel",
]

FUNNEL_LEVELS: Final = ("prospect", "first purchase", "repeat", "loyal", "high-value")
"""The five funnel levels every purchase history is first placed on (index = level)."""


def _str_tuple(values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    items = items_of(values, name="stage names")
    return tuple(check_text(v, name="a stage name or strategy") for v in items)


def _stage_tuple(values: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(items_of(values, name="stages"))


def _flag(instance: Any, attribute: Any, value: Any) -> None:
    check_flag(value, name=f"{type(instance).__name__}.{attribute.name}")


def _optional_text(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        text_field(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Stage:
    """One stage of a life-cycle model.

    Parameters
    ----------
    name : str
        The stage's name as used in results (e.g. ``"acquire"``).
    description : str
        What a customer in this stage is.
    focus : str, optional
        The organisation's focus in this stage (Kalakota / Johnson & Storm table 2-1).
    strategies : tuple of str
        The strategies named for this stage (may be empty).

    Examples
    --------
    >>> Stage(name="retain", description="keep customers", strategies=["listen"]).strategies
    ('listen',)
    """

    name: str = attrs.field(validator=text_field)
    description: str = attrs.field(validator=text_field, default="")
    focus: str | None = attrs.field(default=None, validator=_optional_text)
    strategies: tuple[str, ...] = attrs.field(converter=_str_tuple, default=())

    @name.validator
    def _check_name(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not value.strip():
            raise InvalidValueError("a Stage needs a non-empty name.")

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Stage:
        """Build a stage from a mapping with the field names as keys.

        Examples
        --------
        >>> Stage.from_record({"name": "acquire", "focus": "differentiation"}).focus
        'differentiation'
        """
        known = {f.name for f in attrs.fields(cls)}
        extra = sorted(set(record) - known)
        if extra:
            raise InvalidValueError(
                f"unknown Stage field(s) {extra}; allowed fields are {sorted(known)}."
            )
        return cls(**record)


@attrs.frozen(kw_only=True)
class StageModel:
    """An ordered life-cycle stage model and its mapping from funnel levels.

    Parameters
    ----------
    name : str
        Name of the model.
    source : str
        Where the model comes from (author, article).
    stages : tuple of Stage
        The stages in their natural order; names must be unique.
    level_stages : tuple of str
        Five stage names: the stage of a customer at funnel level 0 (prospect),
        1 (first purchase), 2 (repeat), 3 (loyal) and 4 (high-value).
    lapsed_stage : str, optional
        The stage of a customer with purchases but none within the inactivity window
        (see :class:`~crmkit.lifecycle.AssignmentRules`). ``None`` keeps lapsed customers
        at their funnel level's stage.
    progressive : bool
        True when later stages are reached *through* the earlier ones (a funnel), so that
        cumulative conversion rates are meaningful.

    Raises
    ------
    InvalidValueError
        For duplicated stage names or a mapping that names an unknown stage.

    Examples
    --------
    >>> m = StageModel(
    ...     name="two-step",
    ...     stages=(Stage(name="new"), Stage(name="established")),
    ...     level_stages=("new", "new", "established", "established", "established"),
    ... )
    >>> m.index("established")
    1
    """

    name: str = attrs.field(validator=text_field)
    source: str = attrs.field(validator=text_field, default="")
    stages: tuple[Stage, ...] = attrs.field(converter=_stage_tuple)
    level_stages: tuple[str, ...] = attrs.field(converter=_str_tuple)
    lapsed_stage: str | None = attrs.field(default=None, validator=_optional_text)
    progressive: bool = attrs.field(default=True, validator=_flag)

    @stages.validator
    def _check_stages(self, attribute: attrs.Attribute[Any], value: tuple[Stage, ...]) -> None:
        if not value or not all(isinstance(s, Stage) for s in value):
            raise InvalidValueError(
                f"StageModel {self.name!r} needs a non-empty tuple of Stage objects."
            )
        names = [s.name for s in value]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidValueError(f"StageModel {self.name!r} repeats stage name(s) {dup}.")

    @level_stages.validator
    def _check_levels(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if len(value) != len(FUNNEL_LEVELS):
            raise InvalidValueError(
                f"level_stages must name {len(FUNNEL_LEVELS)} stages, one per funnel level "
                f"{list(FUNNEL_LEVELS)}; got {len(value)}."
            )
        self._check_known(list(value) + ([self.lapsed_stage] if self.lapsed_stage else []))

    def _check_known(self, names: list[str]) -> None:
        known = [s.name for s in self.stages]
        unknown = sorted({repr(n) for n in names if not isinstance(n, str) or n not in known})
        if unknown:
            raise InvalidValueError(
                f"StageModel {self.name!r} maps to unknown stage(s) {unknown}; "
                f"its stages are {known}."
            )

    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in order."""
        return tuple(s.name for s in self.stages)

    def index(self, name: str) -> int:
        """Position of the stage called ``name``; raises if there is none."""
        self._check_known([check_text(name, name="name")])
        return self.names.index(name)

    def stage(self, name: str) -> Stage:
        """The :class:`Stage` called ``name``; raises if there is none."""
        return self.stages[self.index(name)]


FUNNEL: Final = StageModel(
    name="CRM strategy funnel",
    source="the four execution goals of a CRM strategy: acquire, make repeat, make loyal, "
    "serve high-value customers (Kalakota & Robinson 2001)",
    stages=(
        Stage(
            name="prospect",
            description="a competitor's or potential customer with no purchase yet",
            strategies=("move to a first purchase",),
        ),
        Stage(
            name="first purchase",
            description="a first-time buyer",
            strategies=("move to a repeat purchase",),
        ),
        Stage(
            name="repeat",
            description="a repeat buyer who is not yet loyal (a temporary customer)",
            strategies=("turn temporary customers into loyal ones",),
        ),
        Stage(
            name="loyal",
            description="a loyal customer: many repeat purchases",
            strategies=("give high-value service to loyal customers",),
        ),
        Stage(
            name="high-value",
            description="a loyal customer among the top spenders",
            strategies=("give high-value service to loyal customers",),
        ),
    ),
    level_stages=FUNNEL_LEVELS,
)
"""Prospect → first purchase → repeat → loyal → high-value."""

KALAKOTA: Final = StageModel(
    name="Kalakota CRM life cycle",
    source="Kalakota & Robinson (2001), CRM life cycle; Johnson & Storm, table 2-1",
    stages=(
        Stage(
            name="acquire",
            description="winning new customers: prospects and first-time buyers",
            focus="differentiation",
            strategies=("innovation",),
        ),
        Stage(
            name="enhance",
            description="growing the relationship with repeat buyers",
            focus="bundling",
            strategies=("reduce the cost of serving the customer",),
        ),
        Stage(
            name="retain",
            description="keeping loyal and high-value customers",
            focus="adaptation",
            strategies=("listen to the customer", "offer new products"),
        ),
    ),
    level_stages=("acquire", "acquire", "enhance", "retain", "retain"),
)
"""Acquire → enhance → retain, each with its focus and strategies."""

SOWALSKIE: Final = StageModel(
    name="Sowalskie relationship stages",
    source="Sowalskie (2001), three relationship stages",
    stages=(
        Stage(
            name="acquaintance",
            description="the relationship is starting: prospects and first-time buyers",
        ),
        Stage(
            name="maintenance",
            description="an ongoing relationship: repeat buyers who are still active",
        ),
        Stage(
            name="termination",
            description="the relationship has ended: no purchase within the inactivity window",
        ),
    ),
    level_stages=("acquaintance", "acquaintance", "maintenance", "maintenance", "maintenance"),
    lapsed_stage="termination",
    progressive=False,
)
"""Acquaintance → maintenance → termination; lapsed customers are terminated."""

STAGE_MODELS: Final = (FUNNEL, KALAKOTA, SOWALSKIE)
"""The built-in models, in the order above."""
