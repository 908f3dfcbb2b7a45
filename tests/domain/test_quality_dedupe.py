"""Duplicate detection: exact keys, blocking, fuzzy names, scale behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmkit.domain.quality import blocking_key, find_duplicates
from crmkit.domain.quality.dedupe import _iter_pairs, _pairs_within
from crmkit.exceptions import DegenerateDataWarning, InvalidValueError, MissingColumnsError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Ali Karimi", "علي كريمي", "ALI  KARIMY", "Sara Ahmadi", "Reza Karimi",
                     "علی کریمی"],
            "email": ["ali@x.ir", None, "Ali@X.ir", "sara@y.ir", None, None],
            "phone": ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", None, "09350000000", "09121111111", None],
            "national_id": [None, None, None, "001-234567-8", None, "0012345678"],
            "birth_date": pd.to_datetime(["1980-01-01", "1980-01-01", "1980-07-01",
                                          "1990-01-01", "1980-02-02", "1980-01-01"]),
        },
        index=pd.Index([f"C{k}" for k in range(1, 7)], name="customer_id"),
    )  # fmt: skip


def test_pairs_within_blocks_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    keys = pd.Series(rng.integers(0, 15, 200)).astype("string")
    keys[rng.random(200) < 0.1] = pd.NA
    i, j = _pairs_within(keys, 1000, "k")
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    k = keys.to_numpy()
    want = {
        (a, b)
        for a in range(200)
        for b in range(a + 1, 200)
        if k[a] is not pd.NA and k[b] is not pd.NA and k[a] == k[b]
    }
    assert got == want


def test_chunked_pairs_equal_unchunked() -> None:
    keys = pd.Series(np.random.default_rng(3).integers(0, 9, 120)).astype("string")
    whole = set(zip(*_pairs_within(keys, 1000, "k"), strict=True))
    chunks = list(_iter_pairs(keys, 1000, "k", chunk_pairs=7))
    assert len(chunks) > 1  # one chunk per block here: every block exceeds 7 pairs
    parts = [set(zip(i.tolist(), j.tolist(), strict=True)) for i, j in chunks]
    assert set().union(*parts) == {(int(a), int(b)) for a, b in whole}
    assert sum(map(len, parts)) == len(whole)


def test_exact_and_fuzzy_pairs() -> None:
    pairs = find_duplicates(_frame(), default_country_code="98", threshold=0.5)
    found = {(a, b): s for a, b, s in pairs[["customer_id_left", "customer_id_right", "score"]]
             .itertuples(index=False)}  # fmt: skip
    assert found[("C1", "C2")] == 1.0  # same phone, Persian digits
    assert found[("C1", "C3")] == 1.0  # same e-mail, other case
    assert ("C2", "C6") in found  # Arabic vs Persian letters: identical normalised names
    assert found[("C2", "C6")] == 1.0
    assert found[("C4", "C6")] == 1.0  # the same national id, written with separators
    assert list(pairs.columns) == ["customer_id_left", "customer_id_right", "score",
                                   "name_similarity", "national_id", "email", "phone",
                                   "same_birth_date"]  # fmt: skip
    assert pairs["score"].is_monotonic_decreasing


def test_national_id_formats_match() -> None:
    f = _frame()
    f.loc["C6", "national_id"] = "۰۰۱۲۳۴۵۶۷۸"
    f.loc["C4", "national_id"] = "001-234567-8"
    pairs = find_duplicates(f, exact_keys=("national_id",), blocking=())
    assert pairs[["customer_id_left", "customer_id_right"]].to_numpy().tolist() == [["C4", "C6"]]
    assert bool(pairs.loc[0, "national_id"])


def test_threshold_filters_block_pairs_only() -> None:
    strict = find_duplicates(_frame(), default_country_code="98", threshold=1.0)
    assert (strict["score"] == 1.0).all()
    assert {("C1", "C2"), ("C1", "C3")} <= set(
        zip(strict["customer_id_left"], strict["customer_id_right"], strict=True)
    )


def test_big_blocks_are_skipped_with_a_warning() -> None:
    f = pd.DataFrame({"name": ["a b"] * 5, "city": ["Tehran"] * 5},
                     index=pd.Index(list("VWXYZ"), name="customer_id"))  # fmt: skip
    with pytest.warns(DegenerateDataWarning, match="max_block_size=3"):
        out = find_duplicates(f, exact_keys=(), blocking=("city",), max_block_size=3)
    assert out.empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(find_duplicates(f, exact_keys=(), blocking=("city",))) == 10


def test_input_errors() -> None:
    f = _frame()
    with pytest.raises(MissingColumnsError, match="national_id"):
        find_duplicates(f.drop(columns="national_id"))
    with pytest.raises(InvalidValueError, match="unknown exact key"):
        find_duplicates(f, exact_keys=("passport",))
    with pytest.raises(InvalidValueError, match="neither built in"):
        blocking_key(f, "zip")
    with pytest.raises(InvalidValueError, match="repeated values"):
        find_duplicates(pd.concat([f, f]))


def test_input_is_not_modified() -> None:
    f = _frame()
    before = f.copy()
    find_duplicates(f, default_country_code="98")
    pd.testing.assert_frame_equal(f, before)


def test_synthetic_recall_and_precision() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from bench_dedupe import synthesize

    frame, group = synthesize(20_000, 0.05, seed=11)
    pairs = find_duplicates(frame, default_country_code="98")
    same = (group.loc[pairs["customer_id_left"]].to_numpy()
            == group.loc[pairs["customer_id_right"]].to_numpy())  # fmt: skip
    sizes = group.value_counts()
    n_true = int((sizes * (sizes - 1) // 2).sum())
    assert same.sum() / n_true > 0.9  # recall
    assert same.mean() > 0.9  # precision


def test_progress_reports_each_phase_and_the_logger_too(caplog: pytest.LogCaptureFixture) -> None:
    messages: list[str] = []
    with caplog.at_level("INFO", logger="crmkit.domain"):
        pairs = find_duplicates(
            _frame(), default_country_code="98", threshold=0.5, progress=messages.append
        )
    assert messages[0].startswith("find_duplicates: normalised ")
    assert any("exact key 'email'" in m for m in messages)
    assert messages[-1].startswith(f"find_duplicates: {len(pairs):,} candidate pairs")
    assert [r.getMessage() for r in caplog.records] == messages
    with pytest.raises(InvalidValueError, match="progress"):
        find_duplicates(_frame(), progress="yes")  # type: ignore[arg-type]


def test_no_progress_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    find_duplicates(_frame(), default_country_code="98")
    assert capsys.readouterr() == ("", "")
