"""Degenerate one-row-per-customer data: every contractual family answers alike.

Data without a renewal decision cannot estimate churn (an error naming the fix, the same
for the three families); data where every decision observed is a cancellation have
their maximum at theta = 1, a limit the fits return with a BoundaryWarning.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit import clv
from crmkit.exceptions import InvalidValueError

FAMILIES = [clv.ShiftedBetaGeometric, clv.BetaDiscreteWeibull, clv.ShiftedGeometric]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_no_renewal_decision_is_refused_with_the_same_message(family: type) -> None:
    rows = pd.DataFrame({"tenure": [0, 0, 0], "churned": [False, False, False]})
    with pytest.raises(
        InvalidValueError, match=r"no renewal decision \(3 customers.*at least one"
    ):
        family.fit(rows, tenure_counts="completed")


def test_a_group_without_a_renewal_decision_is_named() -> None:
    rows = pd.DataFrame(
        {
            "plan": ["new"] * 2 + ["old"] * 4,
            "tenure": [0, 0, 1, 3, 4, 2],
            "churned": [False, False, True, False, True, False],
        }
    )
    with pytest.raises(InvalidValueError, match=r"plan='new'.*no renewal decision"):
        clv.fit_by_group(
            clv.BetaDiscreteWeibull, rows, group_col="plan", tenure_counts="completed"
        )
