"""Command-line entry point: ``crmkit report`` / ``python -m crmkit report``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crmkit.exceptions import CrmkitError

__all__ = ["main"]


def _quickstart() -> str:
    """The README quick-start, end to end on the bundled CDNOW data."""
    import crmkit as ck

    tx = ck.datasets.load_cdnow_transactions()
    summary = ck.datasets.load_cdnow_summary()
    lines = [
        f"crmkit {ck.__version__} - CDNOW quick start",
        f"transactions: {len(tx):,} rows, {tx['customer_id'].nunique():,} customers, "
        f"{tx['date'].min():%Y-%m-%d} .. {tx['date'].max():%Y-%m-%d}",
        f"calibration sample: {len(summary):,} customers, "
        f"{int((summary['frequency'] > 0).sum()):,} repeat buyers in 39 weeks, "
        f"{int(summary['frequency_holdout'].sum()):,} purchase days in the 39-week holdout",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the crmkit command line; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="crmkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("report", help="analyse the bundled CDNOW data (or your own file)")
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            print(_quickstart())
    except CrmkitError as exc:
        print(f"crmkit: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
