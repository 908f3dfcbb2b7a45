"""Reference numbers for the "port the lifetimes README" example of the migration page.

Runs the CLV example of the lifetimes 0.11.3 README (BG/NBD + Gamma-Gamma on the CDNOW
summary that ships with lifetimes, ``time=12, discount_rate=0.01``) and records, for the
first customers:

- lifetimes' ``GammaGammaFitter.customer_lifetime_value`` with its default ``freq="D"``
  (the README's call: 12 steps of 30 model periods, i.e. 360 weeks on this weekly
  summary, each step discounted by 1%);
- the same with ``freq="W"`` (12 steps of 4.345 weeks: what "12 months" means on a weekly
  model);
- the fitted parameters of both models, ``bgf.summary`` and ``bgf.predict`` for the
  first customer.

Run it with an interpreter that has lifetimes 0.11.3 (NOT the crmkit venv), e.g. the one
``benchmarks/_peers.py`` sets up::

    python -c "import sys; sys.path.insert(0, 'benchmarks'); import _peers; \\
               print(_peers.peer_python('lifetimes'))"
    <that python> tests/reference/make_lifetimes_readme_clv.py

It writes ``tests/reference/clv_lifetimes_readme.json``. crmkit itself is not imported.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

HERE = Path(__file__).parent
N_CUSTOMERS = 10


def main() -> None:
    # lifetimes lives only in the peer's venv: import it here so that pytest's
    # --doctest-modules collection of this file does not need it
    import lifetimes  # type: ignore[import-not-found]
    import numpy as np
    import pandas as pd
    import scipy
    from lifetimes import BetaGeoFitter, GammaGammaFitter  # type: ignore[import-not-found]
    from lifetimes.datasets import (  # type: ignore[import-not-found]
        load_cdnow_summary_data_with_monetary_value,
    )

    data = load_cdnow_summary_data_with_monetary_value()
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(data["frequency"], data["recency"], data["T"])
    returning = data[data["frequency"] > 0]
    ggf = GammaGammaFitter(penalizer_coef=0)
    ggf.fit(returning["frequency"], returning["monetary_value"])

    def clv(freq: str) -> list[float]:
        out = ggf.customer_lifetime_value(
            bgf,
            data["frequency"],
            data["recency"],
            data["T"],
            data["monetary_value"],
            time=12,
            discount_rate=0.01,
            freq=freq,
        )
        return [float(v) for v in out.head(N_CUSTOMERS)]

    one = data.iloc[[0]]
    predict_one = bgf.predict(39, one["frequency"], one["recency"], one["T"])
    summary = bgf.summary
    grid = {"frequency": [0.0, 5.0, 5.0], "recency": [0.0, 10.0, 35.0], "T": [39.0] * 3}
    other_predictions = {
        "expected_number_of_purchases_up_to_time(39)": float(
            bgf.expected_number_of_purchases_up_to_time(39)
        ),
        "conditional_probability_alive(customer 1)": float(
            np.asarray(
                bgf.conditional_probability_alive(one["frequency"], one["recency"], one["T"])
            ).ravel()[0]
        ),
        "probability_of_n_purchases_up_to_time(39, 0)": float(
            bgf.probability_of_n_purchases_up_to_time(39, 0)
        ),
        "conditional_probability_alive(grid)": {
            "grid": grid,
            "value": [
                float(v)
                for v in bgf.conditional_probability_alive(
                    np.array(grid["frequency"]), np.array(grid["recency"]), np.array(grid["T"])
                )
            ],
        },
    }
    spend = ggf.conditional_expected_average_profit(data["frequency"], data["monetary_value"])
    result = {
        "source": (
            f"lifetimes {lifetimes.__version__} README, section 'Estimating customer lifetime "
            "value using the Gamma-Gamma model of monetary value' (pandas "
            f"{pd.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
            f"Python {platform.python_version()})"
        ),
        "data": "lifetimes.datasets.load_cdnow_summary_data_with_monetary_value() (weekly T)",
        "call": (
            "ggf.customer_lifetime_value(bgf, data['frequency'], data['recency'], data['T'], "
            "data['monetary_value'], time=12, discount_rate=0.01, freq=FREQ)"
        ),
        "customer_id": [int(i) for i in data.index[:N_CUSTOMERS]],
        "clv_freq_D": clv("D"),
        "clv_freq_W": clv("W"),
        "other_predictions": other_predictions,
        "expected_spend": [float(v) for v in spend.head(N_CUSTOMERS)],
        "bgnbd_params": {k: float(v) for k, v in bgf.params_.items()},
        "bgnbd_summary": {
            "call": "bgf.summary (lifetimes: symmetric Wald bounds coef -/+ 1.96 se)",
            "columns": [str(c) for c in summary.columns],
            "rows": {str(i): [float(v) for v in row] for i, row in summary.iterrows()},
        },
        "predict_39_customer_1": {
            "call": "bgf.predict(39, one['frequency'], one['recency'], one['T']) with "
            "one = data.iloc[[0]]",
            "value": float(predict_one.iloc[0]),
        },
        "gammagamma_params": {k: float(v) for k, v in ggf.params_.items()},
        "note": (
            "lifetimes.utils._customer_lifetime_value steps i = k * factor for k = 1..time "
            "with factor = {'W': 4.345, 'M': 1.0, 'D': 30, 'H': 720}[freq] in the model's "
            "own unit (weeks here) and discounts step k by (1 + discount_rate) ** k"
        ),
    }
    (HERE / "clv_lifetimes_readme.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
