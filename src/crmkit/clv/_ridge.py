"""Spotting a likelihood ridge that runs out to a limit, and jumping to its end (private).

Where the maximum lies at a limit of the parameter space (Pareto/NBD ``s, beta -> inf``
with ``s / beta`` fixed: one dropout rate for everyone), a quasi-Newton optimiser walks
out along the ridge in steps that about double the parameters, each gaining less
log-likelihood than the one before: some 25 iterations from ``s = 0.1`` to the search
box. :class:`RidgeWatch` sees the pattern after a few of them and :func:`ridge_end`
proposes the point where the same direction meets the box; the fit driver
(:func:`crmkit.clv._base.maximize_log_likelihood`) takes it only when the
log-likelihood there is at least as high, the gradient does not pull back inside and
the family's boundary handler names a limit there; it then fits the coordinates the
handler does not hold with damped Newton steps (an interior problem: nothing walks).
Otherwise the optimiser goes on undisturbed. Every check costs O(k) per iteration, each
proposed jump two likelihood evaluations, and at most three are proposed per run.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["RidgeWatch", "ridge_end"]

_F = NDArray[np.float64]

_RUN = 4
"""Consecutive iterations (after the first) that must move the same way."""
_MIN_STEP = math.log(1.3)
"""Smallest per-iteration move, in log-parameters, of each coordinate on the ridge."""
_GAIN = 1e-5
"""Largest gain of the scaled objective (per customer) over the run."""
_SHAPE = 1e-3
"""Largest change of the log-ratio of two ridge coordinates between iterations, relative
to their move (the ridge keeps their ratio)."""


class RidgeWatch:
    """Records the optimiser's iterates and says when they walk out along a ridge.

    Examples
    --------
    >>> w = RidgeWatch()
    >>> for i in range(6):  # s and beta double each step, the objective barely moves
    ...     stop = w.add(np.array([0.0, i * 0.7, i * 0.7 + 5.0]), -1.0 - 1e-9 * (1 - 0.5**i))
    >>> stop, w.direction().tolist()
    (True, [0.0, 1.0, 1.0])
    """

    def __init__(self) -> None:
        self._z: list[_F] = []
        self._f: list[float] = []
        self.spotted = False

    def add(self, z: _F, f: float) -> bool:
        """Record an iterate (log-parameters ``z``, scaled objective ``f``); True on a ridge."""
        self._z.append(np.array(z, dtype=np.float64))
        self._f.append(float(f))
        if len(self._z) > _RUN + 1:
            del self._z[0], self._f[0]
        self.spotted = self._check()
        return self.spotted

    def _check(self) -> bool:
        if len(self._z) <= _RUN or not all(map(math.isfinite, self._f)):
            return False
        steps = np.diff(np.stack(self._z), axis=0)
        gains = -np.diff(np.asarray(self._f))
        moving = np.all(steps >= _MIN_STEP, axis=0) | np.all(steps <= -_MIN_STEP, axis=0)
        if not np.any(moving) or np.any(gains < -1e-15) or gains.sum() > _GAIN:
            return False
        if gains[-1] > 0.75 * max(gains[0], 1e-300):
            return False  # the gains must shrink: a ridge flattening towards its limit
        # coordinates moving the same way keep their ratio on the ridge (one dropout
        # rate, one dropout probability); one running to 0 while another runs to
        # infinity is a limit where their ratio does not matter (no dropout)
        for side in (steps[0] > 0, steps[0] < 0):
            idx = np.flatnonzero(moving & side)
            if idx.size >= 2:
                moved = steps[:, idx]
                spread = moved.max(axis=1) - moved.min(axis=1)
                if np.any(spread > _SHAPE * np.abs(moved).max(axis=1) + 0.05):
                    return False
        return True

    def direction(self) -> _F:
        """Direction of the run: +-1 on the coordinates that moved steadily, 0 elsewhere.

        Coordinates moving together keep their ratio on the ridge (one dropout rate, one
        dropout probability), so they move by the same amount in log-parameters: taking
        the optimiser's own, slightly unequal, moves out over several decades would
        change that ratio.
        """
        steps = np.diff(np.stack(self._z), axis=0)
        up = np.all(steps >= _MIN_STEP, axis=0)
        down = np.all(steps <= -_MIN_STEP, axis=0)
        return np.asarray(up, dtype=np.float64) - np.asarray(down, dtype=np.float64)


def ridge_end(z: _F, direction: _F, zlo: _F, zhi: _F) -> _F:
    """The point where ``z + t * direction`` (t > 0) first meets the box ``[zlo, zhi]``.

    Examples
    --------
    >>> ridge_end(np.zeros(2), np.array([1.0, 0.5]), np.full(2, -10.0), np.full(2, 4.0))
    array([4., 2.])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(
            direction > 0,
            (zhi - z) / direction,
            np.where(direction < 0, (zlo - z) / direction, np.inf),
        )
    t = float(np.min(room))
    if not math.isfinite(t) or t <= 0:
        return np.asarray(z, dtype=np.float64).copy()
    return np.asarray(np.clip(z + t * direction, zlo, zhi), dtype=np.float64)
