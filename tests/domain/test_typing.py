"""The constructors' types reject bad arguments under ``mypy --strict``.

attrs' mypy plugin types each ``__init__`` parameter with the first parameter of the
field's converter; converters typed ``Any`` made ``Customer(code=123)`` pass. One mypy
run (the repository's configuration, a fresh cache in ``tmp_path``) checks two small
files per record family: ``tests/typing/*_good.py`` must pass and every line of
``tests/typing/*_bad.py`` marked ``# E: <code>`` must get exactly that error (one wrong
call at least per record class: customers, contact points, addresses, life events,
demographics, relationships, stage changes, interactions, complaints and their steps,
opportunities and their pipeline steps).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TYPING = ROOT / "tests" / "typing"
MARK = re.compile(r"#\s*E:\s*([a-z-]+)")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


@pytest.mark.slow  # one cold mypy run over crmkit's types: about 10-30 s
def test_mypy_rejects_bad_constructor_calls_and_accepts_good_ones(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    bads = [TYPING / "customer_bad.py", TYPING / "records_bad.py"]
    goods = [TYPING / "customer_good.py", TYPING / "records_good.py"]
    expected = {
        (bad.name, k, m.group(1))
        for bad in bads
        for k, line in enumerate(bad.read_text(encoding="utf-8").splitlines(), start=1)
        if (m := MARK.search(line))
    }
    assert len(expected) >= 19
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--no-error-summary",
            "--hide-error-context",
            "--show-error-codes",
            *map(str, bads + goods),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    found = set()
    for line in run.stdout.splitlines():
        m = ERROR.match(line.strip())
        if m:
            found.add((Path(m["file"]).name, int(m["line"]), m["code"]))
    assert run.returncode == 1, run.stdout + run.stderr  # 1: type errors found, no crash
    assert found == expected, run.stdout
