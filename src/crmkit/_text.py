"""Text normalisation shared by the code schemes and the domain records (private).

The one place for these rules: :mod:`crmkit.codes` and :mod:`crmkit.domain` (records,
data quality) import them and keep no copies. Persian (U+06F0-U+06F9) and Arabic-Indic
(U+0660-U+0669) digits become ASCII digits; the Arabic letter variants Yeh (U+064A) and
Kaf (U+0643) become their Persian forms (U+06CC, U+06A9); zero-width non-joiners are
kept in names but removed from codes. :func:`show` formats any value for an error
message.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # pandas is not imported at run time: the caller holds a Series already
    import pandas as pd

__all__ = [
    "name_key",
    "normalize_digits",
    "normalize_letters",
    "normalize_series",
    "normalize_text",
    "show",
    "strip_code_separators",
]

DIGIT_TABLE: Final[dict[int, int | None]] = {
    **{0x06F0 + i: ord("0") + i for i in range(10)},  # Persian ۰-۹
    **{0x0660 + i: ord("0") + i for i in range(10)},  # Arabic-Indic ٠-٩
}
"""``str.translate`` table of :func:`normalize_digits` (private to the package)."""
LETTER_TABLE: Final[dict[int, int | None]] = {
    0x064A: 0x06CC,  # ARABIC LETTER YEH -> FARSI YEH
    0x0649: 0x06CC,  # ARABIC LETTER ALEF MAKSURA -> FARSI YEH
    0x0643: 0x06A9,  # ARABIC LETTER KAF -> KEHEH
}
"""``str.translate`` table of :func:`normalize_letters` (private to the package)."""
CODE_SEPARATORS: Final = " -._/\u200c\u200f\u200e\t\n\r\u00a0"
"""Characters :func:`strip_code_separators` drops (private to the package)."""
_SEPARATORS: Final = {ord(c): None for c in CODE_SEPARATORS}
CODE_SEPARATOR_PATTERN: Final = "[" + re.escape(CODE_SEPARATORS) + "]"
"""Regular expression (one character) of :data:`CODE_SEPARATORS`, for pandas ``str.replace``."""


def normalize_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits by ASCII digits.

    Examples
    --------
    >>> normalize_digits("۰۹۱۲-٣٤٥")
    '0912-345'
    """
    return text.translate(DIGIT_TABLE)


def normalize_text(text: str) -> str:
    """Unicode NFKC, then Persian and Arabic-Indic digits to ASCII (e-mails, phones, IDs).

    Examples
    --------
    >>> normalize_text("\uff21\uff22-۱۲٣")  # full-width letters, Persian and Arabic digits
    'AB-123'
    """
    return normalize_digits(unicodedata.normalize("NFKC", text))


def normalize_series(values: pd.Series, table: dict[int, int | None]) -> pd.Series:
    """Vectorised :func:`normalize_text` with ``table``: NFKC, then ``str.translate``.

    ``values`` is a string-dtype Series; only its non-ASCII rows are touched (the fast
    path: ASCII text is already in NFKC and holds no character of the tables).

    Examples
    --------
    >>> import pandas as pd
    >>> normalize_series(pd.Series(["a-1", "۱۲", None], dtype="string"), DIGIT_TABLE).tolist()
    ['a-1', '12', <NA>]
    """
    wide = values.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    if not wide.any():
        return values
    out = values.copy()
    out[wide] = out[wide].str.normalize("NFKC").str.translate(table)
    return out


def normalize_letters(text: str) -> str:
    """Map Arabic letter variants to their Persian forms (ي -> ی, ك -> ک, ى -> ی).

    Examples
    --------
    >>> normalize_letters("علي") == "علی"
    True
    """
    return text.translate(LETTER_TABLE)


def strip_code_separators(text: str) -> str:
    """Normalise digits and drop spaces, dashes, dots, slashes and direction marks.

    Examples
    --------
    >>> strip_code_separators(" 0-0۱2 345.67 ")
    '001234567'
    """
    return normalize_digits(text).translate(_SEPARATORS)


MARK_TABLE: Final[dict[int, int | None]] = {
    **dict.fromkeys(range(0x064B, 0x0653)),  # Arabic harakat
    0x0670: None,  # superscript alef
    0x0640: None,  # tatweel
}
"""``str.translate`` table removing the marks :func:`name_key` drops (private to the package)."""
NAME_SPACES: Final = re.compile(r"[\s\u200c\u200d\u200e\u200f\u00a0]+")
"""The runs :func:`name_key` reads as one space (private to the package)."""


def name_key(text: str) -> str:
    """Matching key of a name or label: equal keys mean "the same name, typed differently".

    Unicode NFKC, Persian/Arabic-Indic digits to ASCII, Arabic letter variants to their
    Persian forms (ي -> ی, ى -> ی, ك -> ک), Arabic diacritics and tatweel removed,
    zero-width (non-)joiners and direction marks read as spaces, runs of whitespace
    collapsed to one space, ends stripped, then Unicode case folding.

    Examples
    --------
    >>> name_key("  Tea   500 G ")
    'tea 500 g'
    >>> name_key("چاي ۵۰۰ گرم") == name_key("چای 500 گرم")
    True
    """
    s = unicodedata.normalize("NFKC", text)
    s = normalize_letters(normalize_digits(s)).translate(MARK_TABLE)
    return NAME_SPACES.sub(" ", s).strip().casefold()


_SHOW_LIMIT = 60


def show(value: object) -> str:
    """A short, never-raising ``repr`` of ``value`` for error messages.

    Long reprs are cut to about 60 characters (a 5,000-digit code stays readable) and
    a ``repr`` that fails (huge ints beyond Python's conversion limit, objects whose
    ``__repr__`` raises) is replaced by the type name.

    Examples
    --------
    >>> show("1" * 100)
    "'111111111111111111111111111...111111111111111111111111111111' (100 characters)"
    >>> show(None), show(10**400)
    ('None', '<int of about 401 digits>')
    """
    try:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**_SHOW_LIMIT:
            return f"<int of about {int(value.bit_length() * 0.30103) + 1} digits>"
        if isinstance(value, str):
            text = repr(str.__str__(value))
            if len(value) > _SHOW_LIMIT:
                return f"{text[:28]}...{text[-31:]} ({len(value)} characters)"
            return text
        text = repr(value)
    except Exception:  # a repr must never hide the real error
        return f"<{type(value).__name__} object>"
    if len(text) > _SHOW_LIMIT:
        return f"{text[:28]}...{text[-28:]}"
    return text
