"""Revenue and profit-margin growth, quarter over quarter and year over year.

Inputs are dated amounts: a :class:`pandas.Series` of money indexed by a
:class:`pandas.DatetimeIndex` (one entry per transaction, invoice or day; any
granularity). They are summed into **calendar** periods with :class:`pandas.Period`
(``"Q"`` = calendar quarters Jan-Mar, ..., ``"Y"`` = calendar years, ``"M"`` = months).
Every period between the first and last covered day appears, with 0 where nothing was
recorded, so a gap is never skipped silently. Time-zone-aware dates are bucketed by their
own wall clock.

**Incomplete periods.** The data cover whole days from the first observed day to the last
(or from ``observation_start`` to ``observation_end``, calendar dates whose whole day is
inside). The first and last calendar periods are often only partly covered: a log from
2009-12-01 to 2010-12-09 holds one month of 2009Q4 and ten weeks of 2010Q4. Growth of a
partial period over a whole one measures the length of the coverage, not the business, so
``partial=`` decides what happens (the default leaves such comparisons out); the result
always says which periods were incomplete (column ``complete`` and
``frame.attrs["crmkit_partial_periods"]``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import renamed_keywords
from crmkit._coverage import (
    Coverage,
    check_partial,
    complete_mask,
    coverage,
    day_codes,
    partial_records,
    same_days,
    window_record,
)
from crmkit._dates import PeriodFreq
from crmkit._validation import check_option
from crmkit.exceptions import InvalidValueError
from crmkit.jalali import Calendar
from crmkit.metrics._checks import dated_series
from crmkit.timeunits import TimeUnit
from crmkit.timeunits._periods import (
    DAY_NS,
    calendar_labels,
    calendar_ordinals,
    calendar_unit,
    wall_ns,
)

__all__ = [
    "PARTIAL_PERIODS",
    "SAME_DAYS",
    "margin_growth",
    "period_totals",
    "quarter_over_quarter",
    "revenue_growth",
    "year_over_year",
]

GrowthPartial = Literal["drop", "same_days", "keep"]

PARTIAL_PERIODS = "crmkit_partial_periods"
"""``attrs`` key listing the incomplete periods: ``period``, ``covered_from``,
``covered_to`` (ISO dates) and ``action`` (``"dropped"``, ``"same_days"`` or ``"kept"``)."""

SAME_DAYS = "crmkit_same_days"
"""``attrs`` key (``partial="same_days"``) listing each comparison restricted to the same
days: ``period``, ``from``, ``to``, ``previous``, ``previous_from``, ``previous_to`` and
``days`` (number of days compared)."""

_ACTION = {"drop": "dropped", "same_days": "same_days", "keep": "kept"}


class _Dated:
    """Dated amounts of one or more series on one grid of calendar periods."""

    def __init__(
        self,
        series: list[tuple[pd.Series[Any], str]],
        period: str,
        observation_start: Any,
        observation_end: Any,
        calendar: Any = "gregorian",
    ) -> None:
        self.unit: TimeUnit = check_option(
            period, ("M", "Q", "Y"), name="period", hint="Use 'M' (months), 'Q' or 'Y' (years)."
        )
        self.calendar: Calendar = calendar_unit(self.unit, calendar)
        checked = [(dated_series(s, name=name), name) for s, name in series]
        tz = pd.DatetimeIndex(checked[0][0].index).tz
        ns_all = [wall_ns(pd.DatetimeIndex(s.index)) for s, _ in checked]
        self.cov: Coverage = coverage(
            min(int(ns.min()) for ns in ns_all),
            max(int(ns.max()) for ns in ns_all),
            observation_start=observation_start,
            observation_end=observation_end,
            tz=None if tz is None else str(tz),
        )
        lo_hi = calendar_ordinals(
            np.array([self.cov.first_day, self.cov.last_day], dtype=np.int64) * DAY_NS,
            self.unit,
            self.calendar,
        )
        self.lo, hi = int(lo_hi[0]), int(lo_hi[1])
        self.ordinals: NDArray[np.int64] = np.arange(self.lo, hi + 1, dtype=np.int64)
        self.days: list[NDArray[np.int64]] = []
        self.weights: list[NDArray[np.float64]] = []
        self.sums: list[NDArray[np.float64]] = []
        for (s, name), ns in zip(checked, ns_all, strict=True):
            inside = self.cov.mask(ns)
            if not inside.any():
                raise InvalidValueError(
                    f"{name} has no dated value inside the observation window; pass an "
                    "observation_start/observation_end that overlaps the data."
                )
            w: NDArray[np.float64] = np.asarray(
                s.to_numpy(dtype=np.float64)[inside], dtype=np.float64
            )
            ords = calendar_ordinals(ns[inside], self.unit, self.calendar)
            self.days.append(day_codes(ns[inside]))
            self.weights.append(w)
            sums: NDArray[np.float64] = np.bincount(
                ords - self.lo, weights=w, minlength=self.ordinals.size
            ).astype(np.float64)
            self.sums.append(sums)
        self.complete: NDArray[np.bool_] = complete_mask(
            self.ordinals, self.unit, self.cov, self.calendar
        )

    def labels(self, positions: Any) -> pd.Index[Any]:
        return calendar_labels(self.ordinals[positions], self.unit, self.calendar)

    def records(self, partial: str) -> list[dict[str, str]]:
        return partial_records(self.ordinals, self.unit, self.cov, _ACTION[partial], self.calendar)

    def window_sum(self, k: int, days: NDArray[np.int64]) -> float:
        return float(self.weights[k][np.isin(self.days[k], days)].sum())


@renamed_keywords(freq="period")
def period_totals(
    values: pd.Series[Any],
    *,
    period: PeriodFreq = "Q",
    partial: Literal["keep", "drop"] = "keep",
    observation_start: Any = None,
    observation_end: Any = None,
    calendar: Calendar = "gregorian",
) -> pd.Series[float]:
    """Sum dated amounts into consecutive calendar periods (empty periods are 0).

    Parameters
    ----------
    values : pandas.Series
        Amounts indexed by a DatetimeIndex.
    period : {"M", "Q", "Y"}, default "Q"
        Calendar month, quarter or year.
    partial : {"keep", "drop"}, default "keep"
        An incomplete first or last period (not every day of it covered) is kept (its
        total covers fewer days) or left out. Either way it is listed in
        ``result.attrs["crmkit_partial_periods"]``.
    observation_start, observation_end : date-like, optional
        First and last calendar day observed (each whole day is inside: rows before
        ``observation_end + 1 day`` count). Default: the first and last day with data.
        Rows outside are ignored.
    calendar : {"gregorian", "jalali"}, default "gregorian"
        ``"jalali"`` sums into Solar Hijri months, Iranian fiscal quarters
        (Farvardin-Khordad, Tir-Shahrivar, Mehr-Azar, Dey-Esfand) and fiscal years from
        1 Farvardin (:mod:`crmkit.jalali`).

    Returns
    -------
    pandas.Series
        Indexed by a consecutive :class:`pandas.PeriodIndex` over the covered days (with
        ``calendar="jalali"`` an index of labels such as ``"1402-Q1"``, ``"1402-01"`` or
        ``"1402"``).

    Raises
    ------
    InvalidValueError
        Empty series, non-datetime index, NaN/inf amounts, unknown ``period`` or
        ``partial``, no data in the window, or nothing left after ``partial="drop"``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(
    ...     [10.0, 5.0, 7.0], index=pd.to_datetime(["2024-01-03", "2024-02-01", "2024-07-15"])
    ... )
    >>> totals = period_totals(s, period="Q")
    >>> [str(p) for p in totals.index], totals.tolist()
    (['2024Q1', '2024Q2', '2024Q3'], [15.0, 0.0, 7.0])
    >>> [
    ...     (r["period"], r["covered_from"], r["covered_to"])
    ...     for r in totals.attrs["crmkit_partial_periods"]
    ... ]
    [('2024Q1', '2024-01-03', '2024-03-31'), ('2024Q3', '2024-07-01', '2024-07-15')]
    >>> period_totals(s, period="Q", partial="drop", observation_start="2024-01-01").tolist()
    [15.0, 0.0]

    Iranian fiscal quarters (1402-Q4 is Dey-Esfand, 22 December 2023 to 19 March 2024):

    >>> period_totals(s, period="Q", calendar="jalali")
    1402-Q4    15.0
    1403-Q1     0.0
    1403-Q2     7.0
    dtype: float64
    """
    check_partial(partial, ("keep", "drop"))
    data = _Dated([(values, "values")], period, observation_start, observation_end, calendar)
    keep = data.complete if partial == "drop" else np.ones(data.ordinals.size, dtype=bool)
    if not keep.any():
        raise InvalidValueError(
            "no calendar period is covered in whole (covered "
            f"{data.records(partial)[0]['covered_from']} to "
            f"{data.records(partial)[-1]['covered_to']}); pass partial='keep' or a longer "
            "series."
        )
    out: pd.Series[float] = pd.Series(data.sums[0][keep], index=data.labels(keep))
    out.name = values.name
    out.attrs[PARTIAL_PERIODS] = data.records(partial)
    return out


def _growth(cur: np.ndarray[Any, Any], prev: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prev != 0, (cur - prev) / np.where(prev != 0, np.abs(prev), 1.0), np.nan)


def _check_lag(lag: Any) -> None:
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
        raise InvalidValueError(f"lag={lag!r} must be an integer >= 1.")


def _compare(
    data: _Dated, lag: int, partial: str, what: str
) -> tuple[NDArray[np.intp], list[NDArray[np.float64]], list[NDArray[np.float64]], pd.DataFrame]:
    """Rows of a lagged comparison under the ``partial`` policy.

    Returns the positions of the current periods, per series the current and previous
    sums (same-days sums where adjusted), and a frame template with ``complete``.
    """
    n = data.ordinals.size
    if n <= lag:
        raise InvalidValueError(
            f"the data cover {n} {data.unit} period(s); {what} with lag={lag} needs at "
            f"least {lag + 1}. Provide a longer series."
        )
    cur = np.arange(lag, n)
    whole = data.complete[cur] & data.complete[cur - lag]
    records = data.records(partial)
    if partial == "drop":
        if not whole.any():
            covered = ", ".join(
                f"{r['period']} ({r['covered_from']} to {r['covered_to']})" for r in records
            )
            raise InvalidValueError(
                f"no two whole {data.unit} periods {lag} apart: incomplete period(s) "
                f"{covered} are left out with partial='drop'. Pass partial='same_days' to "
                "compare the same days of both periods, partial='keep' to compare them as "
                "they are, or a longer series."
            )
        cur = cur[whole]
        whole = whole[whole]
    cur_sums = [s[cur].copy() for s in data.sums]
    prev_sums = [s[cur - lag].copy() for s in data.sums]
    windows = []
    if partial == "same_days":
        labels = data.labels(np.arange(n))
        for i in np.flatnonzero(~whole):
            c, p = int(cur[i]), int(cur[i]) - lag
            cd, pd_ = same_days(
                int(data.ordinals[c]), int(data.ordinals[p]), data.unit, data.cov, data.calendar
            )
            for k in range(len(data.sums)):
                cur_sums[k][i] = data.window_sum(k, cd)
                prev_sums[k][i] = data.window_sum(k, pd_)
            windows.append(window_record(str(labels[c]), str(labels[p]), cd, pd_))
    frame = pd.DataFrame({"complete": whole}, index=data.labels(cur))
    frame.attrs[PARTIAL_PERIODS] = records
    if partial == "same_days":
        frame.attrs[SAME_DAYS] = windows
    return cur, cur_sums, prev_sums, frame


@renamed_keywords(freq="period")
def revenue_growth(
    revenue: pd.Series[Any],
    *,
    period: PeriodFreq = "Q",
    lag: int = 1,
    partial: GrowthPartial = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    calendar: Calendar = "gregorian",
) -> pd.DataFrame:
    r"""Growth of revenue from one calendar period to the one ``lag`` periods before.

    .. math::

        g_p = \frac{R_p - R_{p-\ell}}{|R_{p-\ell}|}

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.
    period : {"M", "Q", "Y"}, default "Q"
        Period length: quarter-over-quarter is ``period="Q", lag=1``; year-over-year is
        ``period="Y", lag=1``; a quarter against the same quarter a year earlier is
        ``period="Q", lag=4``.
    lag : int, default 1
        How many periods back the comparison period lies, >= 1.
    partial : {"drop", "same_days", "keep"}, default "drop"
        What to do with a comparison that involves an incomplete first or last period
        (one whose days are not all covered):

        * ``"drop"`` leaves it out: only whole periods are compared.
        * ``"same_days"`` compares the same calendar days of both periods (the covered
          days that are covered in the other period too, matched by month within the
          period and day of month): 2010Q4 up to 9 December against 2009Q4 from
          1 to 9 December when the data run from 2009-12-01 to 2010-12-09. The days
          compared are listed in ``result.attrs["crmkit_same_days"]``.
        * ``"keep"`` compares the totals as they are (the old behaviour), flagged by
          ``complete=False``.
    observation_start, observation_end : date-like, optional
        First and last calendar day observed, each taken in whole (rows before
        ``observation_end + 1 day`` count). Default: the first and last day with data.
        Give them when the log is known to cover more (e.g. a quiet last day) or to
        cut the window; rows outside are ignored.
    calendar : {"gregorian", "jalali"}, default "gregorian"
        As in :func:`period_totals`: ``"jalali"`` compares Solar Hijri months, Iranian
        fiscal quarters or fiscal years (``"same_days"`` then matches Jalali month and
        day of month).

    Returns
    -------
    pandas.DataFrame
        Indexed by period (periods that have a comparison period, after ``partial``);
        columns ``revenue``, ``previous``, ``growth`` (fraction per comparison; NaN where
        the previous revenue is 0, for which growth is undefined) and ``complete`` (both
        periods whole). ``attrs["crmkit_partial_periods"]`` lists each incomplete period
        with the days covered and the action taken.

    Raises
    ------
    InvalidValueError
        Empty or malformed series, bad ``period``, ``lag`` or ``partial``, fewer than
        ``lag + 1`` periods of data, or (``"drop"``) no two whole periods to compare.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(
    ...     [100.0, 120.0, 90.0], index=pd.to_datetime(["2024-02-01", "2024-05-01", "2024-08-01"])
    ... )
    >>> revenue_growth(s, partial="keep")["growth"].round(2).tolist()
    [0.2, -0.25]

    The data cover 1 February to 1 August only: 2024Q1 and 2024Q3 are incomplete, so by
    default no quarter is compared with another. Declaring the whole quarters observed
    (nothing was sold on the other days) makes them whole:

    >>> revenue_growth(s, observation_start="2024-01-01", observation_end="2024-09-30")[
    ...     ["growth", "complete"]
    ... ]
            growth  complete
    2024Q2    0.20      True
    2024Q3   -0.25      True

    Same days: a year of daily sales of 1.0 from 2023-03-01, then 2.0 a day to
    2024-03-10; 2024Q1 is compared with 2023Q1 on 1-10 March only:

    >>> days = pd.date_range("2023-03-01", "2024-03-10", freq="D")
    >>> daily = pd.Series(1.0, index=days).where(days < "2024-01-01", 2.0)
    >>> out = revenue_growth(daily, period="Q", lag=4, partial="same_days")
    >>> out[["revenue", "previous", "growth", "complete"]]
            revenue  previous  growth  complete
    2024Q1     20.0      10.0     1.0     False
    >>> w = out.attrs["crmkit_same_days"][0]
    >>> w["from"], w["to"], w["previous_from"], w["previous_to"]
    ('2024-03-01', '2024-03-10', '2023-03-01', '2023-03-10')
    """
    _check_lag(lag)
    check_partial(partial, ("drop", "same_days", "keep"))
    data = _Dated([(revenue, "revenue")], period, observation_start, observation_end, calendar)
    _, cur, prev, frame = _compare(data, lag, partial, "growth")
    out = pd.DataFrame(
        {
            "revenue": cur[0],
            "previous": prev[0],
            "growth": _growth(cur[0], prev[0]),
            "complete": frame["complete"].to_numpy(),
        },
        index=frame.index,
    )
    out.attrs.update(frame.attrs)
    return out


def quarter_over_quarter(
    revenue: pd.Series[Any],
    *,
    partial: GrowthPartial = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    calendar: Calendar = "gregorian",
) -> pd.DataFrame:
    r"""Revenue growth of each calendar quarter over the previous quarter.

    .. math::

        g_q = \frac{R_q - R_{q-1}}{|R_{q-1}|}

    Same as ``revenue_growth(revenue, period="Q", lag=1, ...)``.

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.
    partial, observation_start, observation_end, calendar
        As in :func:`revenue_growth` (by default incomplete quarters are left out;
        ``calendar="jalali"`` compares Iranian fiscal quarters).

    Returns
    -------
    pandas.DataFrame
        As :func:`revenue_growth`: ``revenue``, ``previous``, ``growth``, ``complete``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([100.0, 110.0], index=pd.to_datetime(["2024-03-31", "2024-04-01"]))
    >>> quarter_over_quarter(s, partial="keep")["growth"].round(2).tolist()
    [0.1]
    >>> quarter_over_quarter(s, observation_start="2024-01-01", observation_end="2024-06-30")[
    ...     "complete"
    ... ].tolist()
    [True]
    """
    return revenue_growth(
        revenue,
        period="Q",
        lag=1,
        partial=partial,
        observation_start=observation_start,
        observation_end=observation_end,
        calendar=calendar,
    )


def year_over_year(
    revenue: pd.Series[Any],
    *,
    partial: GrowthPartial = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    calendar: Calendar = "gregorian",
) -> pd.DataFrame:
    r"""Revenue growth of each calendar year over the previous year.

    .. math::

        g_y = \frac{R_y - R_{y-1}}{|R_{y-1}|}

    Same as ``revenue_growth(revenue, period="Y", lag=1, ...)``.

    Parameters
    ----------
    revenue : pandas.Series
        Dated revenue (money) indexed by a DatetimeIndex.
    partial, observation_start, observation_end, calendar
        As in :func:`revenue_growth` (by default incomplete years are left out;
        ``calendar="jalali"`` compares Iranian fiscal years from 1 Farvardin).

    Returns
    -------
    pandas.DataFrame
        As :func:`revenue_growth`: ``revenue``, ``previous``, ``growth``, ``complete``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([200.0, 150.0], index=pd.to_datetime(["2023-06-01", "2024-06-01"]))
    >>> year_over_year(s, partial="keep")["growth"].tolist()
    [-0.25]
    >>> year_over_year(s, partial="same_days")["growth"].tolist()  # 1 June both years
    [-0.25]
    """
    return revenue_growth(
        revenue,
        period="Y",
        lag=1,
        partial=partial,
        observation_start=observation_start,
        observation_end=observation_end,
        calendar=calendar,
    )


@renamed_keywords(freq="period")
def margin_growth(
    revenue: pd.Series[Any],
    profit: pd.Series[Any],
    *,
    period: PeriodFreq = "Q",
    lag: int = 1,
    partial: GrowthPartial = "drop",
    observation_start: Any = None,
    observation_end: Any = None,
    calendar: Calendar = "gregorian",
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
        summed into the same calendar periods. The covered days run from the first to
        the last date of either series.
    period, lag, partial, observation_start, observation_end, calendar
        As in :func:`revenue_growth`; with ``partial="same_days"`` revenue and profit
        are both restricted to the same days.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (only periods with a comparison period, after ``partial``);
        columns ``revenue``, ``profit``, ``margin``, ``previous_margin``,
        ``margin_change`` (difference in margin, e.g. 0.02 = 2 percentage points),
        ``margin_growth`` (relative) and ``complete``. Margins are NaN in periods with
        zero revenue. ``attrs`` as in :func:`revenue_growth`.

    Raises
    ------
    InvalidValueError
        As :func:`revenue_growth`.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.to_datetime(["2024-01-15", "2024-04-15"])
    >>> out = margin_growth(
    ...     pd.Series([100.0, 200.0], d), pd.Series([10.0, 30.0], d), partial="keep"
    ... )
    >>> out[["margin", "previous_margin", "margin_change"]].round(3).iloc[0].tolist()
    [0.15, 0.1, 0.05]
    >>> out["complete"].tolist()
    [False]
    """
    _check_lag(lag)
    check_partial(partial, ("drop", "same_days", "keep"))
    data = _Dated(
        [(revenue, "revenue"), (profit, "profit")],
        period,
        observation_start,
        observation_end,
        calendar,
    )
    _, cur, prev, frame = _compare(data, lag, partial, "margin growth")
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(cur[0] != 0, cur[1] / np.where(cur[0] != 0, cur[0], 1.0), np.nan)
        pm = np.where(prev[0] != 0, prev[1] / np.where(prev[0] != 0, prev[0], 1.0), np.nan)
    out = pd.DataFrame(
        {
            "revenue": cur[0],
            "profit": cur[1],
            "margin": m,
            "previous_margin": pm,
            "margin_change": m - pm,
            "margin_growth": _growth(m, pm),
            "complete": frame["complete"].to_numpy(),
        },
        index=frame.index,
    )
    out.attrs.update(frame.attrs)
    return out
