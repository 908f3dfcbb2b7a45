"""Customer lifetime value: probability models of purchasing, spending and retention.

Every family is a frozen value built from its parameters and fitted by maximum
likelihood with ``Family.fit(...)``, which returns a :class:`FitResult`.
"""

from __future__ import annotations

from crmkit.clv._base import FitResult
from crmkit.clv._protocol import CLVModel, TransactionModel
from crmkit.clv.bgnbd import BetaGeo
from crmkit.clv.mbgnbd import ModifiedBetaGeo
from crmkit.clv.paretonbd import ParetoNBD

__all__ = [
    "BetaGeo",
    "CLVModel",
    "FitResult",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "TransactionModel",
]
