"""Registry records <-> DataFrame conversion (the persistence shell of CodeRegistry)."""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
import pandas as pd

from crmkit._validation import require_columns

__all__ = ["FRAME_COLUMNS", "frame_to_records", "records_to_frame"]

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
            "created": pd.to_datetime([r["created"] for r in records], utc=True),
            "attributes": [json.dumps(r["attributes"], sort_keys=True) for r in records],
            "external_codes": [json.dumps(r["external_codes"]) for r in records],
        },
        index=pd.Index([r["code"] for r in records], name="code", dtype=object),
        columns=list(FRAME_COLUMNS),
    )


def frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The inverse of :func:`records_to_frame` (columns checked, frame not modified)."""
    require_columns(frame, list(FRAME_COLUMNS))
    created = pd.to_datetime(frame["created"], utc=True)
    merged = frame["merged_into"].astype(object).where(frame["merged_into"].notna(), None)
    return [
        {
            "code": str(code),
            "kind": kind,
            "scheme": scheme,
            "label": label,
            "status": status,
            "merged_into": into,
            "created": ts.to_pydatetime(),
            "attributes": json.loads(attributes),
            "external_codes": json.loads(external),
        }
        for code, kind, scheme, label, status, into, ts, attributes, external in zip(
            frame.index,
            frame["kind"],
            frame["scheme"],
            frame["label"],
            frame["status"],
            merged,
            created,
            frame["attributes"],
            frame["external_codes"],
            strict=True,
        )
    ]
