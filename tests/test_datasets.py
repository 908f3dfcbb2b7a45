"""Bundled data sets: shapes and facts from the data sets' own documentation.

The expected figures come from ../shared/datasets/*/README.md (the provenance notes of
the CDNOW and donations files), not from crmkit's output.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit import datasets


@pytest.fixture(scope="module")
def master() -> pd.DataFrame:
    return datasets.load_cdnow_transactions()


def test_cdnow_master_facts(master: pd.DataFrame) -> None:
    assert master.columns.tolist() == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert len(master) == 69_659
    assert master["customer_id"].nunique() == 23_570
    assert master["customer_id"].min() == 1
    assert master["customer_id"].max() == 23_570
    assert master["date"].min() == pd.Timestamp("1997-01-01")
    assert master["date"].max() == pd.Timestamp("1998-06-30")
    assert int((master["dollar_value"] == 0).sum()) == 80
    same_day = master.groupby(["customer_id", "date"]).size()
    assert same_day[same_day > 1].index.get_level_values(0).nunique() == 1_157
    first = master.groupby("customer_id")["date"].min()
    assert first.min() == pd.Timestamp("1997-01-01")
    assert first.max() == pd.Timestamp("1997-03-25")


def test_cohort_repeat_buyers_in_calibration(master: pd.DataFrame) -> None:
    cal = master.loc[master["date"] <= datasets.CDNOW_CALIBRATION_END]
    days = cal.drop_duplicates(["customer_id", "date"]).groupby("customer_id").size()
    assert int((days > 1).sum()) == 9_451


def test_sample_is_subset_of_master(master: pd.DataFrame) -> None:
    sample = datasets.load_cdnow_transactions(sample=True)
    assert len(sample) == 6_919
    assert sample["sample_id"].nunique() == 2_357
    assert sorted(sample["sample_id"].unique()) == list(range(1, 2358))
    sub = master.loc[master["customer_id"].isin(sample["customer_id"].unique())]
    cols = ["customer_id", "date", "number_of_cds", "dollar_value"]

    def canon(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[cols].sort_values(cols, kind="stable").reset_index(drop=True)

    pd.testing.assert_frame_equal(canon(sub), canon(sample))


def test_cdnow_summary_facts() -> None:
    s = datasets.load_cdnow_summary()
    assert s.shape == (2_357, 7)
    assert s.index.name == "customer_id"
    assert int((s["frequency"] > 0).sum()) == 946
    assert (s["recency"] <= s["T"]).all()
    assert (s.loc[s["frequency"] == 0, "monetary_value"] == 0).all()
    assert (s["duration_holdout"] == 39.0).all()
    no_holdout = datasets.load_cdnow_summary(holdout=False)
    pd.testing.assert_frame_equal(no_holdout, s[no_holdout.columns])


def test_cdnow_summary_matches_transactions() -> None:
    """x is reproduced exactly from the sample transactions (README: 'x matches exactly')."""
    s = datasets.load_cdnow_summary()
    tx = datasets.load_cdnow_transactions(sample=True)
    cal = tx.loc[tx["date"] <= datasets.CDNOW_CALIBRATION_END]
    days = cal.drop_duplicates(["sample_id", "date"]).groupby("sample_id").size() - 1
    np.testing.assert_array_equal(days.reindex(s.index).to_numpy(), s["frequency"].to_numpy())
    first = cal.groupby("sample_id")["date"].min().reindex(s.index)
    T = (datasets.CDNOW_CALIBRATION_END - first).dt.days / 7
    assert np.max(np.abs(T.to_numpy() - s["T"].to_numpy())) <= 0.0043 + 1e-12


def test_donations_facts() -> None:
    d = datasets.load_donations()
    assert d.columns.tolist() == ["frequency", "recency", "n_periods", "weights"]
    assert len(d) == 22
    assert int(d["weights"].sum()) == 11_104
    assert (d["n_periods"] == 6).all()
    assert int(d.loc[d["frequency"] == 0, "weights"].sum()) == 3_464


def test_package_data_checksums_match_provenance() -> None:
    data = resources.files("crmkit.datasets").joinpath("data")
    table = data.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    expected = dict(re.findall(r"^\| `([\w.]+)` \|.*\| `([0-9a-f]{64})` \|$", table, re.MULTILINE))
    assert set(expected) == {
        "cdnow_master.txt.gz",
        "cdnow_sample.txt.gz",
        "cdnow_summary.csv",
        "donations.csv",
        "telco_customer_churn.csv.gz",
    }
    for name, digest in expected.items():
        raw = data.joinpath(name).read_bytes()
        if name.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        assert hashlib.sha256(raw).hexdigest() == digest, name


def test_bundled_files_equal_shared_originals(shared_datasets) -> None:  # type: ignore[no-untyped-def]
    pairs = {
        "cdnow_summary.csv": "cdnow/cdnow_customers_summary_with_transactions.csv",
        "donations.csv": "donations/donations.csv",
    }
    data = resources.files("crmkit.datasets").joinpath("data")
    for bundled, original in pairs.items():
        assert data.joinpath(bundled).read_bytes() == (shared_datasets / original).read_bytes()


def test_telco_is_the_published_file_verbatim() -> None:
    # sha256 of IBM's Telco-Customer-Churn.csv (../shared/datasets/telco_customer_churn/README.md)
    raw = resources.files("crmkit.datasets").joinpath("data", "telco_customer_churn.csv.gz")
    import gzip

    digest = hashlib.sha256(gzip.decompress(raw.read_bytes())).hexdigest()
    assert digest == "16320c9c1ec72448db59aa0a26a0b95401046bef5d02fd3aeb906448e3055e91"


def test_telco_facts_and_types() -> None:
    # README: 7,043 rows x 21 columns, customerID unique, tenure integer 0..72,
    # TotalCharges text with a single space for the tenure-0 customers
    df = datasets.load_telco_churn()
    assert df.shape == (7_043, 20)
    assert df.index.name == "customerID"
    assert df.index.is_unique
    assert df["tenure"].dtype == np.int64
    assert (int(df["tenure"].min()), int(df["tenure"].max())) == (0, 72)
    assert df["TotalCharges"].dtype == np.float64
    blank = df["TotalCharges"].isna()
    assert blank.equals(df["tenure"] == 0)
    assert sorted(df["Churn"].unique().tolist()) == ["No", "Yes"]
    assert sorted(df["Contract"].unique().tolist()) == ["Month-to-month", "One year", "Two year"]


def test_telco_equals_a_plain_read_of_the_shared_copy(shared_datasets: Path) -> None:
    plain = pd.read_csv(
        shared_datasets / "telco_customer_churn" / "Telco-Customer-Churn.csv",
        index_col="customerID",
    )
    df = datasets.load_telco_churn()
    assert df.columns.tolist() == plain.columns.tolist()
    totals = pd.to_numeric(plain["TotalCharges"].str.strip().replace("", None))
    np.testing.assert_array_equal(df["TotalCharges"].to_numpy(), totals.to_numpy(dtype=float))
    for col in ("tenure", "MonthlyCharges", "SeniorCitizen"):
        np.testing.assert_array_equal(df[col].to_numpy(), plain[col].to_numpy())
    for col in ("Contract", "Churn", "PaymentMethod"):
        assert df[col].tolist() == plain[col].tolist()
