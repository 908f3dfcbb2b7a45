"""Contacts per sale for new and existing customers, and the acquisition/retention cost ratio.

Two rules of thumb common in CRM practice become
measurements on an interaction (contact) log joined to a transaction log:

* a sale to a new customer needs 8-10 contacts, to an existing customer 2-3;
* acquiring a customer costs 5-10 times a repeat sale to an existing one.

A *purchase occasion* is a distinct (customer, timestamp). The contacts of occasion
:math:`j` of a customer are those in :math:`(t_{j-1}, t_j]` (for the first purchase:
every earlier contact). The interaction log must cover the customers' contact history:
purchases whose window starts before the first logged contact are left out.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._display import Display, Displayable, VerdictHtml, frame_rows
from crmkit._validation import items_of, real_number
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.exceptions import InvalidValueError
from crmkit.transactions._prep import LogNanPolicy, check_log, encode_ids, tz_of, wall_ns

__all__ = [
    "ContactCounts",
    "ContactsVerdict",
    "CostRatioVerdict",
    "acquisition_retention_cost_ratio",
    "contacts_before_purchase",
]

CONTACTS_CLAIM = (
    "A sale to a new customer needs 8-10 contacts; a sale to an existing customer 2-3."
)
COST_RATIO_CLAIM = "Acquiring a new customer costs 5-10 times a repeat sale to an existing one."


_ROW = {"new": 0, "existing": 1}


def _check_range(value: tuple[float, float], name: str) -> tuple[float, float]:
    pair = items_of(value, name=name)
    if len(pair) != 2:
        raise InvalidValueError(f"{name}={value!r} must be a (low, high) pair.")
    low, high = (real_number(v, name=name) for v in pair)
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low <= high):
        raise InvalidValueError(
            f"{name}={value!r} must be a (low, high) pair with 0 <= low <= high."
        )
    return low, high


@attrs.frozen(kw_only=True)
class _Joined:
    """Purchase occasions and contacts of one call, as integer codes and ns times."""

    p_code: NDArray[np.int64]
    p_time: NDArray[np.int64]
    p_first: NDArray[np.bool_]
    p_prev: NDArray[np.int64]
    c_time: NDArray[np.int64]
    c_target: NDArray[np.int64]  # purchase occasion each contact precedes, -1 if none
    c_acquisition: NDArray[np.bool_]  # before the customer's first purchase (or never buys)
    start: int
    ids: pd.Index


def _join(
    interactions: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    cid: str,
    dtc: str,
    cost_col: str | None,
    nan_policy: str,
) -> tuple[_Joined, NDArray[np.float64]]:
    tx = check_log(transactions, {"id": cid, "datetime": dtc}, nan_policy=nan_policy)
    icols = {"id": cid, "datetime": dtc} | ({"cost": cost_col} if cost_col is not None else {})
    it = check_log(
        interactions,
        icols,
        numeric=("cost",) if cost_col is not None else (),
        nan_policy=nan_policy,
        name="interactions",
    )
    if tz_of(tx, dtc) != tz_of(it, dtc):
        raise InvalidValueError(
            f"the {dtc!r} columns of interactions and transactions are in different time "
            "zones; convert them to one zone first."
        )
    codes, ids = encode_ids(pd.concat([tx[cid], it[cid]], ignore_index=True), sort=True)
    p = pd.DataFrame({"code": codes[: len(tx)].astype(np.int64), "t": wall_ns(tx[dtc])})
    p = p.drop_duplicates().sort_values(["code", "t"], kind="stable", ignore_index=True)
    p_code = p["code"].to_numpy()
    p_time = p["t"].to_numpy()
    p_first = np.ones(len(p), dtype=bool)
    p_first[1:] = p_code[1:] != p_code[:-1]
    p_prev = np.where(p_first, np.iinfo(np.int64).min, np.roll(p_time, 1))
    c = pd.DataFrame(
        {
            "code": codes[len(tx) :].astype(np.int64),
            "t": wall_ns(it[dtc]),
            "row": np.arange(len(it)),
        }
    ).sort_values("t", kind="stable")
    right = pd.DataFrame({"code": p_code, "t": p_time, "pid": np.arange(len(p))}).sort_values(
        "t", kind="stable"
    )
    merged = pd.merge_asof(c, right, on="t", by="code", direction="forward")
    target = np.full(len(it), -1, dtype=np.int64)
    target[merged["row"].to_numpy()] = merged["pid"].fillna(-1).to_numpy(dtype=np.int64)
    first_time = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    first_time[p_code[p_first]] = p_time[p_first]
    c_code = codes[len(tx) :].astype(np.int64)
    c_time = wall_ns(it[dtc])
    cost = (
        it[cost_col].to_numpy(dtype=np.float64)
        if cost_col is not None
        else np.ones(len(it), dtype=np.float64)
    )
    if (cost < 0).any():
        raise InvalidValueError(f"column {cost_col!r} has negative contact costs.")
    joined = _Joined(
        p_code=p_code,
        p_time=p_time,
        p_first=p_first,
        p_prev=p_prev,
        c_time=c_time,
        c_target=target,
        c_acquisition=c_time <= first_time[c_code],
        start=int(c_time.min()),
        ids=pd.Index(ids),
    )
    return joined, cost


@attrs.frozen(kw_only=True)
class ContactsVerdict(VerdictHtml):
    """What the data says about the 8-10 vs 2-3 contacts claim.

    Attributes
    ----------
    claim : str
    n_new, n_existing : int
        Sales (purchase occasions) to new and to existing customers measured.
    mean_new, mean_existing, median_new, median_existing : float
        Contacts per sale.
    ratio : float
        ``mean_new / mean_existing`` (NaN when ``mean_existing`` is 0).
    claimed_new, claimed_existing : tuple of float
        The claimed ranges.
    holds : bool
        Both means lie within their claimed ranges.
    """

    claim: str = CONTACTS_CLAIM
    n_new: int
    n_existing: int
    mean_new: float
    mean_existing: float
    median_new: float
    median_existing: float
    ratio: float
    claimed_new: tuple[float, float]
    claimed_existing: tuple[float, float]
    holds: bool

    def measured(self) -> dict[str, float]:
        """The measured figures by name (for a claims table)."""
        names = ("n_new", "n_existing", "mean_new", "mean_existing", "ratio")
        return {n: float(getattr(self, n)) for n in names}


@attrs.frozen(kw_only=True, eq=False, repr=False)
class ContactCounts(Displayable):
    """Contacts before each sale, split by new and existing customers.

    Attributes
    ----------
    per_purchase : pandas.DataFrame
        One row per measured purchase occasion: ``customer_id``, ``datetime`` (wall
        clock), ``kind`` (``"new"`` or ``"existing"``), ``contacts``; in customer-id
        order, then time.
    table : pandas.DataFrame
        Indexed by kind (``new``, ``existing``): ``purchases``, ``mean_contacts``,
        ``median_contacts``.
    unconverted_contacts : int
        Contacts not followed by any purchase of that customer.
    """

    per_purchase: pd.DataFrame
    table: pd.DataFrame
    unconverted_contacts: int

    def _display(self) -> Display:
        columns, rows, _ = frame_rows(self.table)
        columns[0] = "customers"
        return Display(
            f"Contacts before each sale, {len(self.per_purchase):,} purchases measured",
            [f"{self.unconverted_contacts:,} contacts not followed by a purchase"],
            columns,
            rows,
        )

    def verdict(
        self,
        *,
        claimed_new: tuple[float, float] = (8.0, 10.0),
        claimed_existing: tuple[float, float] = (2.0, 3.0),
    ) -> ContactsVerdict:
        """Compare the mean contacts per sale with the claimed ranges.

        Raises
        ------
        InvalidValueError
            When no sale to a new or no sale to an existing customer was measured.
        """
        lo_n, hi_n = _check_range(claimed_new, "claimed_new")
        lo_e, hi_e = _check_range(claimed_existing, "claimed_existing")
        t = self.table
        missing = [str(kind) for kind, n in t["purchases"].items() if n == 0]
        if missing:
            raise InvalidValueError(
                f"no measured sale to {' or '.join(missing)} customers; the contacts claim "
                "needs both (check that the interaction log covers the purchases)."
            )
        m_new, m_ex = (
            float(t["mean_contacts"].to_numpy(dtype=np.float64)[_ROW["new"]]),
            float(t["mean_contacts"].to_numpy(dtype=np.float64)[_ROW["existing"]]),
        )
        ratio = m_new / m_ex if m_ex > 0 else float("nan")
        return ContactsVerdict(
            n_new=int(t["purchases"].to_numpy(dtype=np.float64)[_ROW["new"]]),
            n_existing=int(t["purchases"].to_numpy(dtype=np.float64)[_ROW["existing"]]),
            mean_new=m_new,
            mean_existing=m_ex,
            median_new=float(t["median_contacts"].to_numpy(dtype=np.float64)[_ROW["new"]]),
            median_existing=float(
                t["median_contacts"].to_numpy(dtype=np.float64)[_ROW["existing"]]
            ),
            ratio=ratio,
            claimed_new=(lo_n, hi_n),
            claimed_existing=(lo_e, hi_e),
            holds=bool(lo_n <= m_new <= hi_n and lo_e <= m_ex <= hi_e),
        )


def contacts_before_purchase(
    interactions: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    nan_policy: LogNanPolicy = "raise",
) -> ContactCounts:
    """Count the contacts before every sale, for new and for existing customers.

    Parameters
    ----------
    interactions : pandas.DataFrame
        One row per contact (call, visit, e-mail, ...): customer id and datetime.
    transactions : pandas.DataFrame
        One row per purchase (line); rows with the same customer and timestamp are one
        purchase occasion.
    customer_id_col, datetime_col : str
        Column names, the same in both frames.
    nan_policy : {"raise", "omit"}

    Returns
    -------
    ContactCounts
        Per-purchase counts, a table by kind and ``.verdict()`` for the 8-10 vs 2-3 claim.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, wrong dtypes, NaN, empty frames or mixed time zones.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime
    >>> contacts = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 1, 1, 2, 2, 3],
    ...         "datetime": d(
    ...             [
    ...                 "2024-01-01",
    ...                 "2024-01-05",
    ...                 "2024-02-01",
    ...                 "2024-03-01",
    ...                 "2024-01-02",
    ...                 "2024-01-03",
    ...                 "2024-01-04",
    ...             ]
    ...         ),
    ...     }
    ... )
    >>> sales = pd.DataFrame(
    ...     {"customer_id": [1, 1, 2], "datetime": d(["2024-01-10", "2024-02-15", "2024-01-03"])}
    ... )
    >>> res = contacts_before_purchase(contacts, sales)
    >>> res.table
              purchases  mean_contacts  median_contacts
    kind
    new               2            2.0              2.0
    existing          1            1.0              1.0
    >>> res.unconverted_contacts, res.verdict().holds
    (2, False)
    """
    j, _ = _join(
        interactions,
        transactions,
        cid=customer_id_col,
        dtc=datetime_col,
        cost_col=None,
        nan_policy=nan_policy,
    )
    n_p = len(j.p_code)
    valid = j.c_target >= 0
    counts = np.bincount(j.c_target[valid], minlength=n_p)
    measured = np.where(j.p_first, j.p_time >= j.start, j.p_prev >= j.start)
    kinds = np.where(j.p_first, "new", "existing")
    per = pd.DataFrame(
        {
            customer_id_col: j.ids[j.p_code[measured]],
            datetime_col: j.p_time[measured].view("M8[ns]"),
            "kind": kinds[measured],
            "contacts": counts[measured].astype(np.int64),
        }
    )
    grouped = per.groupby("kind", sort=False)["contacts"]
    table = pd.DataFrame(
        {
            "purchases": grouped.size(),
            "mean_contacts": grouped.mean(),
            "median_contacts": grouped.median(),
        }
    ).reindex(pd.Index(["new", "existing"], name="kind"))
    table["purchases"] = table["purchases"].fillna(0).astype(np.int64)
    return ContactCounts(per_purchase=per, table=table, unconverted_contacts=int((~valid).sum()))


@attrs.frozen(kw_only=True)
class CostRatioVerdict(VerdictHtml):
    """What the data says about the 5-10x acquisition cost claim.

    .. math::

        \\text{ratio} = \\frac{C_\\text{acq} / N_\\text{new}}{C_\\text{ret} / N_\\text{repeat}}

    with :math:`C_\\text{acq}` the cost of contacts before a customer's first purchase
    (including contacts to prospects who never bought), :math:`C_\\text{ret}` the cost
    of contacts after it, :math:`N_\\text{new}` first purchases and
    :math:`N_\\text{repeat}` repeat purchase occasions in the interaction log's span.

    Attributes
    ----------
    claim : str
    acquisition_cost, retention_cost : float
        Total contact costs of each kind.
    n_new_customers, n_repeat_purchases : int
    cost_per_acquisition, cost_per_repeat_purchase, ratio : float
    claimed : tuple of float
        The claimed range of ``ratio``.
    holds : bool
        ``ratio`` lies within ``claimed``.
    """

    claim: str = COST_RATIO_CLAIM
    acquisition_cost: float
    retention_cost: float
    n_new_customers: int
    n_repeat_purchases: int
    cost_per_acquisition: float
    cost_per_repeat_purchase: float
    ratio: float
    claimed: tuple[float, float]
    holds: bool

    def measured(self) -> dict[str, float]:
        """The measured figures by name (for a claims table)."""
        names = ("cost_per_acquisition", "cost_per_repeat_purchase", "ratio")
        return {n: float(getattr(self, n)) for n in names}


def acquisition_retention_cost_ratio(
    interactions: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    cost_col: str | None = None,
    claimed: tuple[float, float] = (5.0, 10.0),
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    nan_policy: LogNanPolicy = "raise",
) -> CostRatioVerdict:
    """Cost of acquiring a customer relative to the cost of a repeat sale.

    Parameters
    ----------
    interactions : pandas.DataFrame
        Contacts: customer id, datetime and optionally a cost per contact.
    transactions : pandas.DataFrame
        Purchases: customer id and datetime.
    cost_col : str, optional
        Cost of each contact (>= 0); without it every contact costs 1, so the ratio
        compares contact counts.
    claimed : (float, float), default (5, 10)
        The claimed range of the ratio (some sources say 5).
    customer_id_col, datetime_col : str
        Column names, the same in both frames.
    nan_policy : {"raise", "omit"}

    Returns
    -------
    CostRatioVerdict

    Raises
    ------
    InvalidValueError
        When there is no new customer or no repeat purchase in the log's span, or for
        negative costs, NaN or bad columns.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime
    >>> contacts = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 2, 9, 1],
    ...         "datetime": d(
    ...             ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02", "2024-02-01"]
    ...         ),
    ...         "cost": [40.0, 40.0, 40.0, 40.0, 10.0],
    ...     }
    ... )
    >>> sales = pd.DataFrame(
    ...     {"customer_id": [1, 1, 2], "datetime": d(["2024-01-10", "2024-02-15", "2024-01-03"])}
    ... )
    >>> v = acquisition_retention_cost_ratio(contacts, sales, cost_col="cost")
    >>> v.cost_per_acquisition, v.cost_per_repeat_purchase, v.ratio, v.holds
    (80.0, 10.0, 8.0, True)
    """
    low, high = _check_range(claimed, "claimed")
    j, cost = _join(
        interactions,
        transactions,
        cid=customer_id_col,
        dtc=datetime_col,
        cost_col=cost_col,
        nan_policy=nan_policy,
    )
    in_span = j.p_time >= j.start
    n_new = int((j.p_first & in_span).sum())
    n_rep = int((~j.p_first & in_span).sum())
    if n_new == 0 or n_rep == 0:
        raise InvalidValueError(
            f"need at least one new customer and one repeat purchase within the interaction "
            f"log's span; found {n_new} new and {n_rep} repeat."
        )
    acq = float(cost[j.c_acquisition].sum())
    ret = float(cost[~j.c_acquisition].sum())
    cpa, cpr = acq / n_new, ret / n_rep
    ratio = cpa / cpr if cpr > 0 else float("inf")
    return CostRatioVerdict(
        acquisition_cost=acq,
        retention_cost=ret,
        n_new_customers=n_new,
        n_repeat_purchases=n_rep,
        cost_per_acquisition=cpa,
        cost_per_repeat_purchase=cpr,
        ratio=ratio,
        claimed=(low, high),
        holds=bool(low <= ratio <= high),
    )
