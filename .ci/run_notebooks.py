"""Execute every notebook in a folder; exit non-zero on the first failure."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(folder: str) -> int:
    paths = sorted(Path(folder).glob("*.ipynb"))
    if not paths:
        print(f"no notebooks in {folder}/")
        return 0
    import nbformat
    from nbclient import NotebookClient

    for path in paths:
        started = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=900,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        print(f"executed {path} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "notebooks"))
