"""The CLV section of the report: calibration fit, holdout check, full-period refit (private)."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pandas as pd

from crmkit import clv
from crmkit.exceptions import CrmkitError, CrmkitWarning
from crmkit.report import _model_choice
from crmkit.report._context import (
    _Context,
    _count,
    _dec,
    _money,
    _occasion_summary,
    _pct,
    _plot,
)
from crmkit.report._forecast_section import forecast_section
from crmkit.report.options import ReportOptions
from crmkit.timeunits import check_time_unit, convert_rate, unit_name
from crmkit.timeunits._periods import GREGORIAN_YEAR_DAYS
from crmkit.transactions import calibration_and_holdout

_MODEL_CLASSES = {"bgnbd": "BetaGeo", "mbgnbd": "ModifiedBetaGeo", "paretonbd": "ParetoNBD"}
_MODEL_TITLES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}


def _fit(family: Any, data: pd.DataFrame) -> tuple[Any, list[str]]:
    """Fit and collect the fit's warnings (boundary, convergence) as text.

    A fit that fails (no convergence, degenerate data) gives ``None`` and its message, so
    the report states it instead of stopping.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = family.fit(data)
        except CrmkitError as exc:
            return None, [f"the fit failed: {str(exc).splitlines()[0]}"]
    return fit, [str(w.message) for w in caught if issubclass(w.category, CrmkitWarning)]


def holdout_split(
    tx: pd.DataFrame, cal_end_day: pd.Timestamp, obs_end: pd.Timestamp, unit: str
) -> pd.DataFrame:
    """calibration_and_holdout of occasions ``tx`` with purchases counted per occasion."""
    split = calibration_and_holdout(
        tx,
        calibration_end=cal_end_day,
        observation_end=obs_end,
        amount_col="monetary",
        time_unit=check_time_unit(unit),
        period="D",
        non_positive="keep",
    )
    cal_end = cal_end_day + pd.Timedelta(days=1)
    cal_tx = tx.loc[tx["datetime"] < cal_end]
    cal = _occasion_summary(cal_tx, cal_end_day, unit).reindex(split.index)
    split["frequency"] = cal["frequency"].to_numpy()
    split["monetary_value"] = cal["monetary_value"].to_numpy()
    hold = tx.loc[tx["datetime"] >= cal_end]
    per = hold.groupby("customer_id")["monetary"].agg(["size", "mean"]).reindex(split.index)
    split["frequency_holdout"] = per["size"].fillna(0).to_numpy(dtype=np.float64)
    split["monetary_value_holdout"] = per["mean"].fillna(0.0).to_numpy(dtype=np.float64)
    return split


def _holdout_split(ctx: _Context) -> pd.DataFrame:
    if ctx.dask is not None:
        split: pd.DataFrame = ctx.dask.split.copy()
        return split
    return holdout_split(ctx.tx, ctx.calibration_end, ctx.observation_end, ctx.options.time_unit)


def repeats_per_period(
    cal_tx: pd.DataFrame, ends: np.ndarray[Any, Any]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Repeat occasions (each customer's occasions after the first) per period ``ends``."""
    ordered = cal_tx.sort_values(["customer_id", "datetime"], kind="stable")
    repeats = ordered.loc[ordered.duplicated("customer_id"), "datetime"].to_numpy()
    k = np.searchsorted(ends, repeats, side="right")
    return np.bincount(k[k < len(ends)], minlength=len(ends)).astype(np.float64)


def _tracking(ctx: _Context, model: Any, ids: pd.Index) -> pd.DataFrame:
    """tracking_series, with the actual repeat purchases counted one per occasion."""
    o = ctx.options
    if ctx.dask is not None:
        cal_tx = ctx.dask.first_purchases(ctx.end_instant)
    else:
        cal_tx = ctx.tx.loc[
            ctx.tx["customer_id"].isin(ids) & (ctx.tx["datetime"] <= ctx.end_instant)
        ]
    # the expected curve depends on each customer's first purchase only
    tracking = clv.tracking_series(
        model, cal_tx, time_unit=o.time_unit, end=ctx.end_instant, model_time_unit=o.time_unit
    )
    ends = tracking["period_end"].to_numpy()
    if ctx.dask is not None:
        actual = ctx.dask.repeats_per_period(ctx.end_instant, ends)
    else:
        actual = repeats_per_period(cal_tx, ends)
    tracking["actual"] = actual
    tracking["actual_cumulative"] = np.cumsum(actual)
    return tracking


def score_customers(
    summary: pd.DataFrame,
    *,
    model: Any,
    spend_model: Any,
    mean_spend: float,
    options: ReportOptions,
    rate: float,
) -> pd.DataFrame:
    """The CLV table of ``summary``'s customers: P(alive), expected purchases, spend, CLV.

    Every column is computed customer by customer, so scoring parts of the summary and
    concatenating them gives the table of the whole summary.
    """
    o = options
    if spend_model is not None:
        positive = ((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).to_numpy()
        per_customer = pd.Series(spend_model.expected_spend(), index=summary.index)
        if positive.any():
            per_customer.loc[positive] = spend_model.conditional_expected_spend(
                summary.loc[positive]
            )
    else:
        per_customer = pd.Series(mean_spend, index=summary.index)
    value = clv.customer_lifetime_value(
        model,
        per_customer,
        summary,
        horizon=o.horizon,
        time_unit=o.time_unit,
        discount_rate=rate,
        margin=o.margin,
        model_time_unit=o.time_unit,
    )
    alive = model.probability_alive(summary)
    expected = model.conditional_expected_purchases(summary, t=o.horizon)
    return summary[["frequency", "recency", "T", "monetary_value"]].assign(
        p_alive=alive, expected_purchases=expected, spend_per_purchase=per_customer, clv=value
    )


def _holdout_by_frequency(ctx: _Context, result: Any) -> str:
    """The calibration-vs-holdout table by calibration frequency (FHL 2005, Figure 4);
    returns its one-line finding for the console summary."""
    table = result.table
    ctx.table(
        table.rename_axis("repeat purchases in calibration"),
        caption=f"Holdout purchases ({ctx.occasion_unit}s) per customer by calibration "
        "frequency: actual and predicted by the calibration fit (predicted - actual)",
        formats={
            "n_customers": _count,
            "actual": _dec(2),
            "predicted": _dec(2),
            "difference": _dec(2),
        },
    )
    ctx.figure(
        lambda ax: _plot("holdout_by_frequency_plot", result, ax=ax),
        f"Mean holdout purchases ({ctx.occasion_unit}s) by calibration frequency: actual "
        "vs the calibration fit",
    )
    worst = table["difference"].abs().idxmax()
    row = table.loc[worst]
    return (
        f"holdout by calibration frequency: largest gap at {worst} repeat purchases "
        f"({int(row['n_customers']):,} customers), predicted {row['predicted']:.2f} vs "
        f"actual {row['actual']:.2f} per customer"
    )


def _params_frame(fit: Any) -> pd.DataFrame:
    frame: pd.DataFrame = fit.confidence_intervals(0.95).rename_axis("parameter")
    return frame


def _clv(ctx: _Context, full_summary: pd.DataFrame) -> pd.Series[Any] | None:
    o = ctx.options
    split = _holdout_split(ctx)
    comparison, skipped = None, ""
    if o.model == "auto":  # the family with the best holdout predictions
        comparison, failure, skipped = _model_choice.compare(ctx, split)
        if comparison is None:
            ctx.page.heading("Customer lifetime value")
            ctx.page.note(f"Model choice: {failure}")
            ctx.page.paragraph(
                "No CLV is reported: no purchase model could be fitted to this data."
            )
            ctx.highlights.append(f"warning: {failure}")
            return None
        family, title, cal_fit, cal_warnings = _model_choice.chosen(ctx, comparison)
    else:
        family = getattr(clv, _MODEL_CLASSES[o.model])
        title = _MODEL_TITLES[o.model]
        cal_fit, cal_warnings = _fit(family, split)
    full, full_warnings = _fit(family, full_summary)
    if cal_fit is None or full is None:
        ctx.page.heading(f"Customer lifetime value ({title} + Gamma-Gamma)")
        for label, texts in (
            ("Calibration fit", cal_warnings),
            ("Full-period fit", full_warnings),
        ):
            for text in texts:
                ctx.page.note(f"{label}: {text}")
        ctx.page.paragraph(
            "No CLV is reported: the purchase model could not be fitted to this data."
        )
        ctx.highlights.extend(f"warning: {t}" for t in cal_warnings + full_warnings)
        return None
    ev = clv.evaluate_holdout(cal_fit.model, split)
    freq_table = clv.repeat_frequency_table(cal_fit.model, split)
    by_frequency = clv.holdout_by_frequency(cal_fit.model, split)
    tracking = _tracking(ctx, cal_fit.model, split.index)

    ctx.page.heading(f"Customer lifetime value ({title} + Gamma-Gamma)")
    ctx.page.paragraph(
        f"Two {title} fits, both by maximum likelihood with time in {ctx.unit} and purchases "
        f"counted {ctx.per}. The calibration fit uses purchases up to "
        f"{ctx.calibration_end:%Y-%m-%d} ({cal_fit.n_customers:,} customers) and is checked "
        f"against the holdout up to {ctx.observation_end:%Y-%m-%d}: it shows how well the "
        "model predicts. The full-period fit uses all purchases up to "
        f"{ctx.observation_end:%Y-%m-%d} ({full.n_customers:,} customers): every CLV, "
        "P(alive), expected purchase count and ranking below comes from it."
    )
    if comparison is not None:
        ctx.highlights.append(f"model choice: {_model_choice.show(ctx, comparison, skipped)}")
    cal_params = _params_frame(cal_fit)
    full_params = _params_frame(full)
    param_formats = {c: _dec(4) for c in ("estimate", "stderr", "lower", "upper")}
    ctx.table(
        cal_params,
        caption=f"Calibration fit (holdout check): {title} parameters, 95% intervals "
        f"(log-likelihood {cal_fit.log_likelihood:,.1f})",
        formats=param_formats,
    )
    for text in cal_warnings:
        ctx.page.note(f"Calibration fit: {text}")
    holdout = {
        f"holdout purchases ({ctx.occasion_unit}s) predicted / actual": (
            f"{ev.total_predicted:,.0f} / {ev.total_actual:,.0f}"
        ),
        "MAE per customer": f"{ev.mae:.3f}",
        "RMSE per customer": f"{ev.rmse:.3f}",
        "bias per customer (predicted - actual)": f"{ev.bias:+.3f}",
    }
    ctx.page.key_values(holdout)
    ctx.table(
        freq_table.rename_axis("repeat purchases"),
        caption=f"Repeat-frequency fit (calibration period, {ctx.occasion_unit}s): customers "
        "by number of repeat purchases",
        formats={"actual": _count, "expected": _dec(1)},
    )
    ctx.figure(
        lambda ax: _plot("repeat_frequency_chart", freq_table, ax=ax),
        f"Repeat-frequency fit ({ctx.occasion_unit}s)",
    )
    by_frequency_finding = _holdout_by_frequency(ctx, by_frequency)
    ctx.figure(
        lambda ax: _plot(
            "tracking_plot",
            tracking.set_index("period_end").rename_axis(f"end of {unit_name(o.time_unit)[:-1]}"),
            ax=ax,
            actual="actual_cumulative",
            expected="expected_cumulative",
            calibration_end=ctx.calibration_end,
            ylabel=f"cumulative repeat purchases ({ctx.occasion_unit}s)",
        ),
        f"Cumulative repeat purchases of the calibration customers, {ctx.per}: actual vs "
        "the calibration fit",
    )
    ctx.table(
        full_params,
        caption=f"Full-period fit (used for CLV, P(alive) and rankings): {title} parameters, "
        f"95% intervals (log-likelihood {full.log_likelihood:,.1f})",
        formats=param_formats,
    )
    for text in full_warnings:
        ctx.page.note(f"Full-period fit: {text}")

    spend_data = full_summary.loc[
        (full_summary["frequency"] > 0) & (full_summary["monetary_value"] > 0)
    ]
    spend, spend_warnings = _fit(clv.GammaGamma, spend_data)
    if spend is not None:
        mean_spend = float("nan")
        spend_text = (
            "Spend per purchase is the Gamma-Gamma posterior mean; the "
            f"{len(full_summary) - len(spend_data):,} customers without a positive mean "
            "repeat spend get the population mean."
        )
    else:
        mean_spend = float(spend_data["monetary_value"].mean()) if len(spend_data) else 0.0
        spend_text = (
            "The Gamma-Gamma spend model could not be fitted (see the note above), so every "
            f"customer's spend per purchase is the mean repeat spend, {mean_spend:,.2f}."
        )
    rate = convert_rate(
        o.annual_discount_rate, "Y", o.time_unit, days_per_year=GREGORIAN_YEAR_DAYS
    )
    scoring = functools.partial(
        score_customers,
        model=full.model,
        spend_model=None if spend is None else spend.model,
        mean_spend=mean_spend,
        options=o,
        rate=rate,
    )
    # on the dask engine every partition's customers are scored on the cluster
    table = scoring(full_summary) if ctx.dask is None else ctx.dask.score(scoring)
    value = table["clv"]
    spend_params = (
        _params_frame(spend)
        if spend is not None
        else pd.DataFrame(columns=["estimate", "stderr", "lower", "upper"]).rename_axis(
            "parameter"
        )
    )
    if spend is not None:
        ctx.table(
            spend_params,
            caption=f"Gamma-Gamma spend parameters, full period ({spend.n_customers:,} repeat "
            "buyers with a positive mean repeat spend)",
            formats=param_formats,
        )
    for text in spend_warnings:
        ctx.page.note(f"Gamma-Gamma fit: {text}")
    ctx.page.paragraph(
        f"CLV: discounted expected margin over the next {o.horizon} {ctx.unit}, {ctx.money}; "
        f"margin {o.margin:.0%} of revenue, discount rate {o.annual_discount_rate:.0%} a "
        f"year = {rate:.5f} per {unit_name(o.time_unit)[:-1]} (365.2425-day mean year). "
        + spend_text
    )
    top = table.sort_values("clv", ascending=False).head(15)
    cur = f" ({o.currency})" if o.currency else ""
    names = {
        "frequency": "repeat purchases",
        "recency": f"recency ({ctx.unit})",
        "T": f"T ({ctx.unit})",
        "monetary_value": f"mean repeat spend{cur}",
        "p_alive": "P(alive)",
        "expected_purchases": f"expected purchases, next {o.horizon} {ctx.unit}",
        "spend_per_purchase": f"expected spend per purchase{cur}",
        "clv": f"CLV{cur}",
    }
    kinds = [_count, _dec(1), _dec(1), _money, _pct, _dec(2), _money, _money]
    ctx.table(
        top.rename_axis("customer").rename(columns=names),
        caption=f"Top 15 customers by CLV (full-period fit; money {ctx.money})",
        formats=dict(zip(names.values(), kinds, strict=True)),
    )
    ctx.figure(
        lambda ax: _plot(
            "frequency_recency_matrix",
            full.model,
            T=float(full_summary["T"].max()),
            max_frequency=int(full_summary["frequency"].quantile(0.99)) + 1,
            ax=ax,
        ),
        "P(alive) by frequency and recency for the oldest customers (full-period fit)",
    )
    ctx.save("clv", table)
    ctx.save("clv_parameters_calibration", cal_params)
    ctx.save("clv_parameters_full", full_params)
    ctx.save("spend_parameters", spend_params)
    ctx.save("holdout_per_customer", ev.per_customer)
    ctx.save("holdout_by_frequency", by_frequency.table)
    ctx.save("tracking", tracking, index=False)
    total = float(value.sum())
    currency = o.currency or "(file's currency)"
    ctx.highlights.append(
        f"{title}: holdout purchases ({ctx.occasion_unit}s) predicted "
        f"{ev.total_predicted:,.0f} vs actual {ev.total_actual:,.0f} (MAE {ev.mae:.2f}); "
        f"total CLV over the next {o.horizon} {ctx.unit}: {total:,.0f} {currency}"
    )
    ctx.highlights.append(f"{title} {by_frequency_finding}")
    forecast_section(ctx, full, spend, full_summary)
    for text in cal_warnings + full_warnings + spend_warnings:
        ctx.highlights.append(f"warning: {text}")
    return value
