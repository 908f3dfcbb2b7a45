"""Options of the CRM report and how their defaults are chosen."""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs
import pandas as pd

from crmkit._validation import check_in_range
from crmkit.exceptions import InvalidValueError
from crmkit.timeunits import TimeUnit, check_time_unit

__all__ = ["ModelName", "ReportOptions"]

ModelName: TypeAlias = Literal["bgnbd", "mbgnbd", "paretonbd"]
_MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd", "paretonbd")


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
    if value not in _MODELS:
        raise InvalidValueError(f"model={value!r} is not one of {list(_MODELS)}.")


def _check_unit(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_time_unit(value)


@attrs.frozen(kw_only=True)
class ReportOptions:
    """What the report reads and how it models the customers.

    Attributes
    ----------
    customer_id_col, datetime_col, monetary_col : str
        Column names in the transaction file (defaults: the bundled CDNOW names).
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of recency, frequency, T, the CLV horizon and the discount rate. Purchases
        on the same *day* are always merged into one purchase occasion.
    calibration_end : pandas.Timestamp, optional
        End of the calibration period for the holdout check. Default: 39 weeks before
        ``observation_end`` when the data span more than 78 weeks, else the midpoint.
    observation_end : pandas.Timestamp, optional
        End of the observation window. Default: the last purchase date.
    model : {"bgnbd", "mbgnbd", "paretonbd"}
        Purchase-count model of the CLV section.
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
    monetary_col: str = "dollar_value"
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

    def resolve_dates(self, dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Calibration end and observation end for a column of purchase dates."""
        first, last = dates.min(), dates.max()
        obs = self.observation_end if self.observation_end is not None else last.normalize()
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
