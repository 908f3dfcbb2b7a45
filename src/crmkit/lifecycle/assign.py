"""Assign every customer to exactly one life-cycle stage at a date.

Assignment has two steps, both vectorised and deterministic:

1. Place each customer on a *funnel level* from the purchase history up to ``as_of``
   (:class:`AssignmentRules`): 0 prospect (known, no purchase yet), 1 first purchase
   (one purchase), 2 repeat (at least ``repeat_min_purchases``), 3 loyal (at least
   ``loyal_min_purchases``), 4 high-value (loyal and total spend at or above the
   ``high_value_quantile`` of all buyers' total spend). A customer is *lapsed* when the
   last purchase is more than ``inactivity`` units before ``as_of``.
2. Map the level (and the lapsed flag) to the model's stage with the model's own table
   (:attr:`StageModel.level_stages`, :attr:`StageModel.lapsed_stage`).

Purchases are counted as distinct ``purchase_unit`` periods (by default calendar days,
so several invoice lines on one day are one purchase, as in lifetimes' summaries).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import renamed_keywords
from crmkit._engines import is_dask
from crmkit._validation import (
    NanPolicy,
    check_nan_policy,
    check_unique_index,
    handle_nan,
    items_of,
    real_number,
    require_columns,
)
from crmkit.columns import (
    CUSTOMER_ID,
    DATETIME,
    FIRST_PURCHASE,
    FREQUENCY,
    LAST_PURCHASE,
    MONETARY,
    MONETARY_VALUE,
    RECENCY,
    TOTAL_SPEND,
    T,
)
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle.models import FUNNEL, StageModel
from crmkit.timeunits import TimeUnit, add, check_time_unit
from crmkit.timeunits._periods import DAY_NS
from crmkit.transactions import rfm_summary
from crmkit.transactions._prep import (
    LogNanPolicy,
    check_log,
    day_end,
    tz_of,
    wall_ns,
    zoned_day,
)

__all__ = ["AssignmentRules", "assign_stages", "assign_stages_from_summary"]


def _positive_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidValueError(f"{attribute.name}={value!r} must be a positive whole number.")


def _time_unit(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a valid time unit, reported under the field's own name."""
    check_time_unit(value, name=attribute.name)


@attrs.frozen(kw_only=True)
class AssignmentRules:
    """The documented, configurable rules that place a purchase history on the funnel.

    Parameters
    ----------
    repeat_min_purchases : int, default 2
        Purchases (distinct ``purchase_unit`` periods) from which a buyer is a repeat buyer.
    loyal_min_purchases : int, default 4
        Purchases from which a buyer is loyal; must exceed ``repeat_min_purchases``.
    high_value_quantile : float or None, default 0.8
        A loyal customer whose total spend is at or above this quantile (numpy's linear
        interpolation) of the total spend of *all* buyers at the date is high-value.
        None disables the high-value level.
    inactivity : int or None, default None
        A buyer whose last purchase lies more than this many ``inactivity_unit`` before the
        date is *lapsed* (e.g. terminated in :data:`~crmkit.lifecycle.SOWALSKIE`).
        None: nobody lapses.
    inactivity_unit : {"D", "W", "M", "Q", "Y"}, default "D"
        Unit of ``inactivity``; months, quarters and years are calendar-exact.
    purchase_unit : {"D", "W", "M", "Q", "Y"}, default "D"
        Purchases within one such calendar period count once.

    Examples
    --------
    >>> AssignmentRules(loyal_min_purchases=5, inactivity=12, inactivity_unit="M")
    AssignmentRules(repeat_min_purchases=2, loyal_min_purchases=5, high_value_quantile=0.8, \
inactivity=12, inactivity_unit='M', purchase_unit='D')
    """

    repeat_min_purchases: int = attrs.field(default=2, validator=_positive_int)
    loyal_min_purchases: int = attrs.field(default=4, validator=_positive_int)
    high_value_quantile: float | None = attrs.field(default=0.8)
    inactivity: int | None = attrs.field(default=None)
    inactivity_unit: TimeUnit = attrs.field(default="D", validator=_time_unit)
    purchase_unit: TimeUnit = attrs.field(default="D", validator=_time_unit)

    @repeat_min_purchases.validator
    def _check_repeat(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if value < 2:
            raise InvalidValueError(
                f"repeat_min_purchases={value} must be at least 2 (one purchase is a first "
                "purchase)."
            )

    @loyal_min_purchases.validator
    def _check_loyal(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if value <= self.repeat_min_purchases:
            raise InvalidValueError(
                f"loyal_min_purchases={value} must exceed repeat_min_purchases="
                f"{self.repeat_min_purchases}."
            )

    @high_value_quantile.validator
    def _check_quantile(self, attribute: attrs.Attribute[Any], value: float | None) -> None:
        if value is not None and not 0.0 <= real_number(value, name=attribute.name) <= 1.0:
            raise InvalidValueError(
                f"high_value_quantile={value!r} must lie in [0, 1] or be None."
            )

    @inactivity.validator
    def _check_inactivity(self, attribute: attrs.Attribute[Any], value: int | None) -> None:
        if value is not None:
            _positive_int(self, attribute, value)


def _rules(rules: Any) -> AssignmentRules:
    """The rules given, or the defaults for None; anything else is refused."""
    if rules is None:
        return AssignmentRules()
    if not isinstance(rules, AssignmentRules):
        raise InvalidValueError(
            f"rules must be an AssignmentRules (or None for the defaults), got "
            f"{type(rules).__name__}."
        )
    return rules


def _levels(
    n: NDArray[np.int64], spend: NDArray[np.float64], rules: AssignmentRules
) -> NDArray[np.int64]:
    """Funnel level 0..4 of each customer (vectorised)."""
    level = (
        (n >= 1).astype(np.int64)
        + (n >= rules.repeat_min_purchases)
        + (n >= rules.loyal_min_purchases)
    )
    buyers = n >= 1
    if rules.high_value_quantile is not None and buyers.any():
        threshold = float(np.quantile(spend[buyers], rules.high_value_quantile))
        level = level + ((level == 3) & (spend >= threshold))
    return level


def _shift_days(ns: NDArray[np.int64], n: int, unit: TimeUnit) -> NDArray[np.int64]:
    """``timeunits.add(t, n, unit)`` on wall-clock ns, computed once per distinct day."""
    days = np.floor_divide(ns, DAY_NS)
    lo, hi = int(days.min()), int(days.max())
    grid = pd.DatetimeIndex((np.arange(lo, hi + 1, dtype=np.int64) * DAY_NS).view("M8[ns]"))
    table = add(grid, n, unit).as_unit("ns").asi8
    out: NDArray[np.int64] = table[days - lo] + (ns - days * DAY_NS)
    return out


def _stage_codes(
    level: NDArray[np.int64], lapsed: NDArray[np.bool_], model: StageModel
) -> NDArray[np.int64]:
    table = np.array([model.index(s) for s in model.level_stages], dtype=np.int64)
    codes = table[level]
    if model.lapsed_stage is not None:
        codes = np.where(lapsed & (level >= 1), model.index(model.lapsed_stage), codes)
    return codes


def _stage_column(codes: NDArray[np.int64], model: StageModel) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(model.names), ordered=model.progressive
    )


def _check_model(model: StageModel) -> None:
    if not isinstance(model, StageModel):
        raise InvalidValueError(
            f"model must be a StageModel (e.g. crmkit.lifecycle.FUNNEL), got "
            f"{type(model).__name__}."
        )


def prepare_stage_input(
    transactions: Any,
    *,
    model: StageModel,
    rules: AssignmentRules | None,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    nan_policy: str,
) -> tuple[Any, AssignmentRules, LogNanPolicy]:
    """Checks shared by stage assignment and transitions: model, rules, columns and NaN.

    Returns the prepared transactions, the rules (defaults when None) and the NaN
    policy in force (``"propagate"`` is treated as ``"raise"``).
    """
    _check_model(model)
    rules = _rules(rules)
    if amount_col is None and rules.high_value_quantile is not None:
        raise InvalidValueError(
            "the high-value rule needs spend: pass amount_col, or use "
            "AssignmentRules(high_value_quantile=None)."
        )
    cols = {"id": customer_id_col, "datetime": datetime_col}
    if amount_col is not None:
        cols["monetary"] = amount_col
    policy: LogNanPolicy = "omit" if check_nan_policy(nan_policy) == "omit" else "raise"
    numeric = ("monetary",) if amount_col is not None else ()
    tx = check_log(transactions, cols, numeric=numeric, nan_policy=policy)
    return tx, rules, policy


@renamed_keywords(monetary_col="amount_col")
def assign_stages(
    transactions: Any,
    *,
    as_of: Any,
    model: StageModel = FUNNEL,
    rules: AssignmentRules | None = None,
    customers: Iterable[Any] | None = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    amount_col: str | None = MONETARY,
    nan_policy: NanPolicy = "raise",
) -> pd.DataFrame:
    """Stage of every customer at ``as_of`` under a life-cycle model.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        One row per purchase (line). Rows after ``as_of`` are ignored: the result is a
        snapshot of what was known at that date.
    as_of : timestamp-like
        The date of the snapshot: every purchase on that calendar day counts (a time of
        day is ignored); inactivity is measured to the date. A naive date is read on the
        wall clock of a tz-aware column.
    model : StageModel, default FUNNEL
        :data:`~crmkit.lifecycle.FUNNEL`, :data:`~crmkit.lifecycle.KALAKOTA`,
        :data:`~crmkit.lifecycle.SOWALSKIE` or your own.
    rules : AssignmentRules, optional
        Thresholds; ``AssignmentRules()`` by default.
    customers : iterable, optional
        Known customer ids (e.g. the whole customer database). Those without a purchase
        by ``as_of`` are prospects (funnel level 0). Without it, the population is the
        customers with at least one purchase by ``as_of``.
    customer_id_col, datetime_col, amount_col : str
        Column names; ``amount_col=None`` is allowed only with
        ``rules.high_value_quantile=None``.
    nan_policy : {"raise", "omit", "propagate"}
        Missing ids, dates or amounts; "propagate" is treated as "raise" for ids and dates.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), columns in order: ``stage`` (Categorical of the
        model's stage names, ordered when the model is progressive), ``level`` (funnel
        level 0-4), ``n_purchases``, ``total_spend``, ``first_purchase``,
        ``last_purchase`` (NaT for prospects), ``lapsed`` (bool). Every customer gets
        exactly one stage.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, wrong dtypes, NaN (with ``nan_policy="raise"``), a bad
        ``as_of`` or rules that need an absent monetary column.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.lifecycle import SOWALSKIE, AssignmentRules, assign_stages
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "b", "c", "c", "c", "c"],
    ...         "datetime": pd.to_datetime(
    ...             [
    ...                 "2024-01-05",
    ...                 "2024-01-02",
    ...                 "2024-03-01",
    ...                 "2023-01-01",
    ...                 "2023-02-01",
    ...                 "2023-03-01",
    ...                 "2023-04-01",
    ...             ]
    ...         ),
    ...         "monetary": [10.0, 5.0, 5.0, 20.0, 20.0, 20.0, 20.0],
    ...     }
    ... )
    >>> st = assign_stages(tx, as_of="2024-03-31", customers=["a", "b", "c", "d"])
    >>> st["stage"].tolist()
    ['first purchase', 'repeat', 'high-value', 'prospect']
    >>> rules = AssignmentRules(inactivity=6, inactivity_unit="M")
    >>> assign_stages(tx, as_of="2024-03-31", model=SOWALSKIE, rules=rules)["stage"].tolist()
    ['acquaintance', 'maintenance', 'termination']
    """
    tx, rules, policy = prepare_stage_input(
        transactions,
        model=model,
        rules=rules,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
    )
    ts = zoned_day(as_of, tz_of(tx, datetime_col), name="as_of")
    feats = customer_features(
        tx,
        until=ts,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        purchase_unit=rules.purchase_unit,
        nan_policy=policy,
    )
    return stages_from_features(feats, as_of=ts, model=model, rules=rules, customers=customers)


def stages_from_features(
    feats: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    model: StageModel,
    rules: AssignmentRules,
    customers: Iterable[Any] | None,
) -> pd.DataFrame:
    """Finish :func:`assign_stages` from the per-customer feature table."""
    if customers is not None:
        known = pd.Index(items_of(customers, name="customers"), name=feats.index.name)
        if known.has_duplicates:
            raise InvalidValueError(
                f"customers has duplicated ids {known[known.duplicated()].unique()[:5].tolist()}"
                "; pass each known customer once."
            )
        extra = known.difference(feats.index)
        if len(extra):
            feats = pd.concat([feats, pd.DataFrame(index=extra)]).sort_index()
            feats.index.name = known.name
    n = feats["n_purchases"].fillna(0).to_numpy(dtype=np.int64)
    spend = feats["total_spend"].fillna(0.0).to_numpy(dtype=np.float64)
    level = _levels(n, spend, rules)
    lapsed = np.zeros(len(feats), dtype=bool)
    if rules.inactivity is not None and (n > 0).any():
        buyer = n > 0
        last = wall_ns(feats["last_purchase"][buyer])
        limit = int(wall_ns(pd.Series([as_of]))[0])
        # elapsed(last, as_of) > w  <=>  add(last, w) < as_of  (timeunits' calendar rules)
        lapsed[buyer] = _shift_days(last, rules.inactivity, rules.inactivity_unit) < limit
    out = pd.DataFrame(
        {
            "stage": _stage_column(_stage_codes(level, lapsed, model), model),
            "level": level,
            "n_purchases": n,
            "total_spend": spend,
            "first_purchase": feats["first_purchase"].to_numpy(),
            "last_purchase": feats["last_purchase"].to_numpy(),
            "lapsed": lapsed,
        },
        index=feats.index,
    )
    return out


def assign_stages_from_summary(
    summary: pd.DataFrame,
    *,
    time_unit: TimeUnit,
    model: StageModel = FUNNEL,
    rules: AssignmentRules | None = None,
    frequency_col: str = FREQUENCY,
    recency_col: str = RECENCY,
    T_col: str = T,
    monetary_value_col: str = MONETARY_VALUE,
) -> pd.DataFrame:
    """Stage of every customer of a per-customer summary at its end of observation.

    The summary (:mod:`crmkit.columns`: ``frequency`` repeat periods, ``recency``,
    ``T``, ``monetary_value`` mean repeat spend) gives ``n_purchases = frequency + 1``,
    repeat spend ``frequency * monetary_value`` (used for the high-value quantile; the
    first purchase's value is not in a summary) and the time since the last purchase
    ``T - recency``, compared with ``rules.inactivity`` which must be stated in the
    summary's ``time_unit`` (or days/weeks for a D/W summary).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer, unique index, no NaN; ``frequency`` whole numbers >= 0,
        ``recency <= T``.
    time_unit : {"D", "W", "M", "Q", "Y"}
        The unit of ``recency`` and ``T``.
    model, rules
        As in :func:`assign_stages` (``rules.purchase_unit`` is ignored: the summary
        already counts purchase periods).
    frequency_col, recency_col, T_col, monetary_value_col : str
        Column names.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        For absent columns, NaN, duplicated ids, bad frequencies, ``recency > T`` or an
        inactivity unit that cannot be converted to ``time_unit``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``summary``; columns ``stage``, ``level``, ``n_purchases``,
        ``total_spend`` (repeat spend), ``lapsed``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {
    ...         "frequency": [0, 2, 5],
    ...         "recency": [0.0, 10.0, 30.0],
    ...         "T": [40.0, 40.0, 31.0],
    ...         "monetary_value": [0.0, 8.0, 20.0],
    ...     },
    ...     index=pd.Index([1, 2, 3], name="customer_id"),
    ... )
    >>> r = AssignmentRules(inactivity=26, inactivity_unit="W")
    >>> from crmkit.lifecycle import KALAKOTA, SOWALSKIE
    >>> assign_stages_from_summary(s, time_unit="W", model=SOWALSKIE, rules=r)["stage"].tolist()
    ['termination', 'termination', 'maintenance']
    >>> assign_stages_from_summary(s, time_unit="W", model=KALAKOTA)["stage"].tolist()
    ['acquire', 'enhance', 'retain']
    """
    _check_model(model)
    rules = _rules(rules)
    unit = check_time_unit(time_unit)
    cols = [frequency_col, recency_col, T_col, monetary_value_col]
    require_columns(summary, cols)
    check_unique_index(summary, name="summary index")
    handle_nan(summary, cols, "raise")
    freq = summary[frequency_col].to_numpy(dtype=np.float64)
    if (freq < 0).any() or (freq != np.round(freq)).any():
        raise InvalidValueError(f"column {frequency_col!r} must hold whole numbers >= 0.")
    gap = (summary[T_col] - summary[recency_col]).to_numpy(dtype=np.float64)
    if (gap < 0).any():
        raise InvalidValueError(f"recency exceeds T for {int((gap < 0).sum())} customer(s).")
    n = freq.astype(np.int64) + 1
    spend = freq * summary[monetary_value_col].to_numpy(dtype=np.float64)
    lapsed = np.zeros(len(summary), dtype=bool)
    if rules.inactivity is not None:
        window = float(rules.inactivity)
        fixed = {"D": 1.0, "W": 7.0}
        if rules.inactivity_unit != unit:
            if rules.inactivity_unit not in fixed or unit not in fixed:
                raise InvalidValueError(
                    f"rules.inactivity is in {rules.inactivity_unit!r} but the summary is in "
                    f"{unit!r}; state the inactivity window in the summary's unit."
                )
            window *= fixed[rules.inactivity_unit] / fixed[unit]
        lapsed = gap > window
    level = _levels(n, spend, rules)
    return pd.DataFrame(
        {
            "stage": _stage_column(_stage_codes(level, lapsed, model), model),
            "level": level,
            "n_purchases": n,
            "total_spend": spend,
            "lapsed": lapsed,
        },
        index=summary.index,
    )


def _no_features(tx: Any, customer_id_col: str, datetime_col: str) -> pd.DataFrame:
    """The features of a log without rows: no customer, the columns' dtypes kept."""
    meta = tx._meta if is_dask(tx) else tx
    return pd.DataFrame(
        {
            "n_purchases": pd.Series([], dtype=np.int64),
            TOTAL_SPEND: pd.Series([], dtype=np.float64),
            FIRST_PURCHASE: pd.Series([], dtype=meta[datetime_col].dtype),
            LAST_PURCHASE: pd.Series([], dtype=meta[datetime_col].dtype),
        },
        index=pd.Index(meta[customer_id_col].iloc[:0], name=customer_id_col),
    )


def customer_features(
    tx: Any,
    *,
    until: pd.Timestamp | None,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None,
    purchase_unit: str,
    nan_policy: LogNanPolicy = "raise",
) -> pd.DataFrame:
    """One row per customer with a purchase on or before the day ``until`` (all when None).

    ``until`` comes from :func:`~crmkit.transactions._prep.zoned_day`: every row of its
    calendar day counts.

    Columns (in order): ``n_purchases`` (distinct ``purchase_unit`` periods with a
    purchase), ``total_spend``, ``first_purchase``, ``last_purchase``; index sorted.
    ``tx`` must have passed :func:`~crmkit.transactions._prep.check_log`. The figures are
    those of :func:`crmkit.rfm_summary` with ``totals=True`` (one pipeline):
    ``n_purchases`` is its ``frequency`` counting the first period, every row counts
    (``non_positive="keep"``) and rows after ``until`` are left out.
    """
    unit = check_time_unit(purchase_unit, name="purchase_unit")
    dask = is_dask(tx)
    if until is not None:
        # "not after" rather than "before": a missing date stays for the NaN check
        tx = tx[~(tx[datetime_col] >= day_end(until))]
    if not dask and len(tx) == 0:
        return _no_features(tx, customer_id_col, datetime_col)
    try:
        result: Any = rfm_summary(  # a lazy dask frame for a dask log
            tx,
            customer_id_col=customer_id_col,
            datetime_col=datetime_col,
            amount_col=amount_col,
            observation_end=until,
            time_unit=unit,
            include_first_transaction=True,
            totals=True,
            nan_policy=nan_policy,
            non_positive="keep",
            after_observation_end="exclude",
        )
    except InvalidValueError:
        # a dask log with no row up to ``until`` (counted only on this path: one pass)
        if dask and until is not None and len(tx.index) == 0:
            return _no_features(tx, customer_id_col, datetime_col)
        raise
    # the dask result is small (one row per customer): finished in pandas
    summary: pd.DataFrame = result.compute().sort_index() if dask else result
    dtype = (tx._meta if dask else tx)[datetime_col].dtype
    out = pd.DataFrame(
        {
            "n_purchases": summary[FREQUENCY].astype(np.int64),
            TOTAL_SPEND: (
                summary[TOTAL_SPEND].astype(np.float64)
                if amount_col is not None
                else pd.Series(0.0, index=summary.index)
            ),
            FIRST_PURCHASE: summary[FIRST_PURCHASE].astype(dtype),
            LAST_PURCHASE: summary[LAST_PURCHASE].astype(dtype),
        }
    )
    out.index.name = customer_id_col
    return out
