"""Benchmark: duplicate detection on synthetic customer records with planted duplicates.

Generates ``n`` records (default 1,000,000) of which a fraction are perturbed copies of
other records (typos in the name, Arabic letter variants, Persian digits, national /
international phone formats, upper-case e-mails, dropped fields), runs
:func:`crmkit.domain.quality.find_duplicates` and reports the time, the number of pairs
and the precision / recall on the planted duplicate pairs. A second line compares the
blocked run against the all-pairs count it avoids.

Usage::

    PYTHONPATH=src python benchmarks/bench_dedupe.py [n] [duplicate_share]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from crmkit.domain.quality import cluster_duplicates, find_duplicates, normalize_phone_series

SYLLABLES = np.array(
    [
        "ba",
        "be",
        "da",
        "de",
        "fa",
        "fe",
        "ga",
        "ha",
        "he",
        "ja",
        "ka",
        "ke",
        "la",
        "le",
        "ma",
        "me",
        "na",
        "ne",
        "pa",
        "ra",
        "re",
        "sa",
        "se",
        "sha",
        "ta",
        "te",
        "va",
        "ya",
        "za",
        "zi",
        "mo",
        "ro",
        "ri",
        "ni",
        "li",
        "hos",
        "sei",
        "ali",
        "reza",
        "ami",
        "har",
    ]
)
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _names(rng: np.random.Generator, n: int, parts: int) -> np.ndarray:
    cols = [SYLLABLES[rng.integers(0, len(SYLLABLES), n)] for _ in range(parts)]
    out = cols[0].astype(object)
    for c in cols[1:]:
        out = out + c
    return out


def synthesize(n: int, dup_share: float, seed: int = 20261123) -> tuple[pd.DataFrame, pd.Series]:
    """Records and, for each, the id of the person it describes (its group)."""
    rng = np.random.default_rng(seed)
    n_dup = int(n * dup_share)
    n_base = n - n_dup
    first = _names(rng, n_base, 2)
    last = _names(rng, n_base, 3)
    name = pd.Series(first, dtype=object).str.capitalize() + " " + pd.Series(last).str.capitalize()
    phone = pd.Series((rng.choice(10**9, size=n_base, replace=False) + 10**9).astype(str))
    phone = "09" + phone.str.slice(1)
    birth = pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 65 * 365, n_base), "D")
    email = (pd.Series(first) + "." + pd.Series(last) + rng.integers(0, 1000, n_base).astype(str)
             + "@mail.example")  # fmt: skip
    email = email.where(rng.random(n_base) < 0.7)
    nid = pd.Series(rng.integers(10**9, 10**10, n_base).astype(str)).where(
        rng.random(n_base) < 0.5
    )
    base = pd.DataFrame(
        {"name": name, "email": email, "phone": phone, "national_id": nid, "birth_date": birth}
    )
    src = rng.integers(0, n_base, n_dup)
    dup = base.iloc[src].reset_index(drop=True).copy()
    # name perturbations: one-character typo for half, case/space noise for the rest
    names = dup["name"].to_numpy(dtype=object)
    typo = rng.random(n_dup) < 0.5
    pos = rng.integers(1, 8, n_dup)
    names[typo] = [s[:p] + s[p + 1 :] for s, p in zip(names[typo], pos[typo], strict=True)]
    names[~typo] = [("  " + s.upper()) for s in names[~typo]]
    dup["name"] = names
    r = rng.random(n_dup)
    ph = dup["phone"]
    dup["phone"] = np.where(
        r < 0.3,
        None,
        np.where(r < 0.6, ph.str.translate(PERSIAN_DIGITS), "+98 " + ph.str.slice(1)),
    )
    r = rng.random(n_dup)
    dup["email"] = dup["email"].where(r < 0.5).str.upper()
    dup["national_id"] = dup["national_id"].where(rng.random(n_dup) < 0.3)
    shift = np.where(rng.random(n_dup) < 0.1, rng.integers(-20, 21, n_dup), 0)  # entry errors
    dup["birth_date"] = dup["birth_date"] + pd.to_timedelta(shift, "D")
    frame = pd.concat([base, dup], ignore_index=True)
    frame.index = pd.Index([f"CUST-{k:07d}" for k in range(len(frame))], name="customer_id")
    group = pd.Series(np.r_[np.arange(n_base), src], index=frame.index, name="group")
    return frame, group


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    share = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    t0 = time.perf_counter()
    frame, group = synthesize(n, share)
    sizes = group.value_counts()
    n_truth = int((sizes * (sizes - 1) // 2).sum())
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs = find_duplicates(frame, default_country_code="98", threshold=0.7, max_block_size=2000)
    t_find = time.perf_counter() - t0
    t0 = time.perf_counter()
    clusters = cluster_duplicates(pairs)
    t_clu = time.perf_counter() - t0
    t0 = time.perf_counter()
    normalize_phone_series(frame["phone"], default_country_code="98")
    t_norm = time.perf_counter() - t0
    same = (
        group.loc[pairs["customer_id_left"]].to_numpy()
        == group.loc[pairs["customer_id_right"]].to_numpy()
    )
    tp = int(same.sum())
    precision = tp / len(pairs) if len(pairs) else float("nan")
    recall = tp / n_truth
    all_pairs = n * (n - 1) / 2
    print(f"records            {n:>14,d}   planted duplicate pairs {n_truth:,d}")
    print(f"synthesise         {t_gen:>12.2f} s")
    print(f"normalise phones   {t_norm:>12.2f} s")
    print(f"find_duplicates    {t_find:>12.2f} s   pairs {len(pairs):,d}")
    print(f"cluster_duplicates {t_clu:>12.2f} s   clustered ids {len(clusters):,d}")
    print(f"precision          {precision:>12.4f}")
    print(f"recall             {recall:>12.4f}")
    print(f"pairs compared vs all pairs: blocking avoids {all_pairs:,.0f} comparisons "
          f"({len(pairs) / all_pairs:.2e} of them kept)")  # fmt: skip


if __name__ == "__main__":
    main()
