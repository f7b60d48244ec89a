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

from simlab.claims import group_labels
from simlab.engine.core import BlockRecord
from simlab.engine.state import BlockValues
from simlab.finance import irr, npv, payback
from simlab.scenario.load import Scenario

__all__ = ["BlockMetrics", "group_matrix", "reduce_block", "year_matrix"]

#: Metrics that add up over a group's members.
ADDITIVE = ("revenue", "capex", "training", "fcf", "npv", "valuation", "share_final")


@dataclass
class BlockMetrics:
    """Per-draw results of one block; arrays have the draw axis first."""

    provider: dict[str, np.ndarray]  # (B, P)
    group: dict[str, np.ndarray]  # (B, G)
    yearly_provider: dict[str, np.ndarray]  # (B, Y, P)
    yearly_group: dict[str, np.ndarray]  # (B, Y, G)
    draw: dict[str, np.ndarray]  # (B,)
    paths: dict[str, np.ndarray]  # (B, T, X) float32
    irr_missing: dict[str, np.ndarray]  # (B, P) and (B, G) bool: IRR does not exist


def group_matrix(scenario: Scenario) -> np.ndarray:
    """Return the (groups, providers) 0/1 membership matrix, rows as :func:`group_labels`."""
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


def year_matrix(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Return the calendar years of the horizon and the (years, steps) 0/1 matrix."""
    years_of_steps = scenario.times.astype("datetime64[Y]").astype(np.int64) + 1970
    years = np.unique(years_of_steps)
    return years, (years[:, None] == years_of_steps[None, :]).astype(np.float64)


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
    T = sc.n_steps
    ppy = max(1, round(1.0 / dt))
    # Flows (B, P, T), in USD per step.
    to_bpt = (2, 1, 0)
    served = rec.served.transpose(to_bpt)
    price = rec.price.transpose(to_bpt)
    revenue = served * price * 1e-6
    serving = served * rec.cost.transpose(to_bpt) * 1e-6
    opex = rec.opex.transpose(to_bpt)
    training = rec.training.transpose(to_bpt)
    capex = rec.capex.transpose(to_bpt)
    fcf = revenue - serving - opex - training - capex

    G = group_matrix(sc)  # (G, P)
    g_revenue = np.einsum("gp,bpt->bgt", G, revenue)
    g_capex = np.einsum("gp,bpt->bgt", G, capex)
    g_training = np.einsum("gp,bpt->bgt", G, training)
    g_fcf = np.einsum("gp,bpt->bgt", G, fcf)

    rate = values["finance.discount_rate"][:, None]  # (B, 1)
    growth = values["finance.terminal_growth"][:, None]
    times = (np.arange(T) + 1.0) * dt  # flows at the end of each step
    horizon = T * dt
    year_steps = min(T, ppy)
    initial_training = np.stack(
        [values[f"providers.{p}.training_cost"] for p in provs], axis=1
    )  # (B, P)
    share_T = rec.share[-1].T  # (B, P)
    price_T, price_0 = rec.price[-1].T, rec.price[0].T
    share_0 = rec.share[0].T

    def finance(flows: np.ndarray) -> dict[str, np.ndarray]:
        pv = npv(rate, flows, times)
        last_year = flows[..., -year_steps:].sum(axis=-1) * (ppy / year_steps)
        with np.errstate(divide="ignore", invalid="ignore"):
            tv = np.where(rate > growth, last_year * (1.0 + growth) / (rate - growth), np.nan)
        tv_pv = tv * (1.0 + rate) ** -horizon
        use_tv = sc.spec.finance.terminal_value
        irr_flows = flows.copy()
        if use_tv:
            irr_flows[..., -1] += np.nan_to_num(tv, nan=0.0)
        shape = irr_flows.shape
        rates = irr(irr_flows.reshape(-1, shape[-1]), periods_per_year=ppy).reshape(shape[:-1])
        cum_times = np.concatenate([[0.0], times])
        padded = np.concatenate([np.zeros((*shape[:-1], 1)), flows], axis=-1)
        pay = payback(padded, cum_times)
        return {
            "npv": pv + (tv_pv if use_tv else 0.0),
            "valuation": pv + tv_pv,
            "irr": rates,
            "payback_years": pay,
        }

    prov_fin = finance(fcf)
    group_fin = finance(g_fcf)

    def ratios(rev: np.ndarray, cap: np.ndarray, cash: np.ndarray, train: np.ndarray) -> dict:
        return {
            "roi": _safe_div(cash, cap),
            "capex_coverage": _safe_div(rev, cap),
            "model_roi": _safe_div(rev, train),
        }

    p_rev, p_cap, p_fcf = revenue.sum(-1), capex.sum(-1), fcf.sum(-1)
    p_train = initial_training + training.sum(-1)
    provider = {
        "revenue": p_rev,
        "capex": p_cap,
        "training": p_train,
        "fcf": p_fcf,
        **prov_fin,
        **ratios(p_rev, p_cap, p_fcf, p_train),
        "share_final": share_T,
        "price_final": price_T,
        "quality_final": rec.quality[-1].T,
        "price_index": price_T / price_0,
    }
    g_rev, g_cap, g_fcf_sum = g_revenue.sum(-1), g_capex.sum(-1), g_fcf.sum(-1)
    g_train = initial_training @ G.T + g_training.sum(-1)
    g_share_T = share_T @ G.T
    member = G.astype(bool)
    q_final = rec.quality[-1].T
    group = {
        "revenue": g_rev,
        "capex": g_cap,
        "training": g_train,
        "fcf": g_fcf_sum,
        **group_fin,
        **ratios(g_rev, g_cap, g_fcf_sum, g_train),
        "share_final": g_share_T,
        "price_final": _safe_div((share_T * price_T) @ G.T, g_share_T),
        "quality_final": np.stack(
            [np.where(m, q_final, -np.inf).max(axis=1) for m in member], axis=1
        ),
        "price_index": _safe_div(
            _safe_div((share_T * price_T) @ G.T, g_share_T),
            _safe_div((share_0 * price_0) @ G.T, share_0 @ G.T),
        ),
    }
    irr_missing = {"provider": np.isnan(prov_fin["irr"]), "group": np.isnan(group_fin["irr"])}

    # Yearly: mean share, share-weighted price, mean quality, revenue, by calendar year.
    _, Y = year_matrix(sc)
    per_year = Y.sum(axis=1)
    share_y = np.einsum("yt,tpb->byp", Y, rec.share) / per_year[None, :, None]
    spend_y = np.einsum("yt,tpb->byp", Y, rec.share * rec.price) / per_year[None, :, None]
    quality_y = np.einsum("yt,tpb->byp", Y, rec.quality) / per_year[None, :, None]
    revenue_y = np.einsum("yt,bpt->byp", Y, revenue)
    g_share_y = share_y @ G.T
    yearly_provider = {
        "share": share_y,
        "price": _safe_div(spend_y, share_y),
        "quality": quality_y,
        "revenue_year": revenue_y,
    }
    yearly_group = {
        "share": g_share_y,
        "price": _safe_div(spend_y @ G.T, g_share_y),
        "quality": np.stack([np.where(m, quality_y, -np.inf).max(axis=2) for m in member], axis=2),
        "revenue_year": revenue_y @ G.T,
    }
    draw = {
        "unmet_share": _safe_div(rec.unmet.sum(axis=0), rec.demand.sum(axis=0)),
    }
    out_paths: dict[str, np.ndarray] = {}
    if paths:
        f32 = np.float32

        def tpb(a: np.ndarray) -> np.ndarray:
            return a.transpose(2, 0, 1).astype(f32)

        out_paths = {
            "share": tpb(rec.share),
            "price": tpb(rec.price),
            "cost": tpb(rec.cost),
            "quality": tpb(rec.quality),
            "capacity": tpb(rec.capacity),
            "served": tpb(rec.served),
            "revenue": revenue.transpose(0, 2, 1).astype(f32),
            "capex": capex.transpose(0, 2, 1).astype(f32),
            "fcf": fcf.transpose(0, 2, 1).astype(f32),
            "cash": (
                np.stack([values[f"providers.{p}.cash"] for p in provs], axis=1)[:, :, None]
                + np.cumsum(fcf, axis=-1)
            )
            .transpose(0, 2, 1)
            .astype(f32),
            "unmet": rec.unmet.T.astype(f32),
        }
        if rec.adoption is not None and rec.volume is not None:
            out_paths["adoption"] = tpb(rec.adoption)
            out_paths["volume"] = tpb(rec.volume)
    return BlockMetrics(
        provider=provider,
        group=group,
        yearly_provider=yearly_provider,
        yearly_group=yearly_group,
        draw=draw,
        paths=out_paths,
        irr_missing=irr_missing,
    )
