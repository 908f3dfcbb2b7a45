"""Contractual customer lifetime value: payments per period times DEL or DERL.

In a contractual (subscription) setting a customer pays a known amount per contract
period for as long as they renew, so the value of a customer is that payment, times the
margin, times the discounted number of payments still to come (Fader & Hardie 2010):

* a **new** customer, first payment now: the *discounted expected lifetime*
  :math:`DEL(d) = \\sum_{t\\ge0} S(t)/(1+d)^t`;
* an **active** customer who has made n - 1 renewals and is about to make the n-th
  renewal decision: the *discounted expected residual lifetime*
  :math:`DERL(d \\mid n-1) = \\sum_{k\\ge0} \\frac{S(n+k)}{S(n-1)} (1+d)^{-k}`, the payment
  at the coming renewal undiscounted;
* a customer who has cancelled: nothing.

Any contractual model that offers ``survival(t)``,
``discounted_expected_residual_lifetime(discount_rate, renewals)`` and
``discounted_expected_lifetime(discount_rate)`` (the sBG, and every family with the same
interface) is valued the same way; a mapping of group key -> model values each group
(e.g. contract type) with its own fit.

**Units.** ``spend`` is the payment per contract period (the model's period). The
discount rate and the horizon are stated per period of ``time_unit`` (default: the
model's ``time_unit``) and converted to contract periods only where that is exact: the
rate by :math:`(1+d)^{1/k}-1` and the horizon by *k*, the number of contract periods in
one ``time_unit`` (12 for an annual rate and a monthly contract). Days and weeks are
never converted into months (no 30-day months).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._validation import (
    check_in_range,
    check_unique_index,
    real_array,
    require_columns,
    require_nonempty,
    with_unique_index,
)
from crmkit.clv._checks import labels_of, resolve_model_unit
from crmkit.clv._fit_result import FitResult
from crmkit.clv._retention_data import TenureCounts, _churn_flags, _whole_periods
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit, convert_rate
from crmkit.timeunits._periods import DAY_STEPS, MONTH_STEPS

__all__ = ["contractual_lifetime_value", "contractual_value_summary"]

_F = NDArray[np.float64]
#: Largest survival table a truncated (finite-horizon) value reads per group.
_MAX_PERIODS = 10_000_000
_METHODS = ("survival", "discounted_expected_residual_lifetime", "discounted_expected_lifetime")


def _as_model(candidate: Any, *, where: str) -> Any:
    """The contractual model of ``candidate`` (a model or a FitResult of one), or raise."""
    model = candidate.model if isinstance(candidate, FitResult) else candidate
    missing = [m for m in _METHODS if not callable(getattr(model, m, None))]
    if missing:
        hint = (
            " It is a purchase model: value it with crmkit.clv.customer_lifetime_value."
            if callable(getattr(model, "conditional_expected_purchases", None))
            else ""
        )
        raise InvalidValueError(
            f"{where} is a {type(model).__name__}, which has no {', '.join(missing)}; pass "
            "a contractual model such as ShiftedBetaGeometric (or its FitResult)." + hint
        )
    return model


def _model_periods(unit: TimeUnit, model_unit: TimeUnit, *, where: str) -> int:
    """Whole contract periods (of ``model_unit``) in one period of ``unit``, or raise."""
    for table in (DAY_STEPS, MONTH_STEPS):
        if unit in table and model_unit in table:
            ratio = table[unit] / table[model_unit]
            if ratio != round(ratio):
                break
            return round(ratio)
    raise InvalidValueError(
        f"{where} measures contract periods in {model_unit!r} but time_unit={unit!r}; one "
        f"{unit!r} is not a whole number of {model_unit!r} periods (a month has no fixed "
        f"number of days), so crmkit does not convert. State discount_rate and horizon per "
        f"{model_unit!r} period (time_unit={model_unit!r}; crmkit.timeunits.convert_rate "
        "converts a rate if you choose a days_per_year), or refit the model in the unit "
        "you value in."
    )


def _resolve_units(
    model: Any,
    *,
    where: str,
    time_unit: TimeUnit | None,
    model_time_unit: TimeUnit | None,
    discount_rate: float,
    horizon: int | None,
) -> tuple[float, int | None]:
    """Discount rate per contract period and the horizon in contract periods.

    The contract period is the model's own ``time_unit`` or ``model_time_unit``; it is
    never taken from ``time_unit``, which states only the period of the rate and the
    horizon (an annual rate on a model fitted without a unit would otherwise be read as
    yearly contracts without a word).
    """
    model_unit = resolve_model_unit(model, model_time_unit)
    if model_unit is None:
        raise InvalidValueError(
            f"{where} has no time_unit, so the length of its contract period is unknown; "
            "pass model_time_unit='M' (one contract period; time_unit= states only the "
            "period of discount_rate and horizon, default the model's), or fit the model "
            "with time_unit=..."
        )
    unit = time_unit if time_unit is not None else model_unit
    if unit == model_unit:
        return discount_rate, horizon
    k = _model_periods(unit, model_unit, where=where)
    rate = convert_rate(discount_rate, unit, model_unit)
    return rate, None if horizon is None else horizon * k


def _spend_values(spend: Any, data: pd.DataFrame) -> _F:
    """One payment per contract period for each row of ``data``."""
    if isinstance(spend, str):
        require_columns(data, [spend])
        values = real_array(data[spend].to_numpy(), name=f"spend column {spend!r}")
    elif isinstance(spend, pd.Series):
        aligned = with_unique_index(spend, name="spend").reindex(data.index)
        missing = aligned.isna().to_numpy()
        if missing.any():
            raise InvalidValueError(
                f"spend has no value for {int(missing.sum())} row(s) of the data, e.g. index "
                f"{labels_of(data.index, missing)}; give one spend per row, indexed like the "
                "data (or name a column of the data)."
            )
        values = real_array(aligned.to_numpy(), name="spend")
    elif isinstance(spend, int | float | np.integer | np.floating) and not isinstance(spend, bool):
        values = np.full(len(data), float(spend))
    else:
        raise InvalidValueError(
            "spend must be the payment per contract period: a number, a column name of the "
            f"data or a Series indexed like the data; got {type(spend).__name__}."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidValueError(
            f"spend must be finite for every row; not at index {labels_of(data.index, bad)}."
        )
    return values


def _renewals(
    data: pd.DataFrame, *, tenure_col: str, churned_col: str, tenure_counts: Any
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Renewals made by each row (read as the fit reader reads tenure) and the churn flags."""
    if tenure_counts not in ("completed", "started"):
        raise InvalidValueError(
            f"tenure_counts={tenure_counts!r}: say how tenure counts periods, as when "
            "fitting: 'completed' if an active customer with tenure t has renewed t times, "
            "'started' if t - 1 times (tenure = periods paid, the current one included). "
            "The value of an active customer depends on the renewals made."
        )
    require_columns(data, [tenure_col, churned_col])
    tenure = _whole_periods(data, tenure_col)
    churned = _churn_flags(data, churned_col)
    if churned.any() and tenure[churned].min() < 1:
        bad = churned & (tenure < 1)
        raise InvalidValueError(
            f"churned customers with {tenure_col}=0 at index {labels_of(data.index, bad)}; a "
            "customer who cancelled has paid at least one period. If tenure counts periods "
            "before the one in which the customer cancelled, add 1."
        )
    shift = 1 if tenure_counts == "started" else 0
    if shift and (~churned).any() and tenure[~churned].min() < 1:
        bad = ~churned & (tenure < 1)
        raise InvalidValueError(
            f"active customers with {tenure_col}=0 at index {labels_of(data.index, bad)} "
            "under tenure_counts='started' (tenure = periods paid, the current one "
            "included, so >= 1); use tenure_counts='completed' if tenure counts completed "
            "periods."
        )
    return np.where(churned, 0, tenure - shift), churned


def _truncated_derl(model: Any, rate: float, renewals: NDArray[np.int64], periods: int) -> _F:
    """sum_{k<H} S(r+1+k)/S(r)/(1+rate)^k for each r, from one survival table."""
    top = int(renewals.max()) + periods + 1
    if top > _MAX_PERIODS:
        raise InvalidValueError(
            f"a horizon of {periods} contract periods after {int(renewals.max())} renewals "
            f"reads {top:,} survival values (at most {_MAX_PERIODS:,}); shorten the horizon "
            "or give horizon=None (the infinite-horizon closed form)."
        )
    s = np.asarray(model.survival(np.arange(top, dtype=np.float64)), dtype=np.float64)
    weights = (1.0 + rate) ** -np.arange(periods, dtype=np.float64)
    out = np.empty(renewals.size)
    for i, r in enumerate(renewals.tolist()):  # one dot product per distinct renewal count
        out[i] = s[r + 1 : r + 1 + periods] @ weights / s[r] if s[r] > 0 else np.nan
    return out


def _residual(
    model: Any, rate: float, renewals: NDArray[np.int64], periods: int | None, *, where: str
) -> _F:
    if periods is None:
        if rate <= 0:
            raise InvalidValueError(
                f"discount_rate={rate!r} per contract period of {where}: the infinite-horizon "
                "value needs a discount rate > 0; give a positive rate or a finite horizon."
            )
        raw = model.discounted_expected_residual_lifetime(rate, renewals)
        values = np.asarray(raw, dtype=np.float64).reshape(renewals.shape)
    else:
        values = _truncated_derl(model, rate, renewals, periods)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InvalidValueError(
            f"{where} gives no finite residual lifetime after {renewals[bad][:5].tolist()} "
            "renewals (its survival there is 0 or not finite): the model rules out customers "
            "the data shows active; check tenure_counts and the model."
        )
    return values


def _models_by_group(
    model: Any, data: pd.DataFrame, group_col: str | None
) -> tuple[list[tuple[Hashable, Any]], NDArray[np.intp]]:
    """(group key, model) pairs and each row's position in that list."""
    if group_col is None:
        if isinstance(model, Mapping):
            raise InvalidValueError(
                f"model is a mapping of {len(model)} group(s) ({list(model)[:5]}); name the "
                "column of the data that holds the group of each customer with group_col=..."
            )
        return [(None, _as_model(model, where="the model"))], np.zeros(len(data), dtype=np.intp)
    if not isinstance(model, Mapping):
        raise InvalidValueError(
            f"group_col={group_col!r} needs a mapping of group -> model (e.g. the result of "
            "crmkit.clv.fit_by_group, or a dict of FitResults); for one model for everybody "
            "drop group_col."
        )
    require_columns(data, [group_col])
    codes, uniques = pd.factorize(data[group_col], sort=True)  # missing values get -1
    if codes.size and codes.min() < 0:
        raise InvalidValueError(
            f"column {group_col!r} has missing values at index "
            f"{labels_of(data.index, codes < 0)}; every customer needs a group."
        )
    absent = [k for k in uniques if k not in model]
    if absent:
        raise InvalidValueError(
            f"no model for group(s) {absent[:5]} of column {group_col!r}; the mapping has "
            f"{list(model)[:10]}. Fit those groups too, or drop their rows first."
        )
    pairs = [(k, _as_model(model[k], where=f"the model of group {k!r}")) for k in uniques]
    return pairs, np.asarray(codes, dtype=np.intp)


def contractual_lifetime_value(
    model: Any,
    data: pd.DataFrame,
    /,
    *,
    spend: float | str | pd.Series,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: TimeUnit | None = None,
    model_time_unit: TimeUnit | None = None,
    horizon: int | None = None,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    tenure_counts: TenureCounts | None = None,
    group_col: str | None = None,
) -> pd.Series:
    """Residual value of each subscription customer: margin x spend x DERL.

    .. math::

        CLV_i = m\\, s_i\\, DERL(d \\mid n_i - 1)
        = m\\, s_i \\sum_{k=0}^{H-1} \\frac{S(n_i+k)}{S(n_i-1)}\\,\\frac{1}{(1+d)^k}

    for an active customer who has made :math:`n_i - 1` renewals, and 0 for a customer
    who has cancelled (Fader & Hardie 2010, eq. 6; :math:`H=\\infty` by default). The
    customer is valued just before their next renewal decision: the payment at that
    renewal counts in full, the one after it is discounted once; the current period's
    payment is already made. *m* is the margin, :math:`s_i` the payment per contract
    period and *d* the discount rate per contract period.

    Parameters
    ----------
    model : contractual model, FitResult, or mapping of group -> model or FitResult
        A model with ``survival``, ``discounted_expected_residual_lifetime`` and
        ``discounted_expected_lifetime`` (e.g. :class:`~crmkit.clv.ShiftedBetaGeometric`),
        its ``FitResult``, or, with ``group_col``, one per group (a dict, or the mapping
        a per-group fit returns).
    data : pandas.DataFrame
        One row per customer with ``tenure_col`` and ``churned_col`` (and ``group_col``),
        the shape the contractual models fit on.
    spend : float, str or pandas.Series
        Payment per contract period (money): one number, the name of a column of
        ``data``, or a Series indexed like ``data``.
    discount_rate : float
        Discount rate per period of ``time_unit``, > -1 (> 0 for ``horizon=None``).
    margin : float
        Share of spend that is profit (default 1: the value is discounted revenue).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Period of ``discount_rate`` and ``horizon``; default the model's contract
        period. An annual rate for a monthly model is converted exactly,
        :math:`(1+d)^{1/12}-1`; days or weeks against months raise.
    model_time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The length of one contract period, for a model that carries no ``time_unit``
        (built from a paper's table, or fitted without one); must agree with the
        model's own if both are known. crmkit never takes the contract period from
        ``time_unit``: an annual rate on a monthly model would otherwise be read as
        yearly contracts.
    horizon : int, optional
        Number of whole periods of ``time_unit`` to value (the truncated DERL, from the
        model's ``survival``); default ``None``, the whole residual lifetime.
    tenure_col, churned_col : str
        Tenure in whole contract periods (>= 0) and whether the customer has cancelled
        (bool or 0/1).
    tenure_counts : {"completed", "started"}
        Required: how tenure counts periods, as when fitting: ``"completed"`` if an
        active customer with tenure t has renewed t times, ``"started"`` if t - 1 times.
    group_col : str, optional
        Column holding each customer's group (e.g. contract type); ``model`` is then a
        mapping with a model for every group in the data.

    Returns
    -------
    pandas.Series
        Named ``clv``, indexed like ``data``, in the money unit of ``spend``.

    Raises
    ------
    InvalidValueError
        Missing ``tenure_counts``, bad tenure or churn values, a group without a model,
        a model without a time unit and no ``time_unit``, units that do not convert
        exactly, a non-positive rate with an infinite horizon.
    MissingColumnsError
        A column of the data is missing.

    See Also
    --------
    contractual_value_summary : per-group totals and the value of a new customer.
    customer_lifetime_value : the non-contractual counterpart (purchase models).

    References
    ----------
    - Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
      setting: the perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.

    Examples
    --------
    The sBG "high end" cohort of Fader & Hardie (2007), yearly contracts worth 100 a year,
    valued at 10 % a year. A customer who has renewed 7 times is worth 100 x 7.530 (FH
    2010, eq. 6); one who cancelled is worth nothing:

    >>> import pandas as pd
    >>> from crmkit.clv import ShiftedBetaGeometric
    >>> model = ShiftedBetaGeometric(alpha=0.668, beta=3.806, time_unit="Y")
    >>> rows = pd.DataFrame({"tenure": [7, 0, 3], "churned": [False, False, True]})
    >>> contractual_lifetime_value(
    ...     model, rows, spend=100.0, discount_rate=0.10, tenure_counts="completed"
    ... ).round(1).tolist()
    [753.0, 541.5, 0.0]

    The same rate stated per year for a monthly model is converted to
    :math:`1.1^{1/12}-1` per month; ``horizon`` truncates the sum (here 2 years):

    >>> monthly = ShiftedBetaGeometric(alpha=0.4, beta=7.4, time_unit="M")
    >>> value = contractual_lifetime_value(
    ...     monthly,
    ...     rows,
    ...     spend=50.0,
    ...     discount_rate=0.10,
    ...     time_unit="Y",
    ...     horizon=2,
    ...     tenure_counts="completed",
    ... )
    >>> value.round(2).tolist()
    [873.9, 768.03, 0.0]
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidValueError(
            "data must be a pandas DataFrame with one row per customer (tenure, churned); "
            f"got {type(data).__name__}."
        )
    require_nonempty(data, name="the data")
    check_unique_index(data, name="the data index")
    d = check_in_range(discount_rate, name="discount_rate", low=-1.0, low_inclusive=False)
    m = check_in_range(margin, name="margin")
    unit = None if time_unit is None else check_time_unit(time_unit)
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1
    ):
        raise InvalidValueError(
            f"horizon={horizon!r} must be a whole number of periods >= 1, or None for the "
            "whole residual lifetime."
        )
    renewals, churned = _renewals(
        data, tenure_col=tenure_col, churned_col=churned_col, tenure_counts=tenure_counts
    )
    pairs, codes = _models_by_group(model, data, group_col)
    spend_values = _spend_values(spend, data)
    # the units must fit every model, active customers or not
    units = [
        _resolve_units(
            each,
            where="the model" if group_col is None else f"the model of group {group!r}",
            time_unit=unit,
            model_time_unit=model_time_unit,
            discount_rate=d,
            horizon=horizon,
        )
        for group, each in pairs
    ]

    per_row = np.zeros(len(data))
    active = ~churned
    if active.any():
        per_row[active] = _active_values(
            pairs, codes[active], renewals[active], units, grouped=group_col is not None
        )
    return pd.Series(m * spend_values * per_row, index=data.index, name="clv")


def _active_values(
    pairs: list[tuple[Hashable, Any]],
    codes: NDArray[np.intp],
    renewals: NDArray[np.int64],
    units: list[tuple[float, int | None]],
    *,
    grouped: bool,
) -> _F:
    """DERL of each active row, computed once per distinct (group, renewals) pair."""
    size = int(renewals.max()) + 1
    if size > _MAX_PERIODS:
        raise InvalidValueError(
            f"a tenure of {size - 1:,} contract periods is implausible (more than "
            f"{_MAX_PERIODS:,}); tenure must count whole contract periods, not days or seconds."
        )
    key = codes.astype(np.int64) * size + renewals
    if len(pairs) * size <= 8 * key.size + 4096:  # O(n): a presence table, then a lookup
        seen = np.zeros(len(pairs) * size, dtype=bool)
        seen[key] = True
        distinct = np.flatnonzero(seen)
        position = np.zeros(seen.size, dtype=np.intp)
        position[distinct] = np.arange(distinct.size)
        inverse = position[key]
    else:  # sparse tenures: sort the keys instead
        distinct, inverse = np.unique(key, return_inverse=True)
    values = np.empty(distinct.size)
    bounds = np.searchsorted(distinct // size, np.arange(len(pairs) + 1))
    for g, (group, model) in enumerate(pairs):  # one pass per group (a few, each vectorised)
        part = slice(int(bounds[g]), int(bounds[g + 1]))
        if part.start == part.stop:
            continue
        where = f"the model of group {group!r}" if grouped else "the model"
        rate, periods = units[g]
        values[part] = _residual(model, rate, distinct[part] - g * size, periods, where=where)
    out: _F = values[inverse]
    return out


def _lifetime(model: Any, rate: float, periods: int | None, *, where: str) -> float:
    """DEL of a new customer (first payment now), truncated to ``periods`` if given."""
    if periods is None:
        if rate <= 0:
            raise InvalidValueError(
                f"discount_rate={rate!r} per contract period of {where}: the infinite-horizon "
                "value needs a discount rate > 0; give a positive rate or a finite horizon."
            )
        value = float(model.discounted_expected_lifetime(rate))
    else:
        if periods > _MAX_PERIODS:
            raise InvalidValueError(
                f"horizon of {periods:,} contract periods is longer than {_MAX_PERIODS:,}; "
                "give horizon=None for the whole lifetime."
            )
        s = np.asarray(model.survival(np.arange(periods, dtype=np.float64)), dtype=np.float64)
        value = float(s @ (1.0 + rate) ** -np.arange(periods, dtype=np.float64))
    if not (np.isfinite(value) and value >= 0):
        raise InvalidValueError(f"{where} gives no finite discounted expected lifetime.")
    return value


def contractual_value_summary(
    model: Any,
    data: pd.DataFrame,
    /,
    *,
    spend: float | str | pd.Series,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: TimeUnit | None = None,
    model_time_unit: TimeUnit | None = None,
    horizon: int | None = None,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    tenure_counts: TenureCounts | None = None,
    group_col: str | None = None,
) -> pd.DataFrame:
    """Value of the customer base and of a new customer, per group (e.g. contract type).

    The residual value of the current base is the sum of
    :func:`contractual_lifetime_value` over the customers still active; a new customer
    who pays the group's mean spend is worth

    .. math::

        m\\,\\bar s\\,DEL(d) = m\\,\\bar s \\sum_{t=0}^{H-1} \\frac{S(t)}{(1+d)^t}

    (first payment now; Fader & Hardie 2010, eq. 4), so a cohort of N such customers is
    worth N times ``new_customer_value``. Arguments as in
    :func:`contractual_lifetime_value`.

    Returns
    -------
    pandas.DataFrame
        One row per group (index named ``group_col``, sorted; a single row ``"all"``
        without groups) with columns ``n_customers``, ``n_active``, ``residual_value``
        (sum over active customers), ``discounted_expected_lifetime`` (DEL in contract
        periods: discounted expected payments of a new customer), ``mean_spend`` (mean
        spend of the group's customers) and ``new_customer_value`` (margin x
        ``mean_spend`` x DEL).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import ShiftedBetaGeometric
    >>> models = {
    ...     "regular": ShiftedBetaGeometric(alpha=0.704, beta=1.182, time_unit="Y"),
    ...     "high end": ShiftedBetaGeometric(alpha=0.668, beta=3.806, time_unit="Y"),
    ... }
    >>> rows = pd.DataFrame(
    ...     {
    ...         "segment": ["regular", "regular", "high end", "high end"],
    ...         "tenure": [4, 2, 7, 1],
    ...         "churned": [False, True, False, True],
    ...     }
    ... )
    >>> table = contractual_value_summary(
    ...     models,
    ...     rows,
    ...     spend=100.0,
    ...     discount_rate=0.10,
    ...     tenure_counts="completed",
    ...     group_col="segment",
    ... )
    >>> table[["n_active", "residual_value", "new_customer_value"]].round(1)
              n_active  residual_value  new_customer_value
    segment
    high end         1           753.0               592.3
    regular          1           589.4               369.5
    """
    clv = contractual_lifetime_value(
        model,
        data,
        spend=spend,
        discount_rate=discount_rate,
        margin=margin,
        time_unit=time_unit,
        model_time_unit=model_time_unit,
        horizon=horizon,
        tenure_col=tenure_col,
        churned_col=churned_col,
        tenure_counts=tenure_counts,
        group_col=group_col,
    )
    d = float(discount_rate)
    unit = None if time_unit is None else check_time_unit(time_unit)
    pairs, codes = _models_by_group(model, data, group_col)
    active = ~_churn_flags(data, churned_col)
    spend_values = _spend_values(spend, data)
    n = len(pairs)
    count = np.bincount(codes, minlength=n)
    lifetimes = []
    for key, group_model in pairs:
        where = "the model" if group_col is None else f"the model of group {key!r}"
        rate, periods = _resolve_units(
            group_model,
            where=where,
            time_unit=unit,
            model_time_unit=model_time_unit,
            discount_rate=d,
            horizon=horizon,
        )
        lifetimes.append(_lifetime(group_model, rate, periods, where=where))
    lifetime = np.asarray(lifetimes)
    mean_spend = np.bincount(codes, weights=spend_values, minlength=n) / count
    index = pd.Index(
        [key for key, _ in pairs] if group_col is not None else ["all"],
        name=group_col if group_col is not None else "group",
    )
    return pd.DataFrame(
        {
            "n_customers": count,
            "n_active": np.bincount(codes, weights=active, minlength=n).astype(np.int64),
            "residual_value": np.bincount(codes, weights=clv.to_numpy(), minlength=n),
            "discounted_expected_lifetime": lifetime,
            "mean_spend": mean_spend,
            "new_customer_value": float(margin) * mean_spend * lifetime,
        },
        index=index,
    )
