"""The period-forecast chart draws the forecast's numbers (bars) and its intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after selecting the backend

from crmkit import clv, datasets, plotting  # noqa: E402
from crmkit.exceptions import InvalidValueError  # noqa: E402


def test_bars_stack_the_cohorts_on_the_existing_customers() -> None:
    summary = datasets.load_cdnow_summary().iloc[:200]
    fit = clv.BetaGeo.fit(summary)
    sizes = pd.Series([50.0, 80.0], index=pd.PeriodIndex(["1997-10", "1997-12"], freq="M"))
    kwargs = {"observation_end": "1997-09-30", "horizon": 4, "cohort_sizes": sizes}
    fc = clv.forecast_purchases(fit.model, summary, **kwargs)
    band = clv.forecast_intervals(fit, summary, n_draws=20, **kwargs)
    ax = plotting.period_forecast_chart(fc, intervals=band)
    n = len(fc.table)
    heights = np.array([p.get_height() for p in ax.patches]).reshape(3, n)
    np.testing.assert_allclose(heights[0], fc.table["existing"])
    np.testing.assert_allclose(heights.sum(axis=0), fc.table["total"])
    assert [t.get_text() for t in ax.get_xticklabels()] == fc.table.index.astype(str).tolist()
    with pytest.raises(InvalidValueError, match="PeriodForecast"):
        plotting.period_forecast_chart(fc.table)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="other periods"):
        plotting.period_forecast_chart(fc, intervals=band.table.iloc[1:])
    # the result of forecast_intervals draws itself: the same bars and interval
    again = plotting.period_forecast_chart(band)
    np.testing.assert_allclose(
        [p.get_height() for p in again.patches], [p.get_height() for p in ax.patches]
    )
    assert len(again.collections) == len(ax.collections) == 1
    plt.close("all")
