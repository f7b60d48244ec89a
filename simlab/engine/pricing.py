"""Pricing rules in time: drift, cost plus, share defense and follow, for a block of draws.

The rules' arithmetic is in :mod:`simlab.market.pricing`; this module keeps each rule's
state between steps (share-defense reviews and scheduled cuts, the order in which
followers see their targets) and applies it to the block's list prices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simlab.errors import ScenarioError
from simlab.market import blend, cost_plus, defend

if TYPE_CHECKING:
    from simlab.engine.core import _Block

__all__ = ["PricingRules"]


class PricingRules:
    """Every provider's pricing rule for one block."""

    def __init__(self, block: _Block) -> None:
        self.block = block
        par = block.par
        spec, provs = par.sc.spec, par.sc.providers
        rules = [spec.providers[p].pricing.rule for p in provs]
        self.drifting = np.array([r in ("fixed", "share_defense") for r in rules])[:, None]
        self.cost_plus = np.flatnonzero(np.array([r == "cost_plus" for r in rules]))
        self.defenders = np.flatnonzero(np.array([r == "share_defense" for r in rules]))
        self.followers = self._follow_order()
        d, B, dt = self.defenders, par.B, par.dt
        self.review_steps = np.maximum(1, np.rint(par.prov["pricing.review"][d] / dt)).astype(
            np.int64
        )
        self.lag_steps = np.rint(par.prov["pricing.lag"][d] / dt).astype(np.int64)
        self.last_review = np.zeros((len(d), B), dtype=np.int64)
        self.ref_share = np.full((len(d), B), np.nan)
        self.cut_due = np.full((len(d), B), -1, dtype=np.int64)
        self.next_defense = 1  # the first step at which _defend has anything to do

    def _follow_order(self) -> list[tuple[int, int]]:
        par = self.block.par
        spec, provs = par.sc.spec, par.sc.providers
        pending = {
            i: par.prov_index[spec.providers[p].pricing.target or ""]
            for i, p in enumerate(provs)
            if spec.providers[p].pricing.rule == "follow"
        }
        order: list[tuple[int, int]] = []
        while pending:
            ready = [i for i, t in pending.items() if t not in pending]
            if not ready:
                names = ", ".join(provs[i] for i in pending)
                raise ScenarioError(
                    f"{par.sc.origin}: providers.*.pricing.target: 'follow' rules form a "
                    f"cycle among {names}"
                )
            for i in ready:
                order.append((i, pending.pop(i)))
        return order

    def reprice(self, k: int) -> None:
        """Apply drift, cost plus and share defense at step ``k`` (the pricing phase)."""
        b = self.block
        b.refresh()
        if k > 0:
            b.price_in *= b.drift_factor
            b.price_out *= b.drift_factor
        if len(self.cost_plus):
            i = self.cost_plus
            target = cost_plus(b.cost[i], b.par.prov["pricing.markup"][i])
            factor = target / b.blended()[i]
            b.price_in[i] *= factor
            b.price_out[i] *= factor
        if len(self.defenders) and k > 0:
            self._defend(k)

    def follow(self) -> None:
        """Set each follower's prices to ``ratio`` times its target's (the clearing phase)."""
        b = self.block
        for i, t in self.followers:
            ratio = b.par.prov["pricing.ratio"][i]
            b.price_in[i] = ratio * b.price_in[t]
            b.price_out[i] = ratio * b.price_out[t]

    def _defend(self, k: int) -> None:
        # Nothing to do before the first review or cut that is due in some draw.
        if k < self.next_defense:
            return
        b, d = self.block, self.defenders
        prov = b.par.prov
        share = b.last_share[d]
        due = (k - self.last_review) >= self.review_steps
        fell = due & (share < self.ref_share * (1.0 - prov["pricing.trigger"][d]))
        schedule = fell & (self.cut_due < 0)
        self.cut_due = np.where(schedule, k + self.lag_steps, self.cut_due)
        self.ref_share = np.where(due, share, self.ref_share)
        self.last_review = np.where(due, k, self.last_review)
        cut_now = self.cut_due == k
        if cut_now.any():
            price = blend(b.price_in[d], b.price_out[d], b.par.input_share)
            new = defend(price, b.cost[d], prov["pricing.cut"][d], prov["pricing.floor"][d])
            factor = np.where(cut_now, new / price, 1.0)
            b.price_in[d] *= factor  # input and output keep their ratio
            b.price_out[d] *= factor
            self.cut_due = np.where(cut_now, -1, self.cut_due)
        pending = self.cut_due[self.cut_due >= 0]
        self.next_defense = int((self.last_review + self.review_steps).min())
        if pending.size:
            self.next_defense = min(self.next_defense, int(pending.min()))
