"""Machinery of :func:`crmkit.clv.compare_retention_models` (private).

* the **model clock**: one row per customer (or per survivor-table cell, weighted) with
  the number of renewal decisions the retention models see, so that the Kaplan-Meier
  curve and the models' S(t) = P(T > t) are on the same time axis;
* **censoring at a calibration cut** (fit on the first k periods, project the rest);
* the **likelihood-ratio tests** of the nested families geometric ⊂ sBG ⊂ BdW with
  their boundary-aware reference distributions (Self & Liang 1987).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from crmkit.clv._retention_data import RetentionCounts, TenureCounts, individual_clock
from crmkit.exceptions import InvalidValueError

__all__ = [
    "NESTED",
    "censor_individual",
    "censor_survivors",
    "clock_rows",
    "counts_rows",
    "lr_test",
]

CLOCK_TENURE = "renewals"
CLOCK_CHURNED = "churned"
CLOCK_ENTRY = "entry"
CLOCK_WEIGHT = "customers"

NESTED: dict[str, str] = {
    "ShiftedBetaGeometric": "ShiftedGeometric",
    "BetaDiscreteWeibull": "ShiftedBetaGeometric",
}
"""Each family's nested smaller model: the sBG with no heterogeneity is the geometric
(alpha, beta -> infinity at a fixed ratio), the BdW with c = 1 is the sBG."""


def clock_rows(
    data: pd.DataFrame,
    *,
    tenure_col: str,
    churned_col: str,
    entry_col: str | None,
    tenure_counts: TenureCounts,
    weights_col: str | None = None,
) -> pd.DataFrame:
    """One row per customer on the model clock, weighted (the rules of the fit reader).

    The clock comes from :func:`crmkit.clv._retention_data.individual_clock`, the one
    home of the ``tenure_counts`` rule, so Kaplan-Meier and the models' likelihood see
    the same renewal counts.
    """
    clock = individual_clock(
        data,
        tenure_col=tenure_col,
        churned_col=churned_col,
        entry_col=entry_col,
        tenure_counts=tenure_counts,
        weights_col=weights_col,
    )
    rows = {
        CLOCK_TENURE: clock.periods.astype(np.float64),
        CLOCK_CHURNED: clock.churned,
        CLOCK_WEIGHT: clock.weight,
    }
    if entry_col is not None:
        rows[CLOCK_ENTRY] = clock.entered.astype(np.float64)
    return pd.DataFrame(rows, index=data.index)


def counts_rows(counts: RetentionCounts) -> pd.DataFrame:
    """Weighted clock rows of survivor tables: churned and active customers per period."""
    t = counts.periods
    return pd.DataFrame(
        {
            CLOCK_TENURE: np.r_[t, t],
            CLOCK_CHURNED: np.r_[np.ones(t.size, bool), np.zeros(t.size, bool)],
            CLOCK_WEIGHT: np.r_[counts.churned, counts.active],
        }
    )


def censor_individual(clock: pd.DataFrame, cut: int) -> pd.DataFrame:
    """Clock rows as they were after ``cut`` periods: fit them with tenure_counts="completed".

    A churn after the cut becomes a customer active after ``cut`` renewals; longer
    active tenures are cut to ``cut``; customers who enter observation at or after the
    cut are not yet observed and are left out.
    """
    kept = clock
    if CLOCK_ENTRY in clock.columns:
        kept = clock.loc[clock[CLOCK_ENTRY].to_numpy() < cut]
    late = kept[CLOCK_TENURE].to_numpy() > cut
    return kept.assign(
        **{
            CLOCK_TENURE: np.where(late, float(cut), kept[CLOCK_TENURE].to_numpy()),
            CLOCK_CHURNED: kept[CLOCK_CHURNED].to_numpy() & ~late,
        }
    )


def censor_survivors(
    data: pd.DataFrame | ArrayLike, cut: int, *, period_col: str
) -> pd.DataFrame | ArrayLike:
    """Survivor tables cut to periods 0..cut (the first ``cut`` + 1 counts of each cohort)."""
    if isinstance(data, pd.DataFrame):
        return data.loc[data[period_col].to_numpy() <= cut]
    return np.asarray(data)[: cut + 1]


def _chi2_sf(df: int, x: float) -> float:
    return 1.0 if df == 0 else float(special.chdtrc(df, x))


def _mixture_sf(weights: dict[int, float], x: float) -> float:
    """P(X >= x) for a mixture of chi-square laws ({df: weight}); x <= 0 gives 1."""
    if x <= 0.0:
        return 1.0
    return sum(w * (0.0 if df == 0 else _chi2_sf(df, x)) for df, w in weights.items())


CHI2_1 = "chi2(1)"
BAR_01 = "0.5 chi2(0) + 0.5 chi2(1)"
BAR_12 = "0.5 chi2(1) + 0.5 chi2(2)"


def lr_test(name: str, fits: dict[str, Any]) -> tuple[str, float, float, str]:
    """(against, statistic, p-value, reference) of ``name`` against its nested model.

    * sBG against the geometric: the geometric is the sBG whose churn probabilities do
      not vary (polarisation 1 / (alpha + beta + 1) = 0), a point on the edge of the
      parameter space, so the statistic follows the chi-bar-square mixture
      0.5 chi2(0) + 0.5 chi2(1) (Self & Liang 1987, case 5), not chi2(1).
    * BdW against the sBG: c = 1 is inside c > 0, so chi2(1) -- unless the sBG fit went
      to its limit (it is then the geometric): the test is then one of c = 1 and no
      heterogeneity together, one restriction on the edge and one inside, with the
      mixture 0.5 chi2(1) + 0.5 chi2(2) (Self & Liang 1987, case 6).

    ``("", nan, nan, "")`` when the family has no nested model among the fits.
    """
    smaller = NESTED.get(name)
    if smaller is None or name not in fits or smaller not in fits:
        return "", math.nan, math.nan, ""
    big, small = fits[name], fits[smaller]
    statistic = 2.0 * (big.log_likelihood - small.log_likelihood)
    if name == "ShiftedBetaGeometric":
        return smaller, statistic, _mixture_sf({0: 0.5, 1: 0.5}, statistic), BAR_01
    if small.at_boundary:
        p = _mixture_sf({1: 0.5, 2: 0.5}, statistic)
        return smaller, statistic, p, BAR_12 + ": sBG at its geometric limit"
    return smaller, statistic, _chi2_sf(1, max(statistic, 0.0)), CHI2_1


def check_cut(cut: Any, longest: dict[Any, int]) -> int | None:
    """The calibration cut as an int, below every group's longest clock tenure."""
    if cut is None:
        return None
    if isinstance(cut, bool) or not isinstance(cut, int | np.integer) or cut < 1:
        raise InvalidValueError(
            f"calibration_periods={cut!r} must be a whole number of periods >= 1 (fit on "
            "periods 1..k, check the projection beyond k), or None for no holdout check."
        )
    short = {g: k for g, k in longest.items() if k <= cut}
    if short:
        label = ", ".join(f"{g!s}: {k}" for g, k in short.items())
        raise InvalidValueError(
            f"calibration_periods={int(cut)} leaves nothing to project: the longest "
            f"tenure (renewals on the model clock) is at most the cut in {label}. Pass a "
            "smaller cut, or None."
        )
    return int(cut)
