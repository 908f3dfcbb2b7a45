"""The registry's audit trail: one frozen record per change (private to crmkit.codes)."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import numpy as np
import pandas as pd

from crmkit.codes._base import show
from crmkit.codes.entries import CodeEntry
from crmkit.exceptions import InvalidValueError

__all__ = [
    "AUDIT_COLUMNS",
    "AuditAction",
    "AuditRecord",
    "AuditRow",
    "audit_frame",
    "check_actor",
    "row_of",
    "row_record",
]

AUDIT_COLUMNS: Final = ("seq", "batch", "when", "actor", "action", "code", "before", "after")
"""Columns of :meth:`CodeRegistry.audit_log`, in this order."""


class AuditAction(enum.StrEnum):
    """What an audit record describes."""

    ALLOCATE = "allocate"
    REGISTER = "register"
    LINK = "link"
    EDIT = "edit"
    RETIRE = "retire"
    MERGE = "merge"
    UNMERGE = "unmerge"
    LOAD = "load"


def check_actor(actor: object) -> str | None:
    """``actor=`` is who made a change: a non-empty str, or None for unknown."""
    if actor is None:
        return None
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidValueError(
            f"actor={show(actor)}: pass who makes the change as a non-empty str "
            "(a user name or service id), or None."
        )
    try:
        actor.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValueError(
            f"actor={show(actor)} holds a lone surrogate, which no file can store; fix the text."
        ) from exc
    return str.__str__(actor)


def _json_safe(value: object, what: str) -> None:
    """Refuse anything ``json.dumps`` would not write as plain JSON."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValueError(f"{what} holds {value!r}; JSON has no such number.")
        return
    if isinstance(value, list):
        for v in value:
            _json_safe(v, what)
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for v in value.values():
            _json_safe(v, what)
        return
    raise InvalidValueError(f"{what} holds {show(value)}, which is not a JSON value.")


def _to_when(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidValueError(
                f"when={show(value)} is not an ISO 8601 timestamp with a UTC offset."
            ) from exc
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValueError(f"when={show(value)} must be a timezone-aware datetime.")
    return value.astimezone(UTC)


def _to_dict(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidValueError(f"before/after={show(value)} must be a JSON object or None.")
    out = dict(value)
    _json_safe(out, "before/after")
    return out


def _nonnegative(_inst: object, attr: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValueError(f"{attr.name}={show(value)} must be an int >= 0.")


def _code_or_none(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidValueError(f"code={show(value)} must be a non-empty str or None.")


def _to_action(value: object) -> AuditAction:
    if isinstance(value, AuditAction):
        return value
    if isinstance(value, str) and value in {a.value for a in AuditAction}:
        return AuditAction(value)
    raise InvalidValueError(
        f"action={show(value)} is not one of {[a.value for a in AuditAction]}."
    )


@attrs.frozen(kw_only=True)
class AuditRecord:
    """One change to a :class:`~crmkit.codes.CodeRegistry` (see its ``audit_log``).

    Attributes
    ----------
    seq : int
        Position in the log (0, 1, 2, ...).
    batch : int
        Number of the batch (transaction) the change was made in; the changes of one
        :meth:`~crmkit.codes.CodeRegistry.batch` share it.
    when : datetime
        The registry clock at the change, in UTC.
    actor : str or None
        Who made it (the ``actor=`` argument), None when not given.
    action : AuditAction
        allocate, register, link, edit, retire, merge, unmerge or load.
    code : str or None
        The entry changed (None for a load).
    before, after : dict or None
        The entry's record (:meth:`~crmkit.codes.CodeEntry.to_record`) before and
        after the change (``before`` is None for a new entry); for a load, ``after``
        is ``{"entries": n}``.

    Examples
    --------
    >>> rec = AuditRecord(
    ...     seq=0,
    ...     batch=1,
    ...     when="2026-01-01T03:30:00+03:30",
    ...     actor="clerk-7",
    ...     action="retire",
    ...     code="CUST-000001-8",
    ... )
    >>> rec.when.isoformat(), rec.action.value
    ('2026-01-01T00:00:00+00:00', 'retire')
    >>> AuditRecord.from_record(rec.to_record()) == rec
    True
    """

    seq: int = attrs.field(validator=_nonnegative)
    batch: int = attrs.field(validator=_nonnegative)
    when: datetime = attrs.field(converter=_to_when)
    actor: str | None = attrs.field(default=None, converter=check_actor)
    action: AuditAction = attrs.field(converter=_to_action)
    code: str | None = attrs.field(default=None, validator=_code_or_none)
    before: dict[str, Any] | None = attrs.field(default=None, converter=_to_dict, hash=False)
    after: dict[str, Any] | None = attrs.field(default=None, converter=_to_dict, hash=False)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 ``when``)."""
        return {
            "seq": self.seq,
            "batch": self.batch,
            "when": self.when.isoformat(),
            "actor": self.actor,
            "action": self.action.value,
            "code": self.code,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_record(cls, record: object) -> AuditRecord:
        """The inverse of :meth:`to_record`.

        Raises
        ------
        InvalidValueError
            If the record is not a mapping with exactly the keys of :meth:`to_record`
            or a value is out of its domain.
        """
        if not isinstance(record, Mapping):
            raise InvalidValueError(f"an audit record must be a mapping, got {show(record)}.")
        keys = {k for k in record if isinstance(k, str)}
        if keys != set(AUDIT_COLUMNS) or len(record) != len(AUDIT_COLUMNS):
            raise InvalidValueError(
                f"an audit record has keys {sorted(show(k) for k in record)}; expected "
                f"{list(AUDIT_COLUMNS)} (AuditRecord.to_record output)."
            )
        return cls(**{k: record[k] for k in AUDIT_COLUMNS})


AuditRow = tuple[int, int, datetime, str | None, AuditAction, str | None, Any, Any]
"""How a registry stores a change: ``(seq, batch, when, actor, action, code, before,
after)`` with ``before``/``after`` a CodeEntry, a dict (from a loaded log) or None. The
JSON form is built only when the log is read, so a change costs a tuple."""


def _record_of(value: object) -> dict[str, Any] | None:
    if isinstance(value, CodeEntry):
        return value.to_record()
    assert value is None or isinstance(value, dict)
    return value


def row_record(row: AuditRow) -> dict[str, Any]:
    """The :meth:`AuditRecord.to_record` form of a stored row."""
    seq, batch, when, actor, action, code, before, after = row
    return {
        "seq": seq,
        "batch": batch,
        "when": when.astimezone(UTC).isoformat(),
        "actor": actor,
        "action": action.value,
        "code": code,
        "before": _record_of(before),
        "after": _record_of(after),
    }


def row_of(record: AuditRecord) -> AuditRow:
    """A checked record as a stored row."""
    return (
        record.seq,
        record.batch,
        record.when,
        record.actor,
        record.action,
        record.code,
        record.before,
        record.after,
    )


def audit_frame(log: Sequence[AuditRow]) -> pd.DataFrame:
    """The log as a DataFrame with :data:`AUDIT_COLUMNS` (before/after as JSON text)."""
    recs = [row_record(r) for r in log]

    def text(key: str) -> pd.Series:
        return pd.Series(
            [json.dumps(r[key], ensure_ascii=False, sort_keys=True) for r in recs], dtype=object
        )

    return pd.DataFrame(
        {
            "seq": np.array([r["seq"] for r in recs], dtype=np.int64),
            "batch": np.array([r["batch"] for r in recs], dtype=np.int64),
            "when": pd.to_datetime([r["when"] for r in recs], utc=True, format="ISO8601"),
            "actor": pd.Series([r["actor"] for r in recs], dtype=object),
            "action": pd.Series([r["action"] for r in recs], dtype=object),
            "code": pd.Series([r["code"] for r in recs], dtype=object),
            "before": text("before"),
            "after": text("after"),
        },
        columns=list(AUDIT_COLUMNS),
    )
