"""Customer frames: :func:`customers_to_frame` and :func:`customers_from_frame` (private
module; public through :mod:`crmkit.domain.frames` and :mod:`crmkit.domain`).

The customers' frame follows the one file convention of every domain frame (see
:mod:`crmkit.domain.frames`): its cells are read back by
:func:`crmkit.domain._frame_io.decode` with :data:`CUSTOMER_SCHEMA`, whatever format the
frame went through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit._validation import require_columns
from crmkit.codes._base import show
from crmkit.columns import CUSTOMER_ID
from crmkit.domain import _frame_cells as cells
from crmkit.domain import _frame_io as fio
from crmkit.domain.customer import ContactPoint, Customer, Demographics, LifeEvent
from crmkit.domain.interaction import Channel
from crmkit.exceptions import InvalidValueError

__all__ = ["CUSTOMER_COLUMNS", "CUSTOMER_SCHEMA", "customers_from_frame", "customers_to_frame"]

CUSTOMER_COLUMNS: Final = (
    "name", "kind", "national_id", "birth_date", "age_band", "gender", "income_band",
    "marital_status", "address_line", "address_city", "address_postal_code",
    "address_country", "email", "phone", "contacts", "tags", "segment", "acquired_on",
    "acquisition_channel", "status", "life_events", "aliases",
)  # fmt: skip
"""Columns of :func:`customers_to_frame`, in order (index ``customer_id``)."""

_T, _D = fio.TEXT, fio.DATE
CUSTOMER_SCHEMA: Final = {
    CUSTOMER_ID: _T, "name": _T, "kind": _T, "national_id": _T, "birth_date": _D,
    "age_band": _T, "gender": _T, "income_band": _T, "marital_status": _T,
    "address_line": _T, "address_city": _T, "address_postal_code": _T,
    "address_country": _T, "email": _T, "phone": _T, "contacts": fio.tuples(3),
    "tags": fio.tuples(), "segment": _T, "acquired_on": _D, "acquisition_channel": _T,
    "status": _T, "life_events": fio.tuples(), "aliases": fio.tuples(),
}  # fmt: skip
"""Column kinds of the customers' frame, read back by :func:`~crmkit.domain._frame_io.decode`
(``life_events``: the JSON text of a list of records is read as that list)."""


def customers_to_frame(customers: Iterable[Customer]) -> pd.DataFrame:
    """Customers as a frame indexed by ``customer_id`` with :data:`CUSTOMER_COLUMNS`.

    ``email`` and ``phone`` hold the first e-mail and the first phone/mobile contact (for
    matching and analysis); ``contacts`` holds every contact point as
    ``(channel, value, default_country_code)`` tuples; ``tags`` and ``aliases`` tuples
    of strings; the address is spread over ``address_line``, ``address_city``,
    ``address_postal_code`` and ``address_country``. ``life_events`` holds JSON text:
    the list of :meth:`LifeEvent.to_record <crmkit.domain.LifeEvent.to_record>` records
    (events carry nested values such as a new address, which a flat tuple cannot).

    The frame follows the file convention of every domain frame (module docstring of
    :mod:`crmkit.domain.frames`) and reads back to equal customers with
    :func:`customers_from_frame`: CSV written with its index (``frame.to_csv(path)``,
    so ``customer_id`` is a column) and read with
    :func:`~crmkit.domain.read_frame_csv`; Parquet; JSON through
    :func:`~crmkit.domain.frame_to_json` / :func:`~crmkit.domain.frame_from_json`.
    A single customer also persists as ``json.dumps(customer.to_record())``.

    Raises
    ------
    InvalidValueError
        If an item is not a :class:`Customer` or two customers share a code.

    Examples
    --------
    >>> import io
    >>> from crmkit.domain import Customer, LifeEvent, read_frame_csv
    >>> c = Customer(code="C1", name="Sara", national_id="0499370899", tags=["vip"])
    >>> c = c.apply(LifeEvent(kind="moved", on="2024-05-01", address="5 Hafez St"))
    >>> text = customers_to_frame([c]).to_csv()
    >>> customers_from_frame(read_frame_csv(io.StringIO(text))) == (c,)
    True
    """
    items = cells.items_of(customers, Customer, "customers")
    codes = [c.code for c in items]
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise InvalidValueError(f"customer codes must be unique; repeated: {dup[:5]}.")
    rows = []
    for c in items:
        d = c.demographics or Demographics()
        phones = [p.value for p in c.contacts if p.channel in (Channel.PHONE, Channel.MOBILE)]
        emails = c.contact(Channel.EMAIL)
        addr = c.address
        rows.append(
            {
                "name": c.name,
                "kind": c.kind.value,
                "national_id": c.national_id,
                "birth_date": cells.day(d.birth_date),
                "age_band": d.age_band,
                "gender": cells.enum_value(d.gender),
                "income_band": d.income_band,
                "marital_status": cells.enum_value(c.marital_status),
                "address_line": None if addr is None else addr.line,
                "address_city": None if addr is None else addr.city,
                "address_postal_code": None if addr is None else addr.postal_code,
                "address_country": None if addr is None else addr.country,
                "email": emails[0] if emails else None,
                "phone": phones[0] if phones else None,
                "contacts": tuple(
                    (p.channel.value, p.value, p.default_country_code) for p in c.contacts
                ),
                "tags": c.tags,
                "segment": c.segment,
                "acquired_on": cells.day(c.acquired_on),
                "acquisition_channel": cells.enum_value(c.acquisition_channel),
                "status": c.status.value,
                "life_events": json.dumps(
                    [e.to_record() for e in c.life_events], ensure_ascii=False
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


_ADDRESS_COLUMNS: Final = {
    "address_line": "line",
    "address_city": "city",
    "address_postal_code": "postal_code",
    "address_country": "country",
}


def _life_events(value: tuple[Any, ...]) -> list[LifeEvent]:
    """The decoded ``life_events`` cell: records (from the JSON text or its parsed list),
    or the ``(kind, date, detail)`` tuples earlier versions wrote."""
    out = []
    for item in value:
        if isinstance(item, Mapping):
            out.append(LifeEvent.from_record(item))
            continue
        if isinstance(item, np.ndarray):
            item = item.tolist()
        if not isinstance(item, tuple | list) or len(item) != 3:
            raise InvalidValueError(
                f"life_events holds {show(item)}; every item must be a LifeEvent record "
                "(a JSON object with kind, on ...) or a (kind, date, detail) tuple."
            )
        kind, on, detail = item
        out.append(LifeEvent(kind=kind, on=on, detail=cells.none(detail)))
    return out


def customers_from_frame(
    frame: pd.DataFrame, *, default_country_code: str | None = None
) -> tuple[Customer, ...]:
    """Rebuild customers from a frame shaped like :func:`customers_to_frame`'s output.

    The index (or a ``customer_id`` column) gives the codes; ``name`` is required and
    every other column optional. When a ``contacts`` column is present it is the full
    list of contact points; otherwise ``email`` and ``phone`` become contact points,
    national phone numbers completed with ``default_country_code`` (``"98"`` for Iran).
    The frame may come back from CSV, Parquet or JSON as the module docstring of
    :mod:`crmkit.domain.frames` says: every cell is read by its column's kind (text,
    ISO date, tuple), so a CSV read with every cell as text, Parquet's arrays and
    JSON's lists all give equal customers.

    Raises
    ------
    MissingColumnsError
        Without ``name``.
    InvalidValueError
        For any invalid cell; the message names the row, field and value (a code or
        national ID read as a number names the fix: read the CSV with
        :func:`~crmkit.domain.read_frame_csv`).

    Examples
    --------
    >>> import pandas as pd
    >>> plain = pd.DataFrame({"customer_id": ["C1"], "name": ["Sara"], "phone": ["۰۹۱۲۳۴۵۶۷۸۹"]})
    >>> customers_from_frame(plain, default_country_code="98")[0].contacts[0].value
    '+989123456789'
    """
    frame = cells.the_frame(frame)
    require_columns(frame, ["name"])
    df = frame.reset_index() if CUSTOMER_ID not in frame.columns else frame.reset_index(drop=True)
    if CUSTOMER_ID not in df.columns:
        raise InvalidValueError("customer codes must be the index or a 'customer_id' column.")
    df.index = frame.index  # error messages name the row by its own label
    decoded = fio.decode(df, CUSTOMER_SCHEMA, what="customers")

    def build(r: dict[str, Any]) -> Customer:
        rec = {k: cells.none(v) if CUSTOMER_SCHEMA.get(k) == _T else v for k, v in r.items()}
        demo_keys = ("birth_date", "age_band", "gender", "income_band")
        demo = {k: rec.get(k) for k in demo_keys if rec.get(k) is not None}
        if rec.get("contacts"):  # the full list; else e-mail and phone columns
            contacts = [
                ContactPoint.from_record({"channel": ch, "value": v, "default_country_code": cc})
                for ch, v, cc in rec["contacts"]
            ]
        else:
            contacts = [
                ContactPoint.from_record(
                    {"channel": ch, "value": rec[k], "default_country_code": default_country_code}
                )
                for k, ch in (("email", "e-mail"), ("phone", "phone"))
                if rec.get(k) is not None
            ]
        address = {f: rec.get(col) for col, f in _ADDRESS_COLUMNS.items()}
        if all(v is None for v in address.values()):
            address_record = None
        elif address["line"] is None:
            raise InvalidValueError(
                f"address_line is missing but {_present(address)} is given; an address "
                "needs its line (street, number ...)."
            )
        else:
            address_record = address
        return Customer.from_record(
            {
                "code": rec[CUSTOMER_ID],
                "name": rec["name"],
                "kind": rec.get("kind") or "person",
                "demographics": demo or None,
                "marital_status": rec.get("marital_status"),
                "address": address_record,
                "contacts": contacts,
                "tags": rec.get("tags") or (),
                "segment": rec.get("segment"),
                "national_id": rec.get("national_id"),
                "acquired_on": rec.get("acquired_on"),
                "acquisition_channel": rec.get("acquisition_channel"),
                "status": rec.get("status") or "active",
                "life_events": _life_events(rec.get("life_events") or ()),
                "aliases": rec.get("aliases") or (),
            }
        )

    return cells.rows(decoded, build)


def _present(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in fields.items() if v is not None)
