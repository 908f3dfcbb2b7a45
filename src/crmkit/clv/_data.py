"""Validation and extraction of per-customer summaries for the CLV models.

Every model that reads a recency/frequency summary goes through
:func:`summary_arrays`, so the same bad input gets the same clear error everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit import columns as cols
from crmkit._validation import (
    NanPolicy,
    check_nan_policy,
    check_numeric_column,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.clv._checks import labels_of
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = ["SummaryArrays", "as_summary_frame", "summary_arrays"]

_TOL = 1e-9
_CHECK_BLOCK = 1 << 16  # rows per block of the fast checks


@attrs.frozen(kw_only=True)
class SummaryArrays:
    """Validated float arrays of a recency/frequency summary, aligned with ``index``."""

    frequency: NDArray[np.float64] = attrs.field(eq=False)
    recency: NDArray[np.float64] = attrs.field(eq=False)
    T: NDArray[np.float64] = attrs.field(eq=False)
    weights: NDArray[np.float64] = attrs.field(eq=False)
    index: pd.Index = attrs.field(eq=False)

    @property
    def n_customers(self) -> float:
        """Number of customers represented (sum of weights)."""
        return float(self.weights.sum())


def as_summary_frame(summary: Any, needed: Sequence[str], *, family: str = "model") -> Any:
    """Return one customer's row (a Series) as a one-row frame; anything else unchanged.

    ``summary.loc[customer]`` or ``summary.iloc[i]`` is a Series whose index holds the
    column names and whose name is the customer's label; the frame keeps that label as
    its index (a Series row carries no index name), so predictions come back indexed by
    the customer.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]},
    ...     index=pd.Index(["a", "b"], name="customer_id"),
    ... )
    >>> as_summary_frame(s.loc["a"], ["frequency", "recency", "T"])
       frequency  recency      T
    a        2.0    30.43  38.86
    """
    if not isinstance(summary, pd.Series):
        return summary
    missing = [c for c in needed if c not in summary.index]
    if missing:
        shown = [str(v) for v in summary.index[:6]]
        raise InvalidValueError(
            f"{family}: got a Series (name {summary.name!r}, index {shown}) where a summary "
            f"is expected; it lacks the entries {missing}. Pass the summary DataFrame, or "
            "one customer's row of it (summary.loc[customer] or summary.iloc[i])."
        )
    frame = pd.DataFrame(
        [summary.to_numpy()],
        columns=summary.index,
        index=pd.Index([summary.name]),
    ).infer_objects()
    return frame


def summary_arrays(
    summary: pd.DataFrame,
    *,
    frequency_col: str = cols.FREQUENCY,
    recency_col: str = cols.RECENCY,
    T_col: str = cols.T,
    weights_col: str | None = None,
    nan_policy: NanPolicy = "raise",
    family: str = "model",
    integer_frequency: bool = True,
) -> SummaryArrays:
    """Check a recency/frequency summary and return its columns as float arrays.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (or per distinct history when ``weights_col`` is given).
    frequency_col, recency_col, T_col : str
        Column names of *x*, *t_x* and *T*.
    weights_col : str, optional
        Column of non-negative integer counts of customers per row.
    nan_policy : {"raise", "omit", "propagate"}
        Missing values are refused by default; ``"omit"`` drops those rows.
        ``"propagate"`` is not meaningful for model fitting and is refused.
    family : str
        Model name used in messages.
    integer_frequency : bool
        Require whole-number frequencies (True for all counting models).

    Raises
    ------
    MissingColumnsError
        If a column is absent (all absent columns are listed).
    InvalidValueError
        For an empty frame, non-numeric columns, NaN/inf, negative values or
        non-integer frequencies.
    InvariantError
        If ``recency > T`` or ``recency > 0`` while ``frequency == 0``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
    >>> summary_arrays(s).frequency
    array([2., 0.])
    >>> bad = pd.DataFrame({"frequency": [1], "recency": [40.0], "T": [38.0]})
    >>> summary_arrays(bad, family="BG/NBD")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvariantError: BG/NBD: recency > T for 1 customer(s) at index [0] ...
    """
    needed = [frequency_col, recency_col, T_col] + (
        [weights_col] if weights_col is not None else []
    )
    summary = as_summary_frame(summary, needed, family=family)
    require_columns(summary, needed)
    require_nonempty(summary, name=f"the {family} summary")
    if check_nan_policy(nan_policy) == "propagate":
        raise InvalidValueError(
            f"nan_policy='propagate' cannot be used to fit {family}; use 'raise' or 'omit'."
        )
    for col in needed:
        check_numeric_column(summary, col)
    fast = _clean_arrays(summary, needed, weights_col is not None, integer_frequency)
    if fast is not None:
        return fast
    frame = handle_nan(summary, needed, nan_policy)
    require_nonempty(frame, name=f"the {family} summary after dropping missing values")
    x = frame[frequency_col].to_numpy(dtype=np.float64)
    tx = frame[recency_col].to_numpy(dtype=np.float64)
    T = frame[T_col].to_numpy(dtype=np.float64)
    w = (
        frame[weights_col].to_numpy(dtype=np.float64)
        if weights_col is not None
        else _unit_weights(x.size)
    )
    for name, arr in ((frequency_col, x), (recency_col, tx), (T_col, T), ("weights", w)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise InvalidValueError(
                f"{family}: column {name!r} has {int(bad.sum())} negative or infinite "
                f"value(s) at index {labels_of(frame.index, bad)}; all values must be finite "
                "and >= 0."
            )
    if integer_frequency:
        frac = np.abs(x - np.round(x)) > _TOL
        if frac.any():
            raise InvalidValueError(
                f"{family}: column {frequency_col!r} must hold whole numbers of repeat "
                f"purchases; got {x[frac][:3].tolist()} at index {labels_of(frame.index, frac)}."
            )
        x = np.round(x)
    over = tx > T + _TOL * np.maximum(1.0, T)
    if over.any():
        raise InvariantError(
            f"{family}: recency > T for {int(over.sum())} customer(s) at index "
            f"{labels_of(frame.index, over)} (recency {tx[over][:3].tolist()}, "
            f"T {T[over][:3].tolist()}); "
            "recency is the time from the first to the last purchase and cannot exceed T. "
            "Recompute the summary with crmkit.rfm_summary."
        )
    ghost = (x == 0) & (tx > _TOL)
    if ghost.any():
        raise InvariantError(
            f"{family}: {int(ghost.sum())} customer(s) at index "
            f"{labels_of(frame.index, ghost)} have "
            "frequency 0 but recency > 0; with no repeat purchase recency must be 0."
        )
    return SummaryArrays(frequency=x, recency=tx, T=T, weights=w, index=frame.index)


def _clean_arrays(
    summary: pd.DataFrame, needed: Sequence[str], weighted: bool, integer_frequency: bool
) -> SummaryArrays | None:
    """The arrays of a summary that passes every check, by a few whole-array reductions.

    Returns None when any check might fail (or a column is not a plain numpy dtype); the
    caller then runs the detailed checks, which name the offending rows. Finite,
    non-negative values are recognised by their minimum and maximum (a NaN makes both
    comparisons false; ``T >= recency >= 0`` needs no minimum of T), ``recency <= T``
    exactly and no recency without a purchase. The checks run block by block, so the
    temporaries stay in the processor cache and large clean summaries cost a few array
    passes.
    """
    if not all(isinstance(summary[c].dtype, np.dtype) for c in needed):
        return None
    arrays = [summary[c].to_numpy(dtype=np.float64) for c in needed]
    x, tx, T = arrays[:3]
    w = arrays[3] if weighted else None
    if w is not None and not (float(w.min()) >= 0.0 and float(w.max()) < np.inf):
        return None
    if not (
        float(x.min()) >= 0.0
        and float(x.max()) < np.inf
        and float(tx.min()) >= 0.0
        and float(T.max()) < np.inf
    ):
        return None
    n = x.size
    step = min(n, _CHECK_BLOCK)
    buf = np.empty(step)
    flags = np.empty(step, dtype=bool)
    for start in range(0, n, step):
        sl = slice(start, start + step)
        xs, txs = x[sl], tx[sl]
        fb, bb = flags[: xs.size], buf[: xs.size]
        if integer_frequency:
            np.floor(xs, out=bb)
            np.equal(bb, xs, out=fb)
            if not fb.all():
                return None
        np.less_equal(txs, T[sl], out=fb)  # also False where T is NaN
        if not fb.all():
            return None
        # recency of customers without a repeat purchase (0 elsewhere) must be ~0
        np.equal(xs, 0.0, out=fb)
        np.multiply(txs, fb, out=bb)
        if float(bb.max()) > _TOL:
            return None
    return SummaryArrays(
        frequency=x,
        recency=tx,
        T=T,
        weights=w if w is not None else _unit_weights(n),
        index=summary.index,
    )


def _unit_weights(n: int) -> NDArray[np.float64]:
    """Weight 1 for each of ``n`` rows: a read-only view of one number (no 8 n bytes)."""
    return np.broadcast_to(np.float64(1.0), (n,))
