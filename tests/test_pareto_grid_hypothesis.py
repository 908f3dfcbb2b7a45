"""Pareto/NBD log-likelihood over its documented range, against mpmath (hypothesis).

The range: x up to 1e4; t_x <= T up to 1e4; every parameter in [1e-4, 1e8]; beta/alpha
and alpha/beta in [1e-8, 1e8]. The reference is Fader & Hardie (2005, note 009, eq. 19),

    L = Gamma(r + x) alpha^r beta^s / Gamma(r) * [ (alpha + T)^-(r+x) (beta + T)^-s
        + s * int_{t_x}^{T} (alpha + y)^-(r+x) (beta + y)^-(s+1) dy ],

evaluated with mpmath at 60 and at 120 digits (the integral by tanh-sinh quadrature on
panels that start at the integrand's decay length after t_x and grow tenfold, so the
peak at t_x and the power-law tail are both resolved, on the integrand divided by its
value at t_x since mpmath's quadrature tolerance is absolute); an example counts only if both
precisions agree to 1e-20 (far below the tolerance tested).

Tolerance: |crmkit - mpmath| <= 1e-10 * max(1, |LL|), i.e. relative 1e-10 where
|LL| >= 1 and absolute 1e-10 where the log-likelihood is tiny. A tiny |LL| is the
log of a probability within |LL| of 1 (e.g. x = 0 with alpha >> T: P(no purchase) =
1 - 1e-20), and log(1 - tiny) computed from any double-precision form of the
probability loses its relative accuracy (the probability itself rounds to 1), so only
an absolute bound is meaningful there.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from crmkit.clv import ParetoNBD

TOL = 1e-10
AGREE = 1e-20  # the quadrature at 60 digits is good to about 1e-27


def _reference(
    r: float, alpha: float, s: float, beta: float, x: int, tx: float, T: float, dps: int
) -> mp.mpf:
    with mp.workdps(dps):
        r_, a_, s_, b_, x_, tx_, T_ = (mp.mpf(v) for v in (r, alpha, s, beta, x, tx, T))
        m, n = r_ + x_, s_ + 1
        head = mp.loggamma(m) - mp.loggamma(r_) + r_ * mp.log(a_) + s_ * mp.log(b_)
        alive = mp.exp(-m * mp.log(a_ + T_) - s_ * mp.log(b_ + T_))
        integral = mp.mpf(0)
        if tx_ < T_:
            decay = m / (a_ + tx_) + n / (b_ + tx_)  # 1 / decay length of the integrand at t_x
            points = [tx_]
            k = -3
            while tx_ + mp.mpf(10) ** k / decay < T_:  # at most ~20 panels on this range
                points.append(tx_ + mp.mpf(10) ** k / decay)
                k += 1
            points.append(T_)

            # relative to the integrand at t_x: mp.quad's tolerance is absolute, and the
            # integrand itself can be 1e-186000
            def log_f(y: mp.mpf) -> mp.mpf:
                return -m * mp.log(a_ + y) - n * mp.log(b_ + y)

            top = log_f(tx_)
            integral = mp.quad(lambda y: mp.exp(log_f(y) - top), points)
            return head + mp.log(alive + s_ * integral * mp.exp(top))
        return head + mp.log(alive)


def _check(r: float, alpha: float, s: float, beta: float, x: int, tx: float, T: float) -> None:
    lo, hi = (
        _reference(r, alpha, s, beta, x, tx, T, 60),
        _reference(r, alpha, s, beta, x, tx, T, 120),
    )
    assert abs(lo - hi) <= AGREE * max(1, abs(hi)), "mpmath precisions disagree"
    want = float(hi)
    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    got = float(model._log_likelihood_rows(np.array([float(x)]), np.array([tx]), np.array([T]))[0])
    assert math.isfinite(got)
    assert abs(got - want) <= TOL * max(1.0, abs(want)), (
        f"r={r!r}, alpha={alpha!r}, s={s!r}, beta={beta!r}, x={x}, t_x={tx!r}, T={T!r}: "
        f"mpmath {want!r}, crmkit {got!r}"
    )


@st.composite
def _points(draw: st.DrawFn) -> tuple[float, float, float, float, int, float, float]:
    exponent = st.floats(-4.0, 8.0)
    r, s, alpha = (10.0 ** draw(exponent) for _ in range(3))
    ratio = draw(st.floats(-8.0, 8.0))  # log10(beta / alpha), clipped into the range
    beta = 10.0 ** min(max(math.log10(alpha) + ratio, -4.0), 8.0)
    T = 10.0 ** draw(st.floats(-2.0, 4.0))
    x = draw(st.one_of(st.integers(0, 10), st.integers(0, 10_000)))
    tx = 0.0 if x == 0 else T * draw(st.floats(1e-6, 1.0))
    return r, alpha, s, beta, x, tx, T


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    # no shrinking: a failure is reported as found (shrinking mpmath examples takes
    # minutes); the bound on the cost is 3 explicit + 30 generated examples
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_points())
@example((1e-4, 1e8, 1e8, 1.0, 0, 0.0, 1e4))  # LL = -1e-20: the absolute bound
@example((1e8, 1e-4, 1e-4, 1e4, 10_000, 5.0, 1e4))  # LL = -1.08e9
@example((3.0, 1e-4, 2.0, 1e4, 10_000, 9999.0, 1e4))
def test_pareto_log_likelihood_matches_mpmath(
    point: tuple[float, float, float, float, int, float, float],
) -> None:
    _check(*point)


def test_reference_agrees_with_direct_quadrature() -> None:
    # sanity of the in-test reference (panels, scaling): one customer with parameters
    # of the order of the CDNOW optimum, against eq. 19 with a plain quadrature
    value = _reference(0.5533, 10.5776, 0.6062, 11.6679, 2, 30.43, 38.86, 60)
    direct = mp.quad(lambda y: (10.5776 + y) ** -2.5533 * (11.6679 + y) ** -1.6062, [30.43, 38.86])
    assert float(value) == pytest.approx(
        float(
            mp.loggamma(2.5533)
            - mp.loggamma(0.5533)
            + 0.5533 * mp.log(10.5776)
            + 0.6062 * mp.log(11.6679)
            + mp.log((49.4376) ** -2.5533 * (50.5279) ** -0.6062 + 0.6062 * direct)
        ),
        rel=1e-14,
    )


# Found by this test with more (random, 350) examples: with r near 1e8 and a purchase
# rate r/alpha far above the data's scale, log(C A) ~ -1e8 and R ~ +1e8 cancel, and the
# log-likelihood was off by 2e-10 to 4e-9 relative; there it is now formed as
# log(C s D) + log(1 + e^-R) with no large cancelling terms.
LARGE_R_POINTS = [
    # (r, alpha, s, beta, x, t_x, T): mpmath (60 = 120 digits) vs crmkit before the fix
    (1e8, 1.0, 1.0, 1.0, 0, 0.0, 1.0),  # -18.420680753952364 vs -18.42068076133728
    (1e8, 1.0, 0.5, 3.0, 0, 0.0, 10.0),  # -20.21244020818042 vs -20.212440252304077
    (  # 24.686554950239568 vs 24.686554946005344
        66120579.556406215,
        0.02338106476792787,
        0.02338106476792787,
        1545969.5531012611,
        6,
        2.338106476792787e-08,
        0.02338106476792787,
    ),
    # r ~ 1e7 with many purchases: log Gamma(r + x) - log Gamma(r) through scipy's betaln
    # was off by 2e-8 absolute (-0.3670080602228973 and -4.78977853310287 before)
    (
        11154670.336618548,
        11154670.336618548,
        1.0,
        1e8,
        214,
        0.18452206677785354,
        0.3690441335557071,
    ),
    (
        2837878.985634613,
        2837878.985634613,
        2837878.985634613,
        619.4646133614422,
        1037,
        0.0010865625705758985,
        1086.5625705758985,
    ),
]


@pytest.mark.parametrize("point", LARGE_R_POINTS)
def test_pareto_log_likelihood_at_very_large_r(
    point: tuple[float, float, float, float, int, float, float],
) -> None:
    _check(*point)
