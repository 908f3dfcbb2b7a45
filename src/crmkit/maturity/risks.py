"""The seven CRM implementation risks and a likelihood x impact risk register.

The risks are those named in the CRM practitioner literature: system users; processes (less
defined than in production or finance); speed of change; politics and stakeholders; the
need for mobility; rework; insufficient budget. crmkit adds suggested mitigations for each
(common project-management practice, not from the source) and a standard 5 x 5 register:
likelihood and impact on 1-5 scales, score = likelihood x impact, rated low (1-4),
medium (5-9), high (10-16) or critical (20-25).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import pandas as pd

from crmkit._display import Display, Displayable
from crmkit._validation import check_whole, items_of
from crmkit.exceptions import InvalidValueError
from crmkit.maturity._names import parse_member

__all__ = [
    "RISKS",
    "ImplementationRisk",
    "RiskDefinition",
    "RiskEntry",
    "RiskRegister",
    "parse_risk",
    "risk_rating",
]


class ImplementationRisk(enum.StrEnum):
    """The seven implementation risks, in the order the literature lists them."""

    SYSTEM_USERS = "system_users"
    PROCESSES = "processes"
    SPEED_OF_CHANGE = "speed_of_change"
    POLITICS_AND_STAKEHOLDERS = "politics_and_stakeholders"
    MOBILITY = "mobility"
    REWORK = "rework"
    INSUFFICIENT_BUDGET = "insufficient_budget"


@attrs.frozen(kw_only=True)
class RiskDefinition:
    """A risk, what it means and suggested mitigations."""

    risk: ImplementationRisk
    title: str
    description: str
    mitigations: tuple[str, ...]


_R = ImplementationRisk
RISKS: tuple[RiskDefinition, ...] = (
    RiskDefinition(
        risk=_R.SYSTEM_USERS,
        title="system users",
        description="staff do not adopt the system, enter data badly or work around it.",
        mitigations=(
            "involve users in design",
            "train before go-live",
            "measure adoption and data quality",
        ),
    ),
    RiskDefinition(
        risk=_R.PROCESSES,
        title="processes",
        description="marketing, sales and service processes are less defined than those of "
        "production or finance, so there is little to automate consistently.",
        mitigations=(
            "map and agree processes before configuring software",
            "name a process owner per process",
        ),
    ),
    RiskDefinition(
        risk=_R.SPEED_OF_CHANGE,
        title="speed of change",
        description="markets, products and requirements change faster than the project.",
        mitigations=("deliver in short increments", "keep configuration over customisation"),
    ),
    RiskDefinition(
        risk=_R.POLITICS_AND_STAKEHOLDERS,
        title="politics and stakeholders",
        description="departments compete over customer ownership, data and budget.",
        mitigations=(
            "secure an executive sponsor",
            "agree shared customer metrics",
            "set up a cross-department steering group",
        ),
    ),
    RiskDefinition(
        risk=_R.MOBILITY,
        title="need for mobility",
        description="field sales and service need the system away from the office.",
        mitigations=("plan mobile and offline access from the start", "test with field staff"),
    ),
    RiskDefinition(
        risk=_R.REWORK,
        title="rework",
        description="poor requirements or data force work to be redone.",
        mitigations=(
            "clean and de-duplicate data before migration",
            "prototype and validate requirements early",
        ),
    ),
    RiskDefinition(
        risk=_R.INSUFFICIENT_BUDGET,
        title="insufficient budget",
        description="the budget does not cover the total cost of ownership.",
        mitigations=(
            "budget on TCO, not licence price",
            "stage funding on measured ROI",
            "keep a contingency reserve",
        ),
    ),
)


def parse_risk(risk: ImplementationRisk | str) -> ImplementationRisk:
    """An :class:`ImplementationRisk` from itself or its name (any case, spaces ok).

    Raises
    ------
    InvalidValueError
        For an unknown risk, listing the seven valid ones.

    Parameters
    ----------
    risk : ImplementationRisk or str
        The risk or its name.

    Returns
    -------
    ImplementationRisk

    Examples
    --------
    >>> parse_risk("Speed of change")
    <ImplementationRisk.SPEED_OF_CHANGE: 'speed_of_change'>
    """
    return parse_member(risk, ImplementationRisk, what="implementation risk", plural="risks")


def _suggested(risk: ImplementationRisk) -> str:
    return "; ".join(next(d.mitigations for d in RISKS if d.risk is risk))


def risk_rating(score: int) -> str:
    """Band of a likelihood x impact score: ``low``, ``medium``, ``high`` or ``critical``.

    Parameters
    ----------
    score : int
        Likelihood x impact, 1-25.

    Returns
    -------
    str
        The band.

    Raises
    ------
    InvalidValueError
        If ``score`` is outside 1-25.

    Examples
    --------
    >>> [risk_rating(s) for s in (4, 5, 12, 20)]
    ['low', 'medium', 'high', 'critical']
    """
    if not 1 <= check_whole(score, name="score") <= 25:
        raise InvalidValueError(f"score={score} must be in 1-25 (likelihood x impact).")
    return (
        "low"
        if score <= 4
        else "medium"
        if score <= 9
        else "high"
        if score <= 16
        else ("critical")
    )


def _scale(name: str) -> Callable[[Any, Any, int], None]:
    def check(_: object, __: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InvalidValueError(
                f"{name}={value!r} must be an integer from 1 (very low) to 5 (very high)."
            )

    return check


@attrs.frozen(kw_only=True)
class RiskEntry:
    """One assessed risk in a register.

    Attributes
    ----------
    risk : ImplementationRisk
        Converted from a name.
    likelihood, impact : int
        1 (very low) to 5 (very high).
    mitigation : str
        Planned response; defaults to the risk's suggested mitigations joined by "; ".
    owner : str
        Who is responsible (may be empty).
    """

    risk: ImplementationRisk = attrs.field(converter=parse_risk)
    likelihood: int = attrs.field(validator=_scale("likelihood"))
    impact: int = attrs.field(validator=_scale("impact"))
    mitigation: str = attrs.field(
        default=attrs.Factory(lambda self: _suggested(self.risk), takes_self=True)
    )
    owner: str = ""

    @property
    def score(self) -> int:
        """Likelihood x impact, 1-25."""
        return self.likelihood * self.impact

    @property
    def rating(self) -> str:
        """The score's band (see :func:`risk_rating`)."""
        return risk_rating(self.score)


def _to_entries(value: Iterable[RiskEntry]) -> tuple[RiskEntry, ...]:
    out = tuple(items_of(value, name="entries"))
    bad = [e for e in out if not isinstance(e, RiskEntry)]
    if bad:
        raise InvalidValueError(f"entries must be RiskEntry objects, got {bad[:3]!r}.")
    return out


@attrs.frozen(kw_only=True, repr=False)
class RiskRegister(Displayable):
    """A register of assessed implementation risks (each risk at most once).

    Examples
    --------
    >>> reg = RiskRegister.from_scores({"insufficient budget": (4, 5), "rework": (2, 3)})
    >>> reg.ranked()[["risk", "score", "rating"]]
                      risk  score    rating
    0  insufficient_budget     20  critical
    1               rework      6    medium
    >>> [r.value for r in reg.unassessed()][:2]
    ['system_users', 'processes']
    """

    entries: tuple[RiskEntry, ...] = attrs.field(converter=_to_entries)

    def _display(self) -> Display:
        if not self.entries:
            return Display(
                "Risk register: no risk assessed",
                [f"{len(self.unassessed())} risks unassessed"],
            )
        ranked = self.ranked()
        rows = [
            [str(r), str(s), str(g)]
            for r, s, g in zip(
                ranked["risk"][:10], ranked["score"][:10], ranked["rating"][:10], strict=True
            )
        ]
        return Display(
            f"Risk register: {len(self.entries)} risks assessed",
            [f"{len(self.unassessed())} risks unassessed"],
            ["risk", "score", "rating"],
            rows,
            [f"... {len(ranked) - 10} more in .ranked()" if len(ranked) > 10 else None],
        )

    @entries.validator
    def _unique(self, _: object, value: tuple[RiskEntry, ...]) -> None:
        seen = [e.risk for e in value]
        dups = sorted({r.value for r in seen if seen.count(r) > 1})
        if dups:
            raise InvalidValueError(f"risk(s) {dups} appear more than once; merge them.")

    @classmethod
    def from_scores(
        cls,
        scores: Mapping[ImplementationRisk | str, tuple[int, int]],
        *,
        mitigations: Mapping[ImplementationRisk | str, str] | None = None,
    ) -> RiskRegister:
        """Build a register from ``{risk: (likelihood, impact)}``.

        Risks without a mitigation get the suggested ones of :data:`RISKS`.
        """
        for arg, value in (
            ("scores", scores),
            ("mitigations", {} if mitigations is None else mitigations),
        ):
            if not isinstance(value, Mapping):
                raise InvalidValueError(
                    f"{arg} must be a mapping {{risk: ...}}, got {type(value).__name__}."
                )
        given = {parse_risk(k): v for k, v in ({} if mitigations is None else mitigations).items()}
        entries = []
        for key, pair in scores.items():
            risk = parse_risk(key)
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidValueError(
                    f"score for {risk.value!r} must be a (likelihood, impact) pair, got {pair!r}."
                )
            entries.append(
                RiskEntry(
                    risk=risk,
                    likelihood=pair[0],
                    impact=pair[1],
                    mitigation=given.get(risk, _suggested(risk)),
                )
            )
        return cls(entries=tuple(entries))

    def with_entry(self, entry: RiskEntry) -> RiskRegister:
        """A new register with ``entry`` added or replacing the same risk's entry."""
        kept = tuple(e for e in self.entries if e.risk is not entry.risk)
        return RiskRegister(entries=(*kept, entry))

    def unassessed(self) -> tuple[ImplementationRisk, ...]:
        """The risks not yet in the register, in the order of :class:`ImplementationRisk`."""
        have = {e.risk for e in self.entries}
        return tuple(r for r in ImplementationRisk if r not in have)

    def ranked(self) -> pd.DataFrame:
        """The register as a table, highest score first.

        Ties break on impact (higher first), then on the source's order of risks.

        Returns
        -------
        pandas.DataFrame
            Columns ``risk, title, likelihood, impact, score, rating, mitigation, owner``;
            a fresh ``RangeIndex`` (rank - 1).
        """
        order = {r: i for i, r in enumerate(ImplementationRisk)}
        titles = {d.risk: d.title for d in RISKS}
        rows = sorted(self.entries, key=lambda e: (-e.score, -e.impact, order[e.risk]))
        return pd.DataFrame(
            {
                "risk": [e.risk.value for e in rows],
                "title": [titles[e.risk] for e in rows],
                "likelihood": [e.likelihood for e in rows],
                "impact": [e.impact for e in rows],
                "score": [e.score for e in rows],
                "rating": [e.rating for e in rows],
                "mitigation": [e.mitigation for e in rows],
                "owner": [e.owner for e in rows],
            },
            columns=[
                "risk",
                "title",
                "likelihood",
                "impact",
                "score",
                "rating",
                "mitigation",
                "owner",
            ],
        )
