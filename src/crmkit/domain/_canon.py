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

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from crmkit.codes._base import CodeScheme, show
from crmkit.codes._lookup import check_schemes
from crmkit.codes.entries import UnknownCodeError
from crmkit.codes.registry import CodeRegistry
from crmkit.exceptions import InvalidCodeError, InvalidValueError

__all__ = [
    "canonical_code",
    "check_registry",
    "resolve_codes_doc",
    "resolved",
]

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def check_registry(registry: Any) -> CodeRegistry:
    """``registry`` if it is a :class:`CodeRegistry`, else :class:`InvalidValueError`."""
    if not isinstance(registry, CodeRegistry):
        raise InvalidValueError(
            f"registry={show(registry)} must be a crmkit.codes.CodeRegistry (the registry "
            "that issued, merged and linked the codes)."
        )
    return registry


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


def resolved(record: R, registry: Any, schemes: Any, fields: Iterable[str]) -> R:
    """``record`` with each code field of ``fields`` (in that order) made canonical.

    The one implementation behind every record's ``resolve_codes``: the arguments are
    checked, then each field that holds a code (``None`` is left as it is) is resolved
    with :func:`canonical_code`; the first unknown code raises.
    """
    reg = check_registry(registry)
    use = check_schemes(schemes, reg)
    new = {
        name: canonical_code(reg, getattr(record, name), schemes=use, field=name)
        for name in fields
        if getattr(record, name) is not None
    }
    return attrs.evolve(record, **new)  # type: ignore[misc]


_RESOLVE_CODES_DOC = """The same {record} with its codes replaced by the registry's canonical ones.

{fields} resolved the same way: as a registry code in any accepted spelling, followed
through merges to the surviving entry, else as an external code of one of ``schemes``
(e.g. :data:`crmkit.codes.GTIN`; the scheme normalises it first: Persian or Arabic-Indic
digits, spaces, dashes) looked up in the registry. No code is left unresolved.

Parameters
----------
registry : CodeRegistry
    The registry that issued, merged and linked the codes.
schemes : iterable of CodeScheme or None, default ()
    External schemes the codes may be written in; ``()``: the registry's own codes
    only; None: every scheme the registry knows.{customer}

Returns
-------
{cls}
    A new record (records are immutable; this one is unchanged).

Raises
------
UnknownCodeError
    If a code is not known to the registry; the message names the field, the code and
    the fix (register or link it, or pass its scheme in ``schemes``).
InvalidValueError
    If ``registry`` is not a :class:`~crmkit.codes.CodeRegistry` or ``schemes`` holds
    something that is not a code scheme.

Examples
--------
{example}"""

_CUSTOMER_PARAM = """
customer : bool, default True
    Resolve ``customer_code`` too; False leaves it as written."""


def resolve_codes_doc(*, record: str, fields: str, example: str) -> Callable[[F], F]:
    """Give a ``resolve_codes`` method the one shared docstring, with its own example.

    ``record`` names the record ("complaint"), ``fields`` says which codes are resolved
    and ``example`` is the method's doctest (``>>>`` lines, no indentation). A method
    with a ``customer`` parameter gets it documented.
    """

    def apply(method: F) -> F:
        cls = method.__qualname__.split(".")[0]
        takes_customer = "customer" in method.__code__.co_varnames
        method.__doc__ = _RESOLVE_CODES_DOC.format(
            record=record,
            fields=fields,
            cls=cls,
            customer=_CUSTOMER_PARAM if takes_customer else "",
            example=example.strip("\n"),
        )
        return method

    return apply
