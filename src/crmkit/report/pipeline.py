"""The CRM report: one pipeline from a transaction log to HTML, CSV and a console summary.

Each section is a small function that calls the public crmkit API, writes its CSV
outputs and adds tables and figures to the page, so every number in the report comes
from library calls the test suite covers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit import lifecycle, pareto
from crmkit._compat import renamed_keywords
from crmkit._display import Display, Displayable
from crmkit._engines import is_dask
from crmkit.exceptions import CrmkitWarning, InvalidValueError
from crmkit.metrics import Scorecard
from crmkit.report._clv_section import (
    _clv,
)
from crmkit.report._context import (
    Progress,
    _Context,
    _count,
    _dec,
    _money,
    _occasion_summary,
    _pct,
    _plot,
)
from crmkit.report._dask_engine import Totals
from crmkit.report._html import HtmlReport
from crmkit.report._prep import _check_lines, prepare_occasions
from crmkit.report.options import ReportOptions
from crmkit.rfm import rfm_segments
from crmkit.timeunits import TimeUnit
from crmkit.timeunits._periods import GREGORIAN_YEAR_DAYS, unit_days

__all__ = ["ReportOutputs", "build_report", "lapsed_customers", "unit_price_warning"]


@attrs.frozen(kw_only=True, repr=False)
class ReportOutputs(Displayable):
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
    timings : dict of str to float
        Wall-clock seconds of each phase, in order: the data preparation, the plotting
        set-up (importing matplotlib), each report step and writing the page. The
        command line adds its own reading and import times in front.
    """

    directory: Path
    html: Path
    csv: dict[str, Path]
    highlights: tuple[str, ...]
    timings: dict[str, float] = attrs.field(factory=dict)

    def _display(self) -> Display:
        total = sum(self.timings.values())
        return Display(
            f"crmkit report: {self.html}",
            [*self.highlights[:8], f"{len(self.csv)} CSV files in {self.directory}"]
            + ([f"{total:.1f} s in all"] if self.timings else []),
        )


_QTY_NAMES = ("quantity", "qty", "units", "quantities")
_PRODUCT_NAMES = ("stockcode", "stock_code", "product_id", "productid", "sku", "product")


def _find_col(lines: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    for col in lines.columns:
        if str(col).lower().replace(" ", "") in names:
            return str(col)
    return None


def unit_price_warning(lines: pd.DataFrame, o: ReportOptions) -> str | None:
    """A warning when ``amount_col`` looks like a unit price rather than a line total.

    The rule: among products (a stock-code/product column) sold in at least two different
    quantities, for at least half of them one and the same money value comes with
    different quantities (a line total grows with the quantity; a unit price does not).
    Without a product column, the money column's name containing "price" is the signal.
    """
    if o.amount_col is None:
        return None
    qty = o.quantity_col or _find_col(lines, _QTY_NAMES)
    if qty is None or qty == o.amount_col:
        return None
    product = _find_col(lines, _PRODUCT_NAMES)
    if product is not None and pd.api.types.is_numeric_dtype(lines[qty]):
        sub = lines[[product, qty, o.amount_col]].dropna()
        sub = sub.loc[(sub[qty] > 0) & (sub[o.amount_col] > 0)]
        varied = sub.groupby(product, sort=False, observed=True)[qty].nunique()
        varied = varied.loc[varied >= 2]
        if len(varied) >= 5:
            sub = sub.loc[sub[product].isin(varied.index)]
            per_value = sub.groupby([product, o.amount_col], sort=False, observed=True)[
                qty
            ].nunique()
            repeated = per_value.loc[per_value >= 2].index.get_level_values(0).unique()
            share = len(repeated) / len(varied)
            if share >= 0.5:
                return (
                    f"--amount-col {o.amount_col!r} looks like a unit price, not the money "
                    f"of a line: for {share:.0%} of the {len(varied):,} products sold in "
                    f"different quantities ({qty!r}), the same {o.amount_col!r} value "
                    f"comes with different quantities. Pass --quantity-col {qty} "
                    f"--price-col {o.amount_col} to use quantity x price."
                )
        return None
    if "price" in o.amount_col.lower():
        return (
            f"--amount-col {o.amount_col!r} is named like a unit price and the file has a "
            f"quantity column {qty!r}; if it is a price, pass --quantity-col {qty} "
            f"--price-col {o.amount_col} to use quantity x price."
        )
    return None


def _quality(ctx: _Context, q: Any, after_end: tuple[int, float] | None) -> None:
    o = ctx.options
    removed = q.removed.copy()
    if after_end is not None:
        removed.loc[f"after the observation end {ctx.observation_end:%Y-%m-%d}"] = [
            np.nan,
            after_end[0],
            after_end[1],
        ]
    removed.index.name = "reason"
    t = ctx.totals
    rows_word = "invoice lines" if o.invoice_col is not None else "transaction rows"
    used = {
        f"rows read ({rows_word})": _count(q.rows_in),
        "rows used": _count(q.rows_out),
        "customers in the file": _count(q.customers_in),
        "customers kept": _count(t.customers),
        f"revenue in the file ({ctx.money})": _money(q.revenue_in),
        f"revenue kept ({ctx.money})": _money(t.revenue),
        f"purchases ({ctx.occasion_unit}s)": _count(t.purchases),
        "first purchase": f"{t.first:%Y-%m-%d %H:%M}",
        "last purchase": f"{t.last:%Y-%m-%d %H:%M}",
        "observation end (whole day inside)": f"{ctx.observation_end:%Y-%m-%d}",
        "calibration end (holdout check)": f"{ctx.calibration_end:%Y-%m-%d}",
    }
    ctx.page.heading("Data and data quality")
    unit_text = (
        f"One purchase is one invoice ({o.invoice_col!r}): every count in this report is per "
        "invoice."
        if o.invoice_col is not None
        else "One purchase is one customer-day (all rows of a customer on one calendar day): "
        "every count in this report is per customer-day. Pass --invoice-col to count "
        "invoices."
    )
    money_text = (
        f"{o.quantity_col} x {o.price_col}" if o.amount_col is None else f"{o.amount_col!r}"
    )
    ctx.page.paragraph(f"{unit_text} Money is {money_text}, {ctx.money}.")
    ctx.page.key_values(used)
    if len(removed):
        ctx.table(
            removed,
            caption="Rows removed, by reason",
            formats={"rows": _count, "customers": _count, "revenue": _money},
        )
    else:
        ctx.page.paragraph("No rows were removed.")
    ctx.save("data_quality", pd.Series(used, name="value").rename_axis("check"))
    ctx.save("data_quality_removed", removed)


def _summaries(ctx: _Context) -> pd.DataFrame:
    """The per-customer RFM summary with frequency and spend counted per occasion."""
    if ctx.dask is not None:
        summary: pd.DataFrame = ctx.dask.summary.copy()
        return summary
    return _occasion_summary(ctx.tx, ctx.observation_end, ctx.options.time_unit)


def _rfm(ctx: _Context) -> pd.DataFrame:
    summary = _summaries(ctx)
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
        f"Frequency counts repeat purchases ({ctx.per}); recency and T are in {ctx.unit}. "
        "Scores 1-5 are quintiles (5 = best); segments follow crmkit.rfm.DEFAULT_SEGMENTS."
    )
    ctx.table(
        table,
        caption="Customers per RFM segment",
        formats={
            "share": _pct,
            "mean_recency_score": _dec(2),
            "mean_frequency_score": _dec(2),
            "mean_monetary_score": _dec(2),
        },
    )
    ctx.save("rfm_summary", summary)
    ctx.save("rfm_segments", segments)
    top = table.index[0]
    ctx.highlights.append(
        f"RFM: largest segment '{top}' ({table['share'].iloc[0]:.1%} of customers)"
    )
    return summary


def _pareto(ctx: _Context, summary: pd.DataFrame) -> None:
    spend = summary["total_spend"].clip(lower=0.0)
    conc = pareto.concentration(spend)
    verdict = conc.verdict(0.2, 0.8, level=0.95, n_resamples=199)
    abc = conc.abc()
    counts = abc.value_counts().reindex(["A", "B", "C"]).fillna(0)
    ctx.top_share = float(verdict.measured_share)
    ci = verdict.interval
    ci_text = "" if ci is None else f" (95% bootstrap CI {ci.lower:.1%} - {ci.upper:.1%})"
    stats = {
        "top 20% of customers' share of revenue": f"{verdict.measured_share:.1%}{ci_text}",
        "share of customers needed for 80% of revenue": f"{conc.share_for(0.8):.1%}",
        "Gini coefficient": f"{conc.gini:.3f}",
        "claim '20% of customers give 80% of revenue'": "holds"
        if verdict.holds
        else "does not hold",
        "ABC classes (A / B / C customers)": " / ".join(_count(c) for c in counts),
    }
    ctx.page.heading("Pareto concentration of revenue")
    ctx.page.key_values(stats)
    ctx.figure(lambda ax: _plot("lorenz_curve", conc, ax=ax), "Lorenz curve of customer revenue")
    ctx.figure(lambda ax: _plot("pareto_chart", conc, ax=ax), "Pareto chart of customer revenue")
    ctx.save("pareto_abc", abc.to_frame())
    ctx.highlights.append(
        f"Pareto: top 20% of customers give {verdict.measured_share:.1%} of revenue "
        f"(Gini {conc.gini:.3f}); the 80/20 claim {'holds' if verdict.holds else 'fails'}"
    )


LAPSE_MIN_DAYS = 90
LAPSE_GAP_MULTIPLE = 3


@renamed_keywords(unit="time_unit")
def lapsed_customers(summary: pd.DataFrame, time_unit: TimeUnit) -> pd.Series[bool]:
    """Customers gone quiet: no purchase for more than max(90 days, 3 x their mean gap).

    The mean gap between purchases is recency / frequency for repeat buyers; one-time
    buyers have only the 90-day floor. ``summary`` durations are in ``time_unit``
    (named ``unit`` before crmkit 0.2).
    """
    days = unit_days(time_unit, days_per_year=GREGORIAN_YEAR_DAYS)
    idle = (summary["T"] - summary["recency"]).to_numpy() * days
    gap = np.zeros(len(summary))
    freq = summary["frequency"].to_numpy(dtype=np.float64)
    np.divide(summary["recency"].to_numpy() * days, freq, out=gap, where=freq > 0)
    limit = np.maximum(LAPSE_MIN_DAYS, LAPSE_GAP_MULTIPLE * gap)
    return pd.Series(idle > limit, index=summary.index, name="lapsed")


def _lifecycle(ctx: _Context, summary: pd.DataFrame) -> None:
    tx = ctx.log  # a dask frame on the dask engine: crmkit.lifecycle reduces it there
    stages = lifecycle.assign_stages(tx, as_of=ctx.observation_end, model=lifecycle.FUNNEL)
    lapsed = lapsed_customers(summary, ctx.options.time_unit).reindex(stages.index)
    stages["lapsed"] = lapsed.fillna(False).astype(bool)
    conv = lifecycle.funnel_conversion(stages)
    if "prospect" in conv.index and conv.loc["prospect", "customers"] == 0:
        conv = conv.drop(index="prospect")  # a purchase log holds no prospects
    conv["lapsed"] = stages.groupby("stage", observed=False)["lapsed"].sum().reindex(conv.index)
    moves = lifecycle.transition_matrix(
        tx, start=ctx.calibration_end, end=ctx.observation_end, model=lifecycle.FUNNEL
    )
    cohorts = lifecycle.cohort_retention(
        tx, period=ctx.options.cohort_period, observation_end=ctx.observation_end
    )
    n_lapsed = int(stages["lapsed"].sum())
    ctx.page.heading("Lifecycle stages and cohorts")
    count_word = "purchase days" if ctx.occasion_unit == "invoice" else "purchases (customer-days)"
    ctx.page.paragraph(
        "Customer funnel prospect -> first purchase -> repeat -> loyal -> high-value, the "
        "four execution goals of a CRM strategy (win customers, make them repeat, make them "
        f"loyal, serve the most valuable), at {ctx.observation_end:%Y-%m-%d}. Stages count "
        f"{count_word}: repeat = 2+, loyal = 4+, high-value = loyal and in the top 20% by "
        f"revenue. Lapsed: no purchase for more than {LAPSE_MIN_DAYS} days or 3 times the "
        f"customer's mean time between purchases, whichever is longer: {n_lapsed:,} "
        f"customers ({n_lapsed / max(len(stages), 1):.1%})."
    )
    ctx.table(
        conv,
        caption="Funnel: customers per stage, conversion and lapsed customers",
        formats={"conversion": _pct, "share": _pct},
    )
    ctx.figure(lambda ax: _plot("funnel", conv, ax=ax), "Customer funnel")
    ctx.table(
        moves.rates,
        caption=f"Stage transition rates {ctx.calibration_end:%Y-%m-%d} -> "
        f"{ctx.observation_end:%Y-%m-%d} (share of each starting stage; 'prospect' = "
        "not yet a customer at the start)",
        formats={str(c): _pct for c in moves.rates.columns},
    )
    ctx.figure(lambda ax: _plot("transition_heatmap", moves.rates, ax=ax), "Stage transitions")
    retention, partial = _mask_partial_cells(cohorts.retention, ctx)
    retention.columns = [f"+{c}" for c in retention.columns]
    retention.insert(0, "customers", cohorts.sizes.reindex(retention.index))
    ctx.table(
        retention,
        caption="Acquisition-cohort retention: share of each cohort (customers by month "
        "of first purchase) buying in the k-th calendar period after it",
        formats={c: _pct for c in retention.columns if c.startswith("+")},
    )
    masked = retention.drop(columns="customers")
    masked.columns = cohorts.retention.columns
    if partial is not None:
        ctx.page.paragraph(
            f"Left out: the calendar period {partial} holds data only to "
            f"{ctx.observation_end:%Y-%m-%d}, so its retention is not comparable with whole "
            "periods (its cells are blank)."
        )
    ctx.figure(lambda ax: _plot("cohort_heatmap", masked, ax=ax), "Cohort retention heatmap")
    ctx.save("lifecycle_stages", stages)
    ctx.save("cohort_retention", cohorts.retention)
    ctx.save("stage_transitions", moves.counts)


def _mask_partial_cells(retention: pd.DataFrame, ctx: _Context) -> tuple[pd.DataFrame, str | None]:
    """Blank the cells of the last calendar period when the data stop inside it."""
    out = retention.copy()
    last = pd.Period(ctx.observation_end, freq=ctx.options.cohort_period)
    if ctx.observation_end.normalize() == last.end_time.normalize():
        return out, None
    for k in out.columns:
        cells = (out.index + int(k)) == last
        out.loc[cells, k] = np.nan
    return out, str(last)


def _metrics(ctx: _Context, value: pd.Series[Any] | None) -> None:
    o = ctx.options
    if ctx.dask is not None:
        table, left_out = _dask_scorecard(ctx, value)
    else:
        card = (
            Scorecard.compute(transactions=ctx.tx)
            if value is None
            else Scorecard.compute(transactions=ctx.tx, clv=value)
        )
        table, left_out = _whole_quarter_rows(card.table, ctx)
    formats = {
        "repeat_purchase_rate": _pct,
        "revenue_per_purchase": _money,
        "mean_clv": _money,
        "customer_equity": _money,
    }
    labels = {
        "repeat_purchase_rate": f"share of buyers with 2+ purchases ({ctx.per})",
        "revenue_per_purchase": f"{ctx.money} {ctx.per}",
        "mean_clv": f"{ctx.money} per customer",
        "customer_equity": f"{ctx.money}",
    }
    shown = table.assign(
        value=[formats.get(m, _pct if "fraction" in u or "rate" in m else _dec(3))(v)
               for m, v, u in zip(table["metric"], table["value"], table["unit"], strict=True)],
        unit=[labels.get(m, u.replace("fraction", "share"))
              for m, u in zip(table["metric"], table["unit"], strict=True)],
    )  # fmt: skip
    ctx.page.heading("CRM success metrics")
    ctx.page.paragraph(
        f"Purchases are counted {ctx.per}; money is {ctx.money}. Repeat-purchase rate, "
        "revenue per purchase and CLV use the whole observation window; growth and retention "
        "compare whole calendar quarters only (the last whole quarter in the data)."
    )
    if left_out:
        ctx.page.paragraph("Left out: " + "; ".join(left_out) + ".")
    ctx.page.table(shown, caption="Scorecard: every metric this data allows", index=False)
    ctx.save("scorecard", table, index=False)
    needs = []
    if o.invoice_col is None:
        needs.append("pass --invoice-col COLUMN to count purchases per invoice (now per day)")
    if o.currency is None:
        needs.append("pass --currency CODE (e.g. EUR) to label money amounts")
    if needs:
        ctx.page.paragraph("More this command can do with more information:")
        ctx.page.bullets(needs)


def _dask_scorecard(ctx: _Context, value: pd.Series[Any] | None) -> tuple[pd.DataFrame, list[str]]:
    """The scorecard on the dask engine, from a stand-in log built on the cluster.

    The stand-in (:meth:`DaskTables.scorecard_log`) has the day-by-day revenue and each
    customer's activity in the quarters the retention rows compare, which is all the
    growth and retention rows read; repeat-purchase rate and revenue per purchase over
    the whole window come from the occasion totals instead (the share of customers with
    2+ occasions; revenue / occasions).
    """
    t = ctx.totals
    # the quarters whose retention the scorecard reads: the data's last quarter and the
    # observation end's last whole one, each with the quarter before it
    obs_q, data_q = pd.Period(ctx.observation_end, freq="Q"), pd.Period(t.last, freq="Q")
    quarters = {obs_q, obs_q - 1, obs_q - 2, data_q, data_q - 1}
    log = ctx.dask.scorecard_log(sorted(quarters))
    card = (
        Scorecard.compute(transactions=log)
        if value is None
        else Scorecard.compute(transactions=log, clv=value)
    )
    table = card.table.copy()
    whole_window = {
        "repeat_purchase_rate": t.repeat_customers / t.customers,
        "revenue_per_purchase": t.revenue / t.purchases,
    }
    for metric, number in whole_window.items():
        table.loc[table["metric"] == metric, "value"] = number
    return _whole_quarter_rows(table, ctx, log)


def _whole_quarter_rows(
    table: pd.DataFrame, ctx: _Context, log: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Growth and retention rows recomputed on the last whole quarter; partial ones named.

    A quarter is whole when the data cover it from its first to its last day. The
    quarter-over-quarter and year-over-year comparisons need both quarters whole.
    """
    first = ctx.totals.first.normalize()
    obs = ctx.observation_end

    def whole(q: pd.Period) -> bool:
        return bool(first <= q.start_time and q.end_time.normalize() <= obs)

    last = pd.Period(obs, freq="Q")
    notes: list[str] = []
    if not whole(last):
        notes.append(f"{last} (data only to {obs:%Y-%m-%d})")
        last = last - 1
    first_q = pd.Period(first, freq="Q")
    if not whole(first_q):
        notes.append(f"{first_q} (data only from {first:%Y-%m-%d})")
    period_rows = table["metric"].str.contains("growth|retention|churn", regex=True)
    keep = table.loc[~period_rows]
    if not whole(last):
        return keep.reset_index(drop=True), notes
    card = Scorecard.compute(transactions=ctx.tx if log is None else log, period=str(last))
    rows = card.table.loc[card.table["metric"].isin(table.loc[period_rows, "metric"])]
    compared = {"revenue_growth_qoq": last - 1, "revenue_growth_yoy": last - 4}
    shown = []
    for _, row in rows.iterrows():
        other = compared.get(str(row["metric"]), last - 1)
        if whole(other):
            shown.append(row)
        else:
            notes.append(f"{row['metric']} for {last} (it compares with {other}, not whole)")
    got = set(rows["metric"])
    for metric in table.loc[period_rows, "metric"]:
        if metric not in got:
            notes.append(f"{metric} for {last} (the data do not reach back far enough)")
    out = pd.concat([keep, pd.DataFrame(shown, columns=table.columns)], ignore_index=True)
    return out, notes


def _headline(ctx: _Context, summary: pd.DataFrame) -> None:
    """The headline numbers, first on the page and in the console."""
    t = ctx.totals
    n_customers = t.customers
    revenue = t.revenue
    rate = t.repeat_customers / n_customers
    per = revenue / t.purchases
    head = {
        "customers": _count(n_customers),
        f"revenue ({ctx.money})": _money(revenue),
        f"purchases ({ctx.occasion_unit}s)": _count(t.purchases),
        f"repeat-purchase rate ({ctx.per})": _pct(rate),
        f"revenue per purchase ({ctx.per}, {ctx.money})": _money(per),
        "top 20% of customers' share of revenue": _pct(ctx.top_share),
        "observation window (whole days)": f"{t.first:%Y-%m-%d} to {ctx.observation_end:%Y-%m-%d}",
    }
    ctx.headline.update(head)
    exact: list[object] = [
        n_customers,
        round(revenue, 2),
        t.purchases,
        rate,
        per,
        ctx.top_share,
        head["observation window (whole days)"],
    ]
    ctx.headline_exact.update(zip(head, exact, strict=True))


def build_report(
    transactions: pd.DataFrame,
    options: ReportOptions,
    output_dir: str | Path,
    *,
    title: str = "crmkit customer report",
    progress: Progress | None = None,
    spent: Mapping[str, float] | None = None,
) -> ReportOutputs:
    """Run the whole pipeline and write ``report.html`` plus CSV files to ``output_dir``.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        The transaction log or invoice lines, with the columns named in ``options``; it
        is prepared into purchase occasions (one per invoice with ``invoice_col``, else
        one per customer-day) and every count in the report is per occasion. A dask
        frame is prepared, summarised and scored on the current dask client (lines
        shuffled by customer, the pandas code per partition); only per-customer tables
        and small reductions come back.
    options : ReportOptions
        Column names, time unit, dates, model and valuation settings.
    output_dir : str or pathlib.Path
        Folder for the outputs (created if needed; existing files are overwritten).
    title : str
        Title of the HTML page.
    progress : callable, optional
        Called with a short message when each step starts and ends
        (``"[3/8] data quality ..."``, ``"[3/8] data quality done in 0.1s"``).
    spent : mapping of str to float, optional
        Seconds already spent before this call (e.g. ``{"reading": 2.1}``), listed
        first in the report's run-time section and in ``timings``.

    Returns
    -------
    ReportOutputs

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For missing columns, non-datetime dates, non-numeric amounts, missing ids
        (unless ``missing_ids="drop"``), cancellations (unless ``cancellations`` says what
        to do),
        missing dates and impossible calibration dates.
    """
    say = progress or (lambda _msg: None)
    o = options
    timings: dict[str, float] = {}
    on_dask = is_dask(transactions)
    # on dask the lines are checked partition by partition on the cluster; the unit-price
    # heuristic looks at the first partition
    first_lines = transactions.partitions[0].compute() if on_dask else transactions
    _check_lines(first_lines, o)
    money_warning = unit_price_warning(first_lines, o)
    if money_warning is not None:
        warnings.warn(money_warning, CrmkitWarning, stacklevel=2)
    n_steps = 8 if o.figures else 7
    started = time.perf_counter()
    say(f"[1/{n_steps}] data preparation ...")
    tables = None
    if on_dask:
        from crmkit.report._dask_engine import dask_tables

        tables = dask_tables(transactions, o)
        quality, unit = tables.quality, tables.occasion_unit
        cal, obs = tables.calibration_end, tables.observation_end
        totals = tables.totals
        after = tables.after_end if tables.after_end[0] else None
        inside_tx = pd.DataFrame({c: [] for c in ("customer_id", "datetime", "monetary")})
    else:
        prep = prepare_occasions(transactions, o)
        occ = prep.occasions
        if len(occ) == 0:
            raise InvalidValueError("no purchase is left after the data preparation.")
        tx = pd.DataFrame(
            {
                "customer_id": occ[o.customer_id_col],
                "datetime": occ[o.datetime_col],
                "monetary": occ["amount"].to_numpy(dtype=np.float64),
            }
        )
        cal, obs = o.resolve_dates(tx["datetime"])
        inside = (tx["datetime"] < obs + pd.Timedelta(days=1)).to_numpy()
        after_end = occ.loc[~inside]
        after = (
            (int(after_end[o.customer_id_col].nunique()), float(after_end["amount"].sum()))
            if len(after_end)
            else None
        )
        quality, unit = prep.quality, prep.occasion_unit
        inside_tx = tx.loc[inside].reset_index(drop=True)
        totals = Totals.of(inside_tx)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings["data preparation"] = _done(say, 1, n_steps, "data preparation", started)
    figures = o.figures
    if figures:
        started = time.perf_counter()
        say(f"[2/{n_steps}] plotting set-up ...")
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot
        except ImportError:
            figures = False
        timings["plotting set-up"] = _done(say, 2, n_steps, "plotting set-up", started)
    ctx = _Context(
        tx=inside_tx,
        options=o,
        out=out,
        page=HtmlReport(title=title),
        progress=say,
        calibration_end=cal,
        observation_end=obs,
        occasion_unit="invoice" if unit == "invoice" else "customer-day",
        figures=figures,
        totals=totals,
        dask=tables,
    )
    if not figures and o.figures:
        ctx.page.note(
            "matplotlib is not installed: figures were skipped (pip install 'crmkit[plot]')."
        )
    if money_warning is not None:
        ctx.page.note(f"Warning: {money_warning}")
    steps: list[tuple[str, Callable[[], Any]]] = []
    state: dict[str, Any] = {}
    steps.append(("data quality", lambda: _quality(ctx, quality, after)))
    steps.append(("RFM summary and segments", lambda: state.__setitem__("summary", _rfm(ctx))))
    steps.append(("Pareto concentration", lambda: _pareto(ctx, state["summary"])))
    steps.append(("lifecycle and cohorts", lambda: _lifecycle(ctx, state["summary"])))
    steps.append(
        (
            "CLV models and holdout check",
            lambda: state.__setitem__("clv", _clv(ctx, state["summary"])),
        )
    )
    steps.append(("success metrics", lambda: _metrics(ctx, state["clv"])))
    step0 = n_steps - len(steps) + 1
    for i, (name, run) in enumerate(steps, start=step0):
        started = time.perf_counter()
        say(f"[{i}/{n_steps}] {name} ...")
        run()
        timings[name] = _done(say, i, n_steps, name, started)
    started = time.perf_counter()
    _headline(ctx, state["summary"])
    ctx.page.summary("Headline numbers", ctx.headline)
    ctx.save(
        "headline",
        pd.DataFrame(
            {
                "measure": list(ctx.headline),
                "value": list(ctx.headline.values()),
                "exact": [ctx.headline_exact.get(k, "") for k in ctx.headline],
            }
        ),
        index=False,
    )
    ctx.highlights[:0] = [f"{k}: {v}" for k, v in ctx.headline.items()]
    from crmkit._version import crmkit_version

    __version__ = crmkit_version()

    timings["headline and page"] = time.perf_counter() - started
    timings = {**dict(spent or {}), **timings}
    ctx.page.heading("Run time")
    ctx.page.paragraph(
        f"Wall-clock seconds of each phase on the machine that made this report "
        f"({sum(timings.values()):.1f} s in all)."
    )
    ctx.page.key_values({name: f"{secs:.2f}" for name, secs in timings.items()})
    html = ctx.page.write(out / "report.html", footer=f"Generated by crmkit {__version__}.")
    return ReportOutputs(
        directory=out,
        html=html,
        csv=dict(ctx.csv),
        highlights=tuple(ctx.highlights),
        timings=timings,
    )


def _done(say: Progress, i: int, n: int, name: str, started: float) -> float:
    """Report a finished step and return its wall-clock seconds."""
    seconds = time.perf_counter() - started
    say(f"[{i}/{n}] {name} done in {seconds:.1f}s")
    return seconds
