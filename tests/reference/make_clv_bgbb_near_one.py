"""Regenerate clv_bgbb_near_one.json: BG/BB E[X(n)] with gamma near and far from 1.

E[X(n)] = alpha/(alpha+beta) * sum_{s=1}^{n} B(gamma, delta+s)/B(gamma, delta)
(Fader, Hardie & Shang 2010, eq. 7). The sum telescopes to
(delta - (delta + n) Q) / (gamma - 1) with Q = (delta)_n / (delta + gamma)_n, and to
delta * (psi(delta + n + 1) - psi(delta + 1)) at gamma = 1; both are evaluated here in
mpmath at 80 and 120 digits, which must agree to 1e-40 (the cancellation near
gamma = 1 and the size of log-gamma at delta = 1e7 cost at most about 25 digits).

Usage: python tests/reference/make_clv_bgbb_near_one.py
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp

ALPHA, BETA = 1.2, 0.75
GAMMAS = [
    1.0,
    1 - 1e-12,
    1 + 1e-9,
    1 - 1e-8,
    1 + 1e-8,
    1 + 3e-7,
    1 - 1e-6,
    1 + 1e-5,
    1 - 1e-4,
    1 + 1e-3,
    1 - 1e-3,
    1 + 2e-3,
    0.99,
    0.5,
    3.0,
    1e3,
]
DELTAS = [1e-4, 0.5, 2.8, 1e3, 1e7]
HORIZONS = [1, 7, 100, 10_000, 1_000_000]


def value(g: float, d: float, n: int, dps: int) -> mp.mpf:
    mp.mp.dps = dps
    g_, d_, n_ = mp.mpf(g), mp.mpf(d), mp.mpf(n)
    if g_ == 1:
        s = d_ * (mp.digamma(d_ + n_ + 1) - mp.digamma(d_ + 1))
    else:
        log_q = mp.loggamma(d_ + n_) - mp.loggamma(d_) - mp.loggamma(d_ + g_ + n_)
        log_q += mp.loggamma(d_ + g_)
        s = (d_ - (d_ + n_) * mp.exp(log_q)) / (g_ - 1)
    return mp.mpf(ALPHA) / (mp.mpf(ALPHA) + mp.mpf(BETA)) * s


def main() -> None:
    points = []
    for g in GAMMAS:
        for d in DELTAS:
            for n in HORIZONS:
                lo, hi = value(g, d, n, 80), value(g, d, n, 120)
                mp.mp.dps = 120
                assert abs(lo - hi) <= mp.mpf("1e-40") * abs(hi), (g, d, n)
                points.append({"gamma": g, "delta": d, "n": n, "expected": float(hi)})
    out = {
        "source": "mpmath 80 and 120 digits (agreeing to 1e-40) of the closed form of "
        "E[X(n)] (Fader, Hardie & Shang 2010, Marketing Science 29(6), eq. 7)",
        "call": "BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=gamma, delta=delta)"
        ".expected_purchases(n)",
        "inputs": {"alpha": ALPHA, "beta": BETA},
        "tolerance": {"relative": 1e-10},
        "points": points,
    }
    path = Path(__file__).with_name("clv_bgbb_near_one.json")
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
