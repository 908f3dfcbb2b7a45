"""Finite-difference derivatives for the maximum-likelihood driver (private).

Hessians as central differences of an analytic gradient (or second differences of the
value), a central gradient, and a Cholesky test of definiteness.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["_central_gradient", "_hessian_block", "_is_positive_definite"]


def _hessian_block(
    f: Callable[[NDArray[np.float64]], float],
    grad: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None,
    z: NDArray[np.float64],
    idx: NDArray[np.intp],
) -> NDArray[np.float64]:
    """Hessian of ``f`` at ``z`` restricted to the coordinates ``idx`` (central differences)."""
    k = idx.size
    hess = np.empty((k, k))
    if grad is not None:
        h = 1e-5
        for col, i in enumerate(idx):
            step = np.zeros(z.size)
            step[i] = h
            hess[:, col] = (grad(z + step)[idx] - grad(z - step)[idx]) / (2.0 * h)
        return (hess + hess.T) / 2.0
    h = 1e-4
    f0 = f(z)
    eye = np.eye(z.size) * h
    for a, i in enumerate(idx):
        for b in range(a, k):
            j = idx[b]
            if i == j:
                val = (f(z + eye[i]) - 2.0 * f0 + f(z - eye[i])) / (h * h)
            else:
                val = (
                    f(z + eye[i] + eye[j])
                    - f(z + eye[i] - eye[j])
                    - f(z - eye[i] + eye[j])
                    + f(z - eye[i] - eye[j])
                ) / (4.0 * h * h)
            hess[a, b] = hess[b, a] = val
    return hess


def _central_gradient(
    f: Callable[[NDArray[np.float64]], float], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    h = 1e-6
    out = np.empty(z.size)
    for i in range(z.size):
        step = np.zeros(z.size)
        step[i] = h
        out[i] = (f(z + step) - f(z - step)) / (2.0 * h)
    return out


def _is_positive_definite(hess: NDArray[np.float64]) -> bool:
    if hess.size == 0:
        return True
    if not np.all(np.isfinite(hess)):
        return False
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return False
    return True
