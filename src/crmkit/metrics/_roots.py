"""Private: real positive roots of the NPV polynomial ``sum c_t x**t`` (x = 1/(1+r))."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

__all__ = ["polished_roots", "single_root"]


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
            lo, hi = hi, hi * 2.0
    else:  # root below x = 1 (positive rate)
        lo, hi = 0.5, 1.0
        while np.sign(_scaled_value(c, lo)) != low_sign:
            lo, hi = lo / 2.0, lo
    return float(brentq(lambda x: _scaled_value(c, x), lo, hi, xtol=1e-300, rtol=1e-15))


def polished_roots(c: NDArray[np.float64]) -> list[float]:
    """Positive real roots (in x) of ``sum c_t x**t`` via companion eigenvalues + Newton."""
    raw = np.roots(c[::-1])
    scale = np.maximum(1.0, np.abs(raw))
    cand = raw.real[(np.abs(raw.imag) <= 1e-7 * scale) & (raw.real > 0)]
    tol_f = 1e-10 * float(np.sum(np.abs(c)))
    found: list[float] = []
    for x0 in np.sort(cand):
        x = float(x0)
        for _ in range(50):
            f, d = _poly(c, x)
            if d == 0.0:
                break
            step = f / d
            if x - step <= 0:
                break
            x -= step
            if abs(step) <= 1e-15 * max(1.0, abs(x)):
                break
        f, _ = _poly(c, x)
        if abs(f) > tol_f * max(1.0, x ** (c.size - 1)):
            continue
        if any(abs(x - y) <= 1e-9 * max(1.0, x) for y in found):
            continue
        found.append(x)
    return found
