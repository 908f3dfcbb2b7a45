"""Fit time of the GG/NBD against the Pareto/NBD, and against one likelihood evaluation.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_ggnbd.py [--data DIR]

On CDNOW (weekly, 23,570 customers) and on the Online Retail II 2009-2010 invoice lines
(daily summary, positive quantities with a customer id; read from
``../shared/datasets`` next to the repository or ``--data``) prints, as the best of
three wall times in one run: the GG/NBD fit, the Pareto/NBD fit, one evaluation of the
GG/NBD log-likelihood on the distinct histories (the numpy floor: a fit cannot take
fewer than a few of these), and the ratios GG/NBD / Pareto/NBD and GG/NBD / floor.
The peer lifetimes has no GG/NBD, so there is no peer column. Ratios measured in one
run are what to compare between machines and commits.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best

import crmkit
from crmkit.clv import GammaGompertzNBD, ParetoNBD
from crmkit.clv._warm import distinct_histories
from crmkit.clv.ggnbd import ggnbd_objective
from crmkit.datasets import load_cdnow_summary

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
FILE = Path("online_retail_ii") / "online_retail_ii_2009_2010.csv.gz"


def online_retail_ii(data: Path) -> pd.DataFrame:
    lines = pd.read_csv(data / FILE, dtype={"Invoice": str, "StockCode": str})
    lines = lines[lines["Quantity"] > 0].dropna(subset=["Customer ID"])
    lines = lines.assign(
        customer_id=lines["Customer ID"].astype(np.int64),
        date=pd.to_datetime(lines["InvoiceDate"]),
    )
    return crmkit.rfm_summary(
        lines, customer_id_col="customer_id", datetime_col="date", time_unit="D"
    )


def row(name: str, summary: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary warnings: the fits end at a limit
        t_gg, fit = best(lambda: GammaGompertzNBD.fit(summary))
        t_p, _ = best(lambda: ParetoNBD.fit(summary))
    cols = [summary[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T")]
    x, tx, T, w = distinct_histories(*cols, np.ones(len(summary)))
    ll, _ = ggnbd_objective(x, tx, T, w)
    theta = np.array(list(fit.params.values()))  # type: ignore[attr-defined]
    t_ll, _ = best(lambda: ll(theta), repeat=5)
    print(
        f"{name:<24}{x.size:>8}{t_gg:>9.3f}{t_p:>9.3f}{t_ll:>9.4f}"
        f"{t_gg / t_p:>9.1f}{t_gg / t_ll:>9.1f}  LL {fit.log_likelihood:.4f}"  # type: ignore[attr-defined]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    print(f"{'data':<24}{'rows':>8}{'GG s':>9}{'P/NBD s':>9}{'LL s':>9}{'GG/PNBD':>9}{'GG/LL':>9}")
    row("CDNOW weekly", load_cdnow_summary())
    path = args.data / FILE
    if path.exists():
        row("Online Retail II daily", online_retail_ii(args.data))
    else:
        print(f"Online Retail II: {path} not found (pass --data)")


if __name__ == "__main__":
    main()
