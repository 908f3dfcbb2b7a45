"""Every exception and warning class crmkit defines lives in :mod:`crmkit.exceptions`.

One home makes the hierarchy readable in one place: a walk over every crmkit module
finds each Exception/Warning subclass defined in crmkit and checks where it is defined
and that it derives from the package's roots (:class:`CrmkitError`,
:class:`CrmkitWarning`). The classes moved there stay importable from their old paths.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import warnings

import pytest

import crmkit
from crmkit import exceptions as ex


def _crmkit_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    modules = [crmkit.__name__] + [
        info.name for info in pkgutil.walk_packages(crmkit.__path__, prefix="crmkit.")
    ]
    for name in modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optional extras may warn on import
            try:
                module = importlib.import_module(name)
            except ImportError:  # an optional extra (dask, matplotlib) not installed
                continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.split(".")[0] == "crmkit":
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


CLASSES = _crmkit_classes()


def test_the_walk_finds_the_hierarchy() -> None:
    names = {cls.__name__ for cls in CLASSES.values()}
    assert {"CrmkitError", "CrmkitWarning", "UnknownCodeError"} <= names
    assert "SpendFrequencyCorrelationWarning" in names


@pytest.mark.parametrize("path", sorted(CLASSES))
def test_every_exception_and_warning_is_defined_in_crmkit_exceptions(path: str) -> None:
    assert CLASSES[path].__module__ == "crmkit.exceptions", (
        f"{path} is defined outside crmkit.exceptions; move it there and re-export it"
    )


@pytest.mark.parametrize("path", sorted(CLASSES))
def test_every_class_derives_from_the_package_roots(path: str) -> None:
    cls = CLASSES[path]
    if issubclass(cls, Warning):
        assert issubclass(cls, ex.CrmkitWarning)
    else:
        assert issubclass(cls, ex.CrmkitError)


def test_every_class_in_exceptions_is_public() -> None:
    defined = {
        name
        for name, obj in vars(ex).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == "crmkit.exceptions"
    }
    assert defined == set(ex.__all__)


@pytest.mark.parametrize(
    ("old_path", "name"),
    [
        ("crmkit.codes", "UnknownCodeError"),
        ("crmkit.codes", "RegistryLoadError"),
        ("crmkit.codes.entries", "UnknownCodeError"),
        ("crmkit.codes.entries", "RegistryLoadError"),
        ("crmkit.clv", "SpendFrequencyCorrelationWarning"),
        ("crmkit.clv.gammagamma", "SpendFrequencyCorrelationWarning"),
    ],
)
def test_moved_classes_stay_importable_from_their_old_paths(old_path: str, name: str) -> None:
    assert getattr(importlib.import_module(old_path), name) is getattr(ex, name)


def test_moved_classes_keep_their_bases_and_pickle() -> None:
    assert issubclass(ex.UnknownCodeError, ex.InvalidCodeError)
    assert issubclass(ex.UnknownCodeError, LookupError)
    assert issubclass(ex.RegistryLoadError, ex.InvalidValueError)
    err = ex.RegistryLoadError([(0, "C1", "bad check digit"), (2, None, "no code")], total=3)
    assert "2 of 3 record(s) are invalid" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (again.problems, again.total, str(again)) == (err.problems, err.total, str(err))
