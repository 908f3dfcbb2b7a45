"""CodeRegistry: one uniform, unique code for every customer, product, service and supplier.

The registry is an in-memory, thread-safe store with no storage assumption: it
round-trips losslessly through plain JSON-ready records (:meth:`CodeRegistry.to_records`)
and through a DataFrame (:meth:`CodeRegistry.to_frame`), so users persist it where they
like. Entries are frozen :class:`~crmkit.codes.entries.CodeEntry` values; every change
(retire, merge, link) replaces the stored entry by a new one.

Examples
--------
>>> from datetime import datetime, UTC
>>> reg = CodeRegistry(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
>>> reg.allocate("customer", label="Sara").code
'CUST-000001-8'
>>> reg.allocate("customer", label="Sara K.").code
'CUST-000002-6'
>>> reg.merge("CUST-000002-6", into="CUST-000001-8").status.value
'merged'
>>> reg.resolve("CUST-000002-6").label
'Sara'
>>> from crmkit.codes.schemes_gs1 import GTIN
>>> p = reg.register("6261234567897", kind="product", scheme=GTIN, label="Tea 500 g")
>>> reg.lookup("626-1234567897", scheme=GTIN).label
'Tea 500 g'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import attrs
import pandas as pd

from crmkit.codes._base import CodeScheme
from crmkit.codes._frames import FRAME_COLUMNS, frame_to_records, records_to_frame
from crmkit.codes.entries import (
    AttributeValue,
    CodeEntry,
    CodeKind,
    EntryStatus,
    UnknownCodeError,
)
from crmkit.codes.internal import LocalCodeScheme, PrefixedScheme
from crmkit.codes.schemes_gs1 import EAN8, GLN, GTIN, GTIN12, GTIN13, GTIN14, SSCC
from crmkit.codes.schemes_iran import (
    IBAN,
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    IRAN_LEGAL_ID,
    IRAN_NATIONAL_ID,
    SHEBA,
)
from crmkit.exceptions import InvalidCodeError, InvalidValueError, InvariantError

__all__ = ["DEFAULT_SCHEMES", "FRAME_COLUMNS", "CodeRegistry"]

DEFAULT_SCHEMES: Final[Mapping[CodeKind, PrefixedScheme]] = MappingProxyType(
    {
        CodeKind.CUSTOMER: PrefixedScheme(prefix="CUST", width=6, check="luhn"),
        CodeKind.PRODUCT: PrefixedScheme(prefix="PROD", width=6, check="luhn"),
        CodeKind.SERVICE: PrefixedScheme(prefix="SERV", width=6, check="luhn"),
        CodeKind.SUPPLIER: PrefixedScheme(prefix="SUPP", width=6, check="luhn"),
    }
)
"""Allocation schemes used when none are given: ``CUST-``, ``PROD-``, ``SERV-``, ``SUPP-``."""


_BUILTIN: Final[tuple[CodeScheme, ...]] = (
    GTIN,
    EAN8,
    GTIN12,
    GTIN13,
    GTIN14,
    GLN,
    SSCC,
    IRAN_NATIONAL_ID,
    IRAN_LEGAL_ID,
    IBAN,
    SHEBA,
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CodeRegistry:
    """Thread-safe registry of codes per kind, with aliases, merges and external codes.

    Parameters
    ----------
    schemes : mapping of kind to PrefixedScheme, optional
        Allocation scheme per kind; missing kinds use :data:`DEFAULT_SCHEMES`. Two kinds
        may not share a prefix.
    clock : callable returning a timezone-aware datetime, optional
        Source of ``created`` timestamps (default: now, UTC); inject one for tests.
    schemes_by_name : iterable of CodeScheme, optional
        Extra external schemes (beyond the built-in GS1 and Iranian ones and
        ``local:<source>``) whose names may appear in records passed to
        :meth:`from_records`.

    Notes
    -----
    All public methods take one re-entrant lock, so concurrent :meth:`allocate` calls
    from many threads never issue a code twice and never lose one.
    """

    def __init__(
        self,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> None:
        given = {CodeKind(k): v for k, v in (schemes or {}).items()}
        self._schemes: dict[CodeKind, PrefixedScheme] = {
            k: given.get(k, DEFAULT_SCHEMES[k]) for k in CodeKind
        }
        prefixes = [s.prefix for s in self._schemes.values()]
        if len(set(prefixes)) != len(prefixes):
            raise InvalidValueError(
                f"allocation schemes share a prefix: {prefixes}; give each kind its own."
            )
        self._clock = clock or _utc_now
        self._named: dict[str, CodeScheme] = {s.name: s for s in _BUILTIN}
        self._named.update({s.name: s for s in self._schemes.values()})
        self._named.update({s.name: s for s in schemes_by_name})
        self._lock = threading.RLock()
        self._entries: dict[str, CodeEntry] = {}
        self._external: dict[tuple[str, str], str] = {}
        self._next: dict[CodeKind, int] = dict.fromkeys(CodeKind, 1)

    # ------------------------------------------------------------------ basics
    def scheme_for(self, kind: CodeKind | str) -> PrefixedScheme:
        """The allocation scheme of ``kind``."""
        return self._schemes[_kind(kind)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, code: object) -> bool:
        with self._lock:
            return isinstance(code, str) and code in self._entries

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries())

    def entries(self) -> tuple[CodeEntry, ...]:
        """A snapshot of all entries in insertion order."""
        with self._lock:
            return tuple(self._entries.values())

    def _created(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise InvalidValueError("the registry clock returned a naive datetime; use UTC.")
        return now

    def _insert(self, entry: CodeEntry) -> CodeEntry:
        existing = self._entries.get(entry.code)
        if existing is not None:
            raise InvalidCodeError(
                f"{entry.code!r} ({entry.scheme}) is already registered as "
                f"{existing.kind.value} {existing.label!r} (status {existing.status.value}); "
                "codes are unique - use get() to reuse it or merge() to combine records.",
                code=entry.code,
                scheme=entry.scheme,
                reason="duplicate",
            )
        self._entries[entry.code] = entry
        for key in entry.external_codes:
            self._external[key] = entry.code
        return entry

    # -------------------------------------------------------------- creating
    def allocate(
        self,
        kind: CodeKind | str,
        *,
        label: str = "",
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> CodeEntry:
        """Issue the next free code of ``kind``'s scheme and record it.

        Returns
        -------
        CodeEntry
            The new active entry.

        Raises
        ------
        InvalidValueError
            If the scheme's serial numbers are exhausted.
        """
        k = _kind(kind)
        scheme = self._schemes[k]
        with self._lock:
            number = self._next[k]
            code = scheme.make(number)
            while code in self._entries:
                number += 1
                code = scheme.make(number)
            entry = CodeEntry(
                code=code,
                kind=k,
                scheme=scheme.name,
                created=self._created(),
                label=label,
                attributes=attributes,
            )
            self._insert(entry)
            self._next[k] = number + 1
            return entry

    def register(
        self,
        code: str,
        *,
        kind: CodeKind | str,
        scheme: CodeScheme | None = None,
        label: str = "",
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> CodeEntry:
        """Record an existing code (e.g. a GTIN or a national ID) as an entry of ``kind``.

        Parameters
        ----------
        code : str
            The code; validated and stored in canonical form.
        kind : CodeKind or str
        scheme : CodeScheme, optional
            The scheme that validates ``code`` (default: ``kind``'s allocation scheme).
        label, attributes
            As for :meth:`allocate`.

        Raises
        ------
        InvalidCodeError
            If ``code`` fails its scheme, or is already registered (``reason="duplicate"``).
        """
        k = _kind(kind)
        use = scheme if scheme is not None else self._schemes[k]
        canonical = use.validate(code)
        with self._lock:
            entry = self._insert(
                CodeEntry(
                    code=canonical,
                    kind=k,
                    scheme=use.name,
                    created=self._created(),
                    label=label,
                    attributes=attributes,
                )
            )
            own = self._schemes[k]
            if use.name == own.name:
                self._next[k] = max(self._next[k], own.number(canonical) + 1)
            self._named.setdefault(use.name, use)
            return entry

    def link(self, code: str, external: str, *, scheme: CodeScheme) -> CodeEntry:
        """Attach an external code (validated by ``scheme``) to the entry ``code``.

        Raises
        ------
        InvalidCodeError
            If ``external`` fails ``scheme`` or is already linked to any entry.
        UnknownCodeError
            If ``code`` is not registered.
        """
        canonical = scheme.validate(external)
        key = (scheme.name, canonical)
        with self._lock:
            entry = self.get(code)
            owner = self._external.get(key)
            if owner is not None:
                raise InvalidCodeError(
                    f"{canonical!r} ({scheme.name}) is already linked to {owner!r} "
                    f"({self._entries[owner].label!r}); one external code names one entry.",
                    code=canonical,
                    scheme=scheme.name,
                    reason="duplicate",
                )
            new = attrs.evolve(entry, external_codes=(*entry.external_codes, key))
            self._entries[entry.code] = new
            self._external[key] = entry.code
            self._named.setdefault(scheme.name, scheme)
            return new

    # --------------------------------------------------------------- reading
    def get(self, code: str) -> CodeEntry:
        """The entry stored under ``code`` (any status; no merge resolution).

        ``code`` may be written in any accepted form of the kind schemes
        (``"cust 000001 8"``).

        Raises
        ------
        UnknownCodeError
            If no entry has this code.
        """
        with self._lock:
            if isinstance(code, str) and code in self._entries:
                return self._entries[code]
            for scheme in self._schemes.values():
                if scheme.is_valid(code):
                    canonical = scheme.validate(code)
                    if canonical in self._entries:
                        return self._entries[canonical]
            raise UnknownCodeError(
                f"{code!r} is not in the registry; allocate() or register() it first.",
                code=str(code),
                scheme=None,
                reason="unknown",
            )

    def resolve(self, code: str) -> CodeEntry:
        """Follow merges from ``code`` to the entry that now stands for it."""
        with self._lock:
            entry = self.get(code)
            seen = {entry.code}
            while entry.merged_into is not None:
                entry = self._entries[entry.merged_into]
                if entry.code in seen:  # cannot happen: merge() refuses cycles
                    raise InvariantError(f"merge cycle through {sorted(seen)}.")
                seen.add(entry.code)
            return entry

    def lookup(self, external: str, *, scheme: CodeScheme) -> CodeEntry:
        """The (merge-resolved) entry an external code names, e.g. GTIN -> product.

        Raises
        ------
        InvalidCodeError
            If ``external`` fails ``scheme``.
        UnknownCodeError
            If no entry has or links this code.
        """
        canonical = scheme.validate(external)
        with self._lock:
            owner = self._external.get((scheme.name, canonical))
            if owner is None:
                entry = self._entries.get(canonical)
                if entry is None or entry.scheme != scheme.name:
                    raise UnknownCodeError(
                        f"{canonical!r} ({scheme.name}) is not linked to any entry; "
                        "register() it or link() it to an entry first.",
                        code=canonical,
                        scheme=scheme.name,
                        reason="unknown",
                    )
                owner = entry.code
            return self.resolve(owner)

    # -------------------------------------------------------------- changing
    def retire(self, code: str) -> CodeEntry:
        """Mark an active entry retired (its code is never issued again).

        Raises
        ------
        InvariantError
            If the entry is not active.
        """
        with self._lock:
            entry = self.get(code)
            if entry.status is not EntryStatus.ACTIVE:
                raise InvariantError(
                    f"{entry.code!r} is {entry.status.value}; only active entries can retire."
                )
            new = attrs.evolve(entry, status=EntryStatus.RETIRED)
            self._entries[entry.code] = new
            return new

    def merge(self, source: str, *, into: str) -> CodeEntry:
        """Merge ``source`` into ``into``: ``source`` becomes an alias that resolves to it.

        Returns
        -------
        CodeEntry
            The new entry of ``source`` (status merged, ``merged_into`` = ``into``).

        Raises
        ------
        InvariantError
            If ``source`` is not active, ``into`` resolves to a retired entry or back to
            ``source`` (a cycle), or the kinds differ.
        """
        with self._lock:
            src = self.get(source)
            dst = self.get(into)
            final = self.resolve(dst.code)
            if src.status is not EntryStatus.ACTIVE:
                raise InvariantError(
                    f"{src.code!r} is {src.status.value}; only active entries can be merged."
                )
            if final.code == src.code:
                raise InvariantError(
                    f"merging {src.code!r} into {dst.code!r} would create a cycle "
                    f"({dst.code!r} already resolves to {src.code!r})."
                )
            if final.status is EntryStatus.RETIRED:
                raise InvariantError(f"{dst.code!r} resolves to retired {final.code!r}.")
            if src.kind is not dst.kind:
                raise InvariantError(
                    f"cannot merge {src.kind.value} {src.code!r} into {dst.kind.value} "
                    f"{dst.code!r}; kinds must match."
                )
            new = attrs.evolve(src, status=EntryStatus.MERGED, merged_into=dst.code)
            self._entries[src.code] = new
            return new

    # ------------------------------------------------------------ persisting
    def to_records(self) -> list[dict[str, Any]]:
        """All entries as JSON-ready dicts (``json.dumps`` works on the result)."""
        return [e.to_record() for e in self.entries()]

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> CodeRegistry:
        """Rebuild a registry from :meth:`to_records` output; every code is re-validated.

        Raises
        ------
        InvalidValueError
            If a record names a scheme the registry does not know (pass it in
            ``schemes_by_name``) or a merge target is missing.
        InvalidCodeError
            If a code fails its scheme or repeats.
        """
        reg = cls(schemes, clock=clock, schemes_by_name=schemes_by_name)
        with reg._lock:
            for record in records:
                entry = CodeEntry.from_record(record)
                for name, code in ((entry.scheme, entry.code), *entry.external_codes):
                    reg._scheme_named(name).validate(code)
                reg._insert(entry)
                own = reg._schemes[entry.kind]
                if entry.scheme == own.name:
                    reg._next[entry.kind] = max(reg._next[entry.kind], own.number(entry.code) + 1)
            for entry in reg._entries.values():
                if entry.merged_into is not None and entry.merged_into not in reg._entries:
                    raise InvalidValueError(
                        f"{entry.code!r} is merged into {entry.merged_into!r}, which is "
                        "not among the records."
                    )
        return reg

    def _scheme_named(self, name: str) -> CodeScheme:
        if name in self._named:
            return self._named[name]
        if name.startswith("local:"):
            scheme = LocalCodeScheme(source=name.removeprefix("local:"))
            self._named[name] = scheme
            return scheme
        raise InvalidValueError(
            f"unknown scheme {name!r} in records; pass it as schemes_by_name=[...]."
        )

    def to_frame(self) -> pd.DataFrame:
        """All entries as a DataFrame indexed by ``code`` with :data:`FRAME_COLUMNS`.

        ``created`` is a UTC datetime column; ``attributes`` and ``external_codes`` are
        JSON strings so the frame can be written to CSV or Parquet unchanged.
        """
        return records_to_frame(self.to_records())

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> CodeRegistry:
        """Rebuild a registry from :meth:`to_frame` output (see :meth:`from_records`)."""
        records = frame_to_records(frame)
        return cls.from_records(
            records, schemes=schemes, clock=clock, schemes_by_name=schemes_by_name
        )


def _kind(kind: CodeKind | str) -> CodeKind:
    try:
        return CodeKind(kind)
    except ValueError as exc:
        raise InvalidValueError(
            f"kind={kind!r} is not one of {[k.value for k in CodeKind]}."
        ) from exc
