"""Regenerate ``periods_online_retail_ii.json`` with pandas alone (crmkit is not imported).

Usage::

    python tests/reference/make_periods_online_retail_ii.py \
        ../shared/datasets/online_retail_ii/online_retail_ii_2009_2010.csv.gz

Online Retail II (UCI id 502), sheet "Year 2009-2010": amount = Quantity * Price, rows
without a Customer ID dropped, invoices starting with "C" (cancellations) excluded. The
figures are the like-for-like year-over-year comparison of 1-9 December, the whole
calendar quarters 2010Q4 / 2009Q4 as they are, and the retention of the December-2009
acquisition cohort in November and December 2010.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd


def main(path: str) -> None:
    raw = pd.read_csv(
        path,
        usecols=["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"],
        dtype={"Invoice": str},
        parse_dates=["InvoiceDate"],
    )
    raw = raw.dropna(subset=["Customer ID"])
    raw = raw[~raw["Invoice"].str.startswith("C")]
    amount = raw["Quantity"] * raw["Price"]
    when = raw["InvoiceDate"]
    day = when.dt.normalize()
    cust = raw["Customer ID"].astype("int64")

    def window(lo: str, hi: str) -> float:
        return float(amount[(day >= lo) & (day <= hi)].sum())

    dec10, dec09 = window("2010-12-01", "2010-12-09"), window("2009-12-01", "2009-12-09")
    q = when.dt.to_period("Q")
    q4_10 = float(amount[q == pd.Period("2010Q4")].sum())
    q4_09 = float(amount[q == pd.Period("2009Q4")].sum())
    m = when.dt.to_period("M")
    first = m.groupby(cust).transform("min")
    cohort = set(cust[first == pd.Period("2009-12")])
    nov = set(cust[m == pd.Period("2010-11")])
    dec = set(cust[m == pd.Period("2010-12")])
    out = {
        "source": "Online Retail II, UCI Machine Learning Repository id 502 (Chen 2019), "
        "sheet 'Year 2009-2010'; computed with pandas by this script",
        "inputs": {
            "data": "online_retail_ii/online_retail_ii_2009_2010.csv.gz",
            "cleaning": "amount = Quantity * Price; drop missing Customer ID; drop Invoice "
            "starting with 'C'",
            "pandas": pd.__version__,
        },
        "expected": {
            "first_day": str(day.min().date()),
            "last_day": str(day.max().date()),
            "revenue_2010_12_01_to_09": dec10,
            "revenue_2009_12_01_to_09": dec09,
            "yoy_same_days": (dec10 - dec09) / dec09,
            "revenue_2010Q4_as_is": q4_10,
            "revenue_2009Q4_as_is": q4_09,
            "yoy_quarter_as_is": (q4_10 - q4_09) / q4_09,
            "cohort_2009_12_size": len(cohort),
            "cohort_2009_12_retention_2010_11": len(cohort & nov) / len(cohort),
            "cohort_2009_12_retention_2010_12_partial": len(cohort & dec) / len(cohort),
        },
        "tolerance": {"rel": 1e-9},
    }
    target = Path(__file__).with_name("periods_online_retail_ii.json")
    target.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
