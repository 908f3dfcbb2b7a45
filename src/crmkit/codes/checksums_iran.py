"""Check digits of the Iranian national ID and the Iranian legal-entity national ID.

Both are weighted sums modulo 11 whose two largest remainders share a check digit
(national ID: remainders 1 and 10 both give 1; legal ID: 0 and 10 both give 0), so about
2 % of single-digit errors pass unnoticed; see the table in
:mod:`crmkit.codes.checksums`. Repeated-digit national IDs (``1111111111``) pass the
checksum; the policy for them lives in :class:`crmkit.codes.IranNationalID`.

Examples
--------
>>> iran_national_id_check_digit("049937089")
'9'
>>> iran_legal_id_is_valid("10380284790")
True
"""

from __future__ import annotations

from typing import Final

from crmkit.codes.checksums import digits_of, passes_check_digit

__all__ = [
    "LEGAL_ID_WEIGHTS",
    "iran_legal_id_check_digit",
    "iran_legal_id_is_valid",
    "iran_national_id_check_digit",
    "iran_national_id_is_valid",
]

LEGAL_ID_WEIGHTS: Final = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)
"""Weights of the Iranian legal-entity national ID check digit (digits 1..10)."""


def iran_national_id_check_digit(payload: str) -> str:
    """Check digit of the Iranian national ID (*kart-e melli*, 10 digits).

    .. math::

        s = \\sum_{i=1}^{9} (11 - i)\\, d_i,\\quad r = s \\bmod 11,\\quad
        c = \\begin{cases} r & r < 2 \\\\ 11 - r & r \\ge 2 \\end{cases}

    Parameters
    ----------
    payload : str
        The first nine digits (leading zeros included).

    Returns
    -------
    str
        One digit.

    Raises
    ------
    InvalidCodeError
        If the payload is not exactly nine ASCII digits.

    References
    ----------
    - National Organization for Civil Registration of Iran, national-code rules
      (as implemented by persian-tools ``verifyIranianNationalId``, test vectors
      ``0499370899``, ``0790419904``, ``1583250689``).

    Examples
    --------
    >>> iran_national_id_check_digit("049937089")
    '9'
    """
    digits = digits_of(payload, "Iranian national ID", length=9)
    r = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    return str(r if r < 2 else 11 - r)


def iran_national_id_is_valid(code: str) -> bool:
    """Whether a 10-digit code passes the national-ID checksum (no policy rules); never raises.

    Examples
    --------
    >>> iran_national_id_is_valid("1583250689")
    True
    """
    return passes_check_digit(code, iran_national_id_check_digit, length=10)


def iran_legal_id_check_digit(payload: str) -> str:
    """Check digit of the Iranian legal-entity national ID (*shenase-ye melli*, 11 digits).

    .. math::

        e = d_{10} + 2,\\quad s = \\sum_{i=1}^{10} (d_i + e)\\, w_i,\\quad
        r = s \\bmod 11,\\quad c = \\begin{cases} 0 & r = 10 \\\\ r & r < 10 \\end{cases}

    with :math:`w = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)`.

    Parameters
    ----------
    payload : str
        The first ten digits.

    Returns
    -------
    str
        One digit.

    Raises
    ------
    InvalidCodeError
        If the payload is not exactly ten ASCII digits.

    References
    ----------
    - Ali Arash, "shenase melli" algorithm note (aliarash.com/article/shenasameli),
      implemented by persian-tools ``verifyIranianLegalId`` (vector ``10380284790``).

    Examples
    --------
    >>> iran_legal_id_check_digit("1038028479")
    '0'
    """
    digits = digits_of(payload, "Iranian legal ID", length=10)
    e = digits[9] + 2
    r = sum((d + e) * w for d, w in zip(digits, LEGAL_ID_WEIGHTS, strict=True)) % 11
    return str(0 if r == 10 else r)


def iran_legal_id_is_valid(code: str) -> bool:
    """Whether an 11-digit code passes the legal-ID checksum; never raises.

    Examples
    --------
    >>> iran_legal_id_is_valid("10380284790"), iran_legal_id_is_valid("10380284792")
    (True, False)
    """
    return passes_check_digit(code, iran_legal_id_check_digit, length=11)
