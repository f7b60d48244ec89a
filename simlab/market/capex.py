"""Capex: commitments that become capacity after a lead time and retire after a life.

A commitment of ``amount`` USD spread evenly over ``months`` steps from ``start`` buys,
with each step's spend ``s_k``, capacity ``s_k / c_k`` (``c_k`` the unit cost then). It
is delivered ``lead`` steps later, retires ``life`` steps after delivery, and is
depreciated straight-line over that life from delivery. With ``S(k)`` the cumulative
spend and ``D(k)`` the cumulative capacity bought up to step ``k``:

- capacity in service at ``t`` is ``D(t - lead) - D(t - lead - life)``;
- depreciation at ``t`` is ``(S(t - lead) - S(t - lead - life)) / life``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["capex_schedule"]

Array = NDArray[np.float64]


def _lagged(cum: Array, lag: NDArray[np.int64]) -> Array:
    """Return ``cum[b, t - lag[b]]`` (0 where ``t - lag < 0``) for every draw and step."""
    n_steps = cum.shape[-1]
    idx = np.arange(n_steps)[None, :] - lag[:, None]
    safe = np.clip(idx, 0, n_steps - 1)
    out = np.take_along_axis(cum, safe, axis=-1)
    return np.where(idx >= 0, out, 0.0)


def capex_schedule(
    amount: ArrayLike,
    start: ArrayLike,
    months: ArrayLike,
    lead: ArrayLike,
    life: ArrayLike,
    unit_cost: ArrayLike,
    n_steps: int,
) -> tuple[Array, Array, Array]:
    """Return the spend, capacity delivered and depreciation of one commitment per draw.

    Parameters
    ----------
    amount : array_like, shape (draws,)
        USD committed.
    start : array_like of int, shape (draws,)
        Step at which spending starts.
    months : array_like of int, shape (draws,)
        Number of steps it is spread over (>= 1).
    lead, life : array_like of int, shape (draws,)
        Steps from spend to delivery, and from delivery to retirement (life >= 1).
    unit_cost : array_like, shape (draws, n_steps)
        USD per unit of capacity (token/month) bought at each step.
    n_steps : int
        Length of the horizon.

    Returns
    -------
    spend, capacity, depreciation : numpy.ndarray, shape (draws, n_steps)
        USD spent per step; capacity in service (tokens per month); USD depreciation
        per step.
    """
    amount = np.atleast_1d(np.asarray(amount, dtype=np.float64))
    start, months, lead, life = (
        np.atleast_1d(np.asarray(x)).astype(np.int64) for x in (start, months, lead, life)
    )
    lead = lead.astype(np.int64)
    months = np.maximum(months, 1)
    life = np.maximum(life, 1)
    t = np.arange(n_steps)[None, :]
    active = (t >= start[:, None]) & (t < (start + months)[:, None])
    spend = np.where(active, (amount / months)[:, None], 0.0)
    bought = spend / np.asarray(unit_cost, dtype=np.float64)
    cum_spend = np.cumsum(spend, axis=-1)
    cum_bought = np.cumsum(bought, axis=-1)
    capacity = _lagged(cum_bought, lead) - _lagged(cum_bought, lead + life)
    depreciation = (_lagged(cum_spend, lead) - _lagged(cum_spend, lead + life)) / life[:, None]
    return spend, capacity, depreciation
