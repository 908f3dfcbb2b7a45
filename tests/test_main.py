"""The command-line entry point on the bundled data."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmkit.__main__ import main


@pytest.mark.slow
def test_report_on_bundled_cdnow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--output", str(tmp_path), "--no-figures", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "CDNOW (23,570 customers" in out
    assert "Pareto: top 20% of customers give" in out
    assert (tmp_path / "report.html").is_file()


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
