"""Demand: potential volume, Bass adoption and the price elasticity of volume.

The Bass (1969) model, doi:10.1287/mnsc.15.5.215: the adopted fraction of a segment's
potential follows F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "bass_cdf",
    "bass_time",
    "decay_step",
    "growth_factor",
    "potential",
    "price_index_ratio",
    "saturation",
    "volume",
]

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


def potential(
    base: ArrayLike,
    growth: ArrayLike,
    t: ArrayLike,
    final: ArrayLike = 0.0,
    halflife: ArrayLike = np.inf,
) -> Array:
    """Return the potential volume at ``t`` years (tokens per month, or seats).

    Without a half-life, ``base * (1 + growth) ** t``. With one, the yearly log growth
    rate ``r(t) = r_f + (r_0 - r_f) e^{-λt}`` (``r_0 = ln(1 + growth)``,
    ``r_f = ln(1 + final)``, ``λ = ln 2 / halflife``) decays from the start rate to the
    final one, so

    ``M(t) = base * exp(r_f t + (r_0 - r_f) (1 - e^{-λt}) / λ)``,

    which never exceeds ``base * exp(r_f t + (r_0 - r_f) / λ)``: a start rate above the
    final one adds at most a factor ``exp((r_0 - r_f) / λ)`` for ever.

    Parameters
    ----------
    base : array_like
        The potential at ``t = 0``.
    growth : array_like
        Yearly growth rate at ``t = 0`` (> -1).
    t : array_like
        Years since the start.
    final : array_like
        The yearly growth rate the decay tends to (used only with a half-life).
    halflife : array_like
        Years in which the log rate's excess over the final one halves; ``inf`` (the
        default): the start rate for ever.

    Examples
    --------
    >>> round(float(potential(1.0, 0.5, 2.0)), 12)
    2.25
    >>> round(float(potential(1.0, 3.0, 1e3, final=0.0, halflife=1.0)), 6)  # 4^(1/ln 2)
    7.389056
    """
    base, growth, t, final, halflife = (
        np.asarray(x, dtype=np.float64) for x in (base, growth, t, final, halflife)
    )
    r0, rf = np.log1p(growth), np.log1p(final)
    decay = np.log(2.0) / halflife
    with np.errstate(invalid="ignore", divide="ignore"):
        span = np.where(decay > 0, -np.expm1(-decay * t) / np.where(decay > 0, decay, 1.0), t)
    log_growth = np.where(np.isfinite(halflife), rf * t + (r0 - rf) * span, t * r0)
    return base * np.exp(log_growth)


def decay_step(
    excess: ArrayLike, final: ArrayLike, halflife: ArrayLike, dt: float
) -> tuple[Array, Array]:
    """Advance a decaying growth rate by ``dt`` years; return (growth factor, new excess).

    ``excess`` is the log rate's excess over the final one, ``ln(1 + g) - ln(1 + final)``,
    at the start of the interval. Over it the potential grows by
    ``exp(dt ln(1 + final) + excess (1 - e^{-λ dt}) / λ)`` (``excess * dt`` where the
    half-life is infinite) and the excess decays to ``excess e^{-λ dt}``: steps of any
    length compose to :func:`potential`'s closed form. With ``final = 0`` and an infinite
    half-life the factor is ``exp(dt ln(1 + g))`` to the last bit, as
    :func:`growth_factor`.

    Examples
    --------
    >>> factor, excess = decay_step(np.log(4.0), 0.0, 1.0, 1.0)  # 4x a year, halving yearly
    >>> round(float(factor), 6), round(float(excess / np.log(4.0)), 12)  # e, half the excess
    (2.718282, 0.5)
    """
    e, f, h = (np.asarray(x, dtype=np.float64) for x in (excess, final, halflife))
    decay = np.log(2.0) / h
    finite = decay > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        span = np.where(finite, -np.expm1(-decay * dt) / np.where(finite, decay, 1.0), dt)
    factor = np.exp(dt * np.log1p(f) + e * span)
    return factor, np.where(finite, e * np.exp(-decay * dt), e)


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


#: The exponent of the smooth minimum in :func:`saturation`.
SATURATION_POWER = 4.0


def saturation(spend: ArrayLike, ceiling: ArrayLike) -> Array:
    """Return the factor that keeps a spend below its ceiling: ``(1 + (S / K)^4)^(-1/4)``.

    ``S`` times the factor is a smooth minimum of ``S`` and ``K``: never above ``K``,
    within 2 % of ``S`` up to ``S = K / 2`` and tending to ``K`` as ``S`` grows (beyond
    the ceiling more tokens come only at lower prices). An infinite ceiling gives 1.

    Parameters
    ----------
    spend : array_like
        Spend without the ceiling (>= 0).
    ceiling : array_like
        The ceiling (> 0, or ``inf``), in the same unit.

    Examples
    --------
    >>> [round(float(saturation(s, 1.0) * s), 4) for s in (0.5, 1.0, 10.0)]
    [0.4925, 0.8409, 1.0]
    """
    s, k = (np.asarray(x, dtype=np.float64) for x in (spend, ceiling))
    return np.power(1.0 + np.power(s / k, SATURATION_POWER), -1.0 / SATURATION_POWER)
