"""String similarity against published test vectors and a direct set computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.domain.quality import NgramIndex, jaro_winkler, ngram_jaccard
from crmkit.exceptions import InvalidValueError

REF = json.loads((Path(__file__).parents[1] / "reference" / "domain_similarity.json").read_text())


@pytest.mark.parametrize(("a", "b", "expected"), REF["inputs"]["jaro_winkler"])
def test_jaro_winkler_published_values(a: str, b: str, expected: float) -> None:
    assert jaro_winkler(a, b) == pytest.approx(expected, abs=REF["tolerance"])
    assert jaro_winkler(b, a) == pytest.approx(expected, abs=REF["tolerance"])


@pytest.mark.parametrize(("a", "b", "expected"), REF["inputs"]["jaccard_bigram_unpadded"])
def test_jaccard_published_value(a: str, b: str, expected: float) -> None:
    assert ngram_jaccard([a], [b], pad=False)[0] == pytest.approx(expected, abs=REF["tolerance"])


def _grams(s: str, n: int) -> set[str]:
    s = f" {s} "
    return {s[i : i + n] for i in range(len(s) - n + 1)}


@given(
    st.lists(st.tuples(st.text("abcdeیکل ", max_size=12), st.text("abcdeیکل ", max_size=12)),
             min_size=1, max_size=20),
    st.integers(1, 3),
)  # fmt: skip
def test_jaccard_equals_direct_set_formula(pairs: list[tuple[str, str]], n: int) -> None:
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    got = ngram_jaccard(left, right, n=n)
    for (a, b), g in zip(pairs, got, strict=True):
        ga, gb = _grams(a, n), _grams(b, n)
        expected = len(ga & gb) / len(ga | gb) if ga | gb else 0.0
        assert g == pytest.approx(expected)


def test_upper_bound_is_an_upper_bound() -> None:
    names = ["ali rezaei", "ali rezai", "sara", "s", "mohammad reza karimi"]
    idx = NgramIndex(names)
    i, j = np.triu_indices(len(names), 1)
    assert np.all(idx.jaccard(i, j) <= idx.upper_bound(i, j) + 1e-12)


def test_errors() -> None:
    with pytest.raises(InvalidValueError, match="equal lengths"):
        ngram_jaccard(["a"], ["a", "b"])
    with pytest.raises(InvalidValueError, match="missing value"):
        NgramIndex(["a", None])  # type: ignore[list-item]  # the point of the test
    with pytest.raises(InvalidValueError, match="row positions"):
        NgramIndex(["a"]).jaccard([0], [3])
