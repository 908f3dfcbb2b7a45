"""Private: the metric specifications behind :class:`crmkit.metrics.Scorecard`.

Each spec names a metric, its category and unit, the inputs it requires and a function
computing ``(value, period label)`` from the scorecard context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import check_datetime_column
from crmkit._validation import check_numeric_column, require_columns, require_frame
from crmkit.columns import CUSTOMER_ID, DATETIME, MONETARY, PRODUCT_ID
from crmkit.exceptions import InvalidValueError
from crmkit.metrics import complaints as cm
from crmkit.metrics import costs, finance, growth, market, profit, retention, satisfaction
from crmkit.metrics._checks import labelled_values, scaled_total
from crmkit.timeunits._periods import MONTH_STEPS

__all__ = ["SPECS", "Ctx", "freq_of"]

_Fn = Callable[["Ctx"], tuple[float, str]]


@attrs.frozen(kw_only=True)
class _Spec:
    metric: str
    category: str
    unit: str
    requires: tuple[str, ...]
    fn: _Fn


@attrs.frozen(kw_only=True, eq=False)
class Ctx:
    data: Mapping[str, Any]
    period: pd.Period | None
    freq: str
    label: str

    def tx(self) -> pd.DataFrame:
        """Transactions inside the period (all of them without a period)."""
        tx: pd.DataFrame = self.data["transactions"]
        require_columns(
            tx,
            [CUSTOMER_ID, DATETIME],
            hint="The scorecard reads the canonical columns customer_id, datetime, monetary "
            "(and product_id); rename yours.",
        )
        check_datetime_column(tx, DATETIME)
        if self.period is None:
            return tx
        return tx.loc[_in_period(tx[DATETIME], self.period)]

    def this_period(self, periods: pd.PeriodIndex) -> pd.Period:
        return self.period if self.period is not None else periods[-1]


def _in_period(dates: pd.Series[Any], period: pd.Period) -> np.ndarray[Any, Any]:
    idx = pd.DatetimeIndex(dates)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return np.asarray(idx.to_period(period.freqstr) == period)


def freq_of(period: pd.Period) -> str:
    code = {"Q-DEC": "Q", "Y-DEC": "Y", "M": "M"}.get(period.freqstr)
    if code is None:
        raise InvalidValueError(
            f"period {period} has frequency {period.freqstr!r}; use a calendar month "
            "('2024-05'), quarter ('2024Q2') or year ('2024')."
        )
    return code


def _revenue(ctx: Ctx) -> pd.Series[float]:
    tx: pd.DataFrame = ctx.data["transactions"]
    ctx.tx()  # validates the columns
    require_columns(tx, [MONETARY])
    check_numeric_column(tx, MONETARY)
    return pd.Series(tx[MONETARY].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(tx[DATETIME]))


def _growth_row(frame: pd.DataFrame, ctx: Ctx, column: str, lag: int) -> tuple[float, str]:
    """The value of the scorecard's period (default: the last one in ``frame``).

    A comparison restricted to the same days of both periods (the period or the one it is
    compared with is only partly covered by the data) says so in its period label.
    """
    p = ctx.this_period(pd.PeriodIndex(frame.index))
    if p not in frame.index:
        raise InvalidValueError(
            f"the data do not cover both {p} and the period {lag} period(s) before it in "
            "whole; pass a longer history."
        )
    label = str(p)
    for w in frame.attrs.get(growth.SAME_DAYS, []):
        if w["period"] == label:
            label = (
                f"{label} (same days: {w['from']} to {w['to']} vs {w['previous_from']} to "
                f"{w['previous_to']})"
            )
    return float(frame[column].to_numpy()[frame.index.get_loc(p)]), label


def _qoq(ctx: Ctx) -> tuple[float, str]:
    if ctx.freq != "Q" and ctx.period is not None:
        raise InvalidValueError("quarter-over-quarter growth needs a quarterly period.")
    frame = growth.revenue_growth(_revenue(ctx), period="Q", partial="same_days")
    return _growth_row(frame, ctx, "growth", 1)


def _yoy_lag(ctx: Ctx) -> int:
    return 12 // MONTH_STEPS[ctx.freq]  # periods in a year


def _yoy(ctx: Ctx) -> tuple[float, str]:
    lag = _yoy_lag(ctx)
    frame = growth.revenue_growth(_revenue(ctx), period=ctx.freq, lag=lag, partial="same_days")  # type: ignore[arg-type]  # freq is M/Q/Y by freq_of
    return _growth_row(frame, ctx, "growth", lag)


def _margin(ctx: Ctx, lag: int) -> tuple[float, str]:
    frame = growth.margin_growth(
        _revenue(ctx),
        ctx.data["profit"],
        period=ctx.freq,  # type: ignore[arg-type]  # freq is M/Q/Y
        lag=lag,
        partial="same_days",
    )
    return _growth_row(frame, ctx, "margin_change", lag)


def _retention(ctx: Ctx, column: str) -> tuple[float, str]:
    # incomplete first/last periods are left out: the default period is the last whole one
    frame = retention.retention_by_period(ctx.data["transactions"], period=ctx.freq)  # type: ignore[arg-type]  # freq is M/Q/Y
    return _growth_row(frame, ctx, column, 1)


def _complaints(ctx: Ctx) -> pd.DataFrame:
    frame = require_frame(ctx.data["complaints"], name="complaints")
    if ctx.period is None:
        return frame
    require_columns(frame, [cm.RECEIVED_AT])
    check_datetime_column(frame, cm.RECEIVED_AT)
    return frame.loc[_in_period(frame[cm.RECEIVED_AT], ctx.period)]


def _units_sold(ctx: Ctx) -> float:
    sold: NDArray[np.float64] = np.asarray(
        labelled_values(ctx.data["sales_by_code"], name="sales_by_code"), dtype=np.float64
    )
    if not (np.isfinite(sold).all() and (sold >= 0).all() and sold.sum() > 0):
        raise InvalidValueError(
            "sales_by_code must hold finite units sold >= 0 per code, with a positive total."
        )
    return scaled_total(sold, np.ones(sold.size), name="the units sold")


def _cost_to_serve(ctx: Ctx) -> tuple[float, str]:
    n = ctx.data.get("n_customers")
    if n is None:
        if ctx.data.get("transactions") is None:
            raise InvalidValueError("give n_customers= or transactions= to count customers.")
        n = ctx.tx()[CUSTOMER_ID].nunique()
    return profit.cost_to_serve(ctx.data["service_cost"], n), ctx.label


def _rev_share_ratio(ctx: Ctx) -> tuple[float, str]:
    d = ctx.data
    rs = market.market_share(d["own_sales"], d["competitor_sales"])
    us = market.market_share(d["own_units"], d["competitor_units"])
    return finance.revenue_to_share_ratio(rs, us), ctx.label


def _savings(ctx: Ctx, column: str) -> tuple[float, str]:
    out = costs.cost_savings(ctx.data["costs_before"], ctx.data["costs_after"])
    return float(out[column].to_numpy()[-1]), ctx.label  # the appended total row


def _rpr(ctx: Ctx) -> float:
    tx = ctx.tx()
    if ctx.period is not None:
        start, end = ctx.period.start_time, (ctx.period + 1).start_time
    elif len(tx):
        start, end = tx[DATETIME].min(), tx[DATETIME].max() + pd.Timedelta(1, "ns")
    else:
        raise InvalidValueError("transactions are empty.")
    return satisfaction.repeat_purchase_rate(tx, start=start, end=end)


def _products_per_customer(ctx: Ctx) -> float:
    tx = ctx.tx()
    if PRODUCT_ID not in tx.columns:
        raise InvalidValueError(
            f"transactions have no {PRODUCT_ID!r} column; add one to compute product metrics."
        )
    return satisfaction.products_per_customer(tx)


def _lbl(value: float, ctx: Ctx) -> tuple[float, str]:
    return float(value), ctx.label


_TX = "transactions"
SPECS: tuple[_Spec, ...] = (
    _Spec(
        metric="repeat_purchase_rate",
        category="customer satisfaction",
        unit="fraction of period's buyers",
        requires=(_TX,),
        fn=lambda c: _lbl(_rpr(c), c),
    ),
    _Spec(
        metric="products_per_customer",
        category="customer satisfaction",
        unit="products per buyer",
        requires=(_TX,),
        fn=lambda c: _lbl(_products_per_customer(c), c),
    ),
    _Spec(
        metric="nps",
        category="customer satisfaction",
        unit="points (-100..100)",
        requires=("nps_scores",),
        fn=lambda c: _lbl(satisfaction.nps(c.data["nps_scores"]), c),
    ),
    _Spec(
        metric="csat",
        category="customer satisfaction",
        unit="fraction satisfied",
        requires=("csat_scores",),
        fn=lambda c: _lbl(satisfaction.csat(c.data["csat_scores"]), c),
    ),
    _Spec(
        metric="ces",
        category="customer satisfaction",
        unit="mean score (1..7)",
        requires=("ces_scores",),
        fn=lambda c: _lbl(satisfaction.ces(c.data["ces_scores"]), c),
    ),
    _Spec(
        metric="revenue_per_purchase",
        category="customer profit",
        unit="money per purchase",
        requires=(_TX,),
        fn=lambda c: _lbl(profit.revenue_per_purchase(c.tx()), c),
    ),
    _Spec(
        metric="mean_clv",
        category="customer profit",
        unit="money per customer",
        requires=("clv",),
        fn=lambda c: _lbl(profit.lifetime_value_summary(c.data["clv"])["mean"], c),
    ),
    _Spec(
        metric="customer_equity",
        category="customer profit",
        unit="money",
        requires=("clv",),
        fn=lambda c: _lbl(profit.lifetime_value_summary(c.data["clv"])["total"], c),
    ),
    _Spec(
        metric="cost_to_serve",
        category="customer profit",
        unit="money per customer",
        requires=("service_cost",),
        fn=_cost_to_serve,
    ),
    _Spec(
        metric="market_share",
        category="market share",
        unit="fraction",
        requires=("own_sales", "competitor_sales"),
        fn=lambda c: _lbl(market.market_share(c.data["own_sales"], c.data["competitor_sales"]), c),
    ),
    _Spec(
        metric="relative_market_share",
        category="market share",
        unit="ratio to largest competitor",
        requires=("own_sales", "competitor_sales"),
        fn=lambda c: _lbl(
            market.relative_market_share(c.data["own_sales"], c.data["competitor_sales"]), c
        ),
    ),
    _Spec(
        metric="npv",
        category="financial analysis",
        unit="money at t=0",
        requires=("cash_flows", "discount_rate"),
        fn=lambda c: _lbl(finance.npv(c.data["discount_rate"], c.data["cash_flows"]), c),
    ),
    _Spec(
        metric="irr",
        category="financial analysis",
        unit="fraction per period of flows",
        requires=("cash_flows",),
        fn=lambda c: _lbl(finance.irr(c.data["cash_flows"]), c),
    ),
    _Spec(
        metric="payback_period",
        category="financial analysis",
        unit="periods of flows",
        requires=("cash_flows",),
        fn=lambda c: _lbl(finance.payback_period(c.data["cash_flows"]), c),
    ),
    _Spec(
        metric="roi",
        category="financial analysis",
        unit="fraction",
        requires=("investment_gain", "investment_cost"),
        fn=lambda c: _lbl(finance.roi(c.data["investment_gain"], c.data["investment_cost"]), c),
    ),
    _Spec(
        metric="tco",
        category="financial analysis",
        unit="money",
        requires=("initial_cost", "recurring_costs"),
        fn=lambda c: _lbl(
            finance.tco(
                c.data["initial_cost"],
                c.data["recurring_costs"],
                rate=c.data.get("discount_rate") or 0.0,
            ),
            c,
        ),
    ),
    _Spec(
        metric="revenue_to_share_ratio",
        category="financial analysis",
        unit="ratio (revenue share / unit share)",
        requires=("own_sales", "competitor_sales", "own_units", "competitor_units"),
        fn=_rev_share_ratio,
    ),
    _Spec(
        metric="revenue_growth_qoq",
        category="revenue and margin",
        unit="fraction vs previous quarter",
        requires=(_TX,),
        fn=_qoq,
    ),
    _Spec(
        metric="revenue_growth_yoy",
        category="revenue and margin",
        unit="fraction vs a year earlier",
        requires=(_TX,),
        fn=_yoy,
    ),
    _Spec(
        metric="margin_change_previous_period",
        category="revenue and margin",
        unit="margin difference vs previous period",
        requires=(_TX, "profit"),
        fn=lambda c: _margin(c, 1),
    ),
    _Spec(
        metric="margin_change_yoy",
        category="revenue and margin",
        unit="margin difference vs a year earlier",
        requires=(_TX, "profit"),
        fn=lambda c: _margin(c, _yoy_lag(c)),
    ),
    _Spec(
        metric="cost_savings",
        category="cost savings",
        unit="money",
        requires=("costs_before", "costs_after"),
        fn=lambda c: _savings(c, "saving"),
    ),
    _Spec(
        metric="cost_savings_rate",
        category="cost savings",
        unit="fraction of cost before",
        requires=("costs_before", "costs_after"),
        fn=lambda c: _savings(c, "saving_rate"),
    ),
    _Spec(
        metric="retention_rate",
        category="retention",
        unit="fraction per period",
        requires=(_TX,),
        fn=lambda c: _retention(c, "retention_rate"),
    ),
    _Spec(
        metric="churn_rate",
        category="retention",
        unit="fraction per period",
        requires=(_TX,),
        fn=lambda c: _retention(c, "churn_rate"),
    ),
    _Spec(
        metric="complaints",
        category="complaints",
        unit="count",
        requires=("complaints",),
        fn=lambda c: _lbl(len(_complaints(c)), c),
    ),
    _Spec(
        metric="complaint_rate",
        category="complaints",
        unit="complaints per unit sold",
        requires=("complaints", "sales_by_code"),
        fn=lambda c: _lbl(len(_complaints(c)) / _units_sold(c), c),
    ),
    _Spec(
        metric="mean_time_to_resolution",
        category="complaints",
        unit="days",
        requires=("complaints",),
        fn=lambda c: _lbl(_mean_ttr(c), c),
    ),
)


def _mean_ttr(ctx: Ctx) -> float:
    frame = _complaints(ctx)
    table = cm.time_to_resolution(frame)
    n = table["resolved"].to_numpy()
    if n.sum() == 0:
        raise InvalidValueError("no resolved complaint in the period.")
    means = np.nan_to_num(table["mean_time_to_resolution"].to_numpy())
    return float(np.sum(means * n) / n.sum())
