"""Registry records <-> DataFrame conversion (the persistence shell of CodeRegistry)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit._validation import require_columns
from crmkit.codes._base import show
from crmkit.exceptions import InvalidValueError

__all__ = ["FRAME_COLUMNS", "frame_rows", "records_to_frame"]

FRAME_COLUMNS: Final = (
    "kind",
    "scheme",
    "label",
    "status",
    "merged_into",
    "created",
    "attributes",
    "external_codes",
)
"""Columns of :meth:`CodeRegistry.to_frame` (index ``code``), in this order."""


def records_to_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Entry records -> frame indexed by ``code`` with :data:`FRAME_COLUMNS`.

    ``created`` becomes a UTC datetime column; ``attributes`` and ``external_codes``
    become JSON strings so the frame can be written to CSV or Parquet unchanged.
    """
    return pd.DataFrame(
        {
            "kind": [r["kind"] for r in records],
            "scheme": [r["scheme"] for r in records],
            "label": [r["label"] for r in records],
            "status": [r["status"] for r in records],
            "merged_into": np.array([r["merged_into"] for r in records], dtype=object),
            "created": pd.to_datetime([r["created"] for r in records], utc=True, format="ISO8601"),
            "attributes": [json.dumps(r["attributes"], sort_keys=True) for r in records],
            "external_codes": [json.dumps(r["external_codes"]) for r in records],
        },
        index=pd.Index([r["code"] for r in records], name="code", dtype=object),
        columns=list(FRAME_COLUMNS),
    )


def frame_rows(frame: pd.DataFrame) -> list[tuple[int, Any, str | None]]:
    """The inverse of :func:`records_to_frame`, one ``(row, record, problem)`` per row.

    A row whose cells cannot be read gives ``record=None`` and the reason; the caller
    collects every problem before deciding (frames are never modified). Cells may be
    native (``to_frame`` output) or text (a CSV file read with ``dtype=str,
    keep_default_na=False``).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(
            f"frame={show(frame)} must be a pandas DataFrame (CodeRegistry.to_frame output)."
        )
    require_columns(frame, list(FRAME_COLUMNS))
    if frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidValueError(f"the frame repeats column(s) {dup}; keep one of each.")
    out: list[tuple[int, Any, str | None]] = []
    columns = [frame[c].tolist() for c in FRAME_COLUMNS]
    for pos, (code, *cells) in enumerate(zip(frame.index.tolist(), *columns, strict=True)):
        row = dict(zip(FRAME_COLUMNS, cells, strict=True))
        try:
            record = {
                "code": _text_cell("code (index)", code),
                "kind": _text_cell("kind", row["kind"]),
                "scheme": _text_cell("scheme", row["scheme"]),
                "label": _label_cell(row["label"]),
                "status": _text_cell("status", row["status"]),
                "merged_into": _merged_cell(row["merged_into"]),
                "created": _created_cell(row["created"]),
                "attributes": _json_cell("attributes", row["attributes"], dict),
                "external_codes": _json_cell("external_codes", row["external_codes"], list),
            }
        except InvalidValueError as exc:
            out.append((pos, {"code": code} if isinstance(code, str) else None, str(exc)))
            continue
        out.append((pos, record, None))
    return out


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _text_cell(column: str, value: object) -> str:
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        raise InvalidValueError(
            f"{column}={show(value)} is a number, not text: a CSV reader guessed the type "
            "and may have dropped leading zeros. Read the file with CodeRegistry.read_csv "
            "(or pandas.read_csv(..., dtype=str, keep_default_na=False))."
        )
    if not isinstance(value, str):
        raise InvalidValueError(f"{column}={show(value)} must be text.")
    return value


def _label_cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if _missing(value):
        raise InvalidValueError(
            "label is missing (NaN): a CSV reader turned an empty or 'NA'-like label "
            "into a missing value, so the text is lost. Read the file with "
            "CodeRegistry.read_csv (or pandas.read_csv(..., dtype=str, "
            "keep_default_na=False))."
        )
    raise InvalidValueError(f"label={show(value)} must be text.")


def _merged_cell(value: object) -> str | None:
    if _missing(value) or (isinstance(value, str) and not value):
        return None
    return _text_cell("merged_into", value)


def _created_cell(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidValueError(
                f"created={show(value)} is not an ISO 8601 timestamp with a UTC offset "
                "(e.g. '2026-01-01 00:00:00+00:00')."
            ) from exc
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            raise InvalidValueError("created is missing (NaT); every entry has a creation time.")
        value = value.to_pydatetime()
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValueError(
            f"created={show(value)} must be a timezone-aware timestamp (UTC offset included)."
        )
    return value


def _json_cell(column: str, value: object, kind: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidValueError(
                f"{column}={show(value)} is not valid JSON ({exc}); the column holds JSON "
                "text as written by CodeRegistry.to_frame."
            ) from exc
    if not isinstance(value, kind):
        raise InvalidValueError(
            f"{column}={show(value)} must be a JSON {'object' if kind is dict else 'array'}."
        )
    return value
