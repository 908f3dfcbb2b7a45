"""Weighted sums for the likelihoods, without BLAS.

``numpy.dot`` on two long vectors calls the BLAS ``ddot``, which OpenBLAS may split
over threads; on a machine whose cores are busy (parallel jobs, dask workers) that
made a 10,000-element dot product a thousand times slower (3 ms instead of 3 us), and
the threaded sum can differ in the last bits with the thread count. ``np.add.reduce``
of the products is single-threaded, deterministic and uses pairwise summation (an
error bound of O(log n) ulps instead of O(n)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["wdot"]


def wdot(w: ArrayLike, v: ArrayLike) -> float:
    """Return :math:`\\sum_i w_i v_i` of two 1-d arrays as a float.

    Examples
    --------
    >>> wdot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    32.0
    """
    return float(np.add.reduce(np.multiply(w, v)))
