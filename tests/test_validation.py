"""The shared boundary checks: clear errors, no mutation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit._dates import check_datetime_column
from crmkit._validation import (
    check_finite,
    check_in_range,
    check_nan_policy,
    check_numeric_column,
    check_unique_index,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError, MissingColumnsError


def test_require_columns_reports_every_missing_column() -> None:
    frame = pd.DataFrame({"customer_id": [1], "amount": [2.0]})
    with pytest.raises(MissingColumnsError) as info:
        require_columns(frame, ["customer_id", "datetime", "monetary"])
    assert info.value.missing == ("datetime", "monetary")
    assert set(info.value.available) == {"customer_id", "amount"}


def test_require_columns_rejects_non_frames() -> None:
    with pytest.raises(InvalidValueError, match="expected a pandas DataFrame"):
        require_columns([1, 2], ["a"])  # type: ignore[arg-type]  # deliberate misuse


def test_require_nonempty() -> None:
    with pytest.raises(InvalidValueError, match="empty"):
        require_nonempty(pd.DataFrame({"a": []}))


def test_nan_policy_values() -> None:
    assert check_nan_policy("raise") == "raise"
    with pytest.raises(InvalidValueError, match="nan_policy"):
        check_nan_policy("ignore")


def test_handle_nan_policies_and_no_mutation() -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0], "y": ["a", None, "c"]}, index=[10, 11, 12])
    before = frame.copy()
    with pytest.raises(
        InvalidValueError, match=r"column 'x' has 1 missing value\(s\) at index \[11\]"
    ):
        handle_nan(frame, ["x", "y"])
    omitted = handle_nan(frame, ["x", "y"], "omit")
    assert omitted.index.tolist() == [10, 12]
    assert handle_nan(frame, ["x"], "propagate") is frame
    pd.testing.assert_frame_equal(frame, before)


def test_dtype_checks() -> None:
    frame = pd.DataFrame(
        {"n": [1.0], "s": ["1"], "b": [True], "d": pd.to_datetime(["2024-01-01"])}
    )
    check_numeric_column(frame, "n")
    check_datetime_column(frame, "d")
    for col in ("s", "b"):
        with pytest.raises(InvalidValueError, match="must be numeric"):
            check_numeric_column(frame, col)
    with pytest.raises(InvalidValueError, match="must be datetime64"):
        check_datetime_column(frame, "s")


def test_check_finite_and_range() -> None:
    assert check_finite([1, 2], name="x").dtype == np.float64
    with pytest.raises(InvalidValueError, match="non-finite"):
        check_finite([np.nan], name="x")
    assert check_in_range(1, name="p", low=0, high=1) == 1.0
    with pytest.raises(InvalidValueError, match="out of range"):
        check_in_range(1, name="p", low=0, high=1, high_inclusive=False)
    with pytest.raises(InvalidValueError, match=r"not a (real )?number"):
        check_in_range("a", name="p")  # type: ignore[arg-type]  # deliberate misuse
    with pytest.raises(InvalidValueError, match="finite"):
        check_in_range(float("nan"), name="p")


def test_unique_index() -> None:
    check_unique_index(pd.Series([1, 2], index=["a", "b"]))
    with pytest.raises(InvalidValueError, match="duplicated"):
        check_unique_index(pd.DataFrame({"a": [1, 2]}, index=[5, 5]))
