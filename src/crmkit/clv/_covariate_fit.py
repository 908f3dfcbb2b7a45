"""Maximum-likelihood fit of the covariate families (private; see
:mod:`crmkit.clv.covariates`).

Every customer's log-parameters are linear in *z* (the log baseline parameters and the
coefficients), so the gradient and, where the family gives the per-customer Hessian,
the Hessian of the total log-likelihood are sums over customers of small per-customer
pieces mapped through that linear map.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

from crmkit.clv._base import maximize_log_likelihood
from crmkit.clv._boundary import search_box
from crmkit.clv._compress import all_distinct, compress_rows
from crmkit.clv._covariate_rows import beta_geo_rows, pareto_rows
from crmkit.clv._data import SummaryArrays
from crmkit.clv._fit_result import Optimum
from crmkit.exceptions import ConvergenceError

__all__ = ["Block", "Rows", "beta_geo_adapter", "fit_covariate_model", "pareto_adapter"]

Arr = NDArray[np.float64]
_GAMMA_BOX = 30.0  # coefficients are searched in [-30, 30] (per unit of the covariate)
_WARM_MIN_ROWS = 30_000  # larger summaries start from a subsample's estimate
_WARM_ROWS = 5_000
_WARM_SEED = 20070101
_LIMIT_DECADES = 4.0  # an end point this close (in decades) to the box edge is at its limit
_COMPRESS_GAIN = 0.2  # compress the rows when that drops at least this share of them

Rows = Callable[[Arr, dict[int, Arr], Arr, Arr, Arr, bool], tuple[Arr, Arr, Arr | None]]
"""``rows(base, per_customer, x, tx, T, hessian) -> (ll, grad, hess or None)`` per customer."""
Block = tuple[str, Arr, float, int]
"""(name prefix, design matrix, sign of the exponent, index of the scaled parameter)."""


def _scaled(base: Arr, gam: Arr, blocks: list[Block], scaled: tuple[int, ...]) -> dict[int, Arr]:
    """Per-customer values of the scaled baseline parameters (index -> array)."""
    n = blocks[0][1].shape[0]
    lin = {j: np.zeros(n) for j in scaled}
    pos = 0
    for _, z, sign, row in blocks:
        k = z.shape[1]
        if k:
            lin[row] = lin[row] + sign * (z @ gam[pos : pos + k])
        pos += k
    with np.errstate(over="ignore"):
        return {j: np.asarray(base[j] * np.exp(lin[j]), dtype=np.float64) for j in scaled}


def _designs(blocks: list[Block], k0: int, n: int) -> list[tuple[NDArray[np.intp], Arr]]:
    """Per parameter *j* of a customer, the columns of *z* (the log baseline parameters
    and the coefficients) it depends on and the matrix :math:`D_j` over them, with
    :math:`\\log \\theta_{ij} = D_j[i] \\cdot z_{cols}`: every customer's log-parameters are
    linear in *z*."""
    out = []
    for j in range(4):
        cols = [j]
        parts = [np.ones((n, 1))]
        pos = k0
        for _, z, sign, row in blocks:
            width = z.shape[1]
            if row == j and width:
                cols.extend(range(pos, pos + width))
                parts.append(sign * z)
            pos += width
        out.append((np.asarray(cols, dtype=np.intp), np.hstack(parts)))
    return out


def _log_rows(
    rows: Rows,
    base: Arr,
    per: dict[int, Arr],
    scaled: tuple[int, ...],
    x: Arr,
    tx: Arr,
    T: Arr,
    hessian: bool,
) -> tuple[Arr, Arr, Arr | None]:
    """Per-customer log-likelihood, its gradient in the customer's log-parameters and
    (``hessian``, if the family gives it) the Hessian in them."""
    ll, g, h = rows(base, per, x, tx, T, hessian)
    g = g.copy()
    for j in range(4):
        if j not in scaled:
            g[j] *= base[j]
    return ll, g, h


def fit_covariate_model(
    *,
    family: str,
    base_names: tuple[str, ...],
    start: Arr,
    blocks: list[Block],
    scaled: tuple[int, ...],
    rows: Rows,
    has_hessian: bool,
    data: SummaryArrays,
    strict: bool,
    term_names: list[tuple[str, ...]],
) -> tuple[Optimum, list[str]]:
    """Maximise the covariate likelihood with :func:`maximize_log_likelihood`.

    The driver works on positive parameters through their logarithms, so a coefficient
    :math:`\\gamma` is passed as :math:`e^{\\gamma}` (whose logarithm is the coefficient
    itself: the search is unconstrained in :math:`\\gamma`) and mapped back exactly,
    covariance included (:math:`\\operatorname{Cov}(\\gamma) = D^{-1}
    \\operatorname{Cov}(e^{\\gamma}) D^{-1}`, :math:`D = \\operatorname{diag}(e^{\\gamma})`).
    The gradient is analytic: per customer in the baseline shape parameters and in the
    logarithms of the scaled parameters, summed by the chain rule.
    """
    n_obs = float(data.frequency.size)
    (x, tx, T), rows_blocks, weights = _compressed(data, blocks)
    k0 = len(base_names)
    names = list(base_names)
    for (prefix, _, _, _), terms in zip(blocks, term_names, strict=True):
        names.extend(f"{prefix}:{t}" for t in terms)
    k = len(names)

    design = _designs(rows_blocks, k0, x.size)

    def evaluate(theta: Arr, order: int) -> tuple[float, Arr, Arr]:
        base = theta[:k0]
        gam = np.log(theta[k0:])
        per = _scaled(base, gam, rows_blocks, scaled)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ll, g_u, h_u = _log_rows(rows, base, per, scaled, x, tx, T, order == 2)
            if weights is None:
                value = float(np.sum(ll))
            else:
                value = float(ll @ weights)
                g_u = g_u * weights
                h_u = None if h_u is None else h_u * weights
        if not np.isfinite(value) or not np.all(np.isfinite(g_u)):
            return -np.inf, np.zeros(k), np.full((k, k), np.nan)
        # sums over customers by einsum, not BLAS: a threaded BLAS spends more on its
        # threads than on these thin products (and far more on a busy machine)
        g_z = np.zeros(k)
        for j, (cj, dj) in enumerate(design):
            g_z[cj] += np.einsum("n,ni->i", g_u[j], dj)
        if h_u is None:
            return value, g_z / theta, np.empty((0, 0))
        h_z = np.zeros((k, k))
        for j, (cj, dj) in enumerate(design):
            for i, (ci, di) in enumerate(design[: j + 1]):
                block = np.einsum("ni,nj->ij", dj, h_u[j, i][:, None] * di)
                h_z[np.ix_(cj, ci)] += block
                if i != j:
                    h_z[np.ix_(ci, cj)] += block.T
        h_theta = (h_z - np.diag(g_z)) / np.outer(theta, theta)
        return value, g_z / theta, h_theta

    def value_and_gradient(theta: Arr) -> tuple[float, Arr]:
        value, grad, _ = evaluate(theta, 1)
        return value, grad

    def value_gradient_hessian(theta: Arr) -> tuple[float, Arr, Arr]:
        value, grad, hess = evaluate(theta, 2)
        if not np.isfinite(value) or not np.all(np.isfinite(hess)):
            return np.nan, grad, hess  # the driver differences the gradient instead
        return value, grad, hess

    n_coef = k - k0
    default = np.concatenate([start, np.ones(n_coef)])
    others = [np.concatenate([start * f, np.ones(n_coef)]) for f in (0.3, 3.0)]
    warm = _warm_start(
        family, base_names, start, blocks, scaled, rows, has_hessian, data, term_names
    )
    theta0, restarts = (default, others) if warm is None else (warm, [default, *others])
    coef_box = np.tile([np.exp(-_GAMMA_BOX), np.exp(_GAMMA_BOX)], (n_coef, 1))
    box = np.vstack([search_box(start), coef_box])
    # the driver sees exp(gamma): its messages (end points, limits reached) name it so
    driver_names = names[:k0] + [f"exp({name})" for name in names[k0:]]
    try:
        opt = maximize_log_likelihood(
            lambda th: value_and_gradient(th)[0],
            theta0,
            names=driver_names,
            n_obs=n_obs,
            value_and_gradient=value_and_gradient,
            value_gradient_hessian=value_gradient_hessian if has_hessian else None,
            strict=strict,
            family=family,
            bounds=box,
            restarts=restarts,
        )
    except ConvergenceError as err:
        limit = _no_dropout_limit(err, base_names, box, blocks)
        if limit is None:
            raise
        # the driver's advice (degenerate histories, strict=False) does not apply here
        report = str(err).split(" Check the data", 1)[0]
        raise ConvergenceError(
            f"{family}: the dropout process is at its limit ({limit}: no dropout is "
            "visible in these data, P(alive) is 1 for everyone), so its covariates "
            "cannot be estimated. Fit without dropout_covariates (purchase_covariates "
            f"only). The optimiser's report: {report}",
            result=err.result,
        ) from err
    params = np.asarray(opt.params, dtype=np.float64).copy()
    jac = np.ones(k)
    jac[k0:] = 1.0 / params[k0:]
    params[k0:] = np.log(params[k0:])
    cov = opt.covariance * np.outer(jac, jac)
    at_boundary = tuple(names[driver_names.index(name)] for name in opt.at_boundary)
    return attrs.evolve(opt, params=params, covariance=cov, at_boundary=at_boundary), names


def _compressed(
    data: SummaryArrays, blocks: list[Block]
) -> tuple[tuple[Arr, Arr, Arr], list[Block], Arr | None]:
    """The distinct rows of (x, t_x, T, covariates) with their counts as weights, when
    that saves at least :data:`_COMPRESS_GAIN` of the rows (categorical covariates and
    day-level summaries repeat); the rows unchanged and no weights otherwise. Every
    customer's likelihood depends only on these numbers, so the fit is the same."""
    x, tx, T = data.frequency, data.recency, data.T
    zs = [z[:, j] for _, z, _, _ in blocks for j in range(z.shape[1])]
    if x.size < 2 or any(all_distinct(col) for col in (tx, *zs)):
        return (x, tx, T), blocks, None  # a column without repeats: rows cannot repeat
    cols = {"x": x, "tx": tx, "T": T} | {f"z{i}": col for i, col in enumerate(zs)}
    uniq, counts, _ = compress_rows(cols)
    if counts.size > (1.0 - _COMPRESS_GAIN) * x.size:
        return (x, tx, T), blocks, None
    out: list[Block] = []
    pos = 0
    for prefix, z, sign, row in blocks:
        width = z.shape[1]
        zc = [uniq[f"z{i}"] for i in range(pos, pos + width)]
        zu = np.column_stack(zc) if width else np.zeros((counts.size, 0))
        out.append((prefix, np.ascontiguousarray(zu, dtype=np.float64), sign, row))
        pos += width
    return (uniq["x"], uniq["tx"], uniq["T"]), out, counts


def _no_dropout_limit(
    err: ConvergenceError,
    base_names: tuple[str, ...],
    box: Arr,
    blocks: list[Block],
) -> str | None:
    """``"a -> 0"``-style text when the failed fit's end point has the dropout baseline
    (shape ``base_names[2]``, scale ``base_names[3]``) at the no-dropout edge of the box
    (shape at the bottom or scale at the top, within :data:`_LIMIT_DECADES`) and the fit
    has dropout covariates; None otherwise.

    Both the BG/NBD ``(a, b)`` and the Pareto/NBD ``(s, beta)`` lose their dropout there
    (Fader, Hardie & Lee 2005; Schmittlein, Morrison & Colombo 1987): the likelihood
    carries no information on the dropout coefficients.
    """
    if not any(row in (2, 3) and z.shape[1] > 0 for _, z, _, row in blocks):
        return None
    end = getattr(err.result, "x", None)
    if end is None or np.shape(end) != (box.shape[0],):
        return None
    theta = np.exp(np.asarray(end, dtype=np.float64))
    margin = 10.0**_LIMIT_DECADES
    parts = []
    if theta[2] <= box[2, 0] * margin:
        parts.append(f"{base_names[2]} -> 0")
    if theta[3] >= box[3, 1] / margin:
        parts.append(f"{base_names[3]} -> infinity")
    return " / ".join(parts) or None


def _warm_start(
    family: str,
    base_names: tuple[str, ...],
    start: Arr,
    blocks: list[Block],
    scaled: tuple[int, ...],
    rows: Rows,
    has_hessian: bool,
    data: SummaryArrays,
    term_names: list[tuple[str, ...]],
) -> Arr | None:
    """A starting point from the fit of a seeded random subsample of
    :data:`_WARM_ROWS` customers (summaries of more than :data:`_WARM_MIN_ROWS`), on the
    driver's scale (coefficients as :math:`e^{\\gamma}`); None for smaller summaries or
    when the subsample fit does not converge to an interior point. Only the start
    changes: the result is the full-data maximum that passed the driver's checks."""
    n = data.frequency.size
    if n <= _WARM_MIN_ROWS:
        return None
    rng = np.random.default_rng(_WARM_SEED)
    idx = np.sort(rng.choice(n, size=_WARM_ROWS, replace=False))
    sub = SummaryArrays(
        frequency=data.frequency[idx],
        recency=data.recency[idx],
        T=data.T[idx],
        weights=data.weights[idx],
        index=data.index[idx],
    )
    sub_blocks = [(p, z[idx], sign, row) for p, z, sign, row in blocks]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt, _ = fit_covariate_model(
                family=family,
                base_names=base_names,
                start=start,
                blocks=sub_blocks,
                scaled=scaled,
                rows=rows,
                has_hessian=has_hessian,
                data=sub,
                strict=False,
                term_names=term_names,
            )
    except ConvergenceError:
        return None
    if not opt.converged or opt.at_boundary:
        return None
    k0 = len(base_names)
    theta = np.asarray(opt.params, dtype=np.float64).copy()
    theta[k0:] = np.exp(theta[k0:])
    return theta


def pareto_adapter(
    base: Arr, scaled: dict[int, Arr], x: Arr, tx: Arr, T: Arr, hessian: bool
) -> tuple[Arr, Arr, Arr | None]:
    r, s = float(base[0]), float(base[2])
    ll, g, h = pareto_rows(r, scaled[1], s, scaled[3], x, tx, T, hessian=hessian)
    assert g is not None  # grad=True
    return ll, g, h


def beta_geo_adapter(shift: int) -> Rows:
    def rows(
        base: Arr, scaled: dict[int, Arr], x: Arr, tx: Arr, T: Arr, hessian: bool
    ) -> tuple[Arr, Arr, Arr | None]:
        r = float(base[0])
        return beta_geo_rows(r, scaled[1], scaled[2], scaled[3], shift, x, tx, T, hessian=hessian)

    return rows
