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
    the item key fails every scheme of ``item_scheme`` (not mapped);
``registry_conflict``
    the local code is already linked in the registry to another entry (not mapped);
``label_mismatch``
    with ``label_col``: a row names its item differently from an earlier row of the
    same item, or from the label the registry already holds (labels are compared
    after :meth:`~crmkit.codes.CodeRegistry.find`'s normalisation). The row is still
    mapped; the first label given (for a new item) or the registry's label (for a
    known one) is kept - an import never overwrites a label, use
    :meth:`~crmkit.codes.CodeRegistry.edit` for that. The one exception is the
    placeholder an import gives an item allocated without a name (the item key
    itself): it is no name, so a later import's name is not a mismatch and replaces
    it (an ``edit`` in the audit log), and the entries end up the same whichever of
    concurrent imports runs first.

The whole import is one :meth:`~crmkit.codes.CodeRegistry.batch`: concurrent imports
into one registry never allocate an item twice, and an import that fails part-way
(a bad clock, an interrupt) leaves the registry as it was.

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

from collections.abc import Sequence
from typing import Final, Literal

import attrs
import pandas as pd

from crmkit._text import name_key
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


def _conflict_rows(
    rows: pd.DataFrame, mask: pd.Series, name: str, detail: str | list[str]
) -> pd.DataFrame:
    """The masked rows as conflicts; ``detail`` is one text or one per row of ``rows``."""
    out = rows.loc[mask, ["branch", "local_code", "item"]].copy()
    if not isinstance(detail, str):
        detail = [d for d, m in zip(detail, mask, strict=True) if m]
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


def _item_schemes(item_scheme: object) -> list[CodeScheme]:
    if item_scheme is None:
        return [LocalCodeScheme(source="item")]
    if isinstance(item_scheme, CodeScheme):
        return [item_scheme]
    if isinstance(item_scheme, Sequence) and not isinstance(item_scheme, str | bytes):
        schemes = list(item_scheme)
        if schemes and all(isinstance(x, CodeScheme) for x in schemes):
            return schemes
    raise InvalidValueError(
        f"item_scheme={show(item_scheme)} must be a code scheme (e.g. crmkit.codes.GTIN) "
        "or a non-empty list of them (e.g. [GTIN, IRAN_CODE_PRODUCT])."
    )


def _match(value: str, schemes: list[CodeScheme]) -> tuple[str, str | None]:
    """(canonical item key, scheme name) under the first scheme that accepts it."""
    for scheme in schemes:
        if scheme.is_valid(value):
            return scheme.validate(value), scheme.name
    return value.strip(), None


def _labels(frame: pd.DataFrame, label_col: str | None) -> list[str]:
    """The label cells, stripped ("" where none is given)."""
    if label_col is None:
        return [""] * len(frame)
    out = []
    for pos, cell in enumerate(frame[label_col].tolist()):
        if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
            out.append("")
        elif isinstance(cell, str) and (cell == "" or _usable_text(cell)):
            out.append(str.__str__(cell).strip())
        else:
            raise InvalidValueError(
                f"column {label_col!r} holds {show(cell)} at row {frame.index[pos]!r}; labels "
                "are text, or missing/empty where no name is given."
            )
    return out


def import_branch_codes(
    frame: pd.DataFrame,
    registry: CodeRegistry,
    *,
    kind: CodeKind | str,
    item_scheme: CodeScheme | Sequence[CodeScheme] | None = None,
    branch_col: str = "branch",
    local_code_col: str = "local_code",
    item_col: str = "item",
    label_col: str | None = None,
    on_conflict: Literal["report", "raise"] = "report",
    actor: str | None = None,
) -> BranchImportResult:
    """Map branch-local codes onto uniform registry codes, reporting every conflict.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (branch, local code, item); other columns are ignored. The
        branch, local code and item columns must be text without missing values. The
        frame is not modified.
    registry : CodeRegistry
        Receives one entry per new item (allocated in ``kind``'s scheme, item key
        linked as an external code) and the local-code links, all in one
        :meth:`~crmkit.codes.CodeRegistry.batch`.
    kind : CodeKind or str
        Kind of the items (usually ``"product"`` or ``"service"``).
    item_scheme : CodeScheme or list of CodeScheme, optional
        Scheme(s) of the item column. Each item key is matched by the **first** scheme
        in the list that validates it (so ``[GTIN, IRAN_CODE_PRODUCT]`` reads a
        barcode as a GTIN and an Iran Code as such; append
        ``LocalCodeScheme(source="item")`` to accept free-form keys as well). Default:
        free-form keys (``local:item``).
    branch_col, local_code_col, item_col : str
        Column names.
    label_col : str, optional
        Column with the item's name. It labels newly allocated entries (default
        label: the item key); cells may be missing or empty where no name is given.
        Disagreements are reported as ``label_mismatch`` (see the module notes).
    on_conflict : {"report", "raise"}, default "report"
        ``"raise"``: raise before changing the registry if any conflict exists.
    actor : str, optional
        Who runs the import (recorded in the registry's audit log).

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

    Examples
    --------
    >>> from crmkit.codes import GTIN, IRAN_CODE_PRODUCT, LocalCodeScheme
    >>> rows = pd.DataFrame(
    ...     {
    ...         "branch": ["Tehran", "Tabriz"],
    ...         "local_code": ["P1", "B9"],
    ...         "item": ["6261234567897", "626-1234567897"],
    ...         "name": ["Tea 500 g", "tea  500 G"],
    ...     }
    ... )
    >>> reg = CodeRegistry()
    >>> res = import_branch_codes(
    ...     rows, reg, kind="product", label_col="name", item_scheme=[GTIN, IRAN_CODE_PRODUCT]
    ... )
    >>> res.mapping["code"].tolist(), res.has_conflicts
    (['PROD-000001-8', 'PROD-000001-8'], False)
    >>> reg.lookup("B9", scheme=LocalCodeScheme(source="Tabriz")).label
    'Tea 500 g'
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"frame={show(frame)} must be a pandas DataFrame.")
    if not isinstance(registry, CodeRegistry):
        raise InvalidValueError(f"registry={show(registry)} must be a CodeRegistry.")
    schemes = _item_schemes(item_scheme)
    for name, col in (("branch_col", branch_col), ("local_code_col", local_code_col),
                      ("item_col", item_col)):  # fmt: skip
        if not isinstance(col, str):
            raise InvalidValueError(f"{name}={show(col)} must be a column name (str).")
    if label_col is not None and not isinstance(label_col, str):
        raise InvalidValueError(f"label_col={show(label_col)} must be a column name or None.")
    k = _to_kind(kind)
    require_columns(
        frame, [branch_col, local_code_col, item_col, *([] if label_col is None else [label_col])]
    )
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
    labels = _labels(frame, label_col)
    matched = [_match(v, schemes) for v in sub["item"]]
    every = pd.DataFrame(
        {
            "branch": sub["branch"].str.strip().to_numpy(),
            "local_code": [
                LocalCodeScheme(source=b.strip()).validate(c)
                for b, c in zip(sub["branch"], sub["local_code"], strict=True)
            ],
            "item": [m[0] for m in matched],
            "scheme": [m[1] for m in matched],
            "label": labels,
        }
    )
    every["valid_item"] = every["scheme"].notna()
    # the first label given per item names a new entry; later different ones conflict
    given = every[every["label"] != ""]
    first_label = dict(
        given.drop_duplicates(["scheme", "item"]).pipe(
            lambda g: zip(zip(g["scheme"], g["item"], strict=True), g["label"], strict=True)
        )
    )
    label_clash = pd.Series(
        [
            lab != "" and name_key(lab) != name_key(first_label[(s, t)])
            for s, t, lab in zip(every["scheme"], every["item"], every["label"], strict=True)
        ],
        index=every.index,
        dtype=bool,
    )
    label_parts = [
        _conflict_rows(
            every,
            label_clash,
            "label_mismatch",
            [
                f"label {lab!r} differs from {first_label.get((s, t), '')!r}, given first; "
                "the first is used"
                for s, t, lab in zip(every["scheme"], every["item"], every["label"], strict=True)
            ],
        )
    ]
    rows = every.drop_duplicates(["branch", "local_code", "item"], ignore_index=True)

    n_items = rows.groupby(["branch", "local_code"])["item"].transform("nunique")
    ambiguous = n_items > 1
    across = rows.groupby("local_code")["item"].transform("nunique") > 1
    reused = across & ~ambiguous & (rows.groupby("local_code")["branch"].transform("nunique") > 1)
    multi = rows.groupby(["branch", "item"])["local_code"].transform("nunique") > 1
    invalid = ~rows["valid_item"]
    blocked = ambiguous | invalid
    names = ", ".join(s.name for s in schemes)
    parts = [
        _conflict_rows(rows, ambiguous, "ambiguous_local_code", "one local code, several items"),
        _conflict_rows(
            rows, reused, "local_code_reused", "local code names other items elsewhere"
        ),
        _conflict_rows(rows, multi, "item_multiple_codes", "item has several local codes here"),
        _conflict_rows(rows, invalid, "invalid_item", f"item fails every scheme of: {names}"),
    ]
    by_name = {s.name: s for s in schemes}
    quads = [
        (str(b), str(c), str(t), by_name[s] if isinstance(s, str) else None)
        for b, c, t, s in zip(rows["branch"], rows["local_code"], rows["item"], rows["scheme"],
                              strict=True)
    ]  # fmt: skip
    with registry.batch(actor=actor):
        found = _registry_conflicts(registry, quads, blocked, every)
        reg_conflict = pd.Series(found[0], index=rows.index, dtype=bool)
        parts.append(
            _conflict_rows(rows, reg_conflict, "registry_conflict", "local code linked elsewhere")
        )
        parts.extend([*label_parts, found[1]])
        conflicts = pd.concat(parts, ignore_index=True)[list(CONFLICT_COLUMNS)]
        conflicts = conflicts.drop_duplicates(ignore_index=True)
        if on_conflict == "raise" and not conflicts.empty:
            raise InvariantError(
                f"{len(conflicts)} conflict(s) in the branch code lists, e.g. "
                f"{conflicts.head(3).to_dict('records')}; fix them or use on_conflict='report'."
            )
        blocked = blocked | reg_conflict
        codes: list[str | None] = []
        for i, (branch, local, item, sch) in enumerate(quads):
            if blocked.iloc[i] or sch is None:
                codes.append(None)
                continue
            named: str | None = first_label.get((sch.name, item))
            try:
                entry = registry.lookup(item, scheme=sch)
            except UnknownCodeError:
                entry = registry.allocate(k, label=named or item)
                entry = registry.link(entry.code, item, scheme=sch)
            else:
                if named and entry.label == item != named:  # a nameless import's placeholder
                    entry = registry.edit(entry.code, label=named)
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


def _registry_conflicts(
    registry: CodeRegistry,
    quads: list[tuple[str, str, str, CodeScheme | None]],
    blocked: pd.Series,
    every: pd.DataFrame,
) -> tuple[list[bool], pd.DataFrame]:
    """Local codes linked to another entry; given labels differing from the registry's."""
    linked_elsewhere = [False] * len(quads)
    held: dict[tuple[str, str], str] = {}
    for i, (branch, local, item, sch) in enumerate(quads):
        if blocked.iloc[i] or sch is None:
            continue
        try:
            owner = registry.lookup(item, scheme=sch)
        except UnknownCodeError:
            target: str | None = None
        else:
            target = owner.code
            if owner.label != item:  # the item key is a placeholder, not a name
                held[(sch.name, item)] = owner.label
        try:
            linked = registry.lookup(local, scheme=LocalCodeScheme(source=branch))
        except UnknownCodeError:
            continue
        linked_elsewhere[i] = linked.code != target
    clash = pd.Series(
        [
            lab != "" and (s, t) in held and name_key(lab) != name_key(held[(s, t)])
            for s, t, lab in zip(every["scheme"], every["item"], every["label"], strict=True)
        ],
        index=every.index,
        dtype=bool,
    )
    details = [
        f"label {lab!r} differs from the registry's {held.get((s, t), '')!r}, which is kept"
        for s, t, lab in zip(every["scheme"], every["item"], every["label"], strict=True)
    ]
    return linked_elsewhere, _conflict_rows(every, clash, "label_mismatch", details)
