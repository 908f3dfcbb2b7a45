"""Robustness of crmkit.codes and crmkit.domain: junk in, crmkit errors out, never a hang.

In the spirit of python-stdnum's robustness tests: every public class, function and
method of the two packages is called with junk for its arguments (wrong types, None,
NaN, inf, huge numbers and strings, bytes, empty values, bad dates, numeric strings,
frames and Series where scalars belong). Each call must return or raise a
:class:`crmkit.exceptions.CrmkitError`, within a time limit. The ``*_is_valid``
functions must never raise at all, whatever the input (also lone surrogates and ``str``
subclasses whose methods raise).
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit.codes as codes
import crmkit.domain as domain
import crmkit.domain.quality as quality
from crmkit.codes import checksums, checksums_iran
from crmkit.exceptions import CrmkitError, InvalidCodeError, InvalidValueError

TIME_LIMIT = 5.0  # seconds per call


@pytest.fixture(autouse=True, scope="module")
def _work_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Junk such as ``"yes"`` is a valid file name for ``to_csv``: write it elsewhere."""
    old = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("sweep"))
    try:
        yield
    finally:
        os.chdir(old)


class RaisingStr(str):
    """A str whose methods raise: code checks must not call them."""

    def _boom(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("method of a str subclass called")

    __len__ = __iter__ = __getitem__ = __eq__ = __hash__ = _boom  # type: ignore[assignment]
    strip = upper = lower = isdigit = isalnum = isascii = translate = encode = _boom  # type: ignore[assignment]
    startswith = endswith = replace = split = _boom  # type: ignore[assignment]


JUNK: list[Any] = [
    None,
    float("nan"),
    float("inf"),
    -1,
    0,
    1.5,
    10**400,
    True,
    "",
    "abc",
    "1_000",
    "yes",
    "2024-13-45",
    "1" * 5000,
    "\ud800",
    b"12",
    [],
    {},
    (),
    ["x", None],
    {"a": object()},
    object(),
    pd.NaT,
    dt.datetime(9999, 12, 31),
    pd.Series([1, None], dtype=object),
    pd.DataFrame({"a": [1]}),
]

T = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _registry() -> codes.CodeRegistry:
    reg = codes.CodeRegistry(clock=lambda: T)
    reg.allocate("customer")
    reg.allocate("customer")
    return reg


def _samples() -> dict[str, Any]:
    return {
        "Customer": domain.Customer(code="C1", name="Sara"),
        "Opportunity": domain.Opportunity.open(
            opportunity_id="O1",
            customer_code="C1",
            amount=10.0,
            probability=0.5,
            expected_close="2024-02-01",
            on="2024-01-01",
        ),
        "Relationship": domain.Relationship.start(customer_code="C1", on="2023-01-01"),
        "Complaint": domain.Complaint(
            complaint_id="K1",
            customer_code="C1",
            item_code="P1",
            steps=[domain.ComplaintStep(stage="received", at=T)],
        ),
        "ResolvedComplaint": domain.Complaint.receive(
            complaint_id="K2", customer_code="C1", item_code="P1", at=T
        )
        .advance("acknowledged", at=T + dt.timedelta(hours=1))
        .advance("resolved", at=T + dt.timedelta(hours=5)),
        "TerminatedRelationship": domain.Relationship.start(
            customer_code="C1", on="2023-01-01"
        ).terminate(on="2024-01-01"),
        "Interaction": domain.Interaction(
            customer_code="C1",
            at=T,
            channel="chat",
            kind="service",
            phase="after sale",
            direction="inbound",
        ),
        "CodeRegistry": _registry(),
        "NgramIndex": quality.NgramIndex(["ali", "sara"]),
        "PrefixedScheme": codes.PrefixedScheme(prefix="CUST", width=6),
        "LocalCodeScheme": codes.LocalCodeScheme(source="Tabriz"),
        "IbanScheme": codes.IbanScheme(check_country=False),
        "IranNationalID": codes.IranNationalID(accept_unpadded=True),
        "IranLegalID": codes.IranLegalID(middle_zeros="accept"),
        "GlobalTradeItemNumber": codes.GlobalTradeItemNumber(prefix_check="trade"),
        "GlobalLocationNumber": codes.GlobalLocationNumber(prefix_check="known"),
        "SerialShippingContainerCode": codes.SerialShippingContainerCode(),
        "IranCodeProduct": codes.IranCodeProduct(),
        "IranCodeService": codes.IranCodeService(),
        "CodeEntry": codes.CodeEntry(
            code="CUST-000001-8", kind="customer", scheme="CUST internal", created=T
        ),
        "Demographics": domain.Demographics(birth_date="1990-05-01", gender="female"),
        "RichCustomer": domain.Customer(
            code="C9",
            name="Sara Karimi",
            demographics=domain.Demographics(birth_date="1990-05-01"),
            contacts=[
                domain.ContactPoint(channel="e-mail", value="s@x.ir"),
                domain.ContactPoint(channel="mobile", value="+989121234567"),
            ],
            tags=("vip",),
            life_events=[domain.LifeEvent(kind="marriage", on="2020-01-01")],
        ),
        "ContactPoint": domain.ContactPoint(channel="e-mail", value="a@b.ir"),
        "LifeEvent": domain.LifeEvent(kind="marriage", on="2024-01-01"),
        "StageChange": domain.StageChange(stage="maintenance", on="2024-01-01"),
        "PipelineStep": domain.PipelineStep(stage="prospecting", on="2024-01-01"),
        "ComplaintStep": domain.ComplaintStep(stage="received", at=T),
    }


def _targets() -> dict[str, Callable[..., Any]]:
    """label -> callable, for every public name of crmkit.codes, .domain, .domain.quality."""
    out: dict[str, Callable[..., Any]] = {}
    samples = _samples()
    for prefix, mod in (("codes", codes), ("domain", domain), ("quality", quality)):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or isinstance(obj, enum.EnumMeta):
                continue
            if inspect.isclass(obj):
                if issubclass(obj, BaseException):
                    continue
                out[f"{prefix}.{name}()"] = obj
                for mname, member in inspect.getmembers(obj):
                    static = inspect.getattr_static(obj, mname, None)
                    if not mname.startswith("_") and isinstance(
                        static, classmethod | staticmethod
                    ):
                        out[f"{prefix}.{name}.{mname}"] = member
                extra = {
                    "Complaint": "ResolvedComplaint",
                    "Relationship": "TerminatedRelationship",
                }
                for key in (name, extra.get(name)):
                    if key not in samples:
                        continue
                    for mname, member in inspect.getmembers(samples[key], callable):
                        if not mname.startswith("_") and f"{prefix}.{name}.{mname}" not in out:
                            out[f"{prefix}.{key}#{mname}"] = member
            elif hasattr(obj, "validate") and hasattr(obj, "is_valid"):  # scheme instances
                for mname in ("compact", "validate", "is_valid", "format_code", "parse"):
                    out[f"{prefix}.{name}.{mname}"] = getattr(obj, mname)
            elif callable(obj):
                out[f"{prefix}.{name}"] = obj
    return out


TARGETS = _targets()


class _Timeout(BaseException):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def fire(*_: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _params(func: Callable[..., Any]) -> list[inspect.Parameter]:
    sig = inspect.signature(func)
    return [
        p
        for p in sig.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _call(label: str, func: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    args = [
        kwargs.pop(p.name)
        for p in _params(func)
        if p.kind is p.POSITIONAL_ONLY and p.name in kwargs
    ]
    try:
        with time_limit(TIME_LIMIT):
            func(*args, **kwargs)
    except CrmkitError:
        return
    except _Timeout:
        pytest.fail(f"{label}{kwargs!r} did not finish within {TIME_LIMIT} s")
    except TypeError as exc:
        # calling with a missing or unknown argument is a call error, not a value error
        text = str(exc)
        if "argument" in text and any(w in text for w in ("missing", "positional", "keyword")):
            return
        pytest.fail(f"{label}: TypeError {exc} for {kwargs!r}")
    except Exception as exc:  # the contract: nothing but crmkit errors
        pytest.fail(f"{label}: {type(exc).__name__}: {exc} for {kwargs!r}")


def test_every_public_name_is_swept() -> None:
    names = {label.split("(")[0].split("#")[0].rsplit(".", 1)[0] for label in TARGETS}
    assert "codes.CodeRegistry" in names
    assert len(TARGETS) > 100


@pytest.mark.parametrize("label", sorted(TARGETS))
def test_one_junk_argument_at_a_time(label: str) -> None:
    func = TARGETS[label]
    for p in _params(func):
        for value in JUNK:
            _call(label, func, {p.name: value})


def _good_calls() -> dict[str, dict[str, Any]]:
    """A valid call of each multi-argument target: junk then replaces one argument."""
    s = _samples()
    comp = s["Complaint"].advance("acknowledged", at=T + dt.timedelta(hours=1))
    customers = domain.customers_to_frame(
        [
            domain.Customer(code="C1", name="Ali Rezaei"),
            domain.Customer(code="C2", name="Ali Rezai"),
        ]
    )
    opp = {
        "opportunity_id": "O1",
        "customer_code": "C1",
        "amount": 10.0,
        "probability": 0.5,
        "expected_close": "2024-02-01",
    }
    rel = s["Relationship"].terminate(on="2024-01-01")
    return {
        "codes.PrefixedScheme#make": {"number": 42},
        "codes.CodeRegistry.from_records": {
            "records": _registry().to_records(),
            "schemes": {"customer": codes.PrefixedScheme(prefix="CUST", width=6)},
            "clock": lambda: T,
            "schemes_by_name": [codes.GTIN],
        },
        "domain.Opportunity()": {**opp, "history": s["Opportunity"].history, "currency": "IRR"},
        "domain.Relationship()": {
            "customer_code": "C1",
            "counterparty": "organisation",
            "shape": "one-to-one",
            "history": rel.history,
        },
        "domain.customers_from_frame": {"frame": customers, "default_country_code": "98"},
        "domain.customers_to_frame": {"customers": [s["Customer"]]},
        "domain.complaints_from_frame": {"frame": domain.complaints_to_frame([comp])},
        "domain.relationships_from_frame": {"frame": domain.relationships_to_frame([rel])},
        "quality.NgramIndex#upper_bound": {"left": [0], "right": [1]},
        "quality.normalize_phone": {"phone": "0912 123 4567", "default_country_code": "98"},
        "quality.normalize_phone_series": {
            "values": pd.Series(["0912 123 4567"]),
            "default_country_code": "98",
        },
        "quality.MergeResult()": {
            "customer": s["Customer"],
            "interactions": (),
            "complaints": (),
            "opportunities": (),
        },
        "codes.CodeRegistry#register": {
            "code": "6261234567897",
            "kind": "product",
            "scheme": codes.GTIN,
        },
        "codes.CodeRegistry#link": {
            "code": "CUST-000001-8",
            "external": "6261234567897",
            "scheme": codes.GTIN,
        },
        "codes.CodeRegistry#lookup": {"external": "6261234567897", "scheme": codes.GTIN},
        "codes.CodeRegistry#merge": {"source": "CUST-000002-6", "into": "CUST-000001-8"},
        "codes.CodeRegistry#allocate": {"kind": "customer", "label": "x", "attributes": {"a": 1}},
        "codes.CodeEntry()": {"code": "X1", "kind": "customer", "scheme": "local:B", "created": T},
        "codes.GS1Prefix()": {
            "start": "626",
            "end": "626",
            "usage": "member",
            "organisation": "GS1 Iran",
        },
        "codes.PrefixedScheme()": {"prefix": "CUST", "width": 6, "check": "luhn"},
        "codes.iban_check_digits": {"country": "IR", "bban": "0570029971601460641001"},
        "codes.validate_column": {"series": pd.Series(["6261234567897"]), "scheme": codes.GTIN},
        "codes.import_branch_codes": {
            "frame": pd.DataFrame(
                {"branch": ["T"], "local_code": ["P1"], "item": ["6261234567897"]}
            ),
            "registry": codes.CodeRegistry(clock=lambda: T),
            "kind": "product",
            "item_scheme": codes.GTIN,
        },
        "domain.Customer()": {
            "code": "C1",
            "name": "Sara",
            "tags": ("a",),
            "national_id": "0499370899",
        },
        "domain.ContactPoint()": {
            "channel": "mobile",
            "value": "09121234567",
            "default_country_code": "98",
        },
        "domain.LifeEvent()": {"kind": "marriage", "on": "2024-01-01"},
        "domain.StageChange()": {"stage": "maintenance", "on": "2024-01-01"},
        "domain.PipelineStep()": {"stage": "prospecting", "on": "2024-01-01"},
        "domain.ComplaintStep()": {"stage": "received", "at": T, "channel": "web"},
        "domain.Complaint()": {
            "complaint_id": "K1",
            "customer_code": "C1",
            "item_code": "P1",
            "steps": comp.steps,
        },
        "domain.Complaint.receive": {
            "complaint_id": "K1",
            "customer_code": "C1",
            "item_code": "P1",
            "at": T,
        },
        "domain.Complaint#advance": {"stage": "acknowledged", "at": T + dt.timedelta(hours=1)},
        "domain.Interaction()": {
            "customer_code": "C1",
            "at": T,
            "channel": "web",
            "kind": "sales",
            "phase": "during sale",
            "direction": "inbound",
            "amount": 5.0,
            "currency": "IRR",
        },
        "domain.Opportunity.open": {**opp, "on": "2024-01-01"},
        "domain.Opportunity#advance": {"stage": "qualification", "on": "2024-01-10"},
        "domain.Relationship.start": {"customer_code": "C1", "on": "2023-01-01"},
        "domain.Relationship#transition_to": {"stage": "maintenance", "on": "2023-06-01"},
        "domain.Relationship#terminate": {"on": "2024-01-01", "reason": "moved"},
        "domain.Relationship#tenure": {"as_of": "2024-01-01", "time_unit": "M"},
        "domain.Customer#apply": {"event": domain.LifeEvent(kind="marriage", on="2024-01-01")},
        "domain.complaint_stage_durations": {
            "complaints": domain.complaints_to_frame([comp]),
            "time_unit": "D",
            "observation_end": T + dt.timedelta(days=2),
        },
        "domain.complaints_per_item": {"complaints": domain.complaints_to_frame([comp])},
        "domain.weighted_forecast": {
            "opportunities": [s["Opportunity"]],
            "period": "M",
            "include_closed": False,
        },
        "domain.contacts_before_first_purchase": {
            "interactions": domain.interactions_to_frame([s["Interaction"]]),
            "purchases": None,
        },
        "quality.jaro_winkler": {"a": "ali", "b": "aly", "prefix_scale": 0.1},
        "quality.ngram_jaccard": {"left": ["ali"], "right": ["aly"], "n": 2, "pad": True},
        "quality.NgramIndex()": {
            "strings": ["ali", "sara"],
            "n": 2,
            "pad": True,
            "max_length": 20,
        },
        "quality.NgramIndex#jaccard": {"left": [0], "right": [1], "chunk_size": 10},
        "quality.blocking_key": {"frame": customers, "key": "initials_birth_year"},
        "quality.find_duplicates": {"frame": customers, "threshold": 0.5, "max_block_size": 10},
        "quality.merge_records": {
            "survivor": s["Customer"],
            "others": [domain.Customer(code="C2", name="Sara")],
            "interactions": [s["Interaction"]],
        },
        "quality.remap_ids": {
            "frame": customers.reset_index(),
            "mapping": pd.Series({"C2": "C1"}),
        },
        "quality.merge_customer_frame": {
            "customers": customers,
            "survivors": pd.Series({"C1": "C1", "C2": "C1"}),
        },
        "quality.cluster_duplicates": {
            "pairs": pd.DataFrame(
                {"customer_id_left": ["C1"], "customer_id_right": ["C2"], "score": [0.9]}
            ),
            "threshold": 0.5,
        },
    }


GOOD = _good_calls()


def test_good_calls_succeed() -> None:
    for label, kwargs in GOOD.items():
        assert label in TARGETS, label
        if label.startswith("codes.CodeRegistry#"):  # on a fresh registry: calls change it
            reg = codes.CodeRegistry(clock=lambda: T)
            reg.allocate("customer")
            reg.allocate("customer")
            if label.endswith("lookup"):
                reg.link("CUST-000001-8", "6261234567897", scheme=codes.GTIN)
            getattr(reg, label.split("#")[1])(**kwargs)
        else:
            TARGETS[label](**kwargs)


@pytest.mark.parametrize("label", sorted(GOOD))
def test_one_junk_argument_in_a_good_call(label: str) -> None:
    func = TARGETS[label]
    for p in _params(func):
        for value in JUNK:
            _call(label, func, {**GOOD[label], p.name: value})


@pytest.mark.parametrize("label", sorted(TARGETS))
@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_junk_in_every_argument(label: str, data: st.DataObject) -> None:
    func = TARGETS[label]
    kwargs = {
        p.name: data.draw(st.sampled_from(JUNK), label=p.name)
        for p in _params(func)
        if p.default is p.empty or data.draw(st.booleans())
    }
    _call(label, func, kwargs)


# ------------------------------------------------------------ never-raising checks
IS_VALID: list[Callable[[Any], bool]] = [
    checksums.gs1_is_valid,
    checksums.luhn_is_valid,
    checksums.mod97_10_is_valid,
    checksums.mod11_2_is_valid,
    checksums_iran.iran_national_id_is_valid,
    checksums_iran.iran_legal_id_is_valid,
    *(
        getattr(codes, n).is_valid
        for n in codes.__all__
        if hasattr(getattr(codes, n), "is_valid") and not inspect.isclass(getattr(codes, n))
    ),
    codes.IbanScheme(check_country=False).is_valid,
    codes.IranNationalID(accept_unpadded=True, middle_zeros="accept").is_valid,
    codes.PrefixedScheme(prefix="CUST", width=6, check="mod97").is_valid,
    codes.LocalCodeScheme(source="Tabriz").is_valid,
]
CHECK_DIGIT: list[Callable[[Any], str]] = [
    checksums.gs1_check_digit,
    checksums.luhn_check_digit,
    checksums.mod97_10_check_digits,
    checksums.mod11_2_check_digit,
    checksums_iran.iran_national_id_check_digit,
    checksums_iran.iran_legal_id_check_digit,
]

anything = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=("Cs", "Nd", "Lu", "Zs")), max_size=40),
    st.text(alphabet="0123456789", min_size=1000, max_size=6000),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=100, max_size=3000),
    st.binary(max_size=30),
    st.integers(),
    st.floats(),
    st.none(),
    st.builds(RaisingStr, st.text(alphabet="0123456789", max_size=30)),
    st.sampled_from(JUNK),
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(value=anything)
def test_is_valid_never_raises(value: Any) -> None:
    for check in IS_VALID:
        with time_limit(TIME_LIMIT):
            assert check(value) in (True, False)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(value=anything)
def test_check_digits_and_validate_raise_only_invalid_code_error(value: Any) -> None:
    for compute in CHECK_DIGIT:
        try:
            with time_limit(TIME_LIMIT):
                compute(value)
        except InvalidCodeError:
            pass
    for name in ("GTIN", "GLN", "SSCC", "IBAN", "SHEBA", "IRAN_NATIONAL_ID", "IRAN_LEGAL_ID"):
        scheme = getattr(codes, name)
        for method in (scheme.compact, scheme.validate, scheme.format_code, scheme.parse):
            try:
                with time_limit(TIME_LIMIT):
                    method(value)
            except InvalidCodeError:
                pass


def test_huge_payloads_give_invalid_code_error_not_value_error() -> None:
    huge = "1" * 5000
    assert codes.mod97_10_is_valid(huge) is False
    assert len(codes.mod97_10_check_digits(huge)) == 2  # digit by digit: any length works
    assert len(codes.iban_check_digits("DE", huge)) == 2
    with pytest.raises(InvalidCodeError):
        codes.iban_check_digits("D", huge)
    with pytest.raises(InvalidCodeError):
        codes.mod97_10_check_digits(b"1234")  # type: ignore[arg-type]
    with pytest.raises(InvalidCodeError) as err:
        codes.IBAN.validate("DE89" + huge)
    assert len(str(err.value)) < 500  # the message shows a shortened code


def test_mod97_matches_integer_arithmetic_on_long_inputs() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 5, 50, 1200):
        digits = "".join(map(str, rng.integers(0, 10, size=n)))
        expected = 98 - int(digits) * 100 % 97
        assert codes.mod97_10_check_digits(digits) == f"{expected:02d}"


def test_raising_str_subclass_is_read_as_its_text() -> None:
    assert codes.GTIN.is_valid(RaisingStr("7501031311309"))
    assert codes.luhn_is_valid(RaisingStr("79927398713"))
    assert codes.GTIN.validate(RaisingStr("7501031311309")) == "7501031311309"


# ------------------------------------------------------------ named regressions
@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: codes.GlobalTradeItemNumber(lengths=(9,)), "lengths="),
        (lambda: codes.GlobalTradeItemNumber(lengths="13"), "lengths="),
        (lambda: codes.GlobalTradeItemNumber(prefix_check="yes"), "prefix_check="),
        (lambda: codes.IranNationalID(accept_unpadded="yes"), "accept_unpadded="),
        (lambda: codes.IranNationalID(repeated_digits=None), "repeated_digits="),
        (lambda: codes.IranLegalID(middle_zeros=True), "middle_zeros="),
        (lambda: codes.IbanScheme(check_country="no"), "check_country="),
        (lambda: codes.PrefixedScheme(prefix=5, width=6), "prefix="),
        (lambda: codes.PrefixedScheme(prefix="C", width=6, check="crc"), "check="),
        (lambda: codes.lookup_gs1_prefix(626), "prefix="),
        (lambda: domain.Opportunity.from_record({}), "lacks required field"),
        (lambda: domain.PipelineStep.from_record("stage"), "mapping"),
        (
            lambda: domain.Opportunity.open(
                opportunity_id="O1",
                customer_code="C1",
                amount="1_000",
                probability=0.5,
                expected_close="2024-02-01",
                on="2024-01-01",
            ),
            "amount='1_000' is text",
        ),
        (
            lambda: domain.Opportunity.open(
                opportunity_id="O1",
                customer_code="C1",
                amount=10**400,
                probability=0.5,
                expected_close="2024-02-01",
                on="2024-01-01",
            ),
            "too large",
        ),
        (
            lambda: domain.Interaction(
                customer_code="C1",
                at=T,
                channel="web",
                kind="sales",
                phase="during sale",
                direction="inbound",
                amount="12.5",
            ),
            "amount='12.5' is text",
        ),
        (
            lambda: domain.Opportunity.open(
                opportunity_id="O1",
                customer_code="C1",
                amount=10.0,
                probability=np.bool_(True),
                expected_close="2024-02-01",
                on="2024-01-01",
            ),
            "not a bool",
        ),
        (
            lambda: domain.StageChange(stage="maintenance", on="2024-01-01", reactivation="no"),
            "reactivation=",
        ),
        (lambda: domain.weighted_forecast([], period=pd.Series(["Q"])), "period="),
        (lambda: domain.complaints_to_frame(None), "collection"),
        (lambda: quality.jaro_winkler("a" * 20_000, "b"), "up to 10000"),
        (lambda: quality.jaro_winkler("a", "b", prefix_scale="0.1"), "is text"),
        (lambda: quality.NgramIndex([1, 2]), "not a str"),
        (
            lambda: quality.find_duplicates(pd.DataFrame({"name": ["a"]}), threshold="0.5"),
            "is text",
        ),
    ],
)
def test_wrong_arguments_name_the_field(build: Callable[[], Any], needle: str) -> None:
    with pytest.raises(InvalidValueError, match=None) as err:
        build()
    assert needle in str(err.value), str(err.value)


# ------------------------------------------------------------ junk cells in frames
def _frames() -> dict[str, tuple[pd.DataFrame, Callable[[pd.DataFrame], Any]]]:
    s = _samples()
    reg = codes.CodeRegistry(clock=lambda: T)
    reg.allocate("customer", label="NA")
    reg.allocate("customer", label="")
    comp = s["Complaint"].advance("acknowledged", at=T + dt.timedelta(hours=1))
    return {
        "customers": (
            domain.customers_to_frame([s["Customer"], domain.Customer(code="C2", name="Ali")]),
            domain.customers_from_frame,
        ),
        "interactions": (
            domain.interactions_to_frame([s["Interaction"]] * 2),
            domain.interactions_from_frame,
        ),
        "complaints": (domain.complaints_to_frame([comp]), domain.complaints_from_frame),
        "complaint_stage_durations": (
            domain.complaints_to_frame([comp]),
            domain.complaint_stage_durations,
        ),
        "complaints_per_item": (domain.complaints_to_frame([comp]), domain.complaints_per_item),
        "opportunities": (
            domain.opportunities_to_frame([s["Opportunity"]] * 2),
            domain.opportunities_from_frame,
        ),
        "weighted_forecast": (
            domain.opportunities_to_frame([s["Opportunity"]] * 2),
            domain.weighted_forecast,
        ),
        "relationships": (
            domain.relationships_to_frame([s["Relationship"].terminate(on="2024-01-01")]),
            domain.relationships_from_frame,
        ),
        "contacts_before_first_purchase": (
            domain.interactions_to_frame([s["Interaction"]] * 2),
            domain.contacts_before_first_purchase,
        ),
        "registry": (reg.to_frame(), codes.CodeRegistry.from_frame),
        "import_branch_codes": (
            pd.DataFrame(
                {
                    "branch": ["Tehran", "Tabriz", "Shiraz"],
                    "local_code": ["P1", "K-7", "P1"],
                    "item": ["6261234567897", "6261234567897", "6291041500213"],
                }
            ),
            lambda f: codes.import_branch_codes(
                f, codes.CodeRegistry(clock=lambda: T), kind="product", item_scheme=codes.GTIN
            ),
        ),
        "validate_column": (
            pd.DataFrame({"code": ["6261234567897", "x", None]}),
            lambda f: codes.validate_column(f["code"], codes.GTIN),
        ),
    }


FRAMES = _frames()


@pytest.mark.parametrize("label", sorted(FRAMES))
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_junk_cells_give_crmkit_errors(label: str, data: st.DataObject) -> None:
    frame, func = FRAMES[label]
    bad = frame.astype(object)
    for _ in range(data.draw(st.integers(1, 3), label="cells")):
        row = data.draw(st.integers(0, len(bad) - 1), label="row")
        col = data.draw(st.integers(0, bad.shape[1] - 1), label="column")
        bad.iat[row, col] = data.draw(st.sampled_from(JUNK[:-2]), label="value")  # noqa: PD009
    before = bad.copy()
    try:
        with time_limit(TIME_LIMIT):
            func(bad)
    except CrmkitError:
        pass
    except _Timeout:
        pytest.fail(f"{label} did not finish within {TIME_LIMIT} s")
    except Exception as exc:
        pytest.fail(f"{label}: {type(exc).__name__}: {exc}\n{bad}")
    pd.testing.assert_frame_equal(bad, before)  # inputs are never modified


def test_real_numbers_of_any_kind_are_accepted() -> None:
    from decimal import Decimal
    from fractions import Fraction

    for amount, expected in [
        (Decimal("10.5"), 10.5),
        (Fraction(1, 4), 0.25),
        (np.float32(2.5), 2.5),
        (np.int64(7), 7.0),
    ]:
        opp = domain.Opportunity.open(
            opportunity_id="O1",
            customer_code="C1",
            amount=amount,
            probability=0.5,
            expected_close="2024-02-01",
            on="2024-01-01",
        )
        assert opp.amount == expected
