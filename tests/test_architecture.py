"""The import rules of the package layout, read from the source with :mod:`ast`.

The rules (documented for contributors in ``docs/explanation/architecture.rst``):

* contract modules (exceptions, columns, validation, engines, time units) import nothing
  above them;
* ``domain`` and ``codes`` never import ``clv``, the analytic packages or ``report``;
* no core module imports ``plotting`` or ``report`` (the optional, outer layers);
* nothing imports the facade ``crmkit/__init__.py`` for a name it re-exports;
* no import cycle between modules (imports at module level, outside ``TYPE_CHECKING``);
* a private module serves its own package: one that is imported only from a single other
  public package belongs inside that package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "crmkit"

ANALYTIC = {
    "clv",
    "lifecycle",
    "metrics",
    "pareto",
    "rfm",
    "segmentation",
    "survival",
    "transactions",
}
OUTER = {"plotting", "report", "__main__"}
FACADE_USERS = {"crmkit", "crmkit.__main__"}  # the facade itself and the command line
# contract-layer edges still to remove in the current layout change
CONTRACT_MOVING: set[str] = set()
CONTRACT = {
    "exceptions",
    "columns",
    "_validation",
    "_dates",
    "_compat",
    "_intervals",
    "_jalali",  # calendar arithmetic under the periods of timeunits
    "_text",
    "_version",
    "_engines",
    "timeunits",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, level: int, importer: str) -> str:
    if level == 0:
        return module
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(name: str, *, module_level_only: bool) -> Iterator[tuple[str, list[str]]]:
    """Yield (module imported, names taken from it) for every import in module ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                if not module_level_only:
                    yield from walk(node.body)
                continue
            if module_level_only and isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            ):
                continue
            yield node
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from walk(
                    [
                        n
                        for n in getattr(node, field, [])
                        if isinstance(n, ast.stmt | ast.excepthandler)
                    ]  # type: ignore[misc]
                )

    for node in walk(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            yield _resolve(node.module or "", node.level, name), [a.name for a in node.names]


def _edges(*, module_level_only: bool) -> dict[str, set[str]]:
    """Module -> crmkit modules it imports (a ``from pkg import submodule`` counts as the
    submodule; parent packages implied by a dotted import are not counted)."""
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        targets: set[str] = set()
        for module, names in _imports(name, module_level_only=module_level_only):
            if not module.startswith("crmkit"):
                continue
            subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            if subs:
                targets.update(subs)
            if len(subs) < len(names) or not names:
                targets.add(module)
        graph[name] = targets - {name}
    return graph


GRAPH_ALL = _edges(module_level_only=False)
GRAPH_TOP = _edges(module_level_only=True)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations(rule: str) -> list[str]:
    bad = []
    for importer, targets in GRAPH_ALL.items():
        for target in targets:
            src, dst = _layer(importer), _layer(target)
            if rule == "contract" and src in CONTRACT and dst not in CONTRACT | {""}:
                bad.append(f"{importer} -> {target}")
            if rule == "records" and src in {"domain", "codes"} and dst in ANALYTIC | OUTER:
                bad.append(f"{importer} -> {target}")
            if rule == "outer" and src not in OUTER and dst in OUTER:
                bad.append(f"{importer} -> {target}")
            if rule == "facade" and target == "crmkit" and importer not in FACADE_USERS:
                bad.append(f"{importer} -> crmkit (the facade)")
    return sorted(bad)


def test_survival_imports_no_model_report_or_plotting() -> None:
    # survival tables stand beside the CLV models: a user of one never loads the other
    bad = sorted(
        f"{importer} -> {target}"
        for importer, targets in GRAPH_ALL.items()
        if _layer(importer) == "survival"
        for target in targets
        if _layer(target) in {"clv", "report", "plotting"}
    )
    assert not bad, bad


@pytest.mark.parametrize("rule", ["contract", "records", "outer", "facade"])
def test_import_rule(rule: str) -> None:
    broken = set(_violations(rule)) - CONTRACT_MOVING
    assert not broken, f"{rule} rule broken by: {sorted(broken)}"


def test_the_rules_see_real_imports() -> None:
    # guards the checker itself: known edges must be found
    assert "crmkit.clv.bgnbd" in GRAPH_ALL["crmkit.clv"]
    assert "crmkit.exceptions" in GRAPH_ALL["crmkit._validation"]
    assert "crmkit.lifecycle" in GRAPH_ALL["crmkit.report.pipeline"]
    assert any(t.startswith("crmkit.clv") for t in GRAPH_ALL["crmkit.report._clv_section"])
    assert any(t.startswith("crmkit") for t in GRAPH_ALL["crmkit.plotting"])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    # a package's __init__ importing its own submodules is the normal shape, not a cycle:
    # drop the edges from a package to modules inside it
    graph = {
        m: {t for t in ts if not (_is_package(m) and t.startswith(m + "."))}
        for m, ts in GRAPH_TOP.items()
    }
    assert not _cycles(graph), f"import cycles: {_cycles(graph)}"


# Deferred imports (inside functions) that close a cycle, still to untangle: each entry is
# a module whose function-local imports are allowed to close one. Empty it as they go.
DEFERRED_CYCLES_ALLOWED: set[str] = set()


def test_no_import_cycle_through_deferred_imports() -> None:
    graph = {
        m: (GRAPH_ALL[m] if m not in DEFERRED_CYCLES_ALLOWED else GRAPH_TOP[m]) for m in GRAPH_ALL
    }
    graph = {
        m: {t for t in ts if not (_is_package(m) and t.startswith(m + "."))}
        for m, ts in graph.items()
    }
    assert not _cycles(graph), f"import cycles through deferred imports: {_cycles(graph)}"


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _users(module: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The public top-level packages that use ``module``, looking through top-level
    private modules (``crmkit._x`` serves whoever imports it)."""
    found: set[str] = set()
    for importer, targets in GRAPH_ALL.items():
        if module not in targets or importer in seen:
            continue
        layer = _layer(importer)
        if layer.startswith("_") and not layer.startswith("__") and importer.count(".") == 1:
            found |= _users(importer, seen | {module})
        else:
            found.add(layer)
    return found


def _misplaced_private_modules() -> list[str]:
    bad = []
    for name in MODULES:
        leaf = name.rsplit(".", 1)[-1]
        if not leaf.startswith("_") or leaf.startswith("__"):
            continue
        own = _layer(name)  # equals leaf for a top-level private module
        if own in CONTRACT:  # the shared contract layer serves everyone by design
            continue
        users = _users(name)
        if len(users) == 1 and users != {own}:
            bad.append(f"{name} (used only by crmkit.{users.pop()})")
    return sorted(bad)


# private modules moving into the package they serve in the current layout change
MOVING_IN_THIS_CHANGE: set[str] = set()


def test_private_modules_live_in_the_package_they_serve() -> None:
    misplaced = set(_misplaced_private_modules())
    assert misplaced <= MOVING_IN_THIS_CHANGE, sorted(misplaced - MOVING_IN_THIS_CHANGE)


# helpers that exist once: name -> the module that defines it
ONE_HOME = {
    "is_dask": "crmkit._engines",
    "_is_dask": "crmkit._engines",
    "encode_ids": "crmkit.transactions._prep",
    "dense_codes": "crmkit.transactions._prep",
    "observation_day": "crmkit.transactions._prep",
    "check_rows_after_end": "crmkit.transactions._prep",
    # one option checker: every "is not one of" message of a fixed choice is built there
    "check_option": "crmkit._validation",
    "_check_option": "crmkit._validation",
    "check_nan_policy": "crmkit._validation",
    "check_time_unit": "crmkit.timeunits",
    # one deprecation home for renamed keywords and keyword-only options
    "renamed_keywords": "crmkit._compat",
    "positional_options": "crmkit._compat",
    # one record of the invoice-line accounting, also summed over dask partitions
    "DataQuality": "crmkit.transactions._occasions",
    "_PartQuality": "crmkit.transactions._occasions",
}
# definitions still to remove, in modules another layout change moves
ONE_HOME_MOVING: set[str] = set()


def test_shared_helpers_are_defined_once() -> None:
    extra = set()
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            if node.name in ONE_HOME and name != ONE_HOME[node.name]:
                extra.add(f"{name}: {node.name}")
    assert extra <= ONE_HOME_MOVING, sorted(extra - ONE_HOME_MOVING)


@pytest.mark.parametrize(
    "fragment", ["transaction(s) dated after the observation end", "every transaction is after"]
)
def test_the_after_end_messages_are_written_once(fragment: str) -> None:
    homes = [
        name for name, path in MODULES.items() if fragment in path.read_text(encoding="utf-8")
    ]
    assert homes == ["crmkit.transactions._prep"]
