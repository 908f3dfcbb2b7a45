"""Market-share metrics: the firm's sales against its competitors' in one period.

Sales may be money or units, but all figures passed together must be in the same unit and
cover the same period and market definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmkit._validation import check_finite, check_in_range
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import labelled_values

__all__ = ["market_share", "market_shares", "relative_market_share"]


def _competitors(competitor_sales: Mapping[str, float] | pd.Series[Any]) -> pd.Series[float]:
    s = labelled_values(competitor_sales, name="competitor_sales")
    if s.empty:
        raise InvalidValueError(
            "competitor_sales is empty; pass at least one competitor's sales, e.g. "
            "{'rival_a': 1200.0}."
        )
    vals = check_finite(s.to_numpy(), name="competitor_sales")
    if np.any(vals < 0):
        raise InvalidValueError(f"competitor_sales must be >= 0, got {s[s < 0].to_dict()}.")
    return s


def market_share(
    own_sales: float, competitor_sales: Mapping[str, float] | pd.Series[Any]
) -> float:
    r"""Absolute market share: own sales over the whole market's sales.

    .. math::

        s = \frac{S_{\text{own}}}{S_{\text{own}} + \sum_j S_j}

    Parameters
    ----------
    own_sales : float
        The firm's sales in the period (money or units), >= 0.
    competitor_sales : mapping or pandas.Series
        Each competitor's sales in the same unit and period, >= 0.

    Returns
    -------
    float
        Share in [0, 1].

    Raises
    ------
    InvalidValueError
        On negative or non-finite sales, no competitors, or a market with zero sales.

    Examples
    --------
    >>> market_share(300, {"a": 500, "b": 200})
    0.3
    """
    own = check_in_range(own_sales, name="own_sales", low=0.0)
    total = own + float(_competitors(competitor_sales).sum())
    if total == 0:
        raise InvalidValueError("the market has zero sales; market share is undefined.")
    return own / total


def relative_market_share(
    own_sales: float, competitor_sales: Mapping[str, float] | pd.Series[Any]
) -> float:
    r"""Relative market share: own sales over the largest competitor's sales.

    .. math::

        s_{\text{rel}} = \frac{S_{\text{own}}}{\max_j S_j}

    Values above 1 mean the firm is the market leader (the BCG-matrix axis).

    Parameters
    ----------
    own_sales : float
        The firm's sales in the period (money or units), >= 0.
    competitor_sales : mapping or pandas.Series
        Each competitor's sales in the same unit and period, >= 0.

    Returns
    -------
    float
        Ratio (>= 0) to the largest competitor's sales.

    Raises
    ------
    InvalidValueError
        On negative or non-finite sales, no competitors, or all competitors at zero.

    Examples
    --------
    >>> relative_market_share(300, {"a": 500, "b": 200})
    0.6
    """
    own = check_in_range(own_sales, name="own_sales", low=0.0)
    top = float(_competitors(competitor_sales).max())
    if top == 0:
        raise InvalidValueError(
            "every competitor has zero sales; relative market share is undefined."
        )
    return own / top


def market_shares(sales: Mapping[str, float] | pd.Series[Any]) -> pd.Series[float]:
    r"""Every player's share of the market, largest first.

    .. math::

        s_j = \frac{S_j}{\sum_k S_k}

    Parameters
    ----------
    sales : mapping or pandas.Series
        Sales per player (including the firm itself), same unit and period.

    Returns
    -------
    pandas.Series
        Named ``market_share``, summing to 1, sorted descending.

    Examples
    --------
    >>> market_shares({"us": 300, "a": 500, "b": 200}).to_dict()
    {'a': 0.5, 'us': 0.3, 'b': 0.2}
    """
    s = _competitors(sales)
    total = float(s.sum())
    if total == 0:
        raise InvalidValueError("the market has zero sales; shares are undefined.")
    return (s / total).sort_values(ascending=False, kind="stable").rename("market_share")
