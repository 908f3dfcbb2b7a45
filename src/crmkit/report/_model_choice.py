"""``--model auto``: the purchase model chosen by a holdout comparison (private)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from crmkit import clv
from crmkit.exceptions import ConvergenceError
from crmkit.report._context import _Context, _count, _dec, _pct, _plot

TITLES = {"BetaGeo": "BG/NBD", "ModifiedBetaGeo": "MBG/NBD", "ParetoNBD": "Pareto/NBD"}


def _titled(text: str) -> str:
    """Class names in ``text`` replaced by the models' usual names (BetaGeo -> BG/NBD)."""
    for name, title in TITLES.items():
        text = re.sub(rf"\b{name}\b", title, text)
    return text


def compare(split: pd.DataFrame) -> tuple[clv.ModelComparison | None, str]:
    """The comparison on the calibration/holdout ``split``, or None and why none."""
    try:
        return clv.compare_models(split), ""
    except ConvergenceError as exc:
        return None, _titled(str(exc).splitlines()[0])


def show(ctx: _Context, comparison: clv.ModelComparison) -> str:
    """The comparison table, the rule and the reason on the page; returns the reason."""
    table = comparison.table.rename(index=TITLES).rename_axis("model")
    shown = table[
        ["rank", "status", "log_likelihood", "bic", "mae", "rmse", "bias", "tracking_error"]
    ]
    reason = _titled(comparison.reason)
    ctx.page.paragraph(
        "Model choice (--model auto): BG/NBD, MBG/NBD and Pareto/NBD are each fitted on "
        f"the calibration period and predict every customer's holdout purchases "
        f"({ctx.occasion_unit}s). The model with the lowest mean absolute error per "
        "customer is used; models within 1% of that error count as equal, and the one "
        "with the lowest BIC among them is used (a fit that fails is listed, not used). " + reason
    )
    ctx.table(
        shown,
        caption="Model comparison on the holdout: calibration log-likelihood and BIC, "
        f"holdout purchases ({ctx.occasion_unit}s) per customer (MAE, RMSE, bias = "
        "predicted - actual) and tracking error of the total (predicted - actual) / actual",
        formats={
            "rank": _count,
            "log_likelihood": _dec(1),
            "bic": _dec(1),
            "mae": _dec(3),
            "rmse": _dec(3),
            "bias": _dec(3),
            "tracking_error": _pct,
        },
    )
    ctx.figure(
        lambda ax: _plot("model_comparison_plot", comparison, ax=ax),
        f"Mean holdout purchases ({ctx.occasion_unit}s) by calibration frequency: actual vs "
        "each model's calibration fit",
    )
    ctx.save("model_comparison", table)
    return reason


def chosen(comparison: clv.ModelComparison) -> tuple[Any, str, Any, list[str]]:
    """Family, title, calibration fit and its warnings of the chosen model."""
    name = comparison.chosen
    fit = comparison.fits[name]
    status = str(comparison.table.loc[name, "status"])
    return type(fit.model), TITLES.get(name, name), fit, [] if status == "ok" else [status]
