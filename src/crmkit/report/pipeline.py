"""The CRM report: one pipeline from a transaction log to HTML, CSV and a console summary.

Each section is a small function that calls the public crmkit API, writes its CSV
outputs and adds tables and figures to the page, so every number in the report comes
from library calls the test suite covers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit import clv, lifecycle, pareto
from crmkit._validation import check_datetime_column, check_numeric_column, require_columns
from crmkit.exceptions import InvalidValueError
from crmkit.metrics import Scorecard
from crmkit.report._html import HtmlReport
from crmkit.report.options import ReportOptions
from crmkit.rfm import rfm_segments
from crmkit.timeunits import convert_rate, unit_name
from crmkit.transactions import calibration_and_holdout, rfm_summary

__all__ = ["ReportOutputs", "build_report"]

_MODEL_CLASSES = {"bgnbd": "BetaGeo", "mbgnbd": "ModifiedBetaGeo", "paretonbd": "ParetoNBD"}
_MODEL_TITLES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}
Progress = Callable[[str], None]


@attrs.frozen(kw_only=True)
class ReportOutputs:
    """Where the report was written and what it found.

    Attributes
    ----------
    directory : pathlib.Path
        The output folder.
    html : pathlib.Path
        The self-contained HTML report.
    csv : dict of str to pathlib.Path
        CSV outputs by name.
    highlights : tuple of str
        One-line findings, printed as the console summary.
    """

    directory: Path
    html: Path
    csv: dict[str, Path]
    highlights: tuple[str, ...]


@attrs.define
class _Context:
    tx: pd.DataFrame
    options: ReportOptions
    out: Path
    page: HtmlReport
    progress: Progress
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    csv: dict[str, Path] = attrs.field(factory=dict)
    highlights: list[str] = attrs.field(factory=list)
    figures: bool = True

    @property
    def unit(self) -> str:
        return unit_name(self.options.time_unit)

    def save(self, name: str, frame: pd.DataFrame | pd.Series[Any]) -> None:
        path = self.out / f"{name}.csv"
        frame.to_csv(path)
        self.csv[name] = path

    def figure(self, draw: Callable[[Any], object], caption: str, **subplot: Any) -> None:
        if not self.figures:
            return
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.0, 4.6), subplot_kw=subplot or None)
        draw(ax)
        self.page.figure(fig, caption=caption)


def _canonical(tx: pd.DataFrame, o: ReportOptions) -> pd.DataFrame:
    """The transaction log with crmkit's canonical column names (a new frame)."""
    require_columns(
        tx,
        [o.customer_id_col, o.datetime_col, o.monetary_col],
        hint="Pass --customer-id-col, --datetime-col and --monetary-col to name them.",
    )
    check_datetime_column(tx, o.datetime_col)
    check_numeric_column(tx, o.monetary_col)
    return pd.DataFrame(
        {
            "customer_id": tx[o.customer_id_col].to_numpy(),
            "datetime": tx[o.datetime_col].to_numpy(),
            "monetary": tx[o.monetary_col].to_numpy(dtype=np.float64),
        }
    )


def _quality(ctx: _Context) -> None:
    tx = ctx.tx
    n_missing_id = int(tx["customer_id"].isna().sum())
    n_missing_date = int(tx["datetime"].isna().sum())
    if n_missing_id or n_missing_date:
        raise InvalidValueError(
            f"the transaction file has {n_missing_id} row(s) without a customer id and "
            f"{n_missing_date} without a date; remove or fill them before running the report."
        )
    amounts = tx["monetary"].to_numpy()
    checks = pd.DataFrame(
        {
            "value": [
                len(tx),
                tx["customer_id"].nunique(),
                f"{tx['datetime'].min():%Y-%m-%d} .. {tx['datetime'].max():%Y-%m-%d}",
                int(np.sum(amounts == 0)),
                int(np.sum(amounts < 0)),
                int(np.sum(~np.isfinite(amounts))),
                int(tx.duplicated(["customer_id", "datetime"]).sum()),
                f"{ctx.calibration_end:%Y-%m-%d}",
                f"{ctx.observation_end:%Y-%m-%d}",
            ]
        },
        index=pd.Index(
            [
                "transactions",
                "customers",
                "date range",
                "zero-value transactions (kept, counted as purchases)",
                "negative-value transactions (returns; kept in spend totals)",
                "non-finite amounts",
                "rows on a day the customer already bought (merged into one occasion)",
                "calibration end (holdout check)",
                "observation end",
            ],
            name="check",
        ),
    )
    if int(np.sum(~np.isfinite(amounts))):
        raise InvalidValueError("the amount column has NaN or infinite values; fix them first.")
    ctx.page.heading("Data and data quality")
    ctx.page.table(checks, caption="What was read")
    ctx.save("data_quality", checks)


def _rfm(ctx: _Context) -> pd.DataFrame:
    o = ctx.options
    summary = rfm_summary(
        ctx.tx,
        monetary_value_col="monetary",
        observation_period_end=ctx.observation_end,
        time_unit=o.time_unit,
        period="D",
        totals=True,
        returns="keep",
    )
    segments = rfm_segments(summary)
    table = (
        segments.groupby("segment", observed=True)
        .agg(
            customers=("segment", "size"),
            mean_recency_score=("recency_score", "mean"),
            mean_frequency_score=("frequency_score", "mean"),
            mean_monetary_score=("monetary_score", "mean"),
        )
        .sort_values("customers", ascending=False)
    )
    table["share"] = table["customers"] / table["customers"].sum()
    ctx.page.heading("RFM summary and segments")
    ctx.page.paragraph(
        f"Frequency counts repeat purchase days; recency and T are in {ctx.unit}. Scores 1-5 "
        "are quantiles (5 = best); segments come from crmkit.rfm.DEFAULT_SEGMENTS."
    )
    ctx.page.table(table, caption="Customers per RFM segment")
    ctx.save("rfm_summary", summary)
    ctx.save("rfm_segments", segments)
    top = table.index[0]
    ctx.highlights.append(
        f"RFM: largest segment '{top}' ({table['share'].iloc[0]:.0%} of customers)"
    )
    return summary


def _pareto(ctx: _Context, summary: pd.DataFrame) -> None:
    spend = summary["total_spend"].clip(lower=0.0)
    conc = pareto.concentration(spend)
    verdict = conc.verdict(0.2, 0.8, level=0.95, n_resamples=199)
    abc = conc.abc()
    counts = abc.value_counts().reindex(["A", "B", "C"])
    stats = {
        "top 20% share of spend": f"{verdict.measured_share:.1%} "
        f"(95% bootstrap CI {verdict.ci_low:.1%} - {verdict.ci_high:.1%})",
        "customers needed for 80% of spend": f"{conc.share_for(0.8):.1%}",
        "Gini coefficient": f"{conc.gini:.3f}",
        "claim '20% of customers give 80% of value'": "holds"
        if verdict.holds
        else "does not hold",
        "ABC classes (A / B / C customers)": " / ".join(f"{int(c):,}" for c in counts),
    }
    ctx.page.heading("Pareto concentration of spend")
    ctx.page.key_values(stats)
    ctx.figure(lambda ax: _plot("lorenz_curve", conc, ax), "Lorenz curve of customer spend")
    ctx.figure(lambda ax: _plot("pareto_chart", conc, ax), "Pareto chart of customer spend")
    ctx.save("pareto_abc", abc.to_frame())
    ctx.highlights.append(
        f"Pareto: top 20% of customers give {verdict.measured_share:.1%} of spend "
        f"(Gini {conc.gini:.3f}); the 80/20 claim {'holds' if verdict.holds else 'fails'}"
    )


def _plot(name: str, *args: Any, **kwargs: Any) -> Any:
    from crmkit import plotting

    return getattr(plotting, name)(*args, **kwargs)


def _lifecycle(ctx: _Context) -> None:
    tx = ctx.tx
    stages = lifecycle.assign_stages(tx, as_of=ctx.observation_end, model=lifecycle.FUNNEL)
    conv = lifecycle.funnel_conversion(stages)
    moves = lifecycle.transition_matrix(
        tx, start=ctx.calibration_end, end=ctx.observation_end, model=lifecycle.FUNNEL
    )
    cohorts = lifecycle.cohort_retention(
        tx, period=ctx.options.cohort_period, observation_end=ctx.observation_end
    )
    ctx.page.heading("Lifecycle stages and cohorts")
    ctx.page.paragraph(
        "Funnel of seed 003 (prospect -> first purchase -> repeat -> loyal -> high-value) at "
        f"{ctx.observation_end:%Y-%m-%d}, with crmkit.lifecycle's default assignment rules."
    )
    ctx.page.table(conv, caption="Funnel: customers per stage and conversion")
    ctx.figure(lambda ax: _plot("funnel", conv, ax), "Customer funnel")
    ctx.page.table(
        moves.rates,
        caption=f"Stage transition rates {ctx.calibration_end:%Y-%m-%d} -> "
        f"{ctx.observation_end:%Y-%m-%d}",
    )
    ctx.figure(lambda ax: _plot("transition_heatmap", moves.rates, ax), "Stage transitions")
    ctx.page.table(cohorts.retention, caption="Acquisition-cohort retention")
    ctx.figure(
        lambda ax: _plot("cohort_heatmap", cohorts.retention, ax), "Cohort retention heatmap"
    )
    ctx.save("lifecycle_stages", stages)
    ctx.save("cohort_retention", cohorts.retention)
    ctx.save("stage_transitions", moves.counts)


def _clv(ctx: _Context, full_summary: pd.DataFrame) -> pd.Series[Any]:
    o = ctx.options
    family = getattr(clv, _MODEL_CLASSES[o.model])
    title = _MODEL_TITLES[o.model]
    split = calibration_and_holdout(
        ctx.tx,
        calibration_period_end=ctx.calibration_end,
        observation_period_end=ctx.observation_end,
        monetary_value_col="monetary",
        time_unit=o.time_unit,
        period="D",
        returns="keep",
    )
    fit = family.fit(split)
    ev = clv.evaluate_holdout(fit.model, split)
    freq_table = clv.repeat_frequency_table(fit.model, split)
    cal_tx = ctx.tx.loc[ctx.tx["customer_id"].isin(split.index)]
    tracking = clv.tracking_series(
        fit.model,
        cal_tx,
        time_unit=o.time_unit,
        end=ctx.observation_end,
        model_time_unit=o.time_unit,
    )
    ctx.page.heading(f"Customer lifetime value ({title} + Gamma-Gamma)")
    ctx.page.paragraph(
        f"{title} fitted by maximum likelihood on the calibration period up to "
        f"{ctx.calibration_end:%Y-%m-%d} ({fit.n_customers:,} customers, time unit: {ctx.unit}), "
        f"then checked on the holdout up to {ctx.observation_end:%Y-%m-%d}."
    )
    params = fit.confidence_intervals(0.95)
    ctx.page.table(
        params, caption=f"{title} parameters (log-likelihood {fit.log_likelihood:,.1f})"
    )
    holdout = {
        "holdout purchases predicted / actual": (
            f"{ev.total_predicted:,.0f} / {ev.total_actual:,.0f}"
        ),
        "MAE per customer": f"{ev.mae:.3f}",
        "RMSE per customer": f"{ev.rmse:.3f}",
        "bias per customer (predicted - actual)": f"{ev.bias:+.3f}",
    }
    ctx.page.key_values(holdout)
    ctx.page.table(freq_table, caption="Repeat-frequency fit (calibration period)")
    ctx.figure(lambda ax: _plot("repeat_frequency_chart", freq_table, ax), "Repeat-frequency fit")
    ctx.figure(
        lambda ax: _plot(
            "tracking_plot",
            tracking.set_index("period_end"),
            ax,
            actual="actual_cumulative",
            expected="expected_cumulative",
            calibration_end=ctx.calibration_end,
        ),
        "Cumulative repeat purchases: actual vs model",
    )

    full = family.fit(full_summary)
    spend_data = full_summary.loc[
        (full_summary["frequency"] > 0) & (full_summary["monetary_value"] > 0)
    ]
    spend = clv.GammaGamma.fit(spend_data)
    # Customers whose repeat purchases average <= 0 (returns, free orders) carry no
    # spend information the Gamma-Gamma model can use: they get the population mean.
    per_customer = pd.Series(spend.model.expected_spend(), index=full_summary.index)
    per_customer.loc[spend_data.index] = spend.model.conditional_expected_spend(spend_data)
    n_default = len(full_summary) - len(spend_data)
    rate = convert_rate(o.annual_discount_rate, "Y", o.time_unit, days_per_year=365.2425)
    value = clv.customer_lifetime_value(
        full.model,
        per_customer,
        full_summary,
        horizon=o.horizon,
        time_unit=o.time_unit,
        discount_rate=rate,
        margin=o.margin,
        model_time_unit=o.time_unit,
    )
    alive = full.model.probability_alive(full_summary)
    expected = full.model.conditional_expected_purchases(o.horizon, full_summary)
    table = full_summary[["frequency", "recency", "T", "monetary_value"]].assign(
        p_alive=alive, expected_purchases=expected, clv=value
    )
    ctx.page.table(
        spend.confidence_intervals(0.95),
        caption=f"Gamma-Gamma spend parameters ({spend.n_customers:,} repeat buyers)",
    )
    ctx.page.paragraph(
        f"CLV: discounted expected margin over the next {o.horizon} {ctx.unit}, margin "
        f"{o.margin:.0%} of spend, discount rate {o.annual_discount_rate:.0%} a year = "
        f"{rate:.5f} per period (365.2425-day mean year). Spend per purchase is the "
        f"Gamma-Gamma posterior mean; the {n_default:,} customers without a positive repeat "
        "spend get the population mean."
    )
    ctx.page.table(
        table.sort_values("clv", ascending=False).head(15), caption="Top 15 customers by CLV"
    )
    ctx.figure(
        lambda ax: _plot(
            "frequency_recency_matrix",
            full.model,
            T=float(full_summary["T"].max()),
            max_frequency=int(full_summary["frequency"].quantile(0.99)) + 1,
            ax=ax,
        ),
        "P(alive) by frequency and recency for the oldest customers",
    )
    ctx.save("clv", table)
    ctx.save("clv_parameters", params)
    ctx.save("holdout_per_customer", ev.per_customer)
    ctx.highlights.append(
        f"{title}: holdout purchases predicted {ev.total_predicted:,.0f} vs actual "
        f"{ev.total_actual:,.0f} (MAE {ev.mae:.2f}); total {o.horizon}-{o.time_unit} CLV "
        f"{value.sum():,.0f}"
    )
    return value


def _metrics(ctx: _Context, value: pd.Series[Any]) -> None:
    card = Scorecard.compute(transactions=ctx.tx, clv=value)
    ctx.page.heading("CRM success metrics")
    ctx.page.table(card.table, caption="Scorecard: every metric the data allow")
    missing = getattr(card, "unavailable", None)
    if missing is not None and len(missing):
        ctx.page.table(missing, caption="Metrics that need more data")
    ctx.save("scorecard", card.table)


def build_report(
    transactions: pd.DataFrame,
    options: ReportOptions,
    output_dir: str | Path,
    *,
    title: str = "crmkit customer report",
    progress: Progress | None = None,
) -> ReportOutputs:
    """Run the whole pipeline and write ``report.html`` plus CSV files to ``output_dir``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, with the columns named in ``options``.
    options : ReportOptions
        Column names, time unit, dates, model and valuation settings.
    output_dir : str or pathlib.Path
        Folder for the outputs (created if needed; existing files are overwritten).
    title : str
        Title of the HTML page.
    progress : callable, optional
        Called with a short message when each step starts and ends.

    Returns
    -------
    ReportOutputs

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For missing columns, non-datetime dates, non-numeric amounts, missing ids or
        dates, and impossible calibration dates.
    """
    say = progress or (lambda _msg: None)
    tx = _canonical(transactions, options)
    cal, obs = options.resolve_dates(tx["datetime"])
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = options.figures
    if figures:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            figures = False
    ctx = _Context(
        tx=tx.loc[tx["datetime"] <= obs],
        options=options,
        out=out,
        page=HtmlReport(title=title),
        progress=say,
        calibration_end=cal,
        observation_end=obs,
        figures=figures,
    )
    if not figures:
        ctx.page.note(
            "matplotlib is not installed: figures were skipped (pip install 'crmkit[plot]')."
        )
    steps: list[tuple[str, Callable[[], Any]]] = []
    state: dict[str, Any] = {}
    steps.append(("data quality", lambda: _quality(ctx)))
    steps.append(("RFM summary and segments", lambda: state.__setitem__("summary", _rfm(ctx))))
    steps.append(("Pareto concentration", lambda: _pareto(ctx, state["summary"])))
    steps.append(("lifecycle and cohorts", lambda: _lifecycle(ctx)))
    steps.append(
        (
            "CLV models and holdout check",
            lambda: state.__setitem__("clv", _clv(ctx, state["summary"])),
        )
    )
    steps.append(("success metrics", lambda: _metrics(ctx, state["clv"])))
    for i, (name, run) in enumerate(steps, start=1):
        started = time.perf_counter()
        say(f"[{i}/{len(steps)}] {name} ...")
        run()
        say(f"[{i}/{len(steps)}] {name} done in {time.perf_counter() - started:.1f}s")
    from crmkit import __version__

    html = ctx.page.write(out / "report.html", footer=f"Generated by crmkit {__version__}.")
    return ReportOutputs(
        directory=out, html=html, csv=dict(ctx.csv), highlights=tuple(ctx.highlights)
    )
