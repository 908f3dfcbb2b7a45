"""Cost of the default fits: log-likelihood evaluations and time per family.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_starts.py

Counts every call of a family's log-likelihood, gradient or value-and-gradient made by
the fit driver (optimiser, convergence checks, polish, restarts) for the default start on
the published data sets: CDNOW (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma; Fader, Hardie &
Lee 2005), the donations panel (BG/BB; Fader, Hardie & Shang 2010) and the two cohorts of
Fader & Hardie (2007, years 0-7, sBG). Run it on two commits to compare starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import crmkit.clv._base as base
import crmkit.clv._transaction as transaction
import crmkit.clv.bgbb as bgbb
import crmkit.clv.gammagamma as gammagamma
import crmkit.clv.sbg as sbg
from crmkit.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)
from crmkit.datasets import load_cdnow_summary, load_donations

# Fader & Hardie (2007), survivors of 1000 customers, years 0-7
FH2007 = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
    "high end": [1000, 869, 743, 653, 593, 551, 517, 491],
}

_original = base.maximize_log_likelihood
_count = {"evals": 0}


def _counting(log_likelihood: Callable[..., Any], x0: Any, **kwargs: Any) -> Any:
    def counted(f: Callable[..., Any]) -> Callable[..., Any]:
        def inner(theta: Any) -> Any:
            _count["evals"] += 1
            return f(theta)

        return inner

    for key in ("gradient", "value_and_gradient"):
        if kwargs.get(key) is not None:
            kwargs[key] = counted(kwargs[key])
    return _original(counted(log_likelihood), x0, **kwargs)


def main() -> None:
    for module in (transaction, sbg, bgbb, gammagamma):
        module.maximize_log_likelihood = _counting  # type: ignore[attr-defined]
    cdnow, donations = load_cdnow_summary(), load_donations()
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("BG/NBD (CDNOW)", lambda: BetaGeo.fit(cdnow)),
        ("MBG/NBD (CDNOW)", lambda: ModifiedBetaGeo.fit(cdnow)),
        ("Pareto/NBD (CDNOW)", lambda: ParetoNBD.fit(cdnow)),
        ("Gamma-Gamma (CDNOW)", lambda: GammaGamma.fit(cdnow)),
        ("BG/BB (donations)", lambda: BetaGeoBetaBinom.fit(donations)),
    ]
    for name, surv in FH2007.items():
        cases.append((f"sBG ({name})", lambda s=surv: ShiftedBetaGeometric.fit(s)))
    print(f"{'family':22s} {'evaluations':>11s} {'iterations':>10s} {'seconds':>8s}  log-lik")
    for name, fit_fn in cases:
        _count["evals"] = 0
        t0 = time.perf_counter()
        fit = fit_fn()
        dt = time.perf_counter() - t0
        print(
            f"{name:22s} {_count['evals']:11d} {fit.iterations:10d} {dt:8.3f}  "
            f"{fit.log_likelihood:.4f}"
        )


if __name__ == "__main__":
    main()
