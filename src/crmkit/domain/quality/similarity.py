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

from crmkit.exceptions import InvalidValueError

__all__ = ["NgramIndex", "jaro_winkler", "ngram_jaccard"]


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
        if n < 1 or max_length < n:
            raise InvalidValueError(
                f"need 1 <= n <= max_length, got n={n}, max_length={max_length}."
            )
        s = pd.Series(strings, dtype="string")
        if s.isna().any():
            first = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise InvalidValueError(
                f"strings contain a missing value at position {first}; drop or fill it first."
            )
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

    def jaccard(self, left: Any, right: Any, *, chunk_size: int = 500_000) -> NDArray[np.float64]:
        """Jaccard similarity of the pairs ``(left[k], right[k])`` of row positions.

        Two strings without any n-gram (both empty) have similarity 0.
        """
        a = np.asarray(left, dtype=np.int64)
        b = np.asarray(right, dtype=np.int64)
        if a.shape != b.shape or a.ndim != 1:
            raise InvalidValueError("left and right must be 1-d arrays of equal length.")
        n = len(self)
        if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
            raise InvalidValueError(f"row positions must be in [0, {n}).")
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
        sa, sb = self.sizes[np.asarray(left)], self.sizes[np.asarray(right)]
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
    if len(left) != len(right):
        raise InvalidValueError(
            f"left has {len(left)} strings but right has {len(right)}; pass equal lengths."
        )
    idx = NgramIndex([*list(left), *list(right)], n=n, pad=pad, max_length=max_length)
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
        raise InvalidValueError(f"jaro_winkler needs two strings, got {a!r} and {b!r}.")
    if not 0.0 <= prefix_scale <= 0.25:
        raise InvalidValueError(f"prefix_scale={prefix_scale} must be in [0, 0.25].")
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
