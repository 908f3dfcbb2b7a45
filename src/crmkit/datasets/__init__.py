"""Small public data sets bundled with crmkit, loaded with :mod:`importlib.resources`.

Sources, licences and checksums are listed in ``crmkit/datasets/data/PROVENANCE.md``
and in each loader's docstring. Nothing is downloaded.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

from crmkit._validation import check_flag

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_OBSERVATION_END",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "load_telco_churn",
]

CDNOW_CALIBRATION_END: Final = pd.Timestamp("1997-09-30")
"""Last day of the 39-week CDNOW calibration period used by Fader, Hardie & Lee (2005)."""
CDNOW_OBSERVATION_END: Final = pd.Timestamp("1998-06-30")
"""Last day of the CDNOW data (end of the 39-week holdout period)."""


def _read_bytes(name: str) -> bytes:
    data = resources.files("crmkit.datasets").joinpath("data", name).read_bytes()
    if name.endswith(".gz"):
        import gzip

        data = gzip.decompress(data)
    return data


def load_cdnow_transactions(*, sample: bool = False) -> pd.DataFrame:
    """The CDNOW transaction log: a cohort of 23,570 first-time buyers, Jan 1997 - Jun 1998.

    The cohort made their first-ever purchase at CDNOW in the first quarter of 1997;
    every later purchase up to 1998-06-30 is recorded. It is the standard benchmark
    of the BG/NBD and Pareto/NBD literature.

    Parameters
    ----------
    sample : bool, default False
        If True, return only the 1/10 sample of 2,357 customers that the published
        parameter estimates use, with an extra ``sample_id`` column (1..2357, the
        ``ID`` of :func:`load_cdnow_summary`).

    Returns
    -------
    pandas.DataFrame
        One row per transaction line (69,659 rows; 6,919 for the sample), in file
        order, columns:

        ``customer_id`` (int64, 1..23570), [``sample_id`` (int64)], ``date``
        (datetime64, day precision, no time of day), ``number_of_cds`` (int64),
        ``dollar_value`` (float64, US$; 80 rows are 0). A customer may have several
        rows on one day.

    Notes
    -----
    Source: ``CDNOW_master.txt`` / ``CDNOW_sample.txt`` as redistributed by the
    lifetimes 0.11.3 package (MIT); data made public by P. S. Fader and B. G. S. Hardie.

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
      the easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2),
      275-284.

    Examples
    --------
    >>> tx = load_cdnow_transactions()
    >>> tx.shape, tx["customer_id"].nunique()
    ((69659, 4), 23570)
    >>> tx["date"].min(), tx["date"].max()
    (Timestamp('1997-01-01 00:00:00'), Timestamp('1998-06-30 00:00:00'))
    >>> load_cdnow_transactions(sample=True)["sample_id"].nunique()
    2357
    """
    if check_flag(sample, name="sample"):
        names = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
        raw = _read_bytes("cdnow_sample.txt.gz")
        frame = pd.read_csv(
            io.BytesIO(raw), sep=r"\s+", header=None, names=names, dtype={"date": str}
        )
    else:
        raw = _read_bytes("cdnow_master.txt.gz")
        frame = pd.read_csv(io.BytesIO(raw), sep=r"\s+", dtype={"date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    int_cols = [c for c in ("customer_id", "sample_id", "number_of_cds") if c in frame]
    frame[int_cols] = frame[int_cols].astype(np.int64)
    frame["dollar_value"] = frame["dollar_value"].astype(np.float64)
    return frame


def load_cdnow_summary(*, holdout: bool = True) -> pd.DataFrame:
    """The published CDNOW calibration summary (2,357 customers, weeks), with holdout counts.

    The calibration columns are the file that Fader, Hardie & Lee (2005) fitted BG/NBD
    and Pareto/NBD to (values rounded to 2 decimals, as published). The holdout
    columns are computed here from the same customers' transactions in the 39 weeks
    1997-10-01 .. 1998-06-30, counting purchase *days* as the calibration frequency does.

    Parameters
    ----------
    holdout : bool, default True
        Add ``frequency_holdout``, ``monetary_value_holdout`` and ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (the sample ``ID``, 1..2357), columns:

        - ``frequency`` - repeat purchase days in calibration, *x*;
        - ``recency`` - weeks from first to last purchase, *t_x*;
        - ``T`` - weeks from first purchase to 1997-09-30;
        - ``monetary_value`` - mean US$ value of repeat purchase days (0 if x = 0);
        - ``frequency_holdout`` - purchase days in the holdout (int64);
        - ``monetary_value_holdout`` - mean US$ per holdout purchase day (0 if none);
        - ``duration_holdout`` - 39.0 weeks for everybody.

        ``frame.attrs["crmkit_time_unit"]`` is ``"W"``, as for a summary made by
        :func:`crmkit.rfm_summary`, so models fitted on it carry their unit.

    Notes
    -----
    Source: ``cdnow_customers_summary_with_transactions.csv`` from lifetimes 0.11.3 (MIT),
    reproducible from :func:`load_cdnow_transactions` with ``sample=True``.

    Examples
    --------
    >>> s = load_cdnow_summary()
    >>> s.shape
    (2357, 7)
    >>> int((s["frequency"] > 0).sum())
    946
    >>> s.loc[1, ["frequency", "recency", "T"]].tolist()
    [2.0, 30.43, 38.86]
    """
    raw = _read_bytes("cdnow_summary.csv")
    table = pd.read_csv(io.BytesIO(raw))
    out = pd.DataFrame(
        {
            "frequency": table["x"].astype(np.float64).to_numpy(),
            "recency": table["t_x"].astype(np.float64).to_numpy(),
            "T": table["T"].astype(np.float64).to_numpy(),
            "monetary_value": table["zbar"].astype(np.float64).to_numpy(),
        },
        index=pd.Index(table["ID"].astype(np.int64), name="customer_id"),
    )
    out.attrs["crmkit_time_unit"] = "W"  # models fitted on it know their unit
    if not check_flag(holdout, name="holdout"):
        return out
    tx = load_cdnow_transactions(sample=True)
    tx = tx.loc[tx["date"] > CDNOW_CALIBRATION_END]
    per_day = tx.groupby(["sample_id", "date"])["dollar_value"].sum()
    grouped = per_day.groupby(level="sample_id")
    counts = grouped.size().reindex(out.index, fill_value=0)
    means = grouped.mean().reindex(out.index, fill_value=0.0)
    out["frequency_holdout"] = counts.astype(np.int64).to_numpy()
    out["monetary_value_holdout"] = means.astype(np.float64).to_numpy()
    out["duration_holdout"] = (CDNOW_OBSERVATION_END - CDNOW_CALIBRATION_END).days / 7.0
    return out


def load_donations() -> pd.DataFrame:
    """Repeat-donation patterns of 11,104 first-time donors (BG/BB benchmark data).

    The 1995 cohort of a non-profit's first-time supporters, observed for 6 annual
    repeat-donation opportunities (1996-2001). Each row is one (frequency, recency)
    pattern and the number of donors who have it.

    Returns
    -------
    pandas.DataFrame
        22 rows, columns ``frequency`` (*x*, repeat donations, 0..6), ``recency``
        (*t_x*, index of the last donation opportunity used, 0 when x = 0),
        ``n_periods`` (*n* = 6) and ``weights`` (number of donors), all int64.

    Notes
    -----
    Source: ``donations.csv`` of lifetimes 0.11.3 (MIT), from Fader, Hardie & Shang
    (2010) and B. Hardie's note 010 spreadsheet. The lifetimes column ``periods`` is
    renamed ``n_periods`` (see :mod:`crmkit.columns`).

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
      discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.

    Examples
    --------
    >>> d = load_donations()
    >>> d.shape, int(d["weights"].sum())
    ((22, 4), 11104)
    """
    raw = _read_bytes("donations.csv")
    table = pd.read_csv(io.BytesIO(raw)).rename(columns={"periods": "n_periods"})
    return table.astype(np.int64)


def load_telco_churn() -> pd.DataFrame:
    """IBM's Telco customer churn sample: 7,043 subscription customers, one row each.

    A fictional telecom provider's customers with their services, account data and a
    churn flag, the usual public example of subscription churn. ``tenure`` is the number
    of whole months with the company (0 for customers who joined in the last month),
    ``Contract`` the contract type ("Month-to-month", "One year", "Two year") and
    ``Churn`` "Yes" for customers who left within the last month. Used in
    :func:`crmkit.survival.kaplan_meier`, the contractual models of :mod:`crmkit.clv`
    and the subscription notebook.

    Returns
    -------
    pandas.DataFrame
        7,043 rows indexed by ``customerID`` with the file's 20 other columns in their
        order. ``SeniorCitizen`` and ``tenure`` are int64, ``MonthlyCharges`` and
        ``TotalCharges`` float64, the rest text (``Churn`` stays "Yes"/"No": convert it
        with ``df["Churn"].eq("Yes")``). ``TotalCharges`` is blank in the file for the
        11 customers with tenure 0 (nothing billed yet); those blanks are read as NaN,
        and no other value is missing. ``attrs["crmkit_time_unit"]`` is ``"M"``
        (tenure counts months), so contractual models fitted on it carry that unit.

    Notes
    -----
    Source: ``data/Telco-Customer-Churn.csv`` of GitHub ``IBM/telco-customer-churn-on-icp4d``
    (Apache-2.0; the licence text ships as ``LICENSE-APACHE-2.0.txt`` beside the data),
    verbatim; the same table circulates on Kaggle as
    ``WA_Fn-UseC_-Telco-Customer-Churn.csv``. Tenure counts completed months, so an
    active customer with tenure t has renewed t times: pass
    ``tenure_counts="completed"`` to the contractual models.

    Examples
    --------
    >>> df = load_telco_churn()
    >>> df.shape, df["Churn"].eq("Yes").sum()
    ((7043, 20), np.int64(1869))
    >>> df.groupby("Contract").size().to_dict()
    {'Month-to-month': 3875, 'One year': 1473, 'Two year': 1695}
    >>> int(df["TotalCharges"].isna().sum()), int((df["tenure"] == 0).sum())
    (11, 11)
    """
    raw = _read_bytes("telco_customer_churn.csv.gz")
    table = pd.read_csv(
        io.BytesIO(raw),
        index_col="customerID",
        dtype={"SeniorCitizen": np.int64, "tenure": np.int64, "MonthlyCharges": np.float64},
        keep_default_na=False,
    )
    blank = table["TotalCharges"].str.strip() == ""
    table["TotalCharges"] = pd.to_numeric(table["TotalCharges"].where(~blank, None))
    table["TotalCharges"] = table["TotalCharges"].astype(np.float64)
    # tenure counts months: the contractual models read their time unit from here
    table.attrs["crmkit_time_unit"] = "M"
    return table
