"""The maximum-likelihood fit of the (M)BG/CNBD-k models over a grid of Erlang orders.

For a fixed *k* the likelihood factors into a term of the observed inter-purchase times
without parameters, :math:`(k - 1) \\sum \\log \\Delta t - x \\log (k - 1)!`, and a
function of (x, t_x, T). So each *k* is fitted on the distinct (x, t_x, T) histories by
the shared driver (:func:`crmkit.clv._transaction_fit.fit_transaction_model`; ``k = 1``
with BG/NBD's own objective, exact Hessian and boundary handling), and the term, which
needs only the weighted totals of ``log_interval_sum`` and of *x*, is added to the
log-likelihood so that different *k* compare (BTYDplus' ``xbgcnbd.EstimateParameters``
with ``k = NULL`` keeps the best of k = 1 ... 12 the same way).
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import NanPolicy, check_option, require_columns
from crmkit.clv._base import FitResult, Progress
from crmkit.clv._cnbd_maths import cnbd_log_likelihood, cnbd_value_and_gradient
from crmkit.clv._dask import is_dask
from crmkit.clv._data import summary_arrays
from crmkit.clv._starts import nbd_moment_start
from crmkit.clv._transaction_fit import Objective, fit_transaction_model
from crmkit.clv._warm import distinct_histories
from crmkit.clv.bgnbd import beta_geo_objective, beta_geo_start
from crmkit.exceptions import ConvergenceError, InvalidValueError, MissingColumnsError

__all__ = ["computed", "fit_cnbd", "log_interval_term", "regularity_table"]

ModelT = TypeVar("ModelT")
Arr = NDArray[np.float64]
_log = logging.getLogger("crmkit.clv")


def computed(summary: Any) -> pd.DataFrame:
    """A dask summary brought into memory (the log-interval totals need its rows)."""
    frame: pd.DataFrame = summary.compute()
    return frame


def _log_intervals(summary: pd.DataFrame, col: str, family: str, x: Arr) -> Arr:
    """The log-interval column as floats, checked (finite; 0 without repeat purchases)."""
    if col not in summary.columns:
        raise MissingColumnsError(
            [col],
            available=summary.columns,
            hint=f"{family} needs the sum of the logs of each customer's inter-purchase "
            "times to compare Erlang orders k: build the summary with "
            "crmkit.rfm_summary(..., log_intervals=True), name your column with "
            "log_interval_col=..., or fix k=1.",
        )
    values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidValueError(
            f"{family}: column {col!r} has {int(bad.sum())} missing or non-finite values "
            f"(e.g. at {list(summary.index[bad][:3])!r}); it must hold the sum of the logs "
            "of the inter-purchase times (0 for customers without repeat purchases)."
        )
    nonzero = (x == 0) & (values != 0)
    if nonzero.any():
        raise InvalidValueError(
            f"{family}: column {col!r} is not 0 for {int(nonzero.sum())} customers without "
            f"repeat purchases (e.g. at {list(summary.index[nonzero][:3])!r}); a customer "
            "with frequency 0 has no inter-purchase time. Rebuild it with "
            "crmkit.rfm_summary(..., log_intervals=True)."
        )
    return values


def log_interval_term(
    summary: pd.DataFrame, k: int, x: Arr, w: Arr, col: str, family: str
) -> float:
    """:math:`\\sum_i w_i [(k - 1) L_i - x_i \\log (k - 1)!]` (0 for k = 1, no column
    needed)."""
    if k == 1:
        return 0.0
    litt = _log_intervals(summary, col, family, x)
    return float((k - 1) * (w @ litt) - math.lgamma(k) * (w @ x))


def _cnbd_objective(k: int, shift: int) -> Callable[[Arr, Arr, Arr, Arr], Objective]:
    def objective(x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        def value(params: Arr) -> float:
            r, alpha, a, b = (float(v) for v in params)
            return float(w @ cnbd_log_likelihood(r, alpha, a, b, k, shift, x, tx, T))

        def value_and_gradient(params: Arr) -> tuple[float, Arr]:
            return cnbd_value_and_gradient(params, k, shift, x, tx, T, w)

        return value, value_and_gradient

    return objective


def _cnbd_start(k: int) -> Callable[[Arr, Arr, Arr, Arr], Arr]:
    def start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        # the stage rate is k times the purchase rate: alpha / k at the same r
        r, alpha = nbd_moment_start(x, T, w)
        return np.array([r, alpha / k, 1.0, 3.0])

    return start


def fit_cnbd(
    cls: Any,
    summary: pd.DataFrame,
    *,
    ks: tuple[int, ...] | None,
    max_k: int,
    frequency_col: str,
    recency_col: str,
    T_col: str,
    log_interval_col: str,
    weights_col: str | None,
    x0: ArrayLike | None,
    time_unit: str | None,
    nan_policy: NanPolicy,
    strict: bool,
    callback: Progress | None,
    keep_failures: bool = False,
    early_stop: bool = False,
    held: dict[int, list[warnings.WarningMessage]] | None = None,
) -> list[tuple[int, FitResult[Any] | None]]:
    """Fit each k of ``ks`` (default 1 ... ``max_k``); a k > 1 whose fit fails the
    convergence checks is recorded as None (and skipped by the caller).

    With ``early_stop`` the grid stops, as BTYDplus' does, once the log-likelihood has
    fallen for two consecutive k (or a fit failed). With ``held`` the warnings of each
    k's fit (a boundary warning of a candidate order) are kept there by k instead of
    being shown, so the caller shows only those of the order it chooses.
    """
    family: str = cls._family
    shift: int = cls._shift
    if is_dask(summary):  # the log-interval totals need the rows: bring them here
        summary = computed(summary)
    grid = tuple(range(1, max_k + 1)) if ks is None else ks
    if x0 is not None and ks is None:
        raise InvalidValueError(
            f"{family}: x0 needs a fixed k (each k has its own scale of alpha); pass k=... "
            "with x0, or leave x0 out."
        )
    policy = check_option(nan_policy, ("raise", "omit"), name="nan_policy")
    needs_litt = max(grid) > 1
    needed = [frequency_col, recency_col, T_col]
    needed += [weights_col] if weights_col is not None else []
    if needs_litt:
        if log_interval_col not in summary.columns:
            _log_intervals(summary, log_interval_col, family, np.zeros(0))
        needed.append(log_interval_col)
    require_columns(summary, needed)
    if policy == "omit":
        summary = summary.loc[summary[needed].notna().all(axis=1).to_numpy()]
    data = summary_arrays(
        summary,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        weights_col=weights_col,
        family=family,
    )
    litt = (
        _log_intervals(summary, log_interval_col, family, data.frequency)
        if needs_litt
        else np.zeros(data.frequency.size)
    )
    sum_litt = float(data.weights @ litt)
    sum_x = float(data.weights @ data.frequency)
    keep = data.weights > 0
    histories = distinct_histories(
        data.frequency[keep], data.recency[keep], data.T[keep], data.weights[keep]
    )
    out: list[tuple[int, FitResult[Any] | None]] = []
    for k in grid:
        if k == 1:
            objective: Callable[[Arr, Arr, Arr, Arr], Objective] = functools.partial(
                beta_geo_objective, shift=shift
            )
            start: Callable[[Arr, Arr, Arr, Arr], Arr] = beta_geo_start
            driver_family = "MBG/NBD" if shift else "BG/NBD"
        else:
            objective, start, driver_family = _cnbd_objective(k, shift), _cnbd_start(k), family
        try:
            with warnings.catch_warnings(record=held is not None) as caught:
                if held is not None:
                    warnings.simplefilter("always")
                fit = fit_transaction_model(
                    functools.partial(cls, k=k),
                    summary,
                    names=cls._param_names,
                    family=driver_family,
                    objective=objective,
                    start=start,
                    frequency_col=frequency_col,
                    recency_col=recency_col,
                    T_col=T_col,
                    weights_col=weights_col,
                    x0=x0,
                    time_unit=time_unit,
                    nan_policy="raise",
                    strict=strict,
                    callback=callback,
                    histories=histories,
                )
        except ConvergenceError:
            if k == 1 and not keep_failures and ks is not None:
                raise
            if len(grid) == 1:
                raise
            _log.debug("%s: the fit with k=%d failed the convergence checks", family, k)
            out.append((k, None))
            if early_stop:
                break
            continue
        if held is not None and caught is not None:
            held[k] = list(caught)
        term = (k - 1) * sum_litt - math.lgamma(k) * sum_x
        fit = attrs.evolve(fit, log_likelihood=fit.log_likelihood + term)
        _log.debug("%s: k=%d log-likelihood %.4f", family, k, fit.log_likelihood)
        out.append((k, fit))
        lls = [f.log_likelihood for _, f in out[-3:] if f is not None]
        if early_stop and len(lls) == 3 and lls[2] < lls[1] < lls[0]:
            break
    if not keep_failures and all(f is None for _, f in out):
        raise ConvergenceError(
            f"{family}: no Erlang order k in {list(grid)} gave a fit that passed the "
            "convergence checks; try strict=False to see the best end points."
        )
    return out


def regularity_table(fits: list[tuple[int, FitResult[Any] | None]], max_k: int) -> pd.DataFrame:
    """One row per k: log-likelihood, parameters and convergence (NaN for failures)."""
    rows: dict[int, dict[str, Any]] = {}
    for k, fit in fits:
        if fit is None:
            rows[k] = dict.fromkeys(("log_likelihood", "r", "alpha", "a", "b"), math.nan)
            rows[k]["converged"] = False
        else:
            rows[k] = {
                "log_likelihood": fit.log_likelihood,
                **fit.params,
                "converged": bool(fit.converged),
            }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.Index(frame.index.astype(np.int64), name="k")
    return frame.reindex(pd.Index(range(1, max_k + 1), name="k"))
