"""The abstract base of the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD).

A family defines its maths on arrays (``_log_likelihood_rows``, ``_p_alive_rows``, ...:
the abstract methods of :class:`TransactionFamily`); the base adds the validated pandas
shell (summary in, Series or DataFrame indexed by ``customer_id`` out), the fit-check
table and simulation output. The fit itself runs in
:func:`crmkit.clv._transaction_fit.fit_transaction_model`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit import columns as cols
from crmkit._compat import horizon_keyword
from crmkit._validation import NanPolicy, as_generator, check_whole, real_array, require_columns
from crmkit.clv._base import (
    FitResult,
    Progress,
)
from crmkit.clv._checks import (
    check_horizon,
    frame_result,
    scalar_or_array,
    simulation_frame,
    simulation_times,
)
from crmkit.clv._dask import WEIGHT, distinct_rows, is_dask, scores_on_partitions
from crmkit.clv._data import SummaryArrays, summary_arrays
from crmkit.clv._persist import Persistable
from crmkit.clv._special import wdot
from crmkit.clv._transaction_fit import Objective, fit_transaction_model
from crmkit.clv._warm import warm_fit
from crmkit.exceptions import (
    InvalidValueError,
)
from crmkit.timeunits import TimeUnit

__all__ = ["TransactionFamily"]

ModelT = TypeVar("ModelT")
Arr = NDArray[np.float64]


def _scratch(values: Arr, data: SummaryArrays) -> Arr | None:
    """``values`` if a prediction may be finished in place (an array of its own, not the
    summary's columns), else None (numpy then allocates the result)."""
    owned = values.base is None and values.flags.writeable
    for col in (data.frequency, data.recency, data.T):
        owned = owned and not np.may_share_memory(values, col)
    return values if owned else None


class TransactionFamily(Persistable, abc.ABC):
    """The abstract base of a continuous-time purchase-count model.

    A family implements the array core, the abstract methods below:
    ``_objective`` (log-likelihood and gradient for the fit), ``_start`` (data-scaled
    starting values), ``_simulate_arrays``, ``_log_likelihood_rows(x, tx, T)``,
    ``_p_alive_rows(x, tx, T)``, ``_alive_survival(t, x, tx, T)`` (P(alive at T + t |
    alive at T, history)), ``_no_purchase_if_alive(t, x, tx, T)``,
    ``_conditional_rows(t, x, tx, T)``, ``_expected(t)`` and ``_pmf(k, t)``. The base
    turns them into the validated pandas methods (``fit``, ``probability_alive``,
    ``conditional_expected_purchases``, ...), identical for every family.
    """

    _family: ClassVar[str] = "model"
    _param_names: ClassVar[tuple[str, ...]] = ()
    time_unit: TimeUnit | None

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name, in the order of the class's fields (and of ``x0``)."""
        return {name: float(getattr(self, name)) for name in self._param_names}

    _warm_start_rows: ClassVar[int | None] = None
    """Summaries this long (and no ``x0``) are fitted from a subsample's estimate."""

    @classmethod
    @abc.abstractmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        raise NotImplementedError

    @staticmethod
    @abc.abstractmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _simulate_arrays(self, T: Arr, rng: np.random.Generator) -> tuple[Arr, Arr]:
        raise NotImplementedError

    @abc.abstractmethod
    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError

    @abc.abstractmethod
    def _expected(self, t: Arr) -> Arr:
        raise NotImplementedError

    def _discounted_rows(self, ends: Arr, discount: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        """:math:`\\sum_k d_k (E[X(t_k)] - E[X(t_{k-1})])` per customer, :math:`t_0 = 0`.

        ``ends`` are the period ends :math:`t_1 < \\dots < t_K` and ``discount`` the
        factors :math:`d_k`. This default evaluates the conditional expectation at every
        end (in blocks of at most 2**19 customer-periods); families with a cheaper
        route override it.
        """
        out = np.empty(x.size)
        block = max(1, (1 << 19) // max(ends.size, 1))
        for start in range(0, x.size, block):
            sl = slice(start, start + block)
            cum = self._conditional_rows(ends[None, :], x[sl, None], tx[sl, None], T[sl, None])
            steps = np.diff(np.maximum(cum, 0.0), axis=1, prepend=0.0)
            out[sl] = np.einsum("ij,j->i", steps, discount)
        return out

    @abc.abstractmethod
    def _pmf(self, k: Arr, t: Arr) -> Arr:
        raise NotImplementedError

    def _arrays(self, summary: pd.DataFrame, **col_kwargs: Any) -> SummaryArrays:
        return summary_arrays(summary, family=self._family, **col_kwargs)

    @staticmethod
    def _grid(t: Arr, data: SummaryArrays) -> tuple[Arr, Arr, Arr, Arr]:
        if t.ndim == 0:
            return (
                t,
                data.frequency,
                data.recency,
                data.T,
            )
        return (
            t[None, :],
            data.frequency[:, None],
            data.recency[:, None],
            data.T[:, None],
        )

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame,
        *,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
        weights_col: str | None = None,
        x0: ArrayLike | None = None,
        time_unit: TimeUnit | None = None,
        nan_policy: NanPolicy = "raise",
        strict: bool = True,
        callback: Progress | None = None,
    ) -> FitResult[Self]:
        """Fit by maximum likelihood on the distinct (x, t_x, T) histories.

        The optimiser searches the log-parameters inside the box ``[1e-6, 1e8]`` times
        the data-scaled default start. When the likelihood's maximum lies at the edge of
        the parameter space (e.g. no dropout visible in the data), the fit stops at the
        box, names the limit model in a :class:`~crmkit.exceptions.BoundaryWarning` and
        lists the parameters in ``FitResult.at_boundary``. ``converged`` is True only at
        a point with a small gradient and a negative definite Hessian; otherwise the fit
        restarts (at most 3 times) from other data-scaled starts. BG/NBD and MBG/NBD
        supply the exact Hessian of their log-likelihood: each start is first tried with
        damped Newton steps (a handful of passes over the data), and L-BFGS-B takes over
        only where those stop short of an interior maximum.

        Pareto/NBD summaries of 30,000 rows or more, without ``x0``, are first fitted on
        a seeded random subsample of 5,000 rows; a few quasi-Newton steps on the full
        data refine that estimate, and the usual fit starts there, so the optimiser
        needs only a few full-data iterations. The result is always the full-data
        maximum that passed the convergence checks on the full data: if any step warns
        or fails, the full data are fitted from the default starts instead (and that
        fit's warnings and errors are the ones reported).

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer (or per distinct history with ``weights_col``) with
            frequency, recency and T in one time unit.
        frequency_col, recency_col, T_col : str
            Column names.
        weights_col : str, optional
            Number of customers per row.
        x0 : array_like, optional
            Starting values in the order of :attr:`params` (``(r, alpha, a, b)`` for
            BG/NBD and MBG/NBD, ``(r, alpha, s, beta)`` for Pareto/NBD); default scaled
            to the purchase rate.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            The summary's unit; default ``summary.attrs.get("crmkit_time_unit")``.
        nan_policy : {"raise", "omit"}
            Missing values raise by default.
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if no end point passes the
            convergence checks (default); with False, warn with
            :class:`~crmkit.exceptions.ConvergenceWarning` and return the best end point.
        callback : callable, optional
            ``callback(iteration, log_likelihood, params)`` after every optimiser
            iteration (``params`` a dict by name), e.g. to show progress of a long fit
            (with a warm start: after each full-data refinement step first).
            Progress is also logged at DEBUG level to the ``crmkit.clv`` logger.

        Returns
        -------
        FitResult
            ``.model`` is an instance of the class ``fit`` was called on; log-likelihood,
            standard errors, intervals.

        Raises
        ------
        MissingColumnsError, InvalidValueError, InvariantError
            For bad summaries (see :func:`crmkit.clv._data.summary_arrays`).
        ConvergenceError
            If the optimiser fails and ``strict`` is True.

        Warns
        -----
        DegenerateDataWarning
            If nobody made a repeat purchase (the parameters are not identified).
        BoundaryWarning
            If the maximum lies at the edge of the parameter space (the message names the
            limit model).

        Examples
        --------
        The CDNOW estimates of Fader, Hardie & Lee (2005, BG/NBD) and of their Pareto/NBD
        comparison:

        >>> from crmkit.clv import BetaGeo, ParetoNBD
        >>> from crmkit.datasets import load_cdnow_summary
        >>> fit = BetaGeo.fit(load_cdnow_summary())
        >>> {k: round(v, 3) for k, v in fit.params.items()}
        {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
        >>> round(fit.log_likelihood, 1)
        -9582.4
        >>> {k: round(v, 2) for k, v in ParetoNBD.fit(load_cdnow_summary()).params.items()}
        {'r': 0.55, 'alpha': 10.58, 's': 0.61, 'beta': 11.67}
        """
        if is_dask(summary):  # the cluster reduces the customers to distinct histories
            keys = [frequency_col, recency_col, T_col]
            summary = distinct_rows(summary, keys, weights_col, name=cls._family)
            weights_col = WEIGHT
        kw: dict[str, Any] = {
            "frequency_col": frequency_col,
            "recency_col": recency_col,
            "T_col": T_col,
            "weights_col": weights_col,
            "time_unit": time_unit,
            "nan_policy": nan_policy,
        }
        rows = cls._warm_start_rows
        large = isinstance(summary, pd.DataFrame) and rows is not None and len(summary) >= rows
        if large and x0 is None:
            warm = warm_fit(cls, cls._fit_from, summary, kw, callback)
            if warm is not None:
                return warm
        return cls._fit_from(summary, x0=x0, strict=strict, callback=callback, **kw)

    @classmethod
    def _fit_from(
        cls,
        summary: pd.DataFrame,
        *,
        x0: ArrayLike | None = None,
        objective: Callable[[Arr, Arr, Arr, Arr], Objective] | None = None,
        histories: tuple[Arr, Arr, Arr, Arr] | None = None,
        **kw: Any,
    ) -> FitResult[Self]:
        """The fit from ``x0`` (or the default starts), without a warm start; ``objective``
        replaces ``cls._objective`` and ``histories`` are the summary's distinct rows
        (the warm start passes the ones it built)."""
        return fit_transaction_model(
            cls,
            summary,
            names=cls._param_names,
            family=cls._family,
            objective=cls._objective if objective is None else objective,
            histories=histories,
            start=cls._start,
            x0=x0,
            **kw,
        )

    def simulate(self, n_customers: int, T: ArrayLike, rng: Any) -> pd.DataFrame:
        """Draw ``n_customers`` synthetic histories observed for ``T`` (scalar or per customer).

        Parameters
        ----------
        n_customers : int
            Number of customers (>= 1).
        T : float or array_like
            Observation length(s) > 0 in the model's time unit.
        rng : numpy.random.Generator or int
            The random generator (an integer seeds a new one).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id`` (0 ... n - 1) with ``frequency``, ``recency``, ``T``;
            ``attrs["crmkit_time_unit"]`` is the model's time unit when it has one.

        Examples
        --------
        >>> import numpy as np
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> sim = bg.simulate(5, 39.0, np.random.default_rng(0))
        >>> list(sim.columns), len(sim)
        (['frequency', 'recency', 'T'], 5)
        """
        generator = as_generator(rng, allow_none=False)
        TT = simulation_times(n_customers, T)
        x, tx = self._simulate_arrays(TT, generator)
        return simulation_frame(x, tx, TT, self.time_unit)

    def log_likelihood(
        self,
        summary: pd.DataFrame,
        *,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
        weights_col: str | None = None,
    ) -> float:
        """Total log-likelihood of a summary under this model (weights count customers).

        Raises
        ------
        MissingColumnsError, InvalidValueError, InvariantError
            For a bad summary.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> round(bg.log_likelihood(s), 4)
        -10.0133
        """
        if is_dask(summary):  # the cluster reduces the customers to distinct histories
            keys = [frequency_col, recency_col, T_col]
            summary = distinct_rows(summary, keys, weights_col, name=self._family)
            weights_col = WEIGHT
        data = self._arrays(
            summary,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
            weights_col=weights_col,
        )
        rows = self._log_likelihood_rows(data.frequency, data.recency, data.T)
        return float(wdot(data.weights, rows))

    def expected_purchases(self, t: ArrayLike) -> Arr:
        """Expected repeat purchases in (0, t] of a new customer; broadcasts over ``t``.

        Parameters
        ----------
        t : float or array_like
            Horizon(s) >= 0 in the model's time unit.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Same shape as ``t`` (a float for a scalar ``t``); 0 at ``t = 0`` and
            non-decreasing.

        Examples
        --------
        >>> from crmkit.clv import BetaGeo
        >>> BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).expected_purchases([0, 39]).round(4)
        array([0.    , 1.1967])
        """
        return scalar_or_array(self._expected(check_horizon(t)))

    def probability_of_purchases(self, k: ArrayLike, t: ArrayLike) -> Arr:
        """P(X(t) = k) for a new customer, broadcast over ``k`` and ``t``.

        Parameters
        ----------
        k : int or array_like
            Numbers of repeat purchases (whole numbers >= 0).
        t : float or array_like
            Horizon(s) >= 0 in the model's time unit.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Probabilities in [0, 1], broadcast shape of ``k`` and ``t`` (a float when both
            are scalars).

        Examples
        --------
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> bg.probability_of_purchases([0, 1, 2], 39).round(4)
        array([0.5738, 0.1994, 0.0854])
        """
        kk = real_array(k, name="k")
        if not np.all(np.isfinite(kk)) or np.any(kk < 0) or np.any(kk != np.round(kk)):
            raise InvalidValueError(f"k={kk.tolist()!r} must hold whole numbers >= 0.")
        tt = real_array(t, name="t")
        if not np.all(np.isfinite(tt)) or np.any(tt < 0):
            raise InvalidValueError(f"t={tt.tolist()!r} must be finite and >= 0.")
        kk, tt = np.broadcast_arrays(kk, tt)
        return scalar_or_array(np.clip(self._pmf(kk, tt), 0.0, 1.0))

    @horizon_keyword
    @scores_on_partitions
    def conditional_expected_purchases(
        self,
        summary: pd.DataFrame,
        *,
        t: ArrayLike,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series | pd.DataFrame:
        """Expected purchases in (T, T + t] per customer given the history.

        A scalar ``t`` gives a Series named ``conditional_expected_purchases``; a 1-d ``t``
        a DataFrame with one column per horizon. Both are indexed like ``summary``.

        Raises
        ------
        InvalidValueError
            For a negative or non-finite horizon (and bad summaries, as in ``fit``).

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> bg.conditional_expected_purchases(s, t=39).round(3).tolist()
        [1.226, 0.195]
        """
        tt = check_horizon(t)
        data = self._arrays(
            summary, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
        )
        values = np.asarray(self._conditional_rows(*self._grid(tt, data)), dtype=np.float64)
        values = np.maximum(values, 0.0, out=_scratch(values, data))
        return frame_result(values, tt, data.index, "conditional_expected_purchases")

    @horizon_keyword
    @scores_on_partitions
    def probability_alive(
        self,
        summary: pd.DataFrame,
        *,
        t: ArrayLike = 0.0,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series | pd.DataFrame:
        """P(alive at T + t | history) per customer (``t = 0``: alive now).

        A scalar ``t`` gives a Series named ``probability_alive``; a 1-d ``t`` a DataFrame
        with one column per horizon. Both are indexed like ``summary``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> bg.probability_alive(s, t=[0, 52]).round(3).to_numpy().tolist()
        [[0.727, 0.532], [1.0, 0.944]]
        """
        tt = check_horizon(t)
        data = self._arrays(
            summary, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
        )
        tg, x, tx, T = self._grid(tt, data)
        if tt.ndim == 0 and float(tt) == 0.0:  # alive now: the survival factor is 1
            values = np.asarray(self._p_alive_rows(x, tx, T), dtype=np.float64)
        else:
            values = self._p_alive_rows(x, tx, T) * self._alive_survival(tg, x, tx, T)
        values = np.clip(values, 0.0, 1.0, out=_scratch(values, data))
        return frame_result(values, tt, data.index, "probability_alive")

    @horizon_keyword
    @scores_on_partitions
    def probability_no_purchase(
        self,
        summary: pd.DataFrame,
        *,
        t: ArrayLike,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series | pd.DataFrame:
        """P(no purchase in (T, T + t] | history) per customer.

        Equals :math:`1 - P(\\text{alive}) + P(\\text{alive})\\,
        E[P(\\text{no purchase} \\mid \\text{alive})]`. A scalar ``t`` gives a Series named
        ``probability_no_purchase``; a 1-d ``t`` a DataFrame with one column per horizon.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.clv import BetaGeo
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> bg.probability_no_purchase(s, t=39).round(3).tolist()
        [0.445, 0.855]
        """
        tt = check_horizon(t)
        data = self._arrays(
            summary, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
        )
        tg, x, tx, T = self._grid(tt, data)
        alive = self._p_alive_rows(x, tx, T)
        values = 1.0 - alive * (1.0 - self._no_purchase_if_alive(tg, x, tx, T))
        return frame_result(np.clip(values, 0.0, 1.0), tt, data.index, "probability_no_purchase")

    def expected_repeat_frequency(
        self,
        summary: pd.DataFrame,
        *,
        max_frequency: int = 7,
        T_col: str = cols.T,
        weights_col: str | None = None,
    ) -> pd.Series:
        """Expected number of customers with 0, 1, ..., ``max_frequency`` or more purchases.

        The model's half of the classic fit-check histogram (Fader, Hardie & Lee 2005,
        figure 2): :math:`\\sum_i P(X(T_i) = k)` over the customers' observation lengths
        :math:`T_i`; the last entry counts ``max_frequency`` or more.

        Returns
        -------
        pandas.Series
            Indexed by ``frequency`` (0 ... ``max_frequency``), named ``expected_customers``.

        Examples
        --------
        >>> from crmkit.clv import BetaGeo
        >>> from crmkit.datasets import load_cdnow_summary
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> bg.expected_repeat_frequency(load_cdnow_summary(), max_frequency=3).round(1).tolist()
        [1406.5, 460.8, 192.7, 297.0]
        """
        max_frequency = check_whole(max_frequency, name="max_frequency", low=1, high=10**6)
        needed = [T_col] + ([weights_col] if weights_col is not None else [])
        require_columns(summary, needed)
        T = check_horizon(summary[T_col].to_numpy(), name=T_col)
        w = (
            np.ones(T.size)
            if weights_col is None
            else check_horizon(summary[weights_col].to_numpy(dtype=np.float64), name=weights_col)
        )
        Tu, inv = np.unique(T, return_inverse=True)
        wu = np.bincount(inv.reshape(-1), weights=w, minlength=Tu.size)
        k = np.arange(int(max_frequency), dtype=np.float64)
        pmf = np.clip(self._pmf(k[None, :], Tu[:, None]), 0.0, 1.0)
        head = np.einsum("i,ij->j", wu, pmf)
        values = np.append(head, max(float(w.sum()) - float(head.sum()), 0.0))
        return pd.Series(
            values,
            index=pd.Index(np.arange(int(max_frequency) + 1), name="frequency"),
            name="expected_customers",
        )
