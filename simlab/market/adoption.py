"""Demand: potential volume, Bass adoption and the price elasticity of volume.

The Bass (1969) model, doi:10.1287/mnsc.15.5.215: the adopted fraction of a segment's
potential follows F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["bass_cdf", "bass_time", "growth_factor", "potential", "price_index_ratio", "volume"]

Array = NDArray[np.float64]


def bass_cdf(t: ArrayLike, p: ArrayLike, q: ArrayLike) -> Array:
    """Return the closed-form Bass adoption curve F(t).

    Parameters
    ----------
    t : array_like
        Time in years since adoption began (F(0) = 0).
    p, q : array_like
        Innovation (> 0) and imitation (>= 0) coefficients, per year. All three broadcast.

    Returns
    -------
    numpy.ndarray
        The adopted fraction, in [0, 1).

    Examples
    --------
    >>> float(bass_cdf(0.0, 0.03, 0.38))
    0.0
    >>> round(float(bass_cdf(5.0, 0.03, 0.38)), 6)
    0.331199
    """
    t, p, q = (np.asarray(x, dtype=np.float64) for x in (t, p, q))
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_time(adoption: ArrayLike, p: ArrayLike, q: ArrayLike) -> Array:
    """Return the time at which the Bass curve with ``p, q`` reaches ``adoption``.

    The inverse of :func:`bass_cdf`: t = -ln((1 - F) / (1 + F q / p)) / (p + q). The
    engine uses it to start the curve at a segment's initial adoption and to carry
    adoption across a change of ``p`` or ``q`` without a jump.

    Parameters
    ----------
    adoption : array_like
        Adopted fraction in [0, 1).
    p, q : array_like
        Bass coefficients.
    """
    f, p, q = (np.asarray(x, dtype=np.float64) for x in (adoption, p, q))
    return -np.log((1.0 - f) / (1.0 + f * q / p)) / (p + q)


def growth_factor(rate: ArrayLike, years: ArrayLike) -> Array:
    """Return ``(1 + rate) ** years`` as ``exp(years * log1p(rate))``.

    The one compounding rule: potential growth, cost and price declines, drift,
    discounting and training-cost growth all use it (rates per year, ``years`` the
    elapsed time or the step length).

    Examples
    --------
    >>> round(float(growth_factor(0.5, 2.0)), 12)
    2.25
    """
    r, t = (np.asarray(x, dtype=np.float64) for x in (rate, years))
    return np.exp(t * np.log1p(r))


def potential(base: ArrayLike, growth: ArrayLike, t: ArrayLike) -> Array:
    """Return the potential volume ``base * (1 + growth) ** t`` (tokens per month)."""
    base, growth, t = (np.asarray(x, dtype=np.float64) for x in (base, growth, t))
    return base * np.exp(t * np.log1p(growth))


def price_index_ratio(inclusive: ArrayLike, reference: ArrayLike, alpha: ArrayLike) -> Array:
    """Return ``P / P_0``, the change of a segment's ideal price index.

    For utility ``v_p - α ln π_p`` the ideal price index is the price dual of the inclusive
    value, ``P = exp(-IV / α)`` (for the plain logit ``(Σ_p e^{v_p} π_p^{-α})^{-1/α}``), so
    ``P / P_0 = exp(-(IV - IV_0) / α)``. A shift of buyers between providers at unchanged
    prices leaves it at 1; a better model at the same price lowers it. Where ``α = 0``
    prices do not enter utility and the ratio is 1; where nothing is available (``IV =
    -inf``) it is 1 too.

    Examples
    --------
    >>> float(price_index_ratio(np.log(2.0), 0.0, 1.0))  # a second identical provider
    0.5
    """
    iv, iv0, a = (np.asarray(x, dtype=np.float64) for x in (inclusive, reference, alpha))
    ok = (a > 0) & np.isfinite(iv)
    with np.errstate(invalid="ignore"):
        change = np.where(ok, (iv - iv0) / np.where(a > 0, a, 1.0), 0.0)
    return np.exp(-change)


def volume(
    potential: ArrayLike,
    adoption: ArrayLike,
    price_paid: ArrayLike,
    price_ref: ArrayLike,
    elasticity: ArrayLike,
) -> Array:
    """Return the volume demanded, ``M * A * (P / P_ref) ** -elasticity``.

    Parameters
    ----------
    potential : array_like
        Potential volume ``M``, tokens per month.
    adoption : array_like
        Adopted fraction ``A``.
    price_paid : array_like
        The segment's price: its ideal price index (or any price measure).
    price_ref : array_like
        The price at which the volume factor is 1.
    elasticity : array_like
        Volume elasticity (>= 0): a 1 % lower price gives ``elasticity`` % more tokens.
    """
    m, a, pp, pr, eps = (
        np.asarray(x, dtype=np.float64)
        for x in (potential, adoption, price_paid, price_ref, elasticity)
    )
    return m * a * np.power(pp / pr, -eps)
