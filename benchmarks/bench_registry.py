"""Benchmark the CodeRegistry back-end features: indexed find, resolve_column, batches.

Run from the repository root (not part of CI):

    PYTHONPATH=src python benchmarks/bench_registry.py [--entries 100000] [--rows 1000000]

Prints one table: crmkit's indexed look-ups against a scan over every entry (what a user
had to write before), ``resolve_column`` against a per-row Python loop and against a
lower bound (``Series.map`` with a ready dict of exact codes, no normalisation or merge
resolution), and the cost of a batch and of its rollback. Timings are the best of a few
runs because the machine may be shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit._text import name_key
from crmkit.codes import CodeRegistry

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    reg = CodeRegistry(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    names = [f"Customer {i}" for i in range(args.entries // 5)]
    cities = [f"City {i}" for i in range(30)]
    start = time.perf_counter()
    with reg.batch():
        for i in range(args.entries):
            reg.allocate(
                "customer",
                label=names[i % len(names)],
                attributes={"city": cities[i % len(cities)]},
            )
    t_fill = time.perf_counter() - start
    entries = reg.entries()
    for k in range(0, args.entries // 10, 2):  # 5 % merged
        reg.merge(entries[k + 1].code, into=entries[k].code)

    queries = [names[int(j)].upper() for j in rng.integers(0, len(names), 200)]
    t_find, _ = best(lambda: [reg.find(label=q) for q in queries])
    few = queries[:5]
    t_scan, _ = best(
        lambda: [[e for e in reg.entries() if name_key(e.label) == name_key(q)] for q in few],
        repeat=1,
    )
    t_find_q, t_scan_q = t_find / len(queries), t_scan / len(few)
    t_attr, hits = best(lambda: reg.find("customer", attributes={"city": "City 7"}))
    t_attr_scan, _ = best(
        lambda: [e for e in reg.entries() if e.attribute_dict().get("city") == "City 7"],
        repeat=1,
    )

    codes = np.array([e.code for e in entries], dtype=object)
    distinct = codes[rng.integers(0, len(codes), 10_000)]
    typed = np.array([c.lower().replace("-", " ") if i % 2 else c for i, c in
                      enumerate(distinct)], dtype=object)  # fmt: skip
    column = pd.Series(typed[rng.integers(0, len(typed), args.rows)], dtype=object)
    t_resolve, out = best(lambda: reg.resolve_column(column), repeat=2)
    small = column.iloc[:100_000]
    t_loop, _ = best(lambda: [reg.resolve(v).code for v in small], repeat=1)
    exact = {c: c for c in typed}
    t_lower, _ = best(lambda: column.map(exact), repeat=2)
    assert isinstance(out, pd.Series)
    assert out.notna().all()

    def rolled_back() -> None:
        try:
            with reg.batch():
                for _ in range(10_000):
                    reg.allocate("product")
                raise RuntimeError
        except RuntimeError:
            pass

    t_rollback, _ = best(rolled_back, repeat=1)
    assert len(reg.find("product")) == 0

    rows = [
        ("fill: allocate in one batch", args.entries, t_fill),
        ("find(label=...) per query, indexed", 1, t_find_q),
        ("label scan over all entries per query", 1, t_scan_q),
        (f"find(attributes=...) ({len(hits):,} hits)", 1, t_attr),  # type: ignore[arg-type]
        ("attribute scan over all entries", 1, t_attr_scan),
        ("resolve_column, 10k distinct", args.rows, t_resolve),
        ("per-row reg.resolve loop", len(small), t_loop),
        ("lower bound: Series.map(exact dict)", args.rows, t_lower),
        ("10k allocations + rollback", 10_000, t_rollback),
    ]
    print(f"registry of {args.entries:,} entries (5 % merged)")
    print(f"{'operation':42s} {'n':>10s} {'seconds':>10s}")
    for name, n, t in rows:
        print(f"{name:42s} {n:>10,d} {t:>10.5f}")
    print(f"\nlabel look-up: scan / indexed = {t_scan_q / t_find_q:,.0f}x")
    print(f"attribute look-up: scan / indexed = {t_attr_scan / t_attr:,.1f}x")
    per_row_loop = t_loop / len(small)
    print(
        f"resolve_column per row: {t_resolve / args.rows * 1e9:,.0f} ns; per-row loop "
        f"{per_row_loop * 1e9:,.0f} ns ({per_row_loop / (t_resolve / args.rows):,.1f}x "
        f"slower); lower bound {t_lower / args.rows * 1e9:,.0f} ns "
        f"(resolve_column / lower bound = {t_resolve / t_lower:,.1f}x)"
    )


if __name__ == "__main__":
    main()
