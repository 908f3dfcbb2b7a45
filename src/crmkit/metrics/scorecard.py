"""A CRM scorecard: every success metric the available data allow, in one tidy table.

No single metric gives the full picture: the scorecard computes all that it can from
whatever a user has, says **explicitly** which metrics it could not compute and which
input would enable them, and compares two periods.

Inputs (all optional, keyword-only):

=======================  ==========================================================
input                    what it is
=======================  ==========================================================
``transactions``         purchases: ``customer_id``, ``datetime`` (datetime64),
                         ``monetary`` and, for product metrics, ``product_id``
``profit``               dated profit (Series, DatetimeIndex) for margin growth
``nps_scores``           0-10 "would you recommend" answers (in the period)
``csat_scores``          1-5 satisfaction answers; ``ces_scores`` 1-7 ease answers
``clv``                  per-customer lifetime values (from :mod:`crmkit.clv`)
``service_cost``         cost of serving customers in the period (money)
``n_customers``          customer base size (else: buyers in the period)
``own_sales``            own sales in the period; ``competitor_sales`` per rival
``own_units``            own units; ``competitor_units`` per rival (same market)
``cash_flows``           CRM programme flows, ``[0]`` at t = 0; ``discount_rate`` per
                         period of the flows
``investment_cost``      total cost and ``investment_gain`` total benefit (ROI)
``initial_cost``         TCO up-front cost; ``recurring_costs`` per period
``costs_before``         cost per category before; ``costs_after`` after
``complaints``           complaints frame (see :mod:`crmkit.metrics.complaints`);
                         ``sales_by_code`` units sold per code for complaint rates
=======================  ==========================================================

``period`` (e.g. ``"2024Q2"``, ``"2024-05"``, ``"2024"``) restricts transactions, profit
and complaints to that calendar period; growth and retention compare it with the period
before (and, for year-over-year, the same period a year earlier). Survey answers,
competitor figures and costs are taken to refer to that period already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crmkit._display import Display, Displayable, fmt_number
from crmkit.exceptions import InvalidValueError, ValidationError
from crmkit.metrics._scorecard_specs import SPECS, Ctx, freq_of

__all__ = ["SCORECARD_COLUMNS", "Scorecard"]

SCORECARD_COLUMNS: tuple[str, ...] = ("metric", "category", "value", "unit", "period")
"""Column order of :attr:`Scorecard.table`."""


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Scorecard(Displayable):
    """Every computable CRM success metric for one period, and what is missing.

    Build it with :meth:`compute`; compare two with :meth:`compare`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per computed metric; columns :data:`SCORECARD_COLUMNS`
        (``metric, category, value, unit, period``).
    unavailable : pandas.DataFrame
        One row per metric that could not be computed: ``metric``, ``category``,
        ``requires`` (the inputs that would enable it) and ``reason``.
    period : str
        The period label (``"all"`` without a period).

    Examples
    --------
    >>> card = Scorecard.compute(
    ...     nps_scores=[10, 9, 7, 3], own_sales=300, competitor_sales={"a": 500, "b": 200}
    ... )
    >>> card.table[["metric", "value"]]
                     metric  value
    0                   nps   25.0
    1          market_share    0.3
    2  relative_market_share    0.6
    >>> card.unavailable.set_index("metric").loc["npv", "requires"]
    'cash_flows, discount_rate'
    """

    table: pd.DataFrame
    unavailable: pd.DataFrame
    period: str

    def _display(self) -> Display:
        t = self.table
        rows = [
            [str(m), fmt_number(float(v)), str(u)]
            for m, v, u in zip(t["metric"][:15], t["value"][:15], t["unit"][:15], strict=True)
        ]
        more = len(t) - 15
        missing = ", ".join(str(m) for m in self.unavailable["metric"][:5])
        if len(self.unavailable) > 5:
            missing += ", ..."
        return Display(
            f"Scorecard for period {self.period}: {len(t)} metrics computed, "
            f"{len(self.unavailable)} unavailable",
            [],
            ["metric", "value", "unit"],
            rows,
            [
                f"... {more} more metrics in .table" if more > 0 else None,
                f"unavailable (see .unavailable): {missing}" if missing else None,
            ],
        )

    @classmethod
    def compute(
        cls,
        *,
        period: str | pd.Period | None = None,
        transactions: pd.DataFrame | None = None,
        profit: pd.Series[Any] | None = None,
        nps_scores: ArrayLike | None = None,
        csat_scores: ArrayLike | None = None,
        ces_scores: ArrayLike | None = None,
        clv: ArrayLike | pd.Series[Any] | None = None,
        service_cost: float | None = None,
        n_customers: int | None = None,
        own_sales: float | None = None,
        competitor_sales: Mapping[str, float] | pd.Series[Any] | None = None,
        own_units: float | None = None,
        competitor_units: Mapping[str, float] | pd.Series[Any] | None = None,
        cash_flows: ArrayLike | None = None,
        discount_rate: float | None = None,
        investment_gain: float | None = None,
        investment_cost: float | None = None,
        initial_cost: float | None = None,
        recurring_costs: ArrayLike | None = None,
        costs_before: Mapping[str, float] | pd.Series[Any] | None = None,
        costs_after: Mapping[str, float] | pd.Series[Any] | None = None,
        complaints: pd.DataFrame | None = None,
        sales_by_code: Mapping[str, float] | pd.Series[Any] | None = None,
    ) -> Scorecard:
        """Compute every metric the given inputs allow; ``None`` means "not available".

        Parameters
        ----------
        period : str or pandas.Period, optional
            Calendar month (``"2024-05"``), quarter (``"2024Q2"``) or year (``"2024"``) to
            report on; ``None`` uses all data (growth and retention then refer to the
            last quarter in the transactions).
        transactions : pandas.DataFrame, optional
            Purchases with ``customer_id``, ``datetime`` (datetime64), ``monetary``
            (money) and optionally ``product_id``; all history, not only the period
            (growth and retention look back).
        profit : pandas.Series, optional
            Dated profit (money, DatetimeIndex) for margin growth.
        nps_scores, csat_scores, ces_scores : array_like of int, optional
            Survey answers of the period: 0-10, 1-5 and 1-7.
        clv : array_like, optional
            Per-customer lifetime values (money).
        service_cost : float, optional
            Cost of sales, service and support in the period (money).
        n_customers : int, optional
            Customers served in the period (default: buyers in the period).
        own_sales, competitor_sales : float and mapping, optional
            Sales (money) of the firm and of each competitor in the period.
        own_units, competitor_units : float and mapping, optional
            Units sold by the firm and each competitor (for the revenue-to-share ratio).
        cash_flows : array_like, optional
            CRM programme flows, ``[0]`` at t = 0 (money per period).
        discount_rate : float, optional
            Discount rate per period of ``cash_flows`` (also used for TCO).
        investment_gain, investment_cost : float, optional
            Total benefit and cost for ROI (money).
        initial_cost, recurring_costs : float and array_like, optional
            Up-front and per-period costs for TCO (money).
        costs_before, costs_after : mapping, optional
            Cost per category before and after (money, equal-length periods).
        complaints : pandas.DataFrame, optional
            Complaints with the columns of :mod:`crmkit.metrics.complaints`.
        sales_by_code : mapping, optional
            Units sold per product/service code in the period (complaint rate).

        Returns
        -------
        Scorecard

        Raises
        ------
        InvalidValueError
            For a period that is not a calendar month, quarter or year. Errors *inside*
            one metric do not raise: that metric is listed in :attr:`unavailable` with
            the error message as its reason.
        """
        inputs = {
            "transactions": transactions, "profit": profit, "nps_scores": nps_scores,
            "csat_scores": csat_scores, "ces_scores": ces_scores, "clv": clv,
            "service_cost": service_cost, "n_customers": n_customers,
            "own_sales": own_sales, "competitor_sales": competitor_sales,
            "own_units": own_units, "competitor_units": competitor_units,
            "cash_flows": cash_flows, "discount_rate": discount_rate,
            "investment_gain": investment_gain, "investment_cost": investment_cost,
            "initial_cost": initial_cost, "recurring_costs": recurring_costs,
            "costs_before": costs_before, "costs_after": costs_after,
            "complaints": complaints, "sales_by_code": sales_by_code,
        }  # fmt: skip
        p = None if period is None else _parse_period(period)
        freq = "Q" if p is None else freq_of(p)
        label = "all" if p is None else str(p)
        ctx = Ctx(
            data={k: v for k, v in inputs.items() if v is not None},
            period=p,
            freq=freq,
            label=label,
        )
        rows: list[tuple[str, str, float, str, str]] = []
        missing: list[tuple[str, str, str, str]] = []
        for spec in SPECS:
            absent = [r for r in spec.requires if r not in ctx.data]
            if absent:
                missing.append(
                    (
                        spec.metric,
                        spec.category,
                        ", ".join(spec.requires),
                        f"missing input(s): {', '.join(absent)}",
                    )
                )
                continue
            try:
                value, plabel = spec.fn(ctx)
            except (ValidationError, KeyError) as exc:
                missing.append((spec.metric, spec.category, ", ".join(spec.requires), str(exc)))
                continue
            rows.append((spec.metric, spec.category, value, spec.unit, plabel))
        table = pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))
        table["value"] = table["value"].astype(np.float64)
        unavailable = pd.DataFrame(missing, columns=["metric", "category", "requires", "reason"])
        return cls(table=table, unavailable=unavailable, period=label)

    def value(self, metric: str) -> float:
        """The value of one computed metric; raises if it was not computed."""
        names = self.table["metric"].tolist()  # compared in Python: any str is a fair query
        if not isinstance(metric, str) or metric not in names:
            raise InvalidValueError(
                f"metric {metric!r:.60} is not in this scorecard; see .unavailable for why."
            )
        return float(self.table["value"].iloc[names.index(metric)])

    def compare(self, baseline: Scorecard) -> pd.DataFrame:
        """Change of every metric present in both scorecards, this one minus ``baseline``.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric, category, unit, baseline_period, baseline, period, value,
            change, relative_change`` (relative to ``|baseline|``; NaN where it is 0), in
            the scorecard's metric order.

        Examples
        --------
        >>> q1 = Scorecard.compute(period="2024Q1", nps_scores=[9, 9, 3, 7])
        >>> q2 = Scorecard.compute(period="2024Q2", nps_scores=[10, 9, 8, 7])
        >>> q2.compare(q1)[["metric", "baseline", "value", "change"]]
          metric  baseline  value  change
        0    nps      25.0   50.0    25.0
        """
        if not isinstance(baseline, Scorecard):
            raise InvalidValueError(
                f"baseline must be a Scorecard (from Scorecard.compute), got "
                f"{type(baseline).__name__}."
            )
        a = baseline.table.rename(columns={"value": "baseline", "period": "baseline_period"})
        b = self.table[["metric", "value", "period"]]
        out = a.merge(b, on="metric", how="inner")
        out["change"] = out["value"] - out["baseline"]
        base = out["baseline"].abs().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["relative_change"] = np.where(
                base > 0, out["change"].to_numpy() / np.where(base > 0, base, 1.0), np.nan
            )
        cols = [
            "metric",
            "category",
            "unit",
            "baseline_period",
            "baseline",
            "period",
            "value",
            "change",
            "relative_change",
        ]
        return out[cols]


def _parse_period(period: Any) -> pd.Period:
    """The calendar period a scorecard covers, or an InvalidValueError naming the value."""
    if isinstance(period, pd.Period):
        return period
    if not isinstance(period, str):
        raise InvalidValueError(
            f"period={period!r} must be a string such as '2024Q2', '2024-05' or '2024', or a "
            "pandas.Period."
        )
    try:
        parsed: Any = pd.Period(period)  # NaT for "" and "NaT"
    except (TypeError, ValueError, OverflowError) as exc:  # DateParseError is a ValueError
        raise InvalidValueError(
            f"period={period!r} is not a calendar month, quarter or year ({exc}); write it "
            "as '2024-05', '2024Q2' or '2024'."
        ) from exc
    if parsed is pd.NaT:
        raise InvalidValueError(
            f"period={period!r} is not a calendar month, quarter or year; write it as "
            "'2024-05', '2024Q2' or '2024'."
        )
    return pd.Period(parsed)
