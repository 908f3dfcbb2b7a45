"""crmkit: customer relationship management analytics for scientific Python.

Typed CRM domain objects (customers, relationships, interactions, complaints,
opportunities), a uniform code registry, and analytic functions for lifecycle
stages, Pareto concentration, customer lifetime value models, CRM maturity and
success metrics.

Examples
--------
>>> import crmkit as ck
>>> tx = ck.datasets.load_cdnow_transactions()
>>> tx["customer_id"].nunique()
23570
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from crmkit import columns, datasets, exceptions, timeunits
from crmkit.exceptions import (
    ConvergenceError,
    ConvergenceWarning,
    CrmkitError,
    CrmkitWarning,
    DegenerateDataWarning,
    ValidationError,
)
from crmkit.timeunits import TimeUnit

__all__ = [
    "ConvergenceError",
    "ConvergenceWarning",
    "CrmkitError",
    "CrmkitWarning",
    "DegenerateDataWarning",
    "TimeUnit",
    "ValidationError",
    "__version__",
    "columns",
    "datasets",
    "exceptions",
    "timeunits",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        try:
            return version("crmkit")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module 'crmkit' has no attribute {name!r}")
