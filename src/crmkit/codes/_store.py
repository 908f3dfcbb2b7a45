"""The registry's state, indexes, undo journal and batches (private to crmkit.codes).

Every change to a :class:`~crmkit.codes.CodeRegistry` goes through four primitives
(:meth:`_RegistryCore._put`, ``_set_external``, ``_set_next``, ``_log``) that keep the
look-up indexes in step and, inside a batch, append the inverse operation to an undo
journal. A batch that ends with an exception replays the journal backwards, so the
entries, links, allocation counters, indexes and audit log are exactly as before it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Self

from crmkit._text import name_key
from crmkit.codes._audit import AuditAction, AuditRow, check_actor
from crmkit.codes._base import CodeScheme, show
from crmkit.codes.entries import AttributeValue, CodeEntry, CodeKind
from crmkit.codes.iban import IBAN
from crmkit.codes.internal import PrefixedScheme
from crmkit.codes.schemes_gs1 import EAN8, GLN, GTIN, GTIN12, GTIN13, GTIN14, SSCC
from crmkit.codes.schemes_iran import (
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    IRAN_LEGAL_ID,
    IRAN_NATIONAL_ID,
    SHEBA,
)
from crmkit.exceptions import InvalidCodeError, InvalidValueError

__all__ = ["DEFAULT_SCHEMES", "IndexKey", "entry_keys", "value_key"]

DEFAULT_SCHEMES: Final[Mapping[CodeKind, PrefixedScheme]] = MappingProxyType(
    {
        CodeKind.CUSTOMER: PrefixedScheme(prefix="CUST", width=6, check="luhn"),
        CodeKind.PRODUCT: PrefixedScheme(prefix="PROD", width=6, check="luhn"),
        CodeKind.SERVICE: PrefixedScheme(prefix="SERV", width=6, check="luhn"),
        CodeKind.SUPPLIER: PrefixedScheme(prefix="SUPP", width=6, check="luhn"),
    }
)
"""Allocation schemes used when none are given: ``CUST-``, ``PROD-``, ``SERV-``, ``SUPP-``."""

BUILTIN_SCHEMES: Final[tuple[CodeScheme, ...]] = (
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

IndexKey = tuple[Any, ...]
"""``("kind", kind)``, ``("status", status)``, ``("label", key)`` or ``("attr", name, value)``."""


def value_key(value: AttributeValue) -> tuple[str, AttributeValue]:
    """Hashable key of an attribute value: ``True`` and ``1`` differ, ``1`` and ``1.0`` not."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("str", value)


def entry_keys(entry: CodeEntry) -> list[IndexKey]:
    """The index keys under which ``entry`` is found."""
    keys: list[IndexKey] = [
        ("kind", entry.kind),
        ("status", entry.status),
        ("label", name_key(entry.label)),
    ]
    keys.extend(("attr", name, value_key(v)) for name, v in entry.attributes)
    return keys


def _utc_now() -> datetime:
    return datetime.now(UTC)


_KINDS: Final = {k.value: k for k in CodeKind}


def kind_arg(kind: object) -> CodeKind:
    """``kind`` as a CodeKind (a CodeKind or its value)."""
    if isinstance(kind, CodeKind):
        return kind
    if isinstance(kind, str) and kind in _KINDS:
        return _KINDS[kind]
    raise InvalidValueError(f"kind={show(kind)} is not one of {[k.value for k in CodeKind]}.")


def scheme_arg(scheme: object) -> CodeScheme:
    """``scheme`` if it is a code scheme."""
    if not isinstance(scheme, CodeScheme):
        raise InvalidValueError(
            f"scheme={show(scheme)} is not a code scheme; pass one such as crmkit.codes.GTIN "
            "or LocalCodeScheme(source='Tabriz')."
        )
    return scheme


class _RegistryCore:
    """State, locking, indexes, undo journal and batches of a code registry."""

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
        given = {kind_arg(k): v for k, v in (schemes or {}).items()}
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
        self._named: dict[str, CodeScheme] = {s.name: s for s in BUILTIN_SCHEMES}
        self._named.update({s.name: s for s in self._schemes.values()})
        self._named.update({s.name: s for s in extra})
        self._lock = threading.RLock()
        self._entries: dict[str, CodeEntry] = {}
        self._external: dict[tuple[str, str], str] = {}
        self._next: dict[CodeKind, int] = dict.fromkeys(CodeKind, 1)
        self._index: dict[IndexKey, set[str]] = {}
        self._pos: dict[str, int] = {}
        self._pos_next = 0
        self._audit: list[AuditRow] = []
        self._batch_no = 0
        self._journal: list[Callable[[], None]] | None = None
        self._actors: list[str | None] = []

    # ------------------------------------------------------------------ batches
    def batch(self, *, actor: str | None = None) -> contextlib.AbstractContextManager[Self]:
        """All-or-nothing group of changes, holding the registry's lock throughout.

        Inside ``with reg.batch() as b:`` (``b`` is ``reg``) every change is applied at
        once, so reads inside see them; if the block raises, every change made in it
        is undone - entries, external links, allocation counters, look-up indexes and
        audit rows - and the exception propagates. Other threads wait for the lock
        until the batch ends, so they never see half a batch. Batches nest: an inner
        batch that raises undoes only its own changes.

        Parameters
        ----------
        actor : str, optional
            Who makes the changes, recorded in the audit log for every change in the
            batch that does not name its own ``actor=``.

        Returns
        -------
        context manager
            Entering it gives the registry itself.

        Raises
        ------
        InvalidValueError
            If ``actor`` is neither None nor a non-empty str.

        Examples
        --------
        >>> from crmkit.codes import CodeRegistry
        >>> reg = CodeRegistry()
        >>> try:
        ...     with reg.batch(actor="import job") as b:
        ...         _ = b.allocate("customer", label="Sara")
        ...         _ = b.allocate("customer", label=7)  # not text: raises
        ... except Exception as exc:
        ...     print(type(exc).__name__)
        InvalidValueError
        >>> len(reg), reg.allocate("customer").code  # nothing kept, no number used
        (0, 'CUST-000001-8')
        """
        who = check_actor(actor)
        return self._batch_cm(who)

    @contextlib.contextmanager
    def _batch_cm(self, who: str | None) -> Iterator[Self]:
        with self._atomic(who):
            yield self

    @contextlib.contextmanager
    def _atomic(self, actor: str | None) -> Iterator[None]:
        """Run the block as one batch (or as a nested part of the current one)."""
        with self._lock:
            outer = self._journal is None
            if outer:
                self._journal = []
                self._batch_no += 1
            journal = self._journal
            assert journal is not None
            mark = len(journal)
            self._actors.append(actor if actor is not None else self._current_actor())
            try:
                yield
            except BaseException:
                while len(journal) > mark:
                    journal.pop()()
                if outer:
                    self._batch_no -= 1
                raise
            finally:
                self._actors.pop()
                if outer:
                    self._journal = None

    def _current_actor(self) -> str | None:
        return self._actors[-1] if self._actors else None

    # --------------------------------------------------------------- primitives
    def _undo(self, fn: Callable[[], None]) -> None:
        if self._journal is not None:
            self._journal.append(fn)

    def _raw_put(self, code: str, entry: CodeEntry | None) -> None:
        """Store (or with None remove) the entry of ``code``, keeping indexes in step."""
        old = self._entries.get(code)
        if old is not None:
            for key in entry_keys(old):
                bucket = self._index[key]
                bucket.discard(code)
                if not bucket:
                    del self._index[key]
        if entry is None:
            self._entries.pop(code, None)
            self._pos.pop(code, None)
            return
        if old is None:
            self._pos[code] = self._pos_next
            self._pos_next += 1
        self._entries[code] = entry
        for key in entry_keys(entry):
            self._index.setdefault(key, set()).add(code)

    def _put(self, entry: CodeEntry) -> None:
        old = self._entries.get(entry.code)
        self._raw_put(entry.code, entry)
        self._undo(lambda: self._raw_put(entry.code, old))

    def _set_external(self, key: tuple[str, str], code: str) -> None:
        old = self._external.get(key)
        self._external[key] = code

        def undo() -> None:
            if old is None:
                del self._external[key]
            else:
                self._external[key] = old

        self._undo(undo)

    def _set_next(self, kind: CodeKind, number: int) -> None:
        old = self._next[kind]
        self._next[kind] = number
        self._undo(lambda: self._next.__setitem__(kind, old))

    def _know_scheme(self, scheme: CodeScheme) -> None:
        if scheme.name in self._named:
            return
        self._named[scheme.name] = scheme

        def undo() -> None:
            del self._named[scheme.name]

        self._undo(undo)

    def _append_audit(self, row: AuditRow) -> None:
        self._audit.append(row)

        def undo() -> None:
            self._audit.pop()

        self._undo(undo)

    def _log(
        self,
        action: AuditAction,
        code: str | None,
        before: CodeEntry | None,
        after: CodeEntry | Mapping[str, Any] | None,
        when: datetime,
    ) -> None:
        """Append one audit row (the caller holds the lock, inside ``_atomic``)."""
        self._append_audit(
            (
                len(self._audit),
                self._batch_no,
                when,
                self._current_actor(),
                action,
                code,
                before,
                after if after is None or isinstance(after, CodeEntry) else dict(after),
            )
        )

    def _now(self) -> datetime:
        now = self._clock()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise InvalidValueError(
                f"the registry clock returned {show(now)}, not a timezone-aware datetime; "
                "return e.g. datetime.now(UTC)."
            )
        return now

    def _ordered(self, codes: Iterable[str]) -> tuple[CodeEntry, ...]:
        """Entries of ``codes`` in insertion order."""
        return tuple(self._entries[c] for c in sorted(codes, key=self._pos.__getitem__))

    def _insert(self, entry: CodeEntry) -> CodeEntry:
        """Store a new entry and its external codes (refusing a code already held)."""
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
        self._put(entry)
        for key in entry.external_codes:
            self._set_external(key, entry.code)
        return entry
