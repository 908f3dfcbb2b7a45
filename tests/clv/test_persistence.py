"""Saving and loading models and fit results: to_dict / from_dict and JSON round trips."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import clv
from crmkit.clv import (
    BetaDiscreteWeibull,
    BetaGeo,
    BetaGeoBetaBinom,
    FitResult,
    GammaGamma,
    GammaGompertzNBD,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)
from crmkit.clv._persist import SCHEMA_VERSION
from crmkit.datasets import load_cdnow_summary, load_donations
from crmkit.exceptions import InvalidValueError

FAMILIES: dict[type[Any], tuple[str, ...]] = {
    BetaGeo: ("r", "alpha", "a", "b"),
    ModifiedBetaGeo: ("r", "alpha", "a", "b"),
    ParetoNBD: ("r", "alpha", "s", "beta"),
    GammaGompertzNBD: ("r", "alpha", "b", "s", "beta"),
    BetaGeoBetaBinom: ("alpha", "beta", "gamma", "delta"),
    ShiftedBetaGeometric: ("alpha", "beta"),
    BetaDiscreteWeibull: ("alpha", "beta", "c"),
    GammaGamma: ("p", "q", "v"),
}
UNITS = (None, "D", "W", "M", "Q", "Y")
positive = st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False)


def _strict_loads(text: str) -> Any:
    """json.loads that refuses the non-standard NaN / Infinity tokens."""

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


@st.composite
def models(draw: st.DrawFn) -> Any:
    cls = draw(st.sampled_from(list(FAMILIES)))
    kwargs: dict[str, Any] = {name: draw(positive) for name in FAMILIES[cls]}
    if cls is not GammaGamma:
        kwargs["time_unit"] = draw(st.sampled_from(UNITS))
    return cls(**kwargs)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(models())
def test_model_round_trip_is_exact(model: Any) -> None:
    cls = type(model)
    assert cls.from_dict(model.to_dict()) == model
    text = model.to_json()
    _strict_loads(text)
    back = clv.from_json(text)
    assert back == model
    assert type(back) is cls
    assert all(getattr(back, n) == getattr(model, n) for n in FAMILIES[cls])  # bit-exact


@pytest.fixture(scope="module")
def fits() -> dict[str, FitResult[Any]]:
    cdnow = load_cdnow_summary()
    repeaters = cdnow[cdnow["frequency"] > 0]
    regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), Table 1
    return {
        "bgnbd": BetaGeo.fit(cdnow),
        "mbgnbd": ModifiedBetaGeo.fit(cdnow),
        "pareto": ParetoNBD.fit(cdnow),
        "gg": GammaGamma.fit(repeaters),
        "bgbb": BetaGeoBetaBinom.fit(load_donations()),
        "sbg": ShiftedBetaGeometric.fit(regular),
        "bdw": BetaDiscreteWeibull.fit(regular),
    }


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto", "gg", "bgbb", "sbg", "bdw"])
def test_fit_result_round_trip(fits: dict[str, FitResult[Any]], name: str) -> None:
    fit = fits[name]
    text = fit.to_json(indent=2)
    data = _strict_loads(text)
    assert data["crmkit"]["schema"] == SCHEMA_VERSION
    assert data["kind"] == "fit_result"
    back = FitResult.from_json(text)
    assert back == fit
    np.testing.assert_array_equal(back.covariance, fit.covariance)
    assert back.stderr == fit.stderr
    assert back.model.params == fit.model.params
    assert repr(back) == repr(fit)


def test_loaded_model_predicts_the_same(fits: dict[str, FitResult[Any]], tmp_path: Path) -> None:
    path = tmp_path / "bgnbd.json"
    path.write_text(fits["bgnbd"].model.to_json())
    model = BetaGeo.from_json(path.read_text())
    summary = load_cdnow_summary()
    a = fits["bgnbd"].model.conditional_expected_purchases(summary, t=39)
    b = model.conditional_expected_purchases(summary, t=39)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_non_finite_values_are_standard_json(fits: dict[str, FitResult[Any]]) -> None:
    fit = fits["pareto"]
    cov = np.array(fit.covariance, copy=True)
    cov[2, :] = cov[:, 2] = math.inf
    cov[3, 3] = math.nan
    boundary = FitResult(
        model=fit.model,
        log_likelihood=fit.log_likelihood,
        param_names=fit.param_names,
        estimates=fit.estimates,
        covariance=cov,
        n_customers=fit.n_customers,
        n_unique=fit.n_unique,
        converged=True,
        iterations=3,
        message="limit",
        at_boundary=("s",),
    )
    data = _strict_loads(boundary.to_json())
    assert data["covariance"][2][0] == "inf"
    assert data["covariance"][3][3] == "nan"
    back = FitResult.from_json(boundary.to_json())
    assert back.at_boundary == ("s",)
    assert math.isinf(back.covariance[2, 0])
    assert math.isnan(back.covariance[3, 3])
    assert "at limit" in repr(back)


def _doc(**changes: Any) -> dict[str, Any]:
    doc = BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4).to_dict()
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (_doc(crmkit={"schema": SCHEMA_VERSION + 1, "version": "9"}), "newer"),
        (_doc(crmkit={"schema": "1"}), "schema"),
        (_doc(kind="pickle"), "kind"),
        (_doc(family="os.system"), "not a crmkit CLV model"),
        (_doc(params={"r": 1.0, "alpha": 1.0, "a": 1.0}), "missing ['b']"),
        (_doc(params={"r": 1, "alpha": 1, "a": 1, "b": 1, "c": 1}), "unexpected ['c']"),
        (_doc(params={"r": "1", "alpha": 1, "a": 1, "b": 1}), "'r'"),
        (_doc(params={"r": True, "alpha": 1, "a": 1, "b": 1}), "'r'"),
        (_doc(time_unit=7), "time_unit"),
        ({"kind": "model"}, "'crmkit'"),
        ([1, 2], "list"),
    ],
)
def test_bad_documents_are_refused(doc: Any, words: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        clv.from_dict(doc)
    assert words in str(info.value)


def test_constructor_checks_run_on_load() -> None:
    doc = _doc(params={"r": -1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})
    with pytest.raises(InvalidValueError):
        clv.from_dict(doc)


def test_wrong_class_and_bad_text() -> None:
    text = GammaGamma(p=6.25, q=3.74, v=15.45).to_json()
    with pytest.raises(InvalidValueError, match="not a BetaGeo"):
        BetaGeo.from_json(text)
    with pytest.raises(InvalidValueError, match="not valid JSON"):
        clv.from_json("{'r': 1}")
    with pytest.raises(InvalidValueError, match="Path"):
        clv.from_json(Path("model.json"))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="cannot save"):
        clv.to_dict(object())


def test_fit_result_repr_is_short_and_informative(fits: dict[str, FitResult[Any]]) -> None:
    fit = fits["bgnbd"]
    text = repr(fit)
    lines = text.splitlines()
    assert lines[0].startswith("BetaGeo fit on 2,357 customers")
    assert "log-likelihood -9,582.43" in text  # Fader, Hardie & Lee (2005): -9582.4
    assert "converged" in text
    assert len(lines) <= 10
    assert max(map(len, lines)) <= 90
    for name in ("r", "alpha", "a", "b"):
        assert any(line.split()[0] == name for line in lines[4:])
    html = fit._repr_html_()
    assert html.count("<tr>") == 5
    assert "std. error" in html
    assert "<table>" in html
