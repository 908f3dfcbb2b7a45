"""Every public CLV call is finite and in range over the documented parameter grid.

The grid (the numerics contract of the CLV families): every parameter in [1e-4, 1e8],
the ratios of the two parameters of a gamma mixing distribution in [1e-8, 1e8], x up to
1e4 and t_x, T, t up to 1e4. Accuracy on that grid is checked against mpmath in the
numerics tests; here hypothesis checks that no public call returns NaN or inf, leaves
its range (probabilities in [0, 1], expectations >= 0) or warns (pytest turns warnings
into errors), with a bounded example count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmkit.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
    customer_lifetime_value,
)
from crmkit.exceptions import InvalidValueError

GRID = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
log_param = st.floats(min_value=math.log(1e-4), max_value=math.log(1e8)).map(math.exp)


def _ratio_ok(shape_rate: tuple[float, float]) -> bool:
    return 1e-8 <= shape_rate[0] / shape_rate[1] <= 1e8


@st.composite
def histories(draw: st.DrawFn, n: int = 6) -> pd.DataFrame:
    x = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))
    T = draw(st.lists(st.floats(1e-3, 1e4), min_size=n, max_size=n))
    frac = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    tx = [f * t if k > 0 else 0.0 for k, t, f in zip(x, T, frac, strict=True)]
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T}, dtype=np.float64)


def _check_probability(values: Any, name: str) -> None:
    arr = np.asarray(values, dtype=np.float64)
    assert np.isfinite(arr).all(), name
    assert (arr >= 0).all(), name
    assert (arr <= 1 + 1e-12).all(), name


def _check_nonnegative(values: Any, name: str) -> None:
    arr = np.asarray(values, dtype=np.float64)
    assert np.isfinite(arr).all(), name
    assert (arr >= 0).all(), name


def _transaction_calls(model: Any, summary: pd.DataFrame, t: float) -> None:
    _check_probability(model.probability_alive(summary), "probability_alive")
    _check_probability(model.probability_alive(summary, t=[0.0, t]), "probability_alive(t)")
    _check_probability(model.probability_no_purchase(summary, t=t), "probability_no_purchase")
    _check_nonnegative(
        model.conditional_expected_purchases(summary, t=t), "conditional_expected_purchases"
    )
    _check_nonnegative(model.expected_purchases([0.0, t]), "expected_purchases")
    _check_probability(model.probability_of_purchases([0, 1, 10], t), "probability_of_purchases")
    assert np.isfinite(model.log_likelihood(summary))
    clv = customer_lifetime_value(
        model, 25.0, summary, horizon=52, time_unit="W", discount_rate=0.002, model_time_unit="W"
    )
    _check_nonnegative(clv, "customer_lifetime_value")


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@GRID
@given(
    r_alpha=st.tuples(log_param, log_param).filter(_ratio_ok),
    a=log_param,
    b=log_param,
    summary=histories(),
    t=st.floats(0.0, 1e4),
)
def test_bg_family_public_calls(
    cls: type[BetaGeo],
    r_alpha: tuple[float, float],
    a: float,
    b: float,
    summary: pd.DataFrame,
    t: float,
) -> None:
    model = cls(r=r_alpha[0], alpha=r_alpha[1], a=a, b=b)
    _transaction_calls(model, summary, t)


@GRID
@given(
    r_alpha=st.tuples(log_param, log_param).filter(_ratio_ok),
    s_beta=st.tuples(log_param, log_param).filter(_ratio_ok),
    summary=histories(),
    t=st.floats(0.0, 1e4),
)
def test_pareto_public_calls(
    r_alpha: tuple[float, float], s_beta: tuple[float, float], summary: pd.DataFrame, t: float
) -> None:
    assume(1e-8 <= s_beta[1] / r_alpha[1] <= 1e8)  # beta / alpha in the grid
    model = ParetoNBD(r=r_alpha[0], alpha=r_alpha[1], s=s_beta[0], beta=s_beta[1])
    _transaction_calls(model, summary, t)


@GRID
@given(
    p=log_param,
    q_v=st.tuples(log_param, log_param).filter(_ratio_ok),
    x=st.lists(st.integers(0, 10_000), min_size=5, max_size=5),
    spend=st.lists(st.floats(1e-2, 1e6), min_size=5, max_size=5),
)
def test_gamma_gamma_public_calls(
    p: float, q_v: tuple[float, float], x: list[int], spend: list[float]
) -> None:
    model = GammaGamma(p=p, q=q_v[0], v=q_v[1])
    summary = pd.DataFrame({"frequency": x, "monetary_value": spend}, dtype=np.float64)
    if q_v[0] <= 1:  # the population mean spend is infinite: a documented error
        with pytest.raises(InvalidValueError, match="infinite"):
            model.expected_spend()
        summary = summary[p * summary["frequency"] + q_v[0] > 1]
        assume(len(summary) > 0)
    else:
        _check_nonnegative(model.expected_spend(), "expected_spend")
    _check_nonnegative(model.conditional_expected_spend(summary), "conditional_expected_spend")


@GRID
@given(
    params=st.tuples(log_param, log_param, log_param, log_param),
    n=st.integers(1, 10_000),
    fracs=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=5, max_size=5),
    t=st.integers(0, 10_000),
)
def test_bgbb_public_calls(
    params: tuple[float, float, float, float],
    n: int,
    fracs: list[tuple[float, float]],
    t: int,
) -> None:
    alpha, beta, gamma, delta = params
    model = BetaGeoBetaBinom(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    x = [round(f * n) for f, _ in fracs]
    rec = [
        0 if k == 0 else max(k, round(k + g * (n - k))) for k, (_, g) in zip(x, fracs, strict=True)
    ]
    data = pd.DataFrame({"frequency": x, "recency": rec, "n_periods": [n] * len(x)})
    _check_probability(model.probability_alive(data), "probability_alive")
    _check_nonnegative(
        model.conditional_expected_purchases(data, t=t), "conditional_expected_purchases"
    )
    _check_nonnegative(model.expected_purchases([0, t]), "expected_purchases")
    _check_probability(
        model.probability_of_purchases([0, 1, 5], max(t, 5)), "probability_of_purchases"
    )
    assert np.isfinite(model.log_likelihood(data))


@GRID
@given(
    alpha=log_param,
    beta=log_param,
    t=st.lists(st.integers(0, 10_000), min_size=1, max_size=5),
    d=st.floats(1e-4, 10.0),
)
def test_sbg_public_calls(alpha: float, beta: float, t: list[int], d: float) -> None:
    model = ShiftedBetaGeometric(alpha=alpha, beta=beta)
    _check_probability(model.churn_probability([max(k, 1) for k in t]), "churn_probability")
    _check_probability(model.survival(t), "survival")
    _check_probability(model.retention_rate([max(k, 1) for k in t]), "retention_rate")
    _check_nonnegative(model.discounted_expected_lifetime(d), "discounted_expected_lifetime")
    _check_nonnegative(
        model.discounted_expected_residual_lifetime(d, [max(k, 1) for k in t]),
        "discounted_expected_residual_lifetime",
    )
    renewals = [max(k, 1) for k in t]
    if alpha <= 1:  # E[lifetime] is infinite without discounting: a documented error
        with pytest.raises(InvalidValueError, match="infinite"):
            model.expected_residual_lifetime(renewals)
    else:
        _check_nonnegative(
            model.expected_residual_lifetime(renewals), "expected_residual_lifetime"
        )
