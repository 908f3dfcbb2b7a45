"""Coverage of crmkit's intervals on aggregates, on data simulated from known parameters.

For each of ``--sets`` data sets (default 200): draw ``--customers`` BG/NBD customers from
the CDNOW parameters of Fader, Hardie & Lee (2005, Table 1) with this script's own
generator (purchase times of a Poisson process, dropout after each purchase; it does not
use crmkit's simulator), observed for T ~ U(26, 52) weeks and then for a 39-week holdout.
Fit BG/NBD on the calibration summary and check whether each interval holds the quantity
it claims to cover:

- ``aggregate_interval`` of the whole base's expected holdout purchases,
  sum_i E[X_i(39) | history_i]: holds the value at the TRUE parameters?
- ``aggregate_interval`` of a cohort of 1,000 new customers' expected purchases over
  52 weeks, 1000 * E[X(52)]: holds the value at the true parameters?
- ``predictive_interval`` of the base's holdout purchases: holds the purchases the
  simulated customers actually made in the holdout?

Run: ``PYTHONPATH=src python benchmarks/coverage_aggregate_intervals.py [--sets 200]``.
Minutes on one core; the result table goes into docs/howto/forecasts-and-intervals.rst.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from crmkit import clv
from crmkit.clv.aggregates import aggregate_interval, predictive_interval
from crmkit.exceptions import BoundaryWarning

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
HOLDOUT = 39.0
LEVELS = (0.95,)


def simulate_bgnbd(
    n: int, rng: np.random.Generator, *, holdout: float = HOLDOUT
) -> tuple[pd.DataFrame, np.ndarray]:
    """BG/NBD histories (calibration summary) and holdout purchase counts, by hand."""
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], size=n)
    p = rng.beta(TRUE["a"], TRUE["b"], size=n)
    T = rng.uniform(26.0, 52.0, size=n)
    x = np.zeros(n)
    tx = np.zeros(n)
    hold = np.zeros(n)
    for i in range(n):
        end = T[i] + holdout
        times = np.sort(rng.uniform(0.0, end, size=rng.poisson(lam[i] * end)))
        for k in range(times.size):  # the customer may drop out after each purchase
            if rng.random() < p[i]:
                times = times[: k + 1]
                break
        cal = times[times <= T[i]]
        x[i] = cal.size
        tx[i] = cal[-1] if cal.size else 0.0
        hold[i] = times.size - cal.size
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    summary.attrs["crmkit_time_unit"] = "W"
    return summary, hold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=200)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--draws", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    true = clv.BetaGeo(**TRUE, time_unit="W")
    hits = {name: dict.fromkeys(LEVELS, 0) for name in ("base", "cohort", "predictive")}
    widths: dict[str, list[float]] = {"base": [], "predictive": []}
    done = 0
    no_interval = 0
    start = time.perf_counter()
    for k in range(args.sets):
        summary, hold = simulate_bgnbd(args.customers, rng)
        with warnings.catch_warnings():  # a boundary fit is counted below, not printed
            warnings.simplefilter("ignore", BoundaryWarning)
            fit = clv.BetaGeo.fit(summary)
        done += 1
        if not np.all(np.isfinite(np.asarray(fit.covariance))):
            no_interval += 1  # no standard errors: no interval, counted as a miss
            continue

        def base(m: clv.BetaGeo, s: pd.DataFrame = summary) -> pd.Series:
            return m.conditional_expected_purchases(s, t=HOLDOUT)

        def cohort(m: clv.BetaGeo) -> float:
            return 1000.0 * float(m.expected_purchases(52.0))

        truth_base = float(base(true).sum())
        truth_cohort = cohort(true)
        for lv in LEVELS:
            ci = aggregate_interval(fit, base, level=lv, n_draws=args.draws, rng=k)
            hits["base"][lv] += truth_base in ci
            ci_c = aggregate_interval(fit, cohort, level=lv, n_draws=args.draws, rng=k)
            hits["cohort"][lv] += truth_cohort in ci_c
            pi = predictive_interval(fit, summary, t=HOLDOUT, level=lv, n_draws=args.draws,
                                     rng=k)  # fmt: skip
            hits["predictive"][lv] += float(hold.sum()) in pi
            if lv == 0.95:
                widths["base"].append(ci.width / ci.estimate)
                widths["predictive"].append(pi.width / pi.estimate)
        if done % 20 == 0:
            cover = hits["base"][0.95] / done
            print(
                f"{done} sets, {time.perf_counter() - start:.0f} s, base {cover:.1%}", flush=True
            )
    print(
        f"\n{done} data sets of {args.customers} customers, {args.draws} parameter draws, "
        f"seed {args.seed}, {time.perf_counter() - start:.0f} s"
    )
    print("interval                                 " + "  ".join(f"{lv:.0%}" for lv in LEVELS))
    names = {
        "base": "expected holdout purchases of the base",
        "cohort": "expected 52-week purchases, new cohort",
        "predictive": "realised holdout purchases (predictive)",
    }
    for key, label in names.items():
        print(f"{label:<41}" + "  ".join(f"{hits[key][lv] / done:.1%}" for lv in LEVELS))
    print(f"fits without standard errors (counted as misses): {no_interval}")
    for key, values in widths.items():
        print(f"median relative width of the 95% {key} interval: {np.median(values):.3f}")


if __name__ == "__main__":
    main()
