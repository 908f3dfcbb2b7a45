"""CLV fitting and scoring from a dask summary on a dask.distributed cluster equal pandas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit import rfm_summary
from crmkit.clv import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
    prediction_interval,
)
from crmkit.exceptions import InvalidValueError

from .conftest import on_cluster

pytestmark = pytest.mark.dask

OPTIONS = {"amount_col": "amount", "time_unit": "W", "period": "D"}


@pytest.fixture(scope="module")
def summaries(
    parquet_log: Any, log_frame: pd.DataFrame, cluster_client: Any
) -> tuple[Any, pd.DataFrame]:
    import dask.dataframe as dd

    ddf = dd.read_parquet(str(parquet_log / "*.parquet"))
    with on_cluster(cluster_client):  # the summary's scan runs when it is called
        # kept in the workers' memory: every test below scores the same partitions
        lazy = rfm_summary(ddf, **OPTIONS).persist()
    return lazy, rfm_summary(log_frame, **OPTIONS)


@pytest.mark.parametrize("family", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_fit_on_distinct_histories_equals_pandas(
    summaries: tuple[Any, pd.DataFrame], family: Any
) -> None:
    lazy, frame = summaries
    got, expected = family.fit(lazy), family.fit(frame)
    assert got.params == expected.params  # the same sorted distinct rows: the same fit
    assert got.log_likelihood == expected.log_likelihood
    assert got.n_customers == expected.n_customers == len(frame)
    assert got.model.time_unit == "W"
    assert got.model.log_likelihood(lazy) == pytest.approx(expected.log_likelihood, rel=1e-12)


def test_spend_fit_equals_pandas(summaries: tuple[Any, pd.DataFrame]) -> None:
    lazy, frame = summaries
    got, expected = GammaGamma.fit(lazy), GammaGamma.fit(frame)
    # distinct (x, zbar) rows with counts add the likelihood in another order
    np.testing.assert_allclose(
        list(got.params.values()), list(expected.params.values()), rtol=1e-7
    )
    assert got.n_customers == expected.n_customers


def _same(pairs: list[tuple[Any, pd.Series | pd.DataFrame]]) -> None:
    """Each lazy result (computed together) equals its pandas result to 1e-12."""
    import dask

    computed = dask.compute(*[lazy for lazy, _ in pairs])
    for got, (_, expected) in zip(computed, pairs, strict=True):
        got = got.sort_index()
        if isinstance(expected, pd.Series):
            pd.testing.assert_series_equal(got, expected, check_exact=False, rtol=1e-12)
        else:
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("family", [BetaGeo, ParetoNBD])
def test_predictions_equal_pandas(summaries: tuple[Any, pd.DataFrame], family: Any) -> None:
    lazy, frame = summaries
    m = family.fit(frame).model
    _same(
        [
            (
                m.conditional_expected_purchases(lazy, t=13),
                m.conditional_expected_purchases(frame, t=13),
            ),
            (
                m.conditional_expected_purchases(lazy, t=[4, 52]),
                m.conditional_expected_purchases(frame, t=[4, 52]),
            ),
            (m.probability_alive(lazy), m.probability_alive(frame)),
            (m.probability_alive(lazy, t=[0, 26]), m.probability_alive(frame, t=[0, 26])),
            (m.probability_no_purchase(lazy, t=8), m.probability_no_purchase(frame, t=8)),
        ]
    )


def test_customer_lifetime_value_equals_pandas(summaries: tuple[Any, pd.DataFrame]) -> None:
    lazy, frame = summaries
    bg = BetaGeo.fit(frame).model
    gg = GammaGamma.fit(frame).model
    kw = {"horizon": 12, "time_unit": "M", "discount_rate": 0.01, "margin": 0.3}
    with pytest.raises(Exception, match="calendar months"):
        customer_lifetime_value(bg, gg, lazy, **kw)
    kw["time_unit"] = "W"
    _same(
        [
            (
                customer_lifetime_value(bg, gg, lazy, **kw),
                customer_lifetime_value(bg, gg, frame, **kw),
            ),
            (
                customer_lifetime_value(bg, 25.0, summary=lazy, **kw),
                customer_lifetime_value(bg, 25.0, frame, **kw),
            ),
            (gg.conditional_expected_spend(lazy), gg.conditional_expected_spend(frame)),
        ]
    )


def test_prediction_interval_equals_pandas(summaries: tuple[Any, pd.DataFrame]) -> None:
    lazy, frame = summaries
    fit = BetaGeo.fit(frame)
    got = prediction_interval(fit, lambda m: m.probability_alive(lazy), n_draws=40, rng=7)
    expected = prediction_interval(fit, lambda m: m.probability_alive(frame), n_draws=40, rng=7)
    _same([(got, expected)])
    with pytest.raises(InvalidValueError, match="one dask Series per"):
        prediction_interval(fit, lambda m: m.probability_alive(lazy, t=[0, 4]), n_draws=3)


class _Steady:
    """A purchase model outside crmkit: 0.1 purchases per week for everyone."""

    time_unit = "W"

    def conditional_expected_purchases(self, summary: pd.DataFrame, *, t: float) -> pd.Series:
        return pd.Series(0.1 * t, index=summary.index)


def test_clv_of_another_model_is_scored_per_partition(
    summaries: tuple[Any, pd.DataFrame],
) -> None:
    lazy, frame = summaries
    kw = {"horizon": 8, "time_unit": "W", "discount_rate": 0.01}
    spend = frame["monetary_value"] + 1.0  # a pandas Series of spend per customer
    _same(
        [
            (
                customer_lifetime_value(_Steady(), spend, lazy, **kw),
                customer_lifetime_value(_Steady(), spend, frame, **kw),
            )
        ]
    )


def test_clv_with_a_spend_series_equals_pandas(summaries: tuple[Any, pd.DataFrame]) -> None:
    lazy, frame = summaries
    bg = BetaGeo.fit(frame).model
    kw = {"horizon": 8, "time_unit": "W", "discount_rate": 0.01}
    spend = frame["monetary_value"] + 1.0
    _same(
        [
            (
                customer_lifetime_value(bg, spend, lazy, **kw),
                customer_lifetime_value(bg, spend, frame, **kw),
            )
        ]
    )


def test_a_customer_in_two_partitions_is_an_error(summaries: tuple[Any, pd.DataFrame]) -> None:
    import dask.dataframe as dd

    lazy, frame = summaries
    # rfm_summary's shuffle gives each customer one row although their transactions are
    # spread over every file of the log
    assert lazy.npartitions > 1
    assert int(lazy.index.nunique().compute()) == len(frame) == len(lazy)
    bg = BetaGeo.fit(frame).model
    gg = GammaGamma.fit(frame).model
    kw = {"horizon": 12, "time_unit": "W", "discount_rate": 0.01, "margin": 0.3}
    again = frame.iloc[[0, 5, 9]]
    twice = dd.concat([lazy, dd.from_pandas(again, npartitions=1)])
    with pytest.raises(InvalidValueError, match=r"3 duplicated label\(s\).*one row"):
        customer_lifetime_value(bg, gg, twice, **kw).compute()
    with pytest.raises(InvalidValueError, match=r"3 duplicated label\(s\).*one row"):
        customer_lifetime_value(bg, 25.0, twice, **kw).compute()
    with pytest.raises(InvalidValueError, match=r"3 duplicated label\(s\)"):
        customer_lifetime_value(bg, gg, pd.concat([frame, again]), **kw)  # as on pandas
