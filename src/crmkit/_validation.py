"""Input checks used at every public boundary.

These helpers raise :mod:`crmkit.exceptions` errors whose messages name the
column or argument, show the offending value and say what to do. They never
modify their inputs.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit.exceptions import InvalidValueError, MissingColumnsError

__all__ = [
    "NanPolicy",
    "as_generator",
    "check_callable",
    "check_finite",
    "check_in_range",
    "check_nan_policy",
    "check_numeric_column",
    "check_option",
    "check_probability",
    "check_text",
    "check_unique_index",
    "check_whole",
    "handle_nan",
    "items_of",
    "optional_column",
    "preview",
    "require_columns",
    "require_frame",
    "require_nonempty",
    "require_series",
    "text_field",
    "with_unique_index",
]

NanPolicy: TypeAlias = Literal["raise", "omit", "propagate"]
"""How to treat missing values: ``"raise"`` (default everywhere) raises an error naming
the column and the first offending rows; ``"omit"`` drops those rows explicitly;
``"propagate"`` lets NaN flow through to the result."""

_NAN_POLICIES: tuple[str, ...] = ("raise", "omit", "propagate")


def preview(values: Sequence[Any] | pd.Index[Any], limit: int = 5) -> str:
    """The first ``limit`` values and how many more, for error messages.

    Examples
    --------
    >>> preview(["a", "b", "c"], limit=2)
    "['a', 'b', ... (1 more)]"
    """
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
    InvalidValueError
        If a required column name appears more than once.

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
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        columns = [columns]  # a single name given by mistake
    columns = list(columns)
    for c in columns:
        try:
            hash(c)
        except TypeError:
            raise InvalidValueError(
                f"{_short_repr(c)} is not a column name; pass the name of a column as a "
                "string (the *_col arguments take names, not data)."
            ) from None
    wanted = list(dict.fromkeys(columns))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, available=frame.columns, hint=hint)
    if not frame.columns.is_unique:
        dup = [c for c in wanted if int((frame.columns == c).sum()) > 1]
        if dup:
            raise InvalidValueError(
                f"column name(s) {dup} appear more than once in the frame; crmkit cannot "
                "tell which one you mean. Rename or drop the duplicates first "
                "(frame.loc[:, ~frame.columns.duplicated()])."
            )


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
    if not isinstance(frame, pd.DataFrame | pd.Series):
        raise InvalidValueError(
            f"{name} must be a pandas DataFrame or Series, got {type(frame).__name__}."
        )
    if len(frame) == 0:
        raise InvalidValueError(f"{name} is empty (0 rows); pass at least one row.")


def check_nan_policy(nan_policy: str, *, name: str = "nan_policy") -> NanPolicy:
    """Validate a ``nan_policy`` argument and return it typed (:func:`check_option`).

    Examples
    --------
    >>> check_nan_policy("omit")
    'omit'
    >>> check_nan_policy("drop")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: nan_policy='drop' is not one of ...
    """
    checked: NanPolicy = check_option(
        nan_policy, _NAN_POLICIES, name=name, hint="Use 'raise' (default), 'omit' or 'propagate'."
    )
    return checked


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
                f"{preview(frame.index[bad])}; fill or drop them first, or pass "
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
            f"(first values {preview(frame[column].head().tolist())}); convert it with "
            "pandas.to_numeric(...)."
        )


def _not_a_number(name: str, value: Any) -> InvalidValueError:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    if isinstance(value, str | bytes):
        fix = (
            "numeric strings are not converted (see the coercion policy in "
            "crmkit.exceptions); convert it yourself, e.g. float(value), or "
            "pandas.to_numeric(column) for a column read from text."
        )
    elif isinstance(value, bool | np.bool_):
        fix = "a flag is not a number; pass 0 or 1 if you mean a number."
    else:
        fix = "pass a real number (int or float)."
    return InvalidValueError(f"{name}={shown} is not a real number; {fix}")


def real_number(value: Any, *, name: str) -> float:
    """Return ``value`` as a float if it is a real number, else raise.

    The coercion policy (see :mod:`crmkit.exceptions`): ints, floats, numpy numbers and
    other :class:`numbers.Real` values are accepted; bools, strings (even ``"0.24"``),
    bytes, None, complex numbers and arrays are refused; an integer too large for a
    float (``10**400``) is refused too. NaN and infinities pass through: callers check
    the range.

    Examples
    --------
    >>> real_number(3, name="t")
    3.0
    >>> real_number("0.24", name="r")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: r='0.24' is not a real number; numeric strings are ...
    >>> real_number(True, name="t")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: t=True is not a real number; a flag is not a number; ...
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise _not_a_number(name, value)
    try:
        return float(value)
    except (OverflowError, TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{name}={_short_repr(value)} does not fit in a float (largest about 1.8e308); "
            "rescale it (e.g. to thousands) first."
        ) from exc


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def real_array(values: Any, *, name: str) -> NDArray[np.float64]:
    """Return ``values`` as a float64 array if every entry is a real number, else raise.

    The array form of :func:`real_number`: numeric dtypes pass; boolean, string, bytes,
    complex, datetime and object arrays holding anything but real numbers are refused,
    naming the first offending entries. NaN and infinities pass through.

    Examples
    --------
    >>> real_array([1, 2.5], name="cash_flows")
    array([1. , 2.5])
    >>> real_array(["-100", "50"], name="cash_flows")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: cash_flows holds 2 entry(ies) that are not real ...
    """
    if isinstance(values, str | bytes) or values is None:
        raise _not_a_number(name, values)
    if isinstance(values, pd.DataFrame):
        raise InvalidValueError(
            f"{name} must be a sequence or array of numbers, got a DataFrame; pass one "
            "column (frame['col'])."
        )
    try:
        # a list mixing bools or strings with numbers would be coerced by numpy
        arr = np.asarray(values, dtype=object if isinstance(values, list | tuple) else None)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidValueError(
            f"{name}={_short_repr(values)} is not an array of numbers ({exc}); pass a "
            "flat sequence or array of real numbers."
        ) from exc
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(np.float64, copy=False)
    if kind == "O":
        flat = arr.ravel()
        bad = np.fromiter(
            (isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real) for v in flat),
            dtype=bool,
            count=flat.size,
        )
        if not bad.any():
            try:
                return arr.astype(np.float64)
            except OverflowError as exc:
                raise InvalidValueError(
                    f"{name} holds a number too large for a float (largest about 1.8e308); "
                    "rescale it (e.g. to thousands) first."
                ) from exc
        shown = [flat[i] for i in np.flatnonzero(bad)[:5]]
        count = int(bad.sum())
    elif kind in "b":
        raise InvalidValueError(
            f"{name} is boolean; flags are not numbers. Convert with .astype(int) if you "
            "mean 0 and 1."
        )
    else:
        shown = arr.ravel()[:5].tolist()
        count = int(arr.size)
    raise InvalidValueError(
        f"{name} holds {count} entry(ies) that are not real numbers, e.g. "
        f"{preview(shown)} (dtype {arr.dtype}); numeric strings are not converted (see the "
        "coercion policy in crmkit.exceptions): convert with pandas.to_numeric(...) first."
    )


def check_text(value: Any, *, name: str, allow_empty: bool = True) -> str:
    """Return ``value`` if it is a string (non-blank unless ``allow_empty``), else raise.

    Text fields are not filled from ``str(value)``: ``None`` would become ``"None"``.

    Examples
    --------
    >>> check_text("retain", name="name")
    'retain'
    >>> check_text(None, name="name")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: name=None must be a string; ...
    """
    if not isinstance(value, str):
        raise InvalidValueError(
            f"{name}={_short_repr(value)} must be a string; got {type(value).__name__}."
        )
    if not allow_empty and not value.strip():
        raise InvalidValueError(f"{name} must be a non-empty string.")
    return value


def text_field(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: the field holds a string (see :func:`check_text`)."""
    check_text(value, name=f"{type(instance).__name__}.{attribute.name}")


def items_of(values: Any, *, name: str) -> list[Any]:
    """The elements of a collection (list, tuple, set, Series, array, iterator), or raise.

    A string, bytes, a mapping's keys are not taken as a collection by accident: strings
    and bytes, None and scalars are refused.

    Examples
    --------
    >>> items_of((1, 2), name="stages")
    [1, 2]
    >>> items_of(None, name="stages")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: stages=None must be a collection ...
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidValueError(
            f"{name}={_short_repr(values)} must be a collection (list, tuple, ...) of "
            f"items; got {type(values).__name__}."
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise InvalidValueError(f"{name} must be one-dimensional, got shape {values.shape}.")
    return list(values)


def check_whole(
    value: Any, *, name: str, low: float | None = None, high: float | None = None
) -> int:
    """Return ``value`` as an int if it is a whole real number in ``[low, high]``, else raise.

    ``3`` and ``3.0`` are accepted; ``3.5``, ``"3"``, ``True`` and NaN are refused.

    Examples
    --------
    >>> check_whole(3.0, name="k", low=1)
    3
    >>> check_whole(0, name="k", low=1)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: k=0 is out of range: must be >= 1.
    """
    v = check_in_range(value, name=name, low=low, high=high)
    if v != int(v):
        raise InvalidValueError(f"{name}={_short_repr(value)} must be a whole number.")
    return int(v)


def check_flag(value: Any, *, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or numpy), else raise.

    Flags are never read from truthiness: ``"no"``, ``0`` and ``None`` are refused.

    Examples
    --------
    >>> check_flag(True, name="totals")
    True
    >>> check_flag("no", name="totals")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: totals='no' must be True or False; ...
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InvalidValueError(
        f"{name}={_short_repr(value)} must be True or False; flags are not read from "
        "truthiness (the string 'no' would count as True)."
    )


def overflow_scale(values: NDArray[np.float64]) -> float:
    """A power of two to divide ``values`` by so that no sum of them can overflow.

    1.0 (no scaling, results unchanged bit for bit) unless ``len(values)`` terms of the
    largest magnitude could exceed about 1e301; then half the power of two at or above
    the largest magnitude, which divides exactly and leaves every scaled value below 2.
    Sum the scaled values, multiply the result back and check that it is finite: a
    total beyond the float range is an error, not an infinity.

    Examples
    --------
    >>> import numpy as np
    >>> overflow_scale(np.array([1.0, 2.0]))
    1.0
    >>> v = np.array([1e308, 1e308, -1e308])
    >>> s = overflow_scale(v)
    >>> float((v / s).sum() * s)  # v.sum() overflows to inf on the way
    1e+308
    """
    if values.size == 0:
        return 1.0
    top = float(np.max(np.abs(values)))
    if not np.isfinite(top) or top < 2.0**1000 / values.size:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(top)[1]) - 1))  # scaled values below 2


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
    arr = real_array(values, name=name)
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = np.flatnonzero(bad.ravel())
        raise InvalidValueError(
            f"{name} has {pos.size} non-finite value(s) at position(s) "
            f"{preview(pos.tolist())}; remove or fill NaN/inf values first."
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
    v = real_number(value, name=name)
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
            f"{name} has {len(labels)} duplicated label(s): {preview(labels)}; "
            "aggregate or de-duplicate before calling."
        )


def with_unique_index(frame: Any, *, name: str) -> Any:
    """Return ``frame`` (a Series or DataFrame) after :func:`check_unique_index`.

    Examples
    --------
    >>> import pandas as pd
    >>> with_unique_index(pd.Series([1.0], index=["a"]), name="spend").tolist()
    [1.0]
    """
    check_unique_index(frame, name=f"the index of {name}")
    return frame


def require_frame(frame: Any, *, name: str) -> pd.DataFrame:
    """Return ``frame`` if it is a pandas DataFrame, else raise naming ``name``.

    Examples
    --------
    >>> require_frame(None, name="summary")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: summary must be a pandas DataFrame, got NoneType; ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(
            f"{name} must be a pandas DataFrame, got {type(frame).__name__}; build one with "
            "pandas.DataFrame(...) or pandas.read_csv(...)."
        )
    return frame


def require_series(series: Any, *, name: str) -> pd.Series[Any]:
    """Return ``series`` if it is a pandas Series, else raise naming ``name``.

    Examples
    --------
    >>> require_series([1], name="labels")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: labels must be a pandas Series, got list; ...
    """
    if not isinstance(series, pd.Series):
        raise InvalidValueError(
            f"{name} must be a pandas Series, got {type(series).__name__}; build one with "
            "pandas.Series(values, index=...)."
        )
    return series


def check_callable(value: Any, *, name: str, optional: bool = True) -> None:
    """Raise unless ``value`` is callable (or None when ``optional``).

    Examples
    --------
    >>> check_callable(print, name="callback")
    >>> check_callable(1.5, name="callback")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: callback=1.5 must be a function (or None), got float.
    """
    if (value is None and optional) or callable(value):
        return
    raise InvalidValueError(
        f"{name}={_short_repr(value)} must be a function{' (or None)' if optional else ''}, "
        f"got {type(value).__name__}."
    )


def optional_column(frame: Any, column: Any, *, name: str) -> Any:
    """``column`` if ``frame`` is a DataFrame that has it, else None (an optional column).

    None stays None; a name that cannot be a column label (a list, an array) raises.

    Examples
    --------
    >>> import pandas as pd
    >>> optional_column(pd.DataFrame({"weights": [1]}), "weights", name="weights_col")
    'weights'
    >>> optional_column(pd.DataFrame({"x": [1]}), "weights", name="weights_col") is None
    True
    """
    if column is None:
        return None
    try:
        hash(column)
    except TypeError:
        raise InvalidValueError(
            f"{name}={_short_repr(column)} is not a column name; pass a string or None."
        ) from None
    if isinstance(frame, pd.DataFrame) and column in frame.columns:
        return column
    return None


def check_option(value: Any, options: Iterable[Any], *, name: str, hint: str = "") -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise naming the parameter.

    The one check for every keyword that takes one of a fixed set of values (a
    ``Literal`` type): the message names the parameter the user passed, shows the value
    and lists the choices.

    Parameters
    ----------
    value : object
        What the user passed.
    options : iterable
        The accepted values, in the order the message lists them.
    name : str
        The public parameter name, as the user wrote it.
    hint : str, optional
        A sentence appended to the message (what each choice means, what to do).

    Returns
    -------
    object
        The option equal to ``value`` (callers narrow it to their ``Literal`` alias): a
        ``str`` subclass such as :class:`numpy.str_` comes back as the plain ``str``.

    Raises
    ------
    InvalidValueError
        When ``value`` is not one of ``options`` (compared by equality and type, so
        ``True`` is not ``1``; a string matches a string option whatever its ``str``
        subclass; unhashable values and NaN never match).

    Examples
    --------
    >>> check_option("W", ("D", "W", "M"), name="time_unit")
    'W'
    >>> check_option("H", ("D", "W", "M"), name="period")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: period='H' is not one of ['D', 'W', 'M'].
    """
    choices = list(options)
    for choice in choices:
        same_kind = type(value) is type(choice) or (
            isinstance(value, str) and isinstance(choice, str)
        )
        try:
            if same_kind and value == choice:
                return choice
        except (TypeError, ValueError):  # an array or a frame compared elementwise
            break
    message = f"{name}={_short_repr(value)} is not one of {choices}."
    raise InvalidValueError(message + (f" {hint}" if hint else ""))


def as_generator(rng: Any, *, name: str = "rng", allow_none: bool = True) -> np.random.Generator:
    """The random generator for ``rng``: a Generator as is, an int seed, or None.

    crmkit never touches numpy's global random state. ``None`` draws fresh entropy from
    the operating system (not reproducible); an integer ``>= 0`` seeds
    :func:`numpy.random.default_rng`, so the same seed gives the same results. With
    ``allow_none=False`` (the simulators, whose output must be reproducible) ``None`` is
    refused too.

    Examples
    --------
    >>> g = as_generator(42)
    >>> as_generator(g) is g
    True
    >>> as_generator(-1)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: rng=-1 must be a numpy.random.Generator ...
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None and allow_none:
        return np.random.default_rng()
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    seeds = "an integer seed >= 0 or None" if allow_none else "or an integer seed >= 0"
    raise InvalidValueError(
        f"{name}={_short_repr(rng)} must be a numpy.random.Generator (e.g. "
        f"numpy.random.default_rng(42)), {seeds}; crmkit never uses numpy's global "
        "random state."
    )
