"""The economics, as pure functions on arrays: adoption, choice, capacity, capex, pricing.

Each function takes and returns numpy arrays, broadcasts over leading (draw) axes, and is
tested against a closed form. The engine only orchestrates them in time.
"""

from simlab.market.adoption import bass_cdf, bass_time, potential, volume
from simlab.market.capacity import allocate
from simlab.market.capex import capex_schedule
from simlab.market.choice import logit_shares, quality_value, switch_shares
from simlab.market.pricing import blend, defend

__all__ = [
    "allocate",
    "bass_cdf",
    "bass_time",
    "blend",
    "capex_schedule",
    "defend",
    "logit_shares",
    "potential",
    "quality_value",
    "switch_shares",
    "volume",
]
