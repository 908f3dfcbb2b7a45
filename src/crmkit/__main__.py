"""Command line: ``crmkit report`` (also ``python -m crmkit report``).

Without ``--input`` the report runs on the bundled CDNOW data (23,570 customers,
January 1997 - June 1998, calibration to 1997-09-30). With ``--input`` it reads a CSV
(optionally gzipped) or Parquet transaction file; name its columns with the
``--*-col`` options. Bad files or columns print one clear error line and exit with
status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from crmkit.exceptions import CrmkitError

__all__ = ["main"]


def _read(path: Path, datetime_col: str) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name.lower()
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
    elif name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        frame = pd.read_csv(path, sep="\t" if name.endswith(".tsv") else ",")
    else:
        raise CrmkitError(
            f"cannot read {path.name!r}: use a .csv, .csv.gz, .tsv or .parquet file."
        )
    if datetime_col in frame.columns and not pd.api.types.is_datetime64_any_dtype(
        frame[datetime_col]
    ):
        try:
            frame[datetime_col] = pd.to_datetime(frame[datetime_col])
        except (ValueError, TypeError) as exc:
            raise CrmkitError(
                f"column {datetime_col!r} of {path.name} does not parse as dates ({exc}); "
                "use ISO dates such as 2024-05-31."
            ) from exc
    return frame


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmkit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="write an HTML + CSV CRM report (bundled CDNOW data by default)",
        description="Data quality, RFM segments, Pareto concentration, lifecycle stages "
        "and cohorts, a CLV model with a holdout check, and success metrics.",
    )
    rep.add_argument("--input", type=Path, help="CSV/Parquet transaction file (default: CDNOW)")
    rep.add_argument("--output", type=Path, default=Path("crmkit-report"), help="output folder")
    rep.add_argument("--customer-id-col", default=None, help="customer id column")
    rep.add_argument("--datetime-col", default=None, help="purchase date column")
    rep.add_argument("--monetary-col", default=None, help="purchase amount column")
    rep.add_argument("--time-unit", default="W", choices=["D", "W", "M", "Q", "Y"])
    rep.add_argument("--calibration-end", default=None, help="YYYY-MM-DD")
    rep.add_argument("--observation-end", default=None, help="YYYY-MM-DD")
    rep.add_argument("--model", default="bgnbd", choices=["bgnbd", "mbgnbd", "paretonbd"])
    rep.add_argument("--horizon", type=int, default=52, help="CLV horizon in time units")
    rep.add_argument("--discount-rate", type=float, default=0.10, help="annual rate")
    rep.add_argument("--margin", type=float, default=0.30, help="margin share of spend")
    rep.add_argument("--no-figures", action="store_true", help="skip the figures")
    rep.add_argument("--quiet", action="store_true", help="no progress messages")
    return parser


def _report(args: argparse.Namespace) -> int:
    from crmkit import datasets
    from crmkit.report import ReportOptions, build_report

    if args.input is None:
        tx = datasets.load_cdnow_transactions()
        defaults = {
            "customer_id_col": "customer_id",
            "datetime_col": "date",
            "monetary_col": "dollar_value",
        }
        cal = args.calibration_end or datasets.CDNOW_CALIBRATION_END
        obs = args.observation_end or datasets.CDNOW_OBSERVATION_END
        title = "crmkit report: CDNOW (23,570 customers, 1997-1998)"
    else:
        defaults = {
            "customer_id_col": "customer_id",
            "datetime_col": "datetime",
            "monetary_col": "monetary",
        }
        cal, obs = args.calibration_end, args.observation_end
        title = f"crmkit report: {args.input.name}"
    columns = {
        key: getattr(args, key) if getattr(args, key) is not None else default
        for key, default in defaults.items()
    }
    if args.input is not None:
        tx = _read(args.input, columns["datetime_col"])
    options = ReportOptions(
        customer_id_col=columns["customer_id_col"],
        datetime_col=columns["datetime_col"],
        monetary_col=columns["monetary_col"],
        time_unit=args.time_unit,
        calibration_end=cal,
        observation_end=obs,
        model=args.model,
        horizon=args.horizon,
        annual_discount_rate=args.discount_rate,
        margin=args.margin,
        figures=not args.no_figures,
    )
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    outputs = build_report(tx, options, args.output, title=title, progress=progress)
    print(title)
    for line in outputs.highlights:
        print(f"  - {line}")
    print(f"report: {outputs.html}  ({len(outputs.csv)} CSV files in {outputs.directory})")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the crmkit command line and return the process exit status."""
    args = _parser().parse_args(argv)
    try:
        return _report(args)
    except (CrmkitError, OSError, ValueError, ImportError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"crmkit: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
