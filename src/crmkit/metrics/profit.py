"""Customer-profit metrics: revenue per purchase, lifetime value, cost to serve.

Money carries no currency: amounts in, the same unit out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crmkit._compat import renamed_keywords
from crmkit._validation import (
    check_finite,
    check_in_range,
    check_numeric_column,
    handle_nan,
    overflow_scale,
    require_columns,
    require_nonempty,
)
from crmkit.columns import MONETARY
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import as_nonempty_array, scaled_total

__all__ = [
    "cost_to_serve",
    "cost_to_serve_trend",
    "lifetime_value_summary",
    "revenue_per_purchase",
]


@renamed_keywords(monetary_col="amount_col")
def revenue_per_purchase(transactions: pd.DataFrame, *, amount_col: str = MONETARY) -> float:
    r"""Average revenue per purchase over the rows given.

    .. math::

        \bar{m} = \frac{\sum_i m_i}{N_{\text{purchases}}}

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase (filter it to the period of interest first) with a numeric
        ``amount_col`` (money per purchase; refunds may be negative).
    amount_col : str, default ``"monetary"``
        Per-transaction amount column (named ``monetary_col`` before crmkit 0.2; the old
        keyword still works for one release, with a :class:`DeprecationWarning`).

    Returns
    -------
    float
        Money per purchase.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing or non-numeric column, NaN, or no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> revenue_per_purchase(pd.DataFrame({"monetary": [10.0, 30.0, 20.0]}))
    20.0
    """
    require_columns(transactions, [amount_col])
    require_nonempty(transactions, name="transactions")
    check_numeric_column(transactions, amount_col)
    tx = handle_nan(transactions, [amount_col])
    values = check_finite(tx[amount_col].to_numpy(dtype=np.float64), name=amount_col)
    return float(values.mean())


def lifetime_value_summary(clv: ArrayLike | pd.Series[Any]) -> pd.Series[float]:
    r"""Summarise per-customer lifetime values computed elsewhere.

    Pass the output of a :mod:`crmkit.clv` model (or any CLV estimate, one value per
    customer, in money at ``t = 0``); crmkit does not re-estimate it here.

    .. math::

        \overline{\mathrm{CLV}} = \frac{1}{N}\sum_c \mathrm{CLV}_c,
        \qquad \mathrm{CE} = \sum_c \mathrm{CLV}_c \;(\text{customer equity})

    Returns
    -------
    pandas.Series
        ``n``, ``mean``, ``median``, ``total`` (customer equity).

    Raises
    ------
    InvalidValueError
        If empty or not finite.

    Parameters
    ----------
    clv : array_like or pandas.Series of float
        One lifetime value per customer (money, discounted to the valuation date).

    Examples
    --------
    >>> lifetime_value_summary([100.0, 250.0, 50.0]).to_dict()
    {'n': 3.0, 'mean': 133.33333333333334, 'median': 100.0, 'total': 400.0}
    """
    raw = clv.to_numpy() if isinstance(clv, pd.Series) else clv
    v = as_nonempty_array(raw, name="clv")
    total = scaled_total(v, np.ones(v.size), name="the total CLV")
    scale = overflow_scale(v)
    return pd.Series(
        {
            "n": float(v.size),
            "mean": float((v / scale).mean()) * scale,  # finite whenever the values are
            "median": float(np.median(v)),
            "total": total,
        },
        dtype=np.float64,
    )


def cost_to_serve(total_cost: float, n_customers: float) -> float:
    r"""Cost to serve one customer in a period.

    .. math::

        \mathrm{CTS} = \frac{K_{\text{service}}}{N_{\text{customers}}}

    Parameters
    ----------
    total_cost : float
        Cost of sales, service and support in the period (money), >= 0.
    n_customers : float
        Customers served in the same period, > 0.

    Returns
    -------
    float
        Money per customer per period.

    Examples
    --------
    >>> cost_to_serve(12_000, 400)
    30.0
    """
    k = check_in_range(total_cost, name="total_cost", low=0.0)
    n = check_in_range(n_customers, name="n_customers", low=0.0, low_inclusive=False)
    return k / n


def cost_to_serve_trend(costs: pd.Series[Any], customers: pd.Series[Any]) -> pd.DataFrame:
    r"""Cost to serve per period and its reduction from the previous period.

    .. math::

        \mathrm{CTS}_p = \frac{K_p}{N_p}, \qquad
        \mathrm{reduction}_p = \frac{\mathrm{CTS}_{p-1} - \mathrm{CTS}_p}{\mathrm{CTS}_{p-1}}

    Parameters
    ----------
    costs : pandas.Series
        Cost to serve all customers per period (money), indexed by period (e.g. a
        :class:`pandas.PeriodIndex`), in time order.
    customers : pandas.Series
        Customers served per period, same index.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``costs``; columns ``cost``, ``customers``, ``cost_to_serve``,
        ``reduction`` (fraction; positive = cheaper; NaN for the first period, which has
        no predecessor).

    Raises
    ------
    InvalidValueError
        If the indexes differ, a series is empty, a cost is negative or a count not > 0.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.period_range("2024Q1", periods=2, freq="Q")
    >>> out = cost_to_serve_trend(pd.Series([1000.0, 900.0], idx), pd.Series([100, 100], idx))
    >>> out["reduction"].round(2).tolist()
    [nan, 0.1]
    """
    for name, s in (("costs", costs), ("customers", customers)):
        if not isinstance(s, pd.Series) or len(s) == 0:
            raise InvalidValueError(f"{name} must be a non-empty pandas Series per period.")
    if not costs.index.equals(customers.index):
        raise InvalidValueError(
            "costs and customers must have the same index (one entry per period, same "
            "order); align them with .reindex(...) first."
        )
    k = check_finite(costs.to_numpy(dtype=np.float64), name="costs")
    n = check_finite(customers.to_numpy(dtype=np.float64), name="customers")
    if np.any(k < 0) or np.any(n <= 0):
        raise InvalidValueError("costs must be >= 0 and customers > 0 in every period.")
    cts = k / n
    prev = np.concatenate([[np.nan], cts[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        red = np.where(prev > 0, (prev - cts) / np.where(prev > 0, prev, 1.0), np.nan)
    return pd.DataFrame(
        {"cost": k, "customers": n, "cost_to_serve": cts, "reduction": red}, index=costs.index
    )
