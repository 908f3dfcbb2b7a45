"""Benchmark: Pareto/NBD on all-distinct histories (no compression) vs lifetimes and numpy.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_pareto_worstcase.py [--n 300000] [--n-peer 30000]
        [--n-predict 1000000] [--n-peer-predict 200000]

Histories are simulated from the published CDNOW estimates (r=.55, alpha=10.58,
s=.61, beta=11.67; Fader, Hardie & Lee 2005) with continuous t_x and T, so every
customer is a distinct history and nothing can be compressed. Everything below comes
from one run:

* **fit** of ``n`` customers: crmkit's time (median of three fits) and number of
  full-data likelihood evaluations (after an untimed warm-up fit on 5,000 customers:
  one-time costs such as the import of ``scipy.optimize`` on the first fit are not
  counted, as lifetimes' imports are not); lifetimes 0.11.3's ``ParetoNBDFitter`` on
  the first ``n-peer`` customers, the median time of three fits (it starts Nelder-Mead
  from a random draw; seeds 0, 1, 2) scaled linearly to ``n`` (its cost is linear in
  the rows); the largest relative parameter difference of the two fits on those
  ``n-peer`` customers and the log-likelihood at both estimates;
* **predictions** on ``n-predict`` customers: P(alive) plus conditional expected
  purchases (12 weeks), and the customer lifetime value over one year at 1 % per month,
  spend 10 per purchase (crmkit: ``customer_lifetime_value`` in 52 weekly periods, as
  the model is weekly and crmkit does not convert weeks to months; lifetimes:
  ``_customer_lifetime_value`` in its 12 months of 4.345 weeks); lifetimes on
  ``n-peer-predict`` customers, scaled linearly;
* a **numpy lower bound** for each task: the time of a fixed chain of eight vectorised
  operations (two divisions, two ``log1p``, ``exp``, ``log1p``, ``expit``, one product:
  fewer than any Pareto/NBD log-ratio needs, because it has no hypergeometric term) on
  the same number of rows, times the number of passes the task needs at the least: 2
  for P(alive) + conditional (each needs the ratio), 1 for the CLV, and for the fit
  ``2 x 9`` (value and gradient at the start point plus the 8 gradients of the fit
  driver's finite-difference Hessian, the fewest evaluations any fit through the driver
  can make). ``scipy.special.hyp2f1`` on the same rows is printed too (lifetimes needs
  two per history and evaluation).

The ratio "lifetimes / lower bound" is the largest speed-up over lifetimes that any
numpy implementation could show on this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _peers import peer_python
from scipy import special

import crmkit.clv.paretonbd as pnbd_module
from crmkit.clv import ParetoNBD, customer_lifetime_value

PEER = r"""
import json, sys, time, warnings
import numpy as np
import pandas as pd
from lifetimes import ParetoNBDFitter
from lifetimes.utils import _customer_lifetime_value
warnings.simplefilter("ignore")
d = np.load(sys.argv[1]); n = int(sys.argv[2]); n_pred = int(sys.argv[3])
# lifetimes starts Nelder-Mead from np.random.normal(1, 0.05, 4): its time and end point
# depend on the draw, so three seeded fits; the median time is reported
fits = []
for seed in (0, 1, 2):
    np.random.seed(seed)
    pn = ParetoNBDFitter(penalizer_coef=0.0)
    t0 = time.perf_counter()
    pn.fit(d["x"][:n], d["tx"][:n], d["T"][:n])
    fits.append((time.perf_counter() - t0, {k: float(v) for k, v in pn.params_.items()}))
fits.sort(key=lambda f: f[0])
out = {"fit": fits[1][0], "fit_times": [f[0] for f in fits], "params": fits[1][1]}
pn.params_ = pd.Series({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
x, tx, T = d["x"][:n_pred], d["tx"][:n_pred], d["T"][:n_pred]
t0 = time.perf_counter()
pn.conditional_probability_alive(x, tx, T)
pn.conditional_expected_number_of_purchases_up_to_time(12.0, x, tx, T)
out["predict"] = time.perf_counter() - t0
s = lambda a: pd.Series(a)
t0 = time.perf_counter()
_customer_lifetime_value(pn, s(x), s(tx), s(T), s(np.full(x.size, 10.0)), time=12,
                         discount_rate=0.01, freq="W")
out["clv"] = time.perf_counter() - t0
out["n_pred"] = n_pred
print(json.dumps(out))
"""

MODEL = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, n)  # continuous: every history distinct
    return MODEL.simulate(n, T, rng)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def chain_time(n: int) -> float:
    """The eight-operation chain of the module docstring on ``n`` rows (best of 3)."""
    rng = np.random.default_rng(1)
    tx, T = rng.uniform(0.0, 30.0, n), rng.uniform(30.0, 40.0, n)

    def chain() -> None:
        a = (T - tx) / (10.58 + tx)
        b = (T - tx) / (11.67 + tx)
        g = 0.55 * np.log1p(a) + 0.61 * np.log1p(b)
        special.expit(np.log1p(-np.exp(-g)))

    return best_of(chain)


def hyp2f1_time(n: int) -> float:
    z = np.random.default_rng(2).uniform(0.0, 0.5, n)
    return best_of(lambda: special.hyp2f1(2.16, 1.61, 3.16, z))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--n-peer", type=int, default=30_000)
    parser.add_argument("--n-predict", type=int, default=1_000_000)
    parser.add_argument("--n-peer-predict", type=int, default=200_000)
    args = parser.parse_args()
    data = simulate(max(args.n, args.n_predict))
    calls: list[int] = []
    hessian_calls: list[int] = []
    inner = pnbd_module.pareto_objective

    def counted(x: np.ndarray, *a: np.ndarray) -> object:
        # every evaluation of the objective built on x.size histories is counted
        ll, vg = inner(x, *a)

        def ll_c(theta: np.ndarray) -> float:
            calls.append(x.size)
            return ll(theta)

        def vg_c(theta: np.ndarray) -> tuple[float, np.ndarray]:
            calls.append(x.size)
            return vg(theta)

        fgh = getattr(vg, "value_gradient_hessian", None)
        if fgh is not None:  # the exact Hessian (one pass; NaN where not exact)

            def fgh_c(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
                out: tuple[float, np.ndarray, np.ndarray] = fgh(theta)
                if np.isfinite(out[0]):
                    calls.append(x.size)
                    hessian_calls.append(x.size)
                return out

            vg_c.value_gradient_hessian = fgh_c  # type: ignore[attr-defined]
        for option in ("newton_keep_partial", "newton_step_tol"):  # the fit's options
            if hasattr(vg, option):
                setattr(vg_c, option, getattr(vg, option))
        return ll_c, vg_c

    ParetoNBD.fit(data.iloc[:5000])  # warm-up (untimed): first-fit imports
    pnbd_module.pareto_objective = counted  # type: ignore[assignment]
    fit_times = []
    for _ in range(3):  # the fit is deterministic: median of three, as for lifetimes
        calls.clear()
        hessian_calls.clear()
        t0 = time.perf_counter()
        fit = ParetoNBD.fit(data.iloc[: args.n])
        fit_times.append(time.perf_counter() - t0)
    t_fit = sorted(fit_times)[1]
    pnbd_module.pareto_objective = inner
    full_evals = sum(1 for c in calls if c >= args.n)
    sub = ParetoNBD.fit(data.iloc[: args.n_peer])
    pred = data.iloc[: args.n_predict]
    t_pred = best_of(
        lambda: (
            MODEL.probability_alive(pred),
            MODEL.conditional_expected_purchases(pred, t=12.0),
        ),
        repeat=2,
    )
    t_clv = best_of(
        lambda: customer_lifetime_value(
            MODEL,
            10.0,
            pred,
            horizon=52,
            time_unit="W",
            discount_rate=1.01 ** (12 / 52) - 1,
            chunk_size=100_000,
        ),
        repeat=2,
    )
    chain_fit, chain_pred = chain_time(args.n), chain_time(args.n_predict)
    hyp_pred = hyp2f1_time(args.n_predict)
    floor = {"fit": 18 * chain_fit, "pred": 2 * chain_pred, "clv": chain_pred}
    print(f"Pareto/NBD, all-distinct histories (CDNOW estimates), fit n={args.n:,}")
    print(
        f"  crmkit fit: {t_fit:.2f} s (median of {', '.join(f'{t:.2f}' for t in fit_times)}), "
        f"{full_evals} full-data likelihood evaluations "
        f"({sum(1 for c in hessian_calls if c >= args.n)} with the exact Hessian; "
        f"+{len(calls) - full_evals} on the subsample); converged={fit.converged}, "
        f"params { {k: round(v, 6) for k, v in fit.params.items()} }"
    )
    print(
        f"  numpy: eight-op chain {1000 * chain_pred:.1f} ms and scipy hyp2f1 "
        f"{1000 * hyp_pred:.1f} ms per {args.n_predict:,} rows; chain "
        f"{1000 * chain_fit:.1f} ms per {args.n:,} rows"
    )
    peer: dict[str, object] | None = None
    python = peer_python("lifetimes")
    if python is not None:
        with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as fh:
            np.savez(
                fh,
                x=data["frequency"].to_numpy(),
                tx=data["recency"].to_numpy(),
                T=data["T"].to_numpy(),
            )
            path = fh.name
        n_pp = min(args.n_predict, args.n_peer_predict)
        proc = subprocess.run(
            [str(python), "-c", PEER, path, str(args.n_peer), str(n_pp)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            peer = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            print(f"  lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}")
    header = (
        f"  {'task':<34}{'crmkit s':>10}{'lifetimes s':>13}{'numpy LB s':>12}"
        f"{'lt/crmkit':>11}{'lt/LB':>9}"
    )
    print(header)
    rows = [
        ("fit", f"fit, {args.n:,} customers", t_fit, args.n / args.n_peer),
        ("pred", f"P(alive)+conditional, {args.n_predict:,}", t_pred, None),
        ("clv", f"CLV 1 year, {args.n_predict:,}", t_clv, None),
    ]
    for key, label, t_ck, scale in rows:
        lt = float("nan")
        if peer is not None:
            n_pp = float(peer["n_pred"])  # type: ignore[arg-type]
            raw = float(peer["fit" if key == "fit" else ("predict" if key == "pred" else "clv")])  # type: ignore[arg-type]
            lt = raw * (scale if scale is not None else args.n_predict / n_pp)
        print(
            f"  {label:<34}{t_ck:>10.3f}{lt:>13.2f}{floor[key]:>12.3f}"
            f"{lt / t_ck:>10.1f}x{lt / floor[key]:>8.0f}x"
        )
    if peer is not None:
        params = peer["params"]
        assert isinstance(params, dict)
        diff = max(abs(sub.params[k] - v) / abs(v) for k, v in params.items())
        worst = max(params, key=lambda k: abs(sub.params[k] - params[k]) / abs(params[k]))
        peer_ll = float(ParetoNBD(**params).log_likelihood(data.iloc[: args.n_peer]))
        times = ", ".join(f"{t:.2f}" for t in peer["fit_times"])  # type: ignore[union-attr]
        print(f"  lifetimes fit times on {args.n_peer:,} customers (seeds 0-2): {times} s")
        print(
            f"  lifetimes times scaled linearly from {args.n_peer:,} (fit) and "
            f"{peer['n_pred']:,} (predictions) customers; max relative parameter "
            f"difference of the two fits on {args.n_peer:,} customers: {diff:.2e} ({worst}); "
            f"log-likelihood (evaluated by crmkit) at crmkit's estimate "
            f"{sub.log_likelihood:.6f}, at lifetimes' {peer_ll:.6f}"
        )


if __name__ == "__main__":
    main()
