"""Data quality for customer records: normalisation, duplicate detection and merging.

"Customer data is always right" is a false assumption (DOMAIN.md section 2): records come
from many sources and entry methods and must be cleaned and de-duplicated.

Examples
--------
>>> from crmkit.domain.quality import normalize_phone
>>> normalize_phone("٠٩١٢٣٤٥٦٧٨٩", default_country_code="98")
'+989123456789'
"""

from __future__ import annotations

from crmkit.domain.quality.normalize import (
    normalize_email,
    normalize_email_series,
    normalize_name,
    normalize_name_series,
    normalize_phone,
    normalize_phone_series,
)

__all__ = [
    "normalize_email",
    "normalize_email_series",
    "normalize_name",
    "normalize_name_series",
    "normalize_phone",
    "normalize_phone_series",
]
