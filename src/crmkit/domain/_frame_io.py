"""Domain frames through CSV, Parquet and JSON, and back (private; one rule for all).

Every ``*_to_frame`` of :mod:`crmkit.domain` writes columns of a few kinds, and every
``*_from_frame`` reads them back with :func:`decode`, whatever file format the frame
went through. **The one convention** (documented on :mod:`crmkit.domain.frames`):

=========  ===================================  ==============================================
format     write                                read
=========  ===================================  ==============================================
CSV        ``frame.to_csv(path, index=False)``  :func:`read_frame_csv` (``pandas.read_csv``
                                                with ``dtype=str, keep_default_na=False``:
                                                every cell as text, so codes keep their
                                                leading zeros)
Parquet    ``frame.to_parquet(path)``           ``pandas.read_parquet(path)``
JSON       ``frame_to_json(frame)``             ``frame_from_json(text)`` (exact floats;
                                                pandas' ``to_json`` keeps 15 digits at most)
=========  ===================================  ==============================================

How each column kind is read back (:data:`TEXT` ... :func:`tuples`):

* missing cells are ``None``, ``NaN``, ``NaT``, ``pd.NA`` or the empty text of a CSV
  cell, and read back as ``None``;
* ``text``: a string (numbers are refused: read codes as text);
* ``number``: a float, or decimal text such as ``"1200.5"`` (CSV); bools are refused;
* ``int``: a whole number, or its digits as text;
* ``bool``: a bool, or the text ``True`` / ``False``;
* ``date``: a date, a midnight timestamp without zone, or ISO text
  (``"2024-03-01"``, ``"2024-03-01 00:00:00"``, ``"2024-03-01T00:00:00.000"``);
* ``instant``: a tz-aware timestamp, or ISO text with an offset or ``Z``;
* ``zone``: the time zone of the row's instant, as written by :func:`zone_name`
  (an IANA key such as ``"Asia/Tehran"``, ``"UTC"``, or a fixed offset ``"+03:30"``);
* ``tupleN``: a tuple (of N-tuples), or the list Parquet and JSON give, or the text
  ``to_csv`` writes for a tuple.

A cell that fits none of these raises :class:`~crmkit.exceptions.InvalidValueError`
naming the column, the row and the fix; nothing is guessed or dropped.

Examples
--------
>>> import pandas as pd
>>> f = pd.DataFrame({"code": ["007"], "amount": ["1.5"], "on": ["2024-03-01"]})
>>> decode(f, {"code": TEXT, "amount": NUMBER, "on": DATE}, what="demo").iloc[0].tolist()
['007', 1.5, datetime.date(2024, 3, 1)]
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import math
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit.codes._base import show
from crmkit.exceptions import InvalidValueError

__all__ = [
    "BOOL",
    "CSV_READ",
    "DATE",
    "INSTANT",
    "INT",
    "NUMBER",
    "TEXT",
    "ZONE",
    "decode",
    "frame_from_json",
    "frame_to_json",
    "local_time",
    "read_frame_csv",
    "tuples",
    "zone_name",
]

TEXT: Final = "text"
NUMBER: Final = "number"
INT: Final = "int"
BOOL: Final = "bool"
DATE: Final = "date"
INSTANT: Final = "instant"
ZONE: Final = "zone"

CSV_READ: Final[Mapping[str, Any]] = {"dtype": str, "keep_default_na": False}
"""Options of :func:`pandas.read_csv` for a domain frame: every cell as text."""

_MAX_CELL: Final = 1_000_000
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$")


def tuples(arity: int = 0) -> str:
    """The kind of a tuple column whose items are ``arity``-tuples (0: plain values)."""
    return f"tuple{arity}"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT, pd.NA and blank text (the missing markers of frames)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return isinstance(value, float | np.floating) and math.isnan(value)


def zone_name(value: dt.datetime) -> str:
    """The name :func:`decode` reads back as ``value``'s zone.

    An IANA key for :class:`zoneinfo.ZoneInfo` zones, ``"UTC"`` for UTC, otherwise the
    fixed offset of ``value`` (``"+03:30"``), which keeps its wall time and offset.

    Examples
    --------
    >>> import datetime as dt, zoneinfo
    >>> zone_name(dt.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Tehran")))
    'Asia/Tehran'
    >>> zone_name(dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3.5))))
    '-03:30'
    """
    tz = value.tzinfo
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz.key
    offset = value.utcoffset()
    if offset is None:
        raise InvalidValueError(f"{value.isoformat()!r} is naive; it has no time zone.")
    if offset == dt.timedelta(0) and (tz is dt.UTC or str(tz) == "UTC"):
        return "UTC"
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    h, rest = divmod(abs(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _zone(text: str) -> dt.tzinfo:
    if text == "UTC":
        return dt.UTC
    match = _OFFSET.match(text)
    if match:
        sign, h, m, s = match.groups()
        delta = dt.timedelta(hours=int(h), minutes=int(m), seconds=int(s or 0))
        return dt.timezone(-delta if sign == "-" else delta)
    return zoneinfo.ZoneInfo(text)


def local_time(instant: Any, zone: dt.tzinfo | None) -> Any:
    """``instant`` (a tz-aware Timestamp/datetime) as a datetime on ``zone``'s clock."""
    if isinstance(instant, pd.Timestamp):
        instant = instant.to_pydatetime()
    if zone is None or not isinstance(instant, dt.datetime) or instant.tzinfo is None:
        return instant
    return instant.astimezone(zone)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(
            "must be text; read code and text columns as text (CSV: dtype=str, "
            "keep_default_na=False)"
        )
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        raise ValueError("must be a number, not a bool")
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError("must be a number written as decimal text, e.g. '1200.5'") from None
    raise ValueError("must be a number")


def _int(value: Any) -> int:
    x = _number(value) if not isinstance(value, int | np.integer) else value
    if isinstance(x, float) and not (math.isfinite(x) and x.is_integer()):
        raise ValueError("must be a whole number")
    return int(x)


def _bool(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value.strip() in ("True", "False", "true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be True or False (not a number or other text)")


def _timestamp(value: Any) -> pd.Timestamp:
    if isinstance(value, bool | int | float | np.number):
        raise ValueError(
            "is a number, not a date or time; write dates as ISO text (JSON: use "
            "frame_to_json, or pandas' to_json with date_format='iso')"
        )
    if isinstance(value, str) and (len(value) > 64 or not value.strip()[:1].isdigit()):
        raise ValueError("is not ISO text of a date or time ('2024-03-01T09:30:00+03:30')")
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError("is not a date or time")
    return ts


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    ts = _timestamp(value)
    if ts.tz is not None or ts != ts.normalize():
        raise ValueError("must be a calendar date (no time of day, no time zone)")
    return ts.date()


def _instant(value: Any) -> pd.Timestamp:
    return _timestamp(value)


def _zone_cell(value: Any) -> dt.tzinfo:
    if isinstance(value, dt.tzinfo):
        return value
    try:
        return _zone(_text(value).strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            "is not a time zone; write an IANA key ('Asia/Tehran'), 'UTC' or an offset ('+03:30')"
        ) from exc


def _tuple(arity: int) -> Callable[[Any], tuple[Any, ...]]:
    def convert(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str):
            if len(value) > _MAX_CELL:
                raise ValueError(f"holds {len(value)} characters; too long")
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("[") else ast.literal_eval(text)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise ValueError(
                    "cannot be read as a tuple (to_csv writes e.g. \"(('a', 'b'),)\")"
                ) from None
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, tuple | list):
            raise ValueError("must be a tuple")
        out: list[Any] = []
        for item in value:
            if arity == 0:
                out.append(None if is_missing(item) else item)
                continue
            if isinstance(item, np.ndarray):
                item = item.tolist()
            if not isinstance(item, tuple | list) or len(item) != arity:
                raise ValueError(f"holds {show(item)}; every item must be a tuple of {arity}")
            out.append(tuple(None if is_missing(v) else v for v in item))
        return tuple(out)

    return convert


_DECODERS: Final[dict[str, Callable[[Any], Any]]] = {
    TEXT: _text,
    NUMBER: _number,
    INT: _int,
    BOOL: _bool,
    DATE: _date,
    INSTANT: _instant,
    ZONE: _zone_cell,
}


def _decoder(kind: str) -> Callable[[Any], Any]:
    if kind.startswith("tuple"):
        return _tuple(int(kind[5:] or 0))
    return _DECODERS[kind]


def decode(frame: pd.DataFrame, schema: Mapping[str, str], *, what: str) -> pd.DataFrame:
    """A new frame whose ``schema`` columns hold plain Python values of their kind.

    Columns of ``frame`` not in ``schema`` are kept as they are; ``schema`` columns not
    in ``frame`` are left out (the caller checks required columns). Missing cells
    become ``None`` (``()`` in tuple columns). ``frame`` is not modified.

    Raises
    ------
    InvalidValueError
        For a cell that cannot be read as its kind, naming the column, the row (position
        and index label), the value and the fix.
    """
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        kind = schema.get(str(column))
        values = frame[column].tolist()
        if kind is None:
            out[column] = pd.Series(values, index=frame.index, dtype=object)
            continue
        convert = _decoder(kind)
        empty: Any = () if kind.startswith("tuple") else None
        cells: list[Any] = []
        for pos, value in enumerate(values):
            if not isinstance(value, np.ndarray) and is_missing(value):
                cells.append(empty)
                continue
            try:
                cells.append(convert(value))
            except (ValueError, TypeError, OverflowError) as exc:
                raise InvalidValueError(
                    f"{what}: row {pos} (index {show(frame.index[pos])}): "
                    f"{column}={show(value)} {exc}."
                ) from None
        out[column] = pd.Series(cells, index=frame.index, dtype=object)
    return out


# ----------------------------------------------------------------- file formats


def read_frame_csv(source: Any) -> pd.DataFrame:
    """A domain frame's CSV file, every cell as text (the documented CSV convention).

    ``pandas.read_csv(source, dtype=str, keep_default_na=False)``: codes and national IDs
    keep their leading zeros and texts such as ``"NA"`` stay text; an empty cell is
    missing. Pass the result to the matching ``*_from_frame`` (for example
    :func:`~crmkit.domain.customers_from_frame`), which reads every column by its kind.
    A bare ``pandas.read_csv`` guesses types, turning ``"0499370899"`` into the number
    499370899, which ``*_from_frame`` then refuses.

    Parameters
    ----------
    source : str, path or file-like
        What :func:`pandas.read_csv` accepts.

    Returns
    -------
    pandas.DataFrame
        Every column of ``object`` dtype holding text.

    Raises
    ------
    InvalidValueError
        If ``source`` cannot be opened or read as CSV; the message names it.

    Examples
    --------
    >>> import io
    >>> read_frame_csv(io.StringIO("customer_id,name\\n007,NA\\n")).values.tolist()
    [['007', 'NA']]
    """
    try:
        frame: pd.DataFrame = pd.read_csv(source, **CSV_READ)
    except (OSError, ValueError, TypeError, pd.errors.ParserError) as exc:
        raise InvalidValueError(
            f"source={show(source)} could not be read as CSV ({exc}); pass a path or an "
            "open text file written by a domain frame's to_csv()."
        ) from exc
    return frame


def _json_cell(value: Any) -> Any:
    if not isinstance(value, np.ndarray | tuple | list) and is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        if value.tz is None and value == value.normalize():
            return value.date().isoformat()  # a date column (datetime64 at midnight)
        return value.isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.ndarray | tuple | list):
        return [_json_cell(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, str | bool | int | float):
        return value
    raise InvalidValueError(
        f"a cell holds {show(value)} (type {type(value).__name__}), which has no JSON form."
    )


def frame_to_json(frame: pd.DataFrame) -> str:
    """A domain frame as exact JSON text: ``{"columns": [...], "rows": [[...], ...]}``.

    Floats keep every digit (pandas' ``to_json`` keeps at most 15 significant digits),
    timestamps are ISO 8601 text with their offset (naive midnight timestamps, the date
    columns of the domain frames, as ``"YYYY-MM-DD"``), tuples lists, missing cells
    ``null``. :func:`frame_from_json` reads it back; the matching ``*_from_frame``
    rebuilds equal objects. The index is not written (every domain frame keeps its keys
    in columns, except the customers' ``customer_id`` index, which is written as a
    column when named).

    Raises
    ------
    InvalidValueError
        If ``frame`` is not a DataFrame or a cell has no JSON form.

    Examples
    --------
    >>> import pandas as pd
    >>> text = frame_to_json(pd.DataFrame({"a": [0.1 + 0.2], "b": [None]}))
    >>> text
    '{"columns": ["a", "b"], "rows": [[0.30000000000000004, null]]}'
    >>> frame_from_json(text)["a"].tolist()
    [0.30000000000000004]
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"frame={show(frame)} must be a pandas DataFrame.")
    if frame.index.name is not None:
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise InvalidValueError(f"the frame repeats column names {columns}; keep one of each.")
    rows = [[_json_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return json.dumps({"columns": columns, "rows": rows}, ensure_ascii=False, allow_nan=False)


def frame_from_json(text: str) -> pd.DataFrame:
    """The frame :func:`frame_to_json` wrote (every column of ``object`` dtype).

    Raises
    ------
    InvalidValueError
        If ``text`` is not such JSON.

    Examples
    --------
    >>> frame_from_json('{"columns": ["x"], "rows": [["007"]]}')["x"].tolist()
    ['007']
    """
    if not isinstance(text, str | bytes):
        raise InvalidValueError(f"text={show(text)} must be the str frame_to_json returned.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidValueError(
            f"text is not JSON ({exc}); pass what frame_to_json wrote."
        ) from None
    ok = (
        isinstance(data, dict)
        and isinstance(data.get("columns"), list)
        and all(isinstance(c, str) for c in data["columns"])
        and isinstance(data.get("rows"), list)
        and all(isinstance(r, list) and len(r) == len(data["columns"]) for r in data["rows"])
    )
    if not ok:
        raise InvalidValueError(
            'text must be {"columns": [names], "rows": [[cells], ...]} with one cell per '
            "column in every row, as frame_to_json writes it."
        )
    columns: list[str] = data["columns"]
    body = {c: [r[k] for r in data["rows"]] for k, c in enumerate(columns)}
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in body.items()}, columns=columns)


def parquet_trip(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` written to Parquet and read back (for tests; needs pyarrow)."""
    buf = io.BytesIO()
    frame.to_parquet(buf)
    buf.seek(0)
    return pd.read_parquet(buf)
