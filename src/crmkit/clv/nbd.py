"""The NBD purchase model (Ehrenberg 1959): gamma-mixed Poisson purchasing, no dropout.

The benchmark "no churn" model of Platzer & Reutterer (2016) and of the R package
BTYDplus (``nbd.EstimateParameters``): every customer stays active forever and buys as
a Poisson process with rate :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)`.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._starts import nbd_moment_start
from crmkit.clv._transaction import TransactionFamily
from crmkit.clv._transaction_fit import Objective
from crmkit.timeunits import TimeUnit

__all__ = ["NBD"]

Arr = NDArray[np.float64]


def _nbd_objective(x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
    """Weighted NBD log-likelihood and its gradient in (r, alpha)."""
    sw = float(w.sum())

    def value(params: Arr) -> float:
        r, alpha = float(params[0]), float(params[1])
        rows = lgamma_ratio(r, x) - r * np.log1p(T / alpha) - x * np.log(alpha + T)
        return float(w @ rows)

    def value_and_gradient(params: Arr) -> tuple[float, Arr]:
        r, alpha = float(params[0]), float(params[1])
        d_r = special.digamma(r + x) - special.digamma(r) - np.log1p(T / alpha)
        g_r = float(w @ d_r)
        g_alpha = r * sw / alpha - float(w @ ((r + x) / (alpha + T)))
        return value(params), np.array([g_r, g_alpha])

    return value, value_and_gradient


@attrs.frozen(kw_only=True)
class NBD(TransactionFamily):
    """The NBD model as a value: build it from parameters or fit it.

    .. math::

        L(r, \\alpha \\mid x, T) = \\frac{\\Gamma(r + x)}{\\Gamma(r)}
        \\frac{\\alpha^r}{(\\alpha + T)^{r + x}}

    (the density of the *x* purchase times in (0, T], which is also what BTYDplus'
    ``nbd.LL`` returns; it differs from the count likelihood by a term without
    parameters). Recency plays no role: nobody drops out.

    Parameters
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of the purchase rate (``alpha`` in the
        summary's time unit), both > 0.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The time unit of the summary the parameters refer to.

    Notes
    -----
    - :meth:`probability_alive` is 1 for everyone at every horizon;
    - :meth:`expected_purchases`: :math:`r t / \\alpha`;
    - :meth:`conditional_expected_purchases`: :math:`(r + x) t / (\\alpha + T)`;
    - :meth:`probability_of_purchases`: the negative binomial
      :math:`\\frac{\\Gamma(r + k)}{\\Gamma(r) k!} (\\frac{\\alpha}{\\alpha + t})^r
      (\\frac{t}{\\alpha + t})^k`.

    References
    ----------
    - Ehrenberg, A. S. C. (1959). The pattern of consumer purchases. *Journal of the
      Royal Statistical Society C* 8(1), 26-41.
    - Platzer, M. & Reutterer, T. (2016). Ticking away the moments: timing regularity
      helps to better predict customer activity. *Marketing Science* 35(5), 779-799.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import NBD
    >>> nbd = NBD(r=0.385, alpha=12.072, time_unit="W")
    >>> s = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    >>> nbd.conditional_expected_purchases(s, t=39).round(3).tolist()
    [0.295, 1.826]
    >>> nbd.probability_alive(s).tolist()
    [1.0, 1.0]
    """

    _family: ClassVar[str] = "NBD"
    _param_names: ClassVar[tuple[str, ...]] = ("r", "alpha")
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    @classmethod
    def _objective(cls, x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
        return _nbd_objective(x, tx, T, w)

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr, w: Arr) -> Arr:
        return np.array(nbd_moment_start(x, T, w))

    def _log_likelihood_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        r, alpha = self.r, self.alpha
        rows = lgamma_ratio(r, x) - r * np.log1p(T / alpha) - x * np.log(alpha + T)
        return np.asarray(rows, dtype=np.float64)

    def _p_alive_rows(self, x: Arr, tx: Arr, T: Arr) -> Arr:
        return np.ones(np.broadcast_shapes(np.shape(x), np.shape(tx), np.shape(T)))

    def _alive_survival(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        shape = np.broadcast_shapes(np.shape(t), np.shape(x), np.shape(T))
        return np.ones(shape)

    def _no_purchase_if_alive(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        return np.asarray(
            np.exp((self.r + x) * np.log1p(-t / (self.alpha + T + t))), dtype=np.float64
        )

    def _conditional_rows(self, t: Arr, x: Arr, tx: Arr, T: Arr) -> Arr:
        out = (self.r + x) * t / (self.alpha + T)
        return np.asarray(out + np.zeros_like(tx), dtype=np.float64)

    def _expected(self, t: Arr) -> Arr:
        return np.asarray(self.r * t / self.alpha, dtype=np.float64)

    def _pmf(self, k: Arr, t: Arr) -> Arr:
        r, alpha = self.r, self.alpha
        log_nb = (
            lgamma_ratio(r, k)
            - special.gammaln(k + 1.0)
            - r * np.log1p(t / alpha)
            + special.xlogy(k, t / (alpha + t))
        )
        return np.asarray(np.exp(log_nb), dtype=np.float64)

    def _simulate_arrays(self, T: Arr, rng: np.random.Generator) -> tuple[Arr, Arr]:
        n = T.size
        lam = rng.gamma(self.r, 1.0 / self.alpha, size=n)
        x = rng.poisson(lam * T).astype(np.float64)
        buyers = x > 0
        tx = np.zeros(n)
        tx[buyers] = T[buyers] * rng.beta(x[buyers], 1.0)
        return x, tx
