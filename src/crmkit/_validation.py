"""Input checks used at every public boundary.

These helpers raise :mod:`crmkit.exceptions` errors whose messages name the
column or argument, show the offending value and say what to do. They never
modify their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit.exceptions import InvalidValueError, MissingColumnsError

__all__ = [
    "NanPolicy",
    "check_datetime_column",
    "check_finite",
    "check_in_range",
    "check_nan_policy",
    "check_numeric_column",
    "check_probability",
    "check_unique_index",
    "handle_nan",
    "require_columns",
    "require_nonempty",
]

NanPolicy: TypeAlias = Literal["raise", "omit", "propagate"]
"""How to treat missing values: ``"raise"`` (default everywhere) raises an error naming
the column and the first offending rows; ``"omit"`` drops those rows explicitly;
``"propagate"`` lets NaN flow through to the result."""

_NAN_POLICIES: tuple[str, ...] = ("raise", "omit", "propagate")


def _preview(values: Sequence[Any] | pd.Index[Any], limit: int = 5) -> str:
    shown = [repr(v) for v in list(values)[:limit]]
    more = len(values) - limit
    return "[" + ", ".join(shown) + (f", ... ({more} more)" if more > 0 else "") + "]"


def require_columns(
    frame: pd.DataFrame,
    columns: Iterable[str],
    *,
    hint: str | None = None,
) -> None:
    """Raise :class:`~crmkit.exceptions.MissingColumnsError` listing *every* absent column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to check.
    columns : iterable of str
        Required column names.
    hint : str, optional
        What the caller should do, appended to the message.

    Raises
    ------
    InvalidValueError
        If ``frame`` is not a DataFrame.
    MissingColumnsError
        If any required column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1], "b": [2]}), ["a", "b"])
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    crmkit.exceptions.MissingColumnsError: missing column(s) ['b', 'c']; ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(
            f"expected a pandas DataFrame, got {type(frame).__name__}; "
            "build one with pandas.DataFrame(...) or pandas.read_csv(...)."
        )
    wanted = list(dict.fromkeys(columns))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, available=frame.columns, hint=hint)


def require_nonempty(frame: pd.DataFrame | pd.Series[Any], *, name: str = "data") -> None:
    """Raise :class:`~crmkit.exceptions.InvalidValueError` if ``frame`` has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> require_nonempty(pd.DataFrame({"a": []}), name="transactions")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: transactions is empty (0 rows); ...
    """
    if len(frame) == 0:
        raise InvalidValueError(f"{name} is empty (0 rows); pass at least one row.")


def check_nan_policy(nan_policy: str) -> NanPolicy:
    """Validate a ``nan_policy`` argument and return it typed.

    Examples
    --------
    >>> check_nan_policy("omit")
    'omit'
    >>> check_nan_policy("drop")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: nan_policy='drop' is not one of ...
    """
    if nan_policy not in _NAN_POLICIES:
        raise InvalidValueError(
            f"nan_policy={nan_policy!r} is not one of {list(_NAN_POLICIES)}; "
            "use 'raise' (default), 'omit' or 'propagate'."
        )
    return nan_policy  # type: ignore[return-value]  # narrowed by the membership test


def handle_nan(
    frame: pd.DataFrame,
    columns: Iterable[str],
    nan_policy: str = "raise",
) -> pd.DataFrame:
    """Apply ``nan_policy`` to missing values in ``columns``.

    Returns the frame itself when nothing is missing or the policy is
    ``"propagate"``, or a filtered copy for ``"omit"``; never modifies the input.

    Raises
    ------
    InvalidValueError
        With ``nan_policy="raise"`` if any listed column holds NaN/NaT/None,
        naming the column, the count and the first offending index labels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, None, 3.0]})
    >>> len(handle_nan(df, ["x"], "omit"))
    2
    >>> handle_nan(df, ["x"])
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: column 'x' has 1 missing value(s) at index [1]; ...
    """
    policy = check_nan_policy(nan_policy)
    cols = list(columns)
    if policy == "propagate" or not cols:
        return frame
    isna = frame[cols].isna()
    if not bool(isna.to_numpy().any()):
        return frame
    if policy == "omit":
        return frame.loc[~isna.any(axis=1).to_numpy()]
    for col in cols:
        bad = isna[col].to_numpy()
        if bad.any():
            raise InvalidValueError(
                f"column {col!r} has {int(bad.sum())} missing value(s) at index "
                f"{_preview(frame.index[bad])}; fill or drop them first, or pass "
                "nan_policy='omit' to drop those rows explicitly."
            )
    return frame  # pragma: no cover - loop above always raises


def check_numeric_column(frame: pd.DataFrame, column: str) -> None:
    """Raise if ``frame[column]`` is not a real numeric (non-boolean) dtype.

    Examples
    --------
    >>> import pandas as pd
    >>> check_numeric_column(pd.DataFrame({"amount": ["1.5"]}), "amount")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: column 'amount' must be numeric, got dtype ...
    """
    dtype = frame[column].dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise InvalidValueError(
            f"column {column!r} must be numeric, got dtype {dtype} "
            f"(first values {_preview(frame[column].head().tolist())}); convert it with "
            "pandas.to_numeric(...)."
        )


def check_datetime_column(frame: pd.DataFrame, column: str) -> None:
    """Raise if ``frame[column]`` is not a ``datetime64`` dtype (naive or tz-aware).

    Examples
    --------
    >>> import pandas as pd
    >>> check_datetime_column(pd.DataFrame({"date": ["2024-01-01"]}), "date")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: column 'date' must be datetime64, got dtype ...
    """
    dtype = frame[column].dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        raise InvalidValueError(
            f"column {column!r} must be datetime64, got dtype {dtype} "
            f"(first values {_preview(frame[column].head().tolist())}); convert it with "
            "pandas.to_datetime(...), giving format= for non-ISO strings."
        )


def check_finite(values: ArrayLike, *, name: str) -> NDArray[np.float64]:
    """Return ``values`` as a float array, raising if any entry is NaN or infinite.

    Examples
    --------
    >>> check_finite([1, 2], name="x")
    array([1., 2.])
    >>> check_finite([1, float("inf")], name="x")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: x has 1 non-finite value(s) at position(s) [1]; ...
    """
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = np.flatnonzero(bad.ravel())
        raise InvalidValueError(
            f"{name} has {pos.size} non-finite value(s) at position(s) "
            f"{_preview(pos.tolist())}; remove or fill NaN/inf values first."
        )
    return arr


def check_in_range(
    value: float,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as float if it lies in the interval, else raise.

    Examples
    --------
    >>> check_in_range(0.5, name="share", low=0, high=1)
    0.5
    >>> check_in_range(-1, name="discount_rate", low=-1, low_inclusive=False)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: discount_rate=-1 is out of range: must be > -1.
    """
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name}={value!r} is not a number; pass a real number.") from exc
    if not np.isfinite(v):
        raise InvalidValueError(f"{name}={value!r} must be finite.")
    parts = []
    ok = True
    if low is not None:
        ok &= v >= low if low_inclusive else v > low
        parts.append(f"{'>=' if low_inclusive else '>'} {low:g}")
    if high is not None:
        ok &= v <= high if high_inclusive else v < high
        parts.append(f"{'<=' if high_inclusive else '<'} {high:g}")
    if not ok:
        raise InvalidValueError(
            f"{name}={value!r} is out of range: must be {' and '.join(parts)}."
        )
    return v


def check_probability(value: float, *, name: str) -> float:
    """Return ``value`` if it lies in [0, 1], else raise.

    Examples
    --------
    >>> check_probability(1.2, name="p")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: p=1.2 is out of range: must be >= 0 and <= 1.
    """
    return check_in_range(value, name=name, low=0.0, high=1.0)


def check_unique_index(frame: pd.DataFrame | pd.Series[Any], *, name: str = "index") -> None:
    """Raise if the index of ``frame`` has duplicated labels.

    Examples
    --------
    >>> import pandas as pd
    >>> check_unique_index(pd.Series([1, 2], index=["a", "a"]), name="customer_id")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: customer_id has 1 duplicated label(s): ['a']; ...
    """
    dup = frame.index.duplicated()
    if dup.any():
        labels = frame.index[dup].unique()
        raise InvalidValueError(
            f"{name} has {len(labels)} duplicated label(s): {_preview(labels)}; "
            "aggregate or de-duplicate before calling."
        )
