"""Fits whose maximum lies at the edge of the parameter space end there, and say so."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from crmkit import rfm_summary
from crmkit.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD
from crmkit.exceptions import BoundaryWarning


def _fixed_p_data(
    n: int, r: float, alpha: float, p: float, seed: int, shift: int = 0
) -> pd.DataFrame:
    """BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) histories with one dropout probability
    p for everybody (simulated directly)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 40, n).round()
    lam = rng.gamma(r, 1.0 / alpha, n)
    # the customer drops out right after this repeat purchase (MBG/NBD: also right
    # after the first purchase, at 0 repeat purchases)
    k_max = rng.geometric(p, n) - shift
    N = rng.poisson(lam * T)
    x = np.minimum(N, k_max).astype(float)
    tx = np.zeros(n)
    for i in np.flatnonzero(x > 0):
        tx[i] = np.sort(rng.uniform(0.0, T[i], N[i]))[int(x[i]) - 1]
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def test_bgnbd_single_dropout_probability_ends_at_fixed_p_limit() -> None:
    data = _fixed_p_data(3000, 0.8, 6.0, 0.15, seed=1)
    t0 = time.perf_counter()
    with pytest.warns(BoundaryWarning, match="same dropout probability") as caught:
        fit = BetaGeo.fit(data)
    elapsed = time.perf_counter() - t0
    assert elapsed < 30.0  # generous: it takes well under a second
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("a", "b")
    assert np.isinf(fit.stderr["a"])
    assert np.isinf(fit.stderr["b"])
    assert np.isfinite(fit.stderr["r"])
    assert fit.iterations < 200
    m = fit.model
    p = m.a / (m.a + m.b)
    # the truth it was simulated from, within sampling error
    assert p == pytest.approx(0.15, abs=0.03)
    assert m.r == pytest.approx(0.8, rel=0.2)
    # predictions equal the fixed-p BG/NBD closed forms: with lambda ~ Gamma(r, alpha),
    # for x > 0,
    # P(alive) = 1 / (1 + p / (1 - p) ((alpha + T) / (alpha + t_x))^(r + x))
    # (expected_purchases at a ~ 1e8 needs the 2F1 of the BG/NBD special-function work
    # and is checked there; the fixed-p closed form is (1 - (alpha/(alpha + p t))^r) / p)
    hist = pd.DataFrame({"frequency": [1, 3, 8], "recency": [5.0, 20.0, 30.0], "T": [40.0] * 3})
    x, tx, T = (hist[c].to_numpy() for c in ("frequency", "recency", "T"))
    alive = 1.0 / (1.0 + p / (1.0 - p) * ((m.alpha + T) / (m.alpha + tx)) ** (m.r + x))
    assert np.allclose(m.probability_alive(hist).to_numpy(), alive, rtol=1e-6, atol=0)


@pytest.mark.slow
def test_pareto_nbd_on_online_retail_ends_at_no_dropout_limit(shared_datasets: Path) -> None:
    """Online Retail I (daily): the maximum is at s -> 0 / beta -> inf (no dropout visible).

    The fit used to follow the ridge and never finish (one likelihood evaluation grew past
    100 s at beta = 1e7). lifetimes 0.11.3 ends at r=0.82759, alpha=69.0938, s=3.91e-07,
    beta=2764.19, where the exact log-likelihood is -61823.59094; crmkit must do at least
    as well and say which limit it reached.
    """
    path = shared_datasets / "online_retail" / "online_retail.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    lines = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    lines = lines.loc[lines["CustomerID"].notna() & (lines["Quantity"] > 0)]
    lines = lines.loc[lines["UnitPrice"] > 0].assign(
        InvoiceDate=lambda f: pd.to_datetime(f["InvoiceDate"])
    )
    summary = rfm_summary(
        lines,
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        observation_end="2011-12-09",
        period="D",
        time_unit="D",
    )
    with pytest.warns(BoundaryWarning, match="no dropout is visible"):
        fit = ParetoNBD.fit(summary)
    assert fit.at_boundary == ("s", "beta")
    assert fit.log_likelihood >= -61823.59094
    assert fit.params["r"] == pytest.approx(0.82759, rel=1e-3)
    assert fit.params["alpha"] == pytest.approx(69.094, rel=1e-3)
    # the limit model: P(alive) = 1 for everyone
    assert np.allclose(fit.model.probability_alive(summary).to_numpy(), 1.0, atol=1e-8)


# The one-dropout-probability limit (a, b -> infinity with a/(a+b) = p) in closed form,
# written here from the papers, independently of crmkit's code: with k = x + shift
# dropout chances (shift 0 for BG/NBD, Fader, Hardie & Lee 2005 eq. 6; 1 for MBG/NBD,
# Batislam, Denizel & Filiztekin 2007 eq. 3) and a point mass at p, the likelihood is
# (1 - p)^k A(T) + [k > 0] p (1 - p)^(k - 1) A(t_x), A(t) = Gamma(r + x) alpha^r /
# (Gamma(r) (alpha + t)^(r + x)).


def _fixed_p_log_likelihood(
    r: float, alpha: float, p: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray, shift: int
) -> float:
    k = x + shift
    log_a = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    first = k * np.log1p(-p) + log_a - (r + x) * np.log(alpha + T)
    km1 = np.maximum(k - 1.0, 0.0)
    second = np.where(
        k > 0, np.log(p) + km1 * np.log1p(-p) + log_a - (r + x) * np.log(alpha + tx), -np.inf
    )
    return float(np.logaddexp(first, second).sum())


def _fixed_p_maximum(data: pd.DataFrame, shift: int) -> tuple[float, float, float, float]:
    """(r, alpha, p, log-likelihood) maximising the closed form (L-BFGS-B, then Nelder-Mead)."""
    x, tx, T = (data[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))

    def neg(v: np.ndarray) -> float:
        r, alpha, p = np.exp(v[0]), np.exp(v[1]), special.expit(v[2])
        return -_fixed_p_log_likelihood(r, alpha, p, x, tx, T, shift)

    res = optimize.minimize(neg, np.array([0.0, 1.0, -2.0]), method="L-BFGS-B")
    res = optimize.minimize(
        neg, res.x, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 2000}
    )
    v = res.x
    return float(np.exp(v[0])), float(np.exp(v[1])), float(special.expit(v[2])), -float(res.fun)


def _assert_fixed_p_predictions(model: BetaGeo | ModifiedBetaGeo, p: float) -> None:
    """Predictions at the fitted parameters equal the fixed-p closed forms within 1e-8."""
    shift = model._shift
    r, alpha = model.r, model.alpha
    hist = pd.DataFrame(
        {"frequency": [0, 1, 3, 8, 40], "recency": [0.0, 5.0, 20.0, 30.0, 39.0], "T": [40.0] * 5}
    )
    x, tx, T = (hist[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    t = 52.0
    odds = np.where(x + shift > 0, p / (1 - p) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
    alive = 1.0 / (1.0 + odds)
    surv = ((alpha + T) / (alpha + T + p * t)) ** (r + x)  # E[(1 - p)^N(t)] given alive
    got = {
        "alive": model.probability_alive(hist).to_numpy(),
        "alive_t": model.probability_alive(hist, t=t).to_numpy(),
        "conditional": model.conditional_expected_purchases(hist, t=t).to_numpy(),
        "expected": np.asarray(model.expected_purchases(t), dtype=np.float64),
    }
    want = {
        "alive": alive,
        "alive_t": alive * surv,
        "conditional": alive * (1.0 - surv) / p,
        "expected": np.asarray(
            (1.0 - (alpha / (alpha + p * t)) ** r) / p * ((1.0 - p) if shift else 1.0)
        ),
    }
    for key, value in got.items():
        assert np.all(np.isfinite(value)), key
        np.testing.assert_allclose(value, want[key], rtol=1e-8, atol=0, err_msg=key)


def test_mbgnbd_single_dropout_probability_jumps_to_the_fixed_p_limit() -> None:
    """MBG/NBD on data with one dropout probability: the Newton steps walk out along the
    ridge a, b -> infinity (a/(a+b) fixed); the fit sees the walk, jumps to its end and
    reports the limit (it used to walk 22 iterations and stop at a + b = 2e8, where
    predictions differ from the limit model's by about 1e-7)."""
    data = _fixed_p_data(3000, 0.8, 6.0, 0.15, seed=1, shift=1)
    seen: list[int] = []
    with pytest.warns(BoundaryWarning, match="same dropout probability") as caught:
        fit = ModifiedBetaGeo.fit(data, callback=lambda i, ll, p: seen.append(i))
    assert len(caught) == 1
    assert "MBG/NBD with a fixed p" in str(caught[0].message)
    assert fit.converged
    assert fit.at_boundary == ("a", "b")
    assert np.isinf(fit.stderr["a"])
    assert np.isinf(fit.stderr["b"])
    assert np.isfinite(fit.stderr["r"])
    assert np.isfinite(fit.stderr["alpha"])
    assert len(seen) <= 15  # 11 measured; walking the ridge took 22
    m = fit.model
    p = m.a / (m.a + m.b)
    assert p == pytest.approx(0.15, abs=0.03)  # the truth, within sampling error
    # the supremum of the likelihood is the closed-form fixed-p maximum
    r0, alpha0, p0, ll0 = _fixed_p_maximum(data, shift=1)
    assert fit.log_likelihood == pytest.approx(ll0, abs=1e-6)
    assert m.r == pytest.approx(r0, rel=1e-4)
    assert m.alpha == pytest.approx(alpha0, rel=1e-4)
    assert p == pytest.approx(p0, rel=1e-4)
    _assert_fixed_p_predictions(m, p)


def test_bgnbd_fixed_p_limit_predictions_equal_the_limit_model() -> None:
    data = _fixed_p_data(3000, 0.8, 6.0, 0.15, seed=1)
    with pytest.warns(BoundaryWarning, match="same dropout probability"):
        fit = BetaGeo.fit(data)
    m = fit.model
    _, _, _, ll0 = _fixed_p_maximum(data, shift=0)
    assert fit.log_likelihood == pytest.approx(ll0, abs=1e-6)
    _assert_fixed_p_predictions(m, m.a / (m.a + m.b))


def _retail_ii_weekly(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    lines = pd.read_csv(
        path,
        usecols=["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"],
        dtype={"Invoice": str},
    )
    keep = (
        lines["Customer ID"].notna()
        & ~lines["Invoice"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["Price"] > 0)
    )
    lines = lines.loc[keep].assign(InvoiceDate=lambda f: pd.to_datetime(f["InvoiceDate"]))
    return rfm_summary(
        lines,
        customer_id_col="Customer ID",
        datetime_col="InvoiceDate",
        observation_end="2010-12-09",
        period="W",
        time_unit="W",
    )


def test_mbgnbd_online_retail_ii_weekly_reaches_the_fixed_p_limit(shared_datasets: Path) -> None:
    """Online Retail II 2009-2010 (Chen 2019, UCI), weekly: the MBG/NBD maximum is the
    one-dropout-probability limit. The fit used to walk out along the ridge with Newton
    steps, fail its checks at a = 1.2e4, restart and stop at a + b = 1.1e8 after 49
    iterations; lifetimes 0.11.3 (ModifiedBetaGeoFitter) raises ConvergenceError here."""
    summary = _retail_ii_weekly(shared_datasets)
    assert len(summary) == 4312
    seen: list[int] = []
    with pytest.warns(BoundaryWarning, match="same dropout probability") as caught:
        fit = ModifiedBetaGeo.fit(summary, callback=lambda i, ll, p: seen.append(i))
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("a", "b")
    assert len(seen) <= 20  # 16 measured
    m = fit.model
    p = m.a / (m.a + m.b)
    r0, alpha0, p0, ll0 = _fixed_p_maximum(summary, shift=1)
    # at least the closed-form maximum (rounding of the total: 1e-9 relative)
    assert fit.log_likelihood >= ll0 - 1e-9 * abs(ll0)
    assert fit.log_likelihood >= -37552.086453215  # the end point before the jump
    assert m.r == pytest.approx(r0, rel=1e-4)
    assert m.alpha == pytest.approx(alpha0, rel=1e-4)
    assert p == pytest.approx(p0, rel=1e-4)
    _assert_fixed_p_predictions(m, p)
