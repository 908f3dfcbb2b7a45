"""Small argument checks shared by the BG/BB, Gamma-Gamma and sBG families."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = ["check_generator", "optional_time_unit", "positive_count", "positive_finite"]


def positive_finite(instance: Any, attribute: Any, value: float) -> None:
    """attrs validator: the parameter must be a finite number > 0."""
    if not (math.isfinite(value) and value > 0):
        raise InvalidValueError(
            f"{type(instance).__name__}: parameter {attribute.name}={value!r} must be a "
            "finite number > 0."
        )


def optional_time_unit(value: str | None) -> TimeUnit | None:
    """attrs converter: ``None`` or a valid :data:`~crmkit.timeunits.TimeUnit`."""
    return None if value is None else check_time_unit(value)


def positive_count(value: Any, *, name: str) -> int:
    """Return ``value`` as an int >= 1 or raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidValueError(f"{name}={value!r} must be a whole number >= 1.")
    return int(value)


def check_generator(rng: Any) -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator`; an int seeds a new one."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise InvalidValueError(
        f"rng={rng!r} must be a numpy.random.Generator (e.g. numpy.random.default_rng(42)) "
        "or an integer seed; crmkit never uses the global random state."
    )
