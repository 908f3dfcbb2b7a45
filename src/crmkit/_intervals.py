"""One result type for a confidence interval of a single quantity."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import attrs

from crmkit.exceptions import InvalidValueError

__all__ = ["ConfidenceInterval"]


def _to_float(value: Any) -> float:
    """Real numbers (not bools) as float; anything else raises (named by the validator)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValueError(
            f"ConfidenceInterval: {value!r} is not a real number; estimate, lower and upper "
            "are numbers."
        )
    return float(value)


def _finite_or_nan(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if math.isinf(value) and attribute.name == "estimate":
        raise InvalidValueError(f"ConfidenceInterval estimate={value!r} must be finite.")


def _text(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidValueError(
            f"ConfidenceInterval {attribute.name}={value!r} must be a non-empty text naming "
            "how the interval was computed (e.g. 'percentile bootstrap')."
        )


def _level(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise InvalidValueError(
            f"ConfidenceInterval level={value!r} must lie strictly between 0 and 1 "
            "(0.95 for a 95% interval)."
        )


@attrs.frozen
class ConfidenceInterval:
    """A point estimate with a two-sided confidence interval.

    Every scalar interval crmkit returns has this type (the bootstrap interval of a
    revenue share, of a claim's measured value, ...). Per-row intervals (one per
    customer or per parameter) come as DataFrames with the same column names,
    ``estimate``, ``lower`` and ``upper``.

    Attributes
    ----------
    estimate : float
        The point estimate.
    lower, upper : float
        The interval's ends, ``lower <= upper`` (infinite ends are allowed, e.g. an
        interval open to one side at a boundary of the parameter space).
    level : float
        Confidence level in (0, 1), e.g. 0.95.
    method : str
        How the interval was computed, e.g. ``"percentile bootstrap"`` or ``"Wilson"``.

    Examples
    --------
    >>> ci = ConfidenceInterval(0.62, 0.58, 0.66, level=0.95, method="percentile bootstrap")
    >>> lower, upper = ci  # unpacks like a (lower, upper) pair
    >>> round(ci.width, 2), 0.6 in ci, 0.7 in ci
    (0.08, True, False)
    >>> print(ci)
    0.62 (95% CI 0.58 to 0.66, percentile bootstrap)
    """

    estimate: float = attrs.field(converter=_to_float, validator=_finite_or_nan)
    lower: float = attrs.field(converter=_to_float, validator=_finite_or_nan)
    upper: float = attrs.field(converter=_to_float, validator=_finite_or_nan)
    level: float = attrs.field(kw_only=True, validator=_level)
    method: str = attrs.field(kw_only=True, validator=_text)

    def __attrs_post_init__(self) -> None:
        if self.lower > self.upper:
            raise InvalidValueError(
                f"ConfidenceInterval lower={self.lower!r} is above upper={self.upper!r}."
            )

    @property
    def width(self) -> float:
        """``upper - lower``."""
        return self.upper - self.lower

    def __contains__(self, value: object) -> bool:
        """True when ``lower <= value <= upper``."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return self.lower <= value <= self.upper

    def __iter__(self) -> Iterator[float]:
        """``lower, upper``: so ``lo, hi = interval`` works as with a pair."""
        return iter((self.lower, self.upper))

    def __str__(self) -> str:
        est, lo, hi = (_number(v) for v in (self.estimate, self.lower, self.upper))
        return f"{est} ({self.level:.0%} CI {lo} to {hi}, {self.method})"


def _number(value: float) -> str:
    """Four significant digits; totals from 10,000 as whole numbers with separators."""
    if math.isfinite(value) and 1e4 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"
