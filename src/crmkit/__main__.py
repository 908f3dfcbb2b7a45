"""Command line: ``crmkit report`` (also ``python -m crmkit report``).

Without ``--input`` the report runs on the bundled CDNOW data (23,570 customers,
January 1997 - June 1998, calibration to 1997-09-30). With ``--input`` it reads a CSV
(optionally gzipped) or Parquet file of transactions or invoice lines; name its columns
with the ``--*-col`` options and say how to prepare it (``--missing-ids``,
``--cancellations``, ``--cancel-prefix``). Every failure prints one ``crmkit: error: ...``
line and exits with status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from crmkit.exceptions import CrmkitError, InvalidValueError
from crmkit.exceptions import FileReadError as _ReadError

__all__ = ["main"]


def _read(path: Path, id_col: str, datetime_col: str) -> pd.DataFrame:
    if not path.is_file():
        raise _ReadError(f"no such file: {path}")
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            try:
                import pyarrow  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
            except ImportError as exc:
                raise _ReadError(
                    f'reading {path.name} needs pyarrow: pip install "crmkit[parquet]"'
                ) from exc
            frame = pd.read_parquet(path)
            if id_col in frame.columns and pd.api.types.is_float_dtype(frame[id_col]):
                frame[id_col] = _float_ids(frame[id_col])
        elif name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".tsv.gz")):
            frame = pd.read_csv(
                path,
                sep="\t" if ".tsv" in name else ",",
                dtype={id_col: "string"},
                low_memory=False,
            )
        else:
            raise _ReadError(
                f"cannot read {path.name!r}: use a .csv, .csv.gz, .tsv or .parquet file."
            )
    except (EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise _ReadError(
            f"cannot read {path.name}: the file is damaged or truncated ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise _ReadError(f"cannot read {path.name}: the file is empty.") from exc
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _ReadError(f"cannot read {path.name}: {exc}.") from exc
    if datetime_col in frame.columns and not pd.api.types.is_datetime64_any_dtype(
        frame[datetime_col]
    ):
        try:
            frame[datetime_col] = pd.to_datetime(frame[datetime_col], format="mixed")
        except (ValueError, TypeError) as exc:
            raise _ReadError(
                f"column {datetime_col!r} of {path.name} does not parse as dates ({exc}); "
                "use ISO dates such as 2024-05-31."
            ) from exc
    return frame


def _float_ids(ids: pd.Series) -> pd.Series:
    """Whole-number float ids (18102.0) as nullable integers (18102); others unchanged."""
    values = ids.dropna()
    if bool((values == values.round()).all()):
        return ids.astype("Int64")
    return ids


#: New flag -> (its crmkit 0.1 spelling, the choices).
_RENAMED_FLAGS: dict[str, tuple[str, list[str] | None]] = {
    "--amount-col": ("--monetary-col", None),
    "--cancellations": ("--returns", ["raise", "exclude", "net"]),
}


def _renamed_flags(args: argparse.Namespace) -> list[str]:
    """Move the values of old flag spellings to the new ones; one warning line per use."""
    notes = []
    for new, (old, _) in _RENAMED_FLAGS.items():
        new_dest, old_dest = new[2:].replace("-", "_"), old[2:].replace("-", "_")
        value = getattr(args, old_dest)
        if value is None:
            continue
        if getattr(args, new_dest) is not None:
            raise InvalidValueError(f"{old} and {new} both given; pass only {new}.")
        setattr(args, new_dest, value)
        notes.append(
            f"crmkit: warning: {old} is deprecated and will stop working in crmkit 0.3; "
            f"pass {new} instead."
        )
    return notes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmkit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="write an HTML + CSV CRM report (bundled CDNOW data by default)",
        description="Data quality, RFM segments, Pareto concentration, lifecycle stages "
        "and cohorts, a CLV model with a holdout check, and success metrics.",
    )
    rep.add_argument(
        "--input",
        type=Path,
        help="CSV/Parquet transaction file (default: CDNOW); with --engine dask a Parquet "
        "file, folder or quoted glob such as 'folder/*.parquet'",
    )
    rep.add_argument("--output", type=Path, default=Path("crmkit-report"), help="output folder")
    rep.add_argument("--customer-id-col", default=None, help="customer id column")
    rep.add_argument("--datetime-col", default=None, help="purchase date-time column")
    rep.add_argument(
        "--amount-col", default=None, help="money per row (or give quantity and price)"
    )
    rep.add_argument(
        "--invoice-col", default=None, help="invoice column: count purchases per invoice"
    )
    rep.add_argument("--quantity-col", default=None, help="quantity per line")
    rep.add_argument("--price-col", default=None, help="unit price per line (money = q x p)")
    rep.add_argument(
        "--missing-ids",
        default="raise",
        choices=["raise", "drop"],
        help="rows without a customer id: error (default) or drop them",
    )
    rep.add_argument(
        "--cancellations",
        default=None,
        choices=["raise", "exclude", "net"],
        help="cancellation and return lines: error (default), exclude them, or net them",
    )
    # the crmkit 0.1 spellings, accepted with a warning until crmkit 0.3
    for old, choices in _RENAMED_FLAGS.values():
        rep.add_argument(old, default=None, choices=choices, help=argparse.SUPPRESS)
    rep.add_argument(
        "--cancel-prefix", default=None, help="invoice prefix of cancellations, e.g. C"
    )
    rep.add_argument("--currency", default=None, help="currency code of the money, e.g. GBP")
    rep.add_argument("--time-unit", default="W", choices=["D", "W", "M", "Q", "Y"])
    rep.add_argument("--calibration-end", default=None, help="YYYY-MM-DD (whole day inside)")
    rep.add_argument("--observation-end", default=None, help="YYYY-MM-DD (whole day inside)")
    rep.add_argument(
        "--model",
        default="bgnbd",
        choices=["bgnbd", "mbgnbd", "paretonbd", "auto"],
        help="purchase model of the CLV section (default bgnbd); auto: the one that "
        "predicts the holdout best, with the comparison and the reason in the report",
    )
    rep.add_argument("--horizon", type=int, default=52, help="CLV horizon in time units")
    rep.add_argument("--discount-rate", type=float, default=0.10, help="annual rate")
    rep.add_argument("--margin", type=float, default=0.30, help="margin share of revenue")
    rep.add_argument(
        "--engine",
        default="pandas",
        choices=["pandas", "dask"],
        help="pandas (in memory, default) or dask: lines prepared and summarised on a "
        "dask.distributed cluster, only per-customer tables come back",
    )
    rep.add_argument(
        "--scheduler",
        default=None,
        help="with --engine dask: address of a running scheduler (tcp://host:8786); "
        "default: a local cluster started and stopped by the command",
    )
    rep.add_argument(
        "--workers", type=int, default=2, help="with --engine dask: local worker processes"
    )
    rep.add_argument(
        "--memory-limit",
        default="auto",
        help="with --engine dask: memory per local worker (e.g. 3GiB); beyond it, spill",
    )
    rep.add_argument("--no-figures", action="store_true", help="skip the figures")
    rep.add_argument("--quiet", action="store_true", help="no progress messages or warnings")
    return parser


class _Progress:
    """Progress on stderr: one updating bar line on a terminal, plain lines otherwise.

    Off a terminal only finished phases are printed ("... done in 1.2s"), so an error
    before the first of them is still the one ``crmkit: error:`` line.
    """

    _STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.messages: list[str] = []
        self.tty = not quiet and sys.stderr.isatty()
        self._width = 0

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        if self.quiet:
            return
        if not self.tty:
            # plain lines (a log file, a pipe): only finished phases, so a failure
            # before the first one stays a single error line
            if not message.endswith(" ..."):
                print(message, file=sys.stderr, flush=True)
            return
        m = self._STEP.match(message)
        if m is None:
            self.finish()
            print(message, file=sys.stderr, flush=True)
            return
        i, n, what = int(m.group(1)), int(m.group(2)), m.group(3)
        done = i - (0 if what.endswith("s") and " done in " in what else 1)
        bar = "#" * round(20 * done / n)
        line = f"[{bar:<20}] {i}/{n} {what}"
        pad = max(0, self._width - len(line))
        self._width = len(line)
        sys.stderr.write("\r" + line + " " * pad)
        sys.stderr.flush()

    def finish(self) -> None:
        """End the bar line (on a terminal)."""
        if self.tty and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._width = 0


def _report(args: argparse.Namespace, say: _Progress) -> int:
    import crmkit

    started = time.perf_counter()
    say("importing crmkit's report modules ...")
    from crmkit import datasets
    from crmkit.report import ReportOptions, build_report

    # the package itself was imported before this function ran: count it too
    timings = {"imports": crmkit._import_seconds + time.perf_counter() - started}
    started -= crmkit._import_seconds

    if args.input is None:
        defaults: dict[str, str | None] = {
            "customer_id_col": "customer_id",
            "datetime_col": "date",
            "amount_col": "dollar_value",
        }
        cal = args.calibration_end or datasets.CDNOW_CALIBRATION_END
        obs = args.observation_end or datasets.CDNOW_OBSERVATION_END
        title = "crmkit report: CDNOW (23,570 customers, 1997-1998)"
        currency = args.currency or "USD"
    else:
        uses_price = args.quantity_col is not None and args.price_col is not None
        defaults = {
            "customer_id_col": "customer_id",
            "datetime_col": "datetime",
            "amount_col": None if uses_price else "monetary",
        }
        cal, obs = args.calibration_end, args.observation_end
        title = f"crmkit report: {args.input.name if args.engine == 'pandas' else args.input}"
        currency = args.currency
    columns = {
        key: getattr(args, key) if getattr(args, key) is not None else default
        for key, default in defaults.items()
    }
    options = ReportOptions(
        customer_id_col=str(columns["customer_id_col"]),
        datetime_col=str(columns["datetime_col"]),
        amount_col=columns["amount_col"],
        invoice_col=args.invoice_col,
        quantity_col=args.quantity_col,
        price_col=args.price_col,
        missing_ids=args.missing_ids,
        cancellations=args.cancellations or "raise",
        cancel_prefix=args.cancel_prefix,
        currency=currency,
        time_unit=args.time_unit,
        calibration_end=cal,
        observation_end=obs,
        model=args.model,
        horizon=args.horizon,
        annual_discount_rate=args.discount_rate,
        margin=args.margin,
        figures=not args.no_figures,
    )
    clock = time.perf_counter()
    say(f"reading {'the bundled CDNOW log' if args.input is None else args.input} ...")
    if args.engine == "dask":
        outputs = _dask_report(args, options, title, say, timings, clock)
    else:
        if args.input is None:
            tx = datasets.load_cdnow_transactions()
        else:
            tx = _read(args.input, options.customer_id_col, options.datetime_col)
        timings["reading"] = time.perf_counter() - clock
        say(
            f"reading done in {timings['reading']:.1f}s ({len(tx):,} rows; "
            f"imports {timings['imports']:.1f}s)"
        )
        outputs = build_report(tx, options, args.output, title=title, progress=say, spent=timings)
    say.finish()
    timings = outputs.timings
    print(title)
    for line in outputs.highlights:
        print(f"  - {line}")
    print(f"report: {outputs.html}  ({len(outputs.csv)} CSV files in {outputs.directory})")
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:3]
    print(
        f"done in {time.perf_counter() - started:.1f}s (slowest: "
        + ", ".join(f"{name} {secs:.1f}s" for name, secs in slowest)
        + ")"
    )
    return 0


def _dask_report(
    args: argparse.Namespace,
    options: Any,
    title: str,
    say: _Progress,
    timings: dict[str, float],
    clock: float,
) -> Any:
    """The report with the lines read, prepared and summarised on a dask cluster."""
    from crmkit.report import build_report
    from crmkit.report._dask_engine import cluster, input_files, read_parquet_lines

    if args.input is None:
        raise _ReadError(
            "--engine dask needs --input: Parquet files, a folder of them or a quoted glob "
            "such as 'folder/*.parquet'."
        )
    if args.workers < 1:
        raise _ReadError(f"--workers must be at least 1, got {args.workers}.")
    files = input_files(str(args.input))  # before a cluster starts: fail fast
    with cluster(args.scheduler, workers=args.workers, memory_limit=args.memory_limit):
        lines = read_parquet_lines(files, options)
        timings["reading"] = time.perf_counter() - clock
        where = args.scheduler or f"a local cluster of {args.workers} workers"
        say(
            f"reading done in {timings['reading']:.1f}s ({len(files):,} files, "
            f"{lines.npartitions:,} partitions "
            f"on {where}; imports {timings['imports']:.1f}s)"
        )
        return build_report(lines, options, args.output, title=title, progress=say, spent=timings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the crmkit command line and return the process exit status.

    Warnings are collected while the command runs and printed after its output (never
    before an error line; ``--quiet`` silences them). Any failure is one
    ``crmkit: error: ...`` line on stderr and exit status 2.
    """
    args = _parser().parse_args(argv)
    try:
        notes = _renamed_flags(args)
    except CrmkitError as exc:
        print(f"crmkit: error: {exc}", file=sys.stderr)
        return 2
    for note in notes if not args.quiet else []:
        print(note, file=sys.stderr)
    progress = _Progress(quiet=args.quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = _report(args, progress)
        except (CrmkitError, OSError, ValueError, ImportError, KeyError, EOFError) as exc:
            progress.finish()
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"crmkit: error: {message}", file=sys.stderr)
            return 2
    if not args.quiet:
        seen: set[str] = set()
        for w in caught:
            text = str(w.message).splitlines()[0]
            if text not in seen:
                seen.add(text)
                print(f"crmkit: warning: {text}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
