"""Segmentation: k-means / silhouette against scikit-learn reference numbers, selection."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import (
    ConvergenceWarning,
    DegenerateDataWarning,
    InvalidValueError,
    MissingColumnsError,
)
from crmkit.segmentation import (
    kmeans,
    kmeans_selection,
    log_rfm_features,
    segment_customers,
    segment_profile,
    select_top,
    silhouette_samples,
    silhouette_score,
)


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "segmentation_sklearn.json").read_text())
    return data


@pytest.fixture(scope="module")
def cdnow_features() -> tuple[np.ndarray, np.ndarray]:
    s = load_cdnow_summary()
    X = log_rfm_features(s).to_numpy()
    x, zbar = s["frequency"].to_numpy(), s["monetary_value"].to_numpy()
    labels = np.where(x == 0, 0, np.where(zbar <= 30, 1, np.where(x <= 3, 2, 3)))
    return X, labels


def test_features_match_standard_scaler(ref: dict[str, Any], cdnow_features: Any) -> None:
    X, _ = cdnow_features
    want = np.array(ref["expected"]["features_first_rows"])
    np.testing.assert_allclose(X[:5], want, rtol=0, atol=ref["tolerance"]["features"])


def test_silhouette_matches_sklearn(ref: dict[str, Any], cdnow_features: Any) -> None:
    X, labels = cdnow_features
    tol = ref["tolerance"]["silhouette"]
    samples = silhouette_samples(X, labels)
    exp = ref["expected"]
    np.testing.assert_allclose(samples[:10], exp["silhouette_samples_first10"], atol=tol)
    by_label = [samples[labels == j].mean() for j in range(4)]
    np.testing.assert_allclose(by_label, exp["silhouette_samples_mean_by_label"], atol=tol)
    assert silhouette_score(X, labels) == pytest.approx(exp["silhouette_score"], abs=tol)


def test_kmeans_inertia_no_worse_than_sklearn(ref: dict[str, Any], cdnow_features: Any) -> None:
    X, _ = cdnow_features
    rel = ref["tolerance"]["inertia_relative"]
    for k, want in ref["expected"]["kmeans_inertia_n_init10_random_state0"].items():
        got = kmeans(X, int(k), rng=0, n_init=10).inertia
        assert got <= want * (1 + rel), (k, got, want)


def test_kmeans_blobs_equal_sklearn(ref: dict[str, Any]) -> None:
    rng = np.random.default_rng(20261123)
    blobs = np.concatenate([rng.normal(c, 0.3, size=(50, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    res = kmeans(blobs, 3, rng=5)
    assert res.converged
    assert res.inertia == pytest.approx(ref["expected"]["blobs_kmeans_inertia"], rel=1e-9)
    assert silhouette_score(blobs, res.labels) == pytest.approx(
        ref["expected"]["blobs_silhouette"], abs=1e-10
    )
    assert sorted(np.bincount(res.labels).tolist()) == [50, 50, 50]


def test_kmeans_hand_case_and_determinism() -> None:
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    res = kmeans(X, 2, rng=3)
    assert sorted(res.centers[:, 0].tolist()) == [1.0, 11.0]
    assert res.inertia == pytest.approx(4.0)  # 4 points, each 1 from its centre
    again = kmeans(X, 2, rng=3)
    np.testing.assert_array_equal(res.labels, again.labels)
    one = kmeans(X, 1)
    assert one.centers[0, 0] == 6.0


def test_kmeans_errors_and_warning() -> None:
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(InvalidValueError, match="exceeds"):
        kmeans(X, 6)
    with pytest.raises(InvalidValueError, match="positive whole"):
        kmeans(X, 0)
    with pytest.raises(InvalidValueError, match="non-finite"):
        kmeans(np.array([[np.nan, 1.0]]), 1)
    with pytest.raises(InvalidValueError, match="2-d"):
        kmeans(np.arange(3.0), 1)
    with pytest.raises(InvalidValueError, match="rng=-1"):
        kmeans(X, 2, rng=-1)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(200, 2))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        kmeans(data, 8, max_iter=1, tol=0.0, n_init=2)


def test_silhouette_hand_case_and_errors() -> None:
    # a(0) = 1, b(0) = 4 -> 0.75; a(1) = 1, b(1) = 3 -> 2/3; singleton -> 0
    s = silhouette_samples(np.array([[0.0], [1.0], [4.0]]), [0, 0, 1])
    np.testing.assert_allclose(s, [0.75, 2 / 3, 0.0])
    with pytest.raises(InvalidValueError, match="number of clusters"):
        silhouette_samples(np.array([[0.0], [1.0]]), [0, 0])
    with pytest.raises(InvalidValueError, match="entries"):
        silhouette_samples(np.array([[0.0], [1.0], [2.0]]), [0, 1])


def test_sampled_silhouette_is_seeded(cdnow_features: Any) -> None:
    X, labels = cdnow_features
    a = silhouette_score(X, labels, sample_size=500, rng=1)
    b = silhouette_score(X, labels, sample_size=500, rng=1)
    assert a == b
    assert abs(a - silhouette_score(X, labels)) < 0.05


def test_kmeans_selection_finds_three_blobs() -> None:
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(c, 0.2, size=(40, 2)) for c in ((0, 0), (3, 3), (6, 0))])
    table = kmeans_selection(X, ks=[2, 3, 4, 5], rng=0, silhouette_sample=None)
    assert table.index.tolist() == [2, 3, 4, 5]
    assert table.columns.tolist() == ["inertia", "inertia_drop", "silhouette"]
    assert int(table["silhouette"].idxmax()) == 3
    assert table["inertia"].is_monotonic_decreasing
    assert np.isnan(table["inertia_drop"].iloc[0])
    with pytest.raises(InvalidValueError, match=">= 2"):
        kmeans_selection(X, ks=[1])


def test_segment_customers_and_profile_on_cdnow() -> None:
    s = load_cdnow_summary()[["frequency", "recency", "T", "monetary_value"]]
    seg = segment_customers(s, 4, rng=0)
    assert seg.labels.index.equals(s.index)
    assert set(seg.labels) == {0, 1, 2, 3}
    score = seg.centers["frequency"] + seg.centers["monetary_value"] - seg.centers["since_last"]
    assert score.is_monotonic_decreasing  # segment 0 is the most valuable
    prof = segment_profile(s, seg.labels)
    assert prof["customers"].sum() == len(s)
    assert prof["share"].sum() == pytest.approx(1.0)
    assert prof["mean_frequency"].iloc[0] == prof["mean_frequency"].max()
    assert prof.columns.tolist()[:2] == ["customers", "share"]


def test_features_errors_and_constant_column() -> None:
    s = pd.DataFrame({"frequency": [1, 2], "recency": [1.0, 2.0], "T": [3.0, 3.0],
                      "monetary_value": [5.0, 5.0]})  # fmt: skip
    with pytest.warns(DegenerateDataWarning, match="monetary_value"):
        f = log_rfm_features(s)
    assert (f["monetary_value"] == 0).all()
    with pytest.raises(InvalidValueError, match="recency exceeds T"):
        log_rfm_features(s.assign(recency=[1.0, 9.0]))
    with pytest.raises(InvalidValueError, match="negative"):
        log_rfm_features(s.assign(monetary_value=[-1.0, 5.0]))
    with pytest.raises(MissingColumnsError):
        log_rfm_features(s.drop(columns="T"))


def test_select_top() -> None:
    f = pd.DataFrame({"clv": [5.0, 9.0, 1.0, 9.0, 3.0]}, index=list("abcde"))
    assert select_top(f, "clv", n=3).index.tolist() == ["b", "d", "a"]
    assert select_top(f, "clv", share=0.2).index.tolist() == ["b"]
    assert select_top(f, "clv", share=0.21).index.tolist() == ["b", "d"]  # ceil
    assert select_top(f, "clv", n=10).index.tolist() == ["b", "d", "a", "e", "c"]
    assert select_top(f, -f["clv"], n=1).index.tolist() == ["c"]
    with pytest.raises(InvalidValueError, match="exactly one"):
        select_top(f, "clv")
    with pytest.raises(InvalidValueError, match="exactly one"):
        select_top(f, "clv", n=1, share=0.5)
    with pytest.raises(InvalidValueError, match=r"\(0, 1\]"):
        select_top(f, "clv", share=0)
    with pytest.raises(InvalidValueError, match="missing"):
        select_top(f.assign(clv=[1.0, None, 2.0, 3.0, 4.0]), "clv", n=1)
    with pytest.raises(InvalidValueError, match="same index"):
        select_top(f, pd.Series([1.0]), n=1)


@given(
    X=arrays(
        np.float64, st.tuples(st.integers(4, 30), st.integers(1, 3)), elements=st.floats(-100, 100)
    ),
    k=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_kmeans_invariants(X: np.ndarray, k: int, seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = kmeans(X, k, rng=seed, n_init=2)
        again = kmeans(X, k, rng=seed, n_init=2)
    np.testing.assert_array_equal(res.labels, again.labels)
    assert res.labels.min() >= 0
    assert res.labels.max() < k
    d = ((X - res.centers[res.labels]) ** 2).sum()
    assert res.inertia == pytest.approx(d, rel=1e-9, abs=1e-6)
    # every point is at its nearest centre
    dist = ((X[:, None, :] - res.centers[None, :, :]) ** 2).sum(axis=2)
    assert (dist[np.arange(len(X)), res.labels] <= dist.min(axis=1) + 1e-6).all()


def test_select_top_share_is_not_inflated_by_float_noise() -> None:
    # 0.07 * 100 == 7.000000000000001 in floating point; 7% of 100 rows is 7 rows.
    frame = pd.DataFrame({"clv": np.arange(100.0)})
    assert len(select_top(frame, "clv", share=0.07)) == 7
    assert len(select_top(frame, "clv", share=0.14)) == 14
    assert len(select_top(frame, "clv", share=0.071)) == 8


def test_silhouette_score_checks_label_length_before_sampling() -> None:
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(InvalidValueError, match="labels has 8 entries for 10 rows"):
        silhouette_score(X, [0, 1] * 4, sample_size=5, rng=0)


def test_rng_takes_a_seed_or_a_generator() -> None:
    X = np.random.default_rng(7).normal(size=(60, 2))
    by_seed = kmeans(X, 3, rng=11, n_init=3)
    by_generator = kmeans(X, 3, rng=np.random.default_rng(11), n_init=3)
    np.testing.assert_array_equal(by_seed.labels, by_generator.labels)
    labels = by_seed.labels
    a = silhouette_score(X, labels, sample_size=20, rng=np.random.default_rng(2))
    assert a == silhouette_score(X, labels, sample_size=20, rng=2)


@pytest.mark.parametrize(
    "call",
    [
        lambda X, **kw: kmeans(X, 2, **kw),
        lambda X, **kw: silhouette_score(X, [0, 1] * 10, sample_size=10, **kw),
        lambda X, **kw: kmeans_selection(X, ks=[2], **kw),
        lambda X, **kw: segment_customers(
            pd.DataFrame(
                {
                    "frequency": np.arange(20) % 5,
                    "recency": np.arange(20.0),
                    "T": np.full(20, 30.0),
                    "monetary_value": np.arange(20.0) % 7,
                }
            ),
            2,
            **kw,
        ),
    ],
)
def test_old_seed_keyword_still_works_with_a_deprecation_warning(call: Any) -> None:
    X = np.random.default_rng(3).normal(size=(20, 2))
    new = call(X, rng=4)
    with pytest.warns(DeprecationWarning, match=r"seed=\.\.\.\) is deprecated.*pass rng="):
        old = call(X, seed=4)
    if isinstance(new, float):
        assert old == new
    elif isinstance(new, pd.DataFrame):
        pd.testing.assert_frame_equal(old, new)
    else:
        np.testing.assert_array_equal(np.asarray(old.labels), np.asarray(new.labels))
    with pytest.raises(TypeError, match="got both seed"):
        call(X, seed=4, rng=4)
