"""simlab: what-if simulation of the market for open-weight vs closed AI models.

The user's API, grouped:

- scenarios: :func:`load_scenario`, :func:`list_scenarios`, :class:`Scenario`
- running: :func:`run` (Monte Carlo), :func:`sample_inputs` (its inputs table),
  :func:`simulate` (deterministic, on an inputs table)
- results: :class:`Results`, :func:`load_results`
- precision: :class:`Precision` (``run(..., until=...)``)
- sensitivity: :func:`tornado`, :func:`sweep`, :func:`sobol`, :func:`morris` (more in
  :mod:`simlab.sensitivity`)
- which assumptions: :func:`outcome`, :func:`prim`, :func:`cart`, :func:`conditional`,
  :func:`drivers` (from a run's own draws; more in :mod:`simlab.discover`), and
  :func:`goal_seek` (the parameter value at which a claim's probability hits a target)
- figures: :mod:`simlab.plot` (matplotlib, imported only when a figure is drawn)
- the economics as pure functions: :mod:`simlab.market`, :mod:`simlab.finance`
- errors: :class:`SimlabError`, :class:`ScenarioError`, :class:`SimulationError`,
  :class:`SimlabWarning`
"""

from simlab import finance, market, plot
from simlab._version import __version__
from simlab.discover import cart, conditional, drivers, outcome, prim
from simlab.errors import ScenarioError, SimlabError, SimlabWarning, SimulationError
from simlab.experiment import run, sample_inputs, simulate
from simlab.goalseek import goal_seek
from simlab.precision import Precision
from simlab.results import Results, load_results
from simlab.scenario import list_scenarios
from simlab.scenario.load import Scenario, load_scenario
from simlab.sensitivity import morris, sobol, sweep, tornado

__all__ = [
    "Precision",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimlabError",
    "SimlabWarning",
    "SimulationError",
    "__version__",
    "cart",
    "conditional",
    "drivers",
    "finance",
    "goal_seek",
    "list_scenarios",
    "load_results",
    "load_scenario",
    "market",
    "morris",
    "outcome",
    "plot",
    "prim",
    "run",
    "sample_inputs",
    "simulate",
    "sobol",
    "sweep",
    "tornado",
]
