"""Tests of crmkit.clv.value: CLV with explicit units, and the textbook formulas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.clv.gammagamma import GammaGamma
from crmkit.clv.value import customer_lifetime_value, simple_clv
from crmkit.exceptions import InvalidValueError


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {"frequency": [0, 2, 5], "recency": [0.0, 3.0, 9.0], "T": [10.0, 10.0, 12.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


def test_hand_computed_weekly(summary: pd.DataFrame, poisson_no_churn: Any) -> None:
    model = poisson_no_churn(rate=0.5, time_unit="W")
    spend = pd.Series([10.0, 20.0, 30.0], index=["c", "b", "a"])  # any order
    out = customer_lifetime_value(
        model, spend, summary, horizon=4, time_unit="W", discount_rate=0.02, margin=0.3
    )
    annuity = sum(1.02**-k for k in range(1, 5))
    expected = 0.3 * 0.5 * annuity * np.array([30.0, 20.0, 10.0])
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12)
    assert out.name == "clv"
    assert list(out.index) == ["a", "b", "c"]


def test_exact_unit_conversion(summary: pd.DataFrame, poisson_no_churn: Any) -> None:
    # A model in days valued over weeks: each week holds 7 model periods.
    daily = poisson_no_churn(rate=1.0, time_unit="D")
    out = customer_lifetime_value(daily, 1.0, summary, horizon=2, time_unit="W", discount_rate=0.1)
    assert out.iloc[0] == pytest.approx(7 / 1.1 + 7 / 1.1**2)
    # A model in months valued over quarters, and in quarters over months.
    monthly = poisson_no_churn(rate=1.0, time_unit="M")
    out = customer_lifetime_value(monthly, 1.0, summary, horizon=1, time_unit="Q", discount_rate=0)
    assert out.iloc[0] == pytest.approx(3.0)
    quarterly = poisson_no_churn(rate=3.0)
    out = customer_lifetime_value(
        quarterly, 1.0, summary, horizon=2, time_unit="M", discount_rate=0, model_time_unit="Q"
    )
    assert out.iloc[0] == pytest.approx(2.0)


@pytest.mark.parametrize(("model_unit", "unit"), [("D", "M"), ("W", "Y"), ("M", "W")])
def test_inexact_unit_conversion_raises(
    summary: pd.DataFrame, model_unit: str, unit: str, poisson_no_churn: Any
) -> None:
    model = poisson_no_churn(rate=1.0, time_unit=model_unit)
    with pytest.raises(InvalidValueError, match="no 30-day months"):
        customer_lifetime_value(model, 1.0, summary, horizon=3, time_unit=unit, discount_rate=0.01)


def test_matches_lifetimes_with_bgbb(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "clv_value_lifetimes.json").read_text())
    inputs = ref["inputs"]
    data = pd.DataFrame({k: inputs[k] for k in ("frequency", "recency", "n_periods")})
    model = BetaGeoBetaBinom(**ref["params"], time_unit="Y")
    out = customer_lifetime_value(
        model,
        pd.Series(inputs["spend"], index=data.index),
        data,
        horizon=inputs["horizon"],
        time_unit="Y",
        discount_rate=inputs["discount_rate"],
    )
    np.testing.assert_allclose(out.to_numpy(), ref["clv"], rtol=ref["tolerance"]["rel"])


def test_gamma_gamma_spend_and_compression() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    x = rng.integers(0, 4, n)
    summary = pd.DataFrame(
        {
            "frequency": x,
            "recency": np.where(x > 0, x + 1, 0),
            "n_periods": 6,
            "monetary_value": np.where(x > 0, rng.gamma(5.0, 4.0, n), 0.0),
        }
    )
    bb = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    gg = GammaGamma(p=6.0, q=4.0, v=15.0)
    kwargs = {"horizon": 3, "time_unit": "Y", "discount_rate": 0.1, "model_time_unit": "Y"}
    fast = customer_lifetime_value(bb, gg, summary, **kwargs)  # type: ignore[arg-type]
    slow = customer_lifetime_value(bb, gg, summary, compress=False, chunk_size=333, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    spend = gg.conditional_expected_spend(summary)
    by_hand = sum(
        (
            bb.conditional_expected_purchases(summary, t=k)
            - bb.conditional_expected_purchases(summary, t=k - 1)
        )
        / 1.1**k
        for k in range(1, 4)
    )
    np.testing.assert_allclose(fast, spend * by_hand, rtol=1e-12)


def test_bad_arguments(summary: pd.DataFrame, poisson_no_churn: Any) -> None:
    model = poisson_no_churn(rate=1.0, time_unit="W")
    ok = {"horizon": 2, "time_unit": "W", "discount_rate": 0.01}
    with pytest.raises(InvalidValueError, match="time unit is unknown"):
        customer_lifetime_value(poisson_no_churn(rate=1.0), 1.0, summary, **ok)
    with pytest.raises(InvalidValueError, match="conditional_expected_purchases"):
        customer_lifetime_value(object(), 1.0, summary, **ok)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="horizon"):
        customer_lifetime_value(model, 1.0, summary, horizon=0, time_unit="W", discount_rate=0)
    with pytest.raises(InvalidValueError, match="discount_rate"):
        customer_lifetime_value(model, 1.0, summary, horizon=2, time_unit="W", discount_rate=-1)
    with pytest.raises(InvalidValueError, match="time_unit"):
        customer_lifetime_value(model, 1.0, summary, horizon=2, time_unit="X", discount_rate=0)
    with pytest.raises(InvalidValueError, match="no value"):
        customer_lifetime_value(model, pd.Series([1.0], index=["a"]), summary, **ok)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="spend must be"):
        customer_lifetime_value(model, "10", summary, **ok)  # type: ignore[arg-type]


@given(
    margin=st.floats(-100, 100),
    d1=st.floats(0.0, 0.5),
    d2=st.floats(0.0, 0.5),
    rate=st.floats(0.0, 5.0),
)
def test_linear_in_margin_and_non_increasing_in_discount(
    margin: float, d1: float, d2: float, rate: float, poisson_no_churn: Any
) -> None:
    summary = pd.DataFrame({"frequency": [1, 3]}, index=[1, 2])
    model = poisson_no_churn(rate=rate, time_unit="M")
    kw = {"horizon": 6, "time_unit": "M"}
    base = customer_lifetime_value(model, 12.0, summary, discount_rate=d1, **kw)  # type: ignore[arg-type]
    scaled = customer_lifetime_value(model, 12.0, summary, discount_rate=d1, margin=margin, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(scaled, margin * base, rtol=1e-12, atol=1e-12)
    lo, hi = sorted([d1, d2])
    at_lo = customer_lifetime_value(model, 12.0, summary, discount_rate=lo, **kw)  # type: ignore[arg-type]
    at_hi = customer_lifetime_value(model, 12.0, summary, discount_rate=hi, **kw)  # type: ignore[arg-type]
    assert np.all(at_hi.to_numpy() <= at_lo.to_numpy() + 1e-12)


def test_simple_clv_hand_computed() -> None:
    assert simple_clv(100.0, 0.8, 0.12) == pytest.approx(250.0)
    assert simple_clv(100.0, 0.9, 0.10) == pytest.approx(450.0)
    assert simple_clv(100.0, 0.8, 0.12, horizon=2) == pytest.approx(80 / 1.12 + 64 / 1.12**2)
    assert simple_clv(50.0, 1.0, 0.0, horizon=4) == pytest.approx(200.0)
    long = simple_clv(100.0, 0.8, 0.12, horizon=2000)
    assert long == pytest.approx(250.0)
    out = simple_clv([100.0, 200.0], 0.5, 0.0)
    np.testing.assert_allclose(out, [100.0, 200.0])
    for bad in ({"retention": 1.2}, {"discount_rate": -1.0}, {"retention": 1.0}):
        args = {"margin": 1.0, "retention": 0.5, "discount_rate": 0.0} | bad
        with pytest.raises(InvalidValueError):
            simple_clv(**args)  # type: ignore[arg-type]


def test_contradictory_model_time_unit_raises(
    summary: pd.DataFrame, poisson_no_churn: Any
) -> None:
    # a weekly model declared "daily" used to be valued silently with the declared unit
    weekly = poisson_no_churn(rate=1.0, time_unit="W")
    with pytest.raises(InvalidValueError, match="contradicts the model's own"):
        customer_lifetime_value(
            weekly, 1.0, summary, horizon=2, time_unit="W", discount_rate=0.0, model_time_unit="D"
        )
    agreed = customer_lifetime_value(
        weekly, 1.0, summary, horizon=2, time_unit="W", discount_rate=0.0, model_time_unit="W"
    )
    np.testing.assert_allclose(agreed.to_numpy(), [2.0, 2.0, 2.0])


def test_crmkit_models_value_all_periods_in_one_call() -> None:
    """BG/NBD and Pareto/NBD take every period end at once; the sum is the per-period one."""
    from crmkit.clv import BetaGeo, ParetoNBD

    rng = np.random.default_rng(7)
    n = 3_000
    T = rng.uniform(27.0, 39.0, n)
    x = rng.poisson(2.0, n).astype(np.float64)
    s = pd.DataFrame(
        {"frequency": x, "recency": np.where(x > 0, T * rng.uniform(0, 1, n), 0.0), "T": T},
        index=pd.RangeIndex(n, name="customer_id"),
    )
    for model in (
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
        ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W"),
    ):
        got = customer_lifetime_value(model, 10.0, s, horizon=5, time_unit="W", discount_rate=0.02)
        cum = np.column_stack(
            [model.conditional_expected_purchases(s, t=float(k)).to_numpy() for k in range(6)]
        )
        want = 10.0 * (np.diff(cum, axis=1) @ (1.02 ** -np.arange(1.0, 6.0)))
        np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)


def test_clv_progress_after_each_chunk(caplog: pytest.LogCaptureFixture) -> None:
    from crmkit.clv import BetaGeo, customer_lifetime_value
    from crmkit.datasets import load_cdnow_summary

    s = load_cdnow_summary()
    model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    messages: list[str] = []
    kw = {"horizon": 52, "time_unit": "W", "discount_rate": 0.002, "model_time_unit": "W"}
    with caplog.at_level("INFO", logger="crmkit.clv"):
        chunked = customer_lifetime_value(
            model, 20.0, s, chunk_size=500, compress=False, progress=messages.append, **kw
        )
    assert len(messages) == -(-len(s) // 500)  # one message per chunk
    assert messages[-1].startswith(f"customer_lifetime_value: {len(s):,} of {len(s):,}")
    assert [r.getMessage() for r in caplog.records] == messages
    whole = customer_lifetime_value(model, 20.0, s, compress=False, **kw)
    np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), rtol=1e-13)
