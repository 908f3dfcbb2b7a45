"""Dask path of :func:`crmkit.rfm.rfm_scores` (imported only for a dask summary).

A quantile score depends on a customer's value only through the number of customers
with a strictly worse value (pandas' ``rank(method="min") - 1``) and the number of
customers. The cluster counts the customers of each distinct value (``value_counts``);
the driver turns those counts into one score per distinct value, and every partition
looks its values up in that table, so each score is the pandas score. The table has one
row per distinct value: small for frequency and time since the last purchase, up to one
row per customer for a continuous spend column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmkit import columns as cols
from crmkit._validation import require_columns
from crmkit.exceptions import InvalidValueError

__all__ = ["dask_rfm_scores"]


def _score_table(
    counts: pd.Series, n_scores: int, *, higher_is_better: bool
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Sorted distinct values and their scores from the count of each value."""
    values = counts.index.to_numpy(dtype=np.float64)
    n = counts.to_numpy(dtype=np.int64)
    order = np.argsort(values, kind="stable")
    values, n = values[order], n[order]
    total = int(n.sum())
    # customers with a worse value: smaller ones, or larger ones when lower is better
    below = np.cumsum(n) - n if higher_is_better else total - np.cumsum(n)
    return values, 1 + (n_scores * below) // total


def _check_finite(counts: pd.Series, name: str) -> None:
    values = counts.index.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidValueError(
            f"values to score contain {int(counts.to_numpy()[bad].sum())} NaN or infinite "
            f"value(s) in {name!r}; fix or drop those customers first."
        )


def _lookup(column: pd.Series, values: np.ndarray[Any, Any], scores: np.ndarray[Any, Any]) -> Any:
    pos = np.searchsorted(values, column.to_numpy(dtype=np.float64))
    return scores[pos].astype(np.int64)


def _partition(
    part: pd.DataFrame, tables: dict[str, tuple[Any, Any]], spend_col: str
) -> pd.DataFrame:
    inactivity = (part[cols.T] - part[cols.RECENCY]).astype(np.float64)
    out = pd.DataFrame({"inactivity": inactivity}, index=part.index)
    out["recency_score"] = _lookup(inactivity, *tables["inactivity"])
    out["frequency_score"] = _lookup(part[cols.FREQUENCY], *tables[cols.FREQUENCY])
    out["monetary_score"] = _lookup(part[spend_col], *tables[spend_col])
    out["rfm"] = (
        out["recency_score"].astype(str)
        + out["frequency_score"].astype(str)
        + out["monetary_score"].astype(str)
    )
    return out


def dask_rfm_scores(summary: Any, *, spend_col: str, n_scores: int) -> Any:
    """Lazy RFM scores of a dask summary, equal to the pandas scores (module doc)."""
    import dask

    require_columns(summary._meta, [cols.FREQUENCY, cols.RECENCY, cols.T, spend_col])
    inactivity = summary[cols.T] - summary[cols.RECENCY]
    # dask ships no type information for its top-level compute()
    n_negative, *counts = dask.compute(  # type: ignore[attr-defined,no-untyped-call]
        (inactivity < 0).sum(),
        inactivity.value_counts(dropna=False),
        summary[cols.FREQUENCY].value_counts(dropna=False),
        summary[spend_col].value_counts(dropna=False),
    )
    if int(n_negative):
        raise InvalidValueError(
            f"recency > T for {int(n_negative)} customer(s); the summary is inconsistent: "
            "rebuild it with crmkit.rfm_summary."
        )
    names = ["inactivity", cols.FREQUENCY, spend_col]
    tables: dict[str, tuple[Any, Any]] = {}
    for name, count in zip(names, counts, strict=True):
        _check_finite(count, name)
        tables[name] = _score_table(count, n_scores, higher_is_better=name != "inactivity")
    meta = _partition(summary._meta, tables, spend_col)
    return summary.map_partitions(_partition, tables, spend_col, meta=meta)
