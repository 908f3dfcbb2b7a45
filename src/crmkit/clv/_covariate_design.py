"""Per-customer covariate frames as design matrices (private).

A :class:`CovariateCoding` remembers how a covariate frame was coded when a model was
fitted: its columns, in order, and for each categorical column its levels. Numeric
columns enter as they are; a categorical column (``object``, ``string``, ``category`` or
``bool`` dtype) with levels :math:`l_0, l_1, \\dots, l_{K-1}` enters as :math:`K - 1`
dummy (0/1) columns named ``"column[level]"`` for :math:`l_1, \\dots, l_{K-1}`: the
**first level is the reference** (the first category of a ``category`` dtype, else the
smallest value in sorted order, ``False`` before ``True``). Its coefficient is the
effect of that level relative to the reference level.

The same coding is applied to the frame given at prediction time, so the predictions of
a fitted model use the levels (and reference) it was fitted with.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit.exceptions import DegenerateDataWarning, InvalidValueError

__all__ = ["CovariateCoding", "learn_coding"]

Arr = NDArray[np.float64]

RARE_LEVEL = 5
"""A categorical level held by fewer customers than this is named in a warning before the
fit: its coefficient rests on a handful of histories and often has no finite maximum
(none of them repeats, say), which the fit would only report as a boundary."""


def _warn_rare(series: pd.Series, lev: tuple[str, ...], name: str, side: str) -> None:
    """Warn about levels of fewer than :data:`RARE_LEVEL` customers, unless every level
    is that small on average (a toy frame)."""
    if len(series) < RARE_LEVEL * len(lev):
        return
    counts = series.astype(str).value_counts()
    rare = {level: int(counts.get(level, 0)) for level in lev if counts.get(level, 0) < RARE_LEVEL}
    if rare:
        listed = ", ".join(
            f"{level!r} ({n} customer{'s' * (n != 1)})" for level, n in rare.items()
        )
        warnings.warn(
            f"{side}_covariates column {name!r} has rare level(s) {listed} out of "
            f"{len(series):,} customers; their coefficients rest on very few histories and "
            "may run to a limit. Merge them into a larger level (or an 'other' level) "
            "before fitting.",
            DegenerateDataWarning,
            stacklevel=4,
        )


def _is_categorical(series: pd.Series) -> bool:
    return bool(
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(series.dtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
    )


def _as_tuple(values: object) -> tuple[str, ...]:
    if isinstance(values, tuple) and all(isinstance(v, str) for v in values):
        return values
    if isinstance(values, list | tuple):
        return tuple(str(v) for v in values)
    raise InvalidValueError(f"expected a tuple of strings, got {values!r}.")


def _as_levels(values: object) -> tuple[tuple[str, ...] | None, ...]:
    if not isinstance(values, list | tuple):
        raise InvalidValueError(f"expected a tuple of level tuples, got {values!r}.")
    return tuple(None if v is None else _as_tuple(v) for v in values)


@attrs.frozen(kw_only=True)
class CovariateCoding:
    """How a per-customer covariate frame is turned into a design matrix.

    Attributes
    ----------
    columns : tuple of str
        The covariate columns, in order.
    levels : tuple
        Per column: ``None`` for a numeric column, else the tuple of its levels (as
        strings), the first being the reference level.
    """

    columns: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    levels: tuple[tuple[str, ...] | None, ...] = attrs.field(default=(), converter=_as_levels)

    @levels.validator
    def _check(self, attribute: attrs.Attribute[object], value: tuple[object, ...]) -> None:
        if len(value) != len(self.columns):
            raise InvalidValueError(
                f"CovariateCoding: {len(value)} {attribute.name} for {len(self.columns)} "
                "columns; give one entry (None for a numeric column) per column."
            )

    @property
    def terms(self) -> tuple[str, ...]:
        """The names of the design-matrix columns, ``column`` or ``column[level]``."""
        out: list[str] = []
        for col, lev in zip(self.columns, self.levels, strict=True):
            if lev is None:
                out.append(col)
            else:
                out.extend(f"{col}[{level}]" for level in lev[1:])
        return tuple(out)

    def matrix(self, frame: pd.DataFrame | None, index: pd.Index, *, side: str) -> Arr:
        """The design matrix of ``frame`` for the customers ``index``, in that order.

        Raises
        ------
        InvalidValueError
            If the frame is missing when covariates are expected, lacks a column, its
            index does not hold exactly the customers of ``index``, a value is missing or
            a categorical value is not one of the fitted levels.
        """
        if not self.columns:
            return np.zeros((len(index), 0))
        if frame is None:
            raise InvalidValueError(
                f"the model has {side} covariates {list(self.columns)}; pass "
                f"{side}_covariates= (a frame indexed by customer id) to predict."
            )
        frame = aligned(frame, index, side=side)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InvalidValueError(
                f"{side}_covariates lacks the column(s) {missing} the model was fitted "
                f"with; available columns are {[str(c) for c in frame.columns]}."
            )
        parts: list[Arr] = []
        for col, lev in zip(self.columns, self.levels, strict=True):
            series = frame[col]
            if lev is None:
                parts.append(_numeric(series, side=side)[:, None])
                continue
            text = series.astype(str).to_numpy()
            unknown = sorted(set(text) - set(lev))
            if unknown:
                raise InvalidValueError(
                    f"{side}_covariates column {col!r} has level(s) {unknown[:5]} that the "
                    f"model was not fitted with (levels {list(lev)}); map them to a fitted "
                    "level or refit with them."
                )
            parts.append(np.stack([text == level for level in lev[1:]], axis=1).astype(float))
        return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float64)


def _numeric(series: pd.Series, *, side: str) -> Arr:
    values = np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    if not np.all(np.isfinite(values)):
        bad = int(np.sum(~np.isfinite(values)))
        raise InvalidValueError(
            f"{side}_covariates column {series.name!r} has {bad} missing or infinite "
            "value(s); impute them (or add a missing-value indicator column) before fitting."
        )
    return values


def aligned(frame: pd.DataFrame, index: pd.Index, *, side: str) -> pd.DataFrame:
    """``frame`` reordered to ``index`` after checking it holds exactly those customers,
    each once, and no missing value."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(
            f"{side}_covariates must be a pandas DataFrame indexed by customer id, got "
            f"{type(frame).__name__}."
        )
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique().tolist()[:5]
        raise InvalidValueError(
            f"{side}_covariates has duplicated customer ids {dup}; give one row per customer."
        )
    absent = index.difference(frame.index)
    extra = frame.index.difference(index)
    if len(absent) or len(extra):
        raise InvalidValueError(
            f"the ids of {side}_covariates do not match the summary's: {len(absent)} "
            f"customer(s) of the summary have no row (e.g. {absent[:5].tolist()}) and "
            f"{len(extra)} row(s) are not in the summary (e.g. {extra[:5].tolist()}). "
            "Index both by the same customer ids (select the rows with .loc[summary.index])."
        )
    out = frame.loc[index]
    na = out.isna().sum()
    if int(na.sum()):
        where = {str(k): int(v) for k, v in na.items() if v}
        raise InvalidValueError(
            f"{side}_covariates has missing values (count per column: {where}); impute them "
            "or add a missing-value indicator column."
        )
    return out


def learn_coding(frame: pd.DataFrame | None, index: pd.Index, *, side: str) -> CovariateCoding:
    """The coding of a fit's covariate frame; refuses constant columns and warns
    (:class:`~crmkit.exceptions.DegenerateDataWarning`) about categorical levels of fewer
    than :data:`RARE_LEVEL` customers, naming each with its count.

    Raises
    ------
    InvalidValueError
        Ids that do not match the summary's, missing values, or a constant column (its
        coefficient would not be identified next to the baseline parameter).
    """
    if frame is None:
        return CovariateCoding()
    frame = aligned(frame, index, side=side)
    if frame.shape[1] == 0:
        return CovariateCoding()
    columns: list[str] = []
    levels: list[tuple[str, ...] | None] = []
    for col in frame.columns:
        series = frame[col]
        name: Hashable = col
        if not isinstance(name, str):
            raise InvalidValueError(
                f"{side}_covariates column names must be strings, got {name!r}; rename it."
            )
        if _is_categorical(series):
            if isinstance(series.dtype, pd.CategoricalDtype):
                present = set(series.astype(str))
                lev = tuple(str(c) for c in series.cat.categories if str(c) in present)
            else:
                lev = tuple(str(v) for v in sorted(series.unique().tolist()))
            if len(lev) < 2:
                raise InvalidValueError(
                    f"{side}_covariates column {name!r} is constant ({lev!r}); its "
                    "coefficient is not identified next to the baseline parameter. Drop it."
                )
            _warn_rare(series, lev, name, side)
            levels.append(lev)
        else:
            values = _numeric(series, side=side)
            if values.size and float(values.min()) == float(values.max()):
                raise InvalidValueError(
                    f"{side}_covariates column {name!r} is constant ({values[0]!r}); its "
                    "coefficient is not identified next to the baseline parameter. Drop it."
                )
            levels.append(None)
        columns.append(name)
    return CovariateCoding(columns=tuple(columns), levels=tuple(levels))
