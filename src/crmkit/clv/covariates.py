"""Pareto/NBD, BG/NBD and MBG/NBD with time-invariant covariates (Fader & Hardie 2007).

Each customer *i* has covariates :math:`z_{1i}` for the purchase process and
:math:`z_{2i}` for the dropout process (two frames indexed by customer id, possibly
with the same columns). Following Fader & Hardie (2007, note 019), the covariates scale
the customer's mixing distributions:

* purchase process (all three models): :math:`\\alpha_i = \\alpha_0
  \\exp(-\\gamma_1' z_{1i})`, so that :math:`E[\\lambda_i] = r / \\alpha_i` grows by the
  factor :math:`e^{\\gamma_{1k}}` per unit of :math:`z_{1ik}`;
* dropout, Pareto/NBD: :math:`\\beta_i = \\beta_0 \\exp(-\\gamma_2' z_{2i})`
  (:math:`E[\\mu_i] = s / \\beta_i`: a positive coefficient shortens lifetimes);
* dropout, BG/NBD and MBG/NBD: :math:`a_i = a_0 \\exp(\\gamma_2' z_{2i})`,
  :math:`b_i = b_0 \\exp(\\gamma_3' z_{2i})` (note 019, section 3; CLVTools restricts
  :math:`\\gamma_3 = \\gamma_2`).

The likelihood of a customer is the model's likelihood with these per-customer
parameters, so with no covariates each model is the classic one. Numeric columns enter
as they are; a categorical column (``object``, ``string``, ``category`` or ``bool``) is
dummy coded with its **first level as the reference** (the first category of a
``category`` dtype, else the smallest value), one coefficient per other level, named
``"column[level]"``. The coefficients are estimated by maximum likelihood with the
baseline parameters, each with a standard error from the Hessian.

Covariates are **supplied at prediction time too**: every prediction takes the
summary and the covariate frames of the customers it predicts for, coded with the
levels the model was fitted with. The model value stores the coefficients and the
coding, never per-customer data.

References
----------
- Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into
  the Pareto/NBD and BG/NBD models. Note 019, brucehardie.com/notes/019.
- Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
  related expressions. Note 009, brucehardie.com/notes/009.
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way. *Marketing Science* 24(2), 275-284.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from crmkit import columns as cols
from crmkit.clv._checks import optional_time_unit, positive_finite, real_parameter
from crmkit.clv._covariate_design import CovariateCoding, learn_coding
from crmkit.clv._covariate_fit import Rows, beta_geo_adapter, fit_covariate_model, pareto_adapter
from crmkit.clv._covariate_rows import pareto_ratio_rows
from crmkit.clv._data import SummaryArrays, summary_arrays
from crmkit.clv._fit_result import FitResult
from crmkit.clv._hyp_bg import beta_expectations
from crmkit.clv.bgnbd import BetaGeo, beta_geo_start
from crmkit.clv.mbgnbd import ModifiedBetaGeo
from crmkit.clv.paretonbd import ParetoNBD, pareto_start
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = [
    "BetaGeoCovariates",
    "CovariateCoding",
    "ModifiedBetaGeoCovariates",
    "ParetoNBDCovariates",
]

Arr = NDArray[np.float64]
Frame = pd.DataFrame | None


def _coefficients(values: object) -> tuple[float, ...]:
    if not isinstance(values, list | tuple | np.ndarray):
        raise InvalidValueError(f"coefficients must be a sequence of numbers, got {values!r}.")
    out = tuple(float(v) for v in values)
    if not all(np.isfinite(out)):
        raise InvalidValueError(f"coefficients {list(out)} must be finite.")
    return out


def _coding(value: object) -> CovariateCoding:
    if value is None:
        return CovariateCoding()
    if not isinstance(value, CovariateCoding):
        raise InvalidValueError(f"expected a CovariateCoding, got {type(value).__name__}.")
    return value


def _matching(coding: str, coefs: str) -> Callable[[Any, Any, Any], None]:
    def check(inst: Any, attribute: Any, value: Any) -> None:
        terms = getattr(inst, coding).terms
        if len(terms) != len(getattr(inst, coefs)):
            raise InvalidValueError(
                f"{type(inst).__name__}: {len(getattr(inst, coefs))} {coefs} for the "
                f"{len(terms)} covariate terms {list(terms)}; give one per term."
            )

    return check


def _horizon(t: float) -> float:
    value = real_parameter(t)
    if not (np.isfinite(value) and value >= 0.0):
        raise InvalidValueError(f"t={t!r} must be a finite number >= 0 (a single horizon).")
    return value


def _unit(time_unit: TimeUnit | None, summary: pd.DataFrame) -> TimeUnit | None:
    unit = time_unit if time_unit is not None else summary.attrs.get("crmkit_time_unit")
    return None if unit is None else check_time_unit(str(unit))


class _CovariateModel:
    """Fit and predictions shared by the covariate families (the families declare the
    maths: baseline names, which parameters the covariates scale, per-customer rows)."""

    __slots__ = ()
    _family: ClassVar[str]
    _base_names: ClassVar[tuple[str, ...]]
    _scaled_idx: ClassVar[tuple[int, ...]]
    # (name prefix, side, coefficient attribute, sign of the exponent, scaled parameter)
    _spec: ClassVar[tuple[tuple[str, str, str, float, int], ...]]
    purchase_coding: CovariateCoding
    dropout_coding: CovariateCoding

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr) -> Arr:
        raise NotImplementedError  # pragma: no cover - every family overrides it

    @classmethod
    def _rows(cls) -> Rows:
        raise NotImplementedError  # pragma: no cover - every family overrides it

    #: whether the family's rows give the per-customer Hessian analytically (the fit
    #: then takes Newton steps with the exact Hessian)
    _has_hessian: ClassVar[bool] = False

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame,
        *,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
        time_unit: TimeUnit | None = None,
        strict: bool = True,
    ) -> FitResult[Self]:
        """Fit the baseline parameters and every coefficient by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer (``frequency``, ``recency``, ``T``), indexed by customer
            id. Missing values are refused.
        purchase_covariates, dropout_covariates : pandas.DataFrame, optional
            Per-customer covariates of each process, indexed by the same customer ids
            (any order; every customer exactly once), numeric or categorical columns
            (dummy coded, first level as reference). ``None``: no covariates there.
        frequency_col, recency_col, T_col : str
            Column names of *x*, *t_x* and *T* in ``summary``.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            Time unit of the summary (default: the one recorded on it, if any).
        strict : bool
            Raise :class:`~crmkit.exceptions.ConvergenceError` if no end point passes the
            convergence checks (default); otherwise warn and return it.

        Returns
        -------
        FitResult
            ``params`` holds the baseline parameters and the coefficients, named
            ``"<process>:<term>"``; ``stderr`` the standard errors of all of them, from
            the analytic Hessian of the log-likelihood. Coefficient intervals are plain
            Wald intervals (``real_line``).

        Raises
        ------
        InvalidValueError
            For covariate ids that do not match the summary's, missing values, a constant
            column, and bad summaries.
        """
        data = summary_arrays(
            summary,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
            family=cls._family,
        )
        frames = {"purchase": purchase_covariates, "dropout": dropout_covariates}
        codings = {
            side: learn_coding(frame, data.index, side=side) for side, frame in frames.items()
        }
        z = {side: codings[side].matrix(frames[side], data.index, side=side) for side in frames}
        blocks = [(prefix, z[side], sign, row) for prefix, side, _, sign, row in cls._spec]
        terms = [codings[side].terms for _, side, _, _, _ in cls._spec]
        x, tx, T = data.frequency, data.recency, data.T
        opt, names = fit_covariate_model(
            family=f"{cls._family} with covariates",
            base_names=cls._base_names,
            start=cls._start(x, tx, T),
            blocks=blocks,
            scaled=cls._scaled_idx,
            rows=cls._rows(),
            has_hessian=cls._has_hessian,
            data=data,
            strict=strict,
            term_names=terms,
        )
        values: dict[str, Any] = dict(zip(cls._base_names, map(float, opt.params), strict=False))
        pos = len(cls._base_names)
        for (_, _, attr, _, _), side_terms in zip(cls._spec, terms, strict=True):
            values[attr] = tuple(float(v) for v in opt.params[pos : pos + len(side_terms)])
            pos += len(side_terms)
        values["purchase_coding"] = codings["purchase"]
        values["dropout_coding"] = codings["dropout"]
        values["time_unit"] = _unit(time_unit, summary)
        model = cls(**values)
        n = int(x.size)
        res = FitResult.from_optimum(model, opt, names=names, n_customers=n, n_unique=n)
        return attrs.evolve(res, real_line=tuple(names[len(cls._base_names) :]))

    def _design(
        self,
        summary: pd.DataFrame,
        purchase_covariates: Frame,
        dropout_covariates: Frame,
        col_kwargs: dict[str, str],
    ) -> tuple[SummaryArrays, Arr, dict[int, Arr]]:
        """Summary arrays, baseline parameters and per-customer scaled parameters."""
        data = summary_arrays(
            summary,
            frequency_col=col_kwargs["frequency_col"],
            recency_col=col_kwargs["recency_col"],
            T_col=col_kwargs["T_col"],
            family=self._family,
        )
        frames = {"purchase": purchase_covariates, "dropout": dropout_covariates}
        codings = {"purchase": self.purchase_coding, "dropout": self.dropout_coding}
        for side, frame in frames.items():
            if frame is not None and not codings[side].columns:
                raise InvalidValueError(
                    f"this model has no {side} covariates; {side}_covariates would be "
                    "ignored. Pass None, or fit a model with them."
                )
        base = np.array([getattr(self, name) for name in self._base_names], dtype=np.float64)
        n = data.frequency.size
        lin = {row: np.zeros(n) for row in self._scaled_idx}
        for _, side, attr, sign, row in self._spec:
            coefs = np.asarray(getattr(self, attr), dtype=np.float64)
            if coefs.size:
                zz = codings[side].matrix(frames[side], data.index, side=side)
                lin[row] = lin[row] + sign * (zz @ coefs)
        per = {row: np.asarray(base[row] * np.exp(v), np.float64) for row, v in lin.items()}
        return data, base, per

    def customer_parameters(
        self,
        summary: pd.DataFrame,
        *,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.DataFrame:
        """Each customer's own parameters (the scaled ones), indexed like ``summary``."""
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        data, _, per = self._design(summary, purchase_covariates, dropout_covariates, kw)
        return pd.DataFrame(
            {self._base_names[j]: per[j] for j in self._scaled_idx}, index=data.index
        )

    def log_likelihood(
        self,
        summary: pd.DataFrame,
        *,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> float:
        """Total log-likelihood of ``summary`` given the customers' covariates."""
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        data, base, per = self._design(summary, purchase_covariates, dropout_covariates, kw)
        ll, _, _ = self._rows()(base, per, data.frequency, data.recency, data.T, False)
        return float(np.sum(ll))


@attrs.frozen(kw_only=True)
class ParetoNBDCovariates(_CovariateModel):
    """The Pareto/NBD model with time-invariant covariates, as a value.

    .. math::

        \\alpha_i = \\alpha \\exp(-\\gamma_1' z_{1i}), \\qquad
        \\beta_i = \\beta \\exp(-\\gamma_2' z_{2i})

    (Fader & Hardie 2007, note 019, eqs. 1-2); customer *i*'s likelihood is the
    Pareto/NBD likelihood (note 009, eq. 19) at :math:`(r, \\alpha_i, s, \\beta_i)`.

    Parameters
    ----------
    r, alpha, s, beta : float
        Baseline parameters (those of a customer whose covariates are all zero), > 0.
    purchase_coding, dropout_coding : CovariateCoding
        The columns (and categorical levels) of the covariate frames.
    purchase_coefficients, dropout_coefficients : tuple of float
        :math:`\\gamma_1` and :math:`\\gamma_2`, one per term of the coding: a positive
        purchase coefficient raises the purchase rate, a positive dropout coefficient
        raises the dropout rate (shortens lifetimes).
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Time unit of the summary.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import CovariateCoding, ParetoNBDCovariates
    >>> model = ParetoNBDCovariates(
    ...     r=0.55,
    ...     alpha=10.58,
    ...     s=0.61,
    ...     beta=11.67,
    ...     purchase_coding=CovariateCoding(columns=("web",), levels=(None,)),
    ...     purchase_coefficients=(0.5,),
    ... )
    >>> summary = pd.DataFrame(
    ...     {"frequency": [2, 2], "recency": [30.43, 30.43], "T": [38.86, 38.86]},
    ...     index=pd.Index(["a", "b"], name="customer_id"),
    ... )
    >>> z = pd.DataFrame({"web": [0.0, 1.0]}, index=summary.index)
    >>> model.customer_parameters(summary, purchase_covariates=z)["alpha"].round(3).tolist()
    [10.58, 6.417]
    >>> model.probability_alive(summary, purchase_covariates=z).round(4).tolist()
    [0.8684, 0.8654]

    The second customer is a Pareto/NBD customer with :math:`\\alpha = 10.58 e^{-0.5}`:

    >>> from crmkit.clv import ParetoNBD
    >>> one = summary.iloc[[1]]
    >>> ParetoNBD(r=0.55, alpha=6.4171, s=0.61, beta=11.67).probability_alive(one).round(
    ...     4
    ... ).tolist()
    [0.8654]
    """

    _family: ClassVar[str] = "Pareto/NBD"
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    s: float = attrs.field(converter=real_parameter, validator=positive_finite)
    beta: float = attrs.field(converter=real_parameter, validator=positive_finite)
    purchase_coding: CovariateCoding = attrs.field(factory=CovariateCoding, converter=_coding)
    purchase_coefficients: tuple[float, ...] = attrs.field(
        default=(),
        converter=_coefficients,
        validator=_matching("purchase_coding", "purchase_coefficients"),
    )
    dropout_coding: CovariateCoding = attrs.field(factory=CovariateCoding, converter=_coding)
    dropout_coefficients: tuple[float, ...] = attrs.field(
        default=(),
        converter=_coefficients,
        validator=_matching("dropout_coding", "dropout_coefficients"),
    )
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    _base_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _scaled_idx: ClassVar[tuple[int, ...]] = (1, 3)
    _spec: ClassVar[tuple[tuple[str, str, str, float, int], ...]] = (
        ("purchase", "purchase", "purchase_coefficients", -1.0, 1),
        ("dropout", "dropout", "dropout_coefficients", -1.0, 3),
    )

    _has_hessian: ClassVar[bool] = True

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr) -> Arr:
        return pareto_start(x, tx, T, np.ones(x.size))

    @classmethod
    def _rows(cls) -> Rows:
        return pareto_adapter

    def baseline(self) -> ParetoNBD:
        """The Pareto/NBD model of a customer whose covariates are all zero."""
        return ParetoNBD(
            r=self.r, alpha=self.alpha, s=self.s, beta=self.beta, time_unit=self.time_unit
        )

    def probability_alive(
        self,
        summary: pd.DataFrame,
        *,
        t: float = 0.0,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series:
        """P(alive at T + t | history, covariates) per customer, a Series named
        ``probability_alive`` indexed like ``summary`` (one horizon ``t`` >= 0).

        :math:`P = 1 / (1 + e^{R_i})` (note 009, eq. 18, at the customer's
        :math:`\\alpha_i, \\beta_i`), times :math:`((\\beta_i + T)/(\\beta_i + T + t))^s`.
        """
        tt = _horizon(t)
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        data, _, per = self._design(summary, purchase_covariates, dropout_covariates, kw)
        x, tx, T = data.frequency, data.recency, data.T
        R, _ = pareto_ratio_rows(self.r, per[1], self.s, per[3], x, tx, T, grad=False)
        p = special.expit(-R) * np.exp(-self.s * np.log1p(tt / (per[3] + T)))
        return pd.Series(np.clip(p, 0.0, 1.0), index=data.index, name="probability_alive")

    def conditional_expected_purchases(
        self,
        summary: pd.DataFrame,
        *,
        t: float,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series:
        """Expected purchases in (T, T + t] per customer given history and covariates.

        .. math::

            \\frac{(r + x)(\\beta_i + T)}{(\\alpha_i + T)(s - 1)} \\Bigl[1 -
            \\Bigl(\\frac{\\beta_i + T}{\\beta_i + T + t}\\Bigr)^{s - 1}\\Bigr]
            P(\\text{alive})

        (note 009, eq. 41; its limit :math:`\\log(1 + t/(\\beta_i + T))` in the bracket
        over :math:`s - 1` at :math:`s = 1`). A Series named
        ``conditional_expected_purchases`` indexed like ``summary``.
        """
        tt = _horizon(t)
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        data, _, per = self._design(summary, purchase_covariates, dropout_covariates, kw)
        x, tx, T = data.frequency, data.recency, data.T
        R, _ = pareto_ratio_rows(self.r, per[1], self.s, per[3], x, tx, T, grad=False)
        L = np.log1p(tt / (per[3] + T))
        # (1 - e^{-(s-1) L}) / (s - 1) = L * exprel(-(s - 1) L)
        bracket = L * special.exprel(-(self.s - 1.0) * L)
        values = (self.r + x) * (per[3] + T) / (per[1] + T) * bracket * special.expit(-R)
        return pd.Series(values, index=data.index, name="conditional_expected_purchases")


@attrs.frozen(kw_only=True)
class BetaGeoCovariates(_CovariateModel):
    """The BG/NBD model with time-invariant covariates, as a value.

    .. math::

        \\alpha_i = \\alpha \\exp(-\\gamma_1' z_{1i}), \\qquad
        a_i = a \\exp(\\gamma_2' z_{2i}), \\qquad b_i = b \\exp(\\gamma_3' z_{2i})

    (Fader & Hardie 2007, note 019, section 3); customer *i*'s likelihood is the BG/NBD
    likelihood (Fader, Hardie & Lee 2005, eq. 6) at :math:`(r, \\alpha_i, a_i, b_i)`.
    The dropout probability after a purchase, :math:`p \\sim \\text{Beta}(a_i, b_i)`, has
    mean :math:`a_i / (a_i + b_i)`: a positive ``a_coefficients`` entry raises it, a
    positive ``b_coefficients`` entry lowers it.

    Parameters
    ----------
    r, alpha, a, b : float
        Baseline parameters (all covariates zero), > 0.
    purchase_coding, dropout_coding : CovariateCoding
        The columns (and categorical levels) of the covariate frames.
    purchase_coefficients : tuple of float
        :math:`\\gamma_1`, one per purchase term (positive: more purchases).
    a_coefficients, b_coefficients : tuple of float
        :math:`\\gamma_2` and :math:`\\gamma_3`, one per dropout term each.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        Time unit of the summary.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import BetaGeoCovariates, CovariateCoding
    >>> model = BetaGeoCovariates(
    ...     r=0.243,
    ...     alpha=4.414,
    ...     a=0.793,
    ...     b=2.426,
    ...     dropout_coding=CovariateCoding(columns=("web",), levels=(None,)),
    ...     a_coefficients=(0.0,),
    ...     b_coefficients=(1.0,),
    ... )
    >>> summary = pd.DataFrame(
    ...     {"frequency": [2, 2], "recency": [30.43, 30.43], "T": [38.86, 38.86]},
    ...     index=pd.Index(["a", "b"], name="customer_id"),
    ... )
    >>> z = pd.DataFrame({"web": [0.0, 1.0]}, index=summary.index)
    >>> model.probability_alive(summary, dropout_covariates=z).round(3).tolist()
    [0.727, 0.855]
    """

    _family: ClassVar[str] = "BG/NBD"
    _shift: ClassVar[int] = 0
    r: float = attrs.field(converter=real_parameter, validator=positive_finite)
    alpha: float = attrs.field(converter=real_parameter, validator=positive_finite)
    a: float = attrs.field(converter=real_parameter, validator=positive_finite)
    b: float = attrs.field(converter=real_parameter, validator=positive_finite)
    purchase_coding: CovariateCoding = attrs.field(factory=CovariateCoding, converter=_coding)
    purchase_coefficients: tuple[float, ...] = attrs.field(
        default=(),
        converter=_coefficients,
        validator=_matching("purchase_coding", "purchase_coefficients"),
    )
    dropout_coding: CovariateCoding = attrs.field(factory=CovariateCoding, converter=_coding)
    a_coefficients: tuple[float, ...] = attrs.field(
        default=(),
        converter=_coefficients,
        validator=_matching("dropout_coding", "a_coefficients"),
    )
    b_coefficients: tuple[float, ...] = attrs.field(
        default=(),
        converter=_coefficients,
        validator=_matching("dropout_coding", "b_coefficients"),
    )
    time_unit: TimeUnit | None = attrs.field(default=None, converter=optional_time_unit)

    _base_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _scaled_idx: ClassVar[tuple[int, ...]] = (1, 2, 3)
    _spec: ClassVar[tuple[tuple[str, str, str, float, int], ...]] = (
        ("purchase", "purchase", "purchase_coefficients", -1.0, 1),
        ("dropout_a", "dropout", "a_coefficients", 1.0, 2),
        ("dropout_b", "dropout", "b_coefficients", 1.0, 3),
    )

    @staticmethod
    def _start(x: Arr, tx: Arr, T: Arr) -> Arr:
        return beta_geo_start(x, tx, T, np.ones(x.size))

    @classmethod
    def _rows(cls) -> Rows:
        return beta_geo_adapter(cls._shift)

    _has_hessian: ClassVar[bool] = True

    def baseline(self) -> BetaGeo:
        """The BG/NBD model of a customer whose covariates are all zero."""
        return BetaGeo(r=self.r, alpha=self.alpha, a=self.a, b=self.b, time_unit=self.time_unit)

    def _alive_and_q(
        self,
        summary: pd.DataFrame,
        t: float,
        frames: tuple[Frame, Frame],
        kw: dict[str, str],
        *,
        want_q: bool,
    ) -> tuple[SummaryArrays, Arr, Arr, Arr]:
        """P(alive now), and S, Q of :func:`crmkit.clv._hyp_bg.beta_expectations` at the
        customers' own :math:`a_i, b_i + x (+1), \\alpha_i` (see ``BetaGeo``)."""
        data, _, per = self._design(summary, frames[0], frames[1], kw)
        x, tx, T = data.frequency, data.recency, data.T
        sh = self._shift
        has2 = (x + sh) > 0
        denom = np.where(has2, (x + (sh - 1.0)) + per[3], 1.0)
        lo = np.log(per[2]) - np.log(denom) + (self.r + x) * np.log1p((T - tx) / (per[1] + tx))
        alive = special.expit(-np.where(has2, lo, -np.inf))
        if t == 0.0 and not want_q:
            return data, alive, np.ones(x.size), np.zeros(x.size)
        S, Q = beta_expectations(
            self.r + x, per[2], per[3] + x + sh, t / (per[1] + T), want_q=want_q, want_s=not want_q
        )
        return data, alive, S, Q

    def probability_alive(
        self,
        summary: pd.DataFrame,
        *,
        t: float = 0.0,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series:
        """P(alive at T + t | history, covariates) per customer, a Series named
        ``probability_alive`` indexed like ``summary`` (one horizon ``t`` >= 0).

        Alive now: :math:`1 / (1 + \\frac{a_i}{b_i + x - 1} (\\frac{\\alpha_i +
        T}{\\alpha_i + t_x})^{r + x})` for :math:`x > 0` (Fader, Hardie & Lee 2005,
        note 023), times the survival of the next *t* periods given alive.
        """
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        frames = (purchase_covariates, dropout_covariates)
        data, alive, S, _ = self._alive_and_q(summary, _horizon(t), frames, kw, want_q=False)
        values = np.clip(alive * np.clip(S, 0.0, 1.0), 0.0, 1.0)
        return pd.Series(values, index=data.index, name="probability_alive")

    def conditional_expected_purchases(
        self,
        summary: pd.DataFrame,
        *,
        t: float,
        purchase_covariates: Frame = None,
        dropout_covariates: Frame = None,
        frequency_col: str = cols.FREQUENCY,
        recency_col: str = cols.RECENCY,
        T_col: str = cols.T,
    ) -> pd.Series:
        """Expected purchases in (T, T + t] per customer given history and covariates
        (Fader, Hardie & Lee 2005, eq. 10, at :math:`\\alpha_i, a_i, b_i`), a Series
        named ``conditional_expected_purchases`` indexed like ``summary``.

        The hypergeometric term is the expectation *Q* of
        ``crmkit.clv._hyp_bg.beta_expectations`` (bounded-cost quadrature); with
        continuous covariates every customer has their own quadrature rule, so this costs
        more per customer than ``BetaGeo.conditional_expected_purchases``.
        """
        kw = {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col}
        frames = (purchase_covariates, dropout_covariates)
        data, alive, _, Q = self._alive_and_q(summary, _horizon(t), frames, kw, want_q=True)
        values = np.maximum(alive * Q, 0.0)
        return pd.Series(values, index=data.index, name="conditional_expected_purchases")


@attrs.frozen(kw_only=True)
class ModifiedBetaGeoCovariates(BetaGeoCovariates):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with time-invariant
    covariates, parametrised as :class:`BetaGeoCovariates` (the dropout chance also at
    the first purchase, so customers with no repeat purchase may be inactive).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.clv import ModifiedBetaGeoCovariates
    >>> model = ModifiedBetaGeoCovariates(r=0.525, alpha=6.183, a=0.891, b=1.614)
    >>> s = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [38.86]})
    >>> model.probability_alive(s).round(3).tolist()
    [0.39]
    """

    _family: ClassVar[str] = "MBG/NBD"
    _shift: ClassVar[int] = 1

    def baseline(self) -> ModifiedBetaGeo:  # type: ignore[override]
        """The MBG/NBD model of a customer whose covariates are all zero."""
        return ModifiedBetaGeo(
            r=self.r, alpha=self.alpha, a=self.a, b=self.b, time_unit=self.time_unit
        )
