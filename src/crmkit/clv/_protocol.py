"""The typed protocols every CLV model family implements."""

from __future__ import annotations

from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit.clv._base import FitResult, Progress
from crmkit.clv._retention_data import TenureCounts
from crmkit.timeunits import TimeUnit

__all__ = ["CLVModel", "ContractualModel", "TransactionModel"]


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


@runtime_checkable
class ContractualModel(Protocol):
    """A retention model for contractual (subscription) customers (sBG, geometric, BdW).

    T is the period in which a customer cancels (t = 1, 2, ...); every duration is in
    whole contract periods of ``time_unit``. ``fit`` reads survivor tables of cohorts or
    one row per customer through one reader, with the same options in every family, so
    code written against this protocol (contractual value, group fits, model
    comparison) works for each of them. It is a structural type that mypy checks:
    ``model: ContractualModel = ShiftedBetaGeometric(alpha=0.7, beta=1.2)`` type-checks,
    and ``isinstance(model, ContractualModel)`` holds at run time.
    """

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name, in the paper's order."""
        ...

    @property
    def time_unit(self) -> str | None:
        """Length of one contract period, a :data:`~crmkit.timeunits.TimeUnit` code
        (``None`` if not stated)."""
        # typed str (a TimeUnit is a str literal): the documentation cannot render the
        # alias in a property's type
        ...

    @classmethod
    def fit(
        cls,
        data: pd.DataFrame | ArrayLike,
        /,
        *,
        tenure_col: str = ...,
        churned_col: str = ...,
        entry_col: str | None = ...,
        tenure_counts: TenureCounts | None = ...,
        period_col: str = ...,
        n_alive_col: str = ...,
        cohort_col: str | None = ...,
        time_unit: TimeUnit | None = ...,
        x0: ArrayLike | None = ...,
        strict: bool = ...,
        callback: Progress | None = ...,
    ) -> FitResult[Self]:
        """Fit on survivor tables or one row per customer (``tenure_counts`` required)."""
        ...

    def churn_probability(self, t: ArrayLike) -> NDArray[np.float64]:
        """P(T = t): a new customer cancels in period t (t >= 1)."""
        ...

    def survival(self, t: ArrayLike) -> NDArray[np.float64]:
        """S(t) = P(T > t): share of a cohort still active after t periods (t >= 0)."""
        ...

    def retention_rate(self, t: ArrayLike) -> NDArray[np.float64]:
        """r_t = S(t) / S(t - 1): share of period t - 1 survivors who renew (t >= 1)."""
        ...

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL: sum over t >= 0 of S(t) / (1 + d)^t (first payment now, undiscounted)."""
        ...

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: ArrayLike = 0
    ) -> NDArray[np.float64] | float:
        """DERL of a customer who has made ``renewals`` renewals (n = renewals + 1):
        sum over k >= 0 of S(n + k) / S(n - 1) / (1 + d)^k."""
        ...

    def expected_residual_lifetime(self, renewals: ArrayLike = 0) -> NDArray[np.float64] | float:
        """Expected further renewals, undiscounted (raises if infinite)."""
        ...

    def simulate(self, n_customers: int, T: int, rng: Any) -> pd.DataFrame:
        """Renewal histories of a cohort: ``periods_survived`` and ``churned`` per customer."""
        ...
