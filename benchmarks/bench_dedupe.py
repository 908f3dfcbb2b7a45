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

import resource
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
    nid = pd.Series((rng.choice(9 * 10**9, size=n_base, replace=False) + 10**9).astype(str)).where(
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
    t0, c0 = time.perf_counter(), time.process_time()
    pairs = find_duplicates(frame, default_country_code="98", threshold=0.6, max_block_size=2000)
    t_find, c_find = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    clusters = cluster_duplicates(pairs, threshold=0.75)
    t_clu = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    normalize_phone_series(frame["phone"], default_country_code="98")
    t_norm, c_norm = time.perf_counter() - t0, time.process_time() - c0
    same = (
        group.loc[pairs["customer_id_left"]].to_numpy()
        == group.loc[pairs["customer_id_right"]].to_numpy()
    )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    all_pairs = n * (n - 1) / 2
    print(f"records            {n:>12,d}   planted duplicate pairs {n_truth:,d}")
    print(f"{'step':<18} {'wall s':>12} {'cpu s':>8}")
    print(f"{'synthesise':<18} {t_gen:>12.2f}")
    print(f"{'normalise phones':<18} {t_norm:>12.2f} {c_norm:>8.2f}")
    print(f"{'find_duplicates':<18} {t_find:>12.2f} {c_find:>8.2f}   pairs>=0.6 {len(pairs):,d}")
    print(f"{'cluster (>= 0.75)':<18} {t_clu:>12.2f}            clustered ids {len(clusters):,d}")
    print(f"peak RSS {peak_gb:.2f} GB; all-pairs comparisons avoided: {all_pairs:,.0f}")
    print(f"{'threshold':>9} {'pairs':>9} {'precision':>10} {'recall':>8}")
    exact = pairs[["national_id", "email", "phone"]].any(axis=1).to_numpy()
    print(f"{'exact':>9} {exact.sum():>9,d} {same[exact].mean():>10.4f} "
          f"{(same & exact).sum() / n_truth:>8.4f}")  # fmt: skip
    for th in (0.6, 0.7, 0.75, 0.8, 0.9):
        k = pairs["score"].to_numpy() >= th
        print(f"{th:>9.2f} {k.sum():>9,d} {same[k].mean():>10.4f} {same[k].sum() / n_truth:>8.4f}")
    k = exact | ((pairs["score"].to_numpy() >= 0.7) & pairs["same_birth_date"].to_numpy())
    print(f"{'0.70+dob':>9} {k.sum():>9,d} {same[k].mean():>10.4f} {same[k].sum() / n_truth:>8.4f}"
          "   (exact key, or name >= 0.7 with the same birth date)")  # fmt: skip


if __name__ == "__main__":
    main()
