"""Benchmark: contractual CLV of every customer, by contract type.

Run from the repository root (not in CI)::

    PYTHONPATH=src python benchmarks/bench_contractual_value.py             # 1M customers
    PYTHONPATH=src python benchmarks/bench_contractual_value.py --rows 7043

Prints timings with ratios side by side:

* ``crmkit`` -- :func:`crmkit.clv.contractual_lifetime_value` with one sBG per contract
  type (string group column, spend column, validation included);
* ``crmkit, cat.`` -- the same with the contract type as a pandas categorical;
* ``per-row DERL`` -- the direct recipe: the model's DERL evaluated for every active row
  of each group (no sharing of equal tenures);
* ``floor`` -- a lower bound: group codes and tenures already integers and the DERL table
  already computed, one gather and one multiply over the rows.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd
from _timing import best

from crmkit.clv import ShiftedBetaGeometric, contractual_lifetime_value

MODELS = {
    "Month-to-month": ShiftedBetaGeometric(alpha=0.42, beta=7.39, time_unit="M"),
    "One year": ShiftedBetaGeometric(alpha=2.7, beta=1000.0, time_unit="M"),
    "Two year": ShiftedBetaGeometric(alpha=0.5, beta=180.0, time_unit="M"),
}


def make_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """Telco-shaped rows: tenure 0..72 months, three contract types, monthly charges."""
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.27
    return pd.DataFrame(
        {
            "tenure": rng.integers(0, 73, n) + churned * 1,  # a churner paid >= 1 month
            "churned": churned,
            "Contract": rng.choice(list(MODELS), n),
            "MonthlyCharges": rng.uniform(18.0, 119.0, n).round(2),
        }
    )


def per_row(rows: pd.DataFrame, d: float) -> np.ndarray[Any, Any]:
    out = np.zeros(len(rows))
    active = ~rows["churned"].to_numpy()
    for key, model in MODELS.items():
        mask = active & (rows["Contract"].to_numpy() == key)
        out[mask] = model.discounted_expected_residual_lifetime(d, rows["tenure"].to_numpy()[mask])
    return 0.3 * rows["MonthlyCharges"].to_numpy() * out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = make_rows(int(args.rows))
    d = 1.1 ** (1 / 12) - 1
    options: dict[str, Any] = {
        "spend": "MonthlyCharges",
        "margin": 0.3,
        "discount_rate": 0.10,
        "time_unit": "Y",
        "tenure_counts": "completed",
        "group_col": "Contract",
    }
    t_crmkit, value = best(
        lambda: contractual_lifetime_value(MODELS, rows, **options), args.repeat
    )
    as_category = rows.assign(Contract=rows["Contract"].astype("category"))
    t_cat, _ = best(
        lambda: contractual_lifetime_value(MODELS, as_category, **options), args.repeat
    )
    t_row, direct = best(lambda: per_row(rows, d), args.repeat)
    # the floor: integer codes, a ready DERL table, one gather
    codes = pd.Categorical(rows["Contract"], categories=list(MODELS)).codes.astype(np.intp)
    tenure = rows["tenure"].to_numpy()
    keep = ~rows["churned"].to_numpy()
    spend = rows["MonthlyCharges"].to_numpy()
    table = np.vstack(
        [m.discounted_expected_residual_lifetime(d, np.arange(74)) for m in MODELS.values()]
    )
    t_floor, floor = best(lambda: 0.3 * spend * table[codes, tenure] * keep, args.repeat)
    assert np.allclose(value.to_numpy(), direct, rtol=1e-12)
    assert np.allclose(value.to_numpy(), floor, rtol=1e-12)
    print(f"rows: {len(rows):,}")
    print(f"{'method':<14}{'seconds':>10}{'x floor':>10}")
    timings = (
        ("crmkit", t_crmkit),
        ("crmkit, cat.", t_cat),
        ("per-row DERL", t_row),
        ("floor", t_floor),
    )
    for name, t in timings:
        print(f"{name:<14}{t:>10.4f}{t / t_floor:>10.1f}")


if __name__ == "__main__":
    main()
