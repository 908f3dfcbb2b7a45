"""P(alive) of one customer through time: the history behind today's number.

:func:`probability_alive_history` replays one customer's purchases on a date grid. At
every grid date the customer's summary (x, t_x, T) is what :func:`crmkit.rfm_summary`
would give with ``observation_end`` at that date, and P(alive) is the model's
``probability_alive`` of that summary: the curve rises or falls at each purchase and
decays between purchases. It is the "alive path" of lifetimes' ``plot_history_alive``
(lifetimes 0.11.3, ``lifetimes.utils.calculate_alive_path``), for any crmkit purchase
model and any time unit, in one vectorised model call. Draw it with
:func:`crmkit.plotting.alive_history_plot`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._display import Display, Displayable, fmt_number
from crmkit.clv._base import FitResult
from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.timeunits import TIME_UNITS, TimeUnit, add, check_time_unit, elapsed, unit_name
from crmkit.timeunits._periods import DAY_NS, period_codes
from crmkit.transactions._core import period_elapsed
from crmkit.transactions._prep import (
    AfterEndPolicy,
    check_after_end,
    check_rows_after_end,
    end_bound_ns,
    observation_day,
    prepare,
)

__all__ = ["AliveHistory", "probability_alive_history"]

MAX_GRID: Final = 50_000
"""Most grid dates one call evaluates (about 137 years of days): a larger grid is refused."""

_BGBB_BLOCK: Final = 1 << 22
"""BG/BB sums over the opportunities after the last purchase: rows per model call are
capped so that rows x opportunities stays below this."""


@attrs.frozen(kw_only=True, repr=False)
class AliveHistory(Displayable):
    """P(alive) of one customer on a date grid, with the summary behind each value.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``date`` (the grid dates, each observed to its end): ``frequency``,
        ``recency``, ``T`` (``n_periods`` for BG/BB) as :func:`crmkit.rfm_summary` gives
        them with ``observation_end`` at that date, then ``probability_alive``.
    purchases : pandas.DatetimeIndex
        The customer's distinct purchase timestamps up to the last grid date.
    customer_id : hashable or None
        The customer, when the transactions named one.
    model : object
        The model that gave the probabilities.
    time_unit, period : {"D", "W", "M", "Q", "Y"}
        Unit of ``recency`` and ``T``, and the bucket in which purchases merge.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    purchases: pd.DatetimeIndex = attrs.field(eq=False)
    customer_id: Hashable | None
    model: Any
    time_unit: TimeUnit
    period: TimeUnit

    @property
    def probability_alive(self) -> pd.Series:
        """The ``probability_alive`` column: P(alive) by grid date."""
        return self.table["probability_alive"]

    def _display(self) -> Display:
        who = "" if self.customer_id is None else f" of customer {self.customer_id}"
        p = self.probability_alive.to_numpy()
        dates = self.table.index
        return Display(
            f"P(alive) history{who} under {type(self.model).__name__}",
            [
                f"{len(dates):,} grid dates from {dates.min().date()} to {dates.max().date()}",
                f"{len(self.purchases):,} purchases; time unit {unit_name(self.time_unit)}, "
                f"purchases merged per {unit_name(self.period)[:-1]}",
                f"P(alive) at the last date {fmt_number(p[-1])} "
                f"(lowest {fmt_number(p.min())}, highest {fmt_number(p.max())})",
            ],
        )


def _unwrap(model: Any) -> Any:
    if isinstance(model, FitResult):
        return model.model
    if not callable(getattr(model, "probability_alive", None)):
        raise InvalidValueError(
            f"{type(model).__name__} has no probability_alive() method; pass a purchase "
            "model (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom or your own with "
            "probability_alive(summary)) or the FitResult of one."
        )
    return model


def _model_unit(model: Any, time_unit: str | None) -> TimeUnit:
    carried = getattr(model, "time_unit", None)
    if time_unit is None:
        if carried is None:
            raise InvalidValueError(
                f"the time unit of {type(model).__name__} is unknown: pass time_unit='W' (the "
                "unit of the summary it was fitted on), or fit it on a summary that records "
                "its unit (crmkit.rfm_summary does)."
            )
        return check_time_unit(str(carried))
    unit = check_time_unit(time_unit)
    if carried is not None and carried != unit:
        raise InvalidValueError(
            f"time_unit={unit!r} contradicts the model's own time_unit={carried!r}; drop "
            "time_unit (the model knows its unit) or use a model in the unit you meant."
        )
    return unit


def _as_frame(
    transactions: Any, customer_id: Hashable | None, id_col: str, date_col: str
) -> tuple[pd.DataFrame, Hashable | None]:
    """One customer's rows as a frame with the id and datetime columns."""
    if isinstance(transactions, pd.DataFrame):
        if date_col not in transactions.columns:
            raise MissingColumnsError(
                [date_col],
                available=transactions.columns,
                hint="Name the purchase dates with datetime_col=.",
            )
        if id_col not in transactions.columns:
            if customer_id is not None:
                raise MissingColumnsError(
                    [id_col],
                    available=transactions.columns,
                    hint=f"customer_id={customer_id!r} needs the id column: name it with "
                    "customer_id_col=, or pass only that customer's rows.",
                )
            frame = pd.DataFrame({id_col: 0, date_col: transactions[date_col]})
            return frame, None
        ids = transactions[id_col]
        if customer_id is not None:
            rows = transactions.loc[(ids == customer_id).to_numpy()]
            if rows.empty:
                raise InvalidValueError(
                    f"customer_id={customer_id!r} has no row in column {id_col!r}; pick an "
                    f"id that occurs there (e.g. {ids.iloc[0]!r})."
                )
            return rows[[id_col, date_col]], customer_id
        distinct = ids.dropna().unique()
        if len(distinct) > 1:
            raise InvalidValueError(
                f"transactions hold {len(distinct):,} customers in column {id_col!r}; pass "
                f"customer_id= to pick one (e.g. customer_id={distinct[0]!r}), or only that "
                "customer's rows."
            )
        return transactions[[id_col, date_col]], (distinct[0] if len(distinct) else None)
    if customer_id is not None:
        raise InvalidValueError(
            "customer_id= picks a customer from a transactions frame with an id column; "
            f"got a {type(transactions).__name__} of dates, which are one customer's already."
        )
    if isinstance(transactions, str | bytes) or np.ndim(transactions) != 1:
        raise InvalidValueError(
            "transactions must be a DataFrame of transactions or a 1-d sequence of one "
            f"customer's purchase datetimes; got {type(transactions).__name__}."
        )
    values = pd.Series(
        transactions.to_numpy() if isinstance(transactions, pd.Index | pd.Series) else transactions
    )
    return pd.DataFrame({id_col: 0, date_col: values.to_numpy()}), None


def _grid_days(
    grid: Any, first_day: pd.Timestamp, end_day: pd.Timestamp | None, tz: str | None
) -> tuple[NDArray[np.int64], pd.Timestamp]:
    """Grid dates as wall-clock midnights (ns) and the last of them."""
    if isinstance(grid, str):
        step = check_time_unit(grid) if grid in TIME_UNITS else None
        if step is None:
            raise InvalidValueError(
                f"grid={grid!r} must be a step 'D', 'W', 'M', 'Q' or 'Y', or a sequence of dates."
            )
        end = first_day if end_day is None else end_day
        if end < first_day:
            raise InvalidValueError(
                f"observation_end {end.date()} is before the customer's first purchase "
                f"{first_day.date()}; pass a later date."
            )
        count = int(np.floor(float(elapsed(first_day, end, step)) + 1e-9)) + 1
        if count > MAX_GRID:
            raise InvalidValueError(
                f"grid={grid!r} from {first_day.date()} to {end.date()} has {count:,} dates, "
                f"more than {MAX_GRID:,}; use a coarser step or a shorter span."
            )
        if step in ("D", "W"):
            size = DAY_NS if step == "D" else 7 * DAY_NS
            out = first_day.value + np.arange(count, dtype=np.int64) * size
        else:  # calendar months: clamped month ends, each step counted from the start
            steps = (add(first_day, k, step) for k in range(count))
            out = np.array([d.value for d in steps if d <= end], dtype=np.int64)
        return out, pd.Timestamp(int(out[-1]))
    if end_day is not None:
        raise InvalidValueError(
            "observation_end= goes with a grid step; with explicit grid dates the last date "
            "is the end: leave observation_end out."
        )
    if np.ndim(grid) != 1 or len(grid) == 0:
        raise InvalidValueError(
            "grid must be a step ('D', 'W', ...) or a non-empty 1-d sequence of dates; got "
            f"{grid!r:.60}."
        )
    if len(grid) > MAX_GRID:
        raise InvalidValueError(f"grid has {len(grid):,} dates, more than {MAX_GRID:,}.")
    out = np.array([observation_day(d, tz, name="grid").value for d in grid], dtype=np.int64)
    early = out < first_day.value
    if early.any():
        raise InvalidValueError(
            f"{int(early.sum())} grid date(s) are before the customer's first purchase "
            f"{first_day.date()} (e.g. {pd.Timestamp(int(out[early][0])).date()}); P(alive) "
            "starts at the first purchase: pass later dates."
        )
    return out, pd.Timestamp(int(out.max()))


def _zoned(ns: NDArray[np.int64], tz: str | None) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(ns.view("M8[ns]"))
    if tz is None:
        return idx
    first = np.ones(len(idx), dtype=bool)
    return idx.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")


def _bgbb_alive(model: BetaGeoBetaBinom, x: Any, tx: Any, n: Any) -> NDArray[np.float64]:
    """BG/BB P(alive at the next opportunity) of (x, t_x, n) rows, in bounded blocks.

    In the birth period (n = 0) nothing is observed yet: P(alive at opportunity 1) is the
    prior :math:`B(\\gamma, \\delta + 1) / B(\\gamma, \\delta) = \\delta / (\\gamma + \\delta)`
    (FHS 2010, eq. 11 at n = 0), which the model's data check (n >= 1) does not take.
    """
    out = np.full(x.size, model.delta / (model.gamma + model.delta))
    seen = np.flatnonzero(n >= 1)
    if seen.size == 0:
        return out
    block = max(1, _BGBB_BLOCK // max(int(np.max(n - tx)) + 1, 1))
    for start in range(0, seen.size, block):
        rows = seen[start : start + block]
        frame = pd.DataFrame(
            {cols.FREQUENCY: x[rows], cols.RECENCY: tx[rows], cols.N_PERIODS: n[rows]}
        )
        out[rows] = model.probability_alive(frame).to_numpy(dtype=np.float64)
    return out


def probability_alive_history(
    model: Any,
    transactions: Any,
    *,
    customer_id: Hashable | None = None,
    customer_id_col: str = cols.CUSTOMER_ID,
    datetime_col: str = cols.DATETIME,
    observation_end: Any = None,
    grid: Any = "D",
    time_unit: TimeUnit | None = None,
    period: TimeUnit | None = None,
    after_observation_end: AfterEndPolicy = "raise",
) -> AliveHistory:
    """P(alive) of one customer at each date of a grid, from their purchase dates.

    At grid date *d* (observed to the end of its day, as an ``observation_end``) the
    customer's purchases up to *d* give the summary of :func:`crmkit.rfm_summary`:
    purchases merge per ``period``, :math:`x(d)` counts the repeat purchase periods,
    :math:`t_x(d)` runs from the first to the last purchase period and :math:`T(d)` from
    the first purchase period to the period holding *d*, both in ``time_unit``. The value
    at *d* is ``model.probability_alive`` of :math:`(x(d), t_x(d), T(d))`: for BG/NBD

    .. math::

        P(\\text{alive} \\mid x, t_x, T) = \\Big(1 + \\mathbb{1}_{x > 0}\\,
        \\frac{a}{b + x - 1}\\Big(\\frac{\\alpha + T}{\\alpha + t_x}\\Big)^{r + x}\\Big)^{-1}

    (Fader, Hardie & Lee 2005, eq. 13). Between purchases it decays; at a purchase it
    jumps to :math:`(b + x - 1)/(a + b + x - 1)` for the new *x* -- up from its decayed
    value, except at the first repeat purchase, where BG/NBD's P(alive) drops from 1 to
    :math:`b/(a + b)` (a customer with no repeat purchase cannot have died in this
    model). Pareto/NBD goes to 1 at each purchase. BG/BB
    (:class:`~crmkit.clv.BetaGeoBetaBinom`) gives P(alive at the next opportunity) with
    opportunities = periods (``period`` must equal ``time_unit``) and ``T`` as
    ``n_periods``.

    The summaries of all grid dates are built with array operations and the model is
    called once on all of them (BG/BB in blocks of bounded size).

    Parameters
    ----------
    model : purchase model or FitResult
        :class:`~crmkit.clv.BetaGeo`, :class:`~crmkit.clv.ModifiedBetaGeo`,
        :class:`~crmkit.clv.ParetoNBD`, :class:`~crmkit.clv.BetaGeoBetaBinom`, any model
        with ``probability_alive(summary)`` on ``frequency``, ``recency``, ``T``, or the
        :class:`~crmkit.clv.FitResult` of one.
    transactions : pandas.DataFrame, pandas.Series, pandas.DatetimeIndex or sequence
        The customer's purchases: rows of a transaction log (with ``customer_id_col`` and
        several customers, ``customer_id`` picks one; without that column all rows are
        one customer's), or their purchase datetimes (a sequence of datetimes,
        datetime64, naive or tz-aware).
    customer_id : hashable, optional
        The customer to pick from a log of several.
    customer_id_col, datetime_col : str
        Column names in ``transactions``.
    observation_end : date-like, optional
        Last grid date with a grid step; default the date of the latest purchase.
    grid : {"D", "W", "M", "Q", "Y"} or sequence of date-like, default "D"
        A step (the grid starts at the first purchase's date and adds whole steps up to
        ``observation_end``) or explicit dates (each on or after the first purchase's
        date; any order; the latest one is the observation end).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The model's time unit; default the model's ``time_unit`` (models fitted on a
        summary from :func:`crmkit.rfm_summary` carry it).
    period : {"D", "W", "M", "Q", "Y"}, optional
        Bucket in which purchases merge, as in :func:`crmkit.rfm_summary`; default
        ``time_unit``. ``period="D", time_unit="W"`` is the convention of the published
        CDNOW summary.
    after_observation_end : {"raise", "exclude"}, default "raise"
        Purchases dated after the last grid date raise, or are left out.

    Returns
    -------
    AliveHistory
        ``.table`` indexed by ``date``: ``frequency``, ``recency``, ``T`` (``n_periods``
        for BG/BB), ``probability_alive``; ``.purchases``, the purchase timestamps.

    Raises
    ------
    MissingColumnsError
        If ``datetime_col`` (or ``customer_id_col`` with ``customer_id``) is absent.
    InvalidValueError
        For several customers without ``customer_id``, dates that are not datetime64,
        grid dates before the first purchase, purchases after the end, a model without
        ``probability_alive``, an unknown or contradicting time unit, BG/BB with
        ``period != time_unit``, or more than 50,000 grid dates.

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2),
      275-284.
    - Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
      discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.
    - lifetimes 0.11.3, ``lifetimes.utils.calculate_alive_path``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import BetaGeo
    >>> bg = BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259, time_unit="W")
    >>> dates = pd.to_datetime(["1997-01-01", "1997-02-12", "1997-03-05"])
    >>> h = probability_alive_history(bg, dates, grid="W", observation_end="1997-06-30")
    >>> h.table.iloc[[0, 5, 6, 9, 25]].round(3)
                frequency  recency     T  probability_alive
    date
    1997-01-01        0.0      0.0   0.0              1.000
    1997-02-05        0.0      0.0   5.0              1.000
    1997-02-12        1.0      6.0   6.0              0.754
    1997-03-05        2.0      9.0   9.0              0.812
    1997-06-25        2.0      9.0  25.0              0.426
    """
    model = _unwrap(model)
    unit = _model_unit(model, time_unit)
    per = unit if period is None else check_time_unit(period)
    after = check_after_end(after_observation_end)
    bgbb = isinstance(model, BetaGeoBetaBinom)
    if bgbb and per != unit:
        raise InvalidValueError(
            f"BG/BB counts whole opportunities: period={per!r} must equal time_unit={unit!r} "
            "(one opportunity per period)."
        )
    frame, who = _as_frame(transactions, customer_id, customer_id_col, datetime_col)
    prep = prepare(
        frame,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=None,
        nan_policy="raise",
        non_positive="raise",
    )
    ns = np.sort(prep.ns)
    first_day = pd.Timestamp(int(ns[0])).normalize()
    end_day = (
        None
        if observation_end is None
        else observation_day(observation_end, prep.tz, name="observation_end")
    )
    if end_day is None and isinstance(grid, str):
        end_day = pd.Timestamp(int(ns[-1])).normalize()
    days, last_day = _grid_days(grid, first_day, end_day, prep.tz)
    late = ns >= end_bound_ns(last_day)
    check_rows_after_end(int(late.sum()), last_day, after, n_rows=ns.size)
    ns = ns[~late]
    # purchase periods in time order, each with its first purchase instant: a grid date
    # sees the periods whose first purchase falls before the end of its day
    codes, first_of = np.unique(period_codes(ns, per), return_index=True)
    end_codes = period_codes(days, per)
    seen = np.searchsorted(ns[first_of], days + DAY_NS, side="left")  # >= 1
    first = np.full(days.size, codes[0], dtype=np.int64)
    x = (seen - 1).astype(np.float64)
    tx = period_elapsed(first, codes[seen - 1], per, unit)
    T = period_elapsed(first, end_codes, per, unit)
    length_col = cols.N_PERIODS if bgbb else cols.T
    if bgbb:
        p = _bgbb_alive(model, x, tx, T)
    else:
        summary = pd.DataFrame({cols.FREQUENCY: x, cols.RECENCY: tx, cols.T: T})
        summary.attrs["crmkit_time_unit"] = unit
        p = np.asarray(model.probability_alive(summary), dtype=np.float64)
    table = pd.DataFrame(
        {cols.FREQUENCY: x, cols.RECENCY: tx, length_col: T, "probability_alive": p},
        index=_zoned(days, prep.tz).rename("date"),
    )
    return AliveHistory(
        table=table,
        purchases=_zoned(np.unique(ns), prep.tz),
        customer_id=who,
        model=model,
        time_unit=unit,
        period=per,
    )
