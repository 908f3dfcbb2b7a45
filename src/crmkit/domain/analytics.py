"""Vectorised analyses over the domain frames of :mod:`crmkit.domain.frames`.

* :func:`complaints_per_item` — count complaints per product or service code
  (a benefit of uniform item codes), per canonical registry code when given the
  :class:`~crmkit.codes.CodeRegistry`;
* :func:`complaint_stage_durations` — how long each complaint spent in each response
  stage, time to first response and to resolution;
* :func:`contacts_before_first_purchase` — contacts a customer had before buying
  (the practitioner rule of thumb "8-10 contacts for a new customer" becomes
  testable on your data);
* :func:`weighted_forecast` — weighted sales forecast by period.

All take frames, never loop over rows in Python, and never modify their input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from crmkit._compat import positional_options, renamed_keywords
from crmkit._dates import check_date_range, to_datetime
from crmkit._durations import DurationUnit, check_duration_unit, duration
from crmkit._validation import handle_nan, require_columns, require_nonempty
from crmkit.codes._base import CodeScheme, show
from crmkit.codes._lookup import check_schemes
from crmkit.codes.entries import UnknownCodeError
from crmkit.codes.registry import CodeRegistry
from crmkit.columns import CUSTOMER_ID, DATETIME
from crmkit.domain import _canon
from crmkit.domain import _common as cv
from crmkit.domain.complaint import ComplaintStage
from crmkit.domain.frames import opportunities_to_frame
from crmkit.domain.opportunity import Opportunity, OpportunityStage
from crmkit.exceptions import CrmkitError, InvalidValueError
from crmkit.jalali import Calendar
from crmkit.timeunits._periods import check_period_alias, dated_periods


@contextlib.contextmanager
def _cells(name: str) -> Iterator[None]:
    """Turn pandas' errors on unusable cell contents into one crmkit error."""
    try:
        with warnings.catch_warnings():
            # pandas warns (and guesses) on cells it cannot parse cleanly: refuse instead
            warnings.simplefilter("error", category=UserWarning)
            warnings.simplefilter("error", category=FutureWarning)
            warnings.simplefilter("error", category=DeprecationWarning)
            yield
    except CrmkitError:
        raise
    except (TypeError, ValueError, OverflowError, KeyError, Warning) as exc:
        raise InvalidValueError(
            f"{name}: a column holds values of the wrong type ({type(exc).__name__}: "
            f"{str(exc)[:200]}); use the column types of the matching *_to_frame output "
            "(text codes, tz-aware timestamps, integer steps, numeric amounts)."
        ) from exc


__all__ = [
    "complaint_stage_durations",
    "complaints_per_item",
    "contacts_before_first_purchase",
    "weighted_forecast",
]

_DONE = (ComplaintStage.RESOLVED.value, ComplaintStage.CLOSED.value)


def _canonical_column(
    values: pd.Series, registry: CodeRegistry, schemes: tuple[CodeScheme, ...], column: str
) -> pd.Series:
    """The registry's canonical code for every cell of ``values``.

    :meth:`CodeRegistry.resolve_column <crmkit.codes.CodeRegistry.resolve_column>` does
    the work, vectorised: each *distinct* code is resolved once (own codes in any form,
    merged codes followed to their survivor, external codes of ``schemes`` only), so the
    cost grows with the number of distinct codes, not of rows. Codes the registry does
    not know are all named in one :class:`~crmkit.codes.UnknownCodeError`; none is
    passed through.
    """
    texts = [v for v in pd.unique(values) if not isinstance(v, str)]
    if texts:
        raise InvalidValueError(
            f"column {column!r} holds {show(texts[0])}, not text; codes are text (read "
            "CSV columns of codes with dtype=str)."
        )
    canonical = registry.resolve_column(values, schemes=schemes, errors="coerce")
    unknown = pd.unique(values[canonical.isna().to_numpy()]).tolist()
    if unknown:
        names = [s.name for s in schemes]
        raise UnknownCodeError(
            f"{len(unknown)} {column} value(s) are not known to the registry, e.g. "
            f"{show(unknown[:5])} (tried registry codes and merges"
            + (f", and the external schemes {names}" if names else "")
            + "); register or link them, pass their scheme in schemes=, or correct the "
            "rows. No complaint is left out of the counts.",
            code=unknown[0],
            scheme=None,
            reason="unknown",
        )
    return canonical


def complaints_per_item(
    complaints: pd.DataFrame,
    *,
    registry: CodeRegistry | None = None,
    schemes: Iterable[CodeScheme] = (),
) -> pd.DataFrame:
    """Number of complaints per product or service code.

    Parameters
    ----------
    complaints : pandas.DataFrame
        Long form from :func:`~crmkit.domain.complaints_to_frame` (columns
        ``complaint_id``, ``customer_id``, ``item_code``, ``step``, ``stage``).
    registry : CodeRegistry, optional
        Count per **canonical** code: every ``item_code`` is resolved in the registry
        (merged codes followed to the surviving entry) or, failing that, looked up as
        an external code of one of ``schemes``. Without it, codes are counted as
        written.
    schemes : iterable of CodeScheme or None, default ()
        External schemes the item codes may be written in, e.g.
        ``[crmkit.codes.GTIN]``; each scheme normalises its codes first (Persian or
        Arabic digits, spaces and dashes). None: every scheme the registry knows.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``item_code``, sorted by ``n_complaints`` descending (ties by code):
        ``n_complaints``, ``n_customers`` (distinct complainants), ``n_open`` (current
        stage not resolved/closed) and ``share`` (of all complaints). With
        ``registry``, the index holds canonical codes and a last column
        ``written_as`` lists, per canonical code, the distinct codes as written.

    Raises
    ------
    UnknownCodeError
        With ``registry``, for item codes the registry does not know (all counted,
        up to five shown).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame(
    ...     {
    ...         "complaint_id": ["K1", "K2", "K2", "K3"],
    ...         "customer_id": ["C1", "C1", "C1", "C2"],
    ...         "item_code": ["P1", "P1", "P1", "P2"],
    ...         "step": [0, 0, 1, 0],
    ...         "stage": ["received", "received", "acknowledged", "received"],
    ...     }
    ... )
    >>> complaints_per_item(f)
               n_complaints  n_customers  n_open     share
    item_code
    P1                    2            1       2  0.666667
    P2                    1            1       1  0.333333

    One product under its code, a code merged into it and its GTIN typed with Persian
    digits is one product for the registry:

    >>> from crmkit.codes import GTIN, CodeRegistry
    >>> reg = CodeRegistry()
    >>> tea = reg.allocate("product", label="Tea").code
    >>> old = reg.allocate("product", label="Tea, old code").code
    >>> _ = reg.merge(old, into=tea)
    >>> _ = reg.link(tea, "6261234567897", scheme=GTIN)
    >>> g = pd.DataFrame(
    ...     {
    ...         "complaint_id": ["K1", "K2", "K3"],
    ...         "customer_id": ["C1", "C2", "C3"],
    ...         "item_code": [tea, old, "۶۲۶۱۲۳۴۵۶۷۸۹۷"],
    ...         "step": 0,
    ...         "stage": "received",
    ...     }
    ... )
    >>> out = complaints_per_item(g, registry=reg, schemes=[GTIN])
    >>> out.index.tolist() == [tea], int(out["n_complaints"].iloc[0])
    (True, 3)
    """
    complaints = cv.frame_arg("complaints", complaints)
    if registry is not None:
        registry = _canon.check_registry(registry)
    use = check_schemes(schemes, registry)
    require_columns(complaints, ["complaint_id", CUSTOMER_ID, "item_code", "step", "stage"])
    require_nonempty(complaints, name="complaints")
    handle_nan(complaints, ["complaint_id", "item_code", "step"], "raise")
    if registry is not None:
        written = complaints["item_code"]
        canonical = _canonical_column(written, registry, use, "item_code")
        complaints = complaints.assign(item_code=canonical, _written=written)
    with _cells("complaints"):
        last = complaints.sort_values(["complaint_id", "step"]).drop_duplicates(
            "complaint_id", keep="last"
        )
        g = last.assign(_open=~last["stage"].isin(_DONE)).groupby("item_code")
        out = pd.DataFrame(
            {
                "n_complaints": g.size(),
                "n_customers": g[CUSTOMER_ID].nunique(),
                "n_open": g["_open"].sum().astype("int64"),
            }
        )
        out["share"] = out["n_complaints"] / out["n_complaints"].sum()
        if registry is not None:
            forms: dict[str, set[str]] = {}
            pairs = complaints[["item_code", "_written"]].drop_duplicates()
            for code, typed in zip(pairs["item_code"], pairs["_written"], strict=True):
                forms.setdefault(code, set()).add(typed)  # one pass over distinct pairs
            out["written_as"] = pd.Series(
                [tuple(sorted(forms[c])) for c in out.index], index=out.index, dtype=object
            )
        out = out.reset_index().sort_values(["n_complaints", "item_code"], ascending=[False, True])
    return out.set_index("item_code")


@positional_options("time_unit")
@renamed_keywords(unit="time_unit", as_of="observation_end")
def complaint_stage_durations(
    complaints: pd.DataFrame,
    *,
    time_unit: DurationUnit = "D",
    observation_end: pd.Timestamp | dt.datetime | str | None = None,
) -> pd.DataFrame:
    """Time each complaint spent in each response stage, and the headline durations.

    Parameters
    ----------
    complaints : pandas.DataFrame
        Long form from :func:`~crmkit.domain.complaints_to_frame`.
    time_unit : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Unit of every duration: ``"h"`` exact hours, the others as in
        :mod:`crmkit.timeunits`. (Named ``unit`` before crmkit 0.2; the old name
        still works, with a :class:`DeprecationWarning`, until 0.3.)
    observation_end : pandas.Timestamp, datetime or ISO text, optional
        Tz-aware instant at which observation of the complaints ends; when given, the
        time in each complaint's *current* stage runs to it; otherwise only stages
        already left are counted. It may not precede any complaint's last step
        (durations are never negative). (Named ``as_of`` before crmkit 0.2; the old
        name still works, with a :class:`DeprecationWarning`, until 0.3.)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``complaint_id`` (sorted): ``item_code``, ``customer_id``, ``stage``
        (current), ``time_to_first_response`` (receipt to the next step; NaN if none
        yet), ``time_to_resolution`` (receipt to the latest ``resolved`` step; NaN while
        open), then one column per stage (``received`` ... ``reopened``) with the total
        time spent in it over all visits (0 if never visited).

    Raises
    ------
    InvalidValueError
        Unknown time unit, naive timestamps or ``observation_end``, an
        ``observation_end`` before a complaint's last step, or steps whose times go
        back (both times named).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2024-01-01 09:00", "2024-01-01 21:00", "2024-01-03 09:00"])
    >>> f = pd.DataFrame(
    ...     {
    ...         "complaint_id": "K1",
    ...         "customer_id": "C1",
    ...         "item_code": "P1",
    ...         "step": [0, 1, 2],
    ...         "stage": ["received", "in progress", "resolved"],
    ...         "datetime": t.tz_localize("UTC"),
    ...     }
    ... )
    >>> d = complaint_stage_durations(f, time_unit="D")
    >>> row = d.loc["K1", ["time_to_first_response", "time_to_resolution", "in progress"]]
    >>> [float(v) for v in row]
    [0.5, 2.0, 1.5]
    >>> float(complaint_stage_durations(f, time_unit="h").loc["K1", "time_to_first_response"])
    12.0
    """
    complaints = cv.frame_arg("complaints", complaints)
    u = check_duration_unit(time_unit, name="time_unit")
    require_columns(
        complaints, ["complaint_id", CUSTOMER_ID, "item_code", "step", "stage", DATETIME]
    )
    require_nonempty(complaints, name="complaints")
    handle_nan(complaints, ["complaint_id", "step", DATETIME], "raise")
    with _cells("complaints"):
        return _stage_durations(complaints, u, observation_end)


def _stage_durations(complaints: pd.DataFrame, u: Any, end_at: Any) -> pd.DataFrame:
    f = complaints.sort_values(["complaint_id", "step"], kind="stable")
    stamps = to_datetime(f[DATETIME], name=f"column {DATETIME!r}")
    if stamps.dt.tz is None:
        raise InvalidValueError(
            f"column {DATETIME!r} is naive; localise it (Series.dt.tz_localize) first."
        )
    utc = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ids = f["complaint_id"].to_numpy()
    nxt = utc.groupby(ids, sort=False).shift(-1)
    backwards = (nxt < utc).to_numpy()
    if backwards.any():
        k = int(np.flatnonzero(backwards)[0])
        raise InvalidValueError(
            f"complaint {show(ids[k])}: step {show(f['step'].iloc[k])} at "
            f"{stamps.iloc[k].isoformat()} is followed by a step at an earlier time "
            f"({pd.Timestamp(nxt.iloc[k]).isoformat()} UTC); order the steps in time "
            "(a duration is never negative)."
        )
    if end_at is not None:
        end = pd.Timestamp(cv.aware("observation_end")(end_at)).tz_convert("UTC").tz_localize(None)
        last_t = utc.groupby(ids, sort=False).max()
        late = last_t[last_t > end]
        if len(late):
            raise InvalidValueError(
                f"observation_end={pd.Timestamp(end).isoformat()} UTC precedes the last step of "
                f"{len(late)} complaint(s), e.g. {show(late.index[0])} at "
                f"{pd.Timestamp(late.iloc[0]).isoformat()} UTC; a duration is never "
                "negative: pass an observation_end on or after every complaint's last step."
            )
        nxt = nxt.fillna(end)
    left = nxt.notna().to_numpy()
    spent = np.zeros(len(f))
    spent[left] = duration(utc.to_numpy()[left], nxt.to_numpy()[left], u)
    f2 = pd.DataFrame(
        {"complaint_id": ids, "stage": f["stage"].to_numpy(), "spent": spent, "t": utc.to_numpy()}
    )
    per_stage = f2.pivot_table(
        index="complaint_id", columns="stage", values="spent", aggfunc="sum", fill_value=0.0
    ).reindex(columns=[s.value for s in ComplaintStage], fill_value=0.0)
    g = f2.groupby("complaint_id")
    first_t = g["t"].first()
    last = f.drop_duplicates("complaint_id", keep="last").set_index("complaint_id")
    second_t = f2[f2.groupby("complaint_id").cumcount() == 1].set_index("complaint_id")["t"]
    resolved_t = (
        f2[f2["stage"] == ComplaintStage.RESOLVED.value].groupby("complaint_id")["t"].max()
    )
    resolved_t = resolved_t.reindex(first_t.index)
    resolved_t = resolved_t.where(last["stage"].reindex(first_t.index).isin(_DONE))
    second_t = second_t.reindex(first_t.index)

    def dur(end: pd.Series) -> np.ndarray:
        out = np.full(len(end), np.nan)
        ok = end.notna().to_numpy()
        out[ok] = duration(first_t.to_numpy()[ok], end.to_numpy()[ok], u)
        return out

    out = pd.DataFrame(
        {
            "item_code": last["item_code"],
            CUSTOMER_ID: last[CUSTOMER_ID],
            "stage": last["stage"],
            "time_to_first_response": dur(second_t),
            "time_to_resolution": dur(resolved_t),
        },
        index=first_t.index,
    )
    out = out.join(per_stage)
    out.columns.name = None
    return out.sort_index()


def contacts_before_first_purchase(
    interactions: pd.DataFrame, purchases: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Number of contacts each customer had before their first purchase.

    Parameters
    ----------
    interactions : pandas.DataFrame
        From :func:`~crmkit.domain.interactions_to_frame` (``customer_id``, ``datetime``,
        ``kind``, ``amount``).
    purchases : pandas.DataFrame, optional
        Purchases (``customer_id``, ``datetime``) from a transaction log. Without it,
        purchases are the interactions of kind ``sales`` with a positive ``amount``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (every customer in ``interactions`` or
        ``purchases``): ``first_purchase`` (NaT if none), ``n_contacts_before``
        (non-purchase interactions strictly before the first purchase, or all of them
        for customers who never bought) and ``converted`` (bought at all).

    Raises
    ------
    MissingColumnsError
        If a required column is missing.
    InvalidValueError
        If one frame's timestamps are tz-aware and the other's naive, or a customer id
        or timestamp is missing (such rows would otherwise drop out of the counts).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02"], utc=True)
    >>> f = pd.DataFrame(
    ...     {
    ...         "customer_id": ["A", "A", "A", "B"],
    ...         "datetime": t,
    ...         "kind": ["marketing", "sales", "sales", "marketing"],
    ...         "amount": [None, None, 50.0, None],
    ...     }
    ... )
    >>> contacts_before_first_purchase(f)[["n_contacts_before", "converted"]]
                 n_contacts_before  converted
    customer_id
    A                            2       True
    B                            1      False
    """
    interactions = cv.frame_arg("interactions", interactions)
    if purchases is not None:
        purchases = cv.frame_arg("purchases", purchases)
    require_columns(interactions, [CUSTOMER_ID, DATETIME, "kind", "amount"])
    handle_nan(interactions, [CUSTOMER_ID, DATETIME], "raise")
    with _cells("interactions / purchases"):
        return _contacts_before(interactions, purchases)


def _contacts_before(interactions: pd.DataFrame, purchases: pd.DataFrame | None) -> pd.DataFrame:
    amount = pd.to_numeric(interactions["amount"]).fillna(0.0)
    is_buy = (interactions["kind"] == "sales") & (amount > 0)
    if purchases is None:
        buys = interactions.loc[is_buy, [CUSTOMER_ID, DATETIME]]
        contacts = interactions.loc[~is_buy, [CUSTOMER_ID, DATETIME]]
    else:
        require_columns(purchases, [CUSTOMER_ID, DATETIME])
        handle_nan(purchases, [CUSTOMER_ID, DATETIME], "raise")
        buys = purchases[[CUSTOMER_ID, DATETIME]]
        tz_i = to_datetime(interactions[DATETIME], name=f"interactions[{DATETIME!r}]").dt.tz
        tz_p = to_datetime(buys[DATETIME], name=f"purchases[{DATETIME!r}]").dt.tz
        if (tz_i is None) != (tz_p is None):
            raise InvalidValueError(
                f"interactions[{DATETIME!r}] has time zone {tz_i} but purchases[{DATETIME!r}] "
                f"has {tz_p}; localise both (Series.dt.tz_localize) before comparing them."
            )
        contacts = interactions.loc[~is_buy, [CUSTOMER_ID, DATETIME]]
    first = buys.groupby(CUSTOMER_ID)[DATETIME].min().rename("first_purchase")
    ids = pd.Index(pd.concat([interactions[CUSTOMER_ID], buys[CUSTOMER_ID]]).unique())
    first = first.reindex(ids.sort_values())
    first.index.name = CUSTOMER_ID
    cutoff = contacts[CUSTOMER_ID].map(first)
    before = cutoff.isna() | (contacts[DATETIME] < cutoff)
    counts = contacts.loc[before.to_numpy(dtype=bool)].groupby(CUSTOMER_ID).size()
    out = pd.DataFrame(
        {
            "first_purchase": first,
            "n_contacts_before": counts.reindex(first.index, fill_value=0).astype("int64"),
            "converted": first.notna(),
        }
    )
    return out


@positional_options("period")
def weighted_forecast(
    opportunities: Iterable[Opportunity] | pd.DataFrame,
    *,
    period: str = "Q",
    include_closed: bool = True,
    calendar: Calendar = "gregorian",
) -> pd.DataFrame:
    """Weighted sales forecast per expected-close period.

    .. math::

       F_p = \\sum_{i:\\,\\text{close}_i \\in p} \\text{amount}_i \\, \\Pr(\\text{win}_i)

    Parameters
    ----------
    opportunities : iterable of Opportunity or DataFrame
        Objects, or a frame from :func:`~crmkit.domain.opportunities_to_frame` (columns
        ``amount``, ``probability``, ``expected_close``, ``stage`` and ``currency``).
    period : str, default "Q"
        ``"M"``, ``"Q"`` or ``"Y"``: calendar months, quarters or years; or a pandas
        fiscal-year alias such as ``"Q-MAR"`` (quarters of a year ending in March) or
        ``"Y-MAR"``.
    include_closed : bool, default True
        Count closed-won deals (probability 1) and closed-lost ones (0); with False
        only open opportunities are forecast.
    calendar : {"gregorian", "jalali"}, default "gregorian"
        ``"jalali"``: ``period`` ``"M"``, ``"Q"`` or ``"Y"`` is a Solar Hijri month,
        Iranian fiscal quarter or fiscal year from 1 Farvardin (:mod:`crmkit.jalali`),
        labelled ``"1402-01"``, ``"1402-Q1"`` or ``"1402"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (a :class:`pandas.PeriodIndex`, or Jalali labels; every
        period between the
        first and last with an opportunity, empty ones as zeros), columns

        * ``n_opportunities``: every opportunity closing in the period (lost ones too);
        * ``pipeline_amount``: the amounts still in play or won: open deals plus
          closed-won deals (at their full amount, which is also their weighted amount),
          **excluding closed-lost deals**, whose value left the pipeline;
        * ``weighted_amount``: the forecast :math:`F_p` (closed-lost deals add 0);
        * ``lost_amount``: the amounts of the closed-lost deals, so that nothing is
          hidden (``pipeline_amount + lost_amount`` is the sum of all amounts).

    Raises
    ------
    InvalidValueError
        Unknown period, no opportunities, more than one currency, or a missing
        amount, probability or expected close date (they would otherwise be left out of
        the totals).

    Examples
    --------
    >>> from crmkit.domain import Opportunity
    >>> def opp(i, amount, p, close):
    ...     return Opportunity.open(
    ...         opportunity_id=i,
    ...         customer_code="C1",
    ...         amount=amount,
    ...         probability=p,
    ...         expected_close=close,
    ...         on="2024-01-01",
    ...     )
    >>> opps = [
    ...     opp("A", 100.0, 0.5, "2024-01-15"),
    ...     opp("B", 200.0, 0.25, "2024-03-31"),
    ...     opp("C", 80.0, 0.5, "2024-07-01"),
    ... ]
    >>> weighted_forecast(opps, period="Q")
            n_opportunities  pipeline_amount  weighted_amount  lost_amount
    period
    2024Q1                2            300.0            100.0          0.0
    2024Q2                0              0.0              0.0          0.0
    2024Q3                1             80.0             40.0          0.0

    A lost deal leaves the pipeline amount:

    >>> lost = opps[1].advance("closed-lost", on="2024-03-31")
    >>> weighted_forecast([opps[0], lost], period="Q").loc["2024Q1"].tolist()
    [2.0, 100.0, 50.0, 200.0]

    Iranian fiscal quarters: 31 March 2024 is 12 Farvardin 1403, in the new fiscal year.

    >>> weighted_forecast(opps, period="Q", calendar="jalali")["weighted_amount"]
    period
    1402-Q4    50.0
    1403-Q1    50.0
    1403-Q2    40.0
    Name: weighted_amount, dtype: float64
    """
    cal = check_period_alias(period, calendar)
    cv.check_flag("include_closed", include_closed)
    if isinstance(opportunities, pd.DataFrame):
        frame = cv.frame_arg("opportunities", opportunities)
    else:
        frame = opportunities_to_frame(opportunities)
    with _cells("opportunities"):
        return _forecast(frame, period, include_closed, cal)


def _forecast(
    frame: pd.DataFrame, period: str, include_closed: bool, calendar: Calendar = "gregorian"
) -> pd.DataFrame:

    require_columns(frame, ["amount", "probability", "expected_close", "stage", "currency"])
    if not include_closed:
        frame = frame[
            ~frame["stage"].isin(
                [s.value for s in (OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST)]
            )
        ]
    if len(frame) == 0:
        raise InvalidValueError("no opportunities to forecast; pass at least one.")
    currencies = frame["currency"].dropna().unique()
    if len(currencies) > 1 or (len(currencies) == 1 and frame["currency"].isna().any()):
        raise InvalidValueError(
            f"opportunities are in several currencies {sorted(map(str, currencies))} (or some "
            "have none); forecast each currency separately."
        )
    frame = handle_nan(frame, ["amount", "probability", "expected_close"], "raise")
    close = to_datetime(frame["expected_close"], name="expected_close")
    if close.dt.tz is not None:  # the calendar period on the wall clock of the data's zone
        close = close.dt.tz_localize(None)
    check_date_range(close, name="expected_close")
    per, full = dated_periods(close, period, calendar)
    per = per.rename("period")
    amount = frame["amount"].to_numpy(dtype=float)
    lost = (frame["stage"] == OpportunityStage.CLOSED_LOST.value).to_numpy(dtype=bool)
    data = pd.DataFrame(
        {
            "n_opportunities": 1,
            "pipeline_amount": np.where(lost, 0.0, amount),
            "weighted_amount": amount * frame["probability"].to_numpy(dtype=float),
            "lost_amount": np.where(lost, amount, 0.0),
        },
        index=per,
    )
    out = data.groupby(level="period").sum()
    return out.reindex(full.rename("period"), fill_value=0).astype(
        {
            "n_opportunities": "int64",
            "pipeline_amount": "float64",
            "weighted_amount": "float64",
            "lost_amount": "float64",
        }
    )
