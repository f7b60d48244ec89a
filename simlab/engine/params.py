"""A block's parameters: every scenario figure the engine reads, as arrays, draw axis last.

:class:`BlockParams` resolves the scenario's structure (who is open, which region,
which pricing rule) and the block's per-draw values into the arrays the clearing uses:
segment parameters ``(S, B)``, provider parameters ``(P, B)``, per-segment preferences
``(S, P, B)``. Shocks change some of them during a run (through
:mod:`simlab.engine.events`); nothing else does.
"""

from __future__ import annotations

import numpy as np

from simlab.engine.state import BlockValues
from simlab.scenario.load import Scenario

__all__ = ["PROVIDER_PARAMS", "SEGMENT_PARAMS", "BlockParams"]

#: Segment parameters read as (S, B) arrays.
SEGMENT_PARAMS = (
    "potential",
    "growth",
    "adoption0",
    "bass_p",
    "bass_q",
    "elasticity",
    "beta_quality",
    "beta_price",
    "need",
    "kappa",
    "pref_open",
    "switching_time",
    "leakage",
    "intensity_growth",
    "free_share",
)
#: Provider parameters read as (P, B) arrays.
PROVIDER_PARAMS = (
    "quality",
    "price_in",
    "price_out",
    "cost",
    "cost_decline",
    "opex",
    "opex_growth",
    "training_cost",
    "cash",
    "xi",
    "own_cost_share",
    "capex_life",
    "pricing.drift",
    "pricing.markup",
    "pricing.review",
    "pricing.trigger",
    "pricing.cut",
    "pricing.lag",
    "pricing.floor",
    "pricing.ratio",
    "pricing.adjust",
    "pricing.ceiling",
)


class BlockParams:
    """The parameters of one block of draws, laid out for the engine.

    Attributes
    ----------
    S, P, B, T : int
        Segments, providers, draws and steps.
    dt : float
        Step length in years.
    seg : dict of str to numpy.ndarray
        :data:`SEGMENT_PARAMS`, each ``(S, B)``.
    prov : dict of str to numpy.ndarray
        :data:`PROVIDER_PARAMS`, each ``(P, B)``.
    """

    def __init__(self, scenario: Scenario, values: BlockValues) -> None:
        self.sc = scenario
        self.v = values
        spec = scenario.spec
        segs, provs = scenario.segments, scenario.providers
        self.S, self.P, self.B = len(segs), len(provs), values.draws
        self.T = scenario.n_steps
        self.dt = scenario.dt
        S, P, B = self.S, self.P, self.B
        self.prov_index = {name: i for i, name in enumerate(provs)}
        self.seg_index = {name: i for i, name in enumerate(segs)}

        self.seg = {
            n: np.stack([values[f"segments.{s}.{n}"] for s in segs]) for n in SEGMENT_PARAMS
        }
        self.prov = {
            n: np.stack([values[f"providers.{p}.{n}"] for p in provs]) for n in PROVIDER_PARAMS
        }
        # Decaying growth (docs/model.md, "Demand: how much"): a segment without a half-life
        # has an infinite one and a final rate of 0, so its growth is `growth` for ever.
        for name, default in (("growth_halflife", np.inf), ("growth_final", 0.0)):
            self.seg[name] = np.stack(
                [
                    values[f"segments.{s}.{name}"]
                    if getattr(spec.segments[s], name) is not None
                    else np.full(B, default)
                    for s in segs
                ]
            )
        self.decaying = any(spec.segments[s].growth_halflife is not None for s in segs)
        # Spend ceilings of token segments, USD per year, (S, B); inf where none.
        self.spend_ceiling = np.stack(
            [
                values[f"segments.{s}.spend_ceiling"]
                if spec.segments[s].spend_ceiling is not None
                else np.full(B, np.inf)
                for s in segs
            ]
        )
        self.has_ceiling = bool(np.isfinite(self.spend_ceiling).any())
        self.is_open = np.array([spec.providers[p].kind == "open" for p in provs])
        self.open_column = self.is_open[:, None].astype(np.float64)
        self.regions = scenario.regions
        self.region_of = np.array([self.regions.index(spec.providers[p].region) for p in provs])
        # Region preferences, (S, R, B); zero where a segment states none.
        self.pref_region = np.zeros((S, len(self.regions), B))
        for i, s in enumerate(segs):
            for r, region in enumerate(self.regions):
                got = values.get(f"segments.{s}.pref_region.{region}")
                if got is not None:
                    self.pref_region[i, r] = got
        # Provider preferences by segment, (S, P, B); zero where a segment states none.
        self.pref_provider = np.zeros((S, P, B))
        for i, s in enumerate(segs):
            for name in spec.segments[s].pref_provider:
                self.pref_provider[i, self.prov_index[name]] = values[
                    f"segments.{s}.pref_provider.{name}"
                ]
        # Observed initial shares, (P, B) by segment index, for the segments that state them.
        self.share0 = {
            i: np.stack(
                [
                    values[f"segments.{s}.share0.{p}"]
                    if p in spec.segments[s].share0
                    else np.zeros(B)
                    for p in provs
                ]
            )
            for i, s in enumerate(segs)
            if spec.segments[s].share0
        }
        # Nests: each provider's nest index and each nest's λ, (N, B).
        self.nest_names, nest_of = scenario.nests
        self.nest_of = np.array(nest_of, dtype=np.int64)
        self.lam = np.stack(
            [values[f"nests.{n}.lam"] if n in spec.nests else np.ones(B) for n in self.nest_names]
        )
        # Billing: seat segments choose over seat prices and pay per seat.
        self.is_seat = np.array([spec.segments[s].billing == "seats" for s in segs])
        self.seat_price = np.full((S, P, B), np.nan)
        self.tokens_per_seat = np.ones((S, B))
        for i, s in enumerate(segs):
            if self.is_seat[i]:
                for name in spec.segments[s].seat_price:
                    self.seat_price[i, self.prov_index[name]] = values[
                        f"segments.{s}.seat_price.{name}"
                    ]
                self.tokens_per_seat[i] = values[f"segments.{s}.tokens_per_seat"]
        # Outside options, (S, B); has_outside marks the segments that have one.
        self.has_outside = np.array([spec.segments[s].outside is not None for s in segs])
        self.outside_utility = np.zeros((S, B))
        self.outside_track = np.zeros((S, B))
        self.outside_log_cost = np.zeros((S, B))
        self.outside_cost_decline = np.zeros((S, B))
        for i, s in enumerate(segs):
            outside = spec.segments[s].outside
            if outside is None:
                continue
            self.outside_utility[i] = values[f"segments.{s}.outside.utility"]
            self.outside_track[i] = values[f"segments.{s}.outside.track_open"]
            if outside.hosting_cost is not None:
                self.outside_log_cost[i] = np.log(values[f"segments.{s}.outside.hosting_cost"])
                self.outside_cost_decline[i] = values[f"segments.{s}.outside.cost_decline"]
        self.input_share = values["market.input_share"][None, :]  # (1, B)
        self.output_share = 1.0 - self.input_share
        # Owned inference capacity at the start, 0 where none (capex adds to it).
        cap = np.zeros((P, B))
        for i, p in enumerate(provs):
            got = values.get(f"providers.{p}.capacity")
            if got is not None:
                cap[i] = got
        self.base_capacity = cap
        # Providers whose owned capacity is a hard cap (they do not rent), (P,) bool.
        self.capped = np.array([not spec.providers[p].rent for p in provs])
        self.discount_rate = values["finance.discount_rate"]
        # The quality index's maximum and the frontier's trend, (B,) (docs/model.md, "Quality").
        self.quality_max = float(spec.quality.max)
        frontier0 = values.get("quality.frontier0")
        self.frontier0 = frontier0 if frontier0 is not None else np.full(B, self.quality_max)
        self.frontier_rate = values["quality.frontier_rate"]
