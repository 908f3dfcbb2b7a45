"""Data quality for customer records: normalisation, duplicate detection and merging.

"Customer data is always right" is a false assumption in CRM practice: records come
from many sources and entry methods and must be cleaned and de-duplicated.

Examples
--------
>>> from crmkit.domain.quality import normalize_phone
>>> normalize_phone("٠٩١٢٣٤٥٦٧٨٩", default_country_code="98")
'+989123456789'
"""

from __future__ import annotations

from crmkit.domain.quality.dedupe import BLOCKING_KEYS, EXACT_KEYS, blocking_key, find_duplicates
from crmkit.domain.quality.index import CustomerIndex
from crmkit.domain.quality.merge import (
    MergeResult,
    cluster_duplicates,
    combine_relationships,
    merge_customer_frame,
    merge_customers,
    merge_records,
    remap_ids,
)
from crmkit.domain.quality.normalize import (
    normalize_email,
    normalize_email_series,
    normalize_name,
    normalize_name_series,
    normalize_phone,
    normalize_phone_series,
)
from crmkit.domain.quality.similarity import NgramIndex, jaro_winkler, ngram_jaccard

__all__ = [
    "BLOCKING_KEYS",
    "EXACT_KEYS",
    "CustomerIndex",
    "MergeResult",
    "NgramIndex",
    "blocking_key",
    "cluster_duplicates",
    "combine_relationships",
    "find_duplicates",
    "jaro_winkler",
    "merge_customer_frame",
    "merge_customers",
    "merge_records",
    "ngram_jaccard",
    "normalize_email",
    "normalize_email_series",
    "normalize_name",
    "normalize_name_series",
    "normalize_phone",
    "normalize_phone_series",
    "remap_ids",
]
