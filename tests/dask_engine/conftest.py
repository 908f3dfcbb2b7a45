"""A real dask.distributed cluster and a partitioned Parquet log for the engine tests.

The cluster (two worker processes, one thread each, no dashboard) is started once per
test session and stopped at its end; each test in this folder computes on it through
an autouse fixture, so nothing here runs on the synchronous scheduler.
"""

from __future__ import annotations

import contextlib
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


def synthetic_log(n_customers: int, seed: int, days: int = 730) -> pd.DataFrame:
    """A seeded Pareto/NBD-like log: gamma purchase rates, exponential lifetimes,
    gamma spend per transaction around a gamma-distributed level per customer.

    Each customer's first purchase is in the first year; repeat purchases follow a
    Poisson process until the customer's lifetime ends or the log does. Times of day are
    random, so some customers buy twice on one day.
    """
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, 365, size=n_customers)
    rate = rng.gamma(0.8, 1 / 12, size=n_customers)  # purchases per day
    life = rng.exponential(1 / rng.gamma(0.7, 1 / 150, size=n_customers))
    span = np.minimum(life, days - first)
    repeats = rng.poisson(rate * span)
    owner = np.repeat(np.arange(n_customers), repeats)
    offsets = np.concatenate([first, first[owner] + rng.uniform(0, 1, owner.size) * span[owner]])
    ids = np.concatenate([np.arange(n_customers), owner]).astype(np.int64) * 7 + 11
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.round(offsets * 86_400), unit="s")
    scale = rng.gamma(4.0, 3.0, size=n_customers)  # each customer's spend level
    amount = np.round(rng.gamma(3.0, scale[ids // 7 - 1]), 2) + 0.01
    frame = pd.DataFrame({"customer_id": ids, "datetime": when, "amount": amount})
    # shuffled rows: a customer's rows are spread over every file
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="session")
def cluster_client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes, started and stopped by the tests."""
    # a task whose worker dies is retried once on another worker, then it fails with
    # KilledWorker (the default allows 3 deaths; 1 keeps the failure tests short)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


@contextlib.contextmanager
def on_cluster(client: Any) -> Iterator[None]:
    """Compute on ``client``; the task-based shuffle, faster than p2p on tiny data."""
    with (
        client.as_current(),
        # by name, not the client object: worker processes started inside this block
        # receive the config, and a client cannot be pickled
        dask.config.set({"scheduler": "dask.distributed", "dataframe.shuffle.method": "tasks"}),
    ):
        yield


@pytest.fixture(autouse=True)
def _on_cluster(cluster_client: Any) -> Iterator[None]:
    with on_cluster(cluster_client):
        yield


@pytest.fixture(scope="session")
def log_frame() -> pd.DataFrame:
    return synthetic_log(2_000, seed=20261206)


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
