"""holdout_by_frequency: the FHL (2005) Figure 4 table equals lifetimes' on CDNOW."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit import calibration_and_holdout
from crmkit.clv import BetaGeo, BetaGeoBetaBinom, HoldoutByFrequency, holdout_by_frequency
from crmkit.datasets import load_cdnow_summary, load_cdnow_transactions, load_donations
from crmkit.exceptions import InvalidValueError, MissingColumnsError

FHL_WEEKS = {"r": 0.2426, "alpha": 4.4136, "a": 0.7930, "b": 2.4259}


@pytest.fixture(scope="module")
def reference(reference_dir: Path) -> dict[str, Any]:
    ref: dict[str, Any] = json.loads((reference_dir / "clv_holdout_lifetimes.json").read_text())
    assert ref["versions"]["lifetimes"] == "0.11.3"
    assert ref["tolerance"]["holdout_by_frequency"] == "abs 1e-6"
    return ref


def _assert_table(table: pd.DataFrame, expected: dict[str, dict[str, float]]) -> None:
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    for label, row in expected.items():
        assert table.loc[label, "n_customers"] == row["n_customers"]
        assert table.loc[label, "actual"] == pytest.approx(row["actual"], abs=1e-6)
        assert table.loc[label, "predicted"] == pytest.approx(row["predicted"], abs=1e-6)
        diff = row["predicted"] - row["actual"]
        assert table.loc[label, "difference"] == pytest.approx(diff, abs=1e-6)


def test_cdnow_39_plus_39_weeks_equals_lifetimes(reference: dict[str, Any]) -> None:
    # crmkit's own split of the whole CDNOW cohort (the test-suite checks it against
    # lifetimes' calibration_and_holdout_data), in days; BG/NBD of FHL (2005) in days
    tx = load_cdnow_transactions()
    ch = calibration_and_holdout(
        tx,
        customer_id_col="customer_id",
        datetime_col="date",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="D",
    )
    assert (ch["duration_holdout"] == 273).all()  # 39 weeks
    bg = BetaGeo(**reference["inputs"]["bgnbd_days"])
    result = holdout_by_frequency(bg, ch)
    _assert_table(result.table, reference["holdout_by_frequency"])
    assert result.n_customers == len(ch) == 23_570


def test_precomputed_lifetimes_frame_with_its_column_names(
    reference: dict[str, Any], reference_dir: Path
) -> None:
    frame = pd.read_csv(reference_dir / "lifetimes_cdnow_calhold_D.csv.gz", index_col=0)
    bg = BetaGeo(**reference["inputs"]["bgnbd_days"])
    result = holdout_by_frequency(
        bg, frame, frequency_col="frequency_cal", recency_col="recency_cal", T_col="T_cal"
    )
    _assert_table(result.table, reference["holdout_by_frequency"])
    assert list(frame.columns)[:3] == ["frequency_cal", "recency_cal", "T_cal"]  # not mutated


def test_weeks_and_days_agree_and_fit_result_is_accepted() -> None:
    # alpha is a time scale: the weekly model on weeks equals the daily one on days
    summary = load_cdnow_summary()
    weeks = holdout_by_frequency(BetaGeo(**FHL_WEEKS), summary).table
    fit = BetaGeo.fit(summary)
    fitted = holdout_by_frequency(fit, summary).table
    np.testing.assert_allclose(weeks["predicted"], fitted["predicted"], rtol=1e-3)
    days = summary.assign(
        recency=summary["recency"] * 7, T=summary["T"] * 7, duration_holdout=273.0
    )
    daily = holdout_by_frequency(BetaGeo(**{**FHL_WEEKS, "alpha": 4.4136 * 7}), days).table
    np.testing.assert_allclose(weeks.to_numpy(), daily.to_numpy(), rtol=1e-12)


def test_groups_means_and_recency_bins_by_hand() -> None:
    class Doubling:  # predicts twice the frequency, whatever the horizon
        def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: float) -> Any:
            return 2.0 * summary["frequency"]

    frame = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 3, 9],
            "recency": [0.0, 0.0, 5.0, 20.0, 30.0],
            "T": [30.0] * 5,
            "frequency_holdout": [0, 1, 2, 4, 10],
            "duration_holdout": [10.0, 10.0, 10.0, 10.0, 20.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    result = holdout_by_frequency(Doubling(), frame, max_frequency=3, recency_bins=[0, 10, 30])
    table = result.table
    assert table.index.tolist() == ["0", "1", "3+"]  # the empty group "2" is left out
    assert table["n_customers"].tolist() == [2, 1, 2]
    assert table["actual"].tolist() == [0.5, 2.0, 7.0]
    assert table["predicted"].tolist() == [0.0, 2.0, 12.0]
    assert table["difference"].tolist() == [-0.5, 0.0, 5.0]
    assert result.per_customer["frequency"].tolist() == ["0", "0", "1", "3+", "3+"]
    by = result.by_recency
    assert by is not None
    assert by["n_customers"].tolist() == [2, 1, 2]  # 30 (the last edge) joins the last bin
    assert [str(f) for f, _ in by.index] == ["0", "1", "3+"]
    assert [b.left for _, b in by.index] == [0.0, 0.0, 10.0]
    assert "Calibration vs holdout purchases by frequency" in repr(result)
    assert "<table>" in result._repr_html_()
    assert isinstance(result, HoldoutByFrequency)


def test_bgbb_on_opportunities() -> None:
    # donors of FHS (2010): 6 opportunities of calibration, a 5-year holdout invented here
    # only to exercise the discrete path; BG/BB predictions need whole durations
    d = load_donations()
    frame = d.loc[d.index.repeat(d["weights"])].reset_index(drop=True)
    frame = frame.assign(frequency_holdout=0.0, duration_holdout=5.0)
    m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    result = holdout_by_frequency(m, frame, T_col="n_periods", max_frequency=6)
    assert result.table["n_customers"].sum() == 11_104
    expected = m.conditional_expected_purchases(frame, t=5)
    np.testing.assert_allclose(result.per_customer["predicted"], expected, rtol=1e-14)
    # FHS 2010 Table 3: 12,882 expected transactions by all donors in 1996-2000
    assert round(result.per_customer["predicted"].sum()) == 12_882


def test_bad_input_is_refused_with_the_reason() -> None:
    summary = load_cdnow_summary()
    bg = BetaGeo(**FHL_WEEKS)
    with pytest.raises(MissingColumnsError, match="frequency_cal"):
        holdout_by_frequency(bg, summary, frequency_col="frequency_cal")
    with pytest.raises(InvalidValueError, match="whole numbers"):
        holdout_by_frequency(bg, summary.assign(frequency=summary["frequency"] + 0.5))
    with pytest.raises(InvalidValueError, match="max_frequency"):
        holdout_by_frequency(bg, summary, max_frequency=0)
    with pytest.raises(InvalidValueError, match="recency_bins"):
        holdout_by_frequency(bg, summary, recency_bins=[0, 10])
    with pytest.raises(InvalidValueError, match="increasing"):
        holdout_by_frequency(bg, summary, recency_bins=[10, 0])
    with pytest.raises(InvalidValueError, match="conditional_expected_purchases"):
        holdout_by_frequency(object(), summary)
    with pytest.raises(InvalidValueError):
        holdout_by_frequency(bg, summary.assign(duration_holdout=-1.0))
