"""Organisational coding: check digits, code schemes, the code registry and branch import.

A unique, uniform code for every customer, product, service and supplier is "the
platform CRM stands on", in the words of the CRM practitioner literature. This subpackage
offers:

* check-digit functions (:mod:`crmkit.codes.checksums`): GS1 mod 10, Luhn, ISO 7064
  MOD 97-10 and MOD 11-2, Iranian national and legal IDs;
* code schemes sharing the :class:`CodeScheme` protocol: GS1 keys (:data:`GTIN`,
  :data:`GLN`, :data:`SSCC`), international bank account numbers (:data:`IBAN`,
  ISO 13616, in :mod:`crmkit.codes.iban`), Iranian codes (:data:`IRAN_NATIONAL_ID`,
  :data:`IRAN_LEGAL_ID`, :data:`SHEBA`, :data:`IRAN_CODE_PRODUCT`,
  :data:`IRAN_CODE_SERVICE`) and internal schemes (:class:`PrefixedScheme`);
* :class:`CodeRegistry` - allocate, register, link, edit, get, resolve, retire, merge,
  unmerge; all-or-nothing batches of changes (:meth:`~CodeRegistry.batch`); indexed
  look-ups by kind, status, label and attribute (:meth:`~CodeRegistry.find`); whole
  columns of codes mapped to current entries (:meth:`~CodeRegistry.resolve_column`);
  an audit trail of every change (:meth:`~CodeRegistry.audit_log`,
  :class:`AuditRecord`);
* :func:`import_branch_codes` - branch-local code lists onto uniform codes, with
  conflicts reported;
* :func:`validate_column` - vectorised validation of a whole column.

Examples
--------
>>> from crmkit import codes
>>> codes.GTIN.validate("6261234567897")
'6261234567897'
>>> reg = codes.CodeRegistry()
>>> reg.allocate("customer").code
'CUST-000001-8'
"""

from __future__ import annotations

from crmkit.codes._audit import AuditAction, AuditRecord
from crmkit.codes._base import CodeScheme
from crmkit.codes.branches import BranchImportResult, import_branch_codes
from crmkit.codes.checksums import (
    gs1_check_digit,
    gs1_is_valid,
    iban_check_digits,
    luhn_check_digit,
    luhn_is_valid,
    mod11_2_check_digit,
    mod11_2_is_valid,
    mod97_10_check_digits,
    mod97_10_is_valid,
)
from crmkit.codes.checksums_iran import (
    iran_legal_id_check_digit,
    iran_legal_id_is_valid,
    iran_national_id_check_digit,
    iran_national_id_is_valid,
)
from crmkit.codes.entries import (
    CodeEntry,
    CodeKind,
    EntryStatus,
    RegistryLoadError,
    UnknownCodeError,
)
from crmkit.codes.iban import IBAN, IbanScheme
from crmkit.codes.internal import LocalCodeScheme, PrefixedScheme
from crmkit.codes.registry import CodeRegistry
from crmkit.codes.schemes_gs1 import (
    EAN8,
    GLN,
    GTIN,
    GTIN12,
    GTIN13,
    GTIN14,
    SSCC,
    GlobalLocationNumber,
    GlobalTradeItemNumber,
    GS1Prefix,
    GS1PrefixUsage,
    SerialShippingContainerCode,
    gs1_prefix_table,
    lookup_gs1_prefix,
)
from crmkit.codes.schemes_iran import (
    IRAN_CODE_PRODUCT,
    IRAN_CODE_SERVICE,
    IRAN_LEGAL_ID,
    IRAN_NATIONAL_ID,
    SHEBA,
    IranCodeProduct,
    IranCodeService,
    IranLegalID,
    IranNationalID,
)
from crmkit.codes.vectorised import validate_column

__all__ = [
    "EAN8",
    "GLN",
    "GTIN",
    "GTIN12",
    "GTIN13",
    "GTIN14",
    "IBAN",
    "IRAN_CODE_PRODUCT",
    "IRAN_CODE_SERVICE",
    "IRAN_LEGAL_ID",
    "IRAN_NATIONAL_ID",
    "SHEBA",
    "SSCC",
    "AuditAction",
    "AuditRecord",
    "BranchImportResult",
    "CodeEntry",
    "CodeKind",
    "CodeRegistry",
    "CodeScheme",
    "EntryStatus",
    "GS1Prefix",
    "GS1PrefixUsage",
    "GlobalLocationNumber",
    "GlobalTradeItemNumber",
    "IbanScheme",
    "IranCodeProduct",
    "IranCodeService",
    "IranLegalID",
    "IranNationalID",
    "LocalCodeScheme",
    "PrefixedScheme",
    "RegistryLoadError",
    "SerialShippingContainerCode",
    "UnknownCodeError",
    "gs1_check_digit",
    "gs1_is_valid",
    "gs1_prefix_table",
    "iban_check_digits",
    "import_branch_codes",
    "iran_legal_id_check_digit",
    "iran_legal_id_is_valid",
    "iran_national_id_check_digit",
    "iran_national_id_is_valid",
    "lookup_gs1_prefix",
    "luhn_check_digit",
    "luhn_is_valid",
    "mod11_2_check_digit",
    "mod11_2_is_valid",
    "mod97_10_check_digits",
    "mod97_10_is_valid",
    "validate_column",
]
