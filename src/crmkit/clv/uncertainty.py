"""Uncertainty of predictions and CLV from the uncertainty of fitted parameters.

A fitted model's parameters are known only up to their sampling error. Every
prediction inherits it. :func:`parameter_draws` samples plausible models from the
asymptotic distribution of the maximum-likelihood estimates, and
:func:`prediction_interval` pushes any prediction (expected purchases, P(alive), CLV
...) through those draws to give an interval per customer.

The draws are multivariate normal on the log of the parameters, with the covariance of
:attr:`FitResult.covariance` mapped by the delta method,
:math:`\\operatorname{Cov}(\\log\\hat\\theta) = D^{-1}\\operatorname{Cov}(\\hat\\theta)D^{-1}`,
:math:`D = \\operatorname{diag}(\\hat\\theta)`: the same approximation as the
log-scale Wald intervals of :meth:`FitResult.confidence_intervals`, so a parameter's own
interval from the draws agrees with them, and every drawn parameter stays positive.
This is parametric (not re-fitting) bootstrap: fast, and exact in the large-sample limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import numpy as np
import pandas as pd

from crmkit._compat import positional_options
from crmkit._validation import as_generator, check_in_range
from crmkit.clv._base import FitResult
from crmkit.clv._dask import interval_on_partitions, is_dask
from crmkit.exceptions import InvalidValueError

__all__ = ["parameter_draws", "prediction_interval"]

M = TypeVar("M")


def _check_fit(fit: Any) -> None:
    if not isinstance(fit, FitResult):
        raise InvalidValueError(
            f"fit must be the FitResult of a model's fit, e.g. BetaGeo.fit(summary); got "
            f"{type(fit).__name__}."
        )


@positional_options("n_draws")
def parameter_draws(
    fit: FitResult[M], *, n_draws: int = 500, rng: np.random.Generator | int | None = 0
) -> list[M]:
    """Models drawn from the asymptotic distribution of a fit's parameters.

    Parameters
    ----------
    fit : FitResult
        A fitted model with a finite covariance matrix.
    n_draws : int
        Number of models to draw (>= 2).
    rng : numpy.random.Generator or int, default 0
        Seeded generator (or seed) for reproducible draws.

    Returns
    -------
    list of models
        ``n_draws`` frozen models of the fitted family (time unit kept).

    Raises
    ------
    InvalidValueError
        If the covariance has NaN or infinite entries (the fit could not estimate
        standard errors), or ``n_draws < 2``.

    Examples
    --------
    >>> from crmkit import clv, datasets
    >>> fit = clv.BetaGeo.fit(datasets.load_cdnow_summary())
    >>> draws = parameter_draws(fit, n_draws=200, rng=1)
    >>> len(draws), type(draws[0]).__name__
    (200, 'BetaGeo')
    """
    _check_fit(fit)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 2:
        raise InvalidValueError(f"n_draws={n_draws!r} must be a whole number >= 2.")
    est = np.asarray(fit.estimates, dtype=np.float64)
    cov = np.asarray(fit.covariance, dtype=np.float64)
    if not np.all(np.isfinite(cov)):
        raise InvalidValueError(
            "the fit has no finite covariance matrix (its Hessian was singular), so there is "
            "no sampling distribution to draw from; check fit.converged and the data."
        )
    cov_log = cov / np.outer(est, est)
    logs = as_generator(rng).multivariate_normal(np.log(est), cov_log, size=n_draws, method="eigh")
    values = np.exp(logs)
    names = fit.param_names
    return [
        attrs.evolve(fit.model, **dict(zip(names, (float(v) for v in row), strict=True)))  # type: ignore[misc]  # models are attrs classes
        for row in values
    ]


def prediction_interval(
    fit: FitResult[M],
    predict: Callable[[M], Any],
    *,
    level: float = 0.95,
    n_draws: int = 500,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """Percentile interval of any prediction over models drawn from the fit.

    Parameters
    ----------
    fit : FitResult
        The fitted model.
    predict : callable
        ``predict(model)`` returns a number, an array or a Series (e.g.
        ``lambda m: m.probability_alive(summary)`` or a CLV call).
    level : float
        Interval level in (0, 1).
    n_draws : int
        Number of parameter draws; the cost is ``n_draws`` calls of ``predict``.
    rng : numpy.random.Generator or int, default 0
        Seeded generator (or seed).

    Returns
    -------
    pandas.DataFrame
        One row per predicted value (indexed like the Series ``predict`` returns, else
        0..n-1), columns ``estimate`` (at the fitted parameters), ``stderr`` (standard
        deviation over the draws), ``lower`` and ``upper``. When ``predict`` returns a
        dask Series (a prediction on a dask summary), a dask DataFrame partitioned like
        it, equal to the pandas result: every partition is scored under the same
        drawn models, and holds ``n_draws`` values per customer while it is computed
        (``n_draws * 8`` bytes per customer of the partition).

    Examples
    --------
    >>> from crmkit import clv, datasets
    >>> summary = datasets.load_cdnow_summary()
    >>> fit = clv.BetaGeo.fit(summary)
    >>> band = prediction_interval(fit, lambda m: m.expected_purchases(52), n_draws=300)
    >>> row = band.iloc[0]
    >>> bool(row["lower"] < row["estimate"] < row["upper"])
    True
    """
    _check_fit(fit)
    if not callable(predict):
        raise InvalidValueError(
            f"predict={predict!r:.60} must be a function of a model, e.g. "
            "lambda m: m.expected_purchases(52)."
        )
    lvl = check_in_range(level, name="level", low=0.0, high=1.0, low_inclusive=False,
                         high_inclusive=False)  # fmt: skip
    point = predict(fit.model)
    if is_dask(point):  # per customer on the cluster, with the same draws everywhere
        models = parameter_draws(fit, n_draws=n_draws, rng=rng)
        lazy: pd.DataFrame = interval_on_partitions(point, [predict(m) for m in models], lvl)
        return lazy
    index = point.index if isinstance(point, pd.Series) else None
    base = np.atleast_1d(np.asarray(point, dtype=np.float64)).ravel()
    draws = np.empty((n_draws, base.size))
    for i, model in enumerate(parameter_draws(fit, n_draws=n_draws, rng=rng)):
        row = np.atleast_1d(np.asarray(predict(model), dtype=np.float64)).ravel()
        if row.size != base.size:
            raise InvalidValueError(
                f"predict returned {row.size} values for a drawn model but {base.size} for "
                "the fitted one; it must return the same shape for every model."
            )
        draws[i] = row
    lo, hi = np.quantile(draws, [(1.0 - lvl) / 2.0, (1.0 + lvl) / 2.0], axis=0)
    return pd.DataFrame(
        {"estimate": base, "stderr": draws.std(axis=0, ddof=1), "lower": lo, "upper": hi},
        index=index,
    )
