"""The dask engine's per-partition preparation adds up to the pandas preparation.

``crmkit report --engine dask`` prepares each partition of customers on its own
(``report._dask_engine._prep_part``) and adds the data-quality records up. Here the
invoice-line fixture is split into groups of customers -- one group holding only a
customer whose every line is removed, one only zero-value purchases -- and the merged
result is compared with the preparation of all lines at once. Pure pandas: no cluster.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.__main__ import _read
from crmkit.report import ReportOptions
from crmkit.report._dask_engine import _ROW, _merged_quality, _prep_part
from crmkit.report._prep import prepare_occasions

DATA = Path(__file__).parent / "data" / "report_invoice_lines.csv"


@pytest.mark.parametrize("returns", ["exclude", "net"])
def test_partitions_add_up_to_the_whole(returns: str) -> None:
    lines = _read(DATA, "Customer ID", "InvoiceDate")
    when = lines["InvoiceDate"].iloc[0]
    extra = pd.DataFrame(
        {
            "Customer ID": ["only-cancelled", "only-free", "only-free"],
            "Invoice": ["C999001", "999002", "999003"],
            "InvoiceDate": [when] * 3,
            "Quantity": [-2, 1, 3],
            "Price": [4.5, 0.0, 0.0],
        }
    )
    lines = pd.concat([lines, extra], ignore_index=True)
    o = ReportOptions(
        customer_id_col="Customer ID", datetime_col="InvoiceDate", amount_col=None,
        quantity_col="Quantity", price_col="Price", invoice_col="Invoice",
        missing_ids="drop", cancellations=returns, cancel_prefix="C",
    )  # fmt: skip
    whole = prepare_occasions(lines, o)
    ids = lines["Customer ID"]
    group = pd.util.hash_pandas_object(ids, index=False).to_numpy() % 5
    group[ids.isin(["only-cancelled"]).to_numpy()] = 5  # a group with nothing left
    group[ids.isin(["only-free"]).to_numpy()] = 6
    group[ids.isna().to_numpy()] = 7  # the lines without a customer id, alone
    parts = [
        _prep_part(lines.loc[group == g].assign(**{_ROW: np.flatnonzero(group == g)}), o)
        for g in range(8)
    ]
    tx = pd.concat([p[0] for p in parts]).sort_values(["customer_id", "datetime"], kind="stable")
    want = whole.occasions.sort_values(["Customer ID", "InvoiceDate"], kind="stable")
    assert tx["customer_id"].tolist() == want["Customer ID"].tolist()
    assert tx["datetime"].tolist() == want["InvoiceDate"].tolist()
    np.testing.assert_allclose(tx["monetary"], want["amount"], rtol=1e-12)
    got, ref = _merged_quality([p[1] for p in parts], whole.occasion_unit), whole.quality
    for field in ("rows_in", "rows_out", "customers_in", "customers_out", "occasions"):
        assert getattr(got, field) == getattr(ref, field), field
    assert got.revenue_in == pytest.approx(ref.revenue_in, rel=1e-12)
    assert got.revenue_out == pytest.approx(ref.revenue_out, rel=1e-12)
    assert got.removed.index.tolist() == ref.removed.index.tolist()
    assert got.removed[["rows", "customers"]].equals(ref.removed[["rows", "customers"]])
    np.testing.assert_allclose(
        got.removed["revenue"], ref.removed["revenue"], rtol=1e-12, atol=1e-9
    )
