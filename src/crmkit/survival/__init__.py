"""Survival tables for subscription (contractual) customers.

Kaplan-Meier estimates with Greenwood errors and life tables (hazard, retention and
survival per tenure period), overall or per group, from one row per customer: a tenure,
a churn flag and optionally an entry time (left truncation) and a group.

Examples
--------
>>> import pandas as pd
>>> from crmkit import survival
>>> df = pd.DataFrame({"tenure": [2, 3, 5, 5], "churned": [True, False, True, False]})
>>> survival.kaplan_meier(df).survival_at(5)
0.375
"""

from __future__ import annotations

from crmkit.survival.kaplan_meier import KaplanMeier, kaplan_meier
from crmkit.survival.life_table import LifeTable, life_table

__all__ = ["KaplanMeier", "LifeTable", "kaplan_meier", "life_table"]
