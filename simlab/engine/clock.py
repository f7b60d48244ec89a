"""The clock: the phases of a step and the simpy processes that run them.

Within step ``k`` (simulation time ``k`` to ``k + 1``, in steps) the order is fixed:

1. :data:`PRICING`: each provider's pricing rule (drift, cost plus, share defense);
2. :data:`RELEASES`: projected releases;
3. :data:`EVENTS`: scheduled events in file order (entry, exit, release, price, shock);
4. :data:`CLEARING`: ``follow`` rules (so a follower sees its target's price of this
   step), then market clearing (adoption, choice, capacity, spill-over) and recording.

So a scheduled price event overrides the pricing rule in its step, and everything that
happens at a date is seen by that date's clearing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from simlab.engine.core import _Block

__all__ = ["CLEARING", "EVENTS", "PRICING", "RELEASES", "run_processes"]

#: Offsets of the phases within a step (fractions of a step).
PRICING = 0.25
RELEASES = 0.40
EVENTS = 0.50
CLEARING = 0.75


def _clearing(block: _Block, env: simpy.Environment) -> simpy.events.ProcessGenerator:
    yield env.timeout(CLEARING)
    for k in range(block.par.T):
        block.step = k
        block.pricing.follow()
        block.clear(k)
        if k + 1 < block.par.T:  # end with the horizon: see run_processes
            yield env.timeout(1.0)


def _pricing(block: _Block, env: simpy.Environment) -> simpy.events.ProcessGenerator:
    yield env.timeout(PRICING)
    for k in range(block.par.T):
        block.pricing.reprice(k)
        if k + 1 < block.par.T:
            yield env.timeout(1.0)


def run_processes(block: _Block, until: float | None = None) -> None:
    """Run a block's processes over the horizon (or up to simulation time ``until``).

    Every process ends with the horizon, so no suspended generator keeps the
    environment and the block's arrays alive in a reference cycle: they are freed as
    soon as the caller drops them, not at the next cyclic garbage collection.
    """
    env = simpy.Environment()
    env.process(_clearing(block, env))
    env.process(_pricing(block, env))
    env.process(block.timeline.releases(env, RELEASES))
    env.process(block.timeline.events(env, EVENTS))
    env.run(until=until)
