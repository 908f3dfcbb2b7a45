"""Normalisation of names, e-mail addresses and phone numbers.

Customer records arrive from many sources and entry methods:
the same phone typed with Persian digits (۰۹۱۲...), Arabic-Indic digits (٠٩١٢...),
dashes and a trunk ``0``; the same name with the Arabic ي/ك or the Persian ی/ک. These
functions map every variant to one canonical form so records can be compared. Each comes
as a scalar function (raises on invalid input) and a vectorised ``*_series`` twin for
DataFrames (returns ``<NA>`` where the value cannot be normalised, so the caller decides).

Examples
--------
>>> normalize_phone("۰۹۱۲ ۳۴۵ ۶۷۸۹", default_country_code="98")
'+989123456789'
>>> normalize_email("  Ali.Rezaei@Example.COM ")
'ali.rezaei@example.com'
>>> normalize_name("  علي   رضايي ") == "علی رضایی"
True
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from crmkit._text import (
    DIGIT_TABLE,
    LETTER_TABLE,
    MARK_TABLE,
    NAME_SPACES,
    name_key,
    normalize_digits,
    normalize_series,
    normalize_text,
)
from crmkit.codes._base import show
from crmkit.exceptions import InvalidValueError

__all__ = [
    "normalize_email",
    "normalize_email_series",
    "normalize_name",
    "normalize_name_series",
    "normalize_phone",
    "normalize_phone_series",
]

_EMAIL: Final = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_PHONE_JUNK: Final = re.compile(r"[\s\-().\u200c\u200e\u200f\u00a0/]")
_E164: Final = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize_name(name: str) -> str:
    """Canonical form of a person or organisation name, for matching.

    Applies Unicode NFKC, Persian/Arabic-Indic digits to ASCII, Arabic letter variants to
    Persian (ي→ی, ى→ی, ك→ک), removes Arabic diacritics and tatweel, turns zero-width
    non-joiners into spaces, collapses whitespace and case-folds (Unicode case folding,
    so ``"Straße"`` and ``"STRASSE"`` match): the same key as the code registry's label
    look-ups use.

    Parameters
    ----------
    name : str
        The name as entered.

    Returns
    -------
    str
        The normalised name (never empty).

    Raises
    ------
    InvalidValueError
        If ``name`` is not a string or is empty after normalisation.

    Examples
    --------
    >>> normalize_name("  Ali   REZAEI ")
    'ali rezaei'
    >>> normalize_name("كريم") == normalize_name("کریم")
    True
    """
    if not isinstance(name, str):
        raise InvalidValueError(f"name={show(name)} must be a string.")
    name = str.__str__(name)
    out = name_key(name)
    if not out:
        raise InvalidValueError(f"name={name!r} is empty after normalisation; pass a name.")
    return out


def normalize_email(email: str) -> str:
    """Canonical, validated form of an e-mail address.

    Strips whitespace, applies NFKC and digit normalisation and lower-cases the whole
    address (the local part is case-sensitive in RFC 5321 in theory, but no real mail
    system treats it so; crmkit matches case-insensitively), then checks the
    ``local@domain.tld`` shape.

    Raises
    ------
    InvalidValueError
        If the address is not a string or does not have the ``local@domain.tld`` shape.

    Examples
    --------
    >>> normalize_email("Sara@Mail.IR")
    'sara@mail.ir'
    >>> normalize_email("sara@mail")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: email='sara@mail' is not a valid e-mail address...
    """
    if not isinstance(email, str):
        raise InvalidValueError(f"email={show(email)} must be a string.")
    email = str.__str__(email)
    out = _email_key(email)
    if not _EMAIL.match(out) or ".." in out or out.startswith(".") or ".@" in out:
        raise InvalidValueError(
            f"email={email!r} is not a valid e-mail address (expected local@domain.tld); "
            "correct it or leave the field empty."
        )
    return out


def _email_key(email: str) -> str:
    return normalize_text(email).strip().lower()


def normalize_phone(phone: str, *, default_country_code: str | None = None) -> str:
    """E.164 form (``+`` country code and subscriber number) of a phone number.

    Rules, applied after Persian/Arabic-Indic digits become ASCII and spaces, dashes,
    dots, slashes and parentheses are dropped:

    1. ``+CC...`` is kept; ``00CC...`` (international call prefix) becomes ``+CC...``;
    2. a national number with a trunk ``0`` (``0912...``) becomes ``+`` +
       ``default_country_code`` + the number without the ``0`` (``+98912...``);
    3. anything else is refused without a country code; with one it is prefixed;
    4. the result must be ``+`` and 7-15 digits, the first not ``0`` (ITU-T E.164 allows
       at most 15 digits).

    Parameters
    ----------
    phone : str
        The number as entered.
    default_country_code : str, optional
        Country calling code for national numbers, digits only (``"98"`` for Iran,
        ``"44"`` for the UK).

    Raises
    ------
    InvalidValueError
        If the number cannot be put in E.164 form; the message says why.

    References
    ----------
    - ITU-T Recommendation E.164 (11/2010), "The international public telecommunication
      numbering plan", Section 6.

    Examples
    --------
    >>> normalize_phone("0912-345-6789", default_country_code="98")
    '+989123456789'
    >>> normalize_phone("0044 20 7946 0958")
    '+442079460958'
    >>> normalize_phone("0912 345 6789")
    Traceback (most recent call last):
    ...
    crmkit.exceptions.InvalidValueError: phone='0912 345 6789' is a national number...
    """
    if not isinstance(phone, str):
        raise InvalidValueError(f"phone={phone!r} must be a string.")
    phone = str.__str__(phone)
    cc = _check_country_code(default_country_code)
    s = _PHONE_JUNK.sub("", normalize_text(phone).strip())
    if s.startswith("00"):
        s = "+" + s[2:]
    elif s.startswith("0"):
        if cc is None:
            raise InvalidValueError(
                f"phone={phone!r} is a national number (leading 0) and no "
                "default_country_code was given; pass e.g. default_country_code='98'."
            )
        s = "+" + cc + s[1:]
    elif not s.startswith("+"):
        if cc is None:
            raise InvalidValueError(
                f"phone={phone!r} has no '+' country prefix and no default_country_code "
                "was given; write it as +<country code><number> or pass a country code."
            )
        s = "+" + cc + s
    if not _E164.match(s):
        raise InvalidValueError(
            f"phone={phone!r} gives {s!r}, which is not an E.164 number ('+' then 7-15 "
            "digits, not starting with 0); check the number."
        )
    return s


def _check_country_code(code: str | None) -> str | None:
    if code is None:
        return None
    cc = normalize_digits(str(code)).lstrip("+")
    if not (cc.isascii() and cc.isdigit() and 1 <= len(cc) <= 3 and cc[0] != "0"):
        raise InvalidValueError(
            f"default_country_code={code!r} must be 1-3 digits not starting with 0 (e.g. '98')."
        )
    return cc


def _as_text(values: pd.Series, table: dict[int, int | None]) -> pd.Series:
    """String series with NFKC and ``table`` applied to the non-ASCII rows only (fast path)."""
    if not isinstance(values, pd.Series):
        raise InvalidValueError(f"expected a pandas Series, got {type(values).__name__}.")
    return normalize_series(values.astype("string"), table)


def normalize_name_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_name`; empty results and missing values become ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> normalize_name_series(pd.Series([" Ali  Rezaei", None, "  "])).tolist()
    ['ali rezaei', <NA>, <NA>]
    """
    s = _as_text(values, {**DIGIT_TABLE, **LETTER_TABLE, **MARK_TABLE})
    s = s.str.replace(NAME_SPACES.pattern, " ", regex=True).str.strip().str.casefold()
    return s.mask(s == "")


def normalize_email_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_email`; invalid and missing values become ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> normalize_email_series(pd.Series(["A@B.COM", "not-an-email", None])).tolist()
    ['a@b.com', <NA>, <NA>]
    """
    s = _as_text(values, DIGIT_TABLE).str.strip().str.lower()
    ok = s.str.match(_EMAIL.pattern) & ~s.str.contains("..", regex=False)
    ok &= ~s.str.startswith(".") & ~s.str.contains(".@", regex=False)
    return s.where(ok.fillna(False).astype(bool))


def normalize_phone_series(
    values: pd.Series, *, default_country_code: str | None = None
) -> pd.Series:
    """Vectorised :func:`normalize_phone`; numbers that cannot be normalised become ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["۰۹۱۲۳۴۵۶۷۸۹", "+98 912 345 6789", "12", None])
    >>> normalize_phone_series(s, default_country_code="98").tolist()
    ['+989123456789', '+989123456789', <NA>, <NA>]
    """
    cc = _check_country_code(default_country_code)
    s = _as_text(values, DIGIT_TABLE).str.strip()
    s = s.str.replace(_PHONE_JUNK.pattern, "", regex=True)
    s = s.str.replace(r"^00", "+", regex=True)
    if cc is not None:
        s = s.str.replace(r"^0", "+" + cc, regex=True)
        bare = s.str.match(r"[1-9]").fillna(False).astype(bool)  # no prefix at all
        s = s.mask(bare, "+" + cc + s)
    ok = s.str.match(_E164.pattern).fillna(False).astype(bool)
    return s.where(ok)
