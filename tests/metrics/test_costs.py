"""Tests for crmkit.metrics.costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import cost_savings


def test_cost_savings() -> None:
    out = cost_savings(
        pd.Series({"service": 100.0, "sales": 50.0, "it": 0.0}),
        {"sales": 60.0, "service": 70.0, "it": 5.0},
    )
    assert out.index.tolist() == ["service", "sales", "it", "total"]
    assert out["saving"].tolist() == [30.0, -10.0, -5.0, 15.0]
    assert out.loc["service", "saving_rate"] == pytest.approx(0.3)
    assert np.isnan(out.loc["it", "saving_rate"])
    assert out.loc["total", "saving_rate"] == pytest.approx(0.1)
    with pytest.raises(InvalidValueError, match="only in before"):
        cost_savings({"a": 1.0, "b": 2.0}, {"a": 1.0})
    with pytest.raises(InvalidValueError, match="total_label"):
        cost_savings({"total": 1.0}, {"total": 1.0})
