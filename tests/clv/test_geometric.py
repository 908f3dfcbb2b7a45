"""ShiftedGeometric: closed forms against brute force, the sBG limit, the boundaries."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from crmkit.clv import ShiftedBetaGeometric, ShiftedGeometric, from_json
from crmkit.exceptions import BoundaryWarning, InvalidValueError


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())
    return out


def _per_row_loglik(theta: float, survivors: list[int]) -> float:
    """Per-customer geometric log-likelihood of a survivor table, written out directly."""
    n = np.asarray(survivors, dtype=float)
    t = np.arange(1, n.size)
    churned = -np.diff(n)
    return float(
        np.sum(churned * (np.log(theta) + (t - 1) * np.log1p(-theta)))
        + n[-1] * (n.size - 1) * np.log1p(-theta)
    )


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_closed_form_equals_a_numerical_maximum(ref: dict[str, Any], cohort: str) -> None:
    survivors = ref["inputs"][cohort][:8]
    fit = ShiftedGeometric.fit(survivors)
    best = optimize.minimize_scalar(
        lambda th: -_per_row_loglik(th, survivors),
        bounds=(1e-6, 1 - 1e-6),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert fit.params["theta"] == pytest.approx(best.x, abs=1e-8)
    assert fit.log_likelihood == pytest.approx(-best.fun, rel=1e-12)
    # standard error from the numerical second derivative of the log-likelihood
    th, h = fit.params["theta"], 1e-5
    second = (
        _per_row_loglik(th + h, survivors)
        - 2 * _per_row_loglik(th, survivors)
        + _per_row_loglik(th - h, survivors)
    ) / h**2
    assert fit.stderr["theta"] == pytest.approx((-second) ** -0.5, rel=1e-4)
    assert fit.converged
    assert fit.at_boundary == ()
    # the geometric model is nested in the sBG (alpha, beta -> infinity): the sBG fit is
    # at least as good, and FH (2007) show it is much better on these cohorts
    assert ShiftedBetaGeometric.fit(survivors).log_likelihood > fit.log_likelihood + 20


def test_predictions_are_the_sbg_limit() -> None:
    theta = 0.137
    geo = ShiftedGeometric(theta=theta)
    scale = 1e12  # alpha, beta -> infinity with alpha / (alpha + beta) = theta
    sbg = ShiftedBetaGeometric(alpha=theta * scale, beta=(1 - theta) * scale)
    t = np.arange(0, 40)
    np.testing.assert_allclose(geo.survival(t), sbg.survival(t), rtol=1e-9)
    np.testing.assert_allclose(
        geo.churn_probability(t[1:]), sbg.churn_probability(t[1:]), rtol=1e-9
    )
    np.testing.assert_allclose(geo.retention_rate(t[1:]), sbg.retention_rate(t[1:]), rtol=1e-9)
    assert geo.discounted_expected_lifetime(0.05) == pytest.approx(
        sbg.discounted_expected_lifetime(0.05), rel=1e-9
    )
    for n in (0, 5):
        assert geo.discounted_expected_residual_lifetime(0.05, n) == pytest.approx(
            sbg.discounted_expected_residual_lifetime(0.05, n), rel=1e-9
        )
        assert geo.expected_residual_lifetime(n) == pytest.approx(
            sbg.expected_residual_lifetime(n), rel=1e-9
        )


def test_an_sbg_fit_at_the_boundary_equals_the_geometric_fit() -> None:
    # retention rates 0.900, 0.894, 0.892 fall slightly: no heterogeneity (which would
    # make them rise), so the sBG likelihood rises towards alpha, beta -> infinity
    survivors = [1000, 900, 805, 718]
    churned_at = np.repeat([1, 2, 3], [100, 95, 87])
    rows = pd.DataFrame(
        {
            "tenure": np.concatenate([churned_at, np.full(718, 3)]),
            "churned": np.arange(1000) < churned_at.size,
        }
    )
    geo = ShiftedGeometric.fit(rows, tenure_counts="completed")
    theta = 282 / (100 + 95 * 2 + 87 * 3 + 718 * 3)  # cancellations / renewal decisions
    assert geo.params["theta"] == pytest.approx(theta, rel=1e-14)
    for data, options in ((rows, {"tenure_counts": "completed"}), (survivors, {})):
        with pytest.warns(BoundaryWarning, match=r"expected lifetime 1/theta = 9\.592 periods"):
            sbg = ShiftedBetaGeometric.fit(data, **options)
        assert sbg.at_boundary == ("alpha", "beta")
        assert sbg.converged
        t = np.arange(0, 30)
        np.testing.assert_allclose(sbg.model.survival(t), geo.model.survival(t), rtol=1e-7)
        assert sbg.log_likelihood == pytest.approx(geo.log_likelihood, rel=1e-9)


def test_value_formulas_against_brute_force_sums() -> None:
    m = ShiftedGeometric(theta=0.2)
    k = np.arange(0, 5_000)
    d = 0.03
    assert m.discounted_expected_lifetime(d) == pytest.approx(
        float(np.sum(m.survival(k) / (1 + d) ** k)), rel=1e-12
    )
    for n in (1, 4):  # n - 1 renewals made
        brute = np.sum(m.survival(n + k) / m.survival(n - 1) / (1 + d) ** k)
        assert m.discounted_expected_residual_lifetime(d, n - 1) == pytest.approx(
            float(brute), rel=1e-12
        )
    # undiscounted: E[T] = 1/theta periods, so (1 - theta)/theta further renewals
    t = np.arange(1, 5_000)
    mean_t = float(np.sum(t * m.churn_probability(t)))
    assert mean_t == pytest.approx(1 / 0.2, rel=1e-12)
    assert m.expected_residual_lifetime() == pytest.approx(mean_t - 1)
    assert m.discounted_expected_residual_lifetime(d, [0, 3]).shape == (2,)
    assert m.expected_residual_lifetime([0, 3]).tolist() == [4.0, 4.0]  # type: ignore[union-attr]


@given(theta=st.floats(0.0, 1.0), d=st.floats(1e-4, 10.0))
def test_invariants(theta: float, d: float) -> None:
    m = ShiftedGeometric(theta=theta)
    t = np.arange(0, 50)
    s = m.survival(t)
    assert s[0] == 1.0
    assert np.all(np.diff(s) <= 0)
    assert np.all((s >= 0) & (s <= 1))
    p = m.churn_probability(t[1:])
    np.testing.assert_allclose(np.cumsum(p) + s[1:], 1.0, atol=1e-12)
    assert not np.any(np.isnan(m.retention_rate(t[1:])))
    del_ = m.discounted_expected_lifetime(d)
    assert 1.0 <= del_ <= (1 + d) / d * (1 + 1e-12)
    derl = m.discounted_expected_residual_lifetime(d, 3)
    assert derl == pytest.approx((1 - theta) * del_, rel=1e-12)


@pytest.mark.parametrize(
    ("survivors", "theta", "what"),
    [([100, 100, 100], 0.0, "nobody cancelled in 200"), ([100, 0, 0], 1.0, "every one of")],
)
def test_boundaries_warn_and_never_give_nan(survivors: list[int], theta: float, what: str) -> None:
    with pytest.warns(BoundaryWarning, match=what):
        fit = ShiftedGeometric.fit(survivors)
    assert fit.params == {"theta": theta}
    assert fit.at_boundary == ("theta",)
    assert fit.converged
    assert fit.stderr == {"theta": np.inf}
    assert fit.log_likelihood == 0.0
    ci = fit.confidence_intervals()
    assert not ci.isna().to_numpy().any()
    assert "at limit" in repr(fit)
    m = fit.model
    values = np.concatenate(
        [m.survival(np.arange(5)), m.churn_probability([1, 2]), m.retention_rate([1, 2])]
    )
    assert not np.any(np.isnan(values))
    assert m.discounted_expected_lifetime(0.1) == pytest.approx(1.1 / (0.1 + theta))
    sim = m.simulate(10, 4, np.random.default_rng(0))
    assert sim["churned"].tolist() == [theta == 1.0] * 10
    if theta == 0.0:
        with pytest.raises(InvalidValueError, match="infinite"):
            m.expected_residual_lifetime()
    else:
        assert m.expected_residual_lifetime() == 0.0


def test_simulation_recovers_theta_and_fits_the_truncated_reader() -> None:
    truth = ShiftedGeometric(theta=0.08)
    sim = truth.simulate(50_000, 24, np.random.default_rng(8))
    survivors = [int((sim["periods_survived"] >= t).sum()) for t in range(25)]
    fit = ShiftedGeometric.fit(survivors)
    assert abs(fit.params["theta"] - 0.08) < 3 * fit.stderr["theta"]
    # memorylessness: customers seen only from 5 renewals on give the same theta
    rows = pd.DataFrame(
        {"tenure": sim["periods_survived"] + sim["churned"], "churned": sim["churned"]}
    )
    late = rows[rows["tenure"] > 5].assign(entry=5)
    later = ShiftedGeometric.fit(late, tenure_counts="completed", entry_col="entry")
    assert abs(later.params["theta"] - 0.08) < 3 * later.stderr["theta"]


def test_bad_values_and_options() -> None:
    for bad in (-0.1, 1.5, float("nan"), "0.2", None):
        with pytest.raises(InvalidValueError, match="theta"):
            ShiftedGeometric(theta=bad)  # type: ignore[arg-type]
    m = ShiftedGeometric(theta=0.3)
    with pytest.raises(InvalidValueError):
        m.survival(-1)
    with pytest.raises(InvalidValueError):
        m.churn_probability(0)
    with pytest.raises(InvalidValueError):
        m.retention_rate(1.5)
    with pytest.raises(InvalidValueError):
        m.discounted_expected_lifetime(0.0)
    with pytest.raises(InvalidValueError):
        m.discounted_expected_residual_lifetime(0.1, -1)
    with pytest.raises(InvalidValueError, match="x0"):
        ShiftedGeometric.fit([100, 50], x0=[2.0])
    with pytest.raises(InvalidValueError, match="callback"):
        ShiftedGeometric.fit([100, 50], callback=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="no renewal decision"):
        ShiftedGeometric.fit(
            pd.DataFrame({"tenure": [0, 0], "churned": [False, False]}),
            tenure_counts="completed",
        )


def test_fit_options_of_the_common_signature() -> None:
    seen: list[tuple[int, float, dict[str, float]]] = []
    frame = pd.DataFrame({"period": [0, 1, 2], "n_alive": [100, 80, 70]})
    frame.attrs["crmkit_time_unit"] = "M"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ShiftedGeometric.fit(
            frame, x0=[0.5], strict=False, callback=lambda *a: seen.append(a)
        )
    assert fit.model.time_unit == "M"
    assert ShiftedGeometric.fit(frame, time_unit="Y").model.time_unit == "Y"
    assert seen == [(1, fit.log_likelihood, fit.params)]
    assert fit.params["theta"] == pytest.approx(30 / (20 + 2 * 80))  # 30 out of 100 + 80


def test_persistence_and_pickle() -> None:
    m = ShiftedGeometric(theta=0.25, time_unit="M")
    assert from_json(m.to_json()) == m
    assert pickle.loads(pickle.dumps(m)) == m
    fit = ShiftedGeometric.fit([1000, 631, 468])
    back = from_json(fit.to_json())
    assert back.model == fit.model
    assert back.stderr == fit.stderr
