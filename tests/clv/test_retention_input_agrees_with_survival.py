"""The survival tables and the contractual models read the same columns the same way.

Both take one row per customer with a tenure and a churn flag; the same bad input must
be refused by both with the same message, and the same good input accepted by both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit import survival
from crmkit.clv import ShiftedBetaGeometric, ShiftedGeometric
from crmkit.exceptions import InvalidValueError

MISSING = r"column '{col}' has 1 missing value\(s\), at index \['b'\]"
BOOLEAN = r"column 'churned' must be boolean \(or 0/1\)"


def _rows(**columns: Any) -> pd.DataFrame:
    base = {"tenure": [1, 3, 4, 2], "churned": [True, False, True, False]}
    base.update(columns)
    return pd.DataFrame(base, index=pd.Index(["a", "b", "c", "d"], name="customer_id"))


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        ({"tenure": [1.0, np.nan, 4.0, 2.0]}, MISSING.format(col="tenure")),
        ({"tenure": [1, -2, 4, 2]}, r"column 'tenure' .*>= 0.*\['b'\] \(values \[-2\]\)"),
        ({"tenure": ["1", "3", "4", "2"]}, r"column 'tenure' must be numeric.*to_numeric"),
        ({"churned": ["Yes", "No", "Yes", "No"]}, BOOLEAN + r".*eq\('Yes'\)"),
        (
            {"churned": pd.array([True, None, True, False], dtype="boolean")},
            MISSING.format(col="churned"),
        ),
        ({"churned": [1, 0, 2, 0]}, BOOLEAN + r".*\['c'\] \(values \[2\]\)"),
    ],
)  # fmt: skip
def test_the_same_bad_column_gets_the_same_message(columns: dict[str, Any], match: str) -> None:
    frame = _rows(**columns)
    before = frame.copy(deep=True)
    with pytest.raises(InvalidValueError, match=match) as km_error:
        survival.kaplan_meier(frame)
    with pytest.raises(InvalidValueError, match=match) as fit_error:
        ShiftedBetaGeometric.fit(frame, tenure_counts="completed")
    assert str(km_error.value).replace("(tenure)", "") == str(fit_error.value).replace(
        "(whole contract periods)", ""
    )
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    "flags",
    [
        pd.array([True, False, True, False], dtype="boolean"),
        pd.array([1, 0, 1, 0], dtype="Int64"),
        pd.Series([True, False, True, False], dtype=object).to_numpy(),  # after a concat
        [1.0, 0.0, 1.0, 0.0],
    ],
    ids=["nullable-boolean", "Int64", "object-bools", "float-01"],
)
def test_the_same_churn_dtypes_are_accepted_by_both(flags: Any) -> None:
    frame = _rows(churned=flags)
    expected = _rows()
    km = survival.kaplan_meier(frame)
    pd.testing.assert_frame_equal(km.table, survival.kaplan_meier(expected).table)
    fit = ShiftedGeometric.fit(frame, tenure_counts="completed")
    assert fit.model.theta == pytest.approx(2 / 10, rel=1e-9)  # 2 churns in 10 decisions
