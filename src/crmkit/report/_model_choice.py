"""``--model auto``: the purchase model chosen by a holdout comparison (private).

BG/NBD, MBG/NBD and Pareto/NBD are always compared. BG/CNBD-k and MBG/CNBD-k (Platzer &
Reutterer 2016; Reutterer, Platzer & Schroeder 2021) join them when the customers'
inter-purchase times can be measured from the occasions (the pandas engine): they need
the sum of the logs of those times to choose the Erlang order k.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit import clv
from crmkit import columns as cols
from crmkit.exceptions import ConvergenceError
from crmkit.report._context import _Context, _count, _dec, _pct, _plot
from crmkit.timeunits import check_time_unit, elapsed

TITLES = {
    "BetaGeo": "BG/NBD",
    "ModifiedBetaGeo": "MBG/NBD",
    "ParetoNBD": "Pareto/NBD",
    "BetaGeoCNBD": "BG/CNBD-k",
    "ModifiedBetaGeoCNBD": "MBG/CNBD-k",
}
BASE: tuple[type[Any], ...] = (clv.BetaGeo, clv.ModifiedBetaGeo, clv.ParetoNBD)
REGULAR: tuple[type[Any], ...] = (clv.BetaGeoCNBD, clv.ModifiedBetaGeoCNBD)


def _titled(text: str) -> str:
    """Class names in ``text`` replaced by the models' usual names (BetaGeo -> BG/NBD)."""
    for name in sorted(TITLES, key=len, reverse=True):
        text = re.sub(rf"\b{name}\b", TITLES[name], text)
    return text


_RESOLUTIONS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def _resolution(times: np.ndarray[Any, Any]) -> tuple[str, pd.Timedelta]:
    """The coarsest of day, hour, minute, second that every timestamp is a multiple of
    (nanoseconds otherwise)."""
    ns = pd.DatetimeIndex(times).asi8
    for name, seconds in _RESOLUTIONS:
        if not np.any(ns % (seconds * 10**9)):
            return name, pd.Timedelta(seconds=seconds)
    return "nanosecond", pd.Timedelta(1, "ns")


def log_interval_sums(ctx: _Context, end: pd.Timestamp) -> tuple[pd.Series[Any] | None, str]:
    """Per customer, the sum of the logs of the times between consecutive occasions up to
    the day ``end`` (inclusive), in the report's unit; or None and why not.

    Two occasions at the same recorded instant (invoices within the timestamps'
    resolution, e.g. the same minute) are taken as half that resolution apart, the
    midpoint of the times they can be apart; the note says for how many customers.
    """
    if ctx.dask is not None:
        return None, "the dask engine does not keep the occasions' times in memory"
    tx = ctx.tx.loc[ctx.tx["datetime"] < end + pd.Timedelta(days=1)]
    ordered = tx.sort_values(["customer_id", "datetime"], kind="stable")
    ids = ordered["customer_id"].to_numpy()
    times = ordered["datetime"].to_numpy()
    same = ids[1:] == ids[:-1]
    unit = check_time_unit(ctx.options.time_unit)
    start, stop = times[:-1][same], times[1:][same]
    zero = stop <= start
    note = ""
    if zero.any():
        name, step = _resolution(times)
        stop = np.where(zero, start + (step / 2).to_timedelta64(), stop)
        n = pd.unique(ids[1:][same][zero]).size
        note = (
            f"{n:,} customers have two occasions at the same recorded instant (the "
            f"timestamps are to the {name}); those inter-purchase times are taken as half a "
            f"{name}"
        )
    gaps = np.asarray(elapsed(start, stop, unit), dtype=np.float64).reshape(-1)
    sums = pd.Series(np.log(gaps), index=ids[1:][same]).groupby(level=0).sum()
    first = pd.Index(pd.unique(ids), name=cols.CUSTOMER_ID)
    return sums.reindex(first, fill_value=0.0).rename(cols.LOG_INTERVAL_SUM), note


@attrs.frozen
class _FixedOrder:
    """A (M)BG/CNBD-k family with the order k of the calibration fit; its ``fit`` adds
    the log-interval sums of the full period, which the report's summary lacks."""

    family: type[Any]
    k: int
    log_intervals: pd.Series[Any]

    def fit(self, summary: pd.DataFrame) -> Any:
        litt = self.log_intervals.reindex(summary.index).to_numpy(dtype=np.float64)
        data = summary.assign(**{cols.LOG_INTERVAL_SUM: litt})
        return self.family.fit(data, k=self.k)


def compare(ctx: _Context, split: pd.DataFrame) -> tuple[clv.ModelComparison | None, str, str]:
    """The comparison on the calibration/holdout ``split``, or None and why none; and a
    note on the regularity models (why they were left out, or how their inter-purchase
    times were measured; "" if there is nothing to say)."""
    families = BASE
    litt, skipped = log_interval_sums(ctx, ctx.calibration_end)
    if litt is not None:
        split = split.assign(
            **{cols.LOG_INTERVAL_SUM: litt.reindex(split.index, fill_value=0.0).to_numpy()}
        )
        families = BASE + REGULAR
    try:
        return clv.compare_models(split, families=families), "", skipped
    except ConvergenceError as exc:
        return None, _titled(str(exc).splitlines()[0]), skipped


def _title(name: str, comparison: clv.ModelComparison) -> str:
    """The model's usual name, with the chosen Erlang order of a (M)BG/CNBD-k fit."""
    title = TITLES.get(name, name)
    fit = comparison.fits.get(name)
    k = getattr(fit.model, "k", None) if fit is not None else None
    return title.replace("-k", f"-{k}") if isinstance(k, int) else title


def show(ctx: _Context, comparison: clv.ModelComparison, skipped: str = "") -> str:
    """The comparison table, the rule and the reason on the page; returns the reason."""
    names = {name: _title(name, comparison) for name in comparison.table.index}
    table = comparison.table.rename(index=names).rename_axis("model")
    shown = table[
        ["rank", "status", "log_likelihood", "bic", "mae", "rmse", "bias", "tracking_error"]
    ]
    reason = comparison.reason
    for name in sorted(names, key=len, reverse=True):
        reason = re.sub(rf"\b{name}\b", names[name], reason)
    compared = ", ".join(TITLES.get(n, n) for n in names)
    regular = ""
    if any(n in names for n in ("BetaGeoCNBD", "ModifiedBetaGeoCNBD")):
        regular = (
            " BG/CNBD-k and MBG/CNBD-k (Platzer & Reutterer 2016) are BG/NBD and MBG/NBD "
            "with Erlang-k times between purchases (k = 1 is no regularity); k is chosen "
            "by likelihood from the times between each customer's occasions and counts as "
            "a parameter in the BIC."
        )
        orders = {
            TITLES[n]: getattr(comparison.fits[n].model, "k", None)
            for n in ("BetaGeoCNBD", "ModifiedBetaGeoCNBD")
            if n in comparison.fits
        }
        regular += " The fits chose " + ", ".join(f"k = {k} ({t})" for t, k in orders.items())
        regular += (
            "; k = 1 is the model without regularity, the same as BG/NBD or MBG/NBD."
            if 1 in orders.values()
            else "."
        )
        if skipped:
            regular += f" Note: {skipped}."
    elif skipped:
        regular = f" BG/CNBD-k and MBG/CNBD-k were not compared: {skipped}."
    ctx.page.paragraph(
        f"Model choice (--model auto): {compared} are each fitted on the calibration "
        f"period and predict every customer's holdout purchases ({ctx.occasion_unit}s). "
        "The model with the lowest mean absolute error per customer is used; models "
        "within 1% of that error count as equal, and the one with the lowest BIC among "
        f"them is used (a fit that fails is listed, not used).{regular} " + reason
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


def chosen(ctx: _Context, comparison: clv.ModelComparison) -> tuple[Any, str, Any, list[str]]:
    """Family, title, calibration fit and its warnings of the chosen model.

    For a (M)BG/CNBD-k the family keeps the calibration fit's k and brings the full
    period's log-interval sums to its fit.
    """
    name = comparison.chosen
    fit = comparison.fits[name]
    status = str(comparison.table.loc[name, "status"])
    family: Any = type(fit.model)
    if name in ("BetaGeoCNBD", "ModifiedBetaGeoCNBD"):
        litt, _ = log_interval_sums(ctx, ctx.observation_end)
        assert litt is not None  # the pandas engine: the calibration's sums existed too
        family = _FixedOrder(type(fit.model), int(fit.model.k), litt)
    return family, _title(name, comparison), fit, [] if status == "ok" else [status]
