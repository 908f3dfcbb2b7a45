"""One customer's row (a Series, as ``summary.loc[id]`` returns) is accepted like a frame."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit.clv import (
    NBD,
    BetaGeo,
    BetaGeoCNBD,
    GammaGompertzNBD,
    ModifiedBetaGeo,
    ModifiedBetaGeoCNBD,
    ParetoNBD,
)
from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import InvalidValueError

MODELS = [
    BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
    ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    NBD(r=0.385, alpha=12.07),
    BetaGeoCNBD(k=2, r=0.85, alpha=1.45, a=0.79, b=2.42),
    ModifiedBetaGeoCNBD(k=3, r=0.85, alpha=1.45, a=0.79, b=2.42),
    GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5),
]


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return load_cdnow_summary()


def _calls(model: Any) -> dict[str, Any]:
    return {
        "conditional_expected_purchases": lambda s: model.conditional_expected_purchases(s, t=39),
        "probability_alive": model.probability_alive,
        "probability_no_purchase": lambda s: model.probability_no_purchase(s, t=10),
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("position", [0, 20, 1000])
def test_a_row_gives_the_same_answer_as_a_one_row_frame(
    summary: pd.DataFrame, model: Any, position: int
) -> None:
    row = summary.iloc[position]
    frame = summary.iloc[[position]]
    for name, call in _calls(model).items():
        got = call(row)
        want = call(frame)
        assert list(got.index) == [summary.index[position]], name
        assert got.to_numpy().tolist() == want.to_numpy().tolist(), name


def test_a_column_is_not_mistaken_for_a_row(summary: pd.DataFrame) -> None:
    with pytest.raises(
        InvalidValueError, match=r"lacks the entries \['frequency', 'recency', 'T'\]"
    ):
        MODELS[0].probability_alive(summary["frequency"])


def test_spend_value_and_bgbb_accept_a_row(summary: pd.DataFrame) -> None:
    from crmkit.clv import BetaGeoBetaBinom, GammaGamma, customer_lifetime_value
    from crmkit.datasets import load_donations

    repeaters = summary[summary["frequency"] > 0]
    gg = GammaGamma(p=6.25, q=3.74, v=15.44)
    row, frame = repeaters.iloc[3], repeaters.iloc[[3]]
    assert (
        gg.conditional_expected_spend(row).tolist()
        == gg.conditional_expected_spend(frame).tolist()
    )
    kwargs = {"horizon": 52, "time_unit": "W", "discount_rate": 0.002, "model_time_unit": "W"}
    one = customer_lifetime_value(MODELS[0], gg, row, **kwargs)
    assert list(one.index) == [repeaters.index[3]]
    assert one.tolist() == customer_lifetime_value(MODELS[0], gg, frame, **kwargs).tolist()
    donations = load_donations()
    bgbb = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    assert (
        bgbb.probability_alive(donations.iloc[5]).tolist()
        == bgbb.probability_alive(donations.iloc[[5]]).tolist()
    )
