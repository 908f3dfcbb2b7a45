"""Customer lifetime value: probability models of purchasing, spending and retention.

Every family is a frozen value built from its parameters and fitted by maximum
likelihood with ``Family.fit(...)``, which returns a :class:`FitResult`.
"""

from __future__ import annotations

from crmkit.clv._base import FitResult
from crmkit.clv._persist import from_dict, from_json, to_dict, to_json
from crmkit.clv._protocol import CLVModel, ContractualModel, TransactionModel
from crmkit.clv.aggregates import (
    ForecastIntervals,
    aggregate_interval,
    forecast_intervals,
    predictive_interval,
    segment_intervals,
)
from crmkit.clv.alive_history import AliveHistory, probability_alive_history
from crmkit.clv.bdw import BetaDiscreteWeibull
from crmkit.clv.bgbb import BetaGeoBetaBinom
from crmkit.clv.bgnbd import BetaGeo
from crmkit.clv.cnbd import BetaGeoCNBD, ModifiedBetaGeoCNBD
from crmkit.clv.compare import ModelComparison, compare_models
from crmkit.clv.compare_retention import RetentionComparison, compare_retention_models
from crmkit.clv.contractual_value import contractual_lifetime_value, contractual_value_summary
from crmkit.clv.covariates import (
    BetaGeoCovariates,
    CovariateCoding,
    ModifiedBetaGeoCovariates,
    ParetoNBDCovariates,
)
from crmkit.clv.evaluation import (
    HoldoutEvaluation,
    evaluate_holdout,
    repeat_frequency_table,
    tracking_series,
)
from crmkit.clv.forecast import PeriodForecast, forecast_purchases
from crmkit.clv.gammagamma import GammaGamma, SpendFrequencyCorrelationWarning
from crmkit.clv.geometric import ShiftedGeometric
from crmkit.clv.ggnbd import GammaGompertzNBD
from crmkit.clv.groups import GroupFits, fit_by_group
from crmkit.clv.holdout import HoldoutByFrequency, holdout_by_frequency
from crmkit.clv.mbgnbd import ModifiedBetaGeo
from crmkit.clv.nbd import NBD
from crmkit.clv.paretonbd import ParetoNBD
from crmkit.clv.sbg import ShiftedBetaGeometric
from crmkit.clv.simulate import simulate
from crmkit.clv.uncertainty import parameter_draws, prediction_interval
from crmkit.clv.value import customer_lifetime_value, simple_clv

__all__ = [
    "NBD",
    "AliveHistory",
    "BetaDiscreteWeibull",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "BetaGeoCNBD",
    "BetaGeoCovariates",
    "CLVModel",
    "ContractualModel",
    "CovariateCoding",
    "FitResult",
    "ForecastIntervals",
    "GammaGamma",
    "GammaGompertzNBD",
    "GroupFits",
    "HoldoutByFrequency",
    "HoldoutEvaluation",
    "ModelComparison",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoCNBD",
    "ModifiedBetaGeoCovariates",
    "ParetoNBD",
    "ParetoNBDCovariates",
    "PeriodForecast",
    "RetentionComparison",
    "ShiftedBetaGeometric",
    "ShiftedGeometric",
    "SpendFrequencyCorrelationWarning",
    "TransactionModel",
    "aggregate_interval",
    "compare_models",
    "compare_retention_models",
    "contractual_lifetime_value",
    "contractual_value_summary",
    "customer_lifetime_value",
    "evaluate_holdout",
    "fit_by_group",
    "forecast_intervals",
    "forecast_purchases",
    "from_dict",
    "from_json",
    "holdout_by_frequency",
    "parameter_draws",
    "prediction_interval",
    "predictive_interval",
    "probability_alive_history",
    "repeat_frequency_table",
    "segment_intervals",
    "simple_clv",
    "simulate",
    "to_dict",
    "to_json",
    "tracking_series",
]
