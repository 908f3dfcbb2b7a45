"""The coercion policy of crmkit.exceptions and sums near the float limit.

Numbers must be real numbers (numeric strings and bools refused with a message naming the
value and the fix), flags must be bool, and a total beyond the float range raises instead
of returning inf or NaN. Each case below was a silent coercion or a builtin exception.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import crmkit as ck
from crmkit import clv, metrics, pareto
from crmkit.exceptions import InvalidValueError

BG = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}


def _tx(**cols: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "customer_id": [1, 1, 2],
        "datetime": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01"]),
        "amount": [1.0, 2.0, 3.0],
    }
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("abc", r"r='abc' is not a real number.*float\(value\)"),  # was ValueError
        ("0.24", r"r='0.24' is not a real number; numeric strings"),  # was accepted
        (True, "r=True is not a real number; a flag is not a number"),  # was r=1.0
        (None, "r=None is not a real number"),  # was TypeError
        (10**400, "does not fit in a float"),  # was OverflowError
    ],
)
def test_model_parameters_must_be_real_numbers(value: object, match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        clv.BetaGeo(**{**BG, "r": value})


@pytest.mark.parametrize(
    "model",
    [
        lambda: clv.ParetoNBD(r="0.5", alpha=1, s=1, beta=1),
        lambda: clv.ModifiedBetaGeo(r=1, alpha=1, a=1, b="2"),
        lambda: clv.GammaGamma(p="1", q=1, v=1),
        lambda: clv.BetaGeoBetaBinom(alpha=1, beta=1, gamma=1, delta=b"1"),
        lambda: clv.ShiftedBetaGeometric(alpha="x", beta=1),  # was ValueError
    ],
)
def test_every_model_family_refuses_strings(model: object) -> None:
    with pytest.raises(InvalidValueError, match="is not a real number"):
        model()  # type: ignore[operator]


def test_numbers_still_accepted() -> None:
    m = clv.BetaGeo(r=np.float32(0.24), alpha=4, a=np.int64(1), b=2.4)
    assert (m.r, m.alpha, m.a) == (pytest.approx(0.24), 4.0, 1.0)
    assert isinstance(m.alpha, float)


def test_horizons_must_be_real_numbers() -> None:
    bg = clv.BetaGeo(**BG)
    s = pd.DataFrame({"frequency": [1], "recency": [2.0], "T": [3.0]})
    with pytest.raises(InvalidValueError, match="t='5' is not a real number"):
        bg.expected_purchases("5")  # was 0.2369
    with pytest.raises(InvalidValueError, match="boolean"):
        bg.expected_purchases(np.array([True]))
    with pytest.raises(InvalidValueError, match="not a real number"):
        bg.conditional_expected_purchases(s, t="5")
    with pytest.raises(InvalidValueError, match="not real numbers"):
        bg.probability_of_purchases(["1"], 5)
    bgbb = clv.BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
    with pytest.raises(InvalidValueError, match="not real numbers"):
        bgbb.probability_of_purchases(2, ["a", 1])  # was ValueError


def test_clv_discount_rate_and_spend() -> None:
    bg = clv.BetaGeo(**BG, time_unit="W")
    s = pd.DataFrame({"frequency": [1, 2], "recency": [2.0, 3.0], "T": [3.0, 4.0]}, index=[1, 2])
    kw = {"horizon": 10, "time_unit": "W"}
    with pytest.raises(InvalidValueError, match=r"discount_rate='0.1' is not a real number"):
        clv.customer_lifetime_value(bg, 5.0, s, discount_rate="0.1", **kw)
    dup = pd.Series([1.0, 2.0, 3.0], index=[1, 1, 2])
    with pytest.raises(InvalidValueError, match="index of spend has 1 duplicated"):
        clv.customer_lifetime_value(bg, dup, s, discount_rate=0.01, **kw)  # was ValueError
    text = pd.Series(["1", "2"], index=[1, 2])
    with pytest.raises(InvalidValueError, match="spend holds 2 entry"):
        clv.customer_lifetime_value(bg, text, s, discount_rate=0.01, **kw)  # was accepted
    with pytest.raises(InvalidValueError, match="margin"):
        clv.simple_clv(complex(1, 2), 0.8, 0.1)  # was TypeError


def test_metrics_refuse_numeric_strings() -> None:
    with pytest.raises(InvalidValueError, match=r"cash_flows holds 2 .*\['-100', '50'\]"):
        metrics.npv(0.1, ["-100", "50"])  # was -54.5
    with pytest.raises(InvalidValueError, match=r"rate='0.1' is not a real number"):
        metrics.npv("0.1", [-100, 50])
    with pytest.raises(InvalidValueError, match="not real numbers"):
        metrics.npv(0.1, ["abc", 50])  # was ValueError
    with pytest.raises(InvalidValueError, match=r"\[True\]"):
        metrics.npv(0.1, [True, 50])  # was 46.45
    with pytest.raises(InvalidValueError, match="NPS answers"):
        metrics.nps(["9", 5])  # was 0.0
    with pytest.raises(InvalidValueError, match="NPS answers"):
        metrics.nps(["abc", 5])  # was ValueError
    with pytest.raises(InvalidValueError, match="too large for a float"):
        metrics.npv(0.1, [10**400, 1])  # was OverflowError
    with pytest.raises(InvalidValueError, match="recurring_costs"):
        metrics.tco(10.0, ["5"], horizon=1)


def test_pareto_refuses_strings_and_bools() -> None:
    with pytest.raises(InvalidValueError, match="not real numbers"):
        pareto.gini(["5", "3"])
    with pytest.raises(InvalidValueError, match="boolean"):
        pareto.gini(pd.Series([True, False, True]))


def test_rfm_summary_flags_ids_and_columns() -> None:
    with pytest.raises(InvalidValueError, match="totals='no' must be True or False"):
        ck.rfm_summary(
            _tx(),
            customer_id_col="customer_id",
            datetime_col="datetime",
            amount_col="amount",
            totals="no",
        )
    with pytest.raises(InvalidValueError, match="include_first_transaction"):
        ck.rfm_summary(
            _tx(),
            customer_id_col="customer_id",
            datetime_col="datetime",
            include_first_transaction=1,
        )
    mixed = _tx(customer_id=[1, "a", 2])
    with pytest.raises(InvalidValueError, match=r"mix types.*\(int, str\)"):
        ck.rfm_summary(
            mixed, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )  # was TypeError
    dup = pd.DataFrame(
        [[1, pd.Timestamp("2024-01-01"), 1.0, 2.0]],
        columns=["customer_id", "datetime", "amount", "amount"],
    )
    with pytest.raises(InvalidValueError, match=r"\['amount'\] appear more than once"):
        ck.rfm_summary(
            dup, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )  # was AttributeError
    with pytest.raises(InvalidValueError, match="not a column name"):
        ck.rfm_summary(
            _tx(), customer_id_col="customer_id", datetime_col=["datetime"]
        )  # was TypeError
    huge = _tx(amount=pd.Series([10**400, 1, 1], dtype=object))  # pandas 2 will not infer it
    with pytest.raises(InvalidValueError, match="must be numeric"):
        ck.rfm_summary(
            huge, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        )


def test_scorecard_period_is_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="period='2024-Q9'"):
        metrics.Scorecard.compute(period="2024-Q9")  # was DateParseError
    with pytest.raises(InvalidValueError, match="period=5"):
        metrics.Scorecard.compute(period=5)


# ----------------------------------------------------------------- float limit


def test_npv_near_the_float_limit() -> None:
    # reference: the exact rational sum, computed with Python fractions
    from fractions import Fraction

    flows = [1e308, 1e308, -1e308]
    want = sum(Fraction(c) / Fraction(11, 10) ** t for t, c in enumerate(flows))
    assert metrics.npv(0.1, flows) == pytest.approx(float(want), rel=1e-15)  # was inf
    with pytest.raises(InvalidValueError, match="npv is beyond the float range"):
        metrics.npv(0.0, [1e308, 1e308])
    assert metrics.npv(0.1, [-100, 60, 60]) == pytest.approx(4.1322314049586, rel=1e-12)


def test_tco_near_the_float_limit() -> None:
    with pytest.raises(InvalidValueError, match="tco is beyond the float range"):
        metrics.tco(1e308, [1e308], horizon=1)


def test_gini_near_the_float_limit() -> None:
    with pytest.raises(InvalidValueError, match="add up to more than the float range"):
        pareto.gini([1e308, 1e308, 1e307])  # was NaN
    # scale invariance: the same shares at 1e300 as at 1
    base = [5.0, 3.0, 1.0, 1.0]
    assert pareto.gini([v * 1e300 for v in base]) == pytest.approx(pareto.gini(base), 1e-12)


def test_total_spend_near_the_float_limit() -> None:
    tx = _tx(amount=[1e308, 1e308, 1.0])
    with pytest.raises(InvalidValueError, match="spend of 1 customer"):
        ck.rfm_summary(
            tx,
            customer_id_col="customer_id",
            datetime_col="datetime",
            amount_col="amount",
            totals=True,
        )  # was inf
    # a total that fits is exact although the running sum would overflow
    tx = _tx(
        customer_id=[1, 1, 1],
        amount=[1.5e308, 1.5e308, -1.4e308],
        datetime=pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-05"]),
    )
    s = ck.rfm_summary(
        tx,
        customer_id_col="customer_id",
        datetime_col="datetime",
        amount_col="amount",
        totals=True,
        non_positive="keep",
    )
    assert s.loc[1, "total_spend"] == pytest.approx(1.6e308, rel=1e-15)
    assert math.isfinite(s.loc[1, "monetary_value"])


def test_gamma_gamma_spends_near_the_float_limit() -> None:
    s = pd.DataFrame(
        {"frequency": [1, 2, 3], "monetary_value": [1e300, 2e300, 5e299]}, index=[1, 2, 3]
    )
    with pytest.raises(InvalidValueError, match=r"huge \(> 1e150\)"):
        clv.GammaGamma.fit(s)  # was OverflowError


def test_gini_of_subnormal_values_is_refused() -> None:
    """[5e-324] gave top_share(0.25) = 0: subnormal floats keep one bit of precision."""
    with pytest.raises(InvalidValueError, match="so small that floats keep only a few"):
        pareto.top_share([5e-324], 0.25)
    assert pareto.top_share([1e-280, 3e-280], 0.5) == pytest.approx(0.75, rel=1e-12)
