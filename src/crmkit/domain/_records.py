"""JSON-safe records of the domain classes (private).

One rule for every domain class, so that ``json.dumps(obj.to_record())`` works and
``Cls.from_record(json.loads(...))`` gives back an equal object:

* enum members become their ``value`` (``"e-mail"``, ``"resolved"``);
* dates become ISO 8601 text (``"2024-03-01"``); aware datetimes keep their offset
  (``"2024-03-01T09:30:00+03:30"``), so the local wall time is never lost;
* tuples become lists; nested domain objects become their own records;
* ``None`` stays ``None`` (JSON ``null``); strings, ints, floats and bools pass through.

Anything else is a programming error and raises :class:`TypeError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs

__all__ = ["json_value", "to_record"]


def json_value(value: Any, field: str = "value") -> Any:
    """The JSON-safe form of one field value (see the module docstring for the rules).

    Examples
    --------
    >>> import datetime as dt
    >>> json_value(dt.date(2024, 3, 1))
    '2024-03-01'
    >>> json_value((1, dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)))
    [1, '2024-03-01T09:30:00+00:00']
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return json_value(value.value, field)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [json_value(v, field) for v in value]
    if attrs.has(type(value)):
        return to_record(value)
    raise TypeError(f"{field}={value!r} has no JSON form (type {type(value).__name__}).")


def to_record(obj: Any) -> dict[str, Any]:
    """The JSON-safe record of a domain object: one key per field, in field order.

    Nested domain objects become nested records; the result is what
    ``from_record`` of the same class reads back.

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Point:
    ...     x: int
    ...     tags: tuple[str, ...] = ()
    >>> to_record(Point(x=1, tags=("a",)))
    {'x': 1, 'tags': ['a']}
    """
    if not attrs.has(type(obj)):
        raise TypeError(f"{obj!r} is not a domain object.")
    return {a.name: json_value(getattr(obj, a.name), a.name) for a in attrs.fields(type(obj))}
