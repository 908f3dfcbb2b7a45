"""Notebook-ready tests of common CRM rules of thumb on your own data.

The CRM practitioner literature states economic rules of thumb. crmkit never
hard-codes them as results: each becomes a *verdict* object holding the measured figures
and whether the claim holds on the data given. A claim may fail, and a claim that the
data cannot test is reported as untestable, with the reason.

:func:`evaluate_claims` runs every claim the given data can speak to and returns a
:class:`ClaimsReport` whose :attr:`~ClaimsReport.table` is one row per claim.
:func:`claims_table` tabulates any objects with ``claim``, ``holds`` and
``measured()`` — including verdicts from other crmkit modules (e.g. a Pareto verdict).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import attrs
import pandas as pd

from crmkit._compat import renamed_keywords
from crmkit._display import Display, Displayable
from crmkit._validation import items_of
from crmkit.columns import CUSTOMER_ID, DATETIME, MONETARY
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle.contacts import (
    CONTACTS_CLAIM,
    COST_RATIO_CLAIM,
    acquisition_retention_cost_ratio,
    contacts_before_purchase,
)
from crmkit.lifecycle.tenure import SECOND_YEAR_CLAIM, profit_by_tenure
from crmkit.timeunits import TimeUnit

__all__ = ["ClaimVerdict", "ClaimsReport", "claims_table", "evaluate_claims"]


@runtime_checkable
class ClaimVerdict(Protocol):
    """What every verdict object offers: the claim, whether it holds, the figures."""

    @property
    def claim(self) -> str:
        """The claim tested, in words."""
        ...

    @property
    def holds(self) -> bool:
        """Whether the data support the claim."""
        ...

    def measured(self) -> dict[str, float]:
        """The measured figures by name."""
        ...


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def claims_table(verdicts: Iterable[ClaimVerdict]) -> pd.DataFrame:
    """One row per verdict: the claim, whether it holds, and the measured figures.

    Parameters
    ----------
    verdicts : iterable of ClaimVerdict
        Objects with ``claim``, ``holds`` and ``measured()``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``claim``; columns ``holds`` (bool) and ``figures`` (the measured
        figures as ``name=value`` text).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.lifecycle import contacts_before_purchase
    >>> d = pd.to_datetime
    >>> c = pd.DataFrame(
    ...     {"customer_id": [1, 1, 1], "datetime": d(["2024-01-01", "2024-01-02", "2024-01-20"])}
    ... )
    >>> s = pd.DataFrame({"customer_id": [1, 1], "datetime": d(["2024-01-05", "2024-02-01"])})
    >>> t = claims_table([contacts_before_purchase(c, s).verdict()])
    >>> t["holds"].tolist(), t["figures"].iloc[0]
    ([False], 'n_new=1, n_existing=1, mean_new=2, mean_existing=1, ratio=2')
    """
    rows = []
    for v in items_of(verdicts, name="verdicts"):
        if not isinstance(v, ClaimVerdict):
            raise InvalidValueError(
                f"{type(v).__name__} is not a verdict (needs claim, holds and measured())."
            )
        figures = ", ".join(f"{k}={_fmt(float(x))}" for k, x in v.measured().items())
        rows.append({"claim": v.claim, "holds": bool(v.holds), "figures": figures})
    return pd.DataFrame(rows, columns=["claim", "holds", "figures"]).set_index("claim")


@attrs.frozen(kw_only=True, eq=False, repr=False)
class ClaimsReport(Displayable):
    """The verdicts of :func:`evaluate_claims` and the claims the data could not test.

    Attributes
    ----------
    verdicts : tuple
        The verdict objects (e.g. :class:`~crmkit.lifecycle.SecondYearVerdict`).
    untestable : tuple of (str, str)
        ``(claim, reason)`` for each claim the data could not test.
    """

    verdicts: tuple[Any, ...]
    untestable: tuple[tuple[str, str], ...]

    def _display(self) -> Display:
        table = self.table
        rows = [
            [str(claim), {True: "holds", False: "does not hold"}.get(h, "untestable"), str(f)]
            for claim, h, f in zip(table.index, table["holds"], table["figures"], strict=True)
        ]
        return Display(
            f"Claims tested: {len(self.verdicts)}, untestable: {len(self.untestable)}",
            [],
            ["claim", "verdict", "figures"],
            rows,
        )

    @property
    def table(self) -> pd.DataFrame:
        """One row per claim: ``holds`` (True, False or None when untestable), ``figures``."""
        t = claims_table(self.verdicts).astype({"holds": object})
        extra = pd.DataFrame(
            {"holds": [None] * len(self.untestable), "figures": [r for _, r in self.untestable]},
            index=pd.Index([c for c, _ in self.untestable], name="claim"),
        )
        return pd.concat([t, extra]) if len(extra) else t


@renamed_keywords(tenure_unit="time_unit", monetary_col="amount_col")
def evaluate_claims(
    transactions: pd.DataFrame,
    *,
    acquisition_cost: float,
    margin: float | None = None,
    profit_col: str | None = None,
    time_unit: TimeUnit = "Y",
    observation_end: Any = None,
    interactions: pd.DataFrame | None = None,
    contact_cost_col: str | None = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    amount_col: str = MONETARY,
) -> ClaimsReport:
    """Test the CRM rules of thumb that the given data can speak to.

    * Second-year profitability (Reichheld & Sasser) from the transactions, given an
      acquisition cost and a margin (:func:`~crmkit.lifecycle.profit_by_tenure`).
    * 8-10 vs 2-3 contacts per sale and the 5-10x acquisition cost ratio, when an
      interaction log is given (:func:`~crmkit.lifecycle.contacts_before_purchase`,
      :func:`~crmkit.lifecycle.acquisition_retention_cost_ratio`).

    The 20/80 Pareto claim lives with the concentration tools; add its verdict to
    :func:`claims_table` yourself.

    Parameters
    ----------
    transactions : pandas.DataFrame
        The transaction log.
    acquisition_cost, margin, profit_col, time_unit, observation_end
        As in :func:`~crmkit.lifecycle.profit_by_tenure`.
    interactions : pandas.DataFrame, optional
        Contact log (customer id, datetime[, cost]) with the same column names.
    contact_cost_col : str, optional
        Cost column of ``interactions`` for the cost ratio (else each contact costs 1).
    customer_id_col, datetime_col, amount_col : str
        Column names.

    Returns
    -------
    ClaimsReport
        Claims that the data cannot test are listed in ``untestable`` with the reason
        (other input errors still raise).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 2],
    ...         "datetime": pd.to_datetime(["2020-01-01", "2021-02-01", "2020-03-01"]),
    ...         "monetary": [100.0, 200.0, 80.0],
    ...     }
    ... )
    >>> rep = evaluate_claims(tx, acquisition_cost=60.0, margin=0.5)
    >>> rep.table["holds"].tolist()
    [None, None, None]
    >>> rep.untestable[0][1]
    'no customer is observed for two whole years; ...'
    """
    verdicts: list[Any] = []
    untestable: list[tuple[str, str]] = []
    tenure = profit_by_tenure(
        transactions,
        acquisition_cost=acquisition_cost,
        margin=margin,
        profit_col=profit_col,
        time_unit=time_unit,
        observation_end=observation_end,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )
    try:
        verdicts.append(tenure.verdict())
    except InvalidValueError as exc:
        untestable.append((SECOND_YEAR_CLAIM, str(exc)))
    if interactions is None:
        reason = "needs an interaction (contact) log: pass interactions=."
        untestable += [(CONTACTS_CLAIM, reason), (COST_RATIO_CLAIM, reason)]
    else:
        try:
            counts = contacts_before_purchase(
                interactions,
                transactions,
                customer_id_col=customer_id_col,
                datetime_col=datetime_col,
            )
            verdicts.append(counts.verdict())
        except InvalidValueError as exc:
            untestable.append((CONTACTS_CLAIM, str(exc)))
        try:
            verdicts.append(
                acquisition_retention_cost_ratio(
                    interactions,
                    transactions,
                    cost_col=contact_cost_col,
                    customer_id_col=customer_id_col,
                    datetime_col=datetime_col,
                )
            )
        except InvalidValueError as exc:
            untestable.append((COST_RATIO_CLAIM, str(exc)))
    return ClaimsReport(verdicts=tuple(verdicts), untestable=tuple(untestable))
