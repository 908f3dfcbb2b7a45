"""Benchmark: iterations and fit time of fits whose maximum lies at a limit ridge.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_ridge.py [--data DIR] [--repeat 3]

Fits Pareto/NBD, BG/NBD and MBG/NBD on three real summaries whose maxima lie on (or
near) a limit of the parameter space: Online Retail II 2009-2010 (Chen 2019, UCI
Machine Learning Repository; cancellations, missing customer ids and non-positive
quantities or prices removed) summarised daily and weekly with observation end
2010-12-09, and Online Retail I (Chen, Sain & Guo 2012) daily with observation end
2011-12-09. Prints, per fit, the number of optimiser iterations (counted with the
``callback``), the best of ``repeat`` wall-clock times, the log-likelihood and the
parameters that reached a limit.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

from crmkit import rfm_summary
from crmkit.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD


def retail_ii(data_dir: Path, period: str) -> pd.DataFrame:
    path = data_dir / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    lines = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str})
    keep = (
        lines["Customer ID"].notna()
        & ~lines["Invoice"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["Price"] > 0)
    )
    lines = lines.loc[keep].assign(
        InvoiceDate=lambda f: pd.to_datetime(f["InvoiceDate"]),
        amount=lambda f: f["Quantity"] * f["Price"],
    )
    return rfm_summary(
        lines,
        customer_id_col="Customer ID",
        datetime_col="InvoiceDate",
        amount_col="amount",
        observation_end="2010-12-09",
        period=period,
        time_unit=period,
    )


def retail_i(data_dir: Path) -> pd.DataFrame:
    path = data_dir / "online_retail" / "online_retail.csv.gz"
    lines = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    lines = lines.loc[lines["CustomerID"].notna() & (lines["Quantity"] > 0)]
    lines = lines.loc[lines["UnitPrice"] > 0].assign(
        InvoiceDate=lambda f: pd.to_datetime(f["InvoiceDate"])
    )
    return rfm_summary(
        lines,
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        observation_end="2011-12-09",
        period="D",
        time_unit="D",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    summaries = {
        "Online Retail II daily": retail_ii(args.data, "D"),
        "Online Retail II weekly": retail_ii(args.data, "W"),
        "Online Retail I daily": retail_i(args.data),
    }
    print(f"{'data':26s} {'model':16s} {'iter':>5s} {'best s':>8s} {'log-lik':>16s}  limit")
    for label, summary in summaries.items():
        for family in (ParetoNBD, BetaGeo, ModifiedBetaGeo):
            best, iters, fit = float("inf"), 0, None
            for _ in range(args.repeat):
                count = [0]

                def cb(i: int, ll: float, p: dict[str, float], count: list[int] = count) -> None:
                    count[0] += 1  # every reported iteration (warm-start steps included)

                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = family.fit(summary, callback=cb)
                best = min(best, time.perf_counter() - t0)
                iters = count[0]
            assert fit is not None
            print(
                f"{label:26s} {family.__name__:16s} {iters:5d} {best:8.2f} "
                f"{fit.log_likelihood:16.6f}  {','.join(fit.at_boundary) or '-'}"
                f"{'' if fit.converged else ' (not converged)'}"
            )


if __name__ == "__main__":
    main()
