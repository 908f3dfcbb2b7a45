"""CRM success metrics: satisfaction, customer profit, market share, financial analysis,
growth, cost savings, retention/churn, complaints, and the :class:`Scorecard`.

Every metric is a function with its formula in the docstring; every rate says its period.
See :doc:`/explanation/metrics` for what each metric means and its limits.

Examples
--------
>>> from crmkit import metrics
>>> round(metrics.npv(0.08, [-1000, 400, 400, 400]), 2)
30.84
>>> metrics.nps([10, 9, 8, 6])
25.0
"""

from __future__ import annotations

from crmkit.metrics.annuity import fv, pmt, pv
from crmkit.metrics.complaints import (
    CODE,
    COMPLAINT_ID,
    RECEIVED_AT,
    RESOLVED_AT,
    complaint_rate,
    complaints_from_steps,
    time_to_resolution,
)
from crmkit.metrics.costs import cost_savings
from crmkit.metrics.finance import (
    irr,
    irr_roots,
    npv,
    payback_period,
    revenue_to_share_ratio,
    roi,
    tco,
)
from crmkit.metrics.growth import (
    margin_growth,
    period_totals,
    quarter_over_quarter,
    revenue_growth,
    year_over_year,
)
from crmkit.metrics.market import market_share, market_shares, relative_market_share
from crmkit.metrics.profit import (
    cost_to_serve,
    cost_to_serve_trend,
    lifetime_value_summary,
    revenue_per_purchase,
)
from crmkit.metrics.retention import (
    churn_rate,
    cohort_retention,
    retention_by_period,
    retention_rate,
)
from crmkit.metrics.satisfaction import (
    ces,
    csat,
    nps,
    nps_breakdown,
    product_penetration,
    products_per_customer,
    repeat_purchase_rate,
)
from crmkit.metrics.scorecard import SCORECARD_COLUMNS, Scorecard

__all__ = [
    "CODE",
    "COMPLAINT_ID",
    "RECEIVED_AT",
    "RESOLVED_AT",
    "SCORECARD_COLUMNS",
    "Scorecard",
    "ces",
    "churn_rate",
    "cohort_retention",
    "complaint_rate",
    "complaints_from_steps",
    "cost_savings",
    "cost_to_serve",
    "cost_to_serve_trend",
    "csat",
    "fv",
    "irr",
    "irr_roots",
    "lifetime_value_summary",
    "margin_growth",
    "market_share",
    "market_shares",
    "nps",
    "nps_breakdown",
    "npv",
    "payback_period",
    "period_totals",
    "pmt",
    "product_penetration",
    "products_per_customer",
    "pv",
    "quarter_over_quarter",
    "relative_market_share",
    "repeat_purchase_rate",
    "retention_by_period",
    "retention_rate",
    "revenue_growth",
    "revenue_per_purchase",
    "revenue_to_share_ratio",
    "roi",
    "tco",
    "time_to_resolution",
    "year_over_year",
]
