"""CRM maturity levels 0-5 and the capabilities that mark each level.

The six levels are a maturity scale from the CRM practitioner literature; its purpose is
to tell where an organisation stands and the cheapest path to the next level *before*
money is spent. The source names the levels only; crmkit makes them assessable by tying
each level above 0 to two observable **capabilities** (does the organisation have unique
customer and product codes? measured satisfaction? segments? CLV? ...). The mapping is
crmkit's operationalisation, drawn from the same source: coding is "the platform CRM stands
on", satisfaction and complaints are the first success metrics, segmentation and
lifetime value are the analytical core, and the last levels are about reviewing and
personalising interactions.

Levels are cumulative: level *L* is reached when every capability of levels 1..*L* is in
place. Level 0 (account-number focus) is where every organisation starts; it requires
nothing.
"""

from __future__ import annotations

import enum

import attrs

from crmkit.exceptions import InvalidValueError
from crmkit.maturity._names import name_key, parse_member

__all__ = [
    "CAPABILITIES",
    "LEVELS",
    "Capability",
    "CapabilityDefinition",
    "LevelDefinition",
    "MaturityLevel",
    "capability_definition",
    "level_definition",
    "parse_capability",
    "parse_level",
]


class MaturityLevel(enum.IntEnum):
    """The six CRM maturity levels, in order."""

    ACCOUNT_NUMBER_FOCUS = 0
    CUSTOMER_FOCUSED_ADAPTATION = 1
    UNDERSTANDING_NEEDS = 2
    KNOWING_CUSTOMERS = 3
    IMPROVING_INTERACTIONS = 4
    OPTIMAL_INTERACTION = 5


class Capability(enum.StrEnum):
    """Observable CRM capabilities used as evidence of a maturity level."""

    UNIQUE_CODES = "unique_codes"
    CUSTOMER_DATABASE = "customer_database"
    MEASURED_SATISFACTION = "measured_satisfaction"
    COMPLAINT_TRACKING = "complaint_tracking"
    SEGMENTS = "segments"
    CLV = "clv"
    INTERACTION_HISTORY = "interaction_history"
    METRICS_REVIEW = "metrics_review"
    PERSONALISATION = "personalisation"
    CLOSED_LOOP = "closed_loop"


@attrs.frozen(kw_only=True)
class CapabilityDefinition:
    """What a capability means and the action that builds it.

    Attributes
    ----------
    capability : Capability
    level : MaturityLevel
        The level this capability belongs to.
    description : str
        What is in place when the organisation has it.
    action : str
        The next step that builds it.
    """

    capability: Capability
    level: MaturityLevel
    description: str
    action: str


@attrs.frozen(kw_only=True)
class LevelDefinition:
    """One maturity level: its name in the source, meaning and required capabilities.

    Attributes
    ----------
    level : MaturityLevel
    title : str
        The source's name for the level.
    description : str
        What an organisation at this level does.
    capabilities : tuple of Capability
        Capabilities that must be in place (in addition to those of lower levels).
    """

    level: MaturityLevel
    title: str
    description: str
    capabilities: tuple[Capability, ...]


_L = MaturityLevel
_C = Capability

CAPABILITIES: tuple[CapabilityDefinition, ...] = (
    CapabilityDefinition(
        capability=_C.UNIQUE_CODES,
        level=_L.CUSTOMER_FOCUSED_ADAPTATION,
        description="every customer, product, service and supplier has one uniform code "
        "(national/international scheme or a consistent internal one)",
        action="introduce a code registry: one uniform code per customer, product, service "
        "and supplier across all branches",
    ),
    CapabilityDefinition(
        capability=_C.CUSTOMER_DATABASE,
        level=_L.CUSTOMER_FOCUSED_ADAPTATION,
        description="one cleaned, de-duplicated customer database that is updated when "
        "life events happen",
        action="build a single customer database; clean, de-duplicate and keep it updated",
    ),
    CapabilityDefinition(
        capability=_C.MEASURED_SATISFACTION,
        level=_L.UNDERSTANDING_NEEDS,
        description="customer satisfaction is measured regularly (NPS, CSAT, repeat purchase)",
        action="measure satisfaction every period (NPS/CSAT survey, repeat-purchase rate)",
    ),
    CapabilityDefinition(
        capability=_C.COMPLAINT_TRACKING,
        level=_L.UNDERSTANDING_NEEDS,
        description="complaints are logged per product/service code and their resolution "
        "stages are traced",
        action="log every complaint against a product/service code and trace its answer",
    ),
    CapabilityDefinition(
        capability=_C.SEGMENTS,
        level=_L.KNOWING_CUSTOMERS,
        description="customers are grouped into behaviour segments (e.g. RFM) used for "
        "selection and targeting",
        action="segment customers by behaviour (RFM, Pareto/ABC) and select target segments",
    ),
    CapabilityDefinition(
        capability=_C.CLV,
        level=_L.KNOWING_CUSTOMERS,
        description="the value of each customer over their lifetime is estimated",
        action="estimate customer lifetime value from the transaction history",
    ),
    CapabilityDefinition(
        capability=_C.INTERACTION_HISTORY,
        level=_L.IMPROVING_INTERACTIONS,
        description="every interaction across channels (phone, e-mail, web, field) is "
        "recorded in one history per customer",
        action="record every interaction across all channels in one customer history",
    ),
    CapabilityDefinition(
        capability=_C.METRICS_REVIEW,
        level=_L.IMPROVING_INTERACTIONS,
        description="a comprehensive scorecard (satisfaction, profit, share, ROI, growth, "
        "retention) is reviewed regularly and drives changes to interactions",
        action="review a full CRM scorecard every period and act on it",
    ),
    CapabilityDefinition(
        capability=_C.PERSONALISATION,
        level=_L.OPTIMAL_INTERACTION,
        description="offers, contacts and products are tailored one-to-one",
        action="personalise offers and contacts one-to-one from segment and CLV data",
    ),
    CapabilityDefinition(
        capability=_C.CLOSED_LOOP,
        level=_L.OPTIMAL_INTERACTION,
        description="results of each interaction feed back into analysis and refinement "
        "continuously (insight -> value -> planning -> interaction -> analysis)",
        action="close the loop: feed interaction results back into continuous analysis",
    ),
)

LEVELS: tuple[LevelDefinition, ...] = (
    LevelDefinition(
        level=_L.ACCOUNT_NUMBER_FOCUS,
        title="focus on account number and customer membership",
        description="customers are known as account numbers or members; no customer view "
        "beyond billing.",
        capabilities=(),
    ),
    LevelDefinition(
        level=_L.CUSTOMER_FOCUSED_ADAPTATION,
        title="adapting, with a customer focus",
        description="the organisation starts organising around customers: it can identify "
        "each customer and product uniquely and keeps one customer database.",
        capabilities=(_C.UNIQUE_CODES, _C.CUSTOMER_DATABASE),
    ),
    LevelDefinition(
        level=_L.UNDERSTANDING_NEEDS,
        title="understanding customer needs",
        description="it listens: satisfaction is measured and complaints are tracked per "
        "product or service.",
        capabilities=(_C.MEASURED_SATISFACTION, _C.COMPLAINT_TRACKING),
    ),
    LevelDefinition(
        level=_L.KNOWING_CUSTOMERS,
        title="knowing the customers",
        description="it knows who its customers are and what they are worth: behaviour "
        "segments and lifetime values.",
        capabilities=(_C.SEGMENTS, _C.CLV),
    ),
    LevelDefinition(
        level=_L.IMPROVING_INTERACTIONS,
        title="reviewing and improving interactions",
        description="every interaction is recorded and a comprehensive scorecard is reviewed "
        "to improve them.",
        capabilities=(_C.INTERACTION_HISTORY, _C.METRICS_REVIEW),
    ),
    LevelDefinition(
        level=_L.OPTIMAL_INTERACTION,
        title="optimal interaction",
        description="one-to-one interaction, continuously refined from its own results.",
        capabilities=(_C.PERSONALISATION, _C.CLOSED_LOOP),
    ),
)


def parse_level(level: MaturityLevel | int | str) -> MaturityLevel:
    """A :class:`MaturityLevel` from itself, its number (0-5) or its name.

    Names are case-insensitive and may use spaces or hyphens (``"knowing customers"``).

    Raises
    ------
    InvalidValueError
        For an unknown number or name, listing the valid ones.

    Parameters
    ----------
    level : MaturityLevel, int or str
        The level as enum member, number 0-5 or name.

    Returns
    -------
    MaturityLevel

    Examples
    --------
    >>> parse_level("knowing-customers")
    <MaturityLevel.KNOWING_CUSTOMERS: 3>
    >>> parse_level(7)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: unknown maturity level 7; ...
    """
    if isinstance(level, MaturityLevel):
        return level
    valid = ", ".join(f"{m.value}={m.name.lower()}" for m in MaturityLevel)
    if isinstance(level, str):
        key = name_key(level).upper()
        if key in MaturityLevel.__members__:
            return MaturityLevel[key]
        if key.isdigit():
            level = int(key)
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 5:
        return MaturityLevel(level)
    raise InvalidValueError(f"unknown maturity level {level!r}; valid levels are {valid}.")


def parse_capability(capability: Capability | str) -> Capability:
    """A :class:`Capability` from itself or its name (case-insensitive).

    Raises
    ------
    InvalidValueError
        For an unknown name, listing the valid ones.

    Parameters
    ----------
    capability : Capability or str
        The capability or its name.

    Returns
    -------
    Capability

    Examples
    --------
    >>> parse_capability("CLV")
    <Capability.CLV: 'clv'>
    """
    return parse_member(capability, Capability, what="capability", plural="capabilities")


def level_definition(level: MaturityLevel | int | str) -> LevelDefinition:
    """The :class:`LevelDefinition` of a level given by enum, number or name.

    Parameters
    ----------
    level : MaturityLevel, int or str
        The level as enum member, number 0-5 or name.

    Returns
    -------
    LevelDefinition

    Raises
    ------
    InvalidValueError
        For an unknown level.

    Examples
    --------
    >>> level_definition(2).title
    'understanding customer needs'
    """
    return LEVELS[parse_level(level)]


def capability_definition(capability: Capability | str) -> CapabilityDefinition:
    """The :class:`CapabilityDefinition` of a capability.

    Parameters
    ----------
    capability : Capability or str
        The capability or its name.

    Returns
    -------
    CapabilityDefinition

    Raises
    ------
    InvalidValueError
        For an unknown capability.

    Examples
    --------
    >>> capability_definition("segments").level
    <MaturityLevel.KNOWING_CUSTOMERS: 3>
    """
    cap = parse_capability(capability)
    return next(d for d in CAPABILITIES if d.capability is cap)
