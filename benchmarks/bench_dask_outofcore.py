"""Benchmark: the summary -> fit -> CLV chain out of core on dask.distributed vs pandas.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_dask_outofcore.py --rows 500000000
        --customers 20000000 [--workers 2] [--memory-limit 3GiB] [--pandas]
        [--folder DIR] [--keep]

1. *Write* a partitioned Parquet log in chunks of ``--chunk-customers`` customers (each
   chunk generated, written and freed, so the writer's memory does not grow with the
   log): first purchases over the first year, gamma purchase rates, exponential
   lifetimes, two years of purchases with times of day, gamma amounts around a
   gamma-distributed level per customer. Rows are shuffled within each file.
2. *Chain on dask*: a LocalCluster of ``--workers`` processes (one thread each, with
   ``--memory-limit`` each, spilling to disk beyond it) reads the folder;
   ``rfm_summary`` (one validating scan, a peer-to-peer shuffle by customer, the pandas
   core per partition) is written to Parquet; BG/NBD and Gamma-Gamma are fitted from
   the distinct rows counted on the cluster; ``customer_lifetime_value`` (12 months of
   weeks at 1 % per week) is written to Parquet.
3. With ``--pandas``: the same chain on pandas (the whole log read into memory), and
   the ratio dask / pandas from this one run.

Peak memory is the largest sum of the resident memory of this process and all of its
children (the scheduler runs in this process, the workers are its children), sampled
every 0.2 s. Times are wall clock on a possibly shared machine; the figure that scales
is the time per 100M rows.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HORIZON_WEEKS = 52
RATE = 0.01
OPTIONS: dict[str, Any] = {"monetary_value_col": "amount", "time_unit": "W", "period": "D"}


def write_log(folder: Path, customers: int, rows: int, chunk: int, seed: int) -> int:
    """Write the log in chunks of ``chunk`` customers; return the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    per_customer = max(rows / customers - 1.0, 0.0)  # mean repeat purchases wanted
    total = 0
    for number, start in enumerate(range(0, customers, chunk)):
        rng = np.random.default_rng([seed, number])
        n = min(chunk, customers - start)
        first = rng.uniform(0, 365, size=n)
        life = rng.exponential(1 / rng.gamma(0.7, 1 / 150, size=n))
        span = np.minimum(life, 730 - first)
        # mean repeats of rate * span: E[rate] * E[span] scaled to per_customer
        rate = rng.gamma(0.8, 1.0, size=n) * per_customer / (0.8 * max(span.mean(), 1e-9))
        repeats = rng.poisson(rate * span)
        owner = np.repeat(np.arange(n), repeats)
        offsets = np.concatenate(
            [first, first[owner] + rng.uniform(0, 1, owner.size) * span[owner]]
        )
        local = np.concatenate([np.arange(n), owner])
        level = rng.gamma(4.0, 3.0, size=n)
        frame = pd.DataFrame(
            {
                "customer_id": (start + local).astype(np.int64) * 7 + 11,
                "datetime": pd.Timestamp("2023-01-01")
                + pd.to_timedelta(np.round(offsets * 86_400), unit="s"),
                "amount": np.round(rng.gamma(3.0, level[local]), 2) + 0.01,
            }
        )
        frame = frame.iloc[rng.permutation(len(frame))]
        frame.to_parquet(folder / f"part-{number:05d}.parquet", index=False, row_group_size=2**20)
        total += len(frame)
        del frame, offsets, owner, local
    return total


class PeakMemory:
    """Largest summed RSS of this process and its children, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for proc in [self.process, *self.process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker may just have exited
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def chain_dask(folder: Path, out: Path, workers: int, memory_limit: str) -> dict[str, float]:
    import dask
    import dask.dataframe as dd
    import distributed

    from crmkit import rfm_summary
    from crmkit.clv import BetaGeo, GammaGamma, customer_lifetime_value

    times: dict[str, float] = {}
    with (
        dask.config.set({"dataframe.shuffle.method": "p2p"}),
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            dashboard_address=":0",
            local_directory=str(out / "spill"),
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster),
    ):
        log = dd.read_parquet(str(folder / "*.parquet"))
        start = time.perf_counter()
        rfm_summary(log, **OPTIONS).to_parquet(str(out / "summary"))
        times["summary"] = time.perf_counter() - start
        summary = dd.read_parquet(str(out / "summary"))
        start = time.perf_counter()
        bg = BetaGeo.fit(summary, time_unit="W").model  # Parquet does not keep the unit
        gg = GammaGamma.fit(summary).model
        times["fit"] = time.perf_counter() - start
        start = time.perf_counter()
        clv = customer_lifetime_value(
            bg, gg, summary, horizon=HORIZON_WEEKS, time_unit="W", discount_rate=RATE
        )
        clv.to_frame().to_parquet(str(out / "clv"))
        times["clv"] = time.perf_counter() - start
    return times


def chain_pandas(folder: Path) -> dict[str, float]:
    from crmkit import rfm_summary
    from crmkit.clv import BetaGeo, GammaGamma, customer_lifetime_value

    times: dict[str, float] = {}
    start = time.perf_counter()
    log = pd.read_parquet(folder)
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    summary = rfm_summary(log, **OPTIONS)
    times["summary"] = time.perf_counter() - start
    del log
    start = time.perf_counter()
    bg = BetaGeo.fit(summary).model
    gg = GammaGamma.fit(summary).model
    times["fit"] = time.perf_counter() - start
    start = time.perf_counter()
    customer_lifetime_value(
        bg, gg, summary, horizon=HORIZON_WEEKS, time_unit="W", discount_rate=RATE
    )
    times["clv"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--chunk-customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GiB")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--pandas", action="store_true", help="also run the pandas chain")
    parser.add_argument("--keep", action="store_true", help="keep the written files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    root = args.folder or Path(tempfile.mkdtemp(prefix="crmkit-dask-bench-"))
    try:
        start = time.perf_counter()
        rows = write_log(root / "log", args.customers, args.rows, args.chunk_customers, args.seed)
        size = sum(f.stat().st_size for f in (root / "log").glob("*.parquet")) / 2**30
        print(
            f"wrote {rows:,} rows of {args.customers:,} customers ({size:.2f} GiB Parquet) "
            f"in {time.perf_counter() - start:.0f}s"
        )
        with PeakMemory() as mem:
            times = chain_dask(root / "log", root, args.workers, args.memory_limit)
        total = sum(times.values())
        print(
            f"dask ({args.workers} workers x {args.memory_limit}): "
            + ", ".join(f"{k} {v:.1f}s" for k, v in times.items())
            + f"; total {total:.1f}s = {total / rows * 1e8:.0f}s per 100M rows; "
            f"peak memory {mem.peak / 2**30:.2f} GiB (driver + scheduler + workers)"
        )
        if args.pandas:
            with PeakMemory() as pmem:
                ptimes = chain_pandas(root / "log")
            ptotal = sum(ptimes.values())
            print(
                "pandas: "
                + ", ".join(f"{k} {v:.1f}s" for k, v in ptimes.items())
                + f"; total {ptotal:.1f}s = {ptotal / rows * 1e8:.0f}s per 100M rows; "
                f"peak memory {pmem.peak / 2**30:.2f} GiB"
            )
            print(f"ratio dask / pandas (time): {total / ptotal:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
