"""Behavioural segments and selection: k-means on scaled log-RFM features.

Russell's web-CRM process: *group customers with similar behaviour*,
then *select* the most desirable ones and target them. This module does both with
numpy only:

* :func:`log_rfm_features` — time since the last purchase, frequency and monetary value,
  each ``log1p``-transformed and standardised (mean 0, standard deviation 1);
* :func:`kmeans` — Lloyd's algorithm with k-means++ seeding, ``n_init`` restarts drawn
  from ``rng`` (a :class:`numpy.random.Generator` or its integer seed) and a convergence
  tolerance (the array core, independent of customers);
* :func:`silhouette_score`, :func:`silhouette_samples` and :func:`kmeans_selection` —
  a model-selection aid (silhouette on a sample drawn from ``rng`` for large n,
  inertia / elbow);
* :func:`segment_customers` and :func:`segment_profile` — the frame shell;
* :func:`select_top` — the top customers by any score (``n=`` or ``share=``).

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
>>> res = kmeans(X, 2, rng=0)
>>> bool(res.labels[0] == res.labels[1] != res.labels[2] == res.labels[3])
True
>>> round(res.inertia, 6)
0.01
"""

from __future__ import annotations

from crmkit.segmentation._kmeans import (
    KMeansResult,
    kmeans,
    kmeans_selection,
    silhouette_samples,
    silhouette_score,
)
from crmkit.segmentation._segments import (
    FEATURE_NAMES,
    Segmentation,
    log_rfm_features,
    segment_customers,
    segment_profile,
)
from crmkit.segmentation._select import select_top

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
