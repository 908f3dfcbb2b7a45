"""Locate or set up the peer libraries the benchmarks compare crmkit with.

Peers run as subprocesses in their own virtual environments, so their (older or heavier)
dependency stacks never mix with crmkit's. For a peer ``name`` the interpreter is, in
order:

1. the environment variable ``CRMKIT_<NAME>_PYTHON`` (for example
   ``CRMKIT_LIFETIMES_PYTHON=/path/to/venv/bin/python``), if set;
2. a virtual environment in the user's cache folder
   (``$XDG_CACHE_HOME/crmkit-bench/<name>``, default ``~/.cache/crmkit-bench/<name>``),
   created on first use and filled with ``pip install`` of the peer's requirement.

``peer_python(name)`` returns ``None`` (and says why on stderr) when the peer cannot be
set up, so a benchmark can skip that column instead of failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["PEER_REQUIREMENTS", "peer_python"]

PEER_REQUIREMENTS: dict[str, list[str]] = {
    "jdatetime": ["jdatetime==6.1.1"],
    "lifetimes": ["lifetimes==0.11.3"],
    "pymc": ["pymc-marketing>=0.10"],
}


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crmkit-bench"


def _python_of(env_dir: Path) -> Path:
    sub = "Scripts" if sys.platform == "win32" else "bin"
    exe = "python.exe" if sys.platform == "win32" else "python"
    return env_dir / sub / exe


def _works(python: Path, module: str) -> bool:
    try:
        done = subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def peer_python(name: str, *, module: str | None = None) -> Path | None:
    """Return a Python interpreter that can import the peer ``name``, or None.

    Parameters
    ----------
    name : str
        A key of :data:`PEER_REQUIREMENTS` ("lifetimes", "pymc").
    module : str, optional
        The module to import as a check (default: ``name``; "pymc_marketing" for pymc).
    """
    module = module or {"pymc": "pymc_marketing"}.get(name, name)
    override = os.environ.get(f"CRMKIT_{name.upper()}_PYTHON")
    if override:
        path = Path(override)
        if _works(path, module):
            return path
        print(f"[peers] {override} cannot import {module}; skipping {name}", file=sys.stderr)
        return None
    env_dir = _cache_root() / name
    python = _python_of(env_dir)
    if python.exists() and _works(python, module):
        return python
    print(f"[peers] setting up {name} in {env_dir} (first run only)", file=sys.stderr)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS[name]],
            check=True,
            timeout=1800,
        )
    except (OSError, subprocess.SubprocessError, KeyError) as exc:
        print(f"[peers] could not set up {name}: {exc}; skipping it", file=sys.stderr)
        return None
    return python if _works(python, module) else None
