"""Sales opportunities in a pipeline, and the weighted sales forecast.

Pipeline stages, in order: prospecting, qualification, proposal, negotiation, then one of
the closed stages closed-won / closed-lost. Each opportunity carries its own win
probability (the sales team's estimate; crmkit hard-codes no per-stage percentages);
a closed-won opportunity has probability 1 and a closed-lost one 0.

The **weighted sales forecast** (sales forecasting is a core CRM job) of a
period is

.. math::

   F_p = \\sum_{i \\,:\\, \\text{close}_i \\in p} \\text{amount}_i \\cdot \\Pr(\\text{win}_i)

summed over the opportunities expected to close in period *p* (a pandas Period of
months, quarters or years).

Examples
--------
>>> o = Opportunity.open(
...     opportunity_id="O1",
...     customer_code="C1",
...     amount=1000.0,
...     probability=0.2,
...     expected_close="2024-05-31",
...     on="2024-01-10",
... )
>>> o = o.advance("qualification", on="2024-02-01", probability=0.4)
>>> o.stage.value, o.weighted_amount, o.is_closed
('qualification', 400.0, False)
>>> o.advance("closed-won", on="2024-05-20").probability
1.0
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from crmkit.codes._base import CodeScheme
from crmkit.codes.registry import CodeRegistry
from crmkit.domain import _canon
from crmkit.domain import _common as cv
from crmkit.domain._records import to_record
from crmkit.exceptions import InvalidTransitionError, InvalidValueError, InvariantError

__all__ = ["Opportunity", "OpportunityStage", "PipelineStep"]


class OpportunityStage(enum.Enum):
    """Pipeline stages, in order."""

    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed-won"
    CLOSED_LOST = "closed-lost"


_O = OpportunityStage
_OPEN: Final = (_O.PROSPECTING, _O.QUALIFICATION, _O.PROPOSAL, _O.NEGOTIATION)
_CLOSED: Final = (_O.CLOSED_WON, _O.CLOSED_LOST)


def _allowed(stage: OpportunityStage) -> tuple[OpportunityStage, ...]:
    """Open stages move forward (skipping allowed) or to a closed stage; closed is final."""
    if stage in _CLOSED:
        return ()
    return (*_OPEN[_OPEN.index(stage) + 1 :], *_CLOSED)


# Converters of the enum and record fields: they need no field name (the validator
# cv.named names the field); the shared ones (text, dates ...) live in domain._common.
def _to_stage(value: OpportunityStage | str) -> OpportunityStage:
    return cv.to_member(OpportunityStage, value)


def _to_history(value: Iterable[PipelineStep | Mapping[str, Any]]) -> tuple[PipelineStep, ...]:
    return cv.to_records(PipelineStep, value)


@attrs.frozen(kw_only=True)
class PipelineStep:
    """A dated entry of an opportunity's stage history.

    Examples
    --------
    >>> PipelineStep(stage="proposal", on="2024-03-01").stage.value
    'proposal'
    """

    stage: OpportunityStage = attrs.field(converter=_to_stage, validator=cv.named)
    on: dt.date = attrs.field(converter=cv.to_date, validator=cv.named)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict; :meth:`from_record` reads it back.

        Examples
        --------
        >>> PipelineStep(stage="proposal", on="2024-03-01").to_record()
        {'stage': 'proposal', 'on': '2024-03-01'}
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PipelineStep:
        """Build from a mapping with keys ``stage`` and ``on``."""
        rec = cv.record_dict(cls, record)
        cv.check_keys(cls, rec, ("stage", "on"))
        return cv.construct(cls, rec)


def _check_history(instance: Opportunity, attribute: Any, value: tuple[PipelineStep, ...]) -> None:
    del attribute
    for prev, nxt in itertools.pairwise(value):
        if nxt.on < prev.on:
            raise InvariantError(
                f"stage history of opportunity {instance.opportunity_id} goes back in time "
                f"({prev.on} then {nxt.on})."
            )
        _check_move(instance.opportunity_id, prev.stage, nxt.stage)


def _check_move(who: str, old: OpportunityStage, new: OpportunityStage) -> None:
    if new not in _allowed(old):
        raise InvalidTransitionError(
            f"opportunity {who} cannot move from {old.value!r} to {new.value!r}; "
            f"allowed moves: {[s.value for s in _allowed(old)]}."
        )


@attrs.frozen(kw_only=True)
class Opportunity:
    """A sales opportunity.

    Parameters
    ----------
    opportunity_id : str
    customer_code : str
    amount : float
        Expected deal value, ``>= 0``, in ``currency``.
    probability : float
        Win probability in [0, 1]; must be 1 for closed-won and 0 for closed-lost.
    expected_close : datetime.date
        Expected (or actual, once closed) close date; never before the opening date
        (the first history entry).
    history : tuple of PipelineStep
        Non-empty stage history in date order (:meth:`open` starts one in
        ``prospecting``).
    currency : str, optional
        ISO 4217 currency of ``amount``.

    Raises
    ------
    InvalidTransitionError
        A backwards move, or a move out of a closed stage.
    InvariantError
        A history going back in time or a closed stage with the wrong probability.
    InvalidValueError
        An ``expected_close`` before the opening date, or an empty history.
    """

    opportunity_id: str = attrs.field(converter=cv.to_text, validator=cv.named)
    customer_code: str = attrs.field(converter=cv.to_text, validator=cv.named)
    amount: float = attrs.field(converter=cv.to_amount, validator=cv.named)
    probability: float = attrs.field(converter=cv.to_probability, validator=cv.named)
    expected_close: dt.date = attrs.field(converter=cv.to_date, validator=cv.named)
    history: tuple[PipelineStep, ...] = attrs.field(
        converter=_to_history, validator=[cv.named, _check_history]
    )
    currency: str | None = attrs.field(
        default=None, converter=cv.to_optional_text, validator=cv.named
    )

    def __attrs_post_init__(self) -> None:
        if not self.history:
            raise InvalidValueError(f"opportunity {self.opportunity_id} has an empty history.")
        if self.expected_close < self.opened_on:
            raise InvalidValueError(
                f"opportunity {self.opportunity_id}: expected_close={self.expected_close} is "
                f"before the opening date {self.opened_on}; a deal cannot close before it "
                f"opens, pass an expected_close on or after {self.opened_on}."
            )
        want = {_O.CLOSED_WON: 1.0, _O.CLOSED_LOST: 0.0}.get(self.stage)
        if want is not None and self.probability != want:
            raise InvariantError(
                f"opportunity {self.opportunity_id} is {self.stage.value} but probability="
                f"{self.probability}; a {self.stage.value} opportunity has probability {want}."
            )

    @classmethod
    def open(
        cls,
        *,
        opportunity_id: str,
        customer_code: str,
        amount: float,
        probability: float,
        expected_close: dt.date | str,
        on: dt.date | str,
        currency: str | None = None,
    ) -> Opportunity:
        """Open an opportunity in ``prospecting`` on ``on``."""
        return cls(
            opportunity_id=opportunity_id,
            customer_code=customer_code,
            amount=amount,
            probability=probability,
            expected_close=expected_close,
            history=(PipelineStep(stage=OpportunityStage.PROSPECTING, on=on),),
            currency=currency,
        )

    @property
    def opened_on(self) -> dt.date:
        """Date of the first history entry."""
        return self.history[0].on

    @property
    def stage(self) -> OpportunityStage:
        """Current stage."""
        return self.history[-1].stage

    @property
    def is_closed(self) -> bool:
        """True for closed-won and closed-lost."""
        return self.stage in _CLOSED

    @property
    def is_won(self) -> bool:
        """True for closed-won."""
        return self.stage is OpportunityStage.CLOSED_WON

    @property
    def weighted_amount(self) -> float:
        """``amount * probability``."""
        return self.amount * self.probability

    def advance(
        self,
        stage: OpportunityStage | str,
        *,
        on: dt.date | str,
        probability: float | None = None,
        expected_close: dt.date | str | None = None,
    ) -> Opportunity:
        """Move to ``stage`` on ``on``, optionally with a new probability / close date.

        Closing sets the probability to 1 (won) or 0 (lost) and, unless given, the
        expected close date to ``on``.

        Raises
        ------
        InvalidTransitionError
            For a backwards move or a move out of a closed stage (allowed moves listed).
        """
        step = PipelineStep(stage=stage, on=on)
        if step.on < self.history[-1].on:
            raise InvalidValueError(
                f"on={step.on} predates the current stage ({self.stage.value} since "
                f"{self.history[-1].on})."
            )
        _check_move(self.opportunity_id, self.stage, step.stage)
        p = self.probability if probability is None else probability
        close = expected_close
        if step.stage in _CLOSED:
            p = 1.0 if step.stage is OpportunityStage.CLOSED_WON else 0.0
            if probability is not None and probability != p:
                raise InvariantError(f"{step.stage.value} implies probability {p}.")
            close = step.on if close is None else close
        return attrs.evolve(
            self,
            history=(*self.history, step),
            probability=p,
            expected_close=self.expected_close if close is None else close,
        )

    @_canon.resolve_codes_doc(
        record="opportunity",
        fields="``customer_code`` is",
        example="""
>>> from crmkit.codes import IRAN_NATIONAL_ID, CodeRegistry
>>> reg = CodeRegistry()
>>> sara = reg.register("0499370899", kind="customer", scheme=IRAN_NATIONAL_ID).code
>>> o = Opportunity.open(
...     opportunity_id="O1",
...     customer_code="۰۴۹-۹۳۷۰۸۹-۹",
...     amount=10.0,
...     probability=0.5,
...     expected_close="2024-05-31",
...     on="2024-01-10",
... )
>>> o.resolve_codes(reg, schemes=[IRAN_NATIONAL_ID]).customer_code == sara
True
""",
    )
    def resolve_codes(
        self, registry: CodeRegistry, *, schemes: Iterable[CodeScheme] = ()
    ) -> Opportunity:
        return _canon.resolved(self, registry, schemes, ("customer_code",))

    def to_record(self) -> dict[str, Any]:
        """JSON-safe dict (``history`` as a list of step records, dates as ISO text).

        Examples
        --------
        >>> import json
        >>> o = Opportunity.open(
        ...     opportunity_id="O1",
        ...     customer_code="C1",
        ...     amount=1000.0,
        ...     probability=0.2,
        ...     expected_close="2024-05-31",
        ...     on="2024-01-10",
        ... )
        >>> Opportunity.from_record(json.loads(json.dumps(o.to_record()))) == o
        True
        """
        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Opportunity:
        """Build from a mapping keyed by the field names (``customer_id`` also accepted)."""
        rec = cv.record_fields(cls, record, aliases={"customer_id": "customer_code"})
        return cv.construct(cls, {k: v for k, v in rec.items() if not cv.is_missing(v)})
