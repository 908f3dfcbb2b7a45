"""probability_alive_history: each grid value is the model's P(alive) of rfm_summary at
that date; the BG/NBD and Pareto/NBD paths behave as their formulas say; lifetimes'
calculate_alive_path agrees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import rfm_summary
from crmkit.clv import (
    AliveHistory,
    BetaGeo,
    BetaGeoBetaBinom,
    ModifiedBetaGeo,
    ParetoNBD,
    probability_alive_history,
)
from crmkit.datasets import load_cdnow_summary, load_cdnow_transactions
from crmkit.exceptions import InvalidValueError, MissingColumnsError

BG = BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259, time_unit="W")  # FHL 2005
PNBD = ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")  # FHL 2005
MBG = ModifiedBetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259, time_unit="W")
BGBB = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783, time_unit="M")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow_transactions(sample=True)


@pytest.mark.parametrize("model", [BG, PNBD, MBG], ids=["bgnbd", "pareto", "mbgnbd"])
@pytest.mark.parametrize(("period", "grid"), [("D", "D"), ("D", "W"), ("W", "W")])
def test_each_grid_value_is_probability_alive_of_rfm_summary(
    sample: pd.DataFrame, model: Any, period: str, grid: str
) -> None:
    rows = sample.loc[sample["customer_id"] == 773]  # 8 purchase days, 2 with two rows
    history = probability_alive_history(
        model,
        rows,
        datetime_col="date",
        observation_end="1998-06-30",
        grid=grid,
        period=period,
    )
    table = history.table
    assert table.index[0] == pd.Timestamp("1997-01-04")
    for day in table.index[:: max(1, len(table) // 25)].append(table.index[-1:]):
        summary = rfm_summary(
            rows,
            customer_id_col="customer_id",
            datetime_col="date",
            observation_end=day,
            time_unit="W",
            period=period,
            after_observation_end="exclude",
        )
        expected = model.probability_alive(summary).iloc[0]
        got = table.loc[day]
        assert got["frequency"] == summary["frequency"].iloc[0]
        assert got["recency"] == pytest.approx(summary["recency"].iloc[0], abs=1e-12)
        assert got["T"] == pytest.approx(summary["T"].iloc[0], abs=1e-12)
        assert got["probability_alive"] == pytest.approx(expected, abs=1e-14)


def test_bgbb_value_is_probability_alive_of_the_opportunity_summary() -> None:
    dates = pd.to_datetime(["2020-01-15", "2020-03-02", "2020-03-20", "2020-07-01"])
    history = probability_alive_history(BGBB, dates, grid="M", observation_end="2021-01-31")
    table = history.table
    assert list(table.columns) == ["frequency", "recency", "n_periods", "probability_alive"]
    # the birth month: nothing observed, the prior P(alive at opportunity 1)
    assert table["probability_alive"].iloc[0] == pytest.approx(2.783 / (0.657 + 2.783))
    for day in table.index[1:]:
        summary = rfm_summary(
            pd.DataFrame({"customer_id": 1, "datetime": dates}),
            observation_end=day,
            time_unit="M",
            after_observation_end="exclude",
        ).rename(columns={"T": "n_periods"})
        expected = BGBB.probability_alive(summary).iloc[0]
        assert table.loc[day, "probability_alive"] == pytest.approx(expected, abs=1e-14)
        assert table.loc[day, "n_periods"] == summary["n_periods"].iloc[0]
    assert table.loc["2020-04-15", "frequency"] == 1.0  # two purchases in March: one period


def test_bgnbd_jumps_and_decays_as_its_formula_says() -> None:
    # FHL (2005) eq. 13: x = 0 gives 1; a purchase (t_x = T) gives (b + x - 1)/(a + b + x - 1)
    dates = pd.to_datetime(["2024-01-01", "2024-02-05", "2024-03-04", "2024-03-25"])
    history = probability_alive_history(BG, dates, period="D", observation_end="2024-09-30")
    p = history.probability_alive
    a, b = BG.a, BG.b
    assert (p[:"2024-02-04"] == 1.0).all()
    assert p["2024-02-05"] == pytest.approx(b / (a + b), abs=1e-14)  # the first repeat: a drop
    assert p["2024-03-04"] == pytest.approx((b + 1) / (a + b + 1), abs=1e-14)
    assert p["2024-03-25"] == pytest.approx((b + 2) / (a + b + 2), abs=1e-14)
    assert p["2024-03-04"] > p["2024-03-03"]  # later purchases lift it
    assert p["2024-03-25"] > p["2024-03-24"]
    between = p["2024-02-05":"2024-03-03"].to_numpy()
    assert np.all(np.diff(between) < 0)  # decays between purchases
    assert np.all(np.diff(p["2024-03-25":].to_numpy()) < 0)


def test_pareto_nbd_is_one_at_each_purchase() -> None:
    dates = pd.to_datetime(["2024-01-01", "2024-02-05", "2024-03-04"])
    p = probability_alive_history(PNBD, dates, observation_end="2024-06-30", period="D")
    alive = p.probability_alive
    assert alive["2024-01-01"] == 1.0
    assert alive["2024-02-05"] == pytest.approx(1.0, abs=1e-12)
    assert alive["2024-03-04"] == pytest.approx(1.0, abs=1e-12)
    assert alive["2024-03-05"] < 1.0


def test_equals_lifetimes_calculate_alive_path(reference_dir: Path, sample: pd.DataFrame) -> None:
    ref = json.loads((reference_dir / "clv_holdout_lifetimes.json").read_text())
    assert ref["tolerance"]["alive_path"] == "abs 1e-9"
    customer = ref["inputs"]["alive_customer"]
    daily = BetaGeo(**ref["inputs"]["bgnbd_days"], time_unit="D")
    rows = sample.loc[sample["customer_id"] == customer]
    history = probability_alive_history(
        daily, rows, datetime_col="date", observation_end="1998-06-30"
    )
    assert str(history.table.index[0].date()) == ref["alive_path_start"]
    np.testing.assert_allclose(
        history.probability_alive.to_numpy(), ref["alive_path"], rtol=0, atol=1e-9
    )
    # the same path in weeks (days / 7, the FHL weekly parameters): the same numbers
    weekly = probability_alive_history(
        BG, rows, datetime_col="date", observation_end="1998-06-30", period="D"
    )
    np.testing.assert_allclose(weekly.probability_alive, ref["alive_path"], atol=1e-9)


@given(
    gaps=st.lists(st.integers(0, 60), min_size=1, max_size=8),
    tail=st.integers(0, 200),
)
def test_last_value_is_today_s_probability_alive(gaps: list[int], tail: int) -> None:
    days = pd.Timestamp("2023-03-01") + pd.to_timedelta(np.cumsum([0, *gaps]), unit="D")
    end = days.max() + pd.Timedelta(days=tail)
    history = probability_alive_history(BG, days, period="D", observation_end=end)
    summary = rfm_summary(
        pd.DataFrame({"customer_id": 7, "datetime": days}),
        observation_end=end,
        time_unit="W",
        period="D",
    )
    last = history.probability_alive.iloc[-1]
    assert last == pytest.approx(BG.probability_alive(summary).iloc[0], abs=1e-14)
    assert len(history.table) == (end - days.min()).days + 1
    assert ((history.probability_alive >= 0) & (history.probability_alive <= 1)).all()


def test_inputs_a_pandas_user_passes() -> None:
    dates = pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-11"])
    log = pd.DataFrame({"customer_id": [5, 5, 6, 5], "datetime": dates.append(dates[:1])})
    log = log.iloc[[0, 1, 3, 2]]  # customer 6 in between; customer 5 twice on 1 January
    frame = log.loc[log["customer_id"] == 5]
    picked = probability_alive_history(BG, log, customer_id=5, observation_end="2024-03-31")
    forms = [
        probability_alive_history(BG, frame, observation_end="2024-03-31"),
        probability_alive_history(BG, frame[["datetime"]], observation_end="2024-03-31"),
        probability_alive_history(BG, frame["datetime"], observation_end="2024-03-31"),
        probability_alive_history(
            BG, pd.DatetimeIndex(frame["datetime"]), observation_end="2024-03-31"
        ),
        probability_alive_history(BG, list(frame["datetime"]), observation_end="2024-03-31"),
        probability_alive_history(
            BG, frame["datetime"].to_numpy()[::-1], observation_end="2024-03-31"
        ),
    ]
    for other in forms:
        pd.testing.assert_frame_equal(other.table, picked.table)
    assert picked.customer_id == 5
    assert forms[0].customer_id == 5
    assert forms[2].customer_id is None
    assert isinstance(picked, AliveHistory)
    assert "P(alive) history of customer 5 under BetaGeo" in repr(picked)
    assert picked.purchases.tolist() == list(dates[:2])  # distinct purchase times
    assert log.index.tolist() == [0, 1, 3, 2]  # input not mutated


def test_explicit_grid_dates_and_time_zones() -> None:
    dates = pd.to_datetime(["2024-01-01 10:00", "2024-01-20 23:30"]).tz_localize("Europe/Berlin")
    grid = ["2024-03-01", "2024-01-20", "2024-01-01"]
    history = probability_alive_history(BG, dates, grid=grid, period="D")
    assert history.table.index.tz is not None
    assert [d.date().isoformat() for d in history.table.index] == [
        "2024-03-01",
        "2024-01-20",
        "2024-01-01",
    ]
    assert history.table["frequency"].tolist() == [1.0, 1.0, 0.0]
    daily = probability_alive_history(BG, dates, period="D", observation_end="2024-03-01")
    assert history.probability_alive.iloc[0] == daily.probability_alive.iloc[-1]


def test_fit_result_and_a_model_without_a_unit(sample: pd.DataFrame) -> None:
    rows = sample.loc[sample["customer_id"] == 773]
    fit = BetaGeo.fit(load_cdnow_summary())  # its summary records weeks
    from_fit = probability_alive_history(fit, rows, datetime_col="date", period="D")
    assert from_fit.time_unit == "W"
    bare = BetaGeo(**fit.params)
    with pytest.raises(InvalidValueError, match="time_unit='W'"):
        probability_alive_history(bare, rows, datetime_col="date")
    same = probability_alive_history(bare, rows, datetime_col="date", time_unit="W", period="D")
    pd.testing.assert_frame_equal(same.table, from_fit.table)
    with pytest.raises(InvalidValueError, match="contradicts"):
        probability_alive_history(fit, rows, datetime_col="date", time_unit="D")


def test_bad_input_is_refused_with_the_reason() -> None:
    dates = pd.to_datetime(["2024-01-01", "2024-02-01"])
    log = pd.DataFrame({"customer_id": [1, 2], "datetime": dates})
    with pytest.raises(InvalidValueError, match="customer_id="):
        probability_alive_history(BG, log)
    with pytest.raises(InvalidValueError, match="no row"):
        probability_alive_history(BG, log, customer_id=3)
    with pytest.raises(MissingColumnsError, match="date"):
        probability_alive_history(BG, log, datetime_col="date")
    with pytest.raises(InvalidValueError, match="after the observation end"):
        probability_alive_history(BG, dates, observation_end="2024-01-15")
    cut = probability_alive_history(
        BG, dates, observation_end="2024-01-15", after_observation_end="exclude"
    )
    assert len(cut.purchases) == 1
    with pytest.raises(InvalidValueError, match="before the customer's first purchase"):
        probability_alive_history(BG, dates, grid=["2023-12-31", "2024-01-05"])
    with pytest.raises(InvalidValueError, match="before the customer's first purchase"):
        probability_alive_history(BG, dates, observation_end="2023-12-01")
    with pytest.raises(InvalidValueError, match="grid"):
        probability_alive_history(BG, dates, grid="2D")
    with pytest.raises(InvalidValueError, match="observation_end"):
        probability_alive_history(BG, dates, grid=["2024-03-01"], observation_end="2024-03-01")
    with pytest.raises(InvalidValueError, match="more than"):
        probability_alive_history(BG, dates, observation_end="2200-01-01")
    with pytest.raises(InvalidValueError, match="probability_alive"):
        probability_alive_history(object(), dates)
    with pytest.raises(InvalidValueError, match="period"):
        probability_alive_history(BGBB, dates, period="D")
    with pytest.raises(InvalidValueError):
        probability_alive_history(BG, ["2024-01-01", "2024-02-01"])  # text, not datetimes
