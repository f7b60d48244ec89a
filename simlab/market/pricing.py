"""Pricing helpers: blended prices and the share-defense cut."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["blend", "defend"]

Array = NDArray[np.float64]


def blend(price_in: ArrayLike, price_out: ArrayLike, input_share: ArrayLike) -> Array:
    """Return the blended price ``w * price_in + (1 - w) * price_out`` (USD per M tokens)."""
    pi, po, w = (np.asarray(x, dtype=np.float64) for x in (price_in, price_out, input_share))
    return w * pi + (1.0 - w) * po


def defend(price: ArrayLike, cost: ArrayLike, cut: ArrayLike, floor: ArrayLike) -> Array:
    """Return the price after a share-defense cut: ``max(price (1 - cut), cost (1 + floor))``.

    A price already below the floor is left where it is (a cut never raises a price).
    """
    p, c, k, f = (np.asarray(x, dtype=np.float64) for x in (price, cost, cut, floor))
    return np.minimum(p, np.maximum(p * (1.0 - k), c * (1.0 + f)))
