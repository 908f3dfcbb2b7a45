"""The Pareto/NBD log-likelihood and its gradient as fit objective (private).

Per history, :math:`\\log L = \\log C + \\log A + \\operatorname{softplus}(R)` (Fader &
Hardie 2005, note 009, eq. 19; *R* from :func:`crmkit.clv._pareto_ratio.pareto_log_ratio`).
On many histories (at least :data:`~crmkit.clv._pareto_ratio.FAST_MIN_ROWS`) the value
and the gradient are accumulated in one pass over cache-sized chunks of rows sorted by
*x*, from the interpolated hypergeometric terms
(:func:`crmkit.clv._pareto_ratio.interpolated_log_f`): the gradient of *R* per history
is never formed, only its weighted sums. Histories the interpolation does not cover
(small groups, failed pieces, nearly cancelling tail integrals) are computed directly,
as :func:`~crmkit.clv._pareto_ratio.pareto_log_ratio` does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crmkit.clv._hyp_bg import lgamma_ratio
from crmkit.clv._pareto_hessian import pareto_hessian
from crmkit.clv._pareto_ratio import (
    DELTA_MIN,
    FAST_MIN_ROWS,
    interpolated_log_f,
    pareto_log_ratio,
)
from crmkit.clv._special import wdot

__all__ = ["pareto_objective"]

Arr = NDArray[np.float64]
Objective = tuple[Callable[[Arr], float], Callable[[Arr], tuple[float, Arr]]]

_CHUNK = 16_384


def _dot(a: Arr, b: Arr) -> float:
    return float(np.einsum("i,i->", a, b))


def _softplus_expit(R: Arr) -> tuple[Arr, Arr]:
    """log(1 + e^R) and 1 / (1 + e^-R), from one exponential (no overflow)."""
    E = np.exp(-np.abs(R))
    inv = 1.0 / (1.0 + E)
    return np.maximum(R, 0.0) + np.log1p(E), np.where(R >= 0.0, inv, E * inv)


def pareto_objective(x: Arr, tx: Arr, T: Arr, w: Arr) -> Objective:
    """Weighted Pareto/NBD log-likelihood and analytic gradient.

    Per history, :math:`\\log L = \\log C + \\log A + \\operatorname{softplus}(R)` with *R*
    from :func:`crmkit.clv._pareto_ratio.pareto_log_ratio` (bounded cost per history);
    terms in x alone are evaluated once per distinct x.
    """
    # sorted by x once: the interpolated hypergeometric terms then need no reordering
    small = x.size > 0 and float(x.min()) >= 0.0 and float(x.max()) < 2**15
    if small and np.array_equal(x, np.floor(x)):  # counts: radix sort of 16-bit keys
        order = np.argsort(x.astype(np.int16), kind="stable")
    else:
        order = np.argsort(x, kind="stable")
    x, tx, T, w = x[order], tx[order], T[order], w[order]
    new = np.concatenate([[True], x[1:] != x[:-1]])
    codes = np.asarray(np.cumsum(new) - 1, dtype=np.intp)
    xu = x[new]
    wx = np.bincount(codes, weights=w, minlength=xu.size)
    n = float(w.sum())
    w_x, w_T, dT = w * x, w * T, T - tx

    def x_terms(r: float, grad: bool) -> tuple[float, float]:
        # sum of w (log Gamma(r + x) - log Gamma(r)), each difference formed without
        # cancelling the two log-gammas (at r = 1e8 they are 1.7e9 each)
        value = wdot(wx, lgamma_ratio(r, xu))
        if not grad:
            return value, 0.0
        return value, wdot(wx, special.digamma(r + xu)) - n * float(special.digamma(r))

    def direct(theta: Arr, grad: bool) -> tuple[float, Arr]:
        r, alpha, s, beta = (float(v) for v in theta)
        R, dR = pareto_log_ratio(r, alpha, s, beta, x, tx, T, grad=grad, fast=False)
        la = np.log1p(T / alpha)
        lb = np.log1p(T / beta)
        vx, gx = x_terms(r, grad)
        sp, ex = _softplus_expit(R)
        value = vx - r * wdot(w, la) - wdot(w_x, np.log(alpha + T)) - s * wdot(w, lb) + wdot(w, sp)
        if not grad or dR is None:
            return value, np.zeros(4)
        pd_ = w * ex
        out = np.array([wdot(pd_, dR[j]) for j in range(4)])
        ia_T, ib_T = 1.0 / (alpha + T), 1.0 / (beta + T)
        out[0] += gx - wdot(w, la)
        out[1] += r / alpha * wdot(w_T, ia_T) - wdot(w_x, ia_T)
        out[2] += -wdot(w, lb)
        out[3] += s / beta * wdot(w_T, ib_T)
        return value, out

    def fused(theta: Arr, grad: bool) -> tuple[float, Arr]:
        r, alpha, s, beta = (float(v) for v in theta)
        th = (r, alpha, s, beta)
        F_tx, F_T, done = interpolated_log_f(th, x, tx, T, grad, groups=(codes, xu))
        value, gx = x_terms(r, grad)
        g = np.zeros(4)
        g[0] = gx
        redo: list[NDArray[np.intp]] = []
        for a in range(0, x.size, _CHUNK):  # chunks that stay in the processor cache
            c = slice(a, min(a + _CHUNK, x.size))
            v_c, g_c, bad = _chunk(
                th,
                (x[c], tx[c], T[c], w[c], w_x[c], w_T[c], dT[c]),
                F_tx[:, c],
                F_T[:, c],
                done[c],
                grad,
            )
            value += v_c
            g += g_c
            if bad.size:
                redo.append(bad + a)
        if redo:
            # histories not covered by the interpolation: R (and dR) computed directly
            i = np.concatenate(redo)
            R, dR = pareto_log_ratio(r, alpha, s, beta, x[i], tx[i], T[i], grad=grad, fast=False)
            sp, ex = _softplus_expit(R)
            value += wdot(w[i], sp)
            if grad and dR is not None:
                p = w[i] * ex
                g += np.array([wdot(p, dR[j]) for j in range(4)])
        return value, g

    def core(theta: Arr, grad: bool) -> tuple[float, Arr]:
        if x.size < FAST_MIN_ROWS:
            return direct(theta, grad)
        return fused(theta, grad)

    return (lambda th: core(th, False)[0]), _ValueGradient(
        lambda th: core(th, True), pareto_hessian(x, tx, T, w)
    )


class _ValueGradient:
    """``theta -> (value, gradient)``, with ``value_gradient_hessian`` for the fit driver
    (the exact Hessian of :mod:`crmkit.clv._pareto_hessian`; NaN where it is not exact).

    ``newton_keep_partial`` is False: Newton steps that stop short of an interior maximum
    (the Hessian is not exact near a limit such as beta -> infinity) are dropped, and the
    quasi-Newton run with its ridge jumps starts from the start itself.
    """

    newton_keep_partial = False
    # Newton steps end below 1e-8 (log-parameters): the polish takes the last step from
    # a gradient pass and keeps this Hessian (its step is below the driver's 1e-8)
    newton_step_tol = 1e-8

    def __init__(
        self,
        vg: Callable[[Arr], tuple[float, Arr]],
        fgh: Callable[[Arr], tuple[float, Arr, Arr]],
    ) -> None:
        self._vg = vg
        self.value_gradient_hessian = fgh

    def __call__(self, theta: Arr) -> tuple[float, Arr]:
        return self._vg(theta)


def _chunk(
    theta: tuple[float, float, float, float],
    rows: tuple[Arr, Arr, Arr, Arr, Arr, Arr, Arr],
    F_tx: Arr,
    F_T: Arr,
    done: NDArray[np.bool_],
    grad: bool,
) -> tuple[float, Arr, NDArray[np.intp]]:
    """Value and gradient sums of one chunk, and the rows left to the direct computation.

    *R* as in :func:`crmkit.clv._pareto_ratio._ratio_from_f`: with exponents
    :math:`(e_a, e_b) = (m, s)` if :math:`\\alpha \\ge \\beta` else :math:`(m - 1, s +
    1)`, :math:`\\delta = f(T) - f(t_x) - e_a \\log\\frac{\\alpha + T}{\\alpha + t_x} - e_b
    \\log\\frac{\\beta + T}{\\beta + t_x}` and :math:`R = \\log s + f(t_x) - \\log(m + s)
    + e_a \\log\\frac{\\alpha + T}{\\alpha + t_x} + e_b \\log\\frac{\\beta + T}{\\beta +
    t_x} + [\\alpha < \\beta] \\log\\frac{\\alpha + T}{\\beta + T} + \\log(1 - e^\\delta)`;
    its gradient enters only through the sums :math:`\\sum_i p_i \\partial R_i` with
    :math:`p_i = w_i\\,\\operatorname{expit}(R_i)`.
    """
    r, alpha, s, beta = theta
    x, tx, T, w, w_x, w_T, dT = rows  # w_x = w x, w_T = w T, dT = T - t_x
    a_ge = alpha >= beta
    g = np.zeros(4)
    # log C + log A (every row): -r log(1 + T/alpha) - x log(alpha + T) - s log(1 + T/beta)
    ia_T = 1.0 / (alpha + T)
    ib_T = 1.0 / (beta + T)
    la = np.log1p(T / alpha)
    lb = np.log1p(T / beta)
    value = -r * _dot(w, la) - _dot(w_x, np.log(alpha + T)) - s * _dot(w, lb)
    if grad:
        g[0] -= _dot(w, la)
        g[1] += r / alpha * _dot(w_T, ia_T) - _dot(w_x, ia_T)
        g[2] -= _dot(w, lb)
        g[3] += s / beta * _dot(w_T, ib_T)
    # the ratio R on the rows the interpolation covers
    ia_tx = 1.0 / (alpha + tx)
    ib_tx = 1.0 / (beta + tx)
    lr_a = np.log1p(dT * ia_tx)
    lr_b = np.log1p(dT * ib_tx)
    m = r + x
    ea = m if a_ge else m - 1.0
    eb = s if a_ge else s + 1.0
    t = ea * lr_a + eb * lr_b
    delta = F_T[0] - F_tx[0] - t
    bad = np.flatnonzero(~(done & (delta <= -DELTA_MIN)))
    if bad.size:  # left to the direct computation: weight 0 here, a harmless delta
        w = w.copy()
        w[bad] = 0.0
        delta[bad] = -1.0
    b = m + s
    ratio = np.exp(delta)
    one_m = -np.expm1(delta)
    # log(1 - e^delta) with delta <= -DELTA_MIN here: log(-expm1(delta)) is accurate to
    # rounding of R (it only loses relative accuracy where its value is below 1e-16)
    R = np.log(s) + t + F_tx[0] - np.log(b) + np.log(one_m)
    if not a_ge:
        R += np.log1p((alpha - beta) * ib_T)
    # R is finite here: softplus and expit from e^min(R, 700) (no overflow)
    Rc = np.minimum(R, 700.0)
    e = np.exp(Rc)
    value += _dot(w, np.log1p(e)) + _dot(w, R - Rc)
    if not grad:
        return value, g, bad
    ex = e / (1.0 + e)
    p = w * ex
    q = p / one_m
    qr = q * ratio
    fB_tx, fC_tx, fz_tx = F_tx[1], F_tx[2], F_tx[3]
    fB_T, fC_T, fz_T = F_T[1], F_T[2], F_T[3]
    sum_p = float(p.sum())
    p_b = _dot(p, 1.0 / b)
    qB, qC, rB, rC = _dot(q, fB_tx), _dot(q, fC_tx), _dot(qr, fB_T), _dot(qr, fC_T)
    diff_B, diff_C = qB - rB, qC - rC
    qz, rz = q * fz_tx, qr * fz_T
    ga = dT * ia_tx * ia_T  # 1/(alpha + t_x) - 1/(alpha + T)
    gb = dT * ib_tx * ib_T
    g[0] += _dot(q, lr_a) + diff_C + (diff_B if a_ge else 0.0) - p_b
    g[2] += _dot(q, lr_b) + diff_C + (0.0 if a_ge else diff_B) - p_b + sum_p / s
    g[1] -= _dot(q * ea, ga)
    g[3] -= eb * _dot(q, gb)
    if a_ge:
        # z = (alpha - beta) / (alpha + y): dz/dalpha = (beta + y) / (alpha + y)^2,
        # dz/dbeta = -1 / (alpha + y)
        g[1] += _dot(qz, (beta + tx) * ia_tx * ia_tx) - _dot(rz, (beta + T) * ia_T * ia_T)
        g[3] += -_dot(qz, ia_tx) + _dot(rz, ia_T)
    else:
        # z = (beta - alpha) / (beta + y); R also has log((alpha + T) / (beta + T))
        g[1] += -_dot(qz, ib_tx) + _dot(rz, ib_T) + _dot(p, ia_T)
        g[3] += _dot(qz, (alpha + tx) * ib_tx * ib_tx) - _dot(rz, (alpha + T) * ib_T * ib_T)
        g[3] -= _dot(p, ib_T)
    return value, g, bad
