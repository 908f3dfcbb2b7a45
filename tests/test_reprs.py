"""Result objects explain themselves: short text reprs and HTML tables for Jupyter."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

import crmkit
from crmkit import clv, lifecycle, maturity, metrics, pareto, segmentation
from crmkit._display import fmt_number
from crmkit.datasets import load_cdnow_summary, load_cdnow_transactions


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return load_cdnow_transactions().rename(columns={"date": "datetime", "dollar_value": "amount"})


@pytest.fixture(scope="module")
def objects(tx: pd.DataFrame) -> dict[str, Any]:
    summary = crmkit.rfm_summary(tx, amount_col="amount", non_positive="exclude")
    cdnow = load_cdnow_summary()
    return {
        "concentration": pareto.concentration(tx, value_col="amount", group_col="customer_id"),
        "kmeans": segmentation.kmeans(
            segmentation.log_rfm_features(summary[summary["frequency"] > 0]).to_numpy(), 3
        ),
        "cohorts": lifecycle.cohort_retention(tx, period="M"),
        "transitions": lifecycle.transition_matrix(
            tx, start="1997-06-30", end="1997-12-31", amount_col="amount"
        ),
        "tenure": lifecycle.profit_by_tenure(
            tx, time_unit="Q", acquisition_cost=5.0, amount_col="amount", margin=0.3
        ),
        "segments": segmentation.segment_customers(summary[summary["frequency"] > 0], 4),
        "assessment": maturity.assess_capabilities(["unique_codes", "customer_database"]),
        "risks": maturity.RiskRegister.from_scores({"insufficient budget": (4, 5)}),
        "scorecard": metrics.Scorecard.compute(
            nps_scores=[10, 9, 7, 3], own_sales=300, competitor_sales={"a": 500, "b": 200}
        ),
        "holdout": clv.evaluate_holdout(clv.BetaGeo.fit(cdnow).model, cdnow),
        "fit": clv.ParetoNBD.fit(cdnow),
        "occasions": crmkit.purchase_occasions(
            tx.assign(invoice=range(len(tx))),
            customer_id_col="customer_id",
            datetime_col="datetime",
            amount_col="amount",
            invoice_col="invoice",
            non_positive_prices="drop",
        ),
    }


NAMES = [
    "kmeans",
    "concentration",
    "cohorts",
    "transitions",
    "tenure",
    "segments",
    "assessment",
    "risks",
    "scorecard",
    "holdout",
    "fit",
    "occasions",
]


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_short_and_html_is_a_document_fragment(objects: dict[str, Any], name: str) -> None:
    obj = objects[name]
    text = repr(obj)
    assert len(text) < 1600, text
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "array(" not in text  # no data dumps
    html = obj._repr_html_()
    assert html.startswith("<div>")
    assert html.endswith("</div>")
    assert html.count("<div>") == html.count("</div>")
    assert "<script" not in html


def test_concentration_shows_gini_and_top_share(objects: dict[str, Any], tx: pd.DataFrame) -> None:
    text = repr(objects["concentration"])
    per_customer = tx.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    n = len(per_customer)
    assert f"Concentration of {n:,} units" in text
    top = per_customer.iloc[: n // 5].sum() / per_customer.sum()  # n divisible by 5
    assert n % 5 == 0
    assert f"top 20% of units give {top:.1%}" in text
    assert re.search(r"Gini 0\.\d{3}", text)


def test_tables_show_the_objects_numbers(objects: dict[str, Any], tx: pd.DataFrame) -> None:
    cohorts = repr(objects["cohorts"])
    assert f"{tx['customer_id'].nunique():,} customers" in cohorts
    assert "3 monthly cohorts" in cohorts  # CDNOW's cohort: first purchases Jan-Mar 1997
    transitions = objects["transitions"]
    assert f"{int(transitions.counts.loc['repeat', 'loyal']):,}" in repr(transitions)
    assert "<th>from \\ to</th>" in transitions._repr_html_()
    card = repr(objects["scorecard"])
    assert "3 metrics computed" in card
    assert "nps" in card
    fit = objects["fit"]
    assert fmt_number(fit.params["beta"]) in repr(fit)


def test_fmt_number_examples() -> None:
    assert fmt_number(-1234.5) == "-1,234"  # round half to even at .5
    assert fmt_number(float("nan")) == "nan"
    assert fmt_number(0.0) == "0"
    assert fmt_number(5e-5) == "5.000e-05"


def test_claim_verdicts_have_html_tables(objects: dict[str, Any]) -> None:
    from crmkit.lifecycle import ContactsVerdict, CostRatioVerdict

    pareto_verdict = objects["concentration"].verdict(top=0.2, share=0.8)
    tenure_verdict = objects["tenure"].verdict()
    contacts = ContactsVerdict(
        n_new=10, n_existing=20, mean_new=8.5, mean_existing=2.5, median_new=8.0,
        median_existing=2.0, ratio=3.4, claimed_new=(8.0, 10.0), claimed_existing=(2.0, 3.0),
        holds=True,
    )  # fmt: skip
    cost = CostRatioVerdict(
        acquisition_cost=1000.0, retention_cost=300.0, n_new_customers=10,
        n_repeat_purchases=60, cost_per_acquisition=100.0, cost_per_repeat_purchase=5.0,
        ratio=20.0, claimed=(5.0, 10.0), holds=False,
    )  # fmt: skip
    for verdict in (pareto_verdict, tenure_verdict, contacts, cost):
        html = verdict._repr_html_()
        assert html.startswith("<div><strong>Claim: ")
        assert html.count("<tr>") == len(verdict.measured()) + 1
        expected = "holds" if verdict.holds else "does not hold"
        assert f"<li>verdict: {expected}</li>" in html
    assert '<td style="text-align:right">20</td>' in cost._repr_html_()


def test_report_outputs_repr(tmp_path: Any) -> None:
    from crmkit import datasets
    from crmkit.report import ReportOptions, build_report

    tx = datasets.load_cdnow_transactions(sample=True).drop(columns="sample_id")
    out = build_report(tx, ReportOptions(figures=False), tmp_path)
    text = repr(out)
    assert text.startswith(f"crmkit report: {out.html}")
    assert f"{len(out.csv)} CSV files" in text
    assert out.highlights[0] in text
    assert "<ul>" in out._repr_html_()
