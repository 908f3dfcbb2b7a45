"""One fit per group (contract type, plan, region): separate models as one result.

Customers on different contracts churn in different ways (a month-to-month plan and a
two-year plan do not share a retention curve), and the simplest model of a covariate
that takes a few values is a separate fit per value. :func:`fit_by_group` runs the same
family's ``fit`` on each group with the same options and returns the fits as one
frozen mapping, with a table to compare them and errors and warnings that name the group
they came from.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Generic, TypeVar

import attrs
import numpy as np
import pandas as pd

from crmkit._display import Display, fmt_number
from crmkit._validation import require_columns, require_nonempty
from crmkit.clv._base import FitResult
from crmkit.exceptions import CrmkitError, InvalidValueError

__all__ = ["GroupFits", "fit_by_group"]

ModelT = TypeVar("ModelT")


def _plain(key: Any) -> Hashable:
    """A numpy scalar group key as the Python value it stands for (1, not np.int64(1))."""
    out: Hashable = key.item() if isinstance(key, np.generic) else key
    return out


@attrs.frozen(kw_only=True, repr=False)
class GroupFits(Mapping[Hashable, FitResult[ModelT]], Generic[ModelT]):
    """The fits of one model family to each group of customers, by group key.

    A read-only mapping ``group key -> FitResult`` in the sorted order of the keys, as
    :func:`fit_by_group` returns it.

    Attributes
    ----------
    group_col : str
        The column the customers were grouped by.
    family : str
        Name of the model family (e.g. ``"ShiftedBetaGeometric"``).
    groups : tuple
        The group keys, sorted.
    fits : tuple of FitResult
        One fit per group, in the order of ``groups``.
    """

    group_col: str = attrs.field(validator=lambda _s, a, v: _check_text(a.name, v))
    family: str = attrs.field(validator=lambda _s, a, v: _check_text(a.name, v))
    groups: tuple[Hashable, ...] = attrs.field()
    fits: tuple[FitResult[ModelT], ...] = attrs.field()

    @fits.validator
    def _same_length(self, attribute: Any, value: tuple[FitResult[ModelT], ...]) -> None:
        if not isinstance(self.groups, tuple) or not isinstance(value, tuple):
            raise InvalidValueError(
                f"GroupFits takes groups and fits as tuples, got {type(self.groups).__name__} "
                f"and {type(value).__name__}; build it with crmkit.clv.fit_by_group."
            )
        if not all(isinstance(f, FitResult) for f in value):
            raise InvalidValueError("GroupFits.fits must hold FitResult objects, one per group.")
        try:
            distinct = len(set(self.groups))
        except TypeError as exc:
            raise InvalidValueError(f"group keys must be hashable ({exc}).") from exc
        if len(value) != len(self.groups) or distinct != len(self.groups):
            raise InvalidValueError(
                f"GroupFits needs one fit per distinct group: {len(self.groups)} groups "
                f"({len(set(self.groups))} distinct), {len(value)} fits."
            )

    def __getitem__(self, key: Hashable) -> FitResult[ModelT]:
        try:
            return dict(zip(self.groups, self.fits, strict=True))[key]
        except TypeError:  # an unhashable key is not a group: get() returns its default
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.groups)

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def models(self) -> dict[Hashable, ModelT]:
        """The fitted models by group key (a new dict each time)."""
        return {g: f.model for g, f in zip(self.groups, self.fits, strict=True)}

    @property
    def table(self) -> pd.DataFrame:
        """One row per group: customers, estimates and how each fit ended.

        Returns
        -------
        pandas.DataFrame
            Indexed by the group key (index name ``group_col``); columns
            ``n_customers``, one column per parameter (in the family's order),
            ``log_likelihood``, ``converged`` and ``at_boundary`` (the parameters that
            went to a limit, comma-separated; empty for an interior maximum).
        """
        names: list[str] = []
        for fit in self.fits:
            names.extend(n for n in fit.param_names if n not in names)
        rows = []
        for fit in self.fits:
            params = fit.params
            rows.append(
                {
                    "n_customers": fit.n_customers,
                    **{n: params.get(n, math.nan) for n in names},
                    "log_likelihood": fit.log_likelihood,
                    "converged": fit.converged,
                    "at_boundary": ", ".join(fit.at_boundary),
                }
            )
        index = pd.Index(list(self.groups), name=self.group_col)
        columns = ["n_customers", *names, "log_likelihood", "converged", "at_boundary"]
        return pd.DataFrame(rows, index=index, columns=columns)

    def _display(self) -> Display:
        table = self.table
        names = [c for c in table.columns if c not in _STATUS_COLUMNS]
        n_total = int(table["n_customers"].sum())
        facts = [f"{len(self)} groups of {self.group_col!r}, {n_total:,} customers"]
        bad = [str(g) for g, f in self.items() if not f.converged]
        if bad:
            facts.append(f"NOT converged: {', '.join(bad)}")
        edge = [str(g) for g, f in self.items() if f.at_boundary]
        if edge:
            facts.append(f"at a limit of the parameter space: {', '.join(edge)}")
        rows = [
            [
                str(group),
                f"{int(row['n_customers']):,}",
                *(fmt_number(float(row[n])) for n in names),
                f"{float(row['log_likelihood']):,.2f}",
                "yes" if row["converged"] else "NO",
                row["at_boundary"] or "-",
            ]
            for group, row in table.iterrows()
        ]
        columns = [self.group_col, "customers", *names, "log-lik.", "converged", "at limit"]
        return Display(f"{self.family} fits by {self.group_col}", facts, columns, rows)

    def __repr__(self) -> str:
        return self._display().text()

    def _repr_html_(self) -> str:
        return self._display().html()


_STATUS_COLUMNS = ("n_customers", "log_likelihood", "converged", "at_boundary")


def _check_text(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidValueError(f"GroupFits: {name}={value!r:.60} must be a string.")


def _in_group(exc: CrmkitError, where: str) -> CrmkitError:
    """The same error (class and attributes) with ``where`` in front of its message."""
    new = type(exc).__new__(type(exc))
    new.__dict__.update(exc.__dict__)
    new.args = (f"{where}: {exc}", *exc.args[1:])
    return new


def fit_by_group(
    family: type[ModelT],
    data: pd.DataFrame,
    /,
    *,
    group_col: str,
    **fit_options: Any,
) -> GroupFits[ModelT]:
    """Fit ``family`` separately to the customers of each group of ``group_col``.

    Every group gets the same ``fit_options`` (``tenure_counts``, ``entry_col``, ...).
    A group whose fit ends at a limit of the parameter space warns like a single fit
    does, with the group named in the message; a group whose data or fit fail raises the
    family's error (same class), its message starting with the group.

    Parameters
    ----------
    family : type
        A model family with the common ``fit(data, /, **options)`` class method, e.g.
        :class:`ShiftedBetaGeometric` or :class:`ShiftedGeometric`.
    data : pandas.DataFrame
        The customers (one row each) or survivor tables, with a ``group_col`` column.
    group_col : str
        The column to group by (e.g. ``"Contract"``); missing values are refused.
    **fit_options
        Keyword options of ``family.fit`` (not ``data``).

    Returns
    -------
    GroupFits
        A mapping ``group -> FitResult`` (sorted keys) with ``.models`` and ``.table``.

    Raises
    ------
    InvalidValueError
        ``family`` has no ``fit`` class method, ``fit_options`` has an option
        ``family.fit`` does not take, or ``group_col`` has missing values.
    MissingColumnsError
        ``group_col`` is not a column of ``data``.
    CrmkitError
        Whatever a group's fit raises, with the group named in the message.

    Warns
    -----
    BoundaryWarning, ConvergenceWarning, ...
        Each warning of a group's fit, re-emitted with the group named in the message.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import ShiftedGeometric
    >>> rows = pd.DataFrame(
    ...     {
    ...         "plan": ["basic"] * 4 + ["pro"] * 3,
    ...         "tenure": [1, 2, 3, 3, 2, 5, 6],
    ...         "churned": [True, True, False, False, True, False, False],
    ...     }
    ... )
    >>> fits = fit_by_group(ShiftedGeometric, rows, group_col="plan", tenure_counts="completed")
    >>> fits.table[["n_customers", "theta", "converged"]]
           n_customers     theta  converged
    plan
    basic            4  0.222222       True
    pro              3  0.076923       True
    >>> round(float(fits["pro"].model.survival(12)), 4)
    0.3827
    """
    fit = getattr(family, "fit", None) if inspect.isclass(family) else None
    if fit is None or not callable(fit):
        raise InvalidValueError(
            f"family={family!r} must be a crmkit model class with a fit class method, e.g. "
            "crmkit.clv.ShiftedBetaGeometric (the class, not an instance or a fit)."
        )
    if not isinstance(data, pd.DataFrame):
        raise InvalidValueError(
            f"data must be a pandas DataFrame with a group column, got {type(data).__name__}."
        )
    if not isinstance(group_col, str):
        raise InvalidValueError(f"group_col={group_col!r} must be a column name (str).")
    try:
        inspect.signature(fit).bind(data, **fit_options)
    except TypeError as exc:
        accepted = [
            p.name
            for p in inspect.signature(fit).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        raise InvalidValueError(
            f"{family.__name__}.fit does not take the options {sorted(fit_options)} as "
            f"given ({exc}); its options are {accepted}."
        ) from exc
    require_columns(data, [group_col])
    require_nonempty(data, name="the data")
    missing = data[group_col].isna()
    if missing.any():
        first = data.index[missing.to_numpy()][0]
        raise InvalidValueError(
            f"column {group_col!r} has {int(missing.sum())} missing value(s) (first at index "
            f"{_plain(first)!r}); every customer needs a group: fill them (e.g. with "
            "'unknown') or drop those rows first."
        )
    options = dict(fit_options)
    unit = data.attrs.get("crmkit_time_unit")
    if "time_unit" not in options and unit is not None and "time_unit" in _keywords(fit):
        options["time_unit"] = unit
    groups: list[Hashable] = []
    fits: list[FitResult[ModelT]] = []
    for key, part in data.groupby(group_col, sort=True, observed=True):
        where = f"{family.__name__} fit of {group_col}={_plain(key)!r} ({len(part):,} rows)"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fit(part, **options)
            except CrmkitError as exc:
                raise _in_group(exc, where) from exc
        for w in caught:
            warnings.warn(f"{where}: {w.message}", w.category, stacklevel=2)
        groups.append(_plain(key))
        fits.append(result)
    return GroupFits(
        group_col=group_col, family=family.__name__, groups=tuple(groups), fits=tuple(fits)
    )


def _keywords(func: Any) -> set[str]:
    return set(inspect.signature(func).parameters)
