"""The batched discrete-event engine: one ``simpy.Environment`` runs a block of draws.

The engine is split by concept:

- :mod:`~simlab.engine.params`: the block's parameters as arrays;
- :mod:`~simlab.engine.pricing`: the pricing rules' state in time;
- :mod:`~simlab.engine.events`: scheduled events, shocks and projected releases;
- :mod:`~simlab.engine.ledger`: money flows, present values, payback and records;
- :mod:`~simlab.engine.clock`: the phases of a step and the simpy processes;
- this module: the market's state (quality, prices, shares, adoption) and the clearing.

The economics are the pure functions of :mod:`simlab.market`; nothing here re-derives a
formula. State arrays have the draw axis last (see :mod:`simlab.engine.state`).
"""

from __future__ import annotations

import numpy as np

from simlab.engine.clock import run_processes
from simlab.engine.events import Timeline
from simlab.engine.ledger import BlockRecord, Ledger, group_matrix, year_index
from simlab.engine.params import BlockParams
from simlab.engine.pricing import PricingRules
from simlab.engine.state import BlockValues
from simlab.errors import SimulationError
from simlab.market import (
    allocate,
    base_utility,
    bass_cdf,
    bass_time,
    blend,
    growth_factor,
    logit_shares,
    switch_rate,
    switch_shares,
    volume,
)
from simlab.scenario.load import Scenario
from simlab.scenario.schema import EntryEvent

__all__ = ["BlockRecord", "group_matrix", "run_block", "year_index"]


class _Block:
    """The market state of one block, its clearing, and the parts that act on it."""

    def __init__(self, scenario: Scenario, values: BlockValues, paths: bool) -> None:
        self.sc = scenario
        self.paths = paths
        self.par = par = BlockParams(scenario, values)
        S, P, B = par.S, par.P, par.B
        seg = par.seg
        self.ledger = Ledger(par, paths)
        self.limited = bool(np.isfinite(par.base_capacity).any())

        # Mutable state, (P, B) or (S, P, B).
        self.quality = par.prov["quality"].copy()
        self.price_in = par.prov["price_in"].copy()
        self.price_out = par.prov["price_out"].copy()
        self.cost = par.prov["cost"].copy()
        self.opex_level = par.prov["opex"].copy()
        self.level = seg["potential"].copy()
        self.available = np.ones((S, P, B), dtype=bool)
        for event in scenario.spec.events.values():
            if isinstance(event, EntryEvent):
                for name in event.provider:
                    self.available[:, par.prov_index[name], :] = False
        self.bass_time = bass_time(seg["adoption0"], seg["bass_p"], seg["bass_q"])
        self.shares = np.zeros((S, P, B))
        self.last_share = np.zeros((P, B))
        self.last_price = np.zeros((P, B))
        self.price_paid = np.zeros((S, B))
        self.price_ref = np.zeros((S, B))
        self.base_utility = np.zeros((S, P, B))
        self.utility_bound = np.inf
        self.any_empty = False
        self.switch_rate = np.zeros((S, B))
        self.has_leak = False
        self.dirty_utility = self.dirty_switch = self.dirty_paid = self.dirty_factors = True
        self.dirty_columns: set[int] = set()  # providers whose quality changed

        self.pricing = PricingRules(self)
        self.timeline = Timeline(self)

    # ------------------------------------------------------------ helpers
    def blended(self) -> np.ndarray:
        """Return every provider's blended list price, (P, B)."""
        return blend(self.price_in, self.price_out, self.par.input_share)

    def _utility(self, quality: np.ndarray, p: int | slice) -> np.ndarray:
        par, seg = self.par, self.par.seg
        if isinstance(p, slice):
            return base_utility(
                quality[None, :, :],
                seg["need"][:, None, :],
                seg["kappa"][:, None, :],
                seg["beta_quality"][:, None, :],
                par.pref_region[:, par.region_of, :],
                seg["pref_open"][:, None, :],
                par.is_open[None, :, None],
                par.prov["xi"][None, :, :],
                par.pref_provider,
            )
        return base_utility(
            quality,
            seg["need"],
            seg["kappa"],
            seg["beta_quality"],
            par.pref_region[:, par.region_of[p], :],
            seg["pref_open"],
            float(par.is_open[p]),
            par.prov["xi"][p],
            par.pref_provider[:, p, :],
        )

    def refresh(self) -> None:
        """Recompute what depends on parameters that events or releases changed."""
        par, seg = self.par, self.par.seg
        if self.dirty_columns and not self.dirty_utility:
            # One (S, B) column a release: slices are views, not copies.
            for p in sorted(self.dirty_columns):
                u = self._utility(self.quality[p], p)
                self.utility_bound = max(self.utility_bound, float(np.abs(u).max()))
                self.base_utility[:, p, :] = np.where(self.available[:, p, :], u, -np.inf)
        self.dirty_columns.clear()
        if self.dirty_utility:
            u = self._utility(self.quality, slice(None))
            self.base_utility = np.where(self.available, u, -np.inf)
            self.utility_bound = float(np.abs(u).max()) if u.size else 0.0
            self.any_empty = bool((~self.available.any(axis=1)).any())
            self.dirty_utility = False
        if self.dirty_switch:
            self.switch_rate = switch_rate(par.dt, seg["switching_time"])
            self.dirty_switch = False
        if self.dirty_paid:
            self.has_leak = bool(par.is_open.any() and seg["leakage"].any())
            self.dirty_paid = False
        if self.dirty_factors:
            # Per-step growth factors; they change only when a shock changes a rate.
            prov, dt = par.prov, par.dt
            self.level_factor = growth_factor(seg["growth"], dt)
            self.cost_factor = growth_factor(-prov["cost_decline"], dt)
            self.opex_factor = growth_factor(prov["opex_growth"], dt)
            drift = growth_factor(prov["pricing.drift"], dt)
            self.drift_factor = np.where(self.pricing.drifting, drift, 1.0)
            self.neg_beta_price = -seg["beta_price"][:, None, :]
            self.beta_price_max = float(seg["beta_price"].max())
            self.dirty_factors = False

    # Kept under its old name for the tests that reach in.
    _refresh = refresh

    def _target(self, log_price: np.ndarray) -> np.ndarray:
        """Logit target shares, (S, P, B), computed in one buffer.

        The largest utility is subtracted before exponentiating only when the utilities
        could overflow ``exp`` (|u| > 300): otherwise it cancels in the ratio.
        """
        u = np.multiply(self.neg_beta_price, log_price[None, :, :])
        u += self.base_utility
        bound = self.utility_bound + self.beta_price_max * float(np.abs(log_price).max())
        return logit_shares(u, axis=1, stabilise=bound > 300.0, out=u)

    # ------------------------------------------------------------ clearing
    def clear(self, k: int) -> None:
        """Clear the market at step ``k`` and record it; see docs/model.md."""
        par, seg = self.par, self.par.seg
        self.refresh()
        price = self.blended()
        target = self._target(np.log(price))
        if k == 0:
            self._start(target, price)
        else:
            switch_shares(self.shares, target, self.switch_rate[:, None, :], out=self.shares)
        adoption = bass_cdf(self.bass_time, seg["bass_p"], seg["bass_q"])
        demanded = volume(self.level, adoption, self.price_paid, self.price_ref, seg["elasticity"])
        # Tokens by provider (incl. self-hosted), and the paid part of them.
        tokens = np.einsum("sb,spb->pb", demanded, self.shares)
        if self.has_leak:
            leaked = np.einsum("sb,spb->pb", demanded * seg["leakage"], self.shares)
            leaked *= par.open_column  # only open-weight models leak
            paid = tokens - leaked
        else:
            paid = tokens.copy()
        all_tokens = tokens.sum(axis=0)
        # Volume is positive and shares sum to 1 unless a segment has no provider left.
        share = tokens
        share /= np.where(all_tokens > 0, all_tokens, 1.0) if self.any_empty else all_tokens
        np.sum(paid, axis=0, out=self.ledger.demand[k])
        served, unmet_own = self._serve(k, paid)
        revenue = self.ledger.book(k, served, price, self.cost, self.opex_level)
        self.ledger.record(k, share, price, self.quality, revenue)
        if self.paths:
            self.ledger.record_paths(
                k,
                share=share,
                price=price,
                cost=self.cost,
                quality=self.quality,
                capacity=self.ledger.capacity(k),
                served=served,
                revenue=revenue,
                adoption=adoption,
                volume=demanded,
                **({"unmet": unmet_own} if unmet_own is not None else {}),
            )
        # Advance what moves with time to the next step.
        self.last_share = share
        self.last_price = price
        self.price_paid = np.einsum("spb,pb->sb", self.shares, price)
        self.bass_time += par.dt
        self.level *= self.level_factor
        self.cost *= self.cost_factor
        self.opex_level *= self.opex_factor

    def _start(self, target: np.ndarray, price: np.ndarray) -> None:
        """Start shares at the target, or at the observed ``share0`` where stated."""
        self.shares = target
        for s, observed in self.par.share0.items():  # stated initial shares, renormalised
            start = observed * self.available[s]
            total = start.sum(axis=0)
            self.shares[s] = np.where(total > 0, start / np.where(total > 0, total, 1.0), target[s])
        self.price_paid = np.einsum("spb,pb->sb", self.shares, price)
        self.price_ref = np.stack(
            [r if r is not None else self.price_paid[i] for i, r in enumerate(self.par.price_ref)]
        )

    def _serve(self, k: int, paid: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Serve paid demand within capacity; return served and unmet by provider."""
        if not self.limited:
            return paid, None
        capacity = self.ledger.capacity(k)
        # Spill-over only where some draw's demand exceeds a capacity; otherwise the
        # general path gives served = paid and nothing unmet, bit for bit.
        if not (paid > capacity).any():
            return paid, None
        served, unmet = allocate(paid, capacity, axis=0)
        self.ledger.unmet[k] = unmet
        if not self.paths:
            return served, None
        # Unmet demand by provider: its excess, pro rata of what is unmet.
        own_excess = paid - np.minimum(paid, capacity)
        excess = own_excess.sum(axis=0)
        ratio = unmet / np.where(excess > 0, excess, 1.0)
        return served, own_excess * np.where(excess > 0, ratio, 0.0)

    # ----------------------------------------------------------------- run
    def run(self) -> BlockRecord:
        """Run the block over the horizon and return its record."""
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            run_processes(self)
        self._check_finite()
        return self.ledger.close(self.last_share, self.last_price, self.quality)

    def _check_finite(self) -> None:
        sc, v, T = self.sc, self.par.v, self.par.T
        for name, array in (
            ("free cash flow", self.ledger.fcf),
            ("unmet demand", self.ledger.unmet),
            ("share", self.last_share),
        ):
            bad = ~np.isfinite(array)
            if bad.any():
                where = np.argwhere(bad)[0]
                if name == "free cash flow":  # (B, X, T)
                    b, step = int(where[0]), int(where[-1])
                elif name == "unmet demand":  # (T, B)
                    b, step = int(where[-1]), int(where[0])
                else:  # (P, B) at the last step
                    b, step = int(where[-1]), T - 1
                row = v.row(b)
                uncertain = [(k, x) for k, x in list(row.items())[:12] if k in sc.uncertain]
                shown = ", ".join(f"{k}={x:.6g}" for k, x in uncertain) or "point values"
                raise SimulationError(
                    f"{sc.origin}: draw {v.offset + b}: {name} became non-finite at step {step} "
                    f"({sc.times[step]}); that draw's uncertain inputs: {shown}. "
                    "Check extreme values (e.g. growth, elasticity, prices near 0)."
                )


def run_block(scenario: Scenario, values: BlockValues, paths: bool = False) -> BlockRecord:
    """Simulate one block of draws and return its per-step record.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    values : BlockValues
        Every parameter path's value per draw.
    paths : bool
        Also record adoption and volume by segment.

    Raises
    ------
    SimulationError
        If any state becomes non-finite; the message names the draw and its inputs.
    """
    return _Block(scenario, values, paths).run()
