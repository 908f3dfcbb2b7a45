"""Purchase occasions from invoice lines (implementation of ``purchase_occasions``).

An export of a shop system has one row per invoice *line*: a product, a quantity and a
unit price, stamped with the invoice's time. The customer-base models and the RFM
summary count *purchases*. This module turns lines into purchase occasions (one per
invoice, or one per customer and calendar day) and accounts for every line it leaves
out, so the numbers downstream can be traced back to the file.

Everything is vectorised: dense integer codes for customers, invoices and days, one
:func:`numpy.lexsort` of the kept lines, :func:`numpy.bincount` sums, and one
:func:`numpy.searchsorted` to match cancellations to purchases.
"""

from __future__ import annotations

import warnings
from typing import Any, Final, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import REMOVED_IN, renamed_fields, renamed_keywords
from crmkit._dates import check_datetime_column
from crmkit._display import Display
from crmkit._validation import (
    check_numeric_column,
    check_option,
    preview,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits._periods import DAY_NS, wall_ns

__all__ = [
    "REASONS",
    "CancellationPolicy",
    "DataQuality",
    "MissingIdPolicy",
    "OccasionUnit",
    "PurchaseOccasions",
    "purchase_occasions",
]

CancellationPolicy: TypeAlias = Literal["raise", "exclude", "net"]
"""What to do with cancellation and return lines: an error, removed, or netted."""
MissingIdPolicy: TypeAlias = Literal["raise", "drop"]
"""What to do with lines without a customer id: an error, or removed."""
OccasionUnit: TypeAlias = Literal["invoice", "customer-day"]
"""What one purchase occasion is: an invoice, or a customer's calendar day."""

MISSING_ID: Final = "missing customer id"
RETURN: Final = "cancellation/return"
PRICE: Final = "non-positive price"
ZERO: Final = "zero quantity or amount"
DUPLICATE: Final = "exact duplicate"
UNMATCHED: Final = "cancellation without earlier purchase"
NETTED: Final = "netted to zero or below"

REASONS: Final = (MISSING_ID, RETURN, PRICE, ZERO, DUPLICATE, UNMATCHED, NETTED)
"""Every reason a line can be removed for, in the order they are checked."""

_PHRASES: Final[dict[str, str]] = {
    MISSING_ID: "without a customer id",
    RETURN: "of cancellations or returns",
    PRICE: "with a unit price of zero or below",
    ZERO: "with a quantity or amount of zero",
    DUPLICATE: "repeating an earlier line exactly",
    UNMATCHED: "of cancellations with no earlier purchase of the same customer to net against",
    NETTED: "of purchases cancelled in full (net value zero or below after netting)",
}

_UNITS: Final[dict[str, OccasionUnit]] = {"invoice": "invoice", "day": "customer-day"}
_KEPT: Final = -1


def _fmt_money(value: float) -> str:
    return f"{value:,.2f}"


def _warn_renamed_field(obj: Any, old: str, new: str) -> None:
    warnings.warn(
        f"{type(obj).__name__}.{old} is deprecated and will stop working in crmkit "
        f"{REMOVED_IN}; read .{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@renamed_fields(unit="occasion_unit")
@attrs.frozen(kw_only=True)
class DataQuality:
    """Accounting of the lines read and removed by :func:`purchase_occasions`.

    Every input line is either in an occasion (counted in ``rows_out``) or removed for
    exactly one reason (a row of ``removed``), so ``rows_in == rows_out +
    removed["rows"].sum()`` and, up to float rounding, ``revenue_in == revenue_out +
    removed["revenue"].sum()``.

    Attributes
    ----------
    rows_in, rows_out : int
        Lines read, and lines that ended in a purchase occasion (kept purchase lines and,
        with ``cancellations="net"``, the cancellation lines netted into an occasion).
    customers_in, customers_out : int
        Distinct customer ids among the lines read (missing ids not counted), and among
        the occasions.
    revenue_in, revenue_out : float
        Sum of the line values read (quantity x price or the amount; cancellation and
        return lines count negative), and sum of the occasions' amounts.
    occasions : int
        Number of purchase occasions.
    occasion_unit : {"invoice", "customer-day"}
        What one occasion is (named ``unit`` before crmkit 0.2; the old name still
        reads, with a :class:`DeprecationWarning`).
    removed : pandas.DataFrame
        Indexed by ``reason`` (only reasons that removed at least one line, in the order
        of :data:`REASONS`): ``rows``, ``customers`` (distinct known ids among them) and
        ``revenue``: what those lines took out of the total, the sum of their line
        values (negative for cancellations); for ``netted to zero or below``, less the
        part of their cancellations that earlier occasions absorbed, i.e. minus the
        cancellations no earlier purchase could absorb.
    """

    rows_in: int
    rows_out: int
    customers_in: int
    customers_out: int
    revenue_in: float
    revenue_out: float
    occasions: int
    occasion_unit: OccasionUnit
    removed: pd.DataFrame = attrs.field(eq=False, repr=False)

    @property
    def unit(self) -> OccasionUnit:
        """Deprecated name of :attr:`occasion_unit` (warns; removed in crmkit 0.3)."""
        _warn_renamed_field(self, "unit", "occasion_unit")
        return self.occasion_unit

    def to_frame(self) -> pd.DataFrame:
        """The accounting as one table: ``input``, each removal reason, then ``output``.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``step``, columns ``rows``, ``customers``, ``revenue``.
        """
        head = pd.DataFrame(
            {
                "rows": [self.rows_in],
                "customers": [self.customers_in],
                "revenue": [self.revenue_in],
            },
            index=["input"],
        )
        tail = pd.DataFrame(
            {
                "rows": [self.rows_out],
                "customers": [self.customers_out],
                "revenue": [self.revenue_out],
            },
            index=["output"],
        )
        out = pd.concat([head, self.removed, tail])
        out.index.name = "step"
        return out.astype({"rows": np.int64, "customers": np.int64, "revenue": np.float64})

    def summary(self) -> list[str]:
        """Plain-English lines: what was read, each removal, what was kept."""
        lines = [
            f"Read {_count(self.rows_in, 'line')} of {_count(self.customers_in, 'customer')} "
            f"worth {_fmt_money(self.revenue_in)} (cancellations and returns counted "
            "negative)."
        ]
        for reason, row in self.removed.iterrows():
            n_rows, n_cust = int(row["rows"]), int(row["customers"])
            lines.append(
                f"Removed {_count(n_rows, 'line')} {_PHRASES[str(reason)]} "
                f"({_count(n_cust, 'customer')}, worth {_fmt_money(row['revenue'])})."
            )
        kept = _count(self.occasions, "purchase occasion")
        lines.append(
            f"Kept {_count(self.rows_out, 'line')} as {kept} (one per {self.occasion_unit}) of "
            f"{_count(self.customers_out, 'customer')} worth {_fmt_money(self.revenue_out)}."
        )
        return lines

    def _repr_html_(self) -> str:
        return Display("Data quality of the invoice lines", self.summary()).html()

    def __repr__(self) -> str:
        removed = ", ".join(f"{r}: {int(n):,}" for r, n in self.removed["rows"].items())
        return (
            f"DataQuality(rows {self.rows_in:,} -> {self.rows_out:,}, customers "
            f"{self.customers_in:,} -> {self.customers_out:,},\n"
            f"  revenue {_fmt_money(self.revenue_in)} -> {_fmt_money(self.revenue_out)}, "
            f"{self.occasions:,} occasions per {self.occasion_unit};\n"
            f"  removed: {removed or 'nothing'})"
        )


@renamed_fields(unit="occasion_unit")
@attrs.frozen(kw_only=True)
class PurchaseOccasions:
    """Purchase occasions built from invoice lines, with the accounting of the lines.

    Attributes
    ----------
    occasions : pandas.DataFrame
        One row per purchase occasion, sorted by customer, time and invoice: the customer id
        column, the datetime column (the occasion's first timestamp, same dtype as the
        input), ``amount`` (float64, > 0) and, when an invoice column was given, that
        column (the occasion's invoice; for day occasions the invoice of the day's first
        line). A fresh ``RangeIndex``.
    occasion_unit : {"invoice", "customer-day"}
        What one occasion is, for labels (named ``unit`` before crmkit 0.2; the old
        name still reads, with a :class:`DeprecationWarning`).
    quality : DataQuality
        Lines read, removed (per reason) and kept.
    customer_id_col, datetime_col : str
        The column names, as passed.
    invoice_col : str or None
        The invoice column, as passed.
    """

    occasions: pd.DataFrame = attrs.field(eq=False, repr=False)
    occasion_unit: OccasionUnit
    quality: DataQuality
    customer_id_col: str
    datetime_col: str
    invoice_col: str | None = None

    @property
    def unit(self) -> OccasionUnit:
        """Deprecated name of :attr:`occasion_unit` (warns; removed in crmkit 0.3)."""
        _warn_renamed_field(self, "unit", "occasion_unit")
        return self.occasion_unit

    def _repr_html_(self) -> str:
        title = " ".join(repr(self)[len("PurchaseOccasions(") : -1].split())
        return Display(title, self.quality.summary()).html()

    def __repr__(self) -> str:
        q = self.quality
        dt = self.occasions[self.datetime_col]
        span = f"{dt.min():%Y-%m-%d} to {dt.max():%Y-%m-%d}" if len(dt) else "no dates"
        removed = q.rows_in - q.rows_out
        return (
            f"PurchaseOccasions({q.occasions:,} occasions (one per {self.occasion_unit}) of\n"
            f"  {q.customers_out:,} customers, {span}, revenue {_fmt_money(q.revenue_out)};\n"
            f"  {removed:,} of {q.rows_in:,} lines removed, see .quality.summary())"
        )


def _numeric(frame: pd.DataFrame, col: str) -> NDArray[np.float64]:
    check_numeric_column(frame, col)
    values = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidValueError(
            f"column {col!r} has {int(bad.sum())} missing or infinite value(s) at index "
            f"{preview(frame.index[bad])}; fix or drop those lines first."
        )
    return values


def _no_missing(frame: pd.DataFrame, col: str) -> None:
    bad = frame[col].isna().to_numpy()
    if bad.any():
        raise InvalidValueError(
            f"column {col!r} has {int(bad.sum())} missing value(s) at index "
            f"{preview(frame.index[bad])}; a line without it cannot be placed in an "
            "occasion. Fill or drop those lines first."
        )


def _codes(values: pd.Series[Any]) -> tuple[NDArray[np.int64], int]:
    """Dense codes (sorted order when the values sort; -1 for missing) and their count."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # values of mixed types do not sort: order of first appearance
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def _mark(reason: NDArray[np.int8], mask: NDArray[np.bool_], code: int) -> None:
    reason[mask & (reason == _KEPT)] = code


def _removed_table(
    reason: NDArray[np.int8], cust: NDArray[np.int64], n_cust: int, value: NDArray[np.float64]
) -> pd.DataFrame:
    gone = reason != _KEPT
    r = reason[gone].astype(np.int64)
    n_reasons = len(REASONS)
    rows = np.bincount(r, minlength=n_reasons)
    revenue = np.bincount(r, weights=value[gone], minlength=n_reasons)
    c = cust[gone]
    known = c >= 0
    pairs = np.unique(r[known] * (n_cust + 1) + c[known])
    customers = np.bincount(pairs // (n_cust + 1), minlength=n_reasons)
    used = rows > 0
    return pd.DataFrame(
        {
            "rows": rows[used].astype(np.int64),
            "customers": customers[used].astype(np.int64),
            "revenue": revenue[used].astype(np.float64),
        },
        index=pd.Index(np.asarray(REASONS, dtype=object)[used], name="reason"),
    )


def _carry_back(
    gross: NDArray[np.float64],
    returned: NDArray[np.float64],
    cust: NDArray[np.int64],
    order: NDArray[np.intp],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Net amounts of occasions after cancellations, carried back last in, first out.

    ``order`` sorts the occasions by customer, then time. Walking each customer's
    occasions from the latest back, an occasion keeps ``v = n - K`` with ``n = gross -
    returned`` its own net and ``K`` the deficit carried from later occasions; if ``v <=
    0`` it is dropped and hands ``-v`` on. The carry follows Lindley's recursion
    ``K' = max(0, K - n)``, whose closed form ``K_r = S_r - min(0, S_1, ..., S_r)`` (``S``
    the customer's running sum of ``-n``) is one grouped cumulative sum and minimum.
    Returns the amounts and the dropped mask, in the occasions' own order.
    """
    rev = order[::-1]  # customers contiguous, latest occasion first
    n = gross[rev] - returned[rev]
    c = cust[rev]
    group = np.cumsum(np.r_[True, c[1:] != c[:-1]]) if c.size else c
    x = pd.Series(-n)
    s = (x.groupby(group).cumsum() - x).to_numpy()  # S_r: sum of -n before r
    carry = s - np.minimum(pd.Series(s).groupby(group).cummin().to_numpy(), 0.0)
    v = n - carry
    scale = gross[rev] + returned[rev] + carry
    amount = np.empty_like(gross)
    gone = np.empty(gross.size, dtype=bool)
    amount[rev] = v
    gone[rev] = v <= 1e-9 * scale  # zero up to float rounding
    return amount, gone


def _raise_count(count: int, what: str, option: str, choices: str) -> None:
    raise InvalidValueError(f"{count:,} line(s) {what}; pass {option} ({choices}).")


@renamed_keywords(returns="cancellations", nonpositive_prices="non_positive_prices")
def purchase_occasions(
    lines: pd.DataFrame,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None = None,
    quantity_col: str | None = None,
    price_col: str | None = None,
    invoice_col: str | None = None,
    missing_ids: MissingIdPolicy = "raise",
    cancellations: CancellationPolicy = "raise",
    cancel_prefix: str | None = None,
    non_positive_prices: Literal["raise", "drop"] = "raise",
    duplicates: Literal["keep", "drop"] = "keep",
    occasion: Literal["invoice", "day"] | None = None,
) -> PurchaseOccasions:
    r"""Turn invoice lines into purchase occasions, accounting for every line removed.

    A line is not a purchase: an invoice of twenty products is one purchase occasion,
    a cancellation is not a purchase at all, and a line without a customer id belongs
    to nobody. Counting lines inflates repeat-purchase rates and deflates spend per
    purchase. This function groups lines into occasions (one per invoice, or one per
    customer and calendar day) worth the sum of their lines' values, after the checks
    below, each applied in this order and each removing lines under one reason of
    :data:`REASONS` (a line is counted under the first reason that removes it):

    1. ``missing customer id`` (``missing_ids="drop"``; ``"raise"`` stops).
    2. ``cancellation/return``: lines whose invoice starts with ``cancel_prefix``, or
       with a negative quantity (negative amount when ``amount_col`` is given).
       ``cancellations="raise"`` stops, ``"exclude"`` removes them, ``"net"`` keeps them for
       step 5.
    3. ``non-positive price`` (unit price <= 0), then ``zero quantity or amount``:
       lines worth nothing that are not returns (``non_positive_prices="drop"`` removes
       them, ``"raise"`` stops).
    4. ``exact duplicate``: with ``duplicates="drop"``, a line equal in *every* column
       of ``lines`` to an earlier line (the first copy is kept).
    5. With ``cancellations="net"``, cancellations undo the customer's most recent purchases
       (last in, first out). Each cancellation or return line is subtracted from the
       same customer's most recent purchase occasion starting at or before it (for day
       occasions: the occasion of the same or an earlier day); what exceeds that
       occasion's value is subtracted from the occasion before it, and so on back in
       time. An occasion whose net value falls to zero or below (up to float rounding)
       is removed with its purchase lines and the cancellations netted into it as
       ``netted to zero or below``. A cancellation without any earlier occasion (its
       purchase predates the data) is removed as ``cancellation without earlier
       purchase``. So each customer's occasions add up to their purchases less their
       cancellations, except for cancellations no earlier purchase can absorb.

    A line's value is ``quantity * price`` (or ``amount_col``); cancellation and return
    lines count negative, :math:`-|v|`.

    Parameters
    ----------
    lines : pandas.DataFrame
        One row per invoice line. Not modified.
    customer_id_col, datetime_col : str
        Customer id (any hashable dtype; missing values per ``missing_ids``) and line
        time (``datetime64``, naive or tz-aware; days are read on the data's wall clock).
    amount_col : str, optional
        A line's value. Give either this or both ``quantity_col`` and ``price_col``.
    quantity_col, price_col : str, optional
        Quantity and unit price; the line's value is their product.
    invoice_col : str, optional
        Invoice (order) id. Needed for ``occasion="invoice"`` and ``cancel_prefix``.
    missing_ids : {"raise", "drop"}, default "raise"
        Lines without a customer id raise, or are removed.
    cancellations : {"raise", "exclude", "net"}, default "raise"
        Cancellation and return lines raise, are removed, or are netted (step 5).
        (Named ``returns`` before crmkit 0.2; the old keyword still works for one
        release, with a :class:`DeprecationWarning`.)
    cancel_prefix : str, optional
        Invoices whose id (as text) starts with this mark cancellations, e.g. ``"C"`` in
        the Online Retail exports of Chen, Sain & Guo (2012).
    non_positive_prices : {"raise", "drop"}, default "raise"
        Lines with a unit price <= 0, a quantity of 0 or an amount of 0 (free items,
        write-offs, bad-debt adjustments) raise, or are removed. (Named
        ``nonpositive_prices`` before crmkit 0.2; the old keyword still works for one
        release, with a :class:`DeprecationWarning`.)
    duplicates : {"keep", "drop"}, default "keep"
        Keep exact duplicate lines (a real order may list a product twice) or remove them
        as export artefacts.
    occasion : {"invoice", "day"}, optional
        One occasion per (customer, invoice) or per (customer, calendar day). Default
        ``"invoice"`` when ``invoice_col`` is given, else ``"day"``.

    Returns
    -------
    PurchaseOccasions
        ``.occasions`` (one row per occasion: customer id, first timestamp, ``amount``
        [, invoice]), ``.occasion_unit`` and ``.quality`` (a :class:`DataQuality`).

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For an unknown option, both ``amount_col`` and ``quantity_col``/``price_col`` (or
        neither), ``occasion="invoice"`` or ``cancel_prefix`` without ``invoice_col``, a
        non-datetime date or non-numeric value column, missing dates, quantities,
        prices, amounts or invoices, infinite values, lines the ``"raise"`` options
        refuse (the message gives the count and the options), or when no occasion is
        left.

    Notes
    -----
    **Feeding the RFM summary and the models.** Pass ``.occasions`` to
    :func:`crmkit.rfm_summary` with ``amount_col="amount"``. The summary buckets
    purchases into periods (``period``, default ``time_unit``: days), so two invoices of
    one customer on one day count as one repeat purchase worth their sum, the
    convention of the customer-base models (Fader, Hardie & Lee 2005). The number of
    invoices per customer is ``totals=True``'s ``n_transactions`` (one row per
    occasion), or ``occasions.groupby(customer_id_col).size()``.

    References
    ----------
    - Chen, D., Sain, S. L. & Guo, K. (2012). Data mining for the online retail
      industry: a case study of RFM model-based customer segmentation using data mining.
      *Journal of Database Marketing & Customer Strategy Management* 19(3), 197-208.
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2).

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame(
    ...     {
    ...         "invoice": ["1001", "1001", "1002", "C1003", "1004"],
    ...         "customer": [7, 7, 7, 7, None],
    ...         "time": pd.to_datetime(
    ...             [
    ...                 "2024-01-02 10:00",
    ...                 "2024-01-02 10:00",
    ...                 "2024-01-09 15:30",
    ...                 "2024-01-10 09:00",
    ...                 "2024-01-10 11:00",
    ...             ]
    ...         ),
    ...         "qty": [2, 1, 4, -1, 3],
    ...         "price": [5.0, 10.0, 2.5, 2.5, 1.0],
    ...     }
    ... )
    >>> occ = purchase_occasions(
    ...     lines,
    ...     customer_id_col="customer",
    ...     datetime_col="time",
    ...     quantity_col="qty",
    ...     price_col="price",
    ...     invoice_col="invoice",
    ...     missing_ids="drop",
    ...     cancellations="exclude",
    ...     cancel_prefix="C",
    ... )
    >>> occ.occasions
       customer                time  amount invoice
    0       7.0 2024-01-02 10:00:00    20.0    1001
    1       7.0 2024-01-09 15:30:00    10.0    1002
    >>> for line in occ.quality.summary():
    ...     print(line)
    Read 5 lines of 1 customer worth 30.50 (cancellations and returns counted negative).
    Removed 1 line without a customer id (0 customers, worth 3.00).
    Removed 1 line of cancellations or returns (1 customer, worth -2.50).
    Kept 3 lines as 2 purchase occasions (one per invoice) of 1 customer worth 30.00.
    """
    check_option(
        missing_ids, ("raise", "drop"), name="missing_ids", hint="'drop' removes those lines."
    )
    check_option(
        cancellations,
        ("raise", "exclude", "net"),
        name="cancellations",
        hint="'exclude' removes cancellation/return lines, 'net' subtracts them from the "
        "same customer's most recent earlier purchase.",
    )
    check_option(
        non_positive_prices,
        ("raise", "drop"),
        name="non_positive_prices",
        hint="'drop' removes lines with a price <= 0 or a zero quantity/amount.",
    )
    check_option(
        duplicates,
        ("keep", "drop"),
        name="duplicates",
        hint="'drop' removes exact duplicate lines.",
    )
    check_option(
        occasion,
        ("invoice", "day", None),
        name="occasion",
        hint="'invoice' makes one occasion per customer and invoice, 'day' one per customer "
        "and calendar day.",
    )
    if amount_col is not None and (quantity_col is not None or price_col is not None):
        raise InvalidValueError(
            "give either amount_col= (a line's value) or quantity_col= and price_col= "
            "(value = quantity * price), not both."
        )
    if amount_col is None and (quantity_col is None or price_col is None):
        raise InvalidValueError(
            "give amount_col= (a line's value), or both quantity_col= and price_col= "
            "(value = quantity * price)."
        )
    kind = occasion if occasion is not None else ("invoice" if invoice_col else "day")
    if kind == "invoice" and invoice_col is None:
        raise InvalidValueError(
            "occasion='invoice' needs invoice_col=; pass it, or occasion='day' for one "
            "occasion per customer and calendar day."
        )
    if cancel_prefix is not None and (invoice_col is None or not cancel_prefix):
        raise InvalidValueError(
            f"cancel_prefix={cancel_prefix!r} marks cancellations by their invoice id: it "
            "must be a non-empty string and needs invoice_col=."
        )
    named = [customer_id_col, datetime_col, amount_col, quantity_col, price_col, invoice_col]
    require_columns(
        lines,
        [c for c in named if c is not None],
        hint="name them with customer_id_col=, datetime_col=, quantity_col=, ...",
    )
    require_nonempty(lines, name="lines")
    check_datetime_column(lines, datetime_col)
    _no_missing(lines, datetime_col)
    if invoice_col is not None:
        _no_missing(lines, invoice_col)

    # line values and return flags
    price: NDArray[np.float64] | None = None
    if amount_col is not None:
        value = _numeric(lines, amount_col)
        is_return = value < 0
        is_zero = value == 0
    else:
        assert quantity_col is not None  # checked above
        assert price_col is not None
        qty = _numeric(lines, quantity_col)
        price = _numeric(lines, price_col)
        value = qty * price
        is_return = qty < 0
        is_zero = qty == 0
    prefixed = np.zeros(len(lines), dtype=bool)
    if cancel_prefix is not None:
        assert invoice_col is not None  # checked above
        inv_text = lines[invoice_col].astype("string")
        prefixed = inv_text.str.startswith(cancel_prefix).to_numpy(dtype=bool)
        is_return |= prefixed
    value = np.where(is_return, -np.abs(value), value)

    cust, n_cust = _codes(lines[customer_id_col])
    reason = np.full(len(lines), _KEPT, dtype=np.int8)

    # 1. missing ids
    missing = cust < 0
    if missing.any():
        if missing_ids == "raise":
            _raise_count(
                int(missing.sum()),
                f"have no {customer_id_col!r} (first at index {preview(lines.index[missing])})",
                "missing_ids='drop'",
                "to remove them and report them in .quality",
            )
        _mark(reason, missing, REASONS.index(MISSING_ID))
    # 2. returns
    live_returns = is_return & (reason == _KEPT)
    if live_returns.any():
        if cancellations == "raise":
            n_prefix = int(np.count_nonzero(live_returns & prefixed))
            what = "are cancellations or returns ("
            what += (
                f"{n_prefix:,} on invoices starting with {cancel_prefix!r}, " if n_prefix else ""
            )
            what += "negative quantity or amount otherwise)"
            _raise_count(
                int(live_returns.sum()),
                what,
                "cancellations='exclude' or cancellations='net'",
                "'exclude' removes them, 'net' subtracts them from the customer's most "
                "recent earlier purchase",
            )
        if cancellations == "exclude":
            _mark(reason, live_returns, REASONS.index(RETURN))
    # 3./4. worthless lines
    bad_price = (price <= 0) if price is not None else np.zeros(len(lines), dtype=bool)
    zero = is_zero & ~is_return & ~bad_price
    worthless = (bad_price | zero) & (reason == _KEPT)
    if worthless.any():
        if non_positive_prices == "raise":
            _raise_count(
                int(worthless.sum()),
                "are worth nothing: a unit price <= 0 or a zero quantity/amount (first at "
                f"index {preview(lines.index[worthless])})",
                "non_positive_prices='drop'",
                "to remove them and report them in .quality",
            )
        _mark(reason, bad_price, REASONS.index(PRICE))
        _mark(reason, zero, REASONS.index(ZERO))
    # 5. exact duplicates
    if duplicates == "drop":
        _mark(
            reason, lines.duplicated(keep="first").to_numpy(dtype=bool), REASONS.index(DUPLICATE)
        )

    # occasions from the kept purchase lines
    wall = wall_ns(lines[datetime_col])
    dt = lines[datetime_col]
    inst = wall if dt.dt.tz is None else pd.DatetimeIndex(dt).as_unit("ns").asi8.astype(np.int64)
    purchase = np.flatnonzero((reason == _KEPT) & ~is_return)
    inv = np.zeros(0, dtype=np.int64)
    if kind == "invoice":
        assert invoice_col is not None
        inv, n_inv = _codes(lines[invoice_col])
        sub = inv[purchase]
        span = n_inv
    else:
        day = np.floor_divide(wall, DAY_NS)
        sub = day[purchase] - (int(day[purchase].min()) if purchase.size else 0)
        span = int(sub.max()) + 1 if purchase.size else 1
    # n_customers * span <= n_lines**2 < 2**62 for any frame that fits in memory
    key = cust[purchase] * span + sub
    order = np.lexsort((inst[purchase], key))
    skey = key[order]
    start = np.ones(skey.size, dtype=bool)
    np.not_equal(skey[1:], skey[:-1], out=start[1:])
    occ_sorted = np.cumsum(start) - 1
    line_occ = np.empty(purchase.size, dtype=np.int64)
    line_occ[order] = occ_sorted
    first = purchase[order[start]]  # line position of each occasion's first line
    n_occ = first.size
    amount: NDArray[np.float64] = np.bincount(
        line_occ, weights=value[purchase], minlength=n_occ
    ).astype(np.float64)

    if cancellations == "net":
        rets = np.flatnonzero((reason == _KEPT) & is_return)
        # occasions' start for matching: first time (invoice) or day start (day)
        o_time = (
            wall[first] if kind == "invoice" else np.floor_divide(wall[first], DAY_NS) * DAY_NS
        )
        o_cust = cust[first]
        r_time, r_cust = wall[rets], cust[rets]
        # dense time ranks keep cust * n_ranks + rank inside int64
        ranks = np.unique(np.concatenate([o_time, r_time]), return_inverse=True)[1]
        n_ranks = int(ranks.max()) + 1 if ranks.size else 1
        o_key = o_cust * n_ranks + ranks[:n_occ]
        r_key = r_cust * n_ranks + ranks[n_occ:]
        o_order = np.argsort(o_key, kind="stable")
        pos = np.searchsorted(o_key[o_order], r_key, side="right") - 1
        cand = o_order[np.clip(pos, 0, max(n_occ - 1, 0))] if n_occ else pos
        matched = (pos >= 0) & (o_cust[cand] == r_cust) if n_occ else np.zeros(rets.size, bool)
        unmatched = np.zeros(len(lines), dtype=bool)
        unmatched[rets[~matched]] = True
        _mark(reason, unmatched, REASONS.index(UNMATCHED))
        target = cand[matched]
        returned = np.bincount(target, weights=-value[rets[matched]], minlength=n_occ).astype(
            np.float64
        )
        amount, gone = _carry_back(amount, returned, o_cust, o_order)
        netted = np.zeros(len(lines), dtype=bool)
        netted[purchase[gone[line_occ]]] = True
        netted[rets[matched][gone[target]]] = True
        _mark(reason, netted, REASONS.index(NETTED))
        keep_occ = ~gone
        first, amount = first[keep_occ], amount[keep_occ]
        n_occ = first.size

    removed = _removed_table(reason, cust, n_cust, value)
    if NETTED in removed.index:
        # what the netted lines took out of the total: their own values, less the part of
        # their cancellations that earlier occasions absorbed (see _carry_back)
        others = float(removed["revenue"].drop(NETTED).sum())
        removed.loc[NETTED, "revenue"] = float(value.sum()) - float(amount.sum()) - others
    if n_occ == 0:
        raise InvalidValueError(
            "no purchase occasion is left after removing "
            + "; ".join(f"{int(r):,} lines ({reason_})" for reason_, r in removed["rows"].items())
            + ". Check the column names and the options."
        )
    # sort by customer (sorted id codes), then first time, then invoice id, then line
    tie = inv[first] if kind == "invoice" else first
    final = np.lexsort((first, tie, inst[first], cust[first]))
    first, amount = first[final], amount[final]
    data: dict[str, Any] = {
        customer_id_col: lines[customer_id_col].iloc[first].reset_index(drop=True),
        datetime_col: dt.iloc[first].reset_index(drop=True),
        "amount": pd.Series(amount.astype(np.float64)),
    }
    if invoice_col is not None:
        data[invoice_col] = lines[invoice_col].iloc[first].reset_index(drop=True)
    occasions = pd.DataFrame(data)
    quality = DataQuality(
        rows_in=len(lines),
        rows_out=int(np.count_nonzero(reason == _KEPT)),
        customers_in=n_cust,
        customers_out=int(np.unique(cust[first]).size),
        revenue_in=float(value.sum()),
        revenue_out=float(amount.sum()),
        occasions=n_occ,
        occasion_unit=_UNITS[kind],
        removed=removed,
    )
    return PurchaseOccasions(
        occasions=occasions,
        occasion_unit=_UNITS[kind],
        quality=quality,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        invoice_col=invoice_col,
    )
