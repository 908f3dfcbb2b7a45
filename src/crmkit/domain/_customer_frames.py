"""Customer frames: :func:`customers_to_frame`, :func:`customers_from_frame` and
:func:`read_customers_csv` (private module; public through :mod:`crmkit.domain.frames`
and :mod:`crmkit.domain`, which import it after defining the cell helpers it uses)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit._validation import require_columns
from crmkit.codes._base import show
from crmkit.columns import CUSTOMER_ID
from crmkit.domain import _common as cv
from crmkit.domain.customer import ContactPoint, Customer, Demographics, LifeEvent
from crmkit.domain.frames import (
    CUSTOMER_COLUMNS,
    _day,
    _ev,
    _frame,
    _items,
    _none,
    _rows,
    _tuple_cell,
)
from crmkit.domain.interaction import Channel
from crmkit.exceptions import InvalidValueError

__all__ = ["customers_from_frame", "customers_to_frame", "read_customers_csv"]


def customers_to_frame(customers: Iterable[Customer]) -> pd.DataFrame:
    """Customers as a frame indexed by ``customer_id`` with :data:`CUSTOMER_COLUMNS`.

    ``email`` and ``phone`` hold the first e-mail and the first phone/mobile contact (for
    matching and analysis); ``contacts`` holds every contact point as
    ``(channel, value, default_country_code)`` tuples; ``tags`` and ``aliases`` tuples
    of strings; the address is spread over ``address_line``, ``address_city``,
    ``address_postal_code`` and ``address_country``. ``life_events`` holds JSON text:
    the list of :meth:`LifeEvent.to_record <crmkit.domain.LifeEvent.to_record>` records
    (events carry nested values such as a new address, which a flat tuple cannot).

    The frame survives the usual storage formats and reads back to equal customers
    with :func:`customers_from_frame`:

    * CSV: ``frame.to_csv(path)`` then :func:`read_customers_csv` (every column is
      text, so it reads with ``dtype=str, keep_default_na=False``);
    * Parquet: ``frame.to_parquet(path)`` then ``pandas.read_parquet(path)``;
    * JSON: ``frame.to_json(path, orient="table")`` then
      ``pandas.read_json(path, orient="table")`` (the table schema keeps dates and the
      text codes), or ``json.dumps([c.to_record() for c in customers])``.

    Raises
    ------
    InvalidValueError
        If an item is not a :class:`Customer` or two customers share a code.

    Examples
    --------
    >>> import io
    >>> from crmkit.domain import Customer, LifeEvent
    >>> c = Customer(code="C1", name="Sara", national_id="0499370899", tags=["vip"])
    >>> c = c.apply(LifeEvent(kind="moved", on="2024-05-01", address="5 Hafez St"))
    >>> buf = io.StringIO()
    >>> customers_to_frame([c]).to_csv(buf)
    >>> _ = buf.seek(0)
    >>> read_customers_csv(buf) == (c,)
    True
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
        addr = c.address
        rows.append(
            {
                "name": c.name,
                "kind": c.kind.value,
                "national_id": c.national_id,
                "birth_date": _day(d.birth_date),
                "age_band": d.age_band,
                "gender": _ev(d.gender),
                "income_band": d.income_band,
                "marital_status": _ev(c.marital_status),
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
                "acquired_on": _day(c.acquired_on),
                "acquisition_channel": _ev(c.acquisition_channel),
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


def _life_events_cell(value: Any) -> list[LifeEvent]:
    """The ``life_events`` cell: JSON text of records (or its parsed list), or the
    ``(kind, date, detail)`` tuples earlier versions wrote."""
    out = []
    for item in _tuple_cell("life_events", value, None):
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
        out.append(LifeEvent(kind=kind, on=on, detail=_none(detail)))
    return out


def _day_cell(column: str, value: Any) -> Any:
    """A date cell; also the midnight ISO timestamp text JSON writers produce."""
    value = _none(value)
    if isinstance(value, str) and "T" in value:
        day, _, time = value.strip().partition("T")
        if time.rstrip("Z").replace("0", "").replace(":", "").replace(".", "") == "":
            return day
        raise InvalidValueError(
            f"{column}={show(value)} has a time of day; the column holds calendar dates."
        )
    return value


def customers_from_frame(
    frame: pd.DataFrame, *, default_country_code: str | None = None
) -> tuple[Customer, ...]:
    """Rebuild customers from a frame shaped like :func:`customers_to_frame`'s output.

    The index (or a ``customer_id`` column) gives the codes; ``name`` is required and
    every other column optional. When a ``contacts`` column is present it is the full
    list of contact points; otherwise ``email`` and ``phone`` become contact points,
    national phone numbers completed with ``default_country_code`` (``"98"`` for Iran).
    The frame may come back from CSV (see :func:`read_customers_csv`), Parquet or JSON
    (``orient="table"``): tuple columns may arrive as text, lists or arrays, dates as
    ``datetime64`` or ISO text.

    Raises
    ------
    MissingColumnsError
        Without ``name``.
    InvalidValueError
        For any invalid cell; the message names the row, field and value.
    """
    frame = _frame(frame)
    require_columns(frame, ["name"])
    df = frame.reset_index() if CUSTOMER_ID not in frame.columns else frame.reset_index(drop=True)
    if CUSTOMER_ID not in df.columns:
        raise InvalidValueError("customer codes must be the index or a 'customer_id' column.")
    df.index = frame.index  # error messages name the row by its own label

    tuple_cols = {"contacts": 3, "tags": None, "aliases": None}

    def build(r: dict[str, Any]) -> Customer:
        rec: dict[str, Any] = {
            k: _tuple_cell(k, v, tuple_cols[k]) if k in tuple_cols else _none(v)
            for k, v in r.items()
            if k != "life_events"
        }
        for k in ("birth_date", "acquired_on"):
            rec[k] = _day_cell(k, r.get(k))
        demo_keys = ("birth_date", "age_band", "gender", "income_band")
        demo = {k: rec.get(k) for k in demo_keys if rec.get(k) is not None}
        if "contacts" in r and not cv.is_missing(r["contacts"]):
            contacts = [
                ContactPoint.from_record(
                    {"channel": ch, "value": v, "default_country_code": _none(cc)}
                )
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
                "life_events": _life_events_cell(r.get("life_events")),
                "aliases": rec.get("aliases") or (),
            }
        )

    return _rows(df, build)


def _present(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in fields.items() if v is not None)


def read_customers_csv(
    source: Any, *, default_country_code: str | None = None
) -> tuple[Customer, ...]:
    """Read customers from a CSV file written by ``customers_to_frame(...).to_csv(...)``.

    Every column is read as text (``dtype=str, keep_default_na=False``), so codes and
    national IDs keep their leading zeros and texts such as ``"NA"`` stay text; empty
    cells are missing. Use this instead of a bare ``pandas.read_csv``, whose type
    guessing turns ``"0499370899"`` into the number 499370899.

    Parameters
    ----------
    source : str, path or file-like
        What :func:`pandas.read_csv` accepts.
    default_country_code : str, optional
        For national phone numbers when the file has no ``contacts`` column.

    Returns
    -------
    tuple of Customer

    Raises
    ------
    InvalidValueError
        If the file cannot be read as CSV or a row is invalid (the message names it).
    MissingColumnsError
        If the file lacks ``customer_id`` or ``name``.

    Examples
    --------
    >>> import io
    >>> read_customers_csv(io.StringIO("customer_id,name,email\\nC1,Sara,S@X.IR\\n"))[0].contacts
    (ContactPoint(channel=<Channel.EMAIL: 'e-mail'>, default_country_code=None, value='s@x.ir'),)
    """
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, ValueError, TypeError, pd.errors.ParserError) as exc:
        raise InvalidValueError(
            f"source={show(source)} could not be read as CSV ({exc}); pass a path or an "
            "open text file written by customers_to_frame(...).to_csv()."
        ) from exc
    require_columns(frame, [CUSTOMER_ID, "name"])
    frame = frame.set_index(CUSTOMER_ID)
    return customers_from_frame(frame, default_country_code=default_country_code)
