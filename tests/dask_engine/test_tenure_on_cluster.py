"""``profit_by_tenure`` of a dask log on a dask.distributed cluster equals pandas."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle import profit_by_tenure

pytestmark = pytest.mark.dask


@pytest.mark.parametrize(
    "options",
    [
        {"acquisition_cost": 40.0, "margin": 0.3, "time_unit": "M"},
        {"acquisition_cost": 10.0, "margin": 0.2, "time_unit": "Q",
         "observation_end": "2024-06-30"},
    ],
)  # fmt: skip
def test_profit_by_tenure_equals_pandas(
    ddf: Any, log_frame: pd.DataFrame, options: dict[str, Any]
) -> None:
    # the Parquet files hold log_frame's rows in order: the cluster sums each customer's
    # profits in the pandas order, so per-customer figures are equal bit for bit
    lazy = profit_by_tenure(ddf, amount_col="amount", **options)
    frame = profit_by_tenure(log_frame, amount_col="amount", **options)
    assert lazy.observation_end == frame.observation_end
    pd.testing.assert_frame_equal(lazy.table, frame.table, check_exact=False, rtol=1e-12)
    for col in ("customers", "active"):
        assert lazy.table[col].tolist() == frame.table[col].tolist()
    per_customer = lazy.customer_profit.compute().sort_index()
    pd.testing.assert_frame_equal(per_customer, frame.customer_profit, check_exact=True)
    got, want = attrs.asdict(lazy.verdict()), attrs.asdict(frame.verdict())
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert got[key] == value, key


def test_profit_by_tenure_errors_as_on_pandas(ddf: Any, log_frame: pd.DataFrame) -> None:
    kw = {"acquisition_cost": 10.0, "margin": 0.2, "amount_col": "amount"}
    with pytest.raises(InvalidValueError, match="no transactions on or before"):
        profit_by_tenure(ddf, observation_end="2020-01-01", **kw)
    holes = ddf.assign(amount=ddf["amount"].where(ddf["customer_id"] != 11, np.nan))
    with pytest.raises(InvalidValueError, match=r"'amount' has .* missing value"):
        profit_by_tenure(holes, **kw)
    with pytest.raises(InvalidValueError, match="two whole years"):
        profit_by_tenure(ddf, **kw).verdict()  # two years of data: no two whole years
