"""Complaint frames back into objects after CSV, Parquet and JSON: crmkit vs a lower bound.

Usage (from the repository root; well under a minute)::

    PYTHONPATH=src python benchmarks/bench_domain_io.py [--n 20000]

Builds ``--n`` complaints of three steps each (received, acknowledged, resolved; one
third of them in UTC+03:30, so the frame mixes zones) and times
``complaints_from_frame`` on the frame as ``complaints_to_frame`` returns it, and after a
CSV trip (read with every cell as text, the documented convention), a Parquet trip and
a JSON trip (``frame_to_json`` / ``frame_from_json``). The reading of the file itself is
not timed. There is no peer library for these objects; the lower bound is the time
pandas needs to parse the same CSV text's timestamp column into instants
(``pandas.to_datetime(..., utc=True)``), the one parse every reader needs. Ratios are
from one run on one machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time

import pandas as pd

from crmkit.domain import (
    Complaint,
    complaints_from_frame,
    complaints_to_frame,
    frame_from_json,
    frame_to_json,
)


def _complaints(n: int) -> list[Complaint]:
    utc, tehran = dt.UTC, dt.timezone(dt.timedelta(hours=3, minutes=30))
    t0 = dt.datetime(2024, 1, 1, tzinfo=utc)
    out = []
    for k in range(n):
        at = (t0 + dt.timedelta(minutes=17 * k)).astimezone(tehran if k % 3 == 0 else utc)
        c = Complaint.receive(
            complaint_id=f"K{k:07d}", customer_code=f"C{k % 997:05d}",
            item_code=f"P{k % 53:03d}", at=at, channel="phone",
        )  # fmt: skip
        c = c.advance("acknowledged", at=at + dt.timedelta(hours=2), channel="e-mail")
        out.append(c.advance("resolved", at=at + dt.timedelta(hours=30), note="fixed"))
    return out


def _time(fn: object, *args: object) -> float:
    start = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of complaints")
    n = parser.parse_args().n
    items = _complaints(n)
    frame = complaints_to_frame(items)
    csv_text = frame.to_csv(index=False)
    from_csv = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    buf = io.BytesIO()
    frame.to_parquet(buf)
    buf.seek(0)
    from_parquet = pd.read_parquet(buf)
    from_json = frame_from_json(frame_to_json(frame))
    assert complaints_from_frame(from_csv) == tuple(items)
    bound = _time(lambda s: pd.to_datetime(s, utc=True), from_csv["datetime"])
    rows = {
        "in memory": _time(complaints_from_frame, frame),
        "after CSV (text)": _time(complaints_from_frame, from_csv),
        "after Parquet": _time(complaints_from_frame, from_parquet),
        "after JSON": _time(complaints_from_frame, from_json),
    }
    print(f"{n} complaints, {len(frame)} step rows; lower bound (timestamps parsed) {bound:.3f} s")
    for name, secs in rows.items():
        print(f"  complaints_from_frame {name:<18} {secs:7.2f} s  ({secs / bound:6.1f} x bound)")


if __name__ == "__main__":
    main()
