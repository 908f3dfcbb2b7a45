"""Names that ``import crmkit`` loads lazily are still typed for type checkers."""

from typing import reveal_type

import crmkit

reveal_type(crmkit.rfm_summary)  # R: def
reveal_type(crmkit.clv.BetaGeo)  # R: def
unit: crmkit.TimeUnit = "D"
wrong_unit: crmkit.TimeUnit = "fortnight"  # E: assignment
crmkit.rfm_summary(no_such_argument=1)  # E: call-arg
missing = crmkit.clv.NoSuchModel  # E: attr-defined
