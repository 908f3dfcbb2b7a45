"""Survival and hazard plots draw the result objects' numbers, one curve per group."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after selecting the backend

from crmkit import plotting, survival  # noqa: E402
from crmkit.exceptions import InvalidValueError  # noqa: E402

DATA = pd.DataFrame(
    {
        "tenure": [1, 2, 2, 3, 5, 6, 6, 8, 9, 12],
        "churned": [True, True, False, True, False, True, False, True, False, False],
        "plan": ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b"],
    }
)


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def test_kaplan_meier_curves_per_group_with_bands() -> None:
    km = survival.kaplan_meier(DATA, group_col="plan")
    ax = plotting.survival_plot(km)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    for line, label in zip(lines, km.groups, strict=True):
        part = km.table.loc[label]
        np.testing.assert_array_equal(line.get_xdata(), part.index.to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), part["survival"].to_numpy())
        assert line.get_drawstyle() == "steps-post"
    assert len(ax.collections) == 2  # one band per group
    assert ax.get_legend().get_title().get_text() == "plan"
    bare = plotting.survival_plot(survival.kaplan_meier(DATA), band=False)
    assert len(bare.collections) == 0
    assert bare.get_lines()[0].get_label() == "all customers"


def test_life_table_survival_starts_at_one() -> None:
    lt = survival.life_table(DATA, breaks=4)
    (line,) = plotting.survival_plot(lt).get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 4.0, 8.0, 12.0, 16.0])
    np.testing.assert_array_equal(line.get_ydata(), np.r_[1.0, lt.table["survival"]])


def test_hazard_plot_draws_each_period() -> None:
    lt = survival.life_table(DATA, breaks=4, group_col="plan")
    ax = plotting.hazard_plot(lt)
    for line, label in zip(ax.get_lines(), lt.groups, strict=True):
        hazard = lt.table.loc[label, "hazard"].to_numpy()
        np.testing.assert_array_equal(line.get_ydata(), np.r_[hazard, hazard[-1:]])


def test_wrong_inputs_are_refused() -> None:
    km = survival.kaplan_meier(DATA)
    with pytest.raises(InvalidValueError, match="KaplanMeier or LifeTable"):
        plotting.survival_plot(km.table)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="LifeTable"):
        plotting.hazard_plot(km)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="band"):
        plotting.survival_plot(km, band="yes")  # type: ignore[arg-type]
