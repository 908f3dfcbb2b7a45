"""Which engine holds a frame: pandas in memory, or dask (the optional ``crmkit[dask]``).

Contract layer: every package that accepts a dask DataFrame asks here, and dask itself is
never imported to answer (a user without the extra pays nothing).
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_dask"]

_DASK_MODULES = frozenset({"dask", "dask_expr"})


def is_dask(obj: Any) -> bool:
    """True for a dask DataFrame or Series (checked without importing dask).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame({"a": [1]}))
    False
    """
    return type(obj).__module__.split(".")[0] in _DASK_MODULES
