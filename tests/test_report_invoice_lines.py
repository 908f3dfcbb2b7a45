"""``crmkit report`` on invoice lines: every headline number against a direct pandas count.

The fixture ``tests/data/report_invoice_lines.csv`` (written by
``tests/data/make_report_invoice_lines.py``) holds cancellations, lines without a
customer id, duplicates, free lines, purchases late on the last day and partial first
and last quarters. The expected numbers are computed here from the raw lines with plain
pandas, never from crmkit.
"""

from __future__ import annotations

import gzip
import html
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.__main__ import main
from crmkit.report import ReportOptions
from crmkit.report.pipeline import lapsed_customers, unit_price_warning

DATA = Path(__file__).parent / "data" / "report_invoice_lines.csv"
BASE = [
    "report", "--input", str(DATA), "--customer-id-col", "Customer ID",
    "--datetime-col", "InvoiceDate", "--invoice-col", "Invoice", "--quantity-col", "Quantity",
    "--price-col", "Price", "--missing-ids", "drop", "--cancellations", "exclude",
    "--cancel-prefix", "C", "--currency", "EUR",
]  # fmt: skip


def _expected(end: str | None = None) -> dict[str, float]:
    """The headline numbers from the raw lines, by hand."""
    raw = pd.read_csv(DATA, dtype={"Customer ID": "string", "Invoice": "string"})
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    lines = raw.dropna(subset=["Customer ID"])
    lines = lines.loc[~lines["Invoice"].str.startswith("C") & (lines["Quantity"] > 0)]
    lines = lines.loc[lines["Price"] > 0]
    if end is not None:
        lines = lines.loc[lines["InvoiceDate"] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    amount = lines["Quantity"] * lines["Price"]
    day = lines["InvoiceDate"].dt.normalize()
    invoices = amount.groupby([lines["Customer ID"], lines["Invoice"]]).sum()
    per_customer = invoices.groupby(level=0).agg(["size", "sum"])
    totals = np.sort(per_customer["sum"].clip(lower=0).to_numpy())[::-1]
    k = 0.2 * len(totals)
    whole = int(np.floor(k))
    top = totals[:whole].sum() + (k - whole) * (totals[whole] if whole < len(totals) else 0)
    return {
        "customers": float(len(per_customer)),
        "revenue": float(amount.sum()),
        "purchases": float(len(invoices)),
        "repeat_rate": float((per_customer["size"] >= 2).mean()),
        "per_purchase": float(amount.sum() / len(invoices)),
        "top20": float(top / totals.sum()),
        "last_day_rows": float((day == day.max()).sum()),
    }


def _number(text: str) -> float:
    value = float(re.sub(r"[^0-9.\-]", "", text))
    return value / 100 if text.strip().endswith("%") else value


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("invoice_report")
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([*BASE, "--output", str(out), "--no-figures"])
    assert code == 0, stderr.getvalue()
    return out, stdout.getvalue(), stderr.getvalue()


def _headline(out: Path) -> dict[str, str]:
    frame = pd.read_csv(out / "headline.csv", dtype=str)
    return dict(zip(frame["measure"], frame["value"], strict=True))


def test_headline_numbers_equal_a_direct_count(run: tuple[Path, str, str]) -> None:
    out, _, _ = run
    want = _expected()
    head = _headline(out)
    assert _number(head["customers"]) == want["customers"]
    assert _number(head["revenue (EUR)"]) == pytest.approx(want["revenue"], abs=0.006)
    assert _number(head["purchases (invoices)"]) == want["purchases"]
    assert _number(head["repeat-purchase rate (per invoice)"]) == pytest.approx(
        want["repeat_rate"], abs=0.0005
    )
    assert _number(head["revenue per purchase (per invoice, EUR)"]) == pytest.approx(
        want["per_purchase"], abs=0.006
    )
    assert _number(head["top 20% of customers' share of revenue"]) == pytest.approx(
        want["top20"], abs=0.0005
    )
    # unrounded values in the scorecard CSV
    card = pd.read_csv(out / "scorecard.csv").set_index("metric")["value"]
    assert card["repeat_purchase_rate"] == pytest.approx(want["repeat_rate"], rel=1e-12)
    assert card["revenue_per_purchase"] == pytest.approx(want["per_purchase"], rel=1e-12)


def test_html_csv_and_console_agree(run: tuple[Path, str, str]) -> None:
    out, console, _ = run
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    for measure, value in _headline(out).items():
        assert f"<dt>{measure}</dt><dd>{value}</dd>" in page
        assert f"  - {measure}: {value}" in console
    assert "per invoice" in page
    assert "EUR" in page


def test_every_day_is_inside_and_observation_end_is_a_whole_day(
    run: tuple[Path, str, str], tmp_path: Path
) -> None:
    out, _, _ = run
    want = _expected()
    assert want["last_day_rows"] > 0  # the fixture has purchases late on the last day
    quality = pd.read_csv(out / "data_quality.csv").set_index("check")["value"]
    assert quality["last purchase"] == "2024-05-20 21:30"
    # an explicit --observation-end on the last day keeps that day's evening purchases
    code = main([*BASE, "--output", str(tmp_path), "--no-figures", "--quiet",
                 "--observation-end", "2024-05-20"])  # fmt: skip
    assert code == 0
    assert _headline(tmp_path) == _headline(out)
    # one day earlier leaves that day out and says so
    code = main([*BASE, "--output", str(tmp_path / "e"), "--no-figures", "--quiet",
                 "--observation-end", "2024-05-19"])  # fmt: skip
    assert code == 0
    earlier = _expected("2024-05-19")
    head = _headline(tmp_path / "e")
    assert _number(head["purchases (invoices)"]) == earlier["purchases"]
    removed = pd.read_csv(tmp_path / "e" / "data_quality_removed.csv")
    assert removed["reason"].str.contains("after the observation end 2024-05-19").any()


def test_data_quality_accounts_for_every_line(run: tuple[Path, str, str]) -> None:
    out, _, _ = run
    raw = pd.read_csv(DATA, dtype={"Customer ID": "string", "Invoice": "string"})
    removed = pd.read_csv(out / "data_quality_removed.csv").set_index("reason")
    assert removed.loc["missing customer id", "rows"] == raw["Customer ID"].isna().sum()
    has_id = raw["Customer ID"].notna()
    cancels = raw["Invoice"].str.startswith("C") & has_id
    assert removed.loc["cancellation/return", "rows"] == cancels.sum()
    free = (raw["Price"] <= 0) & has_id & ~cancels
    assert removed.loc["non-positive price", "rows"] == free.sum()
    quality = pd.read_csv(out / "data_quality.csv").set_index("check")["value"]
    assert _number(quality["rows used"]) == len(raw) - removed["rows"].sum()


def test_counts_are_per_invoice_in_summary_tracking_and_holdout(
    run: tuple[Path, str, str],
) -> None:
    out, _, _ = run
    raw = pd.read_csv(DATA, dtype={"Customer ID": "string", "Invoice": "string"})
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    ok = raw["Customer ID"].notna() & ~raw["Invoice"].str.startswith("C") & (raw["Price"] > 0)
    inv = raw.loc[ok].groupby(["Customer ID", "Invoice"])["InvoiceDate"].min().reset_index()
    n_inv = inv.groupby("Customer ID").size()
    summary = pd.read_csv(out / "rfm_summary.csv", dtype={"customer_id": str})
    freq = summary.set_index("customer_id")["frequency"]
    assert (freq.reindex(n_inv.index) == n_inv - 1).all()
    # ids as in the file: no "13000.0"
    assert not summary["customer_id"].str.endswith(".0").any()

    quality = pd.read_csv(out / "data_quality.csv").set_index("check")["value"]
    cal_end = pd.Timestamp(quality["calibration end (holdout check)"]) + pd.Timedelta(days=1)
    first = inv.groupby("Customer ID")["InvoiceDate"].transform("min")
    cal_customers = set(inv.loc[first < cal_end, "Customer ID"])
    in_cal = inv["Customer ID"].isin(cal_customers)
    n_repeats = int(in_cal.sum()) - len(cal_customers)  # every invoice after each first
    tracking = pd.read_csv(out / "tracking.csv")
    assert tracking["actual"].sum() == n_repeats
    assert tracking["actual_cumulative"].iloc[-1] == n_repeats
    holdout = pd.read_csv(out / "holdout_per_customer.csv")
    in_holdout = in_cal & (inv["InvoiceDate"] >= cal_end)
    assert holdout["actual"].sum() == in_holdout.sum()


def test_one_clv_story_two_labelled_fits(run: tuple[Path, str, str]) -> None:
    out, _, _ = run
    cal = pd.read_csv(out / "clv_parameters_calibration.csv").set_index("parameter")
    full = pd.read_csv(out / "clv_parameters_full.csv").set_index("parameter")
    assert list(cal.index) == list(full.index) == ["r", "alpha", "a", "b"]
    assert not np.allclose(cal["estimate"], full["estimate"])
    from crmkit import clv

    summary = pd.read_csv(out / "rfm_summary.csv", index_col=0)
    table = pd.read_csv(out / "clv.csv", index_col=0)
    model = clv.BetaGeo(
        **{str(k): float(v) for k, v in full["estimate"].items()}, time_unit="W"
    )  # the printed ones
    np.testing.assert_allclose(
        model.probability_alive(summary), table["p_alive"].to_numpy(), rtol=1e-5
    )
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "Calibration fit (holdout check)" in page
    assert "Full-period fit (used for CLV, P(alive) and rankings)" in page


def test_user_facing_text_is_clean(run: tuple[Path, str, str]) -> None:
    out, _, _ = run
    page = (out / "report.html").read_text(encoding="utf-8")
    for internal in ("seed 0", "DOMAIN", "[003]", "section 3"):
        assert internal not in page
    assert "<th></th>" not in page  # no pandas index header cells
    assert not re.search(r"\d\.000<", page)  # counts are integers
    assert "Metrics that need more data" not in page
    stages = pd.read_csv(out / "lifecycle_stages.csv")
    assert stages["lapsed"].any()


def test_lapsed_rule() -> None:
    summary = pd.DataFrame(
        {"frequency": [0.0, 4.0, 4.0], "recency": [0.0, 20.0, 40.0], "T": [14.0, 60.0, 52.0]}
    )
    # idle weeks: 14 (98 days > 90), 40 (280 days > max(90, 3 * 35)), 12 (84 days)
    assert lapsed_customers(summary, "W").tolist() == [True, True, False]


def test_unit_price_warning() -> None:
    lines = pd.DataFrame(
        {
            "StockCode": [f"P{i % 6}" for i in range(60)],
            "Quantity": [1 + (i % 4) for i in range(60)],
            "Price": [2.0 + i % 6 for i in range(60)],
        }
    )
    opts = ReportOptions(customer_id_col="c", datetime_col="d", amount_col="Price")
    message = unit_price_warning(lines, opts)
    assert message is not None
    assert "--quantity-col Quantity --price-col Price" in message
    totals = lines.assign(Total=lines["Quantity"] * lines["Price"])
    opts = ReportOptions(customer_id_col="c", datetime_col="d", amount_col="Total")
    assert unit_price_warning(totals, opts) is None


def _one_error_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    lines = capsys.readouterr().err.splitlines()
    # progress lines of finished phases may come first; then exactly one error line
    progress = re.compile(r".+ done in \d+\.\ds( \(.*\))?")
    assert all(progress.fullmatch(line) for line in lines[:-1]), lines
    err = lines[-1] + "\n"
    assert err.startswith("crmkit: error: ")
    assert "Traceback" not in err
    return err


def test_error_paths_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = ["--output", str(tmp_path / "o"), "--no-figures"]
    # a truncated .csv.gz
    whole = gzip.compress(DATA.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    err = _one_error_line(capsys, *BASE[:2], str(cut), *BASE[3:], *out)
    assert "truncated" in err
    # rows without an id and no --missing-ids drop
    no_drop = [a for a in BASE if a not in ("--missing-ids", "drop")]
    err = _one_error_line(capsys, *no_drop, *out)
    assert "--missing-ids drop" in err
    # the unit-price warning never precedes the error line
    err = _one_error_line(
        capsys, "report", "--input", str(DATA), "--customer-id-col", "Customer ID",
        "--datetime-col", "InvoiceDate", "--amount-col", "Price", *out,
    )  # fmt: skip
    assert "--missing-ids drop" in err
    # cancellations without --cancellations
    err = _one_error_line(
        capsys, "report", "--input", str(DATA), "--customer-id-col", "Customer ID",
        "--datetime-col", "InvoiceDate", "--invoice-col", "Invoice", "--quantity-col",
        "Quantity", "--price-col", "Price", "--missing-ids", "drop", *out,
    )  # fmt: skip
    assert "--cancellations exclude" in err
    # Parquet without pyarrow names the extra
    parquet = tmp_path / "lines.parquet"
    parquet.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    err = _one_error_line(capsys, "report", "--input", str(parquet), *out)
    assert 'pip install "crmkit[parquet]"' in err


def test_unit_price_warning_printed_after_output_and_quiet_silences_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "report", "--input", str(DATA), "--customer-id-col", "Customer ID",
        "--datetime-col", "InvoiceDate", "--amount-col", "Price", "--missing-ids", "drop",
        "--cancellations", "exclude", "--cancel-prefix", "C", "--invoice-col", "Invoice",
        "--output", str(tmp_path), "--no-figures",
    ]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "crmkit: warning: --amount-col 'Price' looks like a unit price" in captured.err
    assert "looks like a unit price" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert main([*args, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_figures_show_the_reported_data(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert main([*BASE, "--output", str(tmp_path), "--quiet"]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 8
    assert "Cumulative repeat purchases of the calibration customers, per invoice" in page


@pytest.mark.slow
def test_online_retail_ii_headline_equals_pandas(
    shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lead's acceptance run: Online Retail II, per invoice, against plain pandas."""
    path = shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    args = [
        "report", "--input", str(path), "--customer-id-col", "Customer ID",
        "--datetime-col", "InvoiceDate", "--invoice-col", "Invoice", "--quantity-col",
        "Quantity", "--price-col", "Price", "--missing-ids", "drop", "--cancellations", "exclude",
        "--cancel-prefix", "C", "--currency", "GBP", "--output", str(tmp_path),
        "--no-figures", "--quiet",
    ]  # fmt: skip
    assert main(args) == 0
    console = capsys.readouterr().out
    raw = pd.read_csv(path, dtype={"Customer ID": "string", "Invoice": "string"})
    lines = raw.dropna(subset=["Customer ID"])
    lines = lines.loc[~lines["Invoice"].str.startswith("C") & (lines["Quantity"] > 0)]
    lines = lines.loc[lines["Price"] > 0]
    amount = lines["Quantity"] * lines["Price"]
    invoices = amount.groupby([lines["Customer ID"], lines["Invoice"]]).sum()
    per_customer = invoices.groupby(level=0).agg(["size", "sum"])
    totals = np.sort(per_customer["sum"].to_numpy())[::-1]
    k = 0.2 * len(totals)
    top = totals[: int(k)].sum() + (k - int(k)) * totals[int(k)]
    head = _headline(tmp_path)
    assert _number(head["customers"]) == len(per_customer)
    assert _number(head["revenue (GBP)"]) == pytest.approx(amount.sum(), abs=0.006)
    assert _number(head["purchases (invoices)"]) == len(invoices)
    assert _number(head["repeat-purchase rate (per invoice)"]) == pytest.approx(
        (per_customer["size"] >= 2).mean(), abs=0.0005
    )
    assert _number(head["revenue per purchase (per invoice, GBP)"]) == pytest.approx(
        amount.sum() / len(invoices), abs=0.006
    )
    assert _number(head["top 20% of customers' share of revenue"]) == pytest.approx(
        top / totals.sum(), abs=0.0005
    )
    quality = pd.read_csv(tmp_path / "data_quality.csv").set_index("check")["value"]
    assert quality["last purchase"] == "2010-12-09 20:01"
    for measure, value in head.items():
        assert f"  - {measure}: {value}" in console


def test_returns_net_and_parquet_input(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    raw = pd.read_csv(DATA, dtype={"Invoice": "string"})
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    raw["Customer ID"] = raw["Customer ID"].astype("float64")  # as a spreadsheet export
    path = tmp_path / "lines.parquet"
    raw.to_parquet(path)
    args = [a if a != str(DATA) else str(path) for a in BASE]
    args = [a if a != "exclude" else "net" for a in args]
    assert main([*args, "--output", str(tmp_path / "o"), "--no-figures", "--quiet"]) == 0
    summary = pd.read_csv(tmp_path / "o" / "rfm_summary.csv", dtype={"customer_id": str})
    assert not summary["customer_id"].str.endswith(".0").any()  # 13000, not 13000.0
    removed = pd.read_csv(tmp_path / "o" / "data_quality_removed.csv")
    assert "cancellation/return" not in set(removed["reason"])  # netted, not removed
    head = _headline(tmp_path / "o")
    lines = raw.dropna(subset=["Customer ID"])
    lines = lines.loc[lines["Price"] > 0]
    net = float((lines["Quantity"] * lines["Price"]).sum())
    dropped = removed.set_index("reason")["revenue"]
    netted_out = float(dropped.drop(index=["missing customer id"], errors="ignore").sum())
    assert _number(head["revenue (EUR)"]) == pytest.approx(net - netted_out, abs=0.006)


def test_fit_warnings_are_shown_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from crmkit import clv
    from crmkit.exceptions import BoundaryWarning

    original = clv.BetaGeo.fit.__func__  # type: ignore[attr-defined]

    def fit_with_warning(cls: type, /, *args: object, **kwargs: object) -> object:
        warnings.warn("a = 0 at the boundary (test)", BoundaryWarning, stacklevel=2)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(clv.BetaGeo, "fit", classmethod(fit_with_warning))
    assert main([*BASE, "--output", str(tmp_path), "--no-figures", "--quiet"]) == 0
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Calibration fit: a = 0 at the boundary (test)" in page
    assert "Full-period fit: a = 0 at the boundary (test)" in page


def test_forecast_leaves_out_revenue_when_spend_draws_have_no_mean(tmp_path: Path) -> None:
    # with returns netted, this file's Gamma-Gamma fit has q close to 1: some of its
    # parameter draws have q <= 1 (infinite mean spend), so the report forecasts purchases
    # with intervals and says why revenue is left out, instead of failing
    args = [a if a != "exclude" else "net" for a in BASE]
    assert main([*args, "--output", str(tmp_path), "--no-figures", "--quiet"]) == 0
    band = pd.read_csv(tmp_path / "forecast.csv", index_col=0)
    assert "spend" not in band.columns
    assert (band["purchases_lower"] <= band["purchases_upper"]).all()
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Revenue is not forecast" in page
    assert "infinite mean spend" in page
