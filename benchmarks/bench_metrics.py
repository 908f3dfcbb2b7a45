"""Benchmark crmkit.metrics against a naive implementation, numpy and numpy-financial.

Plain script (not run by CI): ``PYTHONPATH=src python benchmarks/bench_metrics.py``.
numpy-financial is optional; its column is skipped when it is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from crmkit.datasets import load_cdnow_transactions
from crmkit.metrics import Scorecard, cohort_retention, irr, npv, retention_by_period

try:  # optional peer
    import numpy_financial as npf
except ImportError:  # pragma: no cover - optional
    npf = None


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def naive_retention(frame: pd.DataFrame) -> dict[str, float]:
    """Set-based loop over rows, the way one would write it without vectorising."""
    active: dict[Any, set[Any]] = {}
    for cust, p in zip(frame["customer_id"], frame["datetime"].dt.to_period("M"), strict=True):
        active.setdefault(p, set()).add(cust)
    out = {}
    for p in sorted(active)[1:]:
        prev = active.get(p - 1, set())
        if prev:
            out[str(p)] = len(prev & active.get(p, set())) / len(prev)
    return out


def main() -> None:
    raw = load_cdnow_transactions()
    tx = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "datetime": pd.to_datetime(raw["date"]),
            "monetary": raw["dollar_value"].astype(float),
        }
    )
    rng = np.random.default_rng(42)
    flows = [np.concatenate([[-1000.0], rng.uniform(50, 400, size=10)]) for _ in range(300)]
    rows: list[tuple[str, float, float, str]] = []

    t_ck = best_of(lambda: retention_by_period(tx, period="M"))
    t_nv = best_of(lambda: naive_retention(tx), repeat=1)
    rows.append((f"retention_by_period M, CDNOW {len(tx)} rows", t_ck, t_nv, "naive loop"))
    rows.append(
        (
            "cohort_retention M, CDNOW",
            best_of(lambda: cohort_retention(tx, period="M")),
            float("nan"),
            "-",
        )
    )
    rows.append(
        (
            "Scorecard.compute 1997Q2, CDNOW",
            best_of(lambda: Scorecard.compute(period="1997Q2", transactions=tx)),
            float("nan"),
            "-",
        )
    )

    t_npv = best_of(lambda: [npv(0.01, f) for f in flows])
    t_np = best_of(lambda: [float(np.sum(f / 1.01 ** np.arange(f.size))) for f in flows])
    rows.append(("npv x300 (11 flows)", t_npv, t_np, "numpy expression"))
    t_irr = best_of(lambda: [irr(f) for f in flows])
    if npf is not None:
        t_peer = best_of(lambda: [npf.irr(f) for f in flows])
        rows.append(("irr x300 (11 flows)", t_irr, t_peer, "numpy-financial"))
    else:
        rows.append(("irr x300 (11 flows)", t_irr, float("nan"), "numpy-financial absent"))

    print(f"{'case':45s} {'crmkit s':>10s} {'peer s':>10s} {'ratio':>7s}  peer")
    for name, a, b, peer in rows:
        ratio = a / b if b == b else float("nan")
        print(f"{name:45s} {a:10.4f} {b:10.4f} {ratio:7.2f}  {peer}")


if __name__ == "__main__":
    main()
