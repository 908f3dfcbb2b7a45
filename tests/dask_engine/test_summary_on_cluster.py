"""rfm_summary, calibration_and_holdout and rfm_scores on a dask.distributed cluster."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit import calibration_and_holdout, rfm_summary
from crmkit.exceptions import InvalidValueError
from crmkit.rfm import rfm_scores

dask = pytest.importorskip("dask")

pytestmark = pytest.mark.dask


def _equal(got: Any, expected: pd.DataFrame) -> None:
    """Counts and durations exactly, money to 1e-12 relative."""
    frame = got.compute().sort_index()
    exact = [c for c in expected.columns if "monetary" not in c and "spend" not in c]
    pd.testing.assert_frame_equal(frame[exact], expected[exact], check_exact=True)
    pd.testing.assert_frame_equal(frame, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize(
    "options",
    [
        {"amount_col": "amount", "totals": True},
        {"time_unit": "W", "period": "D", "amount_col": "amount"},
        {"time_unit": "M", "include_first_transaction": True, "amount_col": "amount"},
        {"observation_end": "2024-06-30", "after_observation_end": "exclude"},
    ],
)
def test_rfm_summary_equals_pandas(ddf: Any, log_frame: pd.DataFrame, options: Any) -> None:
    expected = rfm_summary(log_frame, **options)
    got = rfm_summary(ddf, **options)
    assert got.npartitions == ddf.npartitions
    _equal(got, expected)


def test_rfm_summary_raises_when_called(ddf: Any) -> None:
    with pytest.raises(InvalidValueError, match="dated after the observation end 2024-06-30"):
        rfm_summary(ddf, observation_end="2024-06-30")
    with pytest.raises(InvalidValueError, match="every transaction is after"):
        rfm_summary(ddf, observation_end="2020-01-01", after_observation_end="exclude")


@pytest.mark.parametrize(
    "options",
    [
        {"amount_col": "amount"},
        {"time_unit": "W", "period": "D", "observation_end": "2024-10-31"},
    ],
)
def test_calibration_and_holdout_equals_pandas(
    ddf: Any, log_frame: pd.DataFrame, options: Any
) -> None:
    kw = {"calibration_end": "2024-03-31", "after_observation_end": "exclude", **options}
    expected = calibration_and_holdout(log_frame, **kw)
    _equal(calibration_and_holdout(ddf, **kw), expected)


def test_calibration_and_holdout_checks_dates(ddf: Any) -> None:
    with pytest.raises(InvalidValueError, match="must be before observation_end"):
        calibration_and_holdout(ddf, calibration_end="2024-03-31", observation_end="2024-03-31")
    with pytest.raises(InvalidValueError, match="no transaction on or before"):
        calibration_and_holdout(ddf, calibration_end="2020-01-01")


def test_peer_to_peer_shuffle_equals_pandas(ddf: Any, log_frame: pd.DataFrame) -> None:
    """The out-of-core shuffle of dask.distributed (the default there) gives the same rows."""
    with dask.config.set({"dataframe.shuffle.method": "p2p"}):
        got = calibration_and_holdout(ddf, calibration_end="2024-03-31", amount_col="amount")
        _equal(
            got,
            calibration_and_holdout(log_frame, calibration_end="2024-03-31", amount_col="amount"),
        )


@pytest.mark.parametrize(("spend_col", "n_scores"), [("total_spend", 5), ("monetary_value", 3)])
def test_rfm_scores_equal_pandas(
    ddf: Any, log_frame: pd.DataFrame, spend_col: str, n_scores: int
) -> None:
    options = {"amount_col": "amount", "totals": True, "time_unit": "W", "period": "D"}
    expected = rfm_scores(
        rfm_summary(log_frame, **options), spend_col=spend_col, n_scores=n_scores
    )
    got = rfm_scores(rfm_summary(ddf, **options), spend_col=spend_col, n_scores=n_scores)
    pd.testing.assert_frame_equal(got.compute().sort_index(), expected, check_exact=True)


def test_rfm_scores_refuse_missing_values(ddf: Any) -> None:
    summary = rfm_summary(ddf, amount_col="amount", totals=True)
    holed = summary.assign(total_spend=summary["total_spend"].where(summary["frequency"] < 30))
    with pytest.raises(InvalidValueError, match=r"NaN or infinite value\(s\) in 'total_spend'"):
        rfm_scores(holed)
