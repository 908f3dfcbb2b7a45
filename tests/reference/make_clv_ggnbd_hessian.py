"""Regenerate ``clv_ggnbd_hessian.json``: gradient and Hessian of the GG/NBD
log-likelihood of one history by mpmath.

The log-likelihood of Bemmaor & Glady (2012) (the form of ``make_clv_ggnbd_grid.py``,
with ``mpmath.quad`` in the time variable y, not the survival variable crmkit uses) is
differentiated numerically by ``mpmath.diff`` in the natural parameters (r, alpha, b,
s, beta); mpmath raises the working precision for the difference quotients itself, so
nothing of crmkit's analytic derivatives enters the reference. Computed at 30 and at
50 significant digits; a point is stored only if both agree to 1e-10 relative (of the
largest entry) in every derivative.

Run from the repository root: ``python tests/reference/make_clv_ggnbd_hessian.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mpmath as mp

OUT = Path(__file__).with_name("clv_ggnbd_hessian.json")


def log_likelihood(theta: Any, x: float, tx: float, T: float) -> Any:
    """log L of one history; the integral by ``mpmath.quad`` in y, on sub-intervals that
    start at t_x at the purchase factor's decay scale (alpha + t_x)/(r + x) and double."""
    r, alpha, b, s, beta = theta
    x_, tx_, T_ = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    m = r + x_

    def dens(y: Any) -> Any:
        return b * s * beta**s * mp.exp(b * y) * (beta + mp.expm1(b * y)) ** (-(s + 1))

    first = -m * mp.log(alpha + T_) + s * mp.log(beta / (beta + mp.expm1(b * T_)))
    scale = (alpha + tx_) / m
    pts = [tx_, *(tx_ + scale * 2**k for k in range(80) if tx_ + scale * 2**k < T_), T_]
    integral = mp.quad(lambda y: (alpha + y) ** (-m) * dens(y), pts)
    log_c = mp.loggamma(r + x_) - mp.loggamma(r) + r * mp.log(alpha)
    return log_c + first + mp.log1p(integral / mp.exp(first))


def derivatives(theta: tuple[float, ...], x: float, tx: float, T: float, dps: int) -> Any:
    mp.mp.dps = dps

    def ll(*th: Any) -> Any:
        return log_likelihood(th, x, tx, T)

    point = [mp.mpf(v) for v in theta]
    grad = []
    hess = [[mp.mpf(0)] * 5 for _ in range(5)]
    for i in range(5):
        order = [0] * 5
        order[i] = 1
        grad.append(mp.diff(ll, point, tuple(order)))
        for j in range(i + 1):
            order = [0] * 5
            order[i] += 1
            order[j] += 1
            hess[i][j] = hess[j][i] = mp.diff(ll, point, tuple(order))
    return grad, hess


def main() -> None:
    cases: list[tuple[tuple[float, ...], float, float, float]] = [
        ((0.553, 10.578, 0.0002, 0.603, 0.0026), 2.0, 30.43, 38.86),  # Bemmaor & Glady, CDNOW
        ((0.8, 3.0, 0.2, 2.0, 5.0), 50.0, 38.0, 39.0),
        ((0.3, 20.0, 0.05, 1.0, 0.5), 0.0, 0.0, 39.0),
    ]
    points = []
    for theta, x, tx, T in cases:
        g30, h30 = derivatives(theta, x, tx, T, 30)
        g50, h50 = derivatives(theta, x, tx, T, 50)
        big = max(abs(v) for row in h50 for v in row)
        ok = all(
            abs(a - b) <= mp.mpf("1e-10") * max(1, abs(b)) for a, b in zip(g30, g50, strict=True)
        )
        ok = ok and all(
            abs(h30[i][j] - h50[i][j]) <= mp.mpf("1e-10") * big for i in range(5) for j in range(5)
        )
        if not ok:
            print("precisions disagree, dropped:", theta, x, tx, T)
            continue
        points.append(
            {
                "params": dict(zip(("r", "alpha", "b", "s", "beta"), theta, strict=True)),
                "x": x,
                "tx": tx,
                "T": T,
                "gradient": [float(v) for v in g50],
                "hessian": [[float(v) for v in row] for row in h50],
            }
        )
        print("stored", theta, x, tx, T, flush=True)
    doc = {
        "source": (
            "mpmath.diff of the mpmath.quad log-likelihood of Bemmaor & Glady (2012), "
            "at 30 and 50 digits (tests/reference/make_clv_ggnbd_hessian.py)"
        ),
        "tolerance": {
            "gradient_rel": 1e-11,
            "hessian_rel": 1e-11,
            "hessian_abs_of_largest": 1e-14,
        },
        "points": points,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
