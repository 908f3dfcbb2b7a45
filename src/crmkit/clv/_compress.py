"""Collapse identical summary rows into unique rows with weights, and long arrays into
their distinct pairs (private)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["compress_rows", "unique_pairs"]

Arr = NDArray[np.float64]


def compress_rows(
    columns: Mapping[str, NDArray[np.float64]],
    weights: NDArray[np.float64] | None = None,
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64], NDArray[np.int64]]:
    """Collapse identical rows into unique rows with integer weights.

    Likelihoods of customer-base models depend on a few numbers per customer, so
    fitting on the unique rows with weights gives the same answer at a fraction of
    the cost.

    Parameters
    ----------
    columns : mapping of str to 1-d array
        Equal-length columns (the sufficient statistics).
    weights : 1-d array, optional
        Existing weights per row (default 1).

    Returns
    -------
    unique : dict of str to array
        The unique rows, column by column.
    counts : numpy.ndarray
        Summed weights per unique row.
    inverse : numpy.ndarray
        Index of each input row's unique row (``unique[c][inverse] == columns[c]``).

    Examples
    --------
    >>> import numpy as np
    >>> u, w, inv = compress_rows({"x": np.array([1.0, 0.0, 1.0]), "t": np.array([2.0, 0.0, 2.0])})
    >>> u["x"].tolist(), w.tolist(), inv.tolist()
    ([0.0, 1.0], [1.0, 2.0], [1, 0, 1])
    """
    names = list(columns)
    arrays = [np.asarray(columns[n], dtype=np.float64).reshape(-1) for n in names]
    # Factorise each column (a fast 1-d sort), then combine the codes into one integer
    # key in mixed radix (first column most significant, so the order is lexicographic);
    # np.unique(axis=0) on the stacked rows is an order of magnitude slower. NaN cannot
    # occur here: summaries are validated before compression.
    levels, codes = [], []
    for arr in arrays:
        code, lev = pd.factorize(arr, sort=True)  # hash-based, O(n)
        levels.append(np.asarray(lev, dtype=np.float64))
        codes.append(np.asarray(code, dtype=np.int64))
    if math.prod(max(lev.size, 1) for lev in levels) < 2**62:
        key = np.zeros(arrays[0].size, dtype=np.int64)
        for lev, code in zip(levels, codes, strict=True):
            key = key * lev.size + code
        inverse_codes, key_levels = pd.factorize(key, sort=True)
        keys, inverse = np.asarray(key_levels, dtype=np.int64), np.asarray(inverse_codes)
        cols_out = []
        for lev in reversed(levels):
            cols_out.append(lev[keys % lev.size])
            keys = keys // lev.size
        uniq = np.column_stack(cols_out[::-1]) if cols_out else np.empty((0, 0))
    else:
        uniq, inverse = np.unique(np.column_stack(arrays), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    n_rows = arrays[0].size if arrays else 0
    w = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=np.float64)
    counts = np.bincount(inverse, weights=w, minlength=uniq.shape[0]).astype(np.float64)
    return {n: uniq[:, i].copy() for i, n in enumerate(names)}, counts, inverse


_HASH_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


def all_distinct(values: NDArray[np.float64]) -> bool:
    """Whether no two entries of a finite float array are equal, in linear time.

    Equal values have equal bits (after ``+ 0.0``, which maps -0 to +0), so they fall
    into the same bucket of any hash of the bits. Each of three rounds hashes the
    remaining entries (multiplicative hashing, Knuth 1998, sec. 6.4) into at least two
    buckets per entry and keeps only the entries that share a bucket; what is left is
    compared exactly (sorted). Entries that are all distinct thus cost a few array passes
    instead of a sort or a hash table of the whole array.

    References
    ----------
    - Knuth, D. E. (1998). *The Art of Computer Programming*, vol. 3, 2nd ed.

    Examples
    --------
    >>> import numpy as np
    >>> all_distinct(np.array([0.5, 1.5, -0.0])), all_distinct(np.array([0.0, 1.0, -0.0]))
    (True, False)
    """
    keys = (np.asarray(values, dtype=np.float64).ravel() + 0.0).view(np.uint64)
    for mult in _HASH_MULTIPLIERS:
        if keys.size < 2:
            return True
        nbits = max(8, int(keys.size - 1).bit_length() + 1)
        h = ((keys * np.uint64(mult)) >> np.uint64(64 - nbits)).astype(np.intp)
        counts = np.bincount(h, minlength=1 << nbits)
        keys = keys[counts[h] > 1]
    return bool(np.unique(keys).size == keys.size)


def unique_pairs(a: Arr, b: Arr) -> tuple[Arr, Arr, NDArray[np.intp]] | None:
    """Distinct (a, b) pairs of two long 1-d arrays and the inverse index, or None.

    Predictions that depend on a customer only through (x, T) or (x, t_x) are computed
    once per distinct pair: transaction logs record days, so a million customers have a
    few thousand distinct pairs. Returns None when compression would not pay (short or
    multi-dimensional input).
    """
    if a.ndim != 1 or a.shape != b.shape or a.size < 4096:
        return None
    # continuous values (every b distinct) are recognised on an evenly spaced sample of
    # 4096 entries: with k levels the sample repeats a value unless k >> 4096^2 / 2, so
    # a sample without repeats means compression cannot pay, at a fraction of the cost
    sample = b[:: max(1, b.size // 4096)][:4096]
    if len(pd.unique(sample)) == sample.size:
        return None
    b_code, bu = pd.factorize(b)
    if len(bu) > a.size // 2:  # at least as many distinct pairs as distinct b: no gain
        return None
    a_code, au = pd.factorize(a)
    key = np.asarray(a_code, dtype=np.int64) * len(bu) + np.asarray(b_code, dtype=np.int64)
    inverse, keys = pd.factorize(key, sort=False)
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size > a.size // 2:
        return None
    a_levels = np.asarray(au, dtype=np.float64)
    b_levels = np.asarray(bu, dtype=np.float64)
    return a_levels[keys // len(bu)], b_levels[keys % len(bu)], np.asarray(inverse, np.intp)
