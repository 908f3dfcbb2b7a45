"""Vectorised validation of a whole column of codes, for data-quality work on big tables.

:func:`validate_column` gives, for every cell, the same verdict as ``scheme.is_valid``
and the reason of ``scheme.validate``'s error, but computes check digits for all rows at
once: the compacted digit strings become a ``uint8`` matrix and the weighted sums are
one matrix-vector product. Vectorised kernels exist for the GS1 keys (GTIN, GLN, SSCC,
with their prefix policy), the Iranian national and legal IDs and Iran Code; any other
scheme (IBAN, internal, local) is checked once per *distinct* value with
``scheme.validate``.

Examples
--------
>>> import pandas as pd
>>> from crmkit.codes.schemes_gs1 import GTIN
>>> validate_column(pd.Series(["6261234567897", "6261234567898", "12", None]), GTIN)
   valid    reason
0   True
1  False  checksum
2  False    length
3  False   missing
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit.codes._base import CodeScheme
from crmkit.codes.checksums import LEGAL_ID_WEIGHTS
from crmkit.codes.schemes_gs1 import (
    _TRADE_USAGES,
    GlobalLocationNumber,
    GlobalTradeItemNumber,
    SerialShippingContainerCode,
    gs1_prefix_table,
)
from crmkit.codes.schemes_iran import IranCodeProduct, IranCodeService, IranLegalID, IranNationalID
from crmkit.exceptions import InvalidCodeError, InvalidValueError

__all__ = ["REASONS", "validate_column"]

REASONS: Final = ("", "missing", "characters", "length", "checksum", "structure")
"""Values of the ``reason`` column; ``""`` means valid."""

_COMPACT: Final = {
    **{0x06F0 + i: ord("0") + i for i in range(10)},
    **{0x0660 + i: ord("0") + i for i in range(10)},
    **{ord(c): None for c in " -._/\u200c\u200f\u200e\t\n\r\u00a0"},
}


def _digit_matrix(text: pd.Series, width: int) -> NDArray[np.uint8]:
    """Rows of equal-length ASCII digit strings -> (n, width) matrix of digit values."""
    if text.empty:
        return np.zeros((0, width), dtype=np.uint8)
    raw = "".join(text.tolist()).encode("ascii")
    return (np.frombuffer(raw, dtype=np.uint8).reshape(-1, width) - np.uint8(48)).astype(np.uint8)


def _prefix_tables() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    known = np.zeros(1000, dtype=bool)
    trade = np.zeros(1000, dtype=bool)
    for p in gs1_prefix_table():
        lo, hi = int(p.start), int(p.end) + 1
        known[lo:hi] = True
        trade[lo:hi] = p.usage in _TRADE_USAGES
    return known, trade


def _gs1(
    text: pd.Series,
    scheme: GlobalTradeItemNumber | GlobalLocationNumber | SerialShippingContainerCode,
) -> tuple[NDArray[np.bool_], NDArray[np.str_]]:
    """Checksum and prefix verdicts for rows already known to be digits of a valid length."""
    width = 18 if isinstance(scheme, SerialShippingContainerCode) else 14
    m = _digit_matrix(text.str.zfill(width), width).astype(np.int64)
    weights = np.where(np.arange(width - 1)[::-1] % 2 == 0, 3, 1)
    ok = (m[:, :-1] @ weights + m[:, -1]) % 10 == 0
    reason = np.where(ok, "", "checksum")
    if scheme.prefix_check != "off":
        rows = np.arange(len(m))
        if isinstance(scheme, GlobalTradeItemNumber):  # a GTIN-8 inside a GTIN-14
            gtin8 = (m[:, 1:6] == 0).all(axis=1)
        else:
            gtin8 = np.zeros(len(m), dtype=bool)
        base = np.where(gtin8, 6, 1)
        prefix = m[rows, base] * 100 + m[rows, base + 1] * 10 + m[rows, base + 2]
        rcn8 = gtin8 & np.isin(m[:, 6], (0, 2))
        known, trade = _prefix_tables()
        by_table = known[prefix] | rcn8 if scheme.prefix_check == "known" else trade[prefix]
        allowed = by_table if scheme.prefix_check == "known" else by_table & ~rcn8
        reason = np.where(ok & ~allowed, "structure", reason)
        ok &= allowed
    return ok, reason


def _mod11(
    text: pd.Series, scheme: IranNationalID | IranLegalID
) -> tuple[NDArray[np.bool_], NDArray[np.str_]]:
    if isinstance(scheme, IranNationalID):
        m = _digit_matrix(text.str.zfill(10), 10).astype(np.int64)
        r = (m[:, :9] @ np.arange(10, 1, -1)) % 11
        check = np.where(r < 2, r, 11 - r)
        ok = check == m[:, 9]
        reason = np.where(ok, "", "checksum")
        if scheme.repeated_digits == "reject":
            repeated = (m == m[:, :1]).all(axis=1)
            reason = np.where(ok & repeated, "structure", reason)
            ok &= ~repeated
        return ok, reason
    m = _digit_matrix(text, 11).astype(np.int64)
    r = ((m[:, :10] + m[:, 9:10] + 2) @ np.asarray(LEGAL_ID_WEIGHTS)) % 11
    ok = np.where(r == 10, 0, r) == m[:, 10]
    return ok, np.where(ok, "", "checksum")


def _lengths(scheme: CodeScheme) -> tuple[int, ...] | None:
    if isinstance(scheme, GlobalTradeItemNumber):
        return scheme.lengths
    if isinstance(scheme, GlobalLocationNumber):
        return (13,)
    if isinstance(scheme, SerialShippingContainerCode):
        return (18,)
    if isinstance(scheme, IranNationalID):
        return (8, 9, 10) if scheme.accept_unpadded else (10,)
    if isinstance(scheme, IranLegalID):
        return (11,)
    if isinstance(scheme, IranCodeProduct):
        return (16,)
    if isinstance(scheme, IranCodeService):
        return (17,)
    return None


def _fallback(values: pd.Series, scheme: CodeScheme) -> NDArray[np.object_]:
    """Reason per value via scheme.validate, computed once per distinct value."""
    cache: dict[str, str] = {}
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v not in cache:
            try:
                scheme.validate(v)
                cache[v] = ""
            except InvalidCodeError as exc:
                cache[v] = exc.reason or "structure"
        out[i] = cache[v]
    return out


def validate_column(series: pd.Series, scheme: CodeScheme) -> pd.DataFrame:
    """Validate every cell of a column of codes against ``scheme``, vectorised.

    Parameters
    ----------
    series : pandas.Series
        Codes as text (object or string dtype). Missing cells (None, NaN, ``pd.NA``)
        are reported as ``"missing"``; non-text cells as ``"characters"`` (numbers lose
        leading zeros: read code columns with ``dtype=str``). Not modified.
    scheme : CodeScheme
        Any scheme; GS1, Iranian-ID and Iran Code schemes use the vectorised kernels.

    Returns
    -------
    pandas.DataFrame
        Same index as ``series``; columns ``valid`` (bool, equal to
        ``scheme.is_valid(cell)``) and ``reason`` (one of :data:`REASONS`; ``""`` when
        valid, otherwise the ``reason`` of the error ``scheme.validate`` raises).

    Raises
    ------
    InvalidValueError
        If ``series`` is not a pandas Series.

    Examples
    --------
    >>> from crmkit.codes.schemes_iran import IRAN_NATIONAL_ID
    >>> validate_column(pd.Series(["0499370899", "1111111111"]), IRAN_NATIONAL_ID)[
    ...     "reason"
    ... ].tolist()
    ['', 'structure']
    """
    if not isinstance(series, pd.Series):
        raise InvalidValueError(
            f"validate_column needs a pandas Series, got {type(series).__name__}."
        )
    n = len(series)
    values = series.reset_index(drop=True)
    missing = values.isna().to_numpy(dtype=bool)
    is_str = values.map(lambda v: isinstance(v, str), na_action=None).to_numpy(dtype=bool)
    reason = np.full(n, "", dtype=object)
    reason[missing] = "missing"
    reason[~missing & ~is_str] = "characters"
    text_idx = np.flatnonzero(is_str)
    lengths = _lengths(scheme)
    if lengths is None:
        reason[text_idx] = _fallback(values.iloc[text_idx], scheme)
    elif len(text_idx):
        text = values.iloc[text_idx].astype(object).str.translate(_COMPACT)
        digits = text.str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
        size = text.str.len().to_numpy()
        good_len = np.isin(size, lengths)
        sub = np.where(~digits, "characters", np.where(~good_len, "length", ""))
        check = digits & good_len
        if check.any() and not isinstance(scheme, IranCodeProduct | IranCodeService):
            kernel = _mod11 if isinstance(scheme, IranNationalID | IranLegalID) else _gs1
            _, sub_reason = kernel(text[check], scheme)  # type: ignore[arg-type]  # by isinstance
            sub[check] = sub_reason
        reason[text_idx] = sub
    reason_arr = reason.astype(str)
    return pd.DataFrame({"valid": reason_arr == "", "reason": reason_arr}, index=series.index)
