"""Shared state and formatting of the report sections (private)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit.report._html import HtmlReport
from crmkit.report.options import ReportOptions
from crmkit.timeunits import check_time_unit, unit_name
from crmkit.transactions import rfm_summary

Progress = Callable[[str], None]


Formatter = Callable[[Any], str]


def _count(v: Any) -> str:
    return "" if pd.isna(v) else f"{round(float(v)):,}"


def _pct(v: Any) -> str:
    return "" if pd.isna(v) else f"{float(v):.1%}"


def _money(v: Any) -> str:
    return "" if pd.isna(v) else f"{float(v):,.2f}"


def _dec(digits: int) -> Formatter:
    return lambda v: "" if pd.isna(v) else f"{float(v):,.{digits}f}"


def _date(v: Any) -> str:
    return "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


def _plain(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def formatted(frame: pd.DataFrame, formats: dict[str, Formatter]) -> pd.DataFrame:
    """A frame of display strings: the index becomes a column, every value formatted.

    Columns without a formatter: integers as counts, floats with 3 decimals, anything
    else as text.
    """
    flat = frame.reset_index() if _has_index(frame) else frame.reset_index(drop=True)
    out = pd.DataFrame(index=flat.index)
    for col in flat.columns:
        values = flat[col]
        fmt = formats.get(str(col))
        if fmt is None:
            if pd.api.types.is_bool_dtype(values):
                fmt = _plain
            elif pd.api.types.is_integer_dtype(values):
                fmt = _count
            elif pd.api.types.is_float_dtype(values):
                fmt = _dec(3)
            elif pd.api.types.is_datetime64_any_dtype(values):
                fmt = _date
            else:
                fmt = _plain
        out[str(col)] = [fmt(v) for v in values]
    return out


def _has_index(frame: pd.DataFrame) -> bool:
    if frame.index.name is not None or any(n is not None for n in frame.index.names):
        return True
    return not isinstance(frame.index, pd.RangeIndex)


@attrs.define
class _Context:
    tx: pd.DataFrame
    options: ReportOptions
    out: Path
    page: HtmlReport
    progress: Progress
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    occasion_unit: str
    csv: dict[str, Path] = attrs.field(factory=dict)
    highlights: list[str] = attrs.field(factory=list)
    headline: dict[str, str] = attrs.field(factory=dict)
    headline_exact: dict[str, object] = attrs.field(factory=dict)
    top_share: float = float("nan")
    figures: bool = True
    totals: Any = None  # _dask_engine.Totals of the occasions inside the window
    dask: Any = None  # _dask_engine.DaskTables on the dask engine, else None

    @property
    def log(self) -> Any:
        """The occasions inside the window: ``tx``, or the dask frame on the dask engine."""
        return self.tx if self.dask is None else self.dask.occasions

    @property
    def unit(self) -> str:
        return unit_name(self.options.time_unit)

    @property
    def per(self) -> str:
        """The occasion unit as a phrase: "per invoice" or "per customer-day"."""
        return f"per {self.occasion_unit}"

    @property
    def end_instant(self) -> pd.Timestamp:
        """The last instant inside the observation window (end of its last day)."""
        return self.observation_end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")

    @property
    def money(self) -> str:
        return self.options.money

    def save(self, name: str, frame: pd.DataFrame | pd.Series[Any], *, index: bool = True) -> None:
        path = self.out / f"{name}.csv"
        frame.to_csv(path, index=index)
        self.csv[name] = path

    def table(
        self,
        frame: pd.DataFrame,
        *,
        caption: str,
        formats: dict[str, Formatter] | None = None,
        max_rows: int = 60,
    ) -> None:
        self.page.table(
            formatted(frame, formats or {}), caption=caption, index=False, max_rows=max_rows
        )

    def figure(self, draw: Callable[[Any], object], caption: str, **subplot: Any) -> None:
        if not self.figures:
            return
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.6, 4.8), subplot_kw=subplot or None)
        draw(ax)
        fig.tight_layout()
        self.page.figure(fig, caption=caption)


def _plot(name: str, *args: Any, **kwargs: Any) -> Any:
    from crmkit import plotting

    return getattr(plotting, name)(*args, **kwargs)


def _occasion_summary(tx: pd.DataFrame, end: pd.Timestamp, unit: str) -> pd.DataFrame:
    """rfm_summary's recency and T (days as periods) with frequency and spend per occasion.

    ``rfm_summary`` merges the rows of one calendar day; here each row of ``tx`` is one
    purchase occasion (an invoice may share its day with another), so frequency is the
    number of occasions minus one and the mean repeat spend leaves out the first one.
    """
    summary = rfm_summary(
        tx,
        amount_col="monetary",
        observation_end=end,
        time_unit=check_time_unit(unit),
        period="D",
        totals=True,
        non_positive="keep",
    )
    ordered = tx.sort_values(["customer_id", "datetime"], kind="stable")
    grouped = ordered.groupby("customer_id", sort=False)
    n = grouped.size().reindex(summary.index)
    first_amount = grouped["monetary"].first().reindex(summary.index)
    total = grouped["monetary"].sum().reindex(summary.index)
    freq = (n - 1).astype(np.float64)
    repeat = (total - first_amount).to_numpy(dtype=np.float64)
    mean = np.zeros(len(summary))
    np.divide(repeat, freq.to_numpy(), out=mean, where=freq.to_numpy() > 0)
    summary["frequency"] = freq.to_numpy()
    summary["monetary_value"] = mean
    summary["n_transactions"] = n.to_numpy(dtype=np.int64)
    summary["total_spend"] = total.to_numpy(dtype=np.float64)
    return summary
