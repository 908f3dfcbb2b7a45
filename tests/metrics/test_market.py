"""Tests for crmkit.metrics.market."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.exceptions import InvalidValueError
from crmkit.metrics import market_share, market_shares, relative_market_share


def test_market_share_hand_computed() -> None:
    rivals = {"a": 500.0, "b": 200.0}
    assert market_share(300, rivals) == pytest.approx(0.3)
    assert relative_market_share(300, rivals) == pytest.approx(0.6)
    assert relative_market_share(600, rivals) == pytest.approx(1.2)
    shares = market_shares({"us": 300, **rivals})
    assert shares.index.tolist() == ["a", "us", "b"]
    assert shares.sum() == pytest.approx(1.0)
    with pytest.raises(InvalidValueError, match="empty"):
        market_share(1, {})
    with pytest.raises(InvalidValueError, match=">= 0"):
        market_share(1, {"a": -1})
    with pytest.raises(InvalidValueError, match="zero sales"):
        market_share(0, {"a": 0})


@given(
    st.floats(0, 1e9),
    st.lists(st.floats(0, 1e9), min_size=1, max_size=10),
)
def test_market_share_in_unit_interval(own: float, rivals: list[float]) -> None:
    if own + sum(rivals) == 0:
        return
    assert 0.0 <= market_share(own, {str(i): v for i, v in enumerate(rivals)}) <= 1.0
