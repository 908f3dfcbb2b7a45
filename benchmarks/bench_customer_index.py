"""Benchmark CustomerIndex: build once, then look customers up by phone and e-mail.

Run from the repository root (not part of CI):

    PYTHONPATH=src python benchmarks/bench_customer_index.py [--customers 100000] [--queries 2000]

Compares, for the same queries (half known numbers typed in Persian digits with a trunk
0, half known e-mail addresses in upper case):

* crmkit: ``CustomerIndex.by_phone`` / ``by_email`` (normalise the query, one dict access);
* scan: what users did before, a Python loop over every customer's contact points;
* numpy lower bound for a scan: one vectorised equality test over an array of the
  normalised values (no normalisation cost counted).

Each timing is the best of three runs (the machine may be shared). The index answer is
checked against the scan's for every query.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from crmkit.domain import Channel, ContactPoint, Customer
from crmkit.domain.quality import CustomerIndex

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best  # noqa: E402


def make_customers(n: int, seed: int = 2026) -> list[Customer]:
    """n customers, each with a mobile number and an e-mail address."""
    rng = np.random.default_rng(seed)
    numbers = rng.choice(10**9, size=n, replace=False)
    return [
        Customer(
            code=f"CUST-{k:07d}",
            name=f"Customer {k}",
            contacts=(
                ContactPoint(channel=Channel.MOBILE, value=f"+989{numbers[k]:09d}"),
                ContactPoint(channel=Channel.EMAIL, value=f"c{k}@example.ir"),
            ),
        )
        for k in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    people = make_customers(args.customers)
    rng = np.random.default_rng(7)
    picks = rng.integers(0, len(people), size=args.queries)
    phones = [people[k].contacts[0].value for k in picks[: args.queries // 2]]
    emails = [people[k].contacts[1].value for k in picks[args.queries // 2 :]]
    typed_phones = ["0" + p[3:].translate(PERSIAN) for p in phones]  # 0912... in Persian
    typed_emails = [e.upper() for e in emails]

    build, index = best(lambda: CustomerIndex(people), repeat=1)
    assert isinstance(index, CustomerIndex)

    def crmkit_lookups() -> list[tuple[str, ...]]:
        out = [index.by_phone(p, default_country_code="98") for p in typed_phones]
        return out + [index.by_email(e) for e in typed_emails]

    phone_arr = np.array([c.contacts[0].value for c in people])
    email_arr = np.array([c.contacts[1].value for c in people])
    codes = np.array([c.code for c in people])

    def numpy_scan() -> list[tuple[str, ...]]:
        out = [tuple(codes[phone_arr == p]) for p in phones]
        return out + [tuple(codes[email_arr == e]) for e in emails]

    t_idx, got = best(crmkit_lookups)
    n_scan = min(50, args.queries)  # the Python scan is slow: time a subset, scale per query
    sub_phones, sub_emails = phones[: n_scan // 2], emails[: n_scan // 2]

    def scan_subset() -> list[tuple[str, ...]]:
        return [
            tuple(c.code for c in people if any(p.value == v for p in c.contacts))
            for v in [*sub_phones, *sub_emails]
        ]

    t_scan, scanned = best(scan_subset, repeat=1)
    t_np, lower = best(numpy_scan)
    assert got == lower, "index and vectorised scan disagree"
    assert scanned == lower[: len(sub_phones)] + lower[len(phones) : len(phones) + len(sub_emails)]
    per = {
        "crmkit CustomerIndex": t_idx / args.queries,
        "Python scan (before)": t_scan / (len(sub_phones) + len(sub_emails)),
        "numpy scan lower bound": t_np / args.queries,
    }
    print(f"customers: {len(people):,}; queries: {args.queries:,}; index build: {build:.2f} s")
    print(f"{'method':<26}{'us / query':>14}{'ratio to crmkit':>18}")
    for name, t in per.items():
        print(f"{name:<26}{t * 1e6:>14.1f}{t / per['crmkit CustomerIndex']:>18.1f}")


if __name__ == "__main__":
    main()
