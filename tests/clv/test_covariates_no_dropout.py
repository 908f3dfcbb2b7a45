"""Covariate fits on data without visible dropout: the error names the dropout limit.

Purchases follow the NBD (Ehrenberg 1959): Poisson purchasing at gamma-distributed rates
and no dropout at all, the limit a -> 0 / b -> infinity of the BG/NBD (Fader, Hardie &
Lee 2005). The likelihood then carries no information on dropout coefficients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.clv.covariates import BetaGeoCovariates
from crmkit.exceptions import BoundaryWarning, ConvergenceError


def _nbd_without_dropout(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(50.0, 100.0, n)
    lam = rng.gamma(0.5, 1 / 2.0, n)
    count = rng.poisson(lam * T)
    # given the count, Poisson purchase times are uniform on (0, T]: t_x is their maximum
    recency = np.array(
        [T[i] * rng.uniform(size=c).max() if c else 0.0 for i, c in enumerate(count)]
    )
    idx = pd.Index(range(n), name="customer_id")
    summary = pd.DataFrame(
        {"frequency": count.astype(float), "recency": recency, "T": T}, index=idx
    )
    covariate = pd.DataFrame({"z": rng.normal(size=n)}, index=idx)  # unrelated to anything
    return summary, covariate


def test_dropout_covariates_at_the_no_dropout_limit_name_the_limit() -> None:
    summary, z = _nbd_without_dropout(0, 400)
    with pytest.raises(ConvergenceError) as info:
        BetaGeoCovariates.fit(summary, dropout_covariates=z)
    message = str(info.value)
    assert "dropout process is at its limit" in message
    assert "no dropout is visible in these data" in message
    assert "b -> infinity" in message
    assert "Fit without dropout_covariates" in message
    assert "degenerate histories" not in message
    assert info.value.result is not None


def test_the_suggested_fit_without_dropout_covariates_runs() -> None:
    summary, z = _nbd_without_dropout(0, 400)
    with pytest.warns(BoundaryWarning, match="edge of the parameter space"):
        fit = BetaGeoCovariates.fit(summary, purchase_covariates=z)
    # the NBD's purchase shape is recovered (simulated r = 0.5) and z has no effect
    assert fit.params["r"] == pytest.approx(0.5, rel=0.2)
    assert abs(fit.params["purchase:z"]) < 0.2
