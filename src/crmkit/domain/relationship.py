"""Relationships between a customer and the organisation (or a supplier / partner).

Stages follow Sowalskie (2001): **acquaintance →
maintenance → termination**. Allowed moves:

=================  ==============================================================
from               to
=================  ==============================================================
acquaintance       maintenance, termination
maintenance        termination
termination        acquaintance or maintenance, **only** through
                   :meth:`Relationship.reactivate` (an explicit, recorded move)
=================  ==============================================================

Every move is a dated :class:`StageChange` in ``history``; the current stage, the
tenure and the time in the current stage are derived from it, never stored twice.

Examples
--------
>>> import datetime as dt
>>> r = Relationship.start(customer_code="C1", on=dt.date(2023, 1, 15))
>>> r = r.transition_to("maintenance", on=dt.date(2023, 3, 15))
>>> r.stage.value, r.tenure(dt.date(2024, 1, 15), "M"), r.time_in_stage(dt.date(2024, 1, 15), "M")
('maintenance', 12.0, 10.0)
>>> r.transition_to("acquaintance", on=dt.date(2024, 2, 1))
Traceback (most recent call last):
...
crmkit.exceptions.InvalidTransitionError: cannot move relationship C1 from 'maintenance' to \
'acquaintance'; allowed moves: ['termination']...
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
from crmkit.codes._base import show as cv_show
from crmkit.domain import _common as cv
from crmkit.domain._records import to_record
from crmkit.domain.customer import Customer, LifeEventKind
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError

__all__ = ["Relationship", "RelationshipShape", "RelationshipStage", "StageChange"]


class RelationshipStage(enum.Enum):
    """Sowalskie's three relationship stages, in order."""

    ACQUAINTANCE = "acquaintance"
    MAINTENANCE = "maintenance"
    TERMINATION = "termination"


class RelationshipShape(enum.Enum):
    """Network shapes of a customer relationship."""

    ONE_TO_ONE = "one-to-one"
    MANY_TO_MANY = "many-to-many network"
    ONE_NETWORK_ONE = "one-network-one"


_S = RelationshipStage
ALLOWED: Final[dict[RelationshipStage, tuple[RelationshipStage, ...]]] = {
    _S.ACQUAINTANCE: (_S.MAINTENANCE, _S.TERMINATION),
    _S.MAINTENANCE: (_S.TERMINATION,),
    _S.TERMINATION: (),
}
_REACTIVATE_TO: Final = (_S.ACQUAINTANCE, _S.MAINTENANCE)


# Converters of the enum and record fields: they need no field name (the validator
# cv.named names the field); the shared ones (text, dates ...) live in domain._common.
def _to_stage(value: RelationshipStage | str) -> RelationshipStage:
    return cv.to_member(RelationshipStage, value)


def _to_shape(value: RelationshipShape | str) -> RelationshipShape:
    return cv.to_member(RelationshipShape, value)


def _to_history(value: Iterable[StageChange | Mapping[str, Any]]) -> tuple[StageChange, ...]:
    return cv.to_records(StageChange, value)


@attrs.frozen(kw_only=True)
class StageChange:
    """One dated entry of a relationship's stage history.

    Parameters
    ----------
    stage : RelationshipStage or str
        The stage entered.
    on : datetime.date
        When it was entered.
    reason : str, optional
        Why (``"death"``, ``"moved abroad"`` ...).
    reactivation : bool, default False
        True when this change re-activates a terminated relationship.

    Examples
    --------
    >>> StageChange(stage="termination", on="2024-02-01", reason="death").stage.value
    'termination'
    """

    stage: RelationshipStage = attrs.field(converter=_to_stage, validator=cv.named)
    on: dt.date = attrs.field(converter=cv.to_date, validator=cv.named)
    reason: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )
    reactivation: bool = attrs.field(default=False, validator=cv.flag)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (enum values, ISO dates); :meth:`from_record` reads it back.

        Examples
        --------
        >>> StageChange(stage="termination", on="2024-02-01", reason="death").to_record()
        {'stage': 'termination', 'on': '2024-02-01', 'reason': 'death', 'reactivation': False}
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> StageChange:
        """Build from a mapping with keys ``stage``, ``on`` [, ``reason``, ``reactivation``]."""
        rec = cv.record_dict(cls, record)
        cv.check_keys(cls, rec, ("stage", "on", "reason", "reactivation"))
        return cv.construct(cls, rec)


def _check_history(instance: Relationship, attribute: Any, value: tuple[StageChange, ...]) -> None:
    del attribute
    if not value:
        raise InvalidValueError(
            f"relationship {instance.customer_code} needs at least one stage change; "
            "use Relationship.start(...)."
        )
    if value[0].reactivation:
        raise InvariantError("the first stage change cannot be a reactivation.")
    for prev, nxt in itertools.pairwise(value):
        if nxt.on < prev.on:
            raise InvariantError(
                f"stage history of {instance.customer_code} goes back in time: "
                f"{prev.stage.value} on {prev.on} then {nxt.stage.value} on {nxt.on}."
            )
        _check_move(instance.customer_code, prev.stage, nxt.stage, reactivation=nxt.reactivation)


def _check_move(
    who: str, old: RelationshipStage, new: RelationshipStage, *, reactivation: bool
) -> None:
    if reactivation:
        if old is not _S.TERMINATION or new not in _REACTIVATE_TO:
            raise InvalidTransitionError(
                f"reactivation of relationship {who} must go from 'termination' to one of "
                f"{[s.value for s in _REACTIVATE_TO]}, not from {old.value!r} to {new.value!r}."
            )
        return
    allowed = ALLOWED[old]
    if new not in allowed:
        hint = (
            " A terminated relationship is re-activated only explicitly: use "
            "Relationship.reactivate(...)."
            if old is _S.TERMINATION
            else ""
        )
        raise InvalidTransitionError(
            f"cannot move relationship {who} from {old.value!r} to {new.value!r}; "
            f"allowed moves: {[s.value for s in allowed]}.{hint}"
        )


@attrs.frozen(kw_only=True)
class Relationship:
    """A relationship with a dated, validated stage history.

    Parameters
    ----------
    customer_code : str
    counterparty : str, default ``"organisation"``
        Code of the other side (the organisation, a supplier or a partner).
    shape : RelationshipShape or str, default ``"one-to-one"``
    history : tuple of StageChange
        Non-empty, in date order, every step an allowed move.

    Raises
    ------
    InvalidTransitionError
        If the history contains a move the stage model does not allow.
    InvariantError
        If the history goes back in time.

    Examples
    --------
    >>> r = Relationship.start(customer_code="C1", on="2020-01-01", shape="one-network-one")
    >>> r.shape.value, r.stage.value, r.started_on
    ('one-network-one', 'acquaintance', datetime.date(2020, 1, 1))
    """

    customer_code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    counterparty: str = attrs.field(
        default="organisation", converter=cv.to_text, validator=cv.named
    )
    shape: RelationshipShape = attrs.field(
        default=RelationshipShape.ONE_TO_ONE, converter=_to_shape, validator=cv.named
    )
    history: tuple[StageChange, ...] = attrs.field(
        converter=_to_history, validator=[cv.named, _check_history]
    )

    @classmethod
    def start(
        cls,
        *,
        customer_code: str,
        on: dt.date | str,
        counterparty: str = "organisation",
        shape: RelationshipShape | str = RelationshipShape.ONE_TO_ONE,
        stage: RelationshipStage | str = RelationshipStage.ACQUAINTANCE,
    ) -> Relationship:
        """Open a relationship in ``stage`` (default acquaintance) on ``on``."""
        return cls(
            customer_code=customer_code,
            counterparty=counterparty,
            shape=shape,
            history=(StageChange(stage=stage, on=on),),
        )

    @property
    def stage(self) -> RelationshipStage:
        """Current stage (the last history entry)."""
        return self.history[-1].stage

    @property
    def started_on(self) -> dt.date:
        """Date of the first stage change."""
        return self.history[0].on

    @property
    def stage_since(self) -> dt.date:
        """Date the current stage was entered."""
        return self.history[-1].on

    @property
    def is_terminated(self) -> bool:
        """True when the current stage is termination."""
        return self.stage is RelationshipStage.TERMINATION

    def allowed_moves(self) -> tuple[RelationshipStage, ...]:
        """Stages :meth:`transition_to` accepts from the current stage."""
        return ALLOWED[self.stage]

    def _append(self, change: StageChange) -> Relationship:
        if change.on < self.stage_since:
            raise InvalidValueError(
                f"{change.stage.value!r} on {change.on} predates the current stage "
                f"({self.stage.value!r} since {self.stage_since}); record moves in date order."
            )
        _check_move(self.customer_code, self.stage, change.stage, reactivation=change.reactivation)
        return attrs.evolve(self, history=(*self.history, change))

    def transition_to(
        self, stage: RelationshipStage | str, *, on: dt.date | str, reason: str | None = None
    ) -> Relationship:
        """Move to ``stage`` on ``on``; illegal moves raise with the allowed moves listed.

        Raises
        ------
        InvalidTransitionError
            If the move is not allowed from the current stage.
        InvalidValueError
            If ``on`` predates the current stage.
        """
        return self._append(StageChange(stage=stage, on=on, reason=reason))

    def terminate(self, *, on: dt.date | str, reason: str | None = None) -> Relationship:
        """Move to termination."""
        return self.transition_to(RelationshipStage.TERMINATION, on=on, reason=reason)

    def reactivate(
        self,
        *,
        on: dt.date | str,
        stage: RelationshipStage | str = RelationshipStage.ACQUAINTANCE,
        reason: str | None = None,
    ) -> Relationship:
        """Re-activate a terminated relationship (recorded with ``reactivation=True``).

        Examples
        --------
        >>> r = Relationship.start(customer_code="C1", on="2020-01-01").terminate(on="2021-01-01")
        >>> r = r.reactivate(on="2022-06-01", stage="maintenance", reason="win-back")
        >>> [(c.stage.value, c.reactivation) for c in r.history]
        [('acquaintance', False), ('termination', False), ('maintenance', True)]
        """
        return self._append(StageChange(stage=stage, on=on, reason=reason, reactivation=True))

    def end_by_death(self, customer: Customer) -> Relationship:
        """Terminate on the date of the customer's recorded death (reason ``"death"``).

        Returns the relationship unchanged if it is already terminated.

        Raises
        ------
        InvalidValueError
            If ``customer`` is not this relationship's customer or has no death event.

        Examples
        --------
        >>> from crmkit.domain import Customer, LifeEvent
        >>> c = Customer(code="C1", name="A").apply(LifeEvent(kind="death", on="2024-03-01"))
        >>> r = Relationship.start(customer_code="C1", on="2020-01-01").end_by_death(c)
        >>> r.stage.value, r.stage_since, r.history[-1].reason
        ('termination', datetime.date(2024, 3, 1), 'death')
        """
        if not isinstance(customer, Customer):
            raise InvalidValueError(
                f"customer={cv_show(customer)} must be a Customer (with its life events)."
            )
        if customer.code != self.customer_code:
            raise InvalidValueError(
                f"customer {customer.code!r} is not the customer of this relationship "
                f"({self.customer_code!r})."
            )
        deaths = [e for e in customer.life_events if e.kind is LifeEventKind.DEATH]
        if not deaths:
            raise InvalidValueError(f"customer {customer.code!r} has no recorded death.")
        if self.is_terminated:
            return self
        return self.terminate(on=deaths[0].on, reason="death")

    @renamed_keywords(unit="time_unit")
    def tenure(self, as_of: dt.date | str, time_unit: DurationUnit = "D") -> float:
        """Time from the first stage change to ``as_of`` in ``time_unit``.

        ``time_unit`` is ``"h"`` (hours) or one of the calendar units of
        :mod:`crmkit.timeunits` (``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``); it was
        named ``unit`` before crmkit 0.2 (the old name works, with a
        :class:`DeprecationWarning`, until 0.3).

        The tenure counts calendar time since the relationship started, including any
        terminated spells; it stops growing at termination only in the sense that you pass
        the termination date as ``as_of``.
        """
        return self._since(self.started_on, as_of, time_unit, "the start of the relationship")

    @renamed_keywords(unit="time_unit")
    def time_in_stage(self, as_of: dt.date | str, time_unit: DurationUnit = "D") -> float:
        """Time spent in the current stage up to ``as_of``, in ``time_unit`` (``"h"`` too).

        ``time_unit`` was named ``unit`` before crmkit 0.2 (the old name works, with a
        :class:`DeprecationWarning`, until 0.3).

        Examples
        --------
        >>> r = Relationship.start(customer_code="C1", on="2024-01-01")
        >>> r.time_in_stage("2024-01-03", "h")
        48.0
        >>> r.time_in_stage("2023-12-31")
        Traceback (most recent call last):
        ...
        crmkit.exceptions.InvalidValueError: as_of=2023-12-31 precedes the start of the ...
        stage 'acquaintance' on 2024-01-01; a duration is never negative, pass an as_of ...
        """
        what = f"the start of the current stage {self.stage.value!r}"
        return self._since(self.stage_since, as_of, time_unit, what)

    def _since(self, start: dt.date, as_of: dt.date | str, time_unit: str, what: str) -> float:
        u = check_duration_unit(time_unit, name="time_unit")
        end = cv.date("as_of")(as_of)
        if end < start:
            raise InvalidValueError(
                f"as_of={end} precedes {what} on {start}; a duration is never negative, "
                f"pass an as_of on or after {start}."
            )
        return float(duration(pd.Timestamp(start), pd.Timestamp(end), u))

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (``history`` as a list of stage-change records).

        ``json.dumps`` works on it and :meth:`from_record` gives back an equal object.

        Examples
        --------
        >>> r = Relationship.start(customer_code="C1", on="2020-01-01")
        >>> Relationship.from_record(r.to_record()) == r
        True
        >>> r.to_record()["history"]
        [{'stage': 'acquaintance', 'on': '2020-01-01', 'reason': None, 'reactivation': False}]
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Relationship:
        """Build from a mapping keyed by the field names (``history`` items may be dicts)."""
        return cv.construct(cls, cv.record_fields(cls, record))
