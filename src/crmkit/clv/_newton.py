"""A damped Newton method for likelihoods with an exact Hessian (private).

Used by :func:`crmkit.clv._base.maximize_log_likelihood` before its quasi-Newton
optimiser when the family supplies the Hessian: with exact second derivatives the
iterates converge quadratically, so a fit takes a handful of passes over the data instead
of the two dozen of L-BFGS-B and the eight of a finite-difference Hessian. The method
(Nocedal & Wright 2006, sec. 3.4):

- the step solves :math:`(H + \\mu I) p = -g` with the smallest :math:`\\mu \\ge 0` of
  the sequence :math:`0, 10^{-8} s, 10^{-7} s, \\dots` (:math:`s` the largest diagonal
  magnitude) that makes the matrix positive definite (Cholesky), so a non-convex region
  still gives a descent direction;
- the step is shortened to at most :data:`MAX_STEP` in every log-parameter (a factor of
  :math:`e^2` per iteration), then halved until the Armijo condition holds;
- when the predicted decrease is below the rounding of the objective, a full step is
  taken only if it does not increase the gradient (value comparisons are noise there).

It never handles the edge of the search box: a step that would leave the box, or a
failure of the line search, ends it without a result, and the caller goes on with its
bounded quasi-Newton optimiser from the best point reached. Every loop is bounded
(:data:`MAX_ITER` iterations, 40 halvings, 12 shifts, :data:`MAX_EVALS` evaluations).

References
----------
- Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed. Springer.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_EVALS",
    "MAX_ITER",
    "MAX_STEP",
    "NewtonOutcome",
    "NewtonResult",
    "cholesky_solve",
    "newton_minimize",
]

Arr = NDArray[np.float64]
ValueGradientHessian = Callable[[Arr], tuple[float, Arr, Arr]]

MAX_ITER = 60
"""Most Newton iterations."""
MAX_STEP = 2.0
"""Largest change of any log-parameter in one iteration."""
MAX_EVALS = 150
"""Most evaluations (passes over the data) in all, line searches included."""


@attrs.frozen(kw_only=True)
class NewtonOutcome:
    """Where the Newton iterations ended (``interior``: a stationary point inside the box)."""

    z: Arr = attrs.field(eq=False)
    f: float
    iterations: int
    interior: bool
    message: str


@attrs.frozen(kw_only=True)
class NewtonResult:
    """The optimiser result reported for a fit that the Newton steps finished.

    Has the fields of :class:`scipy.optimize.OptimizeResult` that the fit driver and its
    callers read (scipy's optimisers are then not even imported).
    """

    x: Arr = attrs.field(eq=False)
    fun: float
    nit: int = 0
    message: str = ""
    success: bool = True


def cholesky_solve(H: Arr, g: Arr) -> Arr | None:
    """Solve :math:`H p = g` by Cholesky, or None if *H* is not positive definite.

    Only the lower triangle of *H* is read. *H* counts as positive definite when every
    pivot of its Cholesky factor is finite and > 0; a non-finite entry in the lower
    triangle (NaN, inf) makes it not positive definite. The factor comes from LAPACK
    (``numpy.linalg.cholesky``, ``potrf``), the two triangular solves from
    ``numpy.linalg.solve``: for the few to some hundred parameters of a likelihood these
    run on one thread (the matrices are below OpenBLAS's threading thresholds).

    Examples
    --------
    >>> import numpy as np
    >>> cholesky_solve(np.array([[4.0, 2.0], [2.0, 3.0]]), np.array([2.0, 1.0])).tolist()
    [0.5, 0.0]
    >>> cholesky_solve(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2)) is None
    True
    """
    lower = np.tril(np.asarray(H, dtype=np.float64))
    if lower.size == 0:
        return np.zeros(0)
    if not np.all(np.isfinite(lower)):
        return None
    try:
        L = np.linalg.cholesky(lower + np.tril(lower, -1).T)
    except np.linalg.LinAlgError:
        return None
    d = np.diagonal(L)
    if not (np.all(d > 0.0) and np.all(np.isfinite(L))):
        return None  # a pivot overflowed, or rounded to 0
    y = np.linalg.solve(L, np.asarray(g, dtype=np.float64))
    return np.asarray(np.linalg.solve(L.T, y), dtype=np.float64)


def _direction(H: Arr, g: Arr) -> tuple[Arr, bool] | None:
    """The (shifted) Newton direction :math:`-(H + \\mu I)^{-1} g`, and whether it is the
    unshifted one (:math:`\\mu = 0`: *H* itself is positive definite)."""
    scale = float(np.max(np.abs(np.diag(H)))) if H.size else 0.0
    if not math.isfinite(scale):
        return None
    for mu in [0.0, *(scale * 10.0**e for e in range(-8, 4))]:
        p = cholesky_solve(H + mu * np.eye(g.size), g)
        if p is not None:
            return -p, mu == 0.0
    return None


def newton_minimize(
    fgh: ValueGradientHessian,
    z0: Arr,
    lo: Arr,
    hi: Arr,
    *,
    progress: Callable[[Arr, float], None] | None = None,
    step_tol: float = 1e-12,
) -> NewtonOutcome:
    """Minimise ``fgh(z) -> (f, g, H)`` from ``z0`` inside the box ``[lo, hi]``.

    Returns the last accepted point; ``interior`` is True only if the iterations stopped
    at a point inside the box where the Hessian is positive definite and the Newton step
    is below ``step_tol`` (default 1e-12) in every coordinate (or below rounding of the
    objective). A larger ``step_tol`` saves the last pass when the caller finishes with
    its own (cheaper) step.
    """
    z = np.asarray(z0, dtype=np.float64).copy()
    evals = 0

    def counted(point: Arr) -> tuple[float, Arr, Arr]:
        nonlocal evals
        evals += 1
        if evals > MAX_EVALS:
            return math.inf, np.zeros_like(point), np.full((point.size, point.size), np.nan)
        return fgh(point)

    f, g, H = counted(z)
    if not math.isfinite(f):
        return NewtonOutcome(z=z, f=f, iterations=0, interior=False, message="not finite")
    for it in range(MAX_ITER):
        step = _direction(H, g)
        if step is None:
            return NewtonOutcome(z=z, f=f, iterations=it, interior=False, message="no direction")
        p, pure = step  # pure: H itself is positive definite (one factorisation, not two)
        size = float(np.max(np.abs(p)))
        if pure and size < step_tol:
            return NewtonOutcome(
                z=z, f=f, iterations=it, interior=True, message="Newton: converged"
            )
        if size > MAX_STEP:
            p *= MAX_STEP / size
        if np.any(z + p < lo) or np.any(z + p > hi):
            return NewtonOutcome(z=z, f=f, iterations=it, interior=False, message="at the box")
        slope = float(g @ p)  # < 0
        if pure and -slope <= 1e-13 * max(1.0, abs(f)):
            # below rounding: keep a full step only if the gradient does not grow
            fc, gc, Hc = counted(z + p)
            ok = (
                math.isfinite(fc)
                and np.linalg.norm(gc) <= np.linalg.norm(g)
                and fc <= f + 1e-12 * max(1.0, abs(f))
            )
            if not ok:
                return NewtonOutcome(
                    z=z, f=f, iterations=it, interior=True, message="Newton: converged (rounding)"
                )
            z, f, g, H = z + p, fc, gc, Hc
        else:
            t = 1.0
            for _ in range(40):
                fc, gc, Hc = counted(z + t * p)
                if math.isfinite(fc) and fc <= f + 1e-4 * t * slope:
                    break
                t /= 2.0
            else:
                return NewtonOutcome(
                    z=z, f=f, iterations=it, interior=False, message="line search failed"
                )
            z, f, g, H = z + t * p, fc, gc, Hc
        if progress is not None:
            progress(z, f)
    return NewtonOutcome(z=z, f=f, iterations=MAX_ITER, interior=False, message="iteration limit")
