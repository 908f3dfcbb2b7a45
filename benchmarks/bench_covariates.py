"""Benchmark: covariate fits (Fader & Hardie 2007) at 100,000 customers x 5 covariates.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_covariates.py [--customers 100000] [--repeat 1]

Simulates (seeded) a BG/NBD, an MBG/NBD and a Pareto/NBD population whose purchase and
dropout processes depend on five covariate terms (three standard-normal numeric columns
and a three-level categorical column, two dummies), over a 52-week calibration period.
Prints, per family, the wall-clock and CPU time of the covariate fit, the time of the
classic fit of the same summary (no covariates) and their ratio, the log-likelihood, and
the largest |estimate - truth| / standard error over the coefficients.

This default is the worst case for the fit: every history and every covariate row is
distinct (continuous recency and covariates), so no two customers share a likelihood
term. ``--categorical`` keeps only the channel column and rounds purchase times to days,
the case where customers repeat and the fit compresses them into weighted rows.

``benchmarks/bench_covariates_peer.py`` fits the same simulated data with PyMC-Marketing
(MAP) as well and prints both side by side, with the estimates compared.

Compare the ratios of one run (``PYTHONPATH`` pointing at each version in turn): on a
busy machine wall-clock seconds vary by several times, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

from crmkit.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD
from crmkit.clv.covariates import (
    BetaGeoCovariates,
    CovariateCoding,
    ModifiedBetaGeoCovariates,
    ParetoNBDCovariates,
)

CODING = CovariateCoding(
    columns=("z1", "z2", "z3", "channel"), levels=(None, None, None, ("store", "web", "phone"))
)
GAMMA = (0.3, -0.2, 0.1, 0.25, -0.15)


def covariates(n: int, rng: np.random.Generator) -> pd.DataFrame:
    idx = pd.Index(np.arange(n), name="customer_id")
    frame = pd.DataFrame({f"z{j}": rng.normal(0.0, 1.0, n) for j in (1, 2, 3)}, index=idx)
    frame["channel"] = pd.Categorical(
        rng.choice(["store", "web", "phone"], n), categories=["store", "web", "phone"]
    )
    return frame


def simulate(model: Any, z: pd.DataFrame, T: float, rng: np.random.Generator) -> pd.DataFrame:
    n = len(z)
    dummy = pd.DataFrame({"frequency": 0, "recency": 0.0, "T": T}, index=z.index)
    per = model.customer_parameters(dummy, purchase_covariates=z, dropout_covariates=z)
    lam = rng.gamma(model.r, 1.0 / per["alpha"].to_numpy())
    x, tx = np.zeros(n), np.zeros(n)
    if isinstance(model, ParetoNBDCovariates):
        mu = rng.gamma(model.s, 1.0 / per["beta"].to_numpy())
        end = np.minimum(rng.exponential(1.0 / mu), T)
        x = rng.poisson(lam * end).astype(float)
        tx = np.where(x > 0, end * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    else:
        p = rng.beta(per["a"].to_numpy(), per["b"].to_numpy())
        alive = np.ones(n, bool)
        if isinstance(model, ModifiedBetaGeoCovariates):
            alive &= rng.random(n) >= p
        t = np.zeros(n)
        for _ in range(100_000):
            if not alive.any():
                break
            t = t + rng.exponential(1.0 / lam)
            buy = alive & (t <= T)
            x[buy] += 1.0
            tx[buy] = t[buy]
            alive = buy & (rng.random(n) >= p)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T}, index=z.index)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--families", default="bgnbd,mbgnbd,paretonbd")
    parser.add_argument("--categorical", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(2007)
    z = covariates(args.customers, rng)
    coding = CODING
    gamma: tuple[float, ...] = GAMMA
    if args.categorical:
        z = z[["channel"]]
        coding = CovariateCoding(columns=("channel",), levels=(("store", "web", "phone"),))
        gamma = GAMMA[3:]
    cases = {
        "bgnbd": (
            BetaGeo,
            BetaGeoCovariates(
                r=0.8,
                alpha=6.0,
                a=0.9,
                b=3.0,
                purchase_coding=coding,
                purchase_coefficients=gamma,
                dropout_coding=coding,
                a_coefficients=gamma,
                b_coefficients=gamma[::-1],
            ),
        ),
        "mbgnbd": (
            ModifiedBetaGeo,
            ModifiedBetaGeoCovariates(
                r=0.8,
                alpha=6.0,
                a=0.9,
                b=3.0,
                purchase_coding=coding,
                purchase_coefficients=gamma,
                dropout_coding=coding,
                a_coefficients=gamma,
                b_coefficients=gamma[::-1],
            ),
        ),
        "paretonbd": (
            ParetoNBD,
            ParetoNBDCovariates(
                r=0.8,
                alpha=8.0,
                s=0.9,
                beta=20.0,
                purchase_coding=coding,
                purchase_coefficients=gamma,
                dropout_coding=coding,
                dropout_coefficients=gamma[::-1],
            ),
        ),
    }
    print(f"{args.customers} customers x {len(coding.terms)} covariate terms per process")
    for key in args.families.split(","):
        classic, truth = cases[key]
        summary = simulate(truth, z, 52.0, rng)
        if args.categorical:
            summary["recency"] = np.floor(7.0 * summary["recency"]) / 7.0
        t0 = time.perf_counter()
        classic.fit(summary)
        t1 = time.perf_counter()
        c1 = time.process_time()
        fit = type(truth).fit(summary, purchase_covariates=z, dropout_covariates=z)
        t2 = time.perf_counter()
        cpu = time.process_time() - c1
        true = [float(getattr(truth, n)) for n in truth._base_names]
        for _, _, attr, _, _ in truth._spec:
            true.extend(getattr(truth, attr))
        k0 = len(truth._base_names)
        est = np.asarray(fit.estimates)[k0:]
        se = np.sqrt(np.diag(fit.covariance))[k0:]
        worst = float(np.max(np.abs(est - np.asarray(true[k0:])) / se))
        print(
            f"{key:10s} covariate fit {t2 - t1:7.2f} s (cpu {cpu:6.2f} s)  "
            f"classic fit {t1 - t0:6.2f} s  "
            f"ratio {(t2 - t1) / (t1 - t0):6.1f}  LL {fit.log_likelihood:,.1f}  "
            f"converged {fit.converged}  params {len(fit.estimates)}  "
            f"max |est - true| / se {worst:.2f}"
        )


if __name__ == "__main__":
    main()
