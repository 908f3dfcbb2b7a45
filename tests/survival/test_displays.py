"""The survival results display like crmkit's other results: short text, an HTML fragment."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit.survival import kaplan_meier, life_table


@pytest.mark.parametrize("build", [kaplan_meier, life_table])
@pytest.mark.parametrize("group_col", [None, "Contract"])
def test_repr_is_short_and_html_is_a_fragment(
    telco: pd.DataFrame, build: Any, group_col: str | None
) -> None:
    result = build(telco, group_col=group_col)
    text = repr(result)
    assert len(text) < 1600, text
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "array(" not in text
    assert "7,043 customers" in text.splitlines()[0]
    html = result._repr_html_()
    assert html.startswith("<div>")
    assert html.endswith("</div>")
    assert html.count("<div>") == html.count("</div>")


def test_life_table_repr_lists_the_periods(telco: pd.DataFrame) -> None:
    text = repr(life_table(telco, breaks=24))
    assert "4 periods; censoring: censored at period end; 95% intervals: log-log" in text
    assert text.splitlines()[2].split() == [
        "start", "end", "at_risk", "churned", "censored", "hazard", "survival",
    ]  # fmt: skip
