"""The economics, as pure functions on arrays: the ONE implementation of each rule.

Demand (adoption, volume), choice (utility, logit, switching), capex, pricing
and quality releases. Each function takes and returns numpy arrays, broadcasts over
leading (draw) axes, and is tested against a closed form. The engine
(:mod:`simlab.engine`) only orchestrates them in time and never re-derives a formula.
"""

from simlab.market.adoption import (
    bass_cdf,
    bass_time,
    decay_step,
    growth_factor,
    potential,
    price_index_ratio,
    saturation,
    volume,
)
from simlab.market.capex import capex_schedule
from simlab.market.choice import (
    NestedShares,
    base_utility,
    logit_shares,
    nested_logit,
    own_price_elasticity,
    quality_value,
    switch_rate,
    switch_shares,
)
from simlab.market.pricing import best_response, blend, cost_plus, defend
from simlab.market.quality import Release, frontier_trend, release_quality
from simlab.market.sums import member_sums

__all__ = [
    "NestedShares",
    "Release",
    "base_utility",
    "bass_cdf",
    "bass_time",
    "best_response",
    "blend",
    "capex_schedule",
    "cost_plus",
    "decay_step",
    "defend",
    "frontier_trend",
    "growth_factor",
    "logit_shares",
    "member_sums",
    "nested_logit",
    "own_price_elasticity",
    "potential",
    "price_index_ratio",
    "quality_value",
    "release_quality",
    "saturation",
    "switch_rate",
    "switch_shares",
    "volume",
]
