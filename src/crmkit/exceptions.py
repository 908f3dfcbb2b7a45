"""Exceptions and warnings raised by crmkit.

Every error crmkit raises derives from :class:`CrmkitError`, and every error about
bad input also derives from the builtin :class:`ValueError`, so callers can catch
either. Messages follow one rule: say what is wrong, show the offending value or
column, and say what to do about it.

The error contract
------------------
Every public function, class and method of crmkit either returns or raises a
:class:`CrmkitError`; bad input of any type (None, NaN, strings, bytes, huge numbers,
out-of-range dates, empty or mistyped frames) never escapes as a ``TypeError``,
``OverflowError``, ``KeyError`` or a pandas error. Inputs are never modified. A test over
every public name (``tests/test_contract.py``) checks this with generated junk input.

The coercion policy
-------------------
crmkit converts nothing silently; one rule applies to every analytic function, model and
metric:

- **Numbers must be real numbers.** ``int``, ``float``, numpy numbers (and other
  :class:`numbers.Real`) are accepted. Strings are refused even when they look numeric
  (``"0.24"``, ``"1_000"``): the message names the value and the fix,
  ``float(value)`` or :func:`pandas.to_numeric` for a column read from text. ``bool`` is
  refused where a number is meant (``True`` is not 1 customer). An integer too large
  for a float (``10**400``) is refused, not rounded to infinity. Columns follow the same
  rule by dtype: an ``object`` or string column of digits is refused.
- **Flags must be bool.** ``True``/``False`` (or numpy booleans) only; ``"no"``, ``0``,
  ``None`` are refused, since truthiness would read ``"no"`` as True.
- **Dates** are :class:`pandas.Timestamp`, :class:`datetime.datetime` / ``date``, numpy
  ``datetime64`` or date strings; numbers are not read as dates. Any resolution pandas
  can hold is accepted between 1678-01-01 and 2261-12-31 (the whole calendar years that
  nanoseconds since 1970 in int64 can hold); dates outside raise
  :class:`InvalidValueError` naming the value and this range instead of wrapping around.
- **Sums near the float limit** are computed in an exact power-of-two scale; a result
  beyond the float range (about 1.8e308) raises :class:`InvalidValueError`, never
  returns ``inf`` or NaN.
- **Text is parsed only where text is the input**: code schemes (:mod:`crmkit.codes`)
  read codes given as strings, and the command line reads its arguments as text.

Examples
--------
>>> from crmkit.exceptions import CrmkitError, MissingColumnsError
>>> err = MissingColumnsError(["date"], available=["customer_id", "amount"])
>>> isinstance(err, CrmkitError), isinstance(err, ValueError)
(True, True)
>>> print(err)
missing column(s) ['date']; available columns are ['amount', 'customer_id']. Rename your \
columns or pass the matching *_col argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crmkit._text import show

__all__ = [
    "BoundaryWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "CrmkitError",
    "CrmkitWarning",
    "DegenerateDataWarning",
    "FileReadError",
    "InvalidCodeError",
    "InvalidTransitionError",
    "InvalidValueError",
    "InvariantError",
    "MissingColumnsError",
    "MissingDependencyError",
    "RegistryLoadError",
    "SpendFrequencyCorrelationWarning",
    "UnknownCodeError",
    "ValidationError",
]


class CrmkitError(Exception):
    """Root of every exception crmkit raises."""


class ValidationError(CrmkitError, ValueError):
    """Input that crmkit cannot use: wrong columns, values, codes or states."""


class MissingColumnsError(ValidationError):
    """A DataFrame lacks required columns.

    Parameters
    ----------
    missing : iterable of str
        Every required column that is absent (all of them, not just the first).
    available : iterable of str
        The columns the frame does have.
    hint : str, optional
        What the caller should do; a generic hint is used if omitted.
    """

    def __init__(
        self,
        missing: Iterable[str],
        *,
        available: Iterable[Any],
        hint: str | None = None,
    ) -> None:
        self.missing = tuple(missing)
        self.available = tuple(sorted(str(c) for c in available))
        self.hint = hint or "Rename your columns or pass the matching *_col argument."
        super().__init__(
            f"missing column(s) {list(self.missing)}; available columns are "
            f"{list(self.available)}. {self.hint}"
        )


class InvalidValueError(ValidationError):
    """A value (argument, cell or column) is outside its allowed domain."""


class InvariantError(ValidationError):
    """Values are individually valid but break a rule linking them (e.g. recency > T)."""


class InvalidCodeError(ValidationError):
    """A code fails its scheme's rules (length, characters or check digit).

    Parameters
    ----------
    message : str
        The full explanation.
    code : str, optional
        The offending code as given.
    scheme : str, optional
        Name of the scheme it was checked against.
    reason : str, optional
        Short machine-friendly reason: ``"length"``, ``"characters"``,
        ``"checksum"``, ``"structure"`` or ``"duplicate"``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        scheme: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.code = code
        self.scheme = scheme
        self.reason = reason
        super().__init__(message)


class UnknownCodeError(InvalidCodeError, LookupError):
    """A code that the registry does not hold (``reason="unknown"``).

    Also importable as :class:`crmkit.codes.UnknownCodeError`.
    """


class RegistryLoadError(InvalidValueError):
    """Records (or frame rows) that cannot be loaded into a registry; nothing was loaded.

    Also importable as :class:`crmkit.codes.RegistryLoadError`.

    Attributes
    ----------
    problems : tuple of (position, code, reason)
        Every bad record: its position in the input (0-based record number or frame
        row), its code if one could be read (else None), and what is wrong with it.
    total : int
        Number of records in the input.
    """

    def __init__(self, problems: Sequence[tuple[int, str | None, str]], total: int) -> None:
        self.problems = tuple(problems)
        self.total = total
        shown = [
            f"  record {pos}" + (f" (code {show(code)})" if code is not None else "") + f": {why}"
            for pos, code, why in self.problems[:100]
        ]
        more = len(self.problems) - len(shown)
        if more:
            shown.append(f"  ... and {more} more (see the error's .problems)")
        bad = len({pos for pos, _, _ in self.problems})
        super().__init__(
            f"cannot load the registry: {bad} of {total} record(s) are invalid and nothing "
            "was loaded. Fix these records and load again:\n" + "\n".join(shown)
        )

    def __reduce__(self) -> tuple[type[RegistryLoadError], tuple[Any, ...]]:
        return (type(self), (self.problems, self.total))


class InvalidTransitionError(ValidationError):
    """A stage change that the stage model does not allow."""


class ConvergenceError(CrmkitError, RuntimeError):
    """An optimiser did not converge.

    Parameters
    ----------
    message : str
        What failed and what to try.
    result : object, optional
        The optimiser's own result object (e.g. :class:`scipy.optimize.OptimizeResult`),
        kept for inspection.
    """

    def __init__(self, message: str, *, result: Any = None) -> None:
        self.result = result
        super().__init__(message)


class FileReadError(CrmkitError):
    """A file that cannot be read (missing, truncated, not a table); raised by the command line."""


class MissingDependencyError(CrmkitError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class CrmkitWarning(UserWarning):
    """Root of every warning crmkit emits."""


class ConvergenceWarning(CrmkitWarning):
    """An optimiser stopped with a doubtful result that is still returned."""


class BoundaryWarning(CrmkitWarning):
    """A fit ended at the edge of the parameter space; the limit model is reported.

    The message names the parameters that went to a limit, the limit model the data
    support (for example "no dropout is visible in these data") and what the
    predictions mean there.
    """


class DegenerateDataWarning(CrmkitWarning):
    """The data is legal but cannot inform part of the answer (e.g. no repeat buyers)."""


class SpendFrequencyCorrelationWarning(CrmkitWarning):
    """Frequency and mean spend are correlated, against the Gamma-Gamma assumption.

    Also importable as :class:`crmkit.clv.SpendFrequencyCorrelationWarning`.
    """
