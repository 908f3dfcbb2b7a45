"""A worker or scheduler lost mid-computation gives the right result or a clear error.

dask.distributed recomputes the tasks of a worker that dies on the workers left; a
task that kills every worker it runs on fails with ``KilledWorker``
once the scheduler's allowed failures are used up; a computation whose scheduler is gone
raises instead of returning. None of them may return a partial or wrong summary.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from crmkit import rfm_summary

from .conftest import on_cluster

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask


def _die_when_armed(frame: pd.DataFrame, armed: str) -> pd.DataFrame:
    """Kill this worker process the first time a partition runs after ``armed`` exists."""
    try:
        os.remove(armed)  # only one task wins the removal
    except FileNotFoundError:
        return frame
    os._exit(1)


def _always_die(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame):
        os._exit(1)
    return frame


@contextlib.contextmanager
def _own_cluster(allowed_failures: int) -> Iterator[None]:
    """Two worker processes of which the test may kill some (they are not restarted)."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
        on_cluster(client),
    ):
        yield


def test_worker_death_mid_summary_is_recomputed(
    parquet_log: Path, log_frame: pd.DataFrame, tmp_path: Path
) -> None:
    ddf = dd.read_parquet(str(parquet_log / "*.parquet"))
    armed = tmp_path / "armed"
    fragile = ddf.map_partitions(_die_when_armed, str(armed), meta=ddf._meta)
    with _own_cluster(allowed_failures=1):
        lazy = rfm_summary(fragile, amount_col="amount", totals=True)  # no death yet
        armed.touch()
        got = lazy.compute()
    assert not armed.exists()  # a worker did die during the computation
    expected = rfm_summary(log_frame, amount_col="amount", totals=True)
    pd.testing.assert_frame_equal(got.sort_index(), expected, check_exact=False, rtol=1e-12)


def test_task_that_kills_its_worker_fails_clearly(parquet_log: Path) -> None:
    ddf = dd.read_parquet(str(parquet_log / "*.parquet"))
    doomed = ddf.map_partitions(_always_die, meta=ddf._meta)
    with _own_cluster(allowed_failures=0), pytest.raises(distributed.KilledWorker):
        rfm_summary(doomed)


def test_lost_scheduler_raises(log_frame: pd.DataFrame) -> None:
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        cluster = distributed.LocalCluster(
            n_workers=1, processes=False, dashboard_address=":0", silence_logs=logging.CRITICAL
        )
        client = distributed.Client(cluster, set_as_default=False)
        try:
            with client.as_current(), dask.config.set(scheduler=client):
                lazy = rfm_summary(dd.from_pandas(log_frame, npartitions=2))
                cluster.close()
                lost = (
                    OSError,
                    distributed.comm.CommClosedError,
                    distributed.client.ClosedClientError,
                )
                with pytest.raises(lost):
                    lazy.compute()
        finally:
            client.close()
            cluster.close()
