"""What type checkers see: one ``mypy --strict`` run over the files of ``tests/typing``.

Each file there is checked with the repository's mypy configuration (a fresh cache in
``tmp_path``; ``MYPYPATH`` points at ``src``):

* a line marked ``# E: <code>`` must get an error with exactly that code, and no unmarked
  line may get one (so the ``*_good.py`` files, which have no marks, must pass);
* a line marked ``# R: <text>`` must reveal (``reveal_type``) a type containing
  ``<text>`` and not ``Any``.

The files cover the record constructors (attrs' plugin types each ``__init__`` parameter
with its converter's first parameter: converters typed ``Any`` made ``Customer(code=123)``
pass; one wrong call at least per record class) and the lazily loaded top-level names of
``import crmkit`` (PEP 562 ``__getattr__`` hides them unless the ``TYPE_CHECKING``
imports are right).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TYPING = ROOT / "tests" / "typing"
FILES = sorted(TYPING.glob("*.py"))
ERROR_MARK = re.compile(r"#\s*E:\s*([a-z-]+)")
REVEAL_MARK = re.compile(r"#\s*R:\s*(\S+)")
OUTPUT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<text>.*)$")


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], list[str]]:
    """Messages of one mypy run, keyed by (file name, line)."""
    pytest.importorskip("mypy")
    cache = tmp_path_factory.mktemp("mypy-cache")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            "--no-error-summary",
            "--hide-error-context",
            "--show-error-codes",
            *map(str, FILES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
        timeout=600,
        check=False,
    )
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2 would be a crash
    messages: dict[tuple[str, int], list[str]] = {}
    for row in run.stdout.splitlines():
        if (m := OUTPUT.match(row.strip())) is not None:
            key = (Path(m["file"]).name, int(m["line"]))
            messages.setdefault(key, []).append(f"{m['kind']}: {m['text']}")
    return messages


def _marked(pattern: re.Pattern[str]) -> dict[tuple[str, int], str]:
    return {
        (path.name, k): m.group(1)
        for path in FILES
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (m := pattern.search(line)) is not None
    }


def test_the_typing_files_carry_marks() -> None:
    names = {path.name for path in FILES}
    assert {"customer_bad.py", "records_bad.py", "lazy_top_level.py"} <= names
    assert len(_marked(ERROR_MARK)) >= 22
    assert _marked(REVEAL_MARK)


@pytest.mark.slow  # one cold mypy run over crmkit's types: about 10-30 s
def test_errors_exactly_on_marked_lines(mypy_output: dict[tuple[str, int], list[str]]) -> None:
    expected = _marked(ERROR_MARK)
    errors = {
        key for key, texts in mypy_output.items() if any(t.startswith("error") for t in texts)
    }
    assert errors == set(expected), mypy_output
    for key, code in expected.items():
        assert any(t.startswith("error") and t.endswith(f"[{code}]") for t in mypy_output[key]), (
            key,
            mypy_output[key],
        )


@pytest.mark.slow
def test_revealed_types(mypy_output: dict[tuple[str, int], list[str]]) -> None:
    for key, want in _marked(REVEAL_MARK).items():
        notes = " ".join(mypy_output.get(key, []))
        assert "Revealed type is" in notes, (key, mypy_output)
        revealed = notes.split("Revealed type is", 1)[1]
        assert want in revealed, (key, notes)
        assert "Any" not in revealed[:12], (key, notes)
