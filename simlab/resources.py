"""Memory estimated before a run starts, so a run that cannot fit is refused at once.

A run keeps every draw's metrics (and its inputs, and paths when asked); a Latin
hypercube or Sobol' design is drawn whole before the first block; a Sobol' analysis
holds ``n (k + 2)`` rows. :func:`check_memory` compares such an estimate with the
machine's memory and raises :class:`~simlab.errors.ScenarioError` (exit 2 on the command
line) when it cannot fit, rather than failing after minutes with a MemoryError.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from simlab.errors import ScenarioError

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = ["MAX_SEED", "check_memory", "machine_memory", "run_bytes"]

#: The largest seed: results files keep it as a 64-bit integer.
MAX_SEED = 2**63 - 1
#: Share of the machine's memory a run may plan to use.
MEMORY_SHARE = 0.8
#: Bytes a draw's metrics take per provider or group (16 per-draw metrics, 8 bytes each,
#: plus the IRR flags), and per (year, provider or group) (4 yearly float32 metrics).
_PER_WHO, _PER_WHO_YEAR = 16 * 8 + 2, 4 * 4


def machine_memory() -> int:
    """Return the machine's physical memory in bytes (8 GiB if it cannot be read)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def run_bytes(scenario: Scenario, draws: int, paths: bool = False, design: bool = False) -> float:
    """Estimate the memory a run of ``draws`` keeps, in bytes.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    draws : int
        Number of draws.
    paths : bool
        Whether per-step paths are kept (float32).
    design : bool
        Whether the whole inputs table is drawn up front (Latin hypercube, Sobol'), which
        needs a few copies of it at once.

    Returns
    -------
    float
        Bytes.
    """
    who = len(scenario.providers) + len(scenario.groups)
    years = len(scenario.years)
    columns = len(scenario.uncertain)
    per_draw = (
        who * _PER_WHO + who * years * _PER_WHO_YEAR + 8 * (1 + columns * (4 if design else 1))
    )
    if paths:
        per_draw += (
            4 * scenario.n_steps * (8 * len(scenario.providers) + 2 * len(scenario.segments))
        )
    return float(draws) * per_draw


def check_memory(what: str, nbytes: float, advice: str) -> None:
    """Refuse work that needs more than :data:`MEMORY_SHARE` of the machine's memory.

    Parameters
    ----------
    what : str
        The call, for the message (e.g. ``"run(draws=10**9)"``).
    nbytes : float
        Its estimated memory.
    advice : str
        What to do instead.

    Raises
    ------
    ScenarioError
        When ``nbytes`` exceeds the share of memory allowed.
    """
    limit = MEMORY_SHARE * machine_memory()
    if nbytes > limit:
        raise ScenarioError(
            f"{what} needs about {nbytes / 2**30:,.1f} GiB of memory, more than the "
            f"{limit / 2**30:,.1f} GiB this machine can give it; {advice}"
        )
