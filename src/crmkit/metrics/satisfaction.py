"""Customer-satisfaction metrics: repeat purchase, product penetration, NPS, CSAT, CES.

Transaction inputs are one row per purchase (aggregate order lines to orders first) with a
customer column and a ``datetime64`` column; defaults are the canonical names of
:mod:`crmkit.columns`. Survey inputs are the raw answers, one per respondent, on the
integer scale the metric defines; an answer outside the scale raises rather than being
clipped or dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crmkit._validation import check_in_range, handle_nan, require_columns, require_nonempty
from crmkit.columns import CUSTOMER_ID, DATETIME, PRODUCT_ID
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import check_count, survey_answers
from crmkit.transactions._prep import check_log, tz_of, zoned_instant

__all__ = [
    "ces",
    "csat",
    "nps",
    "nps_breakdown",
    "product_penetration",
    "products_per_customer",
    "repeat_purchase_rate",
]


def nps_breakdown(scores: ArrayLike) -> pd.Series[float]:
    r"""Net Promoter Score with its promoter, passive and detractor shares.

    .. math::

        \mathrm{NPS} = 100\,\left(\frac{\#\{s \ge 9\}}{N} - \frac{\#\{s \le 6\}}{N}\right)

    Parameters
    ----------
    scores : array_like of int
        Answers to "How likely are you to recommend ...?" on the 0-10 scale.

    Returns
    -------
    pandas.Series
        ``n`` (respondents), ``promoters``, ``passives``, ``detractors`` (shares in
        [0, 1]) and ``nps`` (in [-100, 100]).

    Raises
    ------
    InvalidValueError
        If ``scores`` is empty or holds a value that is not an integer in 0-10.

    References
    ----------
    - Reichheld, F. F. (2003), "The one number you need to grow", *Harvard Business
      Review* 81(12): promoters 9-10, passives 7-8, detractors 0-6.

    Examples
    --------
    >>> nps_breakdown([3, 4, 5, 6, 8, 8, 8, 9, 10, 10]).round(2).to_dict()
    {'n': 10.0, 'promoters': 0.3, 'passives': 0.3, 'detractors': 0.4, 'nps': -10.0}
    """
    s = survey_answers(scores, low=0, high=10, name="NPS")
    n = float(s.size)
    n_pro = np.count_nonzero(s >= 9)
    n_det = np.count_nonzero(s <= 6)
    pro, det = n_pro / n, n_det / n
    return pd.Series(
        {
            "n": n,
            "promoters": pro,
            "passives": (s.size - n_pro - n_det) / n,
            "detractors": det,
            "nps": 100.0 * (pro - det),
        },
        dtype=np.float64,
    )


def nps(scores: ArrayLike) -> float:
    r"""Net Promoter Score in [-100, 100] from 0-10 answers.

    .. math::

        \mathrm{NPS} = 100\,(p_{\text{promoters}} - p_{\text{detractors}})

    See :func:`nps_breakdown` for the parts, parameters and errors.

    Parameters
    ----------
    scores : array_like of int
        Answers on the 0-10 "would you recommend" scale.

    Returns
    -------
    float
        NPS in points, from -100 (all detractors) to +100 (all promoters).

    Raises
    ------
    InvalidValueError
        If ``scores`` is empty or holds a value that is not an integer in 0-10.

    Examples
    --------
    >>> nps([10, 9, 9, 7, 3])
    40.0
    """
    return float(nps_breakdown(scores)["nps"])


def csat(scores: ArrayLike, *, scale: int = 5, satisfied_from: int = 4) -> float:
    r"""Customer satisfaction score: share of respondents who are satisfied.

    .. math::

        \mathrm{CSAT} = \frac{\#\{s \ge s^*\}}{N}

    Parameters
    ----------
    scores : array_like of int
        Answers on the 1..``scale`` scale (1 = very dissatisfied).
    scale : int, default 5
        Top of the scale.
    satisfied_from : int, default 4
        Lowest answer counted as satisfied (4 and 5 on a five-point scale).

    Returns
    -------
    float
        Share in [0, 1] (multiply by 100 for the usual percentage).

    Raises
    ------
    InvalidValueError
        If answers are outside 1..``scale`` or ``satisfied_from`` is not on the scale.

    Examples
    --------
    >>> csat([5, 4, 3, 2, 5])
    0.6
    """
    top = check_count(scale, name="scale", low=2)
    cut = check_in_range(satisfied_from, name="satisfied_from", low=1, high=top)
    s = survey_answers(scores, low=1, high=top, name="CSAT")
    return float(np.count_nonzero(s >= cut)) / s.size


def ces(scores: ArrayLike, *, scale: int = 7) -> float:
    r"""Customer effort score: mean answer on a 1..``scale`` agreement scale.

    .. math::

        \mathrm{CES} = \frac{1}{N}\sum_{i=1}^{N} s_i

    The question is "The company made it easy for me to handle my issue" (CES 2.0), so
    **higher is better** (less effort). Reverse-code answers first if your survey asks
    about effort directly.

    Parameters
    ----------
    scores : array_like of int
        Answers on the 1..``scale`` scale (1 = strongly disagree).
    scale : int, default 7
        Top of the scale.

    Returns
    -------
    float
        Mean in [1, ``scale``].

    Raises
    ------
    InvalidValueError
        If an answer is not an integer on the scale.

    References
    ----------
    - Dixon, Freeman & Toman (2010), "Stop trying to delight your customers",
      *Harvard Business Review* 88(7).

    Examples
    --------
    >>> ces([7, 6, 5, 2])
    5.0
    """
    top = check_count(scale, name="scale", low=2)
    return float(np.mean(survey_answers(scores, low=1, high=top, name="CES")))


def _purchases(transactions: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Columns, emptiness and NaN of an undated purchase log (a dated one: check_log)."""
    require_columns(transactions, columns)
    require_nonempty(transactions, name="transactions")
    return handle_nan(transactions, columns)


def repeat_purchase_rate(
    transactions: pd.DataFrame,
    *,
    start: Any,
    end: Any,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
) -> float:
    r"""Share of the period's buyers who bought again within the same period.

    .. math::

        \mathrm{RPR}_{[a, b)} = \frac{\#\{c : n_c \ge 2\}}{\#\{c : n_c \ge 1\}}

    where :math:`n_c` counts customer :math:`c`'s purchases with :math:`a \le t < b`.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase with ``customer_id_col`` and ``datetime_col`` (datetime64).
    start, end : timestamp-like
        The period ``[start, end)``; the rate is *per this period* (a quarter's rate and a
        year's rate differ).
    customer_id_col, datetime_col : str
        Column names.

    Returns
    -------
    float
        Rate in [0, 1].

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, NaN, non-datetime column, ``end <= start`` or no purchase in
        the period.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "c"],
    ...         "datetime": pd.to_datetime(
    ...             ["2024-01-05", "2024-02-01", "2024-01-09", "2024-05-01"]
    ...         ),
    ...     }
    ... )
    >>> repeat_purchase_rate(tx, start="2024-01-01", end="2024-04-01")
    0.5
    """
    tx = check_log(transactions, {"id": customer_id_col, "datetime": datetime_col})
    dt = tx[datetime_col]
    tz = tz_of(tx, datetime_col)
    a, b = zoned_instant(start, tz, name="start"), zoned_instant(end, tz, name="end")
    if b <= a:
        raise InvalidValueError(f"end={end!r} must be after start={start!r}.")
    counts = tx.loc[((dt >= a) & (dt < b)).to_numpy(), customer_id_col].value_counts()
    if counts.empty:
        raise InvalidValueError(
            f"no purchases in [{a}, {b}); the repeat-purchase rate of a period with no "
            "buyers is undefined. Check the period against the data's dates."
        )
    return float(np.count_nonzero(counts.to_numpy() >= 2)) / len(counts)


def product_penetration(
    transactions: pd.DataFrame,
    *,
    n_customers: int | None = None,
    customer_id_col: str = CUSTOMER_ID,
    product_col: str = PRODUCT_ID,
) -> pd.Series[float]:
    r"""Product penetration: share of the customer base that bought each product.

    .. math::

        \mathrm{pen}_j = \frac{\#\{c : c \text{ bought } j\}}{N_{\text{customers}}}

    Parameters
    ----------
    transactions : pandas.DataFrame
        Purchases over the period of interest, with customer and product columns.
    n_customers : int, optional
        Size of the customer base (including non-buyers in the period); defaults to the
        number of distinct customers in ``transactions``.
    customer_id_col, product_col : str
        Column names.

    Returns
    -------
    pandas.Series
        Named ``penetration``, indexed by product, values in [0, 1], sorted descending.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, NaN, empty data, or ``n_customers`` below the buyers counted.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 3], "product_id": ["x", "y", "x", "x"]})
    >>> product_penetration(tx, n_customers=4).to_dict()
    {'x': 0.75, 'y': 0.25}
    """
    tx = _purchases(transactions, [customer_id_col, product_col])
    buyers = tx.groupby(product_col, sort=True)[customer_id_col].nunique()
    n_seen = int(tx[customer_id_col].nunique())
    n = n_seen if n_customers is None else check_count(n_customers, name="n_customers")
    if n < n_seen:
        raise InvalidValueError(
            f"n_customers={n} is smaller than the {n_seen} distinct buyers in transactions; "
            "pass the size of the whole customer base."
        )
    out = (buyers / n).astype(np.float64).sort_values(ascending=False, kind="stable")
    return out.rename("penetration")


def products_per_customer(
    transactions: pd.DataFrame,
    *,
    customer_id_col: str = CUSTOMER_ID,
    product_col: str = PRODUCT_ID,
) -> float:
    r"""Mean number of distinct products bought per buying customer.

    .. math::

        \bar{k} = \frac{1}{|C|}\sum_{c \in C} \#\{j : c \text{ bought } j\}

    Parameters
    ----------
    transactions : pandas.DataFrame
        Purchases over the period of interest with customer and product columns.
    customer_id_col, product_col : str
        Column names.

    Returns
    -------
    float
        Distinct products per buying customer (>= 1).

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, NaN or no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 1], "product_id": ["x", "y", "x", "x"]})
    >>> products_per_customer(tx)
    1.5
    """
    tx = _purchases(transactions, [customer_id_col, product_col])
    return float(tx.groupby(customer_id_col)[product_col].nunique().mean())
