"""Look up customers by phone number, e-mail address or national ID in constant time.

Finding the customer behind an incoming call or e-mail by scanning every record costs
time proportional to the number of customers. :class:`CustomerIndex` is built once
(one pass over the customers) and answers each look-up with one dictionary access on
the normalised key, so the answer does not depend on how the query was typed.

Examples
--------
>>> from crmkit.domain import Customer
>>> idx = CustomerIndex(
...     [
...         Customer(code="C1", name="Sara", contacts=[{"channel": "e-mail", "value": "s@x.ir"}]),
...         Customer(code="C2", name="Ali", national_id="0499370899"),
...     ]
... )
>>> idx.by_email("S@X.IR"), idx.by_national_id("۰۴۹۹۳۷۰۸۹۹"), idx.by_email("nobody@x.ir")
(('C1',), ('C2',), ())
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from crmkit.codes._base import show
from crmkit.domain import _common as cv
from crmkit.domain.customer import Customer, check_national_id
from crmkit.domain.interaction import Channel
from crmkit.domain.quality.normalize import normalize_email, normalize_phone
from crmkit.exceptions import InvalidValueError

__all__ = ["CustomerIndex"]

_PHONES = (Channel.PHONE, Channel.MOBILE, Channel.FAX)


def _freeze(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


class CustomerIndex:
    """Customer codes by normalised phone number, e-mail address and national ID.

    Built once from customers; each look-up normalises the query the way
    :class:`~crmkit.domain.Customer` normalises its fields and returns the codes of
    every customer holding that value (several codes mean probable duplicates), in the
    order the customers were given; an unknown value gives ``()``.

    * phones: every phone, mobile and fax contact point, in E.164 form (a query typed
      as a national number needs ``default_country_code``);
    * e-mail: every e-mail contact point, case-folded (``A@X.IR`` finds ``a@x.ir``);
    * national ID: digits normalised; all-digit IDs as Iranian national IDs.

    Parameters
    ----------
    customers : iterable of Customer
        Codes must be unique.

    Raises
    ------
    InvalidValueError
        If an item is not a :class:`~crmkit.domain.Customer` or a code repeats.

    Examples
    --------
    >>> from crmkit.domain import Customer
    >>> people = [
    ...     Customer(
    ...         code="C1", name="Sara", contacts=[{"channel": "mobile", "value": "+989121234567"}]
    ...     ),
    ...     Customer(
    ...         code="C2", name="Sara A", contacts=[{"channel": "phone", "value": "+989121234567"}]
    ...     ),
    ... ]
    >>> idx = CustomerIndex(people)
    >>> idx.by_phone("۰۹۱۲ ۱۲۳ ۴۵۶۷", default_country_code="98")
    ('C1', 'C2')
    >>> len(idx), idx
    (2, CustomerIndex(2 customers, 1 phone numbers, 0 e-mail addresses, 0 national IDs))
    """

    __slots__ = ("_emails", "_ids", "_n", "_phones")

    def __init__(self, customers: Iterable[Customer]) -> None:
        items = cv.items("customers", customers)
        phones: dict[str, list[str]] = {}
        emails: dict[str, list[str]] = {}
        ids: dict[str, list[str]] = {}
        seen: set[str] = set()
        for pos, c in enumerate(items):
            if not isinstance(c, Customer):
                raise InvalidValueError(
                    f"customers[{pos}]={show(c)} must be a Customer; build customers from a "
                    "frame with CustomerIndex.from_frame."
                )
            if c.code in seen:
                raise InvalidValueError(
                    f"customer code {c.code!r} appears twice; codes must be unique."
                )
            seen.add(c.code)
            for p in c.contacts:
                if p.channel in _PHONES:
                    phones.setdefault(p.value, []).append(c.code)
                elif p.channel is Channel.EMAIL:
                    emails.setdefault(p.value, []).append(c.code)
            if c.national_id is not None:
                ids.setdefault(c.national_id, []).append(c.code)
        self._n = len(seen)
        self._phones = _freeze(phones)
        self._emails = _freeze(emails)
        self._ids = _freeze(ids)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, default_country_code: str | None = None
    ) -> CustomerIndex:
        """Build the index from a customer frame (see
        :func:`~crmkit.domain.customers_from_frame`, which reads the rows).

        Every row is read as a customer, so every contact point of the ``contacts``
        column is indexed (not only the first ``email`` / ``phone``); an invalid row
        raises naming the row.

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame(
        ...     {"name": ["Sara"], "phone": ["0912 123 4567"]},
        ...     index=pd.Index(["C1"], name="customer_id"),
        ... )
        >>> CustomerIndex.from_frame(f, default_country_code="98").by_phone("+989121234567")
        ('C1',)
        """
        from crmkit.domain.frames import customers_from_frame

        return cls(customers_from_frame(frame, default_country_code=default_country_code))

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return (
            f"CustomerIndex({self._n} customers, {len(self._phones)} phone numbers, "
            f"{len(self._emails)} e-mail addresses, {len(self._ids)} national IDs)"
        )

    def by_phone(self, phone: str, *, default_country_code: str | None = None) -> tuple[str, ...]:
        """Codes of the customers with this phone, mobile or fax number.

        Raises
        ------
        InvalidValueError
            If ``phone`` cannot be put in E.164 form (see
            :func:`~crmkit.domain.quality.normalize_phone`).
        """
        key = normalize_phone(phone, default_country_code=default_country_code)
        return self._phones.get(key, ())

    def by_email(self, email: str) -> tuple[str, ...]:
        """Codes of the customers with this e-mail address (case-insensitive).

        Raises
        ------
        InvalidValueError
            If ``email`` is not a valid address.
        """
        return self._emails.get(normalize_email(email), ())

    def by_national_id(self, national_id: str) -> tuple[str, ...]:
        """Codes of the customers with this national ID (digits normalised).

        Raises
        ------
        InvalidValueError
            If ``national_id`` is empty, not text, or all digits but not a valid Iranian
            national ID.
        """
        if not isinstance(national_id, str):
            raise InvalidValueError(f"national_id={show(national_id)} must be a string.")
        key: Any = check_national_id("national_id", national_id)
        if key is None:
            raise InvalidValueError("national_id is empty; pass the ID to look up.")
        return self._ids.get(key, ())
