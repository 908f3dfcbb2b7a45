"""Complaint metrics per product/service code: complaint rate and time to resolution.

The source makes "counting complaints per product or service" one of the reasons every
product and service needs a unique code. These functions take a plain DataFrame of
complaints, one row per complaint, with these columns (names are module constants):

==================  =========================================================
column              meaning
==================  =========================================================
``complaint_id``    unique identifier of the complaint (:data:`COMPLAINT_ID`)
``code``            product or service code complained about (:data:`CODE`)
``received_at``     datetime64 when the complaint was received (:data:`RECEIVED_AT`)
``resolved_at``     datetime64 when it was resolved; NaT while open (:data:`RESOLVED_AT`)
==================  =========================================================

Other columns (customer, channel, stage, ...) are allowed and ignored.

The long frame of :func:`crmkit.domain.complaints_to_frame` (one row per response step:
``complaint_id``, ``item_code``, ``step``, ``stage``, ``datetime``) is accepted as it is:
:func:`complaints_from_steps` turns it into this shape (``code`` = ``item_code``,
``received_at`` = the time of step 0, ``resolved_at`` = the latest ``resolved`` step of a
complaint whose current stage is resolved or closed, NaT while open, reopened included)
and both functions apply it to a frame that has those columns and no ``code`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmkit._dates import check_datetime_column
from crmkit._durations import DurationUnit, check_duration_unit, duration
from crmkit._validation import check_finite, handle_nan, require_columns, require_nonempty
from crmkit.exceptions import InvalidValueError, InvariantError
from crmkit.metrics._checks import labelled_values

__all__ = [
    "CODE",
    "COMPLAINT_ID",
    "RECEIVED_AT",
    "RESOLVED_AT",
    "complaint_rate",
    "complaints_from_steps",
    "time_to_resolution",
]

COMPLAINT_ID = "complaint_id"
"""Column with the complaint's unique identifier."""
CODE = "code"
"""Column with the product or service code complained about."""
RECEIVED_AT = "received_at"
"""Column with the datetime the complaint was received."""
RESOLVED_AT = "resolved_at"
"""Column with the datetime the complaint was resolved (NaT while open)."""


_DOMAIN_COLUMNS = (COMPLAINT_ID, "item_code", "step", "stage", "datetime")
_DONE = ("resolved", "closed")


def _is_domain_frame(complaints: Any) -> bool:
    return (
        isinstance(complaints, pd.DataFrame)
        and CODE not in complaints.columns
        and all(c in complaints.columns for c in _DOMAIN_COLUMNS)
    )


def complaints_from_steps(complaints: pd.DataFrame) -> pd.DataFrame:
    """One row per complaint from :func:`crmkit.domain.complaints_to_frame`'s long frame.

    Columns :data:`COMPLAINT_ID`, :data:`CODE` (the ``item_code``), :data:`RECEIVED_AT`
    (the time of step 0), :data:`RESOLVED_AT` (the latest ``resolved`` step of a complaint
    whose current stage is ``resolved`` or ``closed``; NaT while open) and ``stage`` (the
    current stage), in order of first appearance. Timestamps keep the frame's zone.

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing columns, or a missing complaint id, item code, step or time.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2024-01-01 09:00", "2024-01-01 12:00"]).tz_localize("UTC")
    >>> f = pd.DataFrame(
    ...     {
    ...         "complaint_id": "K1",
    ...         "item_code": "P1",
    ...         "step": [0, 1],
    ...         "stage": ["received", "resolved"],
    ...         "datetime": t,
    ...     }
    ... )
    >>> complaints_from_steps(f)[["code", "resolved_at"]].values.tolist()
    [['P1', Timestamp('2024-01-01 12:00:00+0000', tz='UTC')]]
    """
    if not isinstance(complaints, pd.DataFrame):
        raise InvalidValueError(f"complaints={complaints!r:.60} must be a pandas DataFrame.")
    require_columns(
        complaints,
        list(_DOMAIN_COLUMNS),
        hint="Pass the frame of crmkit.domain.complaints_to_frame (one row per step).",
    )
    require_nonempty(complaints, name="complaints")
    handle_nan(complaints, list(_DOMAIN_COLUMNS))
    check_datetime_column(complaints, "datetime")
    if not pd.api.types.is_integer_dtype(complaints["step"]):
        raise InvalidValueError(
            f"column 'step' has dtype {complaints['step'].dtype}; it numbers each "
            "complaint's steps 0, 1, 2, ... as whole numbers (int64, as complaints_to_frame "
            "writes it): convert it with astype('int64') first."
        )
    try:
        f = complaints.sort_values([COMPLAINT_ID, "step"], kind="stable")
    except TypeError as exc:
        raise InvalidValueError(
            f"column {COMPLAINT_ID!r} mixes value types ({exc}); complaint ids are text."
        ) from None
    g = f.groupby(COMPLAINT_ID, sort=False)
    first = g.head(1).set_index(COMPLAINT_ID)
    last = g.tail(1).set_index(COMPLAINT_ID)
    resolved = f[f["stage"] == "resolved"].groupby(COMPLAINT_ID, sort=False)["datetime"].max()
    order = list(pd.unique(complaints[COMPLAINT_ID]))
    done = last["stage"].isin(_DONE)
    resolved_at = resolved.reindex(last.index).where(done)
    out = pd.DataFrame(
        {
            CODE: last["item_code"],
            RECEIVED_AT: first["datetime"].reindex(last.index),
            RESOLVED_AT: resolved_at,
            "stage": last["stage"],
        },
        index=last.index,
    )
    return out.loc[order].reset_index()


def _check(complaints: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    require_columns(
        complaints,
        columns,
        hint="Rename your columns to crmkit.metrics.complaints' CODE, RECEIVED_AT, ... names.",
    )
    require_nonempty(complaints, name="complaints")
    frame = handle_nan(complaints, [c for c in columns if c != RESOLVED_AT])
    if COMPLAINT_ID in frame.columns and frame[COMPLAINT_ID].duplicated().any():
        dup = frame.loc[frame[COMPLAINT_ID].duplicated(), COMPLAINT_ID].head().tolist()
        raise InvalidValueError(
            f"{COMPLAINT_ID!r} has duplicated values {dup}; each complaint must appear once."
        )
    return frame


def complaint_rate(
    complaints: pd.DataFrame, *, sales: Mapping[str, float] | pd.Series[Any] | None = None
) -> pd.DataFrame:
    r"""Complaints per product/service code, as a share and (given sales) a rate.

    .. math::

        \mathrm{share}_j = \frac{K_j}{\sum_i K_i}, \qquad
        \mathrm{rate}_j = \frac{K_j}{Q_j}

    where :math:`K_j` counts complaints about code :math:`j` and :math:`Q_j` its units
    sold (or orders, or customers served) in the **same period** as the complaints.

    Parameters
    ----------
    complaints : pandas.DataFrame
        One row per complaint with column :data:`CODE` (see the module docstring), or
        the long frame of :func:`crmkit.domain.complaints_to_frame`.
    sales : mapping or pandas.Series, optional
        Units sold per code in the same period, > 0. Codes sold without complaints get
        0; a complained-about code missing from ``sales`` raises.

    Returns
    -------
    pandas.DataFrame
        Indexed by code, most complaints first; columns ``complaints``, ``share`` and,
        with ``sales``, ``sales`` and ``rate`` (complaints per unit sold).

    Raises
    ------
    MissingColumnsError, InvalidValueError
        Missing column, NaN code, duplicated ``complaint_id``, no rows, bad sales.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"code": ["P1", "P1", "S7"]})
    >>> complaint_rate(c, sales={"P1": 100, "S7": 50, "P2": 10})
        complaints     share  sales  rate
    P1           2  0.666667  100.0  0.02
    S7           1  0.333333   50.0  0.02
    P2           0  0.000000   10.0  0.00
    """
    if _is_domain_frame(complaints):
        complaints = complaints_from_steps(complaints)
    frame = _check(complaints, [CODE])
    counts = frame[CODE].value_counts(sort=False)
    if sales is None:
        out = pd.DataFrame({"complaints": counts})
    else:
        q = labelled_values(sales, name="sales")
        check_finite(q.to_numpy(), name="sales")
        if q.empty or np.any(q.to_numpy() <= 0):
            raise InvalidValueError("sales must be a non-empty mapping of code -> units > 0.")
        unknown = sorted(map(str, set(counts.index) - set(q.index)))
        if unknown:
            raise InvalidValueError(
                f"complaints mention code(s) {unknown[:5]} that have no sales figure; add "
                "their units sold to sales= (complaint rates need a denominator)."
            )
        out = pd.DataFrame({"complaints": counts.reindex(q.index, fill_value=0)})
        out["sales"] = q
    out["complaints"] = out["complaints"].astype(np.int64)
    out.insert(1, "share", out["complaints"] / int(counts.sum()))
    if sales is not None:
        out["rate"] = out["complaints"] / out["sales"]
    out.index.name = None
    return out.sort_values("complaints", ascending=False, kind="stable")


def time_to_resolution(complaints: pd.DataFrame, *, time_unit: DurationUnit = "D") -> pd.DataFrame:
    r"""Mean and median time to resolution per product/service code, with open counts.

    .. math::

        \overline{T}_j = \frac{1}{n^{\text{res}}_j}
            \sum_{i \in j,\ \text{resolved}} (t^{\text{resolved}}_i - t^{\text{received}}_i)

    Open complaints (NaT in :data:`RESOLVED_AT`) are not part of the mean (their duration
    is unknown) but are counted in ``open``, so a backlog is never hidden.

    Parameters
    ----------
    complaints : pandas.DataFrame
        With :data:`CODE`, :data:`RECEIVED_AT` and :data:`RESOLVED_AT` (datetime64), or
        the long frame of :func:`crmkit.domain.complaints_to_frame` (read through
        :func:`complaints_from_steps`).
    time_unit : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Unit of the durations: ``"h"`` exact hours; the others exact and
        calendar-aware, see :mod:`crmkit.timeunits`.

    Returns
    -------
    pandas.DataFrame
        Indexed by code; columns ``complaints``, ``resolved``, ``open``,
        ``mean_time_to_resolution`` and ``median_time_to_resolution`` (in ``time_unit``;
        NaN for a code with no resolved complaint).

    Raises
    ------
    MissingColumnsError, InvalidValueError, InvariantError
        Missing columns, NaN code or receipt date, non-datetime columns, unknown unit, or
        a complaint resolved before it was received.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame(
    ...     {
    ...         "code": ["P1", "P1", "S7"],
    ...         "received_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05"]),
    ...         "resolved_at": pd.to_datetime(["2024-01-03", "2024-01-07", None]),
    ...     }
    ... )
    >>> out = time_to_resolution(c)
    >>> out[["complaints", "resolved", "open"]]
        complaints  resolved  open
    P1           2         2     0
    S7           1         0     1
    >>> out["mean_time_to_resolution"].tolist()
    [3.0, nan]
    >>> time_to_resolution(c, time_unit="h")["mean_time_to_resolution"].tolist()
    [72.0, nan]
    """
    unit = check_duration_unit(time_unit, "time_unit")
    if _is_domain_frame(complaints):
        complaints = complaints_from_steps(complaints)
    frame = _check(complaints, [CODE, RECEIVED_AT, RESOLVED_AT])
    check_datetime_column(frame, RECEIVED_AT)
    check_datetime_column(frame, RESOLVED_AT)
    done = frame[RESOLVED_AT].notna().to_numpy()
    durations = np.full(len(frame), np.nan)
    if done.any():
        d = np.asarray(
            duration(
                frame.loc[done, RECEIVED_AT].to_numpy(),
                frame.loc[done, RESOLVED_AT].to_numpy(),
                unit,
            ),
            dtype=np.float64,
        )
        if np.any(d < 0):
            bad = frame.index[done][d < 0][:5].tolist()
            raise InvariantError(
                f"{int(np.sum(d < 0))} complaint(s) resolved before received (rows {bad}); "
                f"fix {RECEIVED_AT!r}/{RESOLVED_AT!r}."
            )
        durations[done] = d
    work = pd.DataFrame(
        {"code": frame[CODE].to_numpy(), "d": durations, "done": done.astype(np.int64)}
    )
    g = work.groupby("code", sort=True)
    out = pd.DataFrame(
        {
            "complaints": g.size(),
            "resolved": g["done"].sum(),
            "mean_time_to_resolution": g["d"].mean(),
            "median_time_to_resolution": g["d"].median(),
        }
    )
    out.insert(2, "open", out["complaints"] - out["resolved"])
    out.index.name = None
    return out
