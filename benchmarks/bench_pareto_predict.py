"""Benchmark: Pareto/NBD predictions on all-distinct histories vs lifetimes and numpy.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_pareto_predict.py [--n 1000000] [--rounds 3]

Histories are simulated from the published CDNOW estimates (r=.55, alpha=10.58,
s=.61, beta=11.67; Fader, Hardie & Lee 2005) with continuous t_x and T, so every
customer is a distinct history. The task: ``probability_alive``
plus ``conditional_expected_purchases`` (12 weeks) on ``n`` customers, through the
public methods (the summary frame in, Series out: validation and wrapping included).
lifetimes 0.11.3 runs ``conditional_probability_alive`` plus
``conditional_expected_number_of_purchases_up_to_time`` on the same arrays in its own
environment (``benchmarks/_peers.py``). The machine is shared, so the measurements
alternate: ``rounds`` times crmkit then lifetimes, and the best time of each is
reported, with the ratio of the two.

Two numpy floors are printed from the same run:

* ``chain``: per call, the elementary part that any P(alive) formula needs, without
  its hypergeometric term: ``T - t_x``, two divisions, two ``log1p``, a weighted sum,
  ``exp`` and ``1 / (1 + .)``, in cache-sized blocks as crmkit computes (11 numpy
  operations per row); twice for the task. Adding the summary validation that each
  public call makes gives the floor of the two public calls;
* ``hyp2f1``: the four ``scipy.special.hyp2f1`` evaluations per row that lifetimes
  makes (two per P(alive), and the conditional expectation recomputes P(alive)): the
  floor of any implementation that evaluates the Gaussian hypergeometric function per
  customer.

Times are wall clock (best of several) and CPU time (``time.process_time``): the
machine may be shared, and CPU time is the steadier of the two there.

The crmkit kernel alone (``_log_ratio`` on arrays, no frame handling) and the summary
validation (``_arrays``) are timed too, to show where the time goes.
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

from crmkit.clv import ParetoNBD

PEER = r"""
import json, sys, time, warnings
import numpy as np
import pandas as pd
from lifetimes import ParetoNBDFitter
warnings.simplefilter("ignore")
d = np.load(sys.argv[1])
pn = ParetoNBDFitter()
pn.params_ = pd.Series({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
x, tx, T = d["x"], d["tx"], d["T"]
t0, c0 = time.perf_counter(), time.process_time()
pa = pn.conditional_probability_alive(x, tx, T)
ce = pn.conditional_expected_number_of_purchases_up_to_time(12.0, x, tx, T)
out = {"predict": time.perf_counter() - t0, "cpu": time.process_time() - c0}
np.savez(sys.argv[2], pa=pa, ce=ce)
print(json.dumps(out))
"""

MODEL = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, n)  # continuous: every history distinct
    return MODEL.simulate(n, T, rng)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    return timed(fn, repeat)[0]


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """Best wall-clock and best CPU time (``time.process_time``) of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def chain_time(n: int) -> tuple[float, float]:
    """Wall and CPU time of the floor chain of the module docstring on ``n`` rows."""
    rng = np.random.default_rng(1)
    tx, T = rng.uniform(0.0, 30.0, n), rng.uniform(30.0, 40.0, n)
    out = np.empty(n)
    block = 8_192

    def chain() -> None:
        for a in range(0, n, block):  # in blocks that stay in the cache, as crmkit does
            t1, t2 = tx[a : a + block], T[a : a + block]
            gap = t2 - t1
            g = 0.55 * np.log1p(gap / (10.58 + t1))
            g += 0.61 * np.log1p(gap / (11.67 + t1))
            e = np.exp(g)
            e += 1.0
            np.reciprocal(e, out=out[a : a + block])

    return timed(chain)


def hyp2f1_time(n: int) -> float:
    z = np.random.default_rng(2).uniform(0.0, 0.1, n)
    return best_of(lambda: special.hyp2f1(2.16, 1.61, 3.16, z), repeat=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = simulate(args.n)
    x, tx, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))

    def task() -> tuple[pd.Series, pd.Series]:
        pa = MODEL.probability_alive(data)
        ce = MODEL.conditional_expected_purchases(data, t=12.0)
        return pa, ce  # type: ignore[return-value]

    pa, ce = task()  # warm-up (imports, first-call costs)
    python = peer_python("lifetimes")
    path = out = ""
    if python is not None:
        with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as fh:
            np.savez(fh, x=x, tx=tx, T=T)
            path = fh.name
        out = path.replace(".npz", "_out.npz")
    t_ck: list[float] = []
    t_lt: list[float] = []
    c_ck: list[float] = []
    c_lt: list[float] = []
    for _ in range(args.rounds):
        wall, cpu = timed(task, repeat=1)
        t_ck.append(wall)
        c_ck.append(cpu)
        if python is None:
            continue
        proc = subprocess.run(
            [str(python), "-c", PEER, path, out], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print(f"  lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}")
            python = None
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        t_lt.append(float(res["predict"]))
        c_lt.append(float(res["cpu"]))
    ck = min(t_ck)
    t_pa = best_of(lambda: MODEL.probability_alive(data))
    t_ce = best_of(lambda: MODEL.conditional_expected_purchases(data, t=12.0))
    t_kernel = best_of(lambda: MODEL._log_ratio(x, tx, T))
    t_arrays, c_arrays = timed(lambda: MODEL._arrays(data))
    chain, c_chain = (2 * v for v in chain_time(args.n))
    hyp = 4 * hyp2f1_time(args.n)
    print(f"Pareto/NBD predictions, {args.n:,} all-distinct histories (CDNOW estimates)")
    print(
        f"  crmkit P(alive) + conditional: {ck:.3f} s (best of {args.rounds}: "
        f"{', '.join(f'{t:.3f}' for t in t_ck)}); P(alive) alone {t_pa:.3f} s, conditional "
        f"alone {t_ce:.3f} s; per call: summary validation {t_arrays:.3f} s, log-ratio "
        f"kernel {t_kernel:.3f} s"
    )
    print(f"  numpy floors: elementary chain x2 {chain:.3f} s; scipy hyp2f1 x4 {hyp:.3f} s")
    floor_pub, c_floor_pub = chain + 2 * t_arrays, c_chain + 2 * c_arrays
    print(
        f"  floor of the two public calls (chain x2 + the summary validation each call "
        f"makes): {floor_pub:.3f} s (CPU {c_floor_pub:.3f} s)"
    )
    if t_lt:
        lt = min(t_lt)
        got = np.load(out)
        rel_pa = np.max(np.abs(pa.to_numpy() - got["pa"]) / got["pa"])
        rel_ce = np.max(np.abs(ce.to_numpy() - got["ce"]) / got["ce"])
        print(f"  lifetimes 0.11.3: {lt:.3f} s (best of {', '.join(f'{t:.3f}' for t in t_lt)})")
        print(
            f"  lifetimes / crmkit = {lt / ck:.1f}x (wall clock); CPU time "
            f"{min(c_lt):.3f} s / {min(c_ck):.3f} s = {min(c_lt) / min(c_ck):.1f}x; "
            f"lifetimes / chain floor = {lt / chain:.1f}x (CPU {min(c_lt) / c_chain:.1f}x); "
            f"lifetimes / hyp2f1 floor = {lt / hyp:.2f}x"
        )
        print(
            f"  lifetimes / floor of the public calls = {lt / floor_pub:.1f}x "
            f"(CPU {min(c_lt) / c_floor_pub:.1f}x)"
        )
        print(
            f"  largest relative difference to lifetimes: P(alive) {rel_pa:.1e}, "
            f"conditional {rel_ce:.1e} (lifetimes' hyp2f1 is the less accurate side)"
        )


if __name__ == "__main__":
    main()
