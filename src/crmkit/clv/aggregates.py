"""Intervals on sums over customers: a segment, a cohort, the whole base.

Two different questions get two different intervals; say which one you answer.

**Confidence interval of the aggregate expectation**
(:func:`~crmkit.clv.aggregate_interval`, :func:`~crmkit.clv.segment_intervals`,
:func:`~crmkit.clv.forecast_intervals`). A sum over customers of any prediction
(expected purchases, expected spend, CLV, the period forecasts of
:func:`crmkit.clv.forecast_purchases`) is a function of the fitted parameters. Models
drawn from the asymptotic normal distribution of the maximum-likelihood estimates
(:func:`crmkit.clv.parameter_draws`) give one value of the sum each; the interval is
their percentile interval. It covers the **parameter uncertainty** of the expected total:
in repeated samples from the same population, a 95% interval contains the expected total
at the true parameters about 95% of the time. It does **not** contain the random
variation of the purchases customers will actually make: the realised total scatters
around its expectation even when the parameters are known exactly.

**Predictive interval of the realised total**
(:func:`~crmkit.clv.predictive_interval`). For the purchases a group of existing
customers will actually make in the next ``t`` time units, each parameter draw is
followed by one simulated future per customer: alive or not at the end of the
observation window (with the model's P(alive)), then the purchase rate and dropout drawn
from their posterior given the history and alive, then the purchases. The interval
covers both the parameter uncertainty and this process noise, so it is wider; it is the
one to compare with a total you will observe. For BG/NBD and MBG/NBD, given alive at
*T*: :math:`\\lambda \\sim \\Gamma(r + x, \\alpha + T)`, :math:`p \\sim \\text{Beta}(a,
b + x + s)` (*s* = 1 for MBG/NBD, else 0), future purchases :math:`\\min(K, N)` with
:math:`K \\sim \\text{Geometric}(p)`, :math:`N \\sim \\text{Poisson}(\\lambda t)`
(Fader, Hardie & Lee 2005, sec. 3); for Pareto/NBD :math:`\\lambda \\sim \\Gamma(r + x,
\\alpha + T)`, :math:`\\mu \\sim \\Gamma(s, \\beta + T)`, purchases
:math:`\\text{Poisson}(\\lambda \\min(\\tau, t))` with :math:`\\tau \\sim
\\text{Exp}(\\mu)` (Schmittlein, Morrison & Colombo 1987).

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
- Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who
  are they and what will they do next? *Management Science* 33(1), 1-24.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._intervals import ConfidenceInterval
from crmkit._validation import as_generator, check_in_range, check_whole, require_columns
from crmkit.clv._base import FitResult
from crmkit.clv.bgnbd import BetaGeoMaths
from crmkit.clv.forecast import (
    PeriodForecast,
    _cohort_frame,
    _cumulative_conditional,
    forecast_purchases,
)
from crmkit.clv.paretonbd import ParetoNBD
from crmkit.clv.uncertainty import parameter_draws
from crmkit.clv.value import _spend_per_customer
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, unit_name

__all__ = [
    "ForecastIntervals",
    "aggregate_interval",
    "forecast_intervals",
    "predictive_interval",
    "segment_intervals",
]

_Arr = NDArray[np.float64]
_METHOD = "percentile over parameter draws"


@attrs.frozen(kw_only=True, repr=False)
class ForecastIntervals(Displayable):
    """Confidence intervals of the expected purchases (and spend) of each forecast period.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``period``: ``purchases``, ``purchases_lower``, ``purchases_upper``,
        ``cumulative``, ``cumulative_lower``, ``cumulative_upper``; with a spend model
        also ``spend``, ``spend_lower``, ``spend_upper``.
    forecast : PeriodForecast
        The forecast at the fitted parameters (per customer, per period, cohorts); draw
        both with :func:`crmkit.plotting.period_forecast_chart`.
    level : float
        Confidence level of the intervals.
    n_draws : int
        Parameter draws behind the intervals.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    forecast: PeriodForecast = attrs.field(eq=False)
    level: float
    n_draws: int

    def _display(self) -> Display:
        columns, rows, note = frame_rows(self.table)
        last = self.table.iloc[-1]
        return Display(
            f"Forecast intervals per {unit_name(self.forecast.period)[:-1]}, "
            f"{self.forecast.observation_end} to {self.forecast.end}",
            [
                f"expected purchases {fmt_number(float(last['cumulative']))} "
                f"({self.level:.0%} CI {fmt_number(float(last['cumulative_lower']))} to "
                f"{fmt_number(float(last['cumulative_upper']))}, {_METHOD}, "
                f"{self.n_draws} draws)",
            ],
            columns,
            rows,
            [note],
        )


def _check_fit(fit: Any, name: str) -> None:
    if not isinstance(fit, FitResult):
        raise InvalidValueError(
            f"{name} must be the FitResult of a model's fit, e.g. BetaGeo.fit(summary); got "
            f"{type(fit).__name__}."
        )


def _values(out: Any) -> tuple[_Arr, pd.Index | None]:
    index = out.index if isinstance(out, pd.Series) else None
    values = np.atleast_1d(np.asarray(out, dtype=np.float64)).ravel()
    return values, index


def _group_codes(
    index: pd.Index | None, size: int, customers: Any, by: Any
) -> tuple[NDArray[np.intp], pd.Index]:
    """Group code per predicted value (-1: left out) and the group labels."""
    if by is not None:
        if not isinstance(by, pd.Series):
            raise InvalidValueError(
                f"by must be a pandas Series of group labels indexed by customer_id; got "
                f"{type(by).__name__}."
            )
        if index is None:
            raise InvalidValueError(
                "by needs a prediction indexed by customer_id: predict must return a Series."
            )
        aligned = by.reindex(index)
        if aligned.isna().any():
            raise InvalidValueError(
                f"by has no group for {int(aligned.isna().sum())} customer(s), e.g. "
                f"{index[aligned.isna().to_numpy()][:5].tolist()}; give every customer a group."
            )
        codes, labels = pd.factorize(aligned, sort=True)
        return np.asarray(codes, dtype=np.intp), pd.Index(labels, name=by.name)
    keep = _selection(index, size, customers)
    return np.where(keep, 0, -1).astype(np.intp), pd.Index(["selected"])


def _selection(index: pd.Index | None, size: int, customers: Any) -> NDArray[np.bool_]:
    if customers is None:
        return np.ones(size, dtype=bool)
    if isinstance(customers, pd.Series) and customers.dtype == bool:
        if index is None:
            if len(customers) != size:
                raise InvalidValueError(
                    f"customers has {len(customers)} flags for {size} predicted values."
                )
            return customers.to_numpy(dtype=bool)
        aligned = customers.reindex(index)
        if aligned.isna().any():
            raise InvalidValueError(
                f"the customers mask has no flag for {int(aligned.isna().sum())} customer(s); "
                "index it like the summary."
            )
        return aligned.to_numpy(dtype=bool)
    arr = np.asarray(customers)
    if arr.dtype == bool:
        if arr.shape != (size,):
            raise InvalidValueError(
                f"the customers mask has shape {arr.shape}; it needs one flag per customer "
                f"({size})."
            )
        return arr
    if index is None:
        raise InvalidValueError(
            "customers given by id need a prediction indexed by customer_id: predict must "
            "return a Series (or pass a boolean mask)."
        )
    wanted = pd.Index(np.atleast_1d(arr))
    missing = wanted.difference(index)
    if len(missing):
        raise InvalidValueError(
            f"{len(missing)} customer id(s) of customers are not predicted, e.g. "
            f"{missing[:5].tolist()}; pass ids of the summary."
        )
    return np.asarray(index.isin(wanted), dtype=bool)


def _sums_over_draws(
    fit: FitResult[Any],
    predict: Callable[..., Any],
    *,
    spend_fit: FitResult[Any] | None,
    customers: Any,
    by: Any,
    n_draws: int,
    rng: Any,
) -> tuple[_Arr, _Arr, pd.Index]:
    """Group sums at the fitted parameters and for each draw (n_draws x groups)."""
    _check_fit(fit, "fit")
    if spend_fit is not None:
        _check_fit(spend_fit, "spend_fit")
    if not callable(predict):
        raise InvalidValueError(
            f"predict={predict!r:.60} must be a function of a model, e.g. "
            "lambda m: m.conditional_expected_purchases(summary, t=52)."
        )
    n = check_whole(n_draws, name="n_draws", low=2, high=10**6)
    gen = as_generator(rng)

    def call(model: Any, spend_model: Any) -> Any:
        return predict(model) if spend_fit is None else predict(model, spend_model)

    point, index = _values(call(fit.model, None if spend_fit is None else spend_fit.model))
    codes, labels = _group_codes(index, point.size, customers, by)
    kept = codes >= 0
    size = len(labels)

    def sums(values: _Arr) -> _Arr:
        if values.size != point.size:
            raise InvalidValueError(
                f"predict returned {values.size} values for a drawn model but {point.size} "
                "for the fitted one; it must return the same shape for every model."
            )
        total: _Arr = np.bincount(codes[kept], weights=values[kept], minlength=size).astype(
            np.float64
        )
        return total

    models = parameter_draws(fit, n_draws=n, rng=gen)
    spends: list[Any] = (
        [None] * n if spend_fit is None else parameter_draws(spend_fit, n_draws=n, rng=gen)
    )
    draws = np.empty((n, size))
    for i, (model, spend_model) in enumerate(zip(models, spends, strict=True)):
        try:
            values = _values(call(model, spend_model))[0]
        except InvalidValueError as exc:
            drawn = model if spend_model is None else f"{model} with {spend_model}"
            raise InvalidValueError(
                f"the prediction is undefined for parameter draw {i + 1} of {n} ({drawn}): "
                f"{exc} The fit's sampling distribution reaches parameters where the "
                "prediction does not exist (e.g. a Gamma-Gamma q <= 1 has an infinite mean "
                "spend), so there is no interval from these draws; fit on more data or leave "
                "that model out of the interval."
            ) from exc
        draws[i] = sums(values)
    return sums(point), draws, labels


def _level(level: float) -> float:
    return check_in_range(level, name="level", low=0.0, high=1.0, low_inclusive=False,
                          high_inclusive=False)  # fmt: skip


def aggregate_interval(
    fit: FitResult[Any],
    predict: Callable[..., Any],
    *,
    customers: Any = None,
    spend_fit: FitResult[Any] | None = None,
    level: float = 0.95,
    n_draws: int = 500,
    rng: np.random.Generator | int | None = 0,
) -> ConfidenceInterval:
    """Confidence interval of a sum over customers of any prediction.

    .. math::

        S(\\theta) = \\sum_{i \\in \\text{segment}} f_i(\\theta), \\qquad
        [\\,q_{(1-\\ell)/2},\\ q_{(1+\\ell)/2}\\,] \\text{ of } S(\\theta^{(1)}), \\ldots,
        S(\\theta^{(B)})

    over ``n_draws`` parameter draws :math:`\\theta^{(b)}` from the asymptotic normal
    distribution of the estimates (:func:`crmkit.clv.parameter_draws`). It covers the
    parameter uncertainty of the **expected** total, not the process noise of the total
    customers will actually realise (:func:`~crmkit.clv.predictive_interval` adds that).

    Parameters
    ----------
    fit : FitResult
        The fitted purchase (or any) model.
    predict : callable
        ``predict(model)`` returns one value per customer (a Series indexed by customer_id,
        or an array) or a single number; with ``spend_fit``, ``predict(model, spend_model)``
        (e.g. a CLV: ``lambda m, g: customer_lifetime_value(m, g, summary, ...)``).
    customers : boolean mask, list of customer ids or None
        The segment summed over (a boolean Series or array aligned with the prediction, or
        ids of the prediction's index); None sums over everybody.
    spend_fit : FitResult, optional
        A fitted spend model drawn independently alongside ``fit`` (the Gamma-Gamma
        model assumes spend independent of the purchase process).
    level : float
        Confidence level in (0, 1).
    n_draws : int
        Parameter draws (>= 2); the cost is ``n_draws`` calls of ``predict``.
    rng : numpy.random.Generator or int, default 0
        Seeded generator (or seed).

    Returns
    -------
    ConfidenceInterval
        ``estimate`` is the sum at the fitted parameters.

    Examples
    --------
    >>> from crmkit import clv, datasets
    >>> summary = datasets.load_cdnow_summary()
    >>> fit = clv.BetaGeo.fit(summary)
    >>> ci = aggregate_interval(
    ...     fit, lambda m: m.conditional_expected_purchases(summary, t=39), n_draws=100
    ... )
    >>> print(ci)
    1653 (95% CI 1525 to 1808, percentile over parameter draws)
    >>> int(summary["frequency_holdout"].sum())  # what they bought: see the note
    1882

    The customers bought more than the interval's upper end: it covers the parameters'
    sampling error under the model, not the process noise of the realised total
    (:func:`~crmkit.clv.predictive_interval`) nor the model's own misfit.
    """
    lvl = _level(level)
    point, draws, _ = _sums_over_draws(
        fit, predict, spend_fit=spend_fit, customers=customers, by=None, n_draws=n_draws,
        rng=rng,
    )  # fmt: skip
    lo, hi = np.quantile(draws[:, 0], [(1.0 - lvl) / 2.0, (1.0 + lvl) / 2.0])
    return ConfidenceInterval(float(point[0]), float(lo), float(hi), level=lvl, method=_METHOD)


def segment_intervals(
    fit: FitResult[Any],
    predict: Callable[..., Any],
    *,
    by: pd.Series,
    spend_fit: FitResult[Any] | None = None,
    level: float = 0.95,
    n_draws: int = 500,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """Confidence intervals of the sums of a prediction per segment or cohort.

    The same interval as :func:`~crmkit.clv.aggregate_interval` for every group at once,
    all from the same parameter draws (so the groups' intervals are jointly consistent).

    Parameters
    ----------
    fit, predict, spend_fit, level, n_draws, rng
        As in :func:`~crmkit.clv.aggregate_interval`; ``predict`` must return a Series indexed by
        customer_id.
    by : pandas.Series
        A group label per customer_id (a segment, an acquisition cohort ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by the sorted group labels: ``estimate`` (the sum at the fitted
        parameters), ``stderr`` (standard deviation over the draws), ``lower``, ``upper``.

    Examples
    --------
    >>> import numpy as np
    >>> from crmkit import clv, datasets
    >>> summary = datasets.load_cdnow_summary()
    >>> fit = clv.BetaGeo.fit(summary)
    >>> buyers = summary["frequency"].gt(0).map({True: "repeat", False: "one-off"})
    >>> buyers = buyers.rename("buyers")
    >>> tab = segment_intervals(
    ...     fit,
    ...     lambda m: m.conditional_expected_purchases(summary, t=39),
    ...     by=buyers,
    ...     n_draws=100,
    ... )
    >>> tab.round(0)
             estimate  stderr   lower   upper
    buyers
    one-off     318.0    14.0   293.0   343.0
    repeat     1336.0    72.0  1204.0  1476.0
    """
    lvl = _level(level)
    point, draws, labels = _sums_over_draws(
        fit, predict, spend_fit=spend_fit, customers=None, by=by, n_draws=n_draws, rng=rng
    )
    lo, hi = np.quantile(draws, [(1.0 - lvl) / 2.0, (1.0 + lvl) / 2.0], axis=0)
    return pd.DataFrame(
        {"estimate": point, "stderr": draws.std(axis=0, ddof=1), "lower": lo, "upper": hi},
        index=labels,
    )


def _simulate_future(
    model: Any, history: pd.DataFrame, t: float, gen: np.random.Generator
) -> _Arr:
    """One simulated number of purchases in (T, T + t] per customer, given the history."""
    x = history[cols.FREQUENCY].to_numpy(dtype=np.float64)
    T = history[cols.T].to_numpy(dtype=np.float64)
    p_alive = np.asarray(model.probability_alive(history), dtype=np.float64)
    alive = gen.random(x.size) < p_alive
    if isinstance(model, BetaGeoMaths):
        lam = gen.gamma(model.r + x, 1.0 / (model.alpha + T))
        # a p that underflows to 0 means no dropout; 1e-12 gives ~1e12 purchases first
        p = np.maximum(gen.beta(model.a, model.b + x + model._shift), 1e-12)
        out = np.minimum(gen.geometric(p), gen.poisson(lam * t)).astype(np.float64)
    else:
        lam = gen.gamma(model.r + x, 1.0 / (model.alpha + T))
        mu = gen.gamma(model.s, 1.0 / (model.beta + T))
        life = gen.exponential(1.0, size=x.size) / mu
        out = gen.poisson(lam * np.minimum(life, t)).astype(np.float64)
    return np.where(alive, out, 0.0)


def predictive_interval(
    fit: FitResult[Any],
    summary: pd.DataFrame,
    *,
    t: float,
    customers: Any = None,
    level: float = 0.95,
    n_draws: int = 1000,
    rng: np.random.Generator | int | None = 0,
) -> ConfidenceInterval:
    """Predictive interval of the purchases a group of customers will actually make.

    Each of ``n_draws`` parameter draws is followed by one simulated future of every
    customer over the next ``t`` time units (alive or not, then rate and dropout from
    their posterior given the history; see the module notes), and the interval is the
    percentile interval of the simulated totals. It covers the parameter uncertainty
    **and** the process noise of the realised total, unlike :func:`~crmkit.clv.aggregate_interval`.

    Parameters
    ----------
    fit : FitResult
        A fitted BG/NBD, MBG/NBD or Pareto/NBD model.
    summary : pandas.DataFrame
        ``frequency``, ``recency``, ``T`` per customer.
    t : float
        Horizon (> 0) in the model's time unit.
    customers : boolean mask, list of customer ids or None
        The group (as in :func:`~crmkit.clv.aggregate_interval`); None for everybody.
    level, n_draws, rng
        As in :func:`~crmkit.clv.aggregate_interval`.

    Returns
    -------
    ConfidenceInterval
        ``estimate`` is the expected total at the fitted parameters.

    Examples
    --------
    >>> from crmkit import clv, datasets
    >>> summary = datasets.load_cdnow_summary()
    >>> fit = clv.BetaGeo.fit(summary)
    >>> print(predictive_interval(fit, summary, t=39, n_draws=200))
    1653 (95% CI 1432 to 1847, parameter draws and simulated purchases)
    """
    if not isinstance(getattr(fit, "model", None), BetaGeoMaths | ParetoNBD):
        raise InvalidValueError(
            f"predictive_interval simulates BG/NBD, MBG/NBD and Pareto/NBD customers; got "
            f"{type(getattr(fit, 'model', fit)).__name__}. For other models use "
            "aggregate_interval (parameter uncertainty only)."
        )
    horizon = check_in_range(t, name="t", low=0.0, low_inclusive=False)
    lvl = _level(level)
    n = check_whole(n_draws, name="n_draws", low=2, high=10**6)
    gen = as_generator(rng)
    point = fit.model.conditional_expected_purchases(summary, t=horizon)
    keep = _selection(point.index, point.size, customers)
    history = summary.loc[keep]
    totals = np.empty(n)
    for i, model in enumerate(parameter_draws(fit, n_draws=n, rng=gen)):
        totals[i] = _simulate_future(model, history, horizon, gen).sum()
    lo, hi = np.quantile(totals, [(1.0 - lvl) / 2.0, (1.0 + lvl) / 2.0])
    return ConfidenceInterval(
        float(point[keep].sum()), float(lo), float(hi), level=lvl,
        method="parameter draws and simulated purchases",
    )  # fmt: skip


def _distinct_histories(summary: Any, *, spend: bool) -> tuple[pd.DataFrame, _Arr]:
    """Distinct (frequency, recency, T) rows and how many customers share each.

    Sums over customers only need each distinct history once, weighted by its count; the
    mean spend of a group stands for its members because the Gamma-Gamma posterior mean
    is affine in a customer's mean spend (FHL 2005b, eq. 5) at a given frequency.
    """
    if not isinstance(summary, pd.DataFrame):
        raise InvalidValueError(
            f"summary must be a pandas DataFrame of frequency, recency and T per customer; "
            f"got {type(summary).__name__}."
        )
    keys = [cols.FREQUENCY, cols.RECENCY, cols.T]
    require_columns(summary, keys + ([cols.MONETARY_VALUE] if spend else []))
    grouped = summary.groupby(keys, sort=False, dropna=False)
    counts = grouped.size()
    compact = counts.index.to_frame(index=False)
    if spend:
        compact[cols.MONETARY_VALUE] = grouped[cols.MONETARY_VALUE].mean().to_numpy()
    compact.attrs = dict(summary.attrs)
    weights: _Arr = np.asarray(counts.to_numpy(), dtype=np.float64)
    return compact, weights


def forecast_intervals(
    fit: FitResult[Any],
    summary: pd.DataFrame,
    *,
    observation_end: pd.Timestamp | str,
    horizon: int,
    period: TimeUnit = "M",
    spend_fit: FitResult[Any] | None = None,
    cohort_sizes: pd.Series | None = None,
    level: float = 0.95,
    n_draws: int = 200,
    rng: np.random.Generator | int | None = 0,
) -> ForecastIntervals:
    """Confidence intervals of the total expected purchases (and spend) of each period.

    :func:`crmkit.clv.forecast_purchases` at the fitted parameters and for each parameter
    draw; the percentile interval of each period's total (existing customers plus new
    cohorts) and of the window's cumulative total. Like :func:`~crmkit.clv.aggregate_interval` it
    covers the parameter uncertainty of the expected totals, not the process noise.

    Parameters
    ----------
    fit : FitResult
        The fitted purchase model (with its time unit).
    summary, observation_end, horizon, period, cohort_sizes
        As in :func:`crmkit.clv.forecast_purchases`.
    spend_fit : FitResult, optional
        A fitted Gamma-Gamma model: adds the spend columns.
    level, n_draws, rng
        As in :func:`~crmkit.clv.aggregate_interval`.

    Returns
    -------
    ForecastIntervals
        ``.table`` indexed by ``period``: ``purchases``, ``purchases_lower``,
        ``purchases_upper``, ``cumulative``, ``cumulative_lower``, ``cumulative_upper``;
        with ``spend_fit`` also ``spend``, ``spend_lower``, ``spend_upper``.
        ``.forecast``, the :class:`~crmkit.clv.PeriodForecast` at the fitted parameters.

    Examples
    --------
    >>> from crmkit import clv, datasets
    >>> summary = datasets.load_cdnow_summary()
    >>> fit = clv.BetaGeo.fit(summary)
    >>> band = forecast_intervals(
    ...     fit, summary, observation_end="1997-09-30", horizon=3, n_draws=50
    ... )
    >>> band.table[["purchases", "purchases_lower", "purchases_upper"]].round(0)
             purchases  purchases_lower  purchases_upper
    period
    1997-09        7.0              7.0              8.0
    1997-10      225.0            216.0            236.0
    1997-11      206.0            195.0            218.0
    1997-12      189.0            178.0            202.0
    >>> bool(abs(band.forecast.total_purchases - band.table["cumulative"].iloc[-1]) < 1e-9)
    True

    Draw it with ``crmkit.plotting.period_forecast_chart(band)``.
    """
    _check_fit(fit, "fit")
    if spend_fit is not None:
        _check_fit(spend_fit, "spend_fit")
    lvl = _level(level)
    compact, weights = _distinct_histories(summary, spend=spend_fit is not None)
    forecast = forecast_purchases(
        fit.model, summary, observation_end=observation_end, horizon=horizon, period=period,
        spend=None if spend_fit is None else spend_fit.model, cohort_sizes=cohort_sizes,
    )  # fmt: skip
    periods = forecast.table
    t_end = periods["t_end"].to_numpy(dtype=np.float64)
    edges = pd.DatetimeIndex([*periods["start"], periods["end"].iloc[-1]])
    labels = pd.PeriodIndex(periods.index)

    def predict(model: Any, spend_model: Any = None) -> pd.Series:
        # forecast_purchases' sums for one drawn model: the window's calendar (t_end,
        # edges) is the same for every draw, so only the model's expectations are redone,
        # all horizons in one call, each distinct history once
        per = np.diff(_cumulative_conditional(model, compact, t_end), axis=1, prepend=0.0)
        new = np.zeros(t_end.size)
        if cohort_sizes is not None:
            cohorts = _cohort_frame(model, cohort_sizes, edges, labels, forecast.time_unit)
            new = cohorts.to_numpy(dtype=np.float64).sum(axis=1)
        total = weights @ per + new
        parts = [total, np.cumsum(total)]
        if spend_model is not None:
            price = _spend_per_customer(spend_model, compact)
            parts.append((weights * price) @ per + new * spend_model.expected_spend())
        return pd.Series(np.concatenate(parts))

    k = len(periods)
    names = ["purchases", "cumulative"] + (["spend"] if spend_fit is not None else [])
    codes = pd.Series(np.arange(k * len(names)))
    values, draws, _ = _sums_over_draws(
        fit, predict, spend_fit=spend_fit, customers=None, by=codes, n_draws=n_draws, rng=rng
    )
    lo, hi = np.quantile(draws, [(1.0 - lvl) / 2.0, (1.0 + lvl) / 2.0], axis=0)
    out = pd.DataFrame(index=periods.index)
    for j, name in enumerate(names):
        part = slice(j * k, (j + 1) * k)
        out[name] = values[part]
        out[f"{name}_lower"] = lo[part]
        out[f"{name}_upper"] = hi[part]
    return ForecastIntervals(table=out, forecast=forecast, level=lvl, n_draws=len(draws))
