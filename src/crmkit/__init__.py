"""crmkit: customer relationship management analytics for scientific Python.

Typed CRM domain objects (customers, relationships, interactions, complaints,
opportunities), a uniform code registry, and analytic functions for lifecycle
stages, Pareto concentration, customer lifetime value models, CRM maturity and
success metrics.

The command line ``crmkit report`` runs the whole pipeline on the bundled CDNOW data
(or a file of yours) and writes an HTML report; plots live in :mod:`crmkit.plotting`
(the ``plot`` extra) and are never imported by the core.

Examples
--------
>>> import crmkit as ck
>>> tx = ck.datasets.load_cdnow_transactions()
>>> tx["customer_id"].nunique()
23570
>>> fit = ck.clv.BetaGeo.fit(ck.datasets.load_cdnow_summary())
>>> {k: round(v, 3) for k, v in fit.params.items()}
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
"""

from __future__ import annotations

import time as _time

_import_started = _time.perf_counter()

import importlib
from typing import TYPE_CHECKING, Any

from crmkit.exceptions import (
    ConvergenceError,
    ConvergenceWarning,
    CrmkitError,
    CrmkitWarning,
    DegenerateDataWarning,
    ValidationError,
)

if TYPE_CHECKING:  # type checkers see every name; at run time they load on first use
    from crmkit import (
        clv,
        codes,
        columns,
        datasets,
        domain,
        exceptions,
        jalali,
        lifecycle,
        maturity,
        metrics,
        pareto,
        rfm,
        segmentation,
        survival,
        timeunits,
        transactions,
    )
    from crmkit._intervals import ConfidenceInterval
    from crmkit.timeunits import TimeUnit
    from crmkit.transactions import (
        DataQuality,
        PurchaseOccasions,
        calibration_and_holdout,
        purchase_occasions,
        rfm_summary,
    )

_LAZY_NAMES = {
    "ConfidenceInterval": "crmkit._intervals",
    "TimeUnit": "crmkit.timeunits",
    "DataQuality": "crmkit.transactions",
    "PurchaseOccasions": "crmkit.transactions",
    "calibration_and_holdout": "crmkit.transactions",
    "purchase_occasions": "crmkit.transactions",
    "rfm_summary": "crmkit.transactions",
}
"""Top-level shortcuts and the module each is loaded from on first use."""

__all__ = [
    "ConfidenceInterval",
    "ConvergenceError",
    "ConvergenceWarning",
    "CrmkitError",
    "CrmkitWarning",
    "DataQuality",
    "DegenerateDataWarning",
    "PurchaseOccasions",
    "TimeUnit",
    "ValidationError",
    "__version__",
    "calibration_and_holdout",
    "clv",
    "codes",
    "columns",
    "datasets",
    "domain",
    "exceptions",
    "jalali",
    "lifecycle",
    "maturity",
    "metrics",
    "pareto",
    "purchase_occasions",
    "rfm",
    "rfm_summary",
    "segmentation",
    "survival",
    "timeunits",
    "transactions",
]

_import_seconds = _time.perf_counter() - _import_started
"""Seconds the import of crmkit took (numpy, pandas and scipy included on a cold start)."""


def __getattr__(name: str) -> Any:
    # PEP 562: a public name not bound yet is a shortcut from _LAZY_NAMES or, for every
    # other name in __all__, a subpackage, imported now (so ``import crmkit`` stays cheap)
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    if name in __all__ and name != "__version__":
        return importlib.import_module(f"crmkit.{name}")
    if name == "__version__":
        from crmkit._version import crmkit_version

        return crmkit_version()
    raise AttributeError(f"module 'crmkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
