"""Codes inside domain records resolved through a :class:`~crmkit.codes.CodeRegistry`.

A record carries codes as the user typed them; the registry knows which entry each one
names today. :func:`canonical_code` follows the registry, in this order:

1. the registry's own code in any accepted spelling (``"prod 000002 6"``), followed
   through merges to the surviving entry (:meth:`CodeRegistry.resolve`);
2. an external code of one of ``schemes`` (a GTIN typed with Persian digits or dashes,
   a national ID ...), normalised by that scheme and looked up
   (:meth:`CodeRegistry.lookup`, which follows merges too).

A code that is neither raises :class:`~crmkit.codes.UnknownCodeError`; no code is
ever passed through unresolved (private module).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmkit.codes._base import CodeScheme, show
from crmkit.codes.entries import UnknownCodeError
from crmkit.codes.registry import CodeRegistry
from crmkit.domain import _common as cv
from crmkit.exceptions import InvalidCodeError, InvalidValueError

__all__ = ["canonical_code", "check_registry", "check_schemes"]


def check_registry(registry: Any) -> CodeRegistry:
    """``registry`` if it is a :class:`CodeRegistry`, else :class:`InvalidValueError`."""
    if not isinstance(registry, CodeRegistry):
        raise InvalidValueError(
            f"registry={show(registry)} must be a crmkit.codes.CodeRegistry (the registry "
            "that issued, merged and linked the codes)."
        )
    return registry


def check_schemes(schemes: Any) -> tuple[CodeScheme, ...]:
    """``schemes`` as a tuple of code schemes (``()`` for None)."""
    if schemes is None:
        return ()
    if isinstance(schemes, CodeScheme):
        return (schemes,)
    out = cv.items("schemes", schemes)
    bad = [s for s in out if not isinstance(s, CodeScheme)]
    if bad:
        raise InvalidValueError(
            f"schemes holds {show(bad[0])}; pass code schemes such as crmkit.codes.GTIN."
        )
    return tuple(out)


def canonical_code(
    registry: CodeRegistry, code: str, *, schemes: Iterable[CodeScheme] = (), field: str
) -> str:
    """The registry code ``code`` stands for today (see the module docstring).

    Raises
    ------
    UnknownCodeError
        If ``code`` is neither a registry code nor an external code of ``schemes``
        known to the registry; the message names ``field``, the value and the fix.

    Examples
    --------
    >>> from crmkit.codes import GTIN, CodeRegistry
    >>> reg = CodeRegistry()
    >>> tea = reg.allocate("product", label="Tea").code
    >>> old = reg.allocate("product", label="Tea (old code)").code
    >>> _ = reg.merge(old, into=tea)
    >>> _ = reg.link(tea, "6261234567897", scheme=GTIN)
    >>> {
    ...     canonical_code(reg, c, schemes=[GTIN], field="item_code") == tea
    ...     for c in (tea, old, "۶۲۶-۱۲۳۴۵۶۷۸۹۷")
    ... }
    {True}
    """
    tried: list[str] = []
    try:
        return registry.resolve(code).code
    except InvalidCodeError:  # UnknownCodeError included
        tried.append("a registry code")
    for scheme in schemes:
        try:
            return registry.lookup(code, scheme=scheme).code
        except InvalidCodeError as exc:
            tried.append(f"{scheme.name} ({exc.reason or 'invalid'})")
    hint = (
        ""
        if tried[1:]
        else " If it is an external code (a GTIN, a national ID ...), pass its scheme in "
        "schemes=, e.g. schemes=[crmkit.codes.GTIN]."
    )
    raise UnknownCodeError(
        f"{field}={show(code)} is not known to the registry (tried: {', '.join(tried)}); "
        "register() it, link() it to its entry, or correct the record." + hint,
        code=str(code),
        scheme=None,
        reason="unknown",
    )
