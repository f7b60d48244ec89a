"""Pricing rules as pure functions: blended prices, cost plus, the share-defense cut."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["blend", "cost_plus", "defend"]

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
