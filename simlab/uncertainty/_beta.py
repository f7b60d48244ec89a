"""A fast inverse CDF of the beta distribution, for PERT inputs.

``scipy.special.betaincinv`` is exact but costs about 2.7 µs a value here: a scenario with
90 PERT figures spent 2 s of every 10,000 draws in it. The forward CDF
(``scipy.special.betainc``) is seven times cheaper, so each (a, b) gets a table of the
exact CDF on ~2,000 points, inverted with monotone cubic (PCHIP) interpolation of
``ln x`` against ``ln F`` (power-law tails become straight lines), the lower half from
``F`` and the upper half from the complementary CDF so that neither tail loses
precision. The result is within 1e-8 of ``betaincinv`` on [0, 1] (tests/test_distributions.py
checks 2e-8) at about 60 ns a value; a table takes ~2 ms to build and is cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["beta_ppf"]

Array = NDArray[np.float64]
_POINTS = 1024


def _half(a: float, b: float, top: float) -> Callable[[Array], Array]:
    """Inverse of the beta(a, b) CDF on [0, F(top)], as x = g(u)."""
    x = np.unique(
        np.concatenate([top * np.logspace(-16, 0, _POINTS), np.linspace(0, top, _POINTS)[1:]])
    )
    from scipy import interpolate, special

    u = special.betainc(a, b, x)
    keep = (u > 0) & np.concatenate([[True], np.diff(u) > 0])
    spline = interpolate.PchipInterpolator(np.log(u[keep]), np.log(x[keep]), extrapolate=True)

    def inverse(v: Array) -> Array:
        with np.errstate(divide="ignore"):
            return np.where(v > 0, np.exp(spline(np.log(np.where(v > 0, v, 1.0)))), 0.0)

    return inverse


@functools.lru_cache(maxsize=512)
def _table(a: float, b: float) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    from scipy import special

    median = float(special.betaincinv(a, b, 0.5))
    return _half(a, b, median), _half(b, a, 1.0 - median)


def beta_ppf(u: Array, a: float, b: float) -> Array:
    """Return the inverse CDF of beta(a, b) at ``u`` in [0, 1], to 1e-8 absolute."""
    lower, upper = _table(float(a), float(b))
    u = np.asarray(u, dtype=np.float64)
    low = u <= 0.5
    return np.where(low, lower(np.where(low, u, 0.5)), 1.0 - upper(np.where(low, 0.5, 1.0 - u)))
