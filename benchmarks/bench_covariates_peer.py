"""Covariate fits: crmkit (maximum likelihood) vs PyMC-Marketing (MAP), side by side.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_covariates_peer.py \
        [--customers 10000,100000] [--families paretonbd,bgnbd] [--priors flat]

Data: the seeded simulation of ``bench_covariates.py`` (Fader & Hardie 2007 time-invariant
covariates: three standard-normal columns and a three-level channel, two dummies, for
both processes; 52-week calibration period). The summary and the dummy-coded covariates
go to a temporary ``.npz`` file that the peer reads, so both libraries fit the same
arrays with the same five terms per process.

The peer is PyMC-Marketing's ``clv.ParetoNBDModel`` / ``clv.BetaGeoModel`` with
``model_config`` ``purchase_covariate_cols`` / ``dropout_covariate_cols``, fitted with
``fit(method="map")`` (``pymc.find_MAP``, L-BFGS-B on the log-posterior). MAP is the fair
comparison with maximum likelihood. NUTS sampling (``method="mcmc"``, the default of
``BetaGeoModel.fit`` in PyMC-Marketing 0.19; ``ParetoNBDModel.fit`` defaults to MAP)
draws thousands of gradient evaluations and is far slower; it is not timed here.
``--priors flat`` (default) gives the peer flat priors (``HalfFlat`` on the baseline
parameters, ``Flat`` on the coefficients), so its MAP *is* the maximum-likelihood
estimate and the estimates cross-check crmkit's; ``--priors default`` keeps the
library's own priors (Weibull on the baseline parameters, Normal(0, 1) on the
coefficients), as a user would run it. The peer runs in its own virtual environment,
located or set up by ``benchmarks/_peers.py`` (override with ``CRMKIT_PYMC_PYTHON``);
its seconds include building and compiling the PyTensor graph, as a user pays them
(the very first run on a machine also fills PyTensor's compilation cache and takes
about a minute longer; run twice and read the second).

Both libraries use Fader & Hardie's sign convention: :math:`\\alpha_i = \\alpha
\\exp(-\\gamma_1' z_i)`, :math:`\\beta_i = \\beta \\exp(-\\gamma_2' z_i)` (Pareto/NBD),
:math:`a_i = a \\exp(\\gamma_a' z_i)`, :math:`b_i = b \\exp(\\gamma_b' z_i)` (BG/NBD), so the
coefficients compare one to one (PyMC-Marketing names the baselines ``alpha_scale``,
``beta_scale``, ``a_scale``, ``b_scale``).

Printed per family and size: crmkit fit seconds, PyMC-Marketing MAP seconds and their
ratio; the floor (one vectorised log-likelihood evaluation at crmkit's optimum, the
least any optimiser must pay per iteration); crmkit's log-likelihood and the one of the
peer's estimates (evaluated by crmkit); and the largest difference of the estimates, in
crmkit standard errors, with the per-parameter differences below. Compare ratios of one
run, not absolute seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from crmkit.clv.covariates import BetaGeoCovariates, ParetoNBDCovariates

sys.path.insert(0, str(Path(__file__).parent))
from _peers import peer_python
from bench_covariates import CODING, GAMMA, covariates, simulate

PEER_SCRIPT = r"""
import json, sys, time, warnings, logging
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
import pymc_marketing
from pymc_marketing import clv
from pymc_extras.prior import Prior
d = np.load(sys.argv[1]); family = sys.argv[2]; priors = sys.argv[3]
names = [str(c) for c in d["znames"]]
df = pd.DataFrame({"customer_id": np.arange(d["x"].size), "frequency": d["x"],
                   "recency": d["tx"], "T": d["T"]})
for j, c in enumerate(names):
    df[c] = d["z"][:, j]
cfg = {"purchase_covariate_cols": names, "dropout_covariate_cols": names}
if priors == "flat":
    cfg.update(r=Prior("HalfFlat"), alpha=Prior("HalfFlat"),
               purchase_coefficient=Prior("Flat"), dropout_coefficient=Prior("Flat"))
    if family == "paretonbd":
        cfg.update(s=Prior("HalfFlat"), beta=Prior("HalfFlat"))
    else:
        cfg.update(a=Prior("HalfFlat"), b=Prior("HalfFlat"))
out = {"version": pymc_marketing.__version__}
t0 = time.perf_counter(); c0 = time.process_time()
if family == "paretonbd":
    m = clv.ParetoNBDModel(data=df, model_config=cfg)
else:
    m = clv.BetaGeoModel(data=df, model_config=cfg)
m.fit(method="map", progressbar=False)
out["seconds"] = time.perf_counter() - t0
out["cpu"] = time.process_time() - c0
post = m.idata.posterior
def one(k):
    return np.asarray(post[k].values, dtype=float).reshape(-1).tolist()
if family == "paretonbd":
    est = one("r") + one("alpha_scale") + one("s") + one("beta_scale")
    est += one("purchase_coefficient") + one("dropout_coefficient")
else:
    est = one("r") + one("alpha_scale") + one("a_scale") + one("b_scale")
    est += one("purchase_coefficient_alpha") + one("dropout_coefficient_a")
    est += one("dropout_coefficient_b")
out["estimates"] = est
print(json.dumps(out))
"""


def truths() -> dict[str, Any]:
    """The simulated populations of ``bench_covariates.py`` (same parameters)."""
    return {
        "paretonbd": ParetoNBDCovariates(
            r=0.8,
            alpha=8.0,
            s=0.9,
            beta=20.0,
            purchase_coding=CODING,
            purchase_coefficients=GAMMA,
            dropout_coding=CODING,
            dropout_coefficients=GAMMA[::-1],
        ),
        "bgnbd": BetaGeoCovariates(
            r=0.8,
            alpha=6.0,
            a=0.9,
            b=3.0,
            purchase_coding=CODING,
            purchase_coefficients=GAMMA,
            dropout_coding=CODING,
            a_coefficients=GAMMA,
            b_coefficients=GAMMA[::-1],
        ),
    }


def run_peer(python: Path | None, path: str, family: str, priors: str) -> dict[str, Any] | None:
    if python is None:
        print("  (PyMC-Marketing skipped: peer not available)")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(PEER_SCRIPT)
    try:
        proc = subprocess.run(
            [str(python), fh.name, path, family, priors],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    except subprocess.TimeoutExpired:
        print("  (PyMC-Marketing timed out after 3600 s)")
        return None
    finally:
        os.unlink(fh.name)
    if proc.returncode != 0:
        print(f"  (PyMC-Marketing failed: {proc.stderr.strip().splitlines()[-3:]})")
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="10000,100000")
    parser.add_argument("--families", default="paretonbd,bgnbd")
    parser.add_argument("--priors", choices=("flat", "default"), default="flat")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    python = None if args.skip_peer else peer_python("pymc")
    rows: list[tuple[str, int, float, float | None, float, float, float | None, float]] = []
    details: list[str] = []
    for n in (int(v) for v in args.customers.split(",")):
        rng = np.random.default_rng(2007)
        z = covariates(n, rng)
        for family in args.families.split(","):
            truth = truths()[family]
            summary = simulate(truth, z, 52.0, rng)
            kind = type(truth)
            t0 = time.perf_counter()
            fit = kind.fit(summary, purchase_covariates=z, dropout_covariates=z)
            ours = time.perf_counter() - t0
            model = fit.model
            t0 = time.perf_counter()
            model.log_likelihood(summary, purchase_covariates=z, dropout_covariates=z)
            floor = time.perf_counter() - t0
            names = list(fit.params)
            est = np.asarray(fit.estimates, dtype=np.float64)
            se = np.sqrt(np.diag(fit.covariance))
            zmat = CODING.matrix(z, summary.index, side="purchase")
            peer = None
            with tempfile.TemporaryDirectory() as tmp:
                path = str(Path(tmp) / "covariates.npz")
                np.savez(
                    path,
                    x=summary["frequency"].to_numpy(),
                    tx=summary["recency"].to_numpy(),
                    T=summary["T"].to_numpy(),
                    z=zmat,
                    znames=np.array([t.replace("[", "_").rstrip("]") for t in CODING.terms]),
                )
                if python is not None:
                    print(f"{family} n={n:,}: PyMC-Marketing MAP ...", flush=True)
                peer = run_peer(python, path, family, args.priors)
            theirs_s: float | None = None
            peer_ll: float | None = None
            worst = float("nan")
            if peer is not None:
                theirs_s = float(peer["seconds"])
                pe = np.asarray(peer["estimates"], dtype=np.float64)
                diff = (pe - est) / se
                worst = float(np.max(np.abs(diff)))
                k0 = len(kind._base_names)
                values: dict[str, Any] = dict(zip(kind._base_names, pe[:k0], strict=True))
                pos = k0
                for _, _, attr, _, _ in kind._spec:
                    values[attr] = tuple(pe[pos : pos + len(CODING.terms)])
                    pos += len(CODING.terms)
                twin = kind(purchase_coding=CODING, dropout_coding=CODING, **values)
                peer_ll = twin.log_likelihood(summary, purchase_covariates=z, dropout_covariates=z)
                details.append(f"{family} n={n:,} (PyMC-Marketing {peer['version']}):")
                details.extend(
                    f"    {name:<26} crmkit {e:9.4f}  se {s:7.4f}  peer {p:9.4f}  "
                    f"diff/se {d:+6.2f}"
                    for name, e, s, p, d in zip(names, est, se, pe, diff, strict=True)
                )
            rows.append((family, n, ours, theirs_s, floor, fit.log_likelihood, peer_ll, worst))
    print()
    print(f"Covariate fits, 5 terms per process, PyMC-Marketing MAP with {args.priors} priors")
    header = (
        f"{'family':<10}{'customers':>10}{'crmkit s':>10}{'PyMC-M s':>10}{'ratio':>8}"
        f"{'LL floor s':>12}{'crmkit LL':>16}{'peer LL':>16}{'max|d|/se':>11}"
    )
    print(header)
    print("-" * len(header))
    for family, n, ours, theirs, floor, ll, pll, worst in rows:
        peer_cells = (
            f"{theirs:>10.2f}{theirs / ours:>7.0f}x"
            if theirs is not None
            else f"{'-':>10}{'-':>8}"
        )
        pll_cell = f"{pll:>16,.2f}" if pll is not None else f"{'-':>16}"
        print(
            f"{family:<10}{n:>10,}{ours:>10.2f}{peer_cells}{floor:>12.3f}{ll:>16,.2f}"
            f"{pll_cell}{worst:>11.2f}"
        )
    if details:
        print()
        print("Estimates (diff/se: (peer - crmkit) / crmkit standard error)")
        print("\n".join(details))


if __name__ == "__main__":
    main()
