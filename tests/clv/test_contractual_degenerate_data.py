"""Degenerate one-row-per-customer data: every contractual family answers alike.

Data without a renewal decision cannot estimate churn (an error naming the fix, the same
for the three families); data where every decision observed is a cancellation have
their maximum at theta = 1, a limit the fits return with a BoundaryWarning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmkit import clv
from crmkit.exceptions import BoundaryWarning, InvalidValueError

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


@pytest.mark.parametrize("extra_active_at_zero", [0, 2])
def test_bdw_where_everyone_cancels_at_once_returns_the_limit(extra_active_at_zero: int) -> None:
    # every renewal decision observed is a cancellation: S(1) = 0 is the maximum, for
    # any c; the sBG and the geometric return that limit, so must the BdW
    rows = pd.DataFrame(
        {
            "tenure": [1] * 5 + [0] * extra_active_at_zero,
            "churned": [True] * 5 + [False] * extra_active_at_zero,
        }
    )
    with pytest.warns(BoundaryWarning, match=r"every renewal decision observed was a cancel"):
        fit = clv.BetaDiscreteWeibull.fit(rows, tenure_counts="completed", time_unit="M")
    assert fit.converged
    assert set(fit.at_boundary) == {"alpha", "beta", "c"}
    assert fit.model.survival(1) < 1e-9  # everyone leaves in the first period
    assert fit.model.discounted_expected_lifetime(0.1) == pytest.approx(1.0, abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        sbg = clv.ShiftedBetaGeometric.fit(rows, tenure_counts="completed")
    t = np.arange(0, 6)
    np.testing.assert_allclose(fit.model.survival(t), sbg.model.survival(t), atol=1e-9)
    value = clv.contractual_lifetime_value(
        fit, rows, spend=10.0, discount_rate=0.01, tenure_counts="completed"
    )
    assert np.isfinite(value).all()
    assert (value[rows["churned"]] == 0).all()
