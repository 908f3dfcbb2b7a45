"""Write ``report_invoice_lines.csv``: synthetic invoice lines for the report tests.

Seeded and deterministic. 80 customers buy from 2023-02-15 to 2024-05-20 (the first and
the last calendar quarters are partial), several invoices a customer, some on the same
day; the file also holds cancellations (invoice "C..." with negative quantities), lines
without a customer id, exact duplicate lines, free lines (price 0) and purchases on the
last day, late in the evening.

Run: ``python tests/data/make_report_invoice_lines.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2023-02-15")
END = pd.Timestamp("2024-05-20")


def make() -> pd.DataFrame:
    rng = np.random.default_rng(20261206)
    products = [f"P{i:03d}" for i in range(30)]
    prices = dict(zip(products, np.round(rng.uniform(0.5, 20.0, 30), 2), strict=True))
    rows: list[tuple[str, str, int, str, float, str]] = []
    invoice = 500000
    span = (END - START).days
    for c in range(80):
        cid = str(13000 + c * 7)
        first = int(rng.integers(0, span - 30))
        rate = rng.uniform(0.01, 0.08)  # invoices per day while active
        scale = rng.gamma(2.0, 1.0)  # customers differ in how much they buy
        life = int(rng.exponential(300))
        day = first
        while day <= min(span, first + life):
            invoice += 1
            when = START + pd.Timedelta(days=day, hours=int(rng.integers(8, 19)))
            when += pd.Timedelta(minutes=int(rng.integers(0, 60)))
            size = rng.gamma(1.5, 1 / 1.5)  # invoices differ in size too
            for p in rng.choice(products, size=int(rng.integers(1, 6)), replace=False):
                qty = max(1, round(scale * size * rng.integers(1, 13)))
                rows.append((str(invoice), p, qty, f"{when}", prices[p], cid))
            if rng.random() < 0.12:  # a second invoice the same day
                invoice += 1
                later = when + pd.Timedelta(hours=1)
                rows.append((str(invoice), products[0], 2, f"{later}", prices[products[0]], cid))
            if rng.random() < 0.08:  # a cancellation of part of this invoice
                invoice += 1
                rows.append((f"C{invoice}", rows[-1][1], -1, f"{when + pd.Timedelta(days=2)}",
                             rows[-1][4], cid))  # fmt: skip
            day += 1 + int(rng.exponential(1 / rate))
    last = END + pd.Timedelta(hours=21, minutes=30)
    for cid in ("13000", "13007", "13014"):  # purchases on the last day, after 20:00
        invoice += 1
        rows.append((str(invoice), products[3], 4, f"{last}", prices[products[3]], cid))
    frame = pd.DataFrame(
        rows, columns=["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID"]
    )
    no_id = rng.choice(len(frame), size=40, replace=False)
    frame.loc[no_id, "Customer ID"] = None
    free = rng.choice(len(frame), size=8, replace=False)
    frame.loc[free, "Price"] = 0.0
    frame = pd.concat([frame, frame.iloc[[5, 50, 120]]], ignore_index=True)  # duplicates
    return frame.sort_values("InvoiceDate", kind="stable").reset_index(drop=True)


if __name__ == "__main__":
    make().to_csv(Path(__file__).with_name("report_invoice_lines.csv"), index=False)
