"""Regenerate ``btydplus_grocery_elog.csv.gz``: BTYDplus' ``groceryElog`` event log.

One-off conversion, not part of crmkit: the data set ships as ``data/groceryElog.rda``
in the R package BTYDplus 1.2.0 (github.com/mplatzer/BTYDplus, commit
d5eda8f; GPL-3; data by Thomas Reutterer, described in Platzer & Reutterer 2016,
*Marketing Science* 35(5)): 10,483 transactions of 1,525 customers of an online grocery
store, 2006-01-01 ... 2007-12-30. R stores the dates as days since 1970-01-01; the
file keeps the customer id and the ISO date, one row per transaction, in R's row order.

Reading the .rda needs the pure-python ``rdata`` package (not a crmkit dependency):

    pip install rdata
    python tests/reference/make_btydplus_grocery.py path/to/groceryElog.rda
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd
import rdata

OUT = Path(__file__).with_name("btydplus_grocery_elog.csv.gz")


def main(rda: Path) -> None:
    print("sha256 of the .rda:", hashlib.sha256(rda.read_bytes()).hexdigest())
    frame = rdata.read_rda(str(rda))["groceryElog"]
    days = frame["date"].to_numpy().astype("int64")
    out = pd.DataFrame(
        {
            "cust": frame["cust"].astype(str).astype("int64").to_numpy(),
            "date": (pd.Timestamp("1970-01-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
        }
    )
    assert out.shape == (10483, 2)
    assert out["cust"].nunique() == 1525
    out.to_csv(OUT, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"{OUT.name}: {len(out)} rows, {out['date'].min()} ... {out['date'].max()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
