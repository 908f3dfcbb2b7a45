"""Pareto concentration, cohorts and life-cycle stages of a Parquet log on the cluster."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.lifecycle import KALAKOTA, AssignmentRules, assign_stages, cohort_retention
from crmkit.pareto import concentration

pytestmark = pytest.mark.dask

KW = {"datetime_col": "datetime", "customer_id_col": "customer_id"}


def test_concentration_equals_pandas(ddf: Any, log_frame: pd.DataFrame) -> None:
    expected = concentration(log_frame, value_col="amount", group_col="customer_id")
    got = concentration(ddf, value_col="amount", group_col="customer_id")
    assert got.gini == pytest.approx(expected.gini, rel=1e-12)
    assert got.labels is not None
    assert expected.labels is not None
    assert got.labels.tolist() == expected.labels.tolist()
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12)


def test_cohort_retention_equals_pandas(ddf: Any, log_frame: pd.DataFrame) -> None:
    expected = cohort_retention(log_frame, period="Q", **KW)
    got = cohort_retention(ddf, period="Q", **KW)
    pd.testing.assert_frame_equal(got.retention, expected.retention)
    pd.testing.assert_series_equal(got.sizes, expected.sizes)


def test_assign_stages_equals_pandas(ddf: Any, log_frame: pd.DataFrame) -> None:
    kw = {
        "as_of": "2024-06-30",
        "model": KALAKOTA,
        "rules": AssignmentRules(inactivity=13, inactivity_unit="W"),
        "amount_col": "amount",
        **KW,
    }
    expected = assign_stages(log_frame, **kw)  # type: ignore[arg-type]
    got = assign_stages(ddf, **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(got, expected)
