"""The text and HTML views of a :class:`~crmkit.clv.FitResult`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crmkit._display import Display, fmt_number

__all__ = ["fit_display"]


def fit_display(fit: Any) -> Display:
    """Title, fit statistics and the estimate / standard-error table of a fit."""
    model = fit.model
    unit = getattr(model, "time_unit", None)
    per = f", time unit {unit}" if unit else ""
    title = (
        f"{type(model).__name__} fit on {fit.n_customers:,} customers "
        f"({fit.n_unique:,} distinct histories{per})"
    )
    status = "converged" if fit.converged else f"NOT converged ({fit.message})"
    facts = [
        f"log-likelihood {fit.log_likelihood:,.2f}, AIC {fit.aic:,.1f}, BIC {fit.bic:,.1f}",
        f"{status}, {fit.iterations} iterations",
    ]
    if fit.at_boundary:
        facts.append(
            f"at the boundary of the parameter space: {', '.join(fit.at_boundary)} "
            "(a limit model; see BoundaryWarning)"
        )
    se = np.sqrt(np.abs(np.diag(np.asarray(fit.covariance, dtype=np.float64))))
    rows = []
    for name, est, s in zip(fit.param_names, fit.estimates, se, strict=True):
        limit = name in fit.at_boundary or not math.isfinite(float(s))
        rows.append([name, fmt_number(est), "at limit" if limit else fmt_number(float(s))])
    return Display(title, facts, ["parameter", "estimate", "std. error"], rows)
