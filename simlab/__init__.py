"""simlab: what-if simulation of the market for open-weight vs closed AI models.

The user's API, grouped:

- scenarios: :func:`load_scenario`, :func:`list_scenarios`, :class:`Scenario`
- running: :func:`simulate` (deterministic, on an inputs table)
- results: :class:`Results`
- the economics as pure functions: :mod:`simlab.market`, :mod:`simlab.finance`
- errors: :class:`SimlabError`, :class:`ScenarioError`, :class:`SimulationError`,
  :class:`SimlabWarning`
"""

from simlab import finance, market
from simlab._version import __version__
from simlab.errors import ScenarioError, SimlabError, SimlabWarning, SimulationError
from simlab.experiment import simulate
from simlab.results import Results
from simlab.scenario import list_scenarios
from simlab.scenario.load import Scenario, load_scenario

__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "SimlabError",
    "SimlabWarning",
    "SimulationError",
    "__version__",
    "finance",
    "list_scenarios",
    "load_scenario",
    "market",
    "simulate",
]
