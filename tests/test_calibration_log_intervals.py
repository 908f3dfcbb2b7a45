"""``calibration_and_holdout(log_intervals=True)``: BTYDplus' ``litt`` of calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit import calibration_and_holdout, clv, datasets, rfm_summary
from crmkit.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    tx = datasets.load_cdnow_transactions(sample=True)
    return tx.drop(columns="sample_id").rename(columns={"date": "datetime"})


def test_calibration_columns_are_rfm_summary_of_the_calibration_period(
    cdnow_sample: pd.DataFrame,
) -> None:
    # the standard CDNOW split (Fader, Hardie & Lee 2005): 39 calibration weeks
    split = calibration_and_holdout(
        cdnow_sample,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        log_intervals=True,
    )
    cal = rfm_summary(
        cdnow_sample[cdnow_sample["datetime"] <= "1997-09-30"],
        observation_end="1997-09-30",
        time_unit="W",
        log_intervals=True,
    )
    pd.testing.assert_frame_equal(split[list(cal.columns)], cal)
    # the column follows the calibration columns, before the holdout ones
    assert list(split.columns) == [*cal.columns, "frequency_holdout", "duration_holdout"]
    # holdout purchases never reach it: the log sums equal those without holdout rows
    assert (split["log_interval_sum"][split["frequency"] == 0] == 0).all()


def test_hand_computed_sum_of_the_calibration_gaps() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "datetime": pd.to_datetime(
                ["2024-01-01", "2024-01-03", "2024-01-09", "2024-02-10", "2024-01-20"]
            ),
        }
    )
    split = calibration_and_holdout(
        tx, calibration_end="2024-01-31", observation_end="2024-02-29", log_intervals=True
    )
    # gaps of 2 and 6 days in calibration; the holdout purchase adds no gap
    np.testing.assert_allclose(split["log_interval_sum"], [np.log(2) + np.log(6), 0.0])
    assert "log_interval_sum" not in calibration_and_holdout(
        tx, calibration_end="2024-01-31", observation_end="2024-02-29"
    )


def test_compare_models_runs_bg_cnbd_on_the_split(cdnow_sample: pd.DataFrame) -> None:
    split = calibration_and_holdout(
        cdnow_sample,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        log_intervals=True,
    )
    comparison = clv.compare_models(split, families=(clv.BetaGeo, clv.BetaGeoCNBD))
    statuses = comparison.table["status"]
    assert not statuses.str.startswith("failed").any(), statuses.to_dict()
    assert comparison.fits["BetaGeoCNBD"].model.k >= 1


def test_non_boolean_flag_raises(cdnow_sample: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="log_intervals"):
        calibration_and_holdout(
            cdnow_sample,
            calibration_end="1997-09-30",
            log_intervals="yes",  # type: ignore[arg-type]
        )


def test_dask_log_refuses_log_intervals(cdnow_sample: pd.DataFrame) -> None:
    dd = pytest.importorskip("dask.dataframe")
    lazy = dd.from_pandas(cdnow_sample, npartitions=2)
    with pytest.raises(InvalidValueError, match="not available for a dask log"):
        calibration_and_holdout(lazy, calibration_end="1997-09-30", log_intervals=True)
