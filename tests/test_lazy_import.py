"""``import crmkit`` is cheap: subpackages and scipy load on first use (PEP 562).

The import-time budget itself (at most 0.15 s over ``import pandas``) is measured in
``benchmarks/bench_import.py``, not asserted here: timings are noisy. These tests check
the mechanism: what a bare import loads, that every public name still resolves and is
listed by ``dir()``. What type checkers see is checked in ``tests/test_static_types.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import crmkit

ROOT = Path(__file__).resolve().parents[1]


_PRINT_MODULES = "import json, sys\nprint(json.dumps(sorted(sys.modules)))"


def _modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_bare_import_loads_no_subpackage_and_no_scipy() -> None:
    loaded = _modules_after("import crmkit")
    heavy = [m for m in loaded if m.split(".")[0] in {"scipy", "matplotlib", "dask"}]
    assert not heavy, f"import crmkit loaded {heavy[:5]}"
    sub = sorted(m for m in loaded if m.startswith("crmkit."))
    assert sub == ["crmkit._text", "crmkit.exceptions"], sub


def test_first_use_loads_the_subpackage() -> None:
    loaded = _modules_after("import crmkit\ncrmkit.rfm_summary")
    assert "crmkit.transactions" in loaded
    assert "crmkit.clv" not in loaded
    loaded = _modules_after("import crmkit\ncrmkit.clv.BetaGeo")
    assert "crmkit.clv" in loaded
    assert "scipy.special" in loaded


@pytest.mark.parametrize("name", crmkit.__all__)
def test_every_public_name_resolves_and_is_listed(name: str) -> None:
    assert name in dir(crmkit)
    assert getattr(crmkit, name) is not None


def test_shortcuts_are_the_subpackage_objects() -> None:
    from crmkit import rfm_summary
    from crmkit.transactions import rfm_summary as direct

    assert rfm_summary is direct
    assert crmkit.clv is sys.modules["crmkit.clv"]


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        _ = crmkit.no_such_thing  # type: ignore[attr-defined]
