"""The batched discrete-event engine: one ``simpy.Environment`` runs a block of draws.

Within a step ``k`` (simulation time ``k`` to ``k + 1``, in steps), the order is fixed:

1. ``k + 0.25``: each provider's pricing rule (drift, cost-plus, share defense);
2. ``k + 0.40``: projected releases;
3. ``k + 0.50``: scheduled events in file order (entry, exit, release, price, shock);
4. ``k + 0.75``: ``follow`` rules (so a follower sees its target's price of this step),
   then market clearing (adoption, choice, capacity, spill-over) and recording.

So a scheduled price event overrides the pricing rule in its step, and everything that
happens at a date is seen by that date's clearing. An event whose date differs by draw is
grouped by step: one simpy event per distinct step, carrying the mask of its draws.

State arrays have the draw axis last (see :mod:`simlab.engine.state`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from simlab.engine.state import BlockValues, _inside
from simlab.errors import ScenarioError, SimulationError
from simlab.market import allocate, bass_cdf, bass_time, capex_schedule, quality_value
from simlab.scenario.load import Scenario
from simlab.scenario.schema import (
    CapexEvent,
    EntryEvent,
    ExitEvent,
    PriceEvent,
    ReleaseEvent,
    ShockEvent,
)

__all__ = ["BlockRecord", "run_block"]

_SEG_PARAMS = (
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
)
_PROV_PARAMS = (
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
    "pricing.drift",
    "pricing.markup",
    "pricing.review",
    "pricing.trigger",
    "pricing.cut",
    "pricing.lag",
    "pricing.floor",
    "pricing.ratio",
)


@dataclass
class BlockRecord:
    """What one block of draws leaves behind.

    Entities ``X`` are the providers followed by the groups of :func:`group_matrix`.
    Flows are USD per step; per-step arrays are laid out (time, X, draw).
    """

    fcf: np.ndarray  # (B, X, T) free cash flow, time last (as IRR and payback want it)
    pv: np.ndarray  # (X, B) present value of fcf, discounted from the end of each step
    revenue: np.ndarray  # (X, B) total over the horizon
    capex: np.ndarray  # (X, B)
    training: np.ndarray  # (X, B) training spend within the horizon
    depreciation: np.ndarray  # (X, B) over the horizon
    payback: np.ndarray  # (X, B) years from the start; NaN if it never pays back
    yearly: dict[str, np.ndarray]  # (Y, P, B) sums over each year's steps
    first: dict[str, np.ndarray]  # (P, B) at the first step: share, price
    last: dict[str, np.ndarray]  # (P, B) at the last step: share, price, quality
    unmet: np.ndarray  # (T, B) tokens per month
    demand: np.ndarray  # (T, B) paid tokens per month
    paths: dict[str, np.ndarray]  # (T, X, B) per-step paths, only when asked for


def group_matrix(scenario: Scenario) -> np.ndarray:
    """Return the (groups, providers) 0/1 membership matrix, rows as ``group_labels``."""
    from simlab.claims import group_labels

    spec = scenario.spec
    rows = []
    for label in group_labels(scenario):
        if label == "all":
            rows.append([1.0] * len(spec.providers))
        elif label in ("open", "closed"):
            rows.append([float(p.kind == label) for p in spec.providers.values()])
        else:
            region = label.split("=", 1)[1]
            rows.append([float(p.region == region) for p in spec.providers.values()])
    return np.array(rows)


def year_index(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Return the calendar years of the horizon and each step's index into them."""
    years_of_steps = scenario.times.astype("datetime64[Y]").astype(np.int64) + 1970
    years, index = np.unique(years_of_steps, return_inverse=True)
    return years, index


class _Block:
    """The state of one block and the processes that advance it."""

    def __init__(self, scenario: Scenario, values: BlockValues, paths: bool) -> None:
        self.sc = scenario
        self.v = values
        self.paths = paths
        spec = scenario.spec
        self.S, self.P, self.B = len(scenario.segments), len(scenario.providers), values.draws
        self.T = scenario.n_steps
        self.dt = scenario.dt
        S, P, B, T = self.S, self.P, self.B, self.T
        segs, provs = scenario.segments, scenario.providers
        self.prov_index = {name: i for i, name in enumerate(provs)}
        self.seg_index = {name: i for i, name in enumerate(segs)}

        def seg(name: str) -> np.ndarray:
            return np.stack([values[f"segments.{s}.{name}"] for s in segs])

        def prov(name: str) -> np.ndarray:
            return np.stack([values[f"providers.{p}.{name}"] for p in provs])

        self.seg = {name: seg(name) for name in _SEG_PARAMS}
        self.prov = {name: prov(name) for name in _PROV_PARAMS}
        self.is_open = np.array([spec.providers[p].kind == "open" for p in provs])
        self.regions = scenario.regions
        region_of = [self.regions.index(spec.providers[p].region) for p in provs]
        # Region preferences, (S, R, B); zero where a segment states none.
        self.pref_region = np.zeros((S, len(self.regions), B))
        for i, s in enumerate(segs):
            for r, region in enumerate(self.regions):
                got = values.get(f"segments.{s}.pref_region.{region}")
                if got is not None:
                    self.pref_region[i, r] = got
        self.region_of = np.array(region_of)
        # Observed initial shares, (S, P, B), for the segments that state them.
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
        # Provider preferences by segment, (S, P, B); zero where a segment states none.
        self.pref_provider = np.zeros((S, P, B))
        for i, s in enumerate(segs):
            for name in spec.segments[s].pref_provider:
                self.pref_provider[i, self.prov_index[name]] = values[
                    f"segments.{s}.pref_provider.{name}"
                ]
        self.input_share = values["market.input_share"][None, :]  # (1, B)
        self.output_share = 1.0 - self.input_share

        # Capacity: inf where unlimited; multiplied by shocks; capex adds on top.
        cap = np.full((P, B), np.inf)
        for i, p in enumerate(provs):
            got = values.get(f"providers.{p}.capacity")
            if got is not None:
                cap[i] = got
        self.base_capacity = cap
        self.capex_spend = np.zeros((T, P, B))
        self.capex_capacity = np.zeros((T, P, B))
        self.depreciation = np.zeros((P, B))  # over the horizon
        self._schedule_capex()
        self.limited = bool(np.isfinite(cap).any())

        # Mutable state, (X, B) or (S, P, B).
        self.quality = self.prov["quality"].copy()
        self.price_in = self.prov["price_in"].copy()
        self.price_out = self.prov["price_out"].copy()
        self.cost = self.prov["cost"].copy()
        self.opex_level = self.prov["opex"].copy()
        self.level = self.seg["potential"].copy()
        self.available = np.ones((S, P, B), dtype=bool)
        for event in spec.events.values():
            if isinstance(event, EntryEvent):
                for name in event.provider:
                    self.available[:, self.prov_index[name], :] = False
        self.bass_time = bass_time(self.seg["adoption0"], self.seg["bass_p"], self.seg["bass_q"])
        self.shares = np.zeros((S, P, B))
        self.last_share = np.zeros((P, B))
        self.price_paid = np.zeros((S, B))
        self.price_ref = np.zeros((S, B))
        self.base_utility = np.zeros((S, P, B))
        self.utility_bound = np.inf
        self.any_empty = False
        self.switch_rate = np.zeros((S, B))
        self.open_column = self.is_open[:, None].astype(np.float64)
        self.has_leak = False
        self.dirty_utility = self.dirty_switch = self.dirty_paid = self.dirty_factors = True
        self.dirty_columns: set[int] = set()  # providers whose quality changed

        # Share defense and pricing rule groups.
        rules = [spec.providers[p].pricing.rule for p in provs]
        self.drifting = np.array([r in ("fixed", "share_defense") for r in rules])[:, None]
        self.cost_plus = np.flatnonzero(np.array([r == "cost_plus" for r in rules]))
        self.defenders = np.flatnonzero(np.array([r == "share_defense" for r in rules]))
        self.followers = self._follow_order()
        nd = len(self.defenders)
        self.review_steps = np.maximum(
            1, np.rint(self.prov["pricing.review"][self.defenders] / self.dt)
        ).astype(np.int64)
        self.lag_steps = np.rint(self.prov["pricing.lag"][self.defenders] / self.dt).astype(
            np.int64
        )
        self.last_review = np.zeros((nd, B), dtype=np.int64)
        self.ref_share = np.full((nd, B), np.nan)
        self.cut_due = np.full((nd, B), -1, dtype=np.int64)
        self.next_defense = 1  # the first step at which _defend has anything to do

        # What the clearing accumulates as it goes (hot in cache, no second pass).
        self.groups = group_matrix(scenario)
        X = P + len(self.groups)
        self.years, self.year_of_step = year_index(scenario)
        Y = len(self.years)
        # Time last, as IRR and payback read it: one strided column a step (6 ms a block
        # of 1,024; buffering steps into chunks measured no faster).
        self.rec_fcf = np.zeros((B, X, T))
        self.fcf_now = np.zeros((X, B))
        self.pv = np.zeros((X, B))
        self.discount = np.exp(
            -np.log1p(values["finance.discount_rate"])[None, :]
            * ((np.arange(T) + 1.0) * self.dt)[:, None]
        )  # (T, B)
        # Payback, tracked as the clearing goes (see _track_payback).
        self.cum_fcf = np.zeros((X, B))
        self.last_negative = np.full((X, B), -1, dtype=np.int64)
        self.cum_at_negative = np.zeros((X, B))
        self.cum_after_negative = np.zeros((X, B))
        self.acc_revenue = np.zeros((P, B))
        self.acc_training = np.zeros((P, B))
        self.training_now = np.zeros((P, B))  # spent in the current step, by releases
        self.training_due = False
        self.yearly = {
            name: np.zeros((Y, P, B)) for name in ("share", "spend", "quality", "revenue")
        }
        self.first: dict[str, np.ndarray] = {}
        self.rec_unmet = np.zeros((T, B))
        self.rec_demand = np.zeros((T, B))
        names = ("share", "price", "cost", "quality", "capacity", "served", "unmet", "revenue")
        self.rec_paths = {n: np.zeros((T, P, B)) for n in names} if paths else {}
        if paths:
            self.rec_paths["adoption"] = np.zeros((T, S, B))
            self.rec_paths["volume"] = np.zeros((T, S, B))
        self.step = 0

    # ------------------------------------------------------------- set-up
    def _follow_order(self) -> list[tuple[int, int]]:
        spec, provs = self.sc.spec, self.sc.providers
        pending = {
            i: self.prov_index[spec.providers[p].pricing.target or ""]
            for i, p in enumerate(provs)
            if spec.providers[p].pricing.rule == "follow"
        }
        order: list[tuple[int, int]] = []
        done: set[int] = set()
        while pending:
            ready = [i for i, t in pending.items() if t not in pending]
            if not ready:
                names = ", ".join(provs[i] for i in pending)
                raise ScenarioError(
                    f"{self.sc.origin}: providers.*.pricing.target: 'follow' rules form a "
                    f"cycle among {names}"
                )
            for i in ready:
                order.append((i, pending.pop(i)))
                done.add(i)
        return order

    def _schedule_capex(self) -> None:
        sc, v, T, dt = self.sc, self.v, self.T, self.dt
        t_years = np.arange(T) * dt
        for key, event in sc.spec.events.items():
            if not isinstance(event, CapexEvent):
                continue
            p = self.prov_index[event.provider]
            base = f"events.{key}"
            prefix = f"providers.{event.provider}"
            lead_path = f"{base}.lead" if event.lead is not None else f"{prefix}.capex_lead"
            life_path = f"{base}.life" if event.life is not None else f"{prefix}.capex_life"
            unit0 = v[f"{prefix}.capacity_cost"][:, None]
            decline = v[f"{prefix}.capacity_cost_decline"][:, None]
            amount = v[f"{base}.amount"]
            start = sc.step_of_days(v[f"{base}.date"])
            months = np.rint(v[f"{base}.years"] / dt)
            lead = np.rint(v[lead_path] / dt)
            life = np.rint(v[life_path] / dt)
            timing = (start, months, lead, life)
            if all((a == a[0]).all() for a in timing) and (decline == decline[0]).all():
                # Timing and cost decline shared by all draws: the schedule is linear in the
                # amount and inversely so in the unit cost, so one unit schedule, scaled
                # per draw, is exact (and ~20x cheaper than a schedule per draw).
                unit_cost = np.exp(t_years * np.log1p(-decline[0, 0]))[None, :]
                spend, capacity, dep = capex_schedule(
                    [1.0], start[:1], months[:1], lead[:1], life[:1], unit_cost, T
                )
                self.capex_spend[:, p, :] += spend[0][:, None] * amount[None, :]
                self.capex_capacity[:, p, :] += capacity[0][:, None] * (amount / unit0[:, 0])
                self.depreciation[p] += dep[0].sum() * amount
            else:
                unit_cost = unit0 * np.exp(t_years[None, :] * np.log1p(-decline))
                spend, capacity, dep = capex_schedule(
                    amount, start, months, lead, life, unit_cost, T
                )
                self.capex_spend[:, p, :] += spend.T
                self.capex_capacity[:, p, :] += capacity.T
                self.depreciation[p] += dep.sum(axis=1)
            # A provider without `capacity` stays unlimited: its capex is then a cost only.

    # ------------------------------------------------------------ helpers
    def blended(self) -> np.ndarray:
        w = self.input_share
        return w * self.price_in + self.output_share * self.price_out

    def _utility_columns(self, columns: list[int]) -> None:
        """Recompute the base utility of some providers only (after their releases)."""
        seg = self.seg
        for p in columns:  # one (S, B) column at a time: slices are views, not copies
            u = seg["beta_quality"] * quality_value(self.quality[p], seg["need"], seg["kappa"])
            u += self.pref_region[:, self.region_of[p], :]
            if self.is_open[p]:
                u += seg["pref_open"]
            u += self.prov["xi"][p]
            u += self.pref_provider[:, p, :]
            self.utility_bound = max(self.utility_bound, float(np.abs(u).max()))
            self.base_utility[:, p, :] = np.where(self.available[:, p, :], u, -np.inf)

    def _refresh(self) -> None:
        seg = self.seg
        if self.dirty_columns and not self.dirty_utility:
            self._utility_columns(sorted(self.dirty_columns))
        self.dirty_columns.clear()
        if self.dirty_utility:
            h = quality_value(
                self.quality[None, :, :], seg["need"][:, None, :], seg["kappa"][:, None, :]
            )
            region = self.pref_region[:, self.region_of, :]
            u = seg["beta_quality"][:, None, :] * h + region
            u += seg["pref_open"][:, None, :] * self.is_open[None, :, None]
            u += self.prov["xi"][None, :, :]
            u += self.pref_provider
            self.base_utility = np.where(self.available, u, -np.inf)
            self.utility_bound = float(np.abs(u).max()) if u.size else 0.0
            self.any_empty = bool((~self.available.any(axis=1)).any())
            self.dirty_utility = False
        if self.dirty_switch:
            self.switch_rate = -np.expm1(-self.dt / seg["switching_time"])
            self.dirty_switch = False
        if self.dirty_paid:
            self.has_leak = bool(self.is_open.any() and seg["leakage"].any())
            self.dirty_paid = False
        if self.dirty_factors:
            # Per-step growth factors; they change only when a shock changes a rate.
            prov, dt = self.prov, self.dt
            self.level_factor = np.exp(dt * np.log1p(seg["growth"]))
            self.cost_factor = np.exp(dt * np.log1p(-prov["cost_decline"]))
            self.opex_factor = np.exp(dt * np.log1p(prov["opex_growth"]))
            drift = np.exp(dt * np.log1p(prov["pricing.drift"]))
            self.drift_factor = np.where(self.drifting, drift, 1.0)
            self.neg_beta_price = -seg["beta_price"][:, None, :]
            self.beta_price_max = float(seg["beta_price"].max())
            self.dirty_factors = False

    def _target(self, log_price: np.ndarray) -> np.ndarray:
        """Logit target shares, (S, P, B); computed in one buffer.

        The largest utility is subtracted before exponentiating only when the utilities
        could overflow ``exp`` (|u| > 300): otherwise it cancels in the ratio and costs
        two passes over the array. The result is the same to rounding.
        """
        u = np.multiply(self.neg_beta_price, log_price[None, :, :])
        u += self.base_utility
        bound = self.utility_bound + self.beta_price_max * float(np.abs(log_price).max())
        if bound > 300.0:
            top = u.max(axis=1, keepdims=True)
            u -= np.where(np.isneginf(top), 0.0, top)
        np.exp(u, out=u)
        total = u.sum(axis=1, keepdims=True)
        if self.any_empty:
            u /= np.where(total > 0, total, np.inf)
        else:
            u /= total
        return u

    # ---------------------------------------------------------- processes
    def clock(self, env: simpy.Environment) -> simpy.events.ProcessGenerator:
        yield env.timeout(0.75)
        for k in range(self.T):
            self.step = k
            self.follow()
            self.clear(k)
            if k + 1 < self.T:  # end with the horizon: see run()
                yield env.timeout(1.0)

    def pricing(self, env: simpy.Environment) -> simpy.events.ProcessGenerator:
        yield env.timeout(0.25)
        for k in range(self.T):
            self.reprice(k)
            if k + 1 < self.T:
                yield env.timeout(1.0)

    def releases(self, env: simpy.Environment) -> simpy.events.ProcessGenerator:
        """Projected releases: wakes only at steps where some draw has a release due."""
        spec, v, dt, T = self.sc.spec, self.v, self.dt, self.T
        # "lead" releases look at the others' quality, so they go last within a step.
        order = {"step": 0, "catch_up": 1, "lead": 2}
        plans: list[tuple[int, str, str, np.ndarray, np.ndarray]] = []
        due_at: dict[int, list[int]] = {}
        for name, prov in spec.providers.items():
            if prov.releases is None:
                continue
            base = f"providers.{name}.releases"
            first = self.sc.step_of_days(v[f"{base}.first"])
            every = np.maximum(1, np.rint(v[f"{base}.cadence"] / dt)).astype(np.int64)
            steps: set[int] = set()
            for f, e in np.unique(np.stack([first, every]), axis=1).T:
                steps.update(range(max(int(f), 0), T, int(e)))
            for step in steps:
                due_at.setdefault(step, []).append(len(plans))
            plans.append((self.prov_index[name], prov.releases.mode, base, first, every))
        now = 0.0
        for k in sorted(due_at):
            yield env.timeout(k + 0.40 - now)
            now = k + 0.40
            for i in sorted(due_at[k], key=lambda i: order[plans[i][1]]):
                self._release(k, *plans[i])

    def _release(
        self, k: int, p: int, mode: str, base: str, first: np.ndarray, every: np.ndarray
    ) -> None:
        v, closed = self.v, ~self.is_open
        due = (k >= first) & ((k - first) % every == 0)
        q = self.quality[p]
        if mode == "step":
            new = q + v[f"{base}.step"]
        elif mode == "catch_up":
            best = self.quality[closed].max(axis=0) if closed.any() else q
            new = q + v[f"{base}.catch_up"] * np.maximum(best - q, 0.0)
        else:
            best_open = self.quality[self.is_open].max(axis=0) if self.is_open.any() else q
            new = np.maximum(q, (1.0 + v[f"{base}.lead"]) * best_open)
        self.quality[p] = np.where(due, new, q)
        cost = v[f"{base}.training_cost"] * np.exp(
            k * self.dt * np.log1p(v[f"{base}.training_growth"])
        )
        self.training_now[p] += np.where(due, cost, 0.0)
        self.training_due = True
        self.dirty_columns.add(p)

    def timeline(self, env: simpy.Environment) -> simpy.events.ProcessGenerator:
        sc, v = self.sc, self.v
        todo: list[tuple[int, int, Callable[[np.ndarray, int], None]]] = []
        for order, (key, event) in enumerate(sc.spec.events.items()):
            if isinstance(event, CapexEvent):
                continue  # delivered in closed form; see _schedule_capex
            steps = np.maximum(sc.step_of_days(v[f"events.{key}.date"]), 0)
            handler = self._handler(key, event)
            for step in np.unique(steps[steps < self.T]):
                todo.append((int(step), order, _masked(handler, steps == step)))
        todo.sort(key=lambda item: (item[0], item[1]))
        now = 0.0
        for step, _, apply in todo:
            when = step + 0.5
            if when > now:
                yield env.timeout(when - now)
                now = when
            apply(np.empty(0), step)

    # ------------------------------------------------------------- events
    def _handler(self, key: str, event: object) -> Callable[[np.ndarray, int], None]:
        v, base = self.v, f"events.{key}"
        if isinstance(event, EntryEvent | ExitEvent):
            idx = [self.prov_index[n] for n in event.provider]
            segs = (
                [self.seg_index[s] for s in event.segments]
                if isinstance(event, ExitEvent) and event.segments is not None
                else list(range(self.S))
            )
            enter = isinstance(event, EntryEvent)

            def flip(mask: np.ndarray, step: int) -> None:
                for p in idx:
                    for s in segs:
                        self.available[s, p, mask] = enter
                        if not enter:
                            self.shares[s, p, mask] = 0.0
                if not enter:
                    total = self.shares.sum(axis=1, keepdims=True)
                    np.divide(self.shares, total, out=self.shares, where=total > 0)
                self.dirty_utility = True

            return flip
        if isinstance(event, ReleaseEvent | PriceEvent):
            p = self.prov_index[event.provider]
            quality = v.get(f"{base}.quality")
            price_in = v.get(f"{base}.price_in")
            price_out = v.get(f"{base}.price_out")
            training = v.get(f"{base}.training_cost")

            def release(mask: np.ndarray, step: int) -> None:
                if quality is not None:
                    self.quality[p, mask] = quality[mask]
                    self.dirty_columns.add(p)
                if price_in is not None:
                    self.price_in[p, mask] = price_in[mask]
                if price_out is not None:
                    self.price_out[p, mask] = price_out[mask]
                if training is not None:
                    self.training_now[p, mask] += training[mask]
                    self.training_due = True

            return release
        assert isinstance(event, ShockEvent)  # validated by the loader
        return self._shock_handler(event, v[f"{base}.value"])

    def _shock_handler(
        self, event: ShockEvent, value: np.ndarray
    ) -> Callable[[np.ndarray, int], None]:
        section, owner, *rest = event.path.split(".")
        name = ".".join(rest)
        op = event.op
        shocked = self.sc.params.get(event.path)
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
                    b = int(np.flatnonzero(mask)[np.flatnonzero(~inside)[0]])
                    raise SimulationError(
                        f"{self.sc.origin}: draw {self.v.offset + b}: shock {event.path} "
                        f"{op} {float(value[b]):g} gives {float(new[~inside][0]):g}, which "
                        f"must be {bounds.describe()}; narrow the shock's distribution"
                    )
            return new

        if section == "segments":
            s = self.seg_index[owner]

            def seg_shock(mask: np.ndarray, step: int) -> None:
                if name.startswith("pref_region."):
                    r = self.regions.index(name.split(".")[1])
                    self.pref_region[s, r, mask] = combine(self.pref_region[s, r, mask], mask)
                elif name.startswith("pref_provider."):
                    q = self.prov_index[name.split(".")[1]]
                    old = self.pref_provider[s, q, mask]
                    self.pref_provider[s, q, mask] = combine(old, mask)
                elif name == "potential":
                    self.level[s, mask] = combine(self.level[s, mask], mask)
                elif name in ("bass_p", "bass_q"):
                    p, q = self.seg["bass_p"][s, mask], self.seg["bass_q"][s, mask]
                    adopted = bass_cdf(self.bass_time[s, mask], p, q)
                    self.seg[name][s, mask] = combine(self.seg[name][s, mask], mask)
                    p, q = self.seg["bass_p"][s, mask], self.seg["bass_q"][s, mask]
                    self.bass_time[s, mask] = bass_time(adopted, p, q)
                else:
                    self.seg[name][s, mask] = combine(self.seg[name][s, mask], mask)
                self.dirty_utility = self.dirty_switch = self.dirty_paid = True
                self.dirty_factors = True

            return seg_shock
        p = self.prov_index[owner]
        target = {
            "quality": self.quality,
            "cost": self.cost,
            "capacity": self.base_capacity,
            "opex": self.opex_level,
        }.get(name)

        def prov_shock(mask: np.ndarray, step: int) -> None:
            array = target if target is not None else self.prov[name]
            array[p, mask] = combine(array[p, mask], mask)
            self.dirty_utility = self.dirty_factors = True

        return prov_shock

    # ------------------------------------------------------------ pricing
    def reprice(self, k: int) -> None:
        prov = self.prov
        self._refresh()
        if k > 0:
            self.price_in *= self.drift_factor
            self.price_out *= self.drift_factor
        if len(self.cost_plus):
            i = self.cost_plus
            target = self.cost[i] * (1.0 + prov["pricing.markup"][i])
            scale = target / self.blended()[i]
            self.price_in[i] *= scale
            self.price_out[i] *= scale
        if len(self.defenders) and k > 0:
            self._defend(k)

    def follow(self) -> None:
        for i, t in self.followers:
            ratio = self.prov["pricing.ratio"][i]
            self.price_in[i] = ratio * self.price_in[t]
            self.price_out[i] = ratio * self.price_out[t]

    def _defend(self, k: int) -> None:
        # Nothing to do before the first review or cut that is due in some draw.
        if k < self.next_defense:
            return
        d, prov = self.defenders, self.prov
        share = self.last_share[d]
        due = (k - self.last_review) >= self.review_steps
        fell = due & (share < self.ref_share * (1.0 - prov["pricing.trigger"][d]))
        schedule = fell & (self.cut_due < 0)
        self.cut_due = np.where(schedule, k + self.lag_steps, self.cut_due)
        self.ref_share = np.where(due, share, self.ref_share)
        self.last_review = np.where(due, k, self.last_review)
        cut_now = self.cut_due == k
        if cut_now.any():
            price = self.blended()[d]
            floor = self.cost[d] * (1.0 + prov["pricing.floor"][d])
            new = np.maximum(price * (1.0 - prov["pricing.cut"][d]), floor)
            scale = np.where(cut_now, np.minimum(new / price, 1.0), 1.0)
            self.price_in[d] *= scale
            self.price_out[d] *= scale
            self.cut_due = np.where(cut_now, -1, self.cut_due)
        pending = self.cut_due[self.cut_due >= 0]
        self.next_defense = int((self.last_review + self.review_steps).min())
        if pending.size:
            self.next_defense = min(self.next_defense, int(pending.min()))

    # ------------------------------------------------------------ clearing
    def clear(self, k: int) -> None:
        """Clear the market at step ``k`` and record it; see docs/model.md.

        Written for speed: every (S, P, B) operation is counted, results go straight
        into the record arrays (``out=``), and growth factors are cached.
        """
        seg, dt, P = self.seg, self.dt, self.P
        self._refresh()
        price = self.input_share * self.price_in
        price += self.output_share * self.price_out
        log_price = np.log(price)
        target = self._target(log_price)
        if k == 0:
            self.shares = target
            for s, observed in self.share0.items():  # stated initial shares, renormalised
                start = observed * self.available[s]
                total = start.sum(axis=0)
                self.shares[s] = np.where(
                    total > 0, start / np.where(total > 0, total, 1.0), target[s]
                )
            self.price_paid = np.einsum("spb,pb->sb", self.shares, price)
            ref = [self.v.get(f"segments.{s}.price_ref") for s in self.sc.segments]
            self.price_ref = np.stack(
                [r if r is not None else self.price_paid[i] for i, r in enumerate(ref)]
            )
        else:
            target -= self.shares
            target *= self.switch_rate[:, None, :]
            self.shares += target
        adoption = bass_cdf(self.bass_time, seg["bass_p"], seg["bass_q"])
        volume = self.level * adoption
        if seg["elasticity"].any():
            volume *= np.exp(-seg["elasticity"] * np.log(self.price_paid / self.price_ref))
        # Tokens by provider (incl. self-hosted), and the self-hosted part of them.
        share = np.einsum("sb,spb->pb", volume, self.shares)
        if self.has_leak:
            leaked = np.einsum("sb,spb->pb", volume * seg["leakage"], self.shares)
            leaked *= self.open_column  # only open-weight models leak
            paid = share - leaked
        else:
            paid = share.copy()
        all_tokens = share.sum(axis=0)
        # Volume is positive and shares sum to 1 unless a segment has no provider left.
        share /= np.where(all_tokens > 0, all_tokens, 1.0) if self.any_empty else all_tokens
        demand_total = self.rec_demand[k]
        np.sum(paid, axis=0, out=demand_total)
        capacity = None
        unmet_own = None
        if self.limited:
            capacity = self.base_capacity + self.capex_capacity[k]
        # Spill-over only where some draw's demand exceeds a capacity; otherwise the
        # general path gives served = paid and nothing unmet, bit for bit.
        if capacity is not None and (paid > capacity).any():
            served, unmet = allocate(paid, capacity, axis=0)
            self.rec_unmet[k] = unmet
            if self.paths:  # unmet demand by provider: its excess, pro rata of what is unmet
                own_excess = paid - np.minimum(paid, capacity)
                excess = own_excess.sum(axis=0)
                ratio = unmet / np.where(excess > 0, excess, 1.0)
                unmet_own = own_excess * np.where(excess > 0, ratio, 0.0)
        else:
            served = paid
        revenue = served * price
        revenue *= 1e-6
        # Free cash flow = revenue - serving cost - opex - training - capex, then groups.
        fcf = self.fcf_now
        own = fcf[:P]
        np.multiply(served, self.cost, out=own)
        own *= -1e-6
        own += revenue
        own -= self.opex_level * dt
        own -= self.capex_spend[k]
        if self.training_due:  # a release spent on training in this step
            own -= self.training_now
            self.acc_training += self.training_now
            self.training_now[:] = 0.0
            self.training_due = False
        np.einsum("gp,pb->gb", self.groups, own, out=fcf[P:])
        self.pv += fcf * self.discount[k]
        self.rec_fcf[:, :, k] = fcf.T
        self._track_payback(k, fcf)
        self.acc_revenue += revenue
        y = self.year_of_step[k]
        self.yearly["share"][y] += share
        self.yearly["spend"][y] += share * price
        self.yearly["quality"][y] += self.quality
        self.yearly["revenue"][y] += revenue
        if k == 0:
            self.first = {"share": share, "price": price}
        if self.paths:
            rec = self.rec_paths
            rec["share"][k] = share
            rec["price"][k] = price
            rec["cost"][k] = self.cost
            rec["quality"][k] = self.quality
            rec["capacity"][k] = (
                capacity if capacity is not None else self.base_capacity + self.capex_capacity[k]
            )
            rec["served"][k] = served
            rec["revenue"][k] = revenue
            rec["adoption"][k] = adoption
            rec["volume"][k] = volume
            if unmet_own is not None:
                rec["unmet"][k] = unmet_own
        # Advance what moves with time to the next step.
        self.last_share = share
        self.last_price = price
        self.price_paid = np.einsum("spb,pb->sb", self.shares, price)
        self.bass_time += dt
        self.level *= self.level_factor
        self.cost *= self.cost_factor
        self.opex_level *= self.opex_factor

    def _track_payback(self, k: int, fcf: np.ndarray) -> None:
        """Track what payback needs: the last step with negative cumulative fcf.

        Payback is then ``t_j + Δt · (−C_j) / (C_{j+1} − C_j)`` with ``j`` that step
        (flows at the end of each step); the same definition as
        :func:`simlab.finance.payback`, computed without a second pass over the flows.
        """
        prev_negative = self.last_negative == k - 1
        self.cum_fcf += fcf
        np.copyto(self.cum_after_negative, self.cum_fcf, where=prev_negative)
        negative = self.cum_fcf < 0
        np.copyto(self.last_negative, k, where=negative)
        np.copyto(self.cum_at_negative, self.cum_fcf, where=negative)

    def payback_years(self) -> np.ndarray:
        """Return the payback time in years from the start, (X, B); see _track_payback."""
        dt, j = self.dt, self.last_negative
        c0, c1 = self.cum_at_negative, self.cum_after_negative
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = (j + 1) * dt + dt * (-c0) / (c1 - c0)
        out = np.where(j < 0, 0.0, crossing)
        return np.where(j == self.T - 1, np.nan, out)

    # ----------------------------------------------------------------- run
    def run(self) -> BlockRecord:
        env = simpy.Environment()
        env.process(self.clock(env))
        env.process(self.pricing(env))
        env.process(self.releases(env))
        env.process(self.timeline(env))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            env.run()
        # Every process has ended with the horizon, so no suspended generator keeps the
        # environment and this block's arrays alive in a reference cycle: they are freed
        # as soon as the caller drops them, not at the next cyclic garbage collection.
        self._check_finite()
        P, G = self.P, self.groups

        def entities(per_provider: np.ndarray) -> np.ndarray:
            return np.concatenate([per_provider, G @ per_provider])

        paths = dict(self.rec_paths)
        if paths:
            paths["capex"] = self.capex_spend
            paths["fcf"] = np.ascontiguousarray(self.rec_fcf[:, :P].transpose(2, 1, 0))
        return BlockRecord(
            fcf=self.rec_fcf,
            pv=self.pv,
            revenue=entities(self.acc_revenue),
            capex=entities(self.capex_spend.sum(axis=0)),
            depreciation=entities(self.depreciation),
            payback=self.payback_years(),
            training=entities(self.acc_training),
            yearly=self.yearly,
            first=self.first,
            last={"share": self.last_share, "price": self.last_price, "quality": self.quality},
            unmet=self.rec_unmet,
            demand=self.rec_demand,
            paths=paths,
        )

    def _check_finite(self) -> None:
        for name, array in (
            ("free cash flow", self.rec_fcf),
            ("unmet demand", self.rec_unmet),
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
                    b, step = int(where[-1]), self.T - 1
                draw = self.v.offset + b
                row = self.v.row(b)
                shown = (
                    ", ".join(
                        f"{k}={x:.6g}" for k, x in list(row.items())[:12] if k in self.sc.uncertain
                    )
                    or "point values"
                )
                raise SimulationError(
                    f"{self.sc.origin}: draw {draw}: {name} became non-finite at step {step} "
                    f"({self.sc.times[step]}); that draw's uncertain inputs: {shown}. "
                    "Check extreme values (e.g. growth, elasticity, prices near 0)."
                )


def _masked(
    handler: Callable[[np.ndarray, int], None], mask: np.ndarray
) -> Callable[[np.ndarray, int], None]:
    def apply(_: np.ndarray, step: int) -> None:
        handler(mask, step)

    return apply


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
