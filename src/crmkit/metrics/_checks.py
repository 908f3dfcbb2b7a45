"""Private input checks shared by the :mod:`crmkit.metrics` modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._dates import check_date_range
from crmkit._validation import (
    check_finite,
    check_in_range,
    overflow_scale,
    real_array,
    real_number,
)
from crmkit.exceptions import InvalidValueError

__all__ = [
    "as_flows",
    "as_nonempty_array",
    "check_count",
    "check_rate",
    "dated_series",
    "discount_factors",
    "labelled_values",
    "scaled_total",
    "survey_answers",
]


def as_nonempty_array(values: ArrayLike, *, name: str) -> NDArray[np.float64]:
    """One-dimensional finite float array with at least one element."""
    arr = check_finite(values, name=name)
    if arr.ndim != 1:
        raise InvalidValueError(
            f"{name} must be one-dimensional, got shape {arr.shape}; pass a flat sequence."
        )
    if arr.size == 0:
        raise InvalidValueError(f"{name} is empty; pass at least one value.")
    return arr


def as_flows(cash_flows: ArrayLike, *, name: str = "cash_flows") -> NDArray[np.float64]:
    """Cash flows as a finite 1-D float array (``cash_flows[t]`` at the end of period t)."""
    return as_nonempty_array(cash_flows, name=name)


def check_rate(rate: float, *, name: str = "rate") -> float:
    """A per-period rate must be finite and > -1 (a -100 % rate makes discounting undefined)."""
    r = real_number(rate, name=name)
    if not np.isfinite(r) or r <= -1.0:
        raise InvalidValueError(
            f"{name}={rate!r} is out of range: a rate per period must be finite and > -1 "
            "(-1 means losing everything each period, where discounting is undefined). "
            "Pass rates as fractions, e.g. 0.08 for 8 % per period."
        )
    return r


def discount_factors(rate: float, periods: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(1 + rate) ** -t`` for each ``t``, raising a clear error instead of overflowing."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            return np.asarray((1.0 + rate) ** -periods, dtype=np.float64)
    except FloatingPointError as exc:
        raise InvalidValueError(
            f"discounting at rate={rate!r} over {int(periods.max())} periods overflows the "
            "float range: (1 + rate)**-t is too large. Use a rate further from -1."
        ) from exc


def scaled_total(values: NDArray[np.float64], weights: NDArray[np.float64], *, name: str) -> float:
    """``sum(values * weights)`` without overflow in between; raise if the total overflows.

    The values are divided by a power of two (:func:`crmkit._validation.overflow_scale`,
    exact) when their sum could leave the float range, and the total is scaled back.
    """
    scale = overflow_scale(values)
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum((values / scale) * weights)) * scale
    if not np.isfinite(total):
        raise InvalidValueError(
            f"{name} is beyond the float range (about 1.8e308); rescale the amounts "
            "(e.g. to millions) first."
        )
    return total


def labelled_values(values: Any, *, name: str) -> pd.Series[float]:
    """A mapping or Series of numbers by label (category, code, rival) as a float Series.

    Values follow the coercion policy (real numbers only; NaN and inf are left for the
    caller's range checks).
    """
    if isinstance(values, pd.Series):
        labels, raw = list(values.index), list(values.to_numpy())
    elif isinstance(values, Mapping):
        labels, raw = list(values.keys()), list(values.values())
    else:
        raise InvalidValueError(
            f"{name} must be a mapping {{label: number}} or a pandas Series, got "
            f"{type(values).__name__}."
        )
    return pd.Series(real_array(raw, name=name), index=pd.Index(labels, dtype=object))


def dated_series(values: pd.Series[Any], *, name: str) -> pd.Series[float]:
    """Validate a numeric series indexed by timestamps; return it as float, sorted."""
    if not isinstance(values, pd.Series):
        raise InvalidValueError(
            f"{name} must be a pandas Series indexed by datetime, got {type(values).__name__}; "
            "build one with pandas.Series(amounts, index=pandas.to_datetime(dates))."
        )
    if len(values) == 0:
        raise InvalidValueError(f"{name} is empty (0 rows); pass at least one dated value.")
    if not isinstance(values.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{name} must have a DatetimeIndex, got {type(values.index).__name__}; "
            "convert with series.index = pandas.to_datetime(series.index)."
        )
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise InvalidValueError(f"{name} must be numeric, got dtype {values.dtype}.")
    check_finite(values.to_numpy(dtype=np.float64), name=name)
    if values.index.hasnans:
        raise InvalidValueError(f"{name} has missing (NaT) dates; drop or fill them first.")
    check_date_range(values.index, name=f"the index of {name}")
    return values.astype(np.float64).sort_index()


def survey_answers(answers: ArrayLike, *, low: int, high: int, name: str) -> NDArray[np.int64]:
    """Validate survey answers: a non-empty 1-D sequence of integers in ``[low, high]``.

    Parameters
    ----------
    answers : array_like
        Raw answers, one per respondent.
    low, high : int
        The ends of the integer scale.
    name : str
        Name of the survey, used in error messages.

    Returns
    -------
    numpy.ndarray of int64
        The answers, flattened.

    Raises
    ------
    InvalidValueError
        If empty or any answer is not an integer in ``[low, high]``.

    Examples
    --------
    >>> survey_answers([1, 5, 3], low=1, high=5, name="csat").tolist()
    [1, 5, 3]
    >>> survey_answers([0, 11], low=0, high=10, name="nps")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: nps answers must be integers on the 0-10 scale; ...
    """
    arr = real_array(answers, name=f"{name} answers").ravel()
    if arr.size == 0:
        raise InvalidValueError(f"{name} answers are empty; pass at least one answer.")
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < low) | (arr > high)
    if bad.any():
        shown = arr[bad][:5].tolist()
        raise InvalidValueError(
            f"{name} answers must be integers on the {low}-{high} scale; {int(bad.sum())} "
            f"answer(s) are not, e.g. {shown}. Remove non-responses and recode the scale."
        )
    return arr.astype(np.int64)


def check_count(value: Any, *, name: str, low: float = 0.0) -> int:
    """Return ``value`` as an int if it is a whole number ``>= low``, else raise.

    A fractional count (``2.5`` periods, a ``5.5``-point scale) is an input error, not
    something to truncate silently.
    """
    v = check_in_range(value, name=name, low=low)
    if isinstance(value, bool) or v != int(v):
        raise InvalidValueError(f"{name}={value!r} must be a whole number (a count).")
    return int(v)
