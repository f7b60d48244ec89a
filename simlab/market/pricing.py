"""Pricing rules as pure functions: blended prices, cost plus, share defense, best response."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simlab.market.choice import own_price_elasticity

__all__ = ["best_response", "blend", "cost_plus", "defend"]

Array = NDArray[np.float64]


def blend(price_in: ArrayLike, price_out: ArrayLike, input_share: ArrayLike) -> Array:
    """Return the blended price ``w * price_in + (1 - w) * price_out`` (USD per M tokens)."""
    pi, po, w = (np.asarray(x, dtype=np.float64) for x in (price_in, price_out, input_share))
    out = w * pi
    out += (1.0 - w) * po
    return out


def cost_plus(cost: ArrayLike, markup: ArrayLike) -> Array:
    """Return the cost-plus blended price ``cost * (1 + markup)``."""
    c, m = (np.asarray(x, dtype=np.float64) for x in (cost, markup))
    return c * (1.0 + m)


def defend(price: ArrayLike, cost: ArrayLike, cut: ArrayLike, floor: ArrayLike) -> Array:
    """Return the price after a share-defense cut: ``max(price (1 - cut), cost (1 + floor))``.

    A price already below the floor is left where it is (a cut never raises a price).
    """
    p, c, k, f = (np.asarray(x, dtype=np.float64) for x in (price, cost, cut, floor))
    return np.minimum(p, np.maximum(p * (1.0 - k), c * (1.0 + f)))


def best_response(
    log_price: ArrayLike,
    cost: ArrayLike,
    own: ArrayLike,
    alpha: ArrayLike,
    lam: ArrayLike,
    log_rivals_nest: ArrayLike,
    log_other_nests: ArrayLike,
    log_outside: ArrayLike,
    base_volume: ArrayLike,
    epsilon: ArrayLike,
    inclusive_ref: ArrayLike,
    ceiling: ArrayLike = 10.0,
    tol: float = 1e-12,
    max_iter: int = 60,
) -> Array:
    """Return the profit-maximising price of a provider given its rivals' prices.

    Demand in segment ``s`` at log price ``x`` is ``q_s = V_s (P_s / P_s,0)^-ε_s σ_s(x)``
    with nested-logit share ``σ_s`` (see :func:`~simlab.market.choice.nested_logit`) and
    ideal price index ``P_s = exp(-IV_s / α_s)``. Profit ``Σ_s q_s (π - c)`` is maximal
    where ``Σ_s q_s [1 + (1 - c/π) η_s] = 0`` (``η_s`` the own-price elasticity), i.e.
    at the markup ``(π - c) / π = 1 / |η̄|`` with ``η̄`` the quantity-weighted
    elasticity: the nested-logit markup equation. It is solved per draw by a secant
    iteration on ``x = ln π`` from the current price; where demand stays inelastic
    (``|η̄| <= 1`` at every price) the price is capped at ``ceiling x cost``.

    Segments run along axis -2 and draws along the last axis; leading axes (several
    providers, each against its own rivals) broadcast.

    Parameters
    ----------
    log_price : array_like, shape (..., B)
        The provider's current log price (the starting point).
    cost : array_like, shape (..., B)
        Marginal cost, in the price's unit.
    own : array_like, shape (..., S, B)
        The provider's price-free utility ``v_s`` in each segment (``-inf`` where it is
        not available).
    alpha, epsilon, inclusive_ref : array_like, shape (..., S, B)
        Price coefficient, volume elasticity and the inclusive value at which the
        volume factor is 1.
    lam : array_like, shape (..., B)
        λ of the provider's nest.
    log_rivals_nest : array_like, shape (..., S, B)
        ``ln Σ exp(u_k / λ)`` over the rivals in the provider's nest (``-inf``: none).
    log_other_nests : array_like, shape (..., S, B)
        ``ln Σ_m exp(IV_m)`` over the other nests (``-inf``: none).
    log_outside : array_like, shape (..., S, B)
        The outside option's utility (``-inf``: none).
    base_volume : array_like, shape (..., S, B)
        ``V_s``, the volume at the reference index, times any paid fraction.
    ceiling : array_like, shape (..., B)
        Highest price as a multiple of cost.
    tol, max_iter : float, int
        Convergence tolerance on ``ln π`` and the iteration budget.

    Returns
    -------
    numpy.ndarray, shape (..., B)
        The best-response price.
    """
    x0 = np.asarray(log_price, dtype=np.float64)
    c = np.asarray(cost, dtype=np.float64)
    v, a = (np.asarray(z, dtype=np.float64) for z in (own, alpha))
    lm = np.asarray(lam, dtype=np.float64)[..., None, :]
    r, q, o = (
        np.asarray(z, dtype=np.float64) for z in (log_rivals_nest, log_other_nests, log_outside)
    )
    vol, eps, iv0 = (np.asarray(z, dtype=np.float64) for z in (base_volume, epsilon, inclusive_ref))
    log_c = np.log(c)
    low = log_c + 1e-9
    high = log_c + np.log(np.maximum(np.asarray(ceiling, dtype=np.float64), 1.0 + 1e-6))
    vol = np.where(np.isfinite(v) & (vol > 0), vol, 0.0)
    inv = 1.0 / lm
    scale = np.where(a > 0, eps / np.where(a > 0, a, 1.0), 0.0)  # volume response per IV
    # Work in exp space, shifted by the log-sums at the starting price so that nothing
    # overflows while the price stays within [cost, ceiling x cost] (about half the
    # transcendental calls of the log-space form; the iteration is the hot loop of
    # best_response pricing).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_0 = (v - a * np.clip(x0, low, high)[..., None, :]) * inv
        shift_d = np.fmax(np.where(np.isfinite(a_0), a_0, -np.inf), r)
        shift_d = np.where(np.isfinite(shift_d), shift_d, 0.0)
        rivals = np.exp(r - shift_d)
        iv_0 = lm * (np.log(np.exp(a_0 - shift_d) + rivals) + shift_d)
        shift_n = np.fmax(np.fmax(np.where(np.isfinite(iv_0), iv_0, -np.inf), q), o)
        shift_n = np.where(np.isfinite(shift_n), shift_n, 0.0)
        others = np.exp(q - shift_n)
        outside = np.exp(o - shift_n)
        # (P/P_0)^-eps = exp(scale (IV - IV_0)) = (inside sum x e^(shift_n - IV_0))^scale
        base = vol * np.exp(scale * (shift_n - iv0))
    coef = v * inv - shift_d  # a_p - shift_d = coef - (a / lam) x
    slope = a * inv
    # What one step reads; the iteration narrows these to the draws still iterating.
    k = [coef, slope, rivals, lm, shift_d, shift_n, others, outside, base, scale, a, eps]
    k += [log_c, low, high]

    def markup_step(x: Array) -> Array:
        """One step of the markup equation: ln c - ln(1 - 1/|η̄(x)|)."""
        coef, slope, rivals, lm, shift_d, shift_n, others, outside, base, scale, a, eps = k[:12]
        log_c, low, high = k[12:]
        own_e = np.exp(coef - slope * x[..., None, :])
        d = own_e + rivals
        within = own_e / d
        nest = np.exp(lm * np.log(d) + (lm * shift_d - shift_n))
        inside = nest + others
        inside_share = nest / inside * within
        share = nest / (inside + outside) * within
        demand = base * inside**scale * share
        eta = own_price_elasticity(a, lm, within, share, inside_share, eps)
        weight = demand.sum(axis=-2)
        eta_bar = (demand * eta).sum(axis=-2) / np.where(weight > 0, weight, 1.0)
        m = np.where(eta_bar < -1.0, -1.0 / eta_bar, np.nan)
        new = log_c - np.log1p(-m)
        return np.clip(np.where(np.isfinite(new), new, high), low, high)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x_prev = np.clip(x0, low, high)
        h_prev = markup_step(x_prev) - x_prev
        x = x_prev + h_prev
        result = x.copy()
        columns = np.arange(x.shape[-1])  # the draws still iterating
        done = np.zeros(x.shape, dtype=bool)
        for _ in range(max_iter):
            h = markup_step(x) - x
            # A draw stops at its own first converged iterate: its answer then does not
            # depend on the other draws computed with it (any block size, same bits).
            done |= np.abs(h) < tol
            if done.all():
                break
            denom = h - h_prev
            secant = x - h * (x - x_prev) / np.where(denom != 0, denom, 1.0)
            ok = (denom != 0) & np.isfinite(secant)
            x_next = np.clip(np.where(ok, secant, x + h), k[13], k[14])
            x_prev, h_prev = x, h
            x = np.where(done, x, x_next)
            # Most draws converge in four or five steps and a few take up to twenty:
            # draws that are done leave the iteration (no draw's arithmetic involves
            # another's, so the bits are those of iterating all of them to the end).
            finished = done.reshape(-1, len(columns)).all(axis=0)
            if finished.sum() * 4 >= len(columns):
                result[..., columns[finished]] = x[..., finished]
                stay = ~finished
                columns = columns[stay]
                x, x_prev, h_prev, done = (z[..., stay] for z in (x, x_prev, h_prev, done))
                k = [z if z.shape[-1] == 1 else z[..., stay] for z in k]
        result[..., columns] = x
    return np.exp(result)
