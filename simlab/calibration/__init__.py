"""Calibrated to history: observations, scoring a hindcast, calibration by history matching.

- observations as data: :func:`load_observations`, :class:`Observations`,
  :class:`Observation`, :data:`OBSERVABLES` (what an observation may name), :func:`observe`
- scoring a run: :func:`score` (median, 90 % interval, implausibility per observation)
- calibration: :func:`calibrate` (history matching in waves) -> :class:`Calibration`
- the figure: :func:`simlab.calibration.plots.hindcast` (model bands vs observed points)
- into a forward scenario's file: :func:`fit_pert` (a PERT matched to calibrated draws),
  :func:`carried_correlations` and :data:`FORWARD` (what the catalog carries)

See docs/calibration.md.
"""

from __future__ import annotations

from simlab.calibration.matching import Calibration, calibrate, implausibility
from simlab.calibration.observations import (
    KINDS,
    OBSERVABLES,
    Observable,
    Observation,
    Observations,
    distance,
    load_observations,
    observations_dir,
    observe,
)
from simlab.calibration.refit import FORWARD, carried_correlations, fit_pert
from simlab.calibration.scoring import CUT, score, score_values, weighted_quantile

__all__ = [
    "CUT",
    "FORWARD",
    "KINDS",
    "OBSERVABLES",
    "Calibration",
    "Observable",
    "Observation",
    "Observations",
    "calibrate",
    "carried_correlations",
    "distance",
    "fit_pert",
    "implausibility",
    "load_observations",
    "observations_dir",
    "observe",
    "score",
    "score_values",
    "weighted_quantile",
]
