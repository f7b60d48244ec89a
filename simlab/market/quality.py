"""Quality on a bounded index: the shared frontier and what a release does to a lab's gap.

See docs/model.md, "Quality". The frontier ``F(t)`` is the best quality the technology
allows at ``t``; its trend approaches the index's maximum and never passes it. A lab's
projected release puts it a lab-specific gap below a reference (the frontier, or the best
closed model), and each release changes that gap by an uncertain amount that can be
negative (the gap widens). No projected release goes above the frontier.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Release", "frontier_trend", "release_quality"]

Array = NDArray[np.float64]

#: The release modes, in the order they run within a step ("lead" looks at the others).
MODES = ("step", "catch_up", "frontier", "lead")


def frontier_trend(maximum: ArrayLike, start: ArrayLike, rate: ArrayLike, years: float) -> Array:
    """Return the frontier trend ``M - (M - F0) exp(-r t)``: below ``M`` by construction.

    Parameters
    ----------
    maximum : array_like
        The index's maximum ``M`` (index points).
    start : array_like
        The frontier at the start ``F0`` (index points, at most ``M``).
    rate : array_like
        The yearly rate ``r`` at which the distance to the maximum shrinks (per year,
        at least 0; 0 keeps the frontier at ``F0``).
    years : float
        Time ``t`` since the start, in years.

    Returns
    -------
    numpy.ndarray
        The trend, index points.

    Examples
    --------
    >>> float(frontier_trend(100.0, 73.0, np.log(3.0), 1.0))  # a third of the distance left
    91.0
    """
    m = np.asarray(maximum, dtype=np.float64)
    distance = np.subtract(m, start)
    return np.asarray(m - distance * np.exp(-np.multiply(rate, years)), dtype=np.float64)


class Release(NamedTuple):
    """A provider's quality and gap after a projected release."""

    quality: Array
    """Quality after the release (index points), in ``[0, frontier]``."""
    gap: Array
    """The lab's gap to its reference after the release (index points; modes
    ``catch_up`` and ``frontier``; unchanged otherwise)."""


def release_quality(
    mode: str,
    quality: ArrayLike,
    amount: ArrayLike,
    best_closed: ArrayLike,
    best_open: ArrayLike,
    frontier: ArrayLike = np.inf,
    gap: ArrayLike | None = None,
) -> Release:
    """Return a provider's quality and gap after a projected release.

    Every mode's result is clipped to ``[0, frontier]``; the modes that keep a gap
    (``catch_up``, ``frontier``) never lower the provider's quality (a lab whose new
    model falls short keeps serving its old one) but do widen its gap.

    Parameters
    ----------
    mode : {"step", "catch_up", "frontier", "lead"}
        ``step``: ``q + amount``. ``catch_up``: the gap ``G`` to the best closed model
        becomes ``(1 - amount) G`` (``amount`` in [-1, 1]: negative widens it) and the
        quality ``max(q, q_best closed - G')``. ``frontier``: the gap ``G`` to the
        frontier becomes ``max(G + amount, 0)`` (``amount`` in index points: negative
        closes it) and the quality ``max(q, F - G')``. ``lead``:
        ``max(q, (1 + amount) q_best open)``.
    quality : array_like
        Quality before the release.
    amount : array_like
        The mode's parameter: ``step``, ``catch_up``, ``gap_change`` or ``lead``.
    best_closed, best_open : array_like
        The best closed and open quality in the market (the provider's own where there
        is none).
    frontier : array_like, default inf
        The frontier ``F`` at the release; inf: unbounded (mode ``frontier`` needs it).
    gap : array_like, optional
        The lab's gap before the release (its gap after its last release); NaN or none:
        its gap now (``q_best closed - q`` or ``F - q``, at least 0).

    Returns
    -------
    Release
        The quality and gap after the release.

    Raises
    ------
    ValueError
        For an unknown mode.

    Examples
    --------
    >>> r = release_quality("catch_up", 50.0, 0.5, 70.0, 50.0)
    >>> float(r.quality), float(r.gap)
    (60.0, 10.0)
    >>> r = release_quality("frontier", 60.0, 2.0, 70.0, 60.0, frontier=80.0, gap=5.0)
    >>> float(r.quality), float(r.gap)  # the gap widens by 2, the frontier moved on
    (73.0, 7.0)
    >>> float(release_quality("step", 79.0, 3.0, 79.0, 60.0, frontier=80.0).quality)
    80.0
    """
    q = np.asarray(quality, dtype=np.float64)
    a = np.asarray(amount, dtype=np.float64)
    f = np.asarray(frontier, dtype=np.float64)
    if mode in ("catch_up", "frontier"):
        reference = np.asarray(best_closed if mode == "catch_up" else f, dtype=np.float64)
        now = np.maximum(reference - q, 0.0)
        g = now if gap is None else np.where(np.isnan(gap), now, gap)
        g = g * (1.0 - a) if mode == "catch_up" else np.maximum(g + a, 0.0)
        new = np.maximum(q, reference - g)
    elif mode == "step":
        new, g = q + a, np.asarray(np.nan if gap is None else gap, dtype=np.float64)
    elif mode == "lead":
        new = np.maximum(q, np.multiply(np.add(1.0, a), best_open))
        g = np.asarray(np.nan if gap is None else gap, dtype=np.float64)
    else:
        raise ValueError(f"unknown release mode {mode!r}; allowed: {', '.join(map(repr, MODES))}")
    return Release(np.clip(new, 0.0, f), np.broadcast_to(g, new.shape).astype(np.float64))
