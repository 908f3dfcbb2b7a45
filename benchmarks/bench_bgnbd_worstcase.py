"""BG/NBD on all-distinct histories (continuous t_x and T): crmkit vs lifetimes vs numpy.

Usage (from the repository root; a few minutes)::

    PYTHONPATH=src python benchmarks/bench_bgnbd_worstcase.py [--n-fit 300000] [--n-pred 1000000]

Histories are simulated from the CDNOW BG/NBD estimates of Fader, Hardie & Lee (2005)
(r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, weeks) with T uniform on [27, 39] weeks
and continuous purchase times, so no two customers share (x, t_x, T) and nothing can be
compressed. The "days" rows round t_x and T to whole days (the compressible case of real
transaction logs). Timed: the BG/NBD fit on ``--n-fit`` customers (crmkit ``BetaGeo.fit``
vs lifetimes ``BetaGeoFitter.fit``; parameters compared), and on ``--n-pred`` customers
the conditional expected purchases in 39 weeks and the 12-month CLV with a Gamma-Gamma
spend model (crmkit ``customer_lifetime_value`` vs lifetimes
``GammaGammaFitter.customer_lifetime_value``). lifetimes values 12 *months* (``time=12,
freq="W"``: 12 steps of 4.345 weeks, two conditional expectations per step); crmkit does
not convert weeks to calendar months, so it is timed over 12 weekly periods ("CLV 12 W",
the same number of period ends) and over 52 weekly periods ("CLV 52 W", about the same
calendar span), both against the same lifetimes figure. The numpy column is a lower
bound: the closed-form P(alive) of every customer (a handful of vectorised array
operations). Each crmkit routine is called once on 10 customers before it is timed, so
one-time imports (scipy.linalg) are excluded as they are for lifetimes, whose imports
precede its timers. lifetimes runs in its own environment (``benchmarks/_peers.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.clv import BetaGeo, GammaGamma, customer_lifetime_value

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}

PEER = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
warnings.simplefilter("ignore")
d = np.load(sys.argv[1]); out = {}
for case in ("cont", "days"):
    x, tx, T = d[case + "_fx"], d[case + "_ftx"], d[case + "_fT"]
    bg = BetaGeoFitter()
    t0 = time.perf_counter(); bg.fit(x, tx, T); out[case + "_fit"] = time.perf_counter() - t0
    out[case + "_params"] = {k: float(v) for k, v in bg.params_.items()}
    bg.params_ = pd.Series(json.loads(sys.argv[2]))
    x, tx, T, m = d[case + "_px"], d[case + "_ptx"], d[case + "_pT"], d[case + "_pm"]
    t0 = time.perf_counter()
    bg.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, T)
    out[case + "_pred"] = time.perf_counter() - t0
    gg = GammaGammaFitter(); gg.params_ = pd.Series(json.loads(sys.argv[3]))
    t0 = time.perf_counter()
    gg.customer_lifetime_value(bg, pd.Series(x), pd.Series(tx), pd.Series(T), pd.Series(m),
                               time=12, discount_rate=0.01, freq="W")
    out[case + "_clv"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, n)
    sim = BetaGeo(**CDNOW, time_unit="W").simulate(n, T, rng)
    x = sim["frequency"].to_numpy()
    sim["monetary_value"] = np.where(x > 0, rng.gamma(GG["p"], 1.0, n) * 5.0, 0.0)
    return sim


def to_days(sim: pd.DataFrame) -> pd.DataFrame:
    out = sim.copy()
    out["T"] = np.round(out["T"] * 7.0) / 7.0
    out["recency"] = np.minimum(np.round(out["recency"] * 7.0) / 7.0, out["T"])
    out.attrs = dict(sim.attrs)
    return out


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-fit", type=int, default=300_000)
    parser.add_argument("--n-pred", type=int, default=1_000_000)
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    fit_cont = simulate(args.n_fit, 1)
    pred_cont = simulate(args.n_pred, 2)
    cases = {"cont": (fit_cont, pred_cont), "days": (to_days(fit_cont), to_days(pred_cont))}
    model = BetaGeo(**CDNOW, time_unit="W")
    gg = GammaGamma(**GG)
    ours: dict[str, float] = {}
    params: dict[str, dict[str, float]] = {}
    warm = cases["cont"][1].iloc[:10]
    model.conditional_expected_purchases(warm, t=39.0)
    customer_lifetime_value(model, gg, warm, horizon=12, time_unit="W", discount_rate=0.01)
    for case, (fit_df, pred_df) in cases.items():
        fit, ours[case + "_fit"] = timed(lambda df=fit_df: BetaGeo.fit(df, time_unit="W"))
        params[case] = fit.params
        _, ours[case + "_pred"] = timed(
            lambda df=pred_df: model.conditional_expected_purchases(df, t=39.0)
        )
        _, ours[case + "_clv"] = timed(
            lambda df=pred_df: customer_lifetime_value(
                model, gg, df, horizon=12, time_unit="W", discount_rate=0.01
            )
        )
        _, ours[case + "_clv52"] = timed(
            lambda df=pred_df: customer_lifetime_value(
                model, gg, df, horizon=52, time_unit="W", discount_rate=0.01 / 4.345
            )
        )
        x, tx, T = (pred_df[c].to_numpy() for c in ("frequency", "recency", "T"))

        def numpy_alive(x=x, tx=tx, T=T) -> np.ndarray:  # type: ignore[no-untyped-def]
            r, al, a, b = CDNOW.values()
            lo = np.log(a / np.maximum(b + x - 1.0, 1e-300)) + (r + x) * np.log1p(
                (T - tx) / (al + tx)
            )
            return np.where(x > 0, 1.0 / (1.0 + np.exp(lo)), 1.0)

        _, ours[case + "_numpy"] = timed(numpy_alive)
    peer: dict[str, object] | None = None
    python = None if args.skip_lifetimes else peer_python("lifetimes")
    if python is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.npz"
            arrays = {}
            for case, (fit_df, pred_df) in cases.items():
                for tag, df in (("f", fit_df), ("p", pred_df)):
                    for col, name in (("frequency", "x"), ("recency", "tx"), ("T", "T")):
                        arrays[f"{case}_{tag}{name}"] = df[col].to_numpy()
                arrays[f"{case}_pm"] = pred_df["monetary_value"].to_numpy()
            np.savez(path, **arrays)
            done = subprocess.run(
                [
                    str(python),
                    "-c",
                    PEER,
                    str(path),
                    json.dumps(CDNOW),
                    json.dumps({"p": GG["p"], "q": GG["q"], "v": GG["v"]}),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                peer = json.loads(done.stdout.strip().splitlines()[-1])
            else:
                print(done.stderr[-2000:], file=sys.stderr)
    print(f"fit: {args.n_fit:,} customers; predictions: {args.n_pred:,} customers")
    print(f"{'task':<44}{'crmkit s':>10}{'lifetimes s':>13}{'ratio':>8}{'numpy LB s':>12}")
    for case, label in (("cont", "all distinct"), ("days", "days (compressible)")):
        for key, what in (
            ("fit", "BG/NBD fit"),
            ("pred", "cond. expected (39 W)"),
            ("clv", "CLV 12 W"),
            ("clv52", "CLV 52 W"),
        ):
            peer_key = "clv" if key == "clv52" else key
            theirs = float(peer[f"{case}_{peer_key}"]) if peer else float("nan")  # type: ignore[arg-type]
            mine = ours[f"{case}_{key}"]
            lb = ours[f"{case}_numpy"] if key != "fit" else float("nan")
            print(
                f"{what + ', ' + label:<44}{mine:>10.3f}{theirs:>13.3f}{theirs / mine:>8.1f}"
                f"{lb:>12.4f}"
            )
    for case in ("cont", "days"):
        mine_p = params[case]
        line = " ".join(f"{k}={v:.5f}" for k, v in mine_p.items())
        if peer:
            theirs_p = peer[f"{case}_params"]  # type: ignore[index]
            rel = max(abs(mine_p[k] / theirs_p[k] - 1) for k in mine_p)  # type: ignore[index]
            line += f"  max rel diff vs lifetimes {rel:.1e}"
        print(f"params {case}: {line}")


if __name__ == "__main__":
    main()
