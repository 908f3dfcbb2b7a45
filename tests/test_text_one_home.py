"""Text normalisation and the ``schemes=`` check each exist once, for codes and domain.

``crmkit._text`` holds the digit, letter and separator rules; ``crmkit.codes._lookup``
holds the one check of a ``schemes=`` argument, used by the registry's look-ups and by
the domain records alike, so None means the same thing in both: every scheme the
registry knows.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

import crmkit
from crmkit._text import CODE_SEPARATOR_PATTERN, normalize_text, strip_code_separators
from crmkit.codes import GTIN, CodeRegistry
from crmkit.domain import Complaint
from crmkit.domain.quality import find_duplicates
from crmkit.exceptions import InvalidValueError

SRC = Path(crmkit.__file__).parent
# a digit table, an NFKC call or a separator set written again outside crmkit/_text.py
COPIES = re.compile(r"0x06F0|0x0660|normalize\(\s*\"NFKC\"|\[\\s\\-\./\]")


@pytest.mark.parametrize(
    "path",
    sorted(p for sub in ("codes", "domain") for p in (SRC / sub).rglob("*.py")),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_codes_and_domain_keep_no_copy_of_the_text_rules(path: Path) -> None:
    assert not COPIES.findall(path.read_text(encoding="utf-8")), (
        f"{path.name} repeats a rule of crmkit/_text.py; import it from there"
    )


def test_vectorised_separator_rule_matches_the_scalar_one() -> None:
    samples = ["049-937 089.9", "0499_370899", "۰۴۹۹\u200c۳۷۰۸۹۹", "04/99\u00a037\t0899"]
    vectorised = (
        pd.Series(samples, dtype="string").str.replace(CODE_SEPARATOR_PATTERN, "", regex=True)
    ).tolist()
    assert [strip_code_separators(s) for s in samples] == [normalize_text(v) for v in vectorised]


def test_national_ids_written_differently_are_one_exact_key() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["Sara Ahmadi", "Sara Ahmadi"],
            "national_id": ["049-937089-9", "۰۴۹۹\u200c۳۷۰۸۹۹"],  # Persian digits, ZWNJ
        }
    )
    pairs = find_duplicates(frame, exact_keys=["national_id"], blocking=[])
    assert len(pairs) == 1


def _registry_with_linked_gtin() -> tuple[CodeRegistry, str]:
    reg = CodeRegistry()
    tea = reg.allocate("product", label="Tea").code
    reg.link(tea, "6261234567897", scheme=GTIN)
    return reg, tea


def test_schemes_none_means_every_registry_scheme_for_columns_and_records() -> None:
    reg, tea = _registry_with_linked_gtin()
    gtin = "۶۲۶۱۲۳۴۵۶۷۸۹۷"
    assert reg.resolve_column(pd.Series([gtin]), schemes=None).tolist() == [tea]
    c = Complaint.receive(
        complaint_id="K1",
        customer_code="C1",
        item_code=gtin,
        at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )
    assert c.resolve_codes(reg, schemes=None, customer=False).item_code == tea


@pytest.mark.parametrize("junk", ["GTIN", b"GTIN", {"a": GTIN}, 3, [GTIN, "GTIN"]])
def test_bad_schemes_are_refused_alike_by_columns_and_records(junk: object) -> None:
    reg, _ = _registry_with_linked_gtin()
    c = Complaint.receive(
        complaint_id="K1",
        customer_code="C1",
        item_code="X",
        at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(InvalidValueError, match=r"^schemes=") as a:
        reg.resolve_column(pd.Series(["X"]), schemes=junk)
    with pytest.raises(InvalidValueError, match=r"^schemes=") as b:
        c.resolve_codes(reg, schemes=junk)  # type: ignore[arg-type]
    assert str(a.value) == str(b.value)
