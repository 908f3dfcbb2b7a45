"""Maximum-likelihood machinery shared by every CLV model family.

A family module declares only its maths (parameter names, a vectorised weighted
log-likelihood, starting values); this module owns the optimisation, the standard
errors and the frozen :class:`FitResult`.

Optimisation runs on the log of the (positive) parameters inside a box, with L-BFGS-B
on the total negative log-likelihood scaled by the number of customers; families that
give the exact Hessian (BG/NBD, MBG/NBD, Pareto/NBD) are first tried with damped Newton steps
(:mod:`crmkit.clv._newton`). Standard errors come from the Hessian of the
log-likelihood in log-parameter space (exact, or central differences of the gradient),
mapped to the natural scale by the delta method
(:math:`\\operatorname{Cov}(\\theta) = D\\,H^{-1} D`, :math:`D = \\operatorname{diag}(\\theta)`).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from crmkit._validation import check_callable, real_array
from crmkit.clv._compress import compress_rows
from crmkit.clv._derivatives import _central_gradient, _hessian_block, _is_positive_definite
from crmkit.clv._fit_result import FitResult, Optimum
from crmkit.clv._newton import NewtonResult, newton_minimize
from crmkit.clv._ridge import RidgeWatch, ridge_end
from crmkit.exceptions import (
    BoundaryWarning,
    ConvergenceError,
    ConvergenceWarning,
    InvalidValueError,
)

logger = logging.getLogger("crmkit.clv")

__all__ = [
    "BoundaryOutcome",
    "FitResult",
    "Optimum",
    "compress_rows",
    "generic_boundary",
    "maximize_log_likelihood",
]

ModelT = TypeVar("ModelT")
LogLikelihood = Callable[[NDArray[np.float64]], float]
ValueAndGradient = Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]]
ValueGradientHessian = Callable[
    [NDArray[np.float64]], tuple[float, NDArray[np.float64], NDArray[np.float64]]
]


@attrs.frozen(kw_only=True)
class BoundaryOutcome:
    """How a fit that ended at the edge of its search box is reported.

    Attributes
    ----------
    params : numpy.ndarray
        Natural-scale parameters moved along the ridge far enough that the model's
        predictions equal the limit model's.
    hold : tuple of int
        Indices held fixed from here on (they carry no information in the limit).
    names : tuple of str
        Parameters that went to a limit; their standard errors are infinite.
    message : str
        Which limit was reached and what it means, in words.
    """

    params: NDArray[np.float64] = attrs.field(eq=False)
    hold: tuple[int, ...]
    names: tuple[str, ...]
    message: str


BoundaryHandler = Callable[
    [NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]], BoundaryOutcome
]
Progress = Callable[[int, float, dict[str, float]], Any]


def generic_boundary(names: Sequence[str], family: str) -> BoundaryHandler:
    """Boundary report for a family without a named limit: hold the parameters at the box."""

    def handler(
        theta: NDArray[np.float64], at_lo: NDArray[np.bool_], at_hi: NDArray[np.bool_]
    ) -> BoundaryOutcome:
        idx = tuple(int(i) for i in np.flatnonzero(at_lo | at_hi))
        parts = [f"{names[i]} -> {'0' if at_lo[i] else 'infinity'}" for i in idx]
        return BoundaryOutcome(
            params=theta.copy(),
            hold=idx,
            names=tuple(names[i] for i in idx),
            message=(
                f"the {family} likelihood keeps rising towards the edge of the parameter "
                f"space ({', '.join(parts)}); the estimates are the values at the search box."
            ),
        )

    return handler


class _Jump(NewtonResult):
    """The optimiser result of a run cut short by a jump to the end of a ridge."""


@attrs.frozen(kw_only=True)
class _Attempt:
    z: NDArray[np.float64] = attrs.field(eq=False)
    f: float
    grad_norm: float
    newton_step: float
    negative_definite: bool
    converged: bool
    message: str
    boundary: BoundaryOutcome | None
    result: Any = attrs.field(eq=False)
    hessian: NDArray[np.float64] = attrs.field(eq=False)  # at z, free coordinates only


_GRAD_TOL = 1e-5  # max |gradient| of the per-customer log-likelihood in log-parameters
_RIDGE_DECADES = 4.0  # a flat end point this close (in decades) to the box is on a limit ridge
_STEP_TOL = 1e-4  # max |Newton step| in log-parameters: relative change of each parameter
_MAX_RESTARTS = 3
_JUMP_STEPS = 12  # Newton steps allowed in the polish after a jump to a ridge's end
_JUMP_TRIES = 3  # jumps proposed per Newton or L-BFGS-B run (each costs two evaluations)
# A polish step this small (in log-parameters) keeps the Hessian: it moves each entry by
# about this much relative to its size, below the rounding error of the central
# difference of the gradient (step 1e-5; a relative gradient error of 1e-12 gives 5e-8).
_HESS_KEEP = 1e-8


def maximize_log_likelihood(
    log_likelihood: LogLikelihood,
    x0: Sequence[float] | NDArray[np.float64],
    *,
    names: Sequence[str],
    n_obs: float,
    gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    value_and_gradient: ValueAndGradient | None = None,
    value_gradient_hessian: ValueGradientHessian | None = None,
    max_iter: int = 1000,
    gtol: float = 1e-9,
    strict: bool = True,
    family: str = "model",
    bounds: Sequence[tuple[float, float]] | NDArray[np.float64] | None = None,
    boundary: BoundaryHandler | None = None,
    restarts: Sequence[Sequence[float] | NDArray[np.float64]] = (),
    user_start: bool = False,
    callback: Progress | None = None,
    newton_keep_partial: bool = True,
    newton_step_tol: float = 1e-12,
) -> Optimum:
    """Maximise a log-likelihood over positive parameters inside a box.

    The optimiser (L-BFGS-B) works on the log-parameters inside the box ``bounds``, so a
    likelihood whose supremum lies at the edge of the parameter space (a parameter
    running to 0 or infinity) ends at the box after a bounded number of iterations
    instead of following the ridge; when the iterates (of L-BFGS-B or of the Newton
    steps) are seen walking out along such a ridge (parameters growing together with
    their ratio kept, each step gaining less),
    the driver jumps to where the ridge meets the box and fits the other parameters
    there (:mod:`crmkit.clv._ridge`). Interior end points are polished by a few Newton
    steps. An end point counts as *converged* only if the gradient of the per-customer
    log-likelihood in the log-parameters is below 1e-5 (components at the box excepted),
    the Hessian there is negative definite **and** the Newton step from it changes no
    parameter by more than 0.01 % (so a flat ridge does not pass for a maximum).
    Otherwise the fit is restarted from the ``restarts`` starting points (at most 3),
    and the best converged end point wins.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(params) -> float``, the *total* (weighted) log-likelihood at
        natural-scale parameters ``params`` (all > 0). Must return a finite float or
        ``-inf`` (never NaN) for any positive input.
    x0 : sequence of float
        Positive starting values (moved into the box if outside it).
    names : sequence of str
        Parameter names, in order (used in messages).
    n_obs : float
        Number of customers (sum of weights); the objective is scaled by it so that
        tolerances do not depend on the sample size.
    gradient : callable, optional
        Gradient of ``log_likelihood`` with respect to the natural parameters. If
        omitted (and ``value_and_gradient`` too), central finite differences are used.
    value_and_gradient : callable, optional
        ``value_and_gradient(params) -> (log_likelihood, gradient)`` computed together.
    value_gradient_hessian : callable, optional
        ``(log_likelihood, gradient, Hessian)`` at ``params``, exact. Each start is then
        first tried with damped Newton steps (:mod:`crmkit.clv._newton`); L-BFGS-B runs
        only from where they stop short of an interior maximum, and the polish and the
        standard errors use this Hessian instead of finite differences. A NaN log-likelihood
        means "no exact Hessian at this point": the value and gradient then come from
        ``value_and_gradient``, the Newton steps stop and the Hessian there is differenced.
    max_iter : int
        Iteration limit of each optimiser run.
    gtol : float
        Projected-gradient tolerance of the optimiser on the scaled objective.
    strict : bool
        If True, raise :class:`~crmkit.exceptions.ConvergenceError` when no end point
        passes the checks; if False, emit a :class:`~crmkit.exceptions.ConvergenceWarning`
        and return the best end point with ``converged=False``.
    family : str
        Model name used in messages.
    bounds : sequence of (low, high), optional
        Natural-scale search box per parameter; default ``[1e-6 x0, 1e8 x0]``.
    boundary : callable, optional
        ``boundary(params, at_low, at_high) -> BoundaryOutcome``: names the limit model
        reached when the end point lies on the box; default :func:`generic_boundary`.
    restarts : sequence of starting points
        Other starts, tried in order (at most 3) when the first end point fails the
        checks, or (once) when a user-supplied start ends on the box.
    user_start : bool
        Whether ``x0`` came from the user (then error messages advise the defaults).
    callback : callable, optional
        ``callback(iteration, log_likelihood, params)`` after every optimiser iteration,
        ``params`` a dict by name; iterations are counted across restarts.
    newton_keep_partial : bool
        Whether L-BFGS-B goes on from where the Newton steps stopped short of an interior
        maximum (True) or from the start itself (False: a fit whose maximum is on the
        edge then follows the same path as without the Hessian).
    newton_step_tol : float
        The Newton steps end when the next one would change no log-parameter by more
        than this (default 1e-12); the polish then takes the last step, from a pass
        without the Hessian when the step is below rounding of the objective.

    Returns
    -------
    Optimum
        Natural-scale estimates, maximum log-likelihood, covariance matrix, convergence
        flag and the parameters at the boundary (if any).

    Raises
    ------
    ConvergenceError
        If the log-likelihood is not finite at any starting point, or (with
        ``strict=True``) if no end point passes the checks.

    Warns
    -----
    BoundaryWarning
        If the estimate lies at the edge of the parameter space.

    Examples
    --------
    Exponential rate MLE: the maximiser of :math:`n\\log\\lambda - \\lambda\\sum x` is
    :math:`1/\\bar x` with standard error :math:`\\lambda/\\sqrt n`.

    >>> import numpy as np
    >>> x = np.array([0.5, 1.0, 1.5, 2.0])
    >>> opt = maximize_log_likelihood(
    ...     lambda p: x.size * np.log(p[0]) - p[0] * x.sum(), [1.0], names=["rate"], n_obs=4
    ... )
    >>> round(float(opt.params[0]), 6), round(float(np.sqrt(opt.covariance[0, 0])), 4)
    (0.8, 0.4)
    >>> opt.converged, opt.at_boundary
    (True, ())
    """
    names = list(names)
    k = len(names)

    def check_start(
        values: Sequence[float] | NDArray[np.float64], what: str
    ) -> NDArray[np.float64]:
        arr = real_array(values, name=what)
        if arr.shape != (k,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise InvalidValueError(
                f"{what} {arr.tolist()} for {family} parameters {names} must be "
                "finite and > 0, one per parameter."
            )
        return arr

    check_callable(callback, name="callback")
    start = check_start(x0, "starting values")
    others = [check_start(r, "restart values") for r in restarts][:_MAX_RESTARTS]
    box = (
        np.column_stack([start * 1e-6, start * 1e8])
        if bounds is None
        else np.asarray(bounds, dtype=np.float64).reshape(k, 2)
    )
    zlo, zhi = np.log(box[:, 0]), np.log(box[:, 1])
    handler = boundary if boundary is not None else generic_boundary(names, family)
    scale = 1.0 / max(float(n_obs), 1.0)

    def objective(z: NDArray[np.float64]) -> float:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = float(log_likelihood(np.exp(z)))
        if math.isnan(value) or value == math.inf:
            return math.inf
        return -value * scale

    grad_z: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None
    vg_fn = value_and_gradient

    # The optimiser, the end-point checks and the polish ask for the same points more
    # than once (its last iterate, the start): the last few results are kept, keyed by
    # the exact bytes of z, so a repeated point costs nothing.
    seen: dict[bytes, tuple[float, NDArray[np.float64]]] = {}

    def objective_and_jac(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        z = np.ascontiguousarray(z, dtype=np.float64)
        key = z.tobytes()
        hit = seen.get(key)
        if hit is not None:
            return hit[0], hit[1].copy()
        value, g = _objective_and_jac(z)
        if len(seen) >= 8:
            del seen[next(iter(seen))]
        seen[key] = (value, g.copy())
        return value, g

    def _objective_and_jac(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        theta = np.exp(z)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if vg_fn is not None:
                value, g = vg_fn(theta)
            else:
                assert gradient is not None
                value, g = log_likelihood(theta), gradient(theta)
        value = float(value)
        g = np.asarray(g, dtype=np.float64)
        if math.isnan(value) or value == math.inf or not np.all(np.isfinite(g)):
            return math.inf, np.zeros_like(z)
        return -value * scale, np.asarray(-g * theta * scale, dtype=np.float64)

    hess_seen: dict[bytes, NDArray[np.float64]] = {}

    def fgh_z(
        z: NDArray[np.float64],
    ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        # (f, gradient, Hessian) of the scaled objective in z = log(params)
        assert value_gradient_hessian is not None
        z = np.ascontiguousarray(z, dtype=np.float64)
        key = z.tobytes()
        if key in seen and key in hess_seen:
            return seen[key][0], seen[key][1].copy(), hess_seen[key].copy()
        theta = np.exp(z)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, g, h = value_gradient_hessian(theta)
        value = float(value)
        if math.isnan(value):
            # no exact Hessian here (the family returns NaN): value and gradient from
            # the ordinary path, a NaN Hessian (Newton stops, the polish differences)
            f, gz = objective_and_jac(z)
            return f, gz, np.full((k, k), np.nan)
        ok = math.isfinite(value) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))
        if not ok:
            return math.inf, np.zeros_like(z), np.full((k, k), np.nan)
        gz = np.asarray(-g * theta * scale, dtype=np.float64)
        hz = -(np.outer(theta, theta) * h + np.diag(theta * g)) * scale
        for cache, item in ((seen, (-value * scale, gz.copy())), (hess_seen, hz)):
            if len(cache) >= 8:
                del cache[next(iter(cache))]
            cache[key] = item  # type: ignore[assignment]
        return -value * scale, gz, hz

    def hessian_at(z: NDArray[np.float64], free: NDArray[np.intp]) -> NDArray[np.float64]:
        if value_gradient_hessian is None:
            return _hessian_block(objective, grad_z, z, free)
        z = np.ascontiguousarray(z, dtype=np.float64)
        hz = hess_seen.get(z.tobytes())
        if hz is None:
            hz = fgh_z(z)[2]
        if not np.all(np.isfinite(hz)):  # not available here: differences of the gradient
            return _hessian_block(objective, grad_z, z, free)
        return np.asarray(hz[np.ix_(free, free)], dtype=np.float64)

    if vg_fn is not None or gradient is not None:

        def grad_z(z: NDArray[np.float64]) -> NDArray[np.float64]:
            return objective_and_jac(z)[1]

        fun_and_grad = objective_and_jac
    else:

        def fun_and_grad(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            return objective(z), _central_gradient(objective, z)

    total_iter = 0

    def run(z0: NDArray[np.float64]) -> _Attempt:
        nonlocal total_iter

        def progress(intermediate_result: Any) -> None:
            nonlocal total_iter
            total_iter += 1
            ll = -float(intermediate_result.fun) / scale
            theta = np.exp(np.asarray(intermediate_result.x, dtype=np.float64))
            logger.debug(
                "%s fit: iteration %d, log-likelihood %.6f, %s",
                family,
                total_iter,
                ll,
                dict(zip(names, theta.tolist(), strict=True)),
            )
            if callback is not None:
                callback(total_iter, ll, dict(zip(names, theta.tolist(), strict=True)))

        result: Any = None
        if value_gradient_hessian is not None:
            # the Newton iterations walk out along a ridge to a limit as L-BFGS-B does
            # (each step capped at a factor e^2), so they are watched the same way
            jumps: list[_Jump] = []
            watched = _watched(RidgeWatch(), progress, jumps)
            try:
                newton = newton_minimize(
                    fgh_z,
                    z0,
                    zlo,
                    zhi,
                    progress=lambda z, f: watched(NewtonResult(x=z, fun=f)),
                    step_tol=newton_step_tol,
                )
            except StopIteration:  # jumped to the end of a ridge
                result = jumps[0]
            else:
                if newton_keep_partial or newton.interior:
                    z0 = newton.z  # L-BFGS-B goes on from the best point reached
                if newton.interior:
                    result = NewtonResult(
                        x=newton.z, fun=newton.f, nit=newton.iterations, message=newton.message
                    )
        if result is None:
            result = _lbfgsb(z0, progress, RidgeWatch())
        z = np.clip(np.asarray(result.x, dtype=np.float64), zlo, zhi)
        f, g = fun_and_grad(z)
        return _checked(result, z, f, g, _JUMP_STEPS if isinstance(result, _Jump) else 6)

    def _lbfgsb(
        z0: NDArray[np.float64], progress: Callable[[Any], None], watch: RidgeWatch
    ) -> Any:
        """L-BFGS-B from ``z0``, cut short by a jump when ``watch`` sees the iterates walk
        out along a ridge to a limit (:func:`_ridge_jump`)."""
        options = {"maxiter": max_iter, "ftol": 1e-15, "gtol": gtol, "maxcor": 20}
        fun: Callable[[NDArray[np.float64]], Any] = (
            objective_and_jac if grad_z is not None else objective
        )
        jumps: list[_Jump] = []
        watched = _watched(watch, progress, jumps)

        from scipy import optimize  # on first use: keeps `import crmkit` light

        result = optimize.minimize(
            fun,
            z0,
            jac=True if grad_z is not None else "3-point",
            method="L-BFGS-B",
            bounds=list(zip(zlo, zhi, strict=True)),
            callback=watched,
            options=options,
        )
        return jumps[0] if jumps else result

    def _watched(
        watch: RidgeWatch, progress: Callable[[Any], None], jumps: list[_Jump]
    ) -> Callable[[Any], None]:
        """An optimiser callback: report progress, and when ``watch`` sees the iterates
        walk out along a ridge (at most ``_JUMP_TRIES`` times), try the jump to its end;
        a jump taken is appended to ``jumps`` and ends the optimiser (StopIteration)."""
        tries = [0]

        def watched(intermediate_result: Any) -> None:
            progress(intermediate_result)
            z = np.asarray(intermediate_result.x, dtype=np.float64)
            if tries[0] < _JUMP_TRIES and watch.add(z, float(intermediate_result.fun)):
                tries[0] += 1
                jumped = _ridge_jump(z, watch, progress)
                if jumped is not None:
                    jumps.append(jumped)
                    raise StopIteration  # see _ridge.py

        return watched

    def _ridge_jump(
        z: NDArray[np.float64], watch: RidgeWatch, progress: Callable[[Any], None]
    ) -> _Jump | None:
        """Jump from an iterate on a ridge that walks out to a limit to the ridge's end.

        The point where the ridge direction (equal log-steps of the coordinates that
        moved, so their ratio is kept) meets the box is taken only if the objective there
        is no worse, the gradient does not pull the moved coordinates back inside and
        the family's boundary handler names a limit there (holds some coordinates). The
        end-point check then takes the handler's limit model and fits the coordinates it
        does not hold with damped Newton steps (up to ``_JUMP_STEPS``): an interior
        problem, nothing walks. Returns None (L-BFGS-B goes on undisturbed) when the
        jump is not taken.
        """
        here = np.clip(z, zlo, zhi)
        direction = watch.direction()
        end = ridge_end(here, direction, zlo, zhi)
        f_here, _ = fun_and_grad(here)
        f_end, g_end = fun_and_grad(end)
        moved = direction != 0
        outward = bool(np.all(g_end[moved] * direction[moved] <= _GRAD_TOL))
        near = 1e-7 * np.maximum(1.0, np.abs(end))
        at_lo = moved & (direction < 0) & (end <= zlo + near)
        at_hi = moved & (direction > 0) & (end >= zhi - near)
        if not (math.isfinite(f_end) and f_end <= f_here and outward and np.any(at_lo | at_hi)):
            return None
        hold = handler(np.exp(end), at_lo, at_hi).hold
        if not hold:
            return None
        logger.debug("%s fit: ridge out to the limit, jumped to the box", family)
        progress(NewtonResult(x=end, fun=f_end))
        return _Jump(x=end, fun=f_end, message="ridge out to the limit: jumped to the box")

    def _checked(
        result: Any,
        z: NDArray[np.float64],
        f: float,
        g: NDArray[np.float64],
        steps: int = 6,
    ) -> _Attempt:
        near = 1e-7 * np.maximum(1.0, np.abs(z))
        at_lo = (z <= zlo + near) & (g >= -_GRAD_TOL)
        at_hi = (z >= zhi - near) & (g <= _GRAD_TOL)
        outcome: BoundaryOutcome | None = None
        free = np.arange(k, dtype=np.intp)
        if math.isfinite(f) and np.any(at_lo | at_hi):
            outcome, z, free = _to_limit(z, at_lo, at_hi)
        z, f, g, hess = _polish(z, free, steps)
        nd = _is_positive_definite(hess)
        if math.isfinite(f) and not (nd and _newton(hess, g[free]) < _STEP_TOL):
            # A ridge towards a limit is often so flat that the optimiser stops on it
            # before the box (the log-likelihood changes by less than rounding, or the
            # Newton step still points out along it): an end point within _RIDGE_DECADES
            # of the box, with no pull back inside, is that limit, not an interior
            # maximum. Coordinates already at a limit keep it.
            far = _RIDGE_DECADES * math.log(10.0)
            is_free = np.zeros(k, dtype=bool)
            is_free[free] = True
            ridge_lo = (z <= zlo + far) & (g >= -_GRAD_TOL) & is_free
            ridge_hi = (z >= zhi - far) & (g <= _GRAD_TOL) & is_free
            if nd and free.size:
                # concave there: only coordinates the Newton step moves out to the box
                step = np.zeros(k)
                step[free] = -np.linalg.solve(hess, g[free])
                ridge_lo &= step <= -_STEP_TOL
                ridge_hi &= step >= _STEP_TOL
            if np.any(ridge_lo | ridge_hi):
                outcome, z, free = _to_limit(z, ridge_lo | at_lo, ridge_hi | at_hi)
                z, f, g, hess = _polish(z, free)
                nd = _is_positive_definite(hess)
        grad_norm = float(np.max(np.abs(g[free]))) if free.size else 0.0
        newton = _newton(hess, g[free]) if nd else math.inf
        converged = bool(math.isfinite(f) and grad_norm < _GRAD_TOL and nd and newton < _STEP_TOL)
        return _Attempt(
            z=z,
            f=f,
            grad_norm=grad_norm,
            newton_step=newton,
            negative_definite=nd,
            converged=converged,
            message=str(result.message),
            boundary=outcome,
            result=result,
            hessian=hess,
        )

    def _newton(hess: NDArray[np.float64], g_free: NDArray[np.float64]) -> float:
        """Largest component of the Newton step (0 without free coordinates)."""
        if not g_free.size:
            return 0.0
        return float(np.max(np.abs(np.linalg.solve(hess, g_free))))

    def _to_limit(
        z: NDArray[np.float64], lo: NDArray[np.bool_], hi: NDArray[np.bool_]
    ) -> tuple[BoundaryOutcome, NDArray[np.float64], NDArray[np.intp]]:
        """The family's limit model at an end point on (or near) the box, and its free
        coordinates (those not held at the limit)."""
        outcome = handler(np.exp(z), lo, hi)
        moved = np.log(np.asarray(outcome.params, dtype=np.float64))
        free = np.array([i for i in range(k) if i not in outcome.hold], dtype=np.intp)
        return outcome, moved, free

    def _polish(
        z: NDArray[np.float64], free: NDArray[np.intp], steps: int = 6
    ) -> tuple[NDArray[np.float64], float, NDArray[np.float64], NDArray[np.float64]]:
        """A few damped Newton steps on the free coordinates (at most ``steps``)."""
        # a limit handler may have moved coordinates beyond the box: they stay there
        lo, hi = np.minimum(zlo, z), np.maximum(zhi, z)
        f, g = fun_and_grad(z)
        hess = hessian_at(z, free)
        for _ in range(steps):
            if not (math.isfinite(f) and free.size and _is_positive_definite(hess)):
                break
            step = -np.linalg.solve(hess, g[free])
            if float(np.max(np.abs(step))) < 1e-12:
                break
            if -0.5 * float(np.dot(g[free], step)) <= 1e-13 * max(1.0, abs(f)):
                # the predicted gain is below rounding, so comparing values is a coin
                # flip (and cost up to 20 halvings); the gradient is still informative:
                # take the full step if it does not increase the gradient
                cand = z.copy()
                cand[free] = np.clip(z[free] + step, lo[free], hi[free])
                fc, gc = fun_and_grad(cand)
                if not (
                    math.isfinite(fc)
                    and np.linalg.norm(gc[free]) <= np.linalg.norm(g[free])
                    and fc <= f + 1e-12 * max(1.0, abs(f))
                ):
                    break
                z, f, g = cand, fc, gc
                continue
            t, moved = 1.0, False
            for _ in range(20):
                cand = z.copy()
                cand[free] = np.clip(z[free] + t * step, lo[free], hi[free])
                fc, gc = fun_and_grad(cand)
                if math.isfinite(fc) and fc <= f:
                    z, f, g, moved = cand, fc, gc, True
                    break
                t /= 2.0
            if not moved:
                break
            if float(np.max(np.abs(t * step))) > _HESS_KEEP:
                hess = hessian_at(z, free)
        return z, f, g, hess

    starts = [start, *others]
    attempts: list[_Attempt] = []
    for i, s in enumerate(starts):
        if i > 0:
            first = attempts[0] if attempts else None
            if first is not None and first.converged:
                # a converged interior end point is final; a converged one on the box
                # from a user's start is compared once with the default start
                if first.boundary is None or not user_start or i > 1:
                    break
            elif any(a.converged for a in attempts):
                break
        z0 = np.clip(np.log(s), zlo, zhi)
        if value_gradient_hessian is not None:
            f0 = fgh_z(z0)[0]  # the Newton iterations start with the same pass
        else:
            f0 = fun_and_grad(z0)[0] if grad_z is not None else objective(z0)
        if not math.isfinite(f0):
            continue
        attempts.append(run(z0))
        logger.info(
            "%s fit from %s: log-likelihood %.6f, converged=%s",
            family,
            dict(zip(names, s.tolist(), strict=True)),
            -attempts[-1].f / scale,
            attempts[-1].converged,
        )
    if not attempts:
        raise ConvergenceError(
            f"the {family} log-likelihood is not finite at the starting values "
            f"{dict(zip(names, start.tolist(), strict=True))}"
            + (" or at the default starts" if others else "")
            + "; check the data"
            + (" or omit x0 to use the data-based default starts." if user_start else ".")
        )
    good = [a for a in attempts if a.converged]
    best = max(good or attempts, key=lambda a: -a.f)
    theta = np.exp(best.z)
    if not best.converged:
        reasons = []
        if best.grad_norm >= _GRAD_TOL:
            reasons.append(f"max |gradient| = {best.grad_norm:.3g} per customer")
        if best.negative_definite and best.newton_step >= _STEP_TOL:
            reasons.append(
                f"a Newton step would still change a parameter by {best.newton_step:.3g} "
                "in log scale (a flat ridge, not a maximum)"
            )
        if not best.negative_definite:
            reasons.append(
                "the Hessian is not negative definite there (a parameter may not be "
                "identified by these data)"
            )
        where = dict(zip(names, theta.round(6).tolist(), strict=True))
        detail = (
            f"{family} fit did not converge: {len(attempts)} start(s), {total_iter} "
            f"iterations; the best end point {where}"
            f" (log-likelihood {-best.f / scale:.6g}) fails the checks: "
            f"{'; '.join(reasons) or best.message}."
        )
        advice = (
            " Omit x0 to use the data-based default starts (with restarts)."
            if user_start
            else " Check the data for degenerate histories (e.g. too few repeat buyers "
            "or a too short calibration period); pass strict=False to get the best end "
            "point."
        )
        if strict:
            raise ConvergenceError(detail + advice, result=best.result)
        warnings.warn(detail + advice, ConvergenceWarning, stacklevel=3)

    hold = best.boundary.hold if best.boundary is not None else ()
    at_names = best.boundary.names if best.boundary is not None else ()
    free = np.array([i for i in range(k) if i not in hold], dtype=np.intp)
    cov = np.full((k, k), np.nan)
    if best.negative_definite and free.size:
        # the polish ended at best.z with the Hessian of these free coordinates
        hess = best.hessian / scale
        try:
            cov_z = np.linalg.inv(hess)
            if np.all(np.isfinite(cov_z)) and np.all(np.diag(cov_z) > 0):
                cov[np.ix_(free, free)] = cov_z * np.outer(theta[free], theta[free])
        except np.linalg.LinAlgError:
            pass
    for name in at_names:
        i = names.index(name)
        cov[i, :] = np.nan
        cov[:, i] = np.nan
        cov[i, i] = np.inf
    if best.boundary is not None:
        warnings.warn(
            f"{family} fit ended at the edge of the parameter space: "
            f"{best.boundary.message} Standard errors of {', '.join(at_names)} are infinite "
            "(the likelihood keeps rising towards the limit, so it has no curvature "
            "there).",
            BoundaryWarning,
            stacklevel=3,
        )
    return Optimum(
        params=theta,
        log_likelihood=-best.f / scale,
        covariance=cov,
        converged=best.converged,
        iterations=total_iter,
        message=best.message,
        result=best.result,
        at_boundary=tuple(at_names),
    )
