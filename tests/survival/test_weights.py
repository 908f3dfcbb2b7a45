"""Frequency weights: a row with weight k is k customers with that history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.survival import kaplan_meier, life_table


def test_aggregated_telco_equals_lifelines(
    telco: pd.DataFrame, telco_lifelines: dict[str, Any]
) -> None:
    # one row per (contract, tenure, churned) with its customer count: 7,043 -> 374 rows
    counts = telco.groupby(["Contract", "tenure", "churned"]).size().rename("n").reset_index()
    assert len(counts) == 374
    km = kaplan_meier(counts, weights_col="n", group_col="Contract")
    assert km.n_customers == len(telco)
    tol = telco_lifelines["tolerance"]["survival_abs"]
    for contract in km.groups:
        ref = telco_lifelines["fits"][contract]
        table = km.table.loc[contract]
        np.testing.assert_array_equal(table.index.to_numpy(), ref["time"])
        np.testing.assert_array_equal(table["at_risk"].to_numpy(), ref["at_risk"])
        np.testing.assert_allclose(table["survival"], ref["survival"], rtol=0, atol=tol)
        np.testing.assert_allclose(table["lower"], ref["lower"], rtol=0, atol=tol)
        np.testing.assert_allclose(table["upper"], ref["upper"], rtol=0, atol=tol)


@st.composite
def _weighted(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 15))
    tenure = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    return pd.DataFrame(
        {
            "tenure": tenure,
            "churned": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "entry": np.floor(tenure * np.array(draw(st.lists(st.sampled_from([0.0, 0.5]),
                                                              min_size=n, max_size=n)))),
            "g": draw(st.lists(st.sampled_from("ab"), min_size=n, max_size=n)),
            "w": draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
        }
    )  # fmt: skip


def _late_instant(df: pd.DataFrame) -> bool:
    first = df.groupby("g")["entry"].transform("min")
    return bool(((df["entry"] == df["tenure"]) & df["churned"] & (df["entry"] > first)).any())


@settings(max_examples=60, deadline=None)
@given(df=_weighted(), entry=st.booleans())
def test_weights_equal_repeated_rows(df: pd.DataFrame, entry: bool) -> None:
    if df["w"].sum() == 0 or (entry and _late_instant(df)):
        return
    repeated = df.loc[df.index.repeat(df["w"])]
    kwargs: dict[str, Any] = {"group_col": "g", "entry_col": "entry" if entry else None}
    weighted = kaplan_meier(df, weights_col="w", **kwargs).table
    plain = kaplan_meier(repeated, **kwargs).table
    pd.testing.assert_frame_equal(weighted, plain, check_dtype=False, rtol=1e-12, atol=1e-12)
    if not entry:
        lt_weighted = life_table(df, weights_col="w", group_col="g").table
        lt_plain = life_table(repeated, group_col="g").table
        pd.testing.assert_frame_equal(lt_weighted, lt_plain, check_dtype=False, rtol=1e-12)


@pytest.mark.parametrize(
    ("weights", "match"),
    [([1.0, -1.0], ">= 0"), ([1.0, np.nan], "missing"), ([0, 0], "sum to 0"),
     (["1", "2"], "numeric"), ([1e308, 1e308], "sum to inf")],
)  # fmt: skip
def test_bad_weights(weights: list[Any], match: str) -> None:
    df = pd.DataFrame({"tenure": [1.0, 2.0], "churned": [True, False], "w": weights})
    with pytest.raises(InvalidValueError, match=match):
        kaplan_meier(df, weights_col="w")
    with pytest.raises(InvalidValueError, match=match):
        life_table(df, weights_col="w")
