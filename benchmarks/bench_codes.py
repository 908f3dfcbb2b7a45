"""Benchmark crmkit.codes: vectorised column validation vs a per-row loop; allocation rate.

Run from the repository root (not part of CI):

    PYTHONPATH=src python benchmarks/bench_codes.py [--rows 1000000] [--allocations 100000]

Prints one table with the timings and ratios side by side. Each timing is the best of
several runs (5 for the vectorised call, 2 for the per-row loop) because the benchmark
machine may be shared.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
import pandas as pd

from crmkit.codes import GTIN, CodeRegistry, validate_column


def make_gtins(n: int, seed: int = 2026) -> pd.Series:
    """n GTIN-13 strings with correct check digits, 10 % with a corrupted last digit."""
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, size=(n, 12), dtype=np.int64)
    weights = np.tile([1, 3], 6)
    check = (-(digits @ weights)) % 10
    bad = rng.random(n) < 0.10
    check = np.where(bad, (check + 1) % 10, check)
    matrix = np.concatenate([digits, check[:, None]], axis=1).astype(np.uint8) + 48
    codes = matrix.tobytes().decode("ascii")
    return pd.Series([codes[i * 13 : (i + 1) * 13] for i in range(n)], dtype=object)


def timed(fn: object, *args: object, repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (the machine may be shared) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--allocations", type=int, default=100_000)
    args = parser.parse_args()

    series = make_gtins(args.rows)
    t_vec, out = timed(validate_column, series, GTIN, repeat=5)
    t_loop, flags = timed(lambda s: [GTIN.is_valid(v) for v in s], series, repeat=2)
    assert out["valid"].tolist() == flags  # type: ignore[index]  # same verdicts

    reg = CodeRegistry()
    t_alloc, _ = timed(lambda: [reg.allocate("customer") for _ in range(args.allocations)])

    reg_mt = CodeRegistry()
    per_thread = args.allocations // 4

    def work() -> None:
        for _ in range(per_thread):
            reg_mt.allocate("product")

    threads = [threading.Thread(target=work) for _ in range(4)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_mt = time.perf_counter() - start
    assert len(reg_mt) == 4 * per_thread

    t_rec, records = timed(reg.to_records)
    t_back, _ = timed(CodeRegistry.from_records, records)

    rows = [
        ("validate_column, GTIN, vectorised", args.rows, t_vec, args.rows / t_vec),
        ("GTIN.is_valid per-row loop", args.rows, t_loop, args.rows / t_loop),
        ("CodeRegistry.allocate, 1 thread", args.allocations, t_alloc, args.allocations / t_alloc),
        ("CodeRegistry.allocate, 4 threads", 4 * per_thread, t_mt, 4 * per_thread / t_mt),
        ("CodeRegistry.to_records", args.allocations, t_rec, args.allocations / t_rec),
        ("CodeRegistry.from_records", args.allocations, t_back, args.allocations / t_back),
    ]
    print(f"{'operation':40s} {'n':>10s} {'seconds':>9s} {'per second':>14s}")
    for name, n, t, rate in rows:
        print(f"{name:40s} {n:>10,d} {t:>9.3f} {rate:>14,.0f}")
    print(f"\nvectorised / per-row speed-up on {args.rows:,} GTINs: {t_loop / t_vec:.1f}x")
    print(f"invalid GTINs found: {int((~out['valid']).sum()):,}")  # type: ignore[index]


if __name__ == "__main__":
    main()
