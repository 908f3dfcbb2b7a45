"""Package metadata, the public facade and the repository's structural rules."""

from __future__ import annotations

import importlib
import pkgutil
import re
from importlib import metadata, resources
from pathlib import Path

import pytest

import crmkit

SRC = Path(crmkit.__file__).resolve().parent
PUBLIC_MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(crmkit.__path__, "crmkit.")
    if not any(part.startswith("_") for part in name.split("."))
)


def _isort_style(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase, then the rest, each in natural
    order (GTIN8 before GTIN12)."""
    natural = [(1, int(p)) if p.isdigit() else (0, p) for p in re.split(r"(\d+)", name) if p]
    if name.isupper() and len(name) > 1:
        return (0, natural)
    if name[:1].isupper():
        return (1, natural)
    return (2, natural)


def test_version_matches_metadata() -> None:
    assert crmkit.__version__ == metadata.version("crmkit")


def test_tests_run_against_the_installed_wheel_in_ci() -> None:
    import os

    if os.environ.get("CRMKIT_EXPECT_INSTALLED") != "1":
        pytest.skip("only meaningful in .ci/run, which installs the built wheel")
    assert "site-packages" in crmkit.__file__, crmkit.__file__


def test_py_typed_is_shipped() -> None:
    assert resources.files("crmkit").joinpath("py.typed").is_file()


@pytest.mark.parametrize("module_name", ["crmkit", *PUBLIC_MODULES])
def test_all_is_sorted_and_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    if module_name.endswith("__main__"):
        return
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_style), f"{module_name}.__all__ unsorted"
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert getattr(module, name) is not None or name.isupper()


def test_no_module_over_800_lines() -> None:
    too_long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not too_long, f"split these modules by concept: {too_long}"


def test_core_dependencies_only() -> None:
    requires = metadata.requires("crmkit") or []
    core = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r)
    assert core == ["attrs", "numpy", "pandas", "scipy"]


def test_core_import_does_not_pull_optional_stacks() -> None:
    import subprocess
    import sys

    code = (
        "import sys, crmkit; "
        "bad = [m for m in ('matplotlib', 'dask', 'hypothesis', 'sklearn') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
