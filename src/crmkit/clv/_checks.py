"""Small argument checks and output helpers shared by the CLV families: parameters,
horizons, random generators, simulation sizes, and the Series/DataFrame of a prediction."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit import columns as cols
from crmkit._validation import check_whole, real_array, real_number
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = [
    "broadcast_values",
    "check_horizon",
    "frame_result",
    "labels_of",
    "optional_time_unit",
    "positive_count",
    "positive_finite",
    "real_parameter",
    "resolve_model_unit",
    "scalar_or_array",
    "simulation_frame",
    "simulation_times",
]

Arr = NDArray[np.float64]


def real_parameter(value: Any) -> float:
    """attrs converter of a model parameter: a real number becomes a float.

    Anything else (a numeric string such as ``"0.24"``, a bool, None, an integer too
    large for a float) is passed through unchanged for :func:`positive_finite` to refuse
    with the parameter's name, under the coercion policy of :mod:`crmkit.exceptions`.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return value  # type: ignore[return-value]  # refused by the validator
    try:
        return float(value)
    except (OverflowError, TypeError, ValueError):
        return value  # type: ignore[return-value]  # refused by the validator


def positive_finite(instance: Any, attribute: Any, value: float) -> None:
    """attrs validator: the parameter must be a finite real number > 0."""
    value = real_number(value, name=f"{type(instance).__name__}: parameter {attribute.name}")
    if not (math.isfinite(value) and value > 0):
        raise InvalidValueError(
            f"{type(instance).__name__}: parameter {attribute.name}={value!r} must be a "
            "finite number > 0."
        )


def optional_time_unit(value: str | None) -> TimeUnit | None:
    """attrs converter: ``None`` or a valid :data:`~crmkit.timeunits.TimeUnit`."""
    return None if value is None else check_time_unit(value)


def positive_count(value: Any, *, name: str) -> int:
    """Return ``value`` as an int from 1 to 10**8 (memory for a simulation) or raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= 1e8:
        raise InvalidValueError(f"{name}={value!r:.40} must be a whole number from 1 to 10**8.")
    return int(value)


def broadcast_values(values: Any, size: int, *, name: str) -> NDArray[np.float64]:
    """``values`` (a number or one per customer) as a float array of ``size`` entries.

    Raises :class:`~crmkit.exceptions.InvalidValueError` for values that are not real
    numbers (coercion policy) or an array whose length is neither 1 nor ``size``.
    """
    arr = real_array(values, name=name)
    try:
        return np.broadcast_to(arr, (size,)).copy()
    except ValueError as exc:
        raise InvalidValueError(
            f"{name} has shape {arr.shape}; give one number or one per customer ({size})."
        ) from exc


def labels_of(index: pd.Index, mask: NDArray[np.bool_]) -> str:
    """The first five index labels where ``mask`` is True, and how many more, for messages."""
    labels = index[mask][:5].tolist()
    more = int(mask.sum()) - len(labels)
    return f"{labels}" + (f" and {more} more" if more > 0 else "")


def scalar_or_array(values: Any) -> NDArray[np.float64]:
    """The one return convention of the CLV families' array methods.

    A scalar input gives a :class:`numpy.float64` (a ``float`` that still has ``.round``,
    ``.shape`` and ``.item``); anything else an ``ndarray`` of float64.
    """
    arr = np.asarray(values, dtype=np.float64)
    return arr[()] if arr.ndim == 0 else arr


def resolve_model_unit(model: Any, model_time_unit: str | None) -> TimeUnit | None:
    """The time unit a purchase model measures in: its ``time_unit`` or the one stated.

    Returns None when neither is known (the caller decides whether that is an error);
    raises when both are known and differ.
    """
    if model_time_unit is not None:
        model_time_unit = check_time_unit(model_time_unit, name="model_time_unit")
    carried = getattr(model, "time_unit", None)
    if model_time_unit is not None and carried is not None and model_time_unit != carried:
        raise InvalidValueError(
            f"model_time_unit={model_time_unit!r} contradicts the model's own "
            f"time_unit={carried!r}; drop model_time_unit (the model knows its unit) or "
            "refit the model on a summary in the unit you meant."
        )
    declared = model_time_unit if model_time_unit is not None else carried
    return None if declared is None else check_time_unit(str(declared))


def check_horizon(t: ArrayLike, *, name: str = "t") -> Arr:
    """Return ``t`` as a float array after checking it is finite and >= 0."""
    arr = real_array(t, name=name)
    if arr.ndim > 1:
        raise InvalidValueError(f"{name} must be a scalar or a 1-d array; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidValueError(
            f"{name}={arr.tolist()!r} must be finite and >= 0 (a duration in the model's time "
            "unit)."
        )
    return arr


def frame_result(values: Arr, t: Arr, index: pd.Index, name: str) -> pd.Series | pd.DataFrame:
    """Wrap a prediction computed into a new array (not copied again) by horizon."""
    if t.ndim == 0:
        return pd.Series(values, index=index, name=name, copy=False)
    return pd.DataFrame(values, index=index, columns=pd.Index(t, name="t"), copy=False)


def simulation_frame(x: Arr, tx: Arr, T: Arr, time_unit: TimeUnit | None) -> pd.DataFrame:
    """Wrap simulated sufficient statistics in a summary frame indexed by customer_id."""
    frame = pd.DataFrame(
        {cols.FREQUENCY: x, cols.RECENCY: tx, cols.T: T},
        index=pd.RangeIndex(x.size, name=cols.CUSTOMER_ID),
    )
    if time_unit is not None:
        frame.attrs["crmkit_time_unit"] = time_unit
    return frame


def simulation_times(n_customers: int, T: ArrayLike) -> Arr:
    """Broadcast and check the observation lengths of a simulation."""
    n_customers = check_whole(n_customers, name="n_customers", low=1, high=10**8)
    arr = broadcast_values(T, n_customers, name="T")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0) or np.any(arr > 1e6):
        raise InvalidValueError("T must be > 0 and at most 1e6 for every simulated customer.")
    return arr
