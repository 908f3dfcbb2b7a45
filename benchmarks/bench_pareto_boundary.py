"""Benchmark: Pareto/NBD fit that ends at the no-dropout limit (Online Retail I) vs lifetimes.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_pareto_boundary.py [--data DIR] [--repeat 3]

Online Retail I (Chen, Sain & Guo 2012, UCI Machine Learning Repository), daily
summary with observation end 2011-12-09: 4,338 customers. The Pareto/NBD maximum of
these data is the limit s -> 0, beta -> infinity (no dropout visible), so the fit walks
a ridge towards the edge of the parameter space, the hardest case for the likelihood
(hypergeometric argument near 1). Prints the crmkit fit time (best of ``repeat``), the
number of likelihood evaluations, the time per evaluation, lifetimes 0.11.3's fit time
on the same summary, their ratio and both log-likelihoods (crmkit's at its end point,
lifetimes' as it reports it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _peers import peer_python

import crmkit.clv.paretonbd as pnbd_module
from crmkit import rfm_summary
from crmkit.clv import ParetoNBD

PEER = """
import json, sys, time
import numpy as np
from lifetimes import ParetoNBDFitter
d = np.load(sys.argv[1])
pn = ParetoNBDFitter(penalizer_coef=0.0)
t0 = time.perf_counter()
pn.fit(d["x"], d["tx"], d["T"])
out = {"fit": time.perf_counter() - t0, "params": {k: float(v) for k, v in pn.params_.items()}}
print(json.dumps(out))
"""


def load_summary(data_dir: Path) -> pd.DataFrame:
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
    summary = load_summary(args.data)
    calls = [0]
    inner = pnbd_module.pareto_objective

    def counted(*a: np.ndarray) -> object:
        # every evaluation of the objective (value, or value and gradient) is counted
        ll, vg = inner(*a)

        def ll_c(theta: np.ndarray) -> float:
            calls[0] += 1
            return ll(theta)

        def vg_c(theta: np.ndarray) -> tuple[float, np.ndarray]:
            calls[0] += 1
            return vg(theta)

        return ll_c, vg_c

    pnbd_module.pareto_objective = counted  # type: ignore[assignment]
    times = []
    for _ in range(args.repeat):
        calls[0] = 0
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ParetoNBD.fit(summary)
        times.append(time.perf_counter() - t0)
    pnbd_module.pareto_objective = inner
    t = min(times)
    print(f"Pareto/NBD on Online Retail I ({len(summary):,} customers, daily)")
    print(
        f"  crmkit fit: {t:.2f} s, {calls[0]} likelihood evaluations, "
        f"{1000 * t / calls[0]:.1f} ms per evaluation (upper bound: includes the optimiser)"
    )
    print(
        f"  end point { ({k: float(format(v, '.6g')) for k, v in fit.params.items()}) }, "
        f"at_boundary={fit.at_boundary}, log-likelihood {fit.log_likelihood:.5f}"
    )
    python = peer_python("lifetimes")
    if python is None:
        print("  lifetimes: not available")
        return
    with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as fh:
        np.savez(
            fh,
            x=summary["frequency"].to_numpy(),
            tx=summary["recency"].to_numpy(),
            T=summary["T"].to_numpy(),
        )
        path = fh.name
    proc = subprocess.run(
        [str(python), "-c", PEER, path], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"  lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}")
        return
    peer = json.loads(proc.stdout.strip().splitlines()[-1])
    p = peer["params"]
    peer_ll = float(
        ParetoNBD(r=p["r"], alpha=p["alpha"], s=p["s"], beta=p["beta"]).log_likelihood(summary)
    )
    print(
        f"  lifetimes fit: {peer['fit']:.2f} s; ratio lifetimes/crmkit {peer['fit'] / t:.1f}x; "
        f"lifetimes end point { ({k: float(format(v, '.6g')) for k, v in p.items()}) }, "
        f"log-likelihood there (evaluated by crmkit) {peer_ll:.5f}"
    )


if __name__ == "__main__":
    main()
