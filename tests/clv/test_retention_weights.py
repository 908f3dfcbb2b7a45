"""Frequency weights in the contractual fits: a counted table fits like its rows.

A table with one row per (tenure, churned[, entry]) and a customer count is what
``crmkit.survival.kaplan_meier(..., weights_col=)`` reads; the contractual models must
read the same table and give the fit of the expanded rows (the log-likelihood is a sum
over customers, so weighting a row by n is adding it n times).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmkit import clv
from crmkit.exceptions import BoundaryWarning, InvalidValueError

FAMILIES = [clv.ShiftedBetaGeometric, clv.BetaDiscreteWeibull, clv.ShiftedGeometric]


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    theta = rng.beta(0.7, 1.2, size=600)
    life = rng.geometric(theta)
    tenure = np.minimum(life, 7)
    entry = np.where(rng.uniform(size=600) < 0.3, np.minimum(tenure - 1, 2), 0)
    return pd.DataFrame({"tenure": tenure, "churned": life <= 7, "entry": entry})


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("entry_col", [None, "entry"])
def test_a_counted_table_fits_like_its_rows(family: type, entry_col: str | None) -> None:
    rows = _rows()
    table = rows.groupby(["tenure", "churned", "entry"]).size().rename("n").reset_index()
    # a row of weight 0 stands for nobody
    table = pd.concat([table, table.head(1).assign(n=0)], ignore_index=True)
    before = table.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        by_rows = family.fit(rows, tenure_counts="completed", entry_col=entry_col)
        by_table = family.fit(
            table, tenure_counts="completed", entry_col=entry_col, weights_col="n"
        )
    assert by_table.n_customers == by_rows.n_customers == 600
    assert by_table.log_likelihood == pytest.approx(by_rows.log_likelihood, rel=1e-12)
    for name, value in by_rows.model.params.items():
        assert by_table.model.params[name] == pytest.approx(value, rel=1e-6)
    pd.testing.assert_frame_equal(table, before)


def test_fit_by_group_passes_the_weights() -> None:
    rows = _rows().assign(plan=lambda d: np.where(d.index % 2 == 0, "a", "b"))
    table = rows.groupby(["plan", "tenure", "churned"]).size().rename("n").reset_index()
    fits = clv.fit_by_group(
        clv.ShiftedGeometric, table, group_col="plan", tenure_counts="completed", weights_col="n"
    )
    direct = clv.fit_by_group(
        clv.ShiftedGeometric, rows, group_col="plan", tenure_counts="completed"
    )
    pd.testing.assert_frame_equal(fits.table, direct.table)


def test_bad_weights_are_refused_like_the_survival_tables_refuse_them() -> None:
    table = pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, True], "n": [3, -1, 2]})
    with pytest.raises(InvalidValueError, match=r"column 'n' \(frequency weight\).*\[-1\]"):
        clv.ShiftedGeometric.fit(table, tenure_counts="completed", weights_col="n")
    with pytest.raises(InvalidValueError, match=r"weights in column 'n' sum to 0"):
        clv.ShiftedGeometric.fit(table.assign(n=0), tenure_counts="completed", weights_col="n")
    with pytest.raises(InvalidValueError, match="weights_col apply to one-row-per-customer"):
        clv.ShiftedBetaGeometric.fit(
            pd.DataFrame({"period": [0, 1, 2], "n_alive": [100, 60, 40]}), weights_col="n"
        )
