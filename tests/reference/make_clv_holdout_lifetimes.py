"""Regenerate ``clv_holdout_lifetimes.json``: lifetimes' calibration-vs-holdout means and
P(alive) path on CDNOW, at fixed BG/NBD parameters.

Run with the interpreter of a virtual environment holding lifetimes 0.11.3 (NOT the
crmkit one); ``benchmarks/_peers.py`` finds or sets one up::

    python -c "from benchmarks._peers import peer_python; print(peer_python('lifetimes'))"
    <that python> tests/reference/make_clv_holdout_lifetimes.py

crmkit itself is not imported. The CDNOW 1/10 sample (2,357 customers) is read from the
package data, the calibration/holdout frame from ``lifetimes_cdnow_calhold_D.csv.gz``;
parameters are the BG/NBD estimates of Fader, Hardie & Lee (2005, Table 1) in weeks,
turned into days (alpha times 7: alpha is a time scale) for the daily frames.

lifetimes 0.11.3 predates pandas 2: its ``calculate_alive_path`` calls
``Series.fillna(method="ffill")``, a keyword pandas 3 removed. The shim below maps that
one call to ``Series.ffill()``, which is what the keyword meant; nothing else changes.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SAMPLE = HERE.parent.parent / "src" / "crmkit" / "datasets" / "data" / "cdnow_sample.txt.gz"
PARAMS_WEEKS = {"r": 0.2426, "alpha": 4.4136, "a": 0.7930, "b": 2.4259}
PARAMS_DAYS = {**PARAMS_WEEKS, "alpha": PARAMS_WEEKS["alpha"] * 7}
ALIVE_CUSTOMER = 773  # 8 purchase days, two of them with two rows (merged per day)


def load_sample() -> pd.DataFrame:
    names = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
    raw = gzip.decompress(SAMPLE.read_bytes())
    tx = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, names=names, dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


def _shim_fillna() -> None:
    original = pd.Series.fillna

    def fillna(self: pd.Series, value: Any = None, *args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("method", None) == "ffill":
            return self.ffill()
        return original(self, value, *args, **kwargs)

    pd.Series.fillna = fillna  # type: ignore[method-assign]


def main() -> None:
    # lifetimes lives only in the peer venv: import it here so that pytest's
    # --doctest-modules collection of this file does not need it
    import lifetimes  # type: ignore[import-not-found]
    from lifetimes import BetaGeoFitter  # type: ignore[import-not-found]
    from lifetimes.utils import calculate_alive_path  # type: ignore[import-not-found]

    _shim_fillna()
    tx = load_sample()
    # lifetimes' calibration_and_holdout_data fails under pandas 3 ("No objects to
    # concatenate" in its holdout groupby), so its own output stored by
    # make_lifetimes_reference.py (with pandas < 2.2) is read instead: the whole CDNOW
    # cohort, 1997-09-30 / 1998-06-30, in days (273-day = 39-week holdout)
    ch = pd.read_csv(HERE / "lifetimes_cdnow_calhold_D.csv.gz", index_col="customer_id")
    days = BetaGeoFitter()
    days.params_ = pd.Series(PARAMS_DAYS)
    duration = ch.iloc[0]["duration_holdout"]  # lifetimes' plot uses the first row's
    ch["model_predictions"] = days.conditional_expected_number_of_purchases_up_to_time(
        duration, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"]
    )
    # lifetimes' plot: groupby(frequency_cal)[[frequency_holdout, model_predictions]].mean()
    exact = ch.groupby("frequency_cal")[["frequency_holdout", "model_predictions"]].mean()
    counts = ch.groupby("frequency_cal").size()
    rows = {}
    for k in range(7):
        rows[str(k)] = {
            "n_customers": int(counts.loc[float(k)]),
            "actual": float(exact.loc[float(k), "frequency_holdout"]),
            "predicted": float(exact.loc[float(k), "model_predictions"]),
        }
    top = ch.loc[ch["frequency_cal"] >= 7]
    rows["7+"] = {
        "n_customers": len(top),
        "actual": float(top["frequency_holdout"].mean()),
        "predicted": float(top["model_predictions"].mean()),
    }

    one = tx.loc[tx["customer_id"] == ALIVE_CUSTOMER, ["date"]]
    path = calculate_alive_path(days, one, "date", 542, freq="D")

    out = {
        "source": "lifetimes 0.11.3 (github.com/CamDavidsonPilon/lifetimes): "
        "lifetimes.plotting.plot_calibration_purchases_vs_holdout_purchases (its groupby, "
        "plus the pooled 7+ group of Fader, Hardie & Lee 2005, Figure 4) and "
        "lifetimes.utils.calculate_alive_path",
        "script": "tests/reference/make_clv_holdout_lifetimes.py",
        "versions": {
            "lifetimes": lifetimes.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "inputs": {
            "transactions": "src/crmkit/datasets/data/cdnow_sample.txt.gz (date %Y%m%d), "
            "for the alive path",
            "calibration_holdout": "tests/reference/lifetimes_cdnow_calhold_D.csv.gz: "
            "lifetimes' calibration_and_holdout_data on the whole CDNOW cohort "
            "(call in lifetimes_reference.json), days, 273-day (39-week) holdout",
            "bgnbd_weeks": PARAMS_WEEKS,
            "duration_holdout": float(duration),
            "alive_path": "calculate_alive_path(BetaGeoFitter(bgnbd_days), "
            f"tx[customer_id == {ALIVE_CUSTOMER}][['date']], 'date', 542, freq='D') "
            "(to 1998-06-30)",
            "alive_customer": ALIVE_CUSTOMER,
            "bgnbd_days": PARAMS_DAYS,
        },
        "tolerance": {"holdout_by_frequency": "abs 1e-6", "alive_path": "abs 1e-9"},
        "holdout_by_frequency": rows,
        "alive_path_start": str(one["date"].min().date()),
        "alive_path": [float(np.ravel(v)[0]) for v in path.to_numpy()],  # 1-element arrays
    }
    (HERE / "clv_holdout_lifetimes.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
