"""The parameter-name glossary matches the code.

``docs/glossary.rst`` holds a "Parameter names" table: one name per idea, and in its last
column the names that idea must not go by. These tests read every public signature of
the package (every name in a public module's ``__all__``: functions, classes' ``__init__``
and public methods) and check that

* every name of the table is used by at least one public signature;
* no public signature uses a name the table retires, apart from the sites listed in
  ``PENDING`` below (renames not done yet; the list may only shrink: an entry that no
  longer matches fails, so a finished rename must remove it);
* every keyword renamed with a deprecation (``crmkit._compat.renamed_keywords``) is
  recorded as "``f(old=)`` -> ``new=``" in CHANGELOG.md and named on the upgrade page,
  and its new name is in the table.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import crmkit

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.rst"
CHANGELOG = ROOT / "CHANGELOG.md"
UPGRADE = ROOT / "docs" / "howto" / "upgrade-renames.rst"

#: Public signatures that still use a retired name: (name, qualified callable). None is
#: left; a rename that cannot be finished at once lists its sites here, and each finished
#: rename removes its entries.
PENDING: frozenset[tuple[str, str]] = frozenset()


def _public_modules() -> Iterator[str]:
    yield "crmkit"
    for info in pkgutil.walk_packages(crmkit.__path__, "crmkit."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]):
            continue
        if info.name in {"crmkit.testing", "crmkit.plotting"}:
            continue  # optional extras (hypothesis, matplotlib); plotting is checked below
        yield info.name


def _callables() -> dict[str, Callable[..., Any]]:
    """Every public callable, keyed by a qualified name (each object once)."""
    found: dict[str, Callable[..., Any]] = {}
    seen: set[int] = set()
    modules = list(_public_modules())
    if importlib.util.find_spec("matplotlib") is not None:
        modules.append("crmkit.plotting")
    for modname in modules:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if id(obj) in seen or not callable(obj):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    func = (
                        value.__func__ if isinstance(value, classmethod | staticmethod) else value
                    )
                    if callable(func) and not inspect.isclass(func):
                        found[f"{obj.__qualname__}.{attr}"] = func
            else:
                found[f"{getattr(obj, '__module__', modname)}.{name}"] = obj
    return found


def _parameters(func: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [
        p.name for p in signature.parameters.values() if p.kind not in skip and p.name != "self"
    ]


def _glossary_table() -> list[tuple[list[str], list[str]]]:
    """(names, retired names) of each row of the "Parameter names" table."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("Parameter names\n---------------", 1)[1]
    rows = re.split(r"\n   \* - ", section)[2:]  # [0] is the preamble, [1] the header row
    table = []
    for row in rows:
        cells = re.split(r"\n     - ?", row)
        names = re.findall(r"``(\w+)``", cells[0])
        retired_cell = cells[2] if len(cells) > 2 else ""
        # only bare entries are checked; "``alpha`` (as a level)" documents a scoped use
        retired = [
            m.group(1)
            for m in re.finditer(r"``(\w+)``(\s*[(\w])?", retired_cell)
            if m.group(2) is None
        ]
        table.append((names, retired))
    return table


@pytest.fixture(scope="module")
def signatures() -> dict[str, list[str]]:
    return {label: _parameters(func) for label, func in _callables().items()}


def test_the_table_is_read() -> None:
    table = _glossary_table()
    names = {n for row, _ in table for n in row}
    assert {"observation_end", "time_unit", "rng", "t", "amount_col"} <= names
    assert any("observation_period_end" in retired for _, retired in table)


def test_every_glossary_name_is_used(signatures: dict[str, list[str]]) -> None:
    used = {name for params in signatures.values() for name in params}
    unused = sorted(n for row, _ in _glossary_table() for n in row if n not in used)
    assert not unused, f"glossary names no public signature uses: {unused}"


def test_no_public_signature_uses_a_retired_name(signatures: dict[str, list[str]]) -> None:
    retired = {n for _, names in _glossary_table() for n in names}
    offenders = {
        (name, label) for label, params in signatures.items() for name in params if name in retired
    }
    new = sorted(offenders - PENDING)
    assert not new, f"retired parameter names in public signatures: {new}"
    done = sorted(PENDING - offenders)
    assert not done, f"renamed already: remove these PENDING entries: {done}"


def _renames() -> list[tuple[str, str, str]]:
    out = []
    for label, func in _callables().items():
        pairs = getattr(func, "__crmkit_renamed__", None)
        if pairs:
            parts = label.split(".")
            # a constructor is called by its class's name: ReportOptions(old=)
            func_name = parts[-2] if parts[-1] == "__init__" else parts[-1]
            out.extend((func_name, old, new) for old, new in pairs.items())
    return sorted(set(out))


def test_there_are_deprecated_renames_to_check() -> None:
    assert ("probability_alive", "m", "t") in _renames()


@pytest.mark.parametrize(("func", "old", "new"), _renames())
def test_each_rename_is_recorded(func: str, old: str, new: str) -> None:
    # CHANGELOG.md, or a changes/*.md note of a branch not yet folded into it
    notes = [CHANGELOG, *sorted((ROOT / "changes").glob("*.md"))]
    changelog = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in notes)
    pattern = rf"{re.escape(func)}\({re.escape(old)}=\)` -> `{re.escape(new)}=`"
    assert re.search(pattern, changelog), (
        f"neither CHANGELOG.md nor changes/*.md has `{func}({old}=)` -> `{new}=`"
    )
    upgrade = UPGRADE.read_text(encoding="utf-8")
    assert re.search(rf"{re.escape(func)}\([^`]*\b{re.escape(old)}=", upgrade), (
        f"the upgrade page does not show the old call {func}({old}=...)"
    )
    names = {n for row, _ in _glossary_table() for n in row}
    assert new in names, f"{new!r} (new name of {func}({old}=)) is not in the glossary table"
