"""Warm starts for fits on large summaries: a subsample's estimate refined on all the data.

A family that sets ``_warm_start_rows`` (Pareto/NBD: 30,000) fits summaries of at least
that many rows, when no ``x0`` is given, in three steps: a fit on a seeded random
subsample of :data:`WARM_SAMPLE` rows; a few quasi-Newton steps on the full data from
there (:func:`refine`); and the usual fit from the refined point, whose convergence
checks run on the full data. Any warning or error on the way falls back to the usual fit
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

from crmkit.clv._base import FitResult, Progress, compress_rows
from crmkit.clv._data import summary_arrays
from crmkit.exceptions import CrmkitError

__all__ = ["REFINE_STEPS", "WARM_SAMPLE", "refine", "warm_fit"]

Arr = NDArray[np.float64]
_logger = logging.getLogger("crmkit.clv")

WARM_SAMPLE = 10_000
"""Rows of the seeded subsample fitted first."""
REFINE_STEPS = 16
"""Most full-data evaluations of :func:`refine`."""


def refine(
    cls: Any,
    summary: pd.DataFrame,
    kw: dict[str, Any],
    sub: FitResult[Any],
    callback: Progress | None = None,
) -> Arr:
    """Quasi-Newton (BFGS) steps on the full data from a subsample's estimate.

    The subsample's covariance, scaled by the ratio of sample sizes, is the initial
    inverse curvature (in log-parameters) of the full data's log-likelihood; BFGS
    updates (Nocedal & Wright 2006, eq. 6.17) correct it from the full-data gradients,
    so each step costs one full-data evaluation and the convergence is superlinear. At
    most :data:`REFINE_STEPS` evaluations; stops when the step would change no
    log-parameter by more than 1e-13 (so that the driver's Newton polish, which only
    starts above 1e-12, has nothing left to do) or a step lowers the log-likelihood by
    more than rounding, and returns the last accepted point (the fit driver then checks
    it as any other start). Each accepted step is reported to ``callback`` (as
    ``(step, log-likelihood, parameters)``) and to the ``crmkit.clv`` logger, so a fit on
    millions of customers shows progress before the driver's own iterations.
    """
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
    uniq, w, _ = compress_rows(
        {"x": data.frequency[keep], "tx": data.recency[keep], "T": data.T[keep]},
        data.weights[keep],
    )
    vg = cls._objective(uniq["x"], uniq["tx"], uniq["T"], w)[1]
    theta = np.asarray(sub.estimates, dtype=np.float64)
    n = float(w.sum())
    H = sub.covariance / np.outer(theta, theta) * (sub.n_customers / n)
    if not np.all(np.isfinite(H)) or vg is None:
        return theta

    def evaluate(z: Arr) -> tuple[float, Arr]:
        with np.errstate(all="ignore"):
            v, g = vg(np.exp(z))
        if not (np.isfinite(v) and np.all(np.isfinite(g))):
            return -np.inf, np.zeros(z.size)
        return float(v), np.asarray(g * np.exp(z), dtype=np.float64)

    z = np.log(theta)
    v, g = evaluate(z)
    used = 1
    while used < REFINE_STEPS and np.isfinite(v):
        step = np.clip(H @ g, -1.0, 1.0)
        if np.max(np.abs(step)) < 1e-13:
            break
        z_new = z + step
        v_new, g_new = evaluate(z_new)
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
    return np.asarray(np.exp(z), dtype=np.float64)


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
            start = refine(cls, summary, kw, sub, callback)
            return plain(summary, x0=start, strict=True, callback=callback, **kw)
    except (CrmkitError, Warning):
        return None
