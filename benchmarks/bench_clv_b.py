"""Benchmark BG/BB, Gamma-Gamma and CLV on 1M synthetic customers against lifetimes.

Plain script, not run by CI::

    PYTHONPATH=src python benchmarks/bench_clv_b.py \
        [--n 1000000]

crmkit runs in this interpreter; lifetimes 0.11.3 runs in the interpreter given by
``--peer-python`` (it needs pandas < 3) on the same data, written to a temporary .npz.
Prints one table with both timings and their ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.clv import BetaGeoBetaBinom, GammaGamma, customer_lifetime_value

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python

PEER = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np, pandas as pd
    from lifetimes import BetaGeoBetaBinomFitter, GammaGammaFitter
    from lifetimes.utils import _customer_lifetime_value
    d = np.load(sys.argv[1]); out = {}
    x, tx, n, m = (pd.Series(d[k]) for k in ("x", "tx", "n", "m"))
    t0 = time.perf_counter()
    bb = BetaGeoBetaBinomFitter().fit(x, tx, n)
    out["bgbb_fit"] = time.perf_counter() - t0
    out["bgbb_params"] = [float(bb.params_[k]) for k in ("alpha", "beta", "gamma", "delta")]
    rep = x > 0
    t0 = time.perf_counter()
    gg = GammaGammaFitter().fit(x[rep], m[rep])
    out["gg_fit"] = time.perf_counter() - t0
    out["gg_params"] = [float(gg.params_[k]) for k in ("p", "q", "v")]
    bb.predict = bb.conditional_expected_number_of_purchases_up_to_time
    money = pd.Series(np.full(len(x), 20.0))
    t0 = time.perf_counter()
    clv = _customer_lifetime_value(bb, x, tx, n, money, time=12, discount_rate=0.01, freq="M")
    out["clv"] = time.perf_counter() - t0
    out["clv_total"] = float(np.asarray(clv).sum())
    print(json.dumps(out))
    """
)


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument(
        "--peer-python", default=None, help="peer interpreter (default: _peers.py)"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(2010)
    truth = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    sim = truth.simulate(args.n, 12, rng)
    gg_truth = GammaGamma(p=6.0, q=4.0, v=15.0)
    x = sim["frequency"].to_numpy()
    spend = gg_truth.simulate(args.n, np.maximum(x, 1), rng)["monetary_value"].to_numpy()
    sim["monetary_value"] = np.where(x > 0, spend, 0.0)

    rows = []
    bb_fit, t_bb = timed(lambda: BetaGeoBetaBinom.fit(sim))
    gg_fit, t_gg = timed(lambda: GammaGamma.fit(sim))
    kwargs = {"horizon": 12, "time_unit": "M", "discount_rate": 0.01}
    clv, t_clv = timed(lambda: customer_lifetime_value(bb_fit.model, 20.0, sim, **kwargs))
    clv_raw, t_clv_raw = timed(
        lambda: customer_lifetime_value(bb_fit.model, 20.0, sim, compress=False, **kwargs)
    )
    clv_gg, t_clv_gg = timed(
        lambda: customer_lifetime_value(bb_fit.model, gg_fit.model, sim, **kwargs)
    )

    peer: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(
            path,
            x=x,
            tx=sim["recency"].to_numpy(),
            n=sim["n_periods"].to_numpy(),
            m=sim["monetary_value"].to_numpy(),
        )
        script = Path(tmp) / "peer.py"
        script.write_text(PEER)
        peer = args.peer_python or peer_python("lifetimes")
        try:
            if peer is None:
                raise FileNotFoundError("lifetimes could not be set up")
            done = subprocess.run(
                [str(peer), str(script), str(path)],
                capture_output=True,
                text=True,
                check=True,
                timeout=3600,
            )
            peer = json.loads(done.stdout.strip().splitlines()[-1])
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            print(f"lifetimes run failed: {exc}")

    def row(name: str, ours: float, key: str) -> None:
        theirs = peer.get(key, float("nan"))
        rows.append((name, ours, theirs, theirs / ours if ours > 0 else float("nan")))

    row(f"BG/BB fit, {args.n:,} customers", t_bb, "bgbb_fit")
    row(f"Gamma-Gamma fit, {gg_fit.n_customers:,} repeat buyers", t_gg, "gg_fit")
    row("12-period CLV, BG/BB, fixed spend", t_clv, "clv")
    row("12-period CLV, no compression", t_clv_raw, "clv")
    row("12-period CLV, BG/BB + Gamma-Gamma", t_clv_gg, "clv")
    table = pd.DataFrame(rows, columns=["task", "crmkit_s", "lifetimes_s", "ratio"])
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    if peer:
        ours = np.array(bb_fit.estimates)
        diff = np.max(np.abs(ours / peer["bgbb_params"] - 1))
        print("BG/BB max rel. param diff vs lifetimes:", diff)
        ours = np.array(gg_fit.estimates)
        print("GG max rel. param diff vs lifetimes:", np.max(np.abs(ours / peer["gg_params"] - 1)))
        print("CLV total rel. diff vs lifetimes:", clv.sum() / peer["clv_total"] - 1)
    print("compressed vs raw CLV max abs diff:", float(np.max(np.abs(clv - clv_raw))))
    print("mean CLV with Gamma-Gamma spend:", float(clv_gg.mean()))


if __name__ == "__main__":
    main()
