"""Indexed look-ups and column resolution of a code registry (private to crmkit.codes).

The callers (:meth:`CodeRegistry.find`, :meth:`CodeRegistry.resolve_column`) hold the
registry's lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmkit._text import name_key
from crmkit.codes._base import CodeScheme, show
from crmkit.codes._store import IndexKey, _RegistryCore, kind_arg, value_key
from crmkit.codes.entries import CodeEntry, EntryStatus, UnknownCodeError, _to_attributes
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = ["check_schemes", "find_codes", "resolve_values"]


def find_codes(
    reg: _RegistryCore,
    kind: object,
    label: object,
    status: object,
    attributes: object,
) -> tuple[CodeEntry, ...]:
    """Entries under every index key the criteria give (intersection, smallest first)."""
    keys: list[IndexKey] = []
    if kind is not None:
        keys.append(("kind", kind_arg(kind)))
    if label is not None:
        if not isinstance(label, str):
            raise InvalidValueError(f"label={show(label)} must be a str (or None for any).")
        keys.append(("label", name_key(label)))
    if status is not None:
        if not isinstance(status, str) or status not in {s.value for s in EntryStatus}:
            raise InvalidValueError(
                f"status={show(status)} is not one of {[s.value for s in EntryStatus]}."
            )
        keys.append(("status", EntryStatus(status)))
    if attributes is not None:
        if not isinstance(attributes, Mapping):
            raise InvalidValueError(
                f"attributes={show(attributes)}: pass a dict of name -> JSON scalar."
            )
        keys.extend(("attr", k, value_key(v)) for k, v in _to_attributes(attributes))
    if not keys:
        return tuple(reg._entries.values())
    buckets = sorted((reg._index.get(key, set()) for key in keys), key=len)
    found = set(buckets[0])
    for bucket in buckets[1:]:
        if not found:
            break
        found &= bucket
    return reg._ordered(found)


def _survivor(reg: _RegistryCore, code: str) -> CodeEntry:
    entry = reg._entries[code]
    for _ in range(len(reg._entries)):  # merge() refuses cycles; bounded anyway
        if entry.merged_into is None:
            return entry
        entry = reg._entries[entry.merged_into]
    raise InvariantError(f"the merges from {code!r} form a cycle.")


def check_schemes(schemes: object, registry: _RegistryCore | None) -> tuple[CodeScheme, ...]:
    """The one check of a ``schemes=`` argument: registry look-ups and domain records.

    ``None`` means every scheme ``registry`` knows (GS1, Iranian, ``local:<branch>`` and
    those registered or linked; none without a registry); one scheme means a list of
    that scheme; a collection (list, tuple, generator) must hold code schemes only
    (``[]``: no external scheme, the registry's own codes only). Text, bytes, mappings,
    frames and other non-collections are refused with
    :class:`~crmkit.exceptions.InvalidValueError` naming ``schemes=``.

    Examples
    --------
    >>> from crmkit.codes import GTIN, CodeRegistry
    >>> [s.name for s in check_schemes(GTIN, None)], check_schemes(None, None)
    (['GTIN'], ())
    >>> len(check_schemes(None, CodeRegistry())) > 5
    True
    >>> check_schemes("GTIN", None)
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: schemes='GTIN' is not a collection of code schemes; ...
    """
    if schemes is None:
        return () if registry is None else tuple(registry._named.values())
    if isinstance(schemes, CodeScheme):
        return (schemes,)
    if isinstance(schemes, str | bytes | Mapping | pd.DataFrame) or not isinstance(
        schemes, Iterable
    ):
        raise InvalidValueError(
            f"schemes={show(schemes)} is not a collection of code schemes; pass a list "
            "such as [crmkit.codes.GTIN], [] for the registry's own codes only, or None "
            "for every scheme the registry knows."
        )
    out = tuple(schemes)
    bad = [s for s in out if not isinstance(s, CodeScheme)]
    if bad:
        raise InvalidValueError(
            f"schemes={show(out)} holds {show(bad[0])}, which is not a code scheme; pass "
            "code schemes such as crmkit.codes.GTIN ([] for the registry's own codes only)."
        )
    return out


def _one(reg: _RegistryCore, value: str, schemes: tuple[CodeScheme, ...]) -> CodeEntry | None:
    """The survivor that ``value`` names, None if none; ambiguity raises."""
    code = value if value in reg._entries else None
    if code is None:
        for own in reg._schemes.values():
            if own.is_valid(value):
                canonical = own.validate(value)
                if canonical in reg._entries:
                    code = canonical
                    break
    if code is not None:
        return _survivor(reg, code)
    found: dict[str, list[str]] = {}
    for scheme in schemes:
        if not scheme.is_valid(value):
            continue
        canonical = scheme.validate(value)
        owner = reg._external.get((scheme.name, canonical))
        if owner is None:
            held = reg._entries.get(canonical)
            owner = held.code if held is not None and held.scheme == scheme.name else None
        if owner is not None:
            found.setdefault(_survivor(reg, owner).code, []).append(scheme.name)
    if len(found) > 1:
        raise InvariantError(
            f"{value!r} names different entries under different schemes: {found}; "
            "pass schemes=[...] to say which scheme the column uses."
        )
    return _survivor(reg, next(iter(found))) if found else None


def _as_series(values: object) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index):
        return pd.Series(values.to_numpy(dtype=object), name=values.name, dtype=object)
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return pd.Series(values.astype(object), dtype=object)
    if isinstance(values, list | tuple):
        return pd.Series(list(values), dtype=object)
    raise InvalidValueError(
        f"values={show(values)}: pass a pandas Series (or Index, list, 1-D array) of codes."
    )


def resolve_values(
    reg: _RegistryCore, values: object, schemes: object, errors: object, details: object
) -> Any:
    """Implementation of :meth:`CodeRegistry.resolve_column`."""
    if not isinstance(errors, str) or errors not in ("raise", "coerce"):
        raise InvalidValueError(
            f"errors={show(errors)}: use 'raise' (unknown codes are an error) or 'coerce' "
            "(they map to None)."
        )
    if not isinstance(details, bool):
        raise InvalidValueError(f"details={show(details)} must be True or False.")
    use = check_schemes(schemes, reg)
    series = _as_series(values)
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    found: list[CodeEntry | None] = []
    unknown: list[str] = []
    for value in uniques.tolist():
        if not isinstance(value, str):
            raise InvalidValueError(
                f"values holds {show(value)}, not text; codes are text (read files with "
                "dtype=str so leading zeros are kept)."
            )
        entry = _one(reg, str.__str__(value), use)
        if entry is None:
            unknown.append(value)
        found.append(entry)
    n_missing = int((codes < 0).sum())
    if errors == "raise" and (unknown or n_missing):
        what = [*unknown[:5], *(["<missing>"] if n_missing else [])]
        n = len(unknown) + (1 if n_missing else 0)
        raise UnknownCodeError(
            f"{n} distinct value(s) of the column name no entry of the registry: "
            f"{what}{' ...' if len(unknown) > 5 else ''}. Register or link them, or "
            "pass errors='coerce' to map them to None.",
            code=unknown[0] if unknown else None,
            scheme=None,
            reason="unknown",
        )
    table = np.array([*found, None], dtype=object)  # position -1 (missing) -> None
    name = series.name if series.name is not None else "code"

    def column(get: Any) -> pd.Series:
        out = np.array([None if e is None else get(e) for e in table], dtype=object)[codes]
        return pd.Series(out, index=series.index, dtype=object)

    if not details:
        out = column(lambda e: e.code)
        out.name = name
        return out
    return pd.DataFrame(
        {
            "code": column(lambda e: e.code),
            "label": column(lambda e: e.label),
            "kind": column(lambda e: e.kind.value),
        },
        index=series.index,
    )
