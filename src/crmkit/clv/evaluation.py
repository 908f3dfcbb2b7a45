"""Judging a purchase model on data: holdout scores, tracking series, fit tables.

All three work with any model implementing the
:class:`~crmkit.clv.TransactionModel` protocol (crmkit's families or your own):

- :func:`evaluate_holdout` compares ``conditional_expected_purchases`` with the purchases
  each customer actually made in a holdout period (MAE, RMSE, bias);
- :func:`tracking_series` compares expected and actual cumulative repeat purchases of a
  cohort period by period, from a transaction log (the "tracking plot" of FHL 2005);
- :func:`repeat_frequency_table` compares how many customers made 0, 1, 2, ... repeat
  purchases with what the model expects; it needs the protocol extension
  ``probability_of_purchases(k, t)`` = P(X(t) = k) for a new customer.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._compat import call_with_horizon
from crmkit._dates import check_datetime_column, parse_date
from crmkit._display import Display, Displayable, fmt_number
from crmkit._validation import check_numeric_column, handle_nan, require_columns, require_nonempty
from crmkit.clv._checks import labels_of, resolve_model_unit
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, add, check_time_unit, elapsed

__all__ = [
    "HoldoutEvaluation",
    "evaluate_holdout",
    "repeat_frequency_table",
    "tracking_series",
]


def _require_method(model: Any, name: str, what: str) -> None:
    if not callable(getattr(model, name, None)):
        raise InvalidValueError(
            f"{type(model).__name__} has no {name}() method, which {what} needs."
        )


@attrs.frozen(kw_only=True, repr=False)
class HoldoutEvaluation(Displayable):
    """Predicted versus actual holdout purchases, per customer and in aggregate.

    Attributes
    ----------
    per_customer : pandas.DataFrame
        Indexed like the summary; columns ``predicted``, ``actual``, ``error``
        (predicted - actual).
    mae, rmse, bias : float
        Mean absolute error, root mean squared error and mean error (positive = the
        model over-predicts) per customer.
    n_customers : int
    """

    per_customer: pd.DataFrame = attrs.field(eq=False, repr=False)
    mae: float
    rmse: float
    bias: float
    n_customers: int

    def _display(self) -> Display:
        return Display(
            f"Holdout evaluation on {self.n_customers:,} customers",
            [
                f"purchases predicted {fmt_number(self.total_predicted)}, "
                f"actual {fmt_number(self.total_actual)}",
                f"per customer: MAE {fmt_number(self.mae)}, RMSE {fmt_number(self.rmse)}, "
                f"bias {fmt_number(self.bias)}",
            ],
        )

    @property
    def total_predicted(self) -> float:
        """Sum of predicted holdout purchases."""
        return float(self.per_customer["predicted"].sum())

    @property
    def total_actual(self) -> float:
        """Sum of actual holdout purchases."""
        return float(self.per_customer["actual"].sum())


def evaluate_holdout(
    model: Any,
    summary: pd.DataFrame,
    *,
    frequency_holdout_col: str = cols.FREQUENCY_HOLDOUT,
    duration_holdout_col: str = cols.DURATION_HOLDOUT,
) -> HoldoutEvaluation:
    """Score a model's conditional expectations against holdout purchases.

    .. math::

        \\text{MAE} = \\tfrac1N\\sum_i |\\hat y_i - y_i|,\\quad
        \\text{RMSE} = \\sqrt{\\tfrac1N\\sum_i (\\hat y_i - y_i)^2},\\quad
        \\text{bias} = \\tfrac1N\\sum_i (\\hat y_i - y_i)

    with :math:`\\hat y_i` = ``model.conditional_expected_purchases(..., t=duration_i)``.

    Parameters
    ----------
    model : TransactionModel
        Fitted on the calibration part of ``summary``.
    summary : pandas.DataFrame
        Calibration summary (the columns the model needs) plus ``frequency_holdout``
        (purchases in the holdout period) and ``duration_holdout`` (its length, in the
        model's time unit), as :func:`crmkit.datasets.load_cdnow_summary` returns.
    frequency_holdout_col, duration_holdout_col : str
        Column names.

    Returns
    -------
    HoldoutEvaluation

    Examples
    --------
    >>> import pandas as pd
    >>> class TwoPerWeek:
    ...     def conditional_expected_purchases(self, summary, *, t):
    ...         return pd.Series(2.0 * t, index=summary.index)
    >>> s = pd.DataFrame({"frequency_holdout": [1, 3], "duration_holdout": [1.0, 1.0]})
    >>> ev = evaluate_holdout(TwoPerWeek(), s)
    >>> ev.mae, ev.rmse, ev.bias
    (1.0, 1.0, 0.0)
    """
    _require_method(model, "conditional_expected_purchases", "evaluate_holdout")
    needed = [frequency_holdout_col, duration_holdout_col]
    require_columns(summary, needed)
    require_nonempty(summary, name="the holdout summary")
    for c in needed:
        check_numeric_column(summary, c)
    handle_nan(summary, needed, "raise")
    actual = summary[frequency_holdout_col].to_numpy(dtype=np.float64)
    duration = summary[duration_holdout_col].to_numpy(dtype=np.float64)
    if np.any(actual < 0) or np.any(duration < 0) or not np.all(np.isfinite(duration)):
        raise InvalidValueError(
            f"{frequency_holdout_col!r} and {duration_holdout_col!r} must be finite and >= 0."
        )
    predicted = np.empty(actual.size)
    for value in np.unique(duration):  # usually one holdout length for everybody
        rows = np.flatnonzero(duration == value)
        t: float | int = int(value) if value == round(value) else float(value)
        part = call_with_horizon(model.conditional_expected_purchases, summary.iloc[rows], t)
        predicted[rows] = np.asarray(part, dtype=np.float64)
    error = predicted - actual
    frame = pd.DataFrame(
        {"predicted": predicted, "actual": actual, "error": error}, index=summary.index
    )
    return HoldoutEvaluation(
        per_customer=frame,
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        bias=float(np.mean(error)),
        n_customers=int(actual.size),
    )


def expected_since_entry(
    model: Any, entries: pd.DatetimeIndex, ends: pd.DatetimeIndex, *, model_unit: TimeUnit
) -> NDArray[np.float64]:
    """:math:`E[X(e - f)]` of a new customer entering at each *f*, at each end *e*.

    The expected cumulative repeat purchases of the tracking curves (FHL 2005, Figure 2):
    shape ``(len(entries), len(ends))``, 0 where a customer has not entered yet. Elapsed
    times are exact in ``model_unit`` (:func:`crmkit.timeunits.elapsed`).
    """
    n_entry, n_end = entries.size, ends.size
    ages = elapsed(entries.repeat(n_end), ends[np.tile(np.arange(n_end), n_entry)], model_unit)
    ages_arr: NDArray[np.float64] = np.maximum(np.asarray(ages, dtype=np.float64), 0.0)
    values = np.asarray(model.expected_purchases(ages_arr), dtype=np.float64)
    return values.reshape(n_entry, n_end)


def tracking_series(
    model: Any,
    transactions: pd.DataFrame,
    *,
    time_unit: TimeUnit,
    customer_id_col: str = cols.CUSTOMER_ID,
    datetime_col: str = cols.DATETIME,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    model_time_unit: TimeUnit | None = None,
) -> pd.DataFrame:
    """Expected versus actual repeat purchases of a cohort, period by period.

    Each customer enters at their first purchase :math:`f_i`; the expected cumulative
    number of repeat purchases by the end :math:`e_k` of period *k* is
    :math:`\\sum_i E[X(e_k - f_i)]` with the model's *unconditional*
    ``expected_purchases`` (FHL 2005, Figure 2). Actual repeat purchases are the
    distinct (customer, datetime) rows after each customer's first one, counted in the
    period ``[e_{k-1}, e_k)`` they fall in.

    Parameters
    ----------
    model : TransactionModel
        A continuous-time model with ``expected_purchases(t)`` (vectorised over t).
    transactions : pandas.DataFrame
        The transaction log: one row per purchase occasion (aggregate several rows of
        one occasion, e.g. one day, before calling).
    time_unit : {"D", "W", "M", "Q", "Y"}
        Length of one tracking period; months are calendar months.
    customer_id_col, datetime_col : str
    start : timestamp, optional
        Start of period 1 (default: the earliest first purchase).
    end : timestamp, optional
        Periods run until they cover ``end`` (default: the latest transaction).
    model_time_unit : str, optional
        Unit the model measures time in, needed when the model carries no ``time_unit``
        (models fitted on a summary from :func:`crmkit.rfm_summary` or
        :func:`crmkit.datasets.load_cdnow_summary` carry it); it must agree with the
        model's ``time_unit`` if both are given. Elapsed times are measured exactly in
        that unit. crmkit never guesses it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (1, 2, ...): ``period_end``, ``actual``, ``expected``,
        ``actual_cumulative``, ``expected_cumulative``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class HalfPerWeek:
    ...     def expected_purchases(self, t):
    ...         return 0.5 * np.asarray(t, dtype=float)
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 2],
    ...         "datetime": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-08"]),
    ...     }
    ... )
    >>> out = tracking_series(HalfPerWeek(), tx, time_unit="W", model_time_unit="W")
    >>> out[["actual", "expected", "expected_cumulative"]]
            actual  expected  expected_cumulative
    period
    1          0.0       0.5                  0.5
    2          1.0       1.0                  1.5
    """
    _require_method(model, "expected_purchases", "tracking_series")
    unit = check_time_unit(time_unit)
    model_unit = resolve_model_unit(model, model_time_unit)
    if model_unit is None:
        raise InvalidValueError(
            "the purchase model's time unit is unknown: pass model_time_unit='W' (or the "
            "unit its summary was built in), or fit it on a summary that records its unit "
            "(crmkit.rfm_summary does)."
        )
    require_columns(transactions, [customer_id_col, datetime_col])
    require_nonempty(transactions, name="the transaction log")
    check_datetime_column(transactions, datetime_col)
    log = handle_nan(transactions, [customer_id_col, datetime_col], "raise")
    log = log[[customer_id_col, datetime_col]].drop_duplicates()
    first = log.groupby(customer_id_col, sort=False)[datetime_col].transform("min")
    repeat_times = log.loc[log[datetime_col] > first, datetime_col]
    firsts = log.groupby(customer_id_col, sort=False)[datetime_col].min()
    begin = parse_date(start, name="start") if start is not None else firsts.min()
    stop = parse_date(end, name="end") if end is not None else log[datetime_col].max()
    if stop <= begin:
        raise InvalidValueError(f"end {stop} must be after start {begin}.")
    n_periods = max(int(np.ceil(elapsed(begin, stop, unit) - 1e-12)), 1)
    if add(begin, n_periods, unit) <= stop:
        n_periods += 1  # the last period must contain ``stop``
    period_ends = pd.DatetimeIndex([add(begin, k, unit) for k in range(1, n_periods + 1)])
    entries = firsts.value_counts(sort=False)
    counts = entries.to_numpy(dtype=np.float64)
    expected_each = expected_since_entry(
        model, pd.DatetimeIndex(entries.index), period_ends, model_unit=model_unit
    )
    expected_cum = (expected_each * counts[:, None]).sum(axis=0)
    edges = period_ends.as_unit("ns").asi8
    position = np.searchsorted(edges, pd.DatetimeIndex(repeat_times).as_unit("ns").asi8, "right")
    actual = np.bincount(position[position < n_periods], minlength=n_periods).astype(float)
    out = pd.DataFrame(
        {
            "period_end": period_ends,
            "actual": actual,
            "expected": np.diff(expected_cum, prepend=0.0),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
        },
        index=pd.RangeIndex(1, n_periods + 1, name="period"),
    )
    return out


def repeat_frequency_table(
    model: Any,
    summary: pd.DataFrame,
    *,
    max_count: int = 7,
    frequency_col: str = cols.FREQUENCY,
    T_col: str = cols.T,
    weights_col: str | None = None,
) -> pd.DataFrame:
    """Actual versus expected number of customers with 0, 1, 2, ... and more repeats.

    .. math:: E[\\#\\{i: X_i = k\\}] = \\sum_i P(X(T_i) = k)

    using the model's ``probability_of_purchases(k, t)``, P(X(t) = k) for a customer
    observed for *t* periods since their first purchase; the last row collects
    ``max_count`` and more. This protocol extension is offered by BG/BB here and by the
    BG/NBD-type families; a model without it is refused with a clear error.

    Parameters
    ----------
    model : TransactionModel with ``probability_of_purchases``
    summary : pandas.DataFrame
        ``frequency`` and ``T`` (``n_periods`` for BG/BB: pass ``T_col="n_periods"``).
    max_count : int
        The last, pooled class (>= 1).
    frequency_col, T_col : str
    weights_col : str, optional
        Customers per row (pattern data such as :func:`crmkit.datasets.load_donations`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``repeat_purchases`` labels ``"0"``, ``"1"``, ..., ``"7+"``: columns
        ``actual`` and ``expected``.

    Examples
    --------
    >>> from crmkit.clv.bgbb import BetaGeoBetaBinom
    >>> from crmkit.datasets import load_donations
    >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> tab = repeat_frequency_table(
    ...     m, load_donations(), max_count=6, T_col="n_periods", weights_col="weights"
    ... )
    >>> tab.loc[["0", "6+"], "actual"].tolist()
    [3464.0, 1203.0]
    """
    _require_method(model, "probability_of_purchases", "repeat_frequency_table")
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 1:
        raise InvalidValueError(f"max_count={max_count!r} must be an integer >= 1.")
    needed = [frequency_col, T_col] + ([weights_col] if weights_col is not None else [])
    require_columns(summary, needed)
    require_nonempty(summary, name="the summary")
    for c in needed:
        check_numeric_column(summary, c)
    handle_nan(summary, needed, "raise")
    x = summary[frequency_col].to_numpy(dtype=np.float64)
    T = summary[T_col].to_numpy(dtype=np.float64)
    w = (
        summary[weights_col].to_numpy(dtype=np.float64)
        if weights_col is not None
        else np.ones(x.size)
    )
    if np.any(x < 0) or np.any(T < 0) or np.any(w < 0):
        raise InvalidValueError(f"{needed} must be >= 0.")
    fractional = np.abs(x - np.round(x)) > 1e-9
    if fractional.any():
        raise InvalidValueError(
            f"{frequency_col!r} must hold whole numbers of repeat purchases; got "
            f"{x[fractional][:3].tolist()} at index {labels_of(summary.index, fractional)}. "
            "A frequency in a holdout-style unit (e.g. per week averages) cannot be tabulated."
        )
    classes = np.minimum(np.round(x), max_count).astype(np.int64)
    actual = np.bincount(classes, weights=w, minlength=max_count + 1)
    t_values, inverse = np.unique(T, return_inverse=True)
    t_weights = np.bincount(inverse.ravel(), weights=w)
    k = np.arange(max_count)
    probs = np.asarray(
        model.probability_of_purchases(k[None, :], t_values[:, None]), dtype=np.float64
    )
    expected_low = (probs * t_weights[:, None]).sum(axis=0)
    expected = np.append(expected_low, max(float(w.sum() - expected_low.sum()), 0.0))
    labels = [str(i) for i in range(max_count)] + [f"{max_count}+"]
    return pd.DataFrame(
        {"actual": actual, "expected": expected},
        index=pd.Index(labels, name="repeat_purchases"),
    )
