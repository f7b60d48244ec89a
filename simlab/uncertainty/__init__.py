"""Uncertain scenario figures: distributions, samplers, rank correlation, the inputs table.

- distributions: :func:`parse_distribution`, :class:`Distribution` and one class per
  family (:data:`DISTRIBUTIONS` maps the ``dist`` names to them)
- designs of the unit hypercube: :func:`unit_sample`, :data:`SAMPLERS`
- rank correlation: :func:`correlation_matrix`, :func:`iman_conover`
- the inputs table: :func:`sample_table`, :func:`point_values`
"""

from simlab.uncertainty.correlation import (
    check_correlation_matrix,
    correlation_matrix,
    iman_conover,
)
from simlab.uncertainty.design import point_values, sample_table
from simlab.uncertainty.distributions import (
    DISTRIBUTIONS,
    Choice,
    Distribution,
    LogNormal,
    LogUniform,
    Normal,
    Pert,
    Triangular,
    TruncNormal,
    Uniform,
    UniformDate,
    date_to_days,
    days_to_date,
    parse_distribution,
)
from simlab.uncertainty.samplers import SAMPLERS, RngLike, as_generator, unit_sample

__all__ = [
    "DISTRIBUTIONS",
    "SAMPLERS",
    "Choice",
    "Distribution",
    "LogNormal",
    "LogUniform",
    "Normal",
    "Pert",
    "RngLike",
    "Triangular",
    "TruncNormal",
    "Uniform",
    "UniformDate",
    "as_generator",
    "check_correlation_matrix",
    "correlation_matrix",
    "date_to_days",
    "days_to_date",
    "iman_conover",
    "parse_distribution",
    "point_values",
    "sample_table",
    "unit_sample",
]
