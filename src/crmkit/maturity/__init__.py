"""CRM maturity: levels 0-5, the development path, assessment and the risk register.

Where does the organisation stand, and what is the cheapest path to the next level before
money is spent? See :doc:`/howto/measure-crm-programme`.

Examples
--------
>>> from crmkit import maturity
>>> r = maturity.assess_capabilities(
...     ["unique_codes", "customer_database"],
...     effort={"complaint_tracking": 2, "measured_satisfaction": 5},
... )
>>> r.level.name, [s.capability.value for s in r.next_steps]
('CUSTOMER_FOCUSED_ADAPTATION', ['complaint_tracking', 'measured_satisfaction'])
"""

from __future__ import annotations

from crmkit.maturity.assessment import (
    ITEM_BANK,
    LIKERT_SCALE,
    MaturityAssessment,
    NextStep,
    QuestionnaireItem,
    assess,
    assess_capabilities,
)
from crmkit.maturity.levels import (
    CAPABILITIES,
    LEVELS,
    Capability,
    CapabilityDefinition,
    LevelDefinition,
    MaturityLevel,
    capability_definition,
    level_definition,
    parse_capability,
    parse_level,
)
from crmkit.maturity.path import (
    STAGES,
    DevelopmentStage,
    StageDefinition,
    next_stage,
    parse_stage,
    stage_definition,
)
from crmkit.maturity.risks import (
    RISKS,
    ImplementationRisk,
    RiskDefinition,
    RiskEntry,
    RiskRegister,
    parse_risk,
    risk_rating,
)

__all__ = [
    "CAPABILITIES",
    "ITEM_BANK",
    "LEVELS",
    "LIKERT_SCALE",
    "RISKS",
    "STAGES",
    "Capability",
    "CapabilityDefinition",
    "DevelopmentStage",
    "ImplementationRisk",
    "LevelDefinition",
    "MaturityAssessment",
    "MaturityLevel",
    "NextStep",
    "QuestionnaireItem",
    "RiskDefinition",
    "RiskEntry",
    "RiskRegister",
    "StageDefinition",
    "assess",
    "assess_capabilities",
    "capability_definition",
    "level_definition",
    "next_stage",
    "parse_capability",
    "parse_level",
    "parse_risk",
    "parse_stage",
    "risk_rating",
    "stage_definition",
]
