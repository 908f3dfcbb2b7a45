"""Cell and row helpers shared by the domain frame modules (private).

:mod:`crmkit.domain.frames` and :mod:`crmkit.domain._customer_frames` both build
objects row by row from frames decoded by :func:`crmkit.domain._frame_io.decode`; the
helpers they share live here, so that each imports them at the top of the module and
neither imports the other's internals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pandas as pd

from crmkit.codes._base import show
from crmkit.domain import _common as cv
from crmkit.exceptions import CrmkitError, InvalidValueError

__all__ = ["day", "enum_value", "items_of", "none", "rewrap", "rows", "the_frame"]

T = TypeVar("T")


def items_of(values: Iterable[Any], cls: type[T], name: str) -> list[T]:
    """``values`` as a list, every item a ``cls`` (else a crmkit error naming one)."""
    out = cv.items(name, values)
    bad = [v for v in out if not isinstance(v, cls)]
    if bad:
        raise InvalidValueError(f"{name} must hold {cls.__name__} objects; got {show(bad[0])}.")
    return out


def the_frame(frame: Any) -> pd.DataFrame:
    """``frame`` if it is a DataFrame without repeated column names."""
    return cv.frame_arg("frame", frame)


def rewrap(exc: CrmkitError, message: str) -> CrmkitError:
    """The same error class with ``message`` (InvalidValueError if it cannot be rebuilt)."""
    try:
        return type(exc)(message)
    except Exception:  # error classes with extra required arguments
        return InvalidValueError(message)


def rows(frame: pd.DataFrame, build: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    """Build one object per row; an invalid row's error names its position and label."""
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    out = []
    for pos, (label, rec) in enumerate(zip(frame.index, records, strict=True)):
        try:
            out.append(build(rec))
        except CrmkitError as exc:
            raise rewrap(exc, f"row {pos} (index {show(label)}): {exc}") from exc
    return tuple(out)


def none(value: Any) -> Any:
    """Missing markers (NaN, NaT, None, and the empty text of a CSV cell) -> None."""
    if cv.is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    return value


def enum_value(x: Any) -> Any:
    """An enumeration member's value (None stays None)."""
    return None if x is None else x.value


def day(x: dt.date | None) -> Any:
    """A date as a midnight Timestamp (None as NaT), for a ``datetime64`` column."""
    return pd.NaT if x is None else pd.Timestamp(x)
