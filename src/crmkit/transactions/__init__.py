"""Per-customer summaries of a transaction log: RFM summary and calibration/holdout split.

The summary is the input of every CLV model: for each customer, *frequency* (number of
repeat purchase periods), *recency* (time from the first to the last purchase period)
and *T* (time from the first purchase period to the end of observation), plus the mean
spend of the repeat periods. For ``time_unit`` ``"D"`` and ``"W"`` the numbers equal
lifetimes 0.11.3's ``summary_data_from_transaction_data(freq="D"/"W")``; the test-suite
checks this on CDNOW and Online Retail against stored lifetimes output.

**Periods.** Purchases are first bucketed into calendar periods (``period``, default
``time_unit``): days; weeks Monday to Sunday (pandas ``Period("W")``, as lifetimes);
calendar months, quarters (Jan-Mar, ...) and years. All purchases of a customer in one
period count as one purchase whose spend is their sum. Durations run from the start of
one period to the start of another, expressed in ``time_unit``: whole periods when
``period == time_unit``, otherwise through :func:`crmkit.timeunits.elapsed` (days and
weeks exact, months calendar-aware). ``period="D", time_unit="W"`` gives days expressed
in weeks, lifetimes' ``freq="D", freq_multiplier=7``, the convention of the published
CDNOW summary.

**Observation end.** An observation end (``observation_end``,
``calibration_end``) is a calendar *date* whose whole day is observed: every row
with a timestamp before the next midnight counts, whatever its time of day, and a time
of day in the given value is ignored (``"2010-12-09 12:00"`` means the whole of
2010-12-09). The default is the date of the latest transaction. A naive date is read on
the wall clock of a tz-aware column. Rows after that day are an error unless
``after_observation_end="exclude"`` -- also rows later in the same week, month, ... when
``period`` is coarser than a day. Durations run to the start of the period holding the
end date, so ``T`` is lifetimes' (which reads its ``observation_period_end`` at its period):
with daily periods a customer whose first purchase is on the end date has ``T = 0``.
The same rule holds in :mod:`crmkit.lifecycle` (``as_of``, ``observation_end``).

**Lines and purchases.** Each row is a transaction; rows of one customer in one period
merge into one purchase. For an invoice-line export (one row per product line, with
cancellations and missing ids) build purchase occasions first with
:func:`purchase_occasions` and summarise its ``.occasions``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from crmkit import columns as cols
from crmkit._compat import positional_options, renamed_keywords
from crmkit._engines import is_dask
from crmkit._validation import check_flag, check_option, preview
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TIME_UNITS, TimeUnit, check_time_unit
from crmkit.transactions import _occasions
from crmkit.transactions._core import CustomerAggregates, period_codes
from crmkit.transactions._occasions import DataQuality, PurchaseOccasions, purchase_occasions
from crmkit.transactions._prep import (
    AfterEndPolicy,
    LogNanPolicy,
    NonPositivePolicy,
    Prepared,
    check_after_end,
    check_rows_after_end,
    end_bound_ns,
    observation_day,
    prepare,
)
from crmkit.transactions._summary import (
    aggregate_rows,
    calibration_frame,
    check_calibration_dates,
    finished_summary,
    log_interval_sums,
    subset,
)

__all__ = [
    "CancellationPolicy",
    "DataQuality",
    "MissingIdPolicy",
    "OccasionUnit",
    "PurchaseOccasions",
    "calibration_and_holdout",
    "purchase_occasions",
    "rfm_summary",
]

CancellationPolicy: TypeAlias = _occasions.CancellationPolicy
"""What :func:`purchase_occasions` does with cancellation and return lines: ``"raise"``,
``"exclude"`` (remove them) or ``"net"`` (subtract them from the customer's earlier
purchases)."""
MissingIdPolicy: TypeAlias = _occasions.MissingIdPolicy
"""What :func:`purchase_occasions` does with lines without a customer id: ``"raise"`` or
``"drop"``."""
OccasionUnit: TypeAlias = _occasions.OccasionUnit
"""What one purchase occasion is: ``"invoice"`` or ``"customer-day"``."""


@positional_options("customer_id_col", "datetime_col", "amount_col", "observation_end")
@renamed_keywords(
    observation_period_end="observation_end",
    monetary_value_col="amount_col",
    returns="non_positive",
)
def rfm_summary(
    transactions: Any,
    *,
    customer_id_col: str = cols.CUSTOMER_ID,
    datetime_col: str = cols.DATETIME,
    amount_col: str | None = None,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    period: TimeUnit | None = None,
    include_first_transaction: bool = False,
    totals: bool = False,
    nan_policy: LogNanPolicy = "raise",
    non_positive: NonPositivePolicy = "raise",
    after_observation_end: AfterEndPolicy = "raise",
    log_intervals: bool = False,
) -> pd.DataFrame:
    r"""Summarise a transaction log into one row per customer: frequency, recency, T, spend.

    With purchases bucketed into periods (see the module docstring), customer *i* with
    distinct purchase periods :math:`p_0 < p_1 < \dots < p_{x}` and observation end
    period :math:`p_E` has

    .. math::

        x_i = \#\{p_j\} - 1, \qquad t_{x,i} = \Delta(p_0, p_x), \qquad
        T_i = \Delta(p_0, p_E), \qquad
        \bar z_i = \frac{1}{x_i} \sum_{j=1}^{x_i} s(p_j)

    with :math:`\Delta` the duration in ``time_unit`` and :math:`s(p)` the customer's
    spend in period :math:`p` (:math:`\bar z_i = 0` when :math:`x_i = 0`), the
    notation of Fader, Hardie & Lee (2005, Section 2).

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        One row per transaction (line). A dask frame is validated when the function is
        called (one pass over the data) and summarised lazily on the cluster: the rows
        are shuffled so that each customer's rows share a partition, and every partition
        goes through the same computation as a pandas log (see Returns).
    customer_id_col : str, default "customer_id"
        Column of customer ids (any hashable dtype).
    datetime_col : str, default "datetime"
        Column of purchase times, ``datetime64`` (naive or tz-aware; tz-aware times are
        bucketed on their own wall clock).
    amount_col : str, optional
        Column of amounts (any currency; the same unit comes out).
    observation_end : date-like, optional
        Last calendar date of observation: rows before the following midnight count (a
        time of day in the value is ignored); default the date of the latest
        transaction. A naive date is read on the wall clock of a tz-aware column.
    time_unit : {"D", "W", "M", "Q", "Y"}, default "D"
        Unit of ``recency`` and ``T``.
    period : {"D", "W", "M", "Q", "Y"}, optional
        Bucket in which purchases merge; default ``time_unit``.
    include_first_transaction : bool, default False
        Count the first period in ``frequency`` and ``monetary_value`` (lifetimes'
        option of the same name). Keep False for the CLV models.
    totals : bool, default False
        Append ``n_transactions`` (rows), ``total_spend``, ``first_purchase`` and
        ``last_purchase`` (exact timestamps).
    nan_policy : {"raise", "omit"}, default "raise"
        Missing ids, dates or amounts raise, or with ``"omit"`` their rows are dropped.
    non_positive : {"raise", "keep", "exclude"}, default "raise"
        Rows with amount <= 0 (returns, cancellations, free items) raise; ``"keep"``
        adds them to their period's spend and counts the period as a purchase (what
        lifetimes does); ``"exclude"`` removes the rows first.
    after_observation_end : {"raise", "exclude"}, default "raise"
        Rows dated after the observation end's day raise, or are left out.
    log_intervals : bool, default False
        Append ``log_interval_sum``, :math:`\sum_{j=1}^{x_i} \log \Delta(p_{j-1},
        p_j)`, the sum of the logs of the customer's inter-purchase times in
        ``time_unit`` (0 when :math:`x_i = 0`; the ``litt`` of BTYDplus' ``elog2cbs``).
        The BG/CNBD-k and MBG/CNBD-k models need it to choose their regularity *k*
        (:class:`crmkit.clv.BetaGeoCNBD`). Pandas logs only.

        (Before crmkit 0.2 ``amount_col``, ``observation_end`` and ``non_positive``
        were named ``monetary_value_col``, ``observation_period_end`` and ``returns``;
        the old keywords still work for one release, with a :class:`DeprecationWarning`.
        The four column and end options were positional, in lifetimes' order; passing
        them by position likewise still works until crmkit 0.3, with a warning.)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns ``frequency``, ``recency``, ``T``
        (float64, ``time_unit``), ``monetary_value`` (if ``amount_col``), then
        with ``totals`` ``n_transactions``, ``total_spend``, ``first_purchase``,
        ``last_purchase``. ``frame.attrs["crmkit_time_unit"]`` records ``time_unit``, so
        models fitted on the summary know their unit (see
        :func:`crmkit.clv.customer_lifetime_value`).

        For a dask frame: a dask DataFrame with the same columns, partitioned by a hash
        of the customer id (as many partitions as the input) and sorted within each
        partition, so ``.compute().sort_index()`` is the pandas result (counts and
        durations exactly, sums of money up to the order of addition). Each partition
        carries the time unit in ``attrs``; the CLV models accept it directly.

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For non-datetime dates, non-numeric or infinite amounts, missing values, amounts
        <= 0 or rows after the observation end (unless the matching option says what to
        do), an empty log, or an unknown option.

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2).
    - lifetimes 0.11.3, ``lifetimes.utils.summary_data_from_transaction_data``.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 1, 2],
    ...         "datetime": pd.to_datetime(
    ...             ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"]
    ...         ),
    ...         "amount": [10.0, 5.0, 20.0, 7.0],
    ...     }
    ... )
    >>> rfm_summary(tx, amount_col="amount", observation_end="2024-01-31")
                 frequency  recency     T  monetary_value
    customer_id
    1                  1.0     10.0  30.0            20.0
    2                  0.0      0.0  26.0             0.0
    >>> rfm_summary(tx, time_unit="W", period="D", observation_end="2024-01-31")
                 frequency   recency         T
    customer_id
    1                  1.0  1.428571  4.285714
    2                  0.0  0.000000  3.714286

    A dask log gives a lazy summary (here on dask's single-process scheduler; on a
    dask.distributed cluster the same call runs on its workers):

    >>> import dask
    >>> import dask.dataframe as dd
    >>> with dask.config.set(scheduler="synchronous"):
    ...     lazy = rfm_summary(
    ...         dd.from_pandas(tx, npartitions=2),
    ...         amount_col="amount",
    ...         observation_end="2024-01-31",
    ...     )
    ...     lazy.compute().sort_index()
                 frequency  recency     T  monetary_value
    customer_id
    1                  1.0     10.0  30.0            20.0
    2                  0.0      0.0  26.0             0.0
    """
    unit = check_time_unit(time_unit)
    per = unit if period is None else _check_period(period)
    after = check_after_end(after_observation_end)
    check_flag(totals, name="totals")
    check_flag(include_first_transaction, name="include_first_transaction")
    check_flag(log_intervals, name="log_intervals")
    if is_dask(transactions):
        if log_intervals:
            raise _log_intervals_on_dask("summarise")
        from crmkit.transactions._dask import dask_rfm_summary

        # a dask DataFrame (dask has no type information): the same columns, lazily
        lazy: pd.DataFrame = dask_rfm_summary(
            transactions,
            customer_id_col=customer_id_col,
            datetime_col=datetime_col,
            amount_col=amount_col,
            observation_end=observation_end,
            period=per,
            unit=unit,
            include_first=include_first_transaction,
            totals=totals,
            nan_policy=nan_policy,
            non_positive=non_positive,
            after_observation_end=after,
        )
        return lazy
    prep = prepare(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
        non_positive=non_positive,
    )
    agg, ids, end_code, kept = _aggregate_prepared(
        prep,
        observation_end,
        per,
        after,
        totals=totals,
        include_first=include_first_transaction,
    )
    out = finished_summary(
        agg,
        ids,
        end_code,
        per=per,
        unit=unit,
        include_first=include_first_transaction,
        totals=totals,
        tz=prep.tz,
    )
    if log_intervals:
        sums = log_interval_sums(kept, per, unit)
        out[cols.LOG_INTERVAL_SUM] = sums.reindex(out.index).to_numpy()
    return out


def _log_intervals_on_dask(verb: str) -> InvalidValueError:
    """The error for ``log_intervals=True`` on a dask log (``verb``: what to do instead)."""
    return InvalidValueError(
        f"log_intervals=True is not available for a dask log yet; {verb} "
        "transactions.compute() (a pandas log) instead, or leave log_intervals out."
    )


def _check_period(period: str) -> TimeUnit:
    """Validate ``period`` (a time unit used as the purchase bucket), naming it."""
    checked: TimeUnit = check_option(
        period,
        TIME_UNITS,
        name="period",
        hint="use 'D' (days), 'W' (weeks), 'M' (calendar months), 'Q' (quarters) or "
        "'Y' (years), or leave it out to bucket by time_unit.",
    )
    return checked


def _aggregate_prepared(
    prep: Prepared,
    end: Any,
    per: TimeUnit,
    after: str,
    *,
    totals: bool = False,
    include_first: bool = False,
) -> tuple[CustomerAggregates, pd.Index[Any], int, Prepared]:
    if end is None:
        # period codes are monotone in time: the latest row's period is the last one
        end_code = int(period_codes(np.array([prep.ns.max()], dtype=np.int64), per)[0])
    else:
        day = observation_day(end, prep.tz, name="observation_end")
        end_code = int(period_codes(np.array([day.value], dtype=np.int64), per)[0])
        late = prep.ns >= end_bound_ns(day)
        n_late = int(np.count_nonzero(late))
        check_rows_after_end(n_late, day, after, n_rows=late.size)
        if n_late:
            prep = subset(prep, ~late)
    agg, ids = aggregate_rows(prep, per, totals=totals, include_first=include_first)
    return agg, ids, end_code, prep


@positional_options("customer_id_col", "datetime_col")
@renamed_keywords(
    observation_period_end="observation_end",
    calibration_period_end="calibration_end",
    monetary_value_col="amount_col",
    returns="non_positive",
)
def calibration_and_holdout(
    transactions: pd.DataFrame,
    *,
    customer_id_col: str = cols.CUSTOMER_ID,
    datetime_col: str = cols.DATETIME,
    calibration_end: Any,
    observation_end: Any = None,
    amount_col: str | None = None,
    time_unit: TimeUnit = "D",
    period: TimeUnit | None = None,
    include_first_transaction: bool = False,
    nan_policy: LogNanPolicy = "raise",
    non_positive: NonPositivePolicy = "raise",
    after_observation_end: AfterEndPolicy = "raise",
    log_intervals: bool = False,
) -> pd.DataFrame:
    """Split a transaction log at a date into a calibration summary and holdout counts.

    Both ends are calendar dates whose whole day counts (see the module docstring):
    rows dated on or before ``calibration_end`` (any time of that day) form the
    calibration summary, exactly as :func:`rfm_summary` with
    ``observation_end=calibration_end``; rows on the following days up to
    and including ``observation_end`` are the holdout. On data without times of
    day this is lifetimes' ``calibration_and_holdout_data``, which compares raw
    timestamps (so a midnight ``calibration_end`` puts the rest of that day into
    the holdout there). Only customers seen in the calibration period are returned.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        Transaction log, as for :func:`rfm_summary` (a dask frame is validated at once
        and split lazily on the cluster).
    customer_id_col, datetime_col, amount_col : str
        Column names, as for :func:`rfm_summary`.
    calibration_end : date-like
        Last calendar date of the calibration period (its whole day is in it).
    observation_end : date-like, optional
        Last calendar date of the holdout period; default the date of the latest
        transaction.
    time_unit, period, include_first_transaction, nan_policy, non_positive : see rfm_summary
    after_observation_end : {"raise", "exclude"}, default "raise"
        Rows after ``observation_end`` raise, or are left out.
    log_intervals : bool, default False
        Append ``log_interval_sum`` after the calibration columns: as for
        :func:`rfm_summary`, the sum of the logs of the customer's inter-purchase
        times in ``time_unit`` (BTYDplus' ``litt``), of the calibration period only.
        The BG/CNBD-k and MBG/CNBD-k models need it to choose their regularity *k*
        (:class:`crmkit.clv.BetaGeoCNBD`). Pandas logs only.

        (Before crmkit 0.2 ``calibration_end``, ``observation_end``, ``amount_col`` and
        ``non_positive`` were named ``calibration_period_end``, ``observation_period_end``,
        ``monetary_value_col`` and ``returns``; the old keywords still work for one
        release, with a :class:`DeprecationWarning`. ``customer_id_col`` and
        ``datetime_col`` were positional; by position they likewise still work until
        crmkit 0.3, with a warning.)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``frequency``, ``recency``, ``T``,
        [``monetary_value``], [``log_interval_sum``] of the calibration period, then
        ``frequency_holdout``
        (distinct purchase periods in the holdout), [``monetary_value_holdout``: mean
        spend per holdout purchase period, 0 if none], ``duration_holdout`` (from the
        calibration end's period to the observation end's period, ``time_unit``), all
        float64. The names match :func:`crmkit.datasets.load_cdnow_summary`; lifetimes
        calls them ``frequency_cal`` etc. and averages holdout spend over raw rows
        instead of purchase periods. For a dask frame: a dask DataFrame partitioned by
        customer, as :func:`rfm_summary` returns.

    Raises
    ------
    InvalidValueError
        As :func:`rfm_summary`, and if ``calibration_end`` is not before
        ``observation_end`` or no row falls in the calibration period.

    References
    ----------
    - lifetimes 0.11.3, ``lifetimes.utils.calibration_and_holdout_data``.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 1, 2],
    ...         "datetime": pd.to_datetime(
    ...             ["2024-01-01", "2024-01-05", "2024-02-10", "2024-01-20"]
    ...         ),
    ...     }
    ... )
    >>> calibration_and_holdout(tx, calibration_end="2024-01-31", observation_end="2024-02-29")
                 frequency  recency     T  frequency_holdout  duration_holdout
    customer_id
    1                  1.0      4.0  30.0                1.0              29.0
    2                  0.0      0.0  11.0                0.0              29.0

    ``log_intervals=True`` adds the calibration period's ``log_interval_sum``
    (:math:`\\log 4` for customer 1's one gap of 4 days), for
    :class:`crmkit.clv.BetaGeoCNBD`:

    >>> split = calibration_and_holdout(
    ...     tx, calibration_end="2024-01-31", observation_end="2024-02-29", log_intervals=True
    ... )
    >>> split["log_interval_sum"].round(4).tolist()
    [1.3863, 0.0]
    """
    unit = check_time_unit(time_unit)
    per = unit if period is None else _check_period(period)
    after = check_after_end(after_observation_end)
    check_flag(include_first_transaction, name="include_first_transaction")
    check_flag(log_intervals, name="log_intervals")
    if is_dask(transactions):
        if log_intervals:
            raise _log_intervals_on_dask("split")
        from crmkit.transactions._dask import dask_calibration_and_holdout

        # a dask DataFrame (dask has no type information): the same columns, lazily
        lazy: pd.DataFrame = dask_calibration_and_holdout(
            transactions,
            customer_id_col=customer_id_col,
            datetime_col=datetime_col,
            amount_col=amount_col,
            calibration_end=calibration_end,
            observation_end=observation_end,
            period=per,
            unit=unit,
            include_first=include_first_transaction,
            nan_policy=nan_policy,
            non_positive=non_positive,
            after_observation_end=after,
        )
        return lazy
    prep = prepare(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
        non_positive=non_positive,
    )
    cal_end = observation_day(calibration_end, prep.tz, name="calibration_end")
    if observation_end is None:
        obs_end = pd.Timestamp(int(prep.ns.max())).normalize()
    else:
        obs_end = observation_day(observation_end, prep.tz, name="observation_end")
    check_calibration_dates(cal_end, obs_end)
    late = prep.ns >= end_bound_ns(obs_end)
    check_rows_after_end(int(np.count_nonzero(late)), obs_end, after)
    in_cal = prep.ns < end_bound_ns(cal_end)
    if not in_cal.any():
        raise InvalidValueError(
            f"no transaction on or before calibration_end={cal_end.date()}; the first "
            f"is {preview([pd.Timestamp(int(prep.ns.min()))])}. Pass a later date."
        )
    return calibration_frame(
        subset(prep, ~late),
        cal_end,
        obs_end,
        per=per,
        unit=unit,
        include_first=include_first_transaction,
        monetary=amount_col is not None,
        log_intervals=log_intervals,
    )
