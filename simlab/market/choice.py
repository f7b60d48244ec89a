"""Provider choice: the "good enough" quality transform, logit shares and switching."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["base_utility", "logit_shares", "quality_value", "switch_rate", "switch_shares"]

Array = NDArray[np.float64]


def quality_value(quality: ArrayLike, need: ArrayLike, kappa: ArrayLike) -> Array:
    """Return ``h(q) = min(q, need) + kappa * max(q - need, 0)``.

    Quality counts fully up to the segment's need ("good enough") and at rate ``kappa``
    beyond it.
    """
    q, n, k = (np.asarray(x, dtype=np.float64) for x in (quality, need, kappa))
    return np.minimum(q, n) + k * np.maximum(q - n, 0.0)


def base_utility(
    quality: ArrayLike,
    need: ArrayLike,
    kappa: ArrayLike,
    beta_quality: ArrayLike,
    pref_region: ArrayLike,
    pref_open: ArrayLike,
    is_open: ArrayLike,
    xi: ArrayLike,
    pref_provider: ArrayLike,
) -> Array:
    """Return the price-free part of utility: ``βq h(q) + α_region + α_open [open] + ξ + α_prov``.

    Every argument broadcasts (the engine passes ``(segments, providers, draws)`` views or
    one provider's ``(segments, draws)`` column); see docs/model.md, "Choice".

    Examples
    --------
    >>> round(float(base_utility(60.0, 50.0, 0.2, 0.1, 0.0, 0.3, 1.0, 0.5, 0.0)), 12)
    6.0
    """
    u = np.multiply(beta_quality, quality_value(quality, need, kappa))
    u += pref_region
    u += np.multiply(pref_open, is_open)
    u += xi
    u += pref_provider
    return u


def logit_shares(
    utility: ArrayLike,
    available: ArrayLike | None = None,
    axis: int = -1,
    *,
    stabilise: bool = True,
    out: Array | None = None,
) -> Array:
    """Return multinomial-logit shares over ``axis``.

    Parameters
    ----------
    utility : array_like
        Utilities; the choice set runs along ``axis``. ``-inf`` marks an alternative
        that cannot be chosen.
    available : array_like of bool, optional
        Which alternatives can be chosen (broadcasts against ``utility``); unavailable
        ones get exactly zero share. Where nothing is available, all shares are zero.
    axis : int
        The axis of alternatives (default: the last).
    stabilise : bool
        Subtract the largest utility before exponentiating (default). A caller that
        knows ``|utility| <= 300`` may skip it: the maximum cancels in the ratio, so the
        result is the same to rounding, and skipping saves two passes over the array.
    out : numpy.ndarray, optional
        A float64 array to compute in (it may be ``utility`` itself, which is then
        overwritten with the shares).

    Returns
    -------
    numpy.ndarray
        Shares that sum to 1 along ``axis`` (or 0 where nothing is available).

    Notes
    -----
    With ``stabilise`` any utility scale works (no overflow or NaN at +-1e6).

    Examples
    --------
    >>> logit_shares([0.0, np.log(3.0)]).round(3).tolist()
    [0.25, 0.75]
    """
    u = np.asarray(utility, dtype=np.float64)
    if available is not None:
        mask = np.broadcast_to(np.asarray(available, dtype=bool), u.shape)
        u = np.where(mask, u, -np.inf)
    e = out if out is not None else np.array(u, dtype=np.float64, copy=True)
    if e is not u:
        np.copyto(e, u)
    if stabilise:
        top = np.max(e, axis=axis, keepdims=True)
        e -= np.where(np.isfinite(top), top, 0.0)
    np.exp(e, out=e)
    total = np.sum(e, axis=axis, keepdims=True)
    if (total > 0).all():
        e /= total
    else:  # nothing available somewhere: those shares are exp(-inf) = 0 already
        np.divide(e, total, out=e, where=total > 0)
    return e


def switch_rate(dt: ArrayLike, tau: ArrayLike) -> Array:
    """Return the fraction of the gap to the target closed in ``dt``: ``1 - exp(-dt/tau)``.

    Computed as ``-expm1(-dt/tau)``, exact for short steps.
    """
    return -np.expm1(-np.asarray(dt, dtype=np.float64) / np.asarray(tau, dtype=np.float64))


def switch_shares(
    shares: ArrayLike, target: ArrayLike, rate: ArrayLike, *, out: Array | None = None
) -> Array:
    """Move shares toward their target: ``s + rate (target - s)``.

    With ``rate = switch_rate(dt, tau)`` this is the exact solution over ``dt`` of
    ``ds/dt = (target - s) / tau`` with the target held constant.

    Parameters
    ----------
    shares, target : array_like
        Current and target shares.
    rate : array_like
        Fraction of the gap closed in the step (:func:`switch_rate`), broadcasting.
    out : numpy.ndarray, optional
        Where to write the new shares (may be ``shares``).

    Examples
    --------
    >>> float(switch_shares(0.2, 0.6, switch_rate(1.0, np.inf)))
    0.2
    """
    s = np.asarray(shares, dtype=np.float64)
    step = np.subtract(target, s)
    step *= rate
    return np.add(s, step, out=out)
