"""Whole-input checks of registry loads (private to :mod:`crmkit.codes.registry`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from crmkit.codes._base import show
from crmkit.codes.entries import CodeEntry
from crmkit.exceptions import InvalidValueError

__all__ = ["check_target", "code_of", "cross_check", "record_list"]


def cross_check(entries: list[tuple[int, CodeEntry]]) -> list[tuple[int, str | None, str]]:
    """Problems between records: duplicates and merges (targets, kinds, cycles)."""
    problems: list[tuple[int, str | None, str]] = []
    by_code: dict[str, tuple[int, CodeEntry]] = {}
    owners: dict[tuple[str, str], int] = {}
    for pos, entry in entries:
        first = by_code.get(entry.code)
        if first is not None:
            problems.append(
                (pos, entry.code, f"the code repeats record {first[0]}; codes are unique.")
            )
            continue
        by_code[entry.code] = (pos, entry)
        for key in entry.external_codes:
            if key in owners:
                problems.append(
                    (
                        pos,
                        entry.code,
                        f"external code {key[1]!r} ({key[0]}) is already linked by "
                        f"record {owners[key]}; one external code names one entry.",
                    )
                )
            owners[key] = pos
    for pos, entry in by_code.values():
        if entry.merged_into is None:
            continue
        target = by_code.get(entry.merged_into)
        if target is None:
            problems.append(
                (
                    pos,
                    entry.code,
                    f"merged into {entry.merged_into!r}, which is not among the records.",
                )
            )
            continue
        if target[1].kind is not entry.kind:
            problems.append(
                (
                    pos,
                    entry.code,
                    f"a {entry.kind.value} merged into {target[1].kind.value} "
                    f"{entry.merged_into!r}; kinds must match.",
                )
            )
        # follow the chain; at most len(by_code) steps
        seen = [entry.code]
        final = target[1]
        while final.merged_into is not None and final.code not in seen:
            seen.append(final.code)
            nxt = by_code.get(final.merged_into)
            if nxt is None:
                break  # reported on that record
            final = nxt[1]
        if final.code in seen:
            cycle = " -> ".join([*seen[seen.index(final.code) :], final.code])
            problems.append((pos, entry.code, f"merges form a cycle: {cycle}."))
    return problems


def check_target(target: object, name: str, *, write: bool) -> None:
    """A file path (str or os.PathLike) or a text file object."""
    method = "write" if write else "read"
    if target is None and write:
        return
    if isinstance(target, str | os.PathLike):
        if isinstance(target, str) and (not target or "\x00" in target):
            raise InvalidValueError(f"{name}={show(target)} is not a usable file path.")
        return
    if callable(getattr(target, method, None)):
        return
    raise InvalidValueError(
        f"{name}={show(target)} must be a file path or a text file object with .{method}()."
    )


def record_list(records: object) -> list[Any]:
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise InvalidValueError(
            f"records={show(records)}: pass a list of dicts (CodeRegistry.to_records output)."
        )
    return list(records)


def code_of(record: object) -> str | None:
    if isinstance(record, Mapping):
        code = record.get("code")
        if isinstance(code, str):
            return code
    return None
