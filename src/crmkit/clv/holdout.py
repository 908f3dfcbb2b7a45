"""Calibration versus holdout purchases, grouped by calibration frequency.

The conditional-expectation check of Fader, Hardie & Lee (2005, Figure 4): customers are
grouped by their number of repeat purchases in the calibration period (0, 1, ..., 7+);
in each group the mean number of purchases they actually made in the holdout period is
set beside the mean the model predicted for them from their calibration history. It is
the table behind lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``, for a
calibration/holdout frame from :func:`crmkit.calibration_and_holdout` or any frame with
the same columns under other names. Draw it with
:func:`crmkit.plotting.holdout_by_frequency_plot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import (
    check_numeric_column,
    check_whole,
    handle_nan,
    real_array,
    require_columns,
    require_nonempty,
)
from crmkit.clv._base import FitResult
from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.clv.evaluation import evaluate_holdout
from crmkit.exceptions import InvalidValueError

__all__ = ["HoldoutByFrequency", "holdout_by_frequency"]

_COLUMNS = ("n_customers", "actual", "predicted", "difference")


@attrs.frozen(kw_only=True, repr=False)
class HoldoutByFrequency(Displayable):
    """Mean actual and predicted holdout purchases by calibration frequency.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``frequency`` labels ``"0"``, ``"1"``, ..., ``"7+"`` (groups with
        customers only): ``n_customers``, ``actual`` (mean holdout purchases),
        ``predicted`` (mean conditional expected purchases over each customer's holdout
        duration), ``difference`` (predicted - actual).
    by_recency : pandas.DataFrame or None
        With ``recency_bins``: the same columns indexed by (``frequency``, ``recency``),
        recency bins as :class:`pandas.Interval` labels; None otherwise.
    per_customer : pandas.DataFrame
        Indexed like the input: ``frequency`` (the group label), ``actual``,
        ``predicted``.
    max_frequency : int
        The pooled last group (``"7+"`` for 7).
    model : object
        The model that gave the predictions.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    by_recency: pd.DataFrame | None = attrs.field(eq=False)
    per_customer: pd.DataFrame = attrs.field(eq=False, repr=False)
    max_frequency: int
    model: Any

    @property
    def n_customers(self) -> int:
        """Customers in the table."""
        return int(self.table["n_customers"].sum())

    def _display(self) -> Display:
        columns, rows, note = frame_rows(self.table)
        actual = float(self.per_customer["actual"].sum())
        predicted = float(self.per_customer["predicted"].sum())
        return Display(
            f"Calibration vs holdout purchases by frequency ({type(self.model).__name__}, "
            f"{self.n_customers:,} customers)",
            [f"holdout purchases: actual {fmt_number(actual)}, predicted {fmt_number(predicted)}"],
            columns,
            rows,
            [note],
        )


def _group_labels(x: NDArray[np.float64], top: int) -> pd.Categorical:
    labels = [str(k) for k in range(top)] + [f"{top}+"]
    classes = np.minimum(np.round(x), top).astype(np.int64)
    return pd.Categorical(
        np.asarray(labels, dtype=object)[classes], categories=labels, ordered=True
    )


def _means(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "n_customers": grouped.size().astype(np.int64),
            "actual": grouped["actual"].mean(),
            "predicted": grouped["predicted"].mean(),
        }
    )
    out["difference"] = out["predicted"] - out["actual"]
    index = out.index
    if isinstance(index, pd.MultiIndex):  # frequency labels as text, recency bins kept
        out.index = pd.MultiIndex.from_arrays(
            [index.get_level_values(0).astype(str), index.get_level_values(1)], names=keys
        )
    else:
        out.index = pd.Index(index.astype(str), name=keys[0])
    return out[list(_COLUMNS)]


def _recency_bins(values: NDArray[np.float64], bins: Sequence[float], col: str) -> pd.Categorical:
    edges = real_array(list(bins), name="recency_bins")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InvalidValueError(
            f"recency_bins={edges.tolist()!r} must be at least two increasing bin edges, "
            "e.g. [0, 13, 26, 39] (weeks)."
        )
    outside = (values < edges[0]) | (values > edges[-1])
    if outside.any():
        raise InvalidValueError(
            f"{int(outside.sum())} customer(s) have {col} outside the recency_bins "
            f"[{edges[0]}, {edges[-1]}] (e.g. {values[outside][0]}); widen the first or last "
            "edge."
        )
    # bins [e0, e1), [e1, e2), ...: a value on the last edge joins the last bin
    inside = np.where(values == edges[-1], np.nextafter(edges[-1], -np.inf), values)
    binned: pd.Categorical = pd.cut(inside.astype(np.float64), edges.tolist(), right=False)
    return binned


def holdout_by_frequency(
    model: Any,
    calibration_holdout: pd.DataFrame,
    *,
    max_frequency: int = 7,
    recency_bins: Sequence[float] | None = None,
    frequency_col: str = cols.FREQUENCY,
    recency_col: str = cols.RECENCY,
    T_col: str = cols.T,
    frequency_holdout_col: str = cols.FREQUENCY_HOLDOUT,
    duration_holdout_col: str = cols.DURATION_HOLDOUT,
) -> HoldoutByFrequency:
    """Mean actual versus predicted holdout purchases, by calibration frequency.

    Customer *i* with calibration history :math:`(x_i, t_{x,i}, T_i)`, holdout length
    :math:`t^*_i` and :math:`y_i` holdout purchases is predicted
    :math:`\\hat y_i = E[X(T_i, T_i + t^*_i) \\mid x_i, t_{x,i}, T_i]` (the model's
    ``conditional_expected_purchases``). For each group
    :math:`G_k = \\{i : x_i = k\\}`, :math:`k < K`, and the pooled
    :math:`G_K = \\{i : x_i \\ge K\\}` the table gives :math:`|G_k|`,
    :math:`\\bar y_k`, :math:`\\bar{\\hat y}_k` and :math:`\\bar{\\hat y}_k - \\bar y_k`:
    Fader, Hardie & Lee (2005), Figure 4, with :math:`K = 7`.

    Parameters
    ----------
    model : purchase model or FitResult
        Fitted on the calibration period (any model with
        ``conditional_expected_purchases(summary, *, t)``, or its
        :class:`~crmkit.clv.FitResult`).
    calibration_holdout : pandas.DataFrame
        One row per customer: the calibration summary (frequency, recency, T) and the
        holdout purchases and duration, as :func:`crmkit.calibration_and_holdout`
        returns, or a precomputed frame with the same columns under other names
        (lifetimes' ``calibration_and_holdout_data`` output: ``frequency_col=
        "frequency_cal"``, ``recency_col="recency_cal"``, ``T_col="T_cal"``). For BG/BB,
        ``T_col`` is the number of opportunities (``n_periods``) and durations are whole.
    max_frequency : int, default 7
        The last, pooled group: ``"7+"`` (>= 1).
    recency_bins : sequence of float, optional
        Bin edges of recency (in the model's time unit), e.g. ``[0, 13, 26, 39.01]``;
        bins are ``[e0, e1), [e1, e2), ...`` with the last edge included. Adds
        ``.by_recency``, grouped by frequency and recency bin.
    frequency_col, recency_col, T_col, frequency_holdout_col, duration_holdout_col : str
        Column names in ``calibration_holdout``.

    Returns
    -------
    HoldoutByFrequency
        ``.table`` indexed by ``frequency`` (``"0"`` ... ``"7+"``, groups without
        customers left out): ``n_customers``, ``actual``, ``predicted``, ``difference``.

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For missing, negative or fractional frequencies, negative holdout counts or
        durations, recency outside ``recency_bins``, a bad ``max_frequency``, or a model
        without ``conditional_expected_purchases`` (and the model's own summary checks).

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2),
      275-284 (Figure 4).
    - lifetimes 0.11.3, ``lifetimes.plotting.plot_calibration_purchases_vs_holdout_purchases``.

    Examples
    --------
    The CDNOW sample, 39 weeks of calibration and 39 of holdout, with the BG/NBD
    estimates of FHL (2005):

    >>> from crmkit.clv import BetaGeo
    >>> from crmkit.datasets import load_cdnow_summary
    >>> bg = BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259)
    >>> tab = holdout_by_frequency(bg, load_cdnow_summary()).table
    >>> tab.round(2)
               n_customers  actual  predicted  difference
    frequency
    0                 1411    0.24       0.23       -0.01
    1                  439    0.70       0.52       -0.17
    2                  214    1.39       1.04       -0.35
    3                  100    1.56       1.52       -0.04
    4                   62    2.53       2.16       -0.37
    5                   38    2.95       2.65       -0.29
    6                   29    3.86       3.50       -0.36
    7+                  64    6.36       6.16       -0.20
    """
    if isinstance(model, FitResult):
        model = model.model
    if not callable(getattr(model, "conditional_expected_purchases", None)):
        raise InvalidValueError(
            f"{type(model).__name__} has no conditional_expected_purchases() method, which "
            "holdout_by_frequency needs; pass a purchase model or its FitResult."
        )
    top = check_whole(max_frequency, name="max_frequency", low=1, high=10**6)
    needed = [frequency_col, recency_col, T_col, frequency_holdout_col, duration_holdout_col]
    require_columns(calibration_holdout, needed)
    require_nonempty(calibration_holdout, name="the calibration/holdout frame")
    for c in needed:
        check_numeric_column(calibration_holdout, c)
    handle_nan(calibration_holdout, needed, "raise")
    x = calibration_holdout[frequency_col].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(x) | (x < 0) | (np.abs(x - np.round(x)) > 1e-9)
    if bad.any():
        raise InvalidValueError(
            f"column {frequency_col!r} must hold whole numbers of repeat purchases >= 0; got "
            f"{x[bad][:3].tolist()}."
        )
    length = cols.N_PERIODS if isinstance(model, BetaGeoBetaBinom) else cols.T
    frame = pd.DataFrame(
        {
            cols.FREQUENCY: x,
            cols.RECENCY: calibration_holdout[recency_col].to_numpy(dtype=np.float64),
            length: calibration_holdout[T_col].to_numpy(dtype=np.float64),
            cols.FREQUENCY_HOLDOUT: calibration_holdout[frequency_holdout_col].to_numpy(
                dtype=np.float64
            ),
            cols.DURATION_HOLDOUT: calibration_holdout[duration_holdout_col].to_numpy(
                dtype=np.float64
            ),
        },
        index=calibration_holdout.index,
    )
    frame.attrs = dict(calibration_holdout.attrs)
    scored = evaluate_holdout(model, frame)
    per_customer = pd.DataFrame(
        {
            cols.FREQUENCY: _group_labels(x, top),
            "actual": scored.per_customer["actual"].to_numpy(),
            "predicted": scored.per_customer["predicted"].to_numpy(),
        },
        index=calibration_holdout.index,
    )
    by_recency = None
    if recency_bins is not None:
        recency = frame[cols.RECENCY].to_numpy(dtype=np.float64)
        binned = per_customer.assign(
            **{cols.RECENCY: _recency_bins(recency, recency_bins, recency_col)}
        )
        by_recency = _means(binned, [cols.FREQUENCY, cols.RECENCY])
    return HoldoutByFrequency(
        table=_means(per_customer, [cols.FREQUENCY]),
        by_recency=by_recency,
        per_customer=per_customer.assign(
            **{cols.FREQUENCY: per_customer[cols.FREQUENCY].astype(str)}
        ),
        max_frequency=top,
        model=model,
    )
