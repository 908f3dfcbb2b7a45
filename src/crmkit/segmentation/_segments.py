"""Behavioural segments of customers: k-means on standardised log-RFM features (private).

The CRM side of :mod:`crmkit.segmentation`: the features of a per-customer summary
(:func:`log_rfm_features`), the segments ranked by value (:func:`segment_customers`) and
their profile (:func:`segment_profile`). The clustering itself is
:mod:`crmkit.segmentation._kmeans`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit._compat import renamed_keywords
from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import (
    check_unique_index,
    handle_nan,
    require_columns,
    require_frame,
    require_series,
)
from crmkit.columns import FREQUENCY, MONETARY_VALUE, RECENCY, T
from crmkit.exceptions import DegenerateDataWarning, InvalidValueError
from crmkit.segmentation._kmeans import kmeans

__all__ = [
    "FEATURE_NAMES",
    "Segmentation",
    "log_rfm_features",
    "segment_customers",
    "segment_profile",
]

FEATURE_NAMES = ("since_last", "frequency", "monetary_value")
"""Columns of :func:`log_rfm_features`: R (time since the last purchase), F, M."""


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


@renamed_keywords(seed="rng")
def segment_customers(
    summary: pd.DataFrame,
    k: int,
    *,
    rng: np.random.Generator | int | None = 0,
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
    rng, n_init, max_iter, tol
        As in :func:`kmeans` (``rng`` was named ``seed`` before crmkit 0.2).
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
    res = kmeans(feats.to_numpy(), k, rng=rng, n_init=n_init, max_iter=max_iter, tol=tol)
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
