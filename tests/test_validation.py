"""The shared boundary checks: clear errors, no mutation."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import crmkit as ck
from crmkit._dates import check_datetime_column
from crmkit._validation import (
    check_finite,
    check_in_range,
    check_nan_policy,
    check_numeric_column,
    check_option,
    check_unique_index,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.timeunits import TIME_UNITS, check_time_unit, convert_rate


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


# -- one option checker: the message names the parameter the user passed -------------------


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "datetime": pd.to_datetime(["2024-01-01", "2024-02-05", "2024-03-03"]),
        }
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ck.rfm_summary(_log(), period="H"), "period='H' is not one of"),
        (lambda: ck.rfm_summary(_log(), time_unit="H"), "time_unit='H' is not one of"),
        (
            lambda: ck.metrics.retention_by_period(_log(), period="H"),
            "period='H' is not one of ['M', 'Q', 'Y']",
        ),
        (
            lambda: ck.metrics.revenue_growth(
                pd.Series([1.0], index=[pd.Timestamp("2024-01-01")]), period="H"
            ),
            "period='H' is not one of ['M', 'Q', 'Y']",
        ),
        (
            lambda: ck.lifecycle.AssignmentRules(purchase_unit="H"),
            "purchase_unit='H' is not one of",
        ),
        (lambda: convert_rate(0.1, "Y", "H"), "to_unit='H' is not one of"),
        (lambda: ck.rfm_summary(_log(), nan_policy="drop"), "nan_policy='drop' is not one of"),
        (lambda: ck.rfm_summary(_log(), non_positive="drop"), "non_positive='drop' is not one"),
    ],
)
def test_an_invalid_option_is_reported_under_the_name_the_user_passed(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        call()


def test_the_option_message_is_built_in_one_place() -> None:
    with pytest.raises(InvalidValueError) as by_period:
        ck.rfm_summary(_log(), period="H")
    with pytest.raises(InvalidValueError) as direct:
        check_option("H", TIME_UNITS, name="period")
    assert str(by_period.value).startswith(str(direct.value))


def test_string_subclasses_are_accepted_as_the_plain_option() -> None:
    assert type(check_option(np.str_("W"), TIME_UNITS, name="time_unit")) is str
    assert type(check_time_unit(np.str_("W"))) is str
    assert check_nan_policy(np.str_("omit")) == "omit"
    with pytest.raises(InvalidValueError, match="flag=1 is not one of"):
        check_option(1, (True, False), name="flag")  # 1 == True, but not the same kind
