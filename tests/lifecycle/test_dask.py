"""The cohort and stage aggregations give the same result on dask as on pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmkit.datasets import load_cdnow_transactions
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.lifecycle import (
    KALAKOTA,
    SOWALSKIE,
    AssignmentRules,
    assign_stages,
    cohort_retention,
    transition_matrix,
)

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions().rename(
        columns={"date": "datetime", "dollar_value": "monetary"}
    )


@pytest.fixture(autouse=True)
def _synchronous() -> object:
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.mark.parametrize("period", ["W", "M", "Q"])
def test_cohort_retention_equal(cdnow: pd.DataFrame, period: str) -> None:
    a = cohort_retention(cdnow, period=period)
    b = cohort_retention(dd.from_pandas(cdnow, npartitions=5), period=period)
    pd.testing.assert_frame_equal(a.retention, b.retention)
    pd.testing.assert_series_equal(a.sizes, b.sizes)


def test_cohort_retention_equal_online_retail(shared_datasets: Path) -> None:
    tx = pd.read_csv(
        shared_datasets / "online_retail" / "online_retail.csv.gz",
        usecols=["InvoiceDate", "CustomerID"],
        parse_dates=["InvoiceDate"],
        nrows=150_000,
    ).dropna()
    kw = {"customer_id_col": "CustomerID", "datetime_col": "InvoiceDate", "period": "M"}
    a = cohort_retention(tx, observation_end="2011-03-31", **kw)
    b = cohort_retention(dd.from_pandas(tx, npartitions=3), observation_end="2011-03-31", **kw)
    pd.testing.assert_frame_equal(a.active, b.active)


@pytest.mark.parametrize("model", [KALAKOTA, SOWALSKIE])
def test_assign_stages_equal(cdnow: pd.DataFrame, model: object) -> None:
    rules = AssignmentRules(inactivity=13, inactivity_unit="W")
    kw = {"as_of": "1997-12-31", "model": model, "rules": rules, "customers": [0, -1]}
    a = assign_stages(cdnow, **kw)  # type: ignore[arg-type]  # parametrized model
    b = assign_stages(dd.from_pandas(cdnow, npartitions=4), **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, b)


def test_transition_matrix_equal(cdnow: pd.DataFrame) -> None:
    kw = {"start": "1997-06-30", "end": "1998-06-30", "model": SOWALSKIE,
          "rules": AssignmentRules(inactivity=26, inactivity_unit="W")}  # fmt: skip
    a = transition_matrix(cdnow, **kw)  # type: ignore[arg-type]
    b = transition_matrix(dd.from_pandas(cdnow, npartitions=3), **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.counts, b.counts)


def test_dask_errors(cdnow: pd.DataFrame) -> None:
    bad = cdnow.copy()
    bad.loc[5, "customer_id"] = None
    ddf = dd.from_pandas(bad, npartitions=2)
    with pytest.raises(InvalidValueError, match="missing value"):
        cohort_retention(ddf)
    with pytest.raises(InvalidValueError, match="missing value"):
        assign_stages(ddf, as_of="1998-01-01")
    omitted = cohort_retention(ddf, nan_policy="omit")
    assert omitted.sizes.sum() == cdnow["customer_id"].nunique() - 0  # the row's id repeats
    with pytest.raises(MissingColumnsError):
        cohort_retention(dd.from_pandas(cdnow.drop(columns="datetime"), npartitions=2))


def test_transition_from_before_the_first_purchase_equal(cdnow: pd.DataFrame) -> None:
    # at a start before every purchase nobody has bought yet: everyone is a prospect
    kw = {"start": "1996-12-31", "end": "1997-03-31", "model": SOWALSKIE}
    a = transition_matrix(cdnow, **kw)  # type: ignore[arg-type]
    b = transition_matrix(dd.from_pandas(cdnow, npartitions=3), **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert int(a.counts.sum().sum()) == cdnow["customer_id"].nunique()
