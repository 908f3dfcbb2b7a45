"""Contacts before purchase and the acquisition/retention cost ratio: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.lifecycle import acquisition_retention_cost_ratio, contacts_before_purchase

d = pd.to_datetime


def _contacts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a"] * 9 + ["a"] * 3 + ["b"] * 8 + ["z"] * 4,
            "datetime": d(
                [f"2024-01-{i:02d}" for i in range(1, 10)]  # a: 9 before first sale
                + ["2024-02-01", "2024-02-02", "2024-03-01"]  # a: 2 before repeat, 1 after
                + [f"2024-01-{i:02d}" for i in range(1, 9)]  # b: 8 before first sale
                + ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]  # z never buys
            ),
            "cost": [10.0] * 9 + [5.0] * 3 + [10.0] * 8 + [10.0] * 4,
        }
    )


def _sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "datetime": d(["2024-01-20", "2024-01-20", "2024-02-10", "2024-01-08"]),
        }
    )


def test_contacts_hand_computed() -> None:
    res = contacts_before_purchase(_contacts(), _sales())
    per = res.per_purchase
    assert per["contacts"].tolist() == [9, 2, 8]  # a new, a existing, b new (same-day incl.)
    assert per["kind"].tolist() == ["new", "existing", "new"]
    assert res.table.loc["new", "mean_contacts"] == 8.5
    assert res.table.loc["existing", "mean_contacts"] == 2.0
    assert res.unconverted_contacts == 5  # a's 2024-03-01 and z's four
    v = res.verdict()
    assert (v.mean_new, v.mean_existing, v.ratio) == (8.5, 2.0, 4.25)
    assert v.holds
    assert not res.verdict(claimed_new=(9, 10)).holds


def test_purchases_before_the_log_are_censored() -> None:
    sales = pd.concat(
        [_sales(), pd.DataFrame({"customer_id": ["c"], "datetime": d(["2023-12-01"])})]
    )
    res = contacts_before_purchase(_contacts(), sales)
    assert "c" not in set(res.per_purchase["customer_id"])


def test_cost_ratio_hand_computed() -> None:
    v = acquisition_retention_cost_ratio(_contacts(), _sales(), cost_col="cost")
    # acquisition: a 9*10 + b 8*10 + z 4*10 = 210 over 2 new -> 105
    # retention: a 3*5 = 15 over 1 repeat sale -> 15; ratio 7
    assert v.acquisition_cost == 210.0
    assert v.retention_cost == 15.0
    assert (v.cost_per_acquisition, v.cost_per_repeat_purchase, v.ratio) == (105.0, 15.0, 7.0)
    assert v.holds
    counts = acquisition_retention_cost_ratio(_contacts(), _sales(), claimed=(5, 5))
    assert counts.ratio == pytest.approx((21 / 2) / 3)
    assert not counts.holds


def test_errors() -> None:
    with pytest.raises(MissingColumnsError):
        contacts_before_purchase(_contacts().drop(columns="datetime"), _sales())
    neg = _contacts().assign(cost=-1.0)
    with pytest.raises(InvalidValueError, match="negative"):
        acquisition_retention_cost_ratio(neg, _sales(), cost_col="cost")
    only_first = _sales().iloc[[0, 3]]
    with pytest.raises(InvalidValueError, match="repeat"):
        acquisition_retention_cost_ratio(_contacts(), only_first)
    tz = _contacts().assign(datetime=_contacts()["datetime"].dt.tz_localize("UTC"))
    with pytest.raises(InvalidValueError, match="time zones"):
        contacts_before_purchase(tz, _sales())
    with pytest.raises(InvalidValueError, match="low <= high"):
        contacts_before_purchase(_contacts(), _sales()).verdict(claimed_new=(10, 8))


def test_synthetic_log_recovers_planted_rates() -> None:
    # 400 customers: 9 contacts before the first sale, 3 before each of 2 repeat sales.
    rng = np.random.default_rng(7)
    n = 400
    start = pd.Timestamp("2024-01-01")
    first = start + pd.to_timedelta(rng.integers(30, 60, n), unit="D")
    cust = np.arange(n)
    contacts, sales = [], []
    for offsets, sale_day in ((np.arange(1, 10), 0), (np.arange(1, 4), 20), (np.arange(1, 4), 40)):
        sale = first + pd.Timedelta(days=sale_day)
        sales.append(pd.DataFrame({"customer_id": cust, "datetime": sale}))
        for o in offsets:
            contacts.append(
                pd.DataFrame({"customer_id": cust, "datetime": sale - pd.Timedelta(hours=int(o))})
            )
    res = contacts_before_purchase(pd.concat(contacts), pd.concat(sales))
    v = res.verdict()
    assert (v.n_new, v.n_existing, v.mean_new, v.mean_existing) == (n, 2 * n, 9.0, 3.0)
    assert v.holds
