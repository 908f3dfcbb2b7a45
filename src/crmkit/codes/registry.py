"""CodeRegistry: one uniform, unique code for every customer, product, service and supplier.

The registry is an in-memory, thread-safe store with no storage assumption: it
round-trips losslessly through plain JSON-ready records (:meth:`CodeRegistry.to_records`),
JSON text with its audit log (:meth:`CodeRegistry.to_json`) and a DataFrame
(:meth:`CodeRegistry.to_frame`), so users persist it where they like. Entries are frozen
:class:`~crmkit.codes.entries.CodeEntry` values; every change (edit, retire, merge,
link) replaces the stored entry by a new one and appends a row to the audit log.
Changes grouped in :meth:`CodeRegistry.batch` are all-or-nothing.

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

from collections.abc import Iterator, Mapping
from typing import Any, Literal, overload

import attrs
import pandas as pd

from crmkit.codes._audit import AUDIT_COLUMNS, AuditAction, audit_frame, check_actor
from crmkit.codes._base import CodeScheme
from crmkit.codes._frames import FRAME_COLUMNS
from crmkit.codes._lookup import find_codes, resolve_values
from crmkit.codes._persist import _RegistryPersistence
from crmkit.codes._store import DEFAULT_SCHEMES, kind_arg, scheme_arg
from crmkit.codes.entries import (
    AttributeValue,
    CodeEntry,
    CodeKind,
    EntryStatus,
    UnknownCodeError,
)
from crmkit.codes.internal import PrefixedScheme
from crmkit.exceptions import InvalidCodeError, InvariantError

__all__ = ["AUDIT_COLUMNS", "DEFAULT_SCHEMES", "FRAME_COLUMNS", "CodeRegistry"]


class CodeRegistry(_RegistryPersistence):
    """Thread-safe registry of codes per kind, with aliases, merges and external codes.

    Parameters
    ----------
    schemes : mapping of kind to PrefixedScheme, optional
        Allocation scheme per kind; missing kinds use :data:`DEFAULT_SCHEMES`. Two kinds
        may not share a prefix.
    clock : callable returning a timezone-aware datetime, optional
        Source of ``created`` and audit timestamps (default: now, UTC); inject one for
        tests.
    schemes_by_name : iterable of CodeScheme, optional
        Extra external schemes (beyond the built-in GS1 and Iranian ones and
        ``local:<source>``) whose names may appear in records passed to
        :meth:`from_records`.

    Notes
    -----
    All public methods take one re-entrant lock, so concurrent :meth:`allocate` calls
    from many threads never issue a code twice and never lose one. A :meth:`batch`
    holds the lock for its whole block, so a group of changes is atomic towards other
    threads too, and is undone as a whole if the block raises. Every change method
    takes ``actor=`` (who makes the change, for the audit log).

    Look-ups by kind, status, label (:meth:`find`) and attribute use indexes kept in
    step with every change (and every rollback), so they cost the number of matches,
    not the size of the registry.
    """

    # ------------------------------------------------------------------ basics
    def scheme_for(self, kind: CodeKind | str) -> PrefixedScheme:
        """The allocation scheme of ``kind``."""
        return self._schemes[kind_arg(kind)]

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

    # -------------------------------------------------------------- creating
    def allocate(
        self,
        kind: CodeKind | str,
        *,
        label: str = "",
        attributes: Mapping[str, AttributeValue] | None = None,
        actor: str | None = None,
    ) -> CodeEntry:
        """Issue the next free code of ``kind``'s scheme and record it.

        Parameters
        ----------
        kind : CodeKind or str
        label : str, default ""
            Free text, e.g. the customer's or item's name.
        attributes : mapping of str to JSON scalar, optional
        actor : str, optional
            Who makes the change (for the audit log).

        Returns
        -------
        CodeEntry
            The new active entry.

        Raises
        ------
        InvalidValueError
            If the scheme's serial numbers are exhausted, or an argument is invalid.
        """
        k = kind_arg(kind)
        scheme = self._schemes[k]
        with self._atomic(check_actor(actor)):
            number = self._next[k]
            code = scheme.make(number)
            while code in self._entries:  # at most len(self) steps
                number += 1
                code = scheme.make(number)
            when = self._now()
            entry = CodeEntry(
                code=code,
                kind=k,
                scheme=scheme.name,
                created=when,
                label=label,
                attributes=attributes,
            )
            self._insert(entry)
            self._set_next(k, number + 1)
            self._log(AuditAction.ALLOCATE, code, None, entry, when)
            return entry

    def register(
        self,
        code: str,
        *,
        kind: CodeKind | str,
        scheme: CodeScheme | None = None,
        label: str = "",
        attributes: Mapping[str, AttributeValue] | None = None,
        actor: str | None = None,
    ) -> CodeEntry:
        """Record an existing code (e.g. a GTIN or a national ID) as an entry of ``kind``.

        Parameters
        ----------
        code : str
            The code; validated and stored in canonical form.
        kind : CodeKind or str
        scheme : CodeScheme, optional
            The scheme that validates ``code`` (default: ``kind``'s allocation scheme).
        label, attributes, actor
            As for :meth:`allocate`.

        Raises
        ------
        InvalidCodeError
            If ``code`` fails its scheme, or is already registered (``reason="duplicate"``).
        """
        k = kind_arg(kind)
        use = scheme_arg(scheme) if scheme is not None else self._schemes[k]
        canonical = use.validate(code)
        with self._atomic(check_actor(actor)):
            when = self._now()
            entry = self._insert(
                CodeEntry(
                    code=canonical,
                    kind=k,
                    scheme=use.name,
                    created=when,
                    label=label,
                    attributes=attributes,
                )
            )
            own = self._schemes[k]
            if use.name == own.name:
                self._set_next(k, max(self._next[k], own.number(canonical) + 1))
            self._know_scheme(use)
            self._log(AuditAction.REGISTER, canonical, None, entry, when)
            return entry

    def link(
        self, code: str, external: str, *, scheme: CodeScheme, actor: str | None = None
    ) -> CodeEntry:
        """Attach an external code (validated by ``scheme``) to the entry ``code``.

        Raises
        ------
        InvalidCodeError
            If ``external`` fails ``scheme`` or is already linked to any entry.
        UnknownCodeError
            If ``code`` is not registered.
        """
        canonical = scheme_arg(scheme).validate(external)
        key = (scheme.name, canonical)
        with self._atomic(check_actor(actor)):
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
            self._put(new)
            self._set_external(key, entry.code)
            self._know_scheme(scheme)
            self._log(AuditAction.LINK, entry.code, entry, new, self._now())
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
        canonical = scheme_arg(scheme).validate(external)
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

    def find(
        self,
        kind: CodeKind | str | None = None,
        *,
        label: str | None = None,
        status: EntryStatus | str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> tuple[CodeEntry, ...]:
        """Entries matching every criterion given, in insertion order (indexed look-up).

        Parameters
        ----------
        kind : CodeKind or str, optional
        label : str, optional
            Matched after normalisation on both sides: Unicode NFKC, case folding,
            runs of whitespace as one space, Persian/Arabic-Indic digits as ASCII and
            the Arabic letter forms ي/ى/ك as the Persian ی/ک (so ``"TEA  500 g"``
            finds ``"tea 500 G"``).
        status : EntryStatus or str, optional
            Default: any status (merged aliases and retired entries included).
        attributes : mapping of str to JSON scalar, optional
            Each attribute must be present with an equal value (``1`` equals ``1.0``;
            ``True`` does not equal ``1``).

        Returns
        -------
        tuple of CodeEntry
            Empty when nothing matches; every entry when no criterion is given.

        Raises
        ------
        InvalidValueError
            If a criterion is not of its type.

        Examples
        --------
        >>> reg = CodeRegistry()
        >>> a = reg.allocate("customer", label="علي رضايي", attributes={"city": "Tabriz"})
        >>> b = reg.allocate("customer", label="Sara", attributes={"city": "Tabriz"})
        >>> [e.code for e in reg.find("customer", attributes={"city": "Tabriz"})]
        ['CUST-000001-8', 'CUST-000002-6']
        >>> [e.code for e in reg.find(label="  علی   رضایی")]
        ['CUST-000001-8']
        """
        with self._lock:
            return find_codes(self, kind, label, status, attributes)

    @overload
    def resolve_column(
        self,
        values: Any,
        *,
        schemes: Any = ...,
        errors: Literal["raise", "coerce"] = ...,
        details: Literal[False] = ...,
    ) -> pd.Series: ...

    @overload
    def resolve_column(
        self,
        values: Any,
        *,
        schemes: Any = ...,
        errors: Literal["raise", "coerce"] = ...,
        details: Literal[True],
    ) -> pd.DataFrame: ...

    def resolve_column(
        self,
        values: Any,
        *,
        schemes: Any = None,
        errors: Literal["raise", "coerce"] = "raise",
        details: bool = False,
    ) -> pd.Series | pd.DataFrame:
        """Map a column of codes, typed any way, to the codes of their current entries.

        Each distinct value is resolved once (then broadcast to its rows), in this order:

        1. an own code of the registry, in any form its kind schemes accept
           (``"cust 000001 8"``);
        2. otherwise an external code under ``schemes`` (default: every scheme the
           registry knows - GS1, Iranian, ``local:<branch>`` and those registered or
           linked), validated and canonicalised by the scheme, so a GTIN typed with
           Persian digits or dashes is found.

        The entry found is followed through merges to its survivor
        (:meth:`resolve`); a retired entry is returned as it is.

        Parameters
        ----------
        values : pandas.Series, pandas.Index, list or 1-D array of str
            The codes; not modified. Missing cells (None, NaN) count as unknown.
        schemes : iterable of CodeScheme, optional
            The external schemes to try in step 2 (e.g. ``[GTIN]``; ``[]``: none, own
            codes only); own codes are always tried.
        errors : {"raise", "coerce"}, default "raise"
            What an unknown (or missing) value does: ``"raise"`` an
            :class:`~crmkit.codes.UnknownCodeError` listing a few of them;
            ``"coerce"`` map it to a missing value (None).
        details : bool, default False
            Return a DataFrame with columns ``code``, ``label``, ``kind`` instead of
            the codes alone.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            Object-dtype codes on the index of ``values`` (a RangeIndex for a list),
            named like ``values`` (else ``"code"``); with ``details=True`` a frame.

        Raises
        ------
        UnknownCodeError
            With ``errors="raise"``, if a value names no entry.
        InvariantError
            If one value names different entries under different schemes (e.g. the same
            local code in two branches); pass ``schemes=`` to say which one is meant.
        InvalidValueError
            If ``values`` is not a column of text, or an option is wrong.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmkit.codes import GTIN
        >>> reg = CodeRegistry()
        >>> tea = reg.allocate("product", label="Tea")
        >>> _ = reg.link(tea.code, "6261234567897", scheme=GTIN)
        >>> old = reg.allocate("product", label="Tea (old)")
        >>> _ = reg.merge(old.code, into=tea.code)
        >>> col = pd.Series(["۶۲۶-۱۲۳۴۵۶۷۸۹۷", "prod 000002 6", "PROD-000001-8", "X"])
        >>> reg.resolve_column(col, errors="coerce").tolist()
        ['PROD-000001-8', 'PROD-000001-8', 'PROD-000001-8', None]
        >>> reg.resolve_column(col)
        Traceback (most recent call last):
        ...
        crmkit.exceptions.UnknownCodeError: 1 distinct value(s) of the column name no \
        entry of the registry: ['X']. Register or link them, or pass errors='coerce' to \
        map them to None.
        """
        with self._lock:
            out: pd.Series | pd.DataFrame = resolve_values(self, values, schemes, errors, details)
            return out

    def audit_log(self) -> pd.DataFrame:
        """Every change so far, one row per change, oldest first.

        Columns (:data:`AUDIT_COLUMNS`): ``seq`` (0, 1, 2, ...), ``batch`` (changes of
        one :meth:`batch` share it), ``when`` (the registry clock, UTC), ``actor`` (the
        ``actor=`` argument, None when not given), ``action`` (allocate, register, link,
        edit, retire, merge, unmerge, load), ``code`` (None for a load), ``before`` and
        ``after`` (JSON text of the entry's record before and after the change,
        ``"null"`` where there is none; a load's ``after`` is ``{"entries": n}``).
        Changes of a batch that was rolled back leave no rows. :meth:`to_json` and
        :meth:`from_json` carry the log; CSV files do not.

        Examples
        --------
        >>> reg = CodeRegistry()
        >>> c = reg.allocate("customer", label="Sara", actor="clerk-7")
        >>> _ = reg.edit(c.code, label="Sara Karimi", actor="clerk-9")
        >>> reg.audit_log()[["seq", "actor", "action", "code"]]
           seq    actor    action           code
        0    0  clerk-7  allocate  CUST-000001-8
        1    1  clerk-9      edit  CUST-000001-8
        """
        with self._lock:
            return audit_frame(self._audit)

    # -------------------------------------------------------------- changing
    def edit(
        self,
        code: str,
        *,
        label: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        actor: str | None = None,
    ) -> CodeEntry:
        """Change the label and/or the attributes of an entry (never its code).

        Parameters
        ----------
        code : str
            The entry (any status; merges are not followed).
        label : str, optional
            The new label; None keeps it.
        attributes : mapping of str to JSON scalar, optional
            The new attributes, replacing all old ones (to change one, pass
            ``{**entry.attribute_dict(), "city": "Shiraz"}``); None keeps them.
        actor : str, optional
            Who makes the change (for the audit log).

        Returns
        -------
        CodeEntry
            The new entry (the same entry, and no audit row, when nothing changed).

        Raises
        ------
        UnknownCodeError
            If ``code`` is not registered.
        InvalidValueError
            If the label or an attribute is invalid.

        Examples
        --------
        >>> reg = CodeRegistry()
        >>> c = reg.allocate("customer", label="sara", attributes={"city": "Tehran"})
        >>> reg.edit(c.code, label="Sara", attributes={"city": "Shiraz"}).attribute_dict()
        {'city': 'Shiraz'}
        >>> reg.find(attributes={"city": "Tehran"})
        ()
        """
        with self._atomic(check_actor(actor)):
            entry = self.get(code)
            changes: dict[str, Any] = {}
            if label is not None:
                changes["label"] = label
            if attributes is not None:
                changes["attributes"] = attributes
            new = attrs.evolve(entry, **changes)
            if new == entry:
                return entry
            self._put(new)
            self._log(AuditAction.EDIT, entry.code, entry, new, self._now())
            return new

    def retire(self, code: str, *, actor: str | None = None) -> CodeEntry:
        """Mark an active entry retired (its code is never issued again).

        Raises
        ------
        InvariantError
            If the entry is not active.
        """
        with self._atomic(check_actor(actor)):
            entry = self.get(code)
            if entry.status is not EntryStatus.ACTIVE:
                raise InvariantError(
                    f"{entry.code!r} is {entry.status.value}; only active entries can retire."
                )
            new = attrs.evolve(entry, status=EntryStatus.RETIRED)
            self._put(new)
            self._log(AuditAction.RETIRE, entry.code, entry, new, self._now())
            return new

    def merge(self, source: str, *, into: str, actor: str | None = None) -> CodeEntry:
        """Merge ``source`` into ``into``: ``source`` becomes an alias that resolves to it.

        Nothing moves: ``source`` keeps its label, attributes and external codes, which
        now resolve (:meth:`lookup`, :meth:`resolve_column`) to the survivor; so
        :meth:`unmerge` can restore the entry exactly.

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
        with self._atomic(check_actor(actor)):
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
            self._put(new)
            self._log(AuditAction.MERGE, src.code, src, new, self._now())
            return new

    def unmerge(self, source: str, *, actor: str | None = None) -> CodeEntry:
        """Undo a wrong :meth:`merge`: ``source`` is active again, with its own links.

        The entry keeps the label, attributes and external codes it has (a merge moves
        none of them), so its external codes resolve to it again; entries that were
        merged into ``source`` follow it again.

        Returns
        -------
        CodeEntry
            The restored active entry.

        Raises
        ------
        InvariantError
            If ``source`` is not merged, or the entry it was merged into has since been
            merged further (unmerge that one first) or retired (the merge then stands).
        UnknownCodeError
            If ``source`` is not registered.

        Examples
        --------
        >>> reg = CodeRegistry()
        >>> a, b = reg.allocate("customer"), reg.allocate("customer")
        >>> _ = reg.merge(b.code, into=a.code)
        >>> reg.unmerge(b.code) == b
        True
        >>> reg.resolve(b.code).code
        'CUST-000002-6'
        """
        with self._atomic(check_actor(actor)):
            src = self.get(source)
            if src.merged_into is None:
                raise InvariantError(
                    f"{src.code!r} is {src.status.value}, not merged; only a merged entry "
                    "can be unmerged."
                )
            target = self._entries[src.merged_into]
            if target.merged_into is not None:
                raise InvariantError(
                    f"cannot unmerge {src.code!r}: {target.code!r}, which it was merged "
                    f"into, has since been merged into {target.merged_into!r}. Undo the "
                    f"later merge first (unmerge({target.code!r})), then unmerge "
                    f"{src.code!r}."
                )
            if target.status is EntryStatus.RETIRED:
                raise InvariantError(
                    f"cannot unmerge {src.code!r}: {target.code!r}, which it was merged "
                    "into, has since been retired, and a retirement is final. The merge "
                    "stands; to serve the customer or item again, allocate() a new entry."
                )
            new = attrs.evolve(src, status=EntryStatus.ACTIVE, merged_into=None)
            self._put(new)
            self._log(AuditAction.UNMERGE, src.code, src, new, self._now())
            return new
