"""Maximum-likelihood machinery shared by every CLV model family.

A family module declares only its maths (parameter names, a vectorised weighted
log-likelihood, starting values); this module owns the optimisation, the standard
errors and the frozen :class:`FitResult`.

Optimisation runs on the log of the (positive) parameters, so it is unconstrained,
with BFGS on the total negative log-likelihood scaled by the number of customers.
Standard errors come from a central-difference Hessian of the log-likelihood in
log-parameter space, mapped to the natural scale by the delta method
(:math:`\\operatorname{Cov}(\\theta) = D\\,H^{-1} D`, :math:`D = \\operatorname{diag}(\\theta)`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from crmkit.exceptions import ConvergenceError, ConvergenceWarning, InvalidValueError

__all__ = ["FitResult", "Optimum", "compress_rows", "maximize_log_likelihood"]

ModelT = TypeVar("ModelT")
LogLikelihood = Callable[[NDArray[np.float64]], float]
ValueAndGradient = Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]]


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


def _numerical_hessian(
    f: Callable[[NDArray[np.float64]], float], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Central-difference Hessian of ``f`` at ``z`` (step 1e-4 in log-parameter space)."""
    k = z.size
    h = 1e-4
    hess = np.empty((k, k))
    f0 = f(z)
    eye = np.eye(k) * h
    for i in range(k):
        for j in range(i, k):
            if i == j:
                val = (f(z + eye[i]) - 2.0 * f0 + f(z - eye[i])) / (h * h)
            else:
                val = (
                    f(z + eye[i] + eye[j])
                    - f(z + eye[i] - eye[j])
                    - f(z - eye[i] + eye[j])
                    + f(z - eye[i] - eye[j])
                ) / (4.0 * h * h)
            hess[i, j] = hess[j, i] = val
    return hess


def _gradient_hessian(
    grad: Callable[[NDArray[np.float64]], NDArray[np.float64]], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Hessian as the central difference of an analytic gradient (step 1e-5), symmetrised."""
    k = z.size
    h = 1e-5
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = h
        hess[:, i] = (grad(z + step) - grad(z - step)) / (2.0 * h)
    return (hess + hess.T) / 2.0


def maximize_log_likelihood(
    log_likelihood: LogLikelihood,
    x0: Sequence[float] | NDArray[np.float64],
    *,
    names: Sequence[str],
    n_obs: float,
    gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    value_and_gradient: ValueAndGradient | None = None,
    max_iter: int = 2000,
    gtol: float = 1e-7,
    strict: bool = True,
    family: str = "model",
) -> Optimum:
    """Maximise a log-likelihood over positive parameters.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(params) -> float``, the *total* (weighted) log-likelihood at
        natural-scale parameters ``params`` (all > 0). Must return a finite float or
        ``-inf`` (never NaN) for any positive input.
    x0 : sequence of float
        Positive starting values.
    names : sequence of str
        Parameter names, in order (used in messages).
    n_obs : float
        Number of customers (sum of weights); the objective is scaled by it so that
        tolerances do not depend on the sample size.
    gradient : callable, optional
        Gradient of ``log_likelihood`` with respect to the natural parameters. If
        omitted, central finite differences in log space are used.
    value_and_gradient : callable, optional
        ``value_and_gradient(params) -> (log_likelihood, gradient)`` computed together
        (cheaper than two calls). When given, it is used for the optimisation and the
        Hessian is the central difference of this analytic gradient; ``log_likelihood``
        is then only used for checks.
    max_iter : int
        Iteration limit of the optimiser.
    gtol : float
        Gradient tolerance on the scaled objective.
    strict : bool
        If True, raise :class:`~crmkit.exceptions.ConvergenceError` when the
        optimiser fails; if False, emit a :class:`~crmkit.exceptions.ConvergenceWarning`
        and return the last iterate with ``converged=False``.
    family : str
        Model name used in messages.

    Returns
    -------
    Optimum
        Natural-scale estimates, maximum log-likelihood and covariance matrix.

    Raises
    ------
    ConvergenceError
        If the log-likelihood is not finite at the starting values, or (with
        ``strict=True``) if the optimiser does not reach a stationary point.

    Examples
    --------
    Exponential rate MLE: the maximiser of :math:`n\\log\\lambda - \\lambda\\sum x` is
    :math:`1/\\bar x` with standard error :math:`\\lambda/\\sqrt n`.

    >>> import numpy as np
    >>> x = np.array([0.5, 1.0, 1.5, 2.0])
    >>> opt = maximize_log_likelihood(
    ...     lambda p: x.size * np.log(p[0]) - p[0] * x.sum(), [1.0], names=["rate"], n_obs=4
    ... )
    >>> round(float(opt.params[0]), 6), round(float(np.sqrt(opt.covariance[0, 0])), 4)
    (0.8, 0.4)
    """
    from scipy import optimize  # imported on first fit: keeps `import crmkit` light

    names = list(names)
    start = np.asarray(x0, dtype=np.float64)
    if start.shape != (len(names),) or not np.all(np.isfinite(start)) or np.any(start <= 0):
        raise InvalidValueError(
            f"starting values {start.tolist()} for {family} parameters {names} must be "
            "finite and > 0, one per parameter."
        )
    scale = 1.0 / max(float(n_obs), 1.0)

    def objective(z: NDArray[np.float64]) -> float:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = float(log_likelihood(np.exp(z)))
        if math.isnan(value) or value == math.inf:
            return math.inf
        return -value * scale

    jac: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None
    if gradient is not None:
        grad_fn = gradient

        def jac(z: NDArray[np.float64]) -> NDArray[np.float64]:
            theta = np.exp(z)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                g = np.asarray(grad_fn(theta), dtype=np.float64)
            return np.asarray(-g * theta * scale, dtype=np.float64)

    vg_fn = value_and_gradient

    def objective_and_jac(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        assert vg_fn is not None
        theta = np.exp(z)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, g = vg_fn(theta)
        value = float(value)
        g = np.asarray(g, dtype=np.float64)
        if math.isnan(value) or value == math.inf or not np.all(np.isfinite(g)):
            return math.inf, np.zeros_like(z)
        return -value * scale, np.asarray(-g * theta * scale, dtype=np.float64)

    z0 = np.log(start)
    f0 = objective(z0) if vg_fn is None else objective_and_jac(z0)[0]
    if not math.isfinite(f0):
        raise ConvergenceError(
            f"the {family} log-likelihood is not finite at the starting values "
            f"{dict(zip(names, start.tolist(), strict=True))}; check the data or pass "
            "other starting values."
        )
    if vg_fn is not None:
        result = optimize.minimize(
            objective_and_jac,
            z0,
            jac=True,
            method="BFGS",
            options={"maxiter": max_iter, "gtol": gtol},
        )
    else:
        result = optimize.minimize(
            objective,
            z0,
            jac=jac if jac is not None else "3-point",
            method="BFGS",
            options={"maxiter": max_iter, "gtol": gtol},
        )
    z = np.asarray(result.x, dtype=np.float64)
    if vg_fn is not None:
        f_hat, g_hat = objective_and_jac(z)
        grad_norm = float(np.max(np.abs(g_hat)))
    else:
        f_hat = objective(z)
        grad_norm = float(np.max(np.abs(optimize.approx_fprime(z, objective, 1e-7))))
    # BFGS often reports "precision loss" at a true optimum; judge by the gradient.
    converged = bool(math.isfinite(f_hat) and (result.success or grad_norm < 1e-4))
    message = str(result.message)
    if not converged:
        detail = (
            f"{family} fit did not converge after {int(result.nit)} iterations "
            f"({message}; max |gradient| = {grad_norm:.3g} at "
            f"{dict(zip(names, np.exp(z).round(6).tolist(), strict=True))})."
        )
        if strict:
            raise ConvergenceError(
                detail + " Try other starting values (x0=...) or check the data for "
                "extreme or degenerate histories; pass strict=False to get the last iterate.",
                result=result,
            )
        warnings.warn(detail, ConvergenceWarning, stacklevel=3)

    theta = np.exp(z)
    if vg_fn is not None:
        hess = _gradient_hessian(lambda zz: objective_and_jac(zz)[1] / scale, z)
    else:
        hess = _numerical_hessian(lambda zz: objective(zz) / scale, z)
    cov = np.full((theta.size, theta.size), np.nan)
    try:
        cov_z = np.linalg.inv(hess)
        if np.all(np.isfinite(cov_z)) and np.all(np.diag(cov_z) > 0):
            cov = cov_z * np.outer(theta, theta)
    except np.linalg.LinAlgError:
        pass
    if not np.all(np.isfinite(cov)):
        warnings.warn(
            f"the Hessian of the {family} log-likelihood is singular or not positive "
            "definite at the estimate; standard errors are reported as NaN (a parameter "
            "may not be identified by these data).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return Optimum(
        params=theta,
        log_likelihood=-f_hat / scale,
        covariance=cov,
        converged=converged,
        iterations=int(result.nit),
        message=message,
        result=result,
    )


@attrs.frozen(kw_only=True)
class FitResult(Generic[ModelT]):
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
        Whether the optimiser reached a stationary point.
    iterations : int
        Optimiser iterations.
    message : str
        The optimiser's message.
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
        )

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

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Indexed by parameter name, columns ``estimate``, ``stderr``, ``lower``, ``upper``.
        """
        if not 0.0 < level < 1.0:
            raise InvalidValueError(
                f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95."
            )
        z = float(special.ndtri(0.5 + level / 2.0))
        est = np.asarray(self.estimates)
        se = np.sqrt(np.diag(self.covariance))
        factor = np.exp(z * se / est)
        return pd.DataFrame(
            {"estimate": est, "stderr": se, "lower": est / factor, "upper": est * factor},
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
            }
        )
        return table


def compress_rows(
    columns: Mapping[str, NDArray[np.float64]],
    weights: NDArray[np.float64] | None = None,
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64], NDArray[np.int64]]:
    """Collapse identical rows into unique rows with integer weights.

    Likelihoods of customer-base models depend on a few numbers per customer, so
    fitting on the unique rows with weights gives the same answer at a fraction of
    the cost.

    Parameters
    ----------
    columns : mapping of str to 1-d array
        Equal-length columns (the sufficient statistics).
    weights : 1-d array, optional
        Existing weights per row (default 1).

    Returns
    -------
    unique : dict of str to array
        The unique rows, column by column.
    counts : numpy.ndarray
        Summed weights per unique row.
    inverse : numpy.ndarray
        Index of each input row's unique row (``unique[c][inverse] == columns[c]``).

    Examples
    --------
    >>> import numpy as np
    >>> u, w, inv = compress_rows({"x": np.array([1.0, 0.0, 1.0]), "t": np.array([2.0, 0.0, 2.0])})
    >>> u["x"].tolist(), w.tolist(), inv.tolist()
    ([0.0, 1.0], [1.0, 2.0], [1, 0, 1])
    """
    names = list(columns)
    arrays = [np.asarray(columns[n], dtype=np.float64).reshape(-1) for n in names]
    # Factorise each column (a fast 1-d sort), then combine the codes into one integer
    # key in mixed radix (first column most significant, so the order is lexicographic);
    # np.unique(axis=0) on the stacked rows is an order of magnitude slower. NaN cannot
    # occur here: summaries are validated before compression.
    levels, codes = [], []
    for arr in arrays:
        code, lev = pd.factorize(arr, sort=True)  # hash-based, O(n)
        levels.append(np.asarray(lev, dtype=np.float64))
        codes.append(np.asarray(code, dtype=np.int64))
    if math.prod(max(lev.size, 1) for lev in levels) < 2**62:
        key = np.zeros(arrays[0].size, dtype=np.int64)
        for lev, code in zip(levels, codes, strict=True):
            key = key * lev.size + code
        inverse_codes, key_levels = pd.factorize(key, sort=True)
        keys, inverse = np.asarray(key_levels, dtype=np.int64), np.asarray(inverse_codes)
        cols_out = []
        for lev in reversed(levels):
            cols_out.append(lev[keys % lev.size])
            keys = keys // lev.size
        uniq = np.column_stack(cols_out[::-1]) if cols_out else np.empty((0, 0))
    else:
        uniq, inverse = np.unique(np.column_stack(arrays), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    n_rows = arrays[0].size if arrays else 0
    w = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=np.float64)
    counts = np.bincount(inverse, weights=w, minlength=uniq.shape[0]).astype(np.float64)
    return {n: uniq[:, i].copy() for i, n in enumerate(names)}, counts, inverse
