"""``crmkit report --engine dask``: the report of partitioned Parquet equals the pandas one.

Each run writes the same lines once as one file for the pandas engine and once as
several Parquet files for the dask engine, runs the command both ways and compares every
CSV output: counts and labels exactly, money and model outputs to 1e-12 relative (the
cluster adds partition sums in another order; sums that cancel to about zero, to 1e-12
of their column's largest value).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.__main__ import _read, main

DATA = Path(__file__).parents[1] / "data" / "report_invoice_lines.csv"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _same_csv(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    assert list(a.columns) == list(b.columns), name
    assert a.shape == b.shape, name
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            want = x.to_numpy(dtype=float)
            # a sum that cancels to ~0 (netted cancellations) is compared on the
            # column's scale: 1e-12 of its largest value
            scale = float(np.nanmax(np.abs(want), initial=0.0))
            np.testing.assert_allclose(
                y.to_numpy(dtype=float), want, rtol=1e-12, atol=1e-12 * scale,
                err_msg=f"{name}: {col}",
            )  # fmt: skip
        else:
            pd.testing.assert_series_equal(y, x, check_names=True, obj=f"{name}: {col}")


def _compare(pandas_dir: Path, dask_dir: Path) -> list[str]:
    names = sorted(p.name for p in pandas_dir.glob("*.csv"))
    assert names == sorted(p.name for p in dask_dir.glob("*.csv"))
    for name in names:
        _same_csv(pd.read_csv(pandas_dir / name), pd.read_csv(dask_dir / name), name)
    headline = pd.read_csv(dask_dir / "headline.csv")
    assert set(headline["measure"]) >= {"customers", "top 20% of customers' share of revenue"}
    return names


def _write_parts(frame: pd.DataFrame, folder: Path, n: int, seed: int) -> Path:
    """Rows dealt to ``n`` files at random (each customer's lines spread out); returns
    one more file holding the same lines in file order, the input of the pandas run."""
    folder.mkdir()
    part = np.random.default_rng(seed).integers(0, n, size=len(frame))
    for i in range(n):
        frame.loc[part == i].to_parquet(folder / f"part-{i:02d}.parquet", index=False)
    whole = folder.parent / f"{folder.name}-all.parquet"
    pd.concat([frame.loc[part == i] for i in range(n)]).to_parquet(whole, index=False)
    return whole


def test_transaction_log_on_a_local_cluster_equals_pandas(
    tmp_path: Path, log_frame: pd.DataFrame
) -> None:
    # the command starts (and stops) its own LocalCluster of two workers here
    whole = _write_parts(log_frame, tmp_path / "parts", 5, seed=1)
    common = ["report", "--amount-col", "amount", "--no-figures", "--quiet"]
    code, out_pd, err = _run([*common, "--input", str(whole), "--output", str(tmp_path / "pd")])
    assert code == 0, err
    code, out_dk, err = _run(
        [*common, "--input", str(tmp_path / "parts" / "*.parquet"), "--engine", "dask",
         "--output", str(tmp_path / "dk")]
    )  # fmt: skip
    assert code == 0, err
    names = _compare(tmp_path / "pd", tmp_path / "dk")
    assert {"clv.csv", "rfm_summary.csv", "tracking.csv", "cohort_retention.csv"} <= set(names)
    # the console summary (headline, segments, Pareto, holdout and CLV lines) is the same
    assert out_dk.splitlines()[1:-2] == out_pd.splitlines()[1:-2]
    clv = pd.read_csv(tmp_path / "dk" / "clv.csv")
    assert len(clv) == log_frame["customer_id"].nunique()


def test_invoice_lines_on_a_running_scheduler_equal_pandas(
    tmp_path: Path, cluster_client: Any
) -> None:
    # invoice lines with cancellations, missing ids, duplicates and free lines, read
    # from 4 Parquet files by the session's cluster (--scheduler)
    lines = _read(DATA, "Customer ID", "InvoiceDate")
    whole = _write_parts(lines, tmp_path / "parts", 4, seed=2)
    common = [
        "report", "--customer-id-col", "Customer ID", "--datetime-col", "InvoiceDate",
        "--invoice-col", "Invoice", "--quantity-col", "Quantity", "--price-col", "Price",
        "--missing-ids", "drop", "--cancellations", "net", "--cancel-prefix", "C",
        "--no-figures", "--quiet",
    ]  # fmt: skip
    code, _, err = _run([*common, "--input", str(whole), "--output", str(tmp_path / "pd")])
    assert code == 0, err
    address = cluster_client.scheduler.address
    code, _, err = _run(
        [*common, "--input", str(tmp_path / "parts"), "--engine", "dask",
         "--scheduler", address, "--output", str(tmp_path / "dk")]
    )  # fmt: skip
    assert code == 0, err
    _compare(tmp_path / "pd", tmp_path / "dk")
    removed = pd.read_csv(tmp_path / "dk" / "data_quality_removed.csv")
    assert len(removed) >= 3  # missing ids, cancellations, free lines were all counted


def test_model_auto_on_a_running_scheduler_equals_pandas(
    tmp_path: Path, cluster_client: Any
) -> None:
    # --model auto compares the models on the split the cluster computed: the same
    # comparison, choice and CLV as the pandas engine
    lines = _read(DATA, "Customer ID", "InvoiceDate")
    whole = _write_parts(lines, tmp_path / "parts", 3, seed=3)
    common = [
        "report", "--customer-id-col", "Customer ID", "--datetime-col", "InvoiceDate",
        "--invoice-col", "Invoice", "--quantity-col", "Quantity", "--price-col", "Price",
        "--missing-ids", "drop", "--cancellations", "exclude", "--cancel-prefix", "C",
        "--model", "auto", "--no-figures",
    ]  # fmt: skip
    code, out_pd, err = _run([*common, "--input", str(whole), "--output", str(tmp_path / "pd")])
    assert code == 0, err
    code, out_dk, err = _run(
        [*common, "--input", str(tmp_path / "parts"), "--engine", "dask",
         "--scheduler", cluster_client.scheduler.address, "--output", str(tmp_path / "dk")]
    )  # fmt: skip
    assert code == 0, err
    assert "model_comparison.csv" in _compare(tmp_path / "pd", tmp_path / "dk")
    choice = [line for line in out_pd.splitlines() if line.startswith("  - model choice: ")]
    assert len(choice) == 1
    assert choice[0] in out_dk.splitlines()


def test_errors_name_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["report", "--amount-col", "amount", "--engine", "dask", "--output", str(tmp_path)]
    code, _, err = _run([*base, "--input", str(tmp_path / "nothing" / "*.parquet")])
    assert code == 2
    assert "no file matches" in err
    assert "*.parquet" in err
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "datetime": pd.to_datetime(["2024-01-01"] * 2), "amount": 1.0}
    )
    (tmp_path / "in").mkdir()
    frame.to_parquet(tmp_path / "in" / "a.parquet", index=False)
    frame.rename(columns={"amount": "value"}).to_parquet(tmp_path / "in" / "b.parquet")
    code, _, err = _run([*base, "--input", str(tmp_path / "in" / "*.parquet")])
    assert code == 2
    assert "b.parquet does not have the columns of a.parquet" in err
    assert "missing ['amount']" in err
    assert "same columns" in err
    frame.assign(customer_id=frame["customer_id"].astype(str)).to_parquet(
        tmp_path / "in" / "b.parquet", index=False
    )
    code, _, err = _run([*base, "--input", str(tmp_path / "in" / "*.parquet")])
    assert code == 2
    assert "column 'customer_id' is" in err
    assert "string in b.parquet but int64 in" in err
    frame.to_csv(tmp_path / "in" / "c.csv", index=False)
    code, _, err = _run([*base, "--input", str(tmp_path / "in" / "*")])
    assert code == 2
    assert "reads Parquet files only; 'c.csv' is not one" in err
    code, _, err = _run(base)
    assert code == 2
    assert "--engine dask needs --input" in err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were missing
    code, _, err = _run([*base, "--input", str(tmp_path / "in" / "a.parquet")])
    assert code == 2
    assert "pip install 'crmkit[dask]'" in err
