"""BG/NBD and MBG/NBD on all-distinct histories: crmkit vs lifetimes vs a numpy floor.

Usage (from the repository root; a few minutes)::

    PYTHONPATH=src python benchmarks/bench_bgnbd_worstcase.py [--n-fit 300000]
        [--n-pred 1000000] [--repeat 3] [--skip-fit] [--skip-lifetimes]

Histories are simulated from the CDNOW BG/NBD estimates of Fader, Hardie & Lee (2005)
(r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, weeks) with T uniform on [27, 39] weeks
and continuous purchase times, so no two customers share (x, t_x, T) and nothing can be
compressed. The "days" rows round t_x and T to whole days (the compressible case of real
transaction logs). Timed: the BG/NBD fit on ``--n-fit`` customers (crmkit ``BetaGeo.fit``
vs lifetimes ``BetaGeoFitter.fit``; parameters compared), and on ``--n-pred`` customers,
for BG/NBD and MBG/NBD at the CDNOW estimates and at a second parameter set with larger
a, b (r = 0.5, alpha = 3, a = 80, b = 250): the conditional expected purchases in 39
weeks (crmkit ``conditional_expected_purchases`` vs lifetimes
``conditional_expected_number_of_purchases_up_to_time``) and P(alive) (crmkit
``probability_alive`` vs lifetimes ``conditional_probability_alive``), from a DataFrame
for crmkit (validation included) and from arrays for lifetimes. Then the 12-month CLV
with a Gamma-Gamma spend model (crmkit ``customer_lifetime_value`` vs lifetimes
``GammaGammaFitter.customer_lifetime_value``). lifetimes values 12 *months* (``time=12,
freq="W"``: 12 steps of 4.345 weeks, two conditional expectations per step); crmkit does
not convert weeks to calendar months, so it is timed over 12 weekly periods ("CLV 12 W",
the same number of period ends) and over 52 weekly periods ("CLV 52 W", about the same
calendar span), both against the same lifetimes figure. The "floor" column is a lower
bound for any of these: the closed-form P(alive) of every customer written as plain
numpy expressions (a handful of vectorised array operations). Prediction times are the
best of ``--repeat`` runs for both libraries. Each crmkit routine is called once on 10
customers before it is timed, so one-time imports (scipy.linalg) are excluded as they
are for lifetimes, whose imports precede its timers. lifetimes runs in its own
environment (``benchmarks/_peers.py``).
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

from crmkit.clv import BetaGeo, GammaGamma, ModifiedBetaGeo, customer_lifetime_value

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
LARGE_AB = {"r": 0.5, "alpha": 3.0, "a": 80.0, "b": 250.0}
PARAMS = {"CDNOW": CDNOW, "large a,b": LARGE_AB}
MODELS = {"BG/NBD": BetaGeo, "MBG/NBD": ModifiedBetaGeo}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}

PEER = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter
warnings.simplefilter("ignore")
d = np.load(sys.argv[1]); params = json.loads(sys.argv[2]); gg_params = json.loads(sys.argv[3])
repeat = int(sys.argv[4]); do_fit = sys.argv[5] == "1"; out = {}
def best(fn):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); t = min(t, time.perf_counter() - t0)
    return t
fitters = {"BG/NBD": BetaGeoFitter, "MBG/NBD": ModifiedBetaGeoFitter}
for case in ("cont", "days"):
    if do_fit:
        x, tx, T = d[case + "_fx"], d[case + "_ftx"], d[case + "_fT"]
        bg = BetaGeoFitter()
        t0 = time.perf_counter(); bg.fit(x, tx, T); out[case + "_fit"] = time.perf_counter() - t0
        out[case + "_params"] = {k: float(v) for k, v in bg.params_.items()}
    x, tx, T, m = d[case + "_px"], d[case + "_ptx"], d[case + "_pT"], d[case + "_pm"]
    for model, cls in fitters.items():
        for pname, p in params.items():
            f = cls(); f.params_ = pd.Series(p)
            key = f"{case}|{model}|{pname}"
            out[key + "|pred"] = best(
                lambda: f.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, T))
            out[key + "|alive"] = best(lambda: f.conditional_probability_alive(x, tx, T))
    bg = BetaGeoFitter(); bg.params_ = pd.Series(params["CDNOW"])
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # (set by fit)
    gg = GammaGammaFitter(); gg.params_ = pd.Series(gg_params)
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


def timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    """The last value of ``fn()`` and its best wall time over ``repeat`` runs."""
    best = float("inf")
    value = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return value, best


def numpy_alive(df: pd.DataFrame, p: dict[str, float], shift: int) -> np.ndarray:
    """Closed-form P(alive) in plain numpy: the floor every prediction must pay."""
    x, tx, T = (df[c].to_numpy() for c in ("frequency", "recency", "T"))
    lo = np.log(p["a"] / np.maximum(p["b"] + x + shift - 1.0, 1e-300)) + (p["r"] + x) * np.log1p(
        (T - tx) / (p["alpha"] + tx)
    )
    return np.where(x + shift > 0, 1.0 / (1.0 + np.exp(lo)), 1.0)


def run_peer(cases: dict[str, tuple[pd.DataFrame, pd.DataFrame]], args: argparse.Namespace):  # type: ignore[no-untyped-def]
    python = None if args.skip_lifetimes else peer_python("lifetimes")
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        arrays = {}
        for case, (fit_df, pred_df) in cases.items():
            for tag, df in (("f", fit_df), ("p", pred_df)):
                for col, name in (("frequency", "x"), ("recency", "tx"), ("T", "T")):
                    arrays[f"{case}_{tag}{name}"] = df[col].to_numpy()
            arrays[f"{case}_pm"] = pred_df["monetary_value"].to_numpy()
        np.savez(path, **arrays)
        gg = {"p": GG["p"], "q": GG["q"], "v": GG["v"]}
        done = subprocess.run(
            [
                str(python),
                "-c",
                PEER,
                str(path),
                json.dumps(PARAMS),
                json.dumps(gg),
                str(args.repeat),
                "0" if args.skip_fit else "1",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-fit", type=int, default=300_000)
    parser.add_argument("--n-pred", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    fit_cont = simulate(args.n_fit, 1)
    pred_cont = simulate(args.n_pred, 2)
    cases = {"cont": (fit_cont, pred_cont), "days": (to_days(fit_cont), to_days(pred_cont))}
    gg = GammaGamma(**GG)
    ours: dict[str, float] = {}
    params: dict[str, dict[str, float]] = {}
    warm = cases["cont"][1].iloc[:10]
    for cls in MODELS.values():
        for p in PARAMS.values():
            cls(**p).conditional_expected_purchases(warm, t=39.0)
            cls(**p).probability_alive(warm)
    bg = BetaGeo(**CDNOW, time_unit="W")
    customer_lifetime_value(bg, gg, warm, horizon=12, time_unit="W", discount_rate=0.01)
    for case, (fit_df, pred_df) in cases.items():
        if not args.skip_fit:
            fit, ours[case + "_fit"] = timed(lambda df=fit_df: BetaGeo.fit(df, time_unit="W"))
            params[case] = fit.params
        for model, cls in MODELS.items():
            shift = 1 if cls is ModifiedBetaGeo else 0
            for pname, p in PARAMS.items():
                key = f"{case}|{model}|{pname}"
                mod = cls(**p, time_unit="W")
                _, ours[key + "|pred"] = timed(
                    lambda df=pred_df, mod=mod: mod.conditional_expected_purchases(df, t=39.0),
                    args.repeat,
                )
                _, ours[key + "|alive"] = timed(
                    lambda df=pred_df, mod=mod: mod.probability_alive(df), args.repeat
                )
                _, ours[key + "|floor"] = timed(
                    lambda df=pred_df, p=p, s=shift: numpy_alive(df, p, s), args.repeat
                )
        for model, cls in MODELS.items():
            mod = cls(**CDNOW, time_unit="W")
            for horizon, rate, tag in ((12, 0.01, "clv"), (52, 0.01 / 4.345, "clv52")):
                _, ours[f"{case}|{model}|{tag}"] = timed(
                    lambda df=pred_df, mod=mod, h=horizon, d=rate: customer_lifetime_value(
                        mod, gg, df, horizon=h, time_unit="W", discount_rate=d
                    )
                )
    peer = run_peer(cases, args)
    nan = float("nan")
    print(f"fit: {args.n_fit:,} customers; predictions: {args.n_pred:,} customers")
    head = f"{'task':<52}{'crmkit s':>10}{'lifetimes s':>13}{'ratio':>8}{'floor s':>10}"
    print(head + f"{'crmkit/floor':>14}")
    for case, label in (("cont", "all distinct"), ("days", "days")):
        rows: list[tuple[str, float, float, float]] = []
        if not args.skip_fit:
            theirs = float(peer[case + "_fit"]) if peer else nan
            rows.append(("BG/NBD fit", ours[case + "_fit"], theirs, nan))
        for model in MODELS:
            for pname in PARAMS:
                key = f"{case}|{model}|{pname}"
                floor = ours[key + "|floor"]
                for what, tag in (("cond. expected 39 W", "pred"), ("P(alive)", "alive")):
                    theirs = float(peer[f"{key}|{tag}"]) if peer else nan
                    rows.append((f"{model} {what}, {pname}", ours[f"{key}|{tag}"], theirs, floor))
        floor = ours[f"{case}|BG/NBD|CDNOW|floor"]
        for model in MODELS:
            theirs = float(peer[case + "_clv"]) if peer and model == "BG/NBD" else nan
            for tag, what in (("clv", "CLV 12 W"), ("clv52", "CLV 52 W")):
                rows.append(
                    (f"{model} {what}, CDNOW", ours[f"{case}|{model}|{tag}"], theirs, floor)
                )
        for what, mine, theirs, floor in rows:
            print(
                f"{what + ' (' + label + ')':<52}{mine:>10.4f}{theirs:>13.4f}"
                f"{theirs / mine:>8.1f}{floor:>10.4f}{mine / floor:>14.2f}"
            )
    for case in params:
        mine_p = params[case]
        line = " ".join(f"{k}={v:.5f}" for k, v in mine_p.items())
        if peer:
            theirs_p = peer[f"{case}_params"]
            rel = max(abs(mine_p[k] / theirs_p[k] - 1) for k in mine_p)
            line += f"  max rel diff vs lifetimes {rel:.1e}"
        print(f"params {case}: {line}")
    print("(MBG/NBD CLV rows: lifetimes' GammaGammaFitter is timed with BG/NBD only)")


if __name__ == "__main__":
    main()
