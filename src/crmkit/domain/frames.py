"""Bridges between domain objects and pandas DataFrames (lossless round trips).

Single records are attrs objects; populations are DataFrames. Each ``*_to_frame``
function documents its columns; the matching ``*_from_frame`` rebuilds equal objects
(``from_frame(to_frame(xs)) == xs``). Enumerations are stored as their string values,
dates as ``datetime64`` (midnight, naive), tz-aware timestamps as one tz-aware column
(in the objects' common time zone, or UTC if they differ) next to a ``time_zone``
column naming each timestamp's own zone, so local wall times and offsets survive mixed
zones; nested collections as tuples of plain values in ``object`` columns (a customer's
life events, which nest addresses, as JSON text). Missing values are
``NaN``/``NaT``/``None`` (and, from a CSV file read as text, empty strings) and read
back as absent.

Every ``*_from_frame`` keeps or refuses each row, never drops one: a row whose key is
missing, or whose cells cannot be read, raises an error naming the row.

**Saving frames: one convention for every domain frame.**

=========  ===================================  =========================================
format     write                                read, then ``*_from_frame``
=========  ===================================  =========================================
CSV        ``frame.to_csv(path, index=False)``  :func:`read_frame_csv` (``pandas.read_csv``
                                                with ``dtype=str, keep_default_na=False``)
Parquet    ``frame.to_parquet(path)``           ``pandas.read_parquet(path)``
JSON       :func:`frame_to_json`                :func:`frame_from_json`
=========  ===================================  =========================================

CSV cells are read as text so that codes keep their leading zeros and texts such as
``"NA"`` stay text; each ``*_from_frame`` parses numbers, whole numbers, flags
(``True``/``False``), ISO dates and timestamps, time zones and tuples from that text
by the column's kind (an unreadable cell raises, naming row, column and value). A CSV
read with numeric columns as numbers works too. For JSON use :func:`frame_to_json`:
pandas' ``to_json`` keeps at most 15 significant digits, so amounts would not come back
exactly. The customers' frame is indexed by ``customer_id``: write it to CSV with its
index (``frame.to_csv(path)``, which makes ``customer_id`` a column);
:func:`customers_from_frame` takes the codes from the index or from that column.

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
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit._validation import require_columns
from crmkit.codes._base import show
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.domain import _common as cv
from crmkit.domain import _frame_cells as cells
from crmkit.domain import _frame_io as fio
from crmkit.domain._customer_frames import (
    CUSTOMER_COLUMNS,
    customers_from_frame,
    customers_to_frame,
)
from crmkit.domain._frame_io import frame_from_json, frame_to_json, read_frame_csv
from crmkit.domain.complaint import Complaint, ComplaintStep
from crmkit.domain.interaction import Interaction
from crmkit.domain.opportunity import Opportunity, PipelineStep
from crmkit.domain.relationship import Relationship, StageChange
from crmkit.exceptions import CrmkitError, InvalidValueError

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
    "frame_from_json",
    "frame_to_json",
    "interactions_from_frame",
    "interactions_to_frame",
    "opportunities_from_frame",
    "opportunities_to_frame",
    "read_frame_csv",
    "relationships_from_frame",
    "relationships_to_frame",
]

INTERACTION_COLUMNS: Final = (
    CUSTOMER_ID, DATETIME, "time_zone", "channel", "kind", "phase", "direction", "item_code",
    "amount", "currency", "outcome", "interaction_id",
)  # fmt: skip
"""Columns of :func:`interactions_to_frame`, in order."""

COMPLAINT_COLUMNS: Final = (
    "complaint_id", CUSTOMER_ID, "item_code", "characteristic", "step", "stage", DATETIME,
    "time_zone", "channel", "note",
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

# Column kinds of the frames, read back by _frame_io.decode after any file format.
_T, _N, _I, _B, _D = fio.TEXT, fio.NUMBER, fio.INT, fio.BOOL, fio.DATE
_INTERACTION_SCHEMA: Final = {
    CUSTOMER_ID: _T, DATETIME: fio.INSTANT, "time_zone": fio.ZONE, "channel": _T,
    "kind": _T, "phase": _T, "direction": _T, "item_code": _T, "amount": _N,
    "currency": _T, "outcome": _T, "interaction_id": _T,
}  # fmt: skip
_COMPLAINT_SCHEMA: Final = {
    "complaint_id": _T, CUSTOMER_ID: _T, "item_code": _T, "characteristic": _T, "step": _I,
    "stage": _T, DATETIME: fio.INSTANT, "time_zone": fio.ZONE, "channel": _T, "note": _T,
}  # fmt: skip
_OPPORTUNITY_SCHEMA: Final = {
    "opportunity_id": _T, CUSTOMER_ID: _T, "amount": _N, "currency": _T,
    "probability": _N, "stage": _T, "expected_close": _D, "opened_on": _D,
    "history": fio.tuples(2),
}  # fmt: skip
_RELATIONSHIP_SCHEMA: Final = {
    CUSTOMER_ID: _T, "counterparty": _T, "shape": _T, "step": _I, "stage": _T, "on": _D,
    "reason": _T, "reactivation": _B,
}  # fmt: skip


def _at(instant: Any, zone: Any) -> Any:
    """A row's timestamp on the wall clock of its ``time_zone`` cell (if any)."""
    return fio.local_time(instant, zone)


def _int_cell(column: str, value: Any) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        hint = " (read the CSV without dtype=str)" if isinstance(value, str) else ""
        raise InvalidValueError(f"{column}={show(value)} must be an integer{hint}.")
    number = float(value)
    if not number.is_integer():
        raise InvalidValueError(f"{column}={show(value)} must be a whole number.")
    return int(number)


def _by_step(
    positions: Sequence[int], rows: Sequence[dict[str, Any]], what: str
) -> list[dict[str, Any]]:
    """The rows of one record ordered by their ``step`` cell; a repeated step is refused."""
    steps: dict[int, tuple[int, dict[str, Any]]] = {}
    for pos, r in zip(positions, rows, strict=True):
        k = _int_cell("step", r["step"])
        if k in steps:
            raise InvalidValueError(
                f"step {k} appears twice (rows {steps[k][0]} and {pos}); number the "
                f"{what} 0, 1, 2, ..."
            )
        steps[k] = (pos, r)
    return [steps[k][1] for k in sorted(steps)]


def _key_cell(column: str, value: Any) -> str:
    """A key cell (complaint id, customer code ...): text, never missing."""
    if cv.is_missing(value) or (isinstance(value, str) and not value.strip()):
        raise InvalidValueError(f"{column} is missing")
    return cv.text(column)(value)


def _stamps(values: list[dt.datetime]) -> pd.Series:
    """Tz-aware datetime column: the common zone if all agree, else UTC."""
    if not values:
        return pd.Series([], dtype="datetime64[ns, UTC]")
    zones = {str(v.tzinfo) for v in values}
    utc = pd.to_datetime([pd.Timestamp(v).tz_convert("UTC") for v in values])
    if len(zones) == 1:
        return pd.Series(utc.tz_convert(values[0].tzinfo))
    return pd.Series(utc)


def _groups(
    frame: pd.DataFrame, keys: list[str], what: str
) -> list[tuple[tuple[str, ...], list[int]]]:
    """Row positions per key in first-appearance order; rows without a key are refused."""
    cols = [frame[k].tolist() for k in keys]
    groups: dict[tuple[str, ...], list[int]] = {}
    bad: list[str] = []
    for pos, values in enumerate(zip(*cols, strict=True)):
        try:
            key = tuple(_key_cell(k, v) for k, v in zip(keys, values, strict=True))
        except CrmkitError as exc:
            bad.append(f"row {pos} (index {show(frame.index[pos])}): {exc}")
            continue
        groups.setdefault(key, []).append(pos)
    if bad:
        shown = "; ".join(bad[:10]) + (f"; ... and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise InvalidValueError(
            f"{len(bad)} row(s) have no usable {' / '.join(keys)}, so they cannot be "
            f"assigned to a {what}: {shown}. Fill in the key (or drop those rows "
            "deliberately) before loading."
        )
    return list(groups.items())


def _same_in_group(
    rows: list[dict[str, Any]], column: str, key: tuple[str, ...], what: str
) -> Any:
    """The one value of a per-object column across the rows of one object."""
    values = [cells.none(r.get(column)) for r in rows]
    distinct: list[Any] = []
    for v in values:
        if not any(v is d or (type(v) is type(d) and v == d) for d in distinct):
            distinct.append(v)
    if len(distinct) > 1:
        raise InvalidValueError(
            f"the rows of {what} {key!r} disagree on {column}: {show(distinct[:5])}; one "
            f"{what} has one {column}."
        )
    return distinct[0]


def interactions_to_frame(interactions: Iterable[Interaction]) -> pd.DataFrame:
    """Interactions as a frame with :data:`INTERACTION_COLUMNS` (one row each, in order).

    ``datetime`` is tz-aware (the common zone of the interactions, else UTC) and
    ``time_zone`` names each interaction's own zone (``"Asia/Tehran"``, ``"UTC"``,
    ``"+03:30"``), so :func:`interactions_from_frame` gives back every timestamp on its
    own wall clock and offset, even when the zones are mixed.

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
    items = cells.items_of(interactions, Interaction, "interactions")
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: [i.customer_code for i in items],
            DATETIME: _stamps([i.at for i in items]),
            "time_zone": [fio.zone_name(i.at) for i in items],
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
    ``channel``, ``kind``, ``phase`` and ``direction`` (naive timestamps are refused).

    With a ``time_zone`` column each timestamp is put back on that zone's wall clock;
    the frame may come from any of the formats of the module docstring.
    """
    frame = cells.the_frame(frame)
    required = [CUSTOMER_ID, DATETIME, "channel", "kind", "phase", "direction"]
    require_columns(frame, required)
    cols = [c for c in INTERACTION_COLUMNS if c in frame.columns]
    decoded = fio.decode(frame[cols], _INTERACTION_SCHEMA, what="interactions")

    def build(r: dict[str, Any]) -> Interaction:
        rec = dict(r)
        rec["at"] = _at(rec.pop(DATETIME), rec.pop("time_zone", None))
        return Interaction.from_record(rec)

    return cells.rows(decoded, build)


def complaints_to_frame(complaints: Iterable[Complaint]) -> pd.DataFrame:
    """Complaints in long form: one row per response step, :data:`COMPLAINT_COLUMNS`.

    ``step`` numbers the steps of each complaint from 0 (``received``); ``datetime`` is
    tz-aware (the common zone, else UTC) and ``time_zone`` names each step's own zone,
    so mixed zones come back on their own wall clocks and offsets.

    Examples
    --------
    >>> import datetime as dt
    >>> from crmkit.domain import Complaint
    >>> tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    >>> c = Complaint.receive(
    ...     complaint_id="K1",
    ...     customer_code="C1",
    ...     item_code="P1",
    ...     at=dt.datetime(2024, 5, 1, 9, tzinfo=tehran),
    ... ).advance("resolved", at=dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC))
    >>> f = complaints_to_frame([c])
    >>> f[["stage", "datetime", "time_zone"]].astype(str).values.tolist()
    [['received', '2024-05-01 05:30:00+00:00', '+03:30'], \
['resolved', '2024-05-01 08:00:00+00:00', 'UTC']]
    >>> complaints_from_frame(f)[0].received_at.isoformat()
    '2024-05-01T09:00:00+03:30'
    """
    items = cells.items_of(complaints, Complaint, "complaints")
    ids = [c.complaint_id for c in items]
    if len(set(ids)) != len(ids):
        raise InvalidValueError("complaint ids must be unique.")
    rows = [
        (c.complaint_id, c.customer_code, c.item_code, c.characteristic, k, s.stage.value,
         cells.enum_value(s.channel), s.note)
        for c in items
        for k, s in enumerate(c.steps)
    ]  # fmt: skip
    stamps = [s.at for c in items for s in c.steps]
    cols = [c for c in COMPLAINT_COLUMNS if c not in (DATETIME, "time_zone")]
    frame = pd.DataFrame(rows, columns=cols)
    frame["step"] = frame["step"].astype("int64")
    frame.insert(6, DATETIME, _stamps(stamps))
    frame.insert(7, "time_zone", pd.Series([fio.zone_name(t) for t in stamps], dtype=object))
    return frame


def complaints_from_frame(frame: pd.DataFrame) -> tuple[Complaint, ...]:
    """Rebuild complaints from the long form of :func:`complaints_to_frame`.

    Rows are grouped by ``complaint_id`` (first-appearance order) and ordered by ``step``.
    No row is dropped: a row without a ``complaint_id`` is refused, and so are rows of
    one complaint that disagree on ``customer_id``, ``item_code`` or
    ``characteristic``, or repeat a ``step`` number.

    Raises
    ------
    MissingColumnsError
        Without the required columns.
    InvalidValueError
        For rows without a complaint id (all of them are named), conflicting rows or any
        invalid cell; the message names the row or complaint.
    """
    frame = cells.the_frame(frame)
    require_columns(
        frame, [c for c in COMPLAINT_COLUMNS if c not in ("characteristic", "note", "channel")]
    )
    frame = fio.decode(frame, _COMPLAINT_SCHEMA, what="complaints")
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    out = []
    for (cid,), positions in _groups(frame, ["complaint_id"], "complaint"):
        rows = [records[p] for p in positions]
        try:
            ordered = _by_step(positions, rows, "steps of a complaint")
            out.append(
                Complaint(
                    complaint_id=cid,
                    customer_code=_same_in_group(rows, CUSTOMER_ID, (cid,), "complaint"),
                    item_code=_same_in_group(rows, "item_code", (cid,), "complaint"),
                    characteristic=_same_in_group(rows, "characteristic", (cid,), "complaint"),
                    steps=[
                        ComplaintStep(
                            stage=r["stage"],
                            at=_at(r[DATETIME], r.get("time_zone")),
                            channel=cells.none(r.get("channel")),
                            note=cells.none(r.get("note")),
                        )
                        for r in ordered
                    ],
                )
            )
        except CrmkitError as exc:
            raise cells.rewrap(exc, f"complaint {cid!r} (rows {positions[:10]}): {exc}") from exc
    return tuple(out)


def opportunities_to_frame(opportunities: Iterable[Opportunity]) -> pd.DataFrame:
    """Opportunities as a frame with :data:`OPPORTUNITY_COLUMNS` (one row each).

    ``stage`` is the current stage, ``opened_on`` the first history date and
    ``history`` the full stage history as ``(stage, ISO date)`` tuples.
    """
    items = cells.items_of(opportunities, Opportunity, "opportunities")
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
    frame = cells.the_frame(frame)
    require_columns(
        frame, ["opportunity_id", CUSTOMER_ID, "amount", "probability", "stage",
                "expected_close", "opened_on"],
    )  # fmt: skip
    decoded = fio.decode(frame, _OPPORTUNITY_SCHEMA, what="opportunities")

    def build(r: dict[str, Any]) -> Opportunity:
        hist: list[tuple[Any, Any]] = list(r.get("history") or ())
        if not hist:
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
            currency=r.get("currency"),
        )

    return cells.rows(decoded, build)


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
    items = cells.items_of(relationships, Relationship, "relationships")
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
    ordered by ``step``; every history is validated again. No row is dropped: rows
    without a customer or counterparty are refused (all named), and so are rows of one
    relationship that disagree on ``shape`` or repeat a ``step`` number.
    ``reactivation`` must be a bool (``True``/``False`` text after a CSV trip).
    """
    frame = cells.the_frame(frame)
    require_columns(frame, [CUSTOMER_ID, "counterparty", "shape", "step", "stage", "on"])
    frame = fio.decode(frame, _RELATIONSHIP_SCHEMA, what="relationships")
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    out = []
    for (code, party), positions in _groups(frame, [CUSTOMER_ID, "counterparty"], "relationship"):
        rows = [records[p] for p in positions]
        try:
            ordered = _by_step(positions, rows, "stage changes of a relationship")
            changes = [
                StageChange(
                    stage=r["stage"],
                    on=r["on"],
                    reason=cells.none(r.get("reason")),
                    reactivation=bool(r.get("reactivation") or False),
                )
                for r in ordered
            ]
            out.append(
                Relationship(
                    customer_code=code,
                    counterparty=party,
                    shape=_same_in_group(rows, "shape", (code, party), "relationship"),
                    history=changes,
                )
            )
        except CrmkitError as exc:
            raise cells.rewrap(exc, f"relationship of {code!r} with {party!r}: {exc}") from exc
    return tuple(out)
