"""Canonical column names shared by every crmkit module.

Transaction logs, per-customer summaries and model outputs use these names by
default; every public function that reads a frame also accepts ``*_col`` arguments
to map a user's own names onto them.

Transaction log (one row per purchase):

=============== =====================================================
``customer_id`` customer identifier (any hashable dtype)
``datetime``    purchase timestamp (``datetime64``; naive or tz-aware)
``monetary``    purchase value in the user's currency
``product_id``  optional product / item code
=============== =====================================================

Per-customer summary (one row per customer, indexed by ``customer_id``; the
lifetimes / Fader-Hardie convention, all durations in the summary's ``time_unit``):

====================== =====================================================
``frequency``          number of repeat purchase periods, *x*
``recency``            time from first to last purchase, *t_x*
``T``                  time from first purchase to the end of observation
``monetary_value``     mean value of the repeat purchases (0 when x = 0)
``n_periods``          number of opportunities *n* (discrete-time data)
``weights``            number of customers sharing the row (compressed data)
``log_interval_sum``   sum of the logs of the inter-purchase times (optional:
                       ``rfm_summary(..., log_intervals=True)``; the (M)BG/CNBD-k
                       models need it to choose the regularity *k*)
====================== =====================================================

Examples
--------
>>> from crmkit import columns
>>> columns.SUMMARY_COLUMNS
('frequency', 'recency', 'T', 'monetary_value')
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CUSTOMER_ID",
    "DATETIME",
    "DURATION_HOLDOUT",
    "FIRST_PURCHASE",
    "FREQUENCY",
    "FREQUENCY_HOLDOUT",
    "LAST_PURCHASE",
    "LOG_INTERVAL_SUM",
    "MONETARY",
    "MONETARY_VALUE",
    "MONETARY_VALUE_HOLDOUT",
    "N_PERIODS",
    "N_TRANSACTIONS",
    "PRODUCT_ID",
    "RECENCY",
    "SUMMARY_COLUMNS",
    "TOTAL_SPEND",
    "WEIGHTS",
    "T",
]

# Transaction log
CUSTOMER_ID: Final = "customer_id"
DATETIME: Final = "datetime"
MONETARY: Final = "monetary"
PRODUCT_ID: Final = "product_id"

# Per-customer summary
FREQUENCY: Final = "frequency"
RECENCY: Final = "recency"
T: Final = "T"
MONETARY_VALUE: Final = "monetary_value"
N_PERIODS: Final = "n_periods"
WEIGHTS: Final = "weights"
LOG_INTERVAL_SUM: Final = "log_interval_sum"

# Optional summary extras
N_TRANSACTIONS: Final = "n_transactions"
TOTAL_SPEND: Final = "total_spend"
FIRST_PURCHASE: Final = "first_purchase"
LAST_PURCHASE: Final = "last_purchase"

# Calibration / holdout
FREQUENCY_HOLDOUT: Final = "frequency_holdout"
MONETARY_VALUE_HOLDOUT: Final = "monetary_value_holdout"
DURATION_HOLDOUT: Final = "duration_holdout"

SUMMARY_COLUMNS: Final = (FREQUENCY, RECENCY, T, MONETARY_VALUE)
