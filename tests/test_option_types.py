"""Every option of the public API is typed with a ``Literal``.

An option is a parameter that takes one of a fixed set of strings (``nan_policy="raise"``,
``time_unit="W"``, ``period="Q"``, ...). Typed ``str``, a misspelt option passes the type
checker and fails only at run time; typed with a ``Literal`` (directly or through an alias
such as ``crmkit.TimeUnit``), editors complete it and ``mypy`` rejects a typo. The test
reads every public signature (attrs classes through their fields' declared types) and
checks each parameter named in ``OPTIONS``; ``PENDING`` lists the sites not converted yet
and may only shrink.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from tests.test_parameter_glossary import _callables

OPTIONS = frozenset(
    {
        "nan_policy",
        "time_unit",
        "period",
        "calendar",
        "returns",
        "cancellations",
        "occasion_unit",
        "after_observation_end",
        "missing_ids",
        "negative",
        "partial",
        "inactivity_unit",
        "purchase_unit",
        "tenure_unit",
        "statistic",
    }
)

#: Parameters with an option's name that are not options.
NOT_OPTIONS = frozenset(
    {
        ("period", "Scorecard.__init__"),  # the label of the period scored, e.g. "2024Q1"
        ("period", "Scorecard.compute"),
        # the checker of a time unit takes any string: it is what turns one into an option
        ("time_unit", "crmkit.timeunits.check_time_unit"),
        # an open set: "M", "Q", "Y" or any pandas fiscal alias such as "Q-MAR" or "Y-JUN"
        ("period", "crmkit.domain.analytics.weighted_forecast"),
    }
)

#: Options still typed ``str`` (to be converted; the list may only shrink).
PENDING: frozenset[tuple[str, str]] = frozenset()


def _is_literal(annotation: Any, namespace: dict[str, Any]) -> bool:
    """Whether an annotation (object or string) is a Literal, possibly ``| None``."""
    if isinstance(annotation, str):
        if "Literal[" in annotation or "Period" in annotation:
            # a Literal, or a calendar period label such as pd.Period("2024Q1"): not an option
            return True
        parts = [p.strip() for p in annotation.split("|") if p.strip() != "None"]
        return bool(parts) and all(
            _is_literal(namespace[p], namespace) if p in namespace else False for p in parts
        )
    if typing.get_origin(annotation) is typing.Literal:
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return (
        typing.get_origin(annotation) is not None
        and bool(args)
        and all(typing.get_origin(a) is typing.Literal for a in args)
    )


def _option_annotations(
    label: str, func: Callable[..., Any]
) -> dict[str, tuple[Any, dict[str, Any]]]:
    owner_name = label.rsplit(".", 1)[0]
    if label.endswith(".__init__"):
        owner = next(
            (c for c in _classes() if c.__qualname__ == owner_name and attrs.has(c)), None
        )
        if owner is not None:
            namespace = vars(inspect.getmodule(owner))
            return {f.name: (f.type, namespace) for f in attrs.fields(owner) if f.name in OPTIONS}
    inner = inspect.unwrap(func)
    namespace = getattr(inner, "__globals__", {})
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    return {name: (p.annotation, namespace) for name, p in params.items() if name in OPTIONS}


def _classes() -> list[type]:
    import crmkit

    found = []
    for name in dir(crmkit):
        obj = getattr(crmkit, name, None)
        if inspect.ismodule(obj):
            found.extend(v for v in vars(obj).values() if inspect.isclass(v))
    return found


@pytest.fixture(scope="module")
def untyped() -> set[tuple[str, str]]:
    out = set()
    for label, func in _callables().items():
        for name, (annotation, namespace) in _option_annotations(label, func).items():
            if (name, label) not in NOT_OPTIONS and not _is_literal(annotation, namespace):
                out.add((name, label))
    return out


def test_the_check_sees_literals() -> None:
    namespace = {"NanPolicy": typing.Literal["raise", "omit"]}
    assert _is_literal("NanPolicy", namespace)
    assert _is_literal("NanPolicy | None", namespace)
    assert _is_literal("Literal['a', 'b']", {})
    assert not _is_literal("str", {"str": str})
    assert not _is_literal(str, {})


def test_every_option_is_a_literal(untyped: set[tuple[str, str]]) -> None:
    new = sorted(untyped - PENDING)
    assert not new, f"options typed without a Literal: {new}"
    done = sorted(PENDING - untyped)
    assert not done, f"typed already: remove these PENDING entries: {done}"


def test_pending_names_are_options() -> None:
    assert {name for name, _ in PENDING} <= OPTIONS
    assert all(re.fullmatch(r"[\w.]+", label) for _, label in PENDING)
