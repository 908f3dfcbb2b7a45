"""Options of the CRM report and how their defaults are chosen."""

from __future__ import annotations

import warnings
from typing import Any, Literal, TypeAlias

import attrs
import pandas as pd

from crmkit._compat import REMOVED_IN, renamed_fields
from crmkit._validation import check_in_range, check_option
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit
from crmkit.transactions import CancellationPolicy, MissingIdPolicy

__all__ = ["ModelName", "ReportOptions"]

ModelName: TypeAlias = Literal["bgnbd", "mbgnbd", "paretonbd", "auto"]
_MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd", "paretonbd", "auto")


def _opt_timestamp(value: object) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)  # type: ignore[arg-type]  # validated just below
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{value!r} is not a date; give it as YYYY-MM-DD, e.g. 1997-09-30."
        ) from exc


def _check_model(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_option(value, _MODELS, name="model")


_MISSING: tuple[str, ...] = ("raise", "drop")
_CANCELLATIONS: tuple[str, ...] = ("raise", "exclude", "net")


def _choice(name: str, allowed: tuple[str, ...]) -> Any:
    def check(_: object, __: attrs.Attribute[str], value: str) -> None:
        check_option(value, allowed, name=name)

    return check


def _warn_renamed(obj: object, old: str, new: str) -> None:
    warnings.warn(
        f"{type(obj).__name__}.{old} is deprecated and will stop working in crmkit "
        f"{REMOVED_IN}; read .{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def _check_unit(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    check_time_unit(value, name=attribute.name)


@renamed_fields(monetary_col="amount_col", returns="cancellations")
@attrs.frozen(kw_only=True)
class ReportOptions:
    """What the report reads and how it models the customers.

    Attributes
    ----------
    customer_id_col, datetime_col : str
        Column names in the transaction file (defaults: the bundled CDNOW names).
    amount_col : str, optional
        Money per row (named ``monetary_col`` before crmkit 0.2). ``None`` with
        ``quantity_col`` and ``price_col``: quantity x price.
    invoice_col : str, optional
        Invoice (order) number. Given: one purchase is one invoice; otherwise one
        purchase is one customer-day (all rows of a customer on one calendar day).
    quantity_col, price_col : str, optional
        Quantity and unit price per line; their product is the line's money when
        ``amount_col`` is not given.
    missing_ids : {"raise", "drop"}
        Rows without a customer id: an error, or removed (and counted in the data-quality
        table).
    cancellations : {"raise", "exclude", "net"}
        Cancellation and return lines (negative quantity or money, or an invoice
        starting with ``cancel_prefix``): an error, removed, or netted against the
        purchases (named ``returns`` before crmkit 0.2).
    cancel_prefix : str, optional
        Invoice numbers starting with this text are cancellations (Online Retail: "C").
    currency : str, optional
        Currency code printed with every money amount; ``None``: "in the file's currency".
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of recency, frequency, T, the CLV horizon and the discount rate. Purchases
        on the same *day* are always merged into one purchase occasion.
    calibration_end : pandas.Timestamp, optional
        End of the calibration period for the holdout check. Default: 39 weeks before
        ``observation_end`` when the data span more than 78 weeks, else the midpoint.
    observation_end : pandas.Timestamp, optional
        Last day of the observation window; the whole day is inside. Default: the day of
        the last transaction.
    model : {"bgnbd", "mbgnbd", "paretonbd", "auto"}
        Purchase-count model of the CLV section. ``"auto"``: the one of the three that
        predicts the holdout best (:func:`crmkit.clv.compare_models`, lowest holdout MAE
        per customer, near-ties within 1 % broken by BIC); the report shows the
        comparison and says why that model was chosen.
    horizon : int
        CLV horizon in whole ``time_unit`` periods.
    annual_discount_rate : float
        Discount rate per year; converted exactly to months/quarters, and to days/weeks
        with the Gregorian mean year of 365.2425 days (stated in the report).
    margin : float
        Share of spend that is margin, in (0, 1].
    cohort_period : {"M", "Q", "Y"}
        Calendar period of acquisition cohorts.
    figures : bool
        Draw figures (needs matplotlib, the ``plot`` extra).
    """

    customer_id_col: str = "customer_id"
    datetime_col: str = "date"
    amount_col: str | None = "dollar_value"
    invoice_col: str | None = None
    quantity_col: str | None = None
    price_col: str | None = None
    missing_ids: MissingIdPolicy = attrs.field(
        default="raise", validator=_choice("missing_ids", _MISSING)
    )
    cancellations: CancellationPolicy = attrs.field(
        default="raise", validator=_choice("cancellations", _CANCELLATIONS)
    )
    cancel_prefix: str | None = None
    currency: str | None = None
    time_unit: TimeUnit = attrs.field(default="W", validator=_check_unit)
    calibration_end: pd.Timestamp | None = attrs.field(default=None, converter=_opt_timestamp)
    observation_end: pd.Timestamp | None = attrs.field(default=None, converter=_opt_timestamp)
    model: ModelName = attrs.field(default="bgnbd", validator=_check_model)
    horizon: int = 52
    annual_discount_rate: float = 0.10
    margin: float = 0.30
    cohort_period: TimeUnit = attrs.field(default="M", validator=_check_unit)
    figures: bool = True

    def __attrs_post_init__(self) -> None:
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise InvalidValueError(f"horizon={self.horizon!r} must be a whole number >= 1.")
        check_in_range(
            self.annual_discount_rate, name="annual_discount_rate", low=-1, low_inclusive=False
        )
        check_in_range(self.margin, name="margin", low=0, high=1, low_inclusive=False)

    @property
    def monetary_col(self) -> str | None:
        """Deprecated name of :attr:`amount_col` (warns; removed in crmkit 0.3)."""
        _warn_renamed(self, "monetary_col", "amount_col")
        return self.amount_col

    @property
    def returns(self) -> CancellationPolicy:
        """Deprecated name of :attr:`cancellations` (warns; removed in crmkit 0.3)."""
        _warn_renamed(self, "returns", "cancellations")
        return self.cancellations

    @property
    def money(self) -> str:
        """How money amounts are labelled: the currency code or the file's currency."""
        return self.currency if self.currency else "in the file's currency"

    def resolve_dates(self, dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Calibration end and observation end (both days, whole day inside) for dates."""
        first, last = dates.min().normalize(), dates.max()
        obs = (self.observation_end if self.observation_end is not None else last).normalize()
        if self.calibration_end is not None:
            cal = self.calibration_end
        elif obs - first > pd.Timedelta(weeks=78):
            cal = obs - pd.Timedelta(weeks=39)
        else:
            cal = (first + (obs - first) / 2).normalize()
        if not first < cal < obs:
            raise InvalidValueError(
                f"calibration_end {cal.date()} must fall strictly between the first purchase "
                f"{first.date()} and observation_end {obs.date()}; pass --calibration-end."
            )
        return cal, obs
