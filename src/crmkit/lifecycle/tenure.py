"""Profit by tenure year, and a test of Reichheld & Sasser's second-year claim.

Each transaction gets the customer's *tenure period* at its date,
:math:`k = \\lfloor \\text{elapsed}(\\text{first purchase}, t, \\text{unit}) \\rfloor`
(calendar-exact, :func:`crmkit.timeunits.elapsed`). A customer's profit in period
:math:`k` is the sum of the profit of its transactions in that period, minus the
acquisition cost :math:`A` in period 0:

.. math::

    \\pi_{c,k} = \\sum_{t \\in c,\\ k(t) = k} \\text{profit}_t - A\\,[k = 0],
    \\qquad \\Pi_{c,k} = \\sum_{j \\le k} \\pi_{c,j} .

Period :math:`k` counts only customers whose whole period :math:`k` lies before the end
of observation (otherwise their profit in it is not yet known).
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import REMOVED_IN, renamed_keywords
from crmkit._display import Display, Displayable, VerdictHtml, fmt_number, frame_rows
from crmkit._engines import is_dask
from crmkit._validation import check_in_range
from crmkit.columns import CUSTOMER_ID, DATETIME, MONETARY
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle._tenure_core import customer_periods, period_sums, table_from_sums
from crmkit.timeunits import TimeUnit, check_time_unit, unit_name
from crmkit.transactions._prep import check_log, day_end, tz_of, wall_ns, zoned_day

__all__ = ["ProfitByTenure", "SecondYearVerdict", "profit_by_tenure"]

SECOND_YEAR_CLAIM = (
    "Reichheld & Sasser (1990): most customers become profitable only in their second "
    "year with the company (acquisition costs come first)."
)


def _warn_renamed_field(obj: Any, old: str, new: str) -> None:
    warnings.warn(
        f"{type(obj).__name__}.{old} is deprecated and will stop working in crmkit "
        f"{REMOVED_IN}; read .{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


@attrs.frozen(kw_only=True)
class SecondYearVerdict(VerdictHtml):
    """What the data says about the second-year profitability claim.

    The claim *holds* when the average customer is still not profitable after the first
    tenure period (cumulative mean profit :math:`\\le 0`, acquisition cost included)
    and is profitable after the second (:math:`> 0`). The per-customer break-even shares
    are reported alongside: with heavy churn the average can break even in period two
    while most single customers never do.

    Attributes
    ----------
    claim : str
        The claim tested.
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of the tenure periods (``"Y"`` for the claim as stated).
    acquisition_cost : float
        Cost charged to every customer in period 0.
    n_customers : int
        Customers observed for two whole periods (the population of all figures).
    mean_profit_first, mean_profit_second : float
        Mean profit per customer in period 0 (net of the acquisition cost) and period 1.
    cumulative_mean_first, cumulative_mean_second : float
        Mean cumulative profit after periods 0 and 1.
    share_profitable_first : float
        Share of customers profitable (cumulative profit > 0) after period 0.
    share_profitable_only_second : float
        Share not profitable after period 0 but profitable after period 1.
    share_not_profitable : float
        Share still not profitable after period 1.
    holds : bool
        ``cumulative_mean_first <= 0 < cumulative_mean_second``.
    """

    claim: str = SECOND_YEAR_CLAIM
    time_unit: TimeUnit
    acquisition_cost: float
    n_customers: int
    mean_profit_first: float
    mean_profit_second: float
    cumulative_mean_first: float
    cumulative_mean_second: float
    share_profitable_first: float
    share_profitable_only_second: float
    share_not_profitable: float
    holds: bool

    @property
    def tenure_unit(self) -> TimeUnit:
        """Deprecated name of :attr:`time_unit` (warns; removed in crmkit 0.3)."""
        _warn_renamed_field(self, "tenure_unit", "time_unit")
        return self.time_unit

    def measured(self) -> dict[str, float]:
        """The measured figures by name (for a claims table)."""
        skip = {"claim", "time_unit", "holds"}
        return {
            f.name: getattr(self, f.name) for f in attrs.fields(type(self)) if f.name not in skip
        }


@attrs.frozen(kw_only=True, eq=False, repr=False)
class ProfitByTenure(Displayable):
    """Profit per tenure period of a customer base.

    Attributes
    ----------
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of the tenure periods.
    acquisition_cost : float
        Cost charged in period 0.
    observation_end : pandas.Timestamp
        End of observation.
    table : pandas.DataFrame
        Indexed by tenure period ``k`` (0, 1, ...), columns in order: ``customers``
        (observed for the whole period), ``active`` (with a purchase in it), ``profit``
        (their total profit, net of acquisition costs in period 0), ``mean_profit`` (per
        customer), ``mean_profit_active`` (per active customer), ``cumulative_mean_profit``
        and ``share_profitable`` (cumulative profit > 0).
    customer_profit : pandas.DataFrame or dask.dataframe.DataFrame
        Per customer (index) and period (columns ``0..K-1``): profit, NaN where the
        period is not fully observed. For a dask log a lazy dask frame, one row per
        customer, partitioned by customer.
    """

    time_unit: TimeUnit
    acquisition_cost: float
    observation_end: pd.Timestamp
    table: pd.DataFrame
    customer_profit: pd.DataFrame

    @property
    def tenure_unit(self) -> TimeUnit:
        """Deprecated name of :attr:`time_unit` (warns; removed in crmkit 0.3)."""
        _warn_renamed_field(self, "tenure_unit", "time_unit")
        return self.time_unit

    def _display(self) -> Display:
        cols = ["customers", "active", "mean_profit", "cumulative_mean_profit"]
        columns, rows, note = frame_rows(self.table[cols], max_rows=10)
        columns[0] = f"tenure ({self.time_unit})"
        return Display(
            f"Profit by tenure per {self.time_unit}, observed to {self.observation_end:%Y-%m-%d}",
            [f"acquisition cost {fmt_number(self.acquisition_cost)} in period 0"],
            columns,
            rows,
            [note],
        )

    def _no_second_period(self) -> InvalidValueError:
        return InvalidValueError(
            "no customer is observed for two whole "
            f"{unit_name(check_time_unit(self.time_unit))}; the second-period claim cannot "
            "be tested on this data (use longer data or a shorter time_unit)."
        )

    def _verdict_dask(self, prof: Any) -> SecondYearVerdict:
        from crmkit.lifecycle._tenure_dask import verdict_sums

        if len(prof.columns) < 2:
            raise self._no_second_period()
        s = verdict_sums(prof)
        n = float(s["n"])
        if n == 0:
            raise self._no_second_period()
        c0, c1 = float(s["cum0"]) / n, float(s["cum1"]) / n
        return SecondYearVerdict(
            time_unit=self.time_unit,
            acquisition_cost=self.acquisition_cost,
            n_customers=int(n),
            mean_profit_first=c0,
            mean_profit_second=float(s["p1"]) / n,
            cumulative_mean_first=c0,
            cumulative_mean_second=c1,
            share_profitable_first=float(s["first"]) / n,
            share_profitable_only_second=float(s["only_second"]) / n,
            share_not_profitable=float(s["never"]) / n,
            holds=bool(c0 <= 0 < c1),
        )

    def verdict(self) -> SecondYearVerdict:
        """Test the second-year claim on customers observed for two whole periods.

        Raises
        ------
        InvalidValueError
            If no customer is observed for two whole tenure periods.
        """
        prof = self.customer_profit
        if is_dask(prof):
            return self._verdict_dask(prof)
        if prof.shape[1] < 2 or not prof[1].notna().any():
            raise self._no_second_period()
        both = prof.loc[prof[1].notna(), [0, 1]].to_numpy(dtype=np.float64)
        cum0, cum1 = both[:, 0], both[:, 0] + both[:, 1]
        c0, c1 = float(cum0.mean()), float(cum1.mean())
        return SecondYearVerdict(
            time_unit=self.time_unit,
            acquisition_cost=self.acquisition_cost,
            n_customers=int(both.shape[0]),
            mean_profit_first=c0,
            mean_profit_second=float(both[:, 1].mean()),
            cumulative_mean_first=c0,
            cumulative_mean_second=c1,
            share_profitable_first=float((cum0 > 0).mean()),
            share_profitable_only_second=float(((cum0 <= 0) & (cum1 > 0)).mean()),
            share_not_profitable=float((cum1 <= 0).mean()),
            holds=bool(c0 <= 0 < c1),
        )


@renamed_keywords(tenure_unit="time_unit", monetary_col="amount_col")
def profit_by_tenure(
    transactions: pd.DataFrame,
    *,
    acquisition_cost: float,
    margin: float | None = None,
    profit_col: str | None = None,
    time_unit: TimeUnit = "Y",
    observation_end: Any = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    amount_col: str = MONETARY,
) -> ProfitByTenure:
    """Profit per tenure period (year by default) given an acquisition cost.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        One row per purchase (line). A dask frame is reduced on its cluster (rows moved
        so that each customer's rows share a partition); ``.table`` is then computed
        and ``.customer_profit`` stays a lazy dask frame.
    acquisition_cost : float
        Cost of acquiring one customer, >= 0, in the money unit of the data.
    margin : float, optional
        Profit as a share of ``amount_col`` (e.g. 0.3 for a 30 % gross margin).
    profit_col : str, optional
        A column holding each transaction's profit; give exactly one of ``margin`` and
        ``profit_col``.
    time_unit : {"D", "W", "M", "Q", "Y"}, default "Y"
        Length of a tenure period (calendar-exact).
    observation_end : timestamp-like, optional
        Last calendar date observed (its whole day counts, a time of day is ignored);
        defaults to the date of the last transaction; later rows are ignored.
    customer_id_col, datetime_col, amount_col : str
        Column names (``amount_col`` is read only with ``margin``).

    Returns
    -------
    ProfitByTenure
        ``.table`` per period and ``.verdict()`` for the second-year claim.

    Raises
    ------
    InvalidValueError
        For a negative acquisition cost, both or neither of ``margin``/``profit_col``,
        NaN or bad columns.

    References
    ----------
    - Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes to
      services. *Harvard Business Review* 68(5), 105-111.
    - Reichheld, F. F. (1996). *The Loyalty Effect*. Harvard Business School Press.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 1, 2, 2],
    ...         "datetime": pd.to_datetime(
    ...             ["2020-01-01", "2020-06-01", "2021-03-01", "2020-02-01", "2021-01-15"]
    ...         ),
    ...         "monetary": [100.0, 100.0, 300.0, 100.0, 50.0],
    ...     }
    ... )
    >>> res = profit_by_tenure(
    ...     tx, acquisition_cost=150.0, margin=0.5, observation_end="2022-03-01"
    ... )
    >>> res.table[["customers", "profit", "cumulative_mean_profit"]]
       customers  profit  cumulative_mean_profit
    k
    0          2  -125.0                   -62.5
    1          2   150.0                    12.5
    >>> res.verdict().holds
    True
    """
    cost = check_in_range(acquisition_cost, name="acquisition_cost", low=0.0)
    unit: TimeUnit = check_time_unit(time_unit)
    if (margin is None) == (profit_col is None):
        raise InvalidValueError(
            "give exactly one of margin= (profit as a share of amount_col) or "
            "profit_col= (a per-transaction profit column)."
        )
    value_col = amount_col if profit_col is None else profit_col
    factor = 1.0 if margin is None else check_in_range(margin, name="margin", low=0.0, high=1.0)
    cols = {"id": customer_id_col, "datetime": datetime_col, "value": value_col}
    tx = check_log(transactions, cols, numeric=("value",))
    if is_dask(tx):  # reduced on the cluster; customer_profit stays a dask frame
        from crmkit.lifecycle._tenure_dask import profit_by_tenure_dask

        end, table, profit = profit_by_tenure_dask(
            tx, cols=cols, factor=factor, cost=cost, unit=unit, observation_end=observation_end
        )
        return ProfitByTenure(
            time_unit=unit,
            acquisition_cost=cost,
            observation_end=pd.Timestamp(end),
            table=table,
            customer_profit=profit,
        )
    if observation_end is None:
        end = zoned_day(tx[datetime_col].max(), tz_of(tx, datetime_col), name="end")
    else:
        end = zoned_day(observation_end, tz_of(tx, datetime_col), name="observation_end")
        tx = tx[tx[datetime_col] < day_end(end)]
        if len(tx) == 0:
            raise InvalidValueError(f"no transactions on or before observation_end={end}.")
    end_ns = int(wall_ns(pd.Series([day_end(end)]))[0])  # the end date's whole day observed
    profit_tx = tx[value_col].to_numpy(dtype=np.float64) * factor
    uniques, grid, active, observed = customer_periods(
        tx[customer_id_col], wall_ns(tx[datetime_col]), profit_tx, end_ns, unit, cost, None
    )
    table = _period_table(grid, active, observed)
    profit = pd.DataFrame(
        np.where(observed, grid, np.nan),
        index=pd.Index(uniques, name=customer_id_col),
        columns=pd.RangeIndex(grid.shape[1], name="k"),
    )
    return ProfitByTenure(
        time_unit=unit,
        acquisition_cost=cost,
        observation_end=pd.Timestamp(end),
        table=table,
        customer_profit=profit,
    )


def _period_table(
    grid: NDArray[np.float64], active: NDArray[np.bool_], observed: NDArray[np.bool_]
) -> pd.DataFrame:
    return table_from_sums(period_sums(grid, active, observed))
