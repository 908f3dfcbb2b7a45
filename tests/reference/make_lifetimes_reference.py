"""Regenerate the lifetimes reference outputs used by tests/test_transactions.py.

Run with a private venv holding lifetimes 0.11.3 (NOT the crmkit venv)::

    python3 -m venv .venv-lifetimes
    .venv-lifetimes/bin/pip install "lifetimes==0.11.3" "pandas<2.2" "numpy<2" "scipy<1.13"
    .venv-lifetimes/bin/python tests/reference/make_lifetimes_reference.py \
        ../shared/datasets/online_retail/online_retail.csv.gz

It writes ``tests/reference/lifetimes_*.csv.gz`` and ``lifetimes_reference.json`` (the
exact calls and package versions). crmkit itself is not imported.
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
CDNOW = HERE.parent.parent / "src" / "crmkit" / "datasets" / "data" / "cdnow_master.txt.gz"


def load_cdnow() -> pd.DataFrame:
    raw = gzip.decompress(CDNOW.read_bytes())
    tx = pd.read_csv(io.BytesIO(raw), sep=r"\s+", dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


def load_online_retail(path: str) -> pd.DataFrame:
    tx = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    tx = tx.loc[(tx["Quantity"] > 0) & tx["CustomerID"].notna()].copy()
    tx["CustomerID"] = tx["CustomerID"].astype(np.int64)
    tx["InvoiceDate"] = pd.to_datetime(tx["InvoiceDate"])
    tx["amount"] = tx["Quantity"] * tx["UnitPrice"]
    return tx[["CustomerID", "InvoiceDate", "amount"]]


def save(frame: pd.DataFrame, name: str) -> None:
    frame = frame.reset_index()
    frame.columns = ["customer_id", *frame.columns[1:]]
    text = frame.to_csv(index=False, float_format="%.17g")
    with gzip.GzipFile(HERE / name, "wb", mtime=0, compresslevel=9) as fh:
        fh.write(text.encode())


def main(online_retail: str) -> None:
    # lifetimes lives only in the private venv: import it here so that pytest's
    # --doctest-modules collection of this file does not need it
    import lifetimes  # type: ignore[import-not-found]
    from lifetimes.utils import (  # type: ignore[import-not-found]
        calibration_and_holdout_data,
        summary_data_from_transaction_data,
    )

    calls: dict[str, str] = {}
    cd = load_cdnow()
    cd_kw = {
        "customer_id_col": "customer_id",
        "datetime_col": "date",
        "monetary_value_col": "dollar_value",
    }
    for freq in ("D", "W"):
        out = summary_data_from_transaction_data(
            cd, **cd_kw, observation_period_end="1998-06-30", freq=freq
        )
        name = f"lifetimes_cdnow_summary_{freq}.csv.gz"
        save(out, name)
        calls[name] = (
            "summary_data_from_transaction_data(cdnow_master, customer_id_col='customer_id', "
            "datetime_col='date', monetary_value_col='dollar_value', "
            f"observation_period_end='1998-06-30', freq='{freq}')"
        )
    out = summary_data_from_transaction_data(
        cd, **cd_kw, observation_period_end="1997-09-30", freq="D", freq_multiplier=7
    )
    save(out, "lifetimes_cdnow_summary_D_x7_cal.csv.gz")
    calls["lifetimes_cdnow_summary_D_x7_cal.csv.gz"] = (
        "summary_data_from_transaction_data(cdnow_master[date <= '1997-09-30'], customer_id_col="
        "'customer_id', datetime_col='date', monetary_value_col='dollar_value', "
        "observation_period_end='1997-09-30', freq='D', freq_multiplier=7)  # lifetimes "
        "truncates later rows itself; the filter is implicit"
    )
    # calibration/holdout: lifetimes' monetary_value_holdout is the mean of raw rows while
    # the calibration monetary value is the mean of per-period sums, so feed it rows that
    # are already one per customer-day (sum of dollar_value) to compare like with like.
    daily = cd.groupby(["customer_id", "date"], as_index=False)["dollar_value"].sum()
    for freq in ("D", "W"):
        out = calibration_and_holdout_data(
            daily,
            "customer_id",
            "date",
            calibration_period_end="1997-09-30",
            observation_period_end="1998-06-30",
            freq=freq,
            monetary_value_col="dollar_value",
        )
        name = f"lifetimes_cdnow_calhold_{freq}.csv.gz"
        save(out, name)
        calls[name] = (
            "calibration_and_holdout_data(cdnow_daily, 'customer_id', 'date', "
            "calibration_period_end='1997-09-30', observation_period_end='1998-06-30', "
            f"freq='{freq}', monetary_value_col='dollar_value') where cdnow_daily = "
            "cdnow_master.groupby(['customer_id','date'], as_index=False)['dollar_value'].sum()"
        )
    orx = load_online_retail(online_retail)
    or_kw = {
        "customer_id_col": "CustomerID",
        "datetime_col": "InvoiceDate",
        "monetary_value_col": "amount",
    }
    for freq in ("D", "W"):
        out = summary_data_from_transaction_data(orx, **or_kw, freq=freq)
        name = f"lifetimes_online_retail_summary_{freq}.csv.gz"
        save(out, name)
        calls[name] = (
            "summary_data_from_transaction_data(tx, customer_id_col='CustomerID', "
            f"datetime_col='InvoiceDate', monetary_value_col='amount', freq='{freq}')"
        )
    out = summary_data_from_transaction_data(
        orx, **or_kw, freq="D", include_first_transaction=True
    )
    save(out, "lifetimes_online_retail_summary_D_first.csv.gz")
    calls["lifetimes_online_retail_summary_D_first.csv.gz"] = (
        "summary_data_from_transaction_data(tx, customer_id_col='CustomerID', "
        "datetime_col='InvoiceDate', monetary_value_col='amount', freq='D', "
        "include_first_transaction=True)"
    )
    meta = {
        "source": "lifetimes 0.11.3 (github.com/CamDavidsonPilon/lifetimes), lifetimes/utils.py",
        "versions": {
            "lifetimes": lifetimes.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "inputs": {
            "cdnow_master": "src/crmkit/datasets/data/cdnow_master.txt.gz (date parsed %Y%m%d)",
            "online_retail": (
                "../shared/datasets/online_retail/online_retail.csv.gz (sha256 of the "
                "uncompressed CSV 78f3654b...), rows with Quantity > 0 and CustomerID not "
                "null; CustomerID as int64; InvoiceDate parsed by pd.to_datetime; "
                "amount = Quantity * UnitPrice"
            ),
        },
        "calls": calls,
        "script": "tests/reference/make_lifetimes_reference.py",
        "tolerance": {"frequency, recency, T, duration": "exact", "monetary": "rtol 1e-12"},
    }
    (HERE / "lifetimes_reference.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
