"""fit_by_group / GroupFits: one fit per group, errors and warnings that name the group."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd
import pytest

from crmkit.clv import (
    FitResult,
    GroupFits,
    ShiftedBetaGeometric,
    ShiftedGeometric,
    fit_by_group,
)
from crmkit.exceptions import (
    BoundaryWarning,
    ConvergenceError,
    ConvergenceWarning,
    InvalidValueError,
    MissingColumnsError,
)


def _rows() -> pd.DataFrame:
    """Two plans: heterogeneous churners (FH 2007 'regular', years 0-4) and geometric."""
    regular = [1000, 631, 468, 382, 326]
    flat = [1000, 900, 805, 718, 640]  # retention does not rise: the geometric limit
    parts = []
    for plan, n in (("gold", regular), ("basic", flat)):
        n = np.asarray(n)
        churned_at = np.repeat(np.arange(1, n.size), -np.diff(n))
        tenure = np.concatenate([churned_at, np.full(n[-1], n.size - 1)])
        parts.append(
            pd.DataFrame(
                {"plan": plan, "tenure": tenure, "churned": np.arange(n[0]) < churned_at.size}
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_one_fit_per_group_equals_the_separate_fits() -> None:
    rows = _rows()
    before = rows.copy(deep=True)
    fits = fit_by_group(ShiftedGeometric, rows, group_col="plan", tenure_counts="completed")
    pd.testing.assert_frame_equal(rows, before)
    assert isinstance(fits, Mapping)
    assert list(fits) == ["basic", "gold"]  # sorted keys
    assert len(fits) == 2
    assert "gold" in fits
    assert "platinum" not in fits
    for plan in fits:
        alone = ShiftedGeometric.fit(rows[rows["plan"] == plan], tenure_counts="completed")
        assert fits[plan].params == alone.params
        assert fits.models[plan] == alone.model
        assert isinstance(fits[plan], FitResult)
    with pytest.raises(KeyError):
        fits["platinum"]
    table = fits.table
    assert table.index.name == "plan"
    assert list(table.columns) == [
        "n_customers",
        "theta",
        "log_likelihood",
        "converged",
        "at_boundary",
    ]
    assert table["n_customers"].tolist() == [1000, 1000]
    assert table["converged"].tolist() == [True, True]
    assert table.loc["gold", "theta"] == fits["gold"].params["theta"]


def test_boundary_warnings_name_the_group() -> None:
    rows = _rows()
    with pytest.warns(BoundaryWarning, match=r"^ShiftedBetaGeometric fit of plan='basic'") as rec:
        fits = fit_by_group(
            ShiftedBetaGeometric, rows, group_col="plan", tenure_counts="completed"
        )
    assert len(rec) == 1
    assert "expected lifetime 1/theta" in str(rec[0].message)
    assert fits["basic"].at_boundary == ("alpha", "beta")
    assert fits["gold"].at_boundary == ()
    assert fits.table["at_boundary"].tolist() == ["alpha, beta", ""]
    text = repr(fits)
    assert text.startswith("ShiftedBetaGeometric fits by plan")
    assert "at a limit of the parameter space: basic" in text
    html = fits._repr_html_()
    assert "<table" in html
    assert "gold" in html


def test_errors_name_the_group_and_keep_their_class() -> None:
    rows = _rows()
    rows.loc[rows.index[0], "tenure"] = 0  # a churner of 'gold' with tenure 0
    with pytest.raises(
        InvalidValueError,
        match=(
            r"^ShiftedGeometric fit of plan='gold' \(1,000 rows\): "
            r"a churned customer \(index 0\) has tenure=0"
        ),
    ):
        fit_by_group(ShiftedGeometric, rows, group_col="plan", tenure_counts="completed")
    with pytest.raises(
        MissingColumnsError, match=r"plan='basic'.*missing column\(s\) \['entry'\]"
    ) as info:
        fit_by_group(
            ShiftedGeometric,
            _rows(),
            group_col="plan",
            tenure_counts="completed",
            entry_col="entry",
        )
    assert info.value.missing == ("entry",)


def test_a_failed_optimisation_names_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmkit.clv import _base

    monkeypatch.setattr(_base, "_GRAD_TOL", -1.0)  # no end point can pass the checks
    rows = _rows()[lambda f: f["plan"] == "gold"]
    with pytest.raises(
        ConvergenceError, match=r"^ShiftedBetaGeometric fit of plan='gold'"
    ) as info:
        fit_by_group(ShiftedBetaGeometric, rows, group_col="plan", tenure_counts="completed")
    assert info.value.result is not None  # the optimiser's result travels with the error
    with pytest.warns(ConvergenceWarning, match=r"^ShiftedBetaGeometric fit of plan='gold'"):
        fits = fit_by_group(
            ShiftedBetaGeometric, rows, group_col="plan", tenure_counts="completed", strict=False
        )
    assert fits.table["converged"].tolist() == [False]
    assert "NOT converged: gold" in repr(fits)


def test_bad_calls() -> None:
    rows = _rows()
    with pytest.raises(MissingColumnsError, match=r"\['contract'\]"):
        fit_by_group(ShiftedGeometric, rows, group_col="contract", tenure_counts="completed")
    with pytest.raises(InvalidValueError, match="the class, not an instance"):
        fit_by_group(ShiftedGeometric(theta=0.1), rows, group_col="plan")  # type: ignore[type-var]
    with pytest.raises(InvalidValueError, match=r"does not take the options \['tenure'\]"):
        fit_by_group(ShiftedGeometric, rows, group_col="plan", tenure=3)
    with pytest.raises(InvalidValueError, match="must be a pandas DataFrame"):
        fit_by_group(ShiftedGeometric, [1, 2], group_col="plan")  # type: ignore[arg-type]
    holes = rows.astype({"plan": object})
    holes.loc[[3, 7], "plan"] = None
    with pytest.raises(
        InvalidValueError, match=r"'plan' has 2 missing value\(s\) \(first at index 3\)"
    ):
        fit_by_group(ShiftedGeometric, holes, group_col="plan", tenure_counts="completed")


def test_survivor_tables_time_units_and_numeric_keys() -> None:
    table = pd.DataFrame(
        {
            "segment": [2] * 4 + [1] * 3,
            "period": [0, 1, 2, 3, 0, 1, 2],
            "n_alive": [1000, 631, 468, 382, 500, 400, 330],
        }
    )
    table.attrs["crmkit_time_unit"] = "Y"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = fit_by_group(ShiftedBetaGeometric, table, group_col="segment")
    assert list(fits) == [1, 2]
    assert all(type(k) is int for k in fits)
    assert all(m.time_unit == "Y" for m in fits.models.values())
    assert (
        fit_by_group(ShiftedGeometric, table, group_col="segment", time_unit="M")[
            1
        ].model.time_unit
        == "M"
    )
    direct = ShiftedBetaGeometric.fit([1000, 631, 468, 382])
    np.testing.assert_allclose(fits[2].estimates, direct.estimates, rtol=1e-8)


def test_frozen_value() -> None:
    fits = fit_by_group(ShiftedGeometric, _rows(), group_col="plan", tenure_counts="completed")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fits.group_col = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(fits)) == fits
    assert fits.family == "ShiftedGeometric"
    with pytest.raises(InvalidValueError, match="one fit per distinct group"):
        GroupFits(group_col="plan", family="ShiftedGeometric", groups=("a",), fits=())


def test_lookup_of_keys_that_are_not_groups() -> None:
    fits = fit_by_group(ShiftedGeometric, _rows(), group_col="plan", tenure_counts="completed")
    assert fits.get("platinum") is None
    assert fits.get(np.array([])) is None  # unhashable: not a group
    assert [1.0] not in fits
    assert fits.get("gold") is fits["gold"]
