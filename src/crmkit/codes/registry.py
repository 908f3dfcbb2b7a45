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

import csv
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import attrs
import pandas as pd

from crmkit.codes._base import CodeScheme, show
from crmkit.codes._frames import FRAME_COLUMNS, frame_rows, records_to_frame
from crmkit.codes._load import check_target, code_of, cross_check, record_list
from crmkit.codes.entries import (
    AttributeValue,
    CodeEntry,
    CodeKind,
    EntryStatus,
    RegistryLoadError,
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
from crmkit.exceptions import (
    CrmkitError,
    InvalidCodeError,
    InvalidValueError,
    InvariantError,
    MissingColumnsError,
)

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
        if schemes is not None and not isinstance(schemes, Mapping):
            raise InvalidValueError(
                f"schemes={show(schemes)}: pass a dict of kind -> PrefixedScheme, e.g. "
                "{'customer': PrefixedScheme(prefix='C', width=6)}."
            )
        given = {_kind(k): v for k, v in (schemes or {}).items()}
        bad = [k.value for k, v in given.items() if not isinstance(v, PrefixedScheme)]
        if bad:
            raise InvalidValueError(
                f"schemes for {bad} are not PrefixedScheme objects; allocation needs one."
            )
        if clock is not None and not callable(clock):
            raise InvalidValueError(
                f"clock={show(clock)} must be a callable returning a datetime."
            )
        named: object = schemes_by_name
        if isinstance(named, str | bytes) or not isinstance(named, Iterable):
            raise InvalidValueError(
                f"schemes_by_name={show(named)} must be a list of code schemes."
            )
        extra = list(named)
        if not all(isinstance(x, CodeScheme) for x in extra):
            raise InvalidValueError(
                f"schemes_by_name={show(extra)} must hold code schemes (objects with name, "
                "validate, is_valid, ...)."
            )
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
        self._named.update({s.name: s for s in extra})
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
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise InvalidValueError(
                f"the registry clock returned {show(now)}, not a timezone-aware datetime; "
                "return e.g. datetime.now(UTC)."
            )
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
        use = _scheme_arg(scheme) if scheme is not None else self._schemes[k]
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
        canonical = _scheme_arg(scheme).validate(external)
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
        canonical = _scheme_arg(scheme).validate(external)
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
        """Rebuild a registry from :meth:`to_records` output, all or nothing.

        The whole input is validated before anything is stored: every record's types,
        kind, status and ``created`` timestamp; every code and external code against its
        scheme (in canonical form); uniqueness of codes and external codes; and every
        merge (the target exists, has the same kind, and no chain of merges forms a
        cycle). A merge whose target is retired is kept: :meth:`merge` refuses a retired
        target, but an entry may be retired *after* others were merged into it (a
        customer who leaves), and the records of that state must load again.

        Raises
        ------
        RegistryLoadError
            Listing every bad record (position, code, reason); no registry is returned.
            A subclass of :class:`~crmkit.exceptions.InvalidValueError`.
        InvalidValueError
            If ``records`` is not a list-like of mappings, or an option is wrong.

        Examples
        --------
        >>> rec = {"code": "CUST-000001-8", "kind": "customer", "scheme": "CUST internal",
        ...        "created": "2026-01-01T00:00:00+00:00", "status": "merged",
        ...        "merged_into": "CUST-000009-9"}
        >>> CodeRegistry.from_records([rec])
        Traceback (most recent call last):
        ...
        crmkit.codes.entries.RegistryLoadError: cannot load the registry: 1 of 1 record(s) \
        are invalid and nothing was loaded. Fix these records and load again:
          record 0 (code 'CUST-000001-8'): merged into 'CUST-000009-9', which is not among \
        the records.
        """
        reg = cls(schemes, clock=clock, schemes_by_name=schemes_by_name)
        rows = record_list(records)
        reg._load([(i, r, None) for i, r in enumerate(rows)])
        return reg

    def _load(self, rows: list[tuple[int, Any, str | None]]) -> None:
        """Validate ``(position, record, problem)`` rows, then store them all or none."""
        problems: list[tuple[int, str | None, str]] = []
        entries: list[tuple[int, CodeEntry]] = []
        for pos, record, problem in rows:
            code = code_of(record)
            if problem is not None:
                problems.append((pos, code, problem))
                continue
            try:
                entry = CodeEntry.from_record(record)
                for name, value in ((entry.scheme, entry.code), *entry.external_codes):
                    canonical = self._scheme_named(name).validate(value)
                    if canonical != value:
                        raise InvalidValueError(
                            f"{value!r} is not in the canonical form of {name} "
                            f"({canonical!r}); store codes as the scheme's validate() gives "
                            "them."
                        )
            except CrmkitError as exc:
                problems.append((pos, code, str(exc)))
                continue
            entries.append((pos, entry))
        problems.extend(cross_check(entries))
        if problems:
            raise RegistryLoadError(sorted(problems, key=lambda p: p[0]), total=len(rows))
        with self._lock:
            for _, entry in entries:
                self._insert(entry)
                own = self._schemes[entry.kind]
                if entry.scheme == own.name:
                    self._next[entry.kind] = max(
                        self._next[entry.kind], own.number(entry.code) + 1
                    )

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
        """Rebuild a registry from :meth:`to_frame` output, all or nothing.

        The frame may come straight from :meth:`to_frame`, or from a CSV file read
        with every cell as text (:meth:`read_csv`, or ``pandas.read_csv(path,
        index_col="code", dtype=str, keep_default_na=False)``): ``created`` may then be
        ISO text, ``merged_into`` an empty string for none. A NaN label is refused,
        because it means a reader has turned an empty or ``"NA"`` label into a missing
        value. Validation is that of :meth:`from_records`; each problem names its row.

        Raises
        ------
        MissingColumnsError
            If a column of :data:`FRAME_COLUMNS` is absent.
        RegistryLoadError
            Listing every bad row; nothing is loaded.
        """
        reg = cls(schemes, clock=clock, schemes_by_name=schemes_by_name)
        reg._load(frame_rows(frame))
        return reg

    def to_csv(self, path_or_buf: Any = None) -> str | None:
        """Write :meth:`to_frame` as CSV that :meth:`read_csv` reads back unchanged.

        Every field is quoted, so labels with commas, quotes, line breaks or carriage
        returns survive, and an empty label (``""``) is told apart from none.

        Parameters
        ----------
        path_or_buf : str, path or file-like, optional
            Where to write (UTF-8); ``None`` returns the text.
        """
        frame = self.to_frame()
        check_target(path_or_buf, "path_or_buf", write=True)
        try:
            text: str | None = frame.to_csv(
                path_or_buf, quoting=csv.QUOTE_ALL, lineterminator="\n", encoding="utf-8"
            )
        except (OSError, UnicodeError) as exc:
            raise InvalidValueError(
                f"cannot write the registry CSV to {show(path_or_buf)}: {exc}"
            ) from exc
        return text

    @classmethod
    def read_csv(
        cls,
        path_or_buf: Any,
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> CodeRegistry:
        """Read a CSV file written by :meth:`to_csv` (every cell as text, no NA markers).

        Cells are read with ``dtype=str`` and ``keep_default_na=False``, so labels such
        as ``"NA"``, ``"None"``, ``"nan"``, ``"null"`` and the empty label stay as they
        were. Validation is that of :meth:`from_frame`.

        Raises
        ------
        InvalidValueError
            If the file cannot be parsed as CSV.
        RegistryLoadError
            Listing every bad row; nothing is loaded.

        Examples
        --------
        >>> import io
        >>> reg = CodeRegistry()
        >>> _ = reg.allocate("customer", label="NA")
        >>> CodeRegistry.read_csv(io.StringIO(reg.to_csv())).entries()[0].label
        'NA'
        """
        check_target(path_or_buf, "path_or_buf", write=False)
        try:
            frame = pd.read_csv(
                path_or_buf,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                index_col=False,
                encoding="utf-8",
            )
        except (OSError, ValueError, UnicodeError, pd.errors.ParserError) as exc:
            raise InvalidValueError(
                f"cannot read the registry CSV {show(path_or_buf)} ({exc}); write it with "
                "CodeRegistry.to_csv."
            ) from exc
        if "code" not in frame.columns:
            raise MissingColumnsError(
                ["code"], available=frame.columns, hint="Write the file with CodeRegistry.to_csv."
            )
        return cls.from_frame(
            frame.set_index("code"),
            schemes=schemes,
            clock=clock,
            schemes_by_name=schemes_by_name,
        )

    def to_json(self) -> str:
        """:meth:`to_records` as JSON text (what :meth:`from_json` reads)."""
        return json.dumps(self.to_records(), ensure_ascii=False)

    @classmethod
    def from_json(
        cls,
        text: str | bytes,
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> CodeRegistry:
        """Rebuild a registry from :meth:`to_json` text (see :meth:`from_records`).

        Raises
        ------
        InvalidValueError
            If ``text`` is not JSON text holding a list of records.
        RegistryLoadError
            Listing every bad record; nothing is loaded.
        """
        if not isinstance(text, str | bytes):
            raise InvalidValueError(f"text={show(text)} must be the JSON text (str or bytes).")
        try:
            records = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InvalidValueError(
                f"the registry JSON cannot be parsed ({exc}); write it with CodeRegistry.to_json."
            ) from exc
        return cls.from_records(
            records, schemes=schemes, clock=clock, schemes_by_name=schemes_by_name
        )


def _scheme_arg(scheme: object) -> CodeScheme:
    if not isinstance(scheme, CodeScheme):
        raise InvalidValueError(
            f"scheme={show(scheme)} is not a code scheme; pass one such as crmkit.codes.GTIN "
            "or LocalCodeScheme(source='Tabriz')."
        )
    return scheme


def _kind(kind: CodeKind | str) -> CodeKind:
    if isinstance(kind, CodeKind):
        return kind
    if isinstance(kind, str) and kind in {k.value for k in CodeKind}:
        return CodeKind(kind)
    raise InvalidValueError(f"kind={show(kind)} is not one of {[k.value for k in CodeKind]}.")
