"""BG/BB: the beta-geometric / beta-Bernoulli model for discrete-time repeat buying.

Customers have *n* discrete transaction opportunities (years of a donation drive,
yearly events, weekly draws). While alive a customer transacts at each opportunity
with probability *p*; at the start of each opportunity an alive customer "dies" with
probability *θ*; ``p ~ Beta(alpha, beta)`` and ``θ ~ Beta(gamma, delta)`` across
customers (Fader, Hardie & Shang 2010). A history is summarised by (x, t_x, n):
repeat transactions, the opportunity of the last one (0 if none) and the number of
opportunities.
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crmkit import columns as cols
from crmkit._compat import horizon_keyword, renamed_keywords
from crmkit._validation import (
    NanPolicy,
    as_generator,
    check_numeric_column,
    handle_nan,
    optional_column,
    real_array,
    require_columns,
    require_nonempty,
)
from crmkit.clv._base import FitResult, Progress, maximize_log_likelihood
from crmkit.clv._boundary import bgbb_boundary, search_box
from crmkit.clv._checks import (
    labels_of,
    optional_time_unit,
    positive_count,
    positive_finite,
    real_parameter,
    scalar_or_array,
)
from crmkit.clv._dask import scores_on_partitions
from crmkit.clv._data import as_summary_frame
from crmkit.clv._persist import Persistable
from crmkit.clv._pochhammer import digamma_diff, log_beta_ratio, log_beta_ratio_grad, log_poch
from crmkit.clv._special import wdot
from crmkit.clv._starts import better_start, bgbb_moment_start
from crmkit.exceptions import DegenerateDataWarning, InvalidValueError, InvariantError
from crmkit.timeunits import TimeUnit

__all__ = ["BetaGeoBetaBinom"]

_NAMES = ("alpha", "beta", "gamma", "delta")
_F = NDArray[np.float64]


def _pattern_arrays(
    data: pd.DataFrame,
    *,
    frequency_col: str,
    recency_col: str,
    n_periods_col: str,
    weights_col: str | None,
    nan_policy: NanPolicy = "raise",
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], pd.Index
]:
    """Validate (x, t_x, n[, weights]) pattern data and return float arrays."""
    needed = [frequency_col, recency_col, n_periods_col] + (
        [weights_col] if weights_col is not None else []
    )
    data = as_summary_frame(data, needed, family="BG/BB")
    require_columns(data, needed)
    require_nonempty(data, name="the BG/BB data")
    for c in needed:
        check_numeric_column(data, c)
    frame = handle_nan(data, needed, nan_policy)
    require_nonempty(frame, name="the BG/BB data after dropping missing values")
    arrays = {c: frame[c].to_numpy(dtype=np.float64) for c in needed}
    for c, arr in arrays.items():
        bad = ~np.isfinite(arr) | (arr < 0) | (np.abs(arr - np.round(arr)) > 1e-9)
        if bad.any():
            raise InvalidValueError(
                f"BG/BB: column {c!r} must hold whole numbers >= 0; bad values "
                f"{arr[bad][:3].tolist()} at index {labels_of(frame.index, bad)}."
            )
    x, tx, n = (np.round(arrays[c]) for c in (frequency_col, recency_col, n_periods_col))
    w = np.round(arrays[weights_col]) if weights_col is not None else np.ones(x.size)
    rules = (
        (tx > n, "recency (opportunity of the last transaction) > n_periods"),
        (x > tx, "frequency > recency (x transactions need at least x opportunities)"),
        ((x == 0) & (tx > 0), "frequency 0 but recency > 0 (recency must be 0 with no repeat)"),
        (n < 1, "n_periods < 1"),
    )
    for mask, what in rules:
        if mask.any():
            raise InvariantError(
                f"BG/BB: {what} for {int(mask.sum())} row(s) at index "
                f"{labels_of(frame.index, mask)}."
            )
    return x, tx, n, w, frame.index


@attrs.frozen(kw_only=True)
class BetaGeoBetaBinom(Persistable):
    """The BG/BB model of Fader, Hardie & Shang (2010) as a frozen value.

    .. math::

        L(\\alpha,\\beta,\\gamma,\\delta \\mid x, t_x, n) =
        \\frac{B(\\alpha+x,\\beta+n-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma,\\delta+n)}{B(\\gamma,\\delta)}
        + \\sum_{i=0}^{n-t_x-1}
        \\frac{B(\\alpha+x,\\beta+t_x-x+i)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma+1,\\delta+t_x+i)}{B(\\gamma,\\delta)}

    (FHS 2010, eq. 5). Data are (x, t_x, n) patterns with customer counts: ``frequency``
    (repeat transactions x), ``recency`` (opportunity t_x of the last one, 0 if x = 0)
    and ``n_periods`` (opportunities n), e.g. :func:`crmkit.datasets.load_donations`.

    Parameters
    ----------
    alpha, beta : float
        Beta shape parameters of the transaction probability *p* (> 0).
    gamma, delta : float
        Beta shape parameters of the dropout probability *θ* (> 0).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Length of one transaction opportunity, if it is a calendar unit (used by
        :func:`crmkit.clv.customer_lifetime_value` to check horizons).

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
      discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.
    - Fader, P. S. & Hardie, B. G. S. (2011). Implementing the BG/BB model for
      customer-base analysis in Excel (brucehardie.com, note 010).

    Examples
    --------
    >>> from crmkit.datasets import load_donations
    >>> fit = BetaGeoBetaBinom.fit(load_donations())
    >>> {k: round(v, 3) for k, v in fit.params.items()}
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
    >>> round(fit.log_likelihood, 1), round(float(fit.model.expected_purchases(6)), 2)
    (-33225.6, 2.22)
    """

    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    gamma: float = attrs.field(converter=real_parameter, validator=positive_finite)
    delta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    @property
    def params(self) -> dict[str, float]:
        """Parameters by name, in the paper's order."""
        return {"alpha": self.alpha, "beta": self.beta, "gamma": self.gamma, "delta": self.delta}

    # ------------------------------------------------------------------ fitting
    @staticmethod
    def _log_likelihood_rows(
        theta: NDArray[np.float64],
        x: NDArray[np.float64],
        tx: NDArray[np.float64],
        n: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        # beta-function ratios as log-Pochhammer symbols: accurate also when a pair of
        # shapes runs to infinity (one probability for everyone), where betaln
        # differences lose every digit
        a, b, g, d = (float(v) for v in theta)
        first = log_beta_ratio(a, b, x, n - x) + log_beta_ratio(g, d, 0.0, n)
        k = int(np.max(n - tx)) if x.size else 0
        if k == 0:
            return np.asarray(first, dtype=np.float64)
        i = np.arange(k, dtype=np.float64)[None, :]
        terms = log_beta_ratio(a, b, x[:, None], tx[:, None] - x[:, None] + i) + log_beta_ratio(
            g, d, 1.0, tx[:, None] + i
        )
        terms = np.where(i < (n - tx)[:, None], terms, -np.inf)
        stacked = np.concatenate([first[:, None], terms], axis=1)
        return np.asarray(special.logsumexp(stacked, axis=1), dtype=np.float64)

    @staticmethod
    def _log_likelihood_and_grad(
        theta: NDArray[np.float64],
        x: NDArray[np.float64],
        tx: NDArray[np.float64],
        n: NDArray[np.float64],
        w: NDArray[np.float64],
    ) -> tuple[float, NDArray[np.float64]]:
        """Weighted total log-likelihood and its gradient in (alpha, beta, gamma, delta).

        Each row's likelihood is a sum of products of two beta ratios (FHS 2010, eq. 5);
        the gradient of its log is the average of the terms' gradients weighted by their
        shares of the sum, with the derivatives of the beta ratios from differences of
        digamma values that do not cancel for large shapes.
        """
        a, b, g, d = (float(v) for v in theta)
        k = int(np.max(n - tx)) if x.size else 0
        i = np.arange(k + 1, dtype=np.float64)[None, :] - 1.0  # column 0: the "alive" term
        alive = i < 0
        # column 0: B(a+x, b+n-x) B(g, d+n); column i+1: B(a+x, b+tx-x+i) B(g+1, d+tx+i)
        jb = np.where(alive, (n - x)[:, None], tx[:, None] - x[:, None] + i)
        ig = np.where(alive, 0.0, 1.0)
        jd = np.where(alive, n[:, None], tx[:, None] + i)
        xx = np.broadcast_to(x[:, None], jb.shape)
        terms = log_beta_ratio(a, b, xx, jb) + log_beta_ratio(g, d, ig, jd)
        terms = np.where(alive | (i < (n - tx)[:, None]), terms, -np.inf)
        rows = special.logsumexp(terms, axis=1)
        share = np.exp(terms - rows[:, None]) * w[:, None]
        ga, gb = log_beta_ratio_grad(a, b, xx, jb)
        gg, gd = log_beta_ratio_grad(g, d, ig, jd)
        grad = np.array(
            [np.sum(share * ga), np.sum(share * gb), np.sum(share * gg), np.sum(share * gd)]
        )
        return float(wdot(w, rows)), grad

    @classmethod
    def fit(
        cls,
        data: pd.DataFrame,
        /,
        *,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        n_periods_col: str = cols.N_PERIODS,
        weights_col: str | None = cols.WEIGHTS,
        time_unit: TimeUnit | None = None,
        x0: ArrayLike | None = None,
        nan_policy: NanPolicy = "raise",
        strict: bool = True,
        callback: Progress | None = None,
    ) -> FitResult[Self]:
        """Fit by maximum likelihood on (x, t_x, n) patterns with customer counts.

        The search is bounded (log-parameters in ``[1e-6, 1e8]``); a maximum at the edge
        of the parameter space (e.g. one transaction probability for everyone) is
        reported with a :class:`~crmkit.exceptions.BoundaryWarning` and
        ``FitResult.at_boundary``.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer or per pattern, with whole-number columns
            ``frequency``, ``recency``, ``n_periods`` and optionally ``weights``
            (customers per row; if the column is absent every row counts once).
        frequency_col, recency_col, n_periods_col, weights_col : str
            Column names; ``weights_col=None`` ignores weights.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            Length of one opportunity, stored on the fitted model; default
            ``data.attrs.get("crmkit_time_unit")``.
        x0 : array-like of 4 floats, optional
            Starting values (default: beta-binomial moments for alpha, beta and
            gamma = delta = 1, see :mod:`crmkit.clv._starts`, with restarts from 0.3 and
            3 times those when the first end point fails the convergence checks).
        nan_policy : {"raise", "omit"}
            Missing values raise by default.
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if the optimiser fails.
        callback : callable, optional
            ``callback(iteration, log_likelihood, params)`` after each iteration.

        Returns
        -------
        FitResult[BetaGeoBetaBinom]

        Raises
        ------
        MissingColumnsError, InvalidValueError, InvariantError
            For absent columns, non-integer or negative values, or impossible patterns
            (``recency > n_periods``, ``frequency > recency``).

        Warns
        -----
        DegenerateDataWarning
            If nobody made a repeat transaction (the parameters are then not identified).
        """
        weights_col = optional_column(data, weights_col, name="weights_col")
        unit = optional_time_unit(
            time_unit
            if time_unit is not None
            else getattr(data, "attrs", {}).get("crmkit_time_unit")
        )
        x, tx, n, w, _ = _pattern_arrays(
            data,
            frequency_col=frequency_col,
            recency_col=recency_col,
            n_periods_col=n_periods_col,
            weights_col=weights_col,
            nan_policy=nan_policy,
        )
        degenerate = not np.any((x > 0) & (w > 0))
        if degenerate:
            warnings.warn(
                "BG/BB: no customer made a repeat transaction, so the transaction and dropout "
                "processes are not identified; the estimates drift to the boundary and "
                "predictions are close to 0 repeat transactions for everybody.",
                DegenerateDataWarning,
                stacklevel=2,
            )
        inverse, px, ptx, pn = _factorize_patterns(x, tx, n)
        counts = np.bincount(inverse, weights=w, minlength=px.size)
        keep = counts > 0
        ux, utx, un, uw = px[keep], ptx[keep], pn[keep], counts[keep]

        def loglik(theta: NDArray[np.float64]) -> float:
            return float(wdot(uw, cls._log_likelihood_rows(theta, ux, utx, un)))

        def value_and_gradient(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            return cls._log_likelihood_and_grad(
                theta, ux, utx, un, np.asarray(uw, dtype=np.float64)
            )

        # start from moments, restarts around it; the search box stays anchored at 1
        scale = np.ones(4)
        moments = bgbb_moment_start(ux, un, np.asarray(uw, dtype=np.float64))
        default = better_start(loglik, [moments, scale])
        start = default if x0 is None else np.asarray(x0, dtype=np.float64)
        others = [default * 0.3, default * 3.0]
        opt = maximize_log_likelihood(
            loglik,
            start,
            names=_NAMES,
            n_obs=float(uw.sum()),
            value_and_gradient=value_and_gradient,
            # without repeat transactions nothing is identified (already warned above)
            strict=strict and not degenerate,
            family="BG/BB",
            bounds=search_box(scale),
            boundary=bgbb_boundary(scale),
            restarts=others if x0 is None else [default, *others],
            user_start=x0 is not None,
            callback=callback,
        )
        model = cls(**dict(zip(_NAMES, opt.params.tolist(), strict=True)), time_unit=unit)
        return FitResult.from_optimum(
            model, opt, names=_NAMES, n_customers=int(uw.sum()), n_unique=int(ux.size)
        )

    def log_likelihood(self, data: pd.DataFrame, /, **kwargs: Any) -> float:
        """Total (weighted) log-likelihood of pattern data under this model.

        Accepts the same column arguments as :meth:`fit`.

        Examples
        --------
        >>> from crmkit.datasets import load_donations
        >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> round(m.log_likelihood(load_donations()), 1)
        -33225.6
        """
        weights_col = kwargs.pop("weights_col", cols.WEIGHTS)
        weights_col = optional_column(data, weights_col, name="weights_col")
        x, tx, n, w, _ = _pattern_arrays(data, weights_col=weights_col, **self._cols(kwargs))
        theta = np.array(list(self.params.values()))
        return float(wdot(w, self._log_likelihood_rows(theta, x, tx, n)))

    @staticmethod
    def _cols(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "frequency_col": kwargs.get("frequency_col", cols.FREQUENCY),
            "recency_col": kwargs.get("recency_col", cols.RECENCY),
            "n_periods_col": kwargs.get("n_periods_col", cols.N_PERIODS),
        }

    # -------------------------------------------------------------- predictions
    def _log_alive(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """log P(alive at opportunity t) for a new customer: B(γ, δ+t)/B(γ, δ)."""
        return log_beta_ratio(self.gamma, self.delta, 0.0, t)

    def _alive_sum(self, n: NDArray[np.float64], m: NDArray[np.float64]) -> NDArray[np.float64]:
        """sum_{s=1}^{m} B(γ, δ+n+s)/B(γ, δ), in closed form (see :func:`_sum_over_r`)."""
        return np.asarray(np.exp(self._log_alive(n)) * self._alive_sum_over_r(n, m) + 0.0)

    def _alive_sum_over_r(
        self, n: NDArray[np.float64], m: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The sum of :meth:`_alive_sum` divided by :math:`R(n)` (no underflow of R(n))."""
        return _sum_over_r(self.delta + n, m, self.gamma)

    def expected_purchases(self, t: ArrayLike) -> NDArray[np.float64]:
        """Expected transactions in the first *t* opportunities of a new customer.

        .. math::

            E[X(n)] = \\frac{\\alpha}{\\alpha+\\beta}\\sum_{s=1}^{n}
            \\frac{B(\\gamma,\\delta+s)}{B(\\gamma,\\delta)}

        (equal to FHS 2010, eq. 9, and finite at γ = 1).

        Parameters
        ----------
        t : int or array-like of int
            Number of opportunities (>= 0).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> m.expected_purchases([0, 1]).round(4).tolist()
        [0.0, 0.4985]
        """
        n = _whole(t, "t")
        zero = np.zeros_like(n)
        return scalar_or_array(self.alpha / (self.alpha + self.beta) * self._alive_sum(zero, n))

    def probability_of_purchases(self, k: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
        """P(X(n) = k): probability that a new customer makes *k* transactions in *n* = t.

        .. math::

            P(X(n)=x) = \\binom{n}{x}\\frac{B(\\alpha+x,\\beta+n-x)}{B(\\alpha,\\beta)}
            \\frac{B(\\gamma,\\delta+n)}{B(\\gamma,\\delta)} + \\sum_{i=x}^{n-1}
            \\binom{i}{x}\\frac{B(\\alpha+x,\\beta+i-x)}{B(\\alpha,\\beta)}
            \\frac{B(\\gamma+1,\\delta+i)}{B(\\gamma,\\delta)}

        (FHS 2010, eq. 8). ``k`` and ``t`` broadcast against each other.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> p = m.probability_of_purchases(range(7), 6)
        >>> round(float(p.sum()), 10), round(float(p[0]), 4)
        (1.0, 0.3112)
        """
        kk, nn = np.broadcast_arrays(_whole(k, "k"), _whole(t, "t"))
        shape = kk.shape
        kk, nn = kk.ravel(), nn.ravel()
        a, b, g, d = self.alpha, self.beta, self.gamma, self.delta
        valid = kk <= nn
        ks = np.where(valid, kk, 0.0)
        first = (
            _log_choose(nn, ks) + log_beta_ratio(a, b, ks, nn - ks) + log_beta_ratio(g, d, 0.0, nn)
        )
        width = int(nn.max()) if nn.size else 0
        if width > 0:
            i = np.arange(width, dtype=np.float64)[None, :]
            ii = np.maximum(i, ks[:, None])
            terms = (
                _log_choose(ii, ks[:, None])
                + log_beta_ratio(a, b, ks[:, None], ii - ks[:, None])
                + log_beta_ratio(g, d, 1.0, ii)
            )
            terms = np.where((i >= ks[:, None]) & (i < nn[:, None]), terms, -np.inf)
            first = special.logsumexp(np.concatenate([first[:, None], terms], axis=1), axis=1)
        out = np.where(valid, np.exp(first), 0.0)
        return scalar_or_array(out.reshape(shape))

    def _history(
        self, summary: pd.DataFrame, kwargs: dict[str, Any]
    ) -> tuple[_F, _F, _F, NDArray[np.intp], pd.Index]:
        """Distinct (x, t_x, n) patterns of ``summary`` and each row's pattern number."""
        x, tx, n, _, index = _pattern_arrays(summary, weights_col=None, **self._cols(kwargs))
        inverse, ux, utx, un = _factorize_patterns(x, tx, n)
        return ux, utx, un, inverse, index

    def _log_l(
        self, x: NDArray[np.float64], tx: NDArray[np.float64], n: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        return self._log_likelihood_rows(np.array(list(self.params.values())), x, tx, n)

    @horizon_keyword
    @renamed_keywords(m="t")
    @scores_on_partitions
    def probability_alive(self, summary: pd.DataFrame, *, t: int = 1, **kwargs: Any) -> pd.Series:
        """P(alive at opportunity n + t | x, t_x, n) for each row of ``summary``.

        .. math::

            P(\\text{alive at } n+t) = \\frac{B(\\alpha+x,\\beta+n-x)}{B(\\alpha,\\beta)}
            \\frac{B(\\gamma,\\delta+n+t)}{B(\\gamma,\\delta)} \\Big/ L(\\cdot\\mid x,t_x,n)

        With the default ``t=1`` this is FHS 2010, eq. 11 (alive in the next period).

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``n_periods`` (names as in :meth:`fit`).
        t : int
            Opportunities ahead (>= 1), the horizon (called ``m`` in crmkit 0.1).

        Returns
        -------
        pandas.Series
            Named ``probability_alive``, indexed like ``summary``, values in [0, 1].

        Examples
        --------
        >>> from crmkit.datasets import load_donations
        >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> d = load_donations()
        >>> m.probability_alive(d).iloc[[0]].round(2).tolist()
        [0.11]
        """
        ahead = positive_count(t, name="t")
        x, tx, n, inverse, index = self._history(summary, kwargs)
        log_num = log_beta_ratio(self.alpha, self.beta, x, n - x) + self._log_alive(n + ahead)
        p = np.clip(np.exp(log_num - self._log_l(x, tx, n)), 0.0, 1.0)
        return pd.Series(p[inverse], index=index, name="probability_alive")

    @horizon_keyword
    @scores_on_partitions
    def conditional_expected_purchases(
        self, summary: pd.DataFrame, *, t: int, **kwargs: Any
    ) -> pd.Series:
        """Expected transactions in the next *t* opportunities, n+1 .. n+t, given history.

        .. math::

            E[X(n,n+n^*)\\mid x,t_x,n] = \\frac{1}{L}
            \\frac{B(\\alpha+x+1,\\beta+n-x)}{B(\\alpha,\\beta)}
            \\sum_{s=1}^{n^*}\\frac{B(\\gamma,\\delta+n+s)}{B(\\gamma,\\delta)}

        (FHS 2010, eq. 13, summed instead of its γ - 1 ratio so γ = 1 is exact).

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``n_periods``.
        t : int
            Number of future opportunities n* (>= 0), the horizon.

        Returns
        -------
        pandas.Series
            Named ``conditional_expected_purchases``, indexed like ``summary``.

        Examples
        --------
        >>> from crmkit.datasets import load_donations
        >>> m = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> d = load_donations()
        >>> round(float((m.conditional_expected_purchases(d, t=5) * d["weights"]).sum()))
        12882
        """
        horizon = _whole(t, "t")
        if horizon.ndim != 0:
            raise InvalidValueError(f"t={t!r} must be a single whole number of opportunities.")
        x, tx, n, inverse, index = self._history(summary, kwargs)
        # P(alive at n) E[p | ...] in logs first: R(n) and L can both underflow
        log_num = log_beta_ratio(self.alpha, self.beta, x + 1.0, n - x) + self._log_alive(n)
        ratio = np.exp(np.minimum(log_num - self._log_l(x, tx, n), 0.0))
        out = ratio * self._alive_sum_over_r(n, np.full_like(n, float(horizon)))
        return pd.Series(out[inverse], index=index, name="conditional_expected_purchases")

    # --------------------------------------------------------------- simulation
    def simulate(self, n_customers: int, T: int, rng: Any) -> pd.DataFrame:
        """Draw (x, t_x, n) histories of ``n_customers`` new customers over ``T`` opportunities.

        Each customer draws p ~ Beta(alpha, beta) and θ ~ Beta(gamma, delta), stays alive
        for L opportunities with P(L >= t) = (1 - θ)^t, and transacts with probability p at
        each of the first min(L, T) opportunities.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id`` (0..n-1): ``frequency``, ``recency``, ``n_periods``
            (int64), and ``alive`` (bool, alive at opportunity T + 1).

        Examples
        --------
        >>> import numpy as np
        >>> m = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
        >>> sim = m.simulate(5, 6, np.random.default_rng(1))
        >>> list(sim.columns), bool((sim["recency"] <= 6).all())
        (['frequency', 'recency', 'n_periods', 'alive'], True)
        """
        size = positive_count(n_customers, name="n_customers")
        n = positive_count(T, name="T")
        gen = as_generator(rng, allow_none=False)
        p = gen.beta(self.alpha, self.beta, size)
        theta = gen.beta(self.gamma, self.delta, size)
        lifetime = gen.geometric(np.clip(theta, 1e-300, 1.0)) - 1  # P(L >= t) = (1-θ)^t
        active = np.minimum(lifetime, n)
        # Failures counted back from the last active opportunity, then the rest binomial.
        back = gen.geometric(np.clip(p, 1e-300, 1.0)) - 1
        has = back < active
        recency = np.where(has, active - back, 0)
        extra = gen.binomial(np.maximum(recency - 1, 0), p)
        frequency = np.where(has, 1 + extra, 0)
        return pd.DataFrame(
            {
                cols.FREQUENCY: frequency.astype(np.int64),
                cols.RECENCY: recency.astype(np.int64),
                cols.N_PERIODS: np.full(size, n, dtype=np.int64),
                "alive": lifetime > n,
            },
            index=pd.RangeIndex(size, name=cols.CUSTOMER_ID),
        )


_NEAR_ONE = 1e-3
"""Below this distance of ``gamma`` from 1, :func:`_sum_over_r` uses its Taylor series."""


def _sum_over_r(x: _F, m: _F, g: float) -> _F:
    """:math:`\\sum_{s=1}^{m} R(n+s)/R(n)` with :math:`x = \\delta + n`, relative error ~1e-14.

    With :math:`R(t) = B(\\gamma, \\delta + t)/B(\\gamma, \\delta)` and
    :math:`\\varepsilon = \\gamma - 1` the telescoping sum is
    :math:`-x\\,\\operatorname{expm1}(D)/\\varepsilon` with
    :math:`D = h(x + m) - h(x)`, :math:`h(y) = \\log\\Gamma(y + 1) - \\log\\Gamma(y + \\gamma)`,
    i.e. :math:`D = \\log (x+1)_\\varepsilon - \\log (x+m+1)_\\varepsilon` (:func:`_log_q`
    with shift :math:`\\varepsilon`). Both factors are small together as
    :math:`\\gamma \\to 1`, so for :math:`|\\varepsilon| < 10^{-3}` the ratio
    :math:`D/\\varepsilon = -\\sum_{k \\ge 1} \\varepsilon^{k-1}
    [\\psi^{(k-1)}(x+m+1) - \\psi^{(k-1)}(x+1)]/k!` is summed instead (six terms: the
    seventh is below :math:`\\varepsilon^6 \\zeta(7)/7 < 2 \\times 10^{-19}` of the first),
    and the limit :math:`\\gamma = 1` is :math:`x\\,[\\psi(x+m+1) - \\psi(x+1)]`.
    The plain form :math:`[x(1 - Q) - mQ]/(\\gamma - 1)` loses up to 4e-4 of its
    value there by cancellation.
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    eps = g - 1.0
    if abs(eps) >= _NEAR_ONE:
        return np.asarray(-x * np.expm1(_log_q(x + 1.0, m, eps)) / eps, dtype=np.float64)
    lo, hi = x + 1.0, x + m + 1.0
    d_over_eps = digamma_diff(lo, m)
    fact, power = 1.0, 1.0
    for k in range(1, 6):  # psi^(k) differences, k = 1..5: a fixed six-term series
        fact *= k + 1
        power *= eps
        d_over_eps = d_over_eps + power / fact * (
            special.polygamma(k, hi) - special.polygamma(k, lo)
        )
    d_over_eps = -d_over_eps
    d = eps * d_over_eps
    safe = np.where(d == 0.0, 1.0, d)
    phi = np.where(d == 0.0, 1.0, np.expm1(safe) / safe)
    return np.asarray(-x * d_over_eps * phi, dtype=np.float64)


def _log_q(x: _F, m: _F, g: float) -> _F:
    """log (x)_m - log (x + g)_m (Pochhammer symbols), for any shift g > -1 with x + g > 0.

    For :math:`x \\ge 10^4 \\max(1, g)` (e.g. near no dropout, :math:`\\delta` large) it
    is :math:`-g\\,\\operatorname{log1p}(m/x) + f(x) - f(x + m)` with the first three
    terms of :math:`\\log\\Gamma(y + g) - \\log\\Gamma(y) - g \\log y =
    \\sum_k (-1)^{k+1} (B_{k+1}(g) - B_{k+1}) / (k (k+1) y^k)` (Tricomi & Erdelyi 1951;
    the next term is below :math:`g^5/y^4`), so the result keeps its relative accuracy
    however close Q is to 1; otherwise the difference of log-Pochhammer symbols whose
    shift is the smaller of ``g`` and ``m`` (the smaller terms, so the smaller rounding).
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    out = np.empty(x.shape, dtype=np.float64)
    far = x >= 1e4 * max(1.0, g)
    if np.any(far):
        xf, mf = x[far], m[far]
        c1 = g * (g - 1.0) / 2.0
        c2 = -(g**3 - 1.5 * g**2 + 0.5 * g) / 6.0
        c3 = (g**4 - 2.0 * g**3 + g**2) / 12.0

        def f(y: _F) -> _F:
            inv = 1.0 / y
            return np.asarray(inv * (c1 + inv * (c2 + inv * c3)), dtype=np.float64)

        out[far] = -g * np.log1p(mf / xf) + (f(xf) - f(xf + mf))
    near = ~far
    if np.any(near):
        xn, mn = x[near], m[near]
        out[near] = np.where(
            g < mn,
            log_poch(xn, g) - log_poch(xn + mn, g),
            log_poch(xn, mn) - log_poch(xn + g, mn),
        )
    return out


def _factorize_patterns(x: _F, tx: _F, n: _F) -> tuple[NDArray[np.intp], _F, _F, _F]:
    """Hash the whole-number (x, t_x, n) rows into pattern codes (O(rows), no sorting)."""
    base = int(n.max()) + 1
    key = (x.astype(np.int64) * base + tx.astype(np.int64)) * base + n.astype(np.int64)
    codes, uniques = pd.factorize(key)
    u = np.asarray(uniques, dtype=np.int64)
    ux, utx, un = u // (base * base), (u // base) % base, u % base
    return (
        np.asarray(codes, dtype=np.intp),
        ux.astype(np.float64),
        utx.astype(np.float64),
        un.astype(np.float64),
    )


def _whole(values: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = real_array(values, name=name)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr)) | (arr > 1e6)  # cost is O(t)
    if np.any(bad):
        raise InvalidValueError(
            f"{name}={values!r:.80} must be whole numbers of opportunities, 0 to 10**6 "
            "(BG/BB is a discrete-time model)."
        )
    return arr


def _log_choose(n: NDArray[np.float64], k: NDArray[np.float64]) -> NDArray[np.float64]:
    out = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
    return np.asarray(out, dtype=np.float64)
