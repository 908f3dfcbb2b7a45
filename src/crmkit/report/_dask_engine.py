"""The report's heavy steps on a dask.distributed cluster (private).

The invoice lines never come to this process. They are read from Parquet files by the
workers and moved so that all lines of a customer share one partition (a shuffle on
the customer id). Every step after that is a per-customer computation, so each
partition runs the very pandas code of the pandas report on its customers:

1. *Occasions*: :func:`crmkit.report._prep.prepare_occasions` per partition, with the
   data-quality accounting added up over partitions (customers are disjoint, so the
   distinct-customer counts add up too). The occasions stay on the cluster.
2. *Summaries*: the occasion summary (frequency and spend per occasion) and the
   calibration/holdout split per partition, brought back as one row per customer.
3. *Scoring*: CLV, P(alive) and expected purchases per partition with the fitted
   models (the fits themselves run here on the per-customer summaries).
4. *Reductions*: totals, the repeat purchases per tracking period, and the lifecycle
   tables (crmkit.lifecycle computes those on a dask frame itself).

Only per-customer rows and small tables come back, never the lines or occasions.
"""

from __future__ import annotations

import contextlib
import glob as _glob
import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit._validation import preview, require_columns
from crmkit.exceptions import (
    FileReadError,
    InvalidValueError,
    InvariantError,
    MissingDependencyError,
)
from crmkit.report.options import ReportOptions
from crmkit.transactions._occasions import REASONS, DataQuality, OccasionUnit

__all__ = ["DaskTables", "Totals", "cluster", "dask_tables", "input_files", "read_parquet_lines"]

_TX_COLUMNS = ("customer_id", "datetime", "monetary")


def _dask() -> tuple[Any, Any]:
    try:
        import dask
        import dask.dataframe as dd
        import distributed  # noqa: F401  # the engine runs on dask.distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "--engine dask needs dask, distributed and pyarrow: pip install 'crmkit[dask]'"
        ) from exc
    return dask, dd


@contextlib.contextmanager
def cluster(
    scheduler: str | None = None, *, workers: int = 2, memory_limit: str = "auto"
) -> Iterator[Any]:
    """A dask.distributed client: on ``scheduler`` if given, else on a LocalCluster.

    The LocalCluster (``workers`` processes of one thread) is started here and stopped
    when the block ends; a running scheduler is only connected to. Inside the block the
    client is the default scheduler and shuffles use the peer-to-peer method (it spills
    to disk).
    """
    dask, _ = _dask()
    distributed: Any = importlib.import_module("distributed")

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            local = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=memory_limit,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(distributed.Client(local))
        else:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout="10s"))
            except OSError as exc:
                raise FileReadError(
                    f"cannot reach the dask scheduler at {scheduler!r} ({exc}); start it or "
                    "leave out --scheduler to run a local cluster."
                ) from exc
        stack.enter_context(client.as_current())
        stack.enter_context(dask.config.set({"dataframe.shuffle.method": "p2p"}))
        yield client


def _files(pattern: str) -> list[str]:
    path = Path(pattern)
    if path.is_dir():
        pattern = str(path / "*.parquet")
    files = sorted(_glob.glob(pattern))
    if not files:
        raise FileReadError(
            f"no file matches {pattern!r}; pass a Parquet file, a folder of them or a glob "
            "such as 'folder/*.parquet' (quote it so the shell does not expand it)."
        )
    not_parquet = [f for f in files if not f.lower().endswith(".parquet")]
    if not_parquet:
        raise FileReadError(
            f"--engine dask reads Parquet files only; {Path(not_parquet[0]).name!r} is not "
            "one (convert CSV files to Parquet first, or use --engine pandas)."
        )
    return files


def _check_schemas(files: list[str]) -> None:
    """Every file has the columns of the first one (names and types)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    first = pq.read_schema(files[0])
    names = set(first.names)
    for f in files[1:]:
        schema = pq.read_schema(f)
        if set(schema.names) != names:
            missing = sorted(names - set(schema.names))
            extra = sorted(set(schema.names) - names)
            raise FileReadError(
                f"{Path(f).name} does not have the columns of {Path(files[0]).name}: "
                f"missing {missing}, extra {extra}; every file of the input must have the "
                "same columns."
            )
        for name in first.names:
            a, b = first.field(name).type, schema.field(name).type
            if a != b and _family(a) != _family(b):
                raise FileReadError(
                    f"column {name!r} is {b} in {Path(f).name} but {a} in "
                    f"{Path(files[0]).name}; every file of the input must store it alike."
                )


def _family(t: Any) -> str:
    """Types one pandas column can hold alike: numbers, text, timestamps (any unit)."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "number"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_timestamp(t):
        return f"timestamp {t.tz}"
    return str(t)


def input_files(pattern: str) -> list[str]:
    """The Parquet files of ``pattern`` (a file, a folder or a glob), checked alike.

    Raises when dask is not installed, nothing matches, a match is not Parquet, or the
    files do not all have the same columns stored alike.
    """
    _dask()
    files = _files(pattern)
    _check_schemas(files)
    return files


def read_parquet_lines(files: list[str], o: ReportOptions) -> Any:
    """The lines of the Parquet ``files`` as a dask DataFrame (on the current client).

    Float customer ids that are whole numbers (18102.0) become nullable integers and
    text dates are parsed, as the pandas reader of the command line does.
    """
    _, dd = _dask()
    try:
        lines = dd.read_parquet(files)
    except (OSError, ValueError) as exc:
        raise FileReadError(f"cannot read the Parquet input: {exc}") from exc
    meta = lines._meta
    cid, dtc = o.customer_id_col, o.datetime_col
    if cid in meta.columns and pd.api.types.is_float_dtype(meta[cid]):
        ids = lines[cid].dropna()
        if int((ids != ids.round()).sum().compute()) == 0:
            lines = lines.assign(**{cid: lines[cid].astype("Int64")})
    if dtc in meta.columns and not pd.api.types.is_datetime64_any_dtype(meta[dtc]):
        lines = lines.assign(
            **{dtc: lines[dtc].map_partitions(_parse_dates, dtc, meta=(dtc, "datetime64[ns]"))}
        )
    return lines


def _parse_dates(values: pd.Series[Any], name: str) -> pd.Series[Any]:
    try:
        return pd.to_datetime(values, format="mixed")
    except (ValueError, TypeError) as exc:
        raise InvalidValueError(
            f"column {name!r} does not parse as dates ({exc}); use ISO dates such as 2024-05-31."
        ) from exc


def _occasion_unit(o: ReportOptions) -> OccasionUnit:
    return "invoice" if o.invoice_col is not None else "customer-day"


def _empty_tx(lines_meta: pd.DataFrame, o: ReportOptions) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": lines_meta[o.customer_id_col].iloc[:0].to_numpy(),
            "datetime": lines_meta[o.datetime_col].iloc[:0].to_numpy(),
            "monetary": np.array([], dtype=np.float64),
        }
    ).astype(
        {
            "customer_id": lines_meta[o.customer_id_col].dtype,
            "datetime": lines_meta[o.datetime_col].dtype,
        }
    )


_ROW = "__crmkit_row"


def _number_rows(lines: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> Any:
    """The lines with their place in the input: partition number, then row."""
    number = 0 if partition_info is None else int(partition_info["number"])
    return lines.assign(**{_ROW: (number << 40) + np.arange(len(lines), dtype=np.int64)})


def _prep_part(lines: pd.DataFrame, o: ReportOptions) -> tuple[pd.DataFrame, DataQuality]:
    """One partition's occasions (canonical columns) and its accounting (the record
    :func:`~crmkit.purchase_occasions` gives, summed over partitions by
    :func:`_merged_quality`)."""
    from crmkit.report._prep import _check_lines, prepare_occasions

    if len(lines) == 0:
        lines = lines.drop(columns=_ROW)
        none = pd.DataFrame({"rows": [], "customers": [], "revenue": []})
        return _empty_tx(lines, o), DataQuality(
            rows_in=0,
            rows_out=0,
            customers_in=0,
            customers_out=0,
            revenue_in=0.0,
            revenue_out=0.0,
            occasions=0,
            occasion_unit=_occasion_unit(o),
            removed=none,
        )
    # back in the order of the files, so each customer's lines are summed in the order
    # the pandas engine sums them (the shuffle mixes the order of the partitions)
    lines = lines.sort_values(_ROW, kind="stable").drop(columns=_ROW).reset_index(drop=True)
    _check_lines(lines, o)
    try:
        prep = prepare_occasions(lines, o)
    except InvalidValueError as exc:
        if "no purchase occasion is left" not in str(exc):
            raise
        # every line of this partition is removed (or a zero-value purchase, which the
        # pandas engine keeps as an occasion only beside other purchases): prepare it
        # beside one sentinel purchase, then take the sentinel out again
        prep = _prepared_with_sentinel(lines, o)
    occ = prep.occasions
    tx = pd.DataFrame(
        {
            "customer_id": occ[o.customer_id_col].to_numpy(),
            "datetime": occ[o.datetime_col].to_numpy(),
            "monetary": occ["amount"].to_numpy(dtype=np.float64),
        }
    ).astype(
        {
            "customer_id": lines[o.customer_id_col].dtype,
            "datetime": lines[o.datetime_col].dtype,
        }
    )
    quality: DataQuality = prep.quality
    return tx, quality


def _sentinel_value(values: pd.Series[Any]) -> Any:
    """A value of the column's type that none of ``values`` has."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        top = values.max()
        return 1 if pd.isna(top) else top + 1
    taken = set(values.dropna().astype(str))
    name = "__crmkit_sentinel"
    while name in taken:
        name += "_"
    return name


def _prepared_with_sentinel(lines: pd.DataFrame, o: ReportOptions) -> Any:
    """prepare_occasions of ``lines`` plus one purchase of a new customer, taken out."""
    from crmkit.report._prep import prepare_occasions

    row: dict[str, Any] = {o.customer_id_col: _sentinel_value(lines[o.customer_id_col])}
    row[o.datetime_col] = lines[o.datetime_col].iloc[0]
    for col in (o.amount_col, o.quantity_col, o.price_col):
        if col is not None:
            row[col] = 1
    if o.invoice_col is not None:
        row[o.invoice_col] = _sentinel_value(lines[o.invoice_col])
    extra = pd.DataFrame({c: [row.get(c)] for c in lines.columns})
    extra = extra.astype({c: lines[c].dtype for c in row}, errors="ignore")
    prep = prepare_occasions(pd.concat([lines, extra], ignore_index=True), o)
    occ = prep.occasions
    mine = (occ[o.customer_id_col] == row[o.customer_id_col]).to_numpy()
    q = prep.quality
    quality = attrs.evolve(
        q,
        rows_in=q.rows_in - 1,
        rows_out=q.rows_out - 1,
        customers_in=q.customers_in - 1,
        customers_out=q.customers_out - 1,
        revenue_in=q.revenue_in - 1.0,
        revenue_out=q.revenue_out - 1.0,
        occasions=q.occasions - 1,
    )
    return attrs.evolve(prep, occasions=occ.loc[~mine].reset_index(drop=True), quality=quality)


def _merged_quality(parts: list[DataQuality], unit: OccasionUnit) -> DataQuality:
    """The partitions' accounting summed: each customer's lines are in one partition."""
    frames = [p.removed for p in parts if len(p.removed)]
    if frames:
        removed = pd.concat(frames).groupby(level=0, sort=False).sum()
        removed = removed.reindex([r for r in REASONS if r in removed.index])
        removed = removed.astype({"rows": np.int64, "customers": np.int64})
    else:
        removed = parts[0].removed.iloc[:0] if parts else pd.DataFrame()
    removed.index.name = "reason"
    return DataQuality(
        rows_in=sum(p.rows_in for p in parts),
        rows_out=sum(p.rows_out for p in parts),
        customers_in=sum(p.customers_in for p in parts),
        customers_out=sum(p.customers_out for p in parts),
        revenue_in=float(sum(p.revenue_in for p in parts)),
        revenue_out=float(sum(p.revenue_out for p in parts)),
        occasions=sum(p.occasions for p in parts),
        occasion_unit=unit,
        removed=removed,
    )


@attrs.frozen(kw_only=True)
class Totals:
    """Counts and sums over the occasions inside the observation window."""

    customers: int
    revenue: float
    purchases: int
    repeat_customers: int
    first: pd.Timestamp
    last: pd.Timestamp

    @classmethod
    def of(cls, tx: pd.DataFrame) -> Totals:
        counts = tx.groupby("customer_id", sort=False).size()
        return cls(
            customers=len(counts),
            revenue=float(tx["monetary"].sum()),
            purchases=len(tx),
            repeat_customers=int((counts >= 2).sum()),
            first=tx["datetime"].min(),
            last=tx["datetime"].max(),
        )

    @classmethod
    def merged(cls, parts: list[Totals]) -> Totals:
        parts = [p for p in parts if p.purchases]
        return cls(
            customers=sum(p.customers for p in parts),
            revenue=float(sum(p.revenue for p in parts)),
            purchases=sum(p.purchases for p in parts),
            repeat_customers=sum(p.repeat_customers for p in parts),
            first=min(p.first for p in parts),
            last=max(p.last for p in parts),
        )


def _window_part(tx: pd.DataFrame, obs: pd.Timestamp) -> tuple[pd.DataFrame, Totals | None, Any]:
    """Occasions inside the window, their totals, and (customers, revenue) after it."""
    inside = (tx["datetime"] < obs + pd.Timedelta(days=1)).to_numpy()
    after = tx.loc[~inside]
    kept = tx.loc[inside].reset_index(drop=True)
    totals = Totals.of(kept) if len(kept) else None
    return kept, totals, (int(after["customer_id"].nunique()), float(after["monetary"].sum()))


def _summary_part(tx: pd.DataFrame, obs: pd.Timestamp, unit: str) -> pd.DataFrame | None:
    from crmkit.report._context import _occasion_summary

    return _occasion_summary(tx, obs, unit) if len(tx) else None


def _split_part(
    tx: pd.DataFrame, cal: pd.Timestamp, obs: pd.Timestamp, unit: str
) -> pd.DataFrame | None:
    from crmkit.report._clv_section import holdout_split

    if not (tx["datetime"] < cal + pd.Timedelta(days=1)).any():
        return None  # no customer of this partition is in the calibration period
    return holdout_split(tx, cal, obs, unit)


def _calibration_rows(tx: pd.DataFrame, cal: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Occasions up to ``end`` of the customers who bought by the calibration end day."""
    first = tx.groupby("customer_id", sort=False)["datetime"].transform("min")
    return tx.loc[(first < cal + pd.Timedelta(days=1)) & (tx["datetime"] <= end)]


def _first_purchases(tx: pd.DataFrame, cal: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    rows = _calibration_rows(tx, cal, end)
    first = rows.groupby("customer_id", sort=False)["datetime"].min()
    return first.reset_index()


def _repeats(
    tx: pd.DataFrame, cal: pd.Timestamp, end: pd.Timestamp, ends: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    from crmkit.report._clv_section import repeats_per_period

    return repeats_per_period(_calibration_rows(tx, cal, end), ends)


def _concat(parts: list[pd.DataFrame | None]) -> pd.DataFrame:
    """Per-partition summaries as one frame by customer id; a customer in two is an error."""
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        raise InvalidValueError("no purchase is left after the data preparation.")
    out = pd.concat(frames).sort_index(kind="stable")
    if not out.index.is_unique:
        twice = out.index[out.index.duplicated()].unique()
        raise InvariantError(
            f"{len(twice):,} customer id(s) ended in two partitions after the shuffle by "
            f"customer (e.g. {preview(list(twice))}); their ids hash differently in "
            "different files: store the id column with one type in every file."
        )
    return out


@attrs.define(kw_only=True)
class DaskTables:
    """What the report needs from a dask log: small tables plus the occasions' handle."""

    quality: DataQuality
    occasion_unit: OccasionUnit
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    totals: Totals
    after_end: tuple[int, float]
    summary: pd.DataFrame
    split: pd.DataFrame
    occasions: Any  # dask DataFrame of the occasions inside the window (persisted)
    _inside: list[Any] = attrs.field(alias="inside")
    _summaries: list[Any] = attrs.field(alias="summaries")

    def score(self, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``fn`` applied to every partition's summary on the cluster, rows in order."""
        dask, _ = _dask()

        parts = [dask.delayed(_apply)(fn, s) for s in self._summaries]
        out: pd.DataFrame = pd.concat([p for p in dask.compute(*parts) if p is not None])
        return out.reindex(self.summary.index)

    def first_purchases(self, end: pd.Timestamp) -> pd.DataFrame:
        """First occasion of each calibration customer: one row each, by customer id."""
        dask, _ = _dask()

        cal = self.calibration_end
        parts = [dask.delayed(_first_purchases)(p, cal, end) for p in self._inside]
        out: pd.DataFrame = pd.concat(dask.compute(*parts), ignore_index=True)
        return out.sort_values("customer_id", kind="stable").reset_index(drop=True)

    def scorecard_log(self, quarters: list[pd.Period]) -> pd.DataFrame:
        """A small stand-in log with the scorecard's growth and retention of the occasions.

        Per partition and calendar day, one row with the day's revenue at its first
        time, under a customer who bought that day; and per customer and quarter of
        ``quarters`` they bought in, one row of value 0 at their first time in it. Revenue
        per day, the days covered and the customers active in each of ``quarters`` are
        those of the occasions (the rows of other quarters name only customers who did
        buy then), so quarterly growth and the retention of ``quarters`` are unchanged.
        """
        dask, _ = _dask()

        parts = [dask.delayed(_scorecard_rows)(p, quarters) for p in self._inside]
        out: pd.DataFrame = pd.concat(dask.compute(*parts), ignore_index=True)
        return out.sort_values(["datetime", "customer_id"], kind="stable", ignore_index=True)

    def repeats_per_period(
        self, end: pd.Timestamp, ends: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Repeat occasions of the calibration customers up to ``end`` per period ``ends``."""
        dask, _ = _dask()

        cal = self.calibration_end
        parts = [dask.delayed(_repeats)(p, cal, end, ends) for p in self._inside]
        total: np.ndarray[Any, Any] = np.sum(dask.compute(*parts), axis=0)
        return total


def _scorecard_rows(tx: pd.DataFrame, quarters: list[pd.Period]) -> pd.DataFrame:
    """One partition's stand-in rows for the scorecard (see DaskTables.scorecard_log)."""
    if len(tx) == 0:
        return tx
    when = tx["datetime"]
    naive = when.dt.tz_localize(None) if getattr(when.dt, "tz", None) is not None else when
    quarter = naive.dt.to_period("Q")
    recent = quarter.isin(quarters).to_numpy()
    active = (
        tx.loc[recent]
        .groupby([tx["customer_id"].loc[recent], quarter.loc[recent]], sort=False)["datetime"]
        .min()
        .reset_index(level=0)
        .reset_index(drop=True)
        .assign(monetary=0.0)
    )
    days = tx.groupby(naive.dt.normalize(), sort=True)
    revenue = pd.DataFrame(
        {
            "customer_id": days["customer_id"].first().to_numpy(),
            "datetime": days["datetime"].min().to_numpy(),
            "monetary": days["monetary"].sum().to_numpy(),
        }
    ).astype({"customer_id": tx["customer_id"].dtype, "datetime": when.dtype})
    out: pd.DataFrame = pd.concat([active, revenue], ignore_index=True)
    return out


def _apply(fn: Callable[[pd.DataFrame], pd.DataFrame], summary: Any) -> Any:
    return None if summary is None else fn(summary)


def dask_tables(lines: Any, o: ReportOptions) -> DaskTables:
    """Prepare, summarise and reduce a dask log of lines on the current dask client."""
    dask, dd = _dask()

    cid = o.customer_id_col
    wanted = [cid, o.datetime_col]
    require_columns(lines._meta, wanted)  # the rest is checked per partition
    meta = lines._meta.assign(**{_ROW: np.array([], dtype=np.int64)})
    numbered = lines.map_partitions(_number_rows, meta=meta)
    shuffled = numbered.shuffle(on=cid, npartitions=lines.npartitions)
    prep = [dask.delayed(_prep_part, nout=2)(p, o) for p in shuffled.to_delayed()]
    occ_parts = [p[0] for p in prep]
    quality_parts = [p[1] for p in prep]
    occ_parts = list(dask.persist(*occ_parts))
    unit = _occasion_unit(o)
    quality = _merged_quality(list(dask.compute(*quality_parts)), unit)
    if quality.occasions == 0:
        raise InvalidValueError("no purchase is left after the data preparation.")
    span = dask.compute(
        *[dask.delayed(lambda t: (t["datetime"].min(), t["datetime"].max()))(p) for p in occ_parts]
    )
    dates = pd.Series([d for pair in span for d in pair]).dropna()
    cal, obs = o.resolve_dates(dates)
    windowed = [dask.delayed(_window_part, nout=3)(p, obs) for p in occ_parts]
    inside = list(dask.persist(*[w[0] for w in windowed]))
    summaries = list(
        dask.persist(*[dask.delayed(_summary_part)(p, obs, o.time_unit) for p in inside])
    )
    splits = [dask.delayed(_split_part)(p, cal, obs, o.time_unit) for p in inside]
    totals, after, summary_parts, split_parts = dask.compute(
        [w[1] for w in windowed], [w[2] for w in windowed], summaries, splits
    )
    del occ_parts
    meta = _empty_tx(lines._meta, o)
    return DaskTables(
        quality=quality,
        occasion_unit=unit,
        calibration_end=cal,
        observation_end=obs,
        totals=Totals.merged([t for t in totals if t is not None]),
        after_end=(sum(a[0] for a in after), float(sum(a[1] for a in after))),
        summary=_concat(summary_parts),
        split=_concat(split_parts),
        occasions=dd.from_delayed(inside, meta=meta, verify_meta=False),
        inside=inside,
        summaries=summaries,
    )
