"""Benchmark: crmkit.rfm_summary vs lifetimes vs a hand-written numpy lower bound.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_rfm_summary.py [--rows 10000000]
        [--customers 1000000]

Two lower bounds: ``numpy`` gets dense customer codes and day numbers for free (the
reductions alone); ``numpy_raw`` starts from the same raw arrays as crmkit and encodes the
ids with ``np.unique(return_inverse=True)``.

Synthetic log: ``rows`` transactions of ``customers`` customers with sparse int64 ids
(drawn from 1..10^9, so ids must be hashed), times uniformly over two years (ns), gamma
amounts. The data are written once to a temporary .npz; each contender then runs in its
own subprocess, which loads the data, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), runs once, and reports wall and CPU time (CPU time is the
steadier figure on a shared machine; everything is single-threaded) and the peak resident
memory *added* by the call (VmHWM - RSS before). lifetimes runs in its own venv (it
needs pandas < 3) and is skipped when that interpreter is missing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python

DAY_NS = 86_400 * 10**9


def make_data(path: Path, rows: int, customers: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    ids = rng.choice(10**9, size=customers, replace=False).astype(np.int64) + 1
    who = ids[rng.integers(0, customers, rows)]
    start = np.datetime64("2022-01-01", "ns").astype(np.int64)
    ns = start + rng.integers(0, 730 * DAY_NS, rows)
    amount = rng.gamma(2.0, 20.0, rows)
    np.savez(path, ids=who, ns=ns, amount=amount)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)  # pragma: no cover


def _measure(fn: object) -> dict[str, float]:
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]  # a zero-argument callable
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status_kb("VmHWM")
    return {"seconds": seconds, "cpu": cpu, "peak_mb": (peak - before) / 1024}


def numpy_lower_bound(
    cust: np.ndarray, day: np.ndarray, amount: np.ndarray, n: int, end: int
) -> tuple[np.ndarray, ...]:
    """Minimal numpy work for frequency/recency/T/monetary from dense codes and day ints."""
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, cust, day)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, cust, day)
    key = cust * (end + 1) + day
    key.sort()
    new = np.empty(key.size, bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    periods = np.bincount(key[new] // (end + 1), minlength=n)
    rep = day != first[cust]
    spend = np.bincount(cust[rep], amount[rep], minlength=n)
    freq = periods - 1
    mon = np.divide(spend, freq, out=np.zeros(n), where=freq > 0)
    return freq, last - first, end - first, mon


def worker(kind: str, path: str) -> None:
    data = np.load(path)
    ids, ns, amount = data["ids"], data["ns"], data["amount"]
    if kind == "numpy":
        # the lower bound gets dense customer codes and day numbers for free
        _, cust = np.unique(ids, return_inverse=True)
        day = ns // DAY_NS
        day -= day.min()
        n, end = int(cust.max()) + 1, int(day.max())
        del ids, ns
        result = _measure(lambda: numpy_lower_bound(cust, day, amount, n, end))
    elif kind == "numpy_raw":
        # the same from the raw arrays: ids encoded with np.unique, days by floor division

        def raw() -> object:
            _, codes = np.unique(ids, return_inverse=True)
            days = ns // DAY_NS
            first_day = int(days.min())
            days -= first_day
            return numpy_lower_bound(codes, days, amount, int(codes.max()) + 1, int(days.max()))

        result = _measure(raw)
    else:
        import pandas as pd

        frame = pd.DataFrame(
            {"customer_id": ids, "datetime": ns.view("M8[ns]"), "amount": amount}, copy=False
        )
        del ids, ns, amount, data
        if kind == "crmkit":
            from crmkit.transactions import rfm_summary

            def run() -> object:
                return rfm_summary(frame, amount_col="amount")
        else:
            from lifetimes.utils import (  # type: ignore[import-not-found]
                summary_data_from_transaction_data,
            )

            def run() -> object:
                return summary_data_from_transaction_data(
                    frame, "customer_id", "datetime", monetary_value_col="amount"
                )

        result = _measure(run)
    print(json.dumps(result))


def _run(python: str, kind: str, path: Path, env_src: bool) -> dict[str, float] | None:
    env = None
    if env_src:
        import os

        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    proc = subprocess.run(
        [python, __file__, "--worker", kind, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        print(f"{kind}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--lifetimes-python", default=None, help="peer interpreter (default: _peers.py)"
    )
    parser.add_argument(
        "--only", choices=["crmkit", "numpy", "numpy_raw", "lifetimes"], action="append"
    )
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "PATH"))
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    kinds = args.only or ["numpy", "numpy_raw", "crmkit", "lifetimes"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.npz"
        make_data(path, args.rows, args.customers)
        results: dict[str, dict[str, float] | None] = {}
        for kind in kinds:
            if kind == "lifetimes":
                peer = args.lifetimes_python or peer_python("lifetimes")
                if peer is None:
                    print("lifetimes: not available, skipped", file=sys.stderr)
                    continue
                results[kind] = _run(str(peer), kind, path, env_src=False)
            else:
                results[kind] = _run(sys.executable, kind, path, env_src=True)
    print(f"rfm_summary: {args.rows:,} transactions, {args.customers:,} customers")
    print(f"{'contender':<12}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'CPU / crmkit':>14}")
    base = results.get("crmkit")
    for kind, res in results.items():
        if res is None:
            continue
        ratio = res["cpu"] / base["cpu"] if base else float("nan")
        print(
            f"{kind:<12}{res['seconds']:>9.2f}{res['cpu']:>9.2f}{res['peak_mb']:>9.0f}"
            f"{ratio:>14.2f}"
        )
    for bound in ("numpy", "numpy_raw"):
        lb = results.get(bound)
        if base and lb:
            print(
                f"crmkit / {bound} lower bound: CPU {base['cpu'] / lb['cpu']:.2f}, "
                f"wall {base['seconds'] / lb['seconds']:.2f}"
            )
    if base and results.get("lifetimes"):
        lt = results["lifetimes"]
        assert lt is not None
        print(
            f"lifetimes / crmkit: CPU {lt['cpu'] / base['cpu']:.1f}x, "
            f"wall {lt['seconds'] / base['seconds']:.1f}x"
        )
        print(f"crmkit / lifetimes peak memory: {base['peak_mb'] / lt['peak_mb']:.2f}")
    if base:
        per_row = base["peak_mb"] * 2**20 / args.rows
        print(f"crmkit peak bytes per row (beyond the input frame): {per_row:.0f}")


if __name__ == "__main__":
    main()
