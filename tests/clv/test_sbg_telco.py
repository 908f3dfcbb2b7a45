"""Contractual models on the IBM Telco churn sample, one row per customer.

Data: ../shared/datasets/telco_customer_churn (provenance in its README): 7,043
customers, ``tenure`` in whole months, ``Contract`` in three types, ``Churn`` Yes/No.
Outside numbers: an independent maximum-likelihood fit written here with
scipy.special.betaln and Nelder-Mead on the per-row likelihood, and the geometric churn
probability counted with pandas. Month-to-month beta is about 7.39 when tenure counts
completed months and 7.06 when it counts started months (users' report, reproduced by
the independent fit below).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from crmkit.clv import ShiftedBetaGeometric, ShiftedGeometric, fit_by_group
from crmkit.exceptions import BoundaryWarning

CONTRACTS = ["Month-to-month", "One year", "Two year"]


@pytest.fixture(scope="module")
def telco(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv"
    frame = pd.read_csv(path, usecols=["customerID", "tenure", "Contract", "Churn"])
    assert len(frame) == 7043
    return frame.assign(churned=frame["Churn"].eq("Yes"))


def _renewals(frame: pd.DataFrame, convention: str) -> np.ndarray:
    shift = 1 if convention == "started" else 0
    return np.asarray((frame["tenure"] - shift).clip(lower=0), dtype=float)


def _independent_sbg(frame: pd.DataFrame, convention: str) -> np.ndarray:
    """sBG estimates from the per-row likelihood, without crmkit (FH 2007 eqs. 5-6)."""
    t = frame["tenure"].to_numpy(dtype=float)
    c = frame["churned"].to_numpy()
    a_ren = _renewals(frame, convention)

    def negloglik(z: np.ndarray) -> float:
        a, b = np.exp(z)
        base = special.betaln(a, b)
        lp = special.betaln(a + 1, b + t[c] - 1) - base
        ls = special.betaln(a, b + a_ren[~c]) - base
        return -float(lp.sum() + ls.sum())

    res = optimize.minimize(
        negloglik,
        np.log([0.5, 5.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000},
    )
    return np.exp(res.x)


def _geometric_theta(frame: pd.DataFrame, convention: str) -> float:
    """Cancellations over renewal decisions, counted with pandas."""
    decisions = np.where(frame["churned"], frame["tenure"], _renewals(frame, convention)).sum()
    return float(frame["churned"].sum() / decisions)


@pytest.mark.parametrize(("convention", "published"), [("completed", 7.39), ("started", 7.06)])
def test_month_to_month_matches_an_independent_fit(
    telco: pd.DataFrame, convention: str, published: float
) -> None:
    mtm = telco[telco["Contract"] == "Month-to-month"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ShiftedBetaGeometric.fit(mtm, tenure_counts=convention, time_unit="M")
    assert fit.converged
    assert fit.at_boundary == ()
    np.testing.assert_allclose(fit.estimates, _independent_sbg(mtm, convention), rtol=1e-5)
    assert fit.params["beta"] == pytest.approx(published, abs=0.005)
    assert fit.n_customers == 3875


@pytest.mark.parametrize("convention", ["completed", "started"])
def test_every_contract_type_fits_from_individual_rows(
    telco: pd.DataFrame, convention: str
) -> None:
    with pytest.warns(BoundaryWarning) as caught:
        fits = fit_by_group(
            ShiftedBetaGeometric,
            telco,
            group_col="Contract",
            tenure_counts=convention,
            time_unit="M",
        )
    assert list(fits) == CONTRACTS
    assert fits.table["converged"].tolist() == [True, True, True]
    assert fits.table["at_boundary"].tolist() == ["", "alpha, beta", "alpha, beta"]
    assert fits.table["n_customers"].sum() == 7043
    # one warning per boundary group, naming it and the implied lifetime
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    for contract, message in zip(["One year", "Two year"], messages, strict=True):
        assert message.startswith(f"ShiftedBetaGeometric fit of Contract='{contract}'")
        theta = _geometric_theta(telco[telco["Contract"] == contract], convention)
        stated = re.search(r"expected lifetime 1/theta = ([\d,.]+) periods", message)
        assert stated is not None
        assert float(stated.group(1).replace(",", "")) == pytest.approx(1 / theta, rel=1e-3)
        model = fits.models[contract]
        # at the boundary the sBG is the geometric model with the counted theta
        np.testing.assert_allclose(model.retention_rate([1, 12, 72]), 1 - theta, rtol=1e-7)
        geo = ShiftedGeometric.fit(telco[telco["Contract"] == contract], tenure_counts=convention)
        assert geo.params["theta"] == pytest.approx(theta, rel=1e-12)
        np.testing.assert_allclose(
            model.survival(np.arange(0, 121)), geo.model.survival(np.arange(0, 121)), rtol=1e-7
        )
        assert fits[contract].log_likelihood == pytest.approx(geo.log_likelihood, rel=1e-9)


def test_boundary_lifetimes_are_those_of_the_geometric_limit(telco: pd.DataFrame) -> None:
    # "expected lifetimes of 31 and 167 years": 1/theta months of the geometric limit,
    # far beyond the 72 months observed; the warning says so, with the number
    years = {}
    for contract in ("One year", "Two year"):
        part = telco[telco["Contract"] == contract]
        with pytest.warns(BoundaryWarning, match="extrapolation"):
            model = ShiftedBetaGeometric.fit(part, tenure_counts="completed").model
        lifetime = float(model.expected_residual_lifetime(0)) + 1.0  # periods, T >= 1
        assert lifetime == pytest.approx(1 / _geometric_theta(part, "completed"), rel=1e-6)
        years[contract] = lifetime / 12
    assert years["One year"] == pytest.approx(31.1, abs=0.1)
    assert years["Two year"] == pytest.approx(167.0, abs=0.2)


def test_geometric_fits_per_contract_have_standard_errors(telco: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = fit_by_group(
            ShiftedGeometric, telco, group_col="Contract", tenure_counts="completed"
        )
    for contract, fit in fits.items():
        part = telco[telco["Contract"] == contract]
        theta = _geometric_theta(part, "completed")
        decisions = part["churned"].sum() / theta
        assert fit.params["theta"] == pytest.approx(theta, rel=1e-12)
        assert fit.stderr["theta"] == pytest.approx(np.sqrt(theta * (1 - theta) / decisions))
    # the sBG beats the geometric model where churners differ (month-to-month)
    mtm = telco[telco["Contract"] == "Month-to-month"]
    sbg = ShiftedBetaGeometric.fit(mtm, tenure_counts="completed")
    assert 2 * (sbg.log_likelihood - fits["Month-to-month"].log_likelihood) > 100
