"""Duplicate detection across sources: exact keys plus fuzzy names within blocks.

Comparing every record with every other is quadratic (5·10¹¹ pairs for a million
customers), so :func:`find_duplicates` only compares records that share a key:

1. **exact keys** — the same normalised national ID, e-mail or phone number is a
   duplicate with score 1;
2. **blocks** — records sharing a *blocking key* (by default the last 7 digits of the
   phone number, or the name initials plus the birth year) are candidate pairs; their
   normalised names are compared with the character-bigram Jaccard similarity
   (:mod:`crmkit.domain.quality.similarity`) and kept when it reaches ``threshold``.

Pairs are generated per block with array arithmetic (no Python loop per record or per
pair); blocks larger than ``max_block_size`` are skipped with a
:class:`~crmkit.exceptions.DegenerateDataWarning` naming them (use a finer key).

Examples
--------
>>> import pandas as pd
>>> people = pd.DataFrame(
...     {
...         "name": ["Ali Rezaei", "علي رضايي", "Ali Rezai", "Sara Ahmadi"],
...         "email": ["ali@x.ir", None, "ALI@X.IR", "sara@y.ir"],
...         "phone": ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", None, "09350000000"],
...         "birth_date": pd.to_datetime(["1980-01-01", "1980-01-01", "1980-05-01", "1990-01-01"]),
...     },
...     index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"),
... )
>>> pairs = find_duplicates(people, exact_keys=("email", "phone"), default_country_code="98")
>>> pairs[["customer_id_left", "customer_id_right", "score", "email", "phone"]]
  customer_id_left customer_id_right  score  email  phone
0               C1                C2    1.0  False   True
1               C1                C3    1.0   True  False
"""

from __future__ import annotations

import itertools
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crmkit._dates import to_datetime
from crmkit._text import CODE_SEPARATOR_PATTERN, DIGIT_TABLE
from crmkit._validation import check_callable, require_columns
from crmkit.codes._base import show
from crmkit.columns import CUSTOMER_ID
from crmkit.domain import _common as cv
from crmkit.domain.quality.normalize import (
    _as_text,
    normalize_email_series,
    normalize_name_series,
    normalize_phone_series,
)
from crmkit.domain.quality.similarity import NgramIndex
from crmkit.exceptions import DegenerateDataWarning, InvalidValueError

_logger = logging.getLogger("crmkit.domain")

__all__ = ["BLOCKING_KEYS", "EXACT_KEYS", "blocking_key", "find_duplicates"]

EXACT_KEYS: Final = ("national_id", "email", "phone")
"""Exact keys :func:`find_duplicates` understands (each a column of the same name)."""

BLOCKING_KEYS: Final = ("phone_suffix", "initials_birth_year")
"""Built-in blocking keys; any other name is taken as a column holding a key."""
_BIRTH: Final = "column 'birth_date'"


def _national_id(values: pd.Series) -> pd.Series:
    # the scalar rule of Customer.national_id (crmkit._text.strip_code_separators), vectorised
    s = _as_text(values, DIGIT_TABLE).str.replace(CODE_SEPARATOR_PATTERN, "", regex=True)
    return s.mask(s == "")


def blocking_key(frame: pd.DataFrame, key: str, *, names: pd.Series | None = None) -> pd.Series:
    """Blocking key values of every record (``<NA>`` where the key cannot be formed).

    ``"phone_suffix"``: the last 7 digits of ``phone`` (after digit normalisation), so
    the same number in national and international form shares a block.
    ``"initials_birth_year"``: first letters of the first and last word of the
    normalised ``name`` plus the year of ``birth_date``. Any other ``key`` must be a
    column of ``frame`` and is used as it is. ``names`` may pass already normalised
    names (aligned with ``frame``) to save work.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame(
    ...     {
    ...         "name": ["Ali Reza Karimi"],
    ...         "phone": ["0912 123 4567"],
    ...         "birth_date": pd.to_datetime(["1985-03-02"]),
    ...     }
    ... )
    >>> blocking_key(f, "initials_birth_year").tolist(), blocking_key(f, "phone_suffix").tolist()
    (['ak1985'], ['1234567'])
    """
    frame = cv.frame_arg("frame", frame)
    key = cv.str_arg("key", key)
    if names is not None:
        names = cv.series_arg("names", names)
        if len(names) != len(frame):
            raise InvalidValueError(
                f"names has {len(names)} values but the frame has {len(frame)} rows; align them."
            )
        odd = [v for v in names.tolist() if not (isinstance(v, str) or cv.is_missing(v))]
        if odd:
            raise InvalidValueError(
                f"names holds {show(odd[0])}; pass normalised names (text, or missing)."
            )
    if key == "phone_suffix":
        require_columns(frame, ["phone"])
        digits = frame["phone"].astype("string").str.translate(DIGIT_TABLE)
        digits = digits.str.replace(r"\D", "", regex=True)
        return digits.str.slice(-7).where(digits.str.len() >= 7)
    if key == "initials_birth_year":
        require_columns(frame, ["name", "birth_date"])
        names = normalize_name_series(frame["name"]) if names is None else names
        first = names.str.slice(0, 1)
        last = names.str.split(" ").str[-1].str.slice(0, 1)
        born: pd.Series[pd.Timestamp] = to_datetime(frame["birth_date"], name=_BIRTH)
        year = born.dt.year.astype("Int64").astype("string")
        return first + last + year
    if key not in frame.columns:
        raise InvalidValueError(
            f"blocking key {key!r} is neither built in {list(BLOCKING_KEYS)} nor a column "
            f"of the frame; available columns are {sorted(map(str, frame.columns))}."
        )
    return frame[key].astype("string")


def _iter_pairs(
    key: pd.Series, max_block_size: int, label: str, chunk_pairs: int = 4_000_000
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Yield chunks of all pairs (i < j) of row positions sharing a non-missing key value.

    Blocks are grouped so that each chunk holds about ``chunk_pairs`` pairs, which bounds
    the memory of dense blocking keys.
    """
    codes, _ = pd.factorize(key, use_na_sentinel=True)
    pos = np.flatnonzero(codes >= 0)
    if pos.size == 0:
        return
    order = pos[np.argsort(codes[pos], kind="stable")]
    c = codes[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, c.size])
    big = sizes > max_block_size
    if big.any():
        examples = key.iloc[order[starts[big][:3]]].tolist()
        warnings.warn(
            f"{int(big.sum())} block(s) of {label!r} have more than max_block_size="
            f"{max_block_size} records (largest {int(sizes.max())}, e.g. keys {examples}) and "
            "were not compared; use a finer blocking key or raise max_block_size.",
            DegenerateDataWarning,
            stacklevel=4,
        )
    keep = (sizes > 1) & ~big
    starts, sizes = starts[keep], sizes[keep]
    n_pairs = sizes * (sizes - 1) // 2
    group = np.cumsum(n_pairs) // max(chunk_pairs, 1)
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True])
    for a, b in itertools.pairwise(bounds):
        st, sz = starts[a:b], sizes[a:b]
        # each member at rank r of a block of size s pairs with ranks r+1 .. s-1
        member_start = np.repeat(st, sz)
        member_end = member_start + np.repeat(sz, sz)
        member = member_start + (np.arange(member_start.size) - np.repeat(np.cumsum(sz) - sz, sz))
        count = member_end - member - 1
        left = np.repeat(member, count)
        offs = np.arange(left.size) - np.repeat(np.cumsum(count) - count, count) + 1
        i, j = order[left], order[left + offs]
        yield np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)


def _pairs_within(
    key: pd.Series, max_block_size: int, label: str
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All pairs (i < j) of row positions sharing a non-missing key value."""
    chunks = list(_iter_pairs(key, max_block_size, label))
    if not chunks:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])


def find_duplicates(
    frame: pd.DataFrame,
    *,
    name_col: str = "name",
    exact_keys: Sequence[str] = EXACT_KEYS,
    blocking: Sequence[str] = BLOCKING_KEYS,
    threshold: float = 0.75,
    default_country_code: str | None = None,
    max_block_size: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Scored candidate duplicate pairs of customer records.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer record, indexed by ``customer_id`` (e.g. from
        :func:`~crmkit.domain.customers_to_frame`, or several sources concatenated),
        with ``name`` and the columns the chosen keys need: ``national_id``,
        ``email``, ``phone``, ``birth_date``. Values are normalised here (digits,
        letter variants, case, whitespace); the frame is not modified.
    name_col : str, default "name"
    exact_keys : sequence of {"national_id", "email", "phone"}
        Keys whose equality alone makes a duplicate (score 1).
    blocking : sequence of str
        Blocking keys for fuzzy name matching (see :func:`blocking_key`).
    threshold : float in [0, 1], default 0.75
        Minimum name similarity for a pair found only through a block.
    default_country_code : str, optional
        For national phone numbers (``"98"`` for Iran).
    max_block_size : int, default 1000
        Larger blocks are skipped with a warning.
    progress : callable, optional
        Called with a short message after each phase (normalising, indexing, each key
        with the candidate pairs it found and the seconds it took); the same messages go
        to the ``crmkit.domain`` logger at INFO level. A million records take tens of
        seconds.

    Returns
    -------
    pandas.DataFrame
        One row per candidate pair, sorted by ``score`` descending then ids:
        ``customer_id_left``, ``customer_id_right`` (left is the earlier row),
        ``score`` (1 for an exact-key match, else the name similarity),
        ``name_similarity`` (bigram Jaccard of the normalised names), one boolean
        column per exact key telling whether it matched and, when the frame has a
        ``birth_date`` column, ``same_birth_date`` (both known and equal) as further
        evidence for reviewing fuzzy pairs.

    Raises
    ------
    MissingColumnsError
        If a column a key needs is missing.
    InvalidValueError
        Bad threshold / key names, or a duplicated index.

    Warns
    -----
    DegenerateDataWarning
        When a block is larger than ``max_block_size`` and is skipped.
    """
    frame = cv.frame_arg("frame", frame)
    name_col = cv.str_arg("name_col", name_col)
    exact_keys = cv.str_items("exact_keys", exact_keys)
    blocking = cv.str_items("blocking", blocking)
    unknown = sorted(set(exact_keys) - set(EXACT_KEYS))
    if unknown:
        raise InvalidValueError(f"unknown exact key(s) {unknown}; use some of {list(EXACT_KEYS)}.")
    threshold = cv.real_arg("threshold", threshold, low=0.0, high=1.0)
    max_block_size = cv.int_arg("max_block_size", max_block_size, minimum=2)
    if default_country_code is not None:
        default_country_code = cv.str_arg("default_country_code", default_country_code)
    check_callable(progress, name="progress")
    require_columns(frame, [name_col, *exact_keys])
    if not frame.index.is_unique:
        raise InvalidValueError(
            "the frame's index (customer_id) has repeated values; give every record its "
            "own id (e.g. prefix the source name) before looking for duplicates."
        )
    clock = time.perf_counter()

    def say(message: str) -> None:
        nonlocal clock
        text = f"find_duplicates: {message} ({time.perf_counter() - clock:.1f}s)"
        clock = time.perf_counter()
        _logger.info(text)
        if progress is not None:
            progress(text)

    names = normalize_name_series(frame[name_col])

    def phone(values: pd.Series) -> pd.Series:
        return normalize_phone_series(values, default_country_code=default_country_code)

    normalisers: dict[str, Callable[[pd.Series], pd.Series]] = {
        "national_id": _national_id,
        "email": normalize_email_series,
        "phone": phone,
    }
    n = len(frame)
    say(f"normalised {n:,} names")
    index = NgramIndex(names.fillna(""))
    say("built the name index")
    flags: dict[str, NDArray[np.int64]] = {}
    parts = []
    for key in exact_keys:
        i, j = _pairs_within(normalisers[key](frame[key]), max_block_size, key)
        flags[key] = i * n + j  # already unique: one key value per record
        parts.append(flags[key])
        say(f"exact key {key!r}: {i.size:,} pairs")
    for key in blocking:
        bkey = blocking_key(frame, key, names=names)
        found = 0
        for i, j in _iter_pairs(bkey, max_block_size, key):
            # the cheap size bound first, then the similarity, chunk by chunk
            ok = index.upper_bound(i, j) >= threshold
            i, j = i[ok], j[ok]
            ok = index.jaccard(i, j) >= threshold
            parts.append(i[ok] * n + j[ok])
            found += int(ok.sum())
        say(f"blocking key {key!r}: {found:,} pairs at similarity >= {threshold}")
    pair_ids = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
    hit = {k: np.isin(pair_ids, v, assume_unique=True) for k, v in flags.items()}
    exact = np.zeros(pair_ids.size, dtype=bool)
    for v in hit.values():
        exact |= v
    left, right = pair_ids // n, pair_ids % n
    sim = index.jaccard(left, right)
    evidence = dict(hit)
    if "birth_date" in frame.columns:
        born = to_datetime(frame["birth_date"], name=_BIRTH).to_numpy(dtype="datetime64[D]")
        known = ~np.isnat(born)
        evidence["same_birth_date"] = known[left] & known[right] & (born[left] == born[right])
    ids = frame.index.to_numpy()
    out = pd.DataFrame(
        {
            f"{CUSTOMER_ID}_left": ids[left],
            f"{CUSTOMER_ID}_right": ids[right],
            "score": np.where(exact, 1.0, sim),
            "name_similarity": sim,
            **evidence,
        }
    )
    out = out.sort_values(
        ["score", f"{CUSTOMER_ID}_left", f"{CUSTOMER_ID}_right"],
        ascending=[False, True, True],
        kind="stable",
    )
    say(f"{len(out):,} candidate pairs")
    return out.reset_index(drop=True)
