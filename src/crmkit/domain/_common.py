"""Converters and validators shared by the domain classes (private).

Every bad value raises :class:`~crmkit.exceptions.InvalidValueError` naming the field,
showing the value and saying what to pass instead. A record's fields use the converters
``to_*`` (no field name needed) with the validator :func:`named`, which names the field
from attrs' ``attribute.name``.
"""

import copy
import datetime as dt
import decimal
import enum
import functools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NoReturn, SupportsFloat, TypeVar, cast

import attrs
import numpy as np
import pandas as pd

from crmkit._dates import SUPPORTED_DATES
from crmkit.codes._base import show
from crmkit.exceptions import CrmkitError, InvalidValueError

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


# ---------------------------------------------------------------- field checks
# Each check takes the name to show and the value; it returns the converted value or
# raises InvalidValueError naming the field, showing the value and saying the fix.


def check_text(field: str, value: Any) -> str:
    """A non-empty string, stripped of surrounding whitespace."""
    if not isinstance(value, str) or not str.strip(value):
        hint = (
            " Codes and names are text: read CSV columns of codes with dtype=str."
            if isinstance(value, numbers.Number)
            else ""
        )
        raise InvalidValueError(
            f"{field}={show(value)} must be a non-empty string; pass the {field} as text.{hint}"
        )
    return str.strip(value)


def check_optional_text(field: str, value: Any) -> str | None:
    """``None`` (also for NaN / empty strings from frames) or stripped text."""
    if is_missing(value) or (isinstance(value, str) and not str.strip(value)):
        return None
    return check_text(field, value)


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, NaT and ``pd.NA`` (the missing markers of frames)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return isinstance(value, float | np.floating) and math.isnan(value)


def items(field: str, value: Any) -> list[Any]:
    """The items of a collection argument (a list, tuple, generator ...), as a list.

    Strings, bytes, mappings and non-iterables are refused: they are never meant as a
    collection of records and iterating them would silently produce nonsense.
    """
    if isinstance(value, str | bytes | Mapping | pd.DataFrame) or not isinstance(value, Iterable):
        raise InvalidValueError(
            f"{field}={show(value)} must be a collection (list or tuple) of items; "
            "wrap a single item in a list."
        )
    return list(value)


def check_flag(field: str, value: Any) -> bool:
    """A real ``bool`` (no truthy strings such as ``"no"``), or :class:`InvalidValueError`."""
    if not isinstance(value, bool):
        raise InvalidValueError(
            f"{field}={show(value)} must be True or False (a bool); strings such as "
            "'no' and numbers are not read as flags."
        )
    return bool(value)


def check_member(enum_cls: type[E], field: str, value: Any) -> E:
    """An enum member from itself, its value or its name (case-insensitive)."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        key = str.strip(value)
        for m in enum_cls:
            if key == m.value or key.lower() == str(m.value).lower() or key.upper() == m.name:
                return m
    allowed = [m.value for m in enum_cls]
    raise InvalidValueError(f"{field}={show(value)} is not one of {allowed}; pass one of those.")


def check_date(field: str, value: Any) -> dt.date:
    """A :class:`datetime.date` from a date, a midnight timestamp or ISO text."""
    if isinstance(value, dt.datetime | pd.Timestamp):
        if is_missing(value):
            raise InvalidValueError(f"{field} is missing (NaT); pass a date.")
        ts = pd.Timestamp(value)
        if ts != ts.normalize():
            raise InvalidValueError(
                f"{field}={value!r} has a time of day; pass a calendar date "
                "(datetime.date or 'YYYY-MM-DD')."
            )
        return in_range(field, ts.date())
    if isinstance(value, dt.date):
        return in_range(field, value)
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(str.strip(value))
        except ValueError as exc:
            raise InvalidValueError(
                f"{field}={show(value)} is not an ISO date; write it as 'YYYY-MM-DD'."
            ) from exc
        return in_range(field, day)
    raise InvalidValueError(
        f"{field}={show(value)} is not a date; pass a datetime.date or 'YYYY-MM-DD'."
    )


def in_range(field: str, day: dt.date) -> dt.date:
    """``day`` if it lies in the supported range 1678-01-01 .. 2261-12-31, else an error.

    A year before 1678 is most often a Solar Hijri (Jalali) date typed into a Gregorian
    field (``1402-01-01`` is 2023-03-21); the message says so.
    """
    if day.year < 1678:
        raise InvalidValueError(
            f"{field}={day.isoformat()!r} is before 1678-01-01, the first supported date "
            f"(supported: {SUPPORTED_DATES}). If it is a Solar Hijri (Jalali) date, convert "
            "it to the Gregorian calendar first (1402-01-01 SH is 2023-03-21)."
        )
    if day.year > 2261:
        raise InvalidValueError(
            f"{field}={day.isoformat()!r} is after 2261-12-31, the last supported date "
            f"(supported: {SUPPORTED_DATES}); check the year."
        )
    return day


def check_optional_date(field: str, value: Any) -> dt.date | None:
    """``None``/missing or a date."""
    return None if is_missing(value) else check_date(field, value)


def check_aware(field: str, value: Any) -> dt.datetime:
    """A tz-aware :class:`datetime.datetime`; naive values are refused."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(str.strip(value))
        except ValueError as exc:
            raise InvalidValueError(
                f"{field}={show(value)} is not an ISO timestamp; write it as "
                "'YYYY-MM-DDTHH:MM:SS+HH:MM'."
            ) from exc
    if isinstance(value, pd.Timestamp):
        if is_missing(value):
            raise InvalidValueError(f"{field} is missing (NaT); pass a tz-aware datetime.")
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        raise InvalidValueError(
            f"{field}={show(value)} is not a datetime; pass a tz-aware datetime.datetime."
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(
            f"{field}={value.isoformat()!r} is naive (no time zone); attach one, e.g. "
            "datetime(..., tzinfo=zoneinfo.ZoneInfo('Asia/Tehran')) or "
            "pandas.Timestamp(...).tz_localize('UTC')."
        )
    return value


def check_number(field: str, value: Any, *, minimum: float | None = None) -> float:
    """A finite float, optionally ``>= minimum``."""
    if isinstance(value, bool | np.bool_):
        raise InvalidValueError(f"{field}={value!r} must be a number, not a bool.")
    if isinstance(value, str | bytes):
        raise InvalidValueError(
            f"{field}={show(value)} is text; pass a number (e.g. {field}=1000.0). For a "
            "column read from CSV as text, convert it first with pandas.to_numeric."
        )
    if not isinstance(value, numbers.Real | decimal.Decimal):
        raise InvalidValueError(f"{field}={show(value)} must be a real number.")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidValueError(
            f"{field}={show(value)} cannot be converted to a float (too large, or a "
            "signalling NaN); pass a finite number."
        ) from exc
    if not math.isfinite(x):
        raise InvalidValueError(f"{field}={value!r} must be a finite number.")
    if minimum is not None and x < minimum:
        raise InvalidValueError(f"{field}={value!r} must be >= {minimum}.")
    return x


def check_amount(field: str, value: Any) -> float:
    """A finite float ``>= 0`` (money)."""
    return check_number(field, value, minimum=0.0)


def check_optional_amount(field: str, value: Any) -> float | None:
    """``None``/missing or a finite float ``>= 0``."""
    return None if is_missing(value) else check_amount(field, value)


def check_probability(field: str, value: Any) -> float:
    """A float in [0, 1]."""
    x = check_number(field, value)
    if not 0.0 <= x <= 1.0:
        raise InvalidValueError(f"{field}={value!r} must be a probability in [0, 1].")
    return x


def check_text_tuple(field: str, value: Any) -> tuple[str, ...]:
    """A tuple of unique non-empty strings, first occurrence order kept."""
    if value is None:
        return ()
    if isinstance(value, str):
        raise InvalidValueError(
            f"{field}={show(value)} must be a collection of strings, not one string; "
            f"wrap it: ({show(value)},)."
        )
    return tuple(dict.fromkeys(check_text(field, v) for v in items(field, value)))


def check_records(cls: type[Any], field: str, value: Any) -> tuple[Any, ...]:
    """A tuple whose items are ``cls`` instances (dicts go through ``from_record``)."""
    if value is None:
        return ()
    out = []
    for v in items(field, value):
        if isinstance(v, cls):
            out.append(v)
        elif isinstance(v, Mapping):
            out.append(cls.from_record(v))
        else:
            raise InvalidValueError(
                f"{field} holds {show(v)}; every item must be a {cls.__name__} or a dict "
                f"accepted by {cls.__name__}.from_record."
            )
    return tuple(out)


# ---------------------------------------------------------- argument checkers
# The checks above, for function arguments (the name is the parameter's).


def text(field: str) -> Callable[[Any], str]:
    """Checker of a text argument named ``field`` (see :func:`check_text`)."""
    return functools.partial(check_text, field)


def date(field: str) -> Callable[[Any], dt.date]:
    """Checker of a date argument named ``field`` (see :func:`check_date`)."""
    return functools.partial(check_date, field)


def aware(field: str) -> Callable[[Any], dt.datetime]:
    """Checker of a tz-aware datetime argument named ``field`` (see :func:`check_aware`)."""
    return functools.partial(check_aware, field)


def member(enum_cls: type[E], field: str) -> Callable[[Any], E]:
    """Checker of an enum argument named ``field`` (see :func:`check_member`)."""
    return functools.partial(check_member, enum_cls, field)


def number(field: str, *, minimum: float | None = None) -> Callable[[Any], float]:
    """Checker of a number argument named ``field`` (see :func:`check_number`)."""
    return functools.partial(check_number, field, minimum=minimum)


# ------------------------------------------------------------- attrs fields
# A record field is converted by a converter that needs no field name and checked by
# the validator :func:`named`, which reads the field's name from attrs. A converter that
# cannot convert its value returns an :class:`Invalid` holding the error, written with
# the placeholder FIELD; ``named`` raises that error with the field's name put in. The
# converters' parameter types are what mypy's attrs plugin gives the generated
# ``__init__`` (so ``mypy --strict`` rejects e.g. ``Customer(code=123)``); they are
# named functions because the plugin understands only those.

FIELD: Final = "\ue000field\ue000"
"""Placeholder for the field's name in a converter's error (private-use characters)."""


@attrs.frozen
class Invalid:
    """A value a converter could not convert, with the error its validator raises."""

    error: CrmkitError

    def raise_for(self, name: str) -> NoReturn:
        """Raise the error with ``name`` in place of :data:`FIELD`."""
        exc = self.error
        message = str(exc)
        if FIELD not in message:
            raise exc
        renamed = copy.copy(exc)
        renamed.args = (message.replace(FIELD, name),)
        raise renamed from exc.__cause__


def soft(check: Callable[[str, Any], T], value: Any) -> T:
    """``check(FIELD, value)``, or an :class:`Invalid` carrying its error.

    Every converter goes through here, so none needs its field's name: the error is
    raised by the :func:`named` validator, which knows it.
    """
    try:
        return check(FIELD, value)
    except CrmkitError as exc:
        return cast(T, Invalid(exc))


def named(_inst: Any, attribute: "attrs.Attribute[Any]", value: Any) -> None:
    """attrs validator: raise a converter's error, naming ``attribute``; else nothing."""
    if isinstance(value, Invalid):
        value.raise_for(attribute.name)


def flag(_inst: Any, attribute: "attrs.Attribute[Any]", value: Any) -> None:
    """attrs validator: a real ``bool`` (no truthy strings such as ``"no"``)."""
    check_flag(attribute.name, value)


def to_text(value: str) -> str:
    """Converter: a non-empty string, stripped (see :func:`check_text`)."""
    return soft(check_text, value)


def to_optional_text(value: str | None) -> str | None:
    """Converter: ``None`` (also NaN or blank text from frames) or stripped text."""
    return soft(check_optional_text, value)


def to_date(value: dt.date | str) -> dt.date:
    """Converter: a calendar date from a date, a midnight timestamp or ISO text."""
    return soft(check_date, value)


def to_optional_date(value: dt.date | str | None) -> dt.date | None:
    """Converter: ``None``/missing or a calendar date."""
    return soft(check_optional_date, value)


def to_aware(value: dt.datetime | str) -> dt.datetime:
    """Converter: a tz-aware datetime (naive values are refused)."""
    return soft(check_aware, value)


def to_amount(value: SupportsFloat) -> float:
    """Converter: a finite amount ``>= 0``."""
    return soft(check_amount, value)


def to_optional_amount(value: SupportsFloat | None) -> float | None:
    """Converter: ``None``/missing or a finite amount ``>= 0``."""
    return soft(check_optional_amount, value)


def to_probability(value: SupportsFloat) -> float:
    """Converter: a probability in [0, 1]."""
    return soft(check_probability, value)


def to_text_tuple(value: Iterable[str] | None) -> tuple[str, ...]:
    """Converter: a tuple of unique non-empty strings (first occurrence kept)."""
    return soft(check_text_tuple, value)


def to_member(enum_cls: type[E], value: Any) -> E:
    """The enum member ``value`` names, or an :class:`Invalid` (for a record's converter)."""
    return soft(functools.partial(check_member, enum_cls), value)


def to_optional_member(enum_cls: type[E], value: Any) -> E | None:
    """``None`` for a missing value, else :func:`to_member`."""
    return None if is_missing(value) else to_member(enum_cls, value)


def to_records(cls: type[Any], value: Any) -> tuple[Any, ...]:
    """``value`` as a tuple of ``cls`` records, or an :class:`Invalid`."""
    return soft(functools.partial(check_records, cls), value)


def record_fields(
    cls: type[Any], record: Any, *, aliases: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Keyword arguments of the attrs class ``cls`` from a ``from_record`` mapping.

    Keys named in ``aliases`` are renamed (``{"customer_id": "customer_code"}``); an
    alias given together with its field must carry the same value. Raises for a
    non-mapping, a conflicting alias or a key that is not a field of ``cls``.
    """
    rec = record_dict(cls, record)
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
    check_keys(cls, rec, names)
    return rec


def construct(cls: type[T], kwargs: Mapping[str, Any]) -> T:
    """``cls(**kwargs)`` after checking that every required field is given."""
    required = [
        a.name
        for a in attrs.fields(cls)  # type: ignore[arg-type]
        if a.init and a.default is attrs.NOTHING and a.name not in kwargs
    ]
    if required:
        raise InvalidValueError(
            f"{cls.__name__} lacks required field(s) {required} (missing or empty); "
            f"got {sorted(kwargs)}."
        )
    return cls(**kwargs)


def record_dict(cls: type[Any], record: Any) -> dict[str, Any]:
    """``record`` as a dict with str keys, or :class:`InvalidValueError`."""
    if not isinstance(record, Mapping):
        raise InvalidValueError(
            f"{cls.__name__}.from_record needs a mapping (dict), got {show(record)}."
        )
    rec = dict(record)
    bad = [show(k) for k in rec if not isinstance(k, str)]
    if bad:
        raise InvalidValueError(f"{cls.__name__}.from_record: field names must be str, got {bad}.")
    return rec


def check_keys(cls: type[Any], rec: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse keys of ``rec`` that are not in ``known`` (typos are never ignored)."""
    names = list(known)
    unknown = sorted(set(rec) - set(names))
    if unknown:
        raise InvalidValueError(
            f"unknown {cls.__name__} field(s) {unknown}; known fields are {names}."
        )


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def frame_arg(name: str, value: Any) -> pd.DataFrame:
    """A DataFrame argument without repeated column names."""
    if not isinstance(value, pd.DataFrame):
        raise InvalidValueError(f"{name}={show(value)} must be a pandas DataFrame.")
    if value.columns.duplicated().any():
        dup = sorted({str(c) for c in value.columns[value.columns.duplicated()]})
        raise InvalidValueError(f"{name} repeats column(s) {dup}; keep one of each.")
    return value


def series_arg(name: str, value: Any) -> pd.Series:
    """A Series argument."""
    if not isinstance(value, pd.Series):
        raise InvalidValueError(f"{name}={show(value)} must be a pandas Series.")
    return value


def str_arg(name: str, value: Any) -> str:
    """A str argument (a column name, a key name)."""
    if not isinstance(value, str):
        raise InvalidValueError(f"{name}={show(value)} must be a str.")
    return str.__str__(value)


def str_items(name: str, value: Any) -> list[str]:
    """A collection of str (not one str)."""
    out = items(name, value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise InvalidValueError(f"{name} must hold str values; got {show(bad[0])}.")
    return [str.__str__(v) for v in out]


def int_arg(name: str, value: Any, *, minimum: int) -> int:
    """An int argument ``>= minimum`` (no bool, no float, no text)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InvalidValueError(f"{name}={show(value)} must be an int >= {minimum}.")
    if value < minimum:
        raise InvalidValueError(f"{name}={show(value)} must be >= {minimum}.")
    return int(value)


def real_arg(name: str, value: Any, *, low: float, high: float) -> float:
    """A real number argument in ``[low, high]`` (numbers only, per the coercion policy)."""
    x = number(name)(value)
    if not low <= x <= high:
        raise InvalidValueError(f"{name}={show(value)} must be in [{low}, {high}].")
    return x
