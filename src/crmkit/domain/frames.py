"""Bridges between domain objects and pandas DataFrames (lossless round trips).

Single records are attrs objects; populations are DataFrames. Each ``*_to_frame``
function documents its columns; the matching ``*_from_frame`` rebuilds equal objects
(``from_frame(to_frame(xs)) == xs``). Enumerations are stored as their string values,
dates as ``datetime64`` (midnight, naive), tz-aware timestamps as one tz-aware column
(in the objects' common time zone, or UTC if they differ: the same instants, so the
objects compare equal), nested collections as tuples of plain values in ``object``
columns. Missing values are ``NaN``/``NaT``/``None`` and read back as absent.

Examples
--------
>>> import datetime as dt
>>> from crmkit.domain import Customer, Interaction
>>> customers = [
...     Customer(code="C1", name="Sara", contacts=[{"channel": "e-mail", "value": "s@x.ir"}])
... ]
>>> frame = customers_to_frame(customers)
>>> frame.loc["C1", ["name", "email", "status"]].tolist()
['Sara', 's@x.ir', 'active']
>>> customers_from_frame(frame) == tuple(customers)
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

import pandas as pd

from crmkit._validation import require_columns
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.domain import _common as cv
from crmkit.domain.complaint import Complaint, ComplaintStep
from crmkit.domain.customer import (
    ContactPoint,
    Customer,
    Demographics,
    LifeEvent,
)
from crmkit.domain.interaction import Channel, Interaction
from crmkit.domain.opportunity import Opportunity, PipelineStep
from crmkit.domain.relationship import Relationship, StageChange
from crmkit.exceptions import InvalidValueError, ValidationError

__all__ = [
    "COMPLAINT_COLUMNS",
    "CUSTOMER_COLUMNS",
    "INTERACTION_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "RELATIONSHIP_COLUMNS",
    "complaints_from_frame",
    "complaints_to_frame",
    "customers_from_frame",
    "customers_to_frame",
    "interactions_from_frame",
    "interactions_to_frame",
    "opportunities_from_frame",
    "opportunities_to_frame",
    "relationships_from_frame",
    "relationships_to_frame",
]

CUSTOMER_COLUMNS: Final = (
    "name", "kind", "national_id", "birth_date", "age_band", "gender", "income_band",
    "email", "phone", "contacts", "tags", "segment", "acquired_on", "acquisition_channel",
    "status", "life_events", "aliases",
)  # fmt: skip
"""Columns of :func:`customers_to_frame`, in order (index ``customer_id``)."""

INTERACTION_COLUMNS: Final = (
    CUSTOMER_ID, DATETIME, "channel", "kind", "phase", "direction", "item_code", "amount",
    "currency", "outcome", "interaction_id",
)  # fmt: skip
"""Columns of :func:`interactions_to_frame`, in order."""

COMPLAINT_COLUMNS: Final = (
    "complaint_id", CUSTOMER_ID, "item_code", "characteristic", "step", "stage", DATETIME,
    "channel", "note",
)  # fmt: skip
"""Columns of :func:`complaints_to_frame` (one row per response step), in order."""

OPPORTUNITY_COLUMNS: Final = (
    "opportunity_id", CUSTOMER_ID, "amount", "currency", "probability", "stage",
    "expected_close", "opened_on", "history",
)  # fmt: skip
"""Columns of :func:`opportunities_to_frame`, in order."""

RELATIONSHIP_COLUMNS: Final = (
    CUSTOMER_ID, "counterparty", "shape", "step", "stage", "on", "reason", "reactivation",
)  # fmt: skip
"""Columns of :func:`relationships_to_frame` (one row per stage change), in order."""

T = TypeVar("T")


def _items(values: Iterable[Any], cls: type[T], name: str) -> list[T]:
    out = list(values)
    bad = [v for v in out if not isinstance(v, cls)]
    if bad:
        raise InvalidValueError(f"{name} must hold {cls.__name__} objects; got {bad[0]!r}.")
    return out


def _ev(x: Any) -> Any:
    return None if x is None else x.value


def _day(x: dt.date | None) -> Any:
    return pd.NaT if x is None else pd.Timestamp(x)


def _stamps(values: list[dt.datetime]) -> pd.Series:
    """Tz-aware datetime column: the common zone if all agree, else UTC."""
    if not values:
        return pd.Series([], dtype="datetime64[ns, UTC]")
    zones = {str(v.tzinfo) for v in values}
    utc = pd.to_datetime([pd.Timestamp(v).tz_convert("UTC") for v in values])
    if len(zones) == 1:
        return pd.Series(utc.tz_convert(values[0].tzinfo))
    return pd.Series(utc)


def _rows(frame: pd.DataFrame, build: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    """Build one object per row; an invalid row's error names its position and label."""
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    out = []
    for pos, (label, rec) in enumerate(zip(frame.index, records, strict=True)):
        try:
            out.append(build(rec))
        except ValidationError as exc:
            raise type(exc)(f"row {pos} (index {label!r}): {exc}") from exc
    return tuple(out)


def _none(value: Any) -> Any:
    return None if cv.is_missing(value) else value


def customers_to_frame(customers: Iterable[Customer]) -> pd.DataFrame:
    """Customers as a frame indexed by ``customer_id`` with :data:`CUSTOMER_COLUMNS`.

    ``email`` and ``phone`` hold the first e-mail and the first phone/mobile contact (for
    matching and analysis); ``contacts`` holds every contact point as
    ``(channel, value, default_country_code)`` tuples; ``life_events`` holds
    ``(kind, date, detail)`` tuples; ``tags`` and ``aliases`` tuples of strings.

    Raises
    ------
    InvalidValueError
        If an item is not a :class:`Customer` or two customers share a code.
    """
    items = _items(customers, Customer, "customers")
    codes = [c.code for c in items]
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise InvalidValueError(f"customer codes must be unique; repeated: {dup[:5]}.")
    rows = []
    for c in items:
        d = c.demographics or Demographics()
        phones = [p.value for p in c.contacts if p.channel in (Channel.PHONE, Channel.MOBILE)]
        emails = c.contact(Channel.EMAIL)
        rows.append(
            {
                "name": c.name,
                "kind": c.kind.value,
                "national_id": c.national_id,
                "birth_date": _day(d.birth_date),
                "age_band": d.age_band,
                "gender": _ev(d.gender),
                "income_band": d.income_band,
                "email": emails[0] if emails else None,
                "phone": phones[0] if phones else None,
                "contacts": tuple(
                    (p.channel.value, p.value, p.default_country_code) for p in c.contacts
                ),
                "tags": c.tags,
                "segment": c.segment,
                "acquired_on": _day(c.acquired_on),
                "acquisition_channel": _ev(c.acquisition_channel),
                "status": c.status.value,
                "life_events": tuple(
                    (e.kind.value, e.on.isoformat(), e.detail) for e in c.life_events
                ),
                "aliases": c.aliases,
            }
        )
    frame = pd.DataFrame(
        rows, columns=list(CUSTOMER_COLUMNS), index=pd.Index(codes, name=CUSTOMER_ID)
    )
    for col in ("birth_date", "acquired_on"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame


def customers_from_frame(
    frame: pd.DataFrame, *, default_country_code: str | None = None
) -> tuple[Customer, ...]:
    """Rebuild customers from a frame shaped like :func:`customers_to_frame`'s output.

    The index (or a ``customer_id`` column) gives the codes; ``name`` is required and
    every other column optional. When a ``contacts`` column is present it is the full
    list of contact points; otherwise ``email`` and ``phone`` become contact points,
    national phone numbers completed with ``default_country_code`` (``"98"`` for Iran).

    Raises
    ------
    MissingColumnsError
        Without ``name``.
    InvalidValueError
        For any invalid cell; the message names the field and value.
    """
    require_columns(frame, ["name"])
    df = frame.reset_index() if CUSTOMER_ID not in frame.columns else frame.reset_index(drop=True)
    if CUSTOMER_ID not in df.columns:
        raise InvalidValueError("customer codes must be the index or a 'customer_id' column.")
    df.index = frame.index  # error messages name the row by its own label

    def build(r: dict[str, Any]) -> Customer:
        rec = {k: _none(v) if not isinstance(v, tuple) else v for k, v in r.items()}
        demo_keys = ("birth_date", "age_band", "gender", "income_band")
        demo = {k: rec.get(k) for k in demo_keys if rec.get(k) is not None}
        if "contacts" in rec and rec["contacts"] is not None:
            contacts = [
                ContactPoint(channel=ch, value=v, default_country_code=cc)
                for ch, v, cc in rec["contacts"]
            ]
        else:
            contacts = [
                ContactPoint(channel=ch, value=rec[k], default_country_code=default_country_code)
                for k, ch in (("email", "e-mail"), ("phone", "phone"))
                if rec.get(k) is not None
            ]
        events = [
            LifeEvent(kind=k, on=on, detail=det) for k, on, det in rec.get("life_events") or ()
        ]
        return Customer(
            code=rec[CUSTOMER_ID],
            name=rec["name"],
            kind=rec.get("kind") or "person",
            demographics=Demographics(**demo) if demo else None,
            contacts=contacts,
            tags=rec.get("tags") or (),
            segment=rec.get("segment"),
            national_id=rec.get("national_id"),
            acquired_on=rec.get("acquired_on"),
            acquisition_channel=rec.get("acquisition_channel"),
            status=rec.get("status") or "active",
            life_events=events,
            aliases=rec.get("aliases") or (),
        )

    return _rows(df, build)


def interactions_to_frame(interactions: Iterable[Interaction]) -> pd.DataFrame:
    """Interactions as a frame with :data:`INTERACTION_COLUMNS` (one row each, in order).

    ``datetime`` is tz-aware (the common zone of the interactions, else UTC).

    Examples
    --------
    >>> import datetime as dt
    >>> from crmkit.domain import Interaction
    >>> i = Interaction(
    ...     customer_code="C1",
    ...     at=dt.datetime(2024, 1, 2, 8, tzinfo=dt.UTC),
    ...     channel="chat",
    ...     kind="service",
    ...     phase="after sale",
    ...     direction="inbound",
    ... )
    >>> interactions_to_frame([i]).loc[0, ["customer_id", "channel", "phase"]].tolist()
    ['C1', 'chat', 'after sale']
    """
    items = _items(interactions, Interaction, "interactions")
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: [i.customer_code for i in items],
            DATETIME: _stamps([i.at for i in items]),
            "channel": [i.channel.value for i in items],
            "kind": [i.kind.value for i in items],
            "phase": [i.phase.value for i in items],
            "direction": [i.direction.value for i in items],
            "item_code": [i.item_code for i in items],
            "amount": pd.array([i.amount for i in items], dtype="Float64").astype(float),
            "currency": [i.currency for i in items],
            "outcome": [i.outcome for i in items],
            "interaction_id": [i.interaction_id for i in items],
        },
        columns=list(INTERACTION_COLUMNS),
    )
    return frame


def interactions_from_frame(frame: pd.DataFrame) -> tuple[Interaction, ...]:
    """Rebuild interactions from a frame with at least ``customer_id``, ``datetime``,
    ``channel``, ``kind``, ``phase`` and ``direction`` (naive timestamps are refused)."""
    require_columns(frame, list(INTERACTION_COLUMNS[:6]))
    cols = [c for c in INTERACTION_COLUMNS if c in frame.columns]

    def build(r: dict[str, Any]) -> Interaction:
        rec = {k: _none(r[k]) for k in cols}
        rec["at"] = rec.pop(DATETIME)
        return Interaction.from_record(rec)

    return _rows(frame[cols], build)


def complaints_to_frame(complaints: Iterable[Complaint]) -> pd.DataFrame:
    """Complaints in long form: one row per response step, :data:`COMPLAINT_COLUMNS`.

    ``step`` numbers the steps of each complaint from 0 (``received``).
    """
    items = _items(complaints, Complaint, "complaints")
    ids = [c.complaint_id for c in items]
    if len(set(ids)) != len(ids):
        raise InvalidValueError("complaint ids must be unique.")
    rows = [
        (c.complaint_id, c.customer_code, c.item_code, c.characteristic, k, s.stage.value,
         _ev(s.channel), s.note)
        for c in items
        for k, s in enumerate(c.steps)
    ]  # fmt: skip
    stamps = [s.at for c in items for s in c.steps]
    cols = [c for c in COMPLAINT_COLUMNS if c != DATETIME]
    frame = pd.DataFrame(rows, columns=cols)
    frame["step"] = frame["step"].astype("int64")
    frame.insert(6, DATETIME, _stamps(stamps))
    return frame


def complaints_from_frame(frame: pd.DataFrame) -> tuple[Complaint, ...]:
    """Rebuild complaints from the long form of :func:`complaints_to_frame`.

    Rows are grouped by ``complaint_id`` (first-appearance order) and ordered by ``step``.
    """
    require_columns(
        frame, [c for c in COMPLAINT_COLUMNS if c not in ("characteristic", "note", "channel")]
    )
    out = []
    for cid, g in frame.groupby("complaint_id", sort=False):
        g = g.sort_values("step")
        first = g.iloc[0]
        steps = [
            ComplaintStep(stage=r["stage"], at=r[DATETIME], channel=_none(r.get("channel")),
                          note=_none(r.get("note")))
            for r in g.to_dict(orient="records")
        ]  # fmt: skip
        out.append(
            Complaint(
                complaint_id=str(cid),
                customer_code=first[CUSTOMER_ID],
                item_code=first["item_code"],
                characteristic=_none(first.get("characteristic")),
                steps=steps,
            )
        )
    return tuple(out)


def opportunities_to_frame(opportunities: Iterable[Opportunity]) -> pd.DataFrame:
    """Opportunities as a frame with :data:`OPPORTUNITY_COLUMNS` (one row each).

    ``stage`` is the current stage, ``opened_on`` the first history date and
    ``history`` the full stage history as ``(stage, ISO date)`` tuples.
    """
    items = _items(opportunities, Opportunity, "opportunities")
    frame = pd.DataFrame(
        {
            "opportunity_id": [o.opportunity_id for o in items],
            CUSTOMER_ID: [o.customer_code for o in items],
            "amount": [o.amount for o in items],
            "currency": [o.currency for o in items],
            "probability": [o.probability for o in items],
            "stage": [o.stage.value for o in items],
            "expected_close": pd.to_datetime([o.expected_close for o in items]),
            "opened_on": pd.to_datetime([o.opened_on for o in items]),
            "history": [
                tuple((s.stage.value, s.on.isoformat()) for s in o.history) for o in items
            ],
        },
        columns=list(OPPORTUNITY_COLUMNS),
    )
    frame["amount"] = frame["amount"].astype(float)
    frame["probability"] = frame["probability"].astype(float)
    return frame


def opportunities_from_frame(frame: pd.DataFrame) -> tuple[Opportunity, ...]:
    """Rebuild opportunities from :func:`opportunities_to_frame`'s output.

    Without a ``history`` column the history is ``prospecting`` on ``opened_on``
    followed by the current ``stage`` on ``opened_on`` (if different).
    """
    require_columns(
        frame, ["opportunity_id", CUSTOMER_ID, "amount", "probability", "stage",
                "expected_close", "opened_on"],
    )  # fmt: skip

    def build(r: dict[str, Any]) -> Opportunity:
        hist = r.get("history")
        if hist is None or cv.is_missing(hist):
            hist = [("prospecting", r["opened_on"])]
            if r["stage"] != "prospecting":
                hist.append((r["stage"], r["opened_on"]))
        return Opportunity(
            opportunity_id=r["opportunity_id"],
            customer_code=r[CUSTOMER_ID],
            amount=r["amount"],
            probability=r["probability"],
            expected_close=r["expected_close"],
            history=[PipelineStep(stage=s, on=on) for s, on in hist],
            currency=_none(r.get("currency")),
        )

    return _rows(frame, build)


def relationships_to_frame(relationships: Iterable[Relationship]) -> pd.DataFrame:
    """Relationships in long form: one row per stage change, :data:`RELATIONSHIP_COLUMNS`.

    ``step`` numbers the changes of each relationship from 0; ``on`` is a ``datetime64``
    date; ``reactivation`` is boolean. A relationship is identified by its
    (``customer_id``, ``counterparty``) pair, which must be unique.

    Examples
    --------
    >>> from crmkit.domain import Relationship
    >>> r = Relationship.start(customer_code="C1", on="2023-01-01").terminate(on="2024-01-01")
    >>> relationships_to_frame([r])[["customer_id", "step", "stage"]].values.tolist()
    [['C1', 0, 'acquaintance'], ['C1', 1, 'termination']]
    """
    items = _items(relationships, Relationship, "relationships")
    keys = [(r.customer_code, r.counterparty) for r in items]
    if len(set(keys)) != len(keys):
        raise InvalidValueError(
            "each (customer, counterparty) pair may have one relationship; repeated: "
            f"{sorted({k for k in keys if keys.count(k) > 1})[:5]}."
        )
    rows = [
        (r.customer_code, r.counterparty, r.shape.value, k, c.stage.value, pd.Timestamp(c.on),
         c.reason, c.reactivation)
        for r in items
        for k, c in enumerate(r.history)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(RELATIONSHIP_COLUMNS))
    frame["step"] = frame["step"].astype("int64")
    frame["on"] = pd.to_datetime(frame["on"]).astype("datetime64[ns]")
    frame["reactivation"] = frame["reactivation"].astype(bool)
    return frame


def relationships_from_frame(frame: pd.DataFrame) -> tuple[Relationship, ...]:
    """Rebuild relationships from the long form of :func:`relationships_to_frame`.

    Rows are grouped by (``customer_id``, ``counterparty``) in first-appearance order and
    ordered by ``step``; every history is validated again.
    """
    require_columns(frame, [CUSTOMER_ID, "counterparty", "shape", "step", "stage", "on"])
    out = []
    for (code, party), g in frame.groupby([CUSTOMER_ID, "counterparty"], sort=False):
        g = g.sort_values("step")
        changes = [
            StageChange(stage=r["stage"], on=r["on"], reason=_none(r.get("reason")),
                        reactivation=bool(r.get("reactivation", False)))
            for r in g.to_dict(orient="records")
        ]  # fmt: skip
        try:
            out.append(
                Relationship(
                    customer_code=str(code),
                    counterparty=str(party),
                    shape=g["shape"].iloc[0],
                    history=changes,
                )
            )
        except ValidationError as exc:
            raise type(exc)(f"relationship of {code!r} with {party!r}: {exc}") from exc
    return tuple(out)
