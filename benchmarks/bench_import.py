"""Benchmark: what ``import crmkit`` costs on top of ``import pandas``.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_import.py [--repeat 9]

Each variant runs in a fresh interpreter, the variants interleaved round by round so a
busy machine slows them alike; the script prints each one's median wall time (interpreter
start-up included) and the difference to ``import pandas`` from the same run. The budget
for a bare ``import crmkit`` is 0.15 s over ``import pandas``: crmkit's subpackages and
scipy load on first use (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

VARIANTS = {
    "python (start-up only)": "pass",
    "import pandas": "import pandas",
    "import pandas, crmkit": "import pandas, crmkit",
    "... + crmkit.rfm_summary": "import pandas, crmkit; crmkit.rfm_summary",
    "... + crmkit.clv (loads scipy)": "import pandas, crmkit; crmkit.clv.BetaGeo",
    "import crmkit.clv, .domain, .codes, .lifecycle, .metrics": (
        "import crmkit.clv, crmkit.domain, crmkit.codes, crmkit.lifecycle, crmkit.metrics"
    ),
}
BUDGET = 0.15


def _once(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    for code in VARIANTS.values():  # warm the file-system cache and the .pyc files
        _once(code)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeat):
        for name, code in VARIANTS.items():
            times[name].append(_once(code))
    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["import pandas"]
    print(f"{'variant':<58} {'median s':>9} {'vs pandas':>10}")
    for name, value in median.items():
        print(f"{name:<58} {value:9.3f} {value - base:+10.3f}")
    extra = median["import pandas, crmkit"] - base
    verdict = "within" if extra <= BUDGET else "OVER"
    print(f"\nimport crmkit: {extra:+.3f} s over import pandas, {verdict} the {BUDGET} s budget")


if __name__ == "__main__":
    main()
