"""Customer lifetime value: discounted expected margin with explicit time units.

Two tools:

- :func:`customer_lifetime_value` combines any purchase model implementing
  ``conditional_expected_purchases(summary, t=...)`` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB or
  your own) with a spend model or known spend per transaction, and discounts the
  expected margin period by period;
- :func:`simple_clv` is the textbook retention formula for users without transaction
  histories.

**Units.** The horizon is a whole number of periods of ``time_unit`` and the discount
rate is stated per one such period. The purchase model measures time in the unit of the
summary it was fitted on: its ``time_unit`` attribute, or ``model_time_unit`` for a
model without one; if neither is known crmkit raises rather than guess. Period ends
are converted into the model's unit only where that is exact: days <-> weeks (7 days)
and months <-> quarters <-> years (3 and 12 calendar months).
A model fitted in days or weeks cannot be valued over calendar months (a month has no
fixed number of days) and vice versa: crmkit raises and tells you to rebuild the summary
in the unit you want to value in, rather than assuming a 30-day month.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._compat import call_with_horizon
from crmkit._validation import (
    check_callable,
    check_in_range,
    check_unique_index,
    real_array,
    require_nonempty,
    with_unique_index,
)
from crmkit.clv._checks import resolve_model_unit
from crmkit.clv._dask import clv_on_dask, is_dask
from crmkit.clv._data import as_summary_frame
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv.gammagamma import GammaGamma
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit
from crmkit.timeunits._periods import DAY_STEPS, MONTH_STEPS

__all__ = ["customer_lifetime_value", "simple_clv"]

_logger = logging.getLogger("crmkit.clv")

_SUFFICIENT: Final = ("frequency", "recency", "T", "n_periods")


def _period_length(unit: TimeUnit, model_unit: TimeUnit) -> float:
    """Length of one ``unit`` in ``model_unit`` when the conversion is exact, else raise."""
    for table in (DAY_STEPS, MONTH_STEPS):
        if unit in table and model_unit in table:
            return table[unit] / table[model_unit]
    raise InvalidValueError(
        f"the purchase model measures time in {model_unit!r} but the horizon is in "
        f"{unit!r}; calendar months, quarters and years have no fixed number of days, so "
        "crmkit does not convert between them (no 30-day months). Rebuild the summary and "
        f"refit the model with time_unit={unit!r}, or state the horizon and the discount "
        f"rate in {model_unit!r} (crmkit.timeunits.convert_rate converts the rate)."
    )


def _distinct_sample(summary: pd.DataFrame, keys: list[str]) -> bool:
    """True when a key column has no repeated value on an evenly spaced sample of 4096.

    Rows are then (almost surely) all distinct, so grouping them would cost time and
    save nothing; with k distinct values a sample of 4096 repeats one unless k is far
    above 4096**2 / 2. Short summaries are always grouped.
    """
    n = len(summary)
    if n < 8192:
        return False
    for col in keys:
        sample = summary[col].to_numpy()[:: n // 4096][:4096]
        if len(pd.unique(sample)) == sample.size:
            return True
    return False


def _spend_per_customer(spend: Any, summary: pd.DataFrame) -> NDArray[np.float64]:
    if isinstance(spend, GammaGamma):
        values = spend.conditional_expected_spend(summary).to_numpy(dtype=np.float64)
    elif isinstance(spend, pd.Series):
        aligned = with_unique_index(spend, name="spend").reindex(summary.index)
        missing = aligned.isna().to_numpy()
        if missing.any():
            raise InvalidValueError(
                f"spend has no value for {int(missing.sum())} customer(s) of the summary, e.g. "
                f"{summary.index[missing][:5].tolist()}; give one spend per customer_id."
            )
        values = real_array(aligned.to_numpy(), name="spend")
    elif isinstance(spend, int | float | np.floating | np.integer) and not isinstance(spend, bool):
        values = np.full(len(summary), float(spend))
    else:
        raise InvalidValueError(
            f"spend must be a GammaGamma model, a Series indexed by customer_id or a number; "
            f"got {type(spend).__name__}."
        )
    if not np.all(np.isfinite(values)):
        raise InvalidValueError("spend per transaction must be finite for every customer.")
    return values


def customer_lifetime_value(
    transaction_model: Any,
    spend: GammaGamma | pd.Series | float,
    summary: pd.DataFrame,
    *,
    horizon: int,
    time_unit: TimeUnit,
    discount_rate: float,
    margin: float = 1.0,
    model_time_unit: TimeUnit | None = None,
    compress: bool = True,
    chunk_size: int = 1_000_000,
    progress: Callable[[str], None] | None = None,
) -> pd.Series:
    """Discounted expected margin of each customer over the next ``horizon`` periods.

    .. math::

        CLV_i = m \\, \\bar s_i \\sum_{k=1}^{H}
        \\frac{E[X_i(t_k)] - E[X_i(t_{k-1})]}{(1+d)^{k}}

    where :math:`E[X_i(t)]` is the model's expected number of purchases of customer *i*
    in (T_i, T_i + t] given their history, :math:`t_k` the end of period *k* in the
    model's time unit, :math:`\\bar s_i` the expected spend per transaction, *m* the
    margin (share of spend that is profit) and *d* the discount rate per period. Cash
    flows of period *k* are discounted as if received at its end (FHL 2005, eq. 2, in
    discrete periods).

    Parameters
    ----------
    transaction_model : TransactionModel
        Any object with ``conditional_expected_purchases(summary, t=...) -> Series``.
    spend : GammaGamma, pandas.Series or float
        A Gamma-Gamma model (its :meth:`~crmkit.clv.GammaGamma.conditional_expected_spend`
        is used, which needs ``monetary_value``), a Series of spend per transaction indexed
        by customer_id, or one number for everybody.
    summary : pandas.DataFrame
        One row per customer, indexed by customer_id, with the columns the model needs
        (or one customer's row, ``summary.loc[customer]``).
        A dask summary gives a lazy dask Series partitioned like it: a crmkit purchase
        model values each distinct (frequency, recency, T) once on the driver (the
        histories are counted on the cluster) and every partition looks its customers'
        values up; any other model scores each partition. Equal to the pandas result.
    horizon : int
        Number of whole periods of ``time_unit`` (>= 1).
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of the horizon and of the discount rate.
    discount_rate : float
        Discount rate per period of ``time_unit`` (> -1), e.g. 0.01 per month.
    margin : float
        Profit margin applied to spend (default 1: the result is discounted revenue).
    model_time_unit : str, optional
        The model's time unit, if the model does not carry a ``time_unit`` attribute
        (models fitted on a summary from :func:`crmkit.rfm_summary` carry it). If neither
        says it, an error is raised: crmkit never guesses the unit of a model, because a
        weekly model valued "in months" would silently mix two clocks. If both are
        given they must agree.
    compress : bool
        Predict once per distinct (frequency, recency, T, n_periods) row; valid whenever
        the model's predictions depend only on those columns (all crmkit families).
    chunk_size : int
        Rows sent to the model at once (bounds memory).

    progress : callable, optional
        Called with a short message after each chunk of ``chunk_size`` distinct
        histories (how many are done and the seconds so far); the same messages go to
        the ``crmkit.clv`` logger at INFO level.
    Returns
    -------
    pandas.Series
        Named ``clv``, indexed like ``summary``.

    Raises
    ------
    InvalidValueError
        Bad horizon, unit, rate, spend, or a model/horizon unit pair that cannot be
        converted exactly; a contractual model such as
        :class:`~crmkit.clv.ShiftedBetaGeometric` (value it with
        :func:`~crmkit.clv.contractual_lifetime_value`, whose data are tenure and churn
        rather than a purchase summary).

    Examples
    --------
    A model with a constant purchase rate of 2 per week and no churn: each week brings
    2 purchases of 10, so 3 weeks at 1 % per week are worth 20 (1/1.01 + 1/1.01^2 +
    1/1.01^3).

    >>> import pandas as pd
    >>> class Steady:
    ...     def conditional_expected_purchases(self, summary, *, t):
    ...         return pd.Series(2.0 * t, index=summary.index)
    >>> s = pd.DataFrame({"frequency": [1, 4]}, index=pd.Index([7, 8], name="customer_id"))
    >>> v = customer_lifetime_value(
    ...     Steady(), 10.0, s, horizon=3, time_unit="W", discount_rate=0.01, model_time_unit="W"
    ... )
    >>> v.round(4).tolist()
    [58.8196, 58.8196]
    """
    # a contractual model values tenure and renewals, not a purchase summary
    counts_purchases = callable(getattr(transaction_model, "conditional_expected_purchases", None))
    if not counts_purchases and callable(
        getattr(transaction_model, "discounted_expected_residual_lifetime", None)
    ):
        raise InvalidValueError(
            f"{type(transaction_model).__name__} is a contractual (retention) model: it has "
            "no purchases to count over a horizon. Value subscription customers with "
            "crmkit.clv.contractual_lifetime_value(model, data, spend=..., discount_rate=..., "
            "tenure_counts=...) (margin x spend x DERL per customer), or "
            "crmkit.clv.contractual_value_summary for totals and new-customer values per group."
        )
    if is_dask(summary):  # valued once per distinct history, looked up per partition
        kwargs = {
            "horizon": horizon,
            "time_unit": time_unit,
            "discount_rate": discount_rate,
            "model_time_unit": model_time_unit,
            "compress": compress,
            "chunk_size": chunk_size,
            "progress": progress,
        }
        lazy: pd.Series = clv_on_dask(
            customer_lifetime_value,
            transaction_model,
            spend,
            summary,
            margin,
            kwargs,
            by_history=isinstance(transaction_model, TransactionFamily),
            spend_per_customer=_spend_per_customer,
        )
        return lazy
    if not callable(getattr(transaction_model, "conditional_expected_purchases", None)):
        raise InvalidValueError(
            f"{type(transaction_model).__name__} has no conditional_expected_purchases(summary, "
            "t=...) method; pass a fitted purchase model such as BetaGeo or ParetoNBD."
        )
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidValueError(f"horizon={horizon!r} must be a whole number of periods >= 1.")
    unit = check_time_unit(time_unit)
    d = check_in_range(discount_rate, name="discount_rate", low=-1.0, low_inclusive=False)
    m = check_in_range(margin, name="margin")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidValueError(f"chunk_size={chunk_size!r} must be an integer >= 1.")
    check_callable(progress, name="progress")
    started = time.perf_counter()

    def say(done: int, total: int) -> None:
        text = (
            f"customer_lifetime_value: {done:,} of {total:,} distinct histories valued "
            f"({time.perf_counter() - started:.1f}s)"
        )
        _logger.info(text)
        if progress is not None:
            progress(text)

    # one customer's row (a Series) becomes a one-row frame
    summary = as_summary_frame(summary, [])
    require_nonempty(summary, name="the summary")
    check_unique_index(summary, name="the summary index (customer_id)")
    model_unit = resolve_model_unit(transaction_model, model_time_unit)
    if model_unit is None:
        raise InvalidValueError(
            "the purchase model's time unit is unknown: pass model_time_unit='W' (or the "
            "unit its summary was built in), fit it with time_unit=..., or fit it on a "
            "summary made by crmkit.rfm_summary, which records its unit."
        )
    step = _period_length(unit, model_unit)
    spend_values = _spend_per_customer(spend, summary)

    data, inverse = summary, None
    keys = [c for c in _SUFFICIENT if c in summary.columns]
    if (
        compress
        and keys
        and all(pd.api.types.is_numeric_dtype(summary[c]) for c in keys)
        and not _distinct_sample(summary, keys)
    ):
        if summary[keys].isna().to_numpy().any():
            raise InvalidValueError("the summary has missing values in " + ", ".join(keys) + ".")
        # hash-based grouping: O(n), much faster than sorting rows for millions of customers
        groups = summary.groupby(keys, sort=False)
        inverse = groups.ngroup().to_numpy()
        firsts = np.flatnonzero(groups.cumcount().to_numpy() == 0)
        data = summary[keys].iloc[firsts].reset_index(drop=True)

    ends = np.arange(horizon + 1, dtype=np.float64) * step
    discount = (1.0 + d) ** -np.arange(1, horizon + 1, dtype=np.float64)
    value = np.empty(len(data))
    if isinstance(transaction_model, TransactionFamily):
        # crmkit's own families value all period ends at once on validated arrays
        # (BG/NBD and MBG/NBD interpolate the discounted sum per purchase count)
        arrays = transaction_model._arrays(data)
        for start in range(0, len(data), chunk_size):
            sl = slice(start, start + chunk_size)
            value[sl] = transaction_model._discounted_rows(
                ends[1:], discount, arrays.frequency[sl], arrays.recency[sl], arrays.T[sl]
            )
            say(min(start + chunk_size, len(data)), len(data))
        per_customer = value if inverse is None else value[inverse]
        return pd.Series(m * spend_values * per_customer, index=summary.index, name="clv")
    for start in range(0, len(data), chunk_size):
        chunk = data.iloc[start : start + chunk_size]
        total = np.zeros(len(chunk))
        previous = np.zeros(len(chunk))
        for k in range(1, horizon + 1):
            t = float(ends[k]) if step != round(step) else int(np.rint(ends[k]))
            current = np.asarray(
                call_with_horizon(transaction_model.conditional_expected_purchases, chunk, t),
                dtype=np.float64,
            )
            total += (current - previous) * discount[k - 1]
            previous = current
        value[start : start + len(chunk)] = total
        say(start + len(chunk), len(data))
    per_customer = value if inverse is None else value[inverse]
    return pd.Series(m * spend_values * per_customer, index=summary.index, name="clv")


def simple_clv(
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike,
    *,
    horizon: int | None = None,
) -> NDArray[np.float64] | float:
    """Textbook CLV from a constant margin and retention rate, for users without histories.

    .. math::

        CLV = \\sum_{t=1}^{H} \\frac{m\\, r^t}{(1+d)^t}
        \\;\\xrightarrow{H\\to\\infty}\\; \\frac{m\\, r}{1+d-r}

    (Gupta & Lehmann 2003; Berger & Nasr 1998): margin *m* per period received at the
    end of each period the customer is retained, retention *r* per period, discount
    rate *d* per period. Add *m* if the first margin is received now.

    Parameters
    ----------
    margin : float or array-like
        Margin per period (money).
    retention : float or array-like
        Retention rate per period in [0, 1].
    discount_rate : float or array-like
        Discount rate per period, > -1; for the infinite horizon ``r < 1 + d`` is needed.
    horizon : int, optional
        Number of periods; ``None`` (default) is the infinite-horizon formula.

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the inputs.

    References
    ----------
    - Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *J. Interactive
      Marketing*, 17(1), 9-24.
    - Berger, P. D. & Nasr, N. I. (1998). Customer lifetime value: marketing models and
      applications. *J. Interactive Marketing*, 12(1), 17-30.

    Examples
    --------
    >>> simple_clv(100.0, 0.8, 0.12)  # 100 * 0.8 / 0.32
    250.0
    >>> round(simple_clv(100.0, 0.8, 0.12, horizon=2), 4)  # 80/1.12 + 64/1.12^2
    122.449
    """
    m, r, d = np.broadcast_arrays(
        real_array(margin, name="margin"),
        real_array(retention, name="retention"),
        real_array(discount_rate, name="discount_rate"),
    )
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r)) and np.all(np.isfinite(d))):
        raise InvalidValueError("margin, retention and discount_rate must be finite.")
    if np.any((r < 0) | (r > 1)):
        raise InvalidValueError(f"retention must lie in [0, 1], got {np.unique(r)[:5]}.")
    if np.any(d <= -1):
        raise InvalidValueError("discount_rate must be > -1.")
    q = r / (1.0 + d)
    if horizon is None:
        if np.any(q >= 1):
            raise InvalidValueError(
                "the infinite-horizon CLV diverges when retention >= 1 + discount_rate; "
                "give a finite horizon."
            )
        out = m * r / (1.0 + d - r)
    else:
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 0:
            raise InvalidValueError(f"horizon={horizon!r} must be a whole number >= 0.")
        safe = np.where(q == 1.0, 0.5, q)
        geometric = np.where(q == 1.0, float(horizon), safe * (1 - safe**horizon) / (1 - safe))
        out = m * geometric
    return float(out) if out.ndim == 0 else np.asarray(out, dtype=np.float64)
