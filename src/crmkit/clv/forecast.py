"""Expected purchases and spend per calendar period of a future window.

:func:`forecast_purchases` splits the window that starts at the observation end into
calendar periods (days, weeks Monday to Sunday, months, quarters or years) and gives
each customer's expected purchases in each of them, plus the expected repeat purchases
of customers acquired in the window (cohorts whose sizes you give).

**Existing customers.** With :math:`t_k` the elapsed time from the observation end to
the end of period *k* (in the model's time unit, measured exactly by
:func:`crmkit.timeunits.elapsed`), the expected purchases of customer *i* in period *k*
are

.. math::

    E[X_i(t_k)] - E[X_i(t_{k-1})], \\qquad t_0 = 0,

with :math:`E[X_i(t)]` the model's ``conditional_expected_purchases(summary, t=t)``
(e.g. Fader, Hardie & Lee 2005a, eq. 10 for BG/NBD). The buckets therefore add up to the
cumulative expectation over the whole window. The first and last periods are partial
when the window does not start or end on a calendar boundary: their lengths count
exactly, not as whole periods.

**New customers.** A cohort of :math:`N_j` customers acquired during period *j* is
spread evenly over that period (a midpoint rule on a daily grid of entry times
:math:`f`). Its expected cumulative repeat purchases by the end of period *k* are
:math:`\\frac{N_j}{m}\\sum_f E[X(t_k - f)]` with the *unconditional* expectation of a new
customer, as in the cumulative tracking plots of Fader, Hardie & Lee (2005a, Figure 2).
The acquisition purchases themselves are not counted: the models count repeat purchases.

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers" the
  easy way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using iso-value
  curves for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import call_with_horizon
from crmkit._dates import parse_date
from crmkit._display import Display, Displayable, fmt_number
from crmkit._validation import check_whole, real_array, require_nonempty
from crmkit.clv._base import FitResult
from crmkit.clv._checks import resolve_model_unit
from crmkit.clv.evaluation import expected_since_entry
from crmkit.clv.gammagamma import GammaGamma
from crmkit.clv.value import _spend_per_customer
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, add, check_time_unit, elapsed, unit_name
from crmkit.timeunits._periods import (
    DAY_NS,
    period_codes,
    period_labels,
    period_ordinals,
    wall_ns,
)
from crmkit.timeunits._periods import period_start as period_start_ns

__all__ = ["PeriodForecast", "forecast_purchases"]

_Arr = NDArray[np.float64]


@attrs.frozen(kw_only=True, repr=False)
class PeriodForecast(Displayable):
    """Expected purchases (and spend) per calendar period, per customer and in total.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``period`` (a :class:`pandas.PeriodIndex`), one row per calendar period
        of the window: ``start``, ``end`` (the part of the period inside the window),
        ``t_end`` (elapsed time from the observation end to ``end``, in the model's time
        unit), ``existing`` (expected purchases of the customers of the summary), ``new``
        (expected repeat purchases of the new cohorts), ``total``, ``cumulative``; with a
        spend model also ``existing_spend``, ``new_spend``, ``total_spend``.
    per_customer : pandas.DataFrame
        Expected purchases of each customer (rows, indexed like the summary) in each
        period (columns, the periods of ``table``).
    per_customer_spend : pandas.DataFrame or None
        The same in money (purchases times expected spend per purchase), with a spend model.
    cohorts : pandas.DataFrame
        Expected repeat purchases of each new cohort (columns, labelled by the period it
        is acquired in) in each period (rows); no columns without cohorts.
    observation_end, end : pandas.Timestamp
        The window (observation_end, end].
    period : str
        The calendar period of the buckets (``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``).
    time_unit : str
        The model's time unit.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    per_customer: pd.DataFrame = attrs.field(eq=False)
    per_customer_spend: pd.DataFrame | None = attrs.field(eq=False)
    cohorts: pd.DataFrame = attrs.field(eq=False)
    observation_end: pd.Timestamp
    end: pd.Timestamp
    period: TimeUnit
    time_unit: TimeUnit

    @property
    def total_purchases(self) -> float:
        """Expected purchases over the whole window (existing and new customers)."""
        return float(self.table["total"].sum())

    def _display(self) -> Display:
        shown = ["existing", "new", "total"]
        if "total_spend" in self.table:
            shown.append("total_spend")
        rows = [
            [str(label), *(fmt_number(v) for v in row)]
            for label, row in zip(self.table.index, self.table[shown].to_numpy(), strict=True)
        ]
        return Display(
            f"Forecast per {unit_name(self.period)[:-1]} of {len(self.per_customer):,} "
            f"customers, {self.observation_end} to {self.end}",
            [
                f"expected purchases {fmt_number(self.total_purchases)} "
                f"({len(self.cohorts.columns)} new cohort(s))",
            ],
            ["period", *shown],
            rows,
        )


def _window_edges(
    observation_end: pd.Timestamp, end: pd.Timestamp, period: TimeUnit
) -> tuple[pd.DatetimeIndex, pd.PeriodIndex]:
    """Bucket edges (observation_end, calendar starts inside the window, end) and labels."""
    tz = observation_end.tz
    ns = wall_ns(pd.DatetimeIndex([observation_end, end]), name="the forecast window")
    codes = period_codes(ns, period)
    inner = period_start_ns(np.arange(codes[0] + 1, codes[1] + 1, dtype=np.int64), period)
    inner = inner[(inner > ns[0]) & (inner < ns[1])]
    wall = np.concatenate([[ns[0]], inner, [ns[1]]]).astype(np.int64)
    edges = pd.DatetimeIndex(wall.view("M8[ns]"))
    if tz is not None:
        # a calendar boundary that a DST change skips or repeats (midnight in a few
        # zones) is taken at the first valid instant, in standard time
        edges = edges.tz_localize(
            tz, nonexistent="shift_forward", ambiguous=np.zeros(len(edges), dtype=bool)
        )
    labels = period_labels(period_ordinals(wall[:-1], period), period)
    return edges, pd.PeriodIndex(labels, name="period")


def _cumulative_conditional(model: Any, summary: pd.DataFrame, t: _Arr) -> _Arr:
    """E[X_i(t_k)] for every customer (rows) and horizon (columns)."""
    out = call_with_horizon(model.conditional_expected_purchases, summary, t)
    if isinstance(out, pd.DataFrame) and out.shape == (len(summary), t.size):
        return np.asarray(out.to_numpy(dtype=np.float64), dtype=np.float64)
    columns = [  # a model without vectorised horizons: one call per period end
        np.asarray(
            call_with_horizon(model.conditional_expected_purchases, summary, float(tk)),
            dtype=np.float64,
        ).ravel()
        for tk in t
    ]
    return np.column_stack(columns) if columns else np.empty((len(summary), 0))


def _cohort_frame(
    model: Any,
    cohort_sizes: pd.Series,
    edges: pd.DatetimeIndex,
    labels: pd.PeriodIndex,
    model_unit: TimeUnit,
) -> pd.DataFrame:
    if not isinstance(cohort_sizes, pd.Series):
        raise InvalidValueError(
            f"cohort_sizes must be a pandas Series of customers acquired per period, indexed "
            f"by period; got {type(cohort_sizes).__name__}."
        )
    if not callable(getattr(model, "expected_purchases", None)):
        raise InvalidValueError(
            f"{type(model).__name__} has no expected_purchases(t) method, which cohort "
            "forecasts need (the expected repeat purchases of a new customer)."
        )
    position = {str(label): k for k, label in enumerate(labels)}
    keys = [str(label) for label in cohort_sizes.index]
    outside = [key for key in keys if key not in position]
    if outside or len(set(keys)) != len(keys):
        raise InvalidValueError(
            f"cohort_sizes is indexed by {keys[:5]}..., but each label must be a distinct "
            f"period of the forecast window, one of {list(position)[:3]}... (e.g. "
            "pd.Period('1997-11', 'M')); drop periods outside the window."
        )
    sizes = real_array(cohort_sizes.to_numpy(), name="cohort_sizes")
    if not np.all(np.isfinite(sizes)) or np.any(sizes < 0):
        raise InvalidValueError(
            f"cohort_sizes must be finite and >= 0; got {sizes.tolist()[:5]}..."
        )
    out = np.zeros((labels.size, len(keys)))
    ends = edges[1:]
    for c, (key, size) in enumerate(zip(keys, sizes, strict=True)):
        j = position[key]
        lo, hi = edges[j], edges[j + 1]
        days = max(int(np.ceil((hi - lo) / pd.Timedelta(DAY_NS, "ns"))), 1)
        entries = lo + (hi - lo) * ((np.arange(days) + 0.5) / days)
        cum = expected_since_entry(
            model, pd.DatetimeIndex(entries), ends, model_unit=model_unit
        ).mean(axis=0)
        out[:, c] = np.diff(cum, prepend=0.0) * size
    return pd.DataFrame(out, index=labels, columns=pd.Index(keys, name="cohort"))


def forecast_purchases(
    model: Any,
    summary: pd.DataFrame,
    *,
    observation_end: pd.Timestamp | str,
    horizon: int,
    period: TimeUnit = "M",
    spend: GammaGamma | FitResult[Any] | pd.Series | float | None = None,
    cohort_sizes: pd.Series | None = None,
    model_time_unit: TimeUnit | None = None,
) -> PeriodForecast:
    """Expected purchases (and spend) per calendar period after the observation end.

    Parameters
    ----------
    model : TransactionModel or FitResult
        A fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD or your own) whose
        ``conditional_expected_purchases(summary, t=...)`` takes horizons in its time unit,
        or the :class:`~crmkit.clv.FitResult` of one.
    summary : pandas.DataFrame
        The customers' summary at ``observation_end`` (the columns the model needs).
    observation_end : timestamp
        The end of the observation window the summary describes: the forecast starts at
        this instant. A summary from :func:`crmkit.rfm_summary` with
        ``observation_end="2010-12-09"`` has observed that whole day: pass
        ``"2010-12-10"`` (the first instant not observed, as ``crmkit report`` does);
        passing the same date forecasts that last observed day too.
    horizon : int
        Length of the window in ``period`` units (>= 1): it ends at
        ``crmkit.timeunits.add(observation_end, horizon, period)``.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        The calendar buckets: days, weeks Monday to Sunday, calendar months, quarters or
        years. Buckets start and end on calendar boundaries, apart from the partial first
        and last ones.
    spend : GammaGamma, FitResult, pandas.Series or float, optional
        Spend per purchase, as in :func:`crmkit.clv.customer_lifetime_value`: a Gamma-Gamma
        model or its fit (its conditional expected spend per customer, and its population mean
        :meth:`~crmkit.clv.GammaGamma.expected_spend` for new customers), a Series per
        customer_id (then no cohorts) or one number. Without it, no spend columns.
    cohort_sizes : pandas.Series, optional
        Customers acquired per period of the window, indexed by period (labels as in the
        result's ``table`` index, e.g. ``pd.Period("1997-11", "M")``); periods left out
        acquire nobody.
    model_time_unit : str, optional
        The model's time unit, for a model that does not carry one.

    Returns
    -------
    PeriodForecast

    Raises
    ------
    InvalidValueError
        If the model's time unit is unknown, ``horizon`` is not a whole number >= 1,
        a cohort lies outside the window, or the spend cannot price new customers.

    Examples
    --------
    The BG/NBD parameters of CDNOW (FHL 2005a, Table 1), in weeks, forecast per calendar
    month; the months add up to the cumulative expectation over the window:

    >>> import pandas as pd
    >>> from crmkit.clv import BetaGeo
    >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
    >>> fc = forecast_purchases(bg, s, observation_end="1997-09-30", horizon=3)
    >>> fc.table.index.astype(str).tolist()
    ['1997-09', '1997-10', '1997-11', '1997-12']
    >>> fc.table["t_end"].round(3).tolist()
    [0.143, 4.571, 8.857, 13.0]
    >>> total = bg.conditional_expected_purchases(s, t=fc.table["t_end"].iloc[-1]).sum()
    >>> bool(abs(fc.total_purchases - total) < 1e-12)
    True
    >>> new = forecast_purchases(
    ...     bg,
    ...     s,
    ...     observation_end="1997-09-30",
    ...     horizon=3,
    ...     cohort_sizes=pd.Series([100], index=pd.PeriodIndex(["1997-10"], freq="M")),
    ... )
    >>> new.table["new"].round(2).tolist()
    [0.0, 11.17, 18.8, 15.45]
    """
    if isinstance(model, FitResult):
        model = model.model
    if isinstance(spend, FitResult):
        spend = spend.model
    model_unit = resolve_model_unit(model, model_time_unit)
    if model_unit is None:
        raise InvalidValueError(
            "the purchase model's time unit is unknown: pass model_time_unit='W' (or the "
            "unit its summary was built in), or fit it on a summary that records its unit "
            "(crmkit.rfm_summary does)."
        )
    if not callable(getattr(model, "conditional_expected_purchases", None)):
        raise InvalidValueError(
            f"{type(model).__name__} has no conditional_expected_purchases(summary, t=...) "
            "method, which forecast_purchases needs."
        )
    unit = check_time_unit(period)
    n = check_whole(horizon, name="horizon", low=1, high=100_000)
    require_nonempty(summary, name="the summary")
    start = parse_date(observation_end, name="observation_end")
    end = add(start, n, unit)
    edges, labels = _window_edges(start, end, unit)
    t_end = np.asarray(elapsed(edges[[0] * labels.size], edges[1:], model_unit), dtype=np.float64)
    cumulative = _cumulative_conditional(model, summary, t_end)
    per_customer = np.diff(cumulative, axis=1, prepend=0.0)
    columns = pd.Index(labels, name="period")
    frame = pd.DataFrame(per_customer, index=summary.index, columns=columns)
    if cohort_sizes is None:
        cohorts = pd.DataFrame(index=labels, columns=pd.Index([], name="cohort"), dtype=float)
    else:
        cohorts = _cohort_frame(model, cohort_sizes, edges, labels, model_unit)
    existing = per_customer.sum(axis=0)
    new = cohorts.to_numpy(dtype=np.float64).sum(axis=1)
    table = pd.DataFrame(
        {
            "start": edges[:-1],
            "end": edges[1:],
            "t_end": t_end,
            "existing": existing,
            "new": new,
            "total": existing + new,
            "cumulative": np.cumsum(existing + new),
        },
        index=labels,
    )
    spend_frame = None
    if spend is not None:
        per_purchase = _spend_per_customer(spend, summary)
        spend_frame = frame.mul(per_purchase, axis=0)
        table["existing_spend"] = spend_frame.to_numpy().sum(axis=0)
        table["new_spend"] = new * _new_customer_spend(spend, has_cohorts=bool(new.any()))
        table["total_spend"] = table["existing_spend"] + table["new_spend"]
    return PeriodForecast(
        table=table,
        per_customer=frame,
        per_customer_spend=spend_frame,
        cohorts=cohorts,
        observation_end=start,
        end=end,
        period=unit,
        time_unit=model_unit,
    )


def _new_customer_spend(spend: Any, *, has_cohorts: bool) -> float:
    if isinstance(spend, GammaGamma):
        return spend.expected_spend()
    if isinstance(spend, pd.Series):
        if has_cohorts:
            raise InvalidValueError(
                "spend is a Series per existing customer, which says nothing about new "
                "customers; pass a GammaGamma model or one number to price the cohorts."
            )
        return 0.0
    return float(spend)
