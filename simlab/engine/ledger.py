"""The ledger of one block: cash flows, present values, payback and what is recorded.

The clearing hands the ledger each step's physical outcome (tokens served, prices,
shares); the ledger turns it into money (revenue, serving cost, opex, training, capex,
free cash flow), books it for providers and groups, discounts it and keeps the per-step
and per-year records that :mod:`simlab.engine.metrics` reduces to metrics. Everything is
accumulated as the clearing goes (hot in cache, no second pass over the steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlab.engine.params import BlockParams
from simlab.market import capex_schedule, growth_factor, member_sums
from simlab.scenario.load import Scenario
from simlab.scenario.schema import CapexEvent

__all__ = ["BlockRecord", "Ledger", "group_matrix", "year_index"]


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
    compute: dict[str, np.ndarray]  # (X, B) sums over the horizon: see Ledger.compute_sums
    tail: dict[str, np.ndarray]  # (X, B) the last year's capex and training; owned capacity
    payback: np.ndarray  # (X, B) years from the start; NaN if it never pays back
    yearly: dict[str, np.ndarray]  # (Y, P, B) sums over each year's steps
    fisher: np.ndarray  # (X, B) chained Fisher price index of paid tokens, last step / first
    first: dict[str, np.ndarray]  # (P, B) at the first step: share, price
    last: dict[str, np.ndarray]  # at the last step: share, price, quality (P, B); outside (B,)
    unmet: np.ndarray  # (T, B) tokens per month
    demand: np.ndarray  # (T, B) paid tokens per month
    paths: dict[str, np.ndarray]  # (T, X, B) per-step paths, only when asked for


def _delayed(row: np.ndarray, lag: int) -> np.ndarray:
    """Return ``row`` shifted ``lag`` steps later (zeros in front, the tail dropped)."""
    out = np.zeros_like(row)
    if lag < row.shape[-1]:
        out[lag:] = row[: row.shape[-1] - lag]
    return out


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


class Ledger:
    """Flows, present values, payback and records of one block."""

    def __init__(self, par: BlockParams, paths: bool) -> None:
        self.par = par
        sc, values = par.sc, par.v
        S, P, B, T = par.S, par.P, par.B, par.T
        self.paths = paths
        self.groups = group_matrix(sc)
        X = P + len(self.groups)
        self.years, self.year_of_step = year_index(sc)
        Y = len(self.years)
        # Capex, scheduled in closed form at the start (see _schedule_capex), for the
        # providers with capex events only (rows ``capex_rows`` of the providers): most
        # have none, and (steps, providers, draws) arrays of zeros cost memory and time.
        rows = sorted(
            {
                par.prov_index[e.provider]
                for e in sc.spec.events.values()
                if isinstance(e, CapexEvent)
            }
        )
        self.capex_rows = np.array(rows, dtype=np.intp)
        self._capex_column = {p: c for c, p in enumerate(rows)}
        C = len(rows)
        self.capex_spend = np.zeros((T, C, B))
        self.capex_capacity = np.zeros((T, C, B))  # inference capacity bought, in service
        self.capex_retiring = np.zeros((T, C, B))  # its capacity / its life: retiring a year
        self.training_in_service = np.zeros((T, C, B))  # USD of training compute in service
        self.training_delivered = np.zeros((T, C, B))  # USD, cumulative
        self.depreciation = np.zeros((P, B))  # over the horizon
        self.depreciation_inference = np.zeros((P, B))  # over the horizon
        self.capacity_factor = np.ones((P, B))  # capacity shocks, on capacity in service
        self._schedule_capex()
        # Owned inference capacity (see owned): the start's fleet, even-aged, retires
        # evenly over the life it had at the start; capex adds its deliveries.
        self._fleet = par.base_capacity.copy()
        self._fleet_life = par.prov["capex_life"].copy()
        self.own_cost_share = par.prov["own_cost_share"]
        # Sums over the horizon for the compute metrics, (P, B).
        self.compute = {
            name: np.zeros((P, B))
            for name in ("own", "rented", "capacity", "serving_cost", "training_cash")
        }
        self.training_credit_used = np.zeros((P, B))  # USD of owned training compute used
        # The last year's capex and training (cash and full cost), for the terminal value.
        self.tail_from = T - min(T, max(1, round(1.0 / par.dt)))
        self.tail = {name: np.zeros((P, B)) for name in ("capex", "training_cash", "training")}
        # Time last, as IRR and payback read it: one strided column a step (6 ms a block
        # of 1,024; buffering steps into chunks measured no faster).
        self.fcf = np.zeros((B, X, T))
        self.fcf_now = np.zeros((X, B))
        self.pv = np.zeros((X, B))
        self.discount = growth_factor(
            values["finance.discount_rate"][None, :], -((np.arange(T) + 1.0) * par.dt)[:, None]
        )  # (T, B): (1 + r)^-t, flows at the end of each step
        # Payback, tracked as the clearing goes (see _track_payback).
        self.cum_fcf = np.zeros((X, B))
        self.last_negative = np.full((X, B), -1, dtype=np.int64)
        self.cum_at_negative = np.zeros((X, B))
        self.cum_after_negative = np.zeros((X, B))
        self.revenue = np.zeros((P, B))
        self.training = np.zeros((P, B))
        self.training_now = np.zeros((P, B))  # spent in the current step, by releases
        self.training_due = False
        self.yearly = {
            name: np.zeros((Y, P, B))
            for name in ("share", "spend", "quality", "revenue", "paid", "served", "seats")
        }
        # Chained Fisher index of list prices weighted by paid tokens, for X entities.
        self.log_fisher = np.zeros((X, B))
        self.prev_price: np.ndarray | None = None
        self.prev_paid: np.ndarray | None = None
        self.first: dict[str, np.ndarray] = {}
        self.last: dict[str, np.ndarray] = {}
        self.unmet = np.zeros((T, B))
        self.demand = np.zeros((T, B))
        names = (
            "share",
            "price",
            "cost",
            "quality",
            "gap",
            "capacity",
            "owned",
            "served",
            "unmet",
            "revenue",
            "paid",
            "seats",
        )
        self.rec_paths = {n: np.zeros((T, P, B)) for n in names} if paths else {}
        if paths:
            for name in ("adoption", "volume", "outside"):
                self.rec_paths[name] = np.zeros((T, S, B))

    # ------------------------------------------------------------- capex
    def _schedule_capex(self) -> None:
        par = self.par
        sc, v, T, dt = par.sc, par.v, par.T, par.dt
        t_years = np.arange(T) * dt
        for key, event in sc.spec.events.items():
            if not isinstance(event, CapexEvent):
                continue
            p = par.prov_index[event.provider]
            c = self._capex_column[p]
            base = f"events.{key}"
            prefix = f"providers.{event.provider}"
            lead_path = f"{base}.lead" if event.lead is not None else f"{prefix}.capex_lead"
            life_path = f"{base}.life" if event.life is not None else f"{prefix}.capex_life"
            unit0 = v[f"{prefix}.capacity_cost"][:, None]
            decline = v[f"{prefix}.capacity_cost_decline"][:, None]
            amount = v[f"{base}.amount"]
            inference = v[f"{base}.inference_share"]
            start = sc.step_of_days(v[f"{base}.date"])
            months = np.rint(v[f"{base}.years"] / dt)
            lead = np.rint(v[lead_path] / dt)
            life = np.rint(v[life_path] / dt)
            timing = (start, months, lead, life)
            if all((a == a[0]).all() for a in timing) and (decline == decline[0]).all():
                # Timing and cost decline shared by all draws: the schedule is linear in the
                # amount and inversely so in the unit cost, so one unit schedule, scaled
                # per draw, is exact (and ~20x cheaper than a schedule per draw).
                # Training compute is the same schedule at a unit cost of 1: its
                # "capacity" is the USD value of training compute in service.
                unit_cost = growth_factor(-decline[0, 0], t_years)[None, :]
                spend, capacity, dep = capex_schedule(
                    [1.0, 1.0],
                    np.repeat(start[:1], 2),
                    np.repeat(months[:1], 2),
                    np.repeat(lead[:1], 2),
                    np.repeat(life[:1], 2),
                    np.concatenate([unit_cost, np.ones_like(unit_cost)]),
                    T,
                )
                train = amount * (1.0 - inference)
                self.capex_spend[:, c, :] += spend[0][:, None] * amount[None, :]
                bought = capacity[0][:, None] * (amount * inference / unit0[:, 0])
                self.capex_capacity[:, c, :] += bought
                self.capex_retiring[:, c, :] += bought / (life * dt)
                self.training_in_service[:, c, :] += capacity[1][:, None] * train[None, :]
                delivered = np.cumsum(_delayed(spend[1], int(lead[0])))
                self.training_delivered[:, c, :] += delivered[:, None] * train[None, :]
                self.depreciation[p] += dep[0].sum() * amount
                self.depreciation_inference[p] += dep[0].sum() * amount * inference
            else:
                unit_cost = unit0 * growth_factor(-decline, t_years[None, :])
                spend, capacity, dep = capex_schedule(
                    amount * inference, start, months, lead, life, unit_cost, T
                )
                t_spend, t_value, t_dep = capex_schedule(
                    amount * (1.0 - inference),
                    start,
                    months,
                    lead,
                    life,
                    np.ones_like(unit_cost),
                    T,
                )
                self.capex_spend[:, c, :] += (spend + t_spend).T
                self.capex_capacity[:, c, :] += capacity.T
                self.capex_retiring[:, c, :] += capacity.T / (life * dt)
                self.training_in_service[:, c, :] += t_value.T
                delivered = np.stack(
                    [_delayed(row, int(g)) for row, g in zip(t_spend, lead, strict=True)]
                )
                self.training_delivered[:, c, :] += np.cumsum(delivered, axis=1).T
                self.depreciation[p] += (dep + t_dep).sum(axis=1)
                self.depreciation_inference[p] += dep.sum(axis=1)
            # A provider without `capacity` stays unlimited: its capex is then a cost only.

    def capacity(self, k: int) -> np.ndarray:
        """Return the owned inference capacity in service at step ``k``, (P, B).

        The start's fleet (retiring evenly over one life) plus capex deliveries, times the
        factor of any capacity shock so far (1 without one).
        """
        return self.owned(k) * self.capacity_factor

    def owned(self, k: int) -> np.ndarray:
        """Return the owned inference capacity built and not retired at step ``k``, (P, B).

        Before capacity shocks: the start's fleet retiring evenly over one life, plus
        capex deliveries still in service.
        """
        out = self._fleet * np.clip(1.0 - (k * self.par.dt) / self._fleet_life, 0.0, 1.0)
        if len(self.capex_rows):
            out[self.capex_rows] += self.capex_capacity[k]
        return out

    def by_provider(self, rows: np.ndarray) -> np.ndarray:
        """Return a capex array, (..., capex providers, B), with every provider, (..., P, B)."""
        out = np.zeros((*rows.shape[:-2], self.par.P, rows.shape[-1]))
        out[..., self.capex_rows, :] = rows
        return out

    # ------------------------------------------------------------- flows
    def spend_on_training(self, p: int, amount: np.ndarray) -> None:
        """Book a release's training spend for provider ``p`` in the current step."""
        self.training_now[p] += amount
        self.training_due = True

    def book(
        self,
        k: int,
        served: np.ndarray,
        owned: np.ndarray,
        capacity: np.ndarray,
        rate: np.ndarray,
        cost: np.ndarray,
        opex: np.ndarray,
    ) -> np.ndarray:
        """Book step ``k``'s money flows for providers and groups; return the revenue.

        Free cash flow = revenue - serving cost - opex - training cash - capex (USD a
        step), with revenue = served x rate (USD per token) and serving cost per million
        tokens ``cost`` (the rental price) for rented tokens and ``own_cost_share x cost``
        for tokens ``owned`` capacity serves, both monthly rates times the step's months.
        ``capacity`` is the owned capacity in service (its sum makes utilisation).
        A release's training cost is paid first from the provider's training compute in
        service (bought as capex, so not paid twice), the rest in cash. Groups add their
        members' flows.
        """
        P, dt = self.par.P, self.par.dt
        months = 12.0 * dt
        revenue = served * rate
        revenue *= months
        rented = served - owned
        serving = (rented + owned * self.own_cost_share) * cost
        serving *= 1e-6 * months
        fcf = self.fcf_now
        own = fcf[:P]
        np.subtract(revenue, serving, out=own)
        own -= opex * dt
        rows = self.capex_rows
        if len(rows):
            own[rows] -= self.capex_spend[k]
        compute = self.compute
        compute["own"] += owned * months
        compute["rented"] += rented * months
        compute["capacity"] += capacity * months
        compute["serving_cost"] += serving
        tail = k >= self.tail_from
        if tail and len(rows):
            self.tail["capex"][rows] += self.capex_spend[k]
        if self.training_due:  # a release spent on training in this step
            full = self.training_now
            # Owned training compute: delivered so far, less what releases used, within
            # what is still in service.
            available = np.zeros_like(full)  # none without capex
            if len(rows):
                available[rows] = np.minimum(
                    self.training_delivered[k] - self.training_credit_used[rows],
                    self.training_in_service[k],
                )
            used = np.clip(available, 0.0, full)
            cash = full - used
            self.training_credit_used += used
            own -= cash
            compute["training_cash"] += cash
            self.training += full
            if tail:
                self.tail["training_cash"] += cash
                self.tail["training"] += full
            self.training_now = np.zeros_like(full)
            self.training_due = False
        fcf[P:] = member_sums(self.groups, own)
        self.pv += fcf * self.discount[k]
        self.fcf[:, :, k] = fcf.T
        self._track_payback(k, fcf)
        self.revenue += revenue
        return revenue

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
        dt, j = self.par.dt, self.last_negative
        c0, c1 = self.cum_at_negative, self.cum_after_negative
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = (j + 1) * dt + dt * (-c0) / (c1 - c0)
        out = np.where(j < 0, 0.0, crossing)
        return np.where(j == self.par.T - 1, np.nan, out)

    # ------------------------------------------------------------ records
    def record(
        self,
        k: int,
        share: np.ndarray,
        price: np.ndarray,
        quality: np.ndarray,
        revenue: np.ndarray,
        paid: np.ndarray,
        served: np.ndarray,
        seats: np.ndarray,
    ) -> None:
        """Add step ``k`` to the yearly sums, chain the Fisher index, keep the first step.

        Token counts (paid, served) are monthly rates times the step's months; seats are
        summed over the year's steps like shares (their mean is the sum over the steps).
        """
        y = self.year_of_step[k]
        months = 12.0 * self.par.dt
        yearly = self.yearly
        yearly["share"][y] += share
        yearly["spend"][y] += share * price
        yearly["quality"][y] += quality
        yearly["revenue"][y] += revenue
        yearly["paid"][y] += paid * months
        yearly["served"][y] += served * months
        yearly["seats"][y] += seats
        self._chain_fisher(price, paid)
        if k == 0:
            self.first = {"share": share, "price": price}

    def _chain_fisher(self, price: np.ndarray, paid: np.ndarray) -> None:
        """Chain the Fisher price index from the previous step to this one.

        ``F = sqrt(L P)`` with Laspeyres ``L = Σ π_t q_{t-1} / Σ π_{t-1} q_{t-1}`` and
        Paasche ``P = Σ π_t q_t / Σ π_{t-1} q_t`` over an entity's providers (paid
        tokens ``q``): a shift of the mix at unchanged prices leaves it at 1. A link
        whose sums are zero (no paid tokens) counts as 1.
        """
        if self.prev_price is not None and self.prev_paid is not None:
            p0, p1, q0, q1 = self.prev_price, price, self.prev_paid, paid
            # A provider's own sums are its products; groups add their members'.
            products = np.stack([p1 * q0, p0 * q0, p1 * q1, p0 * q1])  # (4, P, B)
            sums = np.concatenate([products, member_sums(self.groups, products, axis=1)], axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                link = 0.5 * (np.log(sums[0] / sums[1]) + np.log(sums[2] / sums[3]))
            self.log_fisher += np.where(np.isfinite(link), link, 0.0)
        self.prev_price, self.prev_paid = price, paid

    def record_paths(self, k: int, **arrays: np.ndarray) -> None:
        """Keep per-step paths (only when they were asked for)."""
        for name, array in arrays.items():
            self.rec_paths[name][k] = array

    def close(
        self, share: np.ndarray, price: np.ndarray, quality: np.ndarray, outside: np.ndarray
    ) -> BlockRecord:
        """Return the block's record, with the last step's share, price, quality, outside."""
        P, G = self.par.P, self.groups

        def entities(per_provider: np.ndarray) -> np.ndarray:
            return np.concatenate([per_provider, member_sums(G, per_provider)])

        paths = dict(self.rec_paths)
        if paths:
            paths["capex"] = self.by_provider(self.capex_spend)
            paths["fcf"] = np.ascontiguousarray(self.fcf[:, :P].transpose(2, 1, 0))
        compute = {name: entities(v) for name, v in self.compute.items()}
        compute["depreciation_inference"] = entities(self.depreciation_inference)
        tail = {name: entities(v) for name, v in self.tail.items()}
        # Owned inference capacity at the last step, (P, B), and what replacing it costs a
        # year at the last step's unit cost (USD per year; 0 without capacity_cost).
        par = self.par
        owned_last = self.capacity(par.T - 1)
        unit_last = np.zeros_like(owned_last)
        t_last = (par.T - 1) * par.dt
        for p, name in enumerate(par.sc.providers):
            unit0 = par.v.get(f"providers.{name}.capacity_cost")
            if unit0 is not None:
                decline = par.v[f"providers.{name}.capacity_cost_decline"]
                unit_last[p] = unit0 * growth_factor(-decline, t_last)
        # Capacity retiring a year in a steady state: each vintage's capacity over its life
        # (the start's fleet over capex_life, each capex event's over its own).
        k = par.T - 1
        life0 = par.prov["capex_life"]
        start_fleet = par.base_capacity * np.clip(1.0 - k * par.dt / life0, 0.0, 1.0)
        retiring = (start_fleet / life0 + self.by_provider(self.capex_retiring[k])) * (
            self.capacity_factor
        )
        tail["owned_value"] = entities(owned_last * unit_last)
        tail["replacement"] = entities(retiring * unit_last)
        return BlockRecord(
            fcf=self.fcf,
            pv=self.pv,
            revenue=entities(self.revenue),
            capex=entities(self.by_provider(self.capex_spend.sum(axis=0))),
            depreciation=entities(self.depreciation),
            compute=compute,
            tail=tail,
            payback=self.payback_years(),
            training=entities(self.training),
            yearly=self.yearly,
            fisher=np.exp(self.log_fisher),
            first=self.first,
            last={"share": share, "price": price, "quality": quality, "outside": outside},
            unmet=self.unmet,
            demand=self.demand,
            paths=paths,
        )
