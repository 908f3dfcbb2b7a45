"""Financial analysis of a CRM programme: NPV, IRR, payback, ROI, TCO, revenue-to-share.

**Timing convention.** A cash-flow sequence ``cash_flows[t]``, ``t = 0, 1, ..., n``,
holds the net flow of period ``t``: ``cash_flows[0]`` happens *now* (``t = 0``, not
discounted, typically the investment, negative) and ``cash_flows[t]`` at the end of
period ``t``. This is the convention of spreadsheet ``NPV`` **minus** its one-period
shift and the same as :func:`numpy_financial.npv`: crmkit's ``npv(r, flows)`` equals
``numpy_financial.npv(r, flows)`` and equals Excel's ``flows[0] + NPV(r, flows[1:])``.

**Rates are per period.** ``rate`` is the discount rate *per period of the flows*: with
monthly flows pass a monthly rate (convert an annual one with
:func:`crmkit.timeunits.convert_rate`), and :func:`irr` returns a rate per period.
Money carries no currency: flows in, the same unit out. Outflows are negative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crmkit._validation import check_in_range, check_whole, real_array
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import (
    as_flows,
    check_rate,
    discount_factors,
    scaled_total,
)
from crmkit.metrics._roots import polished_roots, single_root

__all__ = [
    "irr",
    "irr_roots",
    "npv",
    "payback_period",
    "revenue_to_share_ratio",
    "roi",
    "tco",
]


def npv(rate: float, cash_flows: ArrayLike) -> float:
    r"""Net present value of cash flows at a per-period discount rate.

    .. math::

        \mathrm{NPV}(r) = \sum_{t=0}^{n} \frac{c_t}{(1 + r)^t}

    Parameters
    ----------
    rate : float
        Discount rate **per period of the flows**, as a fraction (0.08 = 8 %); > -1.
    cash_flows : array_like of float
        ``c_0 .. c_n`` in money units; ``c_0`` is at ``t = 0`` (undiscounted).

    Returns
    -------
    float
        Present value at ``t = 0`` in the money unit of the flows.

    Raises
    ------
    InvalidValueError
        If ``rate <= -1`` or not finite, or the flows are empty or not finite.

    References
    ----------
    - Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2 (NPV).
    - numpy-financial ``npv`` (same timing convention; checked in the tests).

    Examples
    --------
    >>> round(npv(0.10, [-100, 60, 60]), 4)
    4.1322
    """
    r = check_rate(rate)
    c = as_flows(cash_flows)
    t = np.arange(c.size, dtype=np.float64)
    return scaled_total(c, discount_factors(r, t), name="npv")


_MAX_RANGE = 1e150


def irr_roots(cash_flows: ArrayLike) -> NDArray[np.float64]:
    r"""Every internal rate of return: all real rates ``r > -1`` with NPV zero.

    With :math:`x = 1 / (1 + r)`, :math:`\mathrm{NPV} = \sum_t c_t x^t` is a polynomial
    whose real positive roots map to rates :math:`r = 1/x - 1`. When the flows change sign
    once the single root is bracketed and found by Brent's method; otherwise the roots are
    the real positive companion-matrix eigenvalues, each polished by Newton steps. By
    Descartes' rule of signs there are at most as many roots as sign changes in the flows:
    exactly one for a conventional project (one outflow block followed by inflows),
    possibly none or several otherwise.

    Parameters
    ----------
    cash_flows : array_like of float
        ``c_0 .. c_n`` per period (see the module's timing convention).

    Returns
    -------
    numpy.ndarray of float
        The distinct rates per period, ascending; empty when no rate gives NPV = 0.

    Raises
    ------
    InvalidValueError
        If the flows are empty, not finite or all zero, have a root within 1e-15 of
        -100 %, or change sign more than once while spanning over 150 orders of
        magnitude.

    Examples
    --------
    >>> irr_roots([-100, 230, -132]).round(6)  # two sign changes, two rates
    array([0.1, 0.2])
    >>> irr_roots([-100, -50]).size  # all outflows: no rate
    0
    """
    c = as_flows(cash_flows)
    if not np.any(c):
        raise InvalidValueError("cash_flows are all zero; every rate gives NPV = 0.")
    nz = np.flatnonzero(c)
    c = c[: nz[-1] + 1]  # trailing zeros add nothing
    if c.size < 2 or np.all(c[nz] > 0) or np.all(c[nz] < 0):
        return np.empty(0, dtype=np.float64)
    signs = np.sign(c[nz])
    if int(np.count_nonzero(signs[1:] != signs[:-1])) == 1:
        found = [single_root(c)]
    else:
        mags = np.abs(c[nz])
        if mags.max() > _MAX_RANGE * mags.min():
            raise InvalidValueError(
                f"cash_flows range from {mags.min():.3g} to {mags.max():.3g} in magnitude "
                "and change sign more than once; beyond a ratio of 1e150 the roots cannot "
                "be computed reliably. Set negligible flows to exactly 0."
            )
        found = polished_roots(c)
    rates = 1.0 / np.asarray(found, dtype=np.float64) - 1.0
    return np.sort(rates)


def irr(cash_flows: ArrayLike) -> float:
    r"""Internal rate of return per period: the unique rate with NPV zero.

    .. math::

        \sum_{t=0}^{n} \frac{c_t}{(1 + \mathrm{IRR})^t} = 0

    Unlike spreadsheet ``IRR`` or :func:`numpy_financial.irr`, which silently pick one
    root (or return NaN), crmkit refuses ambiguous answers: all-outflow or all-inflow
    flows and flows with no real root raise, and flows with several roots raise listing
    all of them (use :func:`irr_roots` and :func:`npv` to read such a project).

    Parameters
    ----------
    cash_flows : array_like of float
        ``c_0 .. c_n`` per period; ``c_0`` at ``t = 0`` (see the module docstring).

    Returns
    -------
    float
        The IRR as a fraction per period of the flows (0.12 = 12 % per period).

    Raises
    ------
    InvalidValueError
        If the flows are empty/not finite/all zero, have no sign change (all outflows
        or all inflows), have no real root, or have several roots.

    References
    ----------
    - Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 5 (IRR pitfalls:
      lending vs borrowing, multiple rates of return).

    Examples
    --------
    >>> round(irr([-100, 39, 59, 55, 20]), 5)
    0.28095
    >>> irr([-100, 230, -132])
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: cash_flows have 2 internal rates of return ...
    """
    c = as_flows(cash_flows)
    nz = c[c != 0]
    if nz.size and (np.all(nz < 0) or np.all(nz > 0)):
        kind = "outflows (negative)" if nz[0] < 0 else "inflows (positive)"
        raise InvalidValueError(
            f"cash_flows are all {kind}: no discount rate makes NPV zero, so the IRR does "
            "not exist. Check the signs: investments are negative, returns positive."
        )
    roots = irr_roots(c)
    if roots.size == 0:
        raise InvalidValueError(
            f"cash_flows {c.tolist()} have no internal rate of return: NPV is never zero "
            "for a rate > -1. Judge the project by npv() at your cost of capital instead."
        )
    if roots.size > 1:
        raise InvalidValueError(
            f"cash_flows have {roots.size} internal rates of return "
            f"{[round(float(r), 10) for r in roots]} (the flows change sign more than "
            "once), so a single IRR is meaningless. Use irr_roots() for all of them and "
            "npv() at your cost of capital to decide."
        )
    return float(roots[0])


def payback_period(cash_flows: ArrayLike, *, rate: float | None = None) -> float:
    r"""Periods until the cumulative (optionally discounted) cash flow turns non-negative.

    .. math::

        P = (k - 1) + \frac{-S_{k-1}}{d_k}, \quad S_j = \sum_{t=0}^{j} d_t,
        \quad d_t = \frac{c_t}{(1 + r)^t}

    where :math:`k` is the first period with :math:`S_k \ge 0` after :math:`S_{k-1} < 0`;
    flows are taken as spread evenly within a period (linear interpolation).

    Parameters
    ----------
    cash_flows : array_like of float
        ``c_0 .. c_n`` per period; ``c_0`` at ``t = 0``.
    rate : float, optional
        Discount rate per period for the *discounted* payback; ``None`` (default) gives
        the simple payback.

    Returns
    -------
    float
        Payback in periods of the flows; ``0.0`` when ``c_0 >= 0``.

    Raises
    ------
    InvalidValueError
        If the flows never pay back within the periods given (say how far short they
        end), or are empty, or ``rate <= -1``.

    Examples
    --------
    >>> payback_period([-100, 40, 40, 40])
    2.5
    >>> round(payback_period([-100, 50, 50, 50], rate=0.10), 3)
    2.352
    """
    c = as_flows(cash_flows)
    t = np.arange(c.size, dtype=np.float64)
    d = c if rate is None else c * discount_factors(check_rate(rate), t)
    cum = np.cumsum(d)
    if cum[0] >= 0:
        return 0.0
    after = np.flatnonzero(cum >= 0)
    if after.size == 0:
        raise InvalidValueError(
            f"the cumulative {'discounted ' if rate is not None else ''}cash flow never "
            f"reaches zero within the {c.size - 1} period(s) given (it ends at "
            f"{cum[-1]:.6g}); the investment does not pay back. Extend the horizon."
        )
    k = int(after[0])
    return float((k - 1) + (-cum[k - 1]) / d[k])


def roi(gain: float, cost: float) -> float:
    r"""Return on investment: net gain per unit of cost.

    .. math::

        \mathrm{ROI} = \frac{G - C}{C}

    Parameters
    ----------
    gain : float
        Total benefit attributed to the investment over the evaluation period (money).
    cost : float
        Total cost of the investment over the same period (money), > 0.

    Returns
    -------
    float
        ROI as a fraction for that period (0.25 = 25 %); not annualised.

    Raises
    ------
    InvalidValueError
        If ``cost <= 0`` or either value is not finite.

    Examples
    --------
    >>> roi(gain=125_000, cost=100_000)
    0.25
    """
    g = check_in_range(gain, name="gain")
    k = check_in_range(cost, name="cost", low=0.0, low_inclusive=False)
    return (g - k) / k


def tco(
    initial_cost: float,
    recurring_costs: ArrayLike,
    *,
    horizon: int | None = None,
    rate: float = 0.0,
) -> float:
    r"""Total cost of ownership over a horizon (optionally discounted to ``t = 0``).

    .. math::

        \mathrm{TCO} = I + \sum_{t=1}^{H} \frac{k_t}{(1 + r)^t}

    Parameters
    ----------
    initial_cost : float
        Up-front cost ``I`` at ``t = 0`` (licences, hardware, implementation), >= 0.
    recurring_costs : float or array_like of float
        Cost per period ``k_1 .. k_H`` (support, hosting, staff, training), each >= 0;
        a scalar is repeated for ``horizon`` periods.
    horizon : int, optional
        Number of periods ``H``; required with a scalar ``recurring_costs``, and must
        match the length of an array if both are given.
    rate : float, default 0.0
        Discount rate per period (0 = undiscounted TCO).

    Returns
    -------
    float
        TCO in money units.

    Raises
    ------
    InvalidValueError
        If costs are negative, ``horizon`` is missing or inconsistent, or ``rate <= -1``.

    Examples
    --------
    >>> tco(50_000, 10_000, horizon=3)
    80000.0
    >>> round(tco(50_000, [10_000, 10_000, 10_000], rate=0.05), 2)
    77232.48
    """
    base = check_in_range(initial_cost, name="initial_cost", low=0.0)
    r = check_rate(rate)
    arr = real_array(recurring_costs, name="recurring_costs")
    if arr.ndim == 0:
        if horizon is None:
            raise InvalidValueError(
                "recurring_costs is a single number, so horizon= (number of periods) is "
                "required; or pass one cost per period."
            )
        arr = np.full(check_whole(horizon, name="horizon", low=0, high=10**6), float(arr))
    else:
        arr = as_flows(arr, name="recurring_costs")
        if horizon is not None and check_whole(horizon, name="horizon", low=0) != arr.size:
            raise InvalidValueError(
                f"horizon={horizon} but {arr.size} recurring costs were given; pass one "
                "cost per period of the horizon, or omit horizon."
            )
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr < 0)):
        raise InvalidValueError(
            f"recurring_costs must be finite and >= 0, got {arr.tolist()}; enter costs as "
            "positive amounts."
        )
    t = np.arange(1, arr.size + 1, dtype=np.float64)
    if not arr.size:
        return base
    return scaled_total(
        np.array([base, *(arr * discount_factors(r, t))]), np.ones(arr.size + 1), name="tco"
    )


def revenue_to_share_ratio(revenue_share: float, unit_share: float) -> float:
    r"""Revenue-to-share ratio: value market share over volume market share.

    .. math::

        \rho = \frac{s_{\text{revenue}}}{s_{\text{units}}}
             = \frac{R_{\text{own}} / R_{\text{market}}}{Q_{\text{own}} / Q_{\text{market}}}

    crmkit's definition (the source lists the ratio without one): the firm's share of
    market *revenue* divided by its share of market *units*. It equals the firm's average
    price relative to the market's average price, so :math:`\rho > 1` means customers pay
    a premium (the relationship earns revenue beyond volume), :math:`\rho < 1` that the
    share is bought with discounts. See :doc:`/explanation/metrics`.

    Parameters
    ----------
    revenue_share : float
        Own revenue / market revenue over a period, in [0, 1].
    unit_share : float
        Own units (or transactions) / market units over the same period, in (0, 1].

    Returns
    -------
    float
        The ratio (dimensionless, >= 0).

    Raises
    ------
    InvalidValueError
        If a share is outside its range.

    Examples
    --------
    >>> revenue_to_share_ratio(0.30, 0.25)
    1.2
    """
    rs = check_in_range(revenue_share, name="revenue_share", low=0.0, high=1.0)
    us = check_in_range(unit_share, name="unit_share", low=0.0, high=1.0, low_inclusive=False)
    return rs / us
