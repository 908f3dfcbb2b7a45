"""No committed file points at one machine's layout (home folders, work trees, drives).

Benchmarks and reference scripts set up or find what they need themselves
(``benchmarks/_peers.py`` builds the peer libraries' environment in a cache folder).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders of development machines, spelt apart so this file holds no such path.
_ROOTS = ("work", "root")
MACHINE_PATH = re.compile(
    r"(?<![\w.~-])("
    + "|".join(f"/{name}/" for name in _ROOTS)
    + r"|/home/\w+/|/Users/\w+/|[A-Z]:\\Users\\)"
)


def _committed_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the committed files")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    )
    return [ROOT / name for name in out.stdout.decode().split("\0") if name]


def test_the_pattern_catches_machine_paths() -> None:
    assert MACHINE_PATH.search(f'peer = "/{_ROOTS[1]}/.venvs/lifetimes/bin/python"')
    assert MACHINE_PATH.search(f"data = '/{_ROOTS[0]}/shared/datasets/cdnow'")
    assert MACHINE_PATH.search(r"C:\Users\ana\data.csv")
    url_and_home = f"see https://example.org/{_ROOTS[0]}/ and ~/.cache/crmkit-bench/"
    assert not MACHINE_PATH.search(url_and_home)


def test_no_committed_file_names_a_machine_path() -> None:
    hits = []
    for path in _committed_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data
        for k, line in enumerate(text.splitlines(), start=1):
            if MACHINE_PATH.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()[:100]}")
    assert not hits, "fixed machine paths in committed files:\n" + "\n".join(hits[:20])
