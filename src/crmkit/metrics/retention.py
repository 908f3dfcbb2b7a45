"""Retention and churn per calendar period and per acquisition cohort.

A customer is **active** in a calendar period (month ``"M"``, quarter ``"Q"`` or year
``"Y"``, via :class:`pandas.Period`) if they made at least one purchase in it. Every rate
here is *per period of the chosen length*: a monthly retention rate and a yearly one are
different numbers. In a non-contractual business "not active in the next period" is the
operational meaning of churn; it counts customers who come back later as churned in that
period, which is why the per-cohort table is given too.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from crmkit._periods import period_labels, period_ordinals, wall_ns
from crmkit._validation import (
    check_datetime_column,
    check_in_range,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.exceptions import InvalidValueError, InvariantError
from crmkit.timeunits import check_time_unit

__all__ = ["churn_rate", "cohort_retention", "retention_by_period", "retention_rate"]

PeriodFreq = Literal["M", "Q", "Y"]


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


def _check_freq(freq: str) -> None:
    if freq not in ("M", "Q", "Y"):
        raise InvalidValueError(f"freq={freq!r} is not 'M', 'Q' or 'Y'.")


def _activity(
    transactions: pd.DataFrame, freq: str, customer_id_col: str, datetime_col: str
) -> pd.DataFrame:
    """Unique (customer, period ordinal) pairs."""
    _check_freq(freq)
    require_columns(transactions, [customer_id_col, datetime_col])
    require_nonempty(transactions, name="transactions")
    check_datetime_column(transactions, datetime_col)
    tx = handle_nan(transactions, [customer_id_col, datetime_col])
    ordinal = period_ordinals(wall_ns(tx[datetime_col]), check_time_unit(freq))
    pairs = pd.DataFrame({"customer": tx[customer_id_col].to_numpy(), "p": ordinal})
    return pairs.drop_duplicates(ignore_index=True)


def retention_by_period(
    transactions: pd.DataFrame,
    *,
    freq: PeriodFreq = "Q",
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
    freq : {"M", "Q", "Y"}, default "Q"
        Period length; the rates are per period of this length.
    customer_id_col, datetime_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by period ``p`` (all periods after the first, gaps included); columns
        ``active_previous`` (:math:`|A_{p-1}|`), ``active``, ``retained``,
        ``retention_rate`` and ``churn_rate`` (NaN when nobody was active in ``p - 1``).

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, NaN, non-datetime column, unknown ``freq`` or data in one
        period only.

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
    >>> retention_by_period(tx)[["active_previous", "retained", "retention_rate"]]
            active_previous  retained  retention_rate
    2024Q2                3         2        0.666667
    """
    pairs = _activity(transactions, freq, customer_id_col, datetime_col)
    lo, hi = int(pairs["p"].min()), int(pairs["p"].max())
    if hi == lo:
        raise InvalidValueError(
            "all purchases fall in one period; retention needs at least two periods."
        )
    ords = np.arange(lo, hi + 1)
    active = pairs.groupby("p").size().reindex(ords, fill_value=0).to_numpy()
    nxt = pairs.assign(p=pairs["p"] + 1)
    both = pairs.merge(nxt, on=["customer", "p"], how="inner")
    retained = both.groupby("p").size().reindex(ords, fill_value=0).to_numpy()
    prev = active[:-1].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(prev > 0, retained[1:] / np.where(prev > 0, prev, 1.0), np.nan)
    index = period_labels(ords[1:], check_time_unit(freq))
    return pd.DataFrame(
        {
            "active_previous": active[:-1],
            "active": active[1:],
            "retained": retained[1:],
            "retention_rate": rate,
            "churn_rate": 1.0 - rate,
        },
        index=index,
    )


def cohort_retention(
    transactions: pd.DataFrame,
    *,
    freq: PeriodFreq = "Q",
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
) -> pd.DataFrame:
    r"""Share of each acquisition cohort active k periods after its first purchase.

    .. math::

        R_{g,k} = \frac{|\{c \in g : c \text{ active in } g + k\}|}{|g|}

    Cohort :math:`g` holds the customers whose first purchase falls in period :math:`g`.
    This is the plain-DataFrame view of :func:`crmkit.lifecycle.cohort_retention`, which
    computes it (and also takes dask frames, weeks or days, ``observation_end`` and
    ``nan_policy``, returning sizes, active counts and shares as a
    :class:`~crmkit.lifecycle.CohortRetention`); both give the same shares.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, all of each customer's history (the first purchase defines
        the cohort).
    freq : {"M", "Q", "Y"}, default "Q"
        Period length of cohorts and of the ages ``k``.
    customer_id_col, datetime_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by cohort period; column ``size`` (customers), then one column per age
        ``k = 0, 1, ...`` with the share in [0, 1] (``k = 0`` is always 1), up to the
        age of the oldest cohort at the last period in the data. Cells after that last
        period are NaN: not yet observed, not zero.

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
    >>> cohort_retention(tx)
            size    0    1
    2024Q1     2  1.0  0.5
    2024Q2     1  1.0  NaN
    """
    _check_freq(freq)
    # lazy import: crmkit.lifecycle is the one implementation of the cohort table
    from crmkit.lifecycle.cohorts import cohort_retention as _lifecycle_cohorts

    table = _lifecycle_cohorts(
        transactions, period=freq, customer_id_col=customer_id_col, datetime_col=datetime_col
    )
    out = pd.DataFrame(
        table.retention.to_numpy(),
        index=pd.PeriodIndex(table.retention.index).rename(None),
        columns=list(table.retention.columns),
    )
    out.insert(0, "size", table.sizes.to_numpy())
    return out
