"""Merging duplicate customer records into one surviving record.

A merge keeps the survivor's code, records every merged code (and the merged records'
own aliases) in ``aliases``, fills the survivor's empty fields from the others, unites
contact points, tags and life events, and re-attributes every interaction, complaint,
opportunity and relationship of a merged code to the survivor: nothing is lost. Two
relationships of the survivor with the same counterparty become one, with a combined
stage history (see :func:`merge_records`).

Examples
--------
>>> from crmkit.domain import Customer
>>> a = Customer(
...     code="C1", name="Ali Rezaei", contacts=[{"channel": "e-mail", "value": "ali@x.ir"}]
... )
>>> b = Customer(
...     code="C9",
...     name="Ali Rezayi",
...     national_id="0499370899",
...     contacts=[{"channel": "phone", "value": "+989121234567"}],
... )
>>> m = merge_customers(a, b)
>>> m.code, m.aliases, m.national_id, [p.channel.value for p in m.contacts]
('C1', ('C9',), '0499370899', ['e-mail', 'phone'])
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from crmkit._validation import require_columns
from crmkit.codes._base import show
from crmkit.columns import CUSTOMER_ID
from crmkit.domain import _common as cv
from crmkit.domain.complaint import Complaint
from crmkit.domain.customer import Customer, CustomerStatus, Demographics, LifeEvent
from crmkit.domain.interaction import Interaction
from crmkit.domain.opportunity import Opportunity
from crmkit.domain.relationship import Relationship, RelationshipStage, StageChange
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = [
    "MergeResult",
    "cluster_duplicates",
    "combine_relationships",
    "merge_customer_frame",
    "merge_customers",
    "merge_records",
    "remap_ids",
]

R = TypeVar("R", Interaction, Complaint, Opportunity, Relationship)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _merge_demographics(records: list[Customer]) -> Demographics | None:
    demos = [c.demographics for c in records if c.demographics is not None]
    if not demos:
        return None
    birth = _first(*(d.birth_date for d in demos))
    return Demographics(
        birth_date=birth,
        age_band=None if birth is not None else _first(*(d.age_band for d in demos)),
        gender=_first(*(d.gender for d in demos)),
        income_band=_first(*(d.income_band for d in demos)),
    )


def _event_key(e: LifeEvent) -> tuple[Any, ...]:
    address = "" if e.address is None else json.dumps(e.address.to_record(), sort_keys=True)
    return (e.on, e.kind.value, e.detail or "", address, e.income_band or "")


def merge_customers(survivor: Customer, *others: Customer) -> Customer:
    """Merge ``others`` into ``survivor`` and return the surviving record.

    Rules: the survivor's non-empty fields win, empty ones are filled from ``others`` in
    the order given; ``contacts`` (by channel and normalised value), ``tags`` and
    ``life_events`` (equal events once) are united in first-seen / date order;
    ``acquired_on`` is the earliest; ``status`` is ``deceased`` if any record is;
    ``aliases`` gets every merged code and the merged records' own aliases.

    Raises
    ------
    InvalidValueError
        If an argument is not a :class:`Customer` or a code repeats.
    InvariantError
        If the united life events put an event after a recorded death (the records
        disagree; fix them before merging).
    """
    records = [survivor, *others]
    bad = [r for r in records if not isinstance(r, Customer)]
    if bad:
        raise InvalidValueError(f"merge_customers needs Customer objects, got {bad[0]!r}.")
    codes = [r.code for r in records]
    if len(set(codes)) != len(codes):
        raise InvalidValueError(f"cannot merge a record with itself; codes {codes} repeat.")
    contacts = {(p.channel, p.value): p for r in records for p in r.contacts}
    events = sorted(
        {_event_key(e): e for r in records for e in r.life_events}.items(),
        key=lambda kv: kv[0],
    )
    ev: list[LifeEvent] = [e for _, e in events]
    death = next((k for k, e in enumerate(ev) if e.kind.value == "death"), None)
    if death is not None and death != len(ev) - 1:
        raise InvariantError(
            f"merging {codes} puts a {ev[-1].kind.value!r} event on {ev[-1].on} after the "
            f"recorded death on {ev[death].on}; correct the records before merging."
        )
    aliases = [a for r in records for a in (r.code, *r.aliases) if a != survivor.code]
    acquired = [r.acquired_on for r in records if r.acquired_on is not None]
    deceased = death is not None or any(r.status is CustomerStatus.DECEASED for r in records)
    return attrs.evolve(
        survivor,
        demographics=_merge_demographics(records),
        marital_status=_first(*(r.marital_status for r in records)),
        address=_first(*(r.address for r in records)),
        contacts=tuple(contacts.values()),
        tags=tuple(t for r in records for t in r.tags),
        segment=_first(*(r.segment for r in records)),
        national_id=_first(*(r.national_id for r in records)),
        acquired_on=min(acquired) if acquired else None,
        acquisition_channel=_first(*(r.acquisition_channel for r in records)),
        status=CustomerStatus.DECEASED if deceased else survivor.status,
        life_events=tuple(ev),
        aliases=tuple(aliases),
    )


@attrs.frozen(kw_only=True)
class MergeResult:
    """The outcome of :func:`merge_records`: the survivor, the re-attributed records and
    what was merged.

    Attributes
    ----------
    customer : Customer
        The surviving record.
    interactions, complaints, opportunities, relationships : tuple
        Every item given, re-pointed to the survivor where it belonged to a merged
        code, in the input order (relationships combined as described in
        :func:`merge_records`).
    merged_codes : tuple of str
        The codes merged into the survivor (the others' codes and their aliases).
    reassigned : dict
        How many items of each kind were re-pointed to the survivor
        (``"interactions"``, ``"complaints"``, ``"opportunities"``,
        ``"relationships"``).
    combined_relationships : tuple of str
        Counterparties whose several relationships with the survivor became one.
    """

    customer: Customer
    interactions: tuple[Interaction, ...]
    complaints: tuple[Complaint, ...]
    opportunities: tuple[Opportunity, ...]
    relationships: tuple[Relationship, ...] = ()
    merged_codes: tuple[str, ...] = ()
    reassigned: dict[str, int] = attrs.field(factory=dict)
    combined_relationships: tuple[str, ...] = ()


def _reassign(
    name: str, items: Iterable[R], cls: type[Any], codes: set[str], to: str
) -> tuple[tuple[R, ...], int]:
    values = cv.items(name, items)
    bad = [x for x in values if not isinstance(x, cls)]
    if bad:
        raise InvalidValueError(f"{name} must hold {cls.__name__} objects; got {show(bad[0])}.")
    moved = sum(x.customer_code in codes for x in values)
    out = tuple(
        attrs.evolve(x, customer_code=to) if x.customer_code in codes else x for x in values
    )
    return out, moved


_S = RelationshipStage


def combine_relationships(relationships: Iterable[Relationship]) -> Relationship:
    """One relationship from several of the same customer with the same counterparty.

    Used when duplicate customer records are merged: each record may have its own
    relationship with the organisation, and the customer has one. The combined history
    follows these rules, applied day by day over every date in the histories:

    1. the relationship is **alive** on a day when at least one of them is in
       acquaintance or maintenance at the end of that day (the union of their alive
       spells), and terminated when all that have started are terminated;
    2. within an alive spell the stage is acquaintance until the first day any of them
       is in maintenance, then maintenance until the spell ends (a combined
       relationship never moves back from maintenance to acquaintance, a move the stage
       model forbids);
    3. a spell after a termination begins with a reactivation;
    4. each step keeps the reason of a same-day change to the same stage, if any.

    The result is therefore always a valid history. ``customer_code``,
    ``counterparty`` and ``shape`` are the first relationship's.

    Parameters
    ----------
    relationships : iterable of Relationship
        At least one; all with the same ``customer_code`` and ``counterparty``.

    Raises
    ------
    InvalidValueError
        If the collection is empty, holds something else, or mixes customers or
        counterparties.

    Examples
    --------
    >>> from crmkit.domain import Relationship
    >>> a = Relationship.start(customer_code="C1", on="2020-01-01").terminate(on="2021-01-01")
    >>> b = Relationship.start(customer_code="C1", on="2020-06-01").transition_to(
    ...     "maintenance", on="2022-01-01"
    ... )
    >>> r = combine_relationships([a, b])
    >>> [(c.stage.value, str(c.on), c.reactivation) for c in r.history]
    [('acquaintance', '2020-01-01', False), ('maintenance', '2022-01-01', False)]
    """
    rels: list[Relationship] = cv.items("relationships", relationships)
    bad = [r for r in rels if not isinstance(r, Relationship)]
    if bad or not rels:
        raise InvalidValueError(
            "relationships must hold at least one Relationship"
            + (f"; got {show(bad[0])}." if bad else "; got none.")
        )
    keys = sorted({(r.customer_code, r.counterparty) for r in rels})
    if len(keys) > 1:
        raise InvalidValueError(
            f"relationships of different customers or counterparties cannot be combined: "
            f"{keys[:5]}; re-point them to one customer first (merge_records does)."
        )
    if len(rels) == 1:
        return rels[0]
    changes = sorted(
        ((c.on, k, j, c) for k, r in enumerate(rels) for j, c in enumerate(r.history)),
        key=lambda t: (t[0], t[1], t[2]),
    )
    state: list[RelationshipStage | None] = [None] * len(rels)
    history: list[StageChange] = []
    current: RelationshipStage | None = None
    i = 0
    while i < len(changes):  # one pass over the changes, grouped by day
        day = changes[i][0]
        today: list[StageChange] = []
        while i < len(changes) and changes[i][0] == day:
            _, k, _, change = changes[i]
            state[k] = change.stage
            today.append(change)
            i += 1
        alive = {s for s in state if s is not None and s is not _S.TERMINATION}
        if not alive:
            target = _S.TERMINATION
        elif _S.MAINTENANCE in alive or current is _S.MAINTENANCE:
            target = _S.MAINTENANCE
        else:
            target = _S.ACQUAINTANCE
        if target is current:
            continue
        reason = next((c.reason for c in today if c.stage is target and c.reason), None)
        history.append(
            StageChange(
                stage=target, on=day, reason=reason, reactivation=current is _S.TERMINATION
            )
        )
        current = target
    return attrs.evolve(rels[0], history=tuple(history))


def _merge_relationships(
    relationships: tuple[Relationship, ...], survivor: str
) -> tuple[tuple[Relationship, ...], tuple[str, ...]]:
    groups: dict[str, list[int]] = {}
    for pos, r in enumerate(relationships):
        if r.customer_code == survivor:
            groups.setdefault(r.counterparty, []).append(pos)
    combined = {ps[0]: ps for ps in groups.values() if len(ps) > 1}
    skip = {p for ps in combined.values() for p in ps[1:]}
    out = []
    for pos, r in enumerate(relationships):
        if pos in skip:
            continue
        if pos in combined:
            members = [relationships[p] for p in combined[pos]]
            # the survivor's own relationship first: its shape is kept
            members.sort(key=lambda m: m is not r)
            out.append(combine_relationships(members))
        else:
            out.append(r)
    names = tuple(relationships[p].counterparty for p in combined)
    return tuple(out), names


def merge_records(
    survivor: Customer,
    others: Iterable[Customer],
    *,
    interactions: Iterable[Interaction] = (),
    complaints: Iterable[Complaint] = (),
    opportunities: Iterable[Opportunity] = (),
    relationships: Iterable[Relationship] = (),
) -> MergeResult:
    """Merge customers and re-attribute their interactions, complaints, opportunities
    and relationships.

    Every item whose ``customer_code`` is a merged code (or an alias of one) now carries
    the survivor's code; all other items are returned unchanged, in the same order, so
    the counts are preserved. Relationships are the exception: afterwards the survivor
    has at most one relationship per counterparty. Several are combined with
    :func:`combine_relationships` (alive while any was alive; maintenance from the
    first day any was in maintenance; the survivor's own relationship's shape kept)
    and the combined one takes the place of the first of them.

    Parameters
    ----------
    survivor : Customer
    others : iterable of Customer
        The records merged into ``survivor`` (see :func:`merge_customers`).
    interactions, complaints, opportunities, relationships : iterable, optional
        Records of any customers; those of merged codes are re-pointed.

    Returns
    -------
    MergeResult
        With the survivor, every item, and what was merged (``merged_codes``,
        ``reassigned`` counts, ``combined_relationships``).

    Raises
    ------
    InvalidValueError
        If an argument holds objects of the wrong class.
    InvariantError
        If the records disagree about a death (see :func:`merge_customers`).

    Examples
    --------
    >>> import datetime as dt
    >>> from crmkit.domain import Customer, Interaction, Relationship
    >>> a, b = Customer(code="C1", name="Ali"), Customer(code="C2", name="Ali")
    >>> i = Interaction(
    ...     customer_code="C2",
    ...     at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    ...     channel="web",
    ...     kind="sales",
    ...     phase="during sale",
    ...     direction="inbound",
    ... )
    >>> rels = [
    ...     Relationship.start(customer_code="C1", on="2021-03-01"),
    ...     Relationship.start(customer_code="C2", on="2020-01-01").terminate(on="2020-12-31"),
    ... ]
    >>> r = merge_records(a, [b], interactions=[i], relationships=rels)
    >>> r.customer.aliases, [x.customer_code for x in r.interactions]
    (('C2',), ['C1'])
    >>> r.merged_codes, r.reassigned["relationships"], r.combined_relationships
    (('C2',), 1, ('organisation',))
    >>> for c in r.relationships[0].history:
    ...     print(c.stage.value, c.on, c.reactivation)
    acquaintance 2020-01-01 False
    termination 2020-12-31 False
    acquaintance 2021-03-01 True
    """
    merged = merge_customers(survivor, *cv.items("others", others))
    codes = set(merged.aliases)
    to = merged.code
    inter, n_i = _reassign("interactions", interactions, Interaction, codes, to)
    comp, n_c = _reassign("complaints", complaints, Complaint, codes, to)
    opp, n_o = _reassign("opportunities", opportunities, Opportunity, codes, to)
    rel, n_r = _reassign("relationships", relationships, Relationship, codes, to)
    rel, combined = _merge_relationships(rel, to)
    return MergeResult(
        customer=merged,
        interactions=inter,
        complaints=comp,
        opportunities=opp,
        relationships=rel,
        merged_codes=tuple(a for a in merged.aliases if a not in survivor.aliases),
        reassigned={
            "interactions": n_i,
            "complaints": n_c,
            "opportunities": n_o,
            "relationships": n_r,
        },
        combined_relationships=combined,
    )


def cluster_duplicates(
    pairs: pd.DataFrame, *, threshold: float = 0.0, survivor_order: pd.Index | None = None
) -> pd.Series:
    """Group candidate pairs into clusters and choose one survivor per cluster.

    Records linked directly or through a chain of pairs with ``score >= threshold``
    form one cluster (connected components of the pair graph).

    Parameters
    ----------
    pairs : pandas.DataFrame
        Output of :func:`~crmkit.domain.quality.find_duplicates`.
    threshold : float, default 0
        Minimum score of a pair to link records.
    survivor_order : pandas.Index, optional
        Customer ids in order of preference (e.g. sorted by acquisition date); the
        first member of each cluster in this order survives. By default the smallest id.

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id`` (every id in a kept pair, sorted), values the survivor's id
        (name ``survivor_id``); survivors map to themselves.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame(
    ...     {
    ...         "customer_id_left": ["C1", "C3"],
    ...         "customer_id_right": ["C2", "C2"],
    ...         "score": [1.0, 0.8],
    ...     }
    ... )
    >>> cluster_duplicates(pairs).to_dict()
    {'C1': 'C1', 'C2': 'C1', 'C3': 'C1'}
    """
    left_col, right_col = f"{CUSTOMER_ID}_left", f"{CUSTOMER_ID}_right"
    pairs = cv.frame_arg("pairs", pairs)
    threshold = cv.real_arg("threshold", threshold, low=-np.inf, high=np.inf)
    if survivor_order is not None and not isinstance(survivor_order, pd.Index):
        raise InvalidValueError(
            f"survivor_order={show(survivor_order)} must be a pandas Index of ids or None."
        )
    require_columns(pairs, [left_col, right_col, "score"])
    kept = pairs[pairs["score"].to_numpy(dtype=float) >= threshold]
    codes, uniques = pd.factorize(pd.concat([kept[left_col], kept[right_col]], ignore_index=True))
    k = len(kept)
    n = len(uniques)
    graph = sp.coo_matrix((np.ones(k), (codes[:k], codes[k:])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    ids = pd.Index(uniques, name=CUSTOMER_ID)
    if survivor_order is None:
        rank = np.argsort(np.argsort(ids.to_numpy(), kind="stable"), kind="stable")
    else:
        missing = ids.difference(survivor_order)
        if len(missing):
            raise InvalidValueError(
                f"survivor_order lacks ids {list(missing[:5])}; include every paired id."
            )
        rank = survivor_order.get_indexer(ids)
    frame = pd.DataFrame({"label": labels, "rank": rank}, index=ids)
    best = frame.sort_values("rank").groupby("label").head(1)
    survivor_of = pd.Series(best.index.to_numpy(), index=best["label"].to_numpy())
    out = pd.Series(survivor_of.loc[labels].to_numpy(), index=ids, name="survivor_id")
    return out.sort_index()


def remap_ids(
    frame: pd.DataFrame, mapping: pd.Series, *, column: str = CUSTOMER_ID
) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` re-pointed to the survivors (vectorised).

    Ids not in ``mapping`` are kept; the row count is unchanged, so no interaction,
    complaint or purchase is lost.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["C2", "C5"], "amount": [10.0, 3.0]})
    >>> remap_ids(tx, pd.Series({"C2": "C1"}))["customer_id"].tolist()
    ['C1', 'C5']
    """
    frame = cv.frame_arg("frame", frame)
    mapping = cv.series_arg("mapping", mapping)
    column = cv.str_arg("column", column)
    require_columns(frame, [column])
    if mapping.isna().any():
        raise InvalidValueError(
            f"mapping has missing survivors for ids {list(mapping.index[mapping.isna()][:5])}; "
            "every mapped id needs the id it is merged into."
        )
    out = frame.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns before an incompatible fill
            out[column] = (
                frame[column].map(mapping).fillna(frame[column]).astype(frame[column].dtype)
            )
    except (TypeError, ValueError, Warning) as exc:
        raise InvalidValueError(
            f"mapping's ids do not match the type of column {column!r} ({exc}); map ids of "
            "the same type (e.g. text codes onto text codes)."
        ) from exc
    return out


def merge_customer_frame(customers: pd.DataFrame, survivors: pd.Series) -> pd.DataFrame:
    """Merge every cluster of a customer frame into its survivor's row.

    Parameters
    ----------
    customers : pandas.DataFrame
        Frame in the shape of :func:`~crmkit.domain.customers_to_frame` (index
        ``customer_id``).
    survivors : pandas.Series
        From :func:`cluster_duplicates`: ``customer_id`` -> survivor id.

    Returns
    -------
    pandas.DataFrame
        The frame with one row per survivor (merged with :func:`merge_customers`,
        merged ids listed in ``aliases``) and every other row unchanged, in the input's
        order, same columns. Only clustered rows go through the domain objects.

    Raises
    ------
    InvalidValueError
        If a clustered id or survivor is not in the frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.domain import Customer, customers_to_frame
    >>> f = customers_to_frame(
    ...     [
    ...         Customer(code="C1", name="Ali", segment="A"),
    ...         Customer(code="C2", name="Ali", tags=["vip"]),
    ...         Customer(code="C3", name="Sara"),
    ...     ]
    ... )
    >>> out = merge_customer_frame(f, pd.Series({"C1": "C1", "C2": "C1"}))
    >>> out.index.tolist(), out.loc["C1", "aliases"], out.loc["C1", "tags"]
    (['C1', 'C3'], ('C2',), ('vip',))
    """
    from crmkit.domain.frames import customers_from_frame, customers_to_frame

    customers = cv.frame_arg("customers", customers)
    survivors = cv.series_arg("survivors", survivors)
    ids = [*survivors.index.tolist(), *survivors.tolist()]
    bad = [v for v in ids if not isinstance(v, str)]
    if bad:
        raise InvalidValueError(
            f"survivors holds {show(bad[0])}; ids and survivors must be customer codes "
            "(text, none missing), as cluster_duplicates returns them."
        )
    involved = pd.Index(survivors.index).union(pd.Index(survivors.to_numpy()))
    missing = involved.difference(customers.index)
    if len(missing):
        raise InvalidValueError(
            f"ids {list(missing[:5])} are in survivors but not in the customer frame."
        )
    # .loc with an unnamed Index drops the index name on pandas < 3: keep it explicitly
    subset = customers.loc[involved].rename_axis(customers.index.name)
    records = {c.code: c for c in customers_from_frame(subset)}
    merged = []
    for survivor, members in survivors.groupby(survivors.to_numpy()).groups.items():
        others = [records[m] for m in members if m != survivor]
        merged.append(merge_customers(records[str(survivor)], *others))
    new_rows = customers_to_frame(merged)
    dropped = survivors.index[survivors.index != survivors.to_numpy()]
    order = customers.index[~customers.index.isin(dropped)]
    rest = customers.drop(index=involved)
    out: pd.DataFrame = pd.concat([rest, new_rows.astype(rest.dtypes.to_dict())])
    out = out.reindex(order)
    out.index.name = customers.index.name
    return out
