"""Exceptions and warnings raised by simlab.

Every error simlab raises on purpose derives from :class:`SimlabError`, so a caller can
catch them all with one ``except`` clause. Messages name the file, the key path, the
offending value and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "DeadParameterWarning",
    "ScenarioError",
    "SimlabError",
    "SimlabWarning",
    "SimulationError",
]


class SimlabError(Exception):
    """Base class of every error simlab raises on purpose."""


class ScenarioError(SimlabError, ValueError):
    """A scenario, an inputs table or an argument is invalid.

    The message names the file (where there is one), the key path, the value and what
    is allowed.
    """


class SimulationError(SimlabError, RuntimeError):
    """The simulation reached a state it cannot continue from (e.g. a non-finite value)."""


class SimlabWarning(UserWarning):
    """A statistical caveat: too few draws, NaN metrics, a negative Sobol index, ..."""


class DeadParameterWarning(SimlabWarning):
    """A parameter set or varied by the user is overridden by a pricing rule from the start.

    See :mod:`simlab.scenario.overrides`; ``strict=True`` makes it a :class:`ScenarioError`.
    """
