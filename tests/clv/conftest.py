"""Fixtures shared by the CLV tests: a hand-computable model and the lifetimes cross-check."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmkit.datasets import load_cdnow_summary


@attrs.frozen(kw_only=True)
class PoissonNoChurn:
    """Test-local TransactionModel: purchases at ``rate`` per unit, forever, no heterogeneity.

    E[X(t)] = rate * t for a new customer, and the same for everybody conditionally;
    P(X(t) = k) is the Poisson pmf with mean rate * t.
    """

    rate: float
    time_unit: str | None = None

    @property
    def params(self) -> dict[str, float]:
        return {"rate": self.rate}

    def expected_purchases(self, t: object) -> np.ndarray:
        return self.rate * np.asarray(t, dtype=np.float64)

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: float) -> pd.Series:
        return pd.Series(self.rate * float(t), index=summary.index)

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        return pd.Series(1.0, index=summary.index)

    def probability_of_purchases(self, k: object, t: object) -> np.ndarray:
        return np.asarray(stats.poisson.pmf(k, self.rate * np.asarray(t, dtype=np.float64)))


@pytest.fixture(scope="session")
def poisson_no_churn() -> type[PoissonNoChurn]:
    """The :class:`PoissonNoChurn` class (session-scoped, so usable with hypothesis)."""
    return PoissonNoChurn


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW calibration summary (weeks)."""
    return load_cdnow_summary()


def _check_lifetimes_predictions(model: Any, lt: dict[str, Any], *, pmf: bool = True) -> None:
    """Compare a model's predictions with the values lifetimes computed for the same params."""
    rtol = lt["tolerance"]["predictions_rtol"]
    cust = pd.DataFrame(lt["inputs"]["customers"])
    horizons = [float(t) for t in lt["expected_purchases"]]
    np.testing.assert_allclose(
        model.expected_purchases(horizons), list(lt["expected_purchases"].values()), rtol=rtol
    )
    np.testing.assert_allclose(
        model.conditional_expected_purchases(cust, t=39.0).to_numpy(),
        lt["conditional_expected_purchases_39"],
        rtol=rtol,
    )
    np.testing.assert_allclose(
        model.probability_alive(cust).to_numpy(), lt["probability_alive"], rtol=rtol
    )
    if pmf:
        ks = [int(k) for k in lt["probability_of_purchases_t39"]]
        np.testing.assert_allclose(
            model.probability_of_purchases(ks, 39.0),
            list(lt["probability_of_purchases_t39"].values()),
            rtol=rtol,
        )


@pytest.fixture(scope="session")
def check_lifetimes_predictions() -> Any:
    """``check(model, lt, pmf=True)``: assert predictions match a lifetimes reference block."""
    return _check_lifetimes_predictions


@pytest.fixture(scope="session")
def check_published() -> Any:
    """Assert a fit reproduces a reference file's ``published`` parameters and LL."""

    def check(fit: Any, pub: dict[str, Any]) -> None:
        tol = pub["tolerance"]
        for name, value in pub["params"].items():
            assert fit.params[name] == pytest.approx(value, abs=tol["params_abs"])
        assert fit.log_likelihood == pytest.approx(
            pub["log_likelihood"], abs=tol["log_likelihood_abs"]
        )
        assert fit.converged

    return check
