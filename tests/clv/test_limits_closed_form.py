"""Fits whose maximum is a limit model report that limit, with its closed-form predictions.

For each limit a data set is simulated (seeded) from the limit model itself; the fit
must end with a BoundaryWarning naming the limit, its parameters must be the limit
model's own maximum-likelihood estimate, and every public prediction of the fitted model
must equal the limit model's closed form, written here independently from the papers:

- sBG, alpha, beta -> infinity: the geometric lifetime (Fader & Hardie 2007, sec. 3:
  a single churn probability theta gives S(t) = (1 - theta)^t and constant retention
  1 - theta; Fader & Hardie 2010, eqs. 4 and 6 for DEL and DERL).
- Gamma-Gamma, q, v -> infinity with q/v = nu fixed: one spend rate nu for everyone
  (Colombo & Jiang 1999; Fader, Hardie & Lee 2005, sec. "spend"): every transaction is
  Gamma(p, nu), so the mean of x transactions is Gamma(p x, x nu) and every customer's
  expected spend is p / nu.
- BG/BB (Fader, Hardie & Shang 2010, eqs. 5, 8, 9, 11, 13 with degenerate beta
  mixtures): alpha, beta -> infinity is one transaction probability p, gamma, delta ->
  infinity one dropout probability theta, gamma -> 0 no dropout; with one p and no
  dropout the purchases are Bernoulli(p), whose MLE is sum(x) / sum(n).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from crmkit.clv import BetaGeoBetaBinom, GammaGamma, ShiftedBetaGeometric
from crmkit.exceptions import BoundaryWarning

TOL = 1e-8


# ---------------------------------------------------------------------------- sBG
def _geometric_cohort(n: int, theta: float, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    life = rng.geometric(theta, n)  # period of cancellation, 1, 2, ...
    return np.array([int((life > t).sum()) for t in range(k + 1)])


def _geometric_mle(survivors: np.ndarray) -> tuple[float, float]:
    """Churn probability MLE of the geometric lifetime and its log-likelihood (censored)."""
    k = survivors.size - 1
    churned = -np.diff(survivors)
    t = np.arange(1, k + 1)
    at_risk = float(churned @ t + k * survivors[-1])
    theta = churned.sum() / at_risk
    ll = churned.sum() * np.log(theta) + (at_risk - churned.sum()) * np.log1p(-theta)
    return float(theta), float(ll)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_sbg_on_geometric_data_reports_the_geometric_limit(seed: int) -> None:
    # one churn probability for everybody; before the limit was handled these fits
    # stopped on the flat ridge and raised ConvergenceError
    surv = _geometric_cohort(2000, 0.25, 8, seed)
    t0 = time.perf_counter()
    with pytest.warns(BoundaryWarning, match="same churn probability") as caught:
        fit = ShiftedBetaGeometric.fit(surv)
    assert time.perf_counter() - t0 < 20.0  # generous: well under a second
    assert len(caught) == 1
    assert "geometric" in str(caught[0].message)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta")
    assert np.isinf(fit.stderr["alpha"])
    assert np.isinf(fit.stderr["beta"])
    theta, ll = _geometric_mle(surv)
    m = fit.model
    assert m.alpha / (m.alpha + m.beta) == pytest.approx(theta, rel=1e-12)
    assert fit.log_likelihood == pytest.approx(ll, rel=TOL)
    _assert_sbg_is_geometric(m, theta)


def _assert_sbg_is_geometric(m: ShiftedBetaGeometric, theta: float) -> None:
    t = np.arange(0, 60)
    assert np.allclose(m.survival(t), (1.0 - theta) ** t, rtol=TOL, atol=0)
    t1 = t[1:]
    assert np.allclose(
        m.churn_probability(t1), theta * (1.0 - theta) ** (t1 - 1), rtol=TOL, atol=0
    )
    assert np.allclose(m.retention_rate(t1), 1.0 - theta, rtol=TOL, atol=0)
    for d in (0.01, 0.1, 1.0):
        # DEL = sum_t ((1 - theta)/(1 + d))^t; DERL starts one renewal later
        del_ = (1.0 + d) / (d + theta)
        assert m.discounted_expected_lifetime(d) == pytest.approx(del_, rel=TOL)
        derl = m.discounted_expected_residual_lifetime(d, [0, 3, 50])
        assert np.allclose(derl, (1.0 - theta) * del_, rtol=TOL, atol=0)
    # expected further renewals of a geometric lifetime: (1 - theta) / theta
    ern = m.expected_residual_lifetime([0, 3, 50])
    assert np.allclose(ern, (1.0 - theta) / theta, rtol=TOL, atol=0)


def test_sbg_interior_maximum_on_nearly_geometric_data_is_kept() -> None:
    # a sample from the geometric model can have a (barely) better interior maximum:
    # here at alpha + beta of about 4000, 1.3e-4 above the geometric log-likelihood
    surv = _geometric_cohort(2000, 0.25, 8, 11)
    fit = ShiftedBetaGeometric.fit(surv)
    assert fit.converged
    assert fit.at_boundary == ()
    assert fit.log_likelihood > _geometric_mle(surv)[1]


# ---------------------------------------------------------------------- Gamma-Gamma
def _one_spend_rate(n: int, p: float, nu: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, n).astype(float)
    zbar = rng.gamma(p * x, 1.0 / (x * nu))  # mean of x independent Gamma(p, nu) values
    return pd.DataFrame({"frequency": x, "monetary_value": zbar})


def _one_spend_rate_mle(x: np.ndarray, zbar: np.ndarray) -> tuple[float, float, float]:
    """(p, nu) maximising sum log Gamma(p x, x nu)-density(zbar), and the maximum."""

    def nu_of(p: float) -> float:  # d/dnu = 0
        return float(p * x.sum() / (x * zbar).sum())

    def score_p(p: float) -> float:
        return float(np.sum(x * (np.log(x * nu_of(p)) + np.log(zbar) - special.digamma(p * x))))

    p = optimize.brentq(score_p, 1e-3, 1e3, xtol=1e-15, rtol=1e-15)
    nu = nu_of(p)
    ll = np.sum(
        p * x * np.log(x * nu)
        + (p * x - 1) * np.log(zbar)
        - x * nu * zbar
        - special.gammaln(p * x)
    )
    return float(p), float(nu), float(ll)


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_gamma_gamma_with_one_spend_rate_reports_that_limit(seed: int) -> None:
    data = _one_spend_rate(3000, 3.0, 0.2, seed)
    with pytest.warns(BoundaryWarning, match="same spend rate") as caught:
        fit = GammaGamma.fit(data)
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("q", "v")
    assert np.isinf(fit.stderr["q"])
    assert np.isfinite(fit.stderr["p"])
    p, nu, ll = _one_spend_rate_mle(
        data["frequency"].to_numpy(), data["monetary_value"].to_numpy()
    )
    m = fit.model
    # the limit model's own MLE: the log-likelihood to 1e-12; the parameters as far as
    # the driver's stopping rule (gradient below 1e-5 per customer) pins the spend rate
    # nu, which the limit handler then keeps (measured: within 2e-6)
    assert fit.log_likelihood >= ll - 1e-12 * abs(ll)  # at least the limit MLE
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-11)
    assert m.p == pytest.approx(p, rel=1e-5)
    assert m.q / m.v == pytest.approx(nu, rel=1e-5)
    # predictions: p / nu for everyone, at the fitted model's own (p, nu)
    mean = m.p / (m.q / m.v)
    assert m.expected_spend() == pytest.approx(mean, rel=TOL)
    cond = m.conditional_expected_spend(data).to_numpy()
    assert np.allclose(cond, mean, rtol=TOL, atol=0)
    assert mean == pytest.approx(p / nu, rel=1e-8)


# ---------------------------------------------------------------------------- BG/BB
def _bernoulli_geometric(n: int, p: float, theta: float, periods: int, seed: int) -> pd.DataFrame:
    """Histories with one transaction probability p and one dropout probability theta."""
    rng = np.random.default_rng(seed)
    # alive for L opportunities, P(L >= t) = (1 - theta)^t
    life = rng.geometric(theta, n) - 1 if theta > 0 else np.full(n, periods)
    active = np.minimum(life, periods)
    buys = (rng.random((n, periods)) < p) & (np.arange(1, periods + 1)[None, :] <= active[:, None])
    x = buys.sum(axis=1)
    tx = np.where(x > 0, periods - np.argmax(buys[:, ::-1], axis=1), 0)
    return pd.DataFrame({"frequency": x, "recency": tx, "n_periods": np.full(n, periods)})


def _limit_likelihood(
    p: float, th: float, x: np.ndarray, tx: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """FHS 2010 eq. 5 with p and theta the same for everyone."""
    out = p**x * (1 - p) ** (n - x) * (1 - th) ** n
    for row in range(x.size):
        i = np.arange(int(n[row] - tx[row]))
        out[row] += np.sum(
            p ** x[row] * (1 - p) ** (tx[row] - x[row] + i) * th * (1 - th) ** (tx[row] + i)
        )
    return np.asarray(out, dtype=float)


def _assert_bgbb_is_limit(m: BetaGeoBetaBinom, data: pd.DataFrame, p: float, th: float) -> None:
    x, tx, n = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "n_periods"))
    lik = _limit_likelihood(p, th, x, tx, n)
    assert m.log_likelihood(data) == pytest.approx(float(np.log(lik).sum()), rel=1e-12)
    t = np.arange(0, 12)
    expected = np.array([p * sum((1 - th) ** s for s in range(1, k + 1)) for k in t])
    assert np.allclose(m.expected_purchases(t), expected, rtol=TOL, atol=0)
    for nn in (1, 5, 8):
        k = np.arange(nn + 1)
        dist = np.array(
            [
                special.comb(nn, kk) * p**kk * (1 - p) ** (nn - kk) * (1 - th) ** nn
                + sum(
                    special.comb(i, kk) * p**kk * (1 - p) ** (i - kk) * th * (1 - th) ** i
                    for i in range(kk, nn)
                )
                for kk in k
            ]
        )
        assert np.allclose(m.probability_of_purchases(k, nn), dist, rtol=TOL, atol=0)
    for ahead in (1, 4):
        alive = p**x * (1 - p) ** (n - x) * (1 - th) ** (n + ahead) / lik
        got = m.probability_alive(data, t=ahead).to_numpy()
        assert np.allclose(got, alive, rtol=TOL, atol=0)
    for horizon in (1, 10):
        future = sum((1 - th) ** (n + s) for s in range(1, horizon + 1))
        cond = p ** (x + 1) * (1 - p) ** (n - x) * future / lik
        got = m.conditional_expected_purchases(data, t=horizon).to_numpy()
        assert np.allclose(got, cond, rtol=TOL, atol=0)


def test_bgbb_bernoulli_without_dropout_reports_both_limits() -> None:
    data = _bernoulli_geometric(4000, 0.4, 0.0, 8, seed=0)
    with pytest.warns(BoundaryWarning, match="same transaction probability") as caught:
        fit = BetaGeoBetaBinom.fit(data)
    assert len(caught) == 1
    assert "no dropout" in str(caught[0].message)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta", "gamma", "delta")
    m = fit.model
    p = m.alpha / (m.alpha + m.beta)
    # Bernoulli MLE: transactions over opportunities
    assert p == pytest.approx(data["frequency"].sum() / data["n_periods"].sum(), rel=1e-8)
    _assert_bgbb_is_limit(m, data, p, 0.0)


def test_bgbb_one_transaction_and_one_dropout_probability() -> None:
    data = _bernoulli_geometric(4000, 0.3, 0.1, 8, seed=1)
    with pytest.warns(BoundaryWarning, match="same dropout probability") as caught:
        fit = BetaGeoBetaBinom.fit(data)
    assert len(caught) == 1
    assert "same transaction probability" in str(caught[0].message)
    assert fit.converged
    assert fit.at_boundary == ("alpha", "beta", "gamma", "delta")
    m = fit.model
    p, th = m.alpha / (m.alpha + m.beta), m.gamma / (m.gamma + m.delta)
    cols = ("frequency", "recency", "n_periods")
    rows, counts = np.unique(data[list(cols)].to_numpy(dtype=float), axis=0, return_counts=True)

    def nll(v: np.ndarray) -> float:
        lik = _limit_likelihood(v[0], v[1], rows[:, 0], rows[:, 1], rows[:, 2])
        return -float(counts @ np.log(lik))

    ref = optimize.minimize(
        nll,
        [0.5, 0.5],
        method="Nelder-Mead",
        bounds=[(1e-6, 1 - 1e-6)] * 2,
        options={"xatol": 1e-12, "fatol": 1e-12},
    )
    # the limit model's own MLE; the likelihood is flat to rounding within ~1e-7 of it
    assert p == pytest.approx(ref.x[0], rel=1e-6)
    assert th == pytest.approx(ref.x[1], rel=1e-6)
    assert fit.log_likelihood == pytest.approx(-ref.fun, rel=1e-12)
    _assert_bgbb_is_limit(m, data, p, th)


def _one_dropout_probability(n: int, a: float, b: float, th: float, seed: int) -> pd.DataFrame:
    """Histories with p ~ Beta(a, b) per customer and one dropout probability theta."""
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, n)
    periods = 8
    active = np.minimum(rng.geometric(th, n) - 1, periods)
    opportunity = np.arange(1, periods + 1)[None, :]
    buys = (rng.random((n, periods)) < p[:, None]) & (opportunity <= active[:, None])
    x = buys.sum(axis=1)
    tx = np.where(x > 0, periods - np.argmax(buys[:, ::-1], axis=1), 0)
    return pd.DataFrame({"frequency": x, "recency": tx, "n_periods": np.full(n, periods)})


def _beta_ratio(a: float, b: float, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.asarray(np.exp(special.betaln(a + i, b + j) - special.betaln(a, b)))


def test_bgbb_one_dropout_probability_with_heterogeneous_purchasing() -> None:
    # FHS 2010 eqs. 5, 8, 9, 11 and 13 with theta the same for everyone: the dropout
    # factors B(gamma, delta + t)/B(gamma, delta) become (1 - theta)^t and
    # B(gamma + 1, delta + t)/B(gamma, delta) becomes theta (1 - theta)^t
    data = _one_dropout_probability(4000, 1.0, 2.0, 0.15, seed=1)
    with pytest.warns(BoundaryWarning, match="same dropout probability") as caught:
        fit = BetaGeoBetaBinom.fit(data)
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("gamma", "delta")
    assert np.isfinite(fit.stderr["alpha"])
    m = fit.model
    a, b, th = m.alpha, m.beta, m.gamma / (m.gamma + m.delta)
    x, tx, n = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "n_periods"))

    def lik(
        a: float, b: float, th: float, x: np.ndarray, tx: np.ndarray, n: np.ndarray
    ) -> np.ndarray:
        out = _beta_ratio(a, b, x, n - x) * (1 - th) ** n
        for row in range(x.size):
            i = np.arange(int(n[row] - tx[row]))
            out[row] += np.sum(
                _beta_ratio(a, b, x[row], tx[row] - x[row] + i) * th * (1 - th) ** (tx[row] + i)
            )
        return out

    rows, counts = np.unique(np.column_stack([x, tx, n]), axis=0, return_counts=True)

    def nll(v: np.ndarray) -> float:
        ea, eb = np.exp(v[:2])
        return -float(counts @ np.log(lik(ea, eb, special.expit(v[2]), *rows.T)))

    ref = optimize.minimize(
        nll,
        [0.0, 0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000},
    )
    # the limit model's own MLE (a three-parameter fit, flat to rounding near the top)
    assert a == pytest.approx(np.exp(ref.x[0]), rel=1e-5)
    assert b == pytest.approx(np.exp(ref.x[1]), rel=1e-5)
    assert th == pytest.approx(special.expit(ref.x[2]), rel=1e-5)
    assert fit.log_likelihood == pytest.approx(-ref.fun, rel=1e-10)
    # every prediction at the fitted (alpha, beta, theta)
    row_lik = lik(a, b, th, x, tx, n)
    assert m.log_likelihood(data) == pytest.approx(float(np.log(row_lik).sum()), rel=1e-12)
    t = np.arange(0, 12)
    mean_p = a / (a + b)
    expected = np.array([mean_p * sum((1 - th) ** s for s in range(1, k + 1)) for k in t])
    assert np.allclose(m.expected_purchases(t), expected, rtol=TOL, atol=0)
    for nn in (1, 5, 8):
        k = np.arange(nn + 1, dtype=float)
        dist = special.comb(nn, k) * _beta_ratio(a, b, k, nn - k) * (1 - th) ** nn
        for i in range(nn):
            kk = k[k <= i]
            dist[: kk.size] += (
                special.comb(i, kk) * _beta_ratio(a, b, kk, i - kk) * th * (1 - th) ** i
            )
        assert np.allclose(m.probability_of_purchases(k, nn), dist, rtol=TOL, atol=0)
    alive = _beta_ratio(a, b, x, n - x) * (1 - th) ** (n + 1) / row_lik
    assert np.allclose(m.probability_alive(data).to_numpy(), alive, rtol=TOL, atol=0)
    future = sum((1 - th) ** (n + s) for s in range(1, 6))
    cond = _beta_ratio(a, b, x + 1, n - x) * future / row_lik
    got = m.conditional_expected_purchases(data, t=5).to_numpy()
    assert np.allclose(got, cond, rtol=TOL, atol=0)


def test_bgbb_without_dropout_is_the_beta_binomial() -> None:
    # gamma -> 0: nobody drops out, x ~ beta-binomial(n, a, b) (Skellam 1948), P(alive) = 1
    rng = np.random.default_rng(3)
    p = rng.beta(1.0, 2.0, 4000)
    buys = rng.random((4000, 8)) < p[:, None]
    x = buys.sum(axis=1)
    tx = np.where(x > 0, 8 - np.argmax(buys[:, ::-1], axis=1), 0)
    data = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": np.full(4000, 8)})
    with pytest.warns(BoundaryWarning, match="no dropout is visible") as caught:
        fit = BetaGeoBetaBinom.fit(data)
    assert len(caught) == 1
    assert fit.converged
    assert fit.at_boundary == ("gamma", "delta")
    m = fit.model
    a, b = m.alpha, m.beta
    xs = np.arange(9, dtype=float)
    counts = np.array([(x == k).sum() for k in range(9)], dtype=float)

    def nll(v: np.ndarray) -> float:  # beta-binomial; t_x carries no information here
        return -float(counts @ np.log(_beta_ratio(np.exp(v[0]), np.exp(v[1]), xs, 8 - xs)))

    ref = optimize.minimize(
        nll, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-11}
    )
    assert a == pytest.approx(np.exp(ref.x[0]), rel=1e-6)
    assert b == pytest.approx(np.exp(ref.x[1]), rel=1e-6)
    assert fit.log_likelihood == pytest.approx(-ref.fun, rel=1e-10)
    xf = x.astype(float)
    assert m.log_likelihood(data) == pytest.approx(
        float(np.log(_beta_ratio(a, b, xf, 8 - xf)).sum()), rel=1e-12
    )
    t = np.arange(0, 12)
    assert np.allclose(m.expected_purchases(t), t * a / (a + b), rtol=TOL, atol=0)
    for nn in (1, 5, 8):
        k = np.arange(nn + 1, dtype=float)
        dist = special.comb(nn, k) * _beta_ratio(a, b, k, nn - k)
        assert np.allclose(m.probability_of_purchases(k, nn), dist, rtol=TOL, atol=0)
    assert np.allclose(m.probability_alive(data, t=3).to_numpy(), 1.0, rtol=TOL, atol=0)
    cond = 5.0 * (a + xf) / (a + b + 8.0)  # posterior mean of p times 5 opportunities
    got = m.conditional_expected_purchases(data, t=5).to_numpy()
    assert np.allclose(got, cond, rtol=TOL, atol=0)


@pytest.mark.parametrize(
    ("gamma", "delta"),
    [(1e-15, 1.7e7), (0.5, 1.7e7), (0.5, 3.0), (3.0, 8.5e13), (1e3, 1e13), (1.5e13, 8.5e13)],
)
def test_bgbb_expected_purchases_near_the_dropout_limits_match_mpmath(
    gamma: float, delta: float
) -> None:
    # E[X(n)] = p_bar * sum_{s=1}^{n} B(gamma, delta + s) / B(gamma, delta) (FHS 2010,
    # eq. 9 summed), by mpmath at 40 digits: the closed form of the sum must keep its
    # relative accuracy when delta >> n (nearly no dropout) and when both shapes are large
    import mpmath as mp

    model = BetaGeoBetaBinom(alpha=1.0, beta=2.0, gamma=gamma, delta=delta)
    t = np.array([1.0, 7.0, 1000.0])
    with mp.workdps(40):
        g, d = mp.mpf(gamma), mp.mpf(delta)
        lb = mp.log(mp.beta(g, d))
        want = [
            float(mp.fsum(mp.exp(mp.log(mp.beta(g, d + s)) - lb) for s in range(1, int(n) + 1)))
            / 3.0
            for n in t
        ]
    assert np.allclose(model.expected_purchases(t), want, rtol=1e-9, atol=0)
