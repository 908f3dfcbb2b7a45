"""The report's 12-month forecast per calendar month, with intervals (private)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from crmkit import clv
from crmkit.exceptions import InvalidValueError
from crmkit.report._context import _Context, _dec, _money, _plot

#: Months forecast after the observation window, and parameter draws of the intervals.
FORECAST_MONTHS = 12
FORECAST_DRAWS = 100


def forecast_section(ctx: _Context, full: Any, spend: Any, summary: pd.DataFrame) -> None:
    """Expected purchases (and revenue) per month of the next 12, with 95% intervals.

    ``full`` and ``spend`` are the full-period FitResults (``spend`` may be None);
    ``summary`` is the full-period summary they were fitted on (a pandas frame on both
    engines). The intervals use 100 parameter draws: enough for a report (the 2.5% and
    97.5% quantiles move by about a tenth of the interval's width between seeds), and it
    keeps the section to about one second per thousand customers.
    """
    ctx.page.heading("Forecast: the next 12 months")
    start = ctx.observation_end + pd.Timedelta(days=1)  # the first day not observed
    data = summary
    if spend is not None:
        # as in the CLV table, repeat buyers without a positive mean repeat spend (returns,
        # free orders) are priced at the population mean: their Gamma-Gamma posterior mean
        # with an observed mean equal to it is that mean
        unpriced = (summary["frequency"] > 0) & ~(summary["monetary_value"] > 0)
        if unpriced.any():
            mean = spend.model.expected_spend()
            data = summary.assign(monetary_value=summary["monetary_value"].mask(unpriced, mean))
    intervals = functools.partial(
        clv.forecast_intervals, full, data, observation_end=start, horizon=FORECAST_MONTHS,
        period="M", n_draws=FORECAST_DRAWS, rng=0,
    )  # fmt: skip
    if not np.all(np.isfinite(np.asarray(full.covariance, dtype=np.float64))):
        # a fit at a limit of the parameter space has no sampling distribution to draw
        # from: the expected totals are still the limit model's, without an interval
        point = clv.forecast_purchases(
            full.model, summary, observation_end=start, horizon=FORECAST_MONTHS, period="M"
        )
        band = _point_only(full.model, point, data, spend, start)
        ctx.page.note(
            "No intervals: the purchase model's fit ended at a limit of its parameter "
            "space (see the fit above), where the estimates have no standard errors to "
            "draw from. The expected purchases are the limit model's."
        )
    else:
        try:
            result = intervals(spend_fit=spend)
        except InvalidValueError as exc:  # a drawn spend model without a finite mean
            if spend is None:
                raise
            result = intervals()
            ctx.page.note(
                "Revenue is not forecast: the Gamma-Gamma parameters are so uncertain that "
                f"their draws reach a model with an infinite mean spend ({str(exc)[:120]}...)."
            )
        band, point = result.table, result.forecast
    occasions = f"{ctx.occasion_unit}s"
    names = {
        "purchases": f"expected purchases ({occasions})",
        "purchases_lower": "lower 95%",
        "purchases_upper": "upper 95%",
        "spend": f"expected revenue ({ctx.money})",
        "spend_lower": "revenue lower 95%",
        "spend_upper": "revenue upper 95%",
    }
    shown = [c for c in names if c in band]
    formats = {names[c]: (_money if c.startswith("spend") else _dec(1)) for c in shown}
    ctx.table(
        band[shown].rename(columns=names).rename_axis("month"),
        caption=f"Expected purchases per calendar month from {start:%Y-%m-%d} (full-period "
        "fit; the first and last months are partial)",
        formats=formats,
    )
    ctx.page.paragraph(
        "Where shown, the intervals are 95% percentile intervals over "
        f"{FORECAST_DRAWS} parameter draws from the fits' asymptotic normal distribution: "
        "they cover the uncertainty of the expected totals from estimating the "
        "parameters, not the random variation of the purchases customers will actually "
        "make, nor new customers (only the customers observed so far are forecast)."
    )
    ctx.figure(
        lambda ax: _plot("period_forecast_chart", point, ax=ax, intervals=band),
        "Expected purchases per month of the current customers, with 95% intervals",
    )
    ctx.save("forecast", band)
    last = band.iloc[-1]
    text = f"forecast, next {FORECAST_MONTHS} months: {last['cumulative']:,.0f} purchases"
    if "cumulative_lower" in band:
        text += (
            f" (95% interval {last['cumulative_lower']:,.0f} to {last['cumulative_upper']:,.0f})"
        )
    else:
        text += " (no interval: the fit ended at a limit of the parameter space)"
    if "spend" in band:
        total = band["spend"].sum()
        text += f", revenue {total:,.0f}"
    ctx.highlights.append(text)


def _point_only(
    model: Any, point: Any, data: pd.DataFrame, spend: Any, start: pd.Timestamp
) -> pd.DataFrame:
    """The forecast's expected purchases (and revenue) per month, without intervals."""
    band = pd.DataFrame(
        {"purchases": point.table["existing"], "cumulative": point.table["existing"].cumsum()}
    )
    if spend is not None:
        priced = clv.forecast_purchases(
            model,
            data,
            observation_end=start,
            horizon=FORECAST_MONTHS,
            period="M",
            spend=spend.model,
        )
        band["spend"] = priced.table["existing_spend"]
    return band
