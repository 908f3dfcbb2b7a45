"""The frozen result of a maximum-likelihood fit (private; public as ``crmkit.clv.FitResult``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from crmkit._validation import real_number
from crmkit.clv._fit_display import fit_display
from crmkit.clv._persist import Persistable
from crmkit.exceptions import InvalidValueError

__all__ = ["FitResult", "Optimum"]

ModelT = TypeVar("ModelT")


@attrs.frozen(kw_only=True)
class Optimum:
    """Raw outcome of :func:`maximize_log_likelihood` (natural-scale parameters)."""

    params: NDArray[np.float64] = attrs.field(eq=False)
    log_likelihood: float
    covariance: NDArray[np.float64] = attrs.field(eq=False, repr=False)
    converged: bool
    iterations: int
    message: str
    result: Any = attrs.field(eq=False, repr=False)
    at_boundary: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, repr=False)
class FitResult(Persistable, Generic[ModelT]):
    """A fitted model with its log-likelihood, standard errors and convergence report.

    Attributes
    ----------
    model : model object
        The fitted model, itself a frozen value (e.g. ``BetaGeo(r=..., ...)``).
    log_likelihood : float
        Maximised total log-likelihood.
    param_names : tuple of str
        Parameter names, in the order of ``covariance``.
    estimates : tuple of float
        Parameter estimates in that order.
    covariance : numpy.ndarray
        Asymptotic covariance matrix of the estimates (inverse observed information).
    n_customers : int
        Number of customers (sum of weights) the model was fitted on.
    n_unique : int
        Number of distinct sufficient-statistic rows the likelihood was evaluated on.
    converged : bool
        True only if, at the reported estimate, the gradient of the per-customer
        log-likelihood in the log-parameters is below 1e-5, the Hessian there is
        negative definite and a Newton step would change no parameter by more than
        0.01 % (a strict local maximum, not a flat ridge), all over the parameters that
        are not at a limit (see ``at_boundary``).
    iterations : int
        Optimiser iterations, summed over restarts.
    message : str
        The optimiser's message.
    at_boundary : tuple of str
        Parameters that went to a limit of the parameter space (empty for an interior
        maximum). The fit then warned with :class:`~crmkit.exceptions.BoundaryWarning`
        naming the limit model; these parameters have infinite standard errors, and the
        reported values are far enough along the limit that predictions equal the limit
        model's.
    real_line : tuple of str
        Parameters that range over the whole real line (regression coefficients of
        covariates); their confidence intervals are the plain Wald intervals
        :math:`\\hat\\theta \\pm z\\, \\widehat{se}`. Empty for the classic families.
    """

    model: ModelT
    log_likelihood: float
    param_names: tuple[str, ...]
    estimates: tuple[float, ...]
    covariance: NDArray[np.float64] = attrs.field(eq=False, repr=False)
    n_customers: int
    n_unique: int
    converged: bool
    iterations: int
    message: str = attrs.field(repr=False)
    at_boundary: tuple[str, ...] = ()
    real_line: tuple[str, ...] = ()

    @classmethod
    def from_optimum(
        cls,
        model: ModelT,
        optimum: Optimum,
        *,
        names: Sequence[str],
        n_customers: int,
        n_unique: int,
    ) -> FitResult[ModelT]:
        """Build a result from a model and the :class:`Optimum` it came from."""
        return cls(
            model=model,
            log_likelihood=float(optimum.log_likelihood),
            param_names=tuple(names),
            estimates=tuple(float(v) for v in optimum.params),
            covariance=optimum.covariance,
            n_customers=int(n_customers),
            n_unique=int(n_unique),
            converged=optimum.converged,
            iterations=optimum.iterations,
            message=optimum.message,
            at_boundary=optimum.at_boundary,
        )

    def __repr__(self) -> str:
        return fit_display(self).text()

    def _repr_html_(self) -> str:
        return fit_display(self).html()

    @property
    def params(self) -> dict[str, float]:
        """Parameter estimates by name."""
        return dict(zip(self.param_names, self.estimates, strict=True))

    @property
    def stderr(self) -> dict[str, float]:
        """Standard errors by name (square roots of the covariance diagonal)."""
        se = np.sqrt(np.diag(self.covariance))
        return dict(zip(self.param_names, (float(v) for v in se), strict=True))

    @property
    def aic(self) -> float:
        """Akaike information criterion, :math:`2k - 2\\ell`."""
        return 2.0 * len(self.param_names) - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, :math:`k \\ln n - 2\\ell`."""
        return (
            len(self.param_names) * math.log(max(self.n_customers, 1)) - 2.0 * self.log_likelihood
        )

    def confidence_intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Wald confidence intervals, computed on the log scale so they stay positive.

        .. math:: \\hat\\theta \\exp(\\pm z_{(1+\\text{level})/2}\\, \\widehat{se}/\\hat\\theta)

        (parameters of ``real_line``, such as covariate coefficients:
        :math:`\\hat\\theta \\pm z\\, \\widehat{se}`).

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Indexed by parameter name, columns ``estimate``, ``stderr``, ``lower``, ``upper``.
        """
        if not 0.0 < real_number(level, name="level") < 1.0:
            raise InvalidValueError(
                f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95."
            )
        z = float(special.ndtri(0.5 + level / 2.0))
        est = np.asarray(self.estimates)
        se = np.sqrt(np.diag(self.covariance))
        real = np.isin(np.asarray(self.param_names, dtype=object), list(self.real_line))
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.exp(z * se / np.where(real, 1.0, est))
            lower = np.where(real, est - z * se, est / factor)
            upper = np.where(real, est + z * se, est * factor)
        # a parameter at a limit (infinite standard error) is bounded by nothing,
        # also when its estimate is 0 (0 * inf would be NaN)
        unbounded = np.isinf(se)
        lower = np.where(unbounded & real, -np.inf, np.where(unbounded, 0.0, lower))
        upper = np.where(unbounded, np.inf, upper)
        return pd.DataFrame(
            {"estimate": est, "stderr": se, "lower": lower, "upper": upper},
            index=pd.Index(self.param_names, name="parameter"),
        )

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """The confidence-interval table; fit statistics are in ``frame.attrs``."""
        table = self.confidence_intervals(level)
        table.attrs.update(
            {
                "log_likelihood": self.log_likelihood,
                "aic": self.aic,
                "bic": self.bic,
                "n_customers": self.n_customers,
                "converged": self.converged,
                "at_boundary": self.at_boundary,
            }
        )
        return table
