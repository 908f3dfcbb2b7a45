"""Benchmark: Kaplan-Meier and life tables on a million customers.

Run from the repository root (not in CI)::

    PYTHONPATH=src python benchmarks/bench_survival.py               # 1M customers
    PYTHONPATH=src python benchmarks/bench_survival.py --rows 1e5

Two data shapes: *best case* whole-month tenures 0..72 (73 distinct times, like the Telco
sample) and *worst case* all-distinct float tenures (one table row per customer). Each
prints the best of ``--repeat`` runs, side by side:

* ``crmkit`` — :func:`crmkit.survival.kaplan_meier` (validation included; with 3 groups
  and with left truncation too) and :func:`crmkit.survival.life_table`;
* ``lifelines`` — ``KaplanMeierFitter().fit`` on the same arrays (the test-time peer;
  skipped if not installed); per group, one fit per group;
* ``floor`` — a lower bound for any exact estimator: one ``np.sort`` of the tenures (the
  risk sets need the tenures in order).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best

from crmkit.survival import kaplan_meier, life_table


def make_data(n: int, *, distinct: bool, seed: int = 0) -> pd.DataFrame:
    """Exponential lifetimes (mean 40 months) censored by uniform observation windows."""
    rng = np.random.default_rng(seed)
    life = rng.exponential(40.0, n)
    window = rng.uniform(0.0, 72.0, n)
    tenure = np.minimum(life, window)
    if not distinct:
        tenure = np.floor(tenure)
    return pd.DataFrame(
        {
            "tenure": tenure,
            "churned": life <= window,
            "entry": np.floor(tenure * rng.uniform(0.0, 1.0, n) * (rng.uniform(size=n) < 0.3)),
            "plan": rng.choice(np.array(["monthly", "one year", "two year"]), n),
        }
    )


def floor_km(df: pd.DataFrame) -> Any:
    return np.sort(df["tenure"].to_numpy())


def lifelines_runs() -> dict[str, Callable[[pd.DataFrame], Any]] | None:
    try:
        from lifelines import KaplanMeierFitter
    except ImportError:
        return None

    def whole(df: pd.DataFrame) -> Any:
        return KaplanMeierFitter().fit(df["tenure"], df["churned"])

    def grouped(df: pd.DataFrame) -> Any:
        return [
            KaplanMeierFitter().fit(part["tenure"], part["churned"])
            for _, part in df.groupby("plan")
        ]

    def truncated(df: pd.DataFrame) -> Any:
        return KaplanMeierFitter().fit(df["tenure"], df["churned"], entry=df["entry"])

    return {"kaplan_meier": whole, "by 3 groups": grouped, "left truncated": truncated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = int(args.rows)
    peers = lifelines_runs()
    crmkit_runs: dict[str, Callable[[pd.DataFrame], Any]] = {
        "kaplan_meier": lambda df: kaplan_meier(df),
        "by 3 groups": lambda df: kaplan_meier(df, group_col="plan"),
        "left truncated": lambda df: kaplan_meier(df, entry_col="entry"),
        "life_table (months)": lambda df: life_table(df, breaks=1.0),
    }
    print(f"{n:,} customers, best of {args.repeat}; seconds and ratio to the numpy floor")
    print(f"{'case':<12} {'call':<20} {'crmkit':>8} {'lifelines':>10} {'floor':>8} "
          f"{'crmkit/floor':>13} {'lifelines/crmkit':>17}")  # fmt: skip
    for case, distinct in (("best", False), ("worst", True)):
        df = make_data(n, distinct=distinct)
        t_floor, _ = best(partial(floor_km, df), args.repeat)
        for name, run in crmkit_runs.items():
            t_ck, _ = best(partial(run, df), args.repeat)
            t_ll = float("nan")
            if peers is not None and name in peers:
                t_ll, _ = best(partial(peers[name], df), 1 if distinct else args.repeat)
            print(
                f"{case:<12} {name:<20} {t_ck:8.3f} {t_ll:10.3f} {t_floor:8.3f} "
                f"{t_ck / t_floor:13.1f} {t_ll / t_ck:17.1f}"
            )
    started = time.perf_counter()
    km = kaplan_meier(make_data(n, distinct=False))
    print(f"check: S(72) = {km.survival_at(72):.4f} ({time.perf_counter() - started:.2f} s)")


if __name__ == "__main__":
    main()
