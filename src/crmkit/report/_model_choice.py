"""``--model auto``: the purchase model chosen by a holdout comparison (private).

BG/NBD, MBG/NBD, Pareto/NBD, BG/CNBD-k and MBG/CNBD-k (Platzer & Reutterer 2016;
Reutterer, Platzer & Schroeder 2021) are compared. The last two choose their Erlang
order k from the sum of the logs of each customer's inter-purchase times, measured here
from the occasions.
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


_RESOLUTIONS = {86_400: "day", 3_600: "hour", 60: "minute", 1: "second"}


def _window(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The occasions up to the day ``end`` (inclusive), ordered by customer and time."""
    inside = tx.loc[tx["datetime"] < end + pd.Timedelta(days=1), ["customer_id", "datetime"]]
    return inside.sort_values(["customer_id", "datetime"], kind="stable")


def _step(tx: pd.DataFrame, end: pd.Timestamp) -> pd.Series[Any]:
    """The coarsest of a day, hour, minute, second (in seconds; 0: finer) that every
    timestamp of the window is a multiple of, as a one-row series (a dask partition)."""
    ns = pd.DatetimeIndex(_window(tx, end)["datetime"]).as_unit("ns").asi8
    step = next((sec for sec in _RESOLUTIONS if not np.any(ns % (sec * 10**9))), 0)
    return pd.Series([step], dtype=np.int64)


def _sums(tx: pd.DataFrame, end: pd.Timestamp, unit: str, step: int) -> pd.DataFrame:
    """Per customer of the window, the sum of the logs of the times between consecutive
    occasions in ``unit`` (0 for one occasion), two occasions at one instant taken as
    half of ``step`` seconds apart, and whether the customer has such a pair."""
    ordered = _window(tx, end)
    ids = ordered["customer_id"].to_numpy()
    times = ordered["datetime"].to_numpy()
    same = ids[1:] == ids[:-1]
    start, stop = times[:-1][same], times[1:][same]
    zero = stop <= start
    half = pd.Timedelta(seconds=step / 2) if step else pd.Timedelta(1, "ns")
    stop = np.where(zero, start + half.to_timedelta64(), stop)
    gaps = np.asarray(elapsed(start, stop, check_time_unit(unit)), dtype=np.float64)
    per = pd.DataFrame({"log": np.log(gaps.reshape(-1)), "zero": zero}, index=ids[1:][same])
    grouped = per.groupby(level=0).agg({"log": "sum", "zero": "any"})
    first = pd.Index(pd.unique(ids), name=cols.CUSTOMER_ID)
    return pd.DataFrame(
        {
            cols.LOG_INTERVAL_SUM: grouped["log"]
            .reindex(first, fill_value=0.0)
            .to_numpy(dtype=np.float64),
            "same_instant": grouped["zero"].reindex(first, fill_value=False).to_numpy(dtype=bool),
        },
        index=first,
    )


def log_interval_sums(ctx: _Context, end: pd.Timestamp) -> tuple[pd.Series[Any], str]:
    """Per customer, the sum of the logs of the times between consecutive occasions up to
    the day ``end`` (inclusive), in the report's unit, and a note ("" if none).

    Two occasions at the same recorded instant (invoices within the timestamps'
    resolution, e.g. the same minute) are taken as half that resolution apart, the
    midpoint of the times they can be apart; the note says for how many customers. On
    the dask engine each partition holds all occasions of its customers, so the sums are
    computed where the occasions are.
    """
    unit = ctx.options.time_unit
    if ctx.dask is None:
        step = int(_step(ctx.tx, end).iloc[0])
        table = _sums(ctx.tx, end, unit, step)
    else:
        occ = ctx.dask.occasions
        step = int(occ.map_partitions(_step, end, meta=("step", "i8")).compute().min())
        meta = pd.DataFrame(
            {cols.LOG_INTERVAL_SUM: pd.Series(dtype="f8"), "same_instant": pd.Series(dtype=bool)}
        )
        table = occ.map_partitions(_sums, end, unit, step, meta=meta).compute()
    n = int(table["same_instant"].sum())
    note = ""
    if n:
        name = _RESOLUTIONS.get(step, "nanosecond")
        note = (
            f"{n:,} customers have two occasions at the same recorded instant (the "
            f"timestamps are to the {name}); those inter-purchase times are taken as half a "
            f"{name}"
        )
    return table[cols.LOG_INTERVAL_SUM].sort_index(), note


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
    note on how the regularity models' inter-purchase times were measured ("" if there
    is nothing to say)."""
    litt, note = log_interval_sums(ctx, ctx.calibration_end)
    split = split.assign(
        **{cols.LOG_INTERVAL_SUM: litt.reindex(split.index, fill_value=0.0).to_numpy()}
    )
    families = BASE + REGULAR
    try:
        return clv.compare_models(split, families=families), "", note
    except ConvergenceError as exc:
        return None, _titled(str(exc).splitlines()[0]), note


def _title(name: str, comparison: clv.ModelComparison) -> str:
    """The model's usual name, with the chosen Erlang order of a (M)BG/CNBD-k fit."""
    title = TITLES.get(name, name)
    fit = comparison.fits.get(name)
    k = getattr(fit.model, "k", None) if fit is not None else None
    return title.replace("-k", f"-{k}") if isinstance(k, int) else title


def show(ctx: _Context, comparison: clv.ModelComparison, note: str = "") -> str:
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
        if note:
            regular += f" Note: {note}."
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
        family = _FixedOrder(type(fit.model), int(fit.model.k), litt)
    return family, _title(name, comparison), fit, [] if status == "ok" else [status]
