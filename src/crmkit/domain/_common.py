"""Converters and validators shared by the domain classes (private).

Every converter raises :class:`~crmkit.exceptions.InvalidValueError` naming the field,
showing the value and saying what to pass instead.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
import pandas as pd

from crmkit.exceptions import InvalidValueError

E = TypeVar("E", bound=enum.Enum)


def text(field: str) -> Callable[[Any], str]:
    """Converter: a non-empty string, stripped of surrounding whitespace."""

    def convert(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidValueError(
                f"{field}={value!r} must be a non-empty string; pass the {field} as text."
            )
        return value.strip()

    return convert


def optional_text(field: str) -> Callable[[Any], str | None]:
    """Converter: ``None`` (also for NaN / empty strings from frames) or stripped text."""
    strict = text(field)

    def convert(value: Any) -> str | None:
        if is_missing(value) or (isinstance(value, str) and not value.strip()):
            return None
        return strict(value)

    return convert


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, NaT and ``pd.NA`` (the missing markers of frames)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def member(enum_cls: type[E], field: str) -> Callable[[Any], E]:
    """Converter: an enum member from itself, its value or its name (case-insensitive)."""

    def convert(value: Any) -> E:
        if isinstance(value, enum_cls):
            return value
        if isinstance(value, str):
            key = value.strip()
            for m in enum_cls:
                if key == m.value or key.lower() == str(m.value).lower() or key.upper() == m.name:
                    return m
        allowed = [m.value for m in enum_cls]
        raise InvalidValueError(f"{field}={value!r} is not one of {allowed}; pass one of those.")

    return convert


def optional_member(enum_cls: type[E], field: str) -> Callable[[Any], E | None]:
    """Converter: ``None``/missing or an enum member."""
    strict = member(enum_cls, field)

    def convert(value: Any) -> E | None:
        return None if is_missing(value) else strict(value)

    return convert


def date(field: str) -> Callable[[Any], dt.date]:
    """Converter: a :class:`datetime.date` from a date, a midnight timestamp or ISO text."""

    def convert(value: Any) -> dt.date:
        if isinstance(value, dt.datetime | pd.Timestamp):
            if pd.isna(value):
                raise InvalidValueError(f"{field} is missing (NaT); pass a date.")
            ts = pd.Timestamp(value)
            if ts != ts.normalize():
                raise InvalidValueError(
                    f"{field}={value!r} has a time of day; pass a calendar date "
                    "(datetime.date or 'YYYY-MM-DD')."
                )
            return ts.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                raise InvalidValueError(
                    f"{field}={value!r} is not an ISO date; write it as 'YYYY-MM-DD'."
                ) from exc
        raise InvalidValueError(
            f"{field}={value!r} is not a date; pass a datetime.date or 'YYYY-MM-DD'."
        )

    return convert


def optional_date(field: str) -> Callable[[Any], dt.date | None]:
    """Converter: ``None``/missing or a date."""
    strict = date(field)

    def convert(value: Any) -> dt.date | None:
        return None if is_missing(value) else strict(value)

    return convert


def aware(field: str) -> Callable[[Any], dt.datetime]:
    """Converter: a tz-aware :class:`datetime.datetime`; naive values are refused."""

    def convert(value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise InvalidValueError(
                    f"{field}={value!r} is not an ISO timestamp; write it as "
                    "'YYYY-MM-DDTHH:MM:SS+HH:MM'."
                ) from exc
        if isinstance(value, pd.Timestamp):
            if pd.isna(value):
                raise InvalidValueError(f"{field} is missing (NaT); pass a tz-aware datetime.")
            value = value.to_pydatetime()
        if not isinstance(value, dt.datetime):
            raise InvalidValueError(
                f"{field}={value!r} is not a datetime; pass a tz-aware datetime.datetime."
            )
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidValueError(
                f"{field}={value.isoformat()!r} is naive (no time zone); attach one, e.g. "
                "datetime(..., tzinfo=zoneinfo.ZoneInfo('Asia/Tehran')) or "
                "pandas.Timestamp(...).tz_localize('UTC')."
            )
        return value

    return convert


def optional_aware(field: str) -> Callable[[Any], dt.datetime | None]:
    """Converter: ``None``/missing or a tz-aware datetime."""
    strict = aware(field)

    def convert(value: Any) -> dt.datetime | None:
        return None if is_missing(value) else strict(value)

    return convert


def probability(field: str) -> Callable[[Any], float]:
    """Converter: a float in [0, 1]."""

    def convert(value: Any) -> float:
        x = number(field)(value)
        if not 0.0 <= x <= 1.0:
            raise InvalidValueError(f"{field}={value!r} must be a probability in [0, 1].")
        return x

    return convert


def number(field: str, *, minimum: float | None = None) -> Callable[[Any], float]:
    """Converter: a finite float, optionally ``>= minimum``."""

    def convert(value: Any) -> float:
        if isinstance(value, bool):
            raise InvalidValueError(f"{field}={value!r} must be a number, not a bool.")
        try:
            x = float(value)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"{field}={value!r} must be a number.") from exc
        if not math.isfinite(x):
            raise InvalidValueError(f"{field}={value!r} must be a finite number.")
        if minimum is not None and x < minimum:
            raise InvalidValueError(f"{field}={value!r} must be >= {minimum}.")
        return x

    return convert


def optional_number(field: str, *, minimum: float | None = None) -> Callable[[Any], float | None]:
    """Converter: ``None``/missing or a finite float."""
    strict = number(field, minimum=minimum)

    def convert(value: Any) -> float | None:
        return None if is_missing(value) else strict(value)

    return convert


def text_tuple(field: str) -> Callable[[Any], tuple[str, ...]]:
    """Converter: a tuple of unique non-empty strings, first occurrence order kept."""
    item = text(field)

    def convert(value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            raise InvalidValueError(
                f"{field}={value!r} must be a collection of strings, not one string; "
                f"wrap it: ({value!r},)."
            )
        return tuple(dict.fromkeys(item(v) for v in value))

    return convert


def tuple_of(cls: type[Any], field: str) -> Callable[[Iterable[Any] | None], tuple[Any, ...]]:
    """Converter: a tuple whose items are ``cls`` instances (dicts go through ``from_record``)."""

    def convert(value: Iterable[Any] | None) -> tuple[Any, ...]:
        if value is None:
            return ()
        out = []
        for v in value:
            if isinstance(v, cls):
                out.append(v)
            elif isinstance(v, dict):
                out.append(cls.from_record(v))
            else:
                raise InvalidValueError(
                    f"{field} holds {v!r}; every item must be a {cls.__name__} or a dict "
                    f"accepted by {cls.__name__}.from_record."
                )
        return tuple(out)

    return convert


def record_fields(
    cls: type[Any], record: Any, *, aliases: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Keyword arguments of the attrs class ``cls`` from a ``from_record`` mapping.

    Keys named in ``aliases`` are renamed (``{"customer_id": "customer_code"}``); an
    alias given together with its field must carry the same value. Raises for a
    non-mapping, a conflicting alias or a key that is not a field of ``cls``.
    """
    if not isinstance(record, Mapping):
        raise InvalidValueError(f"{cls.__name__}.from_record needs a mapping, got {record!r}.")
    rec = dict(record)
    for alias, field in (aliases or {}).items():
        if alias not in rec:
            continue
        value = rec.pop(alias)
        if field in rec and not _same(rec[field], value):
            raise InvalidValueError(
                f"{cls.__name__}.from_record got both {alias}={value!r} and "
                f"{field}={rec[field]!r}; they name the same field, give one of them."
            )
        rec.setdefault(field, value)
    names = [a.name for a in attrs.fields(cls)]
    unknown = sorted(set(rec) - set(names))
    if unknown:
        raise InvalidValueError(
            f"unknown {cls.__name__} field(s) {unknown}; known fields are {names}."
        )
    return rec


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
