"""``crmkit report --model auto``: the model chosen by the holdout comparison, and why."""

from __future__ import annotations

import contextlib
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit import datasets
from crmkit.__main__ import main
from crmkit.exceptions import InvalidValueError
from crmkit.report import ReportOptions, build_report

TITLES = {"BetaGeo": "BG/NBD", "ModifiedBetaGeo": "MBG/NBD", "ParetoNBD": "Pareto/NBD"}
INVOICE_LINES = Path(__file__).parent / "data" / "report_invoice_lines.csv"
INVOICE_ARGS = [
    "--customer-id-col", "Customer ID", "--datetime-col", "InvoiceDate", "--invoice-col",
    "Invoice", "--quantity-col", "Quantity", "--price-col", "Price", "--missing-ids", "drop",
    "--cancellations", "exclude", "--cancel-prefix", "C",
]  # fmt: skip


def _assert_rule_holds(table: pd.DataFrame) -> str:
    """The default rule, recomputed from the saved table: returns the chosen model."""
    ranked = table.loc[table["rank"] > 0]
    near = ranked.loc[ranked["mae"] <= ranked["mae"].min() * 1.01 + 1e-12]
    chosen = str(near["bic"].idxmin())
    assert table.index[0] == chosen
    assert table.loc[chosen, "rank"] == 1
    return chosen


def _run(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    return code, out.getvalue()


def test_auto_on_cdnow_picks_the_best_holdout_model(tmp_path: Path, reference_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    tx = datasets.load_cdnow_transactions(sample=True).drop(columns="sample_id")
    opts = ReportOptions(
        calibration_end=datasets.CDNOW_CALIBRATION_END,
        observation_end=datasets.CDNOW_OBSERVATION_END,
        model="auto",
        figures=True,
    )
    result = build_report(tx, opts, tmp_path, progress=lambda message: None)
    table = pd.read_csv(tmp_path / "model_comparison.csv", index_col="model")
    # lifetimes' own holdout MAEs on the same 39 + 39 weeks order the three models
    ref = json.loads((reference_dir / "clv_compare_lifetimes.json").read_text("utf-8"))
    maes = {TITLES[name]: m["mae"] for name, m in ref["models"].items()}
    classic = [t for t in table.index if "CNBD" not in t]
    assert classic == sorted(maes, key=maes.__getitem__)
    for title, mae in maes.items():
        assert table.loc[title, "mae"] == pytest.approx(mae, rel=1e-4)
    # BTYDplus' demo/cdnow.R: "k=1 -> no regularity detected for CDNow"; at k = 1 the
    # regularity models are BG/NBD and MBG/NBD, one BIC parameter (k) behind them
    for twin, title in (("BG/CNBD-1", "BG/NBD"), ("MBG/CNBD-1", "MBG/NBD")):
        assert table.loc[twin, "mae"] == pytest.approx(table.loc[title, "mae"], rel=1e-6)
        assert table.loc[twin, "bic"] > table.loc[title, "bic"]
        assert list(table.index).index(twin) == list(table.index).index(title) + 1
    assert _assert_rule_holds(table) == "Pareto/NBD"
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Customer lifetime value (Pareto/NBD + Gamma-Gamma)" in page
    assert "Model choice (--model auto)" in page
    assert "The fits chose k = 1 (BG/CNBD-k), k = 1 (MBG/CNBD-k)" in page
    reason = (
        "Pareto/NBD was chosen: it has the lowest holdout MAE per customer (0.7545; next "
        "MBG/NBD 0.7648)."
    )
    assert reason in page
    assert f"model choice: {reason}" in result.highlights
    assert "each model's calibration fit" in page  # the comparison figure's caption
    params = pd.read_csv(tmp_path / "clv_parameters_calibration.csv", index_col=0)
    assert params.index.tolist() == ["r", "alpha", "s", "beta"]
    assert params.loc["r", "estimate"] == pytest.approx(
        ref["models"]["ParetoNBD"]["params"]["r"], rel=1e-3
    )


def test_auto_on_invoice_lines_from_the_command_line(tmp_path: Path) -> None:
    args = ["report", "--input", str(INVOICE_LINES), *INVOICE_ARGS, "--model", "auto"]
    code, console = _run([*args, "--output", str(tmp_path), "--no-figures"])
    assert code == 0
    table = pd.read_csv(tmp_path / "model_comparison.csv", index_col="model")
    classic = sorted(t for t in table.index if "CNBD" not in t)
    assert classic == ["BG/NBD", "MBG/NBD", "Pareto/NBD"]
    assert len(table) == 5  # and BG/CNBD-k, MBG/CNBD-k with their chosen k
    chosen = _assert_rule_holds(table)
    line = next(s for s in console.splitlines() if s.startswith("  - model choice: "))
    assert line.startswith(f"  - model choice: {chosen} was chosen: ")
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert f"Customer lifetime value ({chosen} + Gamma-Gamma)" in page
    assert line.removeprefix("  - model choice: ") in page


def test_auto_shows_fits_that_end_at_a_limit(tmp_path: Path) -> None:
    """Every customer drops out with p = 0.3 after each purchase: the BG-type fits end at
    the fixed-p limit; the comparison keeps them, with the limit named as their status."""
    rng = np.random.default_rng(5)
    ids, weeks = [], []
    for i in range(1500):
        t = rng.uniform(0.0, 52.0)
        lam = rng.gamma(0.8, 1.0 / 6.0)
        ids.append(i)
        weeks.append(t)
        for _ in range(1000):  # bounded: stops at the dropout or the end of 2021
            t += rng.exponential(1.0 / lam)
            if t > 104.0:
                break
            ids.append(i)
            weeks.append(t)
            if rng.random() < 0.3:
                break
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.array(weeks) * 7, unit="D"),
            "dollar_value": rng.gamma(3.0, 10.0, len(ids)).round(2),
        }
    )
    opts = ReportOptions(
        calibration_end="2021-06-30", observation_end="2021-12-31", model="auto", figures=False
    )
    build_report(tx, opts, tmp_path, progress=lambda message: None)
    table = pd.read_csv(tmp_path / "model_comparison.csv", index_col="model")
    assert "every customer has the same dropout probability" in table.loc["BG/NBD", "status"]
    assert (table["rank"] > 0).all()  # a limit fit is a model: ranked, not dropped
    _assert_rule_holds(table)


def _regular_log(k: int, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Daily purchases of MBG/CNBD-k customers: Erlang-k gaps (rate lambda ~ Gamma(3, 3)
    per week, so about one purchase a week at k = 3), dropout p ~ Beta(1, 9) at the
    first and after each purchase, first purchases in 2020Q1, observed to 2021-12-31."""
    ids, days = [], []
    for i in range(n):
        t = rng.uniform(0.0, 13.0)
        lam = rng.gamma(3.0, 1.0 / 3.0) * k
        p = rng.beta(1.0, 9.0)
        for _ in range(500):  # bounded: at most 500 purchases
            ids.append(i)
            days.append(np.floor(t * 7.0))
            if rng.random() < p:
                break
            t += rng.gamma(k, 1.0 / lam)
            if t * 7.0 >= 731.0:
                break
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D"),
            "dollar_value": rng.gamma(3.0, 10.0, len(ids)).round(2),
        }
    ).drop_duplicates(["customer_id", "date"])


def test_auto_picks_a_regularity_model_on_regular_buyers(tmp_path: Path) -> None:
    tx = _regular_log(3, 800, np.random.default_rng(11))
    opts = ReportOptions(
        calibration_end="2020-12-31", observation_end="2021-12-31", model="auto", figures=False
    )
    result = build_report(tx, opts, tmp_path, progress=lambda message: None)
    table = pd.read_csv(tmp_path / "model_comparison.csv", index_col="model")
    chosen = _assert_rule_holds(table)
    assert chosen == "MBG/CNBD-3"
    assert table.loc["MBG/CNBD-3", "n_params"] == 5  # k counts
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Customer lifetime value (MBG/CNBD-3 + Gamma-Gamma)" in page
    assert any(h.startswith("model choice: MBG/CNBD-3 was chosen: ") for h in result.highlights)
    full = pd.read_csv(tmp_path / "clv_parameters_full.csv", index_col=0)
    assert full.index.tolist() == ["r", "alpha", "a", "b"]


def test_auto_is_an_option_and_bgnbd_stays_the_default() -> None:
    assert ReportOptions().model == "bgnbd"
    assert ReportOptions(model="auto").model == "auto"
    with pytest.raises(InvalidValueError, match="auto"):
        ReportOptions(model="best")  # type: ignore[arg-type]


@pytest.mark.slow  # Online Retail II, 4,312 customers: the whole report, 30-50 s on 2 cores
def test_auto_on_online_retail_ii_says_why(shared_datasets: Path, tmp_path: Path) -> None:
    path = shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    args = ["report", "--input", str(path), *INVOICE_ARGS, "--currency", "GBP"]
    code, console = _run([*args, "--model", "auto", "--output", str(tmp_path), "--no-figures"])
    assert code == 0
    table: Any = pd.read_csv(tmp_path / "model_comparison.csv", index_col="model")
    # 24 calibration customers have two invoices in one minute: taken as half a minute
    # apart, which an Erlang-k with k > 1 finds very unlikely; both fits choose k = 1
    assert sorted(table.index) == ["BG/CNBD-1", "BG/NBD", "MBG/CNBD-1", "MBG/NBD", "Pareto/NBD"]
    text = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    note = "24 customers have two occasions at the same recorded instant (the timestamps are "
    assert f"{note}to the minute)" in text
    assert (table["rank"] > 0).all()
    chosen = _assert_rule_holds(table)
    line = next(s for s in console.splitlines() if s.startswith("  - model choice: "))
    assert line.startswith(f"  - model choice: {chosen} was chosen: ")
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert line.removeprefix("  - model choice: ") in page
    assert f"Customer lifetime value ({chosen} + Gamma-Gamma)" in page


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_same_instant_gaps_are_half_the_timestamps_resolution(unit: str) -> None:
    from crmkit.report._model_choice import _step, _sums

    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "datetime": pd.to_datetime(
                [
                    "2010-01-01 10:00",
                    "2010-01-01 10:00",
                    "2010-01-08 10:00",
                    "2010-01-03 09:00",
                    "2010-01-02 12:00",
                    "2010-01-04 12:30",
                ]
            ).as_unit(unit),
        }
    )
    end = pd.Timestamp("2010-01-31")
    step = int(_step(tx, end).iloc[0])
    assert step == 60  # every timestamp is a whole minute, not a whole hour
    out = _sums(tx, end, "D", step)
    half_minute = 30.0 / 86_400.0
    assert out.loc[1, "log_interval_sum"] == pytest.approx(np.log(half_minute) + np.log(7.0))
    assert out.loc[2, "log_interval_sum"] == 0.0  # one occasion: no gap
    assert out.loc[3, "log_interval_sum"] == pytest.approx(np.log(2.0 + 0.5 / 24.0))
    assert out["same_instant"].tolist() == [True, False, False]
