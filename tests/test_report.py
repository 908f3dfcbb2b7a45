"""The report pipeline and the ``crmkit report`` command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit import clv, datasets, pareto
from crmkit.__main__ import main
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.report import ReportOptions, build_report
from crmkit.transactions import calibration_and_holdout, rfm_summary


@pytest.fixture(scope="module")
def sample_tx() -> pd.DataFrame:
    return datasets.load_cdnow_transactions(sample=True).drop(columns="sample_id")


@pytest.fixture(scope="module")
def report(
    sample_tx: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("report")
    opts = ReportOptions(
        calibration_end=datasets.CDNOW_CALIBRATION_END,
        observation_end=datasets.CDNOW_OBSERVATION_END,
        figures=True,
    )
    messages: list[str] = []
    result = build_report(sample_tx, opts, out, progress=messages.append)
    assert any("done in" in m for m in messages)
    return out, result


def test_report_writes_html_and_csv(report: tuple[Path, object]) -> None:
    out, _ = report
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in (
        "Data and data quality",
        "RFM summary and segments",
        "Pareto concentration of revenue",
        "Lifecycle stages and cohorts",
        "Customer lifetime value",
        "CRM success metrics",
    ):
        assert section in html
    assert html.count("data:image/png;base64,") >= 8
    for name in ("clv", "rfm_summary", "rfm_segments", "pareto_abc", "cohort_retention"):
        assert (out / f"{name}.csv").is_file()
    clv_table = pd.read_csv(out / "clv.csv", index_col=0)
    assert len(clv_table) == 2357
    assert (clv_table["p_alive"].between(0, 1)).all()
    assert (clv_table["clv"] >= 0).all()


def test_report_numbers_come_from_library_calls(
    report: tuple[Path, object], sample_tx: pd.DataFrame
) -> None:
    out, result = report
    tx = sample_tx.rename(columns={"date": "datetime", "dollar_value": "monetary"})
    summary = rfm_summary(
        tx,
        amount_col="monetary",
        observation_end=datasets.CDNOW_OBSERVATION_END,
        time_unit="W",
        period="D",
        totals=True,
        non_positive="keep",
    )
    share = pareto.top_share(summary["total_spend"].clip(lower=0).to_numpy(), 0.2)
    assert any(f"{share:.1%}" in line for line in result.highlights)  # type: ignore[attr-defined]

    split = calibration_and_holdout(
        tx,
        calibration_end=datasets.CDNOW_CALIBRATION_END,
        observation_end=datasets.CDNOW_OBSERVATION_END,
        amount_col="monetary",
        time_unit="W",
        period="D",
        non_positive="keep",
    )
    fit = clv.BetaGeo.fit(split)
    params = pd.read_csv(out / "clv_parameters_calibration.csv", index_col=0)
    np.testing.assert_allclose(params["estimate"].to_numpy(), fit.estimates, rtol=1e-6)
    # the calibration summary is the published one, so the estimates are FHL 2005's
    np.testing.assert_allclose(fit.estimates, [0.243, 4.414, 0.793, 2.426], rtol=0.0, atol=6e-4)


def test_report_rejects_bad_input(sample_tx: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(MissingColumnsError, match="dollar_value"):
        build_report(sample_tx.drop(columns="dollar_value"), ReportOptions(), tmp_path)
    with pytest.raises(InvalidValueError, match="calibration_end"):
        build_report(sample_tx, ReportOptions(calibration_end="2001-01-01"), tmp_path)
    with pytest.raises(InvalidValueError, match="model="):
        ReportOptions(model="bg")  # type: ignore[arg-type]  # deliberate misuse
    with pytest.raises(InvalidValueError, match="margin"):
        ReportOptions(margin=0.0)


def test_cli_on_user_csv(
    sample_tx: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.csv"
    sample_tx.rename(columns={"customer_id": "cid", "date": "when", "dollar_value": "amt"}).to_csv(
        path, index=False
    )
    code = main(
        [
            "report", "--input", str(path), "--customer-id-col", "cid", "--datetime-col", "when",
            "--amount-col", "amt", "--output", str(tmp_path / "out"), "--no-figures", "--quiet",
            "--calibration-end", "1997-09-30",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "report:" in captured.out
    assert "holdout by calibration frequency: largest gap at" in captured.out
    assert (tmp_path / "out" / "holdout_by_frequency.csv").is_file()
    assert (tmp_path / "out" / "report.html").is_file()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--input", str(tmp_path / "missing.csv"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crmkit: error: no such file")
    assert "Traceback" not in err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["report", "--input", str(bad), "--quiet", "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "missing column(s)" in err
    other = tmp_path / "data.xlsx"
    other.write_bytes(b"\x00")
    assert main(["report", "--input", str(other), "--quiet"]) == 2
    assert "use a .csv" in capsys.readouterr().err


def test_report_shows_holdout_by_calibration_frequency(
    report: tuple[Path, object], sample_tx: pd.DataFrame
) -> None:
    out, result = report
    tx = sample_tx.rename(columns={"date": "datetime", "dollar_value": "monetary"})
    split = calibration_and_holdout(
        tx,
        calibration_end=datasets.CDNOW_CALIBRATION_END,
        observation_end=datasets.CDNOW_OBSERVATION_END,
        time_unit="W",
        period="D",
    )  # CDNOW has one occasion per customer-day: the report's counts are these
    expected = clv.holdout_by_frequency(clv.BetaGeo.fit(split), split).table
    saved = pd.read_csv(out / "holdout_by_frequency.csv", index_col=0, dtype={"frequency": str})
    assert saved.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert saved["n_customers"].tolist() == expected["n_customers"].tolist()
    np.testing.assert_allclose(saved["actual"], expected["actual"], rtol=1e-12)
    np.testing.assert_allclose(saved["predicted"], expected["predicted"], rtol=1e-6)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "per customer by calibration frequency" in html
    assert "Mean holdout purchases" in html  # the figure's caption
    assert any(  # the console's highlights
        line.startswith("BG/NBD holdout by calibration frequency: largest gap at")
        for line in result.highlights  # type: ignore[attr-defined]
    )


def _one_dropout_probability_log(n: int, p: float, seed: int) -> pd.DataFrame:
    """A transaction log where every customer drops out with the same probability p after
    each repeat purchase (BG/NBD with a point mass at p; weekly Poisson purchasing with a
    gamma-distributed rate), first purchases spread over 2020, observed to 2021-12-31."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(0.0, 52.0, n)
    lam = rng.gamma(0.8, 1.0 / 6.0, n)
    ids, weeks = [], []
    for i in range(n):
        t = first[i]
        ids.append(i)
        weeks.append(t)
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > 104.0:
                break
            ids.append(i)
            weeks.append(t)
            if rng.random() < p:
                break
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.array(weeks) * 7.0, unit="D"),
            "dollar_value": rng.gamma(3.0, 10.0, len(ids)).round(2),
        }
    )


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_report_on_one_dropout_probability_names_the_limit(model: str, tmp_path: Path) -> None:
    """The fits end on the fixed-p limit (a, b -> infinity): the report used to run for
    minutes with no output there; now it finishes in seconds and states the limit."""
    tx = _one_dropout_probability_log(3000, 0.3, seed=2)
    opts = ReportOptions(
        calibration_end="2021-06-30", observation_end="2021-12-31", model=model, figures=False
    )
    build_report(tx, opts, tmp_path, progress=lambda message: None)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # the calibration and the full-period fit both name the limit
    assert html.count("every customer has the same dropout probability") >= 2
    # the fit at the limit has no standard errors: the forecast is the limit model's,
    # stated without an interval rather than failing on the parameter draws
    assert "No intervals: the purchase model&#x27;s fit ended at a limit" in html
    saved = pd.read_csv(tmp_path / "forecast.csv")
    assert "purchases_lower" not in saved.columns
    assert np.isfinite(saved["purchases"]).all()
    assert (saved["purchases"] > 0).all()


def test_report_forecasts_the_next_12_months_with_intervals(
    report: tuple[Path, object], sample_tx: pd.DataFrame
) -> None:
    out, result = report
    band = pd.read_csv(out / "forecast.csv", index_col=0)
    assert band.index.tolist() == [str(p) for p in pd.period_range("1998-07", "1999-06", freq="M")]
    assert (band["purchases_lower"] <= band["purchases"]).all()
    assert (band["purchases"] <= band["purchases_upper"]).all()
    assert (band["spend_lower"] < band["spend_upper"]).all()
    # the point forecast is the library's, from the full-period summary and fit
    tx = sample_tx.rename(columns={"date": "datetime", "dollar_value": "monetary"})
    summary = rfm_summary(
        tx,
        amount_col="monetary",
        observation_end=datasets.CDNOW_OBSERVATION_END,
        time_unit="W",
        period="D",
        non_positive="keep",
    )
    fit = clv.BetaGeo.fit(summary)
    point = clv.forecast_purchases(
        fit.model, summary, observation_end="1998-07-01", horizon=12, period="M"
    )
    np.testing.assert_allclose(band["purchases"], point.table["total"], rtol=1e-6)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Forecast: the next 12 months" in html
    assert any("forecast, next 12 months" in h for h in result.highlights)  # type: ignore[attr-defined]


def test_forecast_prices_repeat_buyers_without_positive_spend(
    sample_tx: pd.DataFrame, tmp_path: Path
) -> None:
    # five repeat buyers whose every purchase was free: Gamma-Gamma cannot condition on a
    # zero mean spend, so (as in the CLV table) they are priced at the population mean
    counts = sample_tx.groupby("customer_id")["date"].nunique()
    free = counts[counts >= 3].index[:5]
    tx = sample_tx.copy()
    tx.loc[tx["customer_id"].isin(free), "dollar_value"] = 0.0
    opts = ReportOptions(
        calibration_end=datasets.CDNOW_CALIBRATION_END,
        observation_end=datasets.CDNOW_OBSERVATION_END,
        figures=False,
    )
    build_report(tx, opts, tmp_path)
    band = pd.read_csv(tmp_path / "forecast.csv", index_col=0)
    assert len(band) == 12
    assert np.isfinite(band["spend"]).all()
    assert (band["spend"] > 0).all()
