"""compare_models: CDNOW against published and lifetimes figures, the rule on known cases."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import clv
from crmkit.clv import FitResult, ModelComparison, compare_models
from crmkit.datasets import load_cdnow_summary
from crmkit.exceptions import (
    BoundaryWarning,
    ConvergenceError,
    InvalidValueError,
    MissingColumnsError,
)


@pytest.fixture(scope="module")
def cdnow() -> ModelComparison:
    return compare_models(load_cdnow_summary())


@pytest.fixture(scope="module")
def lifetimes_ref(reference_dir: Path) -> dict[str, Any]:
    ref: dict[str, Any] = json.loads(
        (reference_dir / "clv_compare_lifetimes.json").read_text(encoding="utf-8")
    )
    return ref


def test_cdnow_log_likelihoods_at_the_published_optima(
    cdnow: ModelComparison, reference_dir: Path
) -> None:
    """BG/NBD -9582.43 (FHL 2005) and Pareto/NBD -9594.97 (FHL 2005, section 4)."""
    table = cdnow.table
    assert table.loc["BetaGeo", "log_likelihood"] == pytest.approx(-9582.43, abs=0.005)
    assert table.loc["ParetoNBD", "log_likelihood"] == pytest.approx(-9594.97, abs=0.01)
    for name, file in (
        ("BetaGeo", "clv_cdnow_bgnbd.json"),
        ("ParetoNBD", "clv_cdnow_paretonbd.json"),
    ):
        published = json.loads((reference_dir / file).read_text(encoding="utf-8"))["published"]
        ll = published["log_likelihood"]
        assert table.loc[name, "log_likelihood"] == pytest.approx(ll, abs=0.05), name
    n = 2357
    for name in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD"):
        ll = float(table.loc[name, "log_likelihood"])
        assert table.loc[name, "n_params"] == 4
        assert table.loc[name, "aic"] == pytest.approx(8 - 2 * ll, rel=1e-12)
        assert table.loc[name, "bic"] == pytest.approx(4 * math.log(n) - 2 * ll, rel=1e-12)


def test_cdnow_holdout_scores_equal_lifetimes(
    cdnow: ModelComparison, lifetimes_ref: dict[str, Any]
) -> None:
    tol = lifetimes_ref["tolerance"]
    for name, ref in lifetimes_ref["models"].items():
        fit = cdnow.fits[name]
        for p, value in ref["params"].items():
            assert fit.params[p] == pytest.approx(value, rel=tol["params_rel"]), (name, p)
        row = cdnow.table.loc[name]
        for column in ("mae", "rmse", "bias", "predicted", "actual"):
            assert row[column] == pytest.approx(ref[column], rel=tol["scores_rel"]), column
        assert row["tracking_error"] == pytest.approx(
            (ref["predicted"] - ref["actual"]) / ref["actual"], rel=tol["scores_rel"]
        )


def test_cdnow_ranking_and_reason(cdnow: ModelComparison, lifetimes_ref: dict[str, Any]) -> None:
    """Lifetimes' own holdout MAEs order the families Pareto/NBD < MBG/NBD < BG/NBD."""
    maes = {name: ref["mae"] for name, ref in lifetimes_ref["models"].items()}
    expected = sorted(maes, key=maes.__getitem__)
    assert list(cdnow.table.index) == expected
    assert cdnow.chosen == expected[0] == "ParetoNBD"
    assert cdnow.table["rank"].tolist() == [1, 2, 3]
    assert set(cdnow.table["status"]) == {"ok"}
    assert cdnow.chosen_fit is cdnow.fits["ParetoNBD"]
    assert "lowest holdout MAE per customer" in cdnow.reason
    assert cdnow.reason.startswith("ParetoNBD was chosen")
    text = repr(cdnow)
    assert "chosen: ParetoNBD" in text
    assert cdnow.reason in text
    assert "<table>" in cdnow._repr_html_()


def test_by_frequency_is_each_families_holdout_table(cdnow: ModelComparison) -> None:
    summary = load_cdnow_summary()
    for name, fit in cdnow.fits.items():
        own = clv.holdout_by_frequency(fit.model, summary).table
        np.testing.assert_allclose(cdnow.by_frequency[name], own["predicted"], rtol=1e-12)
    assert cdnow.by_frequency["n_customers"].sum() == 2357


def test_bic_and_other_criteria_on_cdnow() -> None:
    by_bic = compare_models(load_cdnow_summary(), criterion="bic")
    assert by_bic.chosen == "ModifiedBetaGeo"  # highest LL, same number of parameters
    assert "BIC" in by_bic.reason
    two = compare_models(
        load_cdnow_summary(), families=[clv.BetaGeo, clv.ModifiedBetaGeo], criterion="rmse"
    )
    assert list(two.table.index) == ["ModifiedBetaGeo", "BetaGeo"]


# --- the rule on constructed cases whose answer is known --------------------------------

HOLDOUT = pd.DataFrame(
    {
        "frequency": [0.0, 1.0, 2.0, 3.0],
        "recency": [0.0, 1.0, 2.0, 3.0],
        "T": [4.0] * 4,
        "frequency_holdout": [0.0, 1.0, 2.0, 3.0],
        "duration_holdout": [1.0] * 4,
    }
)


@attrs.frozen(kw_only=True)
class _Shift:
    """Predicts each customer's calibration frequency plus ``shift`` per holdout unit."""

    shift: float

    @property
    def params(self) -> dict[str, float]:
        return {"shift": self.shift}

    @classmethod
    def fit(cls, data: pd.DataFrame, /, **kwargs: Any) -> FitResult[Any]:
        raise NotImplementedError  # each test family below has its own fit

    def expected_purchases(self, t: Any) -> np.ndarray:
        return np.asarray(t, dtype=np.float64)

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: Any) -> pd.Series:
        return (summary["frequency"] + self.shift) * float(t)

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        return pd.Series(1.0, index=summary.index)


def _family(
    name: str,
    shift: float,
    ll: float,
    k: int,
    *,
    fail: bool = False,
    warn: bool = False,
    model: type[_Shift] = _Shift,
) -> type[Any]:
    """A model class whose fit gives ``_Shift(shift)`` with log-likelihood ``ll``, k params."""

    def fit(cls: type[Any], data: pd.DataFrame, /, **kwargs: Any) -> FitResult[Any]:
        if fail:
            raise ConvergenceError("the optimiser found no maximum")
        if warn:
            warnings.warn("s went to its limit: the no-dropout model", BoundaryWarning, 2)
        return FitResult(
            model=model(shift=shift),
            log_likelihood=ll,
            param_names=tuple(f"p{i}" for i in range(k)),
            estimates=(1.0,) * k,
            covariance=np.eye(k),
            n_customers=len(data),
            n_unique=len(data),
            converged=True,
            iterations=1,
            message="ok",
        )

    return type(name, (_Shift,), {"fit": classmethod(fit)})


def test_lowest_mae_wins() -> None:
    exact = _family("Exact", 0.0, -100.0, 4)
    off = _family("Off", 0.5, -10.0, 2)  # far better BIC, worse MAE
    out = compare_models(HOLDOUT, families=[off, exact])
    assert out.chosen == "Exact"
    assert out.table.loc["Exact", "mae"] == 0.0
    assert out.table.loc["Off", "mae"] == pytest.approx(0.5)
    assert out.table.loc["Off", "bias"] == pytest.approx(0.5)
    assert out.table.loc["Off", "tracking_error"] == pytest.approx(2.0 / 6.0)
    assert out.reason == (
        "Exact was chosen: it has the lowest holdout MAE per customer (0; next Off 0.5)."
    )


def test_near_tie_is_broken_by_bic() -> None:
    best = _family("Best", 0.500, -100.0, 4)
    near = _family("Near", 0.504, -100.0, 2)  # MAE within 1 %, fewer parameters
    out = compare_models(HOLDOUT, families=[best, near])
    assert out.chosen == "Near"
    assert list(out.table.index) == ["Near", "Best"]
    assert "within 1% of the best" in out.reason
    assert "lowest BIC" in out.reason
    strict = compare_models(HOLDOUT, families=[best, near], tie_tolerance=0.0)
    assert strict.chosen == "Best"
    far = _family("Far", 0.52, -100.0, 2)  # 4 % worse: not a tie
    assert compare_models(HOLDOUT, families=[best, far]).chosen == "Best"


def test_failed_and_warning_fits_stay_in_the_table() -> None:
    good = _family("Good", 0.1, -50.0, 3)
    broken = _family("Broken", 0.0, -1.0, 1, fail=True)
    edge = _family("Edge", 0.0, -60.0, 4, warn=True)
    out = compare_models(HOLDOUT, families=[broken, good, edge])
    assert list(out.table.index) == ["Edge", "Good", "Broken"]
    assert out.chosen == "Edge"  # a boundary fit is a valid (limit) model and is ranked
    assert out.table.loc["Edge", "status"] == "s went to its limit: the no-dropout model"
    assert out.table.loc["Broken", "status"] == "failed: the optimiser found no maximum"
    assert out.table.loc["Broken", "rank"] == 0
    assert np.isnan(out.table.loc["Broken", "mae"])
    assert "Broken" not in out.fits
    assert out.reason.endswith("Not ranked (fit failed): Broken.")
    only = compare_models(HOLDOUT, families=[broken, good])
    assert "only family that could be fitted" in only.reason
    with pytest.raises(ConvergenceError, match="Broken: failed"):
        compare_models(HOLDOUT, families=[broken])


class _Refuses(_Shift):
    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: Any) -> pd.Series:
        raise InvalidValueError("T must be a whole number for this model")


def test_a_model_that_refuses_to_predict_is_a_failed_family() -> None:
    picky = _family("Picky", 0.0, -1.0, 1, model=_Refuses)
    out = compare_models(HOLDOUT, families=[picky, _family("Good", 0.2, -5.0, 2)])
    assert out.chosen == "Good"
    assert out.table.loc["Picky", "rank"] == 0
    assert out.table.loc["Picky", "status"] == (
        "failed: the holdout prediction: T must be a whole number for this model"
    )
    assert "Picky" not in out.fits


@given(shifts=st.lists(st.floats(-0.9, 0.9), min_size=1, max_size=5, unique=True))
def test_chosen_is_within_tolerance_of_the_best_and_has_the_lowest_bic(
    shifts: list[float],
) -> None:
    families = [_family(f"F{i}", s, -10.0 * (i + 1), 1 + i % 3) for i, s in enumerate(shifts)]
    out = compare_models(HOLDOUT, families=families)
    mae = out.table["mae"]
    near = mae[mae <= mae.min() * 1.01 + 1e-12]
    assert out.chosen in near.index
    assert out.table.loc[out.chosen, "bic"] == out.table.loc[near.index, "bic"].min()
    assert sorted(out.table["rank"]) == list(range(1, len(shifts) + 1))


def test_named_columns_and_input_not_mutated() -> None:
    lifetimes_names = HOLDOUT.rename(
        columns={"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal"}
    )
    before = lifetimes_names.copy()
    out = compare_models(
        lifetimes_names,
        families=[_family("Exact", 0.0, -1.0, 1)],
        frequency_col="frequency_cal",
        recency_col="recency_cal",
        T_col="T_cal",
    )
    assert out.chosen == "Exact"
    pd.testing.assert_frame_equal(lifetimes_names, before)


def test_bad_input_is_refused_with_the_reason() -> None:
    good = _family("Good", 0.0, -1.0, 1)
    with pytest.raises(InvalidValueError, match="criterion"):
        compare_models(HOLDOUT, families=[good], criterion="r2")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="non-empty sequence"):
        compare_models(HOLDOUT, families=[])
    with pytest.raises(InvalidValueError, match="not a model class"):
        compare_models(HOLDOUT, families=[clv.BetaGeo(r=1, alpha=1, a=1, b=1)])  # type: ignore[list-item]
    with pytest.raises(InvalidValueError, match="more than once"):
        compare_models(HOLDOUT, families=[good, good])
    with pytest.raises(InvalidValueError, match="tie_tolerance"):
        compare_models(HOLDOUT, families=[good], tie_tolerance=1.5)
    with pytest.raises(MissingColumnsError, match="duration_holdout"):
        compare_models(HOLDOUT.drop(columns="duration_holdout"), families=[good])


def test_plot_draws_every_fitted_family(cdnow: ModelComparison) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from crmkit import plotting

    ax = plotting.model_comparison_plot(cdnow)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata(), cdnow.by_frequency["actual"])
    np.testing.assert_allclose(lines[1].get_ydata(), cdnow.by_frequency["ParetoNBD"])
    plt.close(ax.figure)
    with pytest.raises(InvalidValueError, match="ModelComparison"):
        plotting.model_comparison_plot(cdnow.table)  # type: ignore[arg-type]


def test_extra_columns_reach_the_families() -> None:
    # BG/CNBD-k needs the calibration log_interval_sum (rfm_summary(log_intervals=True));
    # compare_models used to drop every column but the five it scores, so the family
    # always failed with "missing column(s) ['log_interval_sum']".
    from crmkit.clv import BetaGeoCNBD

    truth = BetaGeoCNBD(k=3, r=1.0, alpha=5.0, a=0.2, b=20.0, time_unit="W")
    data = truth.simulate(400, T=np.full(400, 52.0), rng=np.random.default_rng(3))
    data = data.assign(frequency_holdout=data["frequency"] // 2, duration_holdout=26.0)
    assert "log_interval_sum" in data.columns
    before = data.copy()
    comparison = compare_models(data, families=[clv.BetaGeo, BetaGeoCNBD])
    assert not comparison.table.loc["BetaGeoCNBD", "status"].startswith("failed")
    assert comparison.fits["BetaGeoCNBD"].model.k == 3
    pd.testing.assert_frame_equal(data, before)
