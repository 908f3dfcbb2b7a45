"""Check-digit algorithms as small pure functions.

Each family has a ``*_check_digit`` (or ``*_check_digits``) function that computes the
check character(s) for a payload and an ``*_is_valid`` function that tests a complete
code (payload followed by its check character). The functions take ASCII strings;
normalising Persian digits or separators is the job of the code schemes
(:mod:`crmkit.codes.schemes_gs1`, :mod:`crmkit.codes.iban`,
:mod:`crmkit.codes.schemes_iran`). A payload with characters outside the algorithm's
alphabet raises :class:`~crmkit.exceptions.InvalidCodeError`; the ``*_is_valid``
functions never raise.

The Iranian national and legal IDs are in :mod:`crmkit.codes.checksums_iran`.

Input policy. The ``*_is_valid`` functions return ``False`` for anything that is not
a valid code: ``None``, bytes, numbers, huge strings, lone surrogates, ``str``
subclasses whose methods raise. The ``*_check_digit(s)`` functions raise
:class:`~crmkit.exceptions.InvalidCodeError` for every bad payload (never a builtin
error); MOD 97-10 is computed digit by digit, so a 5,000-character payload is as
safe as a short one (no conversion of the whole text to one integer).

Minimum lengths (a policy, stricter than python-stdnum). A complete code has at least
one payload character before its check character(s):

=====================  ===================  ===============================
function               shortest valid code  python-stdnum
=====================  ===================  ===============================
``gs1_is_valid``       2 characters         ``ean`` needs 8, 12, 13 or 14
``luhn_is_valid``      2 characters         accepts 1 (``luhn.is_valid("0")``)
``mod11_2_is_valid``   2 characters         accepts 1 (``mod_11_2.is_valid("1")``)
``mod97_10_is_valid``  3 characters         accepts 1 (any code congruent to 1)
=====================  ===================  ===============================

A single character has no payload to protect, and in CRM data it is almost always a
truncated or placeholder value, so crmkit refuses it; the ``*_check_digit(s)``
functions likewise need a non-empty payload.

Error-detection guarantees (what each algorithm is *designed* to catch; the test suite
checks every row, including the documented exceptions):

========================  =================================  ==============================
algorithm                 any single-digit error             adjacent transpositions
========================  =================================  ==============================
GS1 mod 10 (weights 3,1)  all                                all except digits differing
                                                             by 5 (e.g. 05 <-> 50)
Luhn (ISO/IEC 7812-1)     all                                all except 09 <-> 90
ISO 7064 MOD 97-10        all                                all
ISO 7064 MOD 11-2         all                                all
Iranian national ID       all except those moving the        same exception among the
                          remainder between 1 and 10 (both   payload digits; swaps with
                          give check digit 1), about 2 %     the check digit not guaranteed
Iranian legal ID          all except those moving the        same exception among the
                          remainder between 0 and 10 (both   first nine digits; not
                          give check digit 0), about 2 %     guaranteed otherwise
========================  =================================  ==============================

Examples
--------
>>> gs1_check_digit("629104150021")
'3'
>>> luhn_check_digit("7992739871")
'3'
>>> mod97_10_check_digits("99991234567890121414")
'90'
>>> mod11_2_check_digit("079")
'X'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from crmkit.codes._base import plain_str, show
from crmkit.exceptions import CrmkitError, InvalidCodeError

__all__ = [
    "gs1_check_digit",
    "gs1_is_valid",
    "iban_check_digits",
    "luhn_check_digit",
    "luhn_is_valid",
    "mod11_2_check_digit",
    "mod11_2_is_valid",
    "mod97_10_check_digits",
    "mod97_10_is_valid",
]

_ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LETTER_VALUES: Final = {ord(c): str(10 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def digits_of(payload: str, algorithm: str, *, length: int | None = None) -> list[int]:
    """Return the payload as a list of ints, raising on non-digits or wrong length.

    Shared helper of the check-digit modules; not part of the public API.
    """
    text = plain_str(payload)
    if text is None or not (text.isascii() and text.isdigit()):
        raise InvalidCodeError(
            f"{show(payload)}: the {algorithm} check digit needs a non-empty payload of "
            "ASCII digits 0-9 only (a str); compact the code first (remove spaces, dashes, "
            "Persian digits).",
            code=text if text is not None else show(payload),
            scheme=algorithm,
            reason="characters",
        )
    if length is not None and len(text) != length:
        raise InvalidCodeError(
            f"{show(text)}: the {algorithm} check digit needs exactly {length} payload "
            f"digits, got {len(text)}.",
            code=text,
            scheme=algorithm,
            reason="length",
        )
    return [ord(c) - 48 for c in text]


def passes_check_digit(
    code: str, check_digit: Callable[[str], str], *, length: int | None = None
) -> bool:
    """Whether the last character of ``code`` is ``check_digit`` of the rest; never raises.

    ``length`` fixes the whole code's length; otherwise at least two characters are
    needed. Shared helper of the ``*_is_valid`` functions; not part of the public API.
    """
    text = plain_str(code)
    if text is None or len(text) < 2:
        return False
    if length is not None and len(text) != length:
        return False
    try:
        return check_digit(text[:-1]) == text[-1]
    except CrmkitError:  # the algorithm's verdict on the input; other errors are bugs
        return False


def gs1_check_digit(payload: str) -> str:
    """GS1 modulo-10 check digit of a GTIN, GLN or SSCC payload.

    .. math::

        c = \\left(10 - \\sum_{i} w_i d_i \\bmod 10\\right) \\bmod 10,

    with weights :math:`w_i = 3, 1, 3, \\dots` counted from the rightmost payload digit
    (GS1 General Specifications, Section 7.9.1).

    Parameters
    ----------
    payload : str
        The digits without the check digit (7, 11, 12, 13 or 17 digits for GTIN-8/-12/-13/-14
        and SSCC; any positive length is accepted).

    Returns
    -------
    str
        One digit ``"0"``-``"9"``.

    Raises
    ------
    InvalidCodeError
        If the payload is empty or has a character other than ``0``-``9``.

    References
    ----------
    - GS1 General Specifications, Section 7.9 "Check digit calculation".
    - GS1 Hong Kong check digit calculator, worked example ``629104150021`` -> 3.

    Examples
    --------
    >>> gs1_check_digit("629104150021")
    '3'
    """
    digits = digits_of(payload, "GS1 mod 10")
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def gs1_is_valid(code: str) -> bool:
    """Whether ``code`` (payload + check digit) passes the GS1 mod-10 check; never raises.

    Examples
    --------
    >>> gs1_is_valid("6291041500213"), gs1_is_valid("6291041500214")
    (True, False)
    """
    return passes_check_digit(code, gs1_check_digit)


def luhn_check_digit(payload: str) -> str:
    """Luhn (ISO/IEC 7812-1 annex B) check digit.

    .. math::

        c = \\left(10 - \\sum_i f_i(d_i) \\bmod 10\\right) \\bmod 10,

    where, counting from the rightmost payload digit, every first, third, ... digit is
    doubled and :math:`f` sums the digits of the product (:math:`2d - 9` if
    :math:`2d > 9`); the other digits count as they are.

    Parameters
    ----------
    payload : str
        Digits without the check digit (non-empty).

    Returns
    -------
    str
        One digit.

    Raises
    ------
    InvalidCodeError
        If the payload has a non-digit character or is empty.

    References
    ----------
    - ISO/IEC 7812-1:2017, annex B (Luhn formula for computing modulus-10 check digits).
    - Luhn, H. P. (1960), US patent 2,950,048.

    Examples
    --------
    >>> luhn_check_digit("7992739871"), luhn_check_digit("7894")
    ('3', '9')
    """
    digits = digits_of(payload, "Luhn")
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str(-total % 10)


def luhn_is_valid(code: str) -> bool:
    """Whether ``code`` passes the Luhn check; never raises.

    Examples
    --------
    >>> luhn_is_valid("79927398713"), luhn_is_valid("79927398710")
    (True, False)
    """
    return passes_check_digit(code, luhn_check_digit)


def _mod97(value: object, algorithm: str) -> int:
    """The remainder mod 97 of ``value`` read as a decimal number, A-Z being 10-35.

    Letters are replaced as ISO 7064 / ISO 13616 prescribe (``A`` -> ``10``); the
    remainder is carried through chunks of at most 9 digits (``int`` of a short
    string), so the cost is linear and no integer is ever built from the whole text
    (no conversion limit, any length).
    """
    text = plain_str(value)
    if text is None or not text or not set(text) <= _ALNUM:
        raise InvalidCodeError(
            f"{show(value)}: {algorithm} needs a non-empty str of digits 0-9 and capital "
            "letters A-Z only.",
            code=text if text is not None else show(value),
            scheme=algorithm,
            reason="characters",
        )
    digits = text.translate(_LETTER_VALUES)
    r = 0
    for start in range(0, len(digits), 9):
        r = int(f"{r}{digits[start : start + 9]}") % 97
    return r


def mod97_10_check_digits(payload: str) -> str:
    """ISO/IEC 7064 MOD 97-10 check digits (two digits, ``"02"``-``"98"``).

    .. math::

        c = 98 - (100 \\cdot N \\bmod 97),

    where :math:`N` is the payload read as a decimal integer (letters A-Z replaced by
    10-35 as in ISO 13616). A complete code is valid when it is congruent to 1 mod 97.

    Parameters
    ----------
    payload : str
        Digits and capital letters, without check digits.

    Returns
    -------
    str
        Two digits.

    Raises
    ------
    InvalidCodeError
        If the payload is empty or has other characters.

    References
    ----------
    - ISO/IEC 7064:2003, pure system MOD 97-10.
    - python-stdnum ``stdnum.iso7064.mod_97_10`` test vectors.

    Examples
    --------
    >>> mod97_10_check_digits("4354111611551114")
    '31'
    """
    return f"{98 - (_mod97(payload, 'ISO 7064 MOD 97-10') * 100) % 97:02d}"


def mod97_10_is_valid(code: str) -> bool:
    """Whether ``code`` is congruent to 1 modulo 97 (ISO 7064 MOD 97-10); never raises.

    At least three characters are needed (one payload character and two check digits).

    Examples
    --------
    >>> mod97_10_is_valid("08686001256515001121751")
    True
    >>> mod97_10_is_valid("1" * 5000), mod97_10_is_valid(None)
    (False, False)
    """
    try:
        text = plain_str(code)
        return text is not None and len(text) >= 3 and _mod97(text, "ISO 7064 MOD 97-10") == 1
    except CrmkitError:  # the algorithm's verdict on the input; other errors are bugs
        return False


def iban_check_digits(country: str, bban: str) -> str:
    """IBAN check digits (ISO 13616-1) for a country code and a BBAN.

    The IBAN is ``country + check + bban``; the check digits are the MOD 97-10 check of
    ``bban + country`` (the first four characters moved to the end).

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code in capitals, e.g. ``"IR"``.
    bban : str
        The basic bank account number (digits and capitals).

    Returns
    -------
    str
        Two digits.

    Raises
    ------
    InvalidCodeError
        If the country or BBAN has characters outside 0-9, A-Z.

    References
    ----------
    - ISO 13616-1:2020; SWIFT IBAN Registry (example ``IR710570029971601460641001``).

    Examples
    --------
    >>> iban_check_digits("IR", "0570029971601460641001")
    '71'
    """
    cc = plain_str(country)
    if cc is None or len(cc) != 2 or not ("A" <= cc[0] <= "Z" and "A" <= cc[1] <= "Z"):
        raise InvalidCodeError(
            f"{show(country)} is not a two-letter ISO 3166 country code in capitals.",
            code=cc if cc is not None else show(country),
            scheme="IBAN",
            reason="characters",
        )
    text = plain_str(bban)
    if text is None:
        raise InvalidCodeError(
            f"bban={show(bban)} must be a str of digits and capital letters.",
            code=show(bban),
            scheme="IBAN",
            reason="characters",
        )
    return f"{98 - (_mod97(text + cc, 'IBAN') * 100) % 97:02d}"


def mod11_2_check_digit(payload: str) -> str:
    """ISO/IEC 7064 MOD 11-2 check character (``"0"``-``"9"`` or ``"X"`` for 10).

    .. math::

        p_0 = 0,\\quad p_{k} = 2 (p_{k-1} + d_k) \\bmod 11,\\qquad c = (12 - p_n) \\bmod 11.

    Parameters
    ----------
    payload : str
        Digits without the check character.

    Returns
    -------
    str
        ``"0"``-``"9"`` or ``"X"``.

    Raises
    ------
    InvalidCodeError
        If the payload has a non-digit character or is empty.

    References
    ----------
    - ISO/IEC 7064:2003, pure system MOD 11-2 (used by ISNI and ORCID).
    - ORCID support, "Structure of the ORCID identifier": ``0000-0002-1825-0097``.

    Examples
    --------
    >>> mod11_2_check_digit("0794"), mod11_2_check_digit("079")
    ('0', 'X')
    """
    p = 0
    for d in digits_of(payload, "ISO 7064 MOD 11-2"):
        p = (p + d) * 2 % 11
    c = (12 - p) % 11
    return "X" if c == 10 else str(c)


def mod11_2_is_valid(code: str) -> bool:
    """Whether ``code`` passes ISO 7064 MOD 11-2; never raises.

    Examples
    --------
    >>> mod11_2_is_valid("0000000218250097"), mod11_2_is_valid("079X")
    (True, True)
    """
    return passes_check_digit(code, mod11_2_check_digit)
