"""Regenerate ``clv_ggnbd_grid.json``: GG/NBD reference values by mpmath.

For each point the likelihood of Bemmaor & Glady (2012; the form CLVTools'
``ggomnbd`` evaluates),

    L = Gamma(r + x) alpha^r / Gamma(r) [ (alpha + T)^-(r + x) S(T)
        + int_{t_x}^{T} (alpha + y)^-(r + x) f(y) dy ],
    S(y) = (beta / (beta - 1 + e^(b y)))^s,  f = -S',

is computed with ``mpmath.quad`` in the time variable y (not the survival variable
crmkit uses), on sub-intervals that start at t_x at the purchase factor's decay scale
(alpha + t_x)/(r + x) and double, plus the points 10^-k (T - t_x) and the Gompertz
mode's neighbourhood, at 30 and at 50 significant digits; a point is stored only if
both precisions agree to 1e-13 relative in every quantity. From it:

* log-likelihood;
* P(alive) = (alpha + T)^-(r + x) S(T) / [...];
* E[X(T, T + t) | x, t_x, T] = P(alive) (r + x)/(alpha + T) int_0^t S(T + u)/S(T) du
  (t = 39; Adler 2022's correction of the paper's expression);
* E[X(t)] = r/alpha int_0^t S(u) du (t = 39) for a new customer.

Run from the repository root: ``python tests/reference/make_clv_ggnbd_grid.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np

OUT = Path(__file__).with_name("clv_ggnbd_grid.json")
HORIZON = 39.0


def reference(theta: tuple[float, ...], x: float, tx: float, T: float, dps: int) -> dict[str, Any]:
    mp.mp.dps = dps
    r, alpha, b, s, beta = (mp.mpf(v) for v in theta)
    x_, tx_, T_ = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    m = r + x_

    def surv(y: Any) -> Any:
        return (beta / (beta + mp.expm1(b * y))) ** s

    def dens(y: Any) -> Any:
        return b * s * beta**s * mp.exp(b * y) * (beta + mp.expm1(b * y)) ** (-(s + 1))

    def points(lo: Any, hi: Any, scale: Any) -> list[Any]:
        pts = {lo, hi}
        k = 0
        while lo + scale * 2**k < hi and k < 200:
            pts.add(lo + scale * 2**k)
            k += 1
        for j in range(1, 17):
            pts.add(lo + (hi - lo) * mp.mpf(10) ** -j)
        if beta > 1 + s:  # interior mode of the Gompertz density
            mode = mp.log((beta - 1) / s) / b
            for d in (-4, -2, -1, 0, 1, 2, 4):
                p = mode + d / (b * 4)
                if lo < p < hi:
                    pts.add(p)
        return sorted(pts)

    log_c = mp.loggamma(r + x_) - mp.loggamma(r) + r * mp.log(alpha)
    first = -m * mp.log(alpha + T_) + mp.log(surv(T_))
    if tx_ < T_:
        pts = points(tx_, T_, (alpha + tx_) / m / 64)
        integral = mp.quad(lambda y: (alpha + y) ** (-m) * dens(y), pts, maxdegree=10)
        second = mp.log(integral)
    else:
        second = mp.mpf("-inf")
    total = first + mp.log1p(mp.exp(second - first)) if tx_ < T_ else first
    p_alive = mp.exp(first - total)
    t = mp.mpf(HORIZON)
    s_T = surv(T_)
    stay = mp.quad(lambda u: surv(T_ + u) / s_T, points(mp.mpf(0), t, 1 / (64 * (b + 1))))
    cond = p_alive * m / (alpha + T_) * stay
    new = r / alpha * mp.quad(surv, points(mp.mpf(0), t, 1 / (64 * (b + 1))))
    return {
        "log_likelihood": log_c + total,
        "p_alive": p_alive,
        "conditional_39": cond,
        "expected_39": new,
    }


def main() -> None:
    rng = np.random.default_rng(20121)
    cases: list[tuple[tuple[float, ...], float, float, float]] = [
        ((0.553, 10.578, 0.0002, 0.603, 0.0026), 2.0, 30.43, 38.86),  # Bemmaor & Glady, CDNOW
        ((0.553, 10.578, 0.0002, 0.603, 0.0026), 0.0, 0.0, 38.86),
        ((0.55, 10.6, 1e-7, 0.61, 1.17e-6), 5.0, 20.0, 39.0),  # near the Pareto/NBD limit
        ((0.8, 3.0, 0.2, 2.0, 5.0), 50.0, 38.0, 39.0),
        ((0.8, 3.0, 3.0, 10.0, 20.0), 20.0, 0.5, 39.0),  # sharp Gompertz mode
        ((1.5, 0.5, 0.01, 0.2, 1e-4), 1000.0, 99.0, 100.0),
        ((0.3, 20.0, 0.05, 1.0, 0.5), 3.0, 39.0 * (1 - 1e-9), 39.0),  # t_x within 1e-9 T of T
        ((0.3, 20.0, 0.05, 1.0, 0.5), 3.0, 39.0, 39.0),  # t_x = T
    ]
    for _ in range(28):
        theta = (
            float(np.exp(rng.uniform(np.log(0.05), np.log(5.0)))),
            float(np.exp(rng.uniform(np.log(0.1), np.log(100.0)))),
            float(np.exp(rng.uniform(np.log(1e-5), np.log(1.0)))),
            float(np.exp(rng.uniform(np.log(0.05), np.log(20.0)))),
            float(np.exp(rng.uniform(np.log(1e-4), np.log(100.0)))),
        )
        x = float(rng.choice([0.0, 1.0, 4.0, 30.0, 300.0]))
        T = float(rng.choice([5.0, 39.0, 200.0]))
        tx = 0.0 if x == 0 else float(T * rng.choice([0.1, 0.5, 0.95, 1.0]))
        cases.append((theta, x, tx, T))
    points = []
    for theta, x, tx, T in cases:
        lo, hi = reference(theta, x, tx, T, 30), reference(theta, x, tx, T, 50)
        ok = all(abs(lo[k] - hi[k]) <= mp.mpf("1e-13") * max(1, abs(hi[k])) for k in hi)
        if not ok:
            print("precisions disagree, dropped:", theta, x, tx, T)
            continue
        points.append(
            {
                "params": dict(zip(("r", "alpha", "b", "s", "beta"), theta, strict=True)),
                "x": x,
                "tx": tx,
                "T": T,
                **{k: float(v) for k, v in hi.items()},
            }
        )
    out = {
        "source": "mpmath 1.4 at 30 and 50 digits (stored: 50), quad in the time variable "
        "of the integral form of Bemmaor & Glady (2012); make_clv_ggnbd_grid.py",
        "horizon": HORIZON,
        "tolerance": {
            "log_likelihood": 1e-9,
            "p_alive": 1e-9,
            "conditional_39": 1e-9,
            "expected_39": 1e-9,
            "kind": "relative (absolute below 1)",
        },
        "points": points,
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(len(points), "points")


if __name__ == "__main__":
    main()
