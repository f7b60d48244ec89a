"""Provider choice: the "good enough" quality transform, logit shares and switching."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["logit_shares", "quality_value", "switch_shares"]

Array = NDArray[np.float64]


def quality_value(quality: ArrayLike, need: ArrayLike, kappa: ArrayLike) -> Array:
    """Return ``h(q) = min(q, need) + kappa * max(q - need, 0)``.

    Quality counts fully up to the segment's need ("good enough") and at rate ``kappa``
    beyond it.
    """
    q, n, k = (np.asarray(x, dtype=np.float64) for x in (quality, need, kappa))
    return np.minimum(q, n) + k * np.maximum(q - n, 0.0)


def logit_shares(utility: ArrayLike, available: ArrayLike | None = None, axis: int = -1) -> Array:
    """Return multinomial-logit shares over ``axis``.

    Parameters
    ----------
    utility : array_like
        Utilities; the choice set runs along ``axis``.
    available : array_like of bool, optional
        Which alternatives can be chosen (broadcasts against ``utility``); unavailable
        ones get exactly zero share. Where nothing is available, all shares are zero.
    axis : int
        The axis of alternatives (default: the last).

    Returns
    -------
    numpy.ndarray
        Shares that sum to 1 along ``axis`` (or 0 where nothing is available).

    Notes
    -----
    The largest available utility is subtracted before exponentiating, so any utility
    scale works (no overflow or NaN at +-1e6).

    Examples
    --------
    >>> logit_shares([0.0, np.log(3.0)]).round(3).tolist()
    [0.25, 0.75]
    """
    u = np.asarray(utility, dtype=np.float64)
    if available is not None:
        mask = np.broadcast_to(np.asarray(available, dtype=bool), u.shape)
        u = np.where(mask, u, -np.inf)
    top = np.max(u, axis=axis, keepdims=True)
    none = ~np.isfinite(top)
    top = np.where(none, 0.0, top)
    e = np.exp(u - top)
    total = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def switch_shares(shares: ArrayLike, target: ArrayLike, dt: float, tau: ArrayLike) -> Array:
    """Move shares toward their target with switching time ``tau`` (years).

    ``s <- s + (1 - exp(-dt / tau)) (target - s)``: the exact solution over ``dt`` of
    ``ds/dt = (target - s) / tau`` with the target held constant.
    """
    s, t, tau = (np.asarray(x, dtype=np.float64) for x in (shares, target, tau))
    return s + (1.0 - np.exp(-dt / tau)) * (t - s)
