"""Benchmark: invoice lines to purchase occasions on Online Retail II.

Run from the repository root (not in CI)::

    PYTHONPATH=src python benchmarks/bench_occasions.py              # 525k lines
    PYTHONPATH=src python benchmarks/bench_occasions.py --copies 10  # 5.3M lines

The data set is read from ``../shared/datasets`` next to the repository (or ``--data``);
``--copies k`` stacks k copies with shifted customer ids and invoice numbers.

Prints one table of timings with ratios side by side:

* ``crmkit`` -- :func:`crmkit.transactions.purchase_occasions` with the options of the
  how-to (invoice occasions; returns excluded, and netted);
* ``pandas`` -- the textbook recipe: boolean masks, then
  ``groupby([customer, invoice]).agg(min time, sum value)`` and a sort (no accounting of
  what was removed, no netting);
* ``floor`` -- a lower bound: factorising the invoice ids plus one ``np.bincount`` of the
  line values per invoice.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmkit.transactions import purchase_occasions

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
FILE = "online_retail_ii/online_retail_ii_2009_2010.csv.gz"
KW: dict[str, Any] = {
    "customer_id_col": "Customer ID",
    "datetime_col": "InvoiceDate",
    "quantity_col": "Quantity",
    "price_col": "Price",
    "invoice_col": "Invoice",
    "missing_ids": "drop",
    "cancel_prefix": "C",
    "non_positive_prices": "drop",
}


def load(data: Path, copies: int) -> pd.DataFrame:
    d = pd.read_csv(data / FILE, dtype={"Invoice": str, "StockCode": str})
    d["InvoiceDate"] = pd.to_datetime(d["InvoiceDate"])
    parts = []
    for k in range(copies):
        part = d.copy()
        part["Customer ID"] = part["Customer ID"] + k * 100_000
        part["Invoice"] = part["Invoice"] + ("" if k == 0 else f"-{k}")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def timed(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def pandas_recipe(d: pd.DataFrame) -> pd.DataFrame:
    keep = (
        d["Customer ID"].notna()
        & ~d["Invoice"].str.startswith("C")
        & (d["Quantity"] > 0)
        & (d["Price"] > 0)
    )
    kept = d[keep].assign(amount=d["Quantity"] * d["Price"])
    occ = kept.groupby(["Customer ID", "Invoice"], sort=False).agg(
        InvoiceDate=("InvoiceDate", "min"), amount=("amount", "sum")
    )
    return occ.reset_index().sort_values(["Customer ID", "InvoiceDate"])


def floor(d: pd.DataFrame) -> None:
    codes, uniques = pd.factorize(d["Invoice"])
    value = d["Quantity"].to_numpy(np.float64) * d["Price"].to_numpy(np.float64)
    np.bincount(codes, weights=value, minlength=len(uniques))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    d = load(args.data, args.copies)
    print(f"{len(d):,} lines, {d['Customer ID'].nunique():,} customers")
    rows = {
        "crmkit exclude": timed(
            lambda: purchase_occasions(d, **KW, cancellations="exclude"), args.repeat
        ),
        "crmkit net": timed(lambda: purchase_occasions(d, **KW, cancellations="net"), args.repeat),
        "pandas recipe": timed(lambda: pandas_recipe(d), args.repeat),
        "floor": timed(lambda: floor(d), args.repeat),
    }
    base = rows["floor"]
    print(f"{'':16s} {'seconds':>8s} {'x floor':>8s}")
    for name, sec in rows.items():
        print(f"{name:16s} {sec:8.3f} {sec / base:8.1f}")


if __name__ == "__main__":
    main()
