"""Warm starts for fits on large summaries: a subsample's estimate refined on all the data.

A family that sets ``_warm_start_rows`` (Pareto/NBD: 30,000) fits summaries of at least
that many rows, when no ``x0`` is given, in three steps: a fit on a seeded random
subsample of :data:`WARM_SAMPLE` rows; a few quasi-Newton steps on the full data from
there (:func:`refine`); and the usual fit from the refined point (Newton steps first
when the family gives the exact Hessian), whose convergence checks run on the full
data. Any warning or error on the way falls back to the usual fit
from the default starts (its warnings and errors are then the ones the user sees).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit.clv._base import FitResult, Progress
from crmkit.clv._compress import all_distinct, compress_rows
from crmkit.clv._data import summary_arrays
from crmkit.exceptions import CrmkitError

__all__ = [
    "REFINE_STEPS",
    "REFINE_STOP",
    "WARM_SAMPLE",
    "distinct_histories",
    "refine",
    "warm_fit",
]

Arr = NDArray[np.float64]
_logger = logging.getLogger("crmkit.clv")

WARM_SAMPLE = 5_000
"""Rows of the seeded subsample fitted first."""
REFINE_STEPS = 16
"""Most full-data evaluations of :func:`refine`."""
REFINE_STOP = 1e-9
"""Largest step (in log-parameters) at which :func:`refine` stops: a tenth of the step
above which the driver's polish recomputes its finite-difference Hessian."""


def distinct_histories(x: Arr, tx: Arr, T: Arr, w: Arr) -> tuple[Arr, Arr, Arr, Arr]:
    """The distinct (x, t_x, T) rows with summed weights (the likelihood's sufficient data).

    Rows are first checked for being distinct already with unsorted hash codes (linear
    time): continuous purchase times make every history distinct, and sorting them
    would cost more than the fit. Otherwise :func:`~crmkit.clv._compress.compress_rows`
    returns the distinct rows in lexicographic order.
    """
    if x.size >= 4096 and all_distinct(T):  # continuous T: a few linear passes
        return x, tx, T, w
    if x.size >= 4096:
        codes = []
        sizes = []
        for arr in (T, tx, x):
            code, lev = pd.factorize(arr)
            codes.append(np.asarray(code, dtype=np.int64))
            sizes.append(len(lev))
            if len(lev) == x.size:  # one column already distinct: so are the rows
                return x, tx, T, w
        if sizes[0] * sizes[1] * sizes[2] < 2**62:
            key = (codes[2] * sizes[1] + codes[1]) * sizes[0] + codes[0]
            if len(pd.unique(key)) == x.size:
                return x, tx, T, w
    uniq, counts, _ = compress_rows({"x": x, "tx": tx, "T": T}, w)
    return uniq["x"], uniq["tx"], uniq["T"], counts


def _canonical(z: Arr) -> Arr:
    """Parameters ``exp(z)`` that the fit driver, starting from them, evaluates bit for bit
    (it works on their logarithms: ``exp(log(theta))`` may differ from ``theta`` in the
    last bit; at most three rounds)."""
    theta = np.exp(z)
    for _ in range(3):
        back = np.exp(np.log(theta))
        if np.array_equal(back, theta):
            break
        theta = back
    return np.asarray(theta, dtype=np.float64)


class _Prepared:
    """The full-data objective built once for :func:`refine` and the fit that follows.

    It remembers the data it was built on and the last evaluation of the refinement, so
    the driver's first evaluation (at the refined point) is not repeated.
    """

    def __init__(self, cls: Any, data: tuple[Arr, Arr, Arr, Arr]) -> None:
        self.cls = cls
        self.data = data
        self.ll_fn, self.vg_fn = cls._objective(*data)
        self.last: tuple[bytes, float, Arr] | None = None
        # the exact Hessian of families that give one: the driver's Newton steps then
        # refine the subsample's estimate (no quasi-Newton refinement)
        self.fgh = getattr(self.vg_fn, "value_gradient_hessian", None)

    def value_and_gradient(self, theta: Arr) -> tuple[float, Arr]:
        key = np.ascontiguousarray(theta, dtype=np.float64).tobytes()
        if self.last is not None and self.last[0] == key:
            return self.last[1], self.last[2].copy()
        assert self.vg_fn is not None
        v, g = self.vg_fn(theta)
        self.last = (key, float(v), np.array(g, dtype=np.float64))
        return float(v), np.asarray(g, dtype=np.float64)

    def objective(self, x: Arr, tx: Arr, T: Arr, w: Arr) -> Any:
        """``cls._objective`` that reuses the prepared one on the same data."""
        if all(np.array_equal(a, b) for a, b in zip((x, tx, T, w), self.data, strict=True)):
            if self.vg_fn is None:
                return self.ll_fn, None
            keep = getattr(self.vg_fn, "newton_keep_partial", True)
            tol = getattr(self.vg_fn, "newton_step_tol", 1e-12)
            return self.ll_fn, _WithHessian(self.value_and_gradient, self.fgh, keep, tol)
        return self.cls._objective(x, tx, T, w)


class _WithHessian:
    """A value-and-gradient function that also carries ``value_gradient_hessian``."""

    def __init__(
        self,
        vg: Callable[[Arr], tuple[float, Arr]],
        fgh: Any,
        keep_partial: bool,
        step_tol: float,
    ) -> None:
        self._vg = vg
        if fgh is not None:
            self.value_gradient_hessian = fgh
            self.newton_keep_partial = keep_partial
            self.newton_step_tol = step_tol

    def __call__(self, theta: Arr) -> tuple[float, Arr]:
        return self._vg(theta)


def _prepare(cls: Any, summary: pd.DataFrame, kw: dict[str, Any]) -> _Prepared:
    data = summary_arrays(
        summary,
        frequency_col=kw["frequency_col"],
        recency_col=kw["recency_col"],
        T_col=kw["T_col"],
        weights_col=kw["weights_col"],
        nan_policy=kw["nan_policy"],
        family=cls._family,
    )
    keep = data.weights > 0
    return _Prepared(
        cls,
        distinct_histories(
            data.frequency[keep], data.recency[keep], data.T[keep], data.weights[keep]
        ),
    )


def refine(
    cls: Any,
    prepared: _Prepared,
    sub: FitResult[Any],
    callback: Progress | None = None,
) -> Arr:
    """Quasi-Newton (BFGS) steps on the full data from a subsample's estimate.

    The subsample's covariance, scaled by the ratio of sample sizes, is the initial
    inverse curvature (in log-parameters) of the full data's log-likelihood; BFGS
    updates (Nocedal & Wright 2006, eq. 6.17) correct it from the full-data gradients,
    so each step costs one full-data evaluation and the convergence is superlinear. At
    most :data:`REFINE_STEPS` evaluations; stops when the step would change no
    log-parameter by more than :data:`REFINE_STOP` (the driver's Newton polish then
    finishes with steps so small that its one finite-difference Hessian stays valid) or
    a step lowers the log-likelihood by more than rounding, and returns the last
    accepted point (the fit driver then checks it as any other start). Each accepted
    step is reported to ``callback`` (as ``(step, log-likelihood, parameters)``) and to
    the ``crmkit.clv`` logger, so a fit on millions of customers shows progress before
    the driver's own iterations. When the family gives the exact Hessian
    (``value_gradient_hessian``), the points after the first are evaluated with it and
    the refinement stops after the first accepted step where it is exact: the driver's
    Newton steps converge quadratically from there, and its first pass is that one (at
    300,000 distinct histories: one gradient pass, then three passes with the Hessian).
    """
    w = prepared.data[3]
    theta = np.asarray(sub.estimates, dtype=np.float64)
    n = float(w.sum())
    H = sub.covariance / np.outer(theta, theta) * (sub.n_customers / n)
    if not np.all(np.isfinite(H)) or prepared.vg_fn is None:
        return theta
    exact = [False]  # whether the last evaluation had the exact Hessian

    def evaluate(z: Arr, hessian: bool = False) -> tuple[float, Arr]:
        exact[0] = False
        with np.errstate(all="ignore"):
            if hessian and prepared.fgh is not None:
                # the family's function keeps this result for the driver's first pass
                v, g, h = prepared.fgh(_canonical(z))
                exact[0] = bool(np.isfinite(v) and np.all(np.isfinite(h)))
            if not exact[0]:
                v, g = prepared.value_and_gradient(_canonical(z))
        if not (np.isfinite(v) and np.all(np.isfinite(g))):
            return -np.inf, np.zeros(z.size)
        return float(v), np.asarray(g * np.exp(z), dtype=np.float64)

    z = np.log(_canonical(np.log(theta)))
    v, g = evaluate(z)
    used = 1
    while used < REFINE_STEPS and np.isfinite(v):
        step = np.clip(H @ g, -1.0, 1.0)
        if np.max(np.abs(step)) < REFINE_STOP:
            break
        z_new = np.log(_canonical(z + step))
        v_new, g_new = evaluate(z_new, hessian=True)
        used += 1
        # a step may lose up to rounding of the total (1e-13 relative): near the maximum
        # the true change is below it, and the gradient still improves
        if not v_new >= v - 1e-13 * abs(v):
            break
        dz, dg = z_new - z, g - g_new  # dg: change of the gradient of -log L
        sy = float(dz @ dg)
        if sy > 0.0:
            rho = 1.0 / sy
            left = np.eye(z.size) - rho * np.outer(dz, dg)
            H = left @ H @ left.T + rho * np.outer(dz, dz)
        z, v, g = z_new, v_new, g_new
        params = dict(zip(cls._param_names, np.exp(z).tolist(), strict=True))
        _logger.info(
            "%s warm start, full-data step %d: log-likelihood %.6f", cls._family, used - 1, v
        )
        if callback is not None:
            callback(used - 1, v, params)
        if exact[0]:
            break  # the driver's Newton steps go on from here (quadratic convergence)
    return _canonical(z)


def warm_fit(
    cls: Any,
    plain: Callable[..., FitResult[Any]],
    summary: pd.DataFrame,
    kw: dict[str, Any],
    callback: Progress | None,
) -> FitResult[Any] | None:
    """The warm-started full-data fit, or None when any step warns or fails.

    ``plain(summary, x0=..., strict=..., callback=..., **kw)`` is the family's usual fit.
    ``callback`` sees the full-data refinement steps, then the iterations of the
    full-data fit (the subsample fit is not reported).
    """
    rows = np.random.default_rng(0).choice(len(summary), WARM_SAMPLE, replace=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning: use the plain fit
            sub = plain(summary.iloc[np.sort(rows)], strict=True, **kw)
            prepared = _prepare(cls, summary, kw)
            start = refine(cls, prepared, sub, callback)
            return plain(
                summary,
                x0=start,
                strict=True,
                callback=callback,
                objective=prepared.objective,
                histories=prepared.data,
                **kw,
            )
    except (CrmkitError, Warning):
        return None
