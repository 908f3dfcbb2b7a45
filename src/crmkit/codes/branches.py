"""Uniform codes across branches: import branch-local code lists, report every conflict.

Each branch (or legacy system) has its own item codes. :func:`import_branch_codes` maps
every ``(branch, local_code)`` onto one uniform registry code per *item* (the column
that says which real item a row means: a GTIN, an Iran Code, a master-data key), links
the local codes to that entry (scheme ``local:<branch>``) so
``registry.lookup(local, scheme=LocalCodeScheme(source=branch))`` finds it later, and
reports conflicts instead of silently picking one side:

``ambiguous_local_code``
    one branch uses one local code for two different items: those rows are **not**
    mapped (the registry cannot know which item the branch means);
``local_code_reused``
    the same local code names different items in different branches (each branch's
    row is mapped to its own item, but merging branch data by local code would be
    wrong);
``item_multiple_codes``
    one branch has one item under two or more local codes (all are mapped to the
    same uniform code; the duplicate coding is reported);
``invalid_item``
    the item key fails ``item_scheme`` (not mapped);
``registry_conflict``
    the local code is already linked in the registry to another entry (not mapped).

Examples
--------
>>> import pandas as pd
>>> from datetime import datetime, UTC
>>> from crmkit.codes.registry import CodeRegistry
>>> rows = pd.DataFrame(
...     {
...         "branch": ["Tehran", "Tabriz", "Tabriz", "Shiraz"],
...         "local_code": ["P1", "A-7", "A-8", "P1"],
...         "item": ["tea-500g", "tea-500g", "tea-500g", "rice-1kg"],
...     }
... )
>>> reg = CodeRegistry(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
>>> res = import_branch_codes(rows, reg, kind="product")
>>> res.mapping["code"].tolist()
['PROD-000001-8', 'PROD-000001-8', 'PROD-000001-8', 'PROD-000002-6']
>>> sorted(res.conflicts["conflict"].unique())
['item_multiple_codes', 'local_code_reused']
"""

from __future__ import annotations

from typing import Final, Literal

import attrs
import pandas as pd

from crmkit._validation import require_columns
from crmkit.codes._base import CodeScheme, show
from crmkit.codes.entries import CodeKind, UnknownCodeError
from crmkit.codes.internal import LocalCodeScheme
from crmkit.codes.registry import CodeRegistry
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = ["CONFLICT_COLUMNS", "MAPPING_COLUMNS", "BranchImportResult", "import_branch_codes"]

MAPPING_COLUMNS: Final = ("branch", "local_code", "item", "code", "status")
"""Columns of :attr:`BranchImportResult.mapping`."""
CONFLICT_COLUMNS: Final = ("conflict", "branch", "local_code", "item", "detail")
"""Columns of :attr:`BranchImportResult.conflicts`."""


@attrs.frozen(kw_only=True)
class BranchImportResult:
    """Outcome of :func:`import_branch_codes`.

    Attributes
    ----------
    mapping : pandas.DataFrame
        One row per distinct ``(branch, local_code, item)``, columns
        :data:`MAPPING_COLUMNS`; ``code`` is the uniform code (None where not mapped),
        ``status`` is ``"mapped"`` or ``"conflict"``.
    conflicts : pandas.DataFrame
        One row per conflicting ``(branch, local_code, item)``, columns
        :data:`CONFLICT_COLUMNS` (empty when there are none).
    """

    mapping: pd.DataFrame
    conflicts: pd.DataFrame

    @property
    def has_conflicts(self) -> bool:
        """Whether any conflict was found."""
        return not self.conflicts.empty


def _conflict_rows(rows: pd.DataFrame, mask: pd.Series, name: str, detail: str) -> pd.DataFrame:
    out = rows.loc[mask, ["branch", "local_code", "item"]].copy()
    out.insert(0, "conflict", name)
    out["detail"] = detail
    return out


def _to_kind(kind: object) -> CodeKind:
    if isinstance(kind, str) and kind in {k.value for k in CodeKind}:
        return CodeKind(kind)
    raise InvalidValueError(f"kind={show(kind)} is not one of {[k.value for k in CodeKind]}.")


def _usable_text(value: object) -> bool:
    """Non-empty text that UTF-8 (and so a DataFrame string column) can hold."""
    if not isinstance(value, str) or not str.strip(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def import_branch_codes(
    frame: pd.DataFrame,
    registry: CodeRegistry,
    *,
    kind: CodeKind | str,
    item_scheme: CodeScheme | None = None,
    branch_col: str = "branch",
    local_code_col: str = "local_code",
    item_col: str = "item",
    on_conflict: Literal["report", "raise"] = "report",
) -> BranchImportResult:
    """Map branch-local codes onto uniform registry codes, reporting every conflict.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (branch, local code, item); other columns are ignored. All three
        columns must be text without missing values. The frame is not modified.
    registry : CodeRegistry
        Receives one entry per new item (allocated in ``kind``'s scheme, item key
        linked as an external code) and the local-code links.
    kind : CodeKind or str
        Kind of the items (usually ``"product"`` or ``"service"``).
    item_scheme : CodeScheme, optional
        Scheme of the item column (e.g. ``GTIN``); default: free-form keys
        (``local:item``).
    branch_col, local_code_col, item_col : str
        Column names.
    on_conflict : {"report", "raise"}, default "report"
        ``"raise"``: raise before changing the registry if any conflict exists.

    Returns
    -------
    BranchImportResult

    Raises
    ------
    MissingColumnsError
        If a column is absent.
    InvalidValueError
        If a cell is missing or not text.
    InvariantError
        With ``on_conflict="raise"`` and at least one conflict.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"frame={show(frame)} must be a pandas DataFrame.")
    if not isinstance(registry, CodeRegistry):
        raise InvalidValueError(f"registry={show(registry)} must be a CodeRegistry.")
    if item_scheme is not None and not isinstance(item_scheme, CodeScheme):
        raise InvalidValueError(
            f"item_scheme={show(item_scheme)} must be a code scheme (e.g. crmkit.codes.GTIN)."
        )
    for name, col in (("branch_col", branch_col), ("local_code_col", local_code_col),
                      ("item_col", item_col)):  # fmt: skip
        if not isinstance(col, str):
            raise InvalidValueError(f"{name}={show(col)} must be a column name (str).")
    _to_kind(kind)
    require_columns(frame, [branch_col, local_code_col, item_col])
    if not isinstance(on_conflict, str) or on_conflict not in ("report", "raise"):
        raise InvalidValueError(f"on_conflict={show(on_conflict)}: use 'report' or 'raise'.")
    sub = frame[[branch_col, local_code_col, item_col]]
    sub.columns = pd.Index(["branch", "local_code", "item"])
    for col in sub.columns:
        bad = sub.index[~sub[col].map(_usable_text).astype(bool)]
        if len(bad):
            raise InvalidValueError(
                f"column {col!r} has missing or non-text values (or lone surrogates) at rows "
                f"{list(bad[:5])}; every row needs a branch, a local code and an item."
            )
    item_sch: CodeScheme = item_scheme or LocalCodeScheme(source="item")
    rows = pd.DataFrame(
        {
            "branch": sub["branch"].str.strip(),
            "local_code": [
                LocalCodeScheme(source=b.strip()).validate(c)
                for b, c in zip(sub["branch"], sub["local_code"], strict=True)
            ],
            "item": sub["item"].map(
                lambda v: item_sch.validate(v) if item_sch.is_valid(v) else v.strip()
            ),
            "valid_item": sub["item"].map(item_sch.is_valid),
        }
    ).drop_duplicates(["branch", "local_code", "item"], ignore_index=True)

    n_items = rows.groupby(["branch", "local_code"])["item"].transform("nunique")
    ambiguous = n_items > 1
    across = rows.groupby("local_code")["item"].transform("nunique") > 1
    reused = across & ~ambiguous & (rows.groupby("local_code")["branch"].transform("nunique") > 1)
    multi = rows.groupby(["branch", "item"])["local_code"].transform("nunique") > 1
    invalid = ~rows["valid_item"]
    blocked = ambiguous | invalid

    parts = [
        _conflict_rows(rows, ambiguous, "ambiguous_local_code", "one local code, several items"),
        _conflict_rows(
            rows, reused, "local_code_reused", "local code names other items elsewhere"
        ),
        _conflict_rows(rows, multi, "item_multiple_codes", "item has several local codes here"),
        _conflict_rows(rows, invalid, "invalid_item", f"item fails {item_sch.name}"),
    ]
    k = _to_kind(kind)
    triples = [
        (str(b), str(c), str(t))
        for b, c, t in zip(rows["branch"], rows["local_code"], rows["item"], strict=True)
    ]
    # registry conflicts: local code already linked to an entry of a different item
    linked_elsewhere = [False] * len(triples)
    for i, (branch, local, item) in enumerate(triples):
        if blocked.iloc[i]:
            continue
        try:
            linked = registry.lookup(local, scheme=LocalCodeScheme(source=branch))
        except UnknownCodeError:
            continue
        try:
            target: str | None = registry.lookup(item, scheme=item_sch).code
        except UnknownCodeError:
            target = None
        linked_elsewhere[i] = linked.code != target
    reg_conflict = pd.Series(linked_elsewhere, index=rows.index, dtype=bool)
    parts.append(
        _conflict_rows(rows, reg_conflict, "registry_conflict", "local code linked elsewhere")
    )
    conflicts = pd.concat(parts, ignore_index=True)[list(CONFLICT_COLUMNS)]
    if on_conflict == "raise" and not conflicts.empty:
        raise InvariantError(
            f"{len(conflicts)} conflict(s) in the branch code lists, e.g. "
            f"{conflicts.head(3).to_dict('records')}; fix them or use on_conflict='report'."
        )

    blocked = blocked | reg_conflict
    codes: list[str | None] = []
    for i, (branch, local, item) in enumerate(triples):
        if blocked.iloc[i]:
            codes.append(None)
            continue
        try:
            entry = registry.lookup(item, scheme=item_sch)
        except UnknownCodeError:
            entry = registry.allocate(k, label=item)
            entry = registry.link(entry.code, item, scheme=item_sch)
        local_scheme = LocalCodeScheme(source=branch)
        try:
            registry.lookup(local, scheme=local_scheme)
        except UnknownCodeError:
            registry.link(entry.code, local, scheme=local_scheme)
        codes.append(entry.code)
    mapping = rows[["branch", "local_code", "item"]].copy()
    mapping["code"] = pd.Series(codes, index=rows.index, dtype=object)
    mapping["status"] = ["conflict" if b else "mapped" for b in blocked]
    return BranchImportResult(mapping=mapping[list(MAPPING_COLUMNS)], conflicts=conflicts)
