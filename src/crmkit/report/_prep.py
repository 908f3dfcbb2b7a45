"""From invoice lines to purchase occasions, for the report.

Uses :func:`crmkit.transactions.purchase_occasions` when the installed crmkit has it;
otherwise the small equivalent below, with the same arguments and result fields, so the
report states the same data-quality record either way.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit.exceptions import InvalidValueError
from crmkit.report.options import ReportOptions

__all__ = ["prepare_occasions"]


@attrs.frozen(kw_only=True)
class _Quality:
    rows_in: int
    rows_out: int
    customers_in: int
    customers_out: int
    revenue_in: float
    revenue_out: float
    removed: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.removed

    def summary(self) -> list[str]:
        lines = [
            f"{self.rows_in:,} rows in, {self.rows_out:,} used; "
            f"{self.customers_in:,} customers in, {self.customers_out:,} kept"
        ]
        for reason, row in self.removed.iterrows():
            lines.append(f"removed {int(row['rows']):,} rows: {reason}")
        return lines


@attrs.frozen(kw_only=True)
class _Prepared:
    occasions: pd.DataFrame
    unit: str
    quality: _Quality


def _fallback(
    lines: pd.DataFrame,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    quantity_col: str | None,
    price_col: str | None,
    invoice_col: str | None,
    missing_ids: str,
    returns: str,
    cancel_prefix: str | None,
    nonpositive_prices: str,
    occasion: str,
) -> _Prepared:
    if amount_col is not None:
        amount = lines[amount_col].to_numpy(dtype=np.float64)
    else:
        assert quantity_col is not None and price_col is not None
        amount = lines[quantity_col].to_numpy(dtype=np.float64) * lines[price_col].to_numpy(
            dtype=np.float64
        )
    frame = pd.DataFrame(
        {
            "cid": lines[customer_id_col].to_numpy(),
            "dt": lines[datetime_col].to_numpy(),
            "amount": amount,
        }
    )
    if invoice_col is not None:
        frame["inv"] = lines[invoice_col].astype("string").to_numpy()
    ids = lines[customer_id_col]
    rows_in, revenue_in = len(frame), float(np.nansum(amount))
    customers_in = int(ids.nunique(dropna=True))
    keep = np.ones(len(frame), dtype=bool)
    removed: list[tuple[str, NDMask]] = []

    def drop(reason: str, mask: Any) -> None:
        hit = np.asarray(mask, dtype=bool) & keep
        if hit.any():
            removed.append((reason, hit))
            keep[hit] = False

    no_id = ids.isna().to_numpy()
    if no_id.any() and missing_ids == "raise":
        raise InvalidValueError(
            f"{int(no_id.sum()):,} row(s) have no {customer_id_col!r}; pass --missing-ids drop "
            "to leave them out (they are counted in the data-quality table)."
        )
    drop(f"no {customer_id_col}", no_id)
    is_return = amount < 0
    if quantity_col is not None:
        is_return |= lines[quantity_col].to_numpy(dtype=np.float64) < 0
    if cancel_prefix is not None and invoice_col is not None:
        is_return |= frame["inv"].str.startswith(cancel_prefix).fillna(False).to_numpy(bool)
    if (is_return & keep).any() and returns == "raise":
        raise InvalidValueError(
            f"{int((is_return & keep).sum()):,} row(s) are returns or cancellations; pass "
            "--returns exclude to leave them out or --returns net to subtract them."
        )
    if returns == "exclude":
        drop("return or cancellation", is_return)
    if price_col is not None:
        bad_price = (lines[price_col].to_numpy(dtype=np.float64) <= 0) & ~is_return
        if (bad_price & keep).any() and nonpositive_prices == "raise":
            raise InvalidValueError(
                f"{int((bad_price & keep).sum()):,} line(s) have a price <= 0 in {price_col!r}."
            )
        drop(f"{price_col} <= 0 (free or adjustment line)", bad_price)
    used = frame.loc[keep]
    key = ["cid", "inv"] if occasion == "invoice" else ["cid", "day"]
    if occasion == "day":
        used = used.assign(day=used["dt"].dt.normalize())
    grouped = used.groupby(key, sort=False, dropna=False)
    occ = grouped.agg(dt=("dt", "min"), amount=("amount", "sum")).reset_index()
    if returns == "net":
        positive = grouped["amount"].max().to_numpy() > 0
        only_returns = ~positive
        if only_returns.any():
            gone = occ.loc[only_returns, key]
            mask = used.set_index(key).index.isin(pd.MultiIndex.from_frame(gone))
            full = np.zeros(len(frame), dtype=bool)
            full[np.flatnonzero(keep)[mask]] = True
            drop("return-only occasion (netted out of no purchase)", full)
            occ = occ.loc[~only_returns]
    occ = occ.sort_values(["cid", "dt"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({customer_id_col: occ["cid"], datetime_col: occ["dt"]})
    out["amount"] = occ["amount"].to_numpy(dtype=np.float64)
    if invoice_col is not None and occasion == "invoice":
        out[invoice_col] = occ["inv"].to_numpy()
    table = pd.DataFrame(
        [
            (
                reason,
                int(mask.sum()),
                int(pd.Series(frame["cid"].to_numpy()[mask]).nunique()),
                float(np.nansum(amount[mask])),
            )
            for reason, mask in removed
        ],
        columns=["reason", "rows", "customers", "revenue"],
    ).set_index("reason")
    quality = _Quality(
        rows_in=rows_in,
        rows_out=int(keep.sum()),
        customers_in=customers_in,
        customers_out=int(out[customer_id_col].nunique()),
        revenue_in=revenue_in,
        revenue_out=float(out["amount"].sum()),
        removed=table,
    )
    return _Prepared(
        occasions=out, unit="invoice" if occasion == "invoice" else "customer-day", quality=quality
    )


NDMask = Any


def prepare_occasions(lines: pd.DataFrame, o: ReportOptions) -> Any:
    """Purchase occasions and their data-quality record for the report's options."""
    kwargs: dict[str, Any] = {
        "customer_id_col": o.customer_id_col,
        "datetime_col": o.datetime_col,
        "amount_col": o.monetary_col,
        "quantity_col": o.quantity_col,
        "price_col": o.price_col,
        "invoice_col": o.invoice_col,
        "missing_ids": o.missing_ids,
        "returns": o.returns,
        "cancel_prefix": o.cancel_prefix,
        "nonpositive_prices": "drop",
        "occasion": "invoice" if o.invoice_col is not None else "day",
    }
    try:
        from crmkit.transactions import (  # type: ignore[attr-defined,unused-ignore]
            purchase_occasions,
        )
    except ImportError:
        return _fallback(lines, **kwargs)
    return purchase_occasions(lines, duplicates="keep", **kwargs)
