"""Fixtures of the survival-table tests: the Telco churn sample and its lifelines reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def telco(shared_datasets: Path) -> pd.DataFrame:
    """IBM Telco churn sample with a boolean ``churned`` and the reference's ``entry``."""
    df = pd.read_csv(shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv")
    entry = (df["tenure"] * (np.arange(len(df)) % 4)) // 4
    return df.assign(churned=df["Churn"] == "Yes", entry=entry)


@pytest.fixture(scope="session")
def telco_lifelines(reference_dir: Path) -> dict[str, Any]:
    """lifelines' Kaplan-Meier fits on Telco (make_survival_telco_lifelines.py)."""
    path = reference_dir / "survival_telco_lifelines.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
