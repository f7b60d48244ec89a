"""Quality releases: how a new model changes a provider's quality index."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["release_quality"]

Array = NDArray[np.float64]


def release_quality(
    mode: str,
    quality: ArrayLike,
    amount: ArrayLike,
    best_closed: ArrayLike,
    best_open: ArrayLike,
) -> Array:
    """Return a provider's quality after a projected release.

    Parameters
    ----------
    mode : {"step", "catch_up", "lead"}
        ``step``: ``q + amount``; ``catch_up``: ``q + amount * max(best_closed - q, 0)``;
        ``lead``: ``max(q, (1 + amount) * best_open)``.
    quality : array_like
        Quality before the release.
    amount : array_like
        The mode's parameter: ``step``, ``catch_up`` or ``lead``.
    best_closed, best_open : array_like
        The best closed and open quality in the market (the provider's own where there
        is none).

    Examples
    --------
    >>> float(release_quality("catch_up", 50.0, 0.5, 70.0, 50.0))
    60.0
    """
    q = np.asarray(quality, dtype=np.float64)
    a = np.asarray(amount, dtype=np.float64)
    if mode == "step":
        return q + a
    if mode == "catch_up":
        return q + np.multiply(a, np.maximum(np.subtract(best_closed, q), 0.0))
    if mode == "lead":
        return np.maximum(q, np.multiply(np.add(1.0, a), best_open))
    raise ValueError(f"unknown release mode {mode!r}; allowed: 'step', 'catch_up', 'lead'")
