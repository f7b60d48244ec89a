"""Experiments: cut draws into blocks, run them, and assemble :class:`~simlab.Results`."""

from __future__ import annotations

import pandas as pd

from simlab.engine import inputs_to_values, reduce_block, run_block, validate_inputs
from simlab.engine.metrics import BlockMetrics
from simlab.errors import ScenarioError
from simlab.results import Results, assemble
from simlab.scenario.load import Scenario, load_scenario

__all__ = ["simulate"]

DEFAULT_BLOCK = 1024


def _scenario(scenario: Scenario | str) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _check_block_size(block_size: int) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ScenarioError(f"block_size must be a positive integer, got {block_size!r}")
    return block_size


def simulate_block(
    scenario: Scenario, inputs: pd.DataFrame | None, start: int, stop: int, paths: bool
) -> BlockMetrics:
    """Run draws ``start:stop`` of a validated inputs table and reduce them to metrics."""
    values = inputs_to_values(scenario, inputs, start, stop)
    record = run_block(scenario, values, paths=paths)
    return reduce_block(scenario, values, record, paths=paths)


def simulate(
    scenario: Scenario | str,
    inputs: pd.DataFrame | None = None,
    paths: bool = False,
    block_size: int = DEFAULT_BLOCK,
) -> Results:
    """Run the deterministic model on an inputs table (no randomness here).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path to load.
    inputs : pandas.DataFrame, optional
        One row per draw, one column per parameter path that varies; paths not in the
        table take the scenario's point values. With none, one draw of the point values.
    paths : bool
        Also keep per-step paths (float32) in ``Results.paths``.
    block_size : int
        Draws simulated together in one simpy environment (memory stays flat).

    Returns
    -------
    Results

    Raises
    ------
    ScenarioError
        If the inputs table names unknown paths or holds values outside their range.
    SimulationError
        If a draw's state becomes non-finite (the message names the draw and its inputs).

    Examples
    --------
    >>> import simlab
    >>> res = simlab.simulate("baseline-2025")
    >>> res.draws
    1
    """
    sc = _scenario(scenario)
    _check_block_size(block_size)
    table = validate_inputs(sc, inputs) if inputs is not None else None
    n = len(table) if table is not None else 1
    blocks = [
        simulate_block(sc, table, start, min(n, start + block_size), paths)
        for start in range(0, n, block_size)
    ]
    shown = table if table is not None else pd.DataFrame(index=pd.RangeIndex(1, name="draw"))
    return assemble(sc, blocks, shown)
