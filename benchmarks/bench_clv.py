"""CLV transaction models: crmkit vs lifetimes vs PyMC-Marketing (MAP), side by side.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_clv.py [--n 1000000] [--lifetimes-pareto-n 1000000]

Data: ``n`` synthetic customers drawn with a seeded generator from the CDNOW estimates of
Fader, Hardie & Lee (2005) (BG/NBD data from the BG/NBD estimates, Pareto/NBD data from
the Pareto/NBD estimates), first purchases spread over 12 weeks and observed to week 39,
recency and T recorded to the day (in weeks), as a transaction log gives them. Every
library gets the same arrays.

Peers run as subprocesses in their own virtual environments (they need older or heavier
stacks than crmkit), located or set up by ``benchmarks/_peers.py`` (override with
``CRMKIT_LIFETIMES_PYTHON`` / ``CRMKIT_PYMC_PYTHON``); one that cannot be set up is skipped.
Timed: BG/NBD fit, Pareto/NBD fit, and the 12-period conditional expected purchases of all
customers under the fitted BG/NBD model (the per-customer CLV proxy). Parameters are
compared with crmkit's (max relative difference).
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

from crmkit.clv import BetaGeo, ParetoNBD

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, ParetoNBDFitter
warnings.simplefilter("ignore")
d = np.load(sys.argv[1]); n_pareto = int(sys.argv[2])
out = {"version": lifetimes.__version__}
bg = BetaGeoFitter(penalizer_coef=0.0)
t0 = time.perf_counter()
bg.fit(d["bg_x"], d["bg_tx"], d["bg_T"])
out["bg_fit"] = time.perf_counter() - t0
out["bg_params"] = {k: float(v) for k, v in bg.params_.items()}
t0 = time.perf_counter()
bg.conditional_expected_number_of_purchases_up_to_time(12.0, d["bg_x"], d["bg_tx"], d["bg_T"])
out["bg_predict"] = time.perf_counter() - t0
pn = ParetoNBDFitter(penalizer_coef=0.0)
t0 = time.perf_counter()
pn.fit(d["pn_x"][:n_pareto], d["pn_tx"][:n_pareto], d["pn_T"][:n_pareto])
out["pn_fit"] = time.perf_counter() - t0
out["pn_n"] = n_pareto
out["pn_params"] = {k: float(v) for k, v in pn.params_.items()}
print(json.dumps(out))
"""

PYMC_SCRIPT = r"""
import json, sys, time, warnings, logging
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
import pymc_marketing
from pymc_marketing import clv
d = np.load(sys.argv[1])
out = {"version": pymc_marketing.__version__}
def frame(p):
    return pd.DataFrame({"customer_id": np.arange(d[p + "_x"].size), "frequency": d[p + "_x"],
                         "recency": d[p + "_tx"], "T": d[p + "_T"]})
bg_df = frame("bg")
t0 = time.perf_counter()
bg = clv.BetaGeoModel(data=bg_df); bg.fit(method="map", progressbar=False)
out["bg_fit"] = time.perf_counter() - t0
post = bg.idata.posterior
out["bg_params"] = {k: float(post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
t0 = time.perf_counter(); bg.expected_purchases(data=bg_df, future_t=12).values
out["bg_predict"] = time.perf_counter() - t0
pn_df = frame("pn")
t0 = time.perf_counter()
pn = clv.ParetoNBDModel(data=pn_df); pn.fit(method="map", progressbar=False)
out["pn_fit"] = time.perf_counter() - t0
post = pn.idata.posterior
out["pn_params"] = {k: float(post[k].values.ravel()[0]) for k in ("r", "alpha", "s", "beta")}
out["pn_n"] = int(pn_df.shape[0])
print(json.dumps(out))
"""


def make_data(n: int, seed: int = 2005) -> dict[str, np.ndarray]:
    """Synthetic CDNOW-like histories, recency and T to the day (weeks)."""
    rng = np.random.default_rng(seed)
    start_day = rng.integers(0, 84, size=n)
    T = (273 - start_day) / 7.0
    out: dict[str, np.ndarray] = {}
    for prefix, model in (
        ("bg", BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)),
        ("pn", ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67)),
    ):
        sim = model.simulate(n, T, rng)
        out[prefix + "_x"] = sim["frequency"].to_numpy()
        out[prefix + "_tx"] = np.floor(sim["recency"].to_numpy() * 7.0) / 7.0
        out[prefix + "_T"] = T
    return out


def run_crmkit(data: dict[str, np.ndarray]) -> dict[str, object]:
    import pandas as pd

    def frame(p: str) -> pd.DataFrame:
        return pd.DataFrame(
            {"frequency": data[p + "_x"], "recency": data[p + "_tx"], "T": data[p + "_T"]}
        )

    bg_df, pn_df = frame("bg"), frame("pn")
    out: dict[str, object] = {}
    t0 = time.perf_counter()
    bg = BetaGeo.fit(bg_df)
    out["bg_fit"] = time.perf_counter() - t0
    out["bg_params"] = bg.params
    out["bg_unique"] = bg.n_unique
    t0 = time.perf_counter()
    bg.model.conditional_expected_purchases(bg_df, t=12.0)
    out["bg_predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pn = ParetoNBD.fit(pn_df)
    out["pn_fit"] = time.perf_counter() - t0
    out["pn_params"] = pn.params
    out["pn_unique"] = pn.n_unique
    return out


def run_peer(
    python: Path | None, script: str, data_path: str, *args: str
) -> dict[str, object] | None:
    if python is None:
        print("  (skipped: peer not available)")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(script)
    proc = subprocess.run(
        [str(python), fh.name, data_path, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"  (failed: {proc.stderr.strip().splitlines()[-1:]})")
        return None
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def max_rel(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / abs(a[k]) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-pareto-n", type=int, default=None)
    parser.add_argument("--skip-pymc", action="store_true")
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    n = args.n
    n_lt_pareto = args.lifetimes_pareto_n or n
    print(f"generating {n:,} customers per model ...")
    data = make_data(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "clv_bench.npz")
        np.savez(path, **data)
        print("crmkit ...")
        ours = run_crmkit(data)
        ours_small: dict[str, object] | None = None
        if n_lt_pareto < n:
            sub = {k: v[:n_lt_pareto] for k, v in data.items()}
            ours_small = run_crmkit(sub)
        lt = None
        if not args.skip_lifetimes:
            print("lifetimes ...")
            lt = run_peer(peer_python("lifetimes"), LIFETIMES_SCRIPT, path, str(n_lt_pareto))
        pm = None
        if not args.skip_pymc:
            print("PyMC-Marketing (MAP) ...")
            pm = run_peer(peer_python("pymc"), PYMC_SCRIPT, path)

    print()
    print(
        f"CLV transaction models, {n:,} customers (unique histories: BG/NBD "
        f"{ours['bg_unique']:,}, Pareto/NBD {ours['pn_unique']:,})"
    )
    header = (
        f"{'task':<34}{'crmkit s':>10}{'lifetimes s':>13}{'ratio':>8}{'PyMC-M s':>11}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    for key, label in (
        ("bg_fit", "BG/NBD fit"),
        ("pn_fit", "Pareto/NBD fit"),
        ("bg_predict", "12-period cond. expectation (BG)"),
    ):
        mine = float(ours[key])  # type: ignore[arg-type]
        cells = [f"{label:<34}{mine:>10.3f}"]
        for peer in (lt, pm):
            if peer is None:
                cells.append(f"{'-':>13}{'-':>8}" if peer is lt else f"{'-':>11}{'-':>8}")
                continue
            theirs = float(peer[key])  # type: ignore[arg-type]
            base = mine
            note = ""
            if key == "pn_fit" and int(peer.get("pn_n", n)) < n and ours_small is not None:  # type: ignore[call-overload]
                base = float(ours_small["pn_fit"])  # type: ignore[arg-type]
                note = "*"
            width = 13 if peer is lt else 11
            cells.append(f"{theirs:>{width}.2f}{theirs / base:>7.0f}x{note}")
        print("".join(cells))
    if ours_small is not None:
        print(
            f"* lifetimes Pareto/NBD run on the first {n_lt_pareto:,} customers; the ratio "
            f"uses crmkit on the same subset ({float(ours_small['pn_fit']):.3f} s)."
        )  # type: ignore[arg-type]
    print()
    print("parameters (max relative difference to crmkit):")
    for name, peer in (("lifetimes", lt), ("PyMC-Marketing MAP", pm)):
        if peer is None:
            continue
        bg_ref = ours["bg_params"]
        pn_ref = (
            ours_small["pn_params"] if (ours_small and name == "lifetimes") else ours["pn_params"]
        )
        print(
            f"  {name:<20} BG/NBD {max_rel(bg_ref, peer['bg_params']):.2e}   "  # type: ignore[arg-type]
            f"Pareto/NBD {max_rel(pn_ref, peer['pn_params']):.2e}   "  # type: ignore[arg-type]
            f"(version {peer['version']})"
        )
    print(f"  crmkit BG/NBD {ours['bg_params']}")
    print(f"  crmkit Pareto/NBD {ours['pn_params']}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
