"""Dates outside the nanosecond range: refused with InvalidValueError, never wrapped around.

pandas 3 parses dates outside 1677-2262 as ``datetime64[us]`` (or coarser), and pandas 2
holds them at an explicit coarser unit (``datetime64[us]`` arrays); a cast to
nanoseconds overflows silently. crmkit supports 1678-01-01 to 2261-12-31 (the whole
calendar years inside the nanosecond range) and refuses anything else with an error that
names the value and the range. Dates inside the range work at any resolution.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit as ck
from crmkit import lifecycle, metrics, timeunits
from crmkit.exceptions import InvalidValueError

RANGE = "1678-01-01 to 2261-12-31"
OUTSIDE = ["2999-12-31", "1600-01-01", "2262-02-01", "1677-12-31"]


def _log(bad: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            # an explicit unit: pandas 2 parses text only into nanoseconds
            "datetime": np.array(["2024-01-01", bad, "2024-02-01"], dtype="datetime64[us]"),
            "amount": [1.0, 2.0, 3.0],
        }
    )


def _refused(match: str) -> pytest.RaisesContext[InvalidValueError]:
    return pytest.raises(InvalidValueError, match=match)


@pytest.mark.parametrize("bad", OUTSIDE)
def test_rfm_summary_refuses_dates_outside_range(bad: str) -> None:
    # issue case: a row dated 2999-12-31 gave recency 70532 and a first purchase in 1830
    tx = _log(bad)
    with _refused(f"column 'datetime'.*{RANGE}.*{bad}"):
        ck.rfm_summary(
            tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )


def test_rfm_summary_dask_refuses_dates_outside_range() -> None:
    dd = pytest.importorskip("dask.dataframe")
    tx = dd.from_pandas(_log("2999-12-31"), npartitions=2)
    with _refused(RANGE):
        ck.rfm_summary(
            tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        ).compute()


@pytest.mark.parametrize("end", ["3000-01-01", "1500-06-01", "2262-01-01"])
def test_observation_end_outside_range(end: str) -> None:
    # issue case: observation_period_end="3000-01-01" raised pandas' OutOfBoundsDatetime
    tx = _log("2024-03-01")
    with _refused(f"observation_end.*{RANGE}"):
        ck.rfm_summary(
            tx, customer_id_col="customer_id", datetime_col="datetime", observation_end=end
        )


@pytest.mark.parametrize("end", [20240101, 1.5, True, b"2024-01-01"])
def test_observation_end_number_is_not_a_date(end: object) -> None:
    tx = _log("2024-03-01")
    with _refused("observation_end"):
        ck.rfm_summary(
            tx, customer_id_col="customer_id", datetime_col="datetime", observation_end=end
        )


def test_calibration_end_outside_range() -> None:
    tx = _log("2024-03-01")
    with _refused(f"calibration_end.*{RANGE}"):
        ck.calibration_and_holdout(tx, calibration_end="2999-01-01")


def test_elapsed_refuses_dates_outside_range() -> None:
    # issue case: 2024 -> 2300 in "Y" gave -308.55
    with _refused(f"end.*{RANGE}.*2300-01-01"):
        timeunits.elapsed(pd.Timestamp("2024-01-01"), pd.Timestamp("2300-01-01"), "Y")
    with _refused(f"start.*{RANGE}"):
        timeunits.elapsed("1500-01-01", "2024-01-01", "D")


def test_add_refuses_results_outside_range() -> None:
    # issue case: add(2024-01-31, 10**6, "M") gave a date in 1766
    with _refused(f"{RANGE}.*smaller n"):
        timeunits.add(pd.Timestamp("2024-01-31"), 10**6, "M")
    with _refused(RANGE):
        timeunits.add(pd.Timestamp("2261-12-01"), 1, "M")
    with _refused(RANGE):
        timeunits.add(pd.Timestamp("1678-01-05"), -1, "W")
    with _refused(RANGE):
        timeunits.add(pd.Timestamp("2024-01-01"), 10**30, "D")


def test_add_and_elapsed_next_to_the_upper_bound() -> None:
    # independent reference: Python's datetime arithmetic
    assert timeunits.add(pd.Timestamp("2261-11-30"), 1, "M") == pd.Timestamp("2261-12-30")
    got = timeunits.elapsed(pd.Timestamp("2000-06-15"), pd.Timestamp("2261-12-31"), "Y")
    anchor, nxt = dt.date(2261, 6, 15), dt.date(2262, 6, 15)  # the next anniversary lies
    want = 261 + (dt.date(2261, 12, 31) - anchor).days / (nxt - anchor).days  # past 2262-04
    assert got == pytest.approx(want, rel=1e-15)
    got_m = timeunits.elapsed(pd.Timestamp("2261-10-31"), pd.Timestamp("2261-12-31 12:00"), "Q")
    # anchor 2261-10-31, next quarter 2262-01-31: 61.5 of 92 days
    assert got_m == pytest.approx(61.5 / 92, rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    st.dates(dt.date(1678, 1, 1), dt.date(2261, 12, 31)),
    st.dates(dt.date(1678, 1, 1), dt.date(2261, 12, 31)),
    st.sampled_from(["D", "W", "M", "Q", "Y"]),
)
def test_elapsed_anywhere_in_range_matches_whole_steps(a: dt.date, b: dt.date, unit: str) -> None:
    """k whole steps from a lie at or before b, k + 1 after (the definition of elapsed)."""
    got = timeunits.elapsed(pd.Timestamp(a), pd.Timestamp(b), unit)
    assert np.isfinite(got)
    assert (got >= 0) == (b >= a)
    k = int(np.floor(got))
    start = pd.Timestamp(a)
    try:
        lo = timeunits.add(start, k, unit)
    except InvalidValueError:
        return  # the anchor itself leaves the range (only for negative durations)
    assert lo <= pd.Timestamp(b)


def test_elapsed_across_more_than_292_years() -> None:
    """int64 nanoseconds hold +-292 years; a difference across the range must not wrap."""
    # reference: Python's date arithmetic
    days = (dt.date(1700, 1, 1) - dt.date(2200, 1, 1)).days
    got = timeunits.elapsed(pd.Timestamp("2200-01-01"), pd.Timestamp("1700-01-01"), "D")
    assert got == days
    assert timeunits.elapsed("1700-01-01", "2200-01-01 12:00", "W") == pytest.approx(
        (-days + 0.5) / 7, rel=1e-15
    )
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "datetime": pd.to_datetime(["1700-01-01", "2200-01-01"]),
            "amount": [1.0, 1.0],
        }
    )
    s = ck.rfm_summary(
        tx,
        customer_id_col="customer_id",
        datetime_col="datetime",
        amount_col="amount",
        time_unit="D",
    )
    assert s.loc[1, "recency"] == -days
    assert s.loc[1, "T"] == -days


def test_coarse_resolution_inside_range_matches_nanoseconds() -> None:
    """A datetime64[s] log in range gives the same summary as the same log in ns."""
    tx = _log("2024-03-01")
    tx["datetime"] = tx["datetime"].astype("datetime64[ns]")
    ns = ck.rfm_summary(
        tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
    )
    for unit in ("s", "ms", "us"):
        coarse = tx.assign(datetime=tx["datetime"].astype(f"datetime64[{unit}]"))
        pd.testing.assert_frame_equal(
            ck.rfm_summary(
                coarse, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
            ),
            ns,
        )


def test_period_totals_refuses_dates_outside_range() -> None:
    # issue case: metrics.period_totals returned periods in 1715
    s = _log("2999-12-31").set_index("datetime")["amount"]
    with _refused(f"index of values.*{RANGE}"):
        metrics.period_totals(s)
    with _refused(RANGE):
        metrics.year_over_year(s)


def test_period_totals_observation_end_outside_range() -> None:
    s = _log("2024-03-01").set_index("datetime")["amount"]
    with _refused(f"observation_end.*{RANGE}"):
        metrics.period_totals(s, observation_end="2300-01-01")


def test_metrics_frames_refuse_dates_outside_range() -> None:
    tx = _log("2999-12-31")
    with _refused(RANGE):
        metrics.retention_by_period(tx)
    with _refused(RANGE):
        metrics.repeat_purchase_rate(tx, start="2024-01-01", end="2025-01-01")
    with _refused(f"end.*{RANGE}"):
        metrics.repeat_purchase_rate(_log("2024-03-01"), start="2024-01-01", end="2999-01-01")


def test_lifecycle_refuses_dates_outside_range() -> None:
    tx = _log("2999-12-31")
    with _refused(RANGE):
        lifecycle.cohort_retention(tx)
    with _refused(RANGE):
        lifecycle.assign_stages(tx, as_of="2024-06-01", amount_col="amount")
    with _refused(f"as_of.*{RANGE}"):
        lifecycle.assign_stages(_log("2024-03-01"), as_of="2999-01-01", amount_col="amount")
    with _refused(RANGE):
        lifecycle.profit_by_tenure(tx, acquisition_cost=1.0, amount_col="amount", margin=0.5)


def test_purchase_occasions_refuses_dates_outside_range() -> None:
    tx = _log("2999-12-31")
    with _refused(RANGE):
        ck.purchase_occasions(
            tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )


def test_tz_aware_dates_outside_range() -> None:
    tx = _log("2999-12-31")
    tx["datetime"] = tx["datetime"].dt.tz_localize("Asia/Tehran")
    with _refused(RANGE):
        ck.rfm_summary(
            tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )


def test_add_into_a_repeated_dst_hour_takes_the_first_occurrence() -> None:
    """Was a plain ValueError from tz_localize(ambiguous="raise")."""
    from zoneinfo import ZoneInfo

    got = timeunits.add(pd.Timestamp("2024-10-26 02:30", tz="Europe/Berlin"), 1, "D")
    # reference: PEP 495 fold=0 is the first occurrence of a repeated wall time
    want = dt.datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"), fold=0)
    assert got == pd.Timestamp(want)
    assert got.utcoffset() == dt.timedelta(hours=2)
    skipped = timeunits.add(pd.Timestamp("2024-03-30 02:30", tz="Europe/Berlin"), 1, "D")
    assert skipped == pd.Timestamp("2024-03-31 03:00", tz="Europe/Berlin")


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-01", "2999-12-31"],
        pd.Series(["2024-01-01", "1402-10-25"], dtype=object),
        [dt.date(2024, 1, 1), dt.date(1600, 1, 1)],
        ["2024-01-01T00:00:00+03:30", "2999-12-31T00:00:00+03:30"],
    ],
)
def test_text_outside_range_is_refused_alike_on_pandas_2_and_3(values: object) -> None:
    # pandas 3 parses these at a coarser unit, pandas 2 raises OutOfBoundsDatetime: the
    # parse plus the range check give the same error on both
    from crmkit._dates import check_date_range, to_datetime

    with _refused(f"column 'on' has date.*{RANGE}.*(2999|1402|1600)"):
        check_date_range(to_datetime(values, name="column 'on'"), name="column 'on'")
