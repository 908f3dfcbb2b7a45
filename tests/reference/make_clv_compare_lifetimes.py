"""Regenerate ``clv_compare_lifetimes.json``: BG/NBD, MBG/NBD and Pareto/NBD fitted by
lifetimes on the CDNOW calibration period and scored on its 39-week holdout.

Run with the interpreter of a virtual environment holding lifetimes 0.11.3 (NOT the
crmkit one); ``benchmarks/_peers.py`` finds or sets one up::

    python -c "from benchmarks._peers import peer_python; print(peer_python('lifetimes'))"
    <that python> tests/reference/make_clv_compare_lifetimes.py

crmkit itself is not imported: the CDNOW calibration summary (2,357 customers, weeks,
calibration to 1997-09-30) is read from the package data file ``cdnow_summary.csv`` and
the holdout purchases (distinct purchase days from 1997-10-01 to 1998-06-30, 39 weeks)
from ``cdnow_sample.txt.gz``, as FHL (2005) count them. Each
fitter is fitted with ``penalizer_coef=0``; holdout predictions are
``conditional_expected_number_of_purchases_up_to_time(39, frequency, recency, T)``, and
MAE, RMSE and bias (predicted - actual) are plain numpy over the 2,357 customers. The
log-likelihoods are not taken from lifetimes (its fitters store a scaled objective);
the published ones are in ``clv_cdnow_bgnbd.json`` and ``clv_cdnow_paretonbd.json``.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "src" / "crmkit" / "datasets" / "data"
SUMMARY = DATA / "cdnow_summary.csv"
SAMPLE = DATA / "cdnow_sample.txt.gz"


def holdout_purchases(ids: pd.Series) -> np.ndarray:
    names = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
    raw = gzip.decompress(SAMPLE.read_bytes())
    tx = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, names=names, dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    hold = tx.loc[tx["date"] > pd.Timestamp("1997-09-30"), ["sample_id", "date"]]
    counts = hold.drop_duplicates().groupby("sample_id").size()
    return counts.reindex(ids.to_numpy(), fill_value=0).to_numpy(dtype=float)


def main() -> None:
    # lifetimes lives only in the peer venv: import it here so that pytest's
    # --doctest-modules collection of this file does not need it
    import lifetimes

    s = pd.read_csv(SUMMARY)
    x, tx, T = s["x"], s["t_x"], s["T"]
    actual = holdout_purchases(s["ID"])
    out: dict[str, object] = {
        "source": "lifetimes 0.11.3 (github.com/CamDavidsonPilon/lifetimes) BetaGeoFitter, "
        "ModifiedBetaGeoFitter, ParetoNBDFitter with penalizer_coef=0, fitted on the CDNOW "
        "calibration summary; holdout predictions conditional_expected_number_of_purchases_"
        "up_to_time(39, x, t_x, T)",
        "script": "tests/reference/make_clv_compare_lifetimes.py",
        "versions": {
            "lifetimes": lifetimes.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "inputs": {
            "calibration": "src/crmkit/datasets/data/cdnow_summary.csv (x, t_x, T)",
            "holdout": "src/crmkit/datasets/data/cdnow_sample.txt.gz, distinct purchase days "
            "1997-10-01..1998-06-30 per customer",
            "duration_holdout": 39,
        },
        "tolerance": {
            "params_rel": 1e-3,
            "scores_rel": 1e-4,
            "note": "lifetimes stops its optimiser at a looser tolerance than crmkit (its "
            "Pareto/NBD beta differs by 1e-4 relative); the holdout scores agree to 1e-4",
        },
        "models": {},
    }
    fitters = {
        "BetaGeo": lifetimes.BetaGeoFitter,
        "ModifiedBetaGeo": lifetimes.ModifiedBetaGeoFitter,
        "ParetoNBD": lifetimes.ParetoNBDFitter,
    }
    for name, cls in fitters.items():
        f = cls(penalizer_coef=0.0)
        f.fit(x, tx, T)
        pred = np.asarray(
            f.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, T), dtype=float
        )
        err = pred - actual
        out["models"][name] = {  # type: ignore[index]
            "params": {k: float(v) for k, v in f.params_.items()},
            "mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "bias": float(np.mean(err)),
            "predicted": float(pred.sum()),
            "actual": float(actual.sum()),
        }
    path = HERE / "clv_compare_lifetimes.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["models"], indent=1))


if __name__ == "__main__":
    main()
