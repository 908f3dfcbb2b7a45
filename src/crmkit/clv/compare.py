"""Which purchase model should I trust? Several families fitted and ranked on a holdout.

:func:`compare_models` fits every given family of the
:class:`~crmkit.clv.TransactionModel` protocol on the calibration period of a
calibration/holdout frame and scores each fit on the holdout with
:func:`~crmkit.clv.evaluate_holdout` (per-customer MAE, RMSE and bias, and the
cumulative holdout purchases of the whole base, predicted vs actual), beside its
calibration log-likelihood, AIC and BIC. One documented rule picks a model and says why
in words; :func:`crmkit.plotting.model_comparison_plot` draws the holdout check of every
family on one chart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd

from crmkit import columns as cols
from crmkit._display import Display, Displayable, fmt_number, frame_rows
from crmkit._validation import (
    check_in_range,
    check_numeric_column,
    check_option,
    handle_nan,
    require_columns,
    require_nonempty,
)
from crmkit.clv._base import FitResult
from crmkit.clv._protocol import TransactionModel
from crmkit.clv.bgnbd import BetaGeo
from crmkit.clv.cnbd import CNBDMaths
from crmkit.clv.evaluation import HoldoutEvaluation, evaluate_holdout
from crmkit.clv.holdout import holdout_by_frequency
from crmkit.clv.mbgnbd import ModifiedBetaGeo
from crmkit.clv.paretonbd import ParetoNBD
from crmkit.exceptions import ConvergenceError, CrmkitError, CrmkitWarning, InvalidValueError

__all__ = ["DEFAULT_FAMILIES", "ModelComparison", "RankingCriterion", "compare_models"]

RankingCriterion: TypeAlias = Literal["mae", "rmse", "tracking", "bic", "aic"]
_CRITERIA: tuple[str, ...] = ("mae", "rmse", "tracking", "bic", "aic")
_WORDS = {
    "mae": "holdout MAE per customer",
    "rmse": "holdout RMSE per customer",
    "tracking": "absolute tracking error of the cumulative holdout purchases",
    "bic": "BIC",
    "aic": "AIC",
}

DEFAULT_FAMILIES: tuple[type[Any], ...] = (BetaGeo, ModifiedBetaGeo, ParetoNBD)
"""Every continuous-time purchase family of crmkit compared by default."""

TABLE_COLUMNS = (
    "rank",
    "status",
    "n_params",
    "log_likelihood",
    "aic",
    "bic",
    "mae",
    "rmse",
    "bias",
    "predicted",
    "actual",
    "tracking_error",
)


@attrs.frozen(kw_only=True, repr=False)
class ModelComparison(Displayable):
    """Purchase-model families fitted on a calibration period and ranked on its holdout.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per family, indexed by ``model`` (the class name), best first: ``rank``
        (1 = chosen; the near-tie group at the top ordered by BIC, then the others by
        the criterion; 0 for a family whose fit failed), ``status`` (``"ok"``, the fit's
        warning text, or ``"failed: ..."``), ``n_params``, ``log_likelihood``
        (calibration), ``aic``, ``bic`` (n = customers), ``mae``, ``rmse``, ``bias``
        (per customer, holdout purchases predicted - actual), ``predicted`` and
        ``actual`` (cumulative holdout purchases of the whole base) and
        ``tracking_error`` ((predicted - actual) / actual; inf without holdout
        purchases). A failed family's figures are NaN.
    fits : dict of str to FitResult
        The calibration fit of every family that could be fitted.
    evaluations : dict of str to HoldoutEvaluation
        Its holdout scores, per customer.
    by_frequency : pandas.DataFrame
        Mean holdout purchases by calibration frequency (Fader, Hardie & Lee 2005,
        Figure 4): ``n_customers``, ``actual`` and one column per fitted family.
    chosen : str
        The family the rule chose (``table``'s first row).
    criterion : str
        The ranking criterion.
    tie_tolerance : float
        Relative width of a near-tie on the criterion.
    reason : str
        Why ``chosen`` was chosen, in words.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    fits: dict[str, FitResult[Any]] = attrs.field(eq=False, repr=False)
    evaluations: dict[str, HoldoutEvaluation] = attrs.field(eq=False, repr=False)
    by_frequency: pd.DataFrame = attrs.field(eq=False, repr=False)
    chosen: str
    criterion: str
    tie_tolerance: float
    reason: str

    @property
    def chosen_fit(self) -> FitResult[Any]:
        """The calibration fit of the chosen family."""
        return self.fits[self.chosen]

    def _display(self) -> Display:
        shown = self.table[["rank", "n_params", "log_likelihood", "bic", "mae", "rmse"]]
        columns, rows, note = frame_rows(shown.assign(bias=self.table["bias"]))
        n = next(iter(self.evaluations.values())).n_customers
        return Display(
            f"Model comparison on {n:,} customers (ranked by {_WORDS[self.criterion]})",
            [f"chosen: {self.chosen}"],
            columns,
            rows,
            [note, self.reason],
        )


def _fit_one(family: type[Any], data: pd.DataFrame) -> tuple[FitResult[Any] | None, str]:
    """Fit, returning the fit (or None) and a status: "ok", warning text or the failure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = family.fit(data)
        except CrmkitError as exc:  # ConvergenceError, or data the family refuses
            fit, failure = None, f"failed: {str(exc).splitlines()[0]}"
        else:
            failure = ""
    notes: list[str] = []
    for w in caught:  # crmkit's warnings become the status; others pass through
        if issubclass(w.category, CrmkitWarning):
            notes.append(str(w.message).splitlines()[0])
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if fit is None:
        return None, failure
    if not fit.converged and not fit.at_boundary:
        notes.append(f"not converged: {fit.message}")
    return fit, "; ".join(dict.fromkeys(notes)) or "ok"


def _check_families(families: Sequence[type[Any]]) -> tuple[type[Any], ...]:
    if isinstance(families, type) or not isinstance(families, Sequence) or not families:
        raise InvalidValueError(
            f"families={families!r} must be a non-empty sequence of model classes, e.g. "
            "(clv.BetaGeo, clv.ParetoNBD)."
        )
    out = tuple(families)
    for family in out:
        if not isinstance(family, type) or not callable(getattr(family, "fit", None)):
            raise InvalidValueError(
                f"{family!r} is not a model class with a fit() classmethod; pass classes "
                "such as clv.BetaGeo, not fitted models or instances."
            )
    names = [f.__name__ for f in out]
    if len(set(names)) != len(names):
        raise InvalidValueError(f"families {names} name a class more than once; list each once.")
    return out


def _column(table: pd.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(map(str, table.index), table[column].to_numpy(dtype=np.float64), strict=True))


def _scores(table: pd.DataFrame, criterion: str) -> dict[str, float]:
    """The criterion of every fitted family (lower is better)."""
    if criterion == "tracking":
        values = {n: abs(v) for n, v in _column(table, "tracking_error").items()}
    else:
        values = _column(table, criterion)
    fitted = _column(table, "log_likelihood")  # NaN for a failed fit
    return {n: v for n, v in values.items() if not math.isnan(fitted[n])}


def _rank(table: pd.DataFrame, criterion: str, tolerance: float) -> tuple[list[str], list[str]]:
    """Order of the fitted families and the names in the near-tie group at the top."""
    score = _scores(table, criterion)
    order = sorted(score, key=score.__getitem__)  # stable: ties keep the given order
    if criterion in ("bic", "aic"):
        return order, [order[0]]
    limit = score[order[0]] * (1.0 + tolerance) + 1e-12
    group = [name for name in order if score[name] <= limit]
    bic = _column(table, "bic")
    by_bic = sorted(group, key=bic.__getitem__)
    return by_bic + [name for name in order if name not in group], group


def _reason(table: pd.DataFrame, criterion: str, tolerance: float, group: list[str]) -> str:
    words = _WORDS[criterion]
    chosen = str(table.index[0])
    raw = _column(table, "tracking_error" if criterion == "tracking" else criterion)

    def value(name: str) -> str:
        v = raw[name]
        return f"{v:+.1%}" if criterion == "tracking" else fmt_number(v)

    rank = _column(table, "rank")
    ranked = [n for n, r in rank.items() if r > 0]
    bic = f"{_column(table, 'bic')[chosen]:,.1f}"
    if len(group) > 1 and group[0] == chosen:
        others = ", ".join(f"{n} {value(n)}" for n in group[1:])
        text = (
            f"{chosen} was chosen: it has the lowest {words} ({value(chosen)}), and of the "
            f"models within {tolerance:.0%} of it ({others}) it also has the lowest BIC "
            f"({bic})."
        )
    elif len(group) > 1:
        text = (
            f"{chosen} was chosen: on {words} it is within {tolerance:.0%} of the best "
            f"({group[0]} {value(group[0])}; {chosen} {value(chosen)}), a difference too "
            f"small to tell the models apart, and among the models that close it has the "
            f"lowest BIC ({bic}), which rewards the calibration fit and penalises parameters."
        )
    elif len(ranked) > 1:
        text = (
            f"{chosen} was chosen: it has the lowest {words} ({value(chosen)}; next "
            f"{ranked[1]} {value(ranked[1])})."
        )
    else:
        text = f"{chosen} was chosen: it is the only family that could be fitted."
    failed = [n for n, r in rank.items() if r == 0]
    if failed:
        text += f" Not ranked (fit failed): {', '.join(failed)}."
    return text


def compare_models(
    calibration_holdout: pd.DataFrame,
    *,
    families: Sequence[type[Any]] = DEFAULT_FAMILIES,
    criterion: RankingCriterion = "mae",
    tie_tolerance: float = 0.01,
    frequency_col: str = cols.FREQUENCY,
    recency_col: str = cols.RECENCY,
    T_col: str = cols.T,
    frequency_holdout_col: str = cols.FREQUENCY_HOLDOUT,
    duration_holdout_col: str = cols.DURATION_HOLDOUT,
) -> ModelComparison:
    """Fit several purchase-model families on a calibration period and rank them on the holdout.

    Every family is fitted by maximum likelihood on the calibration histories
    :math:`(x_i, t_{x,i}, T_i)`; each fit predicts every customer's holdout purchases
    :math:`\\hat y_i = E[X(T_i, T_i + t^*_i) \\mid x_i, t_{x,i}, T_i]`, scored against
    the actual :math:`y_i` with :func:`~crmkit.clv.evaluate_holdout`:

    .. math::

        \\text{MAE} = \\tfrac1N \\sum_i |\\hat y_i - y_i|, \\quad
        \\text{tracking error} = \\frac{\\sum_i \\hat y_i - \\sum_i y_i}{\\sum_i y_i},
        \\quad \\text{AIC} = 2k - 2\\ell, \\quad \\text{BIC} = k \\ln N - 2\\ell

    (:math:`\\ell` the calibration log-likelihood, :math:`k` the number of parameters,
    :math:`N` the number of customers; the Erlang order of
    :class:`~crmkit.clv.BetaGeoCNBD` and :class:`~crmkit.clv.ModifiedBetaGeoCNBD`,
    chosen by likelihood, counts as a parameter, so at k = 1 they rank just below the
    BG/NBD and MBG/NBD they then equal). The tracking error is the end point of the
    cumulative tracking curve of the holdout period (Fader, Hardie & Lee 2005,
    Figure 2): all holdout purchases of the base, predicted vs actual.

    **The default rule** (``criterion="mae"``): the family with the lowest holdout MAE
    per customer, where families within ``tie_tolerance`` (1 %) of that lowest MAE count
    as equal and the one with the lowest BIC among them is chosen. Out-of-sample
    accuracy at the customer level is what a CLV ranking uses, and it is the criterion
    under which purchase models are usually compared (Platzer & Reutterer 2016, who rank
    Pareto/NBD, BG/NBD, MBG/NBD and BG/CNBD-k on individual-level holdout MAE); a
    difference of under 1 % in MAE is within the noise of a holdout sample, and between
    such models BIC (Schwarz 1978) prefers the simpler, better-fitting one. Other
    criteria: ``"rmse"`` and ``"tracking"`` (the absolute tracking error) with the same
    near-tie rule; ``"bic"`` and ``"aic"`` rank on the calibration period alone.

    A family whose fit, or whose fitted model's holdout prediction, raises a crmkit
    error (no convergence, data it refuses) stays in the table with ``status``
    ``"failed: <message>"``, NaN figures and rank 0, and is never chosen. A fit that
    warns, e.g. that it stopped at a limit of the parameter space
    (:class:`~crmkit.exceptions.BoundaryWarning`), keeps the warning as its status and
    is ranked like the others: its predictions are those of the limit model, which is a
    valid model of the data. Nothing is raised or warned for either.

    Parameters
    ----------
    calibration_holdout : pandas.DataFrame
        One row per customer: the calibration summary (frequency, recency, T) and the
        holdout purchases and duration, as :func:`crmkit.calibration_and_holdout`
        returns, or the same columns under other names (see the ``*_col`` options).
        Other columns are passed to every family's ``fit`` unchanged, e.g. the
        ``log_interval_sum`` that :class:`~crmkit.clv.BetaGeoCNBD` needs to choose k.
    families : sequence of model classes, default (BetaGeo, ModifiedBetaGeo, ParetoNBD)
        Classes following :class:`~crmkit.clv.TransactionModel`: ``Family.fit(summary)``
        returns a :class:`~crmkit.clv.FitResult` whose model has
        ``conditional_expected_purchases``; families added to crmkit later, or your own,
        plug in.
    criterion : {"mae", "rmse", "tracking", "bic", "aic"}, default "mae"
        The ranking rule above.
    tie_tolerance : float, default 0.01
        Relative near-tie width for ``"mae"``, ``"rmse"`` and ``"tracking"``, in [0, 1);
        0 ranks on the criterion alone.
    frequency_col, recency_col, T_col, frequency_holdout_col, duration_holdout_col : str
        Column names in ``calibration_holdout``.

    Returns
    -------
    ModelComparison
        ``.table`` best first, ``.chosen`` and ``.reason``, ``.fits``, ``.evaluations``
        and ``.by_frequency``.

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For a bad option, family or column value.
    ConvergenceError
        If no family could be fitted (every failure is listed).

    References
    ----------
    - Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
      easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2),
      275-284.
    - Platzer, M. & Reutterer, T. (2016). Ticking away the moments: Timing regularity
      helps to better predict customer activity. *Marketing Science*, 35(5), 779-799.
    - Schwarz, G. (1978). Estimating the dimension of a model. *The Annals of
      Statistics*, 6(2), 461-464.

    Examples
    --------
    CDNOW, 39 weeks of calibration and 39 of holdout:

    >>> from crmkit.clv import compare_models
    >>> from crmkit.datasets import load_cdnow_summary
    >>> comparison = compare_models(load_cdnow_summary())
    >>> comparison.table[["rank", "log_likelihood", "mae"]].round(2)
                     rank  log_likelihood   mae
    model
    ParetoNBD           1        -9594.97  0.75
    ModifiedBetaGeo     2        -9582.13  0.76
    BetaGeo             3        -9582.43  0.79
    >>> comparison.chosen
    'ParetoNBD'
    >>> print(comparison.reason)  # doctest: +NORMALIZE_WHITESPACE
    ParetoNBD was chosen: it has the lowest holdout MAE per customer
    (0.7545; next ModifiedBetaGeo 0.7648).
    """
    chosen_families = _check_families(families)
    check_option(criterion, _CRITERIA, name="criterion")
    check_in_range(tie_tolerance, name="tie_tolerance", low=0, high=1, high_inclusive=False)
    needed = [frequency_col, recency_col, T_col, frequency_holdout_col, duration_holdout_col]
    require_columns(calibration_holdout, needed)
    require_nonempty(calibration_holdout, name="the calibration/holdout frame")
    for c in needed:
        check_numeric_column(calibration_holdout, c)
    handle_nan(calibration_holdout, needed, "raise")
    canonical = (cols.FREQUENCY, cols.RECENCY, cols.T, cols.FREQUENCY_HOLDOUT)
    frame = pd.DataFrame(
        {
            new: calibration_holdout[old].to_numpy(dtype=np.float64)
            for new, old in zip((*canonical, cols.DURATION_HOLDOUT), needed, strict=True)
        },
        index=calibration_holdout.index,
    )
    # other columns (log_interval_sum for BG/CNBD-k, ...) reach the families unchanged
    for extra in calibration_holdout.columns:
        if extra not in needed and extra not in frame.columns:
            frame[extra] = calibration_holdout[extra].to_numpy()
    frame.attrs = dict(calibration_holdout.attrs)

    rows: dict[str, dict[str, Any]] = {}
    fits: dict[str, FitResult[Any]] = {}
    evaluations: dict[str, HoldoutEvaluation] = {}
    by_frequency: pd.DataFrame | None = None
    for family in chosen_families:
        name = family.__name__
        fit, status = _fit_one(family, frame)
        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS, math.nan)
        row.update(rank=0, status=status)
        if fit is not None:
            if not isinstance(fit, FitResult) or not isinstance(fit.model, TransactionModel):
                raise InvalidValueError(
                    f"{name}.fit() returned {type(fit).__name__}, not a FitResult of a "
                    "TransactionModel; compare_models needs the clv.TransactionModel protocol."
                )
            try:
                ev = evaluate_holdout(fit.model, frame)
                table = holdout_by_frequency(fit.model, frame).table
            except CrmkitError as exc:  # the fitted model refuses to predict these rows
                row.update(status=f"failed: the holdout prediction: {str(exc).splitlines()[0]}")
                rows[name] = row
                continue
            fits[name], evaluations[name] = fit, ev
            # an Erlang order k chosen by likelihood is one more estimated parameter
            chosen_order = 1 if issubclass(family, CNBDMaths) else 0
            row.update(
                n_params=len(fit.param_names) + chosen_order,
                log_likelihood=fit.log_likelihood,
                aic=fit.aic + 2.0 * chosen_order,
                bic=fit.bic + chosen_order * math.log(max(fit.n_customers, 1)),
                mae=ev.mae,
                rmse=ev.rmse,
                bias=ev.bias,
                predicted=ev.total_predicted,
                actual=ev.total_actual,
                tracking_error=(ev.total_predicted - ev.total_actual) / ev.total_actual
                if ev.total_actual > 0
                else math.inf,
            )
            if by_frequency is None:
                by_frequency = table[["n_customers", "actual"]].copy()
            by_frequency[name] = table["predicted"]
        rows[name] = row
    if not fits:
        failures = "; ".join(f"{n}: {r['status']}" for n, r in rows.items())
        raise ConvergenceError(
            f"no purchase model could be fitted to the calibration period ({failures}); "
            "check the data (enough repeat buyers?) or pass other families."
        )
    table = pd.DataFrame.from_dict(rows, orient="index")[list(TABLE_COLUMNS)]
    table.index.name = "model"
    order, group = _rank(table, criterion, float(tie_tolerance))
    failed = [n for n in table.index if n not in order]
    table = table.loc[order + failed]
    table["rank"] = [*range(1, len(order) + 1), *[0] * len(failed)]
    table["rank"] = table["rank"].astype(np.int64)
    table["n_params"] = table["n_params"].astype("Int64")
    assert by_frequency is not None  # at least one fit succeeded
    return ModelComparison(
        table=table,
        fits=fits,
        evaluations=evaluations,
        by_frequency=by_frequency,
        chosen=order[0],
        criterion=criterion,
        tie_tolerance=float(tie_tolerance),
        reason=_reason(table, criterion, float(tie_tolerance), group),
    )
