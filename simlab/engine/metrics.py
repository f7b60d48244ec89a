"""Reduce a block's per-step record to per-draw metrics (and, when asked, paths).

Finance per provider and step (USD): revenue = served x price; serving cost = served x
cost; opex; training; capex; depreciation. Then

- gross profit = revenue - serving cost
- operating profit = gross profit - opex - training - depreciation
- free cash flow (fcf) = gross profit - opex - training - capex
- cash = starting cash + cumulative fcf

Groups (``all``, ``open``, ``closed``, ``region=XX``) add their members' flows first, so
a group's IRR, NPV and payback are those of its summed flows. Definitions of every
metric are in docs/model.md ("Metrics").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlab.engine.core import BlockRecord, group_matrix, year_index
from simlab.engine.state import BlockValues
from simlab.finance import irr_and_code
from simlab.market import member_sums
from simlab.scenario.load import Scenario

__all__ = ["BlockMetrics", "group_matrix", "reduce_block", "year_matrix"]

#: Metrics that add up over a group's members.
ADDITIVE = (
    "revenue",
    "capex",
    "training",
    "fcf",
    "npv",
    "npv_explicit",
    "terminal_pv",
    "valuation",
    "share_final",
)


@dataclass
class BlockMetrics:
    """Per-draw results of one block; arrays have the draw axis first."""

    provider: dict[str, np.ndarray]  # (B, P)
    group: dict[str, np.ndarray]  # (B, G)
    yearly_provider: dict[str, np.ndarray]  # (B, Y, P)
    yearly_group: dict[str, np.ndarray]  # (B, Y, G)
    draw: dict[str, np.ndarray]  # (B,)
    paths: dict[str, np.ndarray]  # (B, T, X) float32
    irr_missing: dict[str, np.ndarray]  # (B, P), (B, G) int8: why no IRR (finance.IRR_CODES)


def year_matrix(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Return the calendar years of the horizon and the (years, steps) 0/1 matrix."""
    years, index = year_index(scenario)
    return years, (np.arange(len(years))[:, None] == index[None, :]).astype(np.float64)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


def reduce_block(
    scenario: Scenario, values: BlockValues, rec: BlockRecord, paths: bool = False
) -> BlockMetrics:
    """Compute every per-draw metric of a block.

    Parameters
    ----------
    scenario : Scenario
        The scenario that was run.
    values : BlockValues
        The block's parameter values.
    rec : BlockRecord
        What :func:`~simlab.engine.core.run_block` recorded.
    paths : bool
        Also return per-step paths, as float32 with axes (draw, time, X).
    """
    sc, dt = scenario, scenario.dt
    provs = sc.providers
    T, P = sc.n_steps, len(provs)
    ppy = sc.periods_per_year  # exact: 365.25 / 7 for weekly steps, not 52
    G = group_matrix(sc)  # (G, P)
    fcf = rec.fcf  # (B, X, T): providers then groups; the IRR step below adds to it

    initial_training = np.stack([values[f"providers.{p}.training_cost"] for p in provs])
    training = rec.training + np.concatenate([initial_training, member_sums(G, initial_training)])
    revenue, capex, compute = rec.revenue, rec.capex, rec.compute
    fcf_sum = fcf.sum(axis=-1).T  # (X, B)

    # Terminal value: Gordon growth on the last year's *normalised* free cash flow, at the
    # horizon: the last year's capex is replaced by what keeping the owned capacity in
    # service costs (its replacement at the last unit cost, plus growing it at g), and
    # its training by the releases' full training cost (owned training compute used up
    # must be bought again). See docs/model.md, "Terminal value".
    rate = values["finance.discount_rate"]  # (B,)
    growth = values["finance.terminal_growth"]
    horizon = T * dt
    # The last year's steps (the ledger's tail: its capex and training are in rec.tail).
    tail, year_steps = rec.tail, min(T, max(1, round(ppy)))
    years_in_tail = year_steps * dt
    last_fcf = fcf[..., -year_steps:].sum(axis=-1).T
    last_fcf += tail["capex"] + tail["training_cash"] - tail["training"]
    last_year = last_fcf / years_in_tail
    last_year -= tail["replacement"] + tail["owned_value"] * np.maximum(growth, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tv = np.where(rate > growth, last_year * (1.0 + growth) / (rate - growth), np.nan)
    tv_pv = tv * np.exp(-np.log1p(rate) * horizon)
    use_tv = sc.spec.finance.terminal_value
    npv_ = rec.pv + tv_pv if use_tv else rec.pv
    pay = rec.payback
    # IRR of the flows, with the terminal value at the last step (in place: last use).
    if use_tv:
        fcf[..., -1] += np.nan_to_num(tv.T, nan=0.0)
    irr_, irr_code = irr_and_code(fcf.reshape(-1, T), periods_per_year=ppy)
    irr_, irr_code = irr_.reshape(fcf.shape[:-1]).T, irr_code.reshape(fcf.shape[:-1]).T

    price_T, price_0 = rec.last["price"], rec.first["price"]
    share_T, share_0 = rec.last["share"], rec.first["share"]
    q_T = rec.last["quality"]
    member = G.astype(bool)
    g_share_T = member_sums(G, share_T)
    group_price_T = _safe_div(member_sums(G, share_T * price_T), g_share_T)
    group_price_0 = _safe_div(member_sums(G, share_0 * price_0), member_sums(G, share_0))
    table = {
        "revenue": revenue,
        "capex": capex,
        "training": training,
        "fcf": fcf_sum,
        "operating_profit": fcf_sum + capex - rec.depreciation,
        "npv": npv_,
        "valuation": rec.pv + tv_pv,
        "irr": irr_,
        "payback_years": pay,
        "npv_explicit": rec.pv,
        "terminal_pv": tv_pv if use_tv else np.zeros_like(rec.pv),
        "roi": _safe_div(fcf_sum, capex),
        "capex_coverage": _safe_div(revenue, capex),
        "model_roi": _safe_div(revenue, training),
        "compute_roi": _safe_div(
            revenue, compute["serving_cost"] + capex + compute["training_cash"]
        ),
        "utilisation": _safe_div(compute["own"], compute["capacity"]),
        "rented_share": _safe_div(compute["rented"], compute["own"] + compute["rented"]),
        "compute_cost": 1e6
        * _safe_div(
            compute["serving_cost"] + compute["depreciation_inference"],
            compute["own"] + compute["rented"],
        ),
        "share_final": np.concatenate([share_T, g_share_T]),
        "price_final": np.concatenate([price_T, group_price_T]),
        "quality_final": np.concatenate(
            [q_T, np.stack([np.where(m[:, None], q_T, -np.inf).max(axis=0) for m in member])]
        ),
        "price_index": np.concatenate([price_T / price_0, _safe_div(group_price_T, group_price_0)]),
        "fisher_index": rec.fisher,
    }
    provider = {k: np.ascontiguousarray(v[:P].T) for k, v in table.items()}
    group = {k: np.ascontiguousarray(v[P:].T) for k, v in table.items()}
    irr_missing = {"provider": irr_code[:P].T.copy(), "group": irr_code[P:].T.copy()}

    # Yearly: mean share, share-weighted price, mean quality, revenue, by calendar year.
    years, index = year_index(sc)
    per_year = np.bincount(index, minlength=len(years)).astype(np.float64)[:, None, None]
    share_y = rec.yearly["share"] / per_year  # (Y, P, B)
    spend_y = rec.yearly["spend"] / per_year
    quality_y = rec.yearly["quality"] / per_year
    revenue_y = rec.yearly["revenue"]

    def gsum(a: np.ndarray) -> np.ndarray:  # (Y, P, B) -> (Y, G, B)
        return member_sums(G, a, axis=1)

    def byp(a: np.ndarray) -> np.ndarray:  # (Y, X, B) -> (B, Y, X), float32
        # Yearly metrics are most of what a run keeps per draw (~2.5 kB); float32 holds
        # them to 7 digits, ample for shares, prices and quality, and halves the memory.
        return a.transpose(2, 0, 1).astype(np.float32)

    g_share_y = gsum(share_y)
    paid_y, served_y = rec.yearly["paid"], rec.yearly["served"]
    seats_y = rec.yearly["seats"] / per_year

    def of_all(a: np.ndarray) -> np.ndarray:  # (Y, P, B) -> share of the market's total
        total = a.sum(axis=1, keepdims=True)  # 0 where the market has none (e.g. no API)
        return np.where(total > 0, a / np.where(total > 0, total, 1.0), 0.0)

    yearly_provider = {
        "share": byp(share_y),
        "price": byp(_safe_div(spend_y, share_y)),
        "quality": byp(quality_y),
        "revenue_year": byp(revenue_y),
        "revenue_share": byp(of_all(revenue_y)),
        "paid_share": byp(of_all(paid_y)),
        "served_share": byp(of_all(served_y)),
        "paid_tokens": byp(paid_y),
        "served_tokens": byp(served_y),
        "seats": byp(seats_y),
    }
    group_quality = [np.where(m[None, :, None], quality_y, -np.inf).max(axis=1) for m in member]
    yearly_group = {
        "share": byp(g_share_y),
        "price": byp(_safe_div(gsum(spend_y), g_share_y)),
        "quality": byp(np.stack(group_quality, axis=1)),
        "revenue_year": byp(gsum(revenue_y)),
        "revenue_share": byp(gsum(of_all(revenue_y))),
        "paid_share": byp(gsum(of_all(paid_y))),
        "served_share": byp(gsum(of_all(served_y))),
        "paid_tokens": byp(gsum(paid_y)),
        "served_tokens": byp(gsum(served_y)),
        "seats": byp(gsum(seats_y)),
    }
    draw = {
        "unmet_share": _safe_div(rec.unmet.sum(axis=0), rec.demand.sum(axis=0)),
        "outside_share": rec.last["outside"],
    }
    out_paths: dict[str, np.ndarray] = {}
    if paths and rec.paths:
        cash0 = np.stack([values[f"providers.{p}.cash"] for p in provs])
        recorded = dict(rec.paths)
        recorded["cash"] = cash0[None] + np.cumsum(recorded["fcf"], axis=0)
        for name, array in recorded.items():  # (T, X, B) -> (B, T, X), float32
            out_paths[name] = array.transpose(2, 0, 1).astype(np.float32)
    return BlockMetrics(
        provider=provider,
        group=group,
        yearly_provider=yearly_provider,
        yearly_group=yearly_group,
        draw=draw,
        paths=out_paths,
        irr_missing=irr_missing,
    )


def run_and_reduce(scenario: Scenario, values: BlockValues, paths: bool = False) -> BlockMetrics:
    """Simulate a block of draws and reduce it to per-draw metrics.

    A block of one draw is run as two copies of it: numpy sums a length-1 draw axis
    along a different (pairwise) path, which would change the last bit of some
    results. Padded, every draw gives bit-identical numbers whatever block it is in.
    """
    from dataclasses import replace

    from simlab.engine.core import run_block

    if values.draws != 1:
        return reduce_block(scenario, values, run_block(scenario, values, paths), paths)
    doubled = replace(
        values, values={k: np.repeat(v, 2) for k, v in values.values.items()}, draws=2
    )
    both = reduce_block(scenario, doubled, run_block(scenario, doubled, paths), paths)

    def first(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: v[:1] for k, v in d.items()}

    return BlockMetrics(
        provider=first(both.provider),
        group=first(both.group),
        yearly_provider=first(both.yearly_provider),
        yearly_group=first(both.yearly_group),
        draw=first(both.draw),
        paths=first(both.paths),
        irr_missing=first(both.irr_missing),
    )
