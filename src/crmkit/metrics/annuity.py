r"""Time value of money for level payments: present value, future value and payment.

These are the classic spreadsheet functions (``PV``, ``FV``, ``PMT``) with the same sign
convention as spreadsheets and :mod:`numpy_financial`: money you pay out is negative,
money you receive positive, and the three functions satisfy

.. math::

    \mathit{pv}\,(1 + r)^n + \mathit{pmt}\,(1 + r w)\,\frac{(1 + r)^n - 1}{r}
    + \mathit{fv} = 0

(for :math:`r = 0` the middle term is :math:`\mathit{pmt}\cdot n`), where :math:`w = 0`
for payments at the end of each period (``when="end"``) and :math:`w = 1` at the
beginning (``when="begin"``). ``rate`` is per payment period. A CRM use: the level
monthly amount (``pmt``) that a subscription or service contract must earn to recover an
implementation cost (``pv``) within ``nper`` months.
"""

from __future__ import annotations

import math
from typing import Literal

from crmkit._validation import check_in_range
from crmkit.exceptions import InvalidValueError
from crmkit.metrics._checks import check_rate

__all__ = ["fv", "pmt", "pv"]

When = Literal["end", "begin"]


def _when(when: str) -> float:
    if not isinstance(when, str) or when not in ("end", "begin"):
        raise InvalidValueError(
            f"when={when!r} is not 'end' or 'begin'; say whether payments fall at the end "
            "(default) or at the beginning of each period."
        )
    return 1.0 if when == "begin" else 0.0


def _growth(r: float, n: float) -> float:
    """``(1 + r)^n``, or an InvalidValueError when it leaves the float range."""
    try:
        out = (1.0 + r) ** n
    except OverflowError:
        out = float("inf")
    if not math.isfinite(out):
        raise InvalidValueError(
            f"(1 + rate)**nper = (1 + {r!r})**{n!r} is beyond the float range (about "
            "1.8e308); use fewer periods or a rate per shorter period."
        )
    return float(out)


def _finite(value: float, what: str) -> float:
    """``value`` if finite; else an InvalidValueError (the inputs overflow the floats)."""
    if not math.isfinite(value):
        raise InvalidValueError(
            f"{what} is beyond the float range (about 1.8e308) for these inputs; rescale the "
            "amounts or use fewer periods."
        )
    return value


def _annuity_factor(r: float, n: float, w: float) -> float:
    """``(1 + r w) ((1 + r)^n - 1) / r``, or ``n`` when ``r == 0``."""
    if r == 0.0:
        return n
    try:
        grown = math.expm1(n * math.log1p(r))  # (1 + r)^n - 1, accurate for small n r
    except OverflowError:
        grown = float("inf")
    if not math.isfinite(grown):
        _growth(r, n)  # raises with the message about the float range
    factor = float((1.0 + r * w) * grown / r)
    if factor == 0.0:
        raise InvalidValueError(
            f"nper={n!r} is too small for an annuity at rate={r!r}: the annuity factor "
            "underflows to 0."
        )
    return factor


def _nper(nper: float) -> float:
    return check_in_range(nper, name="nper", low=0.0)


def fv(rate: float, nper: float, pmt: float, pv: float, *, when: When = "end") -> float:
    r"""Future value after ``nper`` periods of a present amount plus level payments.

    .. math::

        \mathit{fv} = -\left(\mathit{pv}(1 + r)^n
                      + \mathit{pmt}\,(1 + r w)\frac{(1 + r)^n - 1}{r}\right)

    Parameters
    ----------
    rate : float
        Interest rate per period (fraction, > -1).
    nper : float
        Number of periods, >= 0.
    pmt : float
        Payment per period (negative when paid out).
    pv : float
        Present amount (negative when paid out).
    when : {"end", "begin"}, default "end"
        Whether payments fall at the end or the beginning of each period.

    Returns
    -------
    float
        Future value in money units (sign: what you get back is positive).

    Raises
    ------
    InvalidValueError
        If ``rate <= -1``, ``nper < 0`` or ``when`` is unknown.

    Examples
    --------
    >>> round(fv(0.05 / 12, 120, -100, -100), 2)  # save 100 a month for 10 years
    15692.93
    """
    r, n, w = check_rate(rate), _nper(nper), _when(when)
    return _finite(
        -float(
            check_in_range(pv, name="pv") * _growth(r, n)
            + check_in_range(pmt, name="pmt") * _annuity_factor(r, n, w)
        ),
        "fv",
    )


def pv(rate: float, nper: float, pmt: float, fv: float = 0.0, *, when: When = "end") -> float:
    r"""Present value of level payments and a final amount.

    .. math::

        \mathit{pv} = -\frac{\mathit{fv} + \mathit{pmt}\,(1 + r w)
                       \frac{(1 + r)^n - 1}{r}}{(1 + r)^n}

    Parameters
    ----------
    rate : float
        Interest rate per period (fraction, > -1).
    nper : float
        Number of periods, >= 0.
    pmt : float
        Payment per period.
    fv : float, default 0.0
        Amount at the end of the last period.
    when : {"end", "begin"}, default "end"
        Payment timing within each period.

    Returns
    -------
    float
        Present value in money units.

    Raises
    ------
    InvalidValueError
        If ``rate <= -1``, ``nper < 0`` or ``when`` is unknown.

    Examples
    --------
    >>> round(pv(0.07, 20, 12_000), 2)  # 20 yearly receipts of 12 000 at 7 %
    -127128.17
    """
    r, n, w = check_rate(rate), _nper(nper), _when(when)
    return _finite(
        float(
            -(
                check_in_range(fv, name="fv")
                + check_in_range(pmt, name="pmt") * _annuity_factor(r, n, w)
            )
            / _growth(r, n)
        ),
        "pv",
    )


def pmt(rate: float, nper: float, pv: float, fv: float = 0.0, *, when: When = "end") -> float:
    r"""Level payment per period that settles ``pv`` (and leaves ``fv``) after ``nper``.

    .. math::

        \mathit{pmt} = -\frac{\mathit{fv} + \mathit{pv}(1 + r)^n}
                        {(1 + r w)\frac{(1 + r)^n - 1}{r}}

    Parameters
    ----------
    rate : float
        Interest rate per period (fraction, > -1).
    nper : float
        Number of periods, > 0.
    pv : float
        Present amount (e.g. an implementation cost financed now).
    fv : float, default 0.0
        Amount left at the end.
    when : {"end", "begin"}, default "end"
        Payment timing within each period.

    Returns
    -------
    float
        Payment per period in money units.

    Raises
    ------
    InvalidValueError
        If ``rate <= -1``, ``nper <= 0`` or ``when`` is unknown.

    Examples
    --------
    >>> round(pmt(0.075 / 12, 180, 200_000), 2)  # 15-year loan of 200 000 at 7.5 %/yr
    -1854.02
    """
    r, w = check_rate(rate), _when(when)
    n = check_in_range(nper, name="nper", low=0.0, low_inclusive=False)
    try:
        out = -float(
            check_in_range(fv, name="fv") + check_in_range(pv, name="pv") * _growth(r, n)
        ) / _annuity_factor(r, n, w)
    except OverflowError:
        out = math.inf
    return _finite(out, "pmt")
