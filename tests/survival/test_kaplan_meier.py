"""Kaplan-Meier: equal to lifelines on Telco and on generated data, to a textbook table,
and loud on bad input."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError, InvariantError, MissingColumnsError
from crmkit.survival import KaplanMeier, kaplan_meier

# Freireich et al. (1963) 6-MP arm as tabulated by Gehan (1965), months in remission,
# "+" = censored; the product-limit table with Greenwood standard errors is printed in
# Klein & Moeschberger (2003), Survival Analysis, 2nd ed., Table 4.1A, and Kleinbaum &
# Klein (2012), Survival Analysis: A Self-Learning Text, 3rd ed., ch. 2 (3 decimals).
SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [True] * 9 + [False] * 12
SIX_MP_TABLE = {  # time: (at risk, deaths, S(t), Greenwood standard error)
    6: (21, 3, 0.857, 0.0764),
    7: (17, 1, 0.807, 0.0869),
    10: (15, 1, 0.753, 0.0963),
    13: (12, 1, 0.690, 0.1068),
    16: (11, 1, 0.627, 0.1141),
    22: (7, 1, 0.538, 0.1282),
    23: (6, 1, 0.448, 0.1346),
}


def _check_fit(table: pd.DataFrame, ref: dict[str, Any], tolerance: dict[str, Any]) -> None:
    np.testing.assert_array_equal(table.index.to_numpy(dtype=float), ref["time"])
    np.testing.assert_array_equal(table["at_risk"].to_numpy(), ref["at_risk"])
    np.testing.assert_array_equal(table["churned"].to_numpy(), ref["churned"])
    tol = tolerance["survival_abs"]
    np.testing.assert_allclose(table["survival"].to_numpy(), ref["survival"], rtol=0, atol=tol)
    bounds = tolerance["bounds_abs"]
    np.testing.assert_allclose(table["lower"].to_numpy(), ref["lower"], rtol=0, atol=bounds)
    np.testing.assert_allclose(table["upper"].to_numpy(), ref["upper"], rtol=0, atol=bounds)


def _median(km: KaplanMeier, **group: Any) -> float | None:
    value = km.median_survival(**group)
    return None if math.isinf(value) else value


def _median_ci(km: KaplanMeier, **group: Any) -> list[float | None]:
    return [None if math.isinf(v) else v for v in km.median_interval(**group)]


def test_telco_equals_lifelines(telco: pd.DataFrame, telco_lifelines: dict[str, Any]) -> None:
    km = kaplan_meier(telco)
    ref = telco_lifelines["fits"]["all"]
    _check_fit(km.table, ref, telco_lifelines["tolerance"])
    assert _median(km) == ref["median"]
    assert _median_ci(km) == ref["median_ci"]


def test_telco_by_contract_equals_lifelines(
    telco: pd.DataFrame, telco_lifelines: dict[str, Any]
) -> None:
    km = kaplan_meier(telco, group_col="Contract")
    assert km.groups == ("Month-to-month", "One year", "Two year")
    for contract in km.groups:
        ref = telco_lifelines["fits"][contract]
        _check_fit(km.table.loc[contract], ref, telco_lifelines["tolerance"])
        assert _median(km, group=contract) == ref["median"]
        assert _median_ci(km, group=contract) == ref["median_ci"]
        summary = km.summary.loc[contract]
        assert [summary["median_lower"], summary["median_upper"]] == list(
            km.median_interval(group=contract)
        )
    # the figure of issue 21: month-to-month survival at 72 months
    assert km.survival_at(72, group="Month-to-month") == pytest.approx(0.129, abs=5e-4)


def test_telco_left_truncated_equals_lifelines(
    telco: pd.DataFrame, telco_lifelines: dict[str, Any]
) -> None:
    km = kaplan_meier(telco, entry_col="entry")
    ref = telco_lifelines["fits"]["left_truncated"]
    _check_fit(km.table, ref, telco_lifelines["tolerance"])
    assert _median(km) == ref["median"]
    assert _median_ci(km) == ref["median_ci"]
    # left truncation removes customers from early risk sets, so it changes the estimate
    assert km.survival_at(1) < kaplan_meier(telco).survival_at(1)


def test_six_mp_textbook_table() -> None:
    df = pd.DataFrame({"tenure": SIX_MP, "churned": SIX_MP_EVENT})
    table = kaplan_meier(df, ci_method="log").table
    for time, (n, d, s, se) in SIX_MP_TABLE.items():
        row = table.loc[float(time)]
        assert (row["at_risk"], row["churned"]) == (n, d)
        assert row["survival"] == pytest.approx(s, abs=5e-4)
        assert row["std_error"] == pytest.approx(se, abs=5e-5)
    # R survival's default "log" interval at t = 6: S exp(+-1.96 se / S)
    s6 = 18 / 21
    sigma = math.sqrt(3 / (21 * 18))
    assert table.loc[6.0, "lower"] == pytest.approx(s6 * math.exp(-1.959964 * sigma), rel=1e-6)


def test_plain_interval_and_level() -> None:
    df = pd.DataFrame({"tenure": SIX_MP, "churned": SIX_MP_EVENT})
    km = kaplan_meier(df, ci_method="plain", level=0.9)
    row = km.table.loc[10.0]
    z = 1.6448536269514722
    assert row["lower"] == pytest.approx(row["survival"] - z * row["std_error"], rel=1e-12)
    assert row["upper"] == pytest.approx(row["survival"] + z * row["std_error"], rel=1e-12)
    wide = kaplan_meier(df, level=0.99).table.loc[10.0]
    narrow = kaplan_meier(df, level=0.8).table.loc[10.0]
    assert wide["lower"] < narrow["lower"] < narrow["upper"] < wide["upper"]


def test_median_at_an_exact_half() -> None:
    # S(1) = 3/4 * 2/3 = 1/2 exactly: the median is 1 whichever way the product rounds
    df = pd.DataFrame({"tenure": [1, 1, 0, 1], "churned": [False, False, True, True]})
    assert kaplan_meier(df).median_survival() == 1.0


def test_everyone_churns_gives_zero_with_a_zero_interval() -> None:
    km = kaplan_meier(pd.DataFrame({"tenure": [1, 2, 2], "churned": [True, True, True]}))
    last = km.table.loc[2.0]
    assert (last["survival"], last["std_error"], last["lower"], last["upper"]) == (0, 0, 0, 0)
    assert km.median_survival() == 2.0
    first = km.table.loc[0.0]
    assert (first["lower"], first["upper"]) == (1.0, 1.0)


def test_survival_at_is_a_right_continuous_step() -> None:
    df = pd.DataFrame({"tenure": [2, 3, 5, 5], "churned": [True, False, True, False]})
    km = kaplan_meier(df)
    got = km.survival_at([-1.0, 0.0, 1.99, 2.0, 4.99, 5.0, 100.0])
    np.testing.assert_array_equal(got, [1.0, 1.0, 1.0, 0.75, 0.75, 0.375, 0.375])
    assert km.survival_at(np.array([[2.0, 5.0]])).shape == (1, 2)
    with pytest.raises(InvalidValueError, match="NaN"):
        km.survival_at(float("nan"))
    with pytest.raises(InvalidValueError, match="no groups"):
        km.survival_at(1.0, group="a")


def test_groups_need_a_group_argument(telco: pd.DataFrame) -> None:
    km = kaplan_meier(telco, group_col="Contract")
    with pytest.raises(InvalidValueError, match="pass group="):
        km.survival_at(12)
    with pytest.raises(InvalidValueError, match="not a group"):
        km.median_survival(group="Three year")
    summary = km.summary
    assert summary["n_customers"].sum() == len(telco)
    assert summary.loc["Month-to-month", "median_survival"] == 35.0
    tidy = km.to_frame()
    assert list(tidy.columns[:2]) == ["Contract", "time"]
    text = repr(km)
    assert text.startswith("Kaplan-Meier estimate on 7,043 customers, 3 groups by 'Contract'")
    assert "<table>" in km._repr_html_()


def test_flags_as_bool_or_01_agree_and_input_is_untouched() -> None:
    df = pd.DataFrame({"tenure": [1.5, 2.0, 2.0, 4.0], "churned": [1, 0, 1, 1]})
    before = df.copy()
    as_int = kaplan_meier(df).table
    as_bool = kaplan_meier(df.assign(churned=df["churned"].astype(bool))).table
    pd.testing.assert_frame_equal(as_int, as_bool)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"tenure": [1]}), {}, MissingColumnsError, "churned"),
        (pd.DataFrame({"tenure": [1], "churned": ["Yes"]}), {}, InvalidValueError, r"eq\('Yes'\)"),
        (pd.DataFrame({"tenure": [1], "churned": [2]}), {}, InvalidValueError, "than 0 and 1"),
        (pd.DataFrame({"tenure": [1.0, None], "churned": [1, 0]}), {}, InvalidValueError,
         "'tenure' has 1 missing"),
        (pd.DataFrame({"tenure": [-1.0], "churned": [1]}), {}, InvalidValueError, ">= 0"),
        (pd.DataFrame({"tenure": [np.inf], "churned": [1]}), {}, InvalidValueError, "finite"),
        (pd.DataFrame({"tenure": ["3"], "churned": [1]}), {}, InvalidValueError, "numeric"),
        (pd.DataFrame({"tenure": [1], "churned": [1], "e": [2]}), {"entry_col": "e"},
         InvariantError, "enter after"),
        (pd.DataFrame({"tenure": [1, 2], "churned": [1, 1], "e": [0, 2]}), {"entry_col": "e"},
         InvalidValueError, "instant they enter"),
        (pd.DataFrame({"tenure": [1], "churned": [1], "g": [None]}), {"group_col": "g"},
         InvalidValueError, "'g' has 1 missing"),
        (pd.DataFrame({"tenure": [1], "churned": [1]}), {"level": 1.0}, InvalidValueError,
         "level"),
        (pd.DataFrame({"tenure": [1], "churned": [1]}), {"ci_method": "greenwood"},
         InvalidValueError, "ci_method"),
        (pd.DataFrame({"tenure": [], "churned": []}), {}, InvalidValueError, "empty"),
    ],
)  # fmt: skip
def test_bad_input_raises(
    frame: pd.DataFrame, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        kaplan_meier(frame, **kwargs)


@st.composite
def _histories(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    distinct = draw(st.booleans())
    times = st.floats(0, 50, allow_nan=False) if distinct else st.integers(0, 6).map(float)
    tenure = np.array(draw(st.lists(times, min_size=n, max_size=n)))
    churned = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    share = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0]), min_size=n,
                                   max_size=n)))  # fmt: skip
    entry = np.floor(tenure * share)
    groups = np.array(draw(st.lists(st.sampled_from("ab"), min_size=n, max_size=n)))
    return pd.DataFrame({"tenure": tenure, "churned": churned, "entry": entry, "g": groups})


def _lifelines_fit(df: pd.DataFrame, *, entry: bool) -> Any:
    lifelines = pytest.importorskip("lifelines")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' own numpy divide warnings
        return lifelines.KaplanMeierFitter().fit(
            df["tenure"], df["churned"], entry=df["entry"] if entry else None
        )


def _comparable(df: pd.DataFrame, *, entry: bool) -> bool:
    """lifelines refuses (StatError) or NaNs data where the risk set empties early, or
    where a churn happens at a late entry instant; those cases are not compared."""
    if not entry:
        return True
    first = df["entry"].min()
    late_instant = (df["entry"] == df["tenure"]) & df["churned"] & (df["entry"] > first)
    return not late_instant.any()


@settings(max_examples=60, deadline=None)
@given(df=_histories(), entry=st.booleans())
def test_equals_lifelines_on_generated_data(df: pd.DataFrame, entry: bool) -> None:
    if not _comparable(df, entry=entry):
        with pytest.raises(InvalidValueError, match="instant they enter"):
            kaplan_meier(df, entry_col="entry")
        return
    km = kaplan_meier(df, entry_col="entry" if entry else None)
    stat_error = pytest.importorskip("lifelines.exceptions").StatError
    try:
        ref = _lifelines_fit(df, entry=entry)
    except stat_error:  # lifelines refuses data whose risk set empties early
        return
    table = km.table
    np.testing.assert_array_equal(table.index.to_numpy(dtype=float), ref.timeline)
    expected = ref.survival_function_.iloc[:, 0].to_numpy()
    live = table["survival"].to_numpy() > 0  # lifelines NaN-fills bounds where S = 0
    np.testing.assert_allclose(table["survival"].to_numpy(), expected, rtol=0, atol=1e-12)
    bounds = ref.confidence_interval_.to_numpy()[live]
    np.testing.assert_allclose(table[["lower", "upper"]].to_numpy()[live], bounds, atol=1e-12)
    if not np.any(np.abs(expected - 0.5) < 1e-9):  # else rounding decides lifelines' median
        assert km.median_survival() == ref.median_survival_time_


@settings(max_examples=40, deadline=None)
@given(df=_histories())
def test_groups_equal_separate_fits(df: pd.DataFrame) -> None:
    km = kaplan_meier(df, group_col="g")
    for label in km.groups:
        alone = kaplan_meier(df[df["g"] == label])
        pd.testing.assert_frame_equal(km.table.loc[label], alone.table)


@settings(max_examples=40, deadline=None)
@given(df=_histories(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(df: pd.DataFrame, seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=np.random.default_rng(seed))
    a = kaplan_meier(df, entry_col="entry") if _comparable(df, entry=True) else None
    if a is None:
        return
    b = kaplan_meier(shuffled, entry_col="entry")
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-13)
    assert (a.table["survival"].diff().dropna() <= 0).all()
    assert (
        (a.table["lower"] <= a.table["survival"]) & (a.table["survival"] <= a.table["upper"])
    ).all()
