"""Under which assumptions? Scenario discovery and sensitivity from a run's own draws.

Everything here reads a run that exists (its inputs table and one value per draw); none
of it runs the engine again.

- scenario discovery: :func:`prim` (peeling and pasting, with the peeling trajectory and
  each box's quasi-p-values), :func:`cart` (a classification tree's leaves; needs
  scikit-learn, ``pip install "simlab[discover]"``)
- conditional scenario analysis: :func:`conditional` (how far each input's median moves
  where an outcome holds, as @RISK reports it)
- sensitivity from the draws: :func:`drivers` (rank correlation, SRRC, PRCC,
  contribution to variance, and the given-data delta, PAWN and RBD-FAST estimators)
- the outcome of each draw: :func:`outcome` (a claim, or a metric below or above a value)
- figures: :mod:`simlab.discover.plots`
"""

from simlab.discover._data import outcome
from simlab.discover.cart import Cart, cart
from simlab.discover.drivers import GIVEN_DATA, RANK_METHODS, conditional, drivers
from simlab.discover.prim import Box, Prim, prim

__all__ = [
    "GIVEN_DATA",
    "RANK_METHODS",
    "Box",
    "Cart",
    "Prim",
    "cart",
    "conditional",
    "drivers",
    "outcome",
    "prim",
]
