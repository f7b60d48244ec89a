"""Unit-hypercube designs: plain Monte Carlo, Latin hypercube and scrambled Sobol' points.

Every uncertain figure is drawn by inverse transform, ``dist.ppf(u)``, from a column of a
``(draws, dims)`` array of points ``u`` strictly inside the unit hypercube. The sampler
decides how those points cover the cube; the distributions never see it.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
from numpy.typing import NDArray

from simlab.errors import ScenarioError, SimlabWarning

__all__ = ["SAMPLERS", "RngLike", "as_generator", "unit_sample"]

SAMPLERS: tuple[str, ...] = ("mc", "lhs", "sobol")
"""The sampler names :func:`unit_sample` accepts."""

RngLike = np.random.Generator | int | np.random.SeedSequence
"""A :class:`numpy.random.Generator`, or an integer seed or a ``SeedSequence`` to make one."""


def _qmc_rng_keyword() -> str:
    """Return the qmc engines' generator keyword: scipy 1.15 renamed ``seed`` to ``rng``."""
    from scipy.stats import qmc

    return "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"


# Sobol' points from scipy are integers over 2**_SOBOL_BITS (so 0 is a possible point);
# adding half a cell moves each point to its cell's centre, strictly inside (0, 1), without
# changing the net's balance.
_SOBOL_BITS = 30

# Smallest and largest values kept for Monte Carlo and Latin hypercube points, which scipy
# and numpy draw from [0, 1): a 0 would map to -inf through a normal's ppf.
_LOWEST = 2.0**-54
_HIGHEST = 1.0 - 2.0**-53


def as_generator(rng: RngLike) -> np.random.Generator:
    """Return ``rng`` as a :class:`numpy.random.Generator`, never the global random state.

    Parameters
    ----------
    rng : numpy.random.Generator, int or numpy.random.SeedSequence
        A generator (returned as is, so draws advance its state) or a seed for a new one.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    ScenarioError
        If ``rng`` is ``None`` or anything else that is not a generator or a seed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ScenarioError(
        f"rng must be a numpy.random.Generator or a non-negative integer seed, got {rng!r}; "
        "simlab draws nothing from global or unseeded random state"
    )


def _check_count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ScenarioError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def unit_sample(draws: int, dims: int, sampler: str, rng: RngLike) -> NDArray[np.float64]:
    """Draw ``draws`` points in the ``dims``-dimensional unit hypercube.

    Parameters
    ----------
    draws : int
        Number of points (rows), at least 1.
    dims : int
        Number of dimensions (columns), at least 0.
    sampler : {"mc", "lhs", "sobol"}
        ``"mc"``: independent uniforms from ``rng``. ``"lhs"``: a Latin hypercube
        (:class:`scipy.stats.qmc.LatinHypercube`): each of ``draws`` equal strata of every
        column holds exactly one point. ``"sobol"``: scrambled Sobol' points
        (:class:`scipy.stats.qmc.Sobol`), each moved to the centre of its dyadic cell.
    rng : numpy.random.Generator or int
        The source of randomness; the qmc engines are seeded from it.

    Returns
    -------
    numpy.ndarray
        Shape ``(draws, dims)``, float64, every value strictly inside (0, 1).

    Raises
    ------
    ScenarioError
        If ``sampler`` is unknown or ``draws``/``dims`` are not valid counts.

    Warns
    -----
    SimlabWarning
        Once, for ``"sobol"`` when ``draws`` is not a power of 2.

    Examples
    --------
    >>> u = unit_sample(8, 2, "lhs", rng=np.random.default_rng(1))
    >>> u.shape
    (8, 2)
    """
    draws = _check_count("draws", draws, 1)
    dims = _check_count("dims", dims, 0)
    if sampler not in SAMPLERS:
        raise ScenarioError(
            f"unknown sampler {sampler!r}; allowed: {', '.join(SAMPLERS)} "
            "(plain Monte Carlo, Latin hypercube, scrambled Sobol')"
        )
    gen = as_generator(rng)
    if dims == 0:
        return np.empty((draws, 0), dtype=np.float64)
    if sampler == "mc":
        return np.clip(gen.random((draws, dims)), _LOWEST, _HIGHEST)
    if sampler == "lhs":
        from scipy.stats import qmc

        engine = qmc.LatinHypercube(dims, **{_qmc_rng_keyword(): gen})
        return np.clip(engine.random(draws), _LOWEST, _HIGHEST)
    return _sobol(draws, dims, gen)


def _sobol(draws: int, dims: int, gen: np.random.Generator) -> NDArray[np.float64]:
    from scipy.stats import qmc

    engine = qmc.Sobol(dims, scramble=True, bits=_SOBOL_BITS, **{_qmc_rng_keyword(): gen})
    m = draws.bit_length() - 1
    if draws == 1 << m:
        points = engine.random_base2(m)
    else:
        below, above = 1 << m, 1 << (m + 1)
        warnings.warn(
            f"Sobol' points keep their balance properties only when draws is a power of 2; "
            f"got draws={draws}, the nearest powers are {below} (2**{m}) and "
            f"{above} (2**{m + 1})",
            SimlabWarning,
            stacklevel=3,
        )
        with warnings.catch_warnings():
            # Replaced by the SimlabWarning above, which names the nearest powers.
            warnings.filterwarnings("ignore", message=".*balance properties", category=UserWarning)
            points = engine.random(draws)
    return np.asarray(points + 2.0 ** -(_SOBOL_BITS + 1), dtype=np.float64)
