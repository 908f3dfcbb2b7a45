"""Which retention model should I trust? Geometric, sBG and BdW against Kaplan-Meier.

:func:`compare_retention_models` fits every given contractual family (by default the
nested :class:`~crmkit.clv.ShiftedGeometric` ⊂ :class:`~crmkit.clv.ShiftedBetaGeometric`
⊂ :class:`~crmkit.clv.BetaDiscreteWeibull`) to the same customers, overall or per group,
and puts side by side what decides between them: log-likelihood, AIC, BIC, the
likelihood-ratio test against the nested model with a reference distribution that is
valid at the edge of the parameter space, and the gap between each fitted survival
curve and the Kaplan-Meier estimate on the same clock; optionally it fits on the first
k periods only and checks the projection beyond them. One documented rule chooses a
family per group and says why; :func:`crmkit.plotting.retention_fit_plot` draws the
curves.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from crmkit._display import Display, Displayable, fmt_number
from crmkit._validation import check_option, require_columns, require_nonempty
from crmkit.clv._base import FitResult
from crmkit.clv._retention_check import (
    CLOCK_CHURNED,
    CLOCK_ENTRY,
    CLOCK_TENURE,
    CLOCK_WEIGHT,
    censor_individual,
    censor_survivors,
    check_cut,
    clock_rows,
    counts_rows,
    lr_test,
)
from crmkit.clv._retention_data import TenureCounts, retention_counts
from crmkit.clv.bdw import BetaDiscreteWeibull
from crmkit.clv.compare import _check_families
from crmkit.clv.geometric import ShiftedGeometric
from crmkit.clv.sbg import ShiftedBetaGeometric
from crmkit.exceptions import ConvergenceError, CrmkitError, CrmkitWarning, InvalidValueError
from crmkit.survival import KaplanMeier, kaplan_meier
from crmkit.timeunits import TimeUnit

__all__ = [
    "DEFAULT_RETENTION_FAMILIES",
    "RetentionComparison",
    "RetentionCriterion",
    "compare_retention_models",
]

RetentionCriterion: TypeAlias = Literal["bic", "aic", "km_gap", "holdout"]
_CRITERIA: tuple[str, ...] = ("bic", "aic", "km_gap", "holdout")
_SCORE = {"bic": "bic", "aic": "aic", "km_gap": "km_mean_gap", "holdout": "holdout_mean_gap"}
_WORDS = {
    "bic": "BIC",
    "aic": "AIC",
    "km_gap": "mean absolute gap to the Kaplan-Meier curve",
    "holdout": "mean absolute gap to the Kaplan-Meier curve beyond the calibration cut",
}
ALL = "all"
"""Group label of the whole data when no ``group_col`` is given."""

DEFAULT_RETENTION_FAMILIES: tuple[type[Any], ...] = (
    ShiftedGeometric,
    ShiftedBetaGeometric,
    BetaDiscreteWeibull,
)
"""The nested contractual families: geometric ⊂ sBG ⊂ BdW."""

TABLE_COLUMNS = (
    "rank",
    "n_customers",
    "n_params",
    "log_likelihood",
    "aic",
    "bic",
    "lr_against",
    "lr_statistic",
    "lr_p_value",
    "lr_reference",
    "km_max_gap",
    "km_max_gap_at",
    "km_mean_gap",
    "km_outside_band",
    "holdout_max_gap",
    "holdout_mean_gap",
    "converged",
    "at_boundary",
    "status",
)


@attrs.frozen(kw_only=True, repr=False)
class RetentionComparison(Displayable):
    """Contractual families fitted to the same customers and checked against Kaplan-Meier.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (group,) family, indexed by ``group_col`` (when given) and
        ``model``, best first within each group: ``rank`` (1 = chosen; 0 = fit failed),
        ``n_customers``, ``n_params``, ``log_likelihood``, ``aic``, ``bic`` (n =
        customers), ``lr_against`` (the nested family tested against, empty if none),
        ``lr_statistic`` (2 x the log-likelihood difference), ``lr_p_value`` and
        ``lr_reference`` (its reference law), ``km_max_gap`` (largest
        :math:`|S(t) - \\hat S_{KM}(t)|` over the fitted periods), ``km_max_gap_at``
        (the period t where it is), ``km_mean_gap`` (mean over those periods),
        ``km_outside_band`` (share of those periods where S(t) is outside the
        Kaplan-Meier pointwise 95 % band),
        ``holdout_max_gap`` and ``holdout_mean_gap`` (the same beyond the calibration
        cut; NaN without one), ``converged``, ``at_boundary`` (parameters at a limit,
        comma-separated) and ``status`` (``"ok"``, the fit's warning text, or
        ``"failed: ..."``).
    choices : pandas.DataFrame
        Indexed by group (``"all"`` without groups): the chosen ``model`` and the
        ``reason`` in one sentence.
    fits : dict
        ``fits[group][family name]``: every :class:`~crmkit.clv.FitResult` (group
        ``"all"`` without groups).
    kaplan_meier : crmkit.survival.KaplanMeier
        The Kaplan-Meier estimate on the models' clock (time = renewals), per group.
    tenure_counts : str or None
        How tenure was read (None for survivor tables).
    group_col : str or None
        The column the customers were grouped by (None: one comparison of everyone).
    criterion : str
        The ranking rule: ``"bic"``, ``"aic"``, ``"km_gap"`` or ``"holdout"``.
    calibration_periods : int or None
        The cut: families were fitted on periods 1..k only.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    choices: pd.DataFrame = attrs.field(eq=False)
    fits: dict[Hashable, dict[str, FitResult[Any]]] = attrs.field(eq=False)
    kaplan_meier: KaplanMeier = attrs.field(eq=False)
    tenure_counts: str | None
    group_col: str | None
    criterion: str
    calibration_periods: int | None

    @property
    def chosen(self) -> dict[Hashable, str]:
        """The chosen family name per group (key ``"all"`` without groups)."""
        return {g: str(m) for g, m in self.choices["model"].items()}

    @property
    def chosen_fits(self) -> dict[Hashable, FitResult[Any]]:
        """The fit of each group's chosen family: pass it to
        :func:`~crmkit.clv.contractual_value_summary` with ``group_col``."""
        return {g: self.fits[g][m] for g, m in self.chosen.items()}

    def curves(self, *, group: Hashable = None) -> pd.DataFrame:
        """Kaplan-Meier and fitted survival per period t = 0..K of one group.

        Parameters
        ----------
        group : object, optional
            The group to read (required when the comparison has groups).

        Returns
        -------
        pandas.DataFrame
            Columns ``kaplan_meier``, ``lower``, ``upper`` (its pointwise band) and one
            column of S(t) per fitted family; index ``t`` (renewals).
        """
        if self.group_col is None and group is not None:
            raise InvalidValueError(
                f"group={group!r} given, but the comparison has no groups (pass group_col= "
                "to compare_retention_models to compare per group)."
            )
        key = ALL if self.group_col is None else group
        try:
            known = key in self.fits
        except TypeError:  # an unhashable label is not a group
            known = False
        if not known:
            raise InvalidValueError(
                f"group={group!r} is not a group of {self.group_col!r}; the groups are "
                f"{list(self.fits)}."
            )
        table = _km_part(self.kaplan_meier, key, self.group_col)
        t = np.arange(int(table.index.max()) + 1, dtype=np.float64)
        out = dict(zip(("survival", "lower", "upper"), _km_on_grid(table, t), strict=True))
        frame = pd.DataFrame(out, index=pd.Index(t.astype(np.int64), name="t"))
        frame = frame.rename(columns={"survival": "kaplan_meier"})
        for name, fit in self.fits[key].items():
            frame[name] = fit.model.survival(t)
        return frame

    def _display(self) -> Display:
        t = self.table
        n = int(t.loc[t["rank"] == 1, "n_customers"].sum())
        shown = ["rank", "log_likelihood", "bic", "lr_statistic", "lr_p_value", "km_max_gap"]
        if self.calibration_periods is not None:
            shown.append("holdout_mean_gap")
        columns = ["group, model" if self.group_col else "model", *shown, "at limit"]
        rows = []
        for label, row in t.iterrows():
            cells = [" / ".join(map(str, label)) if isinstance(label, tuple) else str(label)]
            cells += [fmt_number(float(row[c])) for c in shown]
            rows.append([*cells, row["at_boundary"] or "-"])
        cut = (
            f", fitted on periods 1..{self.calibration_periods}"
            if self.calibration_periods is not None
            else ""
        )
        return Display(
            f"Retention model comparison on {n:,} customers (ranked by "
            f"{_WORDS[self.criterion]}{cut})",
            [f"tenure_counts: {self.tenure_counts or 'survivor tables'}"],
            columns,
            rows,
            list(self.choices["reason"]),
        )


def _km_part(km: KaplanMeier, group: Hashable, group_col: str | None) -> pd.DataFrame:
    """The Kaplan-Meier rows of one group (all rows without groups), indexed by time."""
    table: Any = km.table  # pandas-stubs type .loc with scalar labels only
    part: pd.DataFrame = table if group_col is None else table.loc[group]
    return part


def _km_on_grid(
    table: pd.DataFrame, t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Survival, lower and upper of a Kaplan-Meier step function at times t (1 before
    its first time, e.g. when every customer enters late)."""
    pos = np.searchsorted(table.index.to_numpy(dtype=np.float64), t, side="right") - 1
    before = pos < 0
    s, low, high = (
        np.where(before, 1.0, table[c].to_numpy(dtype=np.float64)[np.maximum(pos, 0)])
        for c in ("survival", "lower", "upper")
    )
    return s, low, high


def _fit_one(
    family: type[Any], data: Any, options: dict[str, Any]
) -> tuple[FitResult[Any] | None, str]:
    """Fit, returning the fit (or None) and its status: "ok", the warnings or the failure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = family.fit(data, **options)
        except CrmkitError as exc:  # ConvergenceError, or data the family refuses
            fit, failure = None, f"failed: {str(exc).splitlines()[0]}"
        else:
            failure = ""
    notes: list[str] = []
    for w in caught:  # crmkit's warnings (BoundaryWarning, ...) become the status
        if issubclass(w.category, CrmkitWarning):
            notes.append(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if fit is None:
        return None, failure
    if not isinstance(fit, FitResult) or not callable(getattr(fit.model, "survival", None)):
        raise InvalidValueError(
            f"{family.__name__}.fit() returned {type(fit).__name__}, not a FitResult of a "
            "model with survival(t); compare_retention_models needs clv.ContractualModel."
        )
    return fit, "; ".join(dict.fromkeys(notes)) or "ok"


def _gaps(gap: NDArray[np.float64], t: NDArray[np.float64]) -> tuple[float, float, float]:
    """Largest gap, the period where it is, mean gap (NaN for no periods)."""
    if gap.size == 0:
        return math.nan, math.nan, math.nan
    i = int(np.argmax(gap))
    return float(gap[i]), float(t[i]), float(gap.mean())


def _reason(part: pd.DataFrame, criterion: str) -> str:
    ok = part[part["rank"] > 0]
    chosen = str(ok.index[0])
    score = _SCORE[criterion]
    row = ok.iloc[0]
    text = f"{chosen} was chosen: it has the lowest {_WORDS[criterion]} ({fmt_number(row[score])}"
    text += f"; next {ok.index[1]} {fmt_number(ok.iloc[1][score])})" if len(ok) > 1 else ")"
    if row["lr_against"]:
        p = float(row["lr_p_value"])
        text += (
            f", the LR test against {row['lr_against']} gives {row['lr_statistic']:.2f} "
            f"(p {'< 0.001' if p < 0.001 else f'= {p:.3f}'}, {row['lr_reference']})"
        )
    if row["at_boundary"]:
        text += f"; its fit ends at a limit ({row['at_boundary']} -> the limit model)"
    text += (
        f"; its survival curve is at most {row['km_max_gap']:.3f} from the Kaplan-Meier "
        f"curve (at t = {int(row['km_max_gap_at'])})."
    )
    failed = [str(n) for n in part.index if part.loc[n, "rank"] == 0]
    if failed:
        text += f" Not ranked (fit failed): {', '.join(failed)}."
    return text


def compare_retention_models(
    data: pd.DataFrame | ArrayLike,
    /,
    *,
    families: Sequence[type[Any]] = DEFAULT_RETENTION_FAMILIES,
    tenure_counts: TenureCounts | None = None,
    tenure_col: str = "tenure",
    churned_col: str = "churned",
    entry_col: str | None = None,
    group_col: str | None = None,
    period_col: str = "period",
    n_alive_col: str = "n_alive",
    cohort_col: str | None = None,
    weights_col: str | None = None,
    calibration_periods: int | None = None,
    criterion: RetentionCriterion | None = None,
    time_unit: TimeUnit | None = None,
) -> RetentionComparison:
    """Fit contractual retention models side by side and check them against Kaplan-Meier.

    Every family is fitted by maximum likelihood to the same customers (per group of
    ``group_col``, if given) and scored by

    .. math::

        \\text{AIC} = 2k - 2\\ell,\\quad \\text{BIC} = k\\ln N - 2\\ell,\\quad
        \\text{LR} = 2(\\ell_{\\text{larger}} - \\ell_{\\text{nested}}),\\quad
        \\max_t |S(t) - \\hat S_{KM}(t)|

    **The likelihood-ratio tests.** The families are nested: the geometric is the sBG
    without heterogeneity (alpha, beta -> infinity), the sBG is the BdW with c = 1
    (Fader et al. 2018). The sBG-vs-geometric null lies on the edge of the parameter
    space (a variance of zero), where the LR statistic is not chi-square(1) but the
    mixture 0.5 chi2(0) + 0.5 chi2(1) (Self & Liang 1987, case 5): the p-value is half
    the chi2(1) one. The BdW is tested against the sBG with chi2(1) (c = 1 is inside
    c > 0), except when the sBG fit went to its geometric limit: the test is then of
    c = 1 and no heterogeneity together, with the mixture 0.5 chi2(1) + 0.5 chi2(2)
    (case 6). ``lr_reference`` names the law used.

    **The Kaplan-Meier check on the same clock.** The models describe T, the period in
    which a customer cancels, and S(t) = P(T > t) after t renewals. The Kaplan-Meier
    curve is computed (with :func:`crmkit.survival.kaplan_meier`) on the renewals each
    customer is known to have made: a churned customer with tenure t has T = t; an
    active one has made t renewals with ``tenure_counts="completed"`` and t - 1 with
    ``"started"``; an entry tenure is shifted alike. With ``"completed"`` this is the
    Kaplan-Meier curve of the raw tenures; with ``"started"`` it is the curve of the
    raw tenures with every active customer's tenure one less. Survivor tables give
    n_t / n_0 for one cohort. The gaps are taken at t = 1 .. K (K the longest tenure on
    that clock); the last periods rest on few customers, so read ``km_max_gap`` with
    ``km_max_gap_at`` and ``km_outside_band``.

    **Holdout** (``calibration_periods=k``): every family is fitted on the data as they
    were after k periods -- survivor tables cut to periods 0..k, individual rows
    censored at k renewals (a churn after k becomes "active after k"; customers who
    enter observation at or after k are left out) -- the "calibrate on the first k
    periods, project the rest" check of Fader & Hardie (2007); ``km_*`` columns then
    cover t = 1..k and ``holdout_*`` columns t = k+1..K, against the Kaplan-Meier curve
    of all the data.

    **The rule.** Within each group the family with the lowest ``criterion`` is chosen:
    ``"holdout"`` (the default with ``calibration_periods``: the mean absolute gap to
    Kaplan-Meier beyond the cut, the out-of-sample check of Fader & Hardie 2007),
    ``"bic"`` (the default without: Schwarz 1978, rewards the fit and penalises
    parameters), ``"aic"`` or ``"km_gap"`` (the mean absolute gap to Kaplan-Meier over
    the fitted periods). A short calibration period favours the smallest model on BIC
    even where it projects worst (the "high end" example below): judge a projection on
    a holdout. A fit that stops at a limit of the parameter
    space (:class:`~crmkit.exceptions.BoundaryWarning`) is ranked like the others (it is
    the limit model); its warning is kept in ``status`` and ``at_boundary``, and nothing
    is warned. Equal scores (to 1e-9) go to the family with fewer parameters. A fit that
    raises a crmkit error is kept with rank 0 and ``status="failed: ..."``.

    Parameters
    ----------
    data : pandas.DataFrame or sequence of int
        One row per customer (``tenure_col``, ``churned_col``, optionally ``entry_col``
        and ``group_col``) or survivor tables (``period_col``, ``n_alive_col``,
        optionally ``cohort_col`` and ``group_col``), as every family's ``fit`` reads
        them; or the counts n_0, n_1, ... of one cohort. Not modified.
    families : sequence of model classes, optional
        Classes following :class:`~crmkit.clv.ContractualModel`; default
        ``(ShiftedGeometric, ShiftedBetaGeometric, BetaDiscreteWeibull)``.
    tenure_counts : {"completed", "started"}
        Required with one row per customer: whether an active customer with tenure t
        has renewed t times or t - 1 times (see above).
    tenure_col, churned_col, entry_col, period_col, n_alive_col, cohort_col : str
        Column names, as in :meth:`ShiftedBetaGeometric.fit`.
    weights_col : str, optional
        Frequency weights of one-row-per-customer data (how many customers a row stands
        for), used by the fits and the Kaplan-Meier curve alike.
    group_col : str, optional
        Compare the families separately per value of this column (e.g. the contract).
    calibration_periods : int, optional
        Fit on periods 1..k only and check the projection beyond k.
    criterion : {"bic", "aic", "km_gap", "holdout"}, optional
        The rule above; default ``"holdout"`` with ``calibration_periods``, else
        ``"bic"``.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Length of one period, stored on the fitted models.

    Returns
    -------
    RetentionComparison
        ``.table``, ``.choices`` (model and reason per group), ``.chosen``,
        ``.chosen_fits``, ``.fits``, ``.kaplan_meier`` and ``.curves()``.

    Raises
    ------
    MissingColumnsError
        If a named column is absent.
    InvalidValueError
        For a bad option or family, data the reader refuses, a cut at or beyond the
        longest tenure, or ``criterion="holdout"`` without a cut.
    ConvergenceError
        If no family could be fitted in a group (every failure is listed).

    References
    ----------
    - Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
      *J. Interactive Marketing*, 21(1), 76-90.
    - Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018). "How
      to project customer retention" revisited: the role of duration dependence.
      *J. Interactive Marketing*, 43, 1-16.
    - Self, S. G. & Liang, K.-Y. (1987). Asymptotic properties of maximum likelihood
      estimators and likelihood ratio tests under nonstandard conditions. *J. American
      Statistical Association*, 82(398), 605-610.
    - Schwarz, G. (1978). Estimating the dimension of a model. *The Annals of
      Statistics*, 6(2), 461-464.

    Examples
    --------
    The "high end" cohort of Fader & Hardie (2007), fitted on years 0-4 as in Fader et
    al. (2018):

    >>> from crmkit.clv import compare_retention_models
    >>> high_end = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
    >>> result = compare_retention_models(high_end, calibration_periods=4)
    >>> result.table[["log_likelihood", "lr_statistic", "holdout_mean_gap"]].round(3)
                          log_likelihood  lr_statistic  holdout_mean_gap
    model
    BetaDiscreteWeibull        -1222.749         4.771             0.008
    ShiftedBetaGeometric       -1225.135         5.657             0.058
    ShiftedGeometric           -1227.964           NaN             0.125
    >>> result.chosen
    {'all': 'BetaDiscreteWeibull'}
    """
    chosen_families = _check_families(families)
    if criterion is None:
        criterion = "bic" if calibration_periods is None else "holdout"
    check_option(criterion, _CRITERIA, name="criterion")
    if criterion == "holdout" and calibration_periods is None:
        raise InvalidValueError(
            "criterion='holdout' ranks on the projection beyond the calibration cut: pass "
            "calibration_periods=k as well, or choose criterion='bic', 'aic' or 'km_gap'."
        )
    options: dict[str, Any] = {
        "tenure_col": tenure_col,
        "churned_col": churned_col,
        "entry_col": entry_col,
        "tenure_counts": tenure_counts,
        "period_col": period_col,
        "n_alive_col": n_alive_col,
        "cohort_col": cohort_col,
    }
    if weights_col is not None:
        options["weights_col"] = weights_col
    if isinstance(data, pd.DataFrame):
        require_nonempty(data, name="the retention data")
        if group_col is not None:
            require_columns(data, [group_col])
            if data[group_col].isna().any():
                raise InvalidValueError(
                    f"column {group_col!r} has missing values; every customer needs a "
                    "group: fill them (e.g. with 'unknown') or drop those rows first."
                )
        if time_unit is None:
            time_unit = data.attrs.get("crmkit_time_unit")
    elif group_col is not None:
        raise InvalidValueError(
            f"group_col={group_col!r} needs a DataFrame with that column; got "
            f"{type(data).__name__}."
        )
    parts: list[tuple[Hashable, Any]]
    if group_col is None:
        parts = [(ALL, data)]
    else:
        assert isinstance(data, pd.DataFrame)
        parts = [
            (k.item() if isinstance(k, np.generic) else k, p)
            for k, p in data.groupby(group_col, sort=True, observed=True)
        ]
    # the reader checks every part once (errors name the problem and the column)
    counts = {g: retention_counts(p, **options) for g, p in parts}
    individual = isinstance(data, pd.DataFrame) and tenure_col in data.columns
    clocks = {}
    for g, p in parts:
        if individual:
            assert tenure_counts is not None  # the reader requires it
            rows = clock_rows(p, tenure_col=tenure_col, churned_col=churned_col,
                              entry_col=entry_col, tenure_counts=tenure_counts,
                              weights_col=weights_col)  # fmt: skip
        else:
            rows = counts_rows(counts[g])
        labels: Any = [g] * len(rows)  # any hashable group label, tuples too
        clocks[g] = rows.assign(group=pd.Series(labels, index=rows.index, dtype=object))
    everyone = pd.concat(list(clocks.values()), ignore_index=True)
    km = kaplan_meier(
        everyone,
        tenure_col=CLOCK_TENURE,
        churned_col=CLOCK_CHURNED,
        entry_col=CLOCK_ENTRY if CLOCK_ENTRY in everyone.columns else None,
        group_col=None if group_col is None else "group",
        weights_col=CLOCK_WEIGHT,
    )
    longest = {g: int(_km_part(km, g, group_col).index.max()) for g, _ in parts}
    cut = check_cut(calibration_periods, longest)

    rows_out: list[dict[str, Any]] = []
    fits: dict[Hashable, dict[str, FitResult[Any]]] = {}
    choices: dict[Hashable, dict[str, str]] = {}
    for g, part in parts:
        fit_data: Any = part
        fit_options = dict(options, time_unit=time_unit)
        if cut is not None and individual:
            censored = censor_individual(clocks[g], cut)
            fit_data = censored
            fit_options.update(
                tenure_col=CLOCK_TENURE, churned_col=CLOCK_CHURNED, tenure_counts="completed",
                entry_col=CLOCK_ENTRY if entry_col is not None else None,
                weights_col=CLOCK_WEIGHT,
            )  # fmt: skip
        elif cut is not None:
            fit_data = censor_survivors(part, cut, period_col=period_col)
        t = np.arange(1, longest[g] + 1, dtype=np.float64)
        km_t, low, high = _km_on_grid(_km_part(km, g, group_col), t)
        group_fits: dict[str, FitResult[Any]] = {}
        group_rows: dict[str, dict[str, Any]] = {}
        for family in chosen_families:
            name = family.__name__
            fit, status = _fit_one(family, fit_data, fit_options)
            row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS, math.nan)
            row.update(rank=0, status=status, lr_against="", lr_reference="", at_boundary="")
            row.update(n_customers=counts[g].n_customers, converged=False)
            if fit is not None:
                group_fits[name] = fit
                gap = np.abs(fit.model.survival(t) - km_t)
                inside = t <= (cut if cut is not None else longest[g])
                km_max, km_at, km_mean = _gaps(gap[inside], t[inside])
                ho_max, _, ho_mean = _gaps(gap[~inside], t[~inside])
                s_t = fit.model.survival(t[inside])
                outside = (s_t < low[inside]) | (s_t > high[inside])
                row.update(
                    n_params=len(fit.param_names), log_likelihood=fit.log_likelihood,
                    aic=fit.aic, bic=fit.bic, km_max_gap=km_max, km_max_gap_at=km_at,
                    km_mean_gap=km_mean, km_outside_band=float(outside.mean()),
                    holdout_max_gap=ho_max, holdout_mean_gap=ho_mean,
                    converged=fit.converged, at_boundary=", ".join(fit.at_boundary),
                )  # fmt: skip
            group_rows[name] = row
        if not group_fits:
            failures = "; ".join(f"{n}: {r['status']}" for n, r in group_rows.items())
            where = "" if group_col is None else f" in {group_col}={g!r}"
            raise ConvergenceError(
                f"no retention model could be fitted{where} ({failures}); check the data "
                "(enough churners and renewals?) or pass other families."
            )
        for name, row in group_rows.items():
            against, stat, p, ref = lr_test(name, group_fits)
            row.update(lr_against=against, lr_statistic=stat, lr_p_value=p, lr_reference=ref)
        score = _SCORE[str(criterion)]
        # equal scores (to 1e-9, e.g. fits that all reached the same limit): fewer
        # parameters first, then the lower BIC
        order = sorted(
            group_fits,
            key=lambda n: (
                round(float(group_rows[n][score]), 9),
                group_rows[n]["n_params"],
                float(group_rows[n]["bic"]),
            ),
        )
        failed = [n for n in group_rows if n not in group_fits]
        for rank, name in enumerate(order, start=1):
            group_rows[name]["rank"] = rank
        part_table = pd.DataFrame.from_dict(
            {n: group_rows[n] for n in order + failed}, orient="index"
        )[list(TABLE_COLUMNS)]
        choices[g] = {"model": order[0], "reason": _reason(part_table, str(criterion))}
        fits[g] = group_fits
        for name in order + failed:
            rows_out.append({"group": g, "model": name, **group_rows[name]})
    table = pd.DataFrame(rows_out)
    keys = ["model"] if group_col is None else ["group", "model"]
    table = table.set_index(keys)[list(TABLE_COLUMNS)]
    if group_col is not None:
        table.index = table.index.set_names([group_col, "model"])
    table["rank"] = table["rank"].astype(np.int64)
    table["n_customers"] = table["n_customers"].astype(np.int64)
    table["n_params"] = table["n_params"].astype("Int64")
    table["converged"] = table["converged"].astype(bool)
    choice_frame = pd.DataFrame.from_dict(choices, orient="index")
    choice_frame.index.name = group_col or "group"
    return RetentionComparison(
        table=table,
        choices=choice_frame,
        fits=fits,
        kaplan_meier=km,
        tenure_counts=tenure_counts if individual else None,
        group_col=group_col,
        criterion=str(criterion),
        calibration_periods=cut,
    )
