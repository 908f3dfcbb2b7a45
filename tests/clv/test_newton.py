"""The Cholesky step of the damped Newton method: LAPACK-backed, same decisions as the
textbook algorithm (Golub & Van Loan 2013, alg. 4.2.1) written out in Python."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.clv._newton import _direction, cholesky_solve


def _textbook(H: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Cholesky-Banachiewicz on the lower triangle; None at the first pivot that is not
    finite and > 0 (the rule the LAPACK-backed solver must keep)."""
    k = g.size
    L = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            acc = float(H[i, j]) - sum(L[i][m] * L[j][m] for m in range(j))
            if i == j:
                if not acc > 0.0 or not math.isfinite(acc):
                    return None
                L[i][i] = math.sqrt(acc)
            else:
                L[i][j] = acc / L[j][j]
    y = [0.0] * k
    for i in range(k):
        y[i] = (float(g[i]) - sum(L[i][m] * y[m] for m in range(i))) / L[i][i]
    p = [0.0] * k
    for i in reversed(range(k)):
        p[i] = (y[i] - sum(L[m][i] * p[m] for m in range(i + 1, k))) / L[i][i]
    return np.array(p)


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(min_value=1, max_value=8),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    shift=st.floats(min_value=-3.0, max_value=3.0),
)
def test_same_decision_and_solution_as_the_textbook_algorithm(
    k: int, seed: int, shift: float
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, k))
    H = a @ a.T / k + shift * np.eye(k)
    g = rng.normal(size=k)
    smallest = float(np.linalg.eigvalsh(H)[0])
    if abs(smallest) < 1e-9:  # pivots within rounding of 0: either answer is right
        return
    want, got = _textbook(H, g), cholesky_solve(H, g)
    assert (got is None) == (want is None) == (smallest < 0)
    if want is not None:
        assert got is not None
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10 * np.abs(want).max())


def test_reads_only_the_lower_triangle() -> None:
    H = np.array([[4.0, np.nan, 1e300], [2.0, 3.0, -7.0], [0.5, 0.25, 2.0]])
    g = np.array([1.0, -2.0, 0.5])
    sym = np.tril(H) + np.tril(H, -1).T
    got = cholesky_solve(H, g)
    assert got is not None
    np.testing.assert_allclose(got, np.linalg.solve(sym, g), rtol=1e-12)


@pytest.mark.parametrize(
    "H",
    [
        np.array([[0.0]]),
        np.array([[-1.0]]),
        np.array([[np.nan]]),
        np.array([[np.inf]]),
        np.array([[1.0, 0.0], [np.inf, 1.0]]),
        np.array([[1.0, 1.0], [1.0, 1.0]]),  # singular: second pivot 0
        np.array([[1e-300, 0.0], [1e200, 1.0]]),  # the second pivot overflows
    ],
)
def test_not_positive_definite_is_none(H: np.ndarray) -> None:
    assert _textbook(H, np.ones(H.shape[0])) is None
    assert cholesky_solve(H, np.ones(H.shape[0])) is None


def test_empty_system() -> None:
    assert cholesky_solve(np.zeros((0, 0)), np.zeros(0)).shape == (0,)  # type: ignore[union-attr]


def test_direction_takes_the_smallest_shift_of_the_sequence() -> None:
    """Nocedal & Wright (2006) sec. 3.4: mu in 0, 1e-8 s, 1e-7 s, ... (s the largest
    diagonal magnitude), the first that makes H + mu I positive definite."""
    H = np.diag([2.0, -0.5])  # s = 2: mu = 2e-8 ... 0.2 fail, 2 (e = 0) is the first
    g = np.array([1.0, 1.0])
    p, pure = _direction(H, g)  # type: ignore[misc]
    assert not pure
    np.testing.assert_allclose(p, -np.linalg.solve(H + 2.0 * np.eye(2), g), rtol=1e-14)
    q, pure = _direction(np.diag([2.0, 0.5]), g)  # type: ignore[misc]
    assert pure
    np.testing.assert_allclose(q, [-0.5, -2.0], rtol=1e-14)
    assert _direction(np.array([[0.0, 1.0], [1.0, 0.0]]), g) is None  # s = 0: no shift
    assert _direction(np.diag([1.0, np.inf]), g) is None


def test_76_parameters() -> None:
    rng = np.random.default_rng(76)
    a = rng.normal(size=(76, 76))
    H = a @ a.T + np.eye(76)
    g = rng.normal(size=76)
    got = cholesky_solve(H, g)
    assert got is not None
    np.testing.assert_allclose(got, _textbook(H, g), rtol=1e-9)  # type: ignore[arg-type]
