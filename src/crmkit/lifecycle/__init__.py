"""Customer life cycle: the CRM stage models, stage assignment, transitions and cohorts.

* Stage models as data (:mod:`crmkit.lifecycle.models`): :data:`FUNNEL`,
  :data:`KALAKOTA`, :data:`SOWALSKIE`, or your own :class:`StageModel`.
* Every customer in exactly one stage at a date: :func:`assign_stages` (transaction log,
  pandas or dask), :func:`assign_stages_from_summary`, configured by
  :class:`AssignmentRules`.
* Movement: :func:`transition_matrix` between two dates, :func:`funnel_conversion`.
* Cohorts: :func:`cohort_retention` (pandas or dask), :func:`profit_by_tenure`.
* CRM rules of thumb as tests: :func:`profit_by_tenure` (second-year profitability),
  :func:`contacts_before_purchase` (8-10 vs 2-3 contacts),
  :func:`acquisition_retention_cost_ratio` (5-10x), and :func:`evaluate_claims` /
  :func:`claims_table` to report them together.

Examples
--------
>>> from crmkit import lifecycle
>>> [s.name for s in lifecycle.KALAKOTA.stages]
['acquire', 'enhance', 'retain']
"""

from __future__ import annotations

from crmkit.lifecycle.assign import AssignmentRules, assign_stages, assign_stages_from_summary
from crmkit.lifecycle.claims import ClaimsReport, ClaimVerdict, claims_table, evaluate_claims
from crmkit.lifecycle.cohorts import CohortRetention, cohort_retention
from crmkit.lifecycle.contacts import (
    ContactCounts,
    ContactsVerdict,
    CostRatioVerdict,
    acquisition_retention_cost_ratio,
    contacts_before_purchase,
)
from crmkit.lifecycle.models import (
    FUNNEL,
    FUNNEL_LEVELS,
    KALAKOTA,
    SOWALSKIE,
    STAGE_MODELS,
    Stage,
    StageModel,
)
from crmkit.lifecycle.tenure import ProfitByTenure, SecondYearVerdict, profit_by_tenure
from crmkit.lifecycle.transitions import TransitionMatrix, funnel_conversion, transition_matrix

__all__ = [
    "FUNNEL",
    "FUNNEL_LEVELS",
    "KALAKOTA",
    "SOWALSKIE",
    "STAGE_MODELS",
    "AssignmentRules",
    "ClaimVerdict",
    "ClaimsReport",
    "CohortRetention",
    "ContactCounts",
    "ContactsVerdict",
    "CostRatioVerdict",
    "ProfitByTenure",
    "SecondYearVerdict",
    "Stage",
    "StageModel",
    "TransitionMatrix",
    "acquisition_retention_cost_ratio",
    "assign_stages",
    "assign_stages_from_summary",
    "claims_table",
    "cohort_retention",
    "contacts_before_purchase",
    "evaluate_claims",
    "funnel_conversion",
    "profit_by_tenure",
    "transition_matrix",
]
