"""Contractual families satisfy the ContractualModel protocol for mypy --strict."""

from __future__ import annotations

from crmkit.clv import (
    BetaDiscreteWeibull,
    ContractualModel,
    ShiftedBetaGeometric,
    ShiftedGeometric,
)

FAMILIES: list[type[ContractualModel]] = [
    ShiftedBetaGeometric,
    ShiftedGeometric,
    BetaDiscreteWeibull,
]


def models() -> list[ContractualModel]:
    return [
        ShiftedBetaGeometric(alpha=0.7, beta=1.2),
        ShiftedGeometric(theta=0.2),
        BetaDiscreteWeibull(alpha=0.7, beta=1.2, c=0.8),
    ]


def lifetime(model: ContractualModel) -> float:
    return model.discounted_expected_lifetime(0.1)


def refit(family: type[ContractualModel]) -> ContractualModel:
    return family.fit([1000, 631, 468], time_unit="Y").model
