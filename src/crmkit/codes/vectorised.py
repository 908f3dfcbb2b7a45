"""Vectorised validation of a whole column of codes, for data-quality work on big tables.

:func:`validate_column` gives, for every cell, the same verdict as ``scheme.is_valid``
and the reason of ``scheme.validate``'s error, but checks all rows at once. An all-ASCII
column is joined into one byte buffer and read as a (position, row) matrix of character
classes (digit, separator, padding, bad); other text becomes a fixed-width array of
Unicode code points classified by a lookup table (ASCII, Persian and Arabic-Indic digits,
separators). Instead of compacting the strings, each digit gets its *rank from the right*
(a reversed cumulative sum), which is all the check-digit formulas need: GS1 weights
are 3 at even ranks, national-ID weights equal the rank, and left zero-padding (GTIN
widening, unpadded national IDs) changes nothing. Vectorised kernels exist for the GS1
keys (GTIN, GLN, SSCC, with their prefix policy), the Iranian national and legal IDs and
Iran Code; any other scheme (IBAN, internal, local) is checked once per *distinct*
value with ``scheme.validate``.

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

from crmkit._text import CODE_SEPARATORS
from crmkit.codes._base import CodeScheme
from crmkit.codes.checksums_iran import LEGAL_ID_WEIGHTS
from crmkit.codes.schemes_gs1 import (
    _TRADE_USAGES,
    GlobalLocationNumber,
    GlobalTradeItemNumber,
    SerialShippingContainerCode,
    gs1_prefix_table,
)
from crmkit.codes.schemes_iran import (
    IranCodeProduct,
    IranCodeService,
    IranLegalID,
    IranNationalID,
)
from crmkit.exceptions import InvalidCodeError, InvalidValueError

__all__ = ["REASONS", "validate_column"]

REASONS: Final = ("", "missing", "characters", "length", "checksum", "structure")
"""Values of the ``reason`` column; ``""`` means valid."""

_OK, _MISSING, _CHARACTERS, _LENGTH, _CHECKSUM, _STRUCTURE = range(6)
_CODE_OF: Final = {name: i for i, name in enumerate(REASONS)}
_SEP: Final = 10
_PAD: Final = 11
_BAD: Final = 12
_MAX_WIDTH: Final = 64  # longer cells (never valid digit codes in practice) go the scalar way
_CHUNK: Final = 1 << 18


def _build_lut() -> NDArray[np.uint8]:
    lut = np.full(0x2011, _BAD, dtype=np.uint8)  # last entry: every code point above U+2010
    lut[0] = _PAD
    for base in (0x30, 0x660, 0x6F0):  # ASCII, Arabic-Indic, Persian digits
        lut[base : base + 10] = np.arange(10, dtype=np.uint8)
    for c in CODE_SEPARATORS:  # as crmkit._text.strip_code_separators
        lut[ord(c)] = _SEP
    return lut


_LUT: Final = _build_lut()
_ASCII_LUT: Final = np.where(np.arange(256) == 0, np.uint8(_BAD), _LUT[:256]).astype(np.uint8)
"""Classes of single bytes of ASCII text: NUL is a bad character there, not padding."""
_ASCII_SEPARATORS: Final = tuple(np.flatnonzero(_ASCII_LUT == _SEP).tolist())


def _ascii_byte_classes(raw: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Same as ``_ASCII_LUT[raw]`` by comparisons, which are faster than a gather."""
    digit = raw - np.uint8(48)
    sep = np.zeros(raw.shape, dtype=bool)
    for byte in _ASCII_SEPARATORS:
        sep |= raw == byte
    classes: NDArray[np.uint8] = np.where(
        digit < 10, digit, np.where(sep, np.uint8(_SEP), np.uint8(_BAD))
    )
    return classes


_LEGAL_W: Final = np.array([0, 0, *reversed(LEGAL_ID_WEIGHTS)] + [0] * 8, dtype=np.int32)


def _prefix_tables() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    known = np.zeros(1000, dtype=bool)
    trade = np.zeros(1000, dtype=bool)
    for p in gs1_prefix_table():
        lo, hi = int(p.start), int(p.end) + 1
        known[lo:hi] = True
        trade[lo:hi] = p.usage in _TRADE_USAGES
    return known, trade


class _Digits:
    """Digit values and ranks from the right of a chunk of strings.

    Arrays are laid out (width, n) - one row per character position - so that every
    reduction runs over long contiguous rows.
    """

    def __init__(self, cls: NDArray[np.uint8]) -> None:
        self.is_digit = cls < 10
        self.value = np.where(self.is_digit, cls, np.uint8(0))
        self.rank = np.zeros(cls.shape, dtype=np.uint8)
        acc = np.zeros(cls.shape[1], dtype=np.uint8)
        for j in range(cls.shape[0] - 1, -1, -1):  # one vector step per character position
            digit = self.is_digit[j]
            acc += digit
            np.multiply(acc, digit, out=self.rank[j])
        self.count = acc.astype(np.int64)

    def weighted(self, weights_by_rank: NDArray[np.int32]) -> NDArray[np.int64]:
        w = np.take(weights_by_rank.astype(np.uint16), self.rank, mode="clip")
        total: NDArray[np.int64] = (self.value * w).sum(axis=0, dtype=np.int64)
        return total

    def gs1_sum(self) -> NDArray[np.int64]:
        """Sum with GS1 weights: 3 at even ranks, 1 at odd ranks (rank 1 = check digit)."""
        even = np.where((self.rank & 1) == 0, self.value, np.uint8(0))
        total: NDArray[np.int64] = self.value.sum(axis=0, dtype=np.int64) + 2 * even.sum(
            axis=0, dtype=np.int64
        )
        return total

    def rank_sum(self) -> NDArray[np.int64]:
        """Sum of digit times rank over ranks >= 2 (national-ID weights)."""
        total: NDArray[np.int64] = (self.value * self.rank.astype(np.uint16)).sum(
            axis=0, dtype=np.int64
        )
        return total - self.at(1)

    def at(self, rank: int) -> NDArray[np.int64]:
        """Digit of the given rank from the right (0 where the code is shorter)."""
        picked = np.where(self.rank == rank, self.value, np.uint8(0))
        digit: NDArray[np.int64] = picked.sum(axis=0, dtype=np.int64)
        return digit


def _gs1_reasons(d: _Digits, scheme: CodeScheme) -> NDArray[np.uint8]:
    ok = d.gs1_sum() % 10 == 0
    reason = np.where(ok, _OK, _CHECKSUM).astype(np.uint8)
    check = getattr(scheme, "prefix_check", "off")
    if check == "off":
        return reason
    # prefix digits: positions 1-3 of the GTIN-14 / GLN-in-14 / SSCC (ranks from the right)
    top = 17 if isinstance(scheme, SerialShippingContainerCode) else 13
    prefix = d.at(top) * 100 + d.at(top - 1) * 10 + d.at(top - 2)
    rcn8 = np.zeros(len(prefix), dtype=bool)
    if isinstance(scheme, GlobalTradeItemNumber):  # a GTIN-8 inside a GTIN-14
        gtin8 = sum(d.at(k) for k in range(9, 14)) == 0
        prefix = np.where(gtin8, d.at(8) * 100 + d.at(7) * 10 + d.at(6), prefix)
        rcn8 = gtin8 & np.isin(d.at(8), (0, 2))
    known, trade = _prefix_tables()
    allowed = known[prefix] | rcn8 if check == "known" else trade[prefix] & ~rcn8
    return np.where(ok & ~allowed, _STRUCTURE, reason).astype(np.uint8)


def _national_id_reasons(d: _Digits, scheme: IranNationalID) -> NDArray[np.uint8]:
    r = d.rank_sum() % 11
    ok = np.where(r < 2, r, 11 - r) == d.at(1)
    reason = np.where(ok, _OK, _CHECKSUM).astype(np.uint8)
    vmax = d.value.max(axis=0)
    vmin = np.where(d.is_digit, d.value, np.uint8(9)).min(axis=0)
    repeated = (vmax == vmin) & ((d.count == 10) | (vmax == 0))
    if scheme.repeated_digits == "reject":
        reason = np.where(ok & repeated, _STRUCTURE, reason).astype(np.uint8)
    if scheme.middle_zeros == "reject":  # serial digits 4-9 = ranks 7..2 from the right
        zero_serial = sum(d.at(k) for k in range(2, 8)) == 0
        reason = np.where(ok & zero_serial & ~repeated, _STRUCTURE, reason).astype(np.uint8)
    return reason


def _legal_id_reasons(d: _Digits, scheme: IranLegalID) -> NDArray[np.uint8]:
    e = d.at(2) + 2
    r = (d.weighted(_LEGAL_W) + e * sum(LEGAL_ID_WEIGHTS)) % 11
    ok = np.where(r == 10, 0, r) == d.at(1)
    reason = np.where(ok, _OK, _CHECKSUM).astype(np.uint8)
    if scheme.middle_zeros == "reject":  # digits 4-9 = ranks 8..3 from the right
        zero_serial = sum(d.at(k) for k in range(3, 9)) == 0
        reason = np.where(ok & zero_serial, _STRUCTURE, reason).astype(np.uint8)
    return reason


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


def _scalar_reasons(values: list[str], scheme: CodeScheme) -> NDArray[np.uint8]:
    """Reason code per value via scheme.validate, computed once per distinct value."""
    cache: dict[str, int] = {}
    out = np.empty(len(values), dtype=np.uint8)
    for i, v in enumerate(values):
        if v not in cache:
            try:
                scheme.validate(v)
                cache[v] = _OK
            except InvalidCodeError as exc:
                cache[v] = _CODE_OF.get(exc.reason or "", _STRUCTURE)
        out[i] = cache[v]
    return out


class _AsciiCells:
    """All-ASCII cells joined by NUL: one byte buffer plus each cell's start and length."""

    def __init__(self, buf: NDArray[np.uint8], starts: NDArray[np.int64]) -> None:
        self.buf = buf
        self.starts = starts
        ends = np.append(starts[1:] - 1, len(buf))
        self.lens = ends - starts

    @classmethod
    def build(cls, texts: list[str], joined: str | None = None) -> _AsciiCells | None:
        """None when a cell is non-ASCII or holds a NUL (then code points are needed).

        ``joined`` is ``"\\x00".join(texts)`` if the caller already has it.
        """
        if joined is None:
            joined = "\x00".join(texts)
        if not joined.isascii():
            return None
        buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        seps = np.flatnonzero(buf == 0)
        if len(seps) != len(texts) - 1:
            return None
        return cls(buf, np.concatenate(([0], seps + 1)).astype(np.int64))

    def classes(self, lo: int, hi: int) -> NDArray[np.uint8] | None:
        """Character classes (width, hi - lo) of cells lo..hi-1; None if a cell is too long."""
        starts, lens = self.starts[lo:hi], self.lens[lo:hi]
        width = int(lens.max())
        if width > _MAX_WIDTH:
            return None
        if width == 0:
            return np.full((1, hi - lo), _PAD, dtype=np.uint8)
        if (lens == width).all():  # the usual clean column: a strided view, no gather
            block = np.empty((hi - lo) * (width + 1), dtype=np.uint8)
            part = self.buf[starts[0] : starts[0] + len(block) - 1]
            block[: len(part)] = part
            rows = block.reshape(hi - lo, width + 1)[:, :width]
            return _ascii_byte_classes(np.ascontiguousarray(rows.T))
        j = np.arange(width)[:, None]
        inside = j < lens[None, :]
        pos = np.where(inside, starts[None, :] + j, 0)
        out: NDArray[np.uint8] = np.where(inside, _ASCII_LUT[self.buf[pos]], np.uint8(_PAD))
        return out


def _unicode_classes(
    texts: list[str], joined: str, scheme: CodeScheme, out: NDArray[np.uint8]
) -> tuple[NDArray[np.uint8], NDArray[np.intp]]:
    """Character classes of any cells via a fixed-width code-point array.

    Cells too long for the matrix, or holding NUL (numpy drops trailing NULs), are judged
    by ``scheme.validate`` directly; their reasons go into ``out``.
    """
    arr = np.array(texts, dtype=np.str_)
    scalar = np.zeros(len(texts), dtype=bool)
    if arr.itemsize // 4 > _MAX_WIDTH:
        scalar |= np.strings.str_len(arr) > _MAX_WIDTH
    if "\x00" in joined:
        scalar |= np.array(["\x00" in t for t in texts], dtype=bool)
    if scalar.any():
        idx = np.flatnonzero(scalar)
        out[idx] = _scalar_reasons([texts[i] for i in idx], scheme)
        arr = arr[~scalar].astype(f"<U{_MAX_WIDTH}")
    rows = np.flatnonzero(~scalar)
    cp = np.ascontiguousarray(arr).view(np.uint32).reshape(len(rows), -1)
    if cp.shape[1] == 0:
        cp = np.zeros((len(rows), 1), dtype=np.uint32)
    return np.ascontiguousarray(np.take(_LUT, cp, mode="clip").T), rows


def _reasons_from_classes(
    cls: NDArray[np.uint8], scheme: CodeScheme, lengths: tuple[int, ...]
) -> NDArray[np.uint8]:
    d = _Digits(cls)
    bad = (cls == _BAD).any(axis=0) | (d.count == 0)
    good_length = np.isin(d.count, lengths)
    reason = np.where(bad, _CHARACTERS, np.where(good_length, _OK, _LENGTH)).astype(np.uint8)
    todo = reason == _OK
    if todo.any() and not isinstance(scheme, IranCodeProduct | IranCodeService):
        if isinstance(scheme, IranNationalID):
            kernel = _national_id_reasons(d, scheme)
        elif isinstance(scheme, IranLegalID):
            kernel = _legal_id_reasons(d, scheme)
        else:
            kernel = _gs1_reasons(d, scheme)
        reason = np.where(todo, kernel, reason)
    return reason


def _text_reasons(
    texts: list[str], scheme: CodeScheme, joined: str | None = None
) -> NDArray[np.uint8]:
    """Reason codes of text cells, chunk by chunk (bounded memory)."""
    lengths = _lengths(scheme)
    out = np.empty(len(texts), dtype=np.uint8)
    if lengths is None:
        for lo in range(0, len(texts), _CHUNK):
            out[lo : lo + _CHUNK] = _scalar_reasons(texts[lo : lo + _CHUNK], scheme)
        return out
    ascii_cells = _AsciiCells.build(texts, joined) if texts else None
    for lo in range(0, len(texts), _CHUNK):
        hi = min(lo + _CHUNK, len(texts))
        cls = ascii_cells.classes(lo, hi) if ascii_cells is not None else None
        if cls is not None:
            out[lo:hi] = _reasons_from_classes(cls, scheme, lengths)
            continue
        chunk = texts[lo:hi]
        part = np.empty(hi - lo, dtype=np.uint8)
        ucls, rows = _unicode_classes(chunk, "".join(chunk), scheme, part)
        part[rows] = _reasons_from_classes(ucls, scheme, lengths)
        out[lo:hi] = part
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
        ``scheme.is_valid(cell)``) and ``reason`` (categorical over :data:`REASONS`;
        ``""`` when valid, otherwise the ``reason`` of the error ``scheme.validate``
        raises).

    Raises
    ------
    InvalidValueError
        If ``series`` is not a pandas Series.

    Examples
    --------
    >>> from crmkit.codes.schemes_iran import IRAN_NATIONAL_ID
    >>> ids = pd.Series(["0499370899", "1111111111"])
    >>> validate_column(ids, IRAN_NATIONAL_ID)["reason"].tolist()
    ['', 'structure']
    """
    if not isinstance(scheme, CodeScheme):
        raise InvalidValueError(
            f"scheme={scheme!r:.60} is not a code scheme; pass one such as crmkit.codes.GTIN."
        )
    if not isinstance(series, pd.Series):
        raise InvalidValueError(
            f"validate_column needs a pandas Series, got {type(series).__name__}."
        )
    values = series.tolist()
    n = len(values)
    reason = np.full(n, _CHARACTERS, dtype=np.uint8)
    try:
        joined: str | None = "\x00".join(values)  # raises TypeError unless every cell is text
    except TypeError:
        joined = None
    if joined is not None:
        reason[:] = _text_reasons(values, scheme, joined)
    else:
        is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=n)
        others = np.flatnonzero(~is_str)
        isna = pd.isna(pd.Series([values[i] for i in others], dtype=object)).to_numpy(bool)
        reason[others[isna]] = _MISSING
        idx = np.flatnonzero(is_str)
        reason[idx] = _text_reasons([values[i] for i in idx], scheme)
    return pd.DataFrame(
        {
            "valid": reason == _OK,
            "reason": pd.Categorical.from_codes(reason, categories=pd.Index(REASONS)),
        },
        index=series.index,
    )
