"""Uncertain scenario figures: distributions, samplers, rank correlation, the inputs table.

- distributions: :func:`parse_distribution`, :class:`Distribution` and one class per
  family (:data:`DISTRIBUTIONS` maps the ``dist`` names to them)
- designs of the unit hypercube: :func:`unit_sample`, :data:`SAMPLERS`
- rank correlation: :func:`correlation_matrix`, :func:`iman_conover`
- the inputs table: :func:`sample_table`, :func:`point_values`
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simlab.uncertainty.samplers import SAMPLERS, RngLike, as_generator, unit_sample

if TYPE_CHECKING:
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

# Imported on first use, so that loading a scenario does not import pandas and scipy.linalg.
_LAZY = {
    "check_correlation_matrix": "correlation",
    "correlation_matrix": "correlation",
    "iman_conover": "correlation",
    "point_values": "design",
    "sample_table": "design",
    **{
        name: "distributions"
        for name in (
            "DISTRIBUTIONS",
            "Choice",
            "Distribution",
            "LogNormal",
            "LogUniform",
            "Normal",
            "Pert",
            "Triangular",
            "TruncNormal",
            "Uniform",
            "UniformDate",
            "date_to_days",
            "days_to_date",
            "parse_distribution",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simlab.uncertainty' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"simlab.uncertainty.{module}"), name)
    globals()[name] = value
    return value


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
