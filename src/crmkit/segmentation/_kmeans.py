"""k-means clustering and silhouettes in numpy (private; public at :mod:`crmkit.segmentation`).

A small clustering library, independent of customers: Lloyd's algorithm with greedy
k-means++ seeding and ``n_init`` restarts (:func:`kmeans`), the silhouette of every row
computed in chunks (:func:`silhouette_samples`, :func:`silhouette_score`) and the table
to choose k (:func:`kmeans_selection`). Every random draw comes from the ``rng`` option,
a :class:`numpy.random.Generator` or its integer seed; numpy's global state is never used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._compat import positional_options, renamed_keywords
from crmkit._display import Display, Displayable, fmt_number
from crmkit._validation import as_generator, check_finite, check_whole, items_of, real_number
from crmkit.exceptions import ConvergenceWarning, InvalidValueError

__all__ = ["KMeansResult", "kmeans", "kmeans_selection", "silhouette_samples", "silhouette_score"]


def _as_matrix(X: ArrayLike) -> NDArray[np.float64]:
    arr = check_finite(X, name="X")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidValueError(
            f"X must be a non-empty 2-d array (customers x features), got shape {arr.shape}."
        )
    return arr


@attrs.frozen(kw_only=True, eq=False, repr=False)
class KMeansResult(Displayable):
    """The best of ``n_init`` k-means runs.

    Attributes
    ----------
    centers : numpy.ndarray
        (k, d) cluster centres.
    labels : numpy.ndarray
        (n,) cluster index of each row, 0..k-1.
    inertia : float
        Sum of squared distances of rows to their centre.
    n_iter : int
        Lloyd iterations of the best run.
    converged : bool
        Whether the best run met the tolerance within ``max_iter``.
    """

    centers: NDArray[np.float64]
    labels: NDArray[np.int64]
    inertia: float
    n_iter: int
    converged: bool

    def _display(self) -> Display:
        k, d = self.centers.shape
        status = "converged" if self.converged else "NOT converged"
        return Display(
            f"k-means: {len(self.labels):,} rows in {k} clusters ({d} features)",
            [f"inertia {fmt_number(self.inertia)}, {self.n_iter} iterations, {status}"],
        )


def _sq_dist(X: NDArray[np.float64], C: NDArray[np.float64]) -> NDArray[np.float64]:
    d: NDArray[np.float64] = (
        (X * X).sum(axis=1)[:, None] - 2.0 * (X @ C.T) + (C * C).sum(axis=1)[None, :]
    )
    return np.maximum(d, 0.0)


def _kmeanspp(X: NDArray[np.float64], k: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, Section 5).

    Each new centre is the best (lowest resulting potential) of ``2 + floor(ln k)``
    candidates drawn with probability proportional to D^2, the squared distance to the
    nearest centre chosen so far.
    """
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    centers = np.empty((k, X.shape[1]))
    centers[0] = X[rng.integers(n)]
    closest = _sq_dist(X, centers[:1])[:, 0]
    for j in range(1, k):
        total = closest.sum()
        if total <= 0:  # all points coincide with chosen centres
            centers[j] = X[rng.integers(n)]
            continue
        cum = np.cumsum(closest)
        cand = np.searchsorted(cum, rng.random(trials) * cum[-1], side="right")
        cand = np.minimum(cand, n - 1)
        cand_d = np.minimum(closest[None, :], _sq_dist(X, X[cand]).T)
        best = int(np.argmin(cand_d.sum(axis=1)))
        centers[j] = X[cand[best]]
        closest = cand_d[best]
    return centers


def _lloyd(
    X: NDArray[np.float64], centers: NDArray[np.float64], max_iter: int, tol: float
) -> tuple[NDArray[np.float64], NDArray[np.int64], float, int, bool]:
    k = centers.shape[0]
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        d = _sq_dist(X, centers)
        labels = d.argmin(axis=1)
        counts = np.bincount(labels, minlength=k).astype(np.float64)
        new: NDArray[np.float64] = np.column_stack(
            [np.bincount(labels, weights=X[:, j], minlength=k) for j in range(X.shape[1])]
        )
        empty = counts == 0
        if empty.any():  # move empty centres to the farthest points
            far = np.argsort(-d[np.arange(len(X)), labels], kind="stable")[: int(empty.sum())]
            new[empty] = X[far]
            counts[empty] = 1.0
        new = new / counts[:, None]
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            converged = True
            break
    d = _sq_dist(X, centers)
    labels = d.argmin(axis=1).astype(np.int64)
    inertia = float(d[np.arange(len(X)), labels].sum())
    return centers, labels, inertia, it, converged


@renamed_keywords(seed="rng")
def kmeans(
    X: ArrayLike,
    k: int,
    *,
    rng: np.random.Generator | int | None = 0,
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> KMeansResult:
    """k-means clustering: greedy k-means++ seeding, Lloyd iterations, best of ``n_init`` runs.

    Minimises the within-cluster sum of squares

    .. math::

        \\sum_{i=1}^{n} \\min_{j} \\lVert x_i - \\mu_j \\rVert^2 .

    Parameters
    ----------
    X : array-like, shape (n, d)
        Finite features (standardise them first, e.g. :func:`log_rfm_features`).
    k : int
        Number of clusters, 1 <= k <= n.
    rng : numpy.random.Generator, int or None, default 0
        Random generator of the k-means++ draws, or its integer seed (equal seeds give
        equal results); None draws fresh entropy from the operating system. (Named
        ``seed`` before crmkit 0.2; the old name still works for one release.)
    n_init : int, default 10
        Restarts; the run with the lowest inertia is returned.
    max_iter : int, default 300
        Maximum Lloyd iterations per run.
    tol : float, default 1e-4
        A run converges when the squared centre shift is at most ``tol`` times the mean
        feature variance (scikit-learn's convention).

    Returns
    -------
    KMeansResult

    Raises
    ------
    InvalidValueError
        For non-finite X, a bad k, n_init, max_iter or tol.

    Warns
    -----
    ConvergenceWarning
        If no run converged within ``max_iter``.

    References
    ----------
    - Lloyd, S. P. (1982). Least squares quantization in PCM. *IEEE Transactions on
      Information Theory* 28(2), 129-137.
    - Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful
      seeding. *Proc. 18th ACM-SIAM Symposium on Discrete Algorithms*, 1027-1035.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [1.2], [0.8], [10.0], [10.4]])
    >>> r = kmeans(X, 2, rng=1)
    >>> sorted(np.round(r.centers[:, 0], 2).tolist())
    [1.0, 10.2]
    """
    arr = _as_matrix(X)
    n = arr.shape[0]
    # caps bound the cost: n_init runs of at most max_iter Lloyd steps
    for name, value, cap in (
        ("k", k, 10**6),
        ("n_init", n_init, 1000),
        ("max_iter", max_iter, 10**5),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or not 1 <= value <= cap
        ):
            raise InvalidValueError(
                f"{name}={value!r:.40} must be a positive whole number, at most {cap}."
            )
    if k > n:
        raise InvalidValueError(f"k={k} exceeds the number of rows ({n}); use k <= {n}.")
    if not (math.isfinite(real_number(tol, name="tol")) and tol >= 0):
        raise InvalidValueError(f"tol={tol!r} must be a finite number >= 0.")
    gen = as_generator(rng)
    tol_abs = float(tol * arr.var(axis=0).mean())
    best: tuple[NDArray[np.float64], NDArray[np.int64], float, int, bool] | None = None
    any_converged = False
    for _ in range(n_init):
        run = _lloyd(arr, _kmeanspp(arr, k, gen), max_iter, tol_abs)
        any_converged |= run[4]
        if best is None or run[2] < best[2]:
            best = run
    assert best is not None
    if not any_converged:
        warnings.warn(
            f"k-means did not converge within max_iter={max_iter} in any of {n_init} runs; "
            "raise max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    centers, labels, inertia, n_iter, converged = best
    return KMeansResult(
        centers=centers, labels=labels, inertia=inertia, n_iter=n_iter, converged=converged
    )


def silhouette_samples(X: ArrayLike, labels: ArrayLike) -> NDArray[np.float64]:
    """Silhouette value of every row (Euclidean distance), computed in chunks.

    .. math::

        s(i) = \\frac{b(i) - a(i)}{\\max\\{a(i), b(i)\\}}

    with :math:`a(i)` the mean distance to the other members of its cluster and
    :math:`b(i)` the smallest mean distance to another cluster; :math:`s(i) = 0` for a
    row alone in its cluster (Rousseeuw 1987; scikit-learn's convention).

    Raises
    ------
    InvalidValueError
        Unless 2 <= number of clusters <= n - 1, or for mismatched lengths.

    References
    ----------
    - Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
      validation of cluster analysis. *J. Computational and Applied Mathematics* 20, 53-65.

    Examples
    --------
    >>> import numpy as np
    >>> silhouette_samples(np.array([[0.0], [1.0], [4.0]]), [0, 0, 1]).round(4).tolist()
    [0.75, 0.6667, 0.0]
    """
    arr = _as_matrix(X)
    # factorize, not np.unique: labels of mixed types (1 and "a") cannot be sorted
    try:
        codes, _ = pd.factorize(np.asarray(labels, dtype=object).reshape(-1))
    except TypeError as exc:  # unhashable labels (lists, dicts)
        raise InvalidValueError(
            "labels must be cluster labels (numbers or strings), one per row of X."
        ) from exc
    if (codes < 0).any():
        raise InvalidValueError("labels has missing values; give every row a cluster label.")
    lab = codes.astype(np.int64)
    n = arr.shape[0]
    if lab.shape[0] != n:
        raise InvalidValueError(f"labels has {lab.shape[0]} entries for {n} rows of X.")
    k = int(lab.max()) + 1
    if not 2 <= k <= n - 1:
        raise InvalidValueError(
            f"the silhouette needs 2 <= number of clusters <= n - 1; got {k} clusters for "
            f"{n} rows."
        )
    sizes = np.bincount(lab, minlength=k).astype(np.float64)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), lab] = 1.0
    out = np.empty(n)
    chunk = max(1, int(2**21 // n))  # exact differences: chunk * n * d floats at a time
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        diff = arr[rows, None, :] - arr[None, :, :]
        dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        sums = dist @ onehot
        own = lab[rows]
        own_n = sizes[own] - 1.0
        a = np.divide(
            sums[np.arange(sums.shape[0]), own], own_n, out=np.zeros(own.shape), where=own_n > 0
        )
        means = sums / sizes[None, :]
        means[np.arange(sums.shape[0]), own] = np.inf
        b = means.min(axis=1)
        denom = np.maximum(a, b)
        s = np.divide(b - a, denom, out=np.zeros(own.shape), where=denom > 0)
        out[rows] = np.where(own_n > 0, s, 0.0)
    return out


@renamed_keywords(seed="rng")
def silhouette_score(
    X: ArrayLike,
    labels: ArrayLike,
    *,
    sample_size: int | None = None,
    rng: np.random.Generator | int | None = 0,
) -> float:
    """Mean silhouette of all rows, or of a seeded random sample of ``sample_size`` rows.

    With a sample, distances are computed within the sample only (as scikit-learn's
    ``silhouette_score(sample_size=...)`` does), so the cost is O(sample_size^2). The
    sample is drawn with ``rng`` (a :class:`numpy.random.Generator` or its integer
    seed; named ``seed`` before crmkit 0.2).

    Examples
    --------
    >>> import numpy as np
    >>> round(silhouette_score(np.array([[0.0], [1.0], [4.0]]), [0, 0, 1]), 4)
    0.4722
    """
    arr = _as_matrix(X)
    lab = np.asarray(labels).reshape(-1)
    if lab.shape[0] != arr.shape[0]:
        raise InvalidValueError(f"labels has {lab.shape[0]} entries for {arr.shape[0]} rows of X.")
    if sample_size is not None and check_whole(sample_size, name="sample_size") < arr.shape[0]:
        if sample_size < 3:
            raise InvalidValueError(f"sample_size={sample_size} must be at least 3.")
        idx = as_generator(rng).choice(arr.shape[0], size=sample_size, replace=False)
        arr, lab = arr[idx], lab[idx]
    return float(silhouette_samples(arr, lab).mean())


@positional_options("ks")
@renamed_keywords(seed="rng")
def kmeans_selection(
    X: ArrayLike,
    *,
    ks: Iterable[int] = range(2, 9),
    rng: np.random.Generator | int | None = 0,
    n_init: int = 10,
    silhouette_sample: int | None = 5000,
) -> pd.DataFrame:
    """Inertia (elbow) and silhouette table over a range of k, to choose k.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Features.
    ks : iterable of int, default 2..8
        Values of k to try (each >= 2).
    rng, n_init
        As in :func:`kmeans`; an integer seed starts every k afresh, a Generator is
        drawn from in turn. (``rng`` was named ``seed`` before crmkit 0.2.)
    silhouette_sample : int or None, default 5000
        Rows sampled (seeded) for the silhouette; None uses all rows (O(n^2)).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``k``: ``inertia``, ``inertia_drop`` (relative decrease from the
        previous k, NaN for the first) and ``silhouette`` (higher is better).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(c, 0.1, size=(30, 2)) for c in (0, 3, 6)])
    >>> table = kmeans_selection(X, ks=[2, 3, 4], rng=0)
    >>> int(table["silhouette"].idxmax())
    3
    """
    arr = _as_matrix(X)
    rows = []
    for k in items_of(ks, name="ks"):
        if check_whole(k, name="k in ks") < 2:
            raise InvalidValueError(f"k={k} in ks must be >= 2 for a silhouette.")
        res = kmeans(arr, k, rng=rng, n_init=n_init)
        sil = silhouette_score(arr, res.labels, sample_size=silhouette_sample, rng=rng)
        rows.append((k, res.inertia, sil))
    table = pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]).set_index("k")
    prev = table["inertia"].shift(1)
    table.insert(1, "inertia_drop", (prev - table["inertia"]) / prev)
    return table
