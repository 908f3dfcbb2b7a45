"""CLV models on dask summaries: fit from distinct histories, score partition by partition.

Imported only when a dask DataFrame is passed (nothing here imports dask at module
level). Two patterns cover every model:

* **Fitting** needs only the likelihood's sufficient data. The cluster reduces the
  per-customer summary to its distinct rows of the sufficient columns with a customer
  count (``groupby(...).size()``), and the driver fits on that small weighted frame,
  sorted as the pandas path compresses it, so the fit equals the pandas fit. Daily
  histories over a few years have at most a few hundred thousand distinct
  (x, t_x, T) rows whatever the number of customers.
* **Scoring** is row-wise: each partition of the summary is scored by the pandas method
  with the same arguments (``map_partitions``), so each customer's value is the pandas
  value and the result stays a lazy dask Series or DataFrame with the summary's
  partitions.
* **CLV** of a crmkit purchase model values each distinct (x, t_x, T) once on the
  driver and looks the values up per partition (partition-wise compression would
  repeat the valuation of nearly the same histories in every partition).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from crmkit._engines import is_dask
from crmkit._validation import check_in_range, preview, require_columns
from crmkit.exceptions import InvalidValueError

__all__ = [
    "WEIGHT",
    "clv_on_dask",
    "distinct_rows",
    "interval_on_partitions",
    "is_dask",
    "score_partitions",
    "scores_on_partitions",
    "time_unit_of",
]

F = TypeVar("F", bound=Callable[..., Any])

WEIGHT = "__customers"
"""Column of customer counts in the frame of distinct rows (a name no summary uses)."""


def time_unit_of(summary: Any) -> str | None:
    """The ``crmkit_time_unit`` recorded on a (dask) summary, None if absent."""
    meta = summary._meta if is_dask(summary) else summary
    unit = meta.attrs.get("crmkit_time_unit")
    return None if unit is None else str(unit)


def distinct_rows(
    summary: Any, columns: list[str], weights_col: str | None, *, name: str
) -> pd.DataFrame:
    """The distinct rows of ``columns`` in a dask summary with their customer counts.

    Computed on the cluster; the result is a small pandas frame with the columns and
    :data:`WEIGHT` (the number of customers, or the sum of ``weights_col``), sorted
    lexicographically by the columns in order, and carrying the summary's time unit.
    Missing values are kept as their own rows, so the driver's validation reports them
    as it would on pandas.
    """
    meta = summary._meta
    needed = columns + ([] if weights_col is None else [weights_col])
    require_columns(meta, needed)
    for col in needed:
        if not pd.api.types.is_numeric_dtype(meta[col]):
            raise InvalidValueError(
                f"{name}: column {col!r} has dtype {meta[col].dtype}; it must be numeric."
            )
    frame = summary[needed]
    groups = frame.groupby(columns, dropna=False)
    counts = groups.size() if weights_col is None else groups[weights_col].sum()
    table = counts.compute()
    out: pd.DataFrame = table.rename(WEIGHT).reset_index()
    out[WEIGHT] = out[WEIGHT].astype(np.float64)
    out = out.sort_values(columns, kind="stable", na_position="last", ignore_index=True)
    unit = time_unit_of(summary)
    if unit is not None:
        out.attrs["crmkit_time_unit"] = unit
    return out


class _Call:
    """A function call with the summary left out, to fill in with each partition."""

    def __init__(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], slot: Any
    ) -> None:
        self.fn, self.args, self.kwargs, self.slot = fn, args, kwargs, slot

    def __call__(self, part: Any) -> Any:
        if isinstance(self.slot, int):
            args = (*self.args[: self.slot], part, *self.args[self.slot + 1 :])
            return self.fn(*args, **self.kwargs)
        return self.fn(*self.args, **{**self.kwargs, self.slot: part})


def _score_partition(part: pd.DataFrame, call: _Call, meta: Any) -> Any:
    if len(part) == 0:
        return meta
    return call(part)


def score_partitions(
    fn: Callable[..., Any], summary: Any, args: tuple[Any, ...], kwargs: dict[str, Any], slot: Any
) -> Any:
    """``fn`` on every partition of a dask ``summary`` put at ``slot`` (position or name).

    The metadata comes from scoring dask's placeholder rows of the summary (a one-row
    sample of each column's type); empty partitions give empty results.
    """
    call = _Call(fn, args, kwargs, slot)
    sample = summary._meta_nonempty
    sample.attrs.update(summary._meta.attrs)
    meta = call(sample).iloc[:0]
    return summary.map_partitions(_score_partition, call, meta, meta=meta)


def scores_on_partitions(method: F) -> F:
    """Let a method with a ``summary`` argument take a dask summary too.

    With a pandas summary the method runs as written. With a dask summary, each
    partition is scored by the method with the same other arguments, and the result is
    a dask Series or DataFrame partitioned like the summary.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        summary = bound.arguments.get("summary")
        if not is_dask(summary):
            return method(*args, **kwargs)
        slot: Any = "summary"
        if "summary" not in kwargs:
            slot = next(i for i, a in enumerate(args) if a is summary)
        return score_partitions(method, summary, args, kwargs, slot)

    return cast(F, wrapper)


def _interval_block(point: pd.Series, *draws_and_level: Any) -> pd.DataFrame:
    *draws, level = draws_and_level
    base = point.to_numpy(dtype=np.float64)
    stacked = np.empty((len(draws), base.size))
    for i, draw in enumerate(draws):
        stacked[i] = draw.to_numpy(dtype=np.float64)
    if base.size == 0:
        lo = hi = sd = base
    else:
        lo, hi = np.quantile(stacked, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=0)
        sd = stacked.std(axis=0, ddof=1)
    return pd.DataFrame(
        {"estimate": base, "stderr": sd, "lower": lo, "upper": hi}, index=point.index
    )


def interval_on_partitions(point: Any, draws: list[Any], level: float) -> Any:
    """Percentile intervals of a dask Series of predictions over drawn models' predictions.

    ``draws`` are the same prediction under each drawn model (dask Series partitioned
    like ``point``); each output partition stacks its partition of every draw, as
    :func:`crmkit.clv.prediction_interval` does for a whole pandas Series.
    """
    if point.ndim != 1 or any(d.ndim != 1 or d.npartitions != point.npartitions for d in draws):
        raise InvalidValueError(
            "prediction_interval on dask takes a prediction that is one dask Series per "
            "model (one value per customer, e.g. a scalar horizon), partitioned like the "
            "summary; for several horizons call it once per horizon."
        )
    meta = _interval_block(point._meta, *[d._meta for d in draws], level)
    return point.map_partitions(_interval_block, *draws, level, meta=meta)


_HISTORY = ["frequency", "recency", "T"]
_VALUE = "__value"


def _clv_partition(
    part: pd.DataFrame,
    table: pd.DataFrame,
    spend: Any,
    margin: float,
    spend_per_customer: Callable[[Any, pd.DataFrame], Any],
) -> pd.Series:
    if len(part) == 0:
        return pd.Series([], index=part.index, name="clv", dtype=np.float64)
    values = part[_HISTORY].merge(table, on=_HISTORY, how="left")[_VALUE].to_numpy()
    spend_values = spend_per_customer(spend, part)
    return pd.Series(margin * spend_values * values, index=part.index, name="clv")


def clv_on_dask(
    fn: Callable[..., Any],
    model: Any,
    spend: Any,
    summary: Any,
    margin: float,
    kwargs: dict[str, Any],
    *,
    by_history: bool,
    spend_per_customer: Callable[[Any, pd.DataFrame], Any],
) -> Any:
    """``customer_lifetime_value`` of a dask summary (see its ``summary`` parameter).

    A crmkit purchase model's value per unit of margin and spend depends on a customer
    only through (frequency, recency, T): the distinct histories are counted on the
    cluster, valued once by ``fn`` on the driver (the same arithmetic as the pandas
    path, which values each distinct history too), and each partition multiplies its
    customers' looked-up values by ``margin`` and their spend, in the pandas order.
    Other models (``by_history`` false) are scored partition by partition;
    ``spend_per_customer(spend, part)`` gives a partition's spend per customer.
    """
    meta = pd.Series([], index=summary._meta.index, name="clv", dtype=np.float64)
    # the arguments are checked at the call on dask's placeholder rows (a spend Series
    # has no value for them: it is checked on every partition)
    sample = summary._meta_nonempty
    sample.attrs.update(summary._meta.attrs)
    fn(model, 1.0 if isinstance(spend, pd.Series) else spend, sample, margin=margin, **kwargs)
    columns = list(summary._meta.columns)
    unique = _unique_ids(summary)
    if not by_history or "n_periods" in columns:
        call = _Call(fn, (model, spend, summary), {"margin": margin, **kwargs}, 2)
        return summary.map_partitions(
            _after_check, unique, _score_partition, call, meta, meta=meta
        )
    m = check_in_range(margin, name="margin")
    history = distinct_rows(summary, _HISTORY, None, name="customer_lifetime_value")
    per_history = fn(model, 1.0, history[_HISTORY], margin=1.0, **kwargs)
    table = history[_HISTORY].assign(**{_VALUE: per_history.to_numpy(dtype=np.float64)})
    shared = _shared(table)
    if isinstance(spend, pd.Series):
        spend = _shared(spend)
    return summary.map_partitions(
        _after_check, unique, _clv_partition, shared, spend, m, spend_per_customer, meta=meta
    )


def _duplicates(counts: pd.Series, name: str) -> None:
    """Raise if a customer id was counted more than once (in several partitions)."""
    twice = counts.loc[counts.to_numpy() > 1]
    if len(twice):
        raise InvalidValueError(
            f"{name} has {len(twice)} duplicated label(s): {preview(twice.index)}; a "
            "customer must have one row (dask summaries concatenated from several runs or "
            "files repeat customers). Aggregate or de-duplicate before calling: "
            "crmkit.rfm_summary gives every customer one row in one partition."
        )


def _unique_ids(summary: Any) -> Any:
    """A lazy check (a dask Delayed) that raises if a customer id is in two rows.

    Every scored partition waits for it, so ``compute()`` raises before any value is
    returned; the ids are counted by dask's tree reduction (one pass over the index).
    """
    import dask

    ids = summary.index.to_series()
    # counted in hash partitions of the ids: no task holds every id at once
    counts = ids.value_counts(split_out=max(1, summary.npartitions))
    repeated = counts[counts > 1]
    return dask.delayed(_duplicates)(  # type: ignore[attr-defined]
        repeated, "the summary index (customer_id)"
    )


def _after_check(part: pd.DataFrame, _checked: None, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(part, *args)


def _shared(data: Any) -> Any:
    """``data`` sent to the cluster once: scattered to the workers of a running
    dask.distributed client (so the task graph stays small), else one delayed task."""
    import dask

    try:
        from distributed import default_client

        client = default_client()  # type: ignore[no-untyped-call]
    except (ImportError, ValueError):  # no distributed, or no client running
        client = None
    from dask.base import get_scheduler

    scheduler = get_scheduler()  # type: ignore[no-untyped-call]
    if client is None or scheduler != client.get:  # computed elsewhere
        return dask.delayed(data, pure=True)  # type: ignore[attr-defined]
    return client.scatter(data, broadcast=True, hash=True)
