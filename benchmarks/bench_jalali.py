"""Benchmark crmkit.jalali: vectorised Gregorian -> Solar Hijri conversion.

Run from the repository root (not part of CI):

    PYTHONPATH=src python benchmarks/bench_jalali.py [--rows 1000000] [--loop-rows 20000]

Compares, on the same random dates (1900-2100):

* crmkit: ``to_jalali`` on a DatetimeIndex (validation, table look-up, frame build);
* numpy floor: datetime64 -> day codes and one ``searchsorted`` in the Nowruz table, the
  least any table method must do (no checks, no month/day arithmetic, no frame);
* a pure-Python loop: ``to_jalali`` called on one Timestamp at a time;
* jdatetime 6.1.1 (PyPI), ``jdatetime.date.fromgregorian`` in a loop, in its own venv
  (see ``_peers.py``); its answers are compared with crmkit's.

Each timing is the best of several runs because the machine may be shared; loops run on
``--loop-rows`` dates and are scaled per date.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _peers import peer_python

from crmkit import _jalali, jalali

PEER_SCRIPT = r"""
import sys, time, datetime as dt
import jdatetime
dates = [dt.date.fromisoformat(line) for line in open(sys.argv[1]).read().split()]
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    out = [jdatetime.date.fromgregorian(date=d) for d in dates]
    best = min(best, time.perf_counter() - start)
print(best)
for j in out:
    print(j.year, j.month, j.day)
"""


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loop-rows", type=int, default=20_000)
    args = parser.parse_args()

    rng = np.random.default_rng(2026)
    lo = np.datetime64("1900-01-01", "D").astype(np.int64)
    hi = np.datetime64("2100-12-31", "D").astype(np.int64)
    days = rng.integers(lo, hi + 1, args.rows)
    idx = pd.DatetimeIndex(days.astype("M8[D]").astype("M8[ns]"))

    t_ck, frame = timed(lambda: jalali.to_jalali(idx), 5)
    starts, _ = _jalali.year_table()

    def floor() -> Any:
        d = idx.to_numpy().astype("M8[D]").astype(np.int64)
        return np.searchsorted(starts, d, side="right")

    t_np, _ = timed(floor, 5)
    few = idx[: args.loop_rows]
    t_loop, tuples = timed(lambda: [jalali.to_jalali(ts) for ts in few], 2)
    assert [tuple(t) for t in tuples] == [tuple(r) for r in frame.to_numpy()[: len(few)]]

    per = 1e9 / args.rows
    per_loop = 1e9 / len(few)
    rows = [
        ("crmkit to_jalali (vectorised)", t_ck * per, 1.0),
        ("numpy floor (day codes + searchsorted)", t_np * per, t_np / t_ck),
        (
            "pure-Python loop (to_jalali per Timestamp)",
            t_loop * per_loop,
            t_loop * per_loop / (t_ck * per),
        ),
    ]
    peer = peer_python("jdatetime")
    agree = "peer not run"
    if peer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "dates.txt"
            path.write_text("\n".join(str(d.date()) for d in few))
            done = subprocess.run(
                [str(peer), "-c", PEER_SCRIPT, str(path)],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
        lines = done.stdout.split("\n")
        t_peer = float(lines[0])
        got = np.array([[int(x) for x in ln.split()] for ln in lines[1 : 1 + len(few)]])
        same = (got == frame.to_numpy()[: len(few)]).all(axis=1)
        agree = f"jdatetime agrees with crmkit on {int(same.sum())} of {len(few)} dates"
        rows.append(("jdatetime 6.1.1 loop", t_peer * per_loop, t_peer * per_loop / (t_ck * per)))
    print(f"{args.rows:,} dates 1900-2100 (loops on {len(few):,})")
    print(f"{'method':<46}{'ns per date':>14}{'x crmkit':>12}")
    for name, ns, ratio in rows:
        print(f"{name:<46}{ns:>14.1f}{ratio:>12.2f}")
    print(agree)


if __name__ == "__main__":
    main()
