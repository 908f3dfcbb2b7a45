"""The maximum-likelihood fit of a continuous-time purchase model (BG/NBD, MBG/NBD,
Pareto/NBD): validate the summary, compress it to distinct (x, t_x, T) histories with
weights, and run the shared driver with the family's objective, starts and boundary
handler."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import NanPolicy
from crmkit.clv._base import (
    BoundaryHandler,
    FitResult,
    Optimum,
    Progress,
    ValueAndGradient,
    maximize_log_likelihood,
)
from crmkit.clv._boundary import (
    beta_geo_boundary,
    ggnbd_boundary,
    pareto_boundary,
    search_box,
)
from crmkit.clv._data import summary_arrays
from crmkit.clv._warm import distinct_histories as _distinct_histories
from crmkit.exceptions import DegenerateDataWarning, InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = ["Objective", "fit_transaction_model"]

ModelT = TypeVar("ModelT")
Arr = NDArray[np.float64]
Objective = tuple[Callable[[Arr], float], ValueAndGradient | None]
"""A family's log-likelihood and (optionally) its value-and-gradient function."""


def _boundary_handler(family: str, default: Arr) -> BoundaryHandler | None:
    if family == "Pareto/NBD":
        return pareto_boundary(default)
    if family == "GG/NBD":
        return ggnbd_boundary(default)
    if family in ("BG/NBD", "MBG/NBD"):
        return beta_geo_boundary(default, family)
    return None


def fit_transaction_model(
    cls: Callable[..., ModelT],
    summary: pd.DataFrame,
    *,
    names: tuple[str, ...],
    family: str,
    objective: Callable[[Arr, Arr, Arr, Arr], Objective],
    start: Callable[[Arr, Arr, Arr, Arr], Arr],
    frequency_col: str,
    recency_col: str,
    T_col: str,
    weights_col: str | None,
    x0: ArrayLike | None,
    time_unit: str | None,
    nan_policy: NanPolicy,
    strict: bool,
    callback: Progress | None = None,
    histories: tuple[Arr, Arr, Arr, Arr] | None = None,
) -> FitResult[ModelT]:
    """Validate, compress to unique (x, t_x, T) rows and maximise the likelihood.

    ``histories`` are the distinct rows and weights of this very summary when the caller
    has already validated and compressed it (the warm start does).
    """
    if histories is None:
        data = summary_arrays(
            summary,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
            weights_col=weights_col,
            nan_policy=nan_policy,
            family=family,
        )
        keep = data.weights > 0
        histories = _distinct_histories(
            data.frequency[keep], data.recency[keep], data.T[keep], data.weights[keep]
        )
    x, tx, T, w = histories
    unit = time_unit if time_unit is not None else summary.attrs.get("crmkit_time_unit")
    unit_checked: TimeUnit | None = None if unit is None else check_time_unit(str(unit))
    n = float(w.sum())
    if n <= 0:
        raise InvalidValueError(f"{family}: the weights sum to 0; nothing to fit.")
    ll_fn, vg_fn = objective(x, tx, T, w)
    default = np.asarray(start(x, tx, T, w), dtype=np.float64)
    start_values = default if x0 is None else np.asarray(x0, dtype=np.float64)
    # other data-scaled starts, tried when an end point fails the convergence checks
    others = [default * 0.3, default * 3.0]
    restarts = others if x0 is None else [default, *others]
    if not np.any(x > 0):
        warnings.warn(
            f"{family}: no customer made a repeat purchase, so the purchase rate's maximum "
            "likelihood is at its boundary (0) and the other parameters are not identified. "
            "The returned parameters are the data-scaled starting values (not estimates), "
            "with infinite standard errors and converged=False. Collect a longer "
            "calibration period before using this model.",
            DegenerateDataWarning,
            stacklevel=3,
        )
        k = len(names)
        opt = Optimum(
            params=np.asarray(start_values, dtype=np.float64),
            log_likelihood=float(ll_fn(np.asarray(start_values, dtype=np.float64))),
            covariance=np.full((k, k), np.inf),
            converged=False,
            iterations=0,
            message="degenerate data: no repeat purchases",
            result=None,
        )
    else:
        opt = maximize_log_likelihood(
            ll_fn,
            start_values,
            names=names,
            n_obs=n,
            value_and_gradient=vg_fn,
            # families whose objective also gives the exact Hessian (BG/NBD, MBG/NBD,
            # Pareto/NBD)
            value_gradient_hessian=getattr(vg_fn, "value_gradient_hessian", None),
            newton_keep_partial=getattr(vg_fn, "newton_keep_partial", True),
            newton_step_tol=getattr(vg_fn, "newton_step_tol", 1e-12),
            strict=strict,
            family=family,
            bounds=search_box(default),
            boundary=_boundary_handler(family, default),
            restarts=restarts,
            user_start=x0 is not None,
            callback=callback,
        )
    fitted = dict(zip(names, (float(v) for v in opt.params), strict=True))
    model = cls(**fitted, time_unit=unit_checked)
    return FitResult.from_optimum(
        model, opt, names=names, n_customers=round(n), n_unique=int(x.size)
    )
