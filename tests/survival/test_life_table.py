"""Life tables: a direct pandas computation, the Kaplan-Meier equivalence, a published
cohort and the actuarial adjustment by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.survival import kaplan_meier, life_table


def _by_pandas(df: pd.DataFrame, edges: list[float], *, half: bool) -> pd.DataFrame:
    """The textbook life table written out with pandas (one row per period)."""
    period = pd.cut(df["tenure"], edges, right=False, labels=edges[:-1])
    counts = df.groupby(period, observed=False)["churned"].agg(["size", "sum"])
    leaving = counts["size"].to_numpy(dtype=float)
    churned = counts["sum"].to_numpy(dtype=float)
    at_risk = len(df) - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    exposed = at_risk - (leaving - churned) / 2 if half else at_risk
    hazard = churned / exposed
    keep = at_risk > 0
    return pd.DataFrame(
        {"at_risk": at_risk, "churned": churned, "hazard": hazard,
         "survival": np.cumprod(1 - hazard)},
        index=pd.Index(np.asarray(edges[:-1], dtype=float), name="start"),
    )[keep]  # fmt: skip


@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize(
    "edges", [list(range(74)), [0, 6, 12, 24, 48, 73], [0, 12, 24, 36, 48, 60, 72, 84]]
)
def test_telco_equals_a_pandas_groupby(
    telco: pd.DataFrame, edges: list[float], half: bool
) -> None:
    breaks = 1.0 if len(edges) == 74 else edges
    got = life_table(telco, breaks=breaks, censoring="half" if half else "end").table
    want = _by_pandas(telco, edges, half=half)
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    np.testing.assert_array_equal(got["at_risk"].to_numpy(), want["at_risk"].to_numpy())
    np.testing.assert_array_equal(got["churned"].to_numpy(), want["churned"].to_numpy())
    np.testing.assert_allclose(got["hazard"], want["hazard"], rtol=1e-14)
    np.testing.assert_allclose(got["survival"], want["survival"], rtol=1e-12)
    np.testing.assert_allclose(got["retention"], 1 - want["hazard"], rtol=1e-14)


def test_monthly_table_is_kaplan_meier_by_contract(telco: pd.DataFrame) -> None:
    lt = life_table(telco, group_col="Contract")
    km = kaplan_meier(telco, group_col="Contract")
    for contract in lt.groups:
        table = lt.table.loc[contract]
        at_start = km.table.loc[contract].reindex(table.index)
        for column in ("at_risk", "churned", "censored"):
            np.testing.assert_array_equal(table[column], at_start[column])
        np.testing.assert_allclose(table["survival"], at_start["survival"], rtol=0, atol=1e-15)
        np.testing.assert_allclose(table["std_error"], at_start["std_error"], rtol=0, atol=1e-15)
        np.testing.assert_allclose(table["lower"], at_start["lower"], rtol=0, atol=1e-15)


def test_fader_hardie_cohorts(reference_dir: Path) -> None:
    # FH (2007): 1,000 customers per cohort, survivors at years 0..12; churns between
    # consecutive counts, the survivors of year 12 censored then
    ref: dict[str, Any] = json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())
    for name in ("regular", "high_end"):
        alive = np.array(ref["inputs"][name])
        tenure = np.repeat(np.arange(1, 13), -np.diff(alive))
        df = pd.DataFrame(
            {
                "tenure": np.concatenate([tenure, np.full(alive[-1], 12)]),
                "churned": np.r_[np.ones(len(tenure), bool), np.zeros(alive[-1], bool)],
            }
        )
        table = life_table(df).table
        np.testing.assert_allclose(table["survival"].to_numpy()[1:], alive[1:] / 1000)
        np.testing.assert_allclose(table["retention"].to_numpy()[1:], alive[1:] / alive[:-1])
        np.testing.assert_array_equal(table["at_risk"].to_numpy()[1:], alive[:-1])


def test_actuarial_adjustment_by_hand() -> None:
    # one period [0, 10): 10 at risk, 2 churn, 4 censored -> exposed 8, hazard 1/4
    df = pd.DataFrame({"tenure": [1, 2, 3, 4, 5, 6, 12, 12, 12, 12],
                       "churned": [1, 1, 0, 0, 0, 0, 1, 0, 0, 0]})  # fmt: skip
    table = life_table(df, breaks=[0, 10, 20], censoring="half").table
    first = table.loc[0.0]
    assert (first["exposed"], first["hazard"], first["survival"]) == (8.0, 0.25, 0.75)
    assert first["std_error"] == pytest.approx(0.75 * np.sqrt(2 / (8 * 6)), rel=1e-14)
    second = table.loc[10.0]
    assert (second["at_risk"], second["exposed"], second["hazard"]) == (4, 2.5, 0.4)
    end = life_table(df, breaks=[0, 10, 20]).table
    assert end.loc[0.0, "hazard"] == 0.2
    assert "actuarial" in repr(life_table(df, breaks=10, censoring="half"))


def test_late_entrants_count_from_the_next_period() -> None:
    df = pd.DataFrame({"tenure": [1, 3, 3, 4], "churned": [1, 1, 0, 1], "entry": [0, 2, 3, 3]})
    table = life_table(df, entry_col="entry").table
    # customer 1 from period 0; customer 2 (entry 2) from period 3; customer 3 (entry 3,
    # tenure 3) is observed for no time; customer 4 (entry 3) from period 4; nobody is
    # at risk in period 2
    np.testing.assert_array_equal(table.index.to_numpy(), [0.0, 1.0, 3.0, 4.0])
    np.testing.assert_array_equal(table["at_risk"].to_numpy(), [1, 1, 1, 1])
    np.testing.assert_array_equal(table["churned"].to_numpy(), [0, 1, 1, 1])
    with pytest.raises(InvalidValueError, match="inside a period"):
        life_table(df.assign(entry=[0, 2.5, 3, 3]), entry_col="entry")
    with pytest.raises(InvalidValueError, match="leave before the next period"):
        life_table(df.assign(tenure=[1, 3, 3.5, 4]), entry_col="entry", breaks=[0, 1, 2, 3, 5])


def test_monthly_left_truncated_table_is_kaplan_meier(telco: pd.DataFrame) -> None:
    lt = life_table(telco, entry_col="entry").table
    km = kaplan_meier(telco, entry_col="entry").table.reindex(lt.index)
    for column in ("at_risk", "churned"):
        np.testing.assert_array_equal(lt[column], km[column])
    np.testing.assert_allclose(lt["survival"], km["survival"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(lt["std_error"], km["std_error"], rtol=0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 8), st.booleans()), min_size=1, max_size=30
    )
)
def test_whole_periods_with_entry_equal_kaplan_meier(rows: list[tuple[int, int, bool]]) -> None:
    df = pd.DataFrame(
        [(max(a, b), min(a, b), c) for a, b, c in rows], columns=["tenure", "entry", "churned"]
    )
    late = (df["entry"] == df["tenure"]) & df["churned"] & (df["entry"] > df["entry"].min())
    if late.any():
        with pytest.raises(InvalidValueError, match="instant they enter"):
            kaplan_meier(df, entry_col="entry")
        return
    lt = life_table(df, entry_col="entry").table
    km = kaplan_meier(df, entry_col="entry")
    both = lt.index.intersection(km.table.index)  # the KM table has event and entry times
    np.testing.assert_array_equal(lt.loc[both, "at_risk"], km.table.loc[both, "at_risk"])
    np.testing.assert_array_equal(lt.loc[both, "churned"], km.table.loc[both, "churned"])
    assert lt["churned"].sum() == km.table["churned"].sum()
    np.testing.assert_allclose(lt["survival"], km.survival_at(lt.index), rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("breaks", "match"),
    [(0, "breaks"), ([0, 5], "do not cover"), ([1, 10], "do not cover"),
     ([0, 5, 5, 9], "increasing"), (1e-9, "wider period")],
)  # fmt: skip
def test_bad_breaks(breaks: Any, match: str) -> None:
    df = pd.DataFrame({"tenure": [0.0, 3.0, 8.0], "churned": [True, False, True]})
    with pytest.raises(InvalidValueError, match=match):
        life_table(df, breaks=breaks)


def test_bad_censoring_option() -> None:
    df = pd.DataFrame({"tenure": [1.0], "churned": [True]})
    with pytest.raises(InvalidValueError, match="censoring"):
        life_table(df, censoring="actuarial")  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    tenure=st.lists(st.integers(0, 8), min_size=1, max_size=40),
    data=st.data(),
)
def test_whole_periods_equal_kaplan_meier(tenure: list[int], data: st.DataObject) -> None:
    churned = data.draw(st.lists(st.booleans(), min_size=len(tenure), max_size=len(tenure)))
    df = pd.DataFrame({"tenure": tenure, "churned": churned})
    lt = life_table(df).table
    km = kaplan_meier(df)
    np.testing.assert_allclose(
        lt["survival"].to_numpy(), km.survival_at(lt.index.to_numpy()), rtol=0, atol=1e-15
    )
    assert ((lt["hazard"] >= 0) & (lt["hazard"] <= 1)).all()
    assert lt["at_risk"].is_monotonic_decreasing


@settings(max_examples=60, deadline=None)
@given(
    width=st.sampled_from([0.1, 0.3, 1.0, 2.5, 7.0]),
    steps=st.lists(st.integers(0, 40), min_size=1, max_size=30),
    jitter=st.sampled_from([0.0, 1e-12, -1e-12]),
)
def test_a_width_cuts_like_its_boundaries(width: float, steps: list[int], jitter: float) -> None:
    # tenures on or next to the boundaries k * width, where division rounds either way
    tenure = np.maximum(np.array(steps) * width + jitter, 0.0)
    df = pd.DataFrame({"tenure": tenure, "churned": np.arange(len(steps)) % 2 == 0})
    by_width = life_table(df, breaks=width).table
    edges = np.arange(int(tenure.max() // width) + 3) * width
    by_edges = life_table(df, breaks=edges).table
    pd.testing.assert_frame_equal(by_width, by_edges)
