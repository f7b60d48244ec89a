"""Serving capacity: demand above capacity spills to providers with spare capacity."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["allocate"]

Array = NDArray[np.float64]


def allocate(demand: ArrayLike, capacity: ArrayLike, axis: int = -1) -> tuple[Array, Array]:
    """Serve demand within capacity, spilling the excess once, in proportion to shares.

    Each provider serves ``min(demand, capacity)``. The excess of all providers is
    offered to the providers with spare capacity in proportion to their own demand
    (their share of the market), each taking at most its spare capacity. What is left is
    unmet. So ``served.sum(axis) + unmet == demand.sum(axis)`` exactly, and no provider
    serves more than its capacity.

    Parameters
    ----------
    demand : array_like
        Paid demand by provider along ``axis`` (tokens per month).
    capacity : array_like
        Capacity by provider (``inf`` for unlimited), broadcasting against ``demand``.
    axis : int
        The provider axis.

    Returns
    -------
    served : numpy.ndarray
        Tokens served by each provider, shaped like ``demand``.
    unmet : numpy.ndarray
        Demand nobody served, with ``axis`` removed.
    """
    d = np.asarray(demand, dtype=np.float64)
    k = np.broadcast_to(np.asarray(capacity, dtype=np.float64), d.shape)
    served = np.minimum(d, k)
    excess = np.sum(d - served, axis=axis, keepdims=True)
    spare = k - served
    weight = np.where(spare > 0, d, 0.0)
    wsum = np.sum(weight, axis=axis, keepdims=True)
    # The weights' fractions first: excess x weight can underflow for tiny demands.
    offer = excess * np.divide(weight, wsum, out=np.zeros_like(d), where=wsum > 0)
    taken = np.minimum(offer, spare)
    served = served + taken
    unmet = np.sum(d, axis=axis) - np.sum(served, axis=axis)
    return served, np.maximum(unmet, 0.0)
