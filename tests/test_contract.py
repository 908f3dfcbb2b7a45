"""The robustness contract over the whole public API (in the spirit of python-stdnum's
robustness tests, ``tests/test_robustness.doctest``).

For every name in every public ``__all__`` of crmkit, hypothesis feeds junk for each
argument (wrong types, None, NaN, inf, empty, huge integers, out-of-range dates, bad and
numeric-looking strings, bytes, empty frames, frames with wrong dtypes) mixed with
plausible values, and checks the error contract of :mod:`crmkit.exceptions`:

- the call returns, or raises a :class:`crmkit.exceptions.CrmkitError`; any other
  exception type is a violation;
- each call ends within ``TIME_LIMIT`` seconds;
- no argument is modified (frames, series, arrays, lists and dicts are compared with a
  deep copy taken before the call).

Classes are constructed with junk, and their public methods are called with junk on a
valid instance. The number of examples per name is bounded (``CRMKIT_CONTRACT_EXAMPLES``,
default 6) and the examples are derandomised, so the run is deterministic.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import importlib
import inspect
import math
import os
import signal
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmkit
from crmkit.exceptions import CrmkitError


@pytest.fixture(autouse=True)
def _in_scratch_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzed path arguments (``to_csv(path_or_buf="qP")``) write into a temporary folder."""
    monkeypatch.chdir(tmp_path)


TIME_LIMIT = 5.0
US = "datetime64[us]"  # dates past 2262 need an explicit unit: pandas 2 parses text into ns
EXAMPLES = int(os.environ.get("CRMKIT_CONTRACT_EXAMPLES", "6"))

PUBLIC_MODULES = [
    "crmkit",
    "crmkit.clv",
    "crmkit.codes",
    "crmkit.columns",
    "crmkit.datasets",
    "crmkit.domain",
    "crmkit.domain.quality",
    "crmkit.exceptions",
    "crmkit.jalali",
    "crmkit.lifecycle",
    "crmkit.maturity",
    "crmkit.metrics",
    "crmkit.pareto",
    "crmkit.report",
    "crmkit.rfm",
    "crmkit.segmentation",
    "crmkit.survival",
    "crmkit.testing",
    "crmkit.timeunits",
    "crmkit.transactions",
]

# Names whose calls are not part of the contract, with the reason.
EXCLUDED = {
    # writes an HTML report and CSV files into output_dir and runs the whole pipeline
    # (minutes on junk transaction logs); its inputs are checked by the functions it calls
    "crmkit.report.build_report": "writes files; covered through the functions it calls",
    # the fit drivers' constructor from the optimiser's private Optimum record; users get
    # a FitResult from Model.fit (to be renamed _from_optimum in crmkit.clv._fit_result)
    "crmkit.clv._fit_result.FitResult.from_optimum": "internal constructor",
}

# Known violations, (qualified name, exception type): none. A new entry needs an issue
# and a reason; the test fails on anything not listed.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


# ---------------------------------------------------------------------------- inputs


def _tx() -> pd.DataFrame:
    dates = pd.to_datetime(
        [
            "2024-01-01",
            "2024-01-20",
            "2024-03-05",
            "2024-01-10",
            "2024-02-11",
            "2024-02-01",
            "2024-04-02",
            "2024-05-20",
            "2024-03-15",
            "2024-06-01",
        ]
    )
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 5],
            "datetime": dates,
            "monetary": [10.0, 20.0, 5.0, 7.5, 12.0, 3.0, 4.0, 50.0, 9.0, 1.0],
            "amount": [10.0, 20.0, 5.0, 7.5, 12.0, 3.0, 4.0, 50.0, 9.0, 1.0],
            "profit": [2.0, 4.0, 1.0, 1.5, 2.4, 0.6, 0.8, 10.0, 1.8, 0.2],
            "product_id": ["a", "b", "a", "c", "a", "b", "b", "c", "a", "a"],
            "time": dates,
            "quantity": [1, 2, 1, 3, 1, 1, 2, 5, 1, 1],
            "price": [10.0, 10.0, 5.0, 2.5, 12.0, 3.0, 2.0, 10.0, 9.0, 1.0],
            "invoice": [f"i{k}" for k in range(10)],
        }
    )


def _summary() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    T = rng.uniform(20, 40, n).round(1)
    x = rng.integers(0, 6, n).astype(float)
    tx = np.where(x > 0, (T * rng.uniform(0.2, 1.0, n)).round(1), 0.0)
    out = pd.DataFrame(
        {
            "frequency": x,
            "recency": tx,
            "T": T,
            "monetary_value": np.where(x > 0, rng.gamma(3.0, 10.0, n), 0.0),
            "total_spend": rng.gamma(3.0, 20.0, n),
            "n_periods": 6,
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    out.attrs["crmkit_time_unit"] = "W"
    return out


def _interactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 6],
            "datetime": pd.to_datetime(["2023-12-20", "2024-01-05", "2024-02-01"]),
            "channel": ["email", "phone", "web"],
            "kind": ["contact", "contact", "contact"],
        }
    )


def _complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "complaint_id": ["c1", "c2"],
            "code": ["p1", "p2"],
            "received_at": pd.to_datetime(["2024-01-01", "2024-01-05"]),
            "resolved_at": pd.to_datetime(["2024-01-03", None]),
        }
    )


def _bad_frames() -> list[pd.DataFrame]:
    tx = _tx()
    late = tx.copy()
    late["datetime"] = np.array(["2999-12-31"] + ["2024-01-01"] * 9, dtype=US)
    as_text = tx.astype(str)
    dup = pd.concat([tx[["customer_id", "amount"]], tx[["amount"]]], axis=1)
    mixed = tx.assign(customer_id=[1, "1", 2, "b", 3, 3, None, 4, 5, 6])
    return [
        pd.DataFrame(),
        tx.iloc[:0],
        late,
        as_text,
        dup,
        mixed,
        tx.assign(amount=np.nan, monetary=np.inf),
        tx.assign(datetime=tx["datetime"].dt.tz_localize("Asia/Tehran")),
        _summary().assign(recency=-1.0),
        _summary().astype(object),
    ]


JUNK: list[Any] = [
    None,
    float("nan"),
    float("inf"),
    -float("inf"),
    0,
    -1,
    1.5,
    10**400,
    2**63,
    -(2**63) - 1,
    1e308,
    -1e308,
    5e-324,
    True,
    np.bool_(False),
    np.float64("nan"),
    np.int64(-5),
    complex(1, 2),
    Decimal("NaN"),
    "",
    "abc",
    "0.24",
    "-1",
    "2024-Q9",
    "3000-01-01",
    "\x00",
    "\ud800",
    "𝔘𝔫𝔦",
    "D",
    "customer_id",
    b"bytes",
    [],
    (),
    {},
    [None],
    [float("nan"), 1.0],
    ["-100", "50"],
    ["a", 1],
    [True, False],
    [1e308, 1e308, 1e308],
    [10**400],
    {"a": 1},
    {"x": "y"},
    object(),
    pd.NaT,
    pd.Timestamp("3000-01-01"),
    pd.Timestamp("1600-06-01"),
    np.datetime64("2999-12-31"),
    dt.date(1, 1, 1),
    dt.datetime(9999, 12, 31),
    np.array([]),
    np.array([[1.0, 2.0], [3.0, 4.0]]),
    np.array(["1", "2"]),
    pd.Series([], dtype=float),
    pd.Series(["x", None]),
    pd.Series([1.0, 2.0], index=["a", "a"]),
    pd.Series([5.0, 7.0], index=pd.DatetimeIndex(np.array(["2024-01-01", "2999-01-01"], US))),
    pd.Index([]),
    *_bad_frames(),
]


def _baselines() -> dict[str, Any]:
    """Plausible values by parameter name; a junk value replaces them at random."""
    tx = _tx()
    summary = _summary()
    bg = crmkit.clv.BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="W")
    return {
        "transactions": tx,
        "lines": tx,
        "frame": tx,
        "data": [5.0, 3.0, 1.0, 1.0, 0.0],
        "values": [5.0, 3.0, 1.0, 1.0, 0.5],
        "summary": summary,
        "interactions": _interactions(),
        "complaints": _complaints(),
        "model": bg,
        "transaction_model": bg,
        "spend": crmkit.clv.GammaGamma(p=6.0, q=4.0, v=15.0),
        "customer_id_col": "customer_id",
        "datetime_col": "datetime",
        "calibration_end": "2024-03-01",
        "observation_end": "2024-06-30",
        "as_of": "2024-06-30",
        "start": "2024-01-01",
        "end": "2024-06-30",
        "time_unit": "W",
        "unit": "M",
        "from_unit": "Y",
        "to_unit": "Q",
        "n": 2,
        "k": 2,
        "t": 4.0,
        "T": 30.0,
        "horizon": 12,
        "rate": 0.1,
        "discount_rate": 0.01,
        "margin": 0.3,
        "retention": 0.8,
        "cash_flows": [-100.0, 60.0, 60.0],
        "scores": [10, 9, 7, 3, 0],
        "nper": 5,
        "pmt": -10.0,
        "pv": 100.0,
        "n_start": 100,
        "n_retained": 80,
        "n_customers": 10,
        "acquisition_cost": 5.0,
        "revenue": pd.Series(
            [100.0, 120.0, 90.0, 130.0],
            index=pd.to_datetime(["2023-02-01", "2023-05-01", "2024-02-01", "2024-05-01"]),
        ),
        "profit": pd.Series([10.0, 12.0], index=pd.to_datetime(["2024-02-01", "2024-05-01"])),
        "own_sales": 50.0,
        "competitor_sales": {"x": 30.0, "y": 20.0},
        "sales": {"us": 50.0, "x": 30.0},
        "clv": [1.0, 5.0, 20.0],
        "gain": 150.0,
        "cost": 100.0,
        "initial_cost": 50.0,
        "recurring_costs": [10.0, 10.0],
        "before": {"service": 10.0},
        "after": {"service": 8.0},
        "total_cost": 100.0,
        "costs": pd.Series([10.0, 12.0], index=pd.to_datetime(["2024-01-31", "2024-02-29"])),
        "customers": pd.Series([5.0, 6.0], index=pd.to_datetime(["2024-01-31", "2024-02-29"])),
        "revenue_share": 0.3,
        "unit_share": 0.2,
        "p": 0.2,
        "target": 0.8,
        "X": np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]),
        "labels": np.array([0, 0, 1, 1]),
        "answers": {"unique_codes_1": 4, "segments_1": 2},
        "evidence": ["unique_codes"],
        "level": 2,
        "stage": 1,
        "capability": "segments",
        "risk": "processes",
        "score": 6,
        "rng": 0,
        "code": "4006381333931",
        "payload": "400638133393",
        "name": "x",
    }


_BASE = _baselines()


# ----------------------------------------------------------------------- discovery


def _public_callables() -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()
    mods = list(PUBLIC_MODULES)
    try:
        importlib.import_module("matplotlib")
        mods.append("crmkit.plotting")
    except ImportError:  # pragma: no cover - the plot extra is optional
        pass
    for modname in mods:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            qual = f"{modname}.{name}"
            if id(obj) in seen or inspect.ismodule(obj) or not callable(obj):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj) and issubclass(obj, BaseException | Warning):
                continue  # exceptions and warnings are raised, not called with data
            if inspect.isclass(obj) and issubclass(obj, enum.Enum):
                continue  # Enum(value) is the standard library's lookup (ValueError);
                # crmkit's text parsers for enums (parse_level, ...) are covered
            if inspect.isclass(obj) and getattr(obj, "_is_protocol", False):
                continue  # typing.Protocol classes describe an interface; they cannot
                # be instantiated (TypeError by design); their implementations are covered
            if qual in EXCLUDED or getattr(obj, "__module__", "") == "typing":
                continue
            try:
                inspect.signature(obj)
            except (TypeError, ValueError):
                continue  # typing aliases (TimeUnit, NegativePolicy)
            yield qual, obj


CALLABLES = dict(_public_callables())


def _tenures() -> pd.DataFrame:
    """A small contractual frame: tenure, churn flag and a group per customer."""
    return pd.DataFrame(
        {"tenure": [1, 2, 2, 5], "churned": [True, False, True, False], "plan": list("abab")}
    )


def _instances() -> dict[str, Any]:
    """Valid instances of the public classes, to call their methods with junk."""
    out: dict[str, Any] = {}
    clv = crmkit.clv
    summary = _summary()
    tx = _tx()
    makers: dict[str, Callable[[], Any]] = {
        "BetaGeo": lambda: clv.BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="W"),
        "ModifiedBetaGeo": lambda: clv.ModifiedBetaGeo(r=0.5, alpha=6.0, a=0.9, b=3.0),
        "ParetoNBD": lambda: clv.ParetoNBD(r=0.55, alpha=10.6, s=0.61, beta=11.7),
        "NBD": lambda: clv.NBD(r=0.385, alpha=12.07),
        "BetaGeoCNBD": lambda: clv.BetaGeoCNBD(k=2, r=0.85, alpha=1.45, a=0.79, b=2.42),
        "ModifiedBetaGeoCNBD": lambda: clv.ModifiedBetaGeoCNBD(
            k=3, r=0.85, alpha=1.45, a=0.79, b=2.42
        ),
        "GammaGompertzNBD": lambda: clv.GammaGompertzNBD(
            r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5
        ),
        "GammaGamma": lambda: clv.GammaGamma(p=6.25, q=3.74, v=15.44),
        "BetaGeoBetaBinom": lambda: clv.BetaGeoBetaBinom(
            alpha=1.2, beta=0.75, gamma=0.66, delta=2.78
        ),
        "ShiftedBetaGeometric": lambda: clv.ShiftedBetaGeometric(alpha=0.67, beta=3.8),
        "ShiftedGeometric": lambda: clv.ShiftedGeometric(theta=0.2),
        "GroupFits": lambda: clv.fit_by_group(
            clv.ShiftedGeometric,
            pd.DataFrame({"g": [1, 1, 2, 2], "period": [0, 1, 0, 1], "n_alive": [9, 5, 4, 3]}),
            group_col="g",
        ),
        "BetaDiscreteWeibull": lambda: clv.BetaDiscreteWeibull(alpha=0.26, beta=1.72, c=1.58),
        "FitResult": lambda: clv.BetaGeo.fit(summary),
        "Concentration": lambda: crmkit.pareto.concentration([5.0, 3.0, 1.0, 1.0]),
        "CohortRetention": lambda: crmkit.lifecycle.cohort_retention(tx),
        "StageModel": lambda: crmkit.lifecycle.FUNNEL,
        "PurchaseOccasions": lambda: crmkit.purchase_occasions(
            tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
        ),
        "TransitionMatrix": lambda: crmkit.lifecycle.transition_matrix(
            tx, start="2024-02-01", end="2024-06-30", amount_col="monetary"
        ),
        "MaturityAssessment": lambda: crmkit.maturity.assess_capabilities(["unique_codes"]),
        "RiskRegister": lambda: crmkit.maturity.RiskRegister(entries=()),
        "Scorecard": lambda: crmkit.metrics.Scorecard.compute(transactions=tx),
        "Segmentation": lambda: crmkit.segmentation.segment_customers(summary, k=2),
        "ProfitByTenure": lambda: crmkit.lifecycle.profit_by_tenure(
            tx, acquisition_cost=1.0, profit_col="profit"
        ),
        "ContactCounts": lambda: crmkit.lifecycle.contacts_before_purchase(_interactions(), tx),
        "ClaimsReport": lambda: crmkit.lifecycle.evaluate_claims(
            tx, acquisition_cost=1.0, profit_col="profit"
        ),
        "ParetoVerdict": lambda: crmkit.pareto.concentration([5.0, 3.0, 1.0]).verdict(),
        "DataQuality": lambda: (
            crmkit.purchase_occasions(
                tx, customer_id_col="customer_id", datetime_col="datetime", amount_col="amount"
            ).quality
        ),
        "GlobalTradeItemNumber": lambda: crmkit.codes.GlobalTradeItemNumber(),
        "IbanScheme": lambda: crmkit.codes.IbanScheme(),
        "IranNationalID": lambda: crmkit.codes.IranNationalID(),
        "CodeRegistry": lambda: crmkit.codes.CodeRegistry(),
        "Customer": lambda: crmkit.domain.Customer(
            code="C1",
            name="Sara",
            national_id="0499370899",
            address="5 Hafez St",
            contacts=[{"channel": "e-mail", "value": "s@x.ir"}],
            demographics={"birth_date": "1990-01-01"},
        ),
        "ContactPoint": lambda: crmkit.domain.ContactPoint(
            channel="mobile", value="۰۹۱۲۳۴۵۶۷۸۹", default_country_code="98"
        ),
        "Address": lambda: crmkit.domain.Address(line="5 Hafez St", city="Shiraz"),
        "Demographics": lambda: crmkit.domain.Demographics(birth_date="1990-01-01"),
        "LifeEvent": lambda: crmkit.domain.LifeEvent(
            kind="moved", on="2024-05-01", address="5 Hafez St"
        ),
        "Relationship": lambda: crmkit.domain.Relationship.start(
            customer_code="C1", on="2023-01-01"
        ).transition_to("maintenance", on="2023-06-01"),
        "StageChange": lambda: crmkit.domain.StageChange(stage="acquaintance", on="2023-01-01"),
        "Interaction": lambda: crmkit.domain.Interaction(
            customer_code="C1",
            at="2024-01-02T08:00:00+03:30",
            channel="chat",
            kind="service",
            phase="after sale",
            direction="inbound",
            item_code="P1",
            amount=10.0,
        ),
        "Complaint": lambda: crmkit.domain.Complaint.receive(
            complaint_id="K1",
            customer_code="C1",
            item_code="P1",
            at="2024-05-01T09:00:00+03:30",
        ).advance("acknowledged", at="2024-05-01T10:00:00+03:30"),
        "ComplaintStep": lambda: crmkit.domain.ComplaintStep(
            stage="received", at="2024-05-01T09:00:00+03:30"
        ),
        "Opportunity": lambda: crmkit.domain.Opportunity.open(
            opportunity_id="O1",
            customer_code="C1",
            amount=1000.0,
            probability=0.3,
            expected_close="2024-09-01",
            on="2024-05-01",
        ),
        "PipelineStep": lambda: crmkit.domain.PipelineStep(stage="prospecting", on="2024-05-01"),
        "KaplanMeier": lambda: crmkit.survival.kaplan_meier(_tenures(), group_col="plan"),
        "LifeTable": lambda: crmkit.survival.life_table(_tenures()),
        "CustomerIndex": lambda: crmkit.domain.quality.CustomerIndex(
            [crmkit.domain.Customer(code="C1", name="Sara", national_id="0499370899")]
        ),
    }
    for name, make in makers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out[name] = make()
            except Exception as exc:  # a broken maker is a test bug: say so
                raise AssertionError(f"cannot build a valid {name}: {exc!r}") from exc
    return out


def _methods() -> Iterator[tuple[str, Any, str]]:
    for cls_name, inst in _instances().items():
        for attr in sorted(dir(type(inst))):
            if attr.startswith("_"):
                continue
            member = inspect.getattr_static(type(inst), attr)
            if isinstance(member, property):
                continue  # properties take no input
            if not callable(getattr(inst, attr, None)):
                continue
            yield f"{type(inst).__module__}.{cls_name}.{attr}", inst, attr


METHODS = {q: (inst, attr) for q, inst, attr in _methods() if q not in EXCLUDED}


# ------------------------------------------------------------------------ checking


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _same(a: Any, b: Any) -> bool:
    """Whether ``a`` still equals the copy ``b`` taken before the call."""
    if isinstance(a, pd.DataFrame | pd.Series | pd.Index):
        if type(a) is not type(b) or not a.equals(b):
            return False
        if isinstance(a, pd.DataFrame) and list(a.dtypes) != list(b.dtypes):
            return False
        return isinstance(a, pd.Index) or a.index.equals(b.index)
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        except TypeError:
            return bool(pd.Series(a.ravel()).equals(pd.Series(b.ravel())))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return True


def _call(qual: str, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> None:
    """Call once and check the contract; raise AssertionError on a violation."""
    before = copy.deepcopy((args, kwargs))
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    error: BaseException | None = None
    saved = np.seterr(all="ignore")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except _Timeout:
        raise AssertionError(
            f"{qual} did not end within {TIME_LIMIT} s with args={args!r:.300} "
            f"kwargs={kwargs!r:.600}"
        ) from None
    except CrmkitError:
        pass
    except Exception as exc:  # any other type is the violation this test looks for
        error = exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        np.seterr(**saved)
    if error is not None and (qual, type(error).__name__) not in KNOWN_VIOLATIONS:
        raise AssertionError(
            f"{qual} raised {type(error).__module__}.{type(error).__name__}: {error!s:.300} "
            f"with args={args!r:.300} kwargs={kwargs!r:.600}"
        ) from error
    for got, want in zip(
        (*args, *kwargs.values()), (*before[0], *before[1].values()), strict=True
    ):
        assert _same(got, want), f"{qual} modified its input {want!r:.200}"


_JUNK = st.sampled_from(JUNK) | st.text(max_size=12) | st.integers() | st.floats()


@st.composite
def _arguments(draw: st.DrawFn, fn: Callable[..., Any]) -> tuple[list[Any], dict[str, Any]]:
    sig = inspect.signature(fn)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
            continue
        has_base = p.name in _BASE
        optional = p.default is not p.empty
        options = ["junk"] + (["base"] if has_base else []) + (["default"] if optional else [])
        choice = draw(st.sampled_from(options))
        if choice == "default":
            continue
        value = _BASE[p.name] if choice == "base" else draw(_JUNK)
        value = copy.deepcopy(value)
        if p.kind == p.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_public_name_is_covered() -> None:
    """Every public callable is either checked or excluded with a reason."""
    assert len(CALLABLES) > 150
    assert "crmkit.rfm_summary" in CALLABLES
    assert "crmkit.clv.BetaGeo" in CALLABLES
    assert any(q.endswith("BetaGeo.conditional_expected_purchases") for q in METHODS)


@pytest.mark.parametrize("qual", sorted(CALLABLES))
def test_public_callable_contract(qual: str) -> None:
    fn = CALLABLES[qual]

    @_SETTINGS
    @given(_arguments(fn))
    def check(arguments: tuple[list[Any], dict[str, Any]]) -> None:
        _call(qual, fn, *arguments)

    check()


@pytest.mark.parametrize("qual", sorted(METHODS))
def test_public_method_contract(qual: str) -> None:
    inst, attr = METHODS[qual]
    method = getattr(inst, attr)

    @_SETTINGS
    @given(_arguments(method))
    def check(arguments: tuple[list[Any], dict[str, Any]]) -> None:
        _call(qual, method, *arguments)

    check()


def test_known_violations_are_real() -> None:
    """Each KNOWN_VIOLATIONS entry names a public callable (so the list cannot go stale)."""
    names = set(CALLABLES) | set(METHODS)
    assert {q for q, _ in KNOWN_VIOLATIONS} <= names
    assert all(isinstance(t, str) and t.isidentifier() for _, t in KNOWN_VIOLATIONS)
    assert not math.isnan(TIME_LIMIT)
