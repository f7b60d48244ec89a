"""Events and shocks in time: entries, exits, releases, price changes, shocks.

Each scheduled event becomes a handler ``apply(mask, step)`` that changes the block's
state for the draws in ``mask``. Events whose date differs by draw are grouped by
step: one simpy event per distinct step, carrying the mask of its draws. Projected
releases wake only at the steps where some draw has a release due.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simlab.engine.state import _inside
from simlab.errors import SimulationError
from simlab.market import bass_cdf, bass_time, frontier_trend, growth_factor, release_quality
from simlab.scenario.load import Scenario, _days
from simlab.scenario.schema import (
    CapexEvent,
    EntryEvent,
    ExitEvent,
    PriceEvent,
    ReleaseEvent,
    ShockEvent,
)

if TYPE_CHECKING:
    from simlab.engine.core import _Block

__all__ = ["Handler", "Timeline", "release_steps"]

#: Days in a year, for cadences in years.
_YEAR_DAYS = 365.25


def release_steps(scenario: Scenario, first: np.ndarray, cadence: np.ndarray) -> np.ndarray:
    """Return the step of each projected release, (N, B); -1 where there is none.

    Release ``n`` of a draw is dated ``first + n x cadence`` exactly and takes effect at
    the step whose start is nearest its date: the number of releases in a period does
    not depend on the step length (a cadence is never rounded to steps), and releases
    are on time on average at any step length. Releases dated before the start or at or
    after the end are left out, so a first release before the start keeps its cadence.
    """
    end = scenario.step_of_days(np.array([_days(scenario.end_date)]))[0]
    start = _days(scenario.start_date)
    span = np.asarray(cadence, dtype=np.float64) * _YEAR_DAYS
    first = np.asarray(first, dtype=np.float64)
    # From the first release at or after the start to the last before the end.
    n0 = np.maximum(0.0, np.ceil((start - first) / span))
    n_max = int(np.max(np.ceil((_days(scenario.end_date) - first) / span) - n0)) + 1
    n = n0[None, :] + np.arange(max(n_max, 0))[:, None]
    # The step whose start is nearest the date (on average on time at any step length).
    half_step = 0.5 * scenario.dt * _YEAR_DAYS
    steps = scenario.step_of_days(first[None, :] + n * span[None, :] + half_step)
    return np.where((steps >= 0) & (steps < end), steps, -1)


#: Apply an event to the draws in a mask at a step.
Handler = Callable[[np.ndarray, int], None]

#: Each release mode's parameter (under ``providers.NAME.releases``).
AMOUNT = {"step": "step", "catch_up": "catch_up", "frontier": "gap_change", "lead": "lead"}
#: Modes that keep a lab's gap to a reference between releases.
GAP_MODES = ("catch_up", "frontier")


class Timeline:
    """The scheduled events and projected releases of one block."""

    def __init__(self, block: _Block) -> None:
        self.block = block
        spec, par = block.par.sc.spec, block.par
        #: Each provider's release mode, by provider index (providers with releases).
        self.modes = {
            par.prov_index[name]: prov.releases.mode
            for name, prov in spec.providers.items()
            if prov.releases is not None
        }
        everyone = np.ones(par.B, dtype=bool)
        for p in self.modes:
            self.reset_gap(p, everyone, 0)

    # ------------------------------------------------------------ the frontier
    def frontier(self, step: int) -> np.ndarray:
        """Return the frontier at a step, (B,): its trend, or the best model if higher."""
        b = self.block
        par = b.par
        trend = frontier_trend(par.quality_max, par.frontier0, par.frontier_rate, step * par.dt)
        return np.maximum(trend, b.quality.max(axis=0))

    def _reference(self, p: int, mode: str, step: int) -> np.ndarray:
        """Return the quality a lab's gap is measured to: the frontier or the best closed one."""
        b = self.block
        if mode == "frontier":
            return self.frontier(step)
        closed = ~b.par.is_open
        return b.quality[closed].max(axis=0) if closed.any() else b.quality[p]

    def reset_gap(self, p: int, mask: np.ndarray, step: int) -> None:
        """Set a lab's gap to its realised one (at the start, or when an event sets its quality)."""
        mode = self.modes.get(p)
        if mode in GAP_MODES:
            b = self.block
            gap = np.maximum(self._reference(p, mode, step) - b.quality[p], 0.0)
            b.gap[p, mask] = gap[mask]

    # ------------------------------------------------------ projected releases
    def releases(self, env: simpy.Environment, phase: float) -> simpy.events.ProcessGenerator:
        """Projected releases: wakes only at steps where some draw has a release due."""
        par = self.block.par
        spec, v, T = par.sc.spec, par.v, par.T
        # "lead" releases look at the others' quality, so they go last within a step.
        order = {"step": 0, "catch_up": 1, "frontier": 1, "lead": 2}
        plans: list[tuple[int, str, str, np.ndarray]] = []
        due_at: dict[int, list[int]] = {}
        for name, prov in spec.providers.items():
            if prov.releases is None:
                continue
            base = f"providers.{name}.releases"
            steps = release_steps(par.sc, v[f"{base}.first"], v[f"{base}.cadence"])
            for step in np.unique(steps[(steps >= 0) & (steps < T)]):
                due_at.setdefault(int(step), []).append(len(plans))
            plans.append((par.prov_index[name], prov.releases.mode, base, steps))
        now = 0.0
        for k in sorted(due_at):
            yield env.timeout(k + phase - now)
            now = k + phase
            for i in sorted(due_at[k], key=lambda i: order[plans[i][1]]):
                p, mode, base, steps = plans[i]
                count = (steps == k).sum(axis=0)  # releases due at step k, by draw
                for n in range(int(count.max())):
                    self._release(k, p, mode, base, count > n)

    def _release(self, k: int, p: int, mode: str, base: str, due: np.ndarray) -> None:
        b = self.block
        par = b.par
        v, is_open = par.v, par.is_open
        closed = ~is_open
        q = b.quality[p]
        best_closed = b.quality[closed].max(axis=0) if closed.any() else q
        best_open = b.quality[is_open].max(axis=0) if is_open.any() else q
        amount = v[f"{base}.{AMOUNT[mode]}"]
        new = release_quality(mode, q, amount, best_closed, best_open, self.frontier(k), b.gap[p])
        b.quality[p] = np.where(due, new.quality, q)
        b.gap[p] = np.where(due, new.gap, b.gap[p])
        cost = v[f"{base}.training_cost"] * growth_factor(v[f"{base}.training_growth"], k * par.dt)
        b.ledger.spend_on_training(p, np.where(due, cost, 0.0))
        b.dirty_columns.add(p)

    # ------------------------------------------------------- scheduled events
    def events(self, env: simpy.Environment, phase: float) -> simpy.events.ProcessGenerator:
        """Scheduled events, in file order within a step."""
        par = self.block.par
        sc, v = par.sc, par.v
        todo: list[tuple[int, int, Handler]] = []
        for order, (key, event) in enumerate(sc.spec.events.items()):
            if isinstance(event, CapexEvent):
                continue  # delivered in closed form; see Ledger._schedule_capex
            steps = np.maximum(sc.step_of_days(v[f"events.{key}.date"]), 0)
            handler = self._handler(key, event)
            for step in np.unique(steps[steps < par.T]):
                todo.append((int(step), order, _masked(handler, steps == step)))
        todo.sort(key=lambda item: (item[0], item[1]))
        now = 0.0
        for step, _, apply in todo:
            when = step + phase
            if when > now:
                yield env.timeout(when - now)
                now = when
            apply(np.empty(0), step)

    def _handler(self, key: str, event: object) -> Handler:
        b = self.block
        par = b.par
        v, base = par.v, f"events.{key}"
        if isinstance(event, EntryEvent | ExitEvent):
            idx = [par.prov_index[n] for n in event.provider]
            segs = (
                [par.seg_index[s] for s in event.segments]
                if isinstance(event, ExitEvent) and event.segments is not None
                else list(range(par.S))
            )
            enter = isinstance(event, EntryEvent)

            def flip(mask: np.ndarray, step: int) -> None:
                for p in idx:
                    for s in segs:
                        b.available[s, p, mask] = b.sellable[s, p, mask] if enter else False
                        if not enter:
                            b.shares[s, p, mask] = 0.0
                if not enter:
                    total = b.shares.sum(axis=1, keepdims=True)
                    np.divide(b.shares, total, out=b.shares, where=total > 0)
                b.dirty_utility = True

            return flip
        if isinstance(event, ReleaseEvent | PriceEvent):
            p = par.prov_index[event.provider]
            quality = v.get(f"{base}.quality")
            price_in = v.get(f"{base}.price_in")
            price_out = v.get(f"{base}.price_out")
            training = v.get(f"{base}.training_cost")
            sets_price = price_in is not None or price_out is not None
            duration = v.get(f"{base}.duration")
            if duration is None and isinstance(event, ReleaseEvent):
                hold_steps = np.zeros(par.B, dtype=np.int64)  # launch prices: the rule's start
            elif duration is None:
                hold_steps = np.full(par.B, par.T, dtype=np.int64)  # a price event: for good
            else:
                hold_steps = np.maximum(1, np.rint(duration / par.dt)).astype(np.int64)

            def release(mask: np.ndarray, step: int) -> None:
                if quality is not None:
                    b.quality[p, mask] = np.minimum(quality[mask], par.quality_max)
                    self.reset_gap(p, mask, step)
                    b.dirty_columns.add(p)
                if price_in is not None:
                    b.price_in[p, mask] = price_in[mask]
                if price_out is not None:
                    b.price_out[p, mask] = price_out[mask]
                if sets_price:
                    b.pricing.hold(p, mask, step, hold_steps[mask])
                if training is not None:
                    spent = np.zeros(par.B)
                    spent[mask] = training[mask]
                    b.ledger.spend_on_training(p, spent)

            return release
        assert isinstance(event, ShockEvent)  # validated by the loader
        return self._shock_handler(event, v[f"{base}.value"])

    def _shock_handler(self, event: ShockEvent, value: np.ndarray) -> Handler:
        b = self.block
        par = b.par
        section, owner, *rest = event.path.split(".")
        name = ".".join(rest)
        op = event.op
        shocked = par.sc.params.get(event.path)
        bounds = shocked.bounds if shocked is not None else None

        def combine(old: np.ndarray, mask: np.ndarray) -> np.ndarray:
            if op == "set":
                new = value[mask]
            elif op == "multiply":
                new = old * value[mask]
            else:
                new = old + value[mask]
            if bounds is not None:
                inside = _inside(new, bounds)
                if not inside.all():
                    d = int(np.flatnonzero(mask)[np.flatnonzero(~inside)[0]])
                    raise SimulationError(
                        f"{par.sc.origin}: draw {par.v.offset + d}: shock {event.path} "
                        f"{op} {float(value[d]):g} gives {float(new[~inside][0]):g}, which "
                        f"must be {bounds.describe()}; narrow the shock's distribution"
                    )
            return new

        if section == "segments":
            s = par.seg_index[owner]
            seg = par.seg

            def seg_shock(mask: np.ndarray, step: int) -> None:
                if name.startswith("pref_region."):
                    r = par.regions.index(name.split(".")[1])
                    par.pref_region[s, r, mask] = combine(par.pref_region[s, r, mask], mask)
                elif name.startswith("pref_provider."):
                    q = par.prov_index[name.split(".")[1]]
                    old = par.pref_provider[s, q, mask]
                    par.pref_provider[s, q, mask] = combine(old, mask)
                elif name == "potential":
                    b.level[s, mask] = combine(b.level[s, mask], mask)
                elif name in ("growth", "growth_final") and par.decaying:
                    # A decaying rate: a new growth is the rate from now on (decaying
                    # again); a new final rate keeps the current rate and moves its target.
                    final = np.log1p(seg["growth_final"][s, mask])
                    rate = final + b.growth_excess[s, mask]
                    seg[name][s, mask] = combine(seg[name][s, mask], mask)
                    if name == "growth":
                        rate = np.log1p(seg["growth"][s, mask])
                    b.growth_excess[s, mask] = rate - np.log1p(seg["growth_final"][s, mask])
                elif name in ("bass_p", "bass_q"):
                    p, q = seg["bass_p"][s, mask], seg["bass_q"][s, mask]
                    adopted = bass_cdf(b.bass_time[s, mask], p, q)
                    seg[name][s, mask] = combine(seg[name][s, mask], mask)
                    p, q = seg["bass_p"][s, mask], seg["bass_q"][s, mask]
                    b.bass_time[s, mask] = bass_time(adopted, p, q)
                else:
                    seg[name][s, mask] = combine(seg[name][s, mask], mask)
                b.dirty_utility = b.dirty_switch = b.dirty_paid = True
                b.dirty_factors = True

            return seg_shock
        p = par.prov_index[owner]
        if name == "capacity":

            def capacity_shock(mask: np.ndarray, step: int) -> None:
                # The shock acts on the capacity in service at its date (the start's and
                # capex's alike) and scales it from then on.
                built = b.ledger.owned(step)[p, mask]
                in_service = built * b.ledger.capacity_factor[p, mask]
                new = combine(in_service, mask)
                b.ledger.capacity_factor[p, mask] = np.where(built > 0, new / built, 1.0)

            return capacity_shock
        target = {
            "quality": b.quality,
            "cost": b.cost,
            "opex": b.opex_level,
        }.get(name)

        def prov_shock(mask: np.ndarray, step: int) -> None:
            array = target if target is not None else par.prov[name]
            array[p, mask] = combine(array[p, mask], mask)
            if name == "quality":  # on the index: at most its maximum
                np.minimum(array[p], par.quality_max, out=array[p])
                self.reset_gap(p, mask, step)
            b.dirty_utility = b.dirty_factors = True

        return prov_shock


def _masked(handler: Handler, mask: np.ndarray) -> Handler:
    def apply(_: np.ndarray, step: int) -> None:
        handler(mask, step)

    return apply
