"""Fit time of the beta-discrete-Weibull model against the sBG on large individual data.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_bdw.py

Simulates one row per customer (1,000,000 customers, 36 monthly periods, BdW with
alpha 0.8, beta 2.5 and c = 0.7, 1.0, 1.4), fits both families from the rows (the
reader compresses them to counts per period first) and prints the best of three wall
times and the BdW/sBG ratio, which is what to compare between machines and commits.
Also times the Fader & Hardie (2007) cohorts (survivor counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best

from crmkit.clv import BetaDiscreteWeibull, ShiftedBetaGeometric

N_CUSTOMERS = 1_000_000
HORIZON = 36


def rows(c: float, seed: int) -> pd.DataFrame:
    sim = BetaDiscreteWeibull(alpha=0.8, beta=2.5, c=c).simulate(
        N_CUSTOMERS, HORIZON, np.random.default_rng(seed)
    )
    tenure = sim["periods_survived"] + sim["churned"].astype(np.int64)
    return pd.DataFrame({"tenure": tenure, "churned": sim["churned"]})


def main() -> None:
    print(f"{'data':<28}{'BdW s':>9}{'sBG s':>9}{'ratio':>8}  BdW estimates")
    for c in (0.7, 1.0, 1.4):
        data = rows(c, seed=int(c * 10))
        t_bdw, fit = best(lambda d=data: BetaDiscreteWeibull.fit(d, tenure_counts="completed"))
        t_sbg, _ = best(lambda d=data: ShiftedBetaGeometric.fit(d, tenure_counts="completed"))
        est = {k: round(v, 3) for k, v in fit.params.items()}  # type: ignore[attr-defined]
        print(f"{f'1M rows, c = {c}':<28}{t_bdw:>9.3f}{t_sbg:>9.3f}{t_bdw / t_sbg:>8.2f}  {est}")
    for name, counts in {
        "FH 2007 regular, 0-7": [1000, 631, 468, 382, 326, 289, 262, 241],
        "FH 2007 high end, 0-7": [1000, 869, 743, 653, 593, 551, 517, 491],
    }.items():
        t_bdw, _ = best(lambda n=counts: BetaDiscreteWeibull.fit(n))
        t_sbg, _ = best(lambda n=counts: ShiftedBetaGeometric.fit(n))
        print(f"{name:<28}{t_bdw:>9.3f}{t_sbg:>9.3f}{t_bdw / t_sbg:>8.2f}")


if __name__ == "__main__":
    main()
