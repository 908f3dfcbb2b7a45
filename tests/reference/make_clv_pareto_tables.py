"""Regenerate ``clv_pareto_tables.json``: mpmath references for batched Pareto/NBD predictions.

crmkit predicts large batches of histories through tables per purchase count
(``crmkit.clv._pareto_predict``); their accuracy depends on the batch (its range of
times sets the tables' pieces and degree). Each entry here is a parameter set, a
seeded batch (purchase counts drawn from ``x_values``, T uniform on ``T_range``, t_x
uniform on [0, T] for buyers) and reference histories that the test places at the top
of that batch: short and long gaps T - t_x (down to 1e-9 relative, where the two tail
integrals of the likelihood nearly cancel), t_x = T, x = 0 and the largest count.

The values come from :func:`make_clv_pareto_grid.reference` (Fader & Hardie 2005, note
009: the likelihood integral of eq. 19 by ``mpmath.quad``, P(alive) by eq. 18 and the
conditional expectation by eq. 41) at 30 and 50 significant digits; an entry is
stored only if both precisions agree to 1e-15 relative.

Run from the repository root: ``python tests/reference/make_clv_pareto_tables.py``
(about a minute).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "clv_pareto_tables.json"

_spec = importlib.util.spec_from_file_location("make_grid", HERE / "make_clv_pareto_grid.py")
assert _spec is not None
assert _spec.loader is not None
grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grid)

# (r, alpha, s, beta), purchase counts of the batch, range of T, seed
BATCHES: list[dict[str, Any]] = [
    {"theta": [0.55, 10.58, 0.61, 11.67], "x_values": list(range(21)), "T_range": [27.0, 39.0]},
    {"theta": [0.55, 11.67, 0.61, 10.58], "x_values": list(range(21)), "T_range": [27.0, 39.0]},
    {"theta": [0.243, 4.414, 0.793, 2.426], "x_values": [0, 1, 2, 5, 9], "T_range": [1.0, 78.0]},
    {"theta": [5.0, 100.0, 0.2, 1.0], "x_values": [0, 1, 3, 30], "T_range": [10.0, 400.0]},
    {"theta": [1e3, 50.0, 20.0, 2e3], "x_values": [0, 2, 50, 400], "T_range": [1.0, 100.0]},
    {"theta": [0.8, 30.0, 1.5, 200.0], "x_values": [0, 1, 7, 10_000], "T_range": [50.0, 1e4]},
    {"theta": [2.0, 1e-3, 0.5, 1e4], "x_values": [0, 1, 3, 50], "T_range": [1.0, 1e4]},
    {"theta": [0.3, 5e3, 3.0, 1e-2], "x_values": [0, 1, 3, 50], "T_range": [1.0, 1e4]},
]


def histories(x_values: list[int], T_range: list[float]) -> list[tuple[float, float, float]]:
    """Reference histories within the batch's ranges: gaps from 0 to the whole of T."""
    T_lo, T_hi = T_range
    T_mid = (T_lo + T_hi) / 2.0
    top = float(max(x_values))
    one = float(x_values[1])
    out = [(0.0, 0.0, T_lo), (0.0, 0.0, T_hi), (top, T_hi * 0.999, T_hi)]
    for rel in (0.0, 1e-9, 1e-5, 1e-2, 0.3, 0.9):
        out.append((one, T_mid * (1.0 - rel), T_mid))
    out.append((top, T_lo * 0.5, T_lo))
    return out


def main() -> None:
    entries = []
    worst = 0.0
    for seed, batch in enumerate(BATCHES):
        r, alpha, s, beta = batch["theta"]
        rows = []
        for x, tx, T in histories(batch["x_values"], batch["T_range"]):
            lo = grid.reference(r, alpha, s, beta, x, tx, T, dps=30)
            hi = grid.reference(r, alpha, s, beta, x, tx, T, dps=50)
            agree = grid._agree(lo, hi)
            if agree > 1e-15:
                raise SystemExit(f"30 and 50 digits disagree ({agree:.1e}) at {batch}, {x, tx, T}")
            worst = max(worst, agree)
            rows.append(
                {
                    "x": x,
                    "t_x": tx,
                    "T": T,
                    "log_likelihood": float(hi["log_likelihood"]),
                    "probability_alive": float(hi["probability_alive"]),
                    "conditional_expected_purchases": {
                        str(t): float(v)
                        for t, v in zip(grid.T_HORIZONS, hi["conditional"], strict=True)
                    },
                }
            )
        entries.append({**batch, "seed": seed, "histories": rows})
    doc = {
        "source": (
            "mpmath 1.x via tests/reference/make_clv_pareto_grid.py:reference (Fader & Hardie "
            "2005, note 009: likelihood integral of eq. 19 by mp.quad, P(alive) eq. 18, "
            "conditional expected purchases eq. 41) at 30 and 50 digits (worst relative "
            f"disagreement {worst:.1e}). Script: tests/reference/make_clv_pareto_tables.py"
        ),
        "tolerance": {
            "log_likelihood_atol": 1e-10,
            "rtol": 1e-10,
            "atol": 1e-300,
            "note": "as clv_pareto_grid.json",
        },
        "horizons": list(grid.T_HORIZONS),
        "batches": entries,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    n = sum(len(e["histories"]) for e in entries)
    print(f"wrote {n} histories in {len(entries)} batches to {OUT.name}; worst {worst:.1e}")


if __name__ == "__main__":
    main()
