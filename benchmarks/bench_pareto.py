"""Benchmark: Pareto shares, Lorenz curve and Gini on 10M values vs one ``np.sort``.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_pareto.py [--n 10000000] [--repeat 3]

Each timing is the best of ``repeat`` runs. The target is "within 3x of a single
np.sort of the same values": an analysis cannot avoid ordering the values once.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from crmkit.pareto import concentration


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    values = np.random.default_rng(0).lognormal(3.0, 1.2, args.n)

    def full() -> object:
        c = concentration(values)
        return (c.top_share(0.2), c.share_for(0.8), c.gini, c.lorenz(points=1001))

    def with_curve() -> object:
        c = concentration(values)
        return (c.top_share(0.2), c.share_for(0.8), c.gini, c.lorenz())

    rows = {
        "np.sort (reference)": best(lambda: np.sort(values), args.repeat),
        "concentration() only": best(lambda: concentration(values), args.repeat),
        "top_share+share_for+gini+lorenz(1001 pts)": best(full, args.repeat),
        "... with the full n+1 point Lorenz curve": best(with_curve, args.repeat),
        "concentration() + abc() classes": best(lambda: concentration(values).abc(), args.repeat),
    }
    base = rows["np.sort (reference)"]
    print(f"Pareto/Lorenz/Gini on {args.n:,} values (best of {args.repeat})")
    print(f"{'operation':<45}{'seconds':>10}{'x np.sort':>11}")
    for name, sec in rows.items():
        print(f"{name:<45}{sec:>10.3f}{sec / base:>11.2f}")


if __name__ == "__main__":
    main()
