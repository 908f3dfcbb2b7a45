"""Tests of the BG/BB model against FHS (2010), Hardie's note 010 workbook and lifetimes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.datasets import load_donations
from crmkit.exceptions import (
    DegenerateDataWarning,
    InvalidValueError,
    InvariantError,
    MissingColumnsError,
)


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return load_donations()


@pytest.fixture(scope="module")
def fitted(donations: pd.DataFrame):  # type: ignore[no-untyped-def]
    return BetaGeoBetaBinom.fit(donations)


def _ref(reference_dir: Path, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((reference_dir / name).read_text())


def test_published_estimates_and_log_likelihood(fitted, reference_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ref = _ref(reference_dir, "clv_bgbb_fhs2010.json")
    tol = ref["tolerance"]
    for name, value in ref["params"].items():
        assert fitted.params[name] == pytest.approx(value, abs=tol["params_abs"])
    assert fitted.log_likelihood == pytest.approx(
        ref["log_likelihood"], abs=tol["log_likelihood_abs"]
    )
    assert fitted.converged
    assert fitted.n_customers == 11104
    assert all(np.isfinite(list(fitted.stderr.values())))


def test_published_predictions(fitted, donations: pd.DataFrame, reference_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ref = _ref(reference_dir, "clv_bgbb_fhs2010.json")
    tol = ref["tolerance"]
    model = fitted.model
    pa = ref["probability_alive_2002"]
    frame = pd.DataFrame({"frequency": pa["x"], "recency": pa["t_x"], "n_periods": 6})
    np.testing.assert_allclose(
        model.probability_alive(frame), pa["value"], atol=tol["probability_alive_abs"]
    )
    fit_tab = ref["expected_donors_with_x_repeat"]
    expected = 11104 * model.probability_of_purchases(fit_tab["x"], 6)
    np.testing.assert_allclose(expected, fit_tab["value"], atol=tol["expected_donors_abs"])
    total = (model.conditional_expected_purchases(donations, t=5) * donations["weights"]).sum()
    assert total == pytest.approx(
        ref["conditional_expected_total_2002_2006"]["value"], abs=tol["conditional_total_abs"]
    )


def test_matches_lifetimes(fitted, reference_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ref = _ref(reference_dir, "clv_bgbb_lifetimes.json")
    for name, value in ref["params"].items():
        assert fitted.params[name] == pytest.approx(value, rel=ref["tolerance"]["params_rel"])
    model = BetaGeoBetaBinom(**ref["params"])
    data = pd.DataFrame(ref["inputs"])
    rel = ref["tolerance"]["predictions_rel"]
    np.testing.assert_allclose(
        model.conditional_expected_purchases(data, t=5),
        ref["conditional_expected_purchases_5"],
        rtol=rel,
    )
    np.testing.assert_allclose(
        model.probability_alive(data), ref["probability_alive_next"], rtol=rel
    )
    counts = 11104 * model.probability_of_purchases(np.arange(7), 6)
    np.testing.assert_allclose(counts, ref["expected_customers_by_frequency_6"], rtol=rel)


def test_weights_equal_exploded_rows(donations: pd.DataFrame, fitted) -> None:  # type: ignore[no-untyped-def]
    exploded = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    again = BetaGeoBetaBinom.fit(exploded.reset_index(drop=True))
    np.testing.assert_allclose(again.estimates, fitted.estimates, rtol=1e-6)
    assert again.n_customers == 11104
    assert again.n_unique == 22


def test_expected_purchases_is_mean_of_count_distribution(fitted) -> None:  # type: ignore[no-untyped-def]
    model = fitted.model
    for n in (1, 6, 25):
        p = model.probability_of_purchases(np.arange(n + 1), n)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (np.arange(n + 1) * p).sum() == pytest.approx(float(model.expected_purchases(n)))


def test_gamma_one_is_the_limit() -> None:
    data = load_donations()
    at_one = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=1.0, delta=2.8)
    near = attrs.evolve(at_one, gamma=1.0 + 1e-7)
    # the functions are smooth in gamma: a 1e-7 step moves them by about 1e-7
    assert float(at_one.expected_purchases(10)) == pytest.approx(
        float(near.expected_purchases(10)), rel=1e-6
    )
    np.testing.assert_allclose(
        at_one.conditional_expected_purchases(data, t=5),
        near.conditional_expected_purchases(data, t=5),
        rtol=1e-6,
    )


def test_expected_purchases_near_gamma_one_matches_mpmath(reference_dir: Path) -> None:
    """The telescoped sum cancels as gamma -> 1; 1e-10 on both sides of the series switch."""
    ref = _ref(reference_dir, "clv_bgbb_near_one.json")
    tol = ref["tolerance"]["relative"]
    worst = 0.0
    for p in ref["points"]:
        model = BetaGeoBetaBinom(
            alpha=ref["inputs"]["alpha"],
            beta=ref["inputs"]["beta"],
            gamma=p["gamma"],
            delta=p["delta"],
        )
        got = float(model.expected_purchases(p["n"]))
        worst = max(worst, abs(got / p["expected"] - 1.0))
    assert worst <= tol


def test_parameter_recovery_from_simulation() -> None:
    truth = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    sim = truth.simulate(100_000, 6, np.random.default_rng(20101086))
    fit = BetaGeoBetaBinom.fit(sim)
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"recency": [7]}, InvariantError),
        ({"frequency": [3], "recency": [2]}, InvariantError),
        ({"frequency": [0], "recency": [2]}, InvariantError),
        ({"frequency": [-1]}, InvalidValueError),
        ({"frequency": [1.5]}, InvalidValueError),
        ({"frequency": [np.nan]}, InvalidValueError),
    ],
)
def test_bad_input_raises(patch: dict, error: type[Exception]) -> None:  # type: ignore[type-arg]
    row = {"frequency": [1], "recency": [2], "n_periods": [6]} | patch
    with pytest.raises(error):
        BetaGeoBetaBinom.fit(pd.DataFrame(row))


def test_missing_columns_and_bad_params() -> None:
    with pytest.raises(MissingColumnsError, match="n_periods"):
        BetaGeoBetaBinom.fit(pd.DataFrame({"frequency": [1], "recency": [1]}))
    with pytest.raises(InvalidValueError, match="gamma"):
        BetaGeoBetaBinom(alpha=1, beta=1, gamma=0, delta=1)
    with pytest.raises(InvalidValueError, match="whole"):
        BetaGeoBetaBinom(alpha=1, beta=1, gamma=1, delta=1).expected_purchases(2.5)


@given(
    params=st.tuples(*[st.floats(0.005, 1000.0) for _ in range(4)]),
    n=st.integers(1, 60),
    data=st.data(),
)
def test_probability_alive_in_unit_interval(params, n, data) -> None:  # type: ignore[no-untyped-def]
    tx = data.draw(st.integers(0, n))
    x = data.draw(st.integers(min(1, tx), tx)) if tx > 0 else 0
    model = BetaGeoBetaBinom(**dict(zip(("alpha", "beta", "gamma", "delta"), params, strict=True)))
    frame = pd.DataFrame({"frequency": [x], "recency": [tx], "n_periods": [n]})
    p = float(model.probability_alive(frame).iloc[0])
    assert 0.0 <= p <= 1.0
    e = model.expected_purchases(np.arange(n + 1))
    assert e[0] == 0.0
    assert np.all(np.diff(e) >= -1e-12)
    c = float(model.conditional_expected_purchases(frame, t=3).iloc[0])
    assert 0.0 <= c <= 3.0


def test_no_repeat_buyers_warns_degenerate() -> None:
    data = pd.DataFrame({"frequency": [0], "recency": [0], "n_periods": [6], "weights": [100]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = BetaGeoBetaBinom.fit(data)
    assert any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    predicted = fit.model.conditional_expected_purchases(data, t=5)
    assert np.all(np.isfinite(predicted))
    assert float(predicted.iloc[0]) < 0.01


def test_protocol_and_pickle(fitted) -> None:  # type: ignore[no-untyped-def]
    import pickle

    from crmkit.clv import CLVModel, TransactionModel

    assert isinstance(fitted.model, TransactionModel)
    assert isinstance(fitted.model, CLVModel)
    assert pickle.loads(pickle.dumps(fitted.model)) == fitted.model
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fitted.model.alpha = 2.0  # type: ignore[misc]


def test_fit_reads_the_summary_time_unit(donations: pd.DataFrame) -> None:
    # like the continuous-time families, BG/BB takes the unit recorded by the summary
    tagged = donations.copy()
    tagged.attrs["crmkit_time_unit"] = "Y"
    assert BetaGeoBetaBinom.fit(tagged).model.time_unit == "Y"
    assert BetaGeoBetaBinom.fit(tagged, time_unit="M").model.time_unit == "M"
    assert donations.attrs.get("crmkit_time_unit") is None  # input not mutated
    bad = donations.copy()
    bad.attrs["crmkit_time_unit"] = "month"
    with pytest.raises(InvalidValueError, match="time_unit='month'"):
        BetaGeoBetaBinom.fit(bad)
