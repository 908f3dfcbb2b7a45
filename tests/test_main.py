"""The command-line entry point."""

from __future__ import annotations

import pytest

from crmkit.__main__ import main


def test_report_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "23,570 customers" in out


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
