"""Regenerate ``clv_bgbb_near_one.json``: BG/BB alive sums for gamma near 1.

Run from the repository root (a few seconds)::

    python tests/reference/make_clv_bgbb_near_one.py

For the BG/BB model (Fader, Hardie & Shang 2010) the expected transactions and the
discounted expected residual transactions need
:math:`\\sum_{s=1}^{m} B(\\gamma, \\delta + n + s) / B(\\gamma, \\delta + n)`. This script
sums the terms one by one with mpmath (``mp.beta``) at 30 and at 50 digits, for
:math:`\\gamma` within 1e-2 of 1 (where the closed form divides by
:math:`\\gamma - 1`), and stores values on which the two precisions agree to 1e-20.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp

OUT = Path(__file__).with_name("clv_bgbb_near_one.json")
GAMMAS = [
    "1",
    "1.000000000001",
    "0.999999999",
    "1.0000001",
    "0.99999",
    "1.00001",
    "1.0003",
    "0.9991",
    "1.002",
    "0.99",
    "1.01",
]
POINTS = [  # delta, n, m
    [2.783, 0, 1],
    [2.783, 6, 5],
    [0.05, 0, 40],
    [0.05, 3, 200],
    [40.0, 10, 3],
    [1500.0, 20, 60],
]


def _sum(gamma: str, delta: float, n: int, m: int, dps: int) -> mp.mpf:
    with mp.workdps(dps):
        g, x = mp.mpf(gamma), mp.mpf(delta) + n
        base = mp.beta(g, x)
        return mp.fsum(mp.beta(g, x + s) / base for s in range(1, m + 1))


def main() -> None:
    cases = []
    for gamma in GAMMAS:
        for delta, n, m in POINTS:
            lo, hi = _sum(gamma, delta, n, m, 30), _sum(gamma, delta, n, m, 50)
            if abs(lo - hi) > mp.mpf("1e-20") * abs(hi):
                raise SystemExit(f"30 and 50 digits disagree at {gamma}, {delta}, {n}, {m}")
            cases.append(
                {
                    "gamma": float(mp.mpf(gamma)),
                    "delta": delta,
                    "n": n,
                    "m": m,
                    "sum_over_r": float(hi),
                }
            )
    data = {
        "source": (
            "mpmath term-by-term sums of B(gamma, delta + n + s) / B(gamma, delta + n), "
            "s = 1..m (Fader, Hardie & Shang 2010, BG/BB); 30 and 50 digits agree to 1e-20"
        ),
        "script": "tests/reference/make_clv_bgbb_near_one.py",
        "tolerance": {"rtol": 1e-10},
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
