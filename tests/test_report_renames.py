"""The report's crmkit 0.1 names keep working for one release, with a warning.

``ReportOptions(monetary_col=, returns=)`` became ``amount_col=`` and ``cancellations=``
(read back under the old names with a warning), the command's ``--monetary-col`` and
``--returns`` became ``--amount-col`` and ``--cancellations``, and
``lapsed_customers(unit=)`` became ``time_unit=``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmkit.__main__ import main
from crmkit.report import ReportOptions
from crmkit.report.pipeline import lapsed_customers

DATA = Path(__file__).parent / "data" / "report_invoice_lines.csv"


def test_old_option_names_build_the_same_options() -> None:
    new = ReportOptions(amount_col="amt", cancellations="net")
    with pytest.warns(DeprecationWarning, match=r"ReportOptions\(monetary_col=\.\.\.\)"):
        old = ReportOptions(monetary_col="amt", cancellations="net")
    assert old == new
    with pytest.warns(DeprecationWarning, match=r"pass cancellations=\.\.\. instead"):
        assert ReportOptions(amount_col="amt", returns="net") == new


def test_old_attribute_names_read_with_a_warning() -> None:
    options = ReportOptions(amount_col="amt", cancellations="exclude")
    with pytest.warns(DeprecationWarning, match=r"read \.amount_col instead"):
        assert options.monetary_col == "amt"
    with pytest.warns(DeprecationWarning, match=r"read \.cancellations instead"):
        assert options.returns == "exclude"


def test_old_and_new_name_together_is_an_error() -> None:
    with pytest.raises(TypeError, match="pass only amount_col"):
        ReportOptions(monetary_col="a", amount_col="b")


def test_cancellations_is_checked() -> None:
    with pytest.raises(ValueError, match="cancellations"):
        ReportOptions(cancellations="keep")  # type: ignore[arg-type]


def test_lapsed_customers_old_keyword() -> None:
    summary = pd.DataFrame({"frequency": [0.0, 4.0], "recency": [0.0, 20.0], "T": [14.0, 60.0]})
    new = lapsed_customers(summary, time_unit="W")
    with pytest.warns(DeprecationWarning, match=r"pass time_unit=\.\.\. instead"):
        old = lapsed_customers(summary, unit="W")  # type: ignore[call-arg]
    assert old.equals(new)


def test_old_flags_still_work_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = [
        "report", "--input", str(DATA), "--customer-id-col", "Customer ID",
        "--datetime-col", "InvoiceDate", "--invoice-col", "Invoice", "--quantity-col",
        "Quantity", "--price-col", "Price", "--missing-ids", "drop", "--cancel-prefix", "C",
        "--no-figures",
    ]  # fmt: skip
    assert main([*common, "--returns", "exclude", "--output", str(tmp_path / "old")]) == 0
    err = capsys.readouterr().err
    assert "crmkit: warning: --returns is deprecated" in err
    assert "pass --cancellations instead" in err
    assert main([*common, "--cancellations", "exclude", "--output", str(tmp_path / "new")]) == 0
    assert "deprecated" not in capsys.readouterr().err
    old = pd.read_csv(tmp_path / "old" / "data_quality.csv")
    assert old.equals(pd.read_csv(tmp_path / "new" / "data_quality.csv"))


def test_old_money_flag(capsys: pytest.CaptureFixture[str]) -> None:
    missing = "no-such-file.csv"
    assert main(["report", "--input", missing, "--monetary-col", "amount"]) == 2
    err = capsys.readouterr().err
    assert "crmkit: warning: --monetary-col is deprecated" in err
    assert "pass --amount-col instead" in err
    both = ["report", "--monetary-col", "a", "--amount-col", "b"]
    assert main(both) == 2
    assert "--monetary-col and --amount-col both given" in capsys.readouterr().err
