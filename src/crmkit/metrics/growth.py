"""Revenue and profit-margin growth, quarter over quarter and year over year.

Inputs are dated amounts: a :class:`pandas.Series` of money indexed by a
:class:`pandas.DatetimeIndex` (one entry per transaction, invoice or day; any
granularity). They are summed into **calendar** periods with :class:`pandas.Period`
(``"Q"`` = calendar quarters Jan-Mar, ..., ``"Y"`` = calendar years, ``"M"`` = months).
Every period between the first and last date appears, with 0 where nothing was recorded,
so a gap is never skipped silently. Time-zone-aware dates are bucketed by their own wall
clock.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from crmkit._periods import period_labels, period_ordinals, wall_ns
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import dated_series
from crmkit.timeunits import check_time_unit

__all__ = [
    "margin_growth",
    "period_totals",
    "quarter_over_quarter",
    "revenue_growth",
    "year_over_year",
]

PeriodFreq = Literal["M", "Q", "Y"]


def period_totals(values: pd.Series[Any], *, freq: PeriodFreq = "Q") -> pd.Series[float]:
    """Sum dated amounts into consecutive calendar periods (empty periods are 0).

    Parameters
    ----------
    values : pandas.Series
        Amounts indexed by a DatetimeIndex.
    freq : {"M", "Q", "Y"}, default "Q"
        Calendar month, quarter or year.

    Returns
    -------
    pandas.Series
        Indexed by a complete :class:`pandas.PeriodIndex` from the first to the last
        period.

    Raises
    ------
    InvalidValueError
        Empty series, non-datetime index, NaN/inf amounts or unknown ``freq``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(
    ...     [10.0, 5.0, 7.0], index=pd.to_datetime(["2024-01-03", "2024-02-01", "2024-07-15"])
    ... )
    >>> totals = period_totals(s, freq="Q")
    >>> [str(p) for p in totals.index], totals.tolist()
    (['2024Q1', '2024Q2', '2024Q3'], [15.0, 0.0, 7.0])
    """
    if freq not in ("M", "Q", "Y"):
        raise InvalidValueError(
            f"freq={freq!r} is not 'M', 'Q' or 'Y' (calendar month, quarter, year)."
        )
    s = dated_series(values, name="values")
    unit = check_time_unit(freq)
    ordinals = period_ordinals(wall_ns(pd.DatetimeIndex(s.index)), unit)
    lo = int(ordinals.min())
    sums = np.bincount(ordinals - lo, weights=s.to_numpy())
    full = period_labels(np.arange(lo, lo + sums.size), unit)
    out: pd.Series[float] = pd.Series(sums.astype(np.float64), index=full)
    out.name = s.name
    return out


def _growth(cur: np.ndarray[Any, Any], prev: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prev != 0, (cur - prev) / np.where(prev != 0, np.abs(prev), 1.0), np.nan)


def revenue_growth(
    revenue: pd.Series[Any], *, freq: PeriodFreq = "Q", lag: int = 1
) -> pd.DataFrame:
    r"""Growth of revenue from one calendar period to the one ``lag`` periods before.

    .. math::

        g_p = \frac{R_p - R_{p-\ell}}{|R_{p-\ell}|}

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.
    freq : {"M", "Q", "Y"}, default "Q"
        Period length: quarter-over-quarter is ``freq="Q", lag=1``; year-over-year is
        ``freq="Y", lag=1``; a quarter against the same quarter a year earlier is
        ``freq="Q", lag=4``.
    lag : int, default 1
        How many periods back the comparison period lies, >= 1.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (only periods that have a comparison period); columns
        ``revenue``, ``previous`` and ``growth`` (fraction per comparison; NaN where the
        previous revenue is 0, for which growth is undefined).

    Raises
    ------
    InvalidValueError
        Empty or malformed series, bad ``freq`` or ``lag``, or fewer than ``lag + 1``
        periods of data.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(
    ...     [100.0, 120.0, 90.0], index=pd.to_datetime(["2024-02-01", "2024-05-01", "2024-08-01"])
    ... )
    >>> revenue_growth(s)["growth"].round(2).tolist()
    [0.2, -0.25]
    """
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
        raise InvalidValueError(f"lag={lag!r} must be an integer >= 1.")
    totals = period_totals(revenue, freq=freq)
    if len(totals) <= lag:
        raise InvalidValueError(
            f"revenue covers {len(totals)} {freq} period(s); growth with lag={lag} needs at "
            f"least {lag + 1}. Provide a longer series."
        )
    cur = totals.to_numpy()[lag:]
    prev = totals.to_numpy()[:-lag]
    return pd.DataFrame(
        {"revenue": cur, "previous": prev, "growth": _growth(cur, prev)},
        index=totals.index[lag:],
    )


def quarter_over_quarter(revenue: pd.Series[Any]) -> pd.DataFrame:
    r"""Revenue growth of each calendar quarter over the previous quarter.

    .. math::

        g_q = \frac{R_q - R_{q-1}}{|R_{q-1}|}

    Same as ``revenue_growth(revenue, freq="Q", lag=1)``.

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.

    Returns
    -------
    pandas.DataFrame
        As :func:`revenue_growth`: ``revenue``, ``previous``, ``growth`` per period.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([100.0, 110.0], index=pd.to_datetime(["2024-03-31", "2024-04-01"]))
    >>> quarter_over_quarter(s)["growth"].round(2).tolist()
    [0.1]
    """
    return revenue_growth(revenue, freq="Q", lag=1)


def year_over_year(revenue: pd.Series[Any]) -> pd.DataFrame:
    r"""Revenue growth of each calendar year over the previous year.

    .. math::

        g_y = \frac{R_y - R_{y-1}}{|R_{y-1}|}

    Same as ``revenue_growth(revenue, freq="Y", lag=1)``.

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.

    Returns
    -------
    pandas.DataFrame
        As :func:`revenue_growth`: ``revenue``, ``previous``, ``growth`` per period.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([200.0, 150.0], index=pd.to_datetime(["2023-06-01", "2024-06-01"]))
    >>> year_over_year(s)["growth"].tolist()
    [-0.25]
    """
    return revenue_growth(revenue, freq="Y", lag=1)


def margin_growth(
    revenue: pd.Series[Any],
    profit: pd.Series[Any],
    *,
    freq: PeriodFreq = "Q",
    lag: int = 1,
) -> pd.DataFrame:
    r"""Profit margin per calendar period and its change from ``lag`` periods before.

    .. math::

        m_p = \frac{\Pi_p}{R_p}, \qquad
        \Delta m_p = m_p - m_{p-\ell}, \qquad
        g^{m}_p = \frac{m_p - m_{p-\ell}}{|m_{p-\ell}|}

    Parameters
    ----------
    revenue, profit : pandas.Series
        Dated revenue and profit (money), each indexed by a DatetimeIndex; both are
        summed into the same calendar periods.
    freq, lag
        As in :func:`revenue_growth`.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (only periods with a comparison period); columns ``revenue``,
        ``profit``, ``margin``, ``previous_margin``, ``margin_change`` (difference in
        margin, e.g. 0.02 = 2 percentage points) and ``margin_growth`` (relative).
        Margins are NaN in periods with zero revenue.

    Raises
    ------
    InvalidValueError
        As :func:`revenue_growth`.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime(["2024-01-15", "2024-04-15"])
    >>> out = margin_growth(pd.Series([100.0, 200.0], d), pd.Series([10.0, 30.0], d))
    >>> out[["margin", "previous_margin", "margin_change"]].round(3).iloc[0].tolist()
    [0.15, 0.1, 0.05]
    """
    rev = period_totals(revenue, freq=freq)
    pro = period_totals(profit, freq=freq)
    full = pd.period_range(
        min(rev.index.min(), pro.index.min()), max(rev.index.max(), pro.index.max()), freq=freq
    )
    r = rev.reindex(full, fill_value=0.0).to_numpy()
    p = pro.reindex(full, fill_value=0.0).to_numpy()
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
        raise InvalidValueError(f"lag={lag!r} must be an integer >= 1.")
    if len(full) <= lag:
        raise InvalidValueError(
            f"the data cover {len(full)} {freq} period(s); margin growth with lag={lag} "
            f"needs at least {lag + 1}."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(r != 0, p / np.where(r != 0, r, 1.0), np.nan)
    cur, prev = m[lag:], m[:-lag]
    return pd.DataFrame(
        {
            "revenue": r[lag:],
            "profit": p[lag:],
            "margin": cur,
            "previous_margin": prev,
            "margin_change": cur - prev,
            "margin_growth": _growth(cur, prev),
        },
        index=full[lag:],
    )
