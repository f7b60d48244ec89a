"""Provider choice: utility, the "good enough" transform, (nested) logit shares, switching."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simlab.market.sums import member_sums

__all__ = [
    "NestedShares",
    "base_utility",
    "logit_shares",
    "nested_logit",
    "own_price_elasticity",
    "quality_value",
    "switch_rate",
    "switch_shares",
]

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


@dataclass(frozen=True)
class NestedShares:
    """The outcome of a nested-logit choice (alternatives on axis -2, draws last).

    Attributes
    ----------
    shares : numpy.ndarray, shape (..., P, B)
        Each alternative's share of all buyers (the outside option included in the
        denominator): ``σ_p = σ_n σ_{p|n}``.
    within : numpy.ndarray, shape (..., P, B)
        Each alternative's share within its nest, ``σ_{p|n}``.
    nests : numpy.ndarray, shape (..., N, B)
        Each nest's share ``σ_n``.
    outside : numpy.ndarray, shape (..., B)
        The outside option's share ``σ_0`` (0 where there is none).
    inclusive : numpy.ndarray, shape (..., B)
        The inclusive value of the inside alternatives,
        ``IV = ln Σ_n exp(λ_n ln Σ_{p∈n} exp(u_p / λ_n))`` (``-inf`` where nothing is
        available): the log-sum whose price dual is the ideal price index.
    """

    shares: Array
    within: Array
    nests: Array
    outside: Array
    inclusive: Array


def _logsumexp(x: Array, axis: int) -> Array:
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(x - top), axis=axis))


def nested_logit(
    utility: ArrayLike,
    nest: ArrayLike,
    lam: ArrayLike,
    outside: ArrayLike | None = None,
) -> NestedShares:
    """Return nested-logit shares with an optional outside option.

    With ``D_n = Σ_{p∈n} exp(u_p / λ_n)`` and ``IV_n = λ_n ln D_n``:
    ``σ_{p|n} = exp(u_p / λ_n) / D_n``, ``σ_n = exp(IV_n) / (exp(u_0) + Σ_m exp(IV_m))``,
    ``σ_p = σ_n σ_{p|n}`` and ``σ_0 = exp(u_0) / (...)``. With every ``λ = 1`` and no
    outside option this is the plain logit; as ``λ_n -> 0`` the alternatives of a nest
    become perfect substitutes, so a clone adds (almost) nothing to its nest's share.
    McFadden (1978); Train, *Discrete Choice Methods with Simulation*, ch. 4,
    doi:10.1017/CBO9780511805271.

    Parameters
    ----------
    utility : array_like, shape (..., P, B)
        Utilities, alternatives on axis -2 and draws last; ``-inf`` marks an alternative
        that cannot be chosen.
    nest : array_like of int, shape (P,)
        Each alternative's nest, ``0 .. N-1``.
    lam : array_like, shape (N, B) or (N, 1)
        Each nest's parameter λ in (0, 1].
    outside : array_like, shape (..., B), optional
        The outside option's utility (``-inf`` or None: no outside option).

    Returns
    -------
    NestedShares

    Examples
    --------
    >>> out = nested_logit(np.zeros((3, 1)), [0, 0, 1], np.ones((2, 1)))
    >>> out.shares[:, 0].round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    >>> out = nested_logit(np.zeros((3, 1)), [0, 0, 1], np.array([[1e-3], [1.0]]))
    >>> out.nests[:, 0].round(4).tolist()
    [0.5002, 0.4998]
    """
    u = np.asarray(utility, dtype=np.float64)
    idx = np.asarray(nest, dtype=np.int64)
    lam_n = np.asarray(lam, dtype=np.float64)
    n_nests = lam_n.shape[0]
    z = u / lam_n[idx]
    top = np.max(z, axis=-2, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(z - top)
    member = np.arange(n_nests)[:, None] == idx[None, :]  # (N, P)
    d = member_sums(member, e, axis=-2)  # (..., N, B), in a fixed order
    d_of = d[..., idx, :]  # each alternative's nest sum
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.where(d_of > 0, e / d_of, 0.0)
        log_d = np.log(d) + top  # -inf for an empty nest
        iv_n = lam_n * log_d
    inclusive = _logsumexp(iv_n, axis=-2)
    if outside is None:
        u0 = np.full(inclusive.shape, -np.inf)
    else:
        u0 = np.broadcast_to(np.asarray(outside, dtype=np.float64), inclusive.shape)
    total = np.logaddexp(inclusive, u0)
    none = ~np.isfinite(total)
    safe = np.where(none, 0.0, total)
    nests = np.where(none[..., None, :], 0.0, np.exp(iv_n - safe[..., None, :]))
    outside_share = np.where(none, 0.0, np.exp(u0 - safe))
    shares = nests[..., idx, :] * within
    return NestedShares(shares, within, nests, outside_share, inclusive)


def own_price_elasticity(
    alpha: ArrayLike,
    lam: ArrayLike,
    within: ArrayLike,
    share: ArrayLike,
    inside_share: ArrayLike,
    epsilon: ArrayLike = 0.0,
) -> Array:
    """Return a provider's own-price elasticity of demand in a segment (negative).

    ``η = -α [1/λ - (1/λ - 1) σ_{p|n} - σ_p] - ε s_p``: the nested-logit substitution
    term (Train 2009, eq. 4.9, with utility ``-α ln π``) plus the volume response
    through the ideal price index, whose elasticity to ``π_p`` is ``s_p``, the
    provider's share of the inside (non-outside) choices.

    Parameters
    ----------
    alpha : array_like
        Price coefficient α (``beta_price``), per unit of log price.
    lam : array_like
        λ of the provider's nest.
    within, share, inside_share : array_like
        ``σ_{p|n}``, ``σ_p`` (of all buyers) and ``s_p = σ_p / (1 - σ_0)``.
    epsilon : array_like
        The segment's volume elasticity ε to its price index.

    Examples
    --------
    >>> float(own_price_elasticity(2.0, 1.0, 0.25, 0.25, 0.25))
    -1.5
    """
    a, lm, w, s, si, eps = (
        np.asarray(x, dtype=np.float64) for x in (alpha, lam, within, share, inside_share, epsilon)
    )
    inv = 1.0 / lm
    return -a * (inv - (inv - 1.0) * w - s) - eps * si
