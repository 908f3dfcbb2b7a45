"""Tests for crmkit.metrics.annuity (PV, FV, PMT) against numpy-financial."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import fv, pmt, pv


@pytest.fixture(scope="module")
def npf_ref(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (reference_dir / "metrics_numpy_financial.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.parametrize("fn", ["pv", "fv", "pmt"])
def test_annuity_matches_numpy_financial(npf_ref: dict[str, Any], fn: str) -> None:
    tol = npf_ref["tolerance"]
    for c in npf_ref[fn]:
        if fn == "pv":
            got = pv(c["rate"], c["nper"], c["pmt"], c["fv"], when=c["when"])
        elif fn == "fv":
            got = fv(c["rate"], c["nper"], c["pmt"], c["pv"], when=c["when"])
        else:
            got = pmt(c["rate"], c["nper"], c["pv"], c["fv"], when=c["when"])
        assert got == pytest.approx(c["result"], rel=tol["rtol"], abs=tol["atol"]), c["call"]


def test_annuity_identities_and_errors() -> None:
    # zero rate reduces to simple sums
    assert fv(0.0, 10, -50, -100) == pytest.approx(600.0)
    assert pmt(0.0, 24, 12_000) == pytest.approx(-500.0)
    # pv and fv consistent: investing -pv grows to fv
    p = pv(0.05, 10, 0, 1000)
    assert fv(0.05, 10, 0, p) == pytest.approx(1000.0)
    with pytest.raises(InvalidValueError, match="when"):
        pv(0.05, 10, 100, when="middle")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="nper"):
        pmt(0.05, 0, 100)
