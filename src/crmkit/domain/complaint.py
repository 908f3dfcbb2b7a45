"""Complaints about a specific product or service code, answered stage by stage.

CRM practice gives the reason unique item codes exist: to identify the product or
service complained about, to **track how the customer was answered** and **trace the
stages of that answer**, and to **count complaints per product or service**. A
:class:`Complaint` therefore names its ``item_code`` and keeps a dated
:class:`ComplaintStep` for every stage, each with the channel and a note of the answer.

Stages and allowed moves:

==============  ==========================================
from            to
==============  ==========================================
received        acknowledged, in progress, resolved
acknowledged    in progress, resolved
in progress     resolved
resolved        closed, reopened
closed          reopened
reopened        in progress
==============  ==========================================

``received -> resolved`` is a complaint **resolved on first contact** (the answer given
while the complaint is taken, e.g. on the phone): its time to first response and to
resolution are the same.

Examples
--------
>>> import datetime as dt
>>> t0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
>>> c = Complaint.receive(
...     complaint_id="K1",
...     customer_code="C1",
...     item_code="SRV-7",
...     at=t0,
...     channel="phone",
...     note="router drops the line",
... )
>>> c = c.advance("acknowledged", at=t0 + dt.timedelta(hours=6), channel="e-mail")
>>> c = c.advance("in progress", at=t0 + dt.timedelta(days=1))
>>> c = c.advance("resolved", at=t0 + dt.timedelta(days=3), note="firmware updated")
>>> c.stage.value, c.time_to_first_response("D"), c.time_to_resolution("D")
('resolved', 0.25, 3.0)
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import pandas as pd

from crmkit._compat import renamed_keywords
from crmkit._durations import DurationUnit, check_duration_unit, duration
from crmkit.codes._base import CodeScheme
from crmkit.codes.registry import CodeRegistry
from crmkit.domain import _canon
from crmkit.domain import _common as cv
from crmkit.domain._records import to_record
from crmkit.domain.interaction import Channel, to_optional_channel
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError

__all__ = ["Complaint", "ComplaintStage", "ComplaintStep"]


class ComplaintStage(enum.Enum):
    """Response stages of a complaint, in order, plus ``reopened``."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


_C = ComplaintStage
ALLOWED: Final[dict[ComplaintStage, tuple[ComplaintStage, ...]]] = {
    _C.RECEIVED: (_C.ACKNOWLEDGED, _C.IN_PROGRESS, _C.RESOLVED),
    _C.ACKNOWLEDGED: (_C.IN_PROGRESS, _C.RESOLVED),
    _C.IN_PROGRESS: (_C.RESOLVED,),
    _C.RESOLVED: (_C.CLOSED, _C.REOPENED),
    _C.CLOSED: (_C.REOPENED,),
    _C.REOPENED: (_C.IN_PROGRESS,),
}


# Converters of the enum and record fields: they need no field name (the validator
# cv.named names the field); the shared ones (text, dates ...) live in domain._common.
def _to_stage(value: ComplaintStage | str) -> ComplaintStage:
    return cv.to_member(ComplaintStage, value)


def _to_steps(value: Iterable[ComplaintStep | Mapping[str, Any]]) -> tuple[ComplaintStep, ...]:
    return cv.to_records(ComplaintStep, value)


@attrs.frozen(kw_only=True)
class ComplaintStep:
    """One dated stage of the answer to a complaint.

    Parameters
    ----------
    stage : ComplaintStage or str
    at : datetime.datetime
        Tz-aware time the stage was entered.
    channel : Channel or str, optional
        How the customer was contacted or answered at this stage.
    note : str, optional
        What was said or done.

    Examples
    --------
    >>> ComplaintStep(stage="in progress", at="2024-01-01T10:00:00+00:00").stage.value
    'in progress'
    """

    stage: ComplaintStage = attrs.field(converter=_to_stage, validator=cv.named)
    at: dt.datetime = attrs.field(converter=cv.to_aware, validator=cv.named)
    channel: Channel | None = attrs.field(
        default=None, converter=to_optional_channel, validator=cv.named
    )
    note: str | None = attrs.field(default=None, converter=cv.to_optional_text, validator=cv.named)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (``at`` as ISO text with its offset); see :meth:`from_record`.

        Examples
        --------
        >>> ComplaintStep(stage="received", at="2024-01-01T10:00:00+03:30").to_record()
        {'stage': 'received', 'at': '2024-01-01T10:00:00+03:30', 'channel': None, 'note': None}
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ComplaintStep:
        """Build from a mapping with keys ``stage``, ``at`` [, ``channel``, ``note``]."""
        rec = cv.record_dict(cls, record)
        cv.check_keys(cls, rec, ("stage", "at", "channel", "note"))
        return cv.construct(cls, rec)


def _check_steps(instance: Complaint, attribute: Any, value: tuple[ComplaintStep, ...]) -> None:
    del attribute
    who = instance.complaint_id
    if not value or value[0].stage is not ComplaintStage.RECEIVED:
        raise InvariantError(
            f"complaint {who} must start with a 'received' step; use Complaint.receive(...)."
        )
    for prev, nxt in itertools.pairwise(value):
        if nxt.at < prev.at:
            raise InvariantError(
                f"steps of complaint {who} go back in time: {prev.stage.value} at "
                f"{prev.at.isoformat()} then {nxt.stage.value} at {nxt.at.isoformat()}."
            )
        _check_move(who, prev.stage, nxt.stage)


def _check_move(who: str, old: ComplaintStage, new: ComplaintStage) -> None:
    if new not in ALLOWED[old]:
        raise InvalidTransitionError(
            f"complaint {who} cannot move from {old.value!r} to {new.value!r}; "
            f"allowed moves: {[s.value for s in ALLOWED[old]]}."
        )


@attrs.frozen(kw_only=True)
class Complaint:
    """A complaint about one product or service code, with its dated response steps.

    Parameters
    ----------
    complaint_id : str
    customer_code : str
    item_code : str
        Code of the product or service complained about (from the code registry).
    steps : tuple of ComplaintStep
        Starting with ``received``, in time order, each an allowed move.
    characteristic : str, optional
        Which characteristic of the item is complained about (quality, delivery ...).

    Notes
    -----
    ``item_code`` and ``customer_code`` are kept as given. Several spellings of one
    product (its code, a code merged into it, its GTIN typed with Persian digits) are
    one product for the registry: :meth:`resolve_codes` rewrites a complaint's codes to
    the registry's canonical ones, and
    :func:`~crmkit.domain.complaints_per_item` counts per canonical code when given the
    registry.

    Raises
    ------
    InvalidTransitionError
        If the steps contain a move the stage table does not allow.
    InvariantError
        If the steps do not start with ``received`` or go back in time.
    """

    complaint_id: str = attrs.field(converter=cv.to_text, validator=cv.named)
    customer_code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    item_code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    steps: tuple[ComplaintStep, ...] = attrs.field(
        converter=_to_steps, validator=[cv.named, _check_steps]
    )
    characteristic: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )

    @classmethod
    def receive(
        cls,
        *,
        complaint_id: str,
        customer_code: str,
        item_code: str,
        at: dt.datetime | str,
        channel: Channel | str | None = None,
        note: str | None = None,
        characteristic: str | None = None,
    ) -> Complaint:
        """Register a new complaint in stage ``received``."""
        step = ComplaintStep(stage=ComplaintStage.RECEIVED, at=at, channel=channel, note=note)
        return cls(
            complaint_id=complaint_id,
            customer_code=customer_code,
            item_code=item_code,
            steps=(step,),
            characteristic=characteristic,
        )

    @property
    def stage(self) -> ComplaintStage:
        """Current stage."""
        return self.steps[-1].stage

    @property
    def received_at(self) -> dt.datetime:
        """When the complaint was received."""
        return self.steps[0].at

    @property
    def is_open(self) -> bool:
        """True unless the current stage is resolved or closed."""
        return self.stage not in (ComplaintStage.RESOLVED, ComplaintStage.CLOSED)

    def advance(
        self,
        stage: ComplaintStage | str,
        *,
        at: dt.datetime | str,
        channel: Channel | str | None = None,
        note: str | None = None,
    ) -> Complaint:
        """Record the next stage; illegal moves raise with the allowed moves listed.

        Raises
        ------
        InvalidTransitionError
            If ``stage`` is not allowed after the current stage.
        InvalidValueError
            If ``at`` is naive or earlier than the current stage.
        """
        step = ComplaintStep(stage=stage, at=at, channel=channel, note=note)
        if step.at < self.steps[-1].at:
            raise InvalidValueError(
                f"at={step.at.isoformat()} is earlier than the current stage "
                f"({self.stage.value} at {self.steps[-1].at.isoformat()})."
            )
        _check_move(self.complaint_id, self.stage, step.stage)
        return attrs.evolve(self, steps=(*self.steps, step))

    def reopen(
        self,
        *,
        at: dt.datetime | str,
        channel: Channel | str | None = None,
        note: str | None = None,
    ) -> Complaint:
        """Reopen a resolved or closed complaint."""
        return self.advance(ComplaintStage.REOPENED, at=at, channel=channel, note=note)

    @renamed_keywords(unit="time_unit")
    def time_to_first_response(self, time_unit: DurationUnit = "D") -> float | None:
        """Time from receipt to the first later step, in ``time_unit``; ``None`` if none yet.

        ``time_unit`` is ``"h"`` (exact hours) or a unit of :mod:`crmkit.timeunits`; it
        was named ``unit`` before crmkit 0.2 (the old name works, with a
        :class:`DeprecationWarning`, until 0.3).

        Examples
        --------
        >>> import datetime as dt
        >>> t0 = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
        >>> c = Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=t0)
        >>> c = c.advance("resolved", at=t0 + dt.timedelta(minutes=90), note="first contact")
        >>> c.time_to_first_response("h"), c.time_to_resolution("h")
        (1.5, 1.5)
        """
        if len(self.steps) < 2:
            return None
        return _span(self.steps[0].at, self.steps[1].at, time_unit)

    @renamed_keywords(unit="time_unit")
    def time_to_resolution(self, time_unit: DurationUnit = "D") -> float | None:
        """Time from receipt to the latest ``resolved`` step, in ``time_unit``.

        ``None`` while the complaint is open (never resolved, or reopened and not yet
        resolved again).
        """
        if self.is_open:
            return None
        last = max(i for i, s in enumerate(self.steps) if s.stage is ComplaintStage.RESOLVED)
        return _span(self.steps[0].at, self.steps[last].at, time_unit)

    @_canon.resolve_codes_doc(
        record="complaint",
        fields="``item_code`` and, with ``customer=True``, ``customer_code`` are",
        example="""
>>> import datetime as dt
>>> from crmkit.codes import GTIN, CodeRegistry
>>> reg = CodeRegistry()
>>> tea = reg.allocate("product", label="Tea").code
>>> _ = reg.link(tea, "6261234567897", scheme=GTIN)
>>> c = Complaint.receive(
...     complaint_id="K1",
...     customer_code="C1",
...     item_code="۶۲۶۱۲۳۴۵۶۷۸۹۷",
...     at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
... )
>>> c.resolve_codes(reg, schemes=[GTIN], customer=False).item_code == tea
True
""",
    )
    def resolve_codes(
        self,
        registry: CodeRegistry,
        *,
        schemes: Iterable[CodeScheme] = (),
        customer: bool = True,
    ) -> Complaint:
        cv.check_flag("customer", customer)
        fields = ("item_code", "customer_code") if customer else ("item_code",)
        return _canon.resolved(self, registry, schemes, fields)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (``steps`` as a list of step records); see :meth:`from_record`.

        Examples
        --------
        >>> import datetime as dt, json
        >>> c = Complaint.receive(
        ...     complaint_id="K1",
        ...     customer_code="C1",
        ...     item_code="SRV-7",
        ...     at=dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC),
        ...     channel="phone",
        ... )
        >>> Complaint.from_record(json.loads(json.dumps(c.to_record()))) == c
        True
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Complaint:
        """Build from a mapping keyed by the field names (``steps`` items may be dicts)."""
        rec = cv.record_dict(cls, record)
        cv.check_keys(cls, rec, [a.name for a in attrs.fields(cls)])
        return cv.construct(cls, rec)


def _span(start: dt.datetime, end: dt.datetime, time_unit: str) -> float:
    u = check_duration_unit(time_unit, name="time_unit")
    s, e = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    return float(duration(s, e, u))
