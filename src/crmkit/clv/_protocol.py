"""The typed protocols every CLV model family implements."""

from __future__ import annotations

from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit.clv._base import FitResult

__all__ = ["CLVModel", "TransactionModel"]


@runtime_checkable
class CLVModel(Protocol):
    """What every model family offers: it is a frozen value built from its parameters.

    ``Family(**params)`` builds a model straight from a paper's table;
    ``Family.fit(data, ...)`` returns a :class:`~crmkit.clv.FitResult` holding the fitted
    model. ``simulate`` draws synthetic data from the model with a seeded
    :class:`numpy.random.Generator`.
    """

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name, in the paper's order."""
        ...

    @classmethod
    def fit(cls, data: pd.DataFrame, /, **kwargs: Any) -> FitResult[Self]:
        """Fit the family by maximum likelihood."""
        ...


@runtime_checkable
class TransactionModel(CLVModel, Protocol):
    """A purchase-count model for non-contractual customers (BG/NBD, MBG/NBD, Pareto/NBD).

    Times are in the unit of the summary the model was fitted on.
    """

    def expected_purchases(self, t: ArrayLike) -> NDArray[np.float64]:
        """Expected repeat purchases in (0, t] of a randomly chosen new customer."""
        ...

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: ArrayLike) -> pd.Series:
        """Expected purchases in (T, T + t] for each customer given their history."""
        ...

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(customer still active at T | history) for each customer."""
        ...
