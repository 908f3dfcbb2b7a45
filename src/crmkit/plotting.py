"""Plots of crmkit results (the ``plot`` extra: ``pip install "crmkit[plot]"``).

Every function takes a result object or a result frame produced by crmkit, draws on
the given :class:`matplotlib.axes.Axes` (or a new one) and returns the Axes, so plots
compose in the usual matplotlib way. The core library never imports this module.

Examples
--------
>>> import numpy as np
>>> from crmkit import pareto, plotting
>>> conc = pareto.concentration(np.array([1.0, 1.0, 2.0, 6.0]))
>>> ax = plotting.lorenz_curve(conc)
>>> ax.get_xlabel()
'share of customers (ascending value)'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmkit._compat import positional_options
from crmkit._dates import parse_date
from crmkit._validation import (
    check_in_range,
    check_option,
    check_text,
    check_whole,
    real_array,
    real_number,
    require_frame,
)
from crmkit.exceptions import InvalidValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from crmkit.clv import AliveHistory, HoldoutByFrequency, ModelComparison, RetentionComparison
    from crmkit.clv.aggregates import ForecastIntervals
    from crmkit.clv.forecast import PeriodForecast
    from crmkit.pareto import Concentration
    from crmkit.survival import KaplanMeier, LifeTable

__all__ = [
    "alive_history_plot",
    "cohort_heatmap",
    "frequency_recency_matrix",
    "funnel",
    "hazard_plot",
    "holdout_by_frequency_plot",
    "lorenz_curve",
    "maturity_radar",
    "model_comparison_plot",
    "pareto_chart",
    "period_forecast_chart",
    "repeat_frequency_chart",
    "retention_fit_plot",
    "survival_plot",
    "tracking_plot",
    "transition_heatmap",
]

_BLUE = "#2c6e9b"
_ORANGE = "#e07b39"
_GREY = "#8a96a3"


def _axes(ax: Axes | None, **subplot: Any) -> Axes:
    if ax is not None:
        from matplotlib.axes import Axes as _Axes

        if not isinstance(ax, _Axes):
            raise InvalidValueError(
                f"ax must be a matplotlib Axes (e.g. from plt.subplots()) or None, got "
                f"{type(ax).__name__}."
            )
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("crmkit.plotting needs matplotlib: pip install 'crmkit[plot]'") from exc
    _, new = plt.subplots(figsize=(6.4, 4.4), subplot_kw=subplot or None)
    return new


def _concentration(conc: Any) -> Concentration:
    from crmkit.pareto import Concentration

    if not isinstance(conc, Concentration):
        raise InvalidValueError(
            f"conc must be a Concentration from crmkit.pareto.concentration(...), got "
            f"{type(conc).__name__}."
        )
    return conc


def _numeric_frame(frame: Any, *, name: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    out = require_frame(frame, name=name)
    for c in columns:
        check_text(c, name="column")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidValueError(
            f"{name} needs column(s) {missing}; got {list(frame.columns)}. Pass the frame "
            "the matching crmkit function returns."
        )
    for c in columns or tuple(frame.columns):
        real_array(frame[c].to_numpy(), name=f"column {c!r} of {name}")
    return out


@positional_options("ax")
def lorenz_curve(
    conc: Concentration,
    *,
    ax: Axes | None = None,
    unit_label: str = "customers",
    mark: float = 0.2,
) -> Axes:
    """Lorenz curve of a :class:`~crmkit.pareto.Concentration`, with the Gini coefficient.

    The shaded area between the line of equality and the curve is half the Gini
    coefficient. A marker shows the share of value given by the top ``mark`` of units.
    """
    conc = _concentration(conc)
    check_text(unit_label, name="unit_label")
    mark = check_in_range(mark, name="mark", low=0.0, high=1.0)
    ax = _axes(ax)
    x, y = conc.lorenz()
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle="--", linewidth=1, label="equality")
    ax.plot(x, y, color=_BLUE, linewidth=2, label=f"Lorenz curve (Gini {conc.gini:.3f})")
    ax.fill_between(x, y, x, color=_BLUE, alpha=0.12)
    share = conc.top_share(mark)
    ax.scatter([1 - mark], [1 - share], color=_ORANGE, zorder=3)
    ax.annotate(
        f"top {mark:.0%} of {unit_label}\ngive {share:.1%} of value",
        xy=(1 - mark, 1 - share),
        xytext=(0.05, 0.82),
        arrowprops={"arrowstyle": "->", "color": _ORANGE},
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"share of {unit_label} (ascending value)")
    ax.set_ylabel("share of value")
    ax.set_title("Lorenz curve")
    ax.legend(loc="upper left", frameon=False, bbox_to_anchor=(0.0, 0.7))
    return ax


@positional_options("ax")
def pareto_chart(
    conc: Concentration,
    *,
    ax: Axes | None = None,
    bins: int = 50,
    unit_label: str = "customers",
) -> Axes:
    """Pareto chart: value share of each ``1/bins`` slice of units, ranked from the top,
    with the cumulative share on a second axis."""
    conc = _concentration(conc)
    bins = check_whole(bins, name="bins", low=2, high=10_000)
    check_text(unit_label, name="unit_label")
    ax = _axes(ax)
    grid = np.linspace(0.0, 1.0, bins + 1)
    cum = np.array([conc.top_share(p) for p in grid])
    width = 1.0 / bins
    ax.bar(grid[:-1] + width / 2, np.diff(cum), width=width * 0.9, color=_BLUE)
    ax.set_xlabel(f"share of {unit_label}, ranked by value (top first)")
    ax.set_ylabel(f"share of value per {100 / bins:g}% slice")
    twin = ax.twinx()
    twin.plot(grid, cum, color=_ORANGE, linewidth=2)
    twin.axhline(0.8, color=_GREY, linestyle=":", linewidth=1)
    twin.set_ylim(0, 1.02)
    twin.set_ylabel("cumulative share of value")
    ax.set_xlim(0, 1)
    ax.set_title("Pareto chart")
    return ax


@positional_options("ax")
def funnel(table: pd.DataFrame, *, ax: Axes | None = None, column: str = "reached") -> Axes:
    """Funnel of customers reaching each stage, from :func:`crmkit.lifecycle.funnel_conversion`.

    Bars are labelled with the count and the conversion from the previous stage.
    """
    _numeric_frame(
        table, name="table (from crmkit.lifecycle.funnel_conversion)", columns=(column,)
    )
    ax = _axes(ax)
    values = table[column].to_numpy(dtype=np.float64)
    labels = [str(i) for i in table.index]
    pos = np.arange(len(values))[::-1]
    top = values.max() if values.size and values.max() > 0 else 1.0
    ax.barh(pos, values, left=(top - values) / 2, color=_BLUE, height=0.7)
    conv = (
        table["conversion"].to_numpy() if "conversion" in table else np.full(values.size, np.nan)
    )
    for p, v, c in zip(pos, values, conv, strict=True):
        text = f"{v:,.0f}" + ("" if not np.isfinite(c) else f"  ({c:.1%})")
        # labels sit to the right of the widest bar, so narrow bars never clip them
        ax.text(top * 1.03, p, text, ha="left", va="center", color="#1d2733", fontsize=9)
    ax.set_xlim(0, top * 1.45)
    ax.set_yticks(pos, labels)
    ax.set_xticks([])
    ax.set_xlabel(f"customers ({column}); conversion from the previous stage in brackets")
    ax.set_title("Customer funnel")
    return ax


def _text_colour(rgba: Any) -> str:
    """Black or white, whichever contrasts more with a cell colour (WCAG 2.1 luminance)."""
    channels = np.asarray(rgba[:3], dtype=np.float64)
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    # contrast with black (L + 0.05) / 0.05 vs with white 1.05 / (L + 0.05)
    return "black" if (luminance + 0.05) ** 2 > 0.0525 else "white"


def _heatmap(
    data: pd.DataFrame, ax: Axes, *, fmt: str, cmap: str, vmin: float, vmax: float
) -> None:
    values = data.to_numpy(dtype=np.float64)
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(masked, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(data.shape[1]), [str(c) for c in data.columns], rotation=45, ha="right")
    ax.set_yticks(range(data.shape[0]), [str(i) for i in data.index])
    if values.size <= 400:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(
                    j, i, format(v, fmt), ha="center", va="center", fontsize=7,
                    color=_text_colour(image.cmap(image.norm(v))),
                )  # fmt: skip


@positional_options("ax")
def transition_heatmap(rates: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stage-to-stage transition rates (rows: stage at start, columns: stage at end)."""
    _numeric_frame(rates, name="rates")
    ax = _axes(ax)
    _heatmap(rates, ax, fmt=".0%", cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xlabel("stage at end")
    ax.set_ylabel("stage at start")
    ax.set_title("Stage transition rates")
    return ax


def _period_word(retention: pd.DataFrame) -> str:
    freq = getattr(retention.index, "freqstr", None) or ""
    return {"M": "months", "Q": "quarters", "Y": "years"}.get(freq[:1], "periods")


@positional_options("ax")
def cohort_heatmap(retention: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Acquisition-cohort retention (rows: cohorts, columns: periods since acquisition)."""
    _numeric_frame(retention, name="retention")
    ax = _axes(ax)
    _heatmap(retention, ax, fmt=".0%", cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xlabel(f"{_period_word(retention)} since acquisition")
    ax.set_ylabel("acquisition cohort")
    ax.set_title("Cohort retention")
    return ax


def frequency_recency_matrix(
    model: Any,
    *,
    T: float,
    kind: str = "probability_alive",
    t: float = 1.0,
    max_frequency: int | None = None,
    ax: Axes | None = None,
    resolution: int = 60,
) -> Axes:
    """P(alive) or expected purchases over a grid of frequency x recency for a given T.

    Parameters
    ----------
    model : transaction model
        Any :class:`~crmkit.clv.TransactionModel` (BG/NBD, MBG/NBD, Pareto/NBD).
    T : float
        Customer age, in the model's time unit.
    kind : {"probability_alive", "expected_purchases"}
        What to colour: P(alive) at T, or the expected purchases in the next ``t``.
    t : float
        Horizon for ``kind="expected_purchases"``.
    max_frequency : int, optional
        Largest frequency shown (default: about ``T``, at least 10).
    """
    check_option(kind, ("probability_alive", "expected_purchases"), name="kind")
    if not callable(
        getattr(
            model, kind if kind == "probability_alive" else "conditional_expected_purchases", None
        )
    ):
        raise InvalidValueError(
            f"model must be a transaction model (BetaGeo, ParetoNBD, ...), got "
            f"{type(model).__name__}."
        )
    T = check_in_range(T, name="T", low=0.0, low_inclusive=False, high=1e6)
    t = check_in_range(t, name="t", low=0.0)
    resolution = check_whole(resolution, name="resolution", low=2, high=2000)
    fmax = (
        max(10, round(T))
        if max_frequency is None
        else check_whole(max_frequency, name="max_frequency", low=1, high=10_000)
    )
    freqs = np.arange(0, fmax + 1, dtype=np.float64)
    recs = np.linspace(0.0, T, resolution)
    f_grid, r_grid = np.meshgrid(freqs, recs, indexing="ij")
    r_grid = np.where(f_grid == 0, 0.0, r_grid)
    grid = pd.DataFrame(
        {"frequency": f_grid.ravel(), "recency": r_grid.ravel(), "T": np.full(f_grid.size, T)}
    )
    if kind == "probability_alive":
        z = np.asarray(model.probability_alive(grid), dtype=np.float64)
        label, vmax = "P(alive)", 1.0
    else:
        z = np.asarray(model.conditional_expected_purchases(grid, t=t), dtype=np.float64)
        label, vmax = f"expected purchases in next {t:g}", float(np.max(z))
    ax = _axes(ax)
    image = ax.imshow(
        z.reshape(f_grid.shape),
        origin="lower",
        aspect="auto",
        extent=(0.0, T, -0.5, fmax + 0.5),
        cmap="magma",
        vmin=0.0,
        vmax=vmax,
    )
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    unit = getattr(model, "time_unit", None)
    unit_word = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
    in_unit = f" in {unit_word[unit]}" if unit in unit_word else ""
    ax.set_xlabel(f"recency: time from first to last purchase{in_unit}")
    ax.set_ylabel("frequency (repeat purchases)")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{label} by frequency and recency, T = {T:.1f}{in_unit.replace(' in ', ' ')}")
    return ax


@positional_options("ax")
def tracking_plot(
    tracking: pd.DataFrame,
    *,
    ax: Axes | None = None,
    actual: str = "actual",
    expected: str = "expected",
    calibration_end: Any = None,
    ylabel: str = "repeat purchases",
) -> Axes:
    """Cumulative (or per-period) actual vs expected repeat purchases over time."""
    _numeric_frame(
        tracking, name="tracking (from crmkit.clv.tracking_series)", columns=(actual, expected)
    )
    check_text(ylabel, name="ylabel")
    if calibration_end is not None and isinstance(tracking.index, pd.DatetimeIndex):
        calibration_end = parse_date(calibration_end, name="calibration_end")
    elif calibration_end is not None:  # a position on a period or numeric axis
        calibration_end = real_number(calibration_end, name="calibration_end")
    ax = _axes(ax)
    x = np.arange(len(tracking)) if isinstance(tracking.index, pd.PeriodIndex) else tracking.index
    ax.plot(x, tracking[actual].to_numpy(), color=_BLUE, linewidth=2, label="actual")
    ax.plot(x, tracking[expected].to_numpy(), color=_ORANGE, linestyle="--", label="model")
    if calibration_end is not None:
        ax.axvline(calibration_end, color=_GREY, linestyle=":", label="end of calibration")
    ax.set_xlabel(str(tracking.index.name or "period"))
    for tick in ax.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    ax.set_ylabel(ylabel)
    ax.set_title("Tracking: actual vs expected repeat purchases")
    ax.legend(frameon=False)
    return ax


@positional_options("ax")
def repeat_frequency_chart(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    actual: str = "actual",
    expected: str = "expected",
) -> Axes:
    """Actual vs expected number of customers with 0, 1, 2, ... repeat purchases."""
    _numeric_frame(
        table, name="table (from crmkit.clv.repeat_frequency_table)", columns=(actual, expected)
    )
    ax = _axes(ax)
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table[actual].to_numpy(), width=0.4, color=_BLUE, label="actual")
    ax.bar(pos + 0.2, table[expected].to_numpy(), width=0.4, color=_ORANGE, label="model")
    ax.set_xticks(pos, [str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title("Repeat-frequency fit")
    ax.legend(frameon=False)
    return ax


@positional_options("ax")
def maturity_radar(
    scores: Mapping[str, float] | pd.Series,
    *,
    ax: Axes | None = None,
    max_score: float = 1.0,
) -> Axes:
    """Radar (spider) chart of scores per maturity level or dimension, 0..``max_score``."""
    if not isinstance(scores, Mapping | pd.Series):
        raise InvalidValueError(
            f"scores must be a mapping or Series of score per level, got {type(scores).__name__}."
        )
    values = real_array(
        list(scores.values()) if isinstance(scores, Mapping) else scores.to_numpy(), name="scores"
    )
    max_score = check_in_range(max_score, name="max_score", low=0.0, low_inclusive=False)
    series = pd.Series(values, index=list(scores.keys()), dtype=np.float64)
    if not np.isfinite(values).all():
        raise InvalidValueError(f"scores must be finite; got {series.round(3).to_dict()}.")
    if series.empty:
        raise InvalidValueError("maturity_radar needs at least one score.")
    if ((series < 0) | (series > max_score)).any():
        raise InvalidValueError(
            f"scores must lie in [0, {max_score}]; got {series.round(3).to_dict()}."
        )
    ax = _axes(ax, projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(series), endpoint=False)
    closed_angles = np.append(angles, angles[0])
    closed = np.append(series.to_numpy(), series.to_numpy()[0])
    ax.plot(closed_angles, closed, color=_BLUE, linewidth=2)
    ax.fill(closed_angles, closed, color=_BLUE, alpha=0.2)
    ax.set_xticks(angles, [str(i) for i in series.index], fontsize=8)
    ax.set_ylim(0, max_score)
    ax.set_title("CRM maturity profile")
    return ax


def alive_history_plot(history: AliveHistory, *, ax: Axes | None = None) -> Axes:
    """P(alive) of one customer through time, with their purchases marked.

    Draws ``history.table["probability_alive"]`` over the grid dates of an
    :class:`~crmkit.clv.AliveHistory` (from :func:`crmkit.clv.probability_alive_history`)
    and a dotted vertical line at each (distinct) purchase time.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit import clv, plotting
    >>> bg = clv.BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259, time_unit="W")
    >>> dates = pd.to_datetime(["1997-01-01", "1997-02-12", "1997-03-05"])
    >>> history = clv.probability_alive_history(bg, dates, observation_end="1997-06-30")
    >>> ax = plotting.alive_history_plot(history)
    >>> len(ax.collections[0].get_segments()), ax.get_ylabel()  # one line per purchase
    (3, 'P(alive)')
    """
    from crmkit.clv import AliveHistory

    if not isinstance(history, AliveHistory):
        raise InvalidValueError(
            "history must be an AliveHistory from crmkit.clv.probability_alive_history(...), "
            f"got {type(history).__name__}."
        )
    ax = _axes(ax)
    table = history.table
    ax.plot(
        table.index, table["probability_alive"].to_numpy(), color=_BLUE, linewidth=2,
        label="P(alive)",
    )  # fmt: skip
    ax.vlines(
        history.purchases.to_numpy(), 0.0, 1.0, transform=ax.get_xaxis_transform(),
        colors=_ORANGE, linestyles=":", linewidth=1.2, label="purchase",
    )  # fmt: skip
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("P(alive)")
    ax.set_xlabel("date")
    for tick in ax.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    who = "" if history.customer_id is None else f" of customer {history.customer_id}"
    ax.set_title(f"P(alive) history{who} ({type(history.model).__name__})")
    ax.legend(frameon=False, loc="lower left")
    return ax


def holdout_by_frequency_plot(result: HoldoutByFrequency, *, ax: Axes | None = None) -> Axes:
    """Mean actual and predicted holdout purchases by calibration frequency.

    The conditional-expectation chart of Fader, Hardie & Lee (2005, Figure 4), from a
    :class:`~crmkit.clv.HoldoutByFrequency` (:func:`crmkit.clv.holdout_by_frequency`):
    one line for the actual means, one for the model's.

    Examples
    --------
    >>> from crmkit import clv, plotting
    >>> from crmkit.datasets import load_cdnow_summary
    >>> bg = clv.BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259)
    >>> result = clv.holdout_by_frequency(bg, load_cdnow_summary())
    >>> ax = plotting.holdout_by_frequency_plot(result)
    >>> [t.get_text() for t in ax.get_xticklabels()][-1]
    '7+'
    """
    from crmkit.clv import HoldoutByFrequency

    if not isinstance(result, HoldoutByFrequency):
        raise InvalidValueError(
            "result must be a HoldoutByFrequency from crmkit.clv.holdout_by_frequency(...), "
            f"got {type(result).__name__}."
        )
    ax = _axes(ax)
    table = result.table
    pos = np.arange(len(table))
    ax.plot(pos, table["actual"].to_numpy(), color=_BLUE, linewidth=2, marker="o", label="actual")
    ax.plot(
        pos, table["predicted"].to_numpy(), color=_ORANGE, linestyle="--", marker="s",
        label=type(result.model).__name__,
    )  # fmt: skip
    ax.set_xticks(pos, [str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in calibration period")
    ax.set_ylabel("mean purchases in holdout period")
    ax.set_title("Calibration vs holdout: conditional expectations")
    ax.legend(frameon=False)
    return ax


def period_forecast_chart(
    forecast: PeriodForecast | ForecastIntervals,
    *,
    ax: Axes | None = None,
    intervals: ForecastIntervals | pd.DataFrame | None = None,
) -> Axes:
    """Bars of expected purchases per period: the existing customers, new cohorts stacked.

    Parameters
    ----------
    forecast : crmkit.clv.PeriodForecast or crmkit.clv.ForecastIntervals
        From :func:`crmkit.clv.forecast_purchases`, or the result of
        :func:`crmkit.clv.forecast_intervals` (its forecast with its intervals).
    ax : matplotlib Axes, optional
    intervals : crmkit.clv.ForecastIntervals or pandas.DataFrame, optional
        From :func:`crmkit.clv.forecast_intervals` for the same window (or its
        ``.table``): draws the ``purchases_lower`` to ``purchases_upper`` interval of each
        period's total.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit import clv, plotting
    >>> bg = clv.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86] * 2})
    >>> fc = clv.forecast_purchases(bg, s, observation_end="1997-09-30", horizon=3)
    >>> ax = plotting.period_forecast_chart(fc)
    >>> len(ax.patches)
    4
    """
    from crmkit.clv.aggregates import ForecastIntervals
    from crmkit.clv.forecast import PeriodForecast

    if isinstance(forecast, ForecastIntervals):
        if intervals is None:
            intervals = forecast
        forecast = forecast.forecast
    if isinstance(intervals, ForecastIntervals):
        intervals = intervals.table
    if not isinstance(forecast, PeriodForecast):
        raise InvalidValueError(
            f"forecast must be the PeriodForecast of crmkit.clv.forecast_purchases, got "
            f"{type(forecast).__name__}."
        )
    table = forecast.table
    if intervals is not None:
        _numeric_frame(
            intervals,
            name="intervals (from crmkit.clv.forecast_intervals)",
            columns=("purchases_lower", "purchases_upper"),
        )
        if not intervals.index.equals(table.index):
            raise InvalidValueError(
                "intervals cover other periods than the forecast; compute both for the same "
                "observation_end, horizon and period."
            )
    ax = _axes(ax)
    x = np.arange(len(table))
    bottom = table["existing"].to_numpy(dtype=np.float64)
    ax.bar(x, bottom, color=_BLUE, label="existing customers")
    palette = [_ORANGE, _GREY, "#6a9f58", "#b07aa1", "#d4a017", "#9c755f"]
    for i, cohort in enumerate(forecast.cohorts.columns):
        height = forecast.cohorts[cohort].to_numpy(dtype=np.float64)
        colour = palette[i % len(palette)]
        ax.bar(x, height, bottom=bottom, color=colour, label=f"cohort {cohort}")
        bottom = bottom + height
    if intervals is not None:
        total = table["total"].to_numpy(dtype=np.float64)
        low = total - intervals["purchases_lower"].to_numpy(dtype=np.float64)
        high = intervals["purchases_upper"].to_numpy(dtype=np.float64) - total
        ax.errorbar(x, total, yerr=np.vstack([np.maximum(low, 0.0), np.maximum(high, 0.0)]),
                    fmt="none", ecolor="black", capsize=3, label="interval")  # fmt: skip
    ax.set_xticks(x, [str(label) for label in table.index])
    for tick in ax.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    ax.set_xlabel("period")
    ax.set_ylabel("expected purchases")
    ax.set_title("Forecast per period")
    ax.legend(frameon=False)
    return ax


def model_comparison_plot(comparison: ModelComparison, *, ax: Axes | None = None) -> Axes:
    """Mean actual and predicted holdout purchases by calibration frequency, every model.

    The conditional-expectation chart of Fader, Hardie & Lee (2005, Figure 4) for each
    family of a :class:`~crmkit.clv.ModelComparison` (:func:`crmkit.clv.compare_models`):
    the actual means as a solid line, each fitted family's as a dashed one, labelled with
    its holdout MAE per customer; the chosen family is drawn thicker.

    Examples
    --------
    >>> from crmkit import clv, plotting
    >>> from crmkit.datasets import load_cdnow_summary
    >>> comparison = clv.compare_models(load_cdnow_summary())
    >>> ax = plotting.model_comparison_plot(comparison)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][:2]
    ['actual', 'ParetoNBD (MAE 0.7545, chosen)']
    """
    from crmkit._display import fmt_number
    from crmkit.clv import ModelComparison

    if not isinstance(comparison, ModelComparison):
        raise InvalidValueError(
            "comparison must be a ModelComparison from crmkit.clv.compare_models(...), "
            f"got {type(comparison).__name__}."
        )
    ax = _axes(ax)
    table = comparison.by_frequency
    pos = np.arange(len(table))
    ax.plot(pos, table["actual"].to_numpy(), color=_BLUE, linewidth=2.5, marker="o",
            label="actual")  # fmt: skip
    palette = [_ORANGE, _GREY, "#6a9f58", "#b07aa1", "#d4a017", "#9c755f"]
    markers = ["s", "^", "D", "v", "P", "X"]
    for i, name in enumerate(map(str, comparison.table.index)):
        if name not in comparison.fits:
            continue
        chosen = name == comparison.chosen
        mae = fmt_number(float(comparison.table["mae"].to_numpy(dtype=np.float64)[i]))
        ax.plot(
            pos, table[name].to_numpy(), color=palette[i % len(palette)], linestyle="--",
            marker=markers[i % len(markers)], linewidth=2.5 if chosen else 1.2,
            label=f"{name} (MAE {mae}{', chosen' if chosen else ''})",
        )  # fmt: skip
    ax.set_xticks(pos, [str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in calibration period")
    ax.set_ylabel("mean purchases in holdout period")
    ax.set_title("Model comparison on the holdout: conditional expectations")
    ax.legend(frameon=False)
    return ax


_PALETTE = (_BLUE, _ORANGE, _GREY, "#6a9f58", "#b07aa1", "#d4a017", "#9c755f")


def _survival_parts(result: Any, name: str) -> list[tuple[str, pd.DataFrame]]:
    """(label, table) per group of a KaplanMeier or LifeTable (one part without groups)."""
    from crmkit.survival import KaplanMeier, LifeTable

    if not isinstance(result, KaplanMeier | LifeTable):
        raise InvalidValueError(
            f"{name} must be a KaplanMeier or LifeTable from crmkit.survival, got "
            f"{type(result).__name__}."
        )
    if not result.groups:
        return [("all customers", result.table)]
    return [(str(label), result.table.loc[label]) for label in result.groups]


def survival_plot(
    estimate: KaplanMeier | LifeTable, *, ax: Axes | None = None, band: bool = True
) -> Axes:
    """Survival (retention) curves by tenure, one per group, with their interval band.

    A :class:`~crmkit.survival.KaplanMeier` estimate is drawn as its right-continuous
    step function; a :class:`~crmkit.survival.LifeTable` as the survival at each
    period's end (1 at the first period's start). ``band`` shades the pointwise
    ``lower`` to ``upper`` interval.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit import plotting, survival
    >>> df = pd.DataFrame({"tenure": [2, 3, 5, 5], "churned": [True, False, True, False]})
    >>> ax = plotting.survival_plot(survival.kaplan_meier(df))
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 0.75, 0.75, 0.375]
    """
    parts = _survival_parts(estimate, "estimate")
    check_option(band, (True, False), name="band")
    ax = _axes(ax)
    for i, (label, table) in enumerate(parts):
        colour = _PALETTE[i % len(_PALETTE)]
        if "end" in table.columns:  # a life table: values at the periods' ends
            x = np.r_[table.index.to_numpy(dtype=np.float64)[:1], table["end"].to_numpy()]
            y, lo, hi = (np.r_[1.0, table[c].to_numpy()] for c in ("survival", "lower", "upper"))
        else:
            x = table.index.to_numpy(dtype=np.float64)
            y, lo, hi = (table[c].to_numpy() for c in ("survival", "lower", "upper"))
        ax.step(x, y, where="post", color=colour, linewidth=2, label=label)
        if band:
            ax.fill_between(x, lo, hi, step="post", color=colour, alpha=0.2, linewidth=0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("tenure")
    ax.set_ylabel("share still active, S(t)")
    level = f" ({estimate.level:.0%} {estimate.ci_method} band)" if band else ""
    ax.set_title(f"Survival by tenure{level}")
    ax.legend(frameon=False, title=estimate.group_col)
    return ax


def hazard_plot(table: LifeTable, *, ax: Axes | None = None) -> Axes:
    """Churn hazard (churned / at risk) per tenure period of a life table, per group.

    Each period's hazard is drawn as a horizontal segment over [start, end) of a
    :class:`~crmkit.survival.LifeTable` (:func:`crmkit.survival.life_table`).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit import plotting, survival
    >>> df = pd.DataFrame({"tenure": [0, 1, 1, 2, 3, 3], "churned": [0, 1, 0, 1, 0, 1]})
    >>> ax = plotting.hazard_plot(survival.life_table(df))
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.0, 0.2, 0.3333333333333333, 0.5, 0.5]
    """
    from crmkit.survival import LifeTable

    if not isinstance(table, LifeTable):
        raise InvalidValueError(
            "table must be a LifeTable from crmkit.survival.life_table(...), got "
            f"{type(table).__name__}."
        )
    ax = _axes(ax)
    for i, (label, part) in enumerate(_survival_parts(table, "table")):
        x = np.r_[part.index.to_numpy(dtype=np.float64), part["end"].to_numpy()[-1:]]
        y = np.r_[part["hazard"].to_numpy(), part["hazard"].to_numpy()[-1:]]
        ax.step(x, y, where="post", color=_PALETTE[i % len(_PALETTE)], linewidth=2,
                label=label)  # fmt: skip
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("tenure")
    ax.set_ylabel("churn hazard per period")
    ax.set_title("Churn hazard by tenure")
    ax.legend(frameon=False, title=table.group_col)
    return ax


def retention_fit_plot(comparison: RetentionComparison, *, ax: Any = None) -> Any:
    """Kaplan-Meier survival with its band and every family's fitted S(t), per group.

    One axis per group of a :class:`~crmkit.clv.RetentionComparison`: the Kaplan-Meier
    step curve on the models' clock (renewals) with its band, each family's S(t) (the
    chosen one thicker) and the calibration cut (dotted). ``ax``: one Axes per group
    (e.g. ``plt.subplots(1, 3)[1]``); by default a new figure per group. Returns the array of Axes.

    Examples
    --------
    >>> from crmkit import clv, plotting
    >>> result = clv.compare_retention_models([1000, 869, 743, 653, 593, 551, 517])
    >>> axes = plotting.retention_fit_plot(result)
    >>> [t.get_text() for t in axes[0].get_legend().get_texts()][:2]
    ['Kaplan-Meier', 'ShiftedGeometric']
    """
    from crmkit.clv import RetentionComparison

    if not isinstance(comparison, RetentionComparison):
        raise InvalidValueError(f"need a RetentionComparison, got {comparison!r:.40}.")
    groups = list(comparison.fits)
    ax = [_axes(None) for _ in groups] if ax is None else ax  # one figure per group
    axes = np.atleast_1d(np.asarray(ax, dtype=object))
    if axes.size != len(groups):
        raise InvalidValueError(f"ax holds {axes.size} Axes; pass one per group ({len(groups)}).")
    for axis, group in zip(axes, groups, strict=True):
        curves = comparison.curves(group=group if comparison.group_col else None)
        t = curves.index.to_numpy(dtype=np.float64)
        axis.step(t, curves["kaplan_meier"], where="post", color="black", label="Kaplan-Meier")
        axis.fill_between(t, curves["lower"], curves["upper"], step="post", color="black",
                          alpha=0.15, linewidth=0)  # fmt: skip
        for i, name in enumerate(curves.columns[3:]):
            chosen = name == comparison.chosen[group]
            axis.plot(t, curves[name], color=_PALETTE[(i + 1) % len(_PALETTE)],
                      linewidth=1 + 1.5 * chosen, label=name + " (chosen)" * chosen)  # fmt: skip
        if comparison.calibration_periods is not None:
            axis.axvline(comparison.calibration_periods, color=_GREY, linestyle=":")
        axis.set(ylim=(0.0, 1.02), xlabel="renewals t", ylabel="S(t)", title=str(group))
        axis.legend(frameon=False)
    return axes
