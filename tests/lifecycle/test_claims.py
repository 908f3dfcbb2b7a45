"""Claims report: verdicts, untestable claims and the table, on hand-made data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import (
    ClaimVerdict,
    ContactsVerdict,
    CostRatioVerdict,
    SecondYearVerdict,
    claims_table,
    evaluate_claims,
)

d = pd.to_datetime


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "datetime": d(["2020-01-01", "2020-06-01", "2021-03-01", "2020-02-01", "2021-01-15"]),
            "monetary": [100.0, 100.0, 300.0, 100.0, 50.0],
        }
    )


def _contacts() -> pd.DataFrame:
    days = ["2019-12-01", "2019-12-02", "2020-01-20", "2020-01-02", "2021-01-01", "2019-12-05"]
    return pd.DataFrame(
        {"customer_id": [1, 1, 2, 2, 1, 7], "datetime": d(days), "cost": [30.0] * 6}
    )


def test_all_three_claims() -> None:
    rep = evaluate_claims(
        _tx(),
        acquisition_cost=150.0,
        margin=0.5,
        observation_end="2022-03-01",
        interactions=_contacts(),
        contact_cost_col="cost",
    )
    kinds = [type(v) for v in rep.verdicts]
    assert kinds == [SecondYearVerdict, ContactsVerdict, CostRatioVerdict]
    assert rep.untestable == ()
    second, contacts, ratio = rep.verdicts
    # year 0: 1 -> 100 - 150, 2 -> 75 - 150; year 1: 1 -> 150, 2 -> 0
    assert (second.cumulative_mean_first, second.cumulative_mean_second) == (-62.5, 12.5)
    assert second.holds
    # contacts: 1 -> 2 before its first sale, 0 before 2020-06-01, 1 before 2021-03-01;
    # 2 -> 2 before its first sale, 0 before 2021-01-15; 7 never buys
    assert contacts.mean_new == 2.0
    assert contacts.mean_existing == pytest.approx(1 / 3)
    # acquisition: (2 + 2 + 1) * 30 / 2 new = 75; retention: 1 * 30 / 3 repeat sales = 10
    assert (ratio.cost_per_acquisition, ratio.cost_per_repeat_purchase) == (75.0, 10.0)
    assert ratio.ratio == 7.5
    assert ratio.holds
    table = rep.table
    assert table.index.tolist() == [v.claim for v in rep.verdicts]
    assert table["holds"].tolist() == [True, False, True]


def test_untestable_claims_are_reported_not_raised() -> None:
    rep = evaluate_claims(_tx(), acquisition_cost=150.0, margin=0.5)
    assert len(rep.verdicts) == 0
    reasons = dict(rep.untestable)
    assert len(reasons) == 3
    assert any("interaction" in r for r in reasons.values())
    assert rep.table["holds"].isna().all()


def test_claims_table_protocol() -> None:
    class Pareto:
        claim = "20 % of customers produce 80 % of profit."
        holds = True

        def measured(self) -> dict[str, float]:
            return {"top_share": 0.81}

    assert isinstance(Pareto(), ClaimVerdict)
    t = claims_table([Pareto()])
    assert t.loc[Pareto.claim, "figures"] == "top_share=0.81"
    with pytest.raises(InvalidValueError, match="not a verdict"):
        claims_table([object()])  # type: ignore[list-item]  # wrong on purpose


def test_claims_table_accepts_a_pareto_verdict() -> None:
    import numpy as np

    from crmkit import lifecycle, pareto

    verdict = pareto.concentration(np.array([1.0, 2.0, 3.0, 10.0])).verdict(0.25, 0.8)
    table = lifecycle.claims_table([verdict])
    assert len(table) == 1
    assert table.index.tolist() == ["top 25% of units give 80% of the value"]
    assert table["holds"].tolist() == [False]
    assert verdict.measured()["measured_share"] == 10 / 16
