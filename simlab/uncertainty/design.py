"""The inputs table: one row per draw, one column per uncertain parameter.

All randomness of an experiment is drawn here, up front (DESIGN.md, principle 2):
:func:`sample_table` maps a unit-hypercube design (:func:`~simlab.uncertainty.unit_sample`)
through each distribution's inverse CDF and, if asked, imposes rank correlations with
Iman–Conover. The simulation is then a deterministic function of the scenario and this table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from simlab.errors import ScenarioError
from simlab.uncertainty.correlation import check_correlation_matrix, iman_conover
from simlab.uncertainty.distributions import Distribution
from simlab.uncertainty.samplers import RngLike, as_generator, unit_sample

__all__ = ["point_values", "sample_table"]


def sample_table(
    dists: Mapping[str, Distribution],
    draws: int,
    rng: RngLike,
    sampler: str = "mc",
    correlations: ArrayLike | None = None,
) -> pd.DataFrame:
    """Draw the inputs table: ``draws`` joint values of every uncertain parameter.

    Parameters
    ----------
    dists : Mapping of str to Distribution
        The uncertain parameters by path (e.g. ``"providers.openai.price_in"``); the table's
        columns follow this order, and column ``j`` is drawn from dimension ``j`` of the
        design.
    draws : int
        Number of rows, at least 1.
    rng : numpy.random.Generator or int
        The only source of randomness: the same generator state (or seed) gives the same
        table, bit for bit.
    sampler : {"mc", "lhs", "sobol"}, default "mc"
        How the unit hypercube is covered; see :func:`~simlab.uncertainty.unit_sample`.
    correlations : array_like, optional
        Spearman rank correlations between the columns, ``(k, k)`` in the order of
        ``dists`` (see :func:`~simlab.uncertainty.correlation_matrix`). Only columns that
        take part in a non-zero correlation are reordered, with Iman–Conover; under
        ``"lhs"`` or ``"sobol"`` this keeps each of their columns' one-dimensional
        stratification but replaces the design's joint structure between them by a random
        one. Other columns keep the design as drawn.

    Returns
    -------
    pandas.DataFrame
        Index ``draw`` (0 .. draws-1), one float64 column per parameter; date parameters
        are ``datetime64[ns]`` columns.

    Raises
    ------
    ScenarioError
        If an entry is not a Distribution, ``draws`` or ``sampler`` is invalid, or
        ``correlations`` is not a valid correlation matrix of the right size.

    Warns
    -----
    SimlabWarning
        For ``"sobol"`` with a number of draws that is not a power of 2.

    Examples
    --------
    >>> from simlab.uncertainty import parse_distribution
    >>> dists = {"a": parse_distribution({"dist": "uniform", "low": 0, "high": 1})}
    >>> sample_table(dists, 4, rng=np.random.default_rng(0), sampler="lhs").shape
    (4, 1)
    """
    names = list(dists)
    for name in names:
        if not isinstance(dists[name], Distribution):
            raise ScenarioError(
                f"{name}: expected a Distribution (see parse_distribution), got {dists[name]!r}"
            )
    gen = as_generator(rng)
    u = unit_sample(draws, len(names), sampler, gen)
    values = np.empty_like(u)
    for j, name in enumerate(names):
        values[:, j] = dists[name].ppf(u[:, j])
    if correlations is not None:
        matrix = check_correlation_matrix(correlations, len(names))
        involved = np.flatnonzero((matrix != np.eye(len(names))).any(axis=0))
        if involved.size:
            block = matrix[np.ix_(involved, involved)]
            values[:, involved] = iman_conover(values[:, involved], block, gen)
    columns = {
        name: _days_to_datetime(values[:, j]) if dists[name].is_date else values[:, j]
        for j, name in enumerate(names)
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(u.shape[0], name="draw"))


def _days_to_datetime(days: np.ndarray) -> np.ndarray:
    return days.astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def point_values(dists: Mapping[str, Distribution]) -> dict[str, float]:
    """Return each parameter's median: a single deterministic point for a quick run.

    Parameters
    ----------
    dists : Mapping of str to Distribution

    Returns
    -------
    dict of str to float
        The medians, in the order of ``dists``; dates as float days since 1970-01-01.
    """
    return {name: dist.median() for name, dist in dists.items()}
