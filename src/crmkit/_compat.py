"""Keyword renames kept working for one release with a :class:`DeprecationWarning`.

A renamed keyword stays accepted under its old name until the next minor release: the
call still works, warns once per call site, and the message names the new keyword.
Likewise an option that became keyword-only (data first, then keyword-only options)
is still accepted by position for one release (:func:`positional_options`).
Type checkers see only the new signature (the old names are a run-time courtesy for
code written against crmkit 0.1).
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

__all__ = [
    "call_with_horizon",
    "horizon_keyword",
    "positional_options",
    "renamed_fields",
    "renamed_keywords",
]

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")

#: The release in which the old keyword names stop working.
REMOVED_IN = "0.3"


def _deprecated(message: str) -> None:
    """Warn with a :class:`DeprecationWarning` attributed to the first caller outside
    this module, so stacked decorators still point at the user's line."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2 is the frame calling this helper
    while frame.f_code.co_filename == __file__ and frame.f_back is not None:
        level, frame = level + 1, frame.f_back
    warnings.warn(message, DeprecationWarning, stacklevel=level)


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Accept each ``old=new`` keyword name under its old spelling, with a warning.

    Parameters
    ----------
    **renames : str
        ``old_name="new_name"`` pairs.

    Returns
    -------
    callable
        A decorator that leaves the function's signature (``inspect.signature``
        follows ``__wrapped__``) and its type unchanged.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(as_of="observation_end")
    ... def stages(data, *, observation_end=None):
    ...     return observation_end
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     stages(None, as_of="2011-12-09")
    '2011-12-09'
    >>> str(caught[0].message).split(";")[1]
    ' pass observation_end=... instead.'
    >>> stages(None, as_of=1, observation_end=2)
    Traceback (most recent call last):
    ...
    TypeError: stages() got both as_of (deprecated) and observation_end; pass only observation_end.
    """

    def decorate(func: F) -> F:
        name = func.__name__
        if name == "__init__":  # a class's constructor: name the class, as users call it
            name = func.__qualname__.rsplit(".", 2)[-2]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{name}() got both {old} (deprecated) and {new}; pass only {new}."
                    )
                _deprecated(
                    f"{name}({old}=...) is deprecated and will stop working in crmkit "
                    f"{REMOVED_IN}; pass {new}=... instead."
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__crmkit_renamed__ = dict(renames)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def positional_options(*names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept options that became keyword-only by position, with a warning, for one release.

    The decorated function declares its options keyword-only (after ``*``); ``names``
    are those that crmkit 0.1 took by position, in their old order. A call passing
    them by position still works: the extra positional values are passed on as
    keywords, and a :class:`DeprecationWarning` names the function, the parameters and
    the fix. More positional values than the old signature took remain a
    :class:`TypeError`.

    Parameters
    ----------
    *names : str
        The keyword-only parameters that used to follow the positional ones, in their
        former positional order.

    Returns
    -------
    callable
        A decorator that keeps the function's type, docstring and signature
        (``inspect.signature`` follows ``__wrapped__``: the keyword-only one).

    Raises
    ------
    TypeError
        At decoration, if a name is not a keyword-only parameter of the function.

    Examples
    --------
    >>> import warnings
    >>> @positional_options("observation_end")
    ... def tally(data, *, observation_end=None):
    ...     return observation_end
    >>> tally([], observation_end="2011-12-09")
    '2011-12-09'
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     tally([], "2011-12-09")
    '2011-12-09'
    >>> for part in str(caught[0].message).split("; "):
    ...     print(part)
    tally(): passing observation_end by position is deprecated and will stop working in crmkit 0.3
    pass observation_end=... by keyword.
    >>> tally([], "2011-12-09", "extra")
    Traceback (most recent call last):
    ...
    TypeError: tally() takes 1 positional argument but 3 were given; pass the options ...
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = getattr(func, "__name__", "function")
        params = inspect.signature(func).parameters
        keyword_only = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
        unknown = [n for n in names if n not in keyword_only]
        if unknown or not names:
            raise TypeError(
                f"positional_options{names!r} on {label}(): {unknown} are not keyword-only "
                f"parameters (those are {keyword_only})."
            )
        n_positional = sum(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params.values()
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            extra = args[n_positional:]
            if not extra:
                return func(*args, **kwargs)
            if len(extra) > len(names):
                raise TypeError(
                    f"{label}() takes {n_positional} positional argument"
                    f"{'s' if n_positional != 1 else ''} but {len(args)} were given; pass "
                    f"the options ({', '.join(keyword_only)}) by keyword."
                )
            moved = names[: len(extra)]
            twice = [n for n in moved if n in kwargs]
            if twice:
                raise TypeError(f"{label}() got multiple values for argument {twice[0]!r}")
            _deprecated(
                f"{label}(): passing {', '.join(moved)} by position is deprecated and will "
                f"stop working in crmkit {REMOVED_IN}; pass "
                f"{', '.join(n + '=...' for n in moved)} by keyword."
            )
            kwargs.update(zip(moved, extra, strict=True))
            return func(*args[:n_positional], **kwargs)

        wrapper.__crmkit_positional__ = names  # type: ignore[attr-defined]
        return cast("Callable[P, R]", wrapper)

    return decorate


C = TypeVar("C", bound=type)


def renamed_fields(**renames: str) -> Callable[[C], C]:
    """Accept each ``old=new`` keyword of a class's constructor under its old name.

    For attrs classes whose fields were renamed: the constructor takes the old keyword
    with a :class:`DeprecationWarning`, as :func:`renamed_keywords` does for functions
    (apply it above ``@attrs.frozen``). Reading the old attribute is a separate
    property of the class.

    Examples
    --------
    >>> import warnings
    >>> import attrs
    >>> @renamed_fields(unit="time_unit")
    ... @attrs.frozen(kw_only=True)
    ... class Span:
    ...     time_unit: str
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Span(unit="W")
    Span(time_unit='W')
    >>> str(caught[0].message).split(";")[0]
    'Span(unit=...) is deprecated and will stop working in crmkit 0.3'
    """

    def decorate(cls: C) -> C:
        init = renamed_keywords(**renames)(vars(cls)["__init__"])
        type.__setattr__(cls, "__init__", init)
        return cls

    return decorate


def _is_frame(value: Any) -> bool:
    """A pandas or dask frame (anything with columns), i.e. the data of a prediction."""
    return hasattr(value, "columns") and hasattr(value, "index")


def horizon_keyword(method: F) -> F:
    """Accept the crmkit 0.1 call shapes of a prediction method for one release.

    In crmkit 0.1 some predictions took the horizon first (``model.m(t, summary)``) and
    others second (``model.m(summary, t)``). The method now takes the data first and
    the horizon as the keyword ``t=``. A call with the horizon passed by position,
    before or after the data, still works, warns with a :class:`DeprecationWarning`
    naming the new form, and is passed on as ``m(summary, t=...)``.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> class Model:
    ...     @horizon_keyword
    ...     def predict(self, summary, *, t):
    ...         return len(summary), t
    >>> s = pd.DataFrame({"frequency": [1, 2]})
    >>> Model().predict(s, t=39)
    (2, 39)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Model().predict(39, s)
    (2, 39)
    >>> str(caught[0].message).split(";")[1]
    ' call predict(summary, t=...) instead.'
    """
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        frames = [a for a in args if _is_frame(a)]
        others = [a for a in args if not _is_frame(a)]
        data_by_name = len(args) == 1 and not frames and "summary" in kwargs
        if not (data_by_name or (len(frames) == 1 and len(others) == 1 and len(args) == 2)):
            return method(self, *args, **kwargs)
        if "t" in kwargs:
            raise TypeError(f"{name}() got the horizon twice: by position and as t=.")
        if data_by_name:
            shape = "t, summary=..."
            data = kwargs.pop("summary")
        else:
            shape = "t, summary" if args[0] is others[0] else "summary, t"
            data = frames[0]
        warnings.warn(
            f"{name}({shape}) with the horizon by position is deprecated and will stop "
            f"working in crmkit {REMOVED_IN}; call {name}(summary, t=...) instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return method(self, data, t=others[0], **kwargs)

    wrapper.__crmkit_horizon_keyword__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def call_with_horizon(method: Callable[..., Any], data: Any, t: Any) -> Any:
    """Call a model's prediction ``method(data, t=t)``, also for a user's model written
    for crmkit 0.1, whose methods took the horizon first (``method(t, data)``).

    Such a method (first parameter named ``t``, not keyword-only) is still called the old
    way for one release, with a :class:`DeprecationWarning` saying how to update it.

    Examples
    --------
    >>> import warnings
    >>> class Old:
    ...     def conditional_expected_purchases(self, t, summary):
    ...         return t * len(summary)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     call_with_horizon(Old().conditional_expected_purchases, [1, 2], 10)
    20
    >>> "conditional_expected_purchases(self, summary, *, t)" in str(caught[0].message)
    True
    """
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: assume the new form
        return method(data, t=t)
    first = next((p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD), None)
    if first is None or first.name != "t" or first.kind is inspect.Parameter.KEYWORD_ONLY:
        return method(data, t=t)
    name = getattr(method, "__name__", "method")
    warnings.warn(
        f"{getattr(method, '__qualname__', name)} takes the horizon first, as crmkit 0.1 "
        f"models did; define it as {name}(self, summary, *, t) (the data first, the horizon "
        f"as the keyword t). The old order stops working in crmkit {REMOVED_IN}.",
        DeprecationWarning,
        stacklevel=3,
    )
    return method(t, data)
