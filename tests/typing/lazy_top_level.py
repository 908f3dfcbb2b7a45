"""Names that ``import crmkit`` loads lazily are still typed for type checkers.

Checked by tests/test_lazy_import.py: a line ending in an R marker's revealed type must contain the
given text, and a line ending in an E marker must get exactly that mypy error. The checks sit in a
function that is never run: importing this module is harmless.
"""

from typing import reveal_type

import crmkit


def _never_called() -> tuple[object, ...]:
    reveal_type(crmkit.rfm_summary)  # R: def
    reveal_type(crmkit.clv.BetaGeo)  # R: def
    unit: crmkit.TimeUnit = "D"
    wrong_unit: crmkit.TimeUnit = "fortnight"  # E: assignment
    crmkit.rfm_summary(no_such_argument=1)  # E: call-arg
    missing = crmkit.clv.NoSuchModel  # E: attr-defined
    return unit, wrong_unit, missing
