"""Benchmark: Pareto/NBD on all-distinct histories (no compression) vs lifetimes.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_pareto_worstcase.py [--n 300000] [--n-peer 30000]
        [--n-predict 1000000]

Histories are simulated from the published CDNOW estimates (r=.55, alpha=10.58,
s=.61, beta=11.67) with continuous t_x and T, so every customer is a distinct history.
lifetimes' ``ParetoNBDFitter`` is slow, so it is fitted on the first ``n-peer``
customers and its time scaled linearly to ``n`` (said so in the output). Prints crmkit
time, lifetimes time, their ratio and the largest relative parameter difference (both
fitted on the same ``n-peer`` subsample); then P(alive) and conditional expected
purchases on ``n-predict`` customers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
from _peers import peer_python

from crmkit.clv import ParetoNBD

PEER = r"""
import json, sys, time, warnings
import numpy as np
from lifetimes import ParetoNBDFitter
warnings.simplefilter("ignore")
d = np.load(sys.argv[1]); n = int(sys.argv[2]); n_pred = int(sys.argv[3])
pn = ParetoNBDFitter(penalizer_coef=0.0)
t0 = time.perf_counter()
pn.fit(d["x"][:n], d["tx"][:n], d["T"][:n])
out = {"fit": time.perf_counter() - t0, "params": {k: float(v) for k, v in pn.params_.items()}}
x, tx, T = d["x"][:n_pred], d["tx"][:n_pred], d["T"][:n_pred]
t0 = time.perf_counter()
pn.conditional_probability_alive(x, tx, T)
pn.conditional_expected_number_of_purchases_up_to_time(12.0, x, tx, T)
out["predict"] = time.perf_counter() - t0
out["n_pred"] = n_pred
print(json.dumps(out))
"""


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    model = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, n)  # continuous: every history distinct
    return model.simulate(n, T, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--n-peer", type=int, default=30_000)
    parser.add_argument("--n-predict", type=int, default=1_000_000)
    args = parser.parse_args()
    data = simulate(max(args.n, args.n_predict))
    fit_data = data.iloc[: args.n]
    t0 = time.perf_counter()
    fit = ParetoNBD.fit(fit_data)
    t_fit = time.perf_counter() - t0
    sub = ParetoNBD.fit(data.iloc[: args.n_peer])
    model = fit.model
    pred = data.iloc[: args.n_predict]
    t0 = time.perf_counter()
    model.probability_alive(pred)
    model.conditional_expected_purchases(12.0, pred)
    t_pred = time.perf_counter() - t0
    print(f"Pareto/NBD, all-distinct histories (CDNOW estimates), fit n={args.n:,}")
    print(f"  crmkit fit: {t_fit:.2f} s  params {fit.params}")
    print(
        f"  crmkit P(alive)+conditional on {args.n_predict:,}: {t_pred:.2f} s "
        f"({1000 * t_pred / args.n_predict * 1000:.1f} ms per 1,000 customers)"
    )
    python = peer_python("lifetimes")
    if python is None:
        print("  lifetimes: not available")
        return
    with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as fh:
        np.savez(
            fh,
            x=data["frequency"].to_numpy(),
            tx=data["recency"].to_numpy(),
            T=data["T"].to_numpy(),
        )
        path = fh.name
    n_pred_peer = min(args.n_predict, 200_000)
    proc = subprocess.run(
        [str(python), "-c", PEER, path, str(args.n_peer), str(n_pred_peer)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"  lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}")
        return
    peer = json.loads(proc.stdout.strip().splitlines()[-1])
    scaled = peer["fit"] * args.n / args.n_peer
    diff = max(abs(sub.params[k] - v) / abs(v) for k, v in peer["params"].items())
    print(
        f"  lifetimes fit on {args.n_peer:,}: {peer['fit']:.1f} s, scaled linearly to "
        f"{args.n:,}: {scaled:.1f} s"
    )
    print(f"  ratio lifetimes/crmkit (fit): {scaled / t_fit:.1f}x")
    print(f"  max relative parameter difference (both on {args.n_peer:,}): {diff:.2e}")
    peer_pred = peer["predict"] * args.n_predict / peer["n_pred"]
    print(
        f"  lifetimes P(alive)+conditional on {peer['n_pred']:,}: {peer['predict']:.2f} s, "
        f"scaled to {args.n_predict:,}: {peer_pred:.1f} s; ratio {peer_pred / t_pred:.1f}x"
    )


if __name__ == "__main__":
    main()
