"""Contractual CLV (margin x spend x DEL/DERL) against FH 2010, mpmath and closed forms."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import attrs
import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import ArrayLike

from crmkit.clv import (
    BetaDiscreteWeibull,
    ShiftedBetaGeometric,
    ShiftedGeometric,
    contractual_lifetime_value,
    contractual_value_summary,
    customer_lifetime_value,
    fit_by_group,
)
from crmkit.exceptions import BoundaryWarning, InvalidValueError, MissingColumnsError


@attrs.frozen(kw_only=True)
class ConstantChurn:
    """Test-local stand-in for any contractual model: churn theta every period.

    Implements only the contractual protocol, with the closed forms
    S(t) = (1 - theta)^t, DEL = (1 + d)/(d + theta), DERL = (1 - theta)(1 + d)/(d + theta).
    """

    theta: float
    time_unit: str | None = None

    def survival(self, t: ArrayLike) -> Any:
        return (1.0 - self.theta) ** np.asarray(t, dtype=np.float64)

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        return (1.0 + discount_rate) / (discount_rate + self.theta)

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: ArrayLike = 0
    ) -> Any:
        value = (1.0 - self.theta) * (1.0 + discount_rate) / (discount_rate + self.theta)
        return np.full(np.shape(renewals), value) if np.ndim(renewals) else value


#: Every contractual family the value functions must accept unchanged.
MODELS = [
    ShiftedBetaGeometric(alpha=0.704, beta=1.182, time_unit="Y"),
    ShiftedBetaGeometric(alpha=0.668, beta=3.806, time_unit="Y"),
    ShiftedBetaGeometric(alpha=3.5, beta=0.8, time_unit="Y"),
    ConstantChurn(theta=0.2, time_unit="Y"),
    ShiftedGeometric(theta=0.2, time_unit="Y"),
    BetaDiscreteWeibull(alpha=0.26, beta=1.72, c=1.58, time_unit="Y"),
    BetaDiscreteWeibull(alpha=3.5, beta=0.8, c=0.6, time_unit="Y"),
]


def _mp_ratios(model: Any, start: int, count: int) -> list[Any]:
    """S(start + 1 + k) / S(start) for k < count, from each family's published survival.

    sBG: S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) (FH 2007, eq. 8);
    BdW (a model with a shape ``c``): S(t) = B(alpha, beta + t^c) / B(alpha, beta)
    (Fader et al. 2018, eq. 10); constant churn: S(t) = (1 - theta)^t.
    """
    if isinstance(model, ConstantChurn | ShiftedGeometric):
        return [(1 - mpmath.mpf(model.theta)) ** (k + 1) for k in range(count)]
    a, b = mpmath.mpf(model.alpha), mpmath.mpf(model.beta)
    if hasattr(model, "c"):
        c = mpmath.mpf(model.c)
        base = mpmath.beta(a, b + mpmath.mpf(start) ** c)
        return [
            mpmath.beta(a, b + mpmath.mpf(t) ** c) / base
            for t in range(start + 1, start + 1 + count)
        ]
    if not isinstance(model, ShiftedBetaGeometric):
        raise NotImplementedError(f"add the survival of {type(model).__name__} here")
    out, ratio = [], mpmath.mpf(1)
    for t in range(start + 1, start + 1 + count):
        ratio *= (b + t - 1) / (a + b + t - 1)
        out.append(ratio)
    return out


def _terms(d: float, horizon: int | None) -> int:
    # survival ratios are <= 1, so the tail after K terms is below q^K / (1 - q) < 1e-30
    if horizon is not None:
        return horizon
    q = 1 / (1 + d)
    return int(np.ceil((np.log(1e-30) + np.log(1 - q)) / np.log(q)))


def _mp_derl(model: Any, d: float, renewals: int, horizon: int | None, dps: int) -> float:
    """sum_{k<H} S(r+1+k)/S(r)/(1+d)^k in mpmath at ``dps`` digits."""
    with mpmath.workdps(dps):
        q = 1 / (1 + mpmath.mpf(d))
        ratios = _mp_ratios(model, renewals, _terms(d, horizon))
        return float(mpmath.fsum(r * q**k for k, r in enumerate(ratios)))


def _mp_del(model: Any, d: float, horizon: int | None, dps: int) -> float:
    """sum_{t<H} S(t)/(1+d)^t: 1 for t = 0, then the ratios from S(0) = 1."""
    with mpmath.workdps(dps):
        q = 1 / (1 + mpmath.mpf(d))
        count = _terms(d, horizon) - 1 if horizon is not None else _terms(d, None)
        ratios = _mp_ratios(model, 0, count)
        return float(1 + mpmath.fsum(r * q ** (k + 1) for k, r in enumerate(ratios)))


def _rows(tenure: list[int], churned: list[bool], **extra: Any) -> pd.DataFrame:
    return pd.DataFrame({"tenure": tenure, "churned": churned, **extra})


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())


def test_high_end_derl_of_fader_hardie_2010(ref: dict) -> None:  # type: ignore[type-arg]
    # FH 2010 eq. 6 for the high-end cohort after 7 renewals at 10 %: DERL = 7.530
    p, d = ref["params"]["high_end"], ref["high_end_derl"]
    model = ShiftedBetaGeometric(**p, time_unit="Y")
    rows = _rows([d["renewals"]], [False])
    value = contractual_lifetime_value(
        model, rows, spend=100.0, discount_rate=d["discount_rate"], tenure_counts="completed"
    )
    assert value.iloc[0] == pytest.approx(100 * d["value"], abs=100 * ref["tolerance"]["derl_abs"])


@pytest.mark.parametrize("model", MODELS, ids=repr)
@pytest.mark.parametrize("horizon", [None, 1, 7])
def test_per_customer_value_matches_mpmath(model: Any, horizon: int | None) -> None:
    renewals = [0, 1, 4, 11]
    rows = _rows([*renewals, 3], [False] * 4 + [True])
    got = contractual_lifetime_value(
        model,
        rows,
        spend=10.0,
        margin=0.5,
        discount_rate=0.1,
        horizon=horizon,
        tenure_counts="completed",
    ).to_numpy()
    for value, r in zip(got[:4], renewals, strict=True):
        low, high = (_mp_derl(model, 0.1, r, horizon, dps) for dps in (30, 50))
        assert low == pytest.approx(high, rel=1e-13)  # the reference itself is stable
        assert value == pytest.approx(5.0 * high, rel=1e-10)
    assert got[4] == 0.0  # cancelled: nothing left


@pytest.mark.parametrize("model", MODELS, ids=repr)
@pytest.mark.parametrize("horizon", [None, 3])
def test_new_customer_value_matches_mpmath(model: Any, horizon: int | None) -> None:
    table = contractual_value_summary(
        model,
        _rows([2, 5], [False, True]),
        spend=20.0,
        discount_rate=0.08,
        horizon=horizon,
        tenure_counts="completed",
    )
    expected = _mp_del(model, 0.08, horizon, 40)
    assert table.loc["all", "discounted_expected_lifetime"] == pytest.approx(expected, rel=1e-10)
    assert table.loc["all", "new_customer_value"] == pytest.approx(20.0 * expected, rel=1e-10)


def test_constant_churn_closed_forms() -> None:
    m = ConstantChurn(theta=0.25, time_unit="M")
    rows = _rows([0, 9], [False, False])
    got = contractual_lifetime_value(
        m, rows, spend=1.0, discount_rate=0.05, tenure_counts="completed"
    )
    assert got.tolist() == pytest.approx([0.75 * 1.05 / 0.30] * 2)  # memoryless: no tenure effect
    table = contractual_value_summary(
        m, rows, spend=1.0, discount_rate=0.05, tenure_counts="completed"
    )
    assert table.loc["all", "discounted_expected_lifetime"] == pytest.approx(1.05 / 0.30)


def test_tenure_counts_follows_the_fit_reader() -> None:
    m = MODELS[0]
    started = contractual_lifetime_value(
        m, _rows([1, 5], [False, False]), spend=1.0, discount_rate=0.1, tenure_counts="started"
    )
    completed = contractual_lifetime_value(
        m, _rows([0, 4], [False, False]), spend=1.0, discount_rate=0.1, tenure_counts="completed"
    )
    assert started.tolist() == pytest.approx(completed.tolist())
    with pytest.raises(InvalidValueError, match="tenure_counts"):
        contractual_lifetime_value(m, _rows([1], [False]), spend=1.0, discount_rate=0.1)
    with pytest.raises(InvalidValueError, match="tenure_counts='started'"):
        contractual_lifetime_value(
            m, _rows([0], [False]), spend=1.0, discount_rate=0.1, tenure_counts="started"
        )
    with pytest.raises(InvalidValueError, match="churned customers with tenure=0"):
        contractual_lifetime_value(
            m, _rows([0], [True]), spend=1.0, discount_rate=0.1, tenure_counts="completed"
        )


def test_units_convert_exactly_or_refuse() -> None:
    monthly = ShiftedBetaGeometric(alpha=0.42, beta=7.4, time_unit="M")
    rows = _rows([0, 12, 40], [False, False, False])
    per_month = (1.1) ** (1 / 12) - 1
    a = contractual_lifetime_value(
        monthly, rows, spend=1.0, discount_rate=0.1, time_unit="Y", tenure_counts="completed"
    )
    b = contractual_lifetime_value(
        monthly, rows, spend=1.0, discount_rate=per_month, tenure_counts="completed"
    )
    assert a.tolist() == pytest.approx(b.tolist(), rel=1e-12)
    a = contractual_lifetime_value(
        monthly,
        rows,
        spend=1.0,
        discount_rate=0.1,
        time_unit="Y",
        horizon=2,
        tenure_counts="completed",
    )
    b = contractual_lifetime_value(
        monthly, rows, spend=1.0, discount_rate=per_month, horizon=24, tenure_counts="completed"
    )
    assert a.tolist() == pytest.approx(b.tolist(), rel=1e-12)
    with pytest.raises(InvalidValueError, match="not a whole number of 'M'"):
        contractual_lifetime_value(
            monthly, rows, spend=1.0, discount_rate=0.01, time_unit="W", tenure_counts="completed"
        )
    with pytest.raises(InvalidValueError, match="not a whole number of 'Y'"):
        contractual_lifetime_value(
            MODELS[0],
            rows,
            spend=1.0,
            discount_rate=0.01,
            time_unit="M",
            tenure_counts="completed",
        )
    bare = ShiftedBetaGeometric(alpha=0.42, beta=7.4)
    with pytest.raises(InvalidValueError, match="has no time_unit"):
        contractual_lifetime_value(
            bare, rows, spend=1.0, discount_rate=0.01, tenure_counts="completed"
        )
    # time_unit states the rate's period, never the contract period of a bare model: an
    # annual rate on a monthly model fitted without a unit must not pass as yearly contracts
    with pytest.raises(InvalidValueError, match="model_time_unit='M'"):
        contractual_lifetime_value(
            bare, rows, spend=1.0, discount_rate=0.1, time_unit="Y", tenure_counts="completed"
        )
    stated = contractual_lifetime_value(
        bare,
        rows,
        spend=1.0,
        discount_rate=0.1,
        time_unit="Y",
        model_time_unit="M",
        tenure_counts="completed",
    )
    b = contractual_lifetime_value(
        monthly, rows, spend=1.0, discount_rate=per_month, tenure_counts="completed"
    )
    assert stated.tolist() == pytest.approx(b.tolist(), rel=1e-12)
    with pytest.raises(InvalidValueError, match="contradicts"):
        contractual_lifetime_value(
            monthly, rows, spend=1.0, discount_rate=0.1, model_time_unit="Y",
            tenure_counts="completed",
        )  # fmt: skip


def test_bad_arguments_raise_named_errors() -> None:
    m = MODELS[1]
    rows = _rows([1, 2], [False, True])
    kw: dict[str, Any] = {"discount_rate": 0.1, "tenure_counts": "completed"}
    with pytest.raises(InvalidValueError, match="discount rate > 0"):
        contractual_lifetime_value(
            m, rows, spend=1.0, discount_rate=0.0, tenure_counts="completed"
        )
    finite = contractual_lifetime_value(
        m, rows, spend=1.0, discount_rate=0.0, horizon=3, tenure_counts="completed"
    )
    assert finite.iloc[0] == pytest.approx(float(m.survival([2, 3, 4]).sum() / m.survival(1)))
    with pytest.raises(InvalidValueError, match="horizon"):
        contractual_lifetime_value(m, rows, spend=1.0, horizon=0, **kw)
    with pytest.raises(InvalidValueError, match="spend has no value"):
        contractual_lifetime_value(m, rows, spend=pd.Series([1.0], index=[0]), **kw)
    with pytest.raises(MissingColumnsError):
        contractual_lifetime_value(m, rows, spend="MonthlyCharges", **kw)
    with pytest.raises(InvalidValueError, match="spend must be finite"):
        contractual_lifetime_value(m, rows, spend=float("nan"), **kw)
    with pytest.raises(InvalidValueError, match="purchase model"):
        contractual_lifetime_value(_Purchases(), rows, spend=1.0, **kw)
    with pytest.raises(InvalidValueError, match="group_col"):
        contractual_lifetime_value({"a": m}, rows, spend=1.0, **kw)
    with pytest.raises(InvalidValueError, match="needs a mapping"):
        contractual_lifetime_value(m, rows.assign(g="a"), spend=1.0, group_col="g", **kw)
    with pytest.raises(InvalidValueError, match=r"no model for group\(s\) \['b'\]"):
        contractual_lifetime_value(
            {"a": m}, rows.assign(g=["a", "b"]), spend=1.0, group_col="g", **kw
        )
    with pytest.raises(InvalidValueError, match="'g' has missing values"):
        contractual_lifetime_value(
            {"a": m}, rows.assign(g=["a", None]), spend=1.0, group_col="g", **kw
        )
    with pytest.raises(InvalidValueError, match="churned"):
        contractual_lifetime_value(m, rows.assign(churned=["no", "yes"]), spend=1.0, **kw)
    with pytest.raises(InvalidValueError, match="implausible"):
        contractual_lifetime_value(m, _rows([10**8], [False]), spend=1.0, **kw)


class _Purchases:
    time_unit = "W"

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: float) -> pd.Series:
        return pd.Series(1.0, index=summary.index)


def test_customer_lifetime_value_points_to_the_contractual_function() -> None:
    summary = pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0]})
    with pytest.raises(InvalidValueError, match="contractual_lifetime_value"):
        customer_lifetime_value(
            MODELS[0], 1.0, summary, horizon=3, time_unit="Y", discount_rate=0.1
        )


def test_fit_results_and_groups_value_each_customer_with_their_groups_model() -> None:
    fit = ShiftedBetaGeometric.fit([1000, 631, 468, 382, 326, 289, 262, 241], time_unit="Y")
    rows = _rows([0, 3, 7, 2, 5], [False, False, False, True, False], g=["x", "y", "x", "y", "y"])
    models = {"x": fit, "y": MODELS[1]}
    grouped = contractual_lifetime_value(
        models, rows, spend="tenure", discount_rate=0.1, tenure_counts="completed", group_col="g"
    )
    for key, model in models.items():
        part = rows[rows["g"] == key]
        alone = contractual_lifetime_value(
            model, part, spend="tenure", discount_rate=0.1, tenure_counts="completed"
        )
        pd.testing.assert_series_equal(grouped.loc[part.index], alone)


def test_many_sparse_groups_take_the_sorting_path() -> None:
    # 300 groups with long, sparse tenures: the presence table would be too large
    rng = np.random.default_rng(5)
    n = 600
    groups = rng.integers(0, 300, n)
    rows = _rows(rng.integers(0, 5000, n).tolist(), [False] * n, g=groups)
    models = {int(k): ConstantChurn(theta=0.01 + k / 1000, time_unit="M") for k in range(300)}
    got = contractual_lifetime_value(
        models, rows, spend=1.0, discount_rate=0.01, tenure_counts="completed", group_col="g"
    )
    theta = 0.01 + groups / 1000
    assert got.to_numpy() == pytest.approx((1 - theta) * 1.01 / (0.01 + theta))


@given(
    tenure=st.lists(st.integers(0, 60), min_size=1, max_size=30),
    data=st.data(),
    horizon=st.one_of(st.none(), st.integers(1, 40)),
)
def test_invariants(tenure: list[int], data: st.DataObject, horizon: int | None) -> None:
    n = len(tenure)
    churned = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    churned = [c and t > 0 for c, t in zip(churned, tenure, strict=True)]
    spend = data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    rows = _rows(tenure, churned, spend=spend)
    before = rows.copy()
    model = MODELS[0]
    kw: dict[str, Any] = {"discount_rate": 0.1, "tenure_counts": "completed"}
    value = contractual_lifetime_value(model, rows, spend="spend", horizon=horizon, **kw)
    pd.testing.assert_frame_equal(rows, before)  # inputs never mutated
    assert (value >= 0).all()
    assert (value[rows["churned"]] == 0).all()
    # row order does not matter
    order = np.random.default_rng(n).permutation(n)
    shuffled = contractual_lifetime_value(
        model, rows.iloc[order], spend="spend", horizon=horizon, **kw
    )
    pd.testing.assert_series_equal(shuffled, value.iloc[order])
    # a finite horizon never exceeds the whole residual lifetime
    whole = contractual_lifetime_value(model, rows, spend="spend", **kw)
    assert (value <= whole * (1 + 1e-12) + 1e-12).all()


def test_sbg_residual_value_rises_with_tenure() -> None:
    # heterogeneity sorts the good risks into long tenures (FH 2010, section 2)
    rows = _rows(list(range(30)), [False] * 30)
    value = contractual_lifetime_value(
        MODELS[0], rows, spend=1.0, discount_rate=0.1, tenure_counts="completed"
    )
    assert np.all(np.diff(value.to_numpy()) > 0)


@pytest.fixture(scope="module")
def telco(shared_datasets: Path) -> pd.DataFrame:
    df = pd.read_csv(shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv")
    return df.assign(churned=df["Churn"].eq("Yes")).set_index("customerID")


@pytest.fixture(scope="module")
def telco_fits(telco: pd.DataFrame) -> dict[str, Any]:
    # one fit per contract type in one call; a GroupFits is a Mapping group -> FitResult
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)  # one-/two-year: geometric limit
        return dict(
            fit_by_group(
                ShiftedBetaGeometric,
                telco,
                group_col="Contract",
                tenure_counts="completed",
                time_unit="M",
            )
        )


def test_telco_value_per_contract_type_in_one_call(
    telco: pd.DataFrame, telco_fits: dict[str, Any]
) -> None:
    kw: dict[str, Any] = {
        "spend": "MonthlyCharges",
        "margin": 0.3,
        "discount_rate": 0.10,
        "time_unit": "Y",
        "tenure_counts": "completed",
        "group_col": "Contract",
    }
    value = contractual_lifetime_value(telco_fits, telco, **kw)
    assert value.index.equals(telco.index)
    assert value.notna().all()
    assert (value[telco["churned"]] == 0).all()
    assert (value[~telco["churned"]] > 0).all()
    table = contractual_value_summary(telco_fits, telco, **kw)
    assert list(table.index) == ["Month-to-month", "One year", "Two year"]
    assert table["n_customers"].sum() == len(telco)
    assert (
        table["n_active"].tolist() == (~telco["churned"]).groupby(telco["Contract"]).sum().tolist()
    )
    sums = value.groupby(telco["Contract"]).sum()
    assert table["residual_value"].to_numpy() == pytest.approx(sums.to_numpy())
    # the geometric limit of the one-year fit: DERL = (1 - theta)(1 + d)/(d + theta)
    one_year = telco_fits["One year"].model
    theta = one_year.alpha / (one_year.alpha + one_year.beta)
    d = 1.1 ** (1 / 12) - 1
    active = telco[(telco["Contract"] == "One year") & ~telco["churned"]]
    expected = 0.3 * active["MonthlyCharges"] * (1 - theta) * (1 + d) / (d + theta)
    assert value.loc[active.index].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-6)


def test_the_bdw_reference_reduces_to_the_sbg_one_at_c_1() -> None:
    # guards the mpmath reference the BdW model will be checked against (FHLDS 2018: c = 1
    # is the sBG)
    @attrs.frozen
    class BdWParams:
        alpha: float
        beta: float
        c: float

    sbg = ShiftedBetaGeometric(alpha=0.7, beta=1.2)
    with mpmath.workdps(30):
        a = _mp_ratios(BdWParams(alpha=0.7, beta=1.2, c=1.0), 3, 5)
        b = _mp_ratios(sbg, 3, 5)
        assert all(abs(x - y) < mpmath.mpf(10) ** -25 for x, y in zip(a, b, strict=True))


def test_units_are_checked_when_every_customer_has_churned() -> None:
    # the same call must not pass or fail depending on who is still active
    fit = ShiftedGeometric.fit(
        pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, False]}),
        tenure_counts="completed",
    )
    gone = pd.DataFrame({"tenure": [1, 2], "churned": [True, True]})
    with pytest.raises(InvalidValueError, match="has no time_unit"):
        contractual_lifetime_value(
            fit, gone, spend=1.0, discount_rate=0.1, tenure_counts="completed"
        )
    monthly = ShiftedGeometric(theta=0.1, time_unit="M")
    with pytest.raises(InvalidValueError, match="not a whole number of 'M'"):
        contractual_lifetime_value(
            monthly, gone, spend=1.0, discount_rate=0.01, time_unit="W", tenure_counts="completed"
        )
