"""Draw synthetic customers from any fitted model with a seeded random generator.

:func:`simulate` dispatches to the model's own ``simulate(n_customers, T, rng)``
method, which every crmkit family implements:

=========================  ==========================================================
family                     what is drawn (``T`` means)
=========================  ==========================================================
BG/NBD, MBG/NBD,           frequency/recency summaries over ``T`` time units
Pareto/NBD
``BetaGeoBetaBinom``       (x, t_x, n) histories over ``T`` transaction opportunities
``GammaGamma``             mean spend of customers making ``T`` transactions each
``ShiftedBetaGeometric``   renewals made by a cohort within ``T`` contract periods
=========================  ==========================================================

Randomness only comes from the :class:`numpy.random.Generator` you pass (or an integer
seed): the same seed gives the same customers on every platform, and the global NumPy
random state is never touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crmkit._validation import as_generator
from crmkit.clv._checks import positive_count
from crmkit.exceptions import InvalidValueError

__all__ = ["simulate"]


def simulate(
    model: Any,
    n_customers: int,
    *,
    T: ArrayLike,
    rng: np.random.Generator | int,
) -> pd.DataFrame:
    """Draw ``n_customers`` synthetic customers from ``model``.

    Parameters
    ----------
    model : CLVModel
        Any object with a ``simulate(n_customers, T, rng)`` method (all crmkit families).
    n_customers : int
        Number of customers (>= 1).
    T : int, float or array-like
        Observation length in the model's own terms (see the module table).
    rng : numpy.random.Generator or int
        The random source; an integer seeds ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (0 .. n_customers - 1); columns as documented by the
        model's ``simulate`` method, ready for the family's ``fit``.

    Raises
    ------
    InvalidValueError
        If the model cannot simulate, ``n_customers`` is not a positive integer or
        ``rng`` is neither a Generator nor an integer seed.

    Examples
    --------
    >>> import numpy as np
    >>> from crmkit.clv import BetaGeoBetaBinom
    >>> model = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    >>> a = simulate(model, 1000, T=6, rng=np.random.default_rng(7))
    >>> b = simulate(model, 1000, T=6, rng=7)
    >>> a.equals(b), a.shape
    (True, (1000, 4))
    """
    method = getattr(model, "simulate", None)
    if not callable(method):
        raise InvalidValueError(
            f"{type(model).__name__} has no simulate(n_customers, T, rng) method; "
            "pass a crmkit model such as BetaGeoBetaBinom or ShiftedBetaGeometric."
        )
    size = positive_count(n_customers, name="n_customers")
    generator = as_generator(rng, allow_none=False)
    out = method(size, T, generator)
    if not isinstance(out, pd.DataFrame):
        raise InvalidValueError(
            f"{type(model).__name__}.simulate returned {type(out).__name__}, not a DataFrame."
        )
    return out
