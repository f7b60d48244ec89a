"""Pricing rules as pure functions: blended prices, cost plus, share defense, best response."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
    """Return the profit-maximising price of one provider given its rivals' prices.

    Demand in segment ``s`` at log price ``x`` is ``q_s = V_s (P_s / P_s,0)^-ε_s σ_s(x)``
    with nested-logit share ``σ_s`` (see :func:`~simlab.market.choice.nested_logit`) and
    ideal price index ``P_s = exp(-IV_s / α_s)``. Profit ``Σ_s q_s (π - c)`` is maximal
    where ``Σ_s q_s [1 + (1 - c/π) η_s] = 0`` (``η_s`` the own-price elasticity), i.e.
    at the markup ``(π - c) / π = 1 / |η̄|`` with ``η̄`` the quantity-weighted
    elasticity: the nested-logit markup equation. It is solved per draw by a secant
    iteration on ``x = ln π`` from the current price; where demand stays inelastic
    (``|η̄| <= 1`` at every price) the price is capped at ``ceiling x cost``.

    Parameters
    ----------
    log_price : array_like, shape (B,)
        The provider's current log price (the starting point).
    cost : array_like, shape (B,)
        Marginal cost, in the price's unit.
    own : array_like, shape (S, B)
        The provider's price-free utility ``v_s`` in each segment (``-inf`` where it is
        not available).
    alpha, epsilon, inclusive_ref : array_like, shape (S, B)
        Price coefficient, volume elasticity and the inclusive value at which the
        volume factor is 1.
    lam : array_like, shape (B,)
        λ of the provider's nest.
    log_rivals_nest : array_like, shape (S, B)
        ``ln Σ exp(u_k / λ)`` over the rivals in the provider's nest (``-inf``: none).
    log_other_nests : array_like, shape (S, B)
        ``ln Σ_m exp(IV_m)`` over the other nests (``-inf``: none).
    log_outside : array_like, shape (S, B)
        The outside option's utility (``-inf``: none).
    base_volume : array_like, shape (S, B)
        ``V_s``, the volume at the reference index, times any paid fraction.
    ceiling : array_like
        Highest price as a multiple of cost.
    tol, max_iter : float, int
        Convergence tolerance on ``ln π`` and the iteration budget.

    Returns
    -------
    numpy.ndarray, shape (B,)
        The best-response price.
    """
    x0 = np.asarray(log_price, dtype=np.float64)
    c = np.asarray(cost, dtype=np.float64)
    v, a, lm = (np.asarray(z, dtype=np.float64) for z in (own, alpha, lam))
    r, q, o = (
        np.asarray(z, dtype=np.float64) for z in (log_rivals_nest, log_other_nests, log_outside)
    )
    vol, eps, iv0 = (np.asarray(z, dtype=np.float64) for z in (base_volume, epsilon, inclusive_ref))
    low = np.log(c) + 1e-9
    high = np.log(c) + np.log(np.maximum(np.asarray(ceiling, dtype=np.float64), 1.0 + 1e-6))
    active = np.isfinite(v) & (vol > 0)

    def markup_step(x: Array) -> Array:
        """One step of the markup equation: ln c - ln(1 - 1/|η̄(x)|)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a_p = (v - a * x) / lm  # ln exp(u_p / λ)
            log_d = np.logaddexp(a_p, r)
            within = np.exp(a_p - log_d)
            iv_n = lm * log_d
            inside = np.logaddexp(iv_n, q)
            total = np.logaddexp(inside, o)
            share = np.exp(iv_n - total) * within
            inside_share = np.exp(iv_n - inside) * within
            factor = np.exp(np.where(a > 0, eps * (inside - iv0) / np.where(a > 0, a, 1.0), 0.0))
            demand = np.where(active, vol * factor * share, 0.0)
            inv = 1.0 / lm
            eta = -a * (inv - (inv - 1.0) * within - share) - eps * inside_share
            weight = demand.sum(axis=0)
            eta_bar = np.where(
                weight > 0, (demand * eta).sum(axis=0) / np.where(weight > 0, weight, 1.0), 0.0
            )
            m = np.where(eta_bar < -1.0, -1.0 / eta_bar, np.nan)
            new = np.log(c) - np.log1p(-m)
        return np.clip(np.where(np.isfinite(new), new, high), low, high)

    x_prev = np.clip(x0, low, high)
    h_prev = markup_step(x_prev) - x_prev
    x = x_prev + h_prev
    for _ in range(max_iter):
        h = markup_step(x) - x
        if np.all(np.abs(h) < tol):
            break
        denom = h - h_prev
        secant = x - h * (x - x_prev) / np.where(denom != 0, denom, 1.0)
        ok = (denom != 0) & np.isfinite(secant)
        x_next = np.where(ok, secant, x + h)
        x_prev, h_prev = x, h
        x = np.clip(x_next, low, high)
    return np.exp(x)
