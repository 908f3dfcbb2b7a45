"""The MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007).

Identical to BG/NBD except that a customer may also become inactive right after the
*first* purchase (at time 0), with the same probability :math:`p` as after every repeat
purchase. Consequences: customers with no repeat purchase get P(alive) < 1 (in BG/NBD
they are certain to be alive, a property users often find implausible), and the
likelihood has the dropout term for every customer.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv.bgnbd import BetaGeoMaths
from crmkit.timeunits import TimeUnit

__all__ = ["ModifiedBetaGeo"]


@attrs.frozen(kw_only=True)
class ModifiedBetaGeo(BetaGeoMaths):
    """The MBG/NBD model as a value: build it from published parameters or fit it.

    .. math::

        L(r, \\alpha, a, b \\mid x, t_x, T) =
        \\frac{B(a, b + x + 1)}{B(a, b)} \\frac{\\Gamma(r + x)\\,\\alpha^r}{\\Gamma(r)\\,
        (\\alpha + T)^{r + x}}
        + \\frac{B(a + 1, b + x)}{B(a, b)}
        \\frac{\\Gamma(r + x)\\,\\alpha^r}{\\Gamma(r)\\,(\\alpha + t_x)^{r + x}}

    (Batislam, Denizel & Filiztekin 2007, eq. 3), evaluated on the log scale.

    Parameters
    ----------
    r, alpha : float
        Gamma distribution of the purchase rate (``alpha`` in the summary's time unit),
        both > 0.
    a, b : float
        Beta distribution of the dropout probability, both > 0.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The time unit of the summary the parameters refer to.

    Notes
    -----
    - :meth:`probability_alive`: :math:`1 / (1 + \\frac{a}{b + x}
      (\\frac{\\alpha + T}{\\alpha + t_x})^{r + x})` for every *x* (eq. 5); at
      :math:`T + t` times :math:`{}_2F_1(r + x, a; a + b + x + 1; -t/(\\alpha + T))`;
    - :meth:`expected_purchases`: :math:`\\frac{b}{a - 1}[1 - (\\frac{\\alpha}{\\alpha +
      t})^r {}_2F_1(r, b + 1; a + b; \\frac{t}{\\alpha + t})]` (eq. 4);
    - :meth:`conditional_expected_purchases`: :math:`\\frac{a + b + x}{a - 1}[1 -
      (\\frac{\\alpha + T}{\\alpha + T + t})^{r + x} {}_2F_1(r + x, b + x + 1; a + b + x;
      \\frac{t}{\\alpha + T + t})]\\,P(\\text{alive})` (eq. 6);
    - :meth:`probability_of_purchases`: :math:`\\frac{B(a, b + k)}{B(a, b)}
      \\text{NB}(k; t) + \\frac{B(a + 1, b + k)}{B(a, b)} I_{t/(\\alpha+t)}(k + 1, r)`.

    References
    ----------
    - Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
      comparison of models for customer base analysis. *International Journal of Research
      in Marketing* 24(3), 201-209.
    - Hoppe, D. & Wagner, U. (2007). Customer base analysis: the case for a central
      variant of the Betageometric/NBD model. *Marketing Journal of Research and
      Management* 3(2), 75-90.

    Examples
    --------
    Parameters fitted to CDNOW (see :meth:`fit`); a customer without repeat purchases
    is no longer certainly alive:

    >>> import pandas as pd
    >>> from crmkit.clv import ModifiedBetaGeo
    >>> mbg = ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614, time_unit="W")
    >>> s = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    >>> mbg.probability_alive(s).round(3).tolist()
    [0.39, 0.706]
    """

    _family: ClassVar[str] = "MBG/NBD"
    _shift: ClassVar[int] = 1
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    a: float = attrs.field(converter=real_parameter, validator=positive_finite)
    b: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)
