"""The one reader of contractual data: individual rows, conventions, left truncation, errors.

Outside numbers: the survivor tables and sBG estimates of Fader & Hardie (2007)
(tests/reference/clv_sbg_fh2007.json), per-row log-likelihoods summed with mpmath at two
precisions, and counts taken directly with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv import ShiftedBetaGeometric, ShiftedGeometric
from crmkit.clv._retention_data import counts_from_individual, retention_counts
from crmkit.exceptions import (
    CrmkitError,
    InvalidValueError,
    InvariantError,
    MissingColumnsError,
)


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads((reference_dir / "clv_sbg_fh2007.json").read_text())
    return out


def _rows(survivors: list[int], *, tenure_counts: str) -> pd.DataFrame:
    """One row per customer of a cohort observed for len(survivors) - 1 periods."""
    n = np.asarray(survivors)
    k = n.size - 1
    churned_at = np.repeat(np.arange(1, k + 1), -np.diff(n))
    active_tenure = k if tenure_counts == "completed" else k + 1  # k renewals made
    tenure = np.concatenate([churned_at, np.full(n[-1], active_tenure)])
    churned = np.concatenate([np.ones(churned_at.size, bool), np.zeros(n[-1], bool)])
    # shuffled, so nothing relies on the order of the rows
    order = np.random.default_rng(2007).permutation(tenure.size)
    return pd.DataFrame({"tenure": tenure[order], "churned": churned[order]})


# ---------------------------------------------------------------- published estimates


@pytest.mark.parametrize("cohort", ["regular", "high_end"])
@pytest.mark.parametrize("tenure_counts", ["completed", "started"])
def test_individual_rows_give_the_published_estimates(
    ref: dict[str, Any], cohort: str, tenure_counts: str
) -> None:
    survivors = ref["inputs"][cohort][:8]
    rows = _rows(survivors, tenure_counts=tenure_counts)
    assert len(rows) == 1000
    fit = ShiftedBetaGeometric.fit(rows, tenure_counts=tenure_counts)
    for name, value in ref["params"][cohort].items():
        assert fit.params[name] == pytest.approx(value, abs=ref["tolerance"]["params_abs"])
    table = ShiftedBetaGeometric.fit(survivors)
    np.testing.assert_allclose(fit.estimates, table.estimates, rtol=1e-7)
    assert fit.log_likelihood == pytest.approx(table.log_likelihood, rel=1e-12)
    assert fit.n_customers == 1000
    assert fit.n_unique == 8  # 7 churn periods + the survivors
    assert fit.converged


def test_the_two_conventions_differ_by_one_renewal_per_active_customer(
    ref: dict[str, Any],
) -> None:
    # the same rows read both ways: "started" gives every active customer one renewal
    # less, so the cohort looks less loyal in the long run
    rows = _rows(ref["inputs"]["regular"][:8], tenure_counts="completed")
    done = retention_counts(rows, tenure_counts="completed")
    started = retention_counts(rows, tenure_counts="started")
    np.testing.assert_array_equal(done.churned, started.churned)
    assert done.active[7] == 241
    assert started.active[6] == 241
    assert done.at_risk().sum() - started.at_risk().sum() == 241
    as_done = ShiftedBetaGeometric.fit(rows, tenure_counts="completed").model
    as_started = ShiftedBetaGeometric.fit(rows, tenure_counts="started").model
    assert np.all(as_started.survival([7, 12]) < as_done.survival([7, 12]) - 0.015)


# -------------------------------------------------------------------- counts vs pandas


@st.composite
def customer_rows(draw: Any, *, entry: bool) -> tuple[pd.DataFrame, str]:
    n = draw(st.integers(1, 40))
    convention = draw(st.sampled_from(["completed", "started"]))
    churned = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    tenure, entries = [], []
    for c in churned:
        low = 1 if (c or convention == "started") else 0
        t = draw(st.integers(low, 15))
        tenure.append(t)
        if entry:
            # churned: seen before cancelling; active: not after their tenure
            top = t - 1 if (c and convention == "completed") else t
            entries.append(draw(st.integers(0, top)))
    frame = pd.DataFrame({"tenure": tenure, "churned": churned})
    if entry:
        frame["entry"] = entries
    return frame, convention


def _direct_at_risk(frame: pd.DataFrame, convention: str, size: int) -> np.ndarray:
    shift = 1 if convention == "started" else 0
    survived = np.where(frame["churned"], frame["tenure"], (frame["tenure"] - shift).clip(0))
    # churned at T = t: at risk in periods 1..t; active with a renewals: in 1..a
    entered = (frame["entry"] - shift).clip(0) if "entry" in frame else 0 * survived
    out = np.zeros(size)
    for t in range(1, size):
        out[t] = int(((entered <= t - 1) & (survived >= t)).sum())
    return out


@pytest.mark.parametrize("entry", [False, True])
def test_at_risk_equals_a_direct_count(entry: bool) -> None:
    @given(customer_rows(entry=entry))
    def check(case: tuple[pd.DataFrame, str]) -> None:
        frame, convention = case
        counts = retention_counts(
            frame, tenure_counts=convention, entry_col="entry" if entry else None
        )  # type: ignore[arg-type]
        size = counts.churned.size
        np.testing.assert_array_equal(counts.at_risk(), _direct_at_risk(frame, convention, size))
        assert counts.n_customers == len(frame)
        assert counts.churned.sum() == frame["churned"].sum()
        # every churner is at risk in the period they cancel
        assert np.all(counts.churned <= counts.at_risk())
        # decisions = person-periods at risk (the geometric estimate's denominator)
        churned = counts.churned.sum()
        decisions = counts.at_risk().sum()
        if decisions:
            assert counts.geometric_churn() == pytest.approx(churned / decisions)
        else:
            assert counts.geometric_churn() is None

    check()


# ----------------------------------------------------------- log-likelihood vs mpmath


def _sbg_row_loglik(alpha: Any, beta: Any, t: int, churned: bool, e: int) -> Any:
    def log_s(k: int) -> Any:
        return mpmath.log(mpmath.beta(alpha, beta + k) / mpmath.beta(alpha, beta))

    own = (
        mpmath.log(mpmath.beta(alpha + 1, beta + t - 1) / mpmath.beta(alpha, beta))
        if churned
        else log_s(t)
    )
    return own - log_s(e)


def test_truncated_log_likelihood_equals_a_per_row_mpmath_sum() -> None:
    frame = _truncated_sample(np.random.default_rng(21), n=600)
    tenure, churned, entry = (frame[c].to_numpy() for c in ("tenure", "churned", "entry"))
    fit = ShiftedBetaGeometric.fit(frame, tenure_counts="completed", entry_col="entry")
    alpha, beta = fit.estimates
    values = []
    for dps in (30, 50):
        with mpmath.workdps(dps):
            a, b = mpmath.mpf(alpha), mpmath.mpf(beta)
            values.append(
                mpmath.fsum(
                    _sbg_row_loglik(a, b, int(t), bool(c), int(e))
                    for t, c, e in zip(tenure, churned, entry, strict=True)
                )
            )
    assert float(values[0]) == pytest.approx(float(values[1]), rel=1e-25)
    assert fit.log_likelihood == pytest.approx(float(values[1]), rel=1e-12)
    # the geometric model's closed form, row by row
    geo = ShiftedGeometric.fit(frame, tenure_counts="completed", entry_col="entry")
    with mpmath.workdps(40):
        th = mpmath.mpf(geo.params["theta"])
        brute = mpmath.fsum(
            (mpmath.log(th) + (t - 1) * mpmath.log(1 - th) if c else t * mpmath.log(1 - th))
            - e * mpmath.log(1 - th)
            for t, c, e in zip(tenure, churned, entry, strict=True)
        )
    assert geo.log_likelihood == pytest.approx(float(brute), rel=1e-12)


# ----------------------------------------------------------------- left truncation


def _truncated_sample(rng: np.random.Generator, *, n: int = 60_000) -> pd.DataFrame:
    """Customers acquired 0-20 periods before the window opens, watched for 12 periods.

    Only those still active when the window opens are in the data (left truncation):
    their entry is the number of renewals they had made by then (completed periods).
    """
    truth = ShiftedBetaGeometric(alpha=0.7, beta=1.2)
    lifetime = truth.simulate(n, 1_000, rng)["periods_survived"].to_numpy() + 1
    age = rng.integers(0, 21, n)  # completed periods at the window's opening
    seen = lifetime > age  # still active then
    end = age + 12
    churned = lifetime <= end
    tenure = np.where(churned, lifetime, end)
    return pd.DataFrame({"tenure": tenure, "churned": churned, "entry": age})[seen]


def test_left_truncated_data_recover_the_parameters_and_ignoring_truncation_is_biased() -> None:
    frame = _truncated_sample(np.random.default_rng(2018))
    assert frame["entry"].gt(0).mean() > 0.5
    fit = ShiftedBetaGeometric.fit(frame, tenure_counts="completed", entry_col="entry")
    for name, value in {"alpha": 0.7, "beta": 1.2}.items():
        assert abs(fit.params[name] - value) < 3 * fit.stderr[name], name
    naive = ShiftedBetaGeometric.fit(frame, tenure_counts="completed")
    # without the conditioning the survivors of the early periods look like new
    # customers who never churned early: far too loyal
    assert abs(naive.params["alpha"] - 0.7) > 10 * fit.stderr["alpha"]
    assert naive.model.survival(3) > fit.model.survival(3) + 0.05


# ------------------------------------------------------------------------ errors


def _telco_like() -> pd.DataFrame:
    return pd.DataFrame(
        {"tenure": [1, 5, 12, 0], "churned": [True, False, True, False], "entry": [0, 2, 3, 0]}
    )


@pytest.mark.parametrize(
    ("change", "options", "error", "match"),
    [
        (
            None,
            {"tenure_counts": None},
            InvalidValueError,
            r"tenure_counts is required.*'completed'.*'started'",
        ),
        (None, {"tenure_counts": "done"}, InvalidValueError, r"'done' is not one of"),
        (
            {"churned": ["Yes", "No", "Yes", "No"]},
            {},
            InvalidValueError,
            r"column 'churned' must be boolean.*'Yes'.*eq\('Yes'\)",
        ),
        (
            {"churned": [True, None, True, False]},
            {},
            InvalidValueError,
            r"column 'churned' has 1 missing value\(s\), at index \[1\]",
        ),
        (
            {"churned": [1, 0, 2, 0]},
            {},
            InvalidValueError,
            r"column 'churned' must be boolean \(or 0/1\)",
        ),
        (
            {"tenure": [1, np.nan, 12, 0]},
            {},
            InvalidValueError,
            r"column 'tenure' has 1 missing value\(s\), at index \[1\]",
        ),
        (
            {"tenure": [1, -5, 12, 0]},
            {},
            InvalidValueError,
            r"column 'tenure' .* must hold finite values >= 0; 1 row\(s\) do not, at index \[1\] "
            r"\(values \[-5\]\)",
        ),
        (
            {"tenure": [1, 5.5, 12, 0]},
            {},
            InvalidValueError,
            r"found 5.5 at index 1.*whole contract periods",
        ),
        (
            {"tenure": [1, 5, 2_000_000, 0]},
            {},
            InvalidValueError,
            r"tenure of 2,000,000 periods \(index 2\).*not days or seconds",
        ),
        (
            {"tenure": [0, 5, 12, 0]},
            {},
            InvalidValueError,
            r"churned customer \(index 0\) has tenure=0.*>= 1.*add 1",
        ),
        (
            {"entry": [1, 2, 3, 0]},
            {"entry_col": "entry"},
            InvariantError,
            r"index 0.*entry=1 after their tenure=1 \(churned\)",
        ),
        (
            {"entry": [0, 6, 3, 0]},
            {"entry_col": "entry"},
            InvariantError,
            r"index 1.*entry=6 after their tenure=5;",
        ),
        (
            {"entry": [0, 2, np.nan, 0]},
            {"entry_col": "entry"},
            InvalidValueError,
            r"column 'entry' has 1 missing value\(s\), at index \[2\]",
        ),
        (
            {"entry": [0, -1, 3, 0]},
            {"entry_col": "entry"},
            InvalidValueError,
            r"column 'entry' .* must hold finite values >= 0.*\[1\] \(values \[-1\]\)",
        ),
        (
            None,
            {"cohort_col": "plan"},
            InvalidValueError,
            r"cohort_col='plan' applies to survivor",
        ),
        (None, {"entry_col": "start"}, MissingColumnsError, r"missing column\(s\) \['start'\]"),
        (
            None,
            {"churned_col": "Churn"},
            MissingColumnsError,
            r"missing column\(s\) \['Churn'\].*available columns are",
        ),
    ],
)
def test_every_error_names_the_column_the_value_and_the_fix(
    change: dict[str, Any] | None, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    frame = _telco_like()
    for col, values in (change or {}).items():
        frame[col] = values
    before = frame.copy(deep=True)
    kwargs = {"tenure_counts": "completed", **options}
    for family in (ShiftedBetaGeometric, ShiftedGeometric):
        with pytest.raises(error, match=match):
            family.fit(frame, **kwargs)
    pd.testing.assert_frame_equal(frame, before)


def test_a_frame_of_neither_shape_lists_both_fixes() -> None:
    with pytest.raises(MissingColumnsError, match=r"'period'.*'n_alive'.*'tenure'.*'churned'"):
        retention_counts(pd.DataFrame({"months": [1, 2], "left": [True, False]}))
    with pytest.raises(InvalidValueError, match=r"read as the survivor counts.*without entry_col"):
        retention_counts([100, 50], tenure_counts="completed")
    table = pd.DataFrame({"period": [0, 1], "n_alive": [100, 50]})
    with pytest.raises(InvalidValueError, match="entry_col, tenure_counts and weights_col apply"):
        retention_counts(table, tenure_counts="completed")
    with pytest.raises(InvalidValueError, match="must be a pandas DataFrame"):
        counts_from_individual([1, 2], tenure_counts="completed")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="empty"):
        retention_counts(pd.DataFrame({"tenure": [], "churned": []}), tenure_counts="completed")


def test_active_tenure_zero_adds_nothing_under_either_convention() -> None:
    base = pd.DataFrame({"tenure": [1, 3, 4, 6], "churned": [True, True, False, False]})
    extra = pd.concat(
        [base, pd.DataFrame({"tenure": [0, 0], "churned": [False, False]})], ignore_index=True
    )
    for convention in ("completed", "started"):
        a = ShiftedGeometric.fit(base, tenure_counts=convention)
        b = ShiftedGeometric.fit(extra, tenure_counts=convention)
        assert b.params == a.params
        assert b.log_likelihood == a.log_likelihood
        assert b.n_customers == a.n_customers + 2


def test_accepted_flag_and_tenure_dtypes() -> None:
    want = retention_counts(
        pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, True]}),
        tenure_counts="completed",
    )
    for churned in (
        [1, 0, 1],
        [1.0, 0.0, 1.0],
        pd.array([True, False, True], dtype="boolean"),
        pd.Series([True, False, True], dtype=object),
    ):
        for tenure in ([1, 2, 3], [1.0, 2.0, 3.0], pd.array([1, 2, 3], dtype="Int64")):
            got = retention_counts(
                pd.DataFrame({"tenure": tenure, "churned": churned}), tenure_counts="completed"
            )
            np.testing.assert_array_equal(got.churned, want.churned)
            np.testing.assert_array_equal(got.active, want.active)


@given(
    st.lists(st.tuples(st.integers(1, 20), st.booleans()), min_size=1, max_size=30),
    st.sampled_from(["completed", "started"]),
)
def test_inputs_are_never_mutated_and_row_order_does_not_matter(
    rows: list[tuple[int, bool]], convention: str
) -> None:
    frame = pd.DataFrame(rows, columns=["tenure", "churned"])
    frame.attrs["crmkit_time_unit"] = "M"
    before = frame.copy(deep=True)
    a = retention_counts(frame, tenure_counts=convention)  # type: ignore[arg-type]
    b = retention_counts(frame.iloc[::-1], tenure_counts=convention)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(frame, before)
    assert frame.attrs == {"crmkit_time_unit": "M"}
    for name in ("churned", "active", "entered"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.n_rows == b.n_rows <= len(frame)


def test_errors_are_crmkit_errors() -> None:
    with pytest.raises(CrmkitError):
        retention_counts(
            pd.DataFrame({"tenure": ["a"], "churned": [True]}), tenure_counts="started"
        )


def test_the_started_convention_reads_entry_the_same_way() -> None:
    # the same customers written with tenure and entry as started periods: an active
    # customer's tenure and every entry are one higher, a churner's tenure is the same
    frame = _truncated_sample(np.random.default_rng(7), n=3_000)
    started = frame.assign(
        tenure=np.where(frame["churned"], frame["tenure"], frame["tenure"] + 1),
        entry=frame["entry"] + 1,
    )
    a = retention_counts(frame, tenure_counts="completed", entry_col="entry")
    b = retention_counts(started, tenure_counts="started", entry_col="entry")
    for name in ("churned", "active", "entered"):
        np.testing.assert_array_equal(
            getattr(a, name)[: a.churned.size], getattr(b, name)[: a.churned.size]
        )
        assert not getattr(b, name)[a.churned.size :].any()
    fa = ShiftedBetaGeometric.fit(frame, tenure_counts="completed", entry_col="entry")
    fb = ShiftedBetaGeometric.fit(started, tenure_counts="started", entry_col="entry")
    np.testing.assert_allclose(fa.estimates, fb.estimates, rtol=1e-7)


@pytest.mark.parametrize(
    "data",
    [{"tenure": [1, 2], "churned": [True, False]}, pd.Series([1, 2], name="tenure"), None],
    ids=["dict", "series", "none"],
)
def test_rows_that_are_not_a_frame_are_named_as_such(data: Any) -> None:
    with pytest.raises(
        InvalidValueError, match=r"must be a pandas DataFrame with a 'tenure'.*got"
    ):
        ShiftedBetaGeometric.fit(data, tenure_counts="completed")
