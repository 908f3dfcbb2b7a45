"""Every contractual family keeps the ContractualModel interface and its identities.

``FAMILIES`` lists one model and the fit of each family; a new family (e.g. the
beta-discrete-Weibull) is covered by adding it there. The identities checked hold for
any lifetime distribution on 1, 2, ... (no family's own formulas are used):
sum_{t<=k} P(T=t) + S(k) = 1, r_t = S(t)/S(t-1), DEL and DERL as discounted sums.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.clv import (
    BetaDiscreteWeibull,
    ContractualModel,
    ShiftedBetaGeometric,
    ShiftedGeometric,
)

#: (family, a model of it with a finite expected lifetime)
FAMILIES: list[tuple[type[Any], Any]] = [
    (ShiftedBetaGeometric, ShiftedBetaGeometric(alpha=4.5, beta=5.0, time_unit="M")),
    (ShiftedGeometric, ShiftedGeometric(theta=0.15, time_unit="M")),
    (BetaDiscreteWeibull, BetaDiscreteWeibull(alpha=4.5, beta=5.0, c=1.3, time_unit="M")),
]

SHARED_FIT_OPTIONS = (
    "tenure_col",
    "churned_col",
    "entry_col",
    "tenure_counts",
    "period_col",
    "n_alive_col",
    "cohort_col",
    "time_unit",
    "x0",
    "strict",
    "callback",
)

_IDS = [family.__name__ for family, _ in FAMILIES]


@pytest.mark.parametrize(("family", "model"), FAMILIES, ids=_IDS)
def test_satisfies_the_protocol_and_the_fit_signature(family: type[Any], model: Any) -> None:
    assert isinstance(model, ContractualModel)
    params = inspect.signature(family.fit).parameters
    first = next(iter(params.values()))
    assert first.kind is inspect.Parameter.POSITIONAL_ONLY
    for name in SHARED_FIT_OPTIONS:
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert params["tenure_counts"].default is None
    assert params["strict"].default is True
    assert model.time_unit == "M"
    assert family(**model.params, time_unit="M") == model


@pytest.mark.parametrize(("family", "model"), FAMILIES, ids=_IDS)
def test_probability_identities(family: type[Any], model: Any) -> None:
    t = np.arange(0, 200)
    s = model.survival(t)
    p = model.churn_probability(t[1:])
    assert s[0] == pytest.approx(1.0)
    np.testing.assert_allclose(np.cumsum(p) + s[1:], 1.0, atol=1e-12)
    np.testing.assert_allclose(model.retention_rate(t[1:]), s[1:] / s[:-1], rtol=1e-10)


@pytest.mark.parametrize(("family", "model"), FAMILIES, ids=_IDS)
def test_value_is_the_discounted_sum_of_survival(family: type[Any], model: Any) -> None:
    d = 0.05
    k = np.arange(0, 3_000)
    s = model.survival(np.arange(0, 20_100))
    assert model.discounted_expected_lifetime(d) == pytest.approx(
        float(np.sum(s[k] / (1 + d) ** k)), rel=1e-9
    )
    for renewals in (0, 4):
        n = renewals + 1
        brute = float(np.sum(s[n + k] / s[n - 1] / (1 + d) ** k))
        got = model.discounted_expected_residual_lifetime(d, renewals)
        assert isinstance(got, float)
        assert got == pytest.approx(brute, rel=1e-9)
        undiscounted = float(np.sum(s[n : n + 20_000] / s[n - 1]))
        assert model.expected_residual_lifetime(renewals) == pytest.approx(undiscounted, rel=1e-6)
    assert model.discounted_expected_residual_lifetime(d, [0, 4]).shape == (2,)


@pytest.mark.parametrize(("family", "model"), FAMILIES, ids=_IDS)
def test_simulate_and_fit_round_trip(family: type[Any], model: Any) -> None:
    sim = model.simulate(40_000, 10, np.random.default_rng(21))
    assert list(sim.columns) == ["periods_survived", "churned"]
    assert sim.index.name == "customer_id"
    # the simulated survivor curve is the model's
    observed = [(sim["periods_survived"] >= t).mean() for t in range(11)]
    np.testing.assert_allclose(observed, model.survival(np.arange(11)), atol=0.01)
    rows = pd.DataFrame(
        {"tenure": sim["periods_survived"] + sim["churned"], "churned": sim["churned"]}
    )
    fit = family.fit(rows, tenure_counts="completed", time_unit="M")
    assert type(fit.model) is family
    assert fit.converged
    for name, value in model.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name
