"""Stage transitions between two dates and funnel conversion rates.

The transition matrix counts customers by (stage at ``start``, stage at ``end``):

.. math::

    N_{ij} = \\#\\{c : s_c(t_0) = i,\\ s_c(t_1) = j\\}, \\qquad
    P_{ij} = N_{ij} / \\textstyle\\sum_j N_{ij},

a row-normalised, Markov-chain style estimate of the one-step transition
probabilities. Rows of stages nobody was in at ``start`` are NaN (undefined rates).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._compat import renamed_keywords
from crmkit._display import Display, Displayable, frame_rows
from crmkit._validation import NanPolicy, items_of, require_columns
from crmkit.columns import CUSTOMER_ID, DATETIME, MONETARY
from crmkit.exceptions import InvalidValueError
from crmkit.lifecycle.assign import (
    AssignmentRules,
    customer_features,
    prepare_stage_input,
    stages_from_features,
)
from crmkit.lifecycle.models import FUNNEL, StageModel
from crmkit.transactions._prep import tz_of, zoned_day

__all__ = ["TransitionMatrix", "funnel_conversion", "transition_matrix"]


def _row_rates(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    totals = counts.sum(axis=1, keepdims=True)
    out = np.full(counts.shape, np.nan)
    np.divide(counts, totals, out=out, where=totals > 0)
    return out


@attrs.frozen(kw_only=True, eq=False, repr=False)
class TransitionMatrix(Displayable):
    """Customers' stage changes between two dates.

    Attributes
    ----------
    model : StageModel
        The stage model of rows and columns.
    start, end : pandas.Timestamp
        The two snapshot dates.
    counts : pandas.DataFrame
        Customers by stage at ``start`` (rows, index ``from``) and at ``end``
        (columns, ``to``), every stage of the model in order, int64.
    rates : pandas.DataFrame
        ``counts`` divided by its row sums; rows sum to 1, NaN rows for stages that
        were empty at ``start``.
    stages : pandas.DataFrame
        Per customer: ``from`` and ``to`` stage (Categoricals).
    """

    model: StageModel
    start: pd.Timestamp
    end: pd.Timestamp
    counts: pd.DataFrame
    rates: pd.DataFrame
    stages: pd.DataFrame

    def _display(self) -> Display:
        columns, rows, note = frame_rows(self.counts, max_rows=12)
        columns[0] = "from \\ to"
        return Display(
            f"Stage transitions of {int(self.counts.to_numpy().sum()):,} customers, "
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}",
            [],
            columns,
            rows,
            [note, "customer counts; row shares in .rates"],
        )


@renamed_keywords(monetary_col="amount_col")
def transition_matrix(
    transactions: Any,
    *,
    start: Any,
    end: Any,
    model: StageModel = FUNNEL,
    rules: AssignmentRules | None = None,
    customers: Iterable[Any] | None = None,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = DATETIME,
    amount_col: str | None = MONETARY,
    nan_policy: NanPolicy = "raise",
) -> TransitionMatrix:
    """Stage transition counts and row-normalised rates between ``start`` and ``end``.

    Both snapshots use :func:`~crmkit.lifecycle.assign_stages` with the same model and
    rules on the same population: every customer with a purchase by ``end`` plus the
    known ``customers``; those with no purchase by ``start`` are prospects at ``start``.

    Parameters
    ----------
    transactions : pandas.DataFrame or dask.dataframe.DataFrame
        The transaction log.
    start, end : timestamp-like
        Snapshot dates, ``start < end``; each includes its whole calendar day, as
        ``as_of`` in :func:`~crmkit.lifecycle.assign_stages`.
    model, rules, customers, customer_id_col, datetime_col, amount_col, nan_policy
        As in :func:`~crmkit.lifecycle.assign_stages`.

    Returns
    -------
    TransitionMatrix

    Raises
    ------
    InvalidValueError
        When ``end`` is not after ``start``, or as :func:`assign_stages` does.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.lifecycle import KALAKOTA
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 1, 2, 3, 3, 3, 3],
    ...         "datetime": pd.to_datetime(
    ...             [
    ...                 "2024-01-02",
    ...                 "2024-05-02",
    ...                 "2024-06-01",
    ...                 "2024-01-01",
    ...                 "2024-01-10",
    ...                 "2024-01-20",
    ...                 "2024-04-01",
    ...             ]
    ...         ),
    ...         "monetary": [1.0] * 7,
    ...     }
    ... )
    >>> tm = transition_matrix(tx, start="2024-03-01", end="2024-06-30", model=KALAKOTA)
    >>> tm.counts
    to       acquire  enhance  retain
    from
    acquire        1        1       0
    enhance        0        0       1
    retain         0        0       0
    >>> tm.rates.loc["acquire"].tolist()
    [0.5, 0.5, 0.0]
    """
    tx, rules, policy = prepare_stage_input(
        transactions,
        model=model,
        rules=rules,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        nan_policy=nan_policy,
    )
    tz = tz_of(tx, datetime_col)
    t0 = zoned_day(start, tz, name="start")
    t1 = zoned_day(end, tz, name="end")
    if not t0 < t1:
        raise InvalidValueError(f"end={end!r} must be after start={start!r}.")
    kwargs: dict[str, Any] = {
        "customer_id_col": customer_id_col,
        "datetime_col": datetime_col,
        "amount_col": amount_col,
        "purchase_unit": rules.purchase_unit,
        "nan_policy": policy,
    }
    f1 = customer_features(tx, until=t1, **kwargs)
    f0 = customer_features(tx, until=t0, **kwargs)
    population: list[Any] = f1.index.tolist()
    if customers is not None:
        population = (
            pd.Index(population).union(pd.Index(items_of(customers, name="customers"))).tolist()
        )
    s0 = stages_from_features(f0, as_of=t0, model=model, rules=rules, customers=population)
    s1 = stages_from_features(f1, as_of=t1, model=model, rules=rules, customers=population)
    a = s0["stage"].cat.codes.to_numpy(dtype=np.int64)
    b = s1["stage"].cat.codes.to_numpy(dtype=np.int64)
    m = len(model.names)
    grid = np.bincount(a * m + b, minlength=m * m).reshape(m, m)
    rows = pd.Index(model.names, name="from")
    cols_to = pd.Index(model.names, name="to")
    counts = pd.DataFrame(grid.astype(np.int64), index=rows, columns=cols_to)
    rates = pd.DataFrame(_row_rates(grid.astype(np.float64)), index=rows, columns=cols_to)
    per_customer = pd.DataFrame({"from": s0["stage"], "to": s1["stage"]}, index=s0.index)
    return TransitionMatrix(
        model=model, start=t0, end=t1, counts=counts, rates=rates, stages=per_customer
    )


def funnel_conversion(stages: pd.DataFrame, *, model: StageModel = FUNNEL) -> pd.DataFrame:
    """Funnel conversion rates from a stage assignment of a progressive model.

    A customer has *reached* stage :math:`k` when their stage is :math:`k` or later:

    .. math::

        R_k = \\#\\{c : s_c \\ge k\\}, \\qquad
        \\text{conversion}_k = R_k / R_{k-1}, \\qquad \\text{share}_k = R_k / R_0 .

    Parameters
    ----------
    stages : pandas.DataFrame
        The output of :func:`~crmkit.lifecycle.assign_stages` (column ``stage``).
    model : StageModel, default FUNNEL
        The model used for the assignment; must be progressive (not
        :data:`~crmkit.lifecycle.SOWALSKIE`, whose termination is an exit, not a level).

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (model order), columns ``customers`` (currently in the stage),
        ``reached``, ``conversion`` (from the previous stage; 1 for the first stage, NaN
        after an empty stage) and ``share`` (of the whole population).

    Examples
    --------
    >>> import pandas as pd
    >>> st = pd.DataFrame(
    ...     {"stage": ["prospect"] * 6 + ["first purchase"] * 2 + ["repeat", "loyal"]}
    ... )
    >>> funnel_conversion(st)
                    customers  reached  conversion  share
    stage
    prospect                6       10         1.0    1.0
    first purchase          2        4         0.4    0.4
    repeat                  1        2         0.5    0.2
    loyal                   1        1         0.5    0.1
    high-value              0        0         0.0    0.0
    """
    if not isinstance(model, StageModel) or not model.progressive:
        name = getattr(model, "name", type(model).__name__)
        raise InvalidValueError(
            f"funnel conversion needs a progressive StageModel; {name!r} is not one "
            "(use FUNNEL or KALAKOTA)."
        )
    require_columns(stages, ["stage"], hint="Pass the output of assign_stages(...).")
    values = stages["stage"].astype("object")
    unknown = sorted(set(values.dropna().unique()) - set(model.names))
    if unknown or values.isna().any():
        raise InvalidValueError(
            f"stage holds values not in {model.name!r}: {unknown or ['<missing>']}; "
            f"its stages are {list(model.names)}."
        )
    codes = pd.Categorical(values, categories=list(model.names)).codes.astype(np.int64)
    current = np.bincount(codes, minlength=len(model.names))
    reached = current[::-1].cumsum()[::-1]
    prev = np.concatenate([[reached[0]], reached[:-1]]).astype(np.float64)
    conversion = np.full(reached.shape, np.nan)
    np.divide(reached, prev, out=conversion, where=prev > 0)
    share = reached / reached[0] if reached[0] > 0 else np.full(reached.shape, np.nan)
    return pd.DataFrame(
        {"customers": current, "reached": reached, "conversion": conversion, "share": share},
        index=pd.Index(model.names, name="stage"),
    )
