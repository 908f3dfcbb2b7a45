"""Selection of the best customers by any score (private; public at :mod:`crmkit.segmentation`).

The last step of the web-CRM process (Russell): after grouping, *select* the most
desirable customers and target them, by a count or by a share of the base.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from crmkit._validation import (
    real_array,
    real_number,
    require_columns,
    require_frame,
    require_series,
)
from crmkit.exceptions import InvalidValueError

__all__ = ["select_top"]


def select_top(
    frame: pd.DataFrame,
    score: str | pd.Series[Any],
    *,
    n: int | None = None,
    share: float | None = None,
) -> pd.DataFrame:
    """The top customers by a score: the ``n`` best, or the best ``share`` of them.

    Rows are ranked by descending score with a stable sort, so ties keep the frame's
    order. ``share`` selects ``ceil(share * len(frame))`` rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers (e.g. an RFM summary or a CLV table).
    score : str or pandas.Series
        A column of ``frame`` or a Series aligned with its index (e.g. CLV).
    n : int, optional
        Number of rows; give exactly one of ``n`` and ``share``.
    share : float, optional
        Share of rows in (0, 1].

    Returns
    -------
    pandas.DataFrame
        The selected rows, best first.

    Raises
    ------
    InvalidValueError
        For both or neither of ``n``/``share``, out-of-range values, a NaN score or a
        Series not aligned with ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"clv": [5.0, 9.0, 1.0, 9.0]}, index=["a", "b", "c", "d"])
    >>> select_top(f, "clv", n=2).index.tolist()
    ['b', 'd']
    >>> select_top(f, "clv", share=0.5).index.tolist()
    ['b', 'd']
    """
    require_frame(frame, name="frame")
    if (n is None) == (share is None):
        raise InvalidValueError("give exactly one of n= (a count) or share= (a fraction).")
    if isinstance(score, str):
        require_columns(frame, [score])
        values = frame[score]
    else:
        require_series(score, name="score (a column name or a Series)")
        if not score.index.equals(frame.index):
            raise InvalidValueError("score must be a Series with the same index as frame.")
        values = score
    if values.isna().any():
        raise InvalidValueError(
            f"score has {int(values.isna().sum())} missing value(s); fill or drop them first."
        )
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise InvalidValueError(f"n={n!r} must be a whole number >= 0.")
        count = min(int(n), len(frame))
    else:
        assert share is not None
        if not 0 < real_number(share, name="share") <= 1:
            raise InvalidValueError(f"share={share!r} must lie in (0, 1].")
        # round away float noise first: 0.3 * 10 is 3.0000000000000004, which must give 3
        count = math.ceil(round(share * len(frame), 9))
    order = np.argsort(-real_array(values.to_numpy(), name="score"), kind="stable")[:count]
    return frame.iloc[order]
