"""The one-command CRM report (``crmkit report``): HTML, CSV and a console summary.

Examples
--------
>>> from crmkit.report import ReportOptions
>>> ReportOptions(time_unit="W", model="bgnbd").horizon
52
"""

from __future__ import annotations

from crmkit.report.options import ReportOptions
from crmkit.report.pipeline import ReportOutputs, build_report

__all__ = ["ReportOptions", "ReportOutputs", "build_report"]
