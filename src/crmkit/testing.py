"""Hypothesis strategies for crmkit's domain objects, for your own property tests.

This module needs `hypothesis <https://hypothesis.readthedocs.io>`_, which is a *test*
dependency of crmkit, not a runtime one: ``pip install hypothesis`` before importing it.
Every strategy draws only valid objects (every transition allowed, timestamps tz-aware,
histories in time order), so a property test can focus on the behaviour under test.

Examples
--------
>>> from hypothesis import given, settings
>>> from crmkit import testing
>>> from crmkit.domain import customers_from_frame, customers_to_frame
>>> @settings(max_examples=20, deadline=None)
... @given(testing.customers())
... def round_trip(c):
...     assert customers_from_frame(customers_to_frame([c])) == (c,)
>>> round_trip()
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from crmkit._validation import check_flag
from crmkit.codes import IRAN_NATIONAL_ID, iran_national_id_check_digit
from crmkit.domain import (
    Address,
    Channel,
    Complaint,
    ComplaintStage,
    ComplaintStep,
    ContactPoint,
    Customer,
    CustomerKind,
    CustomerStatus,
    Demographics,
    Direction,
    Gender,
    Interaction,
    InteractionKind,
    LifeEvent,
    LifeEventKind,
    MaritalStatus,
    Opportunity,
    OpportunityStage,
    PipelineStep,
    Relationship,
    RelationshipShape,
    RelationshipStage,
    SalePhase,
    StageChange,
)
from crmkit.domain.complaint import ALLOWED as COMPLAINT_MOVES
from crmkit.domain.relationship import ALLOWED as RELATIONSHIP_MOVES

__all__ = [
    "addresses",
    "aware_datetimes",
    "codes",
    "complaint_steps",
    "complaints",
    "contact_points",
    "customers",
    "demographics",
    "emails",
    "interactions",
    "life_events",
    "names",
    "national_ids",
    "opportunities",
    "phones",
    "pipeline_steps",
    "relationships",
    "stage_changes",
]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZابپتثجچحخدذرزسشصطعغفقکگلمنوهی"
# Zones without DST folds: Python (PEP 495) compares ambiguous or imaginary wall times in
# different zones as unequal even for the same instant, which would make round trips
# through a UTC column look lossy.
_ZONES = (dt.UTC, dt.timezone(dt.timedelta(hours=3, minutes=30), "IRST"), ZoneInfo("Asia/Tokyo"))
_DATES = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2050, 12, 31))


def codes(prefix: str = "CUST") -> st.SearchStrategy[str]:
    """Codes like ``CUST-000042``."""
    return st.integers(0, 999_999).map(lambda k: f"{prefix}-{k:06d}")


def names() -> st.SearchStrategy[str]:
    """Person or organisation names in Latin or Persian letters (one to three words)."""
    word = st.text(alphabet=_LETTERS, min_size=1, max_size=10)
    return st.lists(word, min_size=1, max_size=3).map(" ".join)


def national_ids() -> st.SearchStrategy[str]:
    """Valid Iranian national IDs (10 ASCII digits, check digit right) and foreign IDs
    written with a country prefix (``"DE-..."``), as :class:`~crmkit.domain.Customer`
    stores them."""
    iran = (
        st.integers(0, 10**9 - 1)
        .map(lambda k: f"{k:09d}")
        .map(lambda p: p + iran_national_id_check_digit(p))
        .filter(IRAN_NATIONAL_ID.is_valid)
    )
    foreign = st.tuples(st.sampled_from(["DE", "FR", "AF", "TR"]), st.integers(0, 10**8)).map(
        lambda t: f"{t[0]}-{t[1]}"
    )
    return iran | foreign


def addresses() -> st.SearchStrategy[Address]:
    """Postal addresses (Latin or Persian text), some with city, postal code, country."""
    return st.builds(
        Address,
        line=names(),
        city=st.none() | st.sampled_from(["Tehran", "Shiraz", "تبریز", "Berlin"]),
        postal_code=st.none() | st.integers(0, 10**10 - 1).map(lambda k: f"{k:010d}"),
        country=st.none() | st.sampled_from(["IR", "DE", "TR"]),
    )


def emails() -> st.SearchStrategy[str]:
    """Valid, already normalised e-mail addresses."""
    part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
    tld = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=4)
    return st.tuples(part, part, tld).map(lambda t: f"{t[0]}@{t[1]}.{t[2]}")


def phones() -> st.SearchStrategy[str]:
    """E.164 mobile numbers (Iranian ``+989...`` and others)."""
    iran = st.integers(0, 999_999_999).map(lambda k: f"+989{k:09d}")
    other = st.tuples(st.integers(1, 99), st.integers(10**6, 10**10)).map(
        lambda t: f"+{t[0]}{t[1]}"
    )
    return st.one_of(iran, other)


def aware_datetimes() -> st.SearchStrategy[dt.datetime]:
    """Tz-aware datetimes (UTC, UTC+03:30, Asia/Tokyo) between 1990 and 2040."""
    return st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2040, 1, 1),
        timezones=st.sampled_from(_ZONES),
        allow_imaginary=False,
    )


def contact_points() -> st.SearchStrategy[ContactPoint]:
    """E-mail, phone/mobile or postal-mail contact points.

    Some are drawn as users type them: e-mail addresses in upper case, Iranian mobile
    numbers in Persian digits with a trunk ``0`` (``default_country_code="98"``).
    """
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    return st.one_of(
        emails().map(lambda v: ContactPoint(channel=Channel.EMAIL, value=v)),
        emails().map(lambda v: ContactPoint(channel=Channel.EMAIL, value=v.upper())),
        st.integers(0, 999_999_999).map(
            lambda k: ContactPoint(
                channel=Channel.MOBILE,
                value=f"09{k:09d}".translate(persian),
                default_country_code="98",
            )
        ),
        st.tuples(st.sampled_from([Channel.PHONE, Channel.MOBILE]), phones()).map(
            lambda t: ContactPoint(channel=t[0], value=t[1])
        ),
        names().map(lambda v: ContactPoint(channel=Channel.MAIL, value=v)),
    )


def demographics() -> st.SearchStrategy[Demographics]:
    """Demographics with a birth date or an age band (never both)."""
    band = st.sampled_from(["18-24", "25-34", "35-44", "45-54", "55+"])
    return st.builds(
        Demographics,
        birth_date=st.none() | _DATES,
        gender=st.none() | st.sampled_from(Gender),
        income_band=st.none() | st.sampled_from(["low", "middle", "high"]),
    ) | st.builds(Demographics, age_band=band, gender=st.none() | st.sampled_from(Gender))


def life_events(*, allow_death: bool = False) -> st.SearchStrategy[LifeEvent]:
    """Single life events (death only if ``allow_death``); moves may carry an address
    and income changes an income band, as :meth:`~crmkit.domain.Customer.apply` reads."""
    check_flag(allow_death, name="allow_death")
    kinds = [k for k in LifeEventKind if allow_death or k is not LifeEventKind.DEATH]
    plain = st.builds(
        LifeEvent,
        kind=st.sampled_from(
            [k for k in kinds if k not in (LifeEventKind.MOVED, LifeEventKind.INCOME_CHANGE)]
        ),
        on=_DATES,
        detail=st.none() | names(),
    )
    moved = st.builds(
        LifeEvent,
        kind=st.just(LifeEventKind.MOVED),
        on=_DATES,
        detail=st.none() | names(),
        address=st.none() | addresses(),
    )
    income = st.builds(
        LifeEvent,
        kind=st.just(LifeEventKind.INCOME_CHANGE),
        on=_DATES,
        income_band=st.none() | st.sampled_from(["low", "middle", "high"]),
    )
    return plain | moved | income


@st.composite
def customers(draw: Any, *, code: str | None = None) -> Customer:
    """Valid customers; some with life events, some deceased, some with aliases."""
    kind = draw(st.sampled_from(CustomerKind))
    events = sorted(draw(st.lists(life_events(), max_size=3)), key=lambda e: e.on)
    status = draw(st.sampled_from([s for s in CustomerStatus if s is not CustomerStatus.DECEASED]))
    if draw(st.booleans()) and draw(st.booleans()):
        last = events[-1].on if events else dt.date(1990, 1, 1)
        death_on = draw(st.dates(min_value=last, max_value=dt.date(2060, 1, 1)))
        events.append(LifeEvent(kind=LifeEventKind.DEATH, on=death_on))
        status = CustomerStatus.DECEASED
    own = code if code is not None else draw(codes())
    aliases = draw(st.lists(codes("OLD"), max_size=2, unique=True))
    return Customer(
        code=own,
        name=draw(names()),
        kind=kind,
        demographics=draw(st.none() | demographics()) if kind is CustomerKind.PERSON else None,
        marital_status=(
            draw(st.none() | st.sampled_from(MaritalStatus))
            if kind is CustomerKind.PERSON
            else None
        ),
        address=draw(st.none() | addresses()),
        contacts=draw(st.lists(contact_points(), max_size=3)),
        tags=draw(st.lists(st.sampled_from(["vip", "b2b", "new", "loyal"]), max_size=3)),
        segment=draw(st.none() | st.sampled_from(["A", "B", "C"])),
        national_id=draw(st.none() | national_ids()),
        acquired_on=draw(st.none() | _DATES),
        acquisition_channel=draw(st.none() | st.sampled_from(Channel)),
        status=status,
        life_events=events,
        aliases=aliases,
    )


def stage_changes() -> st.SearchStrategy[StageChange]:
    """Single relationship stage changes (not reactivations)."""
    return st.builds(
        StageChange, stage=st.sampled_from(RelationshipStage), on=_DATES,
        reason=st.none() | st.sampled_from(["death", "moved abroad", "win-back"]),
    )  # fmt: skip


def complaint_steps() -> st.SearchStrategy[ComplaintStep]:
    """Single complaint response steps."""
    return st.builds(
        ComplaintStep, stage=st.sampled_from(ComplaintStage), at=aware_datetimes(),
        channel=st.none() | st.sampled_from(Channel), note=st.none() | names(),
    )  # fmt: skip


def pipeline_steps() -> st.SearchStrategy[PipelineStep]:
    """Single opportunity pipeline steps."""
    return st.builds(PipelineStep, stage=st.sampled_from(OpportunityStage), on=_DATES)


@st.composite
def relationships(draw: Any, *, max_moves: int = 5) -> Relationship:
    """Relationships with a random walk of allowed moves, including reactivations."""
    day = draw(_DATES)
    rel = Relationship.start(
        customer_code=draw(codes()),
        on=day,
        shape=draw(st.sampled_from(RelationshipShape)),
        stage=draw(
            st.sampled_from([RelationshipStage.ACQUAINTANCE, RelationshipStage.MAINTENANCE])
        ),
    )
    for _ in range(draw(st.integers(0, max_moves))):
        day = day + dt.timedelta(days=draw(st.integers(0, 400)))
        moves = RELATIONSHIP_MOVES[rel.stage]
        if moves:
            rel = rel.transition_to(draw(st.sampled_from(moves)), on=day)
        else:
            rel = rel.reactivate(on=day, stage=draw(st.sampled_from(list(RelationshipStage)[:2])))
    return rel


def interactions(
    customer_code: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Interaction]:
    """Valid interactions (tz-aware), purchases among them."""
    amount = st.none() | st.floats(0, 1e7, allow_nan=False, allow_infinity=False)
    return st.builds(
        Interaction,
        customer_code=customer_code if customer_code is not None else codes(),
        at=aware_datetimes(),
        channel=st.sampled_from(Channel),
        kind=st.sampled_from(InteractionKind),
        phase=st.sampled_from(SalePhase),
        direction=st.sampled_from(Direction),
        item_code=st.none() | codes("P"),
        amount=amount,
        outcome=st.none() | st.sampled_from(["purchase", "no answer", "call back"]),
        interaction_id=st.none() | codes("I"),
    )


@st.composite
def complaints(draw: Any, *, max_steps: int = 6) -> Complaint:
    """Complaints walked through allowed stages (reopen included) with rising times."""
    at = draw(aware_datetimes())
    c = Complaint.receive(
        complaint_id=draw(codes("K")),
        customer_code=draw(codes()),
        item_code=draw(codes("P")),
        at=at,
        channel=draw(st.none() | st.sampled_from(Channel)),
        characteristic=draw(st.none() | st.sampled_from(["quality", "delivery", "price"])),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        at = at + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
        stage: ComplaintStage = draw(st.sampled_from(COMPLAINT_MOVES[c.stage]))
        c = c.advance(stage, at=at, channel=draw(st.none() | st.sampled_from(Channel)),
                      note=draw(st.none() | names()))  # fmt: skip
    return c


@st.composite
def opportunities(draw: Any, *, currency: str | None = None) -> Opportunity:
    """Opportunities moved forward through the pipeline, some closed."""
    day = draw(_DATES)
    o = Opportunity.open(
        opportunity_id=draw(codes("O")),
        customer_code=draw(codes()),
        amount=draw(st.floats(0, 1e7, allow_nan=False, allow_infinity=False)),
        probability=draw(st.floats(0, 1)),
        expected_close=draw(st.dates(min_value=day, max_value=dt.date(2060, 1, 1))),
        on=day,
        currency=currency,
    )
    stages = list(OpportunityStage)
    for _ in range(draw(st.integers(0, 3))):
        if o.is_closed:
            break
        day = day + dt.timedelta(days=draw(st.integers(0, 90)))
        later = stages[stages.index(o.stage) + 1 :]
        o = o.advance(draw(st.sampled_from(later)), on=day)
    return o
