"""Tests of crmkit.pareto against closed-form distributions and hand-computed cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.pareto import (
    ParetoVerdict,
    abc_classes,
    concentration,
    gini,
    lorenz,
    share_for,
    top_share,
)

N_GRID = 1_000_000


def _quantile_grid(case: dict[str, object]) -> np.ndarray:
    u = (np.arange(1, N_GRID + 1) - 0.5) / N_GRID
    params = case["params"]
    assert isinstance(params, dict)
    dist = case["distribution"]
    if dist == "exponential":
        return stats.expon.ppf(u)
    if dist == "uniform":
        return u
    if dist == "pareto":
        return stats.pareto.ppf(u, params["alpha"])
    return stats.lognorm.ppf(u, params["sigma"])


def test_closed_form_distributions(reference_dir: Path) -> None:
    ref = json.loads((reference_dir / "pareto_gini.json").read_text())
    tol = ref["tolerance"]
    for case in ref["cases"]:
        c = concentration(_quantile_grid(case))
        assert c.gini == pytest.approx(case["gini"], abs=tol["gini"]), case
        if "top_share" in case:
            got = c.top_share(case["top_share_q"])
            assert got == pytest.approx(case["top_share"], abs=tol["top_share"]), case


def test_hand_computed() -> None:
    # mean absolute difference / (2 mean): [1,2,3,4] -> (20/16) / 5 = 0.25
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, abs=1e-15)
    assert gini([3.0, 3.0, 3.0]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n - 1) / n
    assert top_share([5, 1, 1, 1, 1, 1, 0, 0, 0, 0], 0.1) == pytest.approx(0.5)
    # 0.15 of 10 units = top unit plus half of the second: (5 + 0.5) / 10
    assert top_share([5, 1, 1, 1, 1, 1, 0, 0, 0, 0], 0.15) == pytest.approx(0.55)
    assert share_for([5, 1, 1, 1, 1, 1, 0, 0, 0, 0], 0.55) == pytest.approx(0.15)
    assert share_for([5, 1, 1, 1, 1, 1], 1.0) == pytest.approx(1.0)
    assert top_share([4, 3, 2, 1], 0.0) == 0.0
    assert top_share([4, 3, 2, 1], 1.0) == pytest.approx(1.0)
    x, y = lorenz([1, 2, 3, 4])
    assert x.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    np.testing.assert_allclose(y, [0.0, 0.1, 0.3, 0.6, 1.0])
    _gx, gy = lorenz([1, 2, 3, 4], points=3)
    np.testing.assert_allclose(gy, [0.0, 0.3, 1.0])  # bottom half = (1 + 2) / 10


def test_abc_and_groups() -> None:
    tx = pd.DataFrame(
        {"product": ["p", "q", "p", "r", "s", "q"], "profit": [40.0, 20.0, 30.0, 6.0, 4.0, 0.0]}
    )
    classes = abc_classes(tx, value_col="profit", group_col="product")
    assert classes.to_dict() == {"p": "A", "q": "A", "r": "B", "s": "C"}
    assert classes.index.name == "product"
    c = concentration(tx, value_col="profit", group_col="product")
    assert c.n_units == 4
    assert c.total == 100.0
    assert abc_classes(
        tx, value_col="profit", group_col="product", thresholds=(0.5, 0.9)
    ).to_dict() == {
        "p": "A",
        "q": "B",
        "r": "C",
        "s": "C",
    }
    with pytest.raises(InvalidValueError, match="increasing"):
        c.abc((0.9, 0.5))
    with pytest.raises(MissingColumnsError):
        concentration(tx, value_col="revenue", group_col="product")
    with pytest.raises(InvalidValueError, match="value_col"):
        concentration(tx)
    with pytest.raises(InvalidValueError, match="missing"):
        concentration(
            tx.assign(product=[None, "q", "p", "r", "s", "q"]),
            value_col="profit",
            group_col="product",
        )


def test_negative_and_nan_policies() -> None:
    v = [10.0, 5.0, -5.0, 0.0]
    with pytest.raises(InvalidValueError, match="negative"):
        concentration(v)
    assert concentration(v, negative="clip").n_units == 4
    assert concentration(v, negative="clip").top_share(0.25) == pytest.approx(10 / 15)
    assert concentration(v, negative="exclude").n_units == 3
    kept = concentration(v, negative="keep")
    assert kept.total == 10.0
    assert kept.top_share(0.25) == pytest.approx(1.0)
    assert kept.top_share(0.5) == pytest.approx(1.5)  # outside [0, 1]: documented for 'keep'
    with pytest.raises(InvalidValueError, match="negative="):
        concentration(v, negative="drop")
    with pytest.raises(InvalidValueError, match="missing"):
        concentration([1.0, np.nan])
    assert concentration([1.0, np.nan, 3.0], nan_policy="omit").n_units == 2
    with pytest.raises(InvalidValueError, match="total value"):
        concentration([0.0, 0.0])
    with pytest.raises(InvalidValueError, match="infinity"):
        concentration([1.0, np.inf])
    with pytest.raises(InvalidValueError, match="p="):
        top_share([1.0, 2.0], 1.5)


def test_verdict_and_bootstrap() -> None:
    rng = np.random.default_rng(42)
    values = rng.pareto(1.16, 5_000) + 1.0  # heavy tail, roughly the "80/20" shape
    c = concentration(values)
    v = c.verdict(0.2, 0.8, level=0.9, n_resamples=200, rng=1)
    assert isinstance(v, ParetoVerdict)
    assert v.measured_share == pytest.approx(c.top_share(0.2))
    assert v.units_needed == pytest.approx(c.share_for(0.8))
    assert v.holds == (v.measured_share >= 0.8)
    ci = v.interval
    assert ci is not None
    assert ci.lower <= v.measured_share <= ci.upper
    assert ci.estimate == v.measured_share
    assert (ci.level, ci.method) == (0.9, "percentile bootstrap")
    assert "top 20%" in str(v)
    assert "CI" in str(v)
    again = c.verdict(0.2, 0.8, level=0.9, n_resamples=200, rng=1)
    assert again.interval == ci
    lo, hi = c.bootstrap("gini", n_resamples=100, rng=np.random.default_rng(3))
    assert lo <= c.gini <= hi
    assert c.bootstrap("gini", n_resamples=100, rng=3).estimate == c.gini
    plain = concentration([9.0, 1.0]).verdict(0.5, 0.8)
    assert plain.holds
    assert not plain.conclusive
    assert plain.interval is None
    with pytest.raises(InvalidValueError, match="statistic"):
        c.bootstrap("mean")


def test_old_interval_fields_warn_and_still_answer() -> None:
    v = concentration(np.arange(1.0, 101.0)).verdict(0.2, 0.8, level=0.9, n_resamples=50)
    assert v.interval is not None
    with pytest.warns(DeprecationWarning, match="interval.lower"):
        assert v.ci_low == v.interval.lower
    with pytest.warns(DeprecationWarning, match="interval.upper"):
        assert v.ci_high == v.interval.upper
    with pytest.warns(DeprecationWarning, match="interval.level"):
        assert v.level == 0.9


def test_dask_equals_pandas() -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(0)
    tx = pd.DataFrame(
        {"customer": rng.integers(0, 300, 5_000), "amount": rng.gamma(2.0, 10.0, 5_000)}
    )
    expected = concentration(tx, value_col="amount", group_col="customer")
    with dask.config.set(scheduler="synchronous"):
        got = concentration(
            dd.from_pandas(tx, npartitions=4), value_col="amount", group_col="customer"
        )
        rows = concentration(dd.from_pandas(tx, npartitions=4), value_col="amount")
    assert got.gini == pytest.approx(expected.gini, rel=1e-12)
    assert got.labels is not None
    assert expected.labels is not None
    assert got.labels.tolist() == expected.labels.tolist()
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12)
    assert rows.gini == pytest.approx(concentration(tx["amount"]).gini, rel=1e-12)


values_st = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60).filter(
    lambda v: sum(v) > 1e-290  # smaller totals are refused (subnormal floats, few digits)
)


@settings(max_examples=80, deadline=None)
@given(values=values_st, p=st.floats(0, 1), target=st.floats(0, 1))
def test_properties(values: list[float], p: float, target: float) -> None:
    c = concentration(values)
    assert 0.0 <= c.top_share(p) <= 1.0 + 1e-12
    q = c.share_for(target)
    assert 0.0 <= q <= 1.0
    assert c.top_share(q) >= target - 1e-9
    x, y = c.lorenz()
    assert np.all(np.diff(x) > 0)
    assert np.all(np.diff(y) >= -1e-12)
    assert y[0] == 0.0
    assert y[-1] == pytest.approx(1.0)
    arr = np.asarray(values)
    brute = np.abs(arr[:, None] - arr[None, :]).sum() / (2 * arr.size**2 * arr.mean())
    assert c.gini == pytest.approx(brute, abs=1e-9)
    assert 0.0 <= c.gini < 1.0
    # the top p never has less than p of the value
    assert c.top_share(p) >= p - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 9), min_size=1, max_size=40).filter(lambda v: sum(v) > 0),
    a=st.sampled_from([0.5, 0.8, 0.9]),
)
def test_abc_matches_definition(values: list[int], a: float) -> None:
    """A unit is in class A while the share of the units ranked above it is below a."""
    arr = np.asarray(values, dtype=float)
    order = np.argsort(-arr, kind="stable")  # ties by original position
    before = (np.cumsum(arr[order]) - arr[order]) / arr.sum()
    expected = np.empty(arr.size, dtype=object)
    expected[order] = np.where(before < a, "A", np.where(before < 0.95, "B", "C"))
    assert concentration(arr).abc((a, 0.95)).tolist() == expected.tolist()


def test_dask_group_with_a_missing_value_is_treated_as_on_pandas() -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    tx = pd.DataFrame({"customer": ["a", "a", "b", "c"], "amount": [1.0, np.nan, 2.0, 3.0]})
    with pytest.raises(InvalidValueError, match="missing"):
        concentration(tx, value_col="amount", group_col="customer")
    with dask.config.set(scheduler="synchronous"):
        lazy = dd.from_pandas(tx, npartitions=2)
        with pytest.raises(InvalidValueError, match="missing"):
            concentration(lazy, value_col="amount", group_col="customer")
        # omitted: customer a is dropped whole on both engines, b and c remain
        got = concentration(lazy, value_col="amount", group_col="customer", nan_policy="omit")
    expected = concentration(tx, value_col="amount", group_col="customer", nan_policy="omit")
    assert got.labels is not None
    assert expected.labels is not None
    assert got.labels.tolist() == ["b", "c"] == expected.labels.tolist()
    np.testing.assert_allclose(got.values, [2.0, 3.0])
