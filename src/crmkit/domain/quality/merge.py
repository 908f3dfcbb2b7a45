"""Merging duplicate customer records into one surviving record.

A merge keeps the survivor's code, records every merged code (and the merged records'
own aliases) in ``aliases``, fills the survivor's empty fields from the others, unites
contact points, tags and life events, and re-attributes every interaction, complaint and
opportunity of a merged code to the survivor: nothing is lost.

Examples
--------
>>> from crmkit.domain import Customer
>>> a = Customer(
...     code="C1", name="Ali Rezaei", contacts=[{"channel": "e-mail", "value": "ali@x.ir"}]
... )
>>> b = Customer(
...     code="C9",
...     name="Ali Rezayi",
...     national_id="0012345678",
...     contacts=[{"channel": "phone", "value": "+989121234567"}],
... )
>>> m = merge_customers(a, b)
>>> m.code, m.aliases, m.national_id, [p.channel.value for p in m.contacts]
('C1', ('C9',), '0012345678', ['e-mail', 'phone'])
"""

from __future__ import annotations

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
from crmkit.exceptions import InvalidValueError, InvariantError

__all__ = [
    "MergeResult",
    "cluster_duplicates",
    "merge_customer_frame",
    "merge_customers",
    "merge_records",
    "remap_ids",
]

R = TypeVar("R", Interaction, Complaint, Opportunity)


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


def merge_customers(survivor: Customer, *others: Customer) -> Customer:
    """Merge ``others`` into ``survivor`` and return the surviving record.

    Rules: the survivor's non-empty fields win, empty ones are filled from ``others`` in
    the order given; ``contacts`` (by channel and normalised value), ``tags`` and
    ``life_events`` (by kind, date and detail) are united in first-seen / date order;
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
        {(e.on, e.kind.value, e.detail or ""): e for r in records for e in r.life_events}.items(),
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
    """The outcome of :func:`merge_records`: the survivor and the re-attributed records."""

    customer: Customer
    interactions: tuple[Interaction, ...]
    complaints: tuple[Complaint, ...]
    opportunities: tuple[Opportunity, ...]


def _reassign(
    name: str, items: Iterable[R], cls: type[Any], codes: set[str], to: str
) -> tuple[R, ...]:
    values = cv.items(name, items)
    bad = [x for x in values if not isinstance(x, cls)]
    if bad:
        raise InvalidValueError(f"{name} must hold {cls.__name__} objects; got {show(bad[0])}.")
    return tuple(
        attrs.evolve(x, customer_code=to) if x.customer_code in codes else x for x in values
    )


def merge_records(
    survivor: Customer,
    others: Iterable[Customer],
    *,
    interactions: Iterable[Interaction] = (),
    complaints: Iterable[Complaint] = (),
    opportunities: Iterable[Opportunity] = (),
) -> MergeResult:
    """Merge customers and re-attribute their interactions, complaints and opportunities.

    Every item whose ``customer_code`` is a merged code (or an alias of one) now carries
    the survivor's code; all other items are returned unchanged, in the same order, so
    the counts are preserved.

    Examples
    --------
    >>> import datetime as dt
    >>> from crmkit.domain import Customer, Interaction
    >>> a, b = Customer(code="C1", name="Ali"), Customer(code="C2", name="Ali")
    >>> i = Interaction(
    ...     customer_code="C2",
    ...     at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    ...     channel="web",
    ...     kind="sales",
    ...     phase="during sale",
    ...     direction="inbound",
    ... )
    >>> r = merge_records(a, [b], interactions=[i])
    >>> r.customer.aliases, [x.customer_code for x in r.interactions]
    (('C2',), ['C1'])
    """
    merged = merge_customers(survivor, *cv.items("others", others))
    codes = set(merged.aliases)
    return MergeResult(
        customer=merged,
        interactions=_reassign("interactions", interactions, Interaction, codes, merged.code),
        complaints=_reassign("complaints", complaints, Complaint, codes, merged.code),
        opportunities=_reassign("opportunities", opportunities, Opportunity, codes, merged.code),
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
