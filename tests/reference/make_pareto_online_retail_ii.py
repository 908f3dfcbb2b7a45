"""Regenerate ``pareto_online_retail_ii.json``: lifetimes' Pareto/NBD fit of Online Retail II.

Run with a venv holding lifetimes 0.11.3 (NOT the crmkit venv; ``benchmarks/_peers.py``
sets one up in ``~/.cache/crmkit-bench/lifetimes``)::

    <lifetimes venv>/bin/python tests/reference/make_pareto_online_retail_ii.py \\
        ../shared/datasets/online_retail_ii/online_retail_ii_2009_2010.csv.gz

Online Retail II 2009-2010 (Chen 2019, UCI Machine Learning Repository): cancellations
(invoice numbers starting with "C"), lines without a customer id and non-positive
quantities or prices removed; daily summary with observation end 2010-12-09 built by
lifetimes' own ``summary_data_from_transaction_data``; ``ParetoNBDFitter`` with no
penalty. crmkit itself is not imported.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent


def main(path: str) -> None:
    # lifetimes lives only in the private venv: import it here so that pytest's
    # --doctest-modules collection of this file does not need it
    import lifetimes  # type: ignore[import-not-found]
    from lifetimes import ParetoNBDFitter  # type: ignore[import-not-found]
    from lifetimes.utils import summary_data_from_transaction_data  # type: ignore[import-not-found]

    lines = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str})
    keep = (
        lines["Customer ID"].notna()
        & ~lines["Invoice"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["Price"] > 0)
    )
    lines = lines.loc[keep].assign(InvoiceDate=lambda f: pd.to_datetime(f["InvoiceDate"]))
    summary = summary_data_from_transaction_data(
        lines, "Customer ID", "InvoiceDate", observation_period_end="2010-12-09", freq="D"
    )
    fitter = ParetoNBDFitter(penalizer_coef=0.0)
    fitter.fit(summary["frequency"], summary["recency"], summary["T"])
    out = {
        "source": (
            f"lifetimes {lifetimes.__version__} ParetoNBDFitter(penalizer_coef=0.0) on the "
            "Online Retail II 2009-2010 daily summary (Chen 2019, UCI Machine Learning "
            "Repository; cancellations, missing customer ids, non-positive quantities or "
            "prices removed; lifetimes summary_data_from_transaction_data, freq='D', "
            "observation_period_end='2010-12-09')"
        ),
        "script": "tests/reference/make_pareto_online_retail_ii.py",
        "summary": {
            "customers": len(summary),
            "frequency_sum": float(summary["frequency"].sum()),
            "recency_sum": float(summary["recency"].sum()),
            "T_sum": float(summary["T"].sum()),
        },
        "params": {k: float(v) for k, v in fitter.params_.items()},
        "note": (
            "lifetimes stops on the ridge s, beta -> infinity (s/beta fixed) short of the "
            "limit; crmkit's fit must reach at least crmkit's log-likelihood at these "
            "parameters (tolerance 1e-9 relative, rounding of the total)"
        ),
    }
    (HERE / "pareto_online_retail_ii.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
