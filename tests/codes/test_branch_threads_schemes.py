"""Three threads importing overlapping branch lists keyed by GTINs and Iran Codes, typed
with Persian digits and dashes and named with letter variants, leave exactly one registry
entry per item, every branch code linked to it, and one audit trail per branch."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from crmkit._text import DIGIT_TABLE
from crmkit.codes import (
    GTIN,
    IRAN_CODE_PRODUCT,
    CodeRegistry,
    LocalCodeScheme,
    import_branch_codes,
)

PERSIAN = {v: k for k, v in DIGIT_TABLE.items() if 0x06F0 <= k <= 0x06F9}


def _gtin(i: int) -> str:
    base = f"626{i:09d}"
    return next(base + str(d) for d in range(10) if GTIN.is_valid(base + str(d)))


def _items(n: int) -> list[tuple[str, str]]:
    """(canonical key, name): half GTINs, half Iran Codes."""
    out = []
    for i in range(n):
        key = _gtin(i) if i % 2 else f"2710032{i:05d}{i % 7:04d}"
        out.append((key, f"چای نوع {i}"))
    return out


def _typed(key: str, name: str, branch: int) -> tuple[str, str]:
    """The key and name as branch ``branch`` types them."""
    if branch == 1:  # Persian digits, Arabic yeh
        return key.translate(PERSIAN), name.replace("ی", "ي")
    if branch == 2:  # dashes, doubled spaces
        return f"{key[:3]}-{key[3:]}", name.replace(" ", "  ")
    return key, name


@pytest.mark.parametrize("round_", range(3))
def test_three_threads_leave_one_entry_per_item(round_: int) -> None:
    n = 90
    items = _items(n)
    third = n // 3
    chosen = [range(2 * third), range(third, n), [*range(third), *range(2 * third, n)]]
    lists = []
    for b, idx in enumerate(chosen):
        typed = [_typed(*items[i], b) for i in idx]
        lists.append(
            pd.DataFrame(
                {
                    "branch": f"B{b}",
                    "local_code": [f"L{b}-{i}" for i in idx],
                    "item": [k for k, _ in typed],
                    "name": [nm for _, nm in typed],
                }
            )
        )
    reg = CodeRegistry()
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    results = []

    def work(frame: pd.DataFrame) -> None:
        try:
            barrier.wait(10)
            results.append(
                import_branch_codes(
                    frame,
                    reg,
                    kind="product",
                    item_scheme=[GTIN, IRAN_CODE_PRODUCT],
                    label_col="name",
                    actor=f"import {frame['branch'].iloc[0]}",
                )
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f,)) for f in lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert not any(r.has_conflicts for r in results)  # names agree after normalisation
    products = reg.find("product")
    assert len(products) == n
    found = {
        reg.lookup(k, scheme=GTIN if GTIN.is_valid(k) else IRAN_CODE_PRODUCT).code
        for k, _ in items
    }
    assert found == {e.code for e in products}
    for frame in lists:  # every typed key and every branch code leads to the same entry
        for branch, local, key, _ in frame.itertuples(index=False):
            scheme = (
                IRAN_CODE_PRODUCT
                if IRAN_CODE_PRODUCT.is_valid(key) and not GTIN.is_valid(key)
                else GTIN
            )
            assert reg.lookup(local, scheme=LocalCodeScheme(source=branch)) == reg.lookup(
                key, scheme=scheme
            )
    log = reg.audit_log()
    assert (log["action"] == "allocate").sum() == n
    assert set(log["actor"]) == {"import B0", "import B1", "import B2"}
    assert log["seq"].is_monotonic_increasing


def _one_item(branch: str, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"branch": [branch], "local_code": ["X1"], "item": [_gtin(7)], "name": [name]}
    )


@pytest.mark.parametrize("nameless_first", [True, False])
def test_a_nameless_import_leaves_a_placeholder_a_later_name_replaces(
    nameless_first: bool,
) -> None:
    reg = CodeRegistry()
    runs = [("Shiraz", ""), ("Tehran", "چای ۵۰۰ گرم")]
    if not nameless_first:
        runs.reverse()
    results = [
        import_branch_codes(
            _one_item(b, n), reg, kind="product", item_scheme=GTIN, label_col="name", actor=b
        )
        for b, n in runs
    ]
    assert not any(r.has_conflicts for r in results)  # a placeholder is not a name
    (entry,) = reg.find("product")
    assert entry.label == "چای ۵۰۰ گرم"  # whichever import ran first
    log = reg.audit_log()
    assert (log["action"] == "edit").sum() == (1 if nameless_first else 0)


def test_a_registry_name_is_still_kept_and_a_different_one_reported() -> None:
    reg = CodeRegistry()
    import_branch_codes(_one_item("Tehran", "Tea"), reg, kind="product", item_scheme=GTIN,
                        label_col="name")  # fmt: skip
    res = import_branch_codes(
        _one_item("Shiraz", "Coffee"), reg, kind="product", item_scheme=GTIN, label_col="name"
    )
    assert res.conflicts["conflict"].tolist() == ["label_mismatch"]
    assert reg.find("product")[0].label == "Tea"
