"""Cost savings from better control and operational efficiency, per cost category."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmkit._validation import check_finite, check_text
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import labelled_values

__all__ = ["cost_savings"]


def _costs(values: Mapping[str, float] | pd.Series[Any], name: str) -> pd.Series[float]:
    s = labelled_values(values, name=name)
    if s.empty:
        raise InvalidValueError(f"{name} is empty; pass a cost per category.")
    if s.index.has_duplicates:
        raise InvalidValueError(f"{name} has duplicated categories; sum them first.")
    check_finite(s.to_numpy(), name=name)
    if np.any(s.to_numpy() < 0):
        raise InvalidValueError(f"{name} must be >= 0, got {s[s < 0].to_dict()}.")
    return s


def cost_savings(
    before: Mapping[str, float] | pd.Series[Any],
    after: Mapping[str, float] | pd.Series[Any],
    *,
    total_label: str = "total",
) -> pd.DataFrame:
    r"""Savings per cost category between two equally long periods.

    .. math::

        \Delta_k = K_k^{\text{before}} - K_k^{\text{after}}, \qquad
        \mathrm{rate}_k = \frac{\Delta_k}{K_k^{\text{before}}}

    Parameters
    ----------
    before, after : mapping or pandas.Series
        Cost per category (money) in a period before and a period after the change; the
        two periods must have the same length and the same categories.
    total_label : str, default ``"total"``
        Label of the appended row summing all categories.

    Returns
    -------
    pandas.DataFrame
        Indexed by category (input order) plus the total row; columns ``before``,
        ``after``, ``saving`` (money; negative = cost rose) and ``saving_rate``
        (fraction of ``before``; NaN where ``before`` is 0).

    Raises
    ------
    InvalidValueError
        If the categories differ, a cost is negative or non-finite, a side is empty, or a
        category is named ``total_label``.

    Examples
    --------
    >>> out = cost_savings({"service": 100.0, "sales": 50.0}, {"service": 80.0, "sales": 50.0})
    >>> out["saving"].to_dict()
    {'service': 20.0, 'sales': 0.0, 'total': 20.0}
    """
    check_text(total_label, name="total_label")
    b = _costs(before, "before")
    a = _costs(after, "after")
    if set(b.index) != set(a.index):
        raise InvalidValueError(
            f"before and after must list the same categories; only in before: "
            f"{sorted(map(str, set(b.index) - set(a.index)))}, only in after: "
            f"{sorted(map(str, set(a.index) - set(b.index)))}. Add a 0 cost where a "
            "category did not occur."
        )
    if total_label in b.index:
        raise InvalidValueError(f"a category is named {total_label!r}; pass another total_label=.")
    a = a.reindex(b.index)
    out = pd.DataFrame({"before": b, "after": a})
    out.loc[total_label] = [float(b.sum()), float(a.sum())]
    out["saving"] = out["before"] - out["after"]
    bef = out["before"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["saving_rate"] = np.where(bef > 0, out["saving"].to_numpy() / bef, np.nan)
    return out
