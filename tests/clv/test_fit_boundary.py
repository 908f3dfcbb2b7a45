"""Fits whose maximum lies at the edge of the parameter space end there, and say so."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit import rfm_summary
from crmkit.clv import BetaGeo, ParetoNBD
from crmkit.exceptions import BoundaryWarning


def _fixed_p_data(n: int, r: float, alpha: float, p: float, seed: int) -> pd.DataFrame:
    """BG/NBD histories with one dropout probability p for everybody (simulated directly)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 40, n).round()
    lam = rng.gamma(r, 1.0 / alpha, n)
    k_max = rng.geometric(p, n)  # the customer drops out right after this repeat purchase
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
