"""purchase_occasions: every number checked against a direct pandas computation.

The fixture ``tests/data/invoice_lines.csv`` mimics the Online Retail II export (Chen,
Sain & Guo 2012): cancellations on invoices starting with "C", a return by negative
quantity, missing customer ids, an exact duplicate line, zero and negative prices, a
zero quantity, several invoices on one day and lines on the last day late in the
evening. ``_expected`` below re-implements the documented rules with pandas group-bys
and ``merge_asof`` (not crmkit's arrays) and is the reference for every test.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit as ck
from crmkit.exceptions import InvalidValueError, MissingColumnsError
from crmkit.transactions import (
    DataQuality,
    PurchaseOccasions,
    purchase_occasions,
    rfm_summary,
)

DATA = Path(__file__).resolve().parent / "data" / "invoice_lines.csv"
CID, DT, INV, QTY, PRICE = "Customer ID", "InvoiceDate", "Invoice", "Quantity", "Price"
REASONS = [
    "missing customer id",
    "cancellation/return",
    "non-positive price",
    "zero quantity or amount",
    "exact duplicate",
    "cancellation without earlier purchase",
    "netted to zero or below",
]
LINES_KW: dict[str, Any] = {
    "customer_id_col": CID,
    "datetime_col": DT,
    "quantity_col": QTY,
    "price_col": PRICE,
    "invoice_col": INV,
    "missing_ids": "drop",
    "cancel_prefix": "C",
    "non_positive_prices": "drop",
}


def _lines() -> pd.DataFrame:
    return pd.read_csv(DATA, dtype={INV: str, "StockCode": str}, parse_dates=[DT])


def _expected(
    d: pd.DataFrame, *, cancellations: str, duplicates: str, occasion: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Occasions, removed table and per-line value by the documented rules, in pandas."""
    is_ret = d[INV].astype(str).str.startswith("C") | (d[QTY] < 0)
    value = (d[QTY] * d[PRICE]).where(~is_ret, -(d[QTY] * d[PRICE]).abs())
    reason = pd.Series(pd.NA, index=d.index, dtype=object)

    def mark(mask: pd.Series, name: str) -> None:
        reason[mask & reason.isna()] = name

    mark(d[CID].isna(), REASONS[0])
    if cancellations == "exclude":
        mark(is_ret, REASONS[1])
    mark(d[PRICE] <= 0, REASONS[2])
    mark((d[QTY] == 0) & ~is_ret, REASONS[3])
    if duplicates == "drop":
        mark(d.duplicated(), REASONS[4])
    live = d.assign(value=value, day=d[DT].dt.normalize())[reason.isna()]
    buys = live[~is_ret[live.index]].sort_values(DT, kind="stable")
    key = [CID, INV] if occasion == "invoice" else [CID, "day"]
    occ = buys.groupby(key, sort=True).agg(
        time=(DT, "min"), amount=("value", "sum"), first_inv=(INV, "first")
    )
    occ = occ.reset_index()
    occ["start"] = occ["time"] if occasion == "invoice" else occ["time"].dt.normalize()
    occ["occ"] = np.arange(len(occ))
    absorbed = 0.0  # cancellation value carried back into kept occasions
    member = buys.merge(occ[[*key, "occ"]], on=key, how="left")["occ"].to_numpy()
    members = pd.Series(member, index=buys.index)
    if cancellations == "net":
        rets = live[is_ret[live.index]].sort_values(DT, kind="stable")
        right = occ.sort_values(["start", INV if occasion == "invoice" else "occ"])
        hit = pd.merge_asof(
            rets.reset_index(),
            right[[CID, "start", "occ"]],
            left_on=DT,
            right_on="start",
            by=CID,
            direction="backward",
            allow_exact_matches=True,
        ).set_index("index")
        unmatched = hit["occ"].isna()
        reason[hit.index[unmatched]] = REASONS[5]
        matched = hit[~unmatched]
        back = matched.groupby("occ")["value"].sum()
        occ["net"] = occ["amount"] + back.reindex(occ["occ"]).fillna(0.0).to_numpy()
        # last in, first out: walk each customer's occasions from the latest back
        tie = INV if occasion == "invoice" else "occ"
        amounts: dict[int, float] = {}
        gone: set[int] = set()
        for _, g in occ.sort_values(["start", tie]).groupby(CID):
            carry = 0.0
            for row in reversed(list(g.itertuples())):
                v = row.net - carry
                if v <= 1e-9:
                    gone.add(row.occ)
                    carry = max(0.0, -v)
                else:
                    amounts[row.occ] = v
                    absorbed += carry
                    carry = 0.0
        occ["amount"] = occ["occ"].map(amounts)
        reason[members.index[members.isin(gone)]] = REASONS[6]
        reason[matched.index[matched["occ"].isin(gone)]] = REASONS[6]
        occ = occ[~occ["occ"].isin(gone)]
    occ = occ.sort_values([CID, "time"], kind="stable")
    out = pd.DataFrame(
        {
            CID: occ[CID].to_numpy(),
            DT: occ["time"].to_numpy(),
            "amount": occ["amount"].to_numpy(dtype=float),
            INV: occ[INV if occasion == "invoice" else "first_inv"].to_numpy(),
        }
    )
    gone_rows = reason.notna()
    table = (
        pd.DataFrame(
            {"reason": reason[gone_rows], "cid": d[CID][gone_rows], "v": value[gone_rows]}
        )
        .groupby("reason")
        .agg(rows=("v", "size"), customers=("cid", "nunique"), revenue=("v", "sum"))
    )
    table = table.reindex([r for r in REASONS if r in table.index])
    if REASONS[6] in table.index:
        table.loc[REASONS[6], "revenue"] += absorbed
    return out, table, value


def _check(got: PurchaseOccasions, d: pd.DataFrame, **opts: str) -> None:
    occ, table, value = _expected(d, **opts)
    o = got.occasions
    assert o.columns.tolist() == [CID, DT, "amount", INV]
    np.testing.assert_array_equal(o[CID].to_numpy(), occ[CID].to_numpy())
    np.testing.assert_array_equal(o[DT].to_numpy(), occ[DT].to_numpy())
    np.testing.assert_allclose(o["amount"].to_numpy(), occ["amount"].to_numpy(), rtol=1e-12)
    assert o[INV].tolist() == occ[INV].tolist()
    q = got.quality
    assert q.removed.index.tolist() == table.index.tolist()
    assert q.removed["rows"].tolist() == table["rows"].tolist()
    assert q.removed["customers"].tolist() == table["customers"].tolist()
    np.testing.assert_allclose(q.removed["revenue"], table["revenue"], rtol=1e-12, atol=1e-9)
    assert q.rows_in == len(d)
    assert q.rows_out == len(d) - int(table["rows"].sum())
    assert q.customers_in == d[CID].nunique()
    assert q.customers_out == occ[CID].nunique()
    assert q.occasions == len(occ)
    assert q.revenue_in == pytest.approx(value.sum(), rel=1e-12)
    assert q.revenue_out == pytest.approx(occ["amount"].sum(), rel=1e-12)
    assert q.revenue_in == pytest.approx(q.revenue_out + q.removed["revenue"].sum(), rel=1e-12)


@pytest.mark.parametrize("cancellations", ["exclude", "net"])
@pytest.mark.parametrize("duplicates", ["keep", "drop"])
@pytest.mark.parametrize("occasion", ["invoice", "day"])
def test_fixture_equals_direct_pandas(cancellations: str, duplicates: str, occasion: str) -> None:
    d = _lines()
    got = purchase_occasions(
        d, **LINES_KW, cancellations=cancellations, duplicates=duplicates, occasion=occasion
    )
    _check(got, d, cancellations=cancellations, duplicates=duplicates, occasion=occasion)
    assert got.occasion_unit == ("invoice" if occasion == "invoice" else "customer-day")
    assert (got.occasions["amount"] > 0).all()


def test_fixture_hand_checked_points() -> None:
    """A few numbers worked out by hand from the CSV, independent of _expected."""
    d = _lines()
    net = purchase_occasions(d, **LINES_KW, cancellations="net").occasions.set_index(INV)
    # 13085's 12 cat bowls (30.60) less 4 cancelled (10.20) and the C489470 manual 10.00
    assert net.loc["489435", "amount"] == pytest.approx(30.60 - 10.20 - 10.00)
    # 12346's 489450 is cancelled in full by C489451: no occasion left
    assert "489450" not in net.index
    # 489460 (4 x 12.75 + 6 x 4.95) less C489461 (2 x 4.95) and the return 489462 (4.25)
    assert net.loc["489460", "amount"] == pytest.approx(51.0 + 29.7 - 9.9 - 4.25)
    excl = purchase_occasions(d, **LINES_KW, cancellations="exclude").occasions
    last_day = excl[excl[DT].dt.normalize() == pd.Timestamp("2010-12-09")]
    assert last_day[INV].tolist() == ["538171", "538172", "538175", "538173"]
    assert last_day[DT].max() == pd.Timestamp("2010-12-09 20:01")


def test_net_carries_cancellations_back_last_in_first_out() -> None:
    lines = pd.DataFrame(
        {
            INV: ["1", "2", "C3", "4", "C5"],
            CID: [1, 1, 1, 2, 2],
            DT: pd.to_datetime(
                ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-01", "2024-01-02"]
            ),
            QTY: [1, 1, -1, 1, -1],
            PRICE: [100.0, 50.0, 70.0, 10.0, 30.0],
        }
    )
    got = purchase_occasions(lines, **LINES_KW, cancellations="net")
    # customer 1: C3 (70) wipes invoice 2 (50) and takes the other 20 from invoice 1;
    # customer 2: C5 (30) wipes invoice 4 (10), 20 is left that no purchase absorbs
    assert got.occasions[INV].tolist() == ["1"]
    assert got.occasions["amount"].tolist() == [80.0]
    q = got.quality
    assert q.removed.loc["netted to zero or below"].tolist() == [4, 2, -20.0]
    assert q.revenue_in == 100 + 50 - 70 + 10 - 30
    assert q.revenue_out == 80.0


def test_default_occasion_and_day_without_invoices() -> None:
    d = _lines()
    assert purchase_occasions(d, **LINES_KW, cancellations="exclude").occasion_unit == "invoice"
    kw = {k: v for k, v in LINES_KW.items() if k not in ("invoice_col", "cancel_prefix")}
    by_day = purchase_occasions(d[~d[INV].str.startswith("C")], **kw, cancellations="exclude")
    assert by_day.occasion_unit == "customer-day"
    assert by_day.occasions.columns.tolist() == [CID, DT, "amount"]
    with_inv = purchase_occasions(
        d[~d[INV].str.startswith("C")], **LINES_KW, cancellations="exclude", occasion="day"
    )
    pd.testing.assert_frame_equal(by_day.occasions, with_inv.occasions[[CID, DT, "amount"]])


def test_amount_column_equals_quantity_times_price() -> None:
    d = _lines()
    d = d[d[PRICE] > 0].assign(value=lambda f: f[QTY] * f[PRICE])
    a = purchase_occasions(d, **LINES_KW, cancellations="net")
    kw = {k: v for k, v in LINES_KW.items() if k not in ("quantity_col", "price_col")}
    b = purchase_occasions(d, **kw, amount_col="value", cancellations="net")
    pd.testing.assert_frame_equal(a.occasions, b.occasions)
    pd.testing.assert_frame_equal(a.quality.to_frame(), b.quality.to_frame())


def test_options_raise_with_counts() -> None:
    d = _lines()
    base = {k: v for k, v in LINES_KW.items() if k not in ("missing_ids", "non_positive_prices")}
    n_missing = int(d[CID].isna().sum())
    with pytest.raises(InvalidValueError, match=f"{n_missing} line.*missing_ids='drop'"):
        purchase_occasions(d, **base, cancellations="exclude")
    ids = d[d[CID].notna()]
    is_ret = ids[INV].str.startswith("C") | (ids[QTY] < 0)
    n_prefix = int(ids[INV].str.startswith("C").sum())
    with pytest.raises(
        InvalidValueError, match=rf"{int(is_ret.sum())} line.*{n_prefix} on invoices.*'net'"
    ):
        purchase_occasions(ids, **base)
    n_worthless = int(((ids[PRICE] <= 0) | (ids[QTY] == 0))[~is_ret].sum())
    with pytest.raises(InvalidValueError, match=f"{n_worthless} line.*non_positive_prices"):
        purchase_occasions(ids, **base, cancellations="exclude")


def test_argument_errors() -> None:
    d = _lines()
    with pytest.raises(MissingColumnsError, match="Qty"):
        purchase_occasions(d, **{**LINES_KW, "quantity_col": "Qty"}, cancellations="exclude")
    with pytest.raises(InvalidValueError, match="not both"):
        purchase_occasions(d, **LINES_KW, amount_col=PRICE, cancellations="exclude")
    with pytest.raises(InvalidValueError, match="give amount_col"):
        purchase_occasions(d, customer_id_col=CID, datetime_col=DT, quantity_col=QTY)
    with pytest.raises(InvalidValueError, match="needs invoice_col"):
        purchase_occasions(
            d, customer_id_col=CID, datetime_col=DT, amount_col=PRICE, occasion="invoice"
        )
    with pytest.raises(InvalidValueError, match="cancel_prefix"):
        purchase_occasions(
            d, customer_id_col=CID, datetime_col=DT, amount_col=PRICE, cancel_prefix="C"
        )
    for option, bad in [
        ("cancellations", "keep"),
        ("missing_ids", "omit"),
        ("duplicates", "first"),
        ("non_positive_prices", "keep"),
        ("occasion", "week"),
    ]:
        with pytest.raises(InvalidValueError, match=option):
            purchase_occasions(d, **{**LINES_KW, option: bad})
    with pytest.raises(InvalidValueError, match="datetime64"):
        purchase_occasions(d.assign(**{DT: d[DT].astype(str)}), **LINES_KW, cancellations="net")
    with pytest.raises(InvalidValueError, match="missing or infinite"):
        purchase_occasions(d.assign(**{PRICE: np.inf}), **LINES_KW, cancellations="net")
    with pytest.raises(InvalidValueError, match="empty"):
        purchase_occasions(d.iloc[:0], **LINES_KW, cancellations="net")
    only_missing = d[d[CID].isna()]
    with pytest.raises(InvalidValueError, match="no purchase occasion is left"):
        purchase_occasions(only_missing, **LINES_KW, cancellations="net")


def test_input_not_mutated_and_result_objects() -> None:
    d = _lines()
    before = d.copy()
    got = purchase_occasions(d, **LINES_KW, cancellations="net", duplicates="drop")
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(got.quality, DataQuality)
    assert ck.purchase_occasions is purchase_occasions
    assert ck.PurchaseOccasions is PurchaseOccasions
    text = repr(got)
    assert "occasions (one per invoice)" in text
    assert "2009-12-01 to 2010-12-09" in text
    assert "missing customer id: 5," in repr(got.quality)
    summary = got.quality.summary()
    assert summary[0].startswith(f"Read {len(d)} lines")
    assert any("repeating an earlier line exactly" in s for s in summary)
    frame = got.quality.to_frame()
    assert frame.index[0] == "input"
    assert frame.index[-1] == "output"
    assert frame["rows"].iloc[0] == frame["rows"].iloc[1:].sum()


def test_tz_aware_days_on_the_wall_clock() -> None:
    d = _lines()
    d[DT] = d[DT].dt.tz_localize("Asia/Tehran")
    got = purchase_occasions(d, **LINES_KW, cancellations="net", occasion="day")
    assert got.occasions[DT].dtype == d[DT].dtype
    naive = purchase_occasions(_lines(), **LINES_KW, cancellations="net", occasion="day")
    np.testing.assert_array_equal(
        got.occasions[DT].dt.tz_localize(None).to_numpy(), naive.occasions[DT].to_numpy()
    )
    np.testing.assert_allclose(got.occasions["amount"], naive.occasions["amount"])


def test_rfm_summary_on_occasions() -> None:
    """Occasions feed rfm_summary: daily periods merge same-day invoices; totals count them."""
    d = _lines()
    occ = purchase_occasions(d, **LINES_KW, cancellations="exclude", duplicates="drop").occasions
    s = rfm_summary(
        occ,
        customer_id_col=CID,
        datetime_col=DT,
        amount_col="amount",
        observation_end="2010-12-09",
        totals=True,
    )
    days = occ.assign(day=occ[DT].dt.normalize())
    per_day = days.groupby([CID, "day"])["amount"].sum().reset_index()
    expected_freq = per_day.groupby(CID).size() - 1
    np.testing.assert_array_equal(s["frequency"], expected_freq.to_numpy(dtype=float))
    np.testing.assert_array_equal(s["n_transactions"], occ.groupby(CID).size().to_numpy())
    first = per_day.groupby(CID)["day"].min()
    t_days = (pd.Timestamp("2010-12-09") - first).dt.days
    np.testing.assert_array_equal(s["T"], t_days.to_numpy(dtype=float))
    assert s["total_spend"].sum() == pytest.approx(occ["amount"].sum())


def _random_lines(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cid = rng.integers(0, 5, n).astype(float)
    cid[rng.random(n) < 0.1] = np.nan
    inv = rng.integers(100, 112, n).astype(str).astype(object)
    cancel = rng.random(n) < 0.2
    inv[cancel] = np.char.add("C", inv[cancel].astype(str))
    qty = rng.integers(-3, 6, n)
    price = rng.choice([0.0, 0.25, 1.5, 2.0], n)
    minutes = rng.integers(0, 6 * 24 * 60, n)
    dt = pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min")
    frame = pd.DataFrame({INV: inv, CID: cid, DT: dt, QTY: qty, PRICE: price})
    dup = rng.integers(0, n, max(n // 10, 1))
    return pd.concat([frame, frame.iloc[dup]], ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 60),
    cancellations=st.sampled_from(["exclude", "net"]),
    duplicates=st.sampled_from(["keep", "drop"]),
    occasion=st.sampled_from(["invoice", "day"]),
)
def test_random_lines_equal_direct_pandas(
    seed: int, n: int, cancellations: str, duplicates: str, occasion: str
) -> None:
    d = _random_lines(seed, n)
    opts = {"cancellations": cancellations, "duplicates": duplicates, "occasion": occasion}
    if len(_expected(d, **opts)[0]) == 0:
        with pytest.raises(InvalidValueError, match="no purchase occasion is left"):
            purchase_occasions(d, **LINES_KW, **opts)
        return
    got = purchase_occasions(d, **LINES_KW, **opts)
    _check(got, d, cancellations=cancellations, duplicates=duplicates, occasion=occasion)
    shuffled = d.sample(frac=1.0, random_state=seed % 1000)
    again = purchase_occasions(shuffled, **LINES_KW, **opts)
    pd.testing.assert_frame_equal(
        got.quality.to_frame(), again.quality.to_frame(), check_exact=False, rtol=1e-12
    )


@pytest.fixture(scope="module")
def retail_ii(shared_datasets: Path) -> pd.DataFrame:
    path = shared_datasets / "online_retail_ii" / "online_retail_ii_2009_2010.csv.gz"
    if not path.exists():
        pytest.skip("Online Retail II not available")
    return pd.read_csv(path, dtype={INV: str, "StockCode": str}, parse_dates=[DT])


def test_online_retail_ii_invoices(retail_ii: pd.DataFrame) -> None:
    """Customers, revenue, repeat share and revenue per invoice equal plain pandas."""
    d = retail_ii
    start = time.perf_counter()
    got = purchase_occasions(d, **LINES_KW, cancellations="exclude")
    elapsed = time.perf_counter() - start
    assert elapsed > 0  # measured in benchmarks/bench_occasions.py, not asserted here
    keep = d[CID].notna() & ~d[INV].str.startswith("C") & (d[QTY] > 0) & (d[PRICE] > 0)
    kept = d[keep]
    revenue = float((kept[QTY] * kept[PRICE]).sum())
    invoices = kept.groupby(CID)[INV].nunique()
    o = got.occasions
    assert got.quality.customers_out == kept[CID].nunique() == 4312
    assert len(o) == int(invoices.sum())
    assert got.quality.revenue_out == pytest.approx(revenue, rel=1e-12)
    share = float((o.groupby(CID).size() > 1).mean())
    assert share == pytest.approx(float((invoices > 1).mean()), abs=0)
    assert share == pytest.approx(0.67, abs=0.005)
    per_invoice = float(o["amount"].mean())
    assert per_invoice == pytest.approx(revenue / invoices.sum(), rel=1e-12)
    assert per_invoice == pytest.approx(460, abs=1)
    # the last day is inside: every invoice of 2010-12-09 is an occasion
    last = kept[kept[DT].dt.normalize() == pd.Timestamp("2010-12-09")]
    on_last = o[o[DT].dt.normalize() == pd.Timestamp("2010-12-09")]
    assert len(on_last) == last.groupby([CID, INV]).ngroups > 0
    s = rfm_summary(
        o,
        customer_id_col=CID,
        datetime_col=DT,
        amount_col="amount",
        observation_end="2010-12-09",
        totals=True,
    )
    assert s["total_spend"].sum() == pytest.approx(revenue, rel=1e-12)
    assert int(s["n_transactions"].sum()) == len(o)
