"""Regenerate ``clv_cnbd_grid.json``: BG/CNBD-k and MBG/CNBD-k values from mpmath.

Run from the repository root (a few seconds)::

    python tests/reference/make_clv_cnbd_grid.py

For each point (k, r, alpha, a, b; history x, t_x, T; horizon t) and both models
(``shift`` 0: BG/CNBD-k, 1: MBG/CNBD-k; Platzer & Reutterer 2016, Reutterer, Platzer &
Schroeder 2021) it stores

* the log-likelihood without the inter-purchase-time term (BTYDplus ``xbgcnbd.LL``'s
  ``P2 + P3 + P4 + log(S1 + S2)``);
* P(alive) = S2 / (S1 + S2) (BTYDplus ``xbgcnbd.PAlive``);
* P(alive at T + t) and the conditional expected purchases in (T, T + t], by the
  *series* over future purchase counts f (not the roots-of-unity formula and Gauss rule
  crmkit uses): with phase weights w_i, N_i negative binomial (r + kx + i, t / (alpha +
  T + t)) and E[q^f] = B(a, b' + f) / B(a, b'), b' = b + x + shift,

  P(alive at T + t) = P(alive) sum_f E[q^f] sum_i w_i P(fk - i <= N_i < fk - i + k)
  E[purchases] = P(alive) sum_{m >= 1} E[q^(m-1)] sum_i w_i P(N_i >= mk - i);

* the probability of m = 0 ... 4 purchases in (0, t] of a new customer (summing, over
  the number of stage events, the negative binomial mass).

Tails are summed from n = 4,000 down (no cancellation); the series stop once a term
is below 1e-40 of the sum.
Every value is computed at 30 and at 50 significant digits and stored only if both agree
to 1e-20 relative.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mpmath as mp

OUT = Path(__file__).with_name("clv_cnbd_grid.json")
TOLERANCE = {"rtol": 1e-9, "log_likelihood_atol": 1e-10}

POINTS: list[dict[str, float]] = [
    {
        "k": 2,
        "r": 0.85,
        "alpha": 1.45,
        "a": 0.79,
        "b": 2.42,
        "x": 3,
        "tx": 20.0,
        "T": 40.0,
        "t": 10.0,
    },
    {
        "k": 3,
        "r": 0.85,
        "alpha": 1.45,
        "a": 0.79,
        "b": 2.42,
        "x": 6,
        "tx": 20.0,
        "T": 38.86,
        "t": 39.0,
    },
    {
        "k": 3,
        "r": 0.85,
        "alpha": 1.45,
        "a": 0.79,
        "b": 2.42,
        "x": 0,
        "tx": 0.0,
        "T": 52.0,
        "t": 52.0,
    },
    {
        "k": 3,
        "r": 2.0,
        "alpha": 5.0,
        "a": 1.5,
        "b": 8.0,
        "x": 12,
        "tx": 50.0,
        "T": 52.0,
        "t": 104.0,
    },
    {"k": 4, "r": 0.3, "alpha": 0.8, "a": 0.5, "b": 1.2, "x": 1, "tx": 3.0, "T": 30.0, "t": 5.0},
    {
        "k": 5,
        "r": 1.2,
        "alpha": 2.0,
        "a": 2.5,
        "b": 20.0,
        "x": 25,
        "tx": 95.0,
        "T": 100.0,
        "t": 200.0,
    },
    {"k": 6, "r": 3.0, "alpha": 0.5, "a": 0.9, "b": 4.0, "x": 2, "tx": 1.0, "T": 2.0, "t": 0.5},
    {
        "k": 12,
        "r": 0.9,
        "alpha": 0.2,
        "a": 0.7,
        "b": 3.0,
        "x": 8,
        "tx": 30.0,
        "T": 39.0,
        "t": 39.0,
    },
]


def _nb_pmf(n: int, shape: Any, rho: Any) -> Any:
    return mp.exp(
        mp.loggamma(shape + n)
        - mp.loggamma(shape)
        - mp.loggamma(n + 1)
        + shape * mp.log(1 - rho)
        + n * mp.log(rho)
    )


def _values(p: dict[str, float], shift: int) -> dict[str, Any]:
    k = int(p["k"])
    r, alpha, a, b = (mp.mpf(p[n]) for n in ("r", "alpha", "a", "b"))
    x, tx, T, t = int(p["x"]), mp.mpf(p["tx"]), mp.mpf(p["T"]), mp.mpf(p["t"])
    m0 = r + k * x
    u = (T - tx) / (alpha + T)
    terms = [mp.rf(m0, j) / mp.factorial(j) * u**j for j in range(k)]
    s2 = mp.fsum(terms)
    s1 = (
        a / (b + x + shift - 1) * ((alpha + T) / (alpha + tx)) ** m0
        if x + shift > 0
        else mp.mpf(0)
    )
    ll = (
        mp.log(mp.beta(a, b + x + shift) / mp.beta(a, b))
        + mp.loggamma(m0)
        - mp.loggamma(r)
        + r * mp.log(alpha)
        - m0 * mp.log(alpha + T)
        + mp.log(s1 + s2)
    )
    alive = s2 / (s1 + s2)
    w = [tj / s2 for tj in terms]
    rho = t / (alpha + T + t)
    bp = b + x + shift

    def eq(f: int) -> Any:  # E[q^f] under Beta(a, b')
        return mp.beta(a, bp + f) / mp.beta(a, bp)

    # tail probabilities P(N_i >= n) by cumulative sums of the pmf
    def tails(i: int, n_max: int) -> list[Any]:
        pm = [_nb_pmf(n, m0 + i, rho) for n in range(n_max + 1)]
        out, acc = [mp.mpf(0)] * (n_max + 1), mp.mpf(0)
        for n in range(n_max, -1, -1):  # summed from the top: no cancellation
            acc += pm[n]
            out[n] = acc
        return out

    n_max = 4000
    tl = [tails(i, n_max) for i in range(k)]

    def tail(i: int, n: int) -> Any:
        return mp.mpf(1) if n <= 0 else (tl[i][n] if n <= n_max else mp.mpf(0))

    surv = mp.mpf(0)
    expect = mp.mpf(0)
    for f in range(n_max // k - 1):
        pf = mp.fsum(w[i] * (tail(i, f * k - i) - tail(i, f * k - i + k)) for i in range(k))
        term = eq(f) * pf
        surv += term
        e_term = eq(f) * mp.fsum(w[i] * tail(i, (f + 1) * k - i) for i in range(k))
        expect += e_term
        if f > 5 and abs(term) < 1e-40 * surv and abs(e_term) < 1e-40 * expect:
            break
    else:
        raise RuntimeError("series did not converge")
    # pmf of a new customer over (0, t]
    rho0 = t / (alpha + t)
    pmf = []
    for m in range(5):
        lo = 1 - mp.fsum(_nb_pmf(n, r, rho0) for n in range(m * k))
        hi = 1 - mp.fsum(_nb_pmf(n, r, rho0) for n in range(m * k + k))
        first = mp.beta(a, b + m + shift) / mp.beta(a, b) * (lo - hi)
        second = mp.beta(a + 1, b + m + shift - 1) / mp.beta(a, b) * lo if m + shift > 0 else 0
        pmf.append(first + second)
    return {
        "log_likelihood": ll,
        "p_alive": alive,
        "p_alive_at_t": alive * surv,
        "conditional_expected": alive * expect,
        "pmf_0_4": pmf,
    }


def _agree(u: Any, v: Any) -> bool:
    if isinstance(u, list):
        return all(_agree(a, b) for a, b in zip(u, v, strict=True))
    return bool(abs(u - v) <= mp.mpf("1e-20") * max(abs(v), mp.mpf("1e-300")))


def main() -> None:
    rows = []
    for p in POINTS:
        for shift in (0, 1):
            mp.mp.dps = 30
            low = _values(p, shift)
            mp.mp.dps = 50
            high = _values(p, shift)
            if not all(_agree(low[key], high[key]) for key in high):
                raise RuntimeError(f"precisions disagree at {p}, shift {shift}")
            rows.append(
                {
                    **p,
                    "shift": shift,
                    **{
                        key: ([float(v) for v in val] if isinstance(val, list) else float(val))
                        for key, val in high.items()
                    },
                }
            )
    doc = {
        "source": f"mpmath {mp.__version__} at 30 and 50 significant digits "
        "(stored only where both agree to 1e-20): (M)BG/CNBD-k log-likelihood and "
        "P(alive) in closed form (Platzer & "
        "Reutterer 2016; BTYDplus xbgcnbd.LL, xbgcnbd.PAlive); P(alive at T + t) and "
        "conditional expected purchases by series over future purchase counts with "
        "negative binomial tails; pmf of a new customer by sums of negative binomial "
        "masses; script tests/reference/make_clv_cnbd_grid.py",
        "tolerance": TOLERANCE,
        "points": rows,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
