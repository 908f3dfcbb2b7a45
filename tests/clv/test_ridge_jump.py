"""The fit driver's jump to the end of a likelihood ridge that runs out to a limit.

Online Retail II 2009-2010 (Chen 2019, UCI Machine Learning Repository), daily: the
Pareto/NBD maximum is the limit s, beta -> infinity with s/beta fixed (one dropout rate
for everyone). L-BFGS-B walks out along that ridge doubling s and beta each iteration;
the driver spots the walk, jumps to where the ridge meets the search box and fits the
remaining parameters there.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit import rfm_summary
from crmkit.clv import ParetoNBD
from crmkit.clv._base import maximize_log_likelihood
from crmkit.clv._ridge import RidgeWatch, ridge_end
from crmkit.exceptions import BoundaryWarning


def _retail_ii_daily(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    lines = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str})
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
        period="D",
        time_unit="D",
    )


@pytest.mark.slow
def test_pareto_nbd_online_retail_ii_daily_jumps_to_the_one_dropout_rate_limit(
    shared_datasets: Path, reference_dir: Path
) -> None:
    ref = json.loads((reference_dir / "pareto_online_retail_ii.json").read_text())
    summary = _retail_ii_daily(shared_datasets)
    # the same customers as lifetimes' own summary of these lines
    assert len(summary) == ref["summary"]["customers"] == 4312
    for col in ("frequency", "recency", "T"):
        assert float(summary[col].sum()) == ref["summary"][f"{col}_sum"]
    iterations: list[int] = []
    with pytest.warns(BoundaryWarning, match="same dropout rate") as caught:
        fit = ParetoNBD.fit(summary, callback=lambda i, ll, p: iterations.append(i))
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("s", "beta")
    # at least as high as lifetimes' end point, evaluated by crmkit (rounding: 1e-9)
    peer = ParetoNBD(**ref["params"]).log_likelihood(summary)
    assert math.isfinite(peer)
    assert fit.log_likelihood >= peer - 1e-9 * abs(peer)
    assert fit.log_likelihood >= -63078.4447
    # the purchase process is the same as lifetimes' (which stops short on the ridge)
    assert fit.params["r"] == pytest.approx(ref["params"]["r"], rel=1e-3)
    assert fit.params["alpha"] == pytest.approx(ref["params"]["alpha"], rel=1e-3)
    # walking the ridge to the box took 57 iterations; with the jump 37 (measured)
    assert len(iterations) <= 45


def test_ridge_watch_ignores_a_converging_run() -> None:
    w = RidgeWatch()
    spotted = [w.add(np.array([1.0, 2.0]) + 0.5**i, -1.0 - 1e-3 * (1 - 0.5**i)) for i in range(10)]
    assert not any(spotted)


def test_ridge_watch_needs_the_ratio_kept() -> None:
    w = RidgeWatch()
    # both move out, but one twice as fast: not a ratio-preserving ridge
    spotted = [w.add(np.array([0.5 * i, 1.0 * i]), -1.0 - 1e-9 * (1 - 0.5**i)) for i in range(8)]
    assert not any(spotted)


def test_ridge_end_down_and_up() -> None:
    z = np.array([0.0, 0.0, 1.0])
    end = ridge_end(z, np.array([-1.0, 0.0, 1.0]), np.full(3, -5.0), np.full(3, 3.0))
    assert end.tolist() == [-2.0, 0.0, 3.0]
    # no room left: the point itself
    assert ridge_end(end, np.array([0.0, 0.0, 1.0]), np.full(3, -5.0), end).tolist() == [
        -2.0,
        0.0,
        3.0,
    ]


def test_driver_jumps_on_a_closed_form_ridge() -> None:
    """A likelihood whose supremum is a limit with a known value, reached by the jump.

    Poisson counts x_i with exposure t_i under a gamma(shape a, rate b) mixture: the NBD.
    Counts less dispersed than Poisson (x = round(0.7 t)) make the maximum the limit
    a, b -> inf with a/b = sum x / sum t (the Poisson MLE), where the log-likelihood is
    the Poisson one: sum x log(lam t) - lam t - log x!.
    """
    from scipy import special

    rng = np.random.default_rng(3)
    t = rng.uniform(1.0, 20.0, 4000)
    x = np.round(0.7 * t)

    j = np.arange(int(x.max()))
    below = j[None, :] < x[:, None]  # log Gamma(a + x) - log Gamma(a) = sum_j<x log(a + j)

    def nbd(p: np.ndarray) -> float:
        a, b = p
        rising = np.where(below, np.log(a + j[None, :]), 0.0).sum(axis=1)
        return float(
            np.sum(
                rising
                - special.gammaln(x + 1)
                - a * np.log1p(t / b)
                + x * (np.log(t) - np.log(b + t))
            )
        )

    lam = x.sum() / t.sum()
    poisson = float(np.sum(x * np.log(lam * t) - lam * t - special.gammaln(x + 1)))
    seen: list[int] = []
    with pytest.warns(BoundaryWarning, match="b -> infinity"):
        opt = maximize_log_likelihood(
            nbd,
            [1.0, 1.0],
            names=["a", "b"],
            n_obs=x.size,
            callback=lambda i, ll, p: seen.append(i),
        )
    a, b = opt.params
    assert opt.converged
    assert b == pytest.approx(1e8, rel=1e-12)  # the top of the default box
    assert a / b == pytest.approx(lam, rel=1e-6)
    # at b = 1e8 the NBD is within O(x^2 / a) of the Poisson limit, from below
    assert nbd(np.array([lam * b, b])) - 1e-9 <= opt.log_likelihood <= poisson
    assert poisson - opt.log_likelihood < 1e-3
    # the walk out to the box: 27 iterations without the jump, 23 with it (measured)
    assert len(seen) <= 25


def test_ridge_watch_spots_one_shape_to_zero_and_its_rate_to_infinity() -> None:
    """The no-dropout limit: s -> 0 while beta -> infinity, at different speeds."""
    w = RidgeWatch()
    spotted = False
    for i in range(6):
        z = np.array([0.0, 2.0, -0.38 * i, 3.0 + 0.31 * i])
        spotted = w.add(z, -1.0 - 1e-7 * (1 - 0.5**i))
    assert spotted
    assert w.direction().tolist() == [0.0, 0.0, -1.0, 1.0]
