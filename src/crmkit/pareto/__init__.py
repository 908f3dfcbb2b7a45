r"""Concentration of value across customers or products: Pareto shares, Lorenz, Gini, ABC.

"20% of the customers bring 80% of the profit" is a claim about one curve, the
*concentration curve* :math:`S(q)`: the share of the total value contributed by the
top fraction :math:`q` of units (customers, products) ranked by value. With the values
sorted in decreasing order :math:`v_{(1)} \ge \dots \ge v_{(n)}` and total :math:`V`,

.. math::

    S(k/n) = \frac{1}{V}\sum_{j=1}^{k} v_{(j)}, \qquad k = 0, \dots, n,

linearly interpolated between those points, so ``top_share(0.2)`` on 4,317 customers
counts 863 customers and 0.4 of the 864th. :math:`S` is the Lorenz curve seen from the
top: :math:`L(q) = 1 - S(1 - q)`. The Gini coefficient is one minus twice the area under
:math:`L` (trapezoids over the :math:`n + 1` points), i.e. the sample Gini
:math:`G = \frac{\sum_i \sum_j |v_i - v_j|}{2 n^2 \bar v}`.

Every function takes an array, a Series (index = unit labels) or a DataFrame with
``value_col`` and optional ``group_col`` (values are summed per group first, e.g. per
customer or per product); a dask DataFrame is reduced on the cluster. Negative values
(net returns, loss-making customers) raise unless ``negative`` says what to do.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import positional_options
from crmkit._display import Display, Displayable, VerdictHtml, fmt_number
from crmkit._intervals import ConfidenceInterval
from crmkit._validation import (
    NanPolicy,
    as_generator,
    check_option,
    check_probability,
    check_whole,
    items_of,
)
from crmkit.exceptions import InvalidValueError
from crmkit.pareto import _input
from crmkit.pareto._input import unit_values

__all__ = [
    "Concentration",
    "NegativePolicy",
    "ParetoVerdict",
    "Statistic",
    "abc_classes",
    "concentration",
    "gini",
    "lorenz",
    "share_for",
    "top_share",
]


NegativePolicy: TypeAlias = _input.NegativePolicy
"""What to do with units whose value is negative (net returns, loss-making customers):
``"raise"`` (the default), ``"clip"`` them to 0, ``"exclude"`` them or ``"keep"`` them."""


Statistic: TypeAlias = Literal["top_share", "share_for", "gini"]
"""A concentration statistic :meth:`Concentration.bootstrap` can resample."""


def _deprecated_field(old: str, new: str) -> None:
    warnings.warn(
        f"ParetoVerdict.{old} is deprecated and will be removed in crmkit 0.3; use "
        f"ParetoVerdict.{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


@attrs.frozen(kw_only=True)
class ParetoVerdict(VerdictHtml):
    """The measured figures behind a claim "the top ``top`` of units give ``claimed_share``".

    Attributes
    ----------
    top : float
        Claimed fraction of units, e.g. 0.2.
    claimed_share : float
        Claimed share of value, e.g. 0.8.
    measured_share : float
        Share of value the top ``top`` really give, :math:`S(\\text{top})`.
    units_needed : float
        Fraction of units that really give ``claimed_share``.
    holds : bool
        ``measured_share >= claimed_share``.
    n_units : int
        Number of units measured.
    interval : ConfidenceInterval or None
        Percentile bootstrap interval of ``measured_share`` (None without bootstrap).
    """

    top: float
    claimed_share: float
    measured_share: float
    units_needed: float
    holds: bool
    n_units: int
    interval: ConfidenceInterval | None = None

    @property
    def ci_low(self) -> float | None:
        """The lower end of ``interval`` (deprecated, use ``interval.lower``)."""
        _deprecated_field("ci_low", "interval.lower")
        return None if self.interval is None else self.interval.lower

    @property
    def ci_high(self) -> float | None:
        """The upper end of ``interval`` (deprecated, use ``interval.upper``)."""
        _deprecated_field("ci_high", "interval.upper")
        return None if self.interval is None else self.interval.upper

    @property
    def level(self) -> float | None:
        """The confidence level of ``interval`` (deprecated, use ``interval.level``)."""
        _deprecated_field("level", "interval.level")
        return None if self.interval is None else self.interval.level

    @property
    def claim(self) -> str:
        """The claim tested, in words (for :func:`crmkit.lifecycle.claims_table`)."""
        return f"top {self.top:.0%} of units give {self.claimed_share:.0%} of the value"

    def measured(self) -> dict[str, float]:
        """The measured figures by name (for :func:`crmkit.lifecycle.claims_table`)."""
        out = {
            "measured_share": self.measured_share,
            "units_needed": self.units_needed,
            "n_units": float(self.n_units),
        }
        if self.interval is not None:
            out.update(ci_low=self.interval.lower, ci_high=self.interval.upper)
        return out

    @property
    def conclusive(self) -> bool:
        """True when the interval lies wholly on one side of the claim (False without one)."""
        if self.interval is None:
            return False
        return (
            self.interval.lower >= self.claimed_share or self.interval.upper < self.claimed_share
        )

    def __str__(self) -> str:
        verb = "holds" if self.holds else "fails"
        text = (
            f"claim 'top {self.top:.0%} give {self.claimed_share:.0%}' {verb}: the top "
            f"{self.top:.0%} of {self.n_units} units give {self.measured_share:.1%}; "
            f"{self.claimed_share:.0%} needs the top {self.units_needed:.1%}"
        )
        if (ci := self.interval) is not None:
            text += f" ({ci.level:.0%} CI {ci.lower:.1%}-{ci.upper:.1%})"
        return text


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Concentration(Displayable):
    """Concentration of value over units, built by :func:`concentration`.

    Holds the values in ascending order and their cumulative sum; every statistic is a
    method or property computed from them in O(1) or O(log n) (one sort in total; the
    ABC classes need O(n) comparisons, no second sort). Labels (customer or product
    ids), when known, index the result of :meth:`abc`.
    """

    values: NDArray[np.float64]
    labels: pd.Index[Any] | None
    sorted_values: NDArray[np.float64]
    cumulative: NDArray[np.float64]

    def _display(self) -> Display:
        n = self.n_units
        if n == 0:
            return Display("Concentration of 0 units")
        facts = [
            f"total {fmt_number(self.total)}, Gini {self.gini:.3f}",
            f"top 20% of units give {self.top_share(0.2):.1%} of the value; "
            f"80% of the value comes from the top {self.share_for(0.8):.1%}",
        ]
        return Display(f"Concentration of {n:,} units", facts)

    @property
    def n_units(self) -> int:
        """Number of units (customers, products)."""
        return int(self.values.size)

    @property
    def total(self) -> float:
        """Total value."""
        return float(self.cumulative[-1])

    @property
    def _monotone(self) -> bool:
        # the cumulative sum is non-decreasing unless negative values were kept
        return bool(self.sorted_values[0] >= 0)

    def _cum_at(self, j: NDArray[np.float64]) -> NDArray[np.float64]:
        """Ascending cumulative value C(j) of the bottom j units, linear between units."""
        n = self.n_units
        j0 = np.clip(np.floor(j).astype(np.int64), 0, n - 1)
        lo = np.where(j0 > 0, self.cumulative[np.maximum(j0 - 1, 0)], 0.0)
        hi = self.cumulative[j0]
        out: NDArray[np.float64] = lo + (j - j0) * (hi - lo)
        return out

    def top_share(self, p: float) -> float:
        """Share of the total value given by the top fraction ``p`` of units (0..1)."""
        q = check_probability(p, name="p")
        n = self.n_units
        bottom = self._cum_at(np.array([n - q * n]))[0]
        return float((self.total - bottom) / self.total)

    def _top_ranks(self, share: float) -> int:
        """Number of top-ranked units whose predecessors hold less than ``share``."""
        threshold = self.total - share * self.total
        return self.n_units - int(np.searchsorted(self.cumulative, threshold, side="right"))

    def share_for(self, target: float) -> float:
        """Smallest fraction of units (top-ranked) whose value reaches ``target`` share."""
        t = check_probability(target, name="target")
        n = self.n_units
        if not self._monotone:
            return self._share_for_scan(t)
        threshold = self.total - t * self.total
        j = int(np.searchsorted(self.cumulative, threshold, side="right"))  # C(j) <= thr
        if j >= n:
            return 0.0
        c_lo = self.cumulative[j - 1] if j > 0 else 0.0
        c_hi = self.cumulative[j]
        frac = 0.0 if c_hi == c_lo else (threshold - c_lo) / (c_hi - c_lo)
        return float(min(max((n - j - frac) / n, 0.0), 1.0))

    def _share_for_scan(self, t: float) -> float:
        # linear scan of the top curve, for kept negative values (curve not monotone)
        asc = np.concatenate([[0.0], self.cumulative])
        curve = (self.total - asc[::-1]) / self.total
        reached = curve >= t
        if not reached.any():
            return 1.0
        k = int(np.argmax(reached))
        if k == 0:
            return 0.0
        lo, hi = curve[k - 1], curve[k]
        frac = 1.0 if hi == lo else (t - lo) / (hi - lo)
        return float(min(max((k - 1 + frac) / self.n_units, 0.0), 1.0))

    def lorenz(self, points: int | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lorenz curve: population share (ascending) and the share of value of the bottom.

        Parameters
        ----------
        points : int, optional
            Evaluate on ``points`` equally spaced population shares from 0 to 1 instead
            of all ``n + 1`` points.

        Returns
        -------
        tuple of numpy.ndarray
            ``(population_share, value_share)``, both from 0 to 1.
        """
        n = self.n_units
        if points is None:
            y = np.concatenate([[0.0], self.cumulative / self.total])
            return np.arange(n + 1, dtype=np.float64) / n, y
        points = check_whole(points, name="points", low=2, high=10**7)
        grid = np.linspace(0.0, 1.0, points)
        return grid, self._cum_at(grid * n) / self.total

    @property
    def gini(self) -> float:
        """Gini coefficient: 1 - 2 x area under the Lorenz curve (0 equal, -> 1 one unit)."""
        n = self.n_units
        g = 1.0 - (2.0 * (self.cumulative.sum() / self.total) - 1.0) / n
        return float(max(g, 0.0))  # >= 0 in exact arithmetic; clear the rounding

    def abc(self, thresholds: tuple[float, float] = (0.8, 0.95)) -> pd.Series:
        """ABC class of every unit by cumulative share of value, ranked from the top.

        A unit is ``"A"`` while the share of the units ranked above it is below
        ``thresholds[0]`` (so the unit that crosses 80% is still A), ``"B"`` while below
        ``thresholds[1]``, else ``"C"``. Ties in value are ranked by original position.

        Returns
        -------
        pandas.Series
            Categorical ``A``/``B``/``C`` in the units' original order, indexed by the
            labels (or 0..n-1).
        """
        pair = items_of(thresholds, name="thresholds")
        if len(pair) != 2:
            raise InvalidValueError(f"thresholds={thresholds!r} must be a pair (a, b).")
        a, b = (check_probability(t, name="thresholds") for t in pair)
        if not a < b:
            raise InvalidValueError(f"thresholds={thresholds} must be increasing.")
        if self._monotone:
            codes = np.full(self.n_units, 2, dtype=np.int8)
            codes[self._top_mask(self._top_ranks(b))] = 1
            codes[self._top_mask(self._top_ranks(a))] = 0
        else:
            order = np.argsort(-self.values, kind="stable")
            ranked = self.values[order]
            before = (np.cumsum(ranked) - ranked) / self.total
            codes = np.empty(self.n_units, dtype=np.int8)
            codes[order] = np.where(before < a, 0, np.where(before < b, 1, 2))
        index = self.labels if self.labels is not None else pd.RangeIndex(self.n_units)
        return pd.Series(
            pd.Categorical.from_codes(codes, categories=pd.Index(["A", "B", "C"])),
            index=index,
            name="abc_class",
        )

    def _top_mask(self, k: int) -> NDArray[np.bool_]:
        """Mask of the ``k`` top-ranked units; ties at the cut go by original position."""
        if k <= 0:
            return np.zeros(self.n_units, dtype=bool)
        cut = self.sorted_values[self.n_units - k]
        mask: NDArray[np.bool_] = self.values > cut
        need = k - int(np.count_nonzero(mask))
        if need > 0:
            mask[np.flatnonzero(self.values == cut)[:need]] = True
        return mask

    def bootstrap(
        self,
        statistic: Statistic = "top_share",
        *,
        p: float = 0.2,
        level: float = 0.95,
        n_resamples: int = 999,
        rng: np.random.Generator | int | None = 0,
    ) -> ConfidenceInterval:
        """Percentile bootstrap interval of ``"top_share"`` (at ``p``), ``"share_for"``
        (at target ``p``) or ``"gini"``, resampling units with replacement.

        Parameters
        ----------
        statistic : {"top_share", "share_for", "gini"}
        p : float
            The ``p`` of top_share or the target of share_for.
        level : float
            Confidence level in (0, 1).
        n_resamples : int
            Number of bootstrap samples (each costs one sort of n values).
        rng : numpy.random.Generator or int, default 0
            Seeded generator (or seed) for reproducible intervals.

        Returns
        -------
        ConfidenceInterval
            The statistic on all units as ``estimate``, the percentile interval as
            ``lower`` and ``upper`` (it unpacks as ``lower, upper``).

        Examples
        --------
        >>> c = concentration([1.0, 2.0, 3.0, 4.0, 50.0])
        >>> ci = c.bootstrap("top_share", p=0.2, n_resamples=200, rng=1)
        >>> ci.method, ci.level, round(ci.estimate, 3)
        ('percentile bootstrap', 0.95, 0.833)
        >>> lower, upper = ci
        >>> bool(lower <= upper)
        True
        """
        check_option(statistic, ("top_share", "share_for", "gini"), name="statistic")
        lvl = check_probability(level, name="level")
        check_probability(p, name="p")
        n_resamples = check_whole(n_resamples, name="n_resamples", low=10, high=10**6)
        gen = as_generator(rng)
        stats = np.empty(n_resamples)
        for i in range(n_resamples):  # one vectorised sort per resample, not per unit
            sample = _from_values(self.values[gen.integers(0, self.n_units, self.n_units)])
            if statistic == "gini":
                stats[i] = sample.gini
            elif statistic == "share_for":
                stats[i] = sample.share_for(p)
            else:
                stats[i] = sample.top_share(p)
        lo, hi = np.quantile(stats, [(1 - lvl) / 2, (1 + lvl) / 2])
        if statistic == "gini":
            estimate = self.gini
        elif statistic == "share_for":
            estimate = self.share_for(p)
        else:
            estimate = self.top_share(p)
        return ConfidenceInterval(
            estimate, float(lo), float(hi), level=lvl, method="percentile bootstrap"
        )

    def verdict(
        self,
        top: float = 0.2,
        share: float = 0.8,
        *,
        level: float | None = None,
        n_resamples: int = 999,
        rng: np.random.Generator | int | None = 0,
    ) -> ParetoVerdict:
        """Test the claim "the top ``top`` of units give ``share`` of the value".

        With ``level`` set, a bootstrap interval of the measured share is attached.
        """
        top_q = check_probability(top, name="top")
        claimed = check_probability(share, name="share")
        measured = self.top_share(top_q)
        interval = None
        if level is not None:
            interval = self.bootstrap(
                "top_share", p=top_q, level=level, n_resamples=n_resamples, rng=rng
            )
        return ParetoVerdict(
            top=top_q,
            claimed_share=claimed,
            measured_share=measured,
            units_needed=self.share_for(claimed),
            holds=bool(measured >= claimed),
            n_units=self.n_units,
            interval=interval,
        )


def _from_values(
    values: NDArray[np.float64], labels: pd.Index[Any] | None = None
) -> Concentration:
    asc = np.sort(values)
    with np.errstate(over="ignore", invalid="ignore"):
        cum = np.cumsum(asc)
    if not np.isfinite(cum).all():
        raise InvalidValueError(
            "the values add up to more than the float range (about 1.8e308); rescale them "
            "(e.g. to millions) first: shares and the Gini coefficient do not change."
        )
    if 0 < cum[-1] < np.finfo(np.float64).tiny * 2.0**52:
        raise InvalidValueError(
            f"the values add up to {cum[-1]:.3g}, so small that floats keep only a few "
            "digits of the shares; rescale them (e.g. multiply by 1e300) first: shares and "
            "the Gini coefficient do not change."
        )
    if not cum[-1] > 0:
        raise InvalidValueError(
            f"the total value is {cum[-1]}; shares of a zero or negative total are undefined."
        )
    return Concentration(values=values, labels=labels, sorted_values=asc, cumulative=cum)


def concentration(
    data: Any,
    *,
    value_col: str | None = None,
    group_col: str | None = None,
    negative: NegativePolicy = "raise",
    nan_policy: NanPolicy = "raise",
) -> Concentration:
    """Measure how concentrated value is over units (customers, products).

    Parameters
    ----------
    data : array-like, pandas.Series, pandas.DataFrame or dask.dataframe.DataFrame
        Values per unit (a Series' index gives the unit labels), or a frame of rows with
        ``value_col`` summed per ``group_col`` (e.g. transactions per customer or per
        product; a dask frame is summed on the cluster).
    value_col : str, optional
        Value column of a DataFrame (revenue, profit, ...).
    group_col : str, optional
        Unit column of a DataFrame; without it every row is a unit.
    negative : {"raise", "clip", "exclude", "keep"}, default "raise"
        Units with a negative value raise; ``"clip"`` counts them as 0 (they stay in the
        population), ``"exclude"`` removes them, ``"keep"`` keeps them (then shares may
        leave [0, 1] and the Gini may exceed 1).
    nan_policy : {"raise", "omit"}, default "raise"
        Missing values raise or, with ``"omit"``, their units are dropped.

    Returns
    -------
    Concentration
        With ``top_share``, ``share_for``, ``lorenz``, ``gini``, ``abc``, ``bootstrap``
        and ``verdict``.

    Raises
    ------
    InvalidValueError
        For NaN, infinite or negative values (per the policies), an empty input or a
        total value that is not positive.
    MissingColumnsError
        If ``value_col`` or ``group_col`` is missing from a DataFrame.

    References
    ----------
    - Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
      *Publications of the American Statistical Association*, 9(70), 209-219.
    - Gini, C. (1912). *Variabilita e mutabilita*. Bologna.

    Examples
    --------
    >>> c = concentration([50, 20, 10, 10, 5, 5, 0, 0, 0, 0])
    >>> c.top_share(0.2), c.share_for(0.7), round(c.gini, 3)
    (0.7, 0.2, 0.67)
    >>> print(c.verdict(top=0.2, share=0.8))
    claim 'top 20% give 80%' fails: the top 20% of 10 units give 70.0%; 80% needs the top 30.0%
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer": ["a", "b", "a", "c"], "amount": [5.0, 3.0, 1.0, 1.0]})
    >>> concentration(tx, value_col="amount", group_col="customer").abc().tolist()
    ['A', 'A', 'B']
    """
    values, labels = unit_values(
        data, value_col=value_col, group_col=group_col, negative=negative, nan_policy=nan_policy
    )
    return _from_values(values, labels)


def top_share(data: Any, p: float, **kwargs: Any) -> float:
    r"""Share of the total value from the top fraction ``p`` of units, :math:`S(p)`.

    Parameters
    ----------
    data : array-like, Series or DataFrame
        As for :func:`concentration`.
    **kwargs
        ``value_col``, ``group_col``, ``negative``, ``nan_policy`` of :func:`concentration`.
    p : float
        Fraction of units, 0..1.

    Returns
    -------
    float
        In [0, 1] (unless ``negative="keep"``).

    Raises
    ------
    InvalidValueError
        For ``p`` outside [0, 1] and the input errors of :func:`concentration`.

    Examples
    --------
    >>> top_share([8, 1, 1, 0, 0], 0.2)
    0.8
    """
    return concentration(data, **kwargs).top_share(p)


def share_for(data: Any, target: float, **kwargs: Any) -> float:
    r"""Smallest fraction of top-ranked units that gives ``target`` share of the value.

    The inverse of :func:`top_share`: :math:`\min\{q : S(q) \ge \text{target}\}`.

    Parameters
    ----------
    data : array-like, Series or DataFrame
        As for :func:`concentration`.
    **kwargs
        ``value_col``, ``group_col``, ``negative``, ``nan_policy`` of :func:`concentration`.
    target : float
        Share of value, 0..1.

    Returns
    -------
    float
        Fraction of units in [0, 1].

    Raises
    ------
    InvalidValueError
        For ``target`` outside [0, 1] and the input errors of :func:`concentration`.

    Examples
    --------
    >>> share_for([8, 1, 1, 0, 0], 0.9)
    0.4
    """
    return concentration(data, **kwargs).share_for(target)


@positional_options("points")
def lorenz(
    data: Any, *, points: int | None = None, **kwargs: Any
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lorenz curve ``(population_share, value_share)``, see :meth:`Concentration.lorenz`.

    Parameters
    ----------
    data : array-like, Series or DataFrame
        As for :func:`concentration`.
    **kwargs
        ``value_col``, ``group_col``, ``negative``, ``nan_policy`` of :func:`concentration`.
    points : int, optional
        Number of equally spaced points (default: all n + 1).

    Returns
    -------
    tuple of numpy.ndarray
        Population shares and the value shares of the bottom, both from 0 to 1.

    Raises
    ------
    InvalidValueError
        The input errors of :func:`concentration`, or ``points < 2``.

    Examples
    --------
    >>> x, y = lorenz([1, 1, 2])
    >>> y.tolist()
    [0.0, 0.25, 0.5, 1.0]
    """
    return concentration(data, **kwargs).lorenz(points)


def gini(data: Any, **kwargs: Any) -> float:
    r"""Sample Gini coefficient :math:`\sum_i\sum_j |v_i - v_j| / (2 n^2 \bar v)`.

    Equal to one minus twice the trapezoid area under the Lorenz curve (Gini 1912).

    Parameters
    ----------
    data : array-like, Series or DataFrame
        As for :func:`concentration`.
    **kwargs
        ``value_col``, ``group_col``, ``negative``, ``nan_policy`` of :func:`concentration`.

    Returns
    -------
    float
        0 for equal values, (n - 1) / n when one unit holds everything.

    Raises
    ------
    InvalidValueError
        The input errors of :func:`concentration`.

    Examples
    --------
    >>> gini([1, 2, 3, 4])
    0.25
    >>> gini([5, 5, 5])
    0.0
    """
    return concentration(data, **kwargs).gini


@positional_options("thresholds")
def abc_classes(
    data: Any, *, thresholds: tuple[float, float] = (0.8, 0.95), **kwargs: Any
) -> pd.Series:
    """ABC class per unit, see :meth:`Concentration.abc`.

    Parameters
    ----------
    data : array-like, Series or DataFrame
        As for :func:`concentration`.
    **kwargs
        ``value_col``, ``group_col``, ``negative``, ``nan_policy`` of :func:`concentration`.
    thresholds : tuple of float, default (0.8, 0.95)
        Cumulative value shares that end class A and class B.

    Returns
    -------
    pandas.Series
        Categorical A/B/C indexed by unit label.

    Raises
    ------
    InvalidValueError
        For thresholds that are not increasing shares and the input errors of
        :func:`concentration`.

    Examples
    --------
    >>> abc_classes(pd.Series([70, 20, 6, 4], index=list("wxyz"))).tolist()
    ['A', 'A', 'B', 'C']
    """
    return concentration(data, **kwargs).abc(thresholds)
