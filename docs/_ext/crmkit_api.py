"""crmkit's public API as the reference documents it: one page per public module.

Every public name is documented once, at its *canonical* path: the public module whose
page describes it (``crmkit.clv.BetaGeo``, not the defining module
``crmkit.clv.bgnbd``). The same object reached by another path (its defining module, or
a second public module that re-exports it) is an *alias* of the canonical path.

This file is a Sphinx extension (listed in ``docs/conf.py``). When the build starts it
writes the pages ``docs/reference/<module>.rst`` from the public modules' ``__all__``
(like autosummary's stub pages: generated, not kept in git), so a name added to an
``__all__`` is documented without further work. During the build, cross-references to an
alias (in type hints or docstrings) resolve to the canonical entry, references to a
Python, numpy, pandas or scipy object that the stored inventory lists under another role
resolve too, and a warning (an error under ``-W``) names any public name or attribute of
a result object that ends up undocumented. ``python docs/_ext/crmkit_api.py`` writes the
pages without building, to read them.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

# Public modules, in the order of the reference's table of contents. Their ``__all__``
# is the public API; submodules not listed here (crmkit.clv.bgnbd, ...) are
# implementation modules whose public names are documented at the package's path.
PUBLIC_MODULES: tuple[str, ...] = (
    "crmkit",
    "crmkit.transactions",
    "crmkit.timeunits",
    "crmkit.jalali",
    "crmkit.columns",
    "crmkit.datasets",
    "crmkit.rfm",
    "crmkit.pareto",
    "crmkit.segmentation",
    "crmkit.lifecycle",
    "crmkit.clv",
    "crmkit.survival",
    "crmkit.metrics",
    "crmkit.maturity",
    "crmkit.domain",
    "crmkit.domain.quality",
    "crmkit.codes",
    "crmkit.report",
    "crmkit.plotting",
    "crmkit.testing",
    "crmkit.exceptions",
)

# Names re-exported by the top-level package whose canonical page is their own module.
# The other top-level names (rfm_summary, ...) are documented at ``crmkit.<name>``.
_TOP_LEVEL_ELSEWHERE = frozenset(
    {
        "ConvergenceError",
        "ConvergenceWarning",
        "CrmkitError",
        "CrmkitWarning",
        "DegenerateDataWarning",
        "ValidationError",
        "TimeUnit",
    }
)


def _public_names(modname: str) -> list[str]:
    module = importlib.import_module(modname)
    names = list(getattr(module, "__all__", []))
    return [
        n
        for n in names
        if not n.startswith("__") and not isinstance(getattr(module, n), types.ModuleType)
    ]


def _key(obj: Any, modname: str, name: str) -> Any:
    # classes and functions are identified by identity; data (strings, tuples, aliases)
    # by the module that defines them, since equal constants are not the same name
    if inspect.isclass(obj) or callable(obj):
        return id(obj)
    return (modname, name)


def canonical_paths() -> dict[str, str]:
    """Map every public path (and the defining-module path) to its canonical path."""
    owner: dict[Any, str] = {}
    paths: dict[str, Any] = {}
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in _public_names(modname):
            obj = getattr(module, name)
            key = _key(obj, modname, name)
            path = f"{modname}.{name}"
            if key == (modname, name) and modname == "crmkit":
                # a top-level constant is the same object as its module's
                key = id(obj)
            paths[path] = key
            if modname == "crmkit" and name in _TOP_LEVEL_ELSEWHERE:
                continue
            if key not in owner or modname == "crmkit":
                owner[key] = path
    aliases: dict[str, str] = {}
    for path, key in paths.items():
        aliases[path] = owner.get(key, path)
    # the defining module's path of classes and functions
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in _public_names(modname):
            obj = getattr(module, name)
            qual = getattr(obj, "__qualname__", None)
            defining = getattr(obj, "__module__", None)
            if qual and defining and defining.startswith("crmkit") and id(obj) in owner:
                aliases.setdefault(f"{defining}.{qual}", owner[id(obj)])
            # an implementation module stands for the public package that exports it
            if (
                defining
                and defining.startswith(modname + ".")
                and modname != "crmkit"
                and defining not in PUBLIC_MODULES
            ):
                aliases.setdefault(defining, modname)
    return aliases


def documented_here(modname: str) -> list[str]:
    """The names whose canonical page is ``modname``, in ``__all__`` order."""
    aliases = canonical_paths()
    return [n for n in _public_names(modname) if aliases[f"{modname}.{n}"] == f"{modname}.{n}"]


# ---------------------------------------------------------------------------------------
# page generator


def _private_base(cls: type) -> bool:
    for base in cls.__mro__[1:]:
        mod = getattr(base, "__module__", "")
        if mod.startswith("crmkit") and (
            base.__name__.startswith("_") or any(p.startswith("_") for p in mod.split("."))
        ):
            return True
    return False


def _directive(modname: str, name: str) -> str:
    obj = getattr(importlib.import_module(modname), name)
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return f".. autoexception:: {name}\n"
        doc = inspect.getdoc(obj) or ""
        if "\nMethods\n-------" in doc:
            # the docstring's Methods section documents them (a protocol)
            return f".. autoclass:: {name}\n"
        opts = ["   :members:"]
        if issubclass(obj, enum.Enum):
            opts.append("   :undoc-members:")
        else:
            if _private_base(obj):
                opts.append("   :inherited-members:")
            if hasattr(obj, "__attrs_attrs__"):
                # every attribute of a result object gets an entry (its description
                # is taken from the class docstring, see _on_process_docstring)
                opts.append("   :undoc-members:")
        return f".. autoclass:: {name}\n" + "\n".join(opts) + "\n"
    if inspect.isroutine(obj) or inspect.isroutine(getattr(obj, "__wrapped__", None)):
        return f".. autofunction:: {name}\n"
    if len(repr(obj)) > 70:
        return f".. autodata:: {name}\n   :no-value:\n"
    return f".. autodata:: {name}\n"


def page(modname: str) -> str:
    here = documented_here(modname)
    elsewhere = [
        (n, canonical_paths()[f"{modname}.{n}"]) for n in _public_names(modname) if n not in here
    ]
    title = f"``{modname}``"
    lines = [
        f".. Generated from the __all__ of {modname} by docs/_ext/crmkit_api.py when the",
        "   documentation is built: edit the module's docstrings, not this file.",
        "",
        title,
        "=" * len(title),
        "",
        f".. automodule:: {modname}",
        "   :no-members:",
        "",
        f".. currentmodule:: {modname}",
        "",
    ]
    if here:
        lines += [".. autosummary::", "", *[f"   {n}" for n in here], ""]
    if elsewhere:
        lines += [
            f"Also exported by ``{modname}`` and documented on another page:",
            "",
            *[f"- :py:obj:`{n} <{target}>`" for n, target in elsewhere],
            "",
        ]
    if here:
        lines += ["Reference", "---------", ""]
        for n in here:
            lines.append(_directive(modname, n))
    notes = _submodules_with_notes(modname, here)
    if notes:
        lines += [
            "Notes by implementation module",
            "------------------------------",
            "",
            "The conventions and formulas of each part, from its module's docstring (import",
            f"the names above from ``{modname}``, not from these modules).",
            "",
        ]
        for sub in notes:
            lines += [f"``{sub}``", "~" * (len(sub) + 4), "", f".. automodule:: {sub}"]
            lines += ["   :no-members:", "   :no-index:", ""]
    return "\n".join(lines).rstrip() + "\n"


def _submodules_with_notes(modname: str, names: list[str]) -> list[str]:
    """Implementation modules of ``modname`` (in order of use) whose docstring says more
    than one line."""
    module = importlib.import_module(modname)
    seen: list[str] = []
    for n in names:
        defining = getattr(getattr(module, n), "__module__", None) or ""
        if (
            defining.startswith(modname + ".")
            and defining not in PUBLIC_MODULES
            and defining not in seen
            and not any(part.startswith("_") for part in defining.split("."))
        ):
            seen.append(defining)
    out = []
    for sub in seen:
        doc = inspect.getdoc(importlib.import_module(sub)) or ""
        if len(doc.strip().splitlines()) > 1:
            out.append(sub)
    return out


def write_pages(out: Path) -> list[Path]:
    """Write one page per public module into ``out``; unchanged pages are not touched
    (so Sphinx does not re-read them)."""
    written = []
    for modname in PUBLIC_MODULES:
        path = out / f"{modname}.rst"
        text = page(modname)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "src"))
    for path in write_pages(root / "docs" / "reference"):
        print("wrote", path)


# ---------------------------------------------------------------------------------------
# Sphinx extension


# Prefixes of type hints that autodoc shows as written when it cannot evaluate them
# (annotations that name TYPE_CHECKING-only imports keep their source spelling).
_SPELLINGS = {
    "np": "numpy",
    "npt": "numpy.typing",
    "pd": "pandas",
    "NDArray": "numpy.typing.NDArray",
    "ArrayLike": "numpy.typing.ArrayLike",
    "pandas.DateOffset": "pandas.tseries.offsets.DateOffset",
    "Axes": "matplotlib.axes.Axes",
}
_DOTTED = re.compile(r"[A-Za-z_][\w.]*")


def _spelled_out(target: str) -> str:
    for short, full in _SPELLINGS.items():
        if target == short or target.startswith(short + "."):
            return full + target[len(short) :]
    return target


def _resolve(app: Any, env: Any, node: Any, contnode: Any, target: str) -> Any:
    domain = env.get_domain("py")
    for role in dict.fromkeys((node["reftype"], "obj")):
        found = domain.resolve_xref(env, node["refdoc"], app.builder, role, target, node, contnode)
        if found is not None:
            return found
    if not target.startswith("crmkit"):
        from sphinx.ext import intersphinx

        # a stored inventory may list the object under another role (numpy lists
        # numpy.typing.ArrayLike as py:data, referenced here as a class)
        for role in dict.fromkeys((node["reftype"], "obj")):
            retry = node.deepcopy()
            retry["reftype"] = role
            retry["reftarget"] = target
            found = intersphinx.missing_reference(app, env, retry, contnode)
            if found is not None:
                return found
    return None


def _canonical(aliases: dict[str, str], dotted: str) -> str | None:
    """The canonical path of ``dotted`` or of the public name it is a member of."""
    head, tail = dotted, ""
    while head:
        if head in aliases:
            return aliases[head] + (f".{tail}" if tail else "")
        head, _, last = head.rpartition(".")
        tail = f"{last}.{tail}" if tail else last
    return None


def _importable(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def _on_missing_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    # numpydoc types that are prose ("shape (n, d)", "see rfm_summary", "(8, 12, 13 or
    # 14)") rather than a name: plain text, as numpydoc renders them
    base = target.split("[", 1)[0]
    if not _DOTTED.fullmatch(base):
        return contnode
    aliases: dict[str, str] = app.env.crmkit_aliases
    modname = node.get("py:module") or ""
    classname = node.get("py:class") or ""
    candidates = [_spelled_out(base)]
    if not base.startswith("crmkit"):
        if classname:
            candidates.append(f"{modname}.{classname}.{base}")
        candidates.append(f"{modname}.{base}")
        same_name = {p for p in aliases.values() if p.rsplit(".", 1)[-1] == base}
        if len(same_name) == 1:
            candidates += same_name
    for cand in candidates:
        canonical = _canonical(aliases, cand) or cand
        found = _resolve(app, env, node, contnode, canonical)
        if found is not None:
            return found
    # a crmkit name that exists but is not public (a type variable, a module constant of
    # an implementation module) and a lowercase word of numpydoc's type vocabulary
    # ("timestamp", "models"): plain text
    if base.islower() and "." not in base:
        return contnode
    if "." not in base and any(
        hasattr(module, base)
        for name, module in list(sys.modules.items())
        if name.startswith("crmkit") and module is not None
    ):
        return contnode
    for cand in candidates[1:] if not base.startswith("crmkit") else [base]:
        if cand.startswith("crmkit") and _importable(cand):
            return contnode
    return None


_SECTION = re.compile(r"^(\w[\w ]*)\n-+$")


def _sections(doc: str) -> dict[str, list[str]]:
    """A numpydoc docstring's sections by title (the lines under each underlined title)."""
    lines = doc.splitlines()
    out: dict[str, list[str]] = {}
    current = ""
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _SECTION.match(f"{lines[i]}\n{lines[i + 1]}"):
            current = lines[i].strip()
            out[current] = []
            i += 2
            continue
        out.setdefault(current, []).append(lines[i])
        i += 1
    return out


def _entry(section: list[str], name: str) -> list[str] | None:
    """The description of ``name`` in a Parameters/Attributes section, type first."""
    for i, line in enumerate(section):
        if line and not line[0].isspace():
            names = line.partition(" : ")[0]
            if name in [n.strip() for n in names.split(",")]:
                body = []
                for more in section[i + 1 :]:
                    if more and not more[0].isspace():
                        break
                    body.append(more.strip())
                while body and not body[-1]:
                    body.pop()
                return body
    return None


def _on_process_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Give each attribute of an attrs class the description its class docstring has."""
    if what == "class" and inspect.isclass(obj) and hasattr(obj, "__attrs_attrs__"):
        # the attributes get entries of their own: drop the section that lists them
        doc = "\n".join(lines)
        if "\nAttributes\n----------" in f"\n{doc}":
            kept: list[str] = []
            skipping = False
            for i, line in enumerate(lines):
                title = i + 1 < len(lines) and _SECTION.match(f"{line}\n{lines[i + 1]}")
                if title:
                    skipping = line.strip() == "Attributes"
                if not skipping:
                    kept.append(line)
            lines[:] = kept
        return


def _on_attribute_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    typed = [i for i, line in enumerate(lines) if line.startswith(":type: ")]
    if what in ("data", "attribute") and typed:
        # napoleon read the first line "A time unit: days, ..." as "type: text"; crmkit
        # states types in annotations, so it is prose: put it back together
        prose = lines.pop(typed[0])[len(":type: ") :]
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            lines[:] = [prose]
        else:
            lines[first] = f"{prose}: {lines[first].lstrip()}"
        while lines and not lines[-1].strip():
            lines.pop()
        return
    if what != "attribute" or any(line.strip() for line in lines):
        return
    owner_path, _, attr = name.rpartition(".")
    modname, _, clsname = owner_path.rpartition(".")
    try:
        owner = getattr(importlib.import_module(modname), clsname)
    except (ImportError, AttributeError):
        return
    for cls in getattr(owner, "__mro__", ()):
        sections = _sections(inspect.getdoc(cls) or "")
        for title in ("Attributes", "Parameters", "Other Parameters"):
            body = _entry(sections.get(title, []), attr)
            if body:
                lines[:] = body
                return


def _on_process_bases(app: Any, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    # private mixins are implementation detail: show the public bases only
    aliases = app.env.crmkit_aliases
    keep = []
    for base in bases:
        mod = getattr(base, "__module__", "")
        qual = f"{mod}.{getattr(base, '__qualname__', '')}"
        private = mod.startswith("crmkit") and qual not in aliases
        if not private:
            keep.append(base)
    bases[:] = keep


def _on_process_signature(
    app: Any,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """Show an attrs field whose default is a factory as ``name=<factory>``, as
    dataclasses do, instead of attrs' internal ``NOTHING`` marker."""
    if signature and what == "class" and "=NOTHING" in signature:
        return signature.replace("=NOTHING", "=<factory>"), return_annotation
    return None


def _on_builder_inited(app: Any) -> None:
    write_pages(Path(app.srcdir) / "reference")
    app.env.crmkit_aliases = canonical_paths()


def _check_complete(app: Any, env: Any) -> None:
    from sphinx.util import logging

    logger = logging.getLogger("crmkit_api")
    objects = env.get_domain("py").objects
    for path, canonical in sorted(set(canonical_paths().items())):
        if path != canonical:
            continue
        if canonical not in objects:
            logger.warning("public name %s is not documented in docs/reference/", canonical)
            continue
        # a result object (an attrs class) documents each of its public attributes
        modname, _, name = canonical.rpartition(".")
        obj = getattr(importlib.import_module(modname), name)
        fields = getattr(obj, "__attrs_attrs__", None) if inspect.isclass(obj) else None
        for field in fields or ():
            if field.name.startswith("_") or f"{canonical}.{field.name}" in objects:
                continue
            logger.warning(
                "attribute %s.%s is not documented (add it to the class docstring's "
                "Attributes section)",
                canonical,
                field.name,
            )


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    app.connect("missing-reference", _on_missing_reference, priority=900)
    app.connect("autodoc-process-bases", _on_process_bases)
    app.connect("autodoc-process-signature", _on_process_signature)
    # before napoleon (priority 500) for a class, on the numpydoc text
    app.connect("autodoc-process-docstring", _on_process_docstring, priority=400)
    # after napoleon for an attribute: the description is plain reST and napoleon
    # would read its first "word: text" as a type
    app.connect("autodoc-process-docstring", _on_attribute_docstring, priority=600)
    app.connect("env-check-consistency", _check_complete)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    main()
