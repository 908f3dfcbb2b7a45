"""One call shape for every prediction: the data first, the horizon as the keyword ``t``.

crmkit 0.1 took the horizon first in some methods (``conditional_expected_purchases(t,
summary)``) and second in others (``probability_alive(summary, t)``). The old shapes
keep working for one release with a DeprecationWarning and give the same numbers.
Series are named after the method that returns them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.clv import (
    NBD,
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCNBD,
    GammaGamma,
    GammaGompertzNBD,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
)
from crmkit.clv._transaction import TransactionFamily

SUMMARY = pd.DataFrame(
    {"frequency": [2.0, 0.0, 5.0], "recency": [30.43, 0.0, 20.0], "T": [38.86, 38.86, 30.0]},
    index=pd.Index([11, 12, 13], name="customer_id"),
)
FAMILIES = [
    BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
    ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    NBD(r=0.385, alpha=12.07),
    BetaGeoCNBD(k=2, r=0.85, alpha=1.45, a=0.79, b=2.42),
    GammaGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5),
]
BGBB = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
BGBB_DATA = pd.DataFrame({"frequency": [3, 0, 6], "recency": [4, 0, 6], "n_periods": [6, 6, 6]})


@pytest.mark.parametrize("model", FAMILIES, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("method", ["conditional_expected_purchases", "probability_no_purchase"])
def test_horizon_first_still_works_with_a_warning(model: TransactionFamily, method: str) -> None:
    new = getattr(model, method)(SUMMARY, t=10.0)
    with pytest.warns(DeprecationWarning, match=rf"{method}\(summary, t=\.\.\.\)"):
        old = getattr(model, method)(10.0, SUMMARY)
    pd.testing.assert_series_equal(old, new)
    with pytest.warns(DeprecationWarning, match="horizon by position"):
        by_name = getattr(model, method)(10.0, summary=SUMMARY)
    pd.testing.assert_series_equal(by_name, new)
    assert new.name == method


@pytest.mark.parametrize("model", FAMILIES, ids=lambda m: type(m).__name__)
def test_probability_alive_horizon_by_position_warns(model: TransactionFamily) -> None:
    new = model.probability_alive(SUMMARY, t=[0.0, 5.0])
    with pytest.warns(DeprecationWarning, match=r"probability_alive\(summary, t\)"):
        old = model.probability_alive(SUMMARY, [0.0, 5.0])
    pd.testing.assert_frame_equal(old, new)
    assert model.probability_alive(SUMMARY).name == "probability_alive"


def test_horizon_given_twice_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="horizon twice"):
        FAMILIES[0].conditional_expected_purchases(10.0, SUMMARY, t=5.0)


def test_new_shape_is_keyword_only() -> None:
    # a positional horizon after the data is the deprecated shape, never silently new
    with pytest.warns(DeprecationWarning, match="horizon by position"):
        FAMILIES[0].probability_no_purchase(SUMMARY, 10.0)
    with pytest.raises(TypeError):
        FAMILIES[0].conditional_expected_purchases(SUMMARY)  # the horizon is required


def test_bgbb_shapes_and_names() -> None:
    new = BGBB.conditional_expected_purchases(BGBB_DATA, t=5)
    assert new.name == "conditional_expected_purchases"
    with pytest.warns(DeprecationWarning, match="horizon by position"):
        old = BGBB.conditional_expected_purchases(5, BGBB_DATA)
    pd.testing.assert_series_equal(old, new)
    ahead = BGBB.probability_alive(BGBB_DATA, t=3)
    with pytest.warns(DeprecationWarning, match=r"m=\.\.\.\) is deprecated.*pass t="):
        pd.testing.assert_series_equal(BGBB.probability_alive(BGBB_DATA, m=3), ahead)
    # alive at a later opportunity is less likely (the paper's eq. 11 at n + t)
    assert np.all(ahead.to_numpy() <= BGBB.probability_alive(BGBB_DATA).to_numpy())


def test_gamma_gamma_names() -> None:
    gg = GammaGamma(p=6.25, q=3.74, v=15.44)
    s = pd.DataFrame({"frequency": [2, 0], "monetary_value": [22.35, 0.0]})
    assert gg.conditional_expected_spend(s).name == "conditional_expected_spend"
    new = gg.simulate(4, n_transactions=3, rng=np.random.default_rng(1))
    with pytest.warns(DeprecationWarning, match="pass n_transactions="):
        old = gg.simulate(4, T=3, rng=np.random.default_rng(1))
    pd.testing.assert_frame_equal(old, new)
    assert (new["frequency"] == 3).all()


def test_a_user_model_written_for_the_old_order_still_scores() -> None:
    class OldPoisson:
        time_unit = "W"

        def conditional_expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
            return pd.Series(0.5 * t, index=summary.index)

    class NewPoisson(OldPoisson):
        def conditional_expected_purchases(  # type: ignore[override]
            self, summary: pd.DataFrame, *, t: float
        ) -> pd.Series:
            return pd.Series(0.5 * t, index=summary.index)

    kw = {"horizon": 4, "time_unit": "W", "discount_rate": 0.01}
    new = customer_lifetime_value(NewPoisson(), 10.0, SUMMARY, **kw)
    with pytest.warns(DeprecationWarning, match=r"define it as conditional_expected_purchases"):
        old = customer_lifetime_value(OldPoisson(), 10.0, SUMMARY, **kw)
    pd.testing.assert_series_equal(old, new)
    # 4 weeks at 0.5 purchases a week, 10 each, discounted at 1 % a week (outside check)
    expected = sum(5.0 / 1.01**k for k in range(1, 5))
    assert new.to_numpy() == pytest.approx(np.full(3, expected), rel=1e-12)


def test_the_base_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        TransactionFamily()  # type: ignore[abstract]
    hooks = TransactionFamily.__abstractmethods__
    assert {"_log_likelihood_rows", "_p_alive_rows", "_conditional_rows", "_pmf"} <= hooks
    for family in FAMILIES:
        assert isinstance(family, TransactionFamily)
        assert not type(family).__abstractmethods__
