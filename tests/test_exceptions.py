"""The exception hierarchy: catchable as CrmkitError and as the builtin."""

from __future__ import annotations

import pytest

from crmkit import exceptions as ex


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ex.ValidationError, ValueError),
        (ex.InvalidValueError, ValueError),
        (ex.InvariantError, ValueError),
        (ex.InvalidTransitionError, ValueError),
    ],
)
def test_validation_errors_are_value_errors(cls: type[Exception], builtin: type) -> None:
    with pytest.raises(builtin):
        raise cls("bad")
    with pytest.raises(ex.CrmkitError):
        raise cls("bad")
    assert issubclass(cls, ex.ValidationError)


def test_missing_columns_lists_all_missing_and_available() -> None:
    err = ex.MissingColumnsError(["b", "c"], available=["z", "a"])
    assert err.missing == ("b", "c")
    assert err.available == ("a", "z")
    assert "['b', 'c']" in str(err)
    assert "['a', 'z']" in str(err)
    with pytest.raises(ValueError, match="missing column") as info:
        raise err
    assert info.value is err


def test_invalid_code_error_carries_context() -> None:
    err = ex.InvalidCodeError("bad check digit", code="123", scheme="GTIN-13", reason="checksum")
    assert (err.code, err.scheme, err.reason) == ("123", "GTIN-13", "checksum")
    assert isinstance(err, ValueError)


def test_convergence_error_is_runtime_error_and_keeps_result() -> None:
    sentinel = object()
    with pytest.raises(RuntimeError) as info:
        raise ex.ConvergenceError("did not converge", result=sentinel)
    assert isinstance(info.value, ex.CrmkitError)
    assert info.value.result is sentinel


def test_warnings_hierarchy() -> None:
    assert issubclass(ex.ConvergenceWarning, ex.CrmkitWarning)
    assert issubclass(ex.DegenerateDataWarning, ex.CrmkitWarning)
    assert issubclass(ex.BoundaryWarning, ex.CrmkitWarning)
    assert issubclass(ex.CrmkitWarning, UserWarning)
    import warnings

    with pytest.warns(ex.CrmkitWarning):
        warnings.warn("x", ex.DegenerateDataWarning, stacklevel=1)
