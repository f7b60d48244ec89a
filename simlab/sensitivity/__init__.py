"""Sensitivity analysis: tornado and spider charts, grid sweeps, Sobol' indices, Morris.

Every method here is a choice of rows of an inputs table (DESIGN.md, principle 2): it
builds one table, runs it through the deterministic engine (:func:`~simlab.simulate`) in
as few batched calls as memory allows, and reads one metric back.

- one at a time: :func:`tornado`, :func:`spider`
- grids: :func:`sweep`
- global: :func:`sobol` (and :func:`sobol_convergence`), :func:`morris`

**Common random numbers.** :func:`tornado`, :func:`spider` and :func:`sweep` draw one
*base* inputs table, exactly the inputs of ``simlab.run(scenario, draws, seed)``
(:func:`~simlab.sample_inputs`), and reuse it for every swing or grid point, overriding
only the columns being varied. The differences between points are then differences of
the model, not of the random draws: a parameter that cannot change the metric has a
swing of exactly 0, and a few hundred draws resolve small effects.

**Metrics.** The target is one per-draw metric of a provider or a group, as
``Results.metric(metric, who, year)`` reads it: ``provider=`` or ``group=`` (the group
``all`` when neither is given), and ``year=`` for the yearly metrics.

**Missing values.** Where a metric has no value for some draws (NaN: an IRR that does
not exist, no payback within the horizon), those draws are left out of each statistic
and counted: a :class:`~simlab.SimlabWarning` says how many, and the results carry the
counts (``nan_*`` columns, a ``nan_draws`` coordinate, or ``attrs``). Sobol' and Morris
designs cannot lose single rows, so there the whole group of rows a missing value
belongs to (a Saltelli group, a Morris trajectory) is left out, and counted.
"""

from simlab.sensitivity._common import MAX_ROWS, param_units
from simlab.sensitivity.grid import sweep
from simlab.sensitivity.indices import MORRIS_SPAN, morris, sobol, sobol_convergence
from simlab.sensitivity.oat import spider, tornado

__all__ = [
    "MAX_ROWS",
    "MORRIS_SPAN",
    "morris",
    "param_units",
    "sobol",
    "sobol_convergence",
    "spider",
    "sweep",
    "tornado",
]
