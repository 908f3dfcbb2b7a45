"""Vectorised string similarity: character n-gram Jaccard and Jaro-Winkler.

Fuzzy name matching compares many candidate pairs at once, so the n-gram Jaccard
similarity is computed for arrays of pairs without a Python loop per pair: strings are
encoded as fixed-width code-point arrays, their n-grams become integer ids, each string a
row of a sparse binary matrix, and the intersection of two rows is the row sum of their
element-wise product.

.. math::

   J(a, b) = \\frac{|G_n(a) \\cap G_n(b)|}{|G_n(a) \\cup G_n(b)|}

where :math:`G_n(s)` is the *set* of character n-grams of *s* (optionally padded with one
space at each end so that first and last letters count).

:func:`jaro_winkler` is the scalar Jaro-Winkler similarity (Winkler 1990) for small
comparisons and tests.

Examples
--------
>>> ngram_jaccard(["night"], ["nacht"], pad=False)  # 1 shared bigram of 7
array([0.14285714])
>>> round(jaro_winkler("MARTHA", "MARHTA"), 3)
0.961
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from crmkit.codes._base import show
from crmkit.domain import _common as cv
from crmkit.exceptions import InvalidValueError

__all__ = ["NgramIndex", "jaro_winkler", "ngram_jaccard"]


_MAX_LENGTH = 4096
"""Largest ``max_length`` of :class:`NgramIndex` (its memory is rows x max_length)."""
_MAX_JW = 10_000
"""Longest string :func:`jaro_winkler` compares (quadratic cost)."""


class NgramIndex:
    """Sparse n-gram sets of many strings, for fast pairwise Jaccard similarity.

    Parameters
    ----------
    strings : sequence of str
        The strings (missing values are not allowed; drop or fill them first).
    n : int, default 2
        n-gram length (>= 1).
    pad : bool, default True
        Add a space before and after each string so first/last characters count.
    max_length : int, default 48
        Strings are truncated to this many characters (after padding); names longer
        than that are rare and their tail adds little.

    Examples
    --------
    >>> idx = NgramIndex(["ali rezaei", "ali rezai", "sara"])
    >>> idx.jaccard([0, 0], [1, 2]).round(3)
    array([0.727, 0.   ])
    """

    def __init__(
        self, strings: Sequence[str] | pd.Series, *, n: int = 2, pad: bool = True,
        max_length: int = 48,
    ) -> None:  # fmt: skip
        n = cv.int_arg("n", n, minimum=1)
        max_length = cv.int_arg("max_length", max_length, minimum=1)
        cv.check_flag("pad", pad)
        if max_length < n or max_length > _MAX_LENGTH:
            raise InvalidValueError(
                f"need 1 <= n <= max_length <= {_MAX_LENGTH}, got n={n}, max_length={max_length}."
            )
        values = cv.items("strings", strings)
        for pos, v in enumerate(values):
            if cv.is_missing(v):
                raise InvalidValueError(
                    f"strings contain a missing value at position {pos}; drop or fill it first."
                )
            if not isinstance(v, str):
                raise InvalidValueError(
                    f"strings[{pos}]={show(v)} is not a str; n-grams are taken of text only."
                )
        s = pd.Series([str.__str__(v) for v in values], dtype=object)
        if pad:
            s = " " + s + " "
        arr = s.str.slice(0, max_length).to_numpy(dtype=f"U{max_length}")
        codes = arr.view(np.uint32).reshape(len(arr), max_length).astype(np.int64)
        grams = codes[:, : max_length - n + 1].copy()
        valid = codes[:, n - 1 :] != 0
        for k in range(1, n):
            grams = (grams << 21) | codes[:, k : max_length - n + 1 + k]
        rows = np.broadcast_to(np.arange(len(arr))[:, None], grams.shape)[valid]
        cols, vocab = pd.factorize(grams[valid])
        m = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)),
            shape=(len(arr), max(len(vocab), 1)),
        )
        m.sum_duplicates()
        m.data[:] = 1.0  # sets, not multisets
        self._matrix = m
        self.sizes: NDArray[np.int64] = np.diff(m.indptr).astype(np.int64)
        """Number of distinct n-grams of each string."""

    def __len__(self) -> int:
        return int(self._matrix.shape[0])

    def _positions(self, left: Any, right: Any) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Two equal-length 1-d integer arrays of row positions in ``[0, len(self))``."""
        arrays = []
        for name, value in (("left", left), ("right", right)):
            arr = np.asarray(value) if not isinstance(value, str | bytes) else np.asarray([])
            if (
                isinstance(value, str | bytes)
                or arr.ndim != 1
                or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer))
            ):
                raise InvalidValueError(
                    f"{name}={show(value)} must be a 1-d array of integer row positions."
                )
            arrays.append(arr.astype(np.int64))
        a, b = arrays
        if a.shape != b.shape:
            raise InvalidValueError("left and right must be 1-d arrays of equal length.")
        n = len(self)
        if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
            raise InvalidValueError(f"row positions must be in [0, {n}).")
        return a, b

    def jaccard(self, left: Any, right: Any, *, chunk_size: int = 500_000) -> NDArray[np.float64]:
        """Jaccard similarity of the pairs ``(left[k], right[k])`` of row positions.

        Two strings without any n-gram (both empty) have similarity 0.
        """
        a, b = self._positions(left, right)
        chunk_size = cv.int_arg("chunk_size", chunk_size, minimum=1)
        out = np.zeros(a.size, dtype=np.float64)
        for start in range(0, a.size, chunk_size):
            sl = slice(start, start + chunk_size)
            inter = np.asarray(
                self._matrix[a[sl]].multiply(self._matrix[b[sl]]).sum(axis=1)
            ).ravel()
            union = self.sizes[a[sl]] + self.sizes[b[sl]] - inter
            out[sl] = np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)
        return out

    def upper_bound(self, left: Any, right: Any) -> NDArray[np.float64]:
        """Cheap upper bound ``min(|A|,|B|) / max(|A|,|B|)`` of the Jaccard similarity."""
        a, b = self._positions(left, right)
        sa, sb = self.sizes[a], self.sizes[b]
        hi = np.maximum(sa, sb)
        out: NDArray[np.float64] = np.zeros(len(hi))
        np.divide(np.minimum(sa, sb), hi, out=out, where=hi > 0)
        return out


def ngram_jaccard(
    left: Sequence[str] | pd.Series, right: Sequence[str] | pd.Series, *, n: int = 2,
    pad: bool = True, max_length: int = 48,
) -> NDArray[np.float64]:  # fmt: skip
    """Element-wise character n-gram Jaccard similarity of two equal-length string arrays.

    Parameters
    ----------
    left, right : sequence of str
        Compared position by position; normalise them first (e.g. with
        :func:`~crmkit.domain.quality.normalize_name_series`).
    n, pad, max_length
        As for :class:`NgramIndex`.

    Returns
    -------
    numpy.ndarray of float
        Similarities in [0, 1].

    References
    ----------
    - Jaccard, P. (1912), "The distribution of the flora in the alpine zone",
      *New Phytologist* 11(2), 37-50.

    Examples
    --------
    >>> ngram_jaccard(["ali rezaei", "sara"], ["ali rezaei", "zahra"]).round(3)
    array([1.   , 0.222])
    """
    left = cv.items("left", left)
    right = cv.items("right", right)
    if len(left) != len(right):
        raise InvalidValueError(
            f"left has {len(left)} strings but right has {len(right)}; pass equal lengths."
        )
    idx = NgramIndex([*left, *right], n=n, pad=pad, max_length=max_length)
    k = len(left)
    return idx.jaccard(np.arange(k), np.arange(k, 2 * k))


def jaro_winkler(a: str, b: str, *, prefix_scale: float = 0.1) -> float:
    """Jaro-Winkler similarity of two strings (scalar).

    .. math::

       \\text{jw} = j + \\ell p (1 - j), \\qquad
       j = \\tfrac13\\left(\\tfrac{m}{|a|} + \\tfrac{m}{|b|} + \\tfrac{m - t}{m}\\right)

    with *m* matching characters (within ``max(|a|,|b|)//2 - 1`` positions), *t* half
    the transpositions, ℓ the common prefix length (at most 4) and *p* the prefix scale.

    References
    ----------
    - Winkler, W. E. (1990), "String comparator metrics and enhanced decision rules in
      the Fellegi-Sunter model of record linkage", *Proc. Section on Survey Research
      Methods*, American Statistical Association, 354-359.

    Examples
    --------
    >>> round(jaro_winkler("DWAYNE", "DUANE"), 3)
    0.84
    """
    if not (isinstance(a, str) and isinstance(b, str)):
        raise InvalidValueError(f"jaro_winkler needs two strings, got {show(a)} and {show(b)}.")
    prefix_scale = cv.real_arg("prefix_scale", prefix_scale, low=0.0, high=0.25)
    if max(len(a), len(b)) > _MAX_JW:
        raise InvalidValueError(
            f"jaro_winkler compares names: strings of up to {_MAX_JW} characters (the cost "
            f"grows with the square of the length), got {max(len(a), len(b))}."
        )
    a, b = str.__str__(a), str.__str__(b)
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    a_match = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == ch:
                used[j] = True
                a_match.append(ch)
                break
    m = len(a_match)
    if m == 0:
        return 0.0
    b_match = [ch for j, ch in enumerate(b) if used[j]]
    t = sum(x != y for x, y in zip(a_match, b_match, strict=True)) / 2
    jaro = (m / len(a) + m / len(b) + (m - t) / m) / 3
    ell = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        ell += 1
    return jaro + ell * prefix_scale * (1 - jaro)
