"""Keyword renames kept working for one release with a :class:`DeprecationWarning`.

A renamed keyword stays accepted under its old name until the next minor release: the
call still works, warns once per call site, and the message names the new keyword.
Type checkers see only the new signature (the old names are a run-time courtesy for
code written against crmkit 0.1).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["renamed_keywords"]

F = TypeVar("F", bound=Callable[..., Any])

#: The release in which the old keyword names stop working.
REMOVED_IN = "0.3"


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

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{name}() got both {old} (deprecated) and {new}; pass only {new}."
                    )
                warnings.warn(
                    f"{name}({old}=...) is deprecated and will stop working in crmkit "
                    f"{REMOVED_IN}; pass {new}=... instead.",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__crmkit_renamed__ = dict(renames)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
