"""The column contract of the survival tables, checked once at the public boundary.

One row per customer: a tenure (time observed until churn or the end of observation), a
churn flag, optionally an entry time (left truncation) and a group label. The checks
return plain numpy arrays; the input frame is never modified.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._validation import (
    check_numeric_column,
    check_text,
    preview,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = [
    "SurvivalData",
    "check_missing",
    "read_churn_flags",
    "read_survival_data",
    "read_times",
    "read_weights",
]


@attrs.frozen(kw_only=True)
class SurvivalData:
    """Validated arrays of one survival table call (one entry per customer)."""

    tenure: NDArray[np.float64]
    churned: NDArray[np.bool_]
    entry: NDArray[np.float64] | None
    weights: NDArray[np.float64] | None
    """Frequency weight of each row (``None``: every row is one customer)."""
    codes: NDArray[np.intp]
    """Group code of each customer, 0 .. len(groups) - 1 (all 0 without groups)."""
    groups: tuple[Any, ...]
    """Group labels in code order (sorted where the labels sort); ``()`` without groups."""
    group_col: str | None


def _shown(values: NDArray[np.float64]) -> str:
    """Values for a message: whole numbers without a trailing .0 (-5, not -5.0)."""
    return preview([int(v) if np.isfinite(v) and v == int(v) else float(v) for v in values])


def check_missing(frame: pd.DataFrame, column: str) -> None:
    """Raise :class:`~crmkit.exceptions.InvalidValueError` if ``frame[column]`` has gaps.

    Shared by the survival tables and the contractual models of :mod:`crmkit.clv`, so
    both name the column, the count and the first rows the same way.
    """
    bad = frame[column].isna().to_numpy()
    if bad.any():
        raise InvalidValueError(
            f"column {column!r} has {int(bad.sum()):,} missing value(s), at index "
            f"{preview(frame.index[bad])}; every customer needs a value. Fill them, or "
            "drop those rows yourself (frame.dropna(subset=[...])) and say so in your "
            "analysis."
        )


def read_times(frame: pd.DataFrame, column: str, what: str) -> NDArray[np.float64]:
    """A numeric column without gaps, finite and >= 0 (tenure, entry time, weight)."""
    check_numeric_column(frame, column)
    check_missing(frame, column)
    values = frame[column].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InvalidValueError(
            f"column {column!r} ({what}) must hold finite values >= 0; {int(bad.sum()):,} "
            f"row(s) do not, at index {preview(frame.index[bad])} (values "
            f"{_shown(values[bad])}). Correct or drop those rows."
        )
    return values


def read_weights(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    """Frequency weights: how many customers each row stands for (finite, >= 0, sum > 0)."""
    weights = read_times(frame, column, "frequency weight")
    with np.errstate(over="ignore"):  # an overflow to inf is reported below
        total = float(weights.sum())
    if not 0 < total < np.inf:
        raise InvalidValueError(
            f"the weights in column {column!r} sum to {total!r}: they must count some "
            "customers, and finitely many. Pass the number of customers each row stands "
            "for."
        )
    return weights


def read_churn_flags(frame: pd.DataFrame, column: str) -> NDArray[np.bool_]:
    """The churn flags of ``frame[column]``: boolean (also nullable) or 0/1, no gaps.

    Text ("Yes"/"No") is refused, never guessed; an object column of Python booleans
    (e.g. after a concat) is read as booleans.
    """
    series = frame[column]
    dtype = series.dtype
    fix = (
        f"convert it first, e.g. frame[{column!r}].eq('Yes') for a Yes/No column "
        "(True = churned, False = still active)."
    )
    check_missing(frame, column)
    if pd.api.types.is_bool_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=np.bool_), dtype=np.bool_)
    if pd.api.types.is_object_dtype(dtype) and all(isinstance(v, bool | np.bool_) for v in series):
        return np.asarray(series.to_numpy(dtype=np.bool_), dtype=np.bool_)
    if not pd.api.types.is_numeric_dtype(dtype):
        raise InvalidValueError(
            f"column {column!r} must be boolean (or 0/1), got dtype {dtype} (values such "
            f"as {preview(pd.unique(series)[:5].tolist())}); text is not converted: {fix}"
        )
    values = series.to_numpy(dtype=np.float64)
    bad = (values != 0) & (values != 1)
    if bad.any():
        raise InvalidValueError(
            f"column {column!r} must be boolean (or 0/1); {int(bad.sum()):,} row(s) hold "
            f"other values than 0 and 1, at index {preview(frame.index[bad])} (values "
            f"{_shown(values[bad])}); {fix}"
        )
    flags: NDArray[np.bool_] = values == 1
    return flags


def _group_codes(frame: pd.DataFrame, column: str) -> tuple[NDArray[np.intp], tuple[Any, ...]]:
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(series, sort=True)  # category order
    else:
        try:
            codes, uniques = pd.factorize(series, sort=True)
        except TypeError:  # labels of mixed types that do not sort: first-seen order
            codes, uniques = pd.factorize(series, sort=False)
    if codes.size and codes.min() < 0:  # factorize marks missing labels with -1
        check_missing(frame, column)
    return np.asarray(codes, dtype=np.intp), tuple(np.asarray(uniques, dtype=object).tolist())


def read_survival_data(
    data: Any,
    *,
    tenure_col: str,
    churned_col: str,
    entry_col: str | None,
    group_col: str | None,
    weights_col: str | None = None,
) -> SurvivalData:
    """Check the columns of ``data`` and return them as arrays.

    Raises
    ------
    MissingColumnsError
        If a named column is absent (all of them are listed).
    InvalidValueError
        For missing values, negative or non-finite times, or a churn column that is not
        boolean or 0/1.
    InvariantError
        If an entry time is after the customer's tenure.
    """
    names = {"tenure_col": tenure_col, "churned_col": churned_col}
    if entry_col is not None:
        names["entry_col"] = entry_col
    if group_col is not None:
        names["group_col"] = group_col
    if weights_col is not None:
        names["weights_col"] = weights_col
    for arg, value in names.items():
        check_text(value, name=arg, allow_empty=False)
    require_columns(
        data,
        list(names.values()),
        hint="Pass the names of your columns with tenure_col=, churned_col=, entry_col=, "
        "group_col= and weights_col=.",
    )
    require_nonempty(data, name="data")
    tenure = read_times(data, tenure_col, "tenure")
    churned = read_churn_flags(data, churned_col)
    entry = None
    if entry_col is not None:
        entry = read_times(data, entry_col, "entry time")
        late = entry > tenure
        if late.any():
            raise InvariantError(
                f"{int(late.sum()):,} customer(s) enter after their tenure ends "
                f"({entry_col!r} > {tenure_col!r}) at index {preview(data.index[late])}; "
                "the entry time is when observation of the customer starts, so it must "
                f"be <= {tenure_col!r}. Correct those rows."
            )
    weights = None
    if weights_col is not None:
        weights = read_weights(data, weights_col)
    if group_col is None:
        codes = np.zeros(len(tenure), dtype=np.intp)
        groups: tuple[Any, ...] = ()
    else:
        codes, groups = _group_codes(data, group_col)
    if weights is not None and not (weights > 0).all():
        # a row of weight 0 stands for no customer: it must not add a time to the
        # timeline (the first time of a group decides who is at risk at once)
        kept = weights > 0
        tenure, churned, weights = tenure[kept], churned[kept], weights[kept]
        entry = None if entry is None else entry[kept]
        if group_col is not None:
            codes, groups = _group_codes(data.loc[kept, [group_col]], group_col)
    return SurvivalData(
        tenure=tenure,
        churned=churned,
        entry=entry,
        weights=weights,
        codes=codes,
        groups=groups,
        group_col=group_col,
    )
