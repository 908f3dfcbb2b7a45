"""Input handling of :mod:`crmkit.pareto`: values per unit from arrays, frames or dask.

Private. Turns whatever the user passed (a list, an array, a Series, a transaction
DataFrame with a value and an optional group column, or a dask DataFrame) into one
float64 array of values per unit (customer, product, ...) with optional labels, and
applies the NaN and negative-value policies.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._engines import is_dask
from crmkit._validation import (
    check_nan_policy,
    check_numeric_column,
    check_option,
    preview,
    real_array,
    require_columns,
)
from crmkit.exceptions import InvalidValueError

__all__ = ["NegativePolicy", "unit_values"]

NegativePolicy: TypeAlias = Literal["raise", "clip", "exclude", "keep"]
"""What to do with units whose value is negative (net returns, loss-making customers)."""

_NEGATIVE = ("raise", "clip", "exclude", "keep")


def _from_frame(
    data: Any, value_col: str | None, group_col: str | None
) -> tuple[NDArray[np.float64], pd.Index[Any] | None]:
    if value_col is None:
        raise InvalidValueError(
            "a DataFrame needs value_col= naming the value column (and group_col= to sum "
            "it per customer or product first)."
        )
    wanted = [value_col] if group_col is None else [group_col, value_col]
    dask = is_dask(data)
    meta = data._meta if dask else data  # dask keeps an empty pandas frame as _meta
    require_columns(meta, wanted)
    check_numeric_column(meta, value_col)
    if dask:
        if group_col is None:
            series = data[value_col].compute()
        else:
            n_missing = int(data[group_col].isna().sum().compute())
            if n_missing:
                raise InvalidValueError(
                    f"column {group_col!r} has {n_missing} missing value(s); fill or drop "
                    "them first so that no value is silently left out of the groups."
                )
            # a group with any NaN value sums to NaN, as on pandas (dask's sum skips NaN)
            rows = data[[group_col, value_col]].assign(_crmkit_nan=data[value_col].isna())
            agg = rows.groupby(group_col).agg({value_col: "sum", "_crmkit_nan": "sum"})
            res = agg.compute().sort_index()
            series = res[value_col].astype(np.float64).where(res["_crmkit_nan"] == 0)
        return series.to_numpy(dtype=np.float64, na_value=np.nan), (
            None if group_col is None else pd.Index(series.index)
        )
    if group_col is None:
        return data[value_col].to_numpy(dtype=np.float64, na_value=np.nan), pd.Index(data.index)
    keys = data[group_col]
    if bool(keys.isna().any()):
        raise InvalidValueError(
            f"column {group_col!r} has {int(keys.isna().sum())} missing value(s) at index "
            f"{preview(data.index[keys.isna().to_numpy()])}; fill or drop them first so "
            "that no value is silently left out of the groups."
        )
    codes, labels = pd.factorize(keys, sort=True)
    vals = data[value_col].to_numpy(dtype=np.float64, na_value=np.nan)
    weights = np.nan_to_num(vals, nan=0.0)
    sums = np.bincount(codes, weights=weights, minlength=len(labels)).astype(np.float64)
    has_nan = np.bincount(codes, weights=np.isnan(vals), minlength=len(labels)) > 0
    sums[has_nan] = np.nan
    return sums, pd.Index(labels, name=group_col)


def unit_values(
    data: Any,
    *,
    value_col: str | None,
    group_col: str | None,
    negative: str,
    nan_policy: str,
) -> tuple[NDArray[np.float64], pd.Index[Any] | None]:
    """Values per unit as float64 plus labels (or None), after the NaN/negative policies."""
    check_option(
        negative,
        _NEGATIVE,
        name="negative",
        hint="'clip' counts negative units as 0, 'exclude' removes them, 'keep' keeps them "
        "(shares may leave [0, 1]).",
    )
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise InvalidValueError(
            "nan_policy='propagate' is not supported: a concentration with NaN values is "
            "undefined; use 'raise' or 'omit'."
        )
    labels: pd.Index[Any] | None
    if isinstance(data, pd.DataFrame) or is_dask(data):
        values, labels = _from_frame(data, value_col, group_col)
    elif group_col is not None or value_col is not None:
        raise InvalidValueError("value_col= and group_col= apply to DataFrame input only.")
    elif isinstance(data, pd.Series):
        if pd.api.types.is_numeric_dtype(data.dtype) and not pd.api.types.is_bool_dtype(
            data.dtype
        ):
            values = data.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = real_array(data.to_numpy(), name="values")
        labels = pd.Index(data.index)
    else:
        values = real_array(data, name="values")
        labels = None
        if values.ndim != 1:
            raise InvalidValueError(f"values must be one-dimensional, got shape {values.shape}.")
    keep: NDArray[np.bool_] | None = None
    nan = np.isnan(values)
    if nan.any():
        if policy == "raise":
            where = np.flatnonzero(nan).tolist() if labels is None else labels[nan]
            raise InvalidValueError(
                f"values have {int(nan.sum())} missing value(s) at {preview(where)}; fill "
                "or drop them, or pass nan_policy='omit' to drop them explicitly."
            )
        keep = ~nan
    if np.isinf(values).any():
        raise InvalidValueError("values contain infinity; fix or drop those units.")
    neg = values < 0
    if neg.any():
        if negative == "raise":
            where = np.flatnonzero(neg).tolist() if labels is None else labels[neg]
            raise InvalidValueError(
                f"{int(neg.sum())} unit(s) have a negative value (at {preview(where)}); pass "
                "negative='clip' to count them as 0, 'exclude' to remove them, or 'keep' "
                "to keep them (shares may then leave [0, 1])."
            )
        if negative == "clip":
            values = np.where(neg, 0.0, values)
        elif negative == "exclude":
            keep = ~neg if keep is None else keep & ~neg
    if keep is not None:
        values = values[keep]
        labels = None if labels is None else labels[keep]
    if values.size == 0:
        raise InvalidValueError("no values left to measure concentration on; pass some.")
    return values, labels
