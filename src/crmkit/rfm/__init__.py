r"""RFM scores (1-5 quantile scores) and named customer segments from a replaceable rule table.

**Two meanings of "recency".** In a CLV summary (:func:`crmkit.rfm_summary`) recency is
the time from a customer's first to last purchase. In RFM scoring, recency means *how
recently* the customer bought: the time since the last purchase,
:math:`T - t_x`. :func:`rfm_scores` computes that from the summary's ``T`` and
``recency`` columns and scores it so that 5 = bought most recently.

**Scores and the tie rule.** With :math:`n` customers and :math:`k` scores, a value
whose rank is :math:`r` (1 = worst, ties get the *lowest* rank of their block, pandas'
``rank(method="min")``) gets

.. math::

    \text{score} = 1 + \left\lfloor \frac{k\,(r - 1)}{n} \right\rfloor ,

so customers with equal values always share a score and distinct values fill the
scores in near-equal quintiles. A large tie block (for example all one-time buyers on
frequency) takes the score of its first position: it is never split arbitrarily.

**Segments.** :data:`DEFAULT_SEGMENTS` is the widely used 5 x 5 recency-frequency grid
(champions, loyal, potential loyalist, new, promising, need attention, about to sleep,
at risk, can't lose, hibernating, lost). It is data: pass your own tuple of
:class:`SegmentRule` or a DataFrame to :func:`assign_segments`; the first matching rule
wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import pandas as pd

from crmkit import columns as cols
from crmkit._compat import positional_options, renamed_keywords
from crmkit._engines import is_dask
from crmkit._validation import (
    check_flag,
    check_text,
    check_whole,
    items_of,
    preview,
    real_array,
    require_columns,
)
from crmkit.exceptions import InvalidValueError

__all__ = [
    "DEFAULT_SEGMENTS",
    "SegmentRule",
    "assign_segments",
    "quantile_scores",
    "rfm_scores",
    "rfm_segments",
    "rules_from_frame",
]

_SCORE_COLS: Final = ("recency_score", "frequency_score", "monetary_score")


def _range(value: Any) -> tuple[int, int]:
    """attrs converter: a pair of whole numbers as ints; anything else is left for the
    validator to refuse with the field's name."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        return value  # type: ignore[no-any-return]  # refused by _check_range
    try:
        return check_whole(value[0], name="low"), check_whole(value[1], name="high")
    except InvalidValueError:
        return value  # type: ignore[return-value]  # refused by _check_range


def _check_range(instance: Any, attribute: attrs.Attribute[Any], value: tuple[int, int]) -> None:
    if not (isinstance(value, tuple) and len(value) == 2 and all(type(v) is int for v in value)):
        raise InvalidValueError(
            f"SegmentRule {attribute.name}={value!r:.80} must be a (low, high) pair of whole "
            "scores, e.g. (4, 5)."
        )
    lo, hi = value
    if not 1 <= lo <= hi:
        raise InvalidValueError(
            f"SegmentRule {attribute.name}={value} must be (low, high) scores with "
            "1 <= low <= high."
        )


def _check_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_text(value, name="SegmentRule.name", allow_empty=False)


@attrs.frozen(kw_only=True)
class SegmentRule:
    """One row of a segment table: a name and inclusive score ranges.

    Parameters
    ----------
    name : str
        Segment name.
    recency, frequency, monetary : tuple of int
        Inclusive ``(low, high)`` score ranges; the default ``(1, 10)`` matches any score.

    Examples
    --------
    >>> SegmentRule(name="champions", recency=(5, 5), frequency=(4, 5))
    SegmentRule(name='champions', recency=(5, 5), frequency=(4, 5), monetary=(1, 10))
    """

    name: str = attrs.field(validator=_check_name)
    recency: tuple[int, int] = attrs.field(
        default=(1, 10), converter=_range, validator=_check_range
    )
    frequency: tuple[int, int] = attrs.field(
        default=(1, 10), converter=_range, validator=_check_range
    )
    monetary: tuple[int, int] = attrs.field(
        default=(1, 10), converter=_range, validator=_check_range
    )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SegmentRule:
        """Build from ``{"name", "r_min", "r_max", "f_min", "f_max"[, "m_min", "m_max"]}``."""
        if not isinstance(record, Mapping):
            raise InvalidValueError(
                f"a segment rule record must be a mapping, got {type(record).__name__}."
            )
        absent = [k for k in ("name", "r_min", "r_max", "f_min", "f_max") if k not in record]
        if absent:
            raise InvalidValueError(
                f"segment rule record {dict(record)!r:.120} lacks {absent}; give name, r_min, "
                "r_max, f_min, f_max (and optionally m_min, m_max)."
            )
        return cls(
            name=record["name"],
            recency=(record["r_min"], record["r_max"]),
            frequency=(record["f_min"], record["f_max"]),
            monetary=(record.get("m_min", 1), record.get("m_max", 10)),
        )


def _rule(name: str, r: tuple[int, int], f: tuple[int, int]) -> SegmentRule:
    return SegmentRule(name=name, recency=r, frequency=f)


DEFAULT_SEGMENTS: Final[tuple[SegmentRule, ...]] = (
    _rule("lost", (1, 1), (1, 1)),
    _rule("hibernating", (1, 2), (1, 2)),
    _rule("at risk", (1, 2), (3, 4)),
    _rule("can't lose", (1, 2), (5, 5)),
    _rule("about to sleep", (3, 3), (1, 2)),
    _rule("need attention", (3, 3), (3, 3)),
    _rule("loyal", (3, 4), (4, 5)),
    _rule("promising", (4, 4), (1, 1)),
    _rule("new", (5, 5), (1, 1)),
    _rule("potential loyalist", (4, 5), (2, 3)),
    _rule("champions", (5, 5), (4, 5)),
)
"""The recency-frequency grid on 1-5 scores, first match wins; covers all 25 cells."""


@positional_options("n_scores")
def quantile_scores(values: Any, *, n_scores: int = 5, higher_is_better: bool = True) -> Any:
    """Quantile scores ``1..n_scores`` of ``values`` with the tie rule of the module doc.

    Parameters
    ----------
    values : array-like or pandas.Series
        Finite numbers.
    n_scores : int, default 5
        Number of scores (2-10).
    higher_is_better : bool, default True
        False to give score ``n_scores`` to the smallest values.

    Returns
    -------
    numpy.ndarray of int64 (or a Series with the input's index)

    Examples
    --------
    >>> quantile_scores([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quantile_scores([0, 0, 0, 0, 0, 0, 5, 7, 9, 9]).tolist()
    [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    """
    n_scores = check_whole(n_scores, name="n_scores", low=2, high=10)
    check_flag(higher_is_better, name="higher_is_better")
    if isinstance(values, pd.Series):
        arr = real_array(values.to_numpy(dtype=object, na_value=np.nan), name="values")
    else:
        arr = real_array(values, name="values")
    if arr.ndim != 1:
        raise InvalidValueError(f"values must be one-dimensional, got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise InvalidValueError(
            f"values to score contain {int((~np.isfinite(arr)).sum())} NaN or infinite "
            "value(s); fix or drop those customers first."
        )
    if arr.size == 0:
        raise InvalidValueError("no values to score; pass at least one customer.")
    key = arr if higher_is_better else -arr
    rank = pd.Series(key).rank(method="min").to_numpy()
    scores = 1 + np.floor(n_scores * (rank - 1) / arr.size).astype(np.int64)
    if isinstance(values, pd.Series):
        return pd.Series(scores, index=values.index, name=values.name)
    return scores


@renamed_keywords(monetary_col="spend_col")
def rfm_scores(
    summary: pd.DataFrame,
    *,
    spend_col: str = cols.TOTAL_SPEND,
    n_scores: int = 5,
) -> pd.DataFrame:
    """Recency, frequency and monetary quantile scores of every customer.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`crmkit.rfm_summary` (``totals=True`` for ``total_spend``),
        indexed by customer, with ``frequency``, ``recency``, ``T`` and ``spend_col``.
        A dask summary is scored on the cluster: the customers of each distinct value
        are counted there, and each partition looks its scores up in the small table
        (a lazy dask DataFrame comes back, equal to the pandas scores).
    spend_col : str, default "total_spend"
        Per-customer spend column to score (``"monetary_value"`` scores mean repeat spend
        instead). Named ``monetary_col`` before crmkit 0.2; the old keyword still works
        for one release, with a :class:`DeprecationWarning`.
    n_scores : int, default 5

    Returns
    -------
    pandas.DataFrame
        Same index; ``inactivity`` (``T - recency``: time since the last purchase, in
        the summary's unit), ``recency_score`` (high = bought recently),
        ``frequency_score``, ``monetary_score`` (int64) and ``rfm`` (e.g. ``"545"``).

    Raises
    ------
    MissingColumnsError
        If a needed column is absent.
    InvalidValueError
        For NaN values or ``recency > T``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(
    ...     {
    ...         "frequency": [0.0, 3.0, 8.0],
    ...         "recency": [0.0, 20.0, 90.0],
    ...         "T": [100.0, 100.0, 95.0],
    ...         "total_spend": [10.0, 80.0, 300.0],
    ...     },
    ...     index=pd.Index([1, 2, 3], name="customer_id"),
    ... )
    >>> rfm_scores(s, n_scores=3)
                 inactivity  recency_score  frequency_score  monetary_score  rfm
    customer_id
    1                 100.0              1                1               1  111
    2                  80.0              2                2               2  222
    3                   5.0              3                3               3  333
    """
    if is_dask(summary):
        from crmkit.rfm._dask import dask_rfm_scores

        n_scores = check_whole(n_scores, name="n_scores", low=2, high=10)
        # a dask DataFrame (dask has no type information): the same columns, lazily
        lazy: pd.DataFrame = dask_rfm_scores(summary, spend_col=spend_col, n_scores=n_scores)
        return lazy
    require_columns(summary, [cols.FREQUENCY, cols.RECENCY, cols.T, spend_col])
    inactivity = summary[cols.T] - summary[cols.RECENCY]
    if bool((inactivity < 0).any()):
        raise InvalidValueError(
            f"recency > T for customers {preview(summary.index[(inactivity < 0).to_numpy()])}; "
            "the summary is inconsistent: rebuild it with crmkit.rfm_summary."
        )
    out = pd.DataFrame({"inactivity": inactivity.astype(np.float64)}, index=summary.index)
    out["recency_score"] = quantile_scores(inactivity, n_scores=n_scores, higher_is_better=False)
    out["frequency_score"] = quantile_scores(summary[cols.FREQUENCY], n_scores=n_scores)
    out["monetary_score"] = quantile_scores(summary[spend_col], n_scores=n_scores)
    out["rfm"] = (
        out["recency_score"].astype(str)
        + out["frequency_score"].astype(str)
        + out["monetary_score"].astype(str)
    )
    return out


def rules_from_frame(table: pd.DataFrame) -> tuple[SegmentRule, ...]:
    """Segment rules from a table with ``name, r_min, r_max, f_min, f_max[, m_min, m_max]``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(
    ...     {
    ...         "name": ["recent", "rest"],
    ...         "r_min": [4, 1],
    ...         "r_max": [5, 5],
    ...         "f_min": [1, 1],
    ...         "f_max": [5, 5],
    ...     }
    ... )
    >>> [r.name for r in rules_from_frame(t)]
    ['recent', 'rest']
    """
    require_columns(table, ["name", "r_min", "r_max", "f_min", "f_max"])
    return tuple(
        SegmentRule.from_record({str(k): v for k, v in rec.items()})
        for rec in table.to_dict("records")
    )


@positional_options("rules")
def assign_segments(
    scores: pd.DataFrame,
    *,
    rules: Sequence[SegmentRule] | pd.DataFrame = DEFAULT_SEGMENTS,
    unmatched: str | None = None,
) -> pd.Series:
    """Name every customer's segment: the first rule whose score ranges all match.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores`.
    rules : tuple of SegmentRule or pandas.DataFrame, default DEFAULT_SEGMENTS
        The rule table, in priority order.
    unmatched : str, optional
        Label for customers no rule matches; by default they raise.

    Returns
    -------
    pandas.Series
        Categorical, categories in rule order, same index as ``scores``.

    Raises
    ------
    InvalidValueError
        If a customer matches no rule and ``unmatched`` is None, or the table is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame(
    ...     {"recency_score": [5, 1, 3], "frequency_score": [5, 1, 3], "monetary_score": [5, 1, 3]}
    ... )
    >>> assign_segments(sc).tolist()
    ['champions', 'lost', 'need attention']
    """
    table = (
        rules_from_frame(rules)
        if isinstance(rules, pd.DataFrame)
        else tuple(items_of(rules, name="rules"))
    )
    if not all(isinstance(r, SegmentRule) for r in table):
        raise InvalidValueError(
            "rules must be SegmentRule objects or a DataFrame with name, r_min, r_max, "
            "f_min, f_max columns."
        )
    if unmatched is not None:
        check_text(unmatched, name="unmatched", allow_empty=False)
    if not table:
        raise InvalidValueError("the segment rule table is empty; pass at least one rule.")
    require_columns(scores, list(_SCORE_COLS))
    r, f, m = (scores[c].to_numpy() for c in _SCORE_COLS)
    names = list(dict.fromkeys(rule.name for rule in table))
    code = np.full(len(scores), -1, dtype=np.int64)
    for rule in table:  # a loop over the few rules; each rule is one vectorised mask
        hit = (code < 0) & (r >= rule.recency[0]) & (r <= rule.recency[1])
        hit &= (f >= rule.frequency[0]) & (f <= rule.frequency[1])
        hit &= (m >= rule.monetary[0]) & (m <= rule.monetary[1])
        code[hit] = names.index(rule.name)
    missing = code < 0
    if missing.any():
        if unmatched is None:
            cells = scores.loc[missing, list(_SCORE_COLS)].drop_duplicates()
            raise InvalidValueError(
                f"{int(missing.sum())} customer(s) match no segment rule, e.g. scores "
                f"(R, F, M) {preview([tuple(x) for x in cells.to_numpy().tolist()])}; add "
                "a rule covering them or pass unmatched='other'."
            )
        if unmatched not in names:
            names.append(unmatched)
        code[missing] = names.index(unmatched)
    return pd.Series(
        pd.Categorical.from_codes(code, categories=pd.Index(names)),
        index=scores.index,
        name="segment",
    )


@positional_options("rules")
@renamed_keywords(monetary_col="spend_col")
def rfm_segments(
    summary: pd.DataFrame,
    *,
    rules: Sequence[SegmentRule] | pd.DataFrame = DEFAULT_SEGMENTS,
    spend_col: str = cols.TOTAL_SPEND,
    n_scores: int = 5,
    unmatched: str | None = None,
) -> pd.DataFrame:
    """:func:`rfm_scores` plus a ``segment`` column from :func:`assign_segments`.

    ``spend_col`` was named ``monetary_col`` before crmkit 0.2 (the old keyword still
    works for one release, with a :class:`DeprecationWarning`).

    Examples
    --------
    >>> import crmkit.datasets as ds
    >>> from crmkit.transactions import rfm_summary
    >>> tx = ds.load_cdnow_transactions()
    >>> summary = rfm_summary(
    ...     tx, datetime_col="date", amount_col="dollar_value", totals=True, non_positive="keep"
    ... )
    >>> seg = rfm_segments(summary)
    >>> seg["segment"].value_counts().head(3).to_dict()
    {'lost': 4470, 'hibernating': 4209, 'champions': 4118}
    """
    scores = rfm_scores(summary, spend_col=spend_col, n_scores=n_scores)
    scores["segment"] = assign_segments(scores, rules=rules, unmatched=unmatched)
    return scores
