"""The report says what it is doing and where the time went: progress and timings."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.__main__ import _Progress, main
from crmkit.report import ReportOptions, build_report


@pytest.fixture(scope="module")
def sample_tx() -> pd.DataFrame:
    return datasets.load_cdnow_transactions(sample=True).drop(columns="sample_id")


def test_timings_cover_every_phase_and_the_wall_clock(
    sample_tx: pd.DataFrame, tmp_path: Path
) -> None:
    messages: list[str] = []
    opts = ReportOptions(calibration_end=datasets.CDNOW_CALIBRATION_END, figures=False)
    started = time.perf_counter()
    out = build_report(
        sample_tx, opts, tmp_path, progress=messages.append, spent={"reading": 0.25}
    )
    wall = time.perf_counter() - started
    names = list(out.timings)
    assert names[:2] == ["reading", "data preparation"]
    assert names[-1] == "headline and page"
    assert "plotting set-up" not in names  # figures=False
    measured = sum(v for k, v in out.timings.items() if k != "reading")
    assert measured <= wall
    assert measured >= 0.9 * wall  # nothing of substance runs untimed
    steps = [m for m in messages if m.endswith(" ...")]
    assert steps[0] == "[1/7] data preparation ..."
    assert steps[-1] == "[7/7] success metrics ..."
    assert len(steps) == 7
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<dt>reading</dt><dd>0.25</dd>" in html


def test_cli_prints_plain_progress_lines_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--output", str(tmp_path), "--no-figures"]) == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert re.fullmatch(r"reading done in \d+\.\ds \(69,659 rows; imports \d+\.\ds\)", err[0])
    assert "\r" not in captured.err
    assert not any(e.endswith(" ...") for e in err)  # only finished phases off a terminal
    assert any(re.fullmatch(r"\[3/7\] RFM summary and segments done in \d+\.\ds", e) for e in err)
    done = captured.out.splitlines()[-1]
    assert re.fullmatch(r"done in \d+\.\ds \(slowest: .+ \d+\.\ds\)", done)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    bar = _Progress(quiet=False)
    bar("[1/4] data preparation ...")
    bar("[1/4] data preparation done in 0.2s")
    bar("[2/4] RFM summary ...")
    bar.finish()
    text = term.getvalue()
    frames = text.split("\r")[1:]
    assert frames[0].startswith("[" + " " * 20 + "] 1/4 data preparation ...")
    assert frames[1].startswith("[#####" + " " * 15 + "] 1/4 data preparation done")
    assert frames[2].rstrip().endswith("2/4 RFM summary ...")
    assert text.endswith("\n")
    assert bar.messages[-1] == "[2/4] RFM summary ..."


def test_quiet_progress_prints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    bar = _Progress(quiet=True)
    bar("[1/4] data preparation ...")
    bar.finish()
    assert term.getvalue() == ""
