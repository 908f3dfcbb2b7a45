"""A real dask.distributed cluster and a partitioned Parquet log for the engine tests.

The cluster (two worker processes, one thread each, no dashboard) is started once per
test session and stopped at its end; each test in this folder computes on it through
an autouse fixture, so nothing here runs on the synchronous scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pytest.importorskip("pyarrow")


def synthetic_log(n_customers: int, seed: int) -> pd.DataFrame:
    """A seeded log: customers with 1-40 purchases (some on the same day) over 2 years."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 40, size=n_customers)
    ids = np.repeat(np.arange(n_customers, dtype=np.int64) * 7 + 11, counts)
    first = rng.integers(0, 600, size=n_customers)
    offsets = np.repeat(first, counts) + rng.integers(0, 130, size=ids.size)
    offsets = np.minimum(offsets, 729)
    seconds = rng.integers(0, 86_400, size=ids.size)
    when = (
        pd.Timestamp("2023-01-01")
        + pd.to_timedelta(offsets, unit="D")
        + pd.to_timedelta(seconds, unit="s")
    )
    amount = np.round(rng.gamma(2.0, 15.0, size=ids.size), 2) + 0.01
    frame = pd.DataFrame({"customer_id": ids, "datetime": when, "amount": amount})
    # shuffled rows: a customer's rows are spread over every file
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="session")
def cluster_client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes, started and stopped by the tests."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture(autouse=True)
def _on_cluster(cluster_client: Any) -> Iterator[None]:
    with (
        cluster_client.as_current(),
        dask.config.set(scheduler=cluster_client, **{"dataframe.shuffle.method": "tasks"}),
    ):
        yield


@pytest.fixture(scope="session")
def log_frame() -> pd.DataFrame:
    return synthetic_log(1_500, seed=20261206)


@pytest.fixture(scope="session")
def parquet_log(tmp_path_factory: pytest.TempPathFactory, log_frame: pd.DataFrame) -> Path:
    """The log written as 6 Parquet files (row groups in file order)."""
    folder = tmp_path_factory.mktemp("log")
    for i, part in enumerate(np.array_split(np.arange(len(log_frame)), 6)):
        log_frame.iloc[part].to_parquet(folder / f"part-{i:03d}.parquet", index=False)
    return folder


@pytest.fixture
def ddf(parquet_log: Path) -> Any:
    return dd.read_parquet(str(parquet_log / "*.parquet"))
