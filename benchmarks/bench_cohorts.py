"""Benchmark: cohort retention table and stage assignment on a large transaction log.

Run from the repository root (not in CI)::

    PYTHONPATH=src python benchmarks/bench_cohorts.py            # 10M rows, 1M customers
    PYTHONPATH=src python benchmarks/bench_cohorts.py --rows 1e6 --customers 1e5 --dask

Prints one table of timings with ratios side by side:

* ``crmkit`` — :func:`crmkit.lifecycle.cohort_retention` and
  :func:`crmkit.lifecycle.assign_stages` (pandas path);
* ``naive pandas`` — the textbook pandas recipe (``dt.to_period`` + ``groupby().nunique()``
  for cohorts; ``groupby().agg`` with a per-day ``nunique`` for the stage features);
* ``floor`` — a lower bound: the unavoidable work of mapping the ids to 0..n-1 (one O(n)
  pass for integer ids) plus one group-by pass (``np.bincount``) over the rows;
* optionally the same crmkit calls on a local dask DataFrame (``--dask``).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from crmkit.lifecycle import SOWALSKIE, AssignmentRules, assign_stages, cohort_retention
from crmkit.transactions._prep import encode_ids


def make_log(n_rows: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic log: ids uniform over customers, times uniform over three years."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01-01T00:00:00", "s").astype(np.int64)
    seconds = rng.integers(0, 3 * 365 * 86_400, n_rows)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, n_customers, n_rows),
            "datetime": pd.to_datetime((start + seconds) * 10**9),
            "monetary": rng.gamma(2.0, 20.0, n_rows),
        }
    )


def timed(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def naive_cohorts(tx: pd.DataFrame) -> pd.DataFrame:
    p = tx["datetime"].dt.to_period("M")
    first = p.groupby(tx["customer_id"]).transform("min")
    k = p.array.asi8 - first.array.asi8
    frame = pd.DataFrame({"cohort": first, "k": k, "cid": tx["customer_id"]})
    active = frame.groupby(["cohort", "k"])["cid"].nunique()
    return active.unstack("k")  # noqa: PD010 - the textbook recipe being measured


def naive_features(tx: pd.DataFrame, as_of: str) -> pd.DataFrame:
    t = tx[tx["datetime"] <= as_of]
    return (
        t.assign(day=t["datetime"].dt.floor("D"))
        .groupby("customer_id")
        .agg(
            n=("day", "nunique"),
            spend=("monetary", "sum"),
            first=("datetime", "min"),
            last=("datetime", "max"),
        )
    )


def floor(tx: pd.DataFrame) -> None:
    codes, uniq = encode_ids(tx["customer_id"])  # the fastest id -> 0..n-1 mapping we have
    np.bincount(codes, weights=tx["monetary"].to_numpy(), minlength=len(uniq))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dask", action="store_true", help="also time a local dask run")
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    n_rows, n_cust = int(args.rows), int(args.customers)
    t0 = time.perf_counter()
    tx = make_log(n_rows, n_cust)
    print(f"log: {n_rows:,} rows, {tx['customer_id'].nunique():,} customers "
          f"(built in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
    as_of = "2023-06-30"
    rules = AssignmentRules(inactivity=6, inactivity_unit="M")
    rows: list[tuple[str, float, float, float | None]] = []

    t_floor = timed(lambda: floor(tx), args.repeat)
    t_coh = timed(lambda: cohort_retention(tx, period="M"), args.repeat)
    t_coh_naive = timed(lambda: naive_cohorts(tx), args.repeat)
    rows.append(("cohort_retention (M)", t_coh, t_coh_naive, None))
    t_st = timed(lambda: assign_stages(tx, as_of=as_of, model=SOWALSKIE, rules=rules), args.repeat)
    t_st_naive = timed(lambda: naive_features(tx, as_of), args.repeat)
    rows.append(("assign_stages (Sowalskie)", t_st, t_st_naive, None))

    if args.dask:
        import dask
        import dask.dataframe as dd

        ddf = dd.from_pandas(tx, npartitions=args.partitions).persist()
        with dask.config.set(scheduler="threads"):
            t_dc = timed(lambda: cohort_retention(ddf, period="M"), args.repeat)
            t_ds = timed(
                lambda: assign_stages(ddf, as_of=as_of, model=SOWALSKIE, rules=rules),
                args.repeat,
            )
        rows[0] = (*rows[0][:3], t_dc)
        rows[1] = (*rows[1][:3], t_ds)

    print(f"floor (id codes + one bincount pass): {t_floor:.2f} s\n")
    head = f"{'operation':<28}{'crmkit':>9}{'naive pd':>10}{'speed-up':>10}{'x floor':>9}"
    head += f"{'dask':>9}" if args.dask else ""
    print(head)
    print("-" * len(head))
    for name, mine, naive, dsk in rows:
        line = f"{name:<28}{mine:>8.2f}s{naive:>9.2f}s{naive / mine:>9.1f}x{mine / t_floor:>8.1f}x"
        if dsk is not None:
            line += f"{dsk:>8.2f}s"
        print(line)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the whole run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
