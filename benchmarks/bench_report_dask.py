"""Benchmark: ``crmkit report`` on partitioned Parquet, dask engine vs pandas engine.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_report_dask.py --rows 5000000 --customers 250000
        [--workers 2] [--memory-limit 3GiB] [--folder DIR] [--keep]

Writes a synthetic log (the writer of ``bench_dask_outofcore.py``: gamma purchase rates,
exponential lifetimes, two years of timestamps, gamma amounts) as Parquet files, then
runs the command twice from one process: ``--engine pandas`` on one file holding the
same rows in file order, and ``--engine dask`` on the folder (a LocalCluster the command
starts and stops). Prints each run's wall clock, its slowest phases, the ratio dask /
pandas and whether the two headline tables are equal. The wall clock includes starting
the cluster; on a shared machine compare the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_dask_outofcore import write_log

from crmkit.__main__ import main


def run(argv: list[str]) -> tuple[float, str]:
    """Wall clock of one command and its last output line (the slowest phases)."""
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"crmkit report failed with status {code}")
    return elapsed, out.getvalue().strip().splitlines()[-1]


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--customers", type=int, default=250_000)
    parser.add_argument("--chunk-customers", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GiB")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the written files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    root = args.folder or Path(tempfile.mkdtemp(prefix="crmkit-report-bench-"))
    try:
        rows = write_log(root / "log", args.customers, args.rows, args.chunk_customers, args.seed)
        files = sorted((root / "log").glob("*.parquet"))
        pd.concat([pd.read_parquet(f) for f in files]).to_parquet(root / "all.parquet")
        common = ["report", "--amount-col", "amount", "--no-figures", "--quiet"]
        print(f"{rows:,} rows of {args.customers:,} customers in {len(files)} Parquet files")
        t_pd, slow_pd = run(
            [*common, "--input", str(root / "all.parquet"), "--output", str(root / "pd")]
        )
        print(f"pandas engine: {t_pd:.1f}s ({slow_pd})")
        t_dk, slow_dk = run(
            [*common, "--input", str(root / "log"), "--engine", "dask",
             "--workers", str(args.workers), "--memory-limit", args.memory_limit,
             "--output", str(root / "dk")]
        )  # fmt: skip
        print(
            f"dask engine ({args.workers} workers x {args.memory_limit}): {t_dk:.1f}s ({slow_dk})"
        )
        print(f"ratio dask / pandas (time): {t_dk / t_pd:.2f}")
        a = pd.read_csv(root / "pd" / "headline.csv")
        b = pd.read_csv(root / "dk" / "headline.csv")
        x = pd.to_numeric(a["exact"], errors="coerce")
        y = pd.to_numeric(b["exact"], errors="coerce")
        near = ((x - y).abs() <= 1e-12 * x.abs()).where(x.notna(), a["exact"] == b["exact"])
        same = bool(near.all()) and a["value"].equals(b["value"])
        print(f"headline figures equal (to 1e-12 relative): {same}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main_bench()
