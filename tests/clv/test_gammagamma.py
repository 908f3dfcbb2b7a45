"""Tests of the Gamma-Gamma spend model against FHL (2005), note 025 and lifetimes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.clv.gammagamma import GammaGamma, SpendFrequencyCorrelationWarning
from crmkit.exceptions import (
    CrmkitWarning,
    DegenerateDataWarning,
    InvalidValueError,
    MissingColumnsError,
)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def exact_repeat_spend() -> pd.DataFrame:
    tx = datasets.load_cdnow_transactions(sample=True)
    tx = tx.loc[tx["date"] <= datasets.CDNOW_CALIBRATION_END]
    days = tx.groupby(["sample_id", "date"])["dollar_value"].sum().reset_index()
    repeat = days.loc[days["date"] > days.groupby("sample_id")["date"].transform("min")]
    agg = repeat.groupby("sample_id")["dollar_value"].agg(["size", "mean"])
    return pd.DataFrame({"frequency": agg["size"], "monetary_value": agg["mean"]})


def _ref(reference_dir: Path, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((reference_dir / name).read_text())


def test_published_estimates_from_exact_averages(
    exact_repeat_spend: pd.DataFrame, reference_dir: Path
) -> None:
    ref = _ref(reference_dir, "clv_gammagamma_fhl2005.json")
    fit = GammaGamma.fit(exact_repeat_spend)
    assert fit.n_customers == 946
    for name, value in ref["params"].items():
        tol = ref["tolerance"]["params_abs_exact_input"]
        assert fit.params[name] == pytest.approx(value, abs=tol)


def test_published_estimates_from_rounded_summary(
    summary: pd.DataFrame, reference_dir: Path
) -> None:
    ref = _ref(reference_dir, "clv_gammagamma_fhl2005.json")
    fit = GammaGamma.fit(summary)
    for name, value in ref["params"].items():
        tol = ref["tolerance"]["params_abs_rounded_input"]
        assert fit.params[name] == pytest.approx(value, abs=tol)
    expected = ref["conditional_expected_spend_first_10"]
    got = fit.model.conditional_expected_spend(summary.loc[expected["customer_id"]])
    atol = ref["tolerance"]["conditional_expected_spend_abs"]
    np.testing.assert_allclose(got, expected["value"], atol=atol)


def test_matches_lifetimes(summary: pd.DataFrame, reference_dir: Path) -> None:
    ref = _ref(reference_dir, "clv_gammagamma_lifetimes.json")
    fit = GammaGamma.fit(summary)
    for name, value in ref["params"].items():
        assert fit.params[name] == pytest.approx(value, rel=ref["tolerance"]["params_rel"])
    model = GammaGamma(**ref["params"])
    got = model.conditional_expected_spend(summary.loc[ref["customer_id"]])
    rel = ref["tolerance"]["predictions_rel"]
    np.testing.assert_allclose(got, ref["conditional_expected_average_spend_50"], rtol=rel)


def test_hand_computed_posterior_mean() -> None:
    model = GammaGamma(p=2.0, q=3.0, v=10.0)
    # x = 4, zbar = 5: p (v + x zbar) / (p x + q - 1) = 2 * 30 / 10 = 6
    frame = pd.DataFrame({"frequency": [4, 0], "monetary_value": [5.0, 0.0]})
    assert model.conditional_expected_spend(frame).tolist() == pytest.approx([6.0, 10.0])
    assert model.expected_spend() == pytest.approx(10.0)


def test_non_positive_spend_names_rows() -> None:
    frame = pd.DataFrame(
        {"frequency": [1, 2, 0], "monetary_value": [10.0, -3.0, 0.0]}, index=["a", "b", "c"]
    )
    with pytest.raises(InvalidValueError, match=r"\['b'\]"):
        GammaGamma.fit(frame)


def test_no_repeat_buyers_is_a_clear_error() -> None:
    frame = pd.DataFrame({"frequency": [0, 0], "monetary_value": [0.0, 0.0]})
    with pytest.raises(InvalidValueError, match="no customer has frequency > 0"):
        GammaGamma.fit(frame)


def test_few_buyers_warn_degenerate() -> None:
    frame = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [10.0, 12.0, 9.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GammaGamma.fit(frame, strict=False)
    assert any(issubclass(w.category, DegenerateDataWarning) for w in caught)


def test_correlation_warning() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, 500)
    frame = pd.DataFrame({"frequency": x, "monetary_value": 5.0 * x + rng.gamma(2.0, 2.0, 500)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GammaGamma.fit(frame, strict=False)
    found = [w for w in caught if issubclass(w.category, SpendFrequencyCorrelationWarning)]
    assert len(found) == 1
    assert "Pearson" in str(found[0].message)
    assert issubclass(SpendFrequencyCorrelationWarning, CrmkitWarning)


def test_cdnow_does_not_warn(summary: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GammaGamma.fit(summary)


def test_bad_input() -> None:
    with pytest.raises(MissingColumnsError):
        GammaGamma.fit(pd.DataFrame({"frequency": [1]}))
    with pytest.raises(InvalidValueError, match="whole"):
        GammaGamma.fit(pd.DataFrame({"frequency": [1.5], "monetary_value": [3.0]}))
    with pytest.raises(InvalidValueError):
        GammaGamma(p=1.0, q=0.5, v=1.0).expected_spend()
    with pytest.raises(InvalidValueError):
        GammaGamma(p=-1.0, q=2.0, v=1.0)


def test_parameter_recovery_from_simulation() -> None:
    truth = GammaGamma(p=6.0, q=4.0, v=15.0)
    rng = np.random.default_rng(415)
    x = rng.integers(1, 10, 20_000)
    sim = truth.simulate(20_000, x, rng)
    fit = GammaGamma.fit(sim)
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


@given(
    p=st.floats(0.1, 20),
    q=st.floats(1.1, 20),
    v=st.floats(0.1, 100),
    x=st.integers(1, 10_000),
    z=st.floats(0.01, 1e5),
)
def test_posterior_mean_between_prior_and_observed(p, q, v, x, z) -> None:  # type: ignore[no-untyped-def]
    model = GammaGamma(p=p, q=q, v=v)
    e = float(
        model.conditional_expected_spend(
            pd.DataFrame({"frequency": [x], "monetary_value": [z]})
        ).iloc[0]
    )
    lo, hi = sorted([model.expected_spend(), z])
    assert lo * (1 - 1e-9) <= e <= hi * (1 + 1e-9)


def test_weighted_rows_warn_like_the_customers_they_stand_for() -> None:
    # 8 rows standing for 204 repeat buyers whose frequency and spend correlate at 0.96:
    # the weights used to be ignored, so the collapsed frame warned "only 8 repeat
    # buyers" (DegenerateDataWarning) and never checked the correlation
    x = [1, 2, 3, 4, 1, 2, 3, 4]
    m = [10.0, 12.0, 14.0, 16.0, 16.0, 14.0, 12.0, 10.0]
    w = [50, 50, 50, 50, 1, 1, 1, 1]
    collapsed = pd.DataFrame({"frequency": x, "monetary_value": m, "w": w})
    exploded = collapsed.loc[collapsed.index.repeat(collapsed["w"])].drop(columns="w")

    def categories(frame: pd.DataFrame, **kwargs: object) -> set[type[Warning]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            GammaGamma.fit(frame, strict=False, **kwargs)  # type: ignore[arg-type]
        return {c.category for c in caught}

    expected = categories(exploded)
    assert SpendFrequencyCorrelationWarning in expected
    assert DegenerateDataWarning not in expected
    got = categories(collapsed, weights_col="w")
    assert SpendFrequencyCorrelationWarning in got
    assert DegenerateDataWarning not in got
