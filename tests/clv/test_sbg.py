"""Tests of the sBG retention model against Fader & Hardie (2007, 2010)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv.sbg import ShiftedBetaGeometric
from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
def test_published_estimates(ref: dict, cohort: str) -> None:  # type: ignore[type-arg]
    fit = ShiftedBetaGeometric.fit(ref["inputs"][cohort][:8])
    for name, value in ref["params"][cohort].items():
        assert fit.params[name] == pytest.approx(value, abs=ref["tolerance"]["params_abs"])
    assert fit.n_customers == 1000
    assert fit.converged


def test_projection_and_derl_match_independent_implementation(ref: dict) -> None:  # type: ignore[type-arg]
    model = ShiftedBetaGeometric.fit(ref["inputs"]["high_end"][:8]).model
    np.testing.assert_allclose(
        model.survival(np.arange(8, 13)),
        ref["high_end_projected_survival_years_8_12"],
        atol=ref["tolerance"]["survival_abs"],
    )
    d = ref["high_end_derl"]
    derl = model.discounted_expected_residual_lifetime(d["discount_rate"], d["renewals"])
    assert float(derl) == pytest.approx(d["value"], abs=ref["tolerance"]["derl_abs"])


def test_frame_input_and_multiple_cohorts(ref: dict) -> None:  # type: ignore[type-arg]
    counts = ref["inputs"]["regular"][:8]
    frame = pd.DataFrame({"period": range(8), "n_alive": counts})
    single = ShiftedBetaGeometric.fit(frame)
    direct = ShiftedBetaGeometric.fit(counts)
    np.testing.assert_allclose(single.estimates, direct.estimates, rtol=1e-8)
    # the same cohort split in two halves observed for 8 and 5 periods
    half = np.asarray(counts) // 2
    other = np.asarray(counts) - half
    multi = pd.DataFrame(
        {
            "cohort": ["a"] * 8 + ["b"] * 5,
            "period": list(range(8)) + list(range(5)),
            "n_alive": list(half) + list(other[:5]),
        }
    )
    fit = ShiftedBetaGeometric.fit(multi, cohort_col="cohort")
    assert fit.n_customers == 1000
    assert np.all(np.isfinite(fit.estimates))


def test_hand_computed_quantities() -> None:
    m = ShiftedBetaGeometric(alpha=2.0, beta=3.0)
    # P(T=1) = alpha/(alpha+beta); S(1) = beta/(alpha+beta); r_2 = (beta+1)/(alpha+beta+1)
    assert float(m.churn_probability(1)) == pytest.approx(0.4)
    assert float(m.survival(1)) == pytest.approx(0.6)
    assert float(m.retention_rate(2)) == pytest.approx(4 / 6)
    t = np.arange(1, 200)
    assert m.churn_probability(t).sum() + float(m.survival(199)) == pytest.approx(1.0)
    # DERL against a brute-force discounted sum of conditional survival
    for renewals in (0, 3):
        k = np.arange(0, 20_000)
        brute = (m.survival(renewals + 1 + k) / m.survival(renewals) * 1.05 ** (-k)).sum()
        got = float(m.discounted_expected_residual_lifetime(0.05, renewals))
        assert got == pytest.approx(brute, rel=1e-10)
    k = np.arange(0, 20_000)
    assert m.discounted_expected_lifetime(0.05) == pytest.approx(
        (m.survival(k) * 1.05 ** (-k)).sum(), rel=1e-10
    )
    # undiscounted residual lifetime (beta + n - 1)/(alpha - 1) vs brute force
    brute = (m.survival(1 + k) / m.survival(0)).sum()
    assert float(m.expected_residual_lifetime(0)) == pytest.approx(brute, rel=1e-3)
    with pytest.raises(InvalidValueError, match="infinite"):
        ShiftedBetaGeometric(alpha=0.7, beta=1.0).expected_residual_lifetime(0)


def test_parameter_recovery_from_simulation() -> None:
    truth = ShiftedBetaGeometric(alpha=0.7, beta=1.2)
    sim = truth.simulate(100_000, 12, np.random.default_rng(2007))
    survived = sim["periods_survived"].to_numpy()
    survivors = [(survived >= t).sum() for t in range(13)]
    fit = ShiftedBetaGeometric.fit(survivors)
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([1000, 1200, 900], InvariantError),
        ([1000], InvalidValueError),
        ([0, 0, 0], InvalidValueError),
        ([1000, 500.5, 100], InvalidValueError),
        ([[1000, 500]], InvalidValueError),
        (pd.DataFrame({"period": [0, 2], "n_alive": [10, 5]}), InvalidValueError),
        (pd.DataFrame({"n_alive": [10, 5]}), MissingColumnsError),
    ],
)
def test_bad_input(data: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        ShiftedBetaGeometric.fit(data)  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    m = ShiftedBetaGeometric(alpha=1.0, beta=1.0)
    with pytest.raises(InvalidValueError):
        m.survival(-1)
    with pytest.raises(InvalidValueError):
        m.retention_rate(0)
    with pytest.raises(InvalidValueError):
        m.discounted_expected_lifetime(0.0)
    with pytest.raises(InvalidValueError):
        ShiftedBetaGeometric(alpha=float("inf"), beta=1.0)


@given(alpha=st.floats(0.01, 100.0), beta=st.floats(0.01, 100.0))
def test_survival_non_increasing_and_retention_in_unit_interval(alpha: float, beta: float) -> None:
    m = ShiftedBetaGeometric(alpha=alpha, beta=beta)
    s = m.survival(np.arange(0, 60))
    assert s[0] == pytest.approx(1.0)
    assert np.all(np.diff(s) <= 1e-15)
    assert np.all((s >= 0) & (s <= 1))
    r = m.retention_rate(np.arange(1, 60))
    assert np.all((r > 0) & (r < 1))
    assert np.all(np.diff(r) >= -1e-15)


def test_protocol_and_pickle() -> None:
    import pickle

    from crmkit.clv import CLVModel
    from crmkit.clv.gammagamma import GammaGamma

    for model in (ShiftedBetaGeometric(alpha=0.7, beta=1.2), GammaGamma(p=6.0, q=4.0, v=15.0)):
        assert isinstance(model, CLVModel)
        assert pickle.loads(pickle.dumps(model)) == model


def test_scalar_renewals_give_a_float() -> None:
    m = ShiftedBetaGeometric(alpha=0.668, beta=3.806)
    assert isinstance(m.discounted_expected_residual_lifetime(0.10, renewals=7), float)
    assert isinstance(
        ShiftedBetaGeometric(alpha=3.0, beta=4.0).expected_residual_lifetime(2), float
    )
    assert m.discounted_expected_residual_lifetime(0.10, [7]).shape == (1,)


def test_fit_reads_the_frame_time_unit() -> None:
    frame = pd.DataFrame({"period": [0, 1, 2, 3], "n_alive": [1000, 631, 468, 382]})
    frame.attrs["crmkit_time_unit"] = "Y"
    assert ShiftedBetaGeometric.fit(frame).model.time_unit == "Y"
    assert ShiftedBetaGeometric.fit(frame, time_unit="M").model.time_unit == "M"
    assert ShiftedBetaGeometric.fit([1000, 631, 468, 382]).model.time_unit is None


def test_a_failed_optimisation_is_carried_as_not_converged(
    ref: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    from crmkit.clv import _base
    from crmkit.exceptions import ConvergenceError, ConvergenceWarning

    monkeypatch.setattr(_base, "_GRAD_TOL", -1.0)  # no end point can pass the checks
    survivors = ref["inputs"]["regular"][:8]
    with pytest.raises(ConvergenceError, match="sBG fit did not converge"):
        ShiftedBetaGeometric.fit(survivors)
    with pytest.warns(ConvergenceWarning, match="strict=False"):
        fit = ShiftedBetaGeometric.fit(survivors, strict=False)
    assert fit.converged is False
    assert "NOT converged" in repr(fit)
    assert fit.summary().attrs["converged"] is False
    # the best end point is still the published maximum
    assert fit.params["alpha"] == pytest.approx(0.704, abs=5e-4)
