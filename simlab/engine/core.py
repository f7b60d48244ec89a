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

from dataclasses import dataclass

import numpy as np

from simlab.engine.clock import run_processes
from simlab.engine.events import Timeline
from simlab.engine.ledger import BlockRecord, Ledger, group_matrix, year_index
from simlab.engine.params import BlockParams
from simlab.engine.pricing import PricingRules
from simlab.engine.state import BlockValues
from simlab.errors import SimulationError
from simlab.market import (
    NestedShares,
    base_utility,
    bass_cdf,
    bass_time,
    blend,
    decay_step,
    growth_factor,
    nested_logit,
    price_index_ratio,
    quality_value,
    saturation,
    switch_rate,
    switch_shares,
    volume,
)
from simlab.scenario.load import Scenario
from simlab.scenario.schema import EntryEvent

__all__ = ["BlockRecord", "group_matrix", "run_block", "year_index"]


@dataclass
class Bill:
    """What a month of buyers comes to, per provider (see :meth:`_Block.bill`)."""

    per_seat: np.ndarray  # (S, B) tokens per buyer: 1 (token segments) or per seat
    tokens: np.ndarray  # (S, P, B) every token of each model
    on_own: np.ndarray  # (S, P, B) the tokens its provider serves itself
    paid: np.ndarray  # (P, B) paid API tokens
    load: np.ndarray  # (P, B) tokens the provider must serve
    billed: np.ndarray  # (P, B) USD a month
    seats: np.ndarray  # (P, B) paying seats


class _Block:
    """The market state of one block, its clearing, and the parts that act on it."""

    def __init__(self, scenario: Scenario, values: BlockValues, paths: bool) -> None:
        self.sc = scenario
        self.paths = paths
        self.par = par = BlockParams(scenario, values)
        S, P, B = par.S, par.P, par.B
        seg = par.seg
        self.ledger = Ledger(par, paths)
        self.capped = bool(par.capped.any())  # some provider's capacity is a hard cap

        # Mutable state, (P, B) or (S, P, B).
        self.quality = par.prov["quality"].copy()
        self.gap = np.full((P, B), np.nan)  # each lab's gap to its reference (see Timeline)
        self.price_in = par.prov["price_in"].copy()
        self.price_out = par.prov["price_out"].copy()
        self.cost = par.prov["cost"].copy()
        # Flows over a step are rates at its midpoint times its length (the midpoint rule:
        # weekly, monthly and quarterly steps then agree to second order): the exogenous
        # trends start half a step in.
        half = 0.5 * par.dt
        if par.decaying:  # growth decays toward a final rate (docs/model.md)
            # The log growth rate's excess over the final rate, at the current step's midpoint.
            self.growth_excess = np.log1p(seg["growth"]) - np.log1p(seg["growth_final"])
            start, self.growth_excess = decay_step(
                self.growth_excess, seg["growth_final"], seg["growth_halflife"], half
            )
            self.level = seg["potential"] * start
        else:
            self.level = seg["potential"] * growth_factor(seg["growth"], half)
        self.opex_level = par.prov["opex"] * growth_factor(par.prov["opex_growth"], half)
        self.available = np.ones((S, P, B), dtype=bool)
        self.available[par.is_seat] &= np.isfinite(par.seat_price[par.is_seat])
        # Where a provider can sell at all (no seat price: not in that seat segment), so an
        # entry makes it available only there.
        self.sellable = self.available.copy()
        for event in scenario.spec.events.values():
            if isinstance(event, EntryEvent):
                for name in event.provider:
                    self.available[:, par.prov_index[name], :] = False
        self.bass_time = bass_time(seg["adoption0"], seg["bass_p"], seg["bass_q"]) + half
        self.shares = np.zeros((S, P, B))
        self.last_share = np.zeros((P, B))
        self.last_price = np.zeros((P, B))
        # Tokens per adopter (or seat), relative to the start.
        self.intensity = growth_factor(seg["intensity_growth"], half)
        self.inclusive_ref = np.zeros((S, B))  # the inclusive value at the first step
        self.outside_share = np.zeros((S, B))
        # ln of the hosting cost's fall so far.
        self.outside_log_decline = half * np.log1p(-par.outside_cost_decline)
        self.base_utility = np.zeros((S, P, B))
        self.utility_bound = np.inf
        self.any_empty = False
        self.switch_rate = np.zeros((S, B))
        self.keep = np.ones((S, P, B))
        self.token_seg = np.flatnonzero(~par.is_seat)
        self.seat_seg = np.flatnonzero(par.is_seat)
        # Seat prices never change in a run (no rule or shock sets them): logs once.
        with np.errstate(invalid="ignore", divide="ignore"):
            self.log_seat_price = np.log(par.seat_price[self.seat_seg])
        self.seat_price_or_0 = np.nan_to_num(par.seat_price[self.seat_seg], nan=0.0)
        self.dirty_utility = self.dirty_switch = self.dirty_paid = self.dirty_factors = True
        self.dirty_columns: set[int] = set()  # providers whose quality changed

        self.step = 0  # the step being cleared
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
            # The share of each model's tokens its provider serves itself, (S, P, B):
            # third parties serve `leakage` of an open model's tokens in token segments.
            leak = np.where(par.is_seat[:, None], 0.0, seg["leakage"])
            self.keep = 1.0 - leak[:, None, :] * par.open_column
            self.dirty_paid = False
        if self.dirty_factors:
            # Per-step growth factors; they change only when a shock changes a rate.
            prov, dt = par.prov, par.dt
            self.level_factor = growth_factor(seg["growth"], dt)
            self.cost_factor = growth_factor(-prov["cost_decline"], dt)
            self.cost_midpoint = growth_factor(-prov["cost_decline"], 0.5 * dt)
            self.opex_factor = growth_factor(prov["opex_growth"], dt)
            drift = growth_factor(prov["pricing.drift"], dt)
            self.drift_factor = np.where(self.pricing.drifting, drift, 1.0)
            self.intensity_factor = growth_factor(seg["intensity_growth"], dt)
            self.dirty_factors = False

    # Kept under its old name for the tests that reach in.
    _refresh = refresh

    def log_prices(self, price: np.ndarray) -> np.ndarray:
        """Return each segment's log price of each provider, (S or 1, P, B).

        Token segments see the blended list price; seat segments the seat price.
        """
        log_price = np.log(price)
        if not len(self.seat_seg):
            return log_price[None, :, :]
        out = np.empty((self.par.S, *log_price.shape))
        out[self.token_seg] = log_price
        # Unavailable providers have utility -inf whatever their price: any finite log.
        out[self.seat_seg] = np.where(self.available[self.seat_seg], self.log_seat_price, 0.0)
        return out

    def outside_utility(self) -> np.ndarray | None:
        """Return each segment's outside-option utility, (S, B), or None without one."""
        par, seg = self.par, self.par.seg
        if not par.has_outside.any():
            return None
        best_open = self.quality[par.is_open].max(axis=0) if par.is_open.any() else np.zeros(par.B)
        u0 = par.outside_utility + par.outside_track * seg["beta_quality"] * quality_value(
            best_open[None, :], seg["need"], seg["kappa"]
        )
        u0 -= seg["beta_price"] * (par.outside_log_cost + self.outside_log_decline)
        return np.where(par.has_outside[:, None], u0, -np.inf)

    def choose(self, log_price: np.ndarray) -> NestedShares:
        """Return the nested-logit choice at these log prices (the target shares)."""
        u = np.multiply(-self.par.seg["beta_price"][:, None, :], log_price)
        u += self.base_utility
        return nested_logit(u, self.par.nest_of, self.par.lam, self.outside_utility())

    def _target(self, log_price: np.ndarray) -> np.ndarray:
        """Target shares, (S, P, B) (of all buyers; the outside option takes the rest)."""
        return self.choose(log_price if log_price.ndim == 3 else log_price[None]).shares

    def volume(self, adoption: np.ndarray, inclusive: np.ndarray) -> np.ndarray:
        """Return each segment's volume, (S, B): tokens, or seats for seat billing.

        Token segments: ``M A I (P / P_0)^-ε`` with the ideal price index
        ``P = exp(-IV / α)``, so ``(P / P_0)^-ε = exp(ε (IV - IV_0) / α)`` (1 where α = 0).
        Seat segments: ``M A`` seats (a buyer holds one seat; prices move buyers between
        providers and to the outside option, and ``I`` scales tokens per seat instead).
        """
        par, seg = self.par, self.par.seg
        ratio = price_index_ratio(inclusive, self.inclusive_ref, seg["beta_price"])
        ratio = np.where(par.is_seat[:, None], 1.0, ratio)
        level = np.where(par.is_seat[:, None], self.level, self.level * self.intensity)
        return volume(level, adoption, ratio, 1.0, seg["elasticity"])

    # ------------------------------------------------------------ clearing
    def clear(self, k: int) -> None:
        """Clear the market at step ``k`` and record it; see docs/model.md."""
        par, seg = self.par, self.par.seg
        self.refresh()
        price = self.blended()
        choice = self.choose(self.log_prices(price))
        if k == 0:
            self._start(choice)
        else:
            switch_shares(self.shares, choice.shares, self.switch_rate[:, None, :], out=self.shares)
        self.outside_share = 1.0 - self.shares.sum(axis=1)
        adoption = bass_cdf(self.bass_time, seg["bass_p"], seg["bass_q"])
        demanded = self.volume(adoption, choice.inclusive)  # (S, B) tokens or seats
        if par.has_ceiling:  # buyers' spend a year stays below the segment's ceiling
            capped = np.isfinite(par.spend_ceiling)
            with np.errstate(invalid="ignore"):
                spend = demanded * (self.shares * price[None]).sum(axis=1) * 1.2e-5  # USD/yr
                demanded = np.where(
                    capped, demanded * saturation(spend, par.spend_ceiling), demanded
                )
        buyers = demanded[:, None, :] * self.shares  # (S, P, B)
        bill = self.bill(buyers, price)
        np.sum(bill.load, axis=0, out=self.ledger.demand[k])
        capacity = self.ledger.capacity(k)
        unmet_own = None
        if self.capped:
            bill, served, unmet_own = self._ration(k, buyers, bill, capacity, price)
        else:
            served = bill.load
        tokens, paid, load, seats = bill.tokens, bill.paid, bill.load, bill.seats
        all_tokens = tokens.sum(axis=(0, 1))
        share = tokens.sum(axis=0)
        if served is not load:  # a hard cap binds: the share counts what was served
            share *= _ratio(served, load)
        share /= np.where(all_tokens > 0, all_tokens, 1.0)
        # Revenue per token served: what the provider's demand pays per token it loads.
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(load > 0, bill.billed / np.where(load > 0, load, 1.0), 0.0)
        owned = np.minimum(served, capacity)  # owned capacity first, then rented
        serving_cost = self.cost * self.cost_midpoint  # the rental price mid-step
        revenue = self.ledger.book(k, served, owned, capacity, rate, serving_cost, self.opex_level)
        self.ledger.record(k, share, price, self.quality, revenue, paid, served, seats)
        if self.paths:
            self.ledger.record_paths(
                k,
                share=share,
                price=price,
                cost=self.cost,
                quality=self.quality,
                gap=self.timeline.frontier(k)[None, :] - self.quality,  # to the frontier
                capacity=capacity,
                owned=owned,
                served=served,
                revenue=revenue,
                paid=paid,
                seats=seats,
                adoption=adoption,
                volume=demanded,
                outside=self.outside_share,
                **({"unmet": unmet_own} if unmet_own is not None else {}),
            )
        # Advance what moves with time to the next step.
        self.last_share = share
        self.last_price = price
        self.last_tokens = demanded * bill.per_seat  # (S, B) buyers' tokens
        self.bass_time += par.dt
        if par.decaying:
            self.level_factor, self.growth_excess = decay_step(
                self.growth_excess, seg["growth_final"], seg["growth_halflife"], par.dt
            )
        self.level *= self.level_factor
        self.intensity *= self.intensity_factor
        self.outside_log_decline += par.dt * np.log1p(-par.outside_cost_decline)
        self.cost *= self.cost_factor
        self.opex_level *= self.opex_factor

    def bill(self, buyers: np.ndarray, price: np.ndarray) -> Bill:
        """Turn buyers (S, P, B) into tokens, paid tokens, seats and money (a month's worth).

        See docs/model.md, "Billing": token segments pay ``price`` per million of the
        tokens a provider serves itself; seat segments pay the seat price for their
        paying seats; every seat uses ``tokens_per_seat`` times the intensity.
        """
        par = self.par
        per_seat = np.where(par.is_seat[:, None], par.tokens_per_seat * self.intensity, 1.0)
        tokens = buyers * per_seat[:, None, :]  # every token of each model
        # Open-weight tokens that third parties serve (token segments only) earn nothing.
        on_own = tokens * self.keep  # tokens the provider serves itself
        if len(self.seat_seg):
            paid = on_own[self.token_seg].sum(axis=0)  # paid API tokens, (P, B)
            load = on_own.sum(axis=0)  # tokens the provider must serve, (P, B)
        else:
            paid = on_own.sum(axis=0)
            load = paid
        billed = paid * price * 1e-6  # USD per month from tokens
        seats = np.zeros_like(paid)
        if len(self.seat_seg):
            free = par.seg["free_share"][self.seat_seg][:, None, :]
            paying = buyers[self.seat_seg] * (1.0 - free)
            seats = paying.sum(axis=0)
            billed += (paying * self.seat_price_or_0).sum(axis=0)
        return Bill(per_seat, tokens, on_own, paid, load, billed, seats)

    def _start(self, choice: NestedShares) -> None:
        """Start shares at the target, or at the observed ``share0`` where stated."""
        target = choice.shares
        self.shares = target.copy()
        inside = target.sum(axis=1)  # the observed shares are of the inside buyers
        for s, observed in self.par.share0.items():  # stated initial shares, renormalised
            start = observed * self.available[s]
            total = start.sum(axis=0)
            self.shares[s] = np.where(
                total > 0, start * inside[s] / np.where(total > 0, total, 1.0), target[s]
            )
        self.inclusive_ref = np.where(np.isfinite(choice.inclusive), choice.inclusive, 0.0)

    def _ration(
        self, k: int, buyers: np.ndarray, bill: Bill, capacity: np.ndarray, price: np.ndarray
    ) -> tuple[Bill, np.ndarray, np.ndarray | None]:
        """Serve within hard caps; the rationed buyers choose again (conditional logit).

        Where a provider that does not rent has more load than owned capacity, a share
        ``1 - K/L`` of its buyers in every segment is turned away; they choose again by
        the same nested logit among the providers with room and the outside option (the
        full providers removed). What the second choice puts above a cap is unmet. Returns
        the bill after the second choice, tokens served and unmet tokens by provider.
        """
        par = self.par
        capped = par.capped[:, None]
        full = capped & (bill.load > capacity)
        if not full.any():
            return bill, bill.load, None
        kept = np.where(full, _ratio(capacity, bill.load), 1.0)  # (P, B)
        turned_away = (buyers * (1.0 - kept)).sum(axis=1)  # (S, B)
        log_price = self.log_prices(price)
        u = np.multiply(-par.seg["beta_price"][:, None, :], log_price)
        u += np.where(full[None], -np.inf, self.base_utility)
        second = nested_logit(u, par.nest_of, par.lam, self.outside_utility()).shares
        buyers = buyers * kept + turned_away[:, None, :] * second
        bill = self.bill(buyers, price)
        served = np.where(capped, np.minimum(bill.load, capacity), bill.load)
        # Unmet: what the second choice put above a cap. Buyers turned away who chose the
        # outside option are the outside option's (its share rises), not unmet demand.
        unmet = bill.load - served
        self.ledger.unmet[k] = unmet.sum(axis=0)
        return bill, served, unmet

    # ----------------------------------------------------------------- run
    def run(self) -> BlockRecord:
        """Run the block over the horizon and return its record."""
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            run_processes(self)
        self._check_finite()
        volume = self.last_tokens
        total = volume.sum(axis=0)
        outside = np.where(total > 0, (volume * self.outside_share).sum(axis=0) / total, 0.0)
        return self.ledger.close(self.last_share, self.last_price, self.quality, outside)

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


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``a / b``, 1 where ``b`` is 0."""
    return np.where(b > 0, a / np.where(b > 0, b, 1.0), 1.0)


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
    block = _Block(scenario, values, paths)
    try:
        return block.run()
    finally:
        # The block, its pricing rules, timeline and simpy processes refer to each other:
        # a reference cycle that only the cyclic garbage collector frees, and it runs by
        # object counts, not bytes, so finished blocks' arrays (about 100 MB a block of
        # 1,024 draws) piled up. Dropping the block's attributes frees them now.
        block.__dict__.clear()
