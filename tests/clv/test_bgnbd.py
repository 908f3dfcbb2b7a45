"""BG/NBD: published CDNOW estimates, lifetimes cross-check, mpmath hard points, recovery."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from crmkit.clv import BetaGeo, FitResult, TransactionModel
from crmkit.exceptions import (
    DegenerateDataWarning,
    InvalidValueError,
    InvariantError,
    MissingColumnsError,
)

PUBLISHED = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict[str, object]:
    with (reference_dir / "clv_cdnow_bgnbd.json").open() as fh:
        return dict(json.load(fh))


@pytest.fixture(scope="module")
def fit(cdnow: pd.DataFrame) -> FitResult[BetaGeo]:
    return BetaGeo.fit(cdnow)


def test_fit_reproduces_fader_hardie_lee_2005(
    fit: FitResult[BetaGeo], ref: dict, check_published: Any
) -> None:
    check_published(fit, ref["published"])
    assert fit.n_customers == 2357
    assert fit.n_unique < fit.n_customers  # fitted on compressed histories
    assert isinstance(fit.model, BetaGeo)
    assert all(np.isfinite(v) and v > 0 for v in fit.stderr.values())


def test_published_conditional_expectation(ref: dict) -> None:
    ex = ref["conditional_expectation_example"]
    inp = ex["inputs"]
    model = BetaGeo(**inp["params"])
    s = pd.DataFrame({"frequency": [inp["x"]], "recency": [inp["t_x"]], "T": [inp["T"]]})
    got = model.conditional_expected_purchases(s, t=inp["t"]).iloc[0]
    assert got == pytest.approx(ex["value"], abs=ex["tolerance"]["abs"])


def test_matches_lifetimes(
    fit: FitResult[BetaGeo], ref: dict, check_lifetimes_predictions: Any
) -> None:
    lt = ref["lifetimes"]
    for name, value in lt["params"].items():
        assert fit.params[name] == pytest.approx(value, rel=lt["tolerance"]["params_rtol"])
    model = BetaGeo(**lt["params"])
    check_lifetimes_predictions(model, lt)


def test_mpmath_hard_points(reference_dir: Path) -> None:
    with (reference_dir / "clv_mpmath_hard_points.json").open() as fh:
        ref = json.load(fh)
    rtol = ref["tolerance"]["rtol"]
    for e in ref["bg_nbd"]:
        model = BetaGeo(**e["params"])
        s = pd.DataFrame({"frequency": [e["x"]], "recency": [e["t_x"]], "T": [e["T"]]})
        assert model.log_likelihood(s) == pytest.approx(e["log_likelihood"], rel=rtol)
        assert model.probability_alive(s).iloc[0] == pytest.approx(
            e["probability_alive"], rel=rtol, abs=1e-12
        )
        assert model.conditional_expected_purchases(s, t=e["t"]).iloc[0] == pytest.approx(
            e["conditional_expected_purchases"], rel=rtol, abs=1e-12
        )


def _posterior_integral(
    model: BetaGeo, x: int, T: float, weight: Callable[[float, float], float]
) -> float:
    """int int (1-p)^x lam^x e^{-lam T} weight(lam, p) prior dlam dp (alive branch)."""

    def integrand(lam: float, p: float) -> float:
        log_prior = (
            model.r * np.log(model.alpha)
            - special.gammaln(model.r)
            + (model.r - 1) * np.log(lam)
            - model.alpha * lam
            + (model.a - 1) * np.log(p)
            + (model.b - 1) * np.log1p(-p)
            - special.betaln(model.a, model.b)
        )
        return float(
            np.exp(log_prior + x * np.log1p(-p) + x * np.log(lam) - lam * T) * weight(lam, p)
        )

    value, _ = integrate.dblquad(integrand, 0.0, 1.0, 0.0, np.inf, epsabs=0, epsrel=1e-10)
    return float(value)


def test_future_alive_and_no_purchase_by_direct_integration() -> None:
    """P(alive at T+t) and P(no purchase in (T, T+t]) against the model's definition."""
    model = BetaGeo(r=0.9, alpha=3.0, a=1.3, b=2.0)
    x, tx, T, t = 2, 5.0, 8.0, 4.0
    s = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    alive_now = float(model.probability_alive(s).iloc[0])
    base = _posterior_integral(model, x, T, lambda lam, p: 1.0)
    later = _posterior_integral(model, x, T, lambda lam, p: np.exp(-lam * p * t))
    silent = _posterior_integral(model, x, T, lambda lam, p: np.exp(-lam * t))
    assert model.probability_alive(s, t=t).iloc[0] == pytest.approx(
        alive_now * later / base, rel=1e-6
    )
    expected_np = 1.0 - alive_now + alive_now * silent / base
    assert model.probability_no_purchase(s, t=t).iloc[0] == pytest.approx(expected_np, rel=1e-6)


def test_parameter_recovery_100k() -> None:
    truth = BetaGeo(r=0.25, alpha=4.0, a=0.8, b=2.5)
    rng = np.random.default_rng(20240607)
    T = rng.integers(20, 60, size=100_000).astype(float)
    sim = truth.simulate(100_000, T, rng)
    fit = BetaGeo.fit(sim)
    for name, value in truth.params.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name


def test_repeat_frequency_table(cdnow: pd.DataFrame) -> None:
    table = PUBLISHED.expected_repeat_frequency(cdnow)
    assert table.index.tolist() == list(range(8))
    assert table.sum() == pytest.approx(len(cdnow))
    assert (table >= 0).all()
    observed = cdnow["frequency"].clip(upper=7).value_counts().sort_index()
    # the published fit tracks the histogram closely (FHL 2005, figure 2)
    assert np.abs(table.to_numpy() - observed.to_numpy()).max() < 25


def test_output_shapes_and_index(cdnow: pd.DataFrame) -> None:
    head = cdnow.head(5)
    series = PUBLISHED.conditional_expected_purchases(head, t=12)
    assert isinstance(series, pd.Series)
    assert series.index.equals(head.index)
    frame = PUBLISHED.conditional_expected_purchases(head, t=[0, 12, 52])
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (5, 3)
    assert (frame[0.0] == 0).all()
    alive = PUBLISHED.probability_alive(head, t=[0, 10])
    assert (alive[10.0] <= alive[0.0]).all()


def test_value_semantics() -> None:
    assert isinstance(PUBLISHED, TransactionModel)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PUBLISHED.r = 1.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(PUBLISHED)) == PUBLISHED
    with pytest.raises(InvalidValueError, match="alpha"):
        BetaGeo(r=1.0, alpha=0.0, a=1.0, b=1.0)
    with pytest.raises(InvalidValueError):
        BetaGeo(r=1.0, alpha=1.0, a=1.0, b=1.0, time_unit="fortnight")  # type: ignore[arg-type]


def test_time_unit_from_summary_attrs(cdnow: pd.DataFrame) -> None:
    tagged = cdnow.copy()
    tagged.attrs["crmkit_time_unit"] = "W"
    assert BetaGeo.fit(tagged).model.time_unit == "W"
    assert BetaGeo.fit(cdnow, time_unit="W").model.time_unit == "W"


def test_all_one_time_buyers_warns_not_nan() -> None:
    s = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(5, 40, 50)})
    with pytest.warns(DegenerateDataWarning):
        fit = BetaGeo.fit(s)
    assert all(np.isfinite(v) for v in fit.params.values())
    assert not fit.converged
    assert np.all(np.isfinite(fit.model.conditional_expected_purchases(s, t=10)))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [4.0]}), InvariantError),
        (pd.DataFrame({"frequency": [-1], "recency": [0.0], "T": [4.0]}), InvalidValueError),
        (pd.DataFrame({"frequency": [1], "recency": [np.nan], "T": [4.0]}), InvalidValueError),
        (pd.DataFrame({"frequency": [], "recency": [], "T": []}), InvalidValueError),
        (pd.DataFrame({"frequency": [1], "T": [4.0]}), MissingColumnsError),
    ],
)
def test_bad_input_raises(frame: pd.DataFrame, error: type[Exception]) -> None:
    with pytest.raises(error):
        BetaGeo.fit(frame)
    with pytest.raises(error):
        PUBLISHED.probability_alive(frame)


def test_bad_horizon_raises(cdnow: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="t="):
        PUBLISHED.conditional_expected_purchases(cdnow, t=-1.0)
    with pytest.raises(InvalidValueError):
        PUBLISHED.probability_of_purchases(1.5, 10.0)


@pytest.mark.parametrize("family", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
def test_simulate_checks_rng_like_the_other_families(family: str) -> None:
    import crmkit.clv as clv

    cls = getattr(clv, family)
    names = ("r", "alpha", "a", "b") if family != "ParetoNBD" else ("r", "alpha", "s", "beta")
    model = cls(**dict(zip(names, (0.5, 5.0, 0.8, 2.5), strict=True)), time_unit="W")
    seeded = model.simulate(50, 10.0, 3)  # an int seed, as BG/BB, sBG and Gamma-Gamma take
    again = model.simulate(50, 10.0, np.random.default_rng(3))
    pd.testing.assert_frame_equal(seeded, again)
    assert seeded.attrs["crmkit_time_unit"] == "W"
    with pytest.raises(InvalidValueError, match=r"numpy\.random\.Generator"):
        model.simulate(5, 10.0, "seed")


def test_expectations_continuous_where_a_plus_b_is_one() -> None:
    """a + b = 1 makes the hypergeometric parameter a + b - 1 vanish for x = 0; the
    expectation is continuous there (found by hypothesis: a=0.99, b=0.01)."""
    at = BetaGeo(r=1.0, alpha=1.0, a=0.99, b=0.01)
    assert 0.99 + 0.01 == 1.0
    value = float(at.expected_purchases(1.0))
    below = float(BetaGeo(r=1.0, alpha=1.0, a=0.99, b=0.01 - 1e-7).expected_purchases(1.0))
    above = float(BetaGeo(r=1.0, alpha=1.0, a=0.99, b=0.01 + 1e-7).expected_purchases(1.0))
    assert np.isfinite(value)
    assert value == pytest.approx((below + above) / 2, rel=1e-6)
