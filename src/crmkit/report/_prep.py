"""From invoice lines to purchase occasions, for the report."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from crmkit._dates import check_datetime_column
from crmkit._validation import check_numeric_column, require_columns
from crmkit.exceptions import InvalidValueError
from crmkit.report.options import ReportOptions
from crmkit.transactions import PurchaseOccasions, purchase_occasions

__all__ = ["prepare_occasions"]

_ZERO_REASON = "missing customer id"


_CLI_WORDS = (
    ("missing_ids='drop'", "--missing-ids drop"),
    ("cancellations='exclude'", "--cancellations exclude"),
    ("cancellations='net'", "--cancellations net"),
    ("report them in .quality", "count them in the report's data-quality table"),
    ("cancel_prefix=", "--cancel-prefix "),
    ("invoice_col=", "--invoice-col"),
)


def _occasions(lines: pd.DataFrame, o: ReportOptions) -> PurchaseOccasions:
    """purchase_occasions, with its error messages naming the command's options."""
    try:
        return _call(lines, o)
    except InvalidValueError as exc:
        message = str(exc)
        for api, cli in _CLI_WORDS:
            message = message.replace(api, cli)
        raise InvalidValueError(message) from exc


def _call(lines: pd.DataFrame, o: ReportOptions) -> PurchaseOccasions:
    return purchase_occasions(
        lines,
        customer_id_col=o.customer_id_col,
        datetime_col=o.datetime_col,
        amount_col=o.amount_col,
        quantity_col=o.quantity_col,
        price_col=o.price_col,
        invoice_col=o.invoice_col,
        missing_ids=o.missing_ids,
        cancellations=o.cancellations,
        cancel_prefix=o.cancel_prefix,
        non_positive_prices="drop",
        duplicates="keep",
        occasion="invoice" if o.invoice_col is not None else "day",
    )


def _check_lines(lines: pd.DataFrame, o: ReportOptions) -> None:
    """Columns exist and have usable types, before any preparation."""
    money = (
        [o.amount_col]
        if o.amount_col is not None
        else [c for c in (o.quantity_col, o.price_col) if c is not None]
    )
    if o.amount_col is None and (o.quantity_col is None or o.price_col is None):
        raise InvalidValueError(
            "no money column: pass --amount-col, or --quantity-col and --price-col "
            "(money = quantity x price)."
        )
    wanted = [o.customer_id_col, o.datetime_col, *money]
    if o.invoice_col is not None:
        wanted.append(o.invoice_col)
    require_columns(
        lines,
        wanted,
        hint="Name them with --customer-id-col, --datetime-col, --amount-col (or "
        "--quantity-col and --price-col) and --invoice-col.",
    )
    check_datetime_column(lines, o.datetime_col)
    n_no_date = int(lines[o.datetime_col].isna().sum())
    if n_no_date:
        raise InvalidValueError(
            f"{n_no_date:,} row(s) have no {o.datetime_col!r}; fill or remove them first."
        )
    for col in money:
        check_numeric_column(lines, col)
        values = lines[col].to_numpy(dtype=np.float64)
        bad = int(np.sum(~np.isfinite(values)))
        if bad:
            raise InvalidValueError(
                f"{bad:,} row(s) have a missing or infinite {col!r}; fix them first."
            )


def prepare_occasions(lines: pd.DataFrame, o: ReportOptions) -> PurchaseOccasions:
    """Purchase occasions and their data-quality record for the report's options.

    With quantity and price, free lines (price, quantity or amount of zero) are removed
    and counted. With a money column only (a transaction log), a purchase of value zero
    is still a purchase (the CDNOW log has such purchases, and the published summaries
    count them): it forms an occasion of value zero unless the customer bought something
    else in the same occasion.
    """
    if o.amount_col is None:
        return _occasions(lines, o)
    zero = (lines[o.amount_col] == 0).to_numpy(dtype=bool, copy=True)
    if o.cancel_prefix is not None and o.invoice_col is not None:
        cancel = lines[o.invoice_col].astype("string").str.startswith(o.cancel_prefix)
        zero &= ~cancel.fillna(False).to_numpy(dtype=bool)
    if not zero.any() or zero.all():
        return _occasions(lines, o)
    prep = _occasions(lines.loc[~zero], o)
    zl = lines.loc[zero]
    no_id = zl[o.customer_id_col].isna().to_numpy()
    if no_id.any() and o.missing_ids == "raise":
        raise InvalidValueError(
            f"{int(no_id.sum()):,} line(s) have no {o.customer_id_col!r}; pass --missing-ids "
            "drop to leave them out (they are counted in the data-quality table)."
        )
    zl = zl.loc[~no_id]
    occ = prep.occasions
    key = o.invoice_col if prep.occasion_unit == "invoice" else None
    found = pd.DataFrame(
        {
            "cid": zl[o.customer_id_col].to_numpy(),
            "key": (
                zl[key].astype("string").to_numpy()
                if key is not None
                else zl[o.datetime_col].dt.normalize().to_numpy()
            ),
            "dt": zl[o.datetime_col].to_numpy(),
        }
    )
    have = pd.MultiIndex.from_arrays(
        [
            occ[o.customer_id_col].to_numpy(),
            occ[key].astype("string").to_numpy()
            if key is not None
            else occ[o.datetime_col].dt.normalize().to_numpy(),
        ]
    )
    new = found.loc[~pd.MultiIndex.from_frame(found[["cid", "key"]]).isin(have)]
    new = new.groupby(["cid", "key"], sort=False).agg(dt=("dt", "min")).reset_index()
    added = pd.DataFrame({o.customer_id_col: new["cid"], o.datetime_col: new["dt"]})
    added["amount"] = 0.0
    if key is not None:
        added[key] = new["key"].to_numpy()
    merged = pd.concat([occ, added.astype(occ.dtypes.to_dict())], ignore_index=True)
    merged = merged.sort_values([o.customer_id_col, o.datetime_col], kind="stable")
    merged = merged.reset_index(drop=True)
    q = prep.quality
    removed = q.removed.copy()
    if no_id.any():
        extra = pd.DataFrame(
            {"rows": [int(no_id.sum())], "customers": [0], "revenue": [0.0]},
            index=pd.Index([_ZERO_REASON], name=removed.index.name),
        )
        removed = pd.concat([removed, extra]).groupby(level=0, sort=False).sum()
    quality = attrs.evolve(
        q,
        rows_in=q.rows_in + int(zero.sum()),
        rows_out=q.rows_out + int((~no_id).sum()),
        customers_in=int(lines[o.customer_id_col].nunique(dropna=True)),
        customers_out=int(merged[o.customer_id_col].nunique()),
        occasions=len(merged),
        removed=removed,
    )
    return attrs.evolve(prep, occasions=merged, quality=quality)
