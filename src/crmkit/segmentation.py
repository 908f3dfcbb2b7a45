"""Behavioural segments and selection: k-means on scaled log-RFM features.

Russell's web-CRM process: *group customers with similar behaviour*,
then *select* the most desirable ones and target them. This module does both with
numpy only:

* :func:`log_rfm_features` — time since the last purchase, frequency and monetary value,
  each ``log1p``-transformed and standardised (mean 0, standard deviation 1);
* :func:`kmeans` — Lloyd's algorithm with k-means++ seeding, ``n_init`` seeded restarts
  and a convergence tolerance (the array core);
* :func:`silhouette_score`, :func:`silhouette_samples` and :func:`kmeans_selection` —
  a model-selection aid (silhouette on a seeded sample for large n, inertia / elbow);
* :func:`segment_customers` and :func:`segment_profile` — the frame shell;
* :func:`select_top` — the top customers by any score (``n=`` or ``share=``).

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
>>> res = kmeans(X, 2, seed=0)
>>> bool(res.labels[0] == res.labels[1] != res.labels[2] == res.labels[3])
True
>>> round(res.inertia, 6)
0.01
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import (
    check_finite,
    check_unique_index,
    check_whole,
    handle_nan,
    items_of,
    real_array,
    real_number,
    require_columns,
    require_frame,
    require_series,
)
from crmkit.columns import FREQUENCY, MONETARY_VALUE, RECENCY, T
from crmkit.exceptions import ConvergenceWarning, DegenerateDataWarning, InvalidValueError

__all__ = [
    "FEATURE_NAMES",
    "KMeansResult",
    "Segmentation",
    "kmeans",
    "kmeans_selection",
    "log_rfm_features",
    "segment_customers",
    "segment_profile",
    "select_top",
    "silhouette_samples",
    "silhouette_score",
]

FEATURE_NAMES = ("since_last", "frequency", "monetary_value")
"""Columns of :func:`log_rfm_features`: R (time since the last purchase), F, M."""

Seed = int | np.random.Generator


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidValueError(f"seed={seed!r} must be an int >= 0 or a numpy Generator.")
    return np.random.default_rng(int(seed))


def _as_matrix(X: ArrayLike) -> NDArray[np.float64]:
    arr = check_finite(X, name="X")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidValueError(
            f"X must be a non-empty 2-d array (customers x features), got shape {arr.shape}."
        )
    return arr


def log_rfm_features(
    summary: pd.DataFrame,
    *,
    frequency_col: str = FREQUENCY,
    recency_col: str = RECENCY,
    T_col: str = T,
    monetary_value_col: str = MONETARY_VALUE,
) -> pd.DataFrame:
    """Standardised log-RFM features of a per-customer summary.

    .. math::

        z_j = \\frac{\\log(1 + v_j) - \\overline{\\log(1 + v)}}{s}, \\qquad
        v \\in \\{T - t_x,\\ x,\\ \\bar z\\}

    with :math:`s` the population standard deviation (ddof = 0). A constant feature
    becomes 0 and a :class:`~crmkit.exceptions.DegenerateDataWarning` is emitted.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-customer summary with the :mod:`crmkit.columns` names (or ``*_col``):
        ``frequency`` x, ``recency`` t_x, ``T`` and ``monetary_value`` (all >= 0).

    Returns
    -------
    pandas.DataFrame
        Same index; columns :data:`FEATURE_NAMES`: ``since_last`` (:math:`T - t_x`,
        smaller is better), ``frequency``, ``monetary_value``.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, NaN, negative values or ``recency > T``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {
    ...         "frequency": [0, 3],
    ...         "recency": [0.0, 20.0],
    ...         "T": [30.0, 30.0],
    ...         "monetary_value": [0.0, 12.0],
    ...     }
    ... )
    >>> log_rfm_features(s).round(3)
       since_last  frequency  monetary_value
    0         1.0       -1.0            -1.0
    1        -1.0        1.0             1.0
    """
    cols = [frequency_col, recency_col, T_col, monetary_value_col]
    require_columns(summary, cols)
    handle_nan(summary, cols, "raise")
    raw = summary[cols].to_numpy(dtype=np.float64)
    if (raw < 0).any():
        negative: list[bool] = np.any(raw < 0, axis=0).tolist()
        bad = [c for c, neg in zip(cols, negative, strict=True) if neg]
        raise InvalidValueError(f"column(s) {bad} hold negative values; RFM values are >= 0.")
    gap = raw[:, 2] - raw[:, 1]
    if (gap < 0).any():
        raise InvalidValueError(f"recency exceeds T for {int((gap < 0).sum())} customer(s).")
    logged = np.log1p(np.column_stack([gap, raw[:, 0], raw[:, 3]]))
    mean = logged.mean(axis=0)
    std = logged.std(axis=0)
    constant = std == 0
    if constant.any():
        names = [n for n, c in zip(FEATURE_NAMES, constant.tolist(), strict=True) if c]
        warnings.warn(
            f"feature(s) {names} are constant and carry no information; they are set to 0.",
            DegenerateDataWarning,
            stacklevel=2,
        )
    z = np.divide(logged - mean, std, out=np.zeros_like(logged), where=~constant)
    return pd.DataFrame(z, index=summary.index, columns=list(FEATURE_NAMES))


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


def kmeans(
    X: ArrayLike,
    k: int,
    *,
    seed: Seed = 0,
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
    seed : int or numpy.random.Generator, default 0
        Seed of the k-means++ draws; equal seeds give equal results.
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
    >>> r = kmeans(X, 2, seed=1)
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
    rng = _rng(seed)
    tol_abs = float(tol * arr.var(axis=0).mean())
    best: tuple[NDArray[np.float64], NDArray[np.int64], float, int, bool] | None = None
    any_converged = False
    for _ in range(n_init):
        run = _lloyd(arr, _kmeanspp(arr, k, rng), max_iter, tol_abs)
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


def silhouette_score(
    X: ArrayLike, labels: ArrayLike, *, sample_size: int | None = None, seed: Seed = 0
) -> float:
    """Mean silhouette of all rows, or of a seeded random sample of ``sample_size`` rows.

    With a sample, distances are computed within the sample only (as scikit-learn's
    ``silhouette_score(sample_size=...)`` does), so the cost is O(sample_size^2).

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
        idx = _rng(seed).choice(arr.shape[0], size=sample_size, replace=False)
        arr, lab = arr[idx], lab[idx]
    return float(silhouette_samples(arr, lab).mean())


def kmeans_selection(
    X: ArrayLike,
    ks: Iterable[int] = range(2, 9),
    *,
    seed: Seed = 0,
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
    seed, n_init
        As in :func:`kmeans`; the same seed is used for every k.
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
    >>> table = kmeans_selection(X, [2, 3, 4], seed=0)
    >>> int(table["silhouette"].idxmax())
    3
    """
    arr = _as_matrix(X)
    rows = []
    for k in items_of(ks, name="ks"):
        if check_whole(k, name="k in ks") < 2:
            raise InvalidValueError(f"k={k} in ks must be >= 2 for a silhouette.")
        res = kmeans(arr, k, seed=seed, n_init=n_init)
        sil = silhouette_score(arr, res.labels, sample_size=silhouette_sample, seed=seed)
        rows.append((k, res.inertia, sil))
    table = pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]).set_index("k")
    prev = table["inertia"].shift(1)
    table.insert(1, "inertia_drop", (prev - table["inertia"]) / prev)
    return table


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Segmentation(Displayable):
    """Behavioural segments of a customer base.

    Attributes
    ----------
    features : pandas.DataFrame
        The standardised log-RFM features used.
    labels : pandas.Series
        Segment of each customer (``segment``, 0..k-1); segment 0 has the highest centre
        value score ``frequency + monetary_value - since_last``, then descending.
    centers : pandas.DataFrame
        Centres in feature space, one row per segment.
    inertia : float
    converged : bool
    """

    features: pd.DataFrame
    labels: pd.Series[Any]
    centers: pd.DataFrame
    inertia: float
    converged: bool

    def _display(self) -> Display:
        sizes = self.labels.value_counts().sort_index()
        centers = self.centers.copy()
        centers.insert(0, "customers", sizes.reindex(centers.index).to_numpy())
        columns, rows, note = frame_rows(centers, max_rows=12, digits=3)
        columns[0] = "segment"
        status = "converged" if self.converged else "NOT converged"
        return Display(
            f"Segmentation of {len(self.labels):,} customers into {len(self.centers)} segments",
            [f"k-means inertia {fmt_number(self.inertia)}, {status}"],
            columns,
            rows,
            [note, "centres in standardised log-RFM features"],
        )


def segment_customers(
    summary: pd.DataFrame,
    k: int,
    *,
    seed: Seed = 0,
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    **columns: str,
) -> Segmentation:
    """k-means segments of a per-customer summary on its standardised log-RFM features.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-customer summary (see :func:`log_rfm_features`), unique index.
    k : int
        Number of segments.
    seed, n_init, max_iter, tol
        As in :func:`kmeans`.
    **columns : str
        ``frequency_col``, ``recency_col``, ``T_col``, ``monetary_value_col``.

    Returns
    -------
    Segmentation

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {
    ...         "frequency": [0, 0, 9, 8],
    ...         "recency": [0.0, 0.0, 50.0, 48.0],
    ...         "T": [52.0, 50.0, 52.0, 50.0],
    ...         "monetary_value": [0.0, 0.0, 40.0, 35.0],
    ...     }
    ... )
    >>> segment_customers(s, 2).labels.tolist()
    [1, 1, 0, 0]
    """
    require_frame(summary, name="summary")
    check_unique_index(summary, name="summary index")
    feats = log_rfm_features(summary, **columns)
    res = kmeans(feats.to_numpy(), k, seed=seed, n_init=n_init, max_iter=max_iter, tol=tol)
    score = res.centers[:, 1] + res.centers[:, 2] - res.centers[:, 0]
    order = np.argsort(-score, kind="stable")
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return Segmentation(
        features=feats,
        labels=pd.Series(rank[res.labels], index=summary.index, name="segment"),
        centers=pd.DataFrame(
            res.centers[order], index=pd.RangeIndex(k, name="segment"), columns=feats.columns
        ),
        inertia=res.inertia,
        converged=res.converged,
    )


def segment_profile(
    summary: pd.DataFrame, labels: pd.Series[Any], *, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """Profile of each segment: size, share and the mean of each numeric column.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-customer data (e.g. the RFM summary), indexed like ``labels``.
    labels : pandas.Series
        Segment of each customer (e.g. :attr:`Segmentation.labels`).
    columns : iterable of str, optional
        Columns to average; default every numeric column.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment (sorted): ``customers``, ``share``, then ``mean_<column>``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [0, 2, 6]})
    >>> segment_profile(s, pd.Series([1, 1, 0], name="segment"))
             customers     share  mean_frequency
    segment
    0                1  0.333333             6.0
    1                2  0.666667             1.0
    """
    require_frame(summary, name="summary")
    require_series(labels, name="labels")
    if not summary.index.equals(labels.index):
        raise InvalidValueError("labels must have the same index as summary, in the same order.")
    handle_nan(labels.to_frame("segment"), ["segment"], "raise")
    cols = (
        list(columns)
        if columns is not None
        else [c for c in summary.columns if pd.api.types.is_numeric_dtype(summary[c])]
    )
    require_columns(summary, cols)
    grouped = summary[cols].groupby(labels.to_numpy(), sort=True)
    out = grouped.mean().add_prefix("mean_")
    sizes = grouped.size()
    out.insert(0, "share", sizes / len(summary))
    out.insert(0, "customers", sizes.astype(np.int64))
    out.index.name = labels.name or "segment"
    return out


def select_top(
    frame: pd.DataFrame,
    score: str | pd.Series[Any],
    *,
    n: int | None = None,
    share: float | None = None,
) -> pd.DataFrame:
    """The top customers by a score: the ``n`` best, or the best ``share`` of them.

    Rows are ranked by descending score with a stable sort, so ties keep the frame's
    order. ``share`` selects ``ceil(share * len(frame))`` rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers (e.g. an RFM summary or a CLV table).
    score : str or pandas.Series
        A column of ``frame`` or a Series aligned with its index (e.g. CLV).
    n : int, optional
        Number of rows; give exactly one of ``n`` and ``share``.
    share : float, optional
        Share of rows in (0, 1].

    Returns
    -------
    pandas.DataFrame
        The selected rows, best first.

    Raises
    ------
    InvalidValueError
        For both or neither of ``n``/``share``, out-of-range values, a NaN score or a
        Series not aligned with ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"clv": [5.0, 9.0, 1.0, 9.0]}, index=["a", "b", "c", "d"])
    >>> select_top(f, "clv", n=2).index.tolist()
    ['b', 'd']
    >>> select_top(f, "clv", share=0.5).index.tolist()
    ['b', 'd']
    """
    require_frame(frame, name="frame")
    if (n is None) == (share is None):
        raise InvalidValueError("give exactly one of n= (a count) or share= (a fraction).")
    if isinstance(score, str):
        require_columns(frame, [score])
        values = frame[score]
    else:
        require_series(score, name="score (a column name or a Series)")
        if not score.index.equals(frame.index):
            raise InvalidValueError("score must be a Series with the same index as frame.")
        values = score
    if values.isna().any():
        raise InvalidValueError(
            f"score has {int(values.isna().sum())} missing value(s); fill or drop them first."
        )
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise InvalidValueError(f"n={n!r} must be a whole number >= 0.")
        count = min(int(n), len(frame))
    else:
        assert share is not None
        if not 0 < real_number(share, name="share") <= 1:
            raise InvalidValueError(f"share={share!r} must lie in (0, 1].")
        # round away float noise first: 0.3 * 10 is 3.0000000000000004, which must give 3
        count = math.ceil(round(share * len(frame), 9))
    order = np.argsort(-real_array(values.to_numpy(), name="score"), kind="stable")[:count]
    return frame.iloc[order]
