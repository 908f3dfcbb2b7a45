"""Saving and loading a code registry: records, JSON, DataFrame, CSV (private).

:class:`~crmkit.codes.CodeRegistry` inherits these methods; they are documented there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Self

import pandas as pd

from crmkit.codes._audit import AuditAction, AuditRecord, row_of, row_record
from crmkit.codes._base import CodeScheme, show
from crmkit.codes._frames import frame_rows, records_to_frame
from crmkit.codes._load import check_target, code_of, cross_check, record_list
from crmkit.codes._store import _RegistryCore
from crmkit.codes.entries import CodeEntry, CodeKind, RegistryLoadError
from crmkit.codes.internal import LocalCodeScheme, PrefixedScheme
from crmkit.exceptions import CrmkitError, InvalidValueError, MissingColumnsError

__all__ = ["JSON_FORMAT"]

JSON_FORMAT: Final = "crmkit.codes.CodeRegistry"
"""The ``format`` field of :meth:`CodeRegistry.to_json` documents."""


class _RegistryPersistence(_RegistryCore):
    # ------------------------------------------------------------ persisting
    def to_records(self) -> list[dict[str, Any]]:
        """All entries as JSON-ready dicts (``json.dumps`` works on the result).

        The audit log is not part of the records; :meth:`to_json` carries both.
        """
        with self._lock:
            return [e.to_record() for e in self._entries.values()]

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> Self:
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
        >>> from crmkit.codes import CodeRegistry
        >>> rec = {"code": "CUST-000001-8", "kind": "customer", "scheme": "CUST internal",
        ...        "created": "2026-01-01T00:00:00+00:00", "status": "merged",
        ...        "merged_into": "CUST-000009-9"}
        >>> CodeRegistry.from_records([rec])
        Traceback (most recent call last):
        ...
        crmkit.exceptions.RegistryLoadError: cannot load the registry: 1 of 1 record(s) \
        are invalid and nothing was loaded. Fix these records and load again:
          record 0 (code 'CUST-000001-8'): merged into 'CUST-000009-9', which is not among \
        the records.
        """
        reg = cls(schemes, clock=clock, schemes_by_name=schemes_by_name)
        rows = record_list(records)
        reg._load([(i, r, None) for i, r in enumerate(rows)])
        return reg

    def _load(
        self,
        rows: list[tuple[int, Any, str | None]],
        audit: list[AuditRecord] | None = None,
    ) -> None:
        """Validate ``(position, record, problem)`` rows, then store them all or none.

        ``audit`` (a saved log) is restored first; one ``load`` row is appended.
        """
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
            if audit:
                self._batch_no = max(r.batch for r in audit)
            with self._atomic(None):
                for record in audit or ():
                    self._append_audit(row_of(record))
                for _, entry in entries:
                    self._insert(entry)
                    own = self._schemes[entry.kind]
                    if entry.scheme == own.name:
                        self._set_next(
                            entry.kind, max(self._next[entry.kind], own.number(entry.code) + 1)
                        )
                self._log(AuditAction.LOAD, None, None, {"entries": len(entries)}, self._now())

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
    ) -> Self:
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
        returns survive, and an empty label (``""``) is told apart from none. The audit
        log is not written (save :meth:`audit_log` separately, or use :meth:`to_json`).

        .. warning::
           Read the file with :meth:`read_csv`, or with ``pandas.read_csv(path,
           dtype=str, keep_default_na=False)``. A plain ``pandas.read_csv(path)``
           ignores the quotes when it guesses types: an all-numeric code such as the
           GTIN ``0012345678905`` becomes the number ``12345678905`` (its leading zeros
           are lost), and empty or ``"NA"`` labels become NaN. No CSV layout prevents
           that guess; the file itself holds every character.

        Parameters
        ----------
        path_or_buf : str, path or file-like, optional
            Where to write (UTF-8); ``None`` returns the text.

        Examples
        --------
        >>> import io
        >>> import pandas as pd
        >>> from crmkit.codes import GTIN, CodeRegistry
        >>> reg = CodeRegistry()
        >>> _ = reg.register("0012345678905", kind="product", scheme=GTIN, label="")
        >>> text = reg.to_csv()
        >>> plain = pd.read_csv(io.StringIO(text))  # guesses types: information lost
        >>> int(plain["code"].iloc[0]), bool(plain["label"].isna().iloc[0])
        (12345678905, True)
        >>> as_text = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        >>> as_text["code"].iloc[0], as_text["label"].iloc[0]
        ('0012345678905', '')
        >>> CodeRegistry.read_csv(io.StringIO(text)).entries() == reg.entries()
        True
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
    ) -> Self:
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
        >>> from crmkit.codes import CodeRegistry
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
        """The entries and the audit log as JSON text (what :meth:`from_json` reads).

        The document is an object ``{"format": "crmkit.codes.CodeRegistry", "version":
        2, "entries": [...], "audit": [...]}``: ``entries`` is :meth:`to_records`,
        ``audit`` the audit log's records (:class:`AuditRecord.to_record
        <crmkit.codes.AuditRecord>`). CSV files (:meth:`to_csv`) carry the entries only;
        save :meth:`audit_log` separately if you keep CSV.

        Examples
        --------
        >>> from crmkit.codes import CodeRegistry
        >>> reg = CodeRegistry()
        >>> _ = reg.allocate("customer", label="Sara", actor="clerk-7")
        >>> again = CodeRegistry.from_json(reg.to_json())
        >>> again.entries() == reg.entries()
        True
        >>> again.audit_log()[["actor", "action", "code"]].values.tolist()
        [['clerk-7', 'allocate', 'CUST-000001-8'], [None, 'load', None]]
        """
        with self._lock:
            doc = {
                "format": JSON_FORMAT,
                "version": 2,
                "entries": self.to_records(),
                "audit": [row_record(r) for r in self._audit],
            }
        return json.dumps(doc, ensure_ascii=False)

    @classmethod
    def from_json(
        cls,
        text: str | bytes,
        *,
        schemes: Mapping[CodeKind | str, PrefixedScheme] | None = None,
        clock: Callable[[], datetime] | None = None,
        schemes_by_name: Iterable[CodeScheme] = (),
    ) -> Self:
        """Rebuild a registry and its audit log from :meth:`to_json` text.

        Validation of the entries is that of :meth:`from_records`. The saved audit
        rows come back unchanged, followed by one ``load`` row for this load. A plain
        JSON list of entry records (what earlier versions wrote) loads too, with an
        audit log of the ``load`` row only.

        Raises
        ------
        InvalidValueError
            If ``text`` is not JSON text holding a registry document (or a list of
            records), or an audit record is malformed.
        RegistryLoadError
            Listing every bad record; nothing is loaded.
        """
        if not isinstance(text, str | bytes):
            raise InvalidValueError(f"text={show(text)} must be the JSON text (str or bytes).")
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InvalidValueError(
                f"the registry JSON cannot be parsed ({exc}); write it with CodeRegistry.to_json."
            ) from exc
        audit: list[AuditRecord] = []
        if isinstance(doc, dict):
            if doc.get("format") != JSON_FORMAT or set(doc) != {
                "format",
                "version",
                "entries",
                "audit",
            }:
                raise InvalidValueError(
                    f"the JSON object has keys {sorted(doc)[:8]} and format "
                    f"{show(doc.get('format'))}; expected a document written by "
                    "CodeRegistry.to_json (keys format, version, entries, audit), or a list "
                    "of dicts (CodeRegistry.to_records output)."
                )
            if doc["version"] != 2:
                raise InvalidValueError(
                    f"registry JSON version {show(doc['version'])} is not supported (2 is); "
                    "upgrade crmkit or write the file again with CodeRegistry.to_json."
                )
            audit = _audit_records(doc["audit"])
            doc = doc["entries"]
        reg = cls(schemes, clock=clock, schemes_by_name=schemes_by_name)
        reg._load([(i, r, None) for i, r in enumerate(record_list(doc))], audit)
        return reg


def _audit_records(rows: object) -> list[AuditRecord]:
    """Saved audit rows, checked: each well formed, ``seq`` counting 0, 1, 2, ..."""
    if not isinstance(rows, list):
        raise InvalidValueError(f"audit={show(rows)} must be a JSON array of audit records.")
    out: list[AuditRecord] = []
    for i, row in enumerate(rows):
        try:
            rec = AuditRecord.from_record(row)
        except InvalidValueError as exc:
            raise InvalidValueError(
                f"audit record {i} cannot be read ({exc}); nothing was loaded."
            ) from exc
        if rec.seq != i:
            raise InvalidValueError(
                f"audit record {i} has seq={rec.seq}; the log must count 0, 1, 2, ... "
                "in order (write it with CodeRegistry.to_json); nothing was loaded."
            )
        out.append(rec)
    return out
