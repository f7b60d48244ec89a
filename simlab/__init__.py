"""simlab: what-if simulation of the market for open-weight vs closed AI models.

The user's API, grouped:

- scenarios: :func:`load_scenario`, :func:`list_scenarios`, :class:`Scenario`
- running: :func:`run` (Monte Carlo), :func:`sample_inputs` (its inputs table),
  :func:`simulate` (deterministic, on an inputs table), :func:`pool` (one warm process
  pool for every call in a ``with`` block)
- results: :class:`Results`, :func:`load_results`
- precision: :class:`Precision` (``run(..., until=...)``)
- sensitivity: :func:`tornado`, :func:`sweep`, :func:`sobol`, :func:`morris` (more in
  :mod:`simlab.sensitivity`)
- calibrated to history: :func:`load_observations`, :func:`score`, :func:`calibrate`,
  :class:`Calibration` (more in :mod:`simlab.calibration`)
- which assumptions: :func:`outcome`, :func:`prim`, :func:`cart`, :func:`conditional`,
  :func:`drivers` (from a run's own draws; more in :mod:`simlab.discover`), and
  :func:`goal_seek` (the parameter value at which a claim's probability hits a target)
- figures: :mod:`simlab.plot` (matplotlib, imported only when a figure is drawn)
- demand as the model sees it: :func:`elasticities`, :func:`revenue_maximising_prices`,
  :func:`demand_at` (the first step's own-price elasticities and long-run demand)
- the economics as pure functions: :mod:`simlab.market`, :mod:`simlab.finance`
- errors: :class:`SimlabError`, :class:`ScenarioError`, :class:`SimulationError`,
  :class:`SimlabWarning`
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simlab._version import __version__
from simlab.errors import ScenarioError, SimlabError, SimlabWarning, SimulationError

if TYPE_CHECKING:
    from simlab import finance, market, plot
    from simlab.calibration import Calibration, calibrate, load_observations, score
    from simlab.discover._data import outcome
    from simlab.discover.cart import cart
    from simlab.discover.drivers import conditional, drivers
    from simlab.discover.prim import prim
    from simlab.elasticity import demand_at, elasticities, revenue_maximising_prices
    from simlab.executors import pool
    from simlab.experiment import run, sample_inputs, simulate
    from simlab.goalseek import goal_seek
    from simlab.precision import Precision
    from simlab.results import Results, load_results
    from simlab.scenario import list_scenarios
    from simlab.scenario.load import Scenario, load_scenario
    from simlab.sensitivity import morris, sobol, sweep, tornado

# The public API is imported on first use (PEP 562), so that ``import simlab`` and
# ``simlab --version`` do not pay for scipy, pandas and xarray until they are needed.
_LAZY = {
    "finance": "simlab.finance",
    "market": "simlab.market",
    "plot": "simlab.plot",
    "Calibration": "simlab.calibration",
    "calibrate": "simlab.calibration",
    "load_observations": "simlab.calibration",
    "score": "simlab.calibration",
    "cart": "simlab.discover",
    "conditional": "simlab.discover",
    "drivers": "simlab.discover",
    "outcome": "simlab.discover",
    "prim": "simlab.discover",
    "demand_at": "simlab.elasticity",
    "elasticities": "simlab.elasticity",
    "revenue_maximising_prices": "simlab.elasticity",
    "pool": "simlab.executors",
    "run": "simlab.experiment",
    "sample_inputs": "simlab.experiment",
    "simulate": "simlab.experiment",
    "goal_seek": "simlab.goalseek",
    "Precision": "simlab.precision",
    "Results": "simlab.results",
    "load_results": "simlab.results",
    "list_scenarios": "simlab.scenario",
    "Scenario": "simlab.scenario.load",
    "load_scenario": "simlab.scenario.load",
    "morris": "simlab.sensitivity",
    "sobol": "simlab.sensitivity",
    "sweep": "simlab.sensitivity",
    "tornado": "simlab.sensitivity",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simlab' has no attribute {name!r}")
    imported = importlib.import_module(module)
    value = imported if module == f"simlab.{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Calibration",
    "Precision",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimlabError",
    "SimlabWarning",
    "SimulationError",
    "__version__",
    "calibrate",
    "cart",
    "conditional",
    "demand_at",
    "drivers",
    "elasticities",
    "finance",
    "goal_seek",
    "list_scenarios",
    "load_observations",
    "load_results",
    "load_scenario",
    "market",
    "morris",
    "outcome",
    "plot",
    "pool",
    "prim",
    "revenue_maximising_prices",
    "run",
    "sample_inputs",
    "score",
    "simulate",
    "sobol",
    "sweep",
    "tornado",
]
