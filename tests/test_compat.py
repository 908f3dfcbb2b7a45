"""Deprecation helpers: options that became keyword-only still work by position for one
release (``crmkit._compat.positional_options``), with a warning that says how to fix the
call."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import crmkit as ck
from crmkit._compat import positional_options, renamed_keywords


@positional_options("b", "c")
def _combine(a: int, *, b: int = 2, c: int = 3, d: int = 4) -> tuple[int, int, int, int]:
    """Docstring kept."""
    return a, b, c, d


def test_keyword_use_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _combine(1, b=20, d=40) == (1, 20, 3, 40)


def test_positional_use_warns_and_gives_the_same_result() -> None:
    with pytest.warns(DeprecationWarning, match="by position") as caught:
        got = _combine(1, 20, 30, d=40)
    assert got == _combine(1, b=20, c=30, d=40)
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("_combine(): passing b, c by position is deprecated")
    assert message.endswith("pass b=..., c=... by keyword.")
    assert caught[0].filename == __file__  # attributed to the caller's line


def test_one_positional_option_names_only_that_one() -> None:
    with pytest.warns(DeprecationWarning, match=r"passing b by position.*pass b=\.\.\. by"):
        assert _combine(1, 20) == (1, 20, 3, 4)


def test_too_many_positional_arguments_are_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 4 were given"):
        _combine(1, 2, 3, 4)  # d was never positional


def test_an_option_by_position_and_by_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="multiple values for argument 'b'"):
        _combine(1, 2, b=3)


def test_signature_name_and_docstring_are_kept() -> None:
    params = inspect.signature(_combine).parameters
    assert [p.kind for p in params.values()] == [inspect.Parameter.POSITIONAL_OR_KEYWORD] + [
        inspect.Parameter.KEYWORD_ONLY
    ] * 3
    assert _combine.__name__ == "_combine"
    assert _combine.__doc__ == "Docstring kept."


def test_only_keyword_only_parameters_can_be_named() -> None:
    with pytest.raises(TypeError, match=r"\['b'\] are not keyword-only"):

        @positional_options("b")
        def f(a: int, b: int = 2) -> int:
            return a + b


def test_stacked_with_a_rename_both_warnings_point_at_the_caller() -> None:
    @positional_options("b")
    @renamed_keywords(old="c")
    def f(a: int, *, b: int = 2, c: int = 3) -> int:
        return a + 10 * b + 100 * c

    with pytest.warns(DeprecationWarning, match="deprecated") as caught:
        assert f(1, 2, old=3) == 321
    assert len(caught) == 2
    assert {w.filename for w in caught} == {__file__}


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 1, 2],
            "day": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
            "amount": [5.0, 7.0, 3.0],
        }
    )


def test_rfm_summary_by_position_still_works_for_one_release() -> None:
    new = ck.rfm_summary(
        _log(),
        customer_id_col="id",
        datetime_col="day",
        amount_col="amount",
        observation_end="2024-01-10",
    )
    fix = "pass customer_id_col=..., datetime_col=..., amount_col=..., observation_end=..."
    with pytest.warns(DeprecationWarning, match=f"rfm_summary\\(\\).*{fix}"):
        old = ck.rfm_summary(_log(), "id", "day", "amount", "2024-01-10")
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="rfm_summary"):
        ck.rfm_summary(_log(), "id", "day", "amount", "2024-01-10", "W")
