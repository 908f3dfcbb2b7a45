"""Retention and churn per calendar period and per acquisition cohort.

A customer is **active** in a calendar period (month ``"M"``, quarter ``"Q"`` or year
``"Y"``, via :class:`pandas.Period`) if they made at least one purchase in it. Every rate
here is *per period of the chosen length*: a monthly retention rate and a yearly one are
different numbers. In a non-contractual business "not active in the next period" is the
operational meaning of churn; it counts customers who come back later as churned in that
period, which is why the per-cohort table is given too.

A period the data cover only in part (the last month of a log that stops on the 9th)
holds fewer purchases than a whole one, so retention *into* it looks like a collapse and
retention *out of* a partial first period starts from an incomplete set of customers. By
default such rows are left out (``partial="drop"``); ``partial="keep"`` keeps them with
``complete=False``. The covered days are the first to the last observed day, or
``observation_start`` to ``observation_end`` (calendar dates, each whole day inside).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from crmkit._compat import renamed_keywords
from crmkit._coverage import check_partial, complete_mask, coverage, partial_records
from crmkit._dates import PeriodFreq
from crmkit._validation import check_in_range, check_option
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.exceptions import InvalidValueError, InvariantError
from crmkit.timeunits import TimeUnit
from crmkit.timeunits._periods import (
    DAY_NS,
    period_labels,
    period_ordinals,
    wall_ns,
)
from crmkit.transactions._prep import check_log, tz_of

__all__ = ["churn_rate", "cohort_retention", "retention_by_period", "retention_rate"]


def retention_rate(n_start: float, n_retained: float) -> float:
    r"""Share of the customers at the start of a period still customers at its end.

    .. math::

        r = \frac{N_{\text{retained}}}{N_{\text{start}}}

    Count only customers present at the start (exclude those acquired in the period).

    Parameters
    ----------
    n_start : float
        Customers at the start of the period, > 0.
    n_retained : float
        How many of them remain at the end, in [0, ``n_start``].

    Returns
    -------
    float
        Rate in [0, 1] per that period.

    Raises
    ------
    InvalidValueError, InvariantError
        If ``n_start <= 0``, a count is negative, or ``n_retained > n_start``.

    Examples
    --------
    >>> retention_rate(200, 170)
    0.85
    """
    n0 = check_in_range(n_start, name="n_start", low=0.0, low_inclusive=False)
    n1 = check_in_range(n_retained, name="n_retained", low=0.0)
    if n1 > n0:
        raise InvariantError(
            f"n_retained={n_retained} exceeds n_start={n_start}; count only customers who "
            "were already customers at the start (new ones are acquisitions, not retention)."
        )
    return n1 / n0


def churn_rate(n_start: float, n_retained: float) -> float:
    r"""Share of the customers at the start of a period lost by its end: :math:`1 - r`.

    Parameters
    ----------
    n_start : float
        Customers at the start of the period, > 0.
    n_retained : float
        How many of them remain at the end, in [0, ``n_start``].

    Returns
    -------
    float
        Churn rate in [0, 1] per that period.

    Raises
    ------
    InvalidValueError, InvariantError
        As :func:`retention_rate`.

    Examples
    --------
    >>> round(churn_rate(200, 170), 2)
    0.15
    """
    return 1.0 - retention_rate(n_start, n_retained)


def _check_period(period: str) -> TimeUnit:
    checked: TimeUnit = check_option(
        period, ("M", "Q", "Y"), name="period", hint="Use 'M' (months), 'Q' or 'Y' (years)."
    )
    return checked


def _activity(
    transactions: pd.DataFrame,
    period: str,
    customer_id_col: str,
    datetime_col: str,
    observation_start: Any,
    observation_end: Any,
) -> tuple[pd.DataFrame, int, int, np.ndarray[Any, Any], list[dict[str, str]]]:
    """Unique (customer, period ordinal) pairs inside the covered days.

    Also returns the first and last covered period ordinals, whether each of them is
    complete, and the records of the incomplete ones (action to be filled in).
    """
    unit = _check_period(period)
    tx = check_log(transactions, {"id": customer_id_col, "datetime": datetime_col})
    ns = wall_ns(tx[datetime_col])
    cov = coverage(
        int(ns.min()),
        int(ns.max()),
        observation_start=observation_start,
        observation_end=observation_end,
        tz=tz_of(tx, datetime_col),
    )
    inside = cov.mask(ns)
    if not inside.any():
        raise InvalidValueError(
            "no transaction between observation_start and observation_end; pass a window "
            "that overlaps the data."
        )
    ordinal = period_ordinals(ns[inside], unit)
    pairs = pd.DataFrame({"customer": tx[customer_id_col].to_numpy()[inside], "p": ordinal})
    edges = period_ordinals(np.array([cov.first_day, cov.last_day], dtype=np.int64) * DAY_NS, unit)
    lo, hi = int(edges[0]), int(edges[1])
    whole = complete_mask(np.array([lo, hi]), unit, cov)
    records = partial_records(np.unique(edges), unit, cov, "")
    return pairs.drop_duplicates(ignore_index=True), lo, hi, whole, records


@renamed_keywords(freq="period")
def retention_by_period(
    transactions: pd.DataFrame,
    *,
    period: PeriodFreq = "Q",
    partial: Literal["drop", "keep"] = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
) -> pd.DataFrame:
    r"""Retention and churn from each calendar period to the next, from purchases.

    .. math::

        r_p = \frac{|A_{p-1} \cap A_p|}{|A_{p-1}|}, \qquad c_p = 1 - r_p

    where :math:`A_p` is the set of customers active in period :math:`p`.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase with ``customer_id_col`` and ``datetime_col`` (datetime64).
    period : {"M", "Q", "Y"}, default "Q"
        Period length; the rates are per period of this length.
    partial : {"drop", "keep"}, default "drop"
        A row whose period ``p`` or ``p - 1`` is not covered in whole by the data (the
        first or last period) is left out (``"drop"``) or kept with ``complete=False``
        (``"keep"``). Either way ``result.attrs["crmkit_partial_periods"]`` lists the
        incomplete periods with the days covered and the action taken.
    observation_start, observation_end : date-like, optional
        First and last calendar day observed, each taken in whole (rows before
        ``observation_end + 1 day`` count; rows outside are ignored). Default: the first
        and last day with a purchase.
    customer_id_col, datetime_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by period ``p`` (periods after the first, gaps included, after
        ``partial``); columns ``active_previous`` (:math:`|A_{p-1}|`), ``active``,
        ``retained``, ``retention_rate``, ``churn_rate`` (NaN when nobody was active in
        ``p - 1``) and ``complete`` (both periods covered in whole).

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, NaN, non-datetime column, unknown ``period`` or ``partial``, data
        in one period only, or no two consecutive whole periods with ``"drop"``.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "c", "a", "c", "d"],
    ...         "datetime": pd.to_datetime(
    ...             [
    ...                 "2024-01-05",
    ...                 "2024-02-01",
    ...                 "2024-03-09",
    ...                 "2024-04-02",
    ...                 "2024-05-20",
    ...                 "2024-06-01",
    ...             ]
    ...         ),
    ...     }
    ... )
    >>> retention_by_period(tx, partial="keep")[["retained", "retention_rate", "complete"]]
            retained  retention_rate  complete
    2024Q2         2        0.666667     False

    The purchases run from 5 January to 1 June: both quarters are incomplete, so by
    default nothing is compared. Declaring the two quarters observed in whole:

    >>> retention_by_period(tx, observation_start="2024-01-01", observation_end="2024-06-30")[
    ...     ["active_previous", "retained", "retention_rate", "complete"]
    ... ]
            active_previous  retained  retention_rate  complete
    2024Q2                3         2        0.666667      True
    """
    check_partial(partial, ("drop", "keep"))
    pairs, lo, hi, whole_edges, records = _activity(
        transactions, period, customer_id_col, datetime_col, observation_start, observation_end
    )
    action = "dropped" if partial == "drop" else "kept"
    for r in records:
        r["action"] = action
    if hi == lo:
        raise InvalidValueError(
            "all purchases (inside the observation window) fall in one period; retention "
            "needs at least two periods."
        )
    ords = np.arange(lo, hi + 1)
    active = pairs.groupby("p").size().reindex(ords, fill_value=0).to_numpy()
    nxt = pairs.assign(p=pairs["p"] + 1)
    both = pairs.merge(nxt, on=["customer", "p"], how="inner")
    retained = both.groupby("p").size().reindex(ords, fill_value=0).to_numpy()
    prev = active[:-1].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(prev > 0, retained[1:] / np.where(prev > 0, prev, 1.0), np.nan)
    index = period_labels(ords[1:], _check_period(period))
    complete = np.ones(ords.size - 1, dtype=bool)
    complete[0] &= bool(whole_edges[0])
    complete[-1] &= bool(whole_edges[1])
    out = pd.DataFrame(
        {
            "active_previous": active[:-1],
            "active": active[1:],
            "retained": retained[1:],
            "retention_rate": rate,
            "churn_rate": 1.0 - rate,
            "complete": complete,
        },
        index=index,
    )
    if partial == "drop":
        if not complete.any():
            covered = ", ".join(
                f"{r['period']} ({r['covered_from']} to {r['covered_to']})" for r in records
            )
            raise InvalidValueError(
                f"no two consecutive whole {period} periods: incomplete period(s) {covered} "
                "are left out with partial='drop'. Pass partial='keep' to compare them "
                "(flagged complete=False), observation_start/observation_end if the log "
                "covers more days than its first and last purchase, or a longer log."
            )
        out = out[complete]
    out.attrs["crmkit_partial_periods"] = records
    return out


@renamed_keywords(freq="period")
def cohort_retention(
    transactions: pd.DataFrame,
    *,
    period: PeriodFreq = "Q",
    partial: Literal["drop", "keep"] = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
) -> pd.DataFrame:
    r"""Share of each acquisition cohort active k periods after its first purchase.

    .. math::

        R_{g,k} = \frac{|\{c \in g : c \text{ active in } g + k\}|}{|g|}

    Cohort :math:`g` holds the customers whose first purchase falls in period :math:`g`.
    This is the plain-DataFrame view of :func:`crmkit.lifecycle.cohort_retention`, which
    computes it (and also takes dask frames, weeks or days and ``nan_policy``, returning
    sizes, active counts and shares as a :class:`~crmkit.lifecycle.CohortRetention`);
    both give the same shares.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, all of each customer's history (the first purchase defines
        the cohort).
    period : {"M", "Q", "Y"}, default "Q"
        Period length of cohorts and of the ages ``k``.
    partial : {"drop", "keep"}, default "drop"
        An incomplete first or last period (not covered in whole by the data): its
        cohort row and its cells are left out (``"drop"``) or kept (``"keep"``). Either
        way ``result.attrs["crmkit_partial_periods"]`` lists it with the days covered.
    observation_start, observation_end : date-like, optional
        First and last calendar day observed, each taken in whole; default the first
        and last day with a purchase. Rows outside are ignored.
    customer_id_col, datetime_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by cohort period; column ``size`` (customers), then one column per age
        ``k = 0, 1, ...`` with the share in [0, 1] (``k = 0`` is always 1), up to the
        age of the oldest cohort at the last (whole, with ``"drop"``) period. Cells after
        that period are NaN: not observed, not zero.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        As :func:`retention_by_period` (one period of data is allowed here).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "a", "c"],
    ...         "datetime": pd.to_datetime(
    ...             ["2024-01-05", "2024-02-01", "2024-04-02", "2024-05-01"]
    ...         ),
    ...     }
    ... )
    >>> cohort_retention(tx, observation_start="2024-01-01", observation_end="2024-06-30")
            size    0    1
    2024Q1     2  1.0  0.5
    2024Q2     1  1.0  NaN

    Without the window the data run 5 January to 1 May, both quarters are incomplete and
    ``partial="keep"`` is needed to see them:

    >>> out = cohort_retention(tx, partial="keep")
    >>> [
    ...     (r["period"], r["covered_from"], r["covered_to"])
    ...     for r in out.attrs["crmkit_partial_periods"]
    ... ]
    [('2024Q1', '2024-01-05', '2024-03-31'), ('2024Q2', '2024-04-01', '2024-05-01')]
    """
    _check_period(period)
    # lazy import: crmkit.lifecycle is the one implementation of the cohort table
    from crmkit.lifecycle.cohorts import cohort_retention as _lifecycle_cohorts

    table = _lifecycle_cohorts(
        transactions,
        period=period,
        partial=partial,
        observation_start=observation_start,
        observation_end=observation_end,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
    )
    out = pd.DataFrame(
        table.retention.to_numpy(),
        index=pd.PeriodIndex(table.retention.index).rename(None),
        columns=list(table.retention.columns),
    )
    out.insert(0, "size", table.sizes.to_numpy())
    out.attrs["crmkit_partial_periods"] = [dict(r) for r in table.partial_periods]
    return out
