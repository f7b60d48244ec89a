"""Pricing rules in time: drift, cost plus, share defense, follow and best response.

The rules' arithmetic is in :mod:`simlab.market.pricing`; this module keeps each rule's
state between steps (reviews and scheduled cuts, the order in which followers see their
targets, the holds of scheduled price events) and applies it to the block's list prices.
A scheduled price holds against every rule for its ``duration``: while it holds, the rule
leaves that provider's price alone (drift still applies under ``fixed`` and
``share_defense``, whose prices drift anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simlab.errors import ScenarioError
from simlab.market import bass_cdf, best_response, blend, cost_plus, defend

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
        self.responders = np.flatnonzero(np.array([r == "best_response" for r in rules]))
        self.respond_every = np.maximum(
            1, np.rint(par.prov["pricing.review"][self.responders] / par.dt)
        ).astype(np.int64)  # (R, B)
        # The last review's profit-maximising log prices: the next solve starts there.
        self.last_target = np.full((len(self.responders), par.B), np.nan)
        # The step until which a scheduled price holds against the rule, (P, B).
        self.hold_until = np.zeros((par.P, par.B), dtype=np.int64)
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
            factor = np.where(self.held(k)[i], 1.0, target / b.blended()[i])
            b.price_in[i] *= factor
            b.price_out[i] *= factor
        if len(self.defenders) and k > 0:
            self._defend(k)
        if len(self.responders) and k > 0:
            self._respond(k)

    def held(self, k: int) -> np.ndarray:
        """Return where a scheduled price holds against the rule at step ``k``, (P, B)."""
        return self.hold_until > k

    def hold(self, p: int, mask: np.ndarray, k: int, steps: int) -> None:
        """Hold provider ``p``'s price (set by an event at step ``k``) for ``steps`` steps."""
        self.hold_until[p, mask] = np.maximum(self.hold_until[p, mask], k + steps)

    def follow(self) -> None:
        """Set each follower's prices to ``ratio`` times its target's (the clearing phase)."""
        b = self.block
        held = self.hold_until > b.step
        for i, t in self.followers:
            ratio = b.par.prov["pricing.ratio"][i]
            b.price_in[i] = np.where(held[i], b.price_in[i], ratio * b.price_in[t])
            b.price_out[i] = np.where(held[i], b.price_out[i], ratio * b.price_out[t])

    def _defend(self, k: int) -> None:
        # Nothing to do before the first review or cut that is due in some draw.
        if k < self.next_defense:
            return
        b, d = self.block, self.defenders
        prov = b.par.prov
        share = b.last_share[d]
        due = (k - self.last_review) >= self.review_steps
        # The first review compares with the share at the start, so it can cut too.
        ref = np.where(np.isnan(self.ref_share), b.ledger.first["share"][d], self.ref_share)
        fell = due & (share < ref * (1.0 - prov["pricing.trigger"][d]))
        schedule = fell & (self.cut_due < 0)
        self.cut_due = np.where(schedule, k + self.lag_steps, self.cut_due)
        self.ref_share = np.where(due, share, self.ref_share)
        self.last_review = np.where(due, k, self.last_review)
        cut_now = (self.cut_due == k) & ~self.held(k)[d]
        if cut_now.any():
            price = blend(b.price_in[d], b.price_out[d], b.par.input_share)
            new = defend(price, b.cost[d], prov["pricing.cut"][d], prov["pricing.floor"][d])
            factor = np.where(cut_now, new / price, 1.0)
            b.price_in[d] *= factor  # input and output keep their ratio
            b.price_out[d] *= factor
        self.cut_due = np.where(self.cut_due == k, -1, self.cut_due)  # done, or held off
        pending = self.cut_due[self.cut_due >= 0]
        self.next_defense = int((self.last_review + self.review_steps).min())
        if pending.size:
            self.next_defense = min(self.next_defense, int(pending.min()))

    def _respond(self, k: int) -> None:
        """Move each ``best_response`` provider part-way to its profit-maximising price.

        At a review, every such provider takes its rivals' current prices and the current
        demand (adoption, intensity, nests, outside option) as given and solves the
        nested-logit markup equation (:func:`simlab.market.best_response`) over its token
        segments, all of them at once (a simultaneous best response); its blended price
        then moves ``adjust`` of the way there, input and output prices keeping their
        ratio. Seat prices are not set by the rule.
        """
        b = self.block
        par, seg = b.par, b.par.seg
        rs = self.responders
        act = ((k % self.respond_every) == 0) & ~self.held(k)[rs]  # (R, B)
        if not act.any():
            return
        t = b.token_seg  # token segments: the rule sets token prices
        if not len(t):
            return
        b.refresh()
        alpha = seg["beta_price"][t]
        price = b.blended()
        base = b.base_utility[t]  # (T, P, B)
        lam, nest_of = par.lam, par.nest_of
        # The rivals' side of each responder's choice problem, read off the nested logit
        # at the current prices (no second copy of its sums): with IV_n = ln σ_n + ln Σ
        # (Σ the denominator, outside option included), ln D_n = IV_n / λ_n.
        choice = b.choose(b.log_prices(price))
        n_r = nest_of[rs]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_total = choice.inclusive - np.log1p(-choice.outside)  # (S, B)
            iv = np.log(choice.nests) + log_total[:, None, :]  # (S, N, B)
            iv_r = iv[t][:, n_r, :].transpose(1, 0, 2)  # (R, T, B)
            # The rivals in each responder's nest: its nest's sum less its own term
            # (where it alone fills the nest, its rivals weigh nothing: -inf).
            within = np.minimum(choice.within[t][:, rs, :], 1.0).transpose(1, 0, 2)
            log_rivals = iv_r / lam[n_r][:, None, :] + np.log1p(-within)
            # The other nests: the inside sum less this nest's term.
            inclusive = choice.inclusive[t][None]
            log_other = inclusive + np.log1p(-np.minimum(np.exp(iv_r - inclusive), 1.0))
        outside = b.outside_utility()
        log_out = outside[t] if outside is not None else np.full(alpha.shape, -np.inf)
        adoption = bass_cdf(b.bass_time[t], seg["bass_p"][t], seg["bass_q"][t])
        volume = (b.level * b.intensity)[t] * adoption  # (T, B)
        own = b.keep[t][:, rs, :].transpose(1, 0, 2)  # what each serves itself, (R, T, B)
        now = np.log(price[rs])
        target = best_response(
            np.where(np.isfinite(self.last_target), self.last_target, now),
            b.cost[rs],
            base[:, rs, :].transpose(1, 0, 2),
            alpha,
            lam[nest_of[rs]],
            log_rivals,
            log_other,
            log_out,
            volume[None] * own,
            seg["elasticity"][t],
            b.inclusive_ref[t],
            par.prov["pricing.ceiling"][rs],
            tol=1e-10,
        )
        self.last_target = np.log(target)
        step = par.prov["pricing.adjust"][rs]
        new = price[rs] + step * (target - price[rs])
        factor = np.where(act, new / price[rs], 1.0)
        b.price_in[rs] *= factor
        b.price_out[rs] *= factor
