"""What type checkers see of a function whose options became keyword-only: the new
signature only (``crmkit._compat.positional_options`` keeps the function's type), so
an old positional call is an error for mypy while it still runs, with a
DeprecationWarning, for one release (checked by tests/test_static_types.py).

The calls sit in a function that is never run: importing this module is harmless.
"""

from __future__ import annotations

from typing import reveal_type

import pandas as pd

from crmkit import rfm_summary
from crmkit.pareto import lorenz
from crmkit.rfm import quantile_scores


# fmt: off
def calls(tx: pd.DataFrame) -> None:
    reveal_type(rfm_summary(tx, customer_id_col="id"))  # R: DataFrame
    reveal_type(lorenz([1.0, 2.0], points=3))  # R: tuple[
    rfm_summary(tx, "id")  # E: call-arg
    quantile_scores([1.0, 2.0], 3)  # E: call-arg
    rfm_summary(tx, customer_id_col=1)  # E: arg-type
