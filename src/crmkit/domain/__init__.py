"""Typed, immutable CRM domain objects and their DataFrame bridges.

Single records are frozen, keyword-only attrs classes that refuse bad states:
:class:`Customer` (with :class:`ContactPoint`, :class:`Demographics`, dated
:class:`LifeEvent` history), :class:`Relationship` (Sowalskie's acquaintance →
maintenance → termination with a validated, dated history), :class:`Interaction`
(touchpoints on the usual CRM channels, tz-aware), :class:`Complaint` (about one product or
service code, answered stage by stage) and :class:`Opportunity` (pipeline stages, win
probability). Populations are DataFrames: ``*_to_frame`` / ``*_from_frame`` convert
losslessly, and the analyses in :mod:`crmkit.domain.analytics` run vectorised on them.
Data-quality tools (normalisation, duplicate detection, merging) live in
:mod:`crmkit.domain.quality`.

Examples
--------
>>> from crmkit import domain
>>> c = domain.Customer(code="CUST-000001", name="Ali Rezaei")
>>> domain.customers_to_frame([c]).index.tolist()
['CUST-000001']
"""

from __future__ import annotations

from crmkit.domain import quality
from crmkit.domain.analytics import (
    complaint_stage_durations,
    complaints_per_item,
    contacts_before_first_purchase,
    weighted_forecast,
)
from crmkit.domain.complaint import Complaint, ComplaintStage, ComplaintStep
from crmkit.domain.customer import (
    Address,
    ContactPoint,
    Customer,
    CustomerKind,
    CustomerStatus,
    Demographics,
    Gender,
    LifeEvent,
    LifeEventKind,
    MaritalStatus,
)
from crmkit.domain.frames import (
    complaints_from_frame,
    complaints_to_frame,
    customers_from_frame,
    customers_to_frame,
    frame_from_json,
    frame_to_json,
    interactions_from_frame,
    interactions_to_frame,
    opportunities_from_frame,
    opportunities_to_frame,
    read_frame_csv,
    relationships_from_frame,
    relationships_to_frame,
)
from crmkit.domain.interaction import (
    Channel,
    Direction,
    Interaction,
    InteractionKind,
    SalePhase,
)
from crmkit.domain.opportunity import Opportunity, OpportunityStage, PipelineStep
from crmkit.domain.relationship import (
    Relationship,
    RelationshipShape,
    RelationshipStage,
    StageChange,
)

__all__ = [
    "Address",
    "Channel",
    "Complaint",
    "ComplaintStage",
    "ComplaintStep",
    "ContactPoint",
    "Customer",
    "CustomerKind",
    "CustomerStatus",
    "Demographics",
    "Direction",
    "Gender",
    "Interaction",
    "InteractionKind",
    "LifeEvent",
    "LifeEventKind",
    "MaritalStatus",
    "Opportunity",
    "OpportunityStage",
    "PipelineStep",
    "Relationship",
    "RelationshipShape",
    "RelationshipStage",
    "SalePhase",
    "StageChange",
    "complaint_stage_durations",
    "complaints_from_frame",
    "complaints_per_item",
    "complaints_to_frame",
    "contacts_before_first_purchase",
    "customers_from_frame",
    "customers_to_frame",
    "frame_from_json",
    "frame_to_json",
    "interactions_from_frame",
    "interactions_to_frame",
    "opportunities_from_frame",
    "opportunities_to_frame",
    "quality",
    "read_frame_csv",
    "relationships_from_frame",
    "relationships_to_frame",
    "weighted_forecast",
]
