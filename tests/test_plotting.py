"""Plots: drawn data equal the result objects' numbers; images match stored baselines.

Baselines live in tests/baseline/. After an intended visual change, regenerate them with
``CRMKIT_REGENERATE_BASELINES=1 python -m pytest tests/test_plotting.py`` and look at them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after selecting the backend
from matplotlib.testing.compare import compare_images  # noqa: E402

from crmkit import clv, pareto, plotting  # noqa: E402
from crmkit.exceptions import InvalidValueError  # noqa: E402

BASELINE = Path(__file__).resolve().parent / "baseline"
VALUES = np.array([1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0])
BGNBD = clv.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW


@pytest.fixture(autouse=True)
def _clean_style() -> Iterator[None]:
    with mpl.rc_context({"font.family": "DejaVu Sans", "figure.dpi": 72}):
        yield
    plt.close("all")


def _check_image(name: str, draw: Callable[[Any], object], tmp_path: Path, **subplot: Any) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.5), subplot_kw=subplot or None)
    draw(ax)
    actual = tmp_path / f"{name}.png"
    fig.savefig(actual, dpi=72, bbox_inches="tight")
    expected = BASELINE / f"{name}.png"
    version_file = BASELINE / "matplotlib_version.txt"
    if os.environ.get("CRMKIT_REGENERATE_BASELINES") == "1":
        expected.write_bytes(actual.read_bytes())
        version_file.write_text(mpl.__version__ + "\n", encoding="utf-8")
    made_with = version_file.read_text(encoding="utf-8").strip()
    if made_with.split(".")[:2] != mpl.__version__.split(".")[:2]:
        # Text rendering changes between matplotlib releases; the drawn data are still
        # checked by the assertions of each test.
        return
    assert expected.is_file(), f"missing baseline {expected}"
    result = compare_images(str(expected), str(actual), tol=8)
    assert result is None, result


def test_lorenz_curve_draws_the_lorenz_points(tmp_path: Path) -> None:
    conc = pareto.concentration(VALUES)
    ax = plotting.lorenz_curve(conc)
    x, y = conc.lorenz()
    curve = ax.get_lines()[1]
    np.testing.assert_allclose(curve.get_xdata(), x)
    np.testing.assert_allclose(curve.get_ydata(), y)
    assert f"{conc.gini:.3f}" in curve.get_label()
    _check_image("lorenz", lambda a: plotting.lorenz_curve(conc, ax=a), tmp_path)


def test_pareto_chart_bars_sum_to_one(tmp_path: Path) -> None:
    conc = pareto.concentration(VALUES)
    ax = plotting.pareto_chart(conc, bins=10)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == pytest.approx(1.0)
    assert heights[0] == pytest.approx(conc.top_share(0.1))
    with pytest.raises(InvalidValueError):
        plotting.pareto_chart(conc, bins=1)
    _check_image("pareto_chart", lambda a: plotting.pareto_chart(conc, ax=a, bins=10), tmp_path)


def test_funnel_and_heatmaps(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"reached": [100, 60, 30], "conversion": [1.0, 0.6, 0.5]},
        index=pd.Index(["prospect", "first purchase", "repeat"], name="stage"),
    )
    ax = plotting.funnel(table)
    assert [p.get_width() for p in ax.patches] == [100, 60, 30]
    with pytest.raises(InvalidValueError, match="reached"):
        plotting.funnel(table.drop(columns="reached"))
    rates = pd.DataFrame([[0.5, 0.5], [0.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    ax = plotting.transition_heatmap(rates)
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), rates.to_numpy())
    retention = pd.DataFrame(
        [[1.0, 0.4, 0.3], [1.0, 0.5, np.nan]], index=["2024-01", "2024-02"], columns=[0, 1, 2]
    )
    ax = plotting.cohort_heatmap(retention)
    assert np.ma.is_masked(ax.images[0].get_array()[1, 2])
    _check_image("funnel", lambda a: plotting.funnel(table, ax=a), tmp_path)
    _check_image("cohort", lambda a: plotting.cohort_heatmap(retention, ax=a), tmp_path)


def test_frequency_recency_matrix_uses_the_model(tmp_path: Path) -> None:
    ax = plotting.frequency_recency_matrix(BGNBD, T=38.86, max_frequency=10, resolution=20)
    z = np.asarray(ax.images[0].get_array())
    assert z.shape == (11, 20)
    grid = pd.DataFrame({"frequency": [10.0], "recency": [38.86], "T": [38.86]})
    assert z[10, -1] == pytest.approx(float(BGNBD.probability_alive(grid).iloc[0]))
    assert np.all((z >= 0) & (z <= 1))
    with pytest.raises(InvalidValueError, match="kind"):
        plotting.frequency_recency_matrix(BGNBD, T=10, kind="clv")
    ax = plotting.frequency_recency_matrix(BGNBD, T=38.86, kind="expected_purchases", t=39)
    assert "expected purchases" in ax.get_title()
    _check_image(
        "palive",
        lambda a: plotting.frequency_recency_matrix(BGNBD, T=38.86, max_frequency=10, ax=a),
        tmp_path,
    )


def test_tracking_and_repeat_frequency(tmp_path: Path) -> None:
    tracking = pd.DataFrame({"actual": [1.0, 3.0, 6.0], "expected": [1.5, 3.0, 5.0]})
    ax = plotting.tracking_plot(tracking, calibration_end=1)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1, 3, 6])
    with pytest.raises(InvalidValueError, match="expected"):
        plotting.tracking_plot(tracking.drop(columns="expected"))
    table = pd.DataFrame(
        {"actual": [50, 30, 20], "expected": [48, 33, 19]}, index=["0", "1", "2+"]
    )
    ax = plotting.repeat_frequency_chart(table)
    assert [p.get_height() for p in ax.patches][:3] == [50, 30, 20]
    _check_image(
        "repeat_frequency", lambda a: plotting.repeat_frequency_chart(table, ax=a), tmp_path
    )


def test_maturity_radar(tmp_path: Path) -> None:
    scores = {"level 0": 1.0, "level 1": 0.8, "level 2": 0.5, "level 3": 0.2, "level 4": 0.0}
    ax = plotting.maturity_radar(scores)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.0, 0.8, 0.5, 0.2, 0.0, 1.0])
    with pytest.raises(InvalidValueError, match="scores must lie"):
        plotting.maturity_radar({"a": 2.0})
    with pytest.raises(InvalidValueError, match="at least one"):
        plotting.maturity_radar({})
    _check_image(
        "radar", lambda a: plotting.maturity_radar(scores, ax=a), tmp_path, projection="polar"
    )


def test_alive_history_plot_draws_the_path_and_the_purchases(tmp_path: Path) -> None:
    dates = pd.to_datetime(["1997-01-01", "1997-02-12", "1997-02-12", "1997-03-05"])
    bg = clv.BetaGeo(r=0.2426, alpha=4.4136, a=0.7930, b=2.4259, time_unit="W")
    history = clv.probability_alive_history(bg, dates, observation_end="1997-06-30", period="D")
    ax = plotting.alive_history_plot(history)
    (curve,) = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), history.probability_alive.to_numpy())
    assert len(ax.collections[0].get_segments()) == 3  # distinct purchase times
    assert ax.get_ylim() == (0.0, 1.05)
    with pytest.raises(InvalidValueError, match="AliveHistory"):
        plotting.alive_history_plot(history.table)  # type: ignore[arg-type]
    _check_image("alive_history", lambda a: plotting.alive_history_plot(history, ax=a), tmp_path)


def test_holdout_by_frequency_plot_draws_both_means(tmp_path: Path) -> None:
    from crmkit.datasets import load_cdnow_summary

    result = clv.holdout_by_frequency(BGNBD, load_cdnow_summary())
    ax = plotting.holdout_by_frequency_plot(result)
    actual, predicted = ax.get_lines()
    np.testing.assert_allclose(actual.get_ydata(), result.table["actual"].to_numpy())
    np.testing.assert_allclose(predicted.get_ydata(), result.table["predicted"].to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == result.table.index.tolist()
    with pytest.raises(InvalidValueError, match="HoldoutByFrequency"):
        plotting.holdout_by_frequency_plot(result.table)  # type: ignore[arg-type]
    _check_image(
        "holdout_by_frequency",
        lambda a: plotting.holdout_by_frequency_plot(result, ax=a),
        tmp_path,
    )
