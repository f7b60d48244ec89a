"""simlab: what-if simulation of the market for open-weight vs closed AI models.

The user's API, grouped:

- scenarios: :func:`load_scenario`, :func:`list_scenarios`
- errors: :class:`SimlabError`, :class:`ScenarioError`, :class:`SimulationError`,
  :class:`SimlabWarning`
"""

from simlab._version import __version__
from simlab.errors import ScenarioError, SimlabError, SimlabWarning, SimulationError
from simlab.scenario import list_scenarios

__all__ = [
    "ScenarioError",
    "SimlabError",
    "SimlabWarning",
    "SimulationError",
    "__version__",
    "list_scenarios",
]
