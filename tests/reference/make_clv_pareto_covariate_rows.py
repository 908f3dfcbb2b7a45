"""Regenerate ``clv_pareto_covariate_rows.json``: per-customer Pareto/NBD derivatives.

Run from the repository root (a few minutes)::

    python tests/reference/make_clv_pareto_covariate_rows.py

With time-invariant covariates (Fader & Hardie 2007, note 019) every customer has their
own alpha_i and beta_i, so the fit needs the log-likelihood of ONE customer, its
gradient and its Hessian at any (r, alpha_i, s, beta_i), including extreme ratios
alpha_i / beta_i. For each row below this stores them in the natural parameters
(r, alpha, s, beta). The likelihood is eq. 19 of Fader & Hardie (2005, note 009) in its
integral form,

    L = Gamma(r + x) alpha^r beta^s / Gamma(r) * [(alpha + T)^-(r+x) (beta + T)^-s
        + s * int_{t_x}^{T} (alpha + y)^-(r+x) (beta + y)^-(s+1) dy],

with the integral by mpmath's quadrature (split geometrically from t_x so that a steep
factor near t_x is resolved); derivatives are mpmath's numerical differentiation
(``mp.diff``). Every number is computed at 30 and at 50 significant digits and stored
only if the two agree to 1e-14 relative (to the largest entry of its row). Nothing here
shares code with crmkit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mpmath as mp

OUT = Path(__file__).with_name("clv_pareto_covariate_rows.json")
# x, t_x, T, r, alpha, s, beta
ROWS = [
    [2, 30.43, 38.86, 0.55, 10.58, 0.61, 11.67],  # CDNOW-like, alpha ~ beta
    [1, 3.5, 30.0, 0.55, 4.0, 0.61, 25.0],  # alpha < beta, series range
    [3, 10.0, 52.0, 2.5, 30.0, 0.3, 12.0],  # alpha > beta, series range
    [5, 20.0, 40.0, 0.8, 500.0, 0.9, 2.0],  # alpha >> beta
    [0, 0.0, 49.0, 0.8, 0.02, 0.9, 9908.0],  # beta >> alpha, no repeat purchase
    [1, 5.0, 20.0, 1.2, 1.0e4, 0.4, 1.0e-3],  # extreme ratio 1e7
    [30, 38.5, 39.0, 0.55, 6.0, 0.61, 3.0],  # t_x close to T
    [4, 12.0, 40.0, 0.7, 7.0, 1.3, 7.0],  # alpha = beta
    [7, 51.9, 52.0, 3.0, 0.5, 2.0, 80.0],  # t_x close to T, alpha << beta
]


def _loglik(row: list[float], theta: Any) -> Any:
    x, tx, T = (mp.mpf(v) for v in row[:3])
    r, alpha, s, beta = theta
    m = r + x
    common = mp.loggamma(m) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
    a_term = (alpha + T) ** (-m) * (beta + T) ** (-s)
    if tx < T:
        scale = min(alpha, beta) + tx
        cuts = [tx]
        step = scale / 64
        while tx + step < T:
            cuts.append(tx + step)
            step *= 4
        cuts.append(T)
        integral = mp.quad(lambda y: (alpha + y) ** (-m) * (beta + y) ** (-s - 1), cuts)
    else:
        integral = mp.mpf(0)
    return common + mp.log(a_term + s * integral)


def _derivatives(row: list[float], dps: int) -> dict[str, Any]:
    with mp.workdps(dps):
        theta = [mp.mpf(v) for v in row[3:]]

        def f(*args: Any) -> Any:
            return _loglik(row, args)

        value = f(*theta)
        grad = []
        hess = [[mp.mpf(0)] * 4 for _ in range(4)]
        for i in range(4):
            order = [0] * 4
            order[i] = 1
            grad.append(mp.diff(f, theta, tuple(order)))
            for j in range(i + 1):
                order = [0] * 4
                order[i] += 1
                order[j] += 1
                hess[i][j] = hess[j][i] = mp.diff(f, theta, tuple(order))
        return {"value": value, "gradient": grad, "hessian": hess}


def _agree(u: list[Any], v: list[Any]) -> bool:
    scale = max(max(abs(b) for b in v), mp.mpf("1e-300"))
    return all(abs(a - b) <= mp.mpf("1e-14") * scale for a, b in zip(u, v, strict=True))


def main() -> None:
    cases = []
    for row in ROWS:
        lo, hi = _derivatives(row, 30), _derivatives(row, 50)
        if not _agree([lo["value"]], [hi["value"]]) or not _agree(lo["gradient"], hi["gradient"]):
            raise SystemExit(f"30 and 50 digits disagree on row {row}")
        for a, b in zip(lo["hessian"], hi["hessian"], strict=True):
            if not _agree(a, b):
                raise SystemExit(f"30 and 50 digits disagree on the Hessian of row {row}")
        cases.append(
            {
                "row": row,
                "log_likelihood": float(hi["value"]),
                "gradient": [float(v) for v in hi["gradient"]],
                "hessian": [[float(v) for v in h] for h in hi["hessian"]],
            }
        )
        print(row, "ok")
    ref = {
        "source": "mpmath numerical derivatives (mp.diff) of one customer's Pareto/NBD "
        "log-likelihood in integral form (Fader & Hardie 2005, note 009, eq. 19; integral "
        "by mp.quad); 30 and 50 digits agree to 1e-14",
        "script": "tests/reference/make_clv_pareto_covariate_rows.py",
        "columns": ["x", "t_x", "T", "r", "alpha", "s", "beta"],
        "tolerance": {"rtol": 1e-11, "note": "relative to the largest entry of each row"},
        "cases": cases,
    }
    OUT.write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main()
