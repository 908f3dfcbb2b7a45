"""Private: real positive roots of the NPV polynomial ``sum c_t x**t`` (x = 1/(1+r)).

Both finders evaluate the polynomial divided by a power of ``x`` so that no term
overflows, and turn numerically hopeless cases into clear errors instead of NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from crmkit.exceptions import ConvergenceError, InvalidValueError

__all__ = ["X_MAX", "polished_roots", "single_root"]

X_MAX = 1e15
"""Largest usable ``x = 1/(1+r)``: beyond it ``r`` is within 1e-15 of -100 %."""
_X_MIN = 1e-300


def _poly(c: NDArray[np.float64], x: float) -> tuple[float, float]:
    """Value and derivative of ``sum c_t x**t`` (Horner)."""
    value = 0.0
    deriv = 0.0
    for coef in c[::-1]:
        deriv = deriv * x + value
        value = value * x + float(coef)
    return value, deriv


def _scaled_value(c: NDArray[np.float64], x: float) -> float:
    """``sum c_t x**t`` divided by a positive power of ``x`` (same sign, no overflow)."""
    t = np.flatnonzero(c)
    shift = t[0] if x <= 1.0 else t[-1]
    return float(np.sum(c[t] * np.power(x, (t - shift).astype(np.float64))))


def _normalised_value(c: NDArray[np.float64], x: float) -> float:
    """``sum c_t x**t`` over ``sum |c_t| x**t``: same sign and roots, always in [-1, 1]."""
    t = np.flatnonzero(c)
    shift = t[0] if x <= 1.0 else t[-1]
    terms = c[t] * np.power(x, (t - shift).astype(np.float64))
    return float(np.sum(terms) / np.sum(np.abs(terms)))


def _near_minus_one() -> InvalidValueError:
    return InvalidValueError(
        "the internal rate of return lies within 1e-15 of -100 % per period: the inflows "
        "are negligible against the outflows (or the reverse), so no meaningful IRR exists. "
        "Check the flows' signs and units."
    )


def single_root(c: NDArray[np.float64]) -> float:
    """The unique positive root (in x) when the flows change sign exactly once.

    Descartes' rule guarantees exactly one; it is bracketed by halving/doubling from
    ``x = 1`` and found by Brent's method, which is robust to tiny or huge coefficients.
    """
    low_sign = np.sign(c[np.flatnonzero(c)[0]])
    f1 = _scaled_value(c, 1.0)
    if f1 == 0.0:
        return 1.0
    if np.sign(f1) == low_sign:  # root beyond x = 1 (negative rate)
        lo, hi = 1.0, 2.0
        while np.sign(_scaled_value(c, hi)) == low_sign:
            if hi > X_MAX:
                raise _near_minus_one()
            lo, hi = hi, hi * 2.0
    else:  # root below x = 1 (positive rate)
        lo, hi = 0.5, 1.0
        while np.sign(_scaled_value(c, lo)) != low_sign:
            if lo < _X_MIN:
                raise InvalidValueError(
                    "the internal rate of return exceeds 1e300 per period; the flows are "
                    "too unbalanced for a meaningful IRR. Check their signs and units."
                )
            lo, hi = lo / 2.0, lo
    t = np.flatnonzero(c)
    coef = c[t]
    up = (t - t[-1]).astype(np.float64)  # exponents for x > 1 (all <= 0)
    down = (t - t[0]).astype(np.float64)  # exponents for x <= 1 (all >= 0)

    def h(u: float) -> float:
        terms = coef * np.exp(u * (up if u > 0 else down))
        return float(terms.sum() / np.abs(terms).sum())

    from scipy.optimize import brentq  # imported on first use: keeps `import crmkit` light

    try:  # solve in u = log(x) on the normalised value: well scaled at any magnitude
        u = brentq(h, math.log(lo), math.log(hi), xtol=1e-15, rtol=4 * np.finfo(np.float64).eps)
        return math.exp(float(u))
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - bracket guarantees a root
        raise ConvergenceError(
            f"Brent's method failed to locate the IRR in x in [{lo}, {hi}]: {exc}"
        ) from exc


def polished_roots(c: NDArray[np.float64]) -> list[float]:
    """Positive real roots (in x) of ``sum c_t x**t`` via companion eigenvalues + Newton."""
    raw = np.roots(c[::-1])
    cand = raw.real[(np.abs(raw.imag) <= 1e-7 * np.abs(raw)) & (raw.real > 0)]
    found: list[float] = []
    for x0 in np.sort(cand):
        x = float(x0)
        for _ in range(50):
            f, d = _poly(c, x)
            if not (math.isfinite(f) and math.isfinite(d)) or d == 0.0:
                break
            step = f / d
            if not math.isfinite(step) or x - step <= 0:
                break
            x -= step
            if abs(step) <= 1e-15 * max(1.0, abs(x)):
                break
        if not abs(_normalised_value(c, x)) <= 1e-9:  # also rejects NaN
            continue
        if any(abs(x - y) <= 1e-9 * max(1.0, x) for y in found):
            continue
        if x > X_MAX:
            raise _near_minus_one()
        found.append(x)
    return found
