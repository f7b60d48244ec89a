"""Demand as the model sees it at a date: own-price elasticities and revenue-maximising prices.

The engine's long-run (target) demand for provider ``p`` in segment ``s`` at the first step
is ``q_sp = V_s (P_s / P_s,0)^-ε_s σ_sp``: the volume response through the ideal price
index and the nested-logit share. Its own-price elasticity is

``η_sp = -α_s [1/λ_n - (1/λ_n - 1) σ_{p|n} - σ_sp] - ε_s s_sp``

(:func:`simlab.market.own_price_elasticity`). A firm on the elastic side (``|η| > 1``)
loses revenue when it raises its price too far: the Lerner condition ``(π - c)/π = 1/|η|``
ties the price coefficient α to observed gross margins, which is how the catalog
calibrates ``beta_price`` (docs/model.md, "Price sensitivity").

Examples
--------
>>> import simlab
>>> table = simlab.elasticities(simlab.load_scenario("baseline-2025"))
>>> bool((table["elasticity"] < 0).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from simlab.errors import ScenarioError
from simlab.market import own_price_elasticity

__all__ = ["demand_at", "elasticities", "revenue_maximising_prices"]


def _block(scenario: object) -> object:
    from simlab.engine.core import _Block
    from simlab.engine.state import inputs_to_values
    from simlab.experiment import _scenario

    sc = _scenario(scenario)  # type: ignore[arg-type]
    values = inputs_to_values(sc, None, 0, 1)
    block = _Block(sc, values, paths=False)
    # The first step up to its clearing: pricing rules, releases and events dated then.
    from simlab.engine.clock import CLEARING, run_processes

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        run_processes(block, until=CLEARING - 0.01)
    block.pricing.follow()
    block.refresh()
    # The reference of the price index is the first step's inclusive value.
    start = block.choose(block.log_prices(block.blended()))
    block.inclusive_ref = np.where(np.isfinite(start.inclusive), start.inclusive, 0.0)
    return block


def demand_at(
    scenario: object, prices: dict[str, float] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Return the first step's long-run demand and revenue at some blended list prices.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario or a catalog name; its point values are used.
    prices : dict of str to float, optional
        Blended list prices (USD per million tokens) to set for some providers, others
        kept; input and output prices keep their ratio.

    Returns
    -------
    demand : pandas.DataFrame
        Tokens per month by segment (rows) and provider (columns): target shares times
        the segment's volume, paid (API) tokens in token segments, every token in seat
        segments.
    revenue : pandas.Series
        USD per month by provider (tokens at list price, paying seats at seat price).
    """
    block = _block(scenario)
    par = block.par  # type: ignore[attr-defined]
    sc = block.sc  # type: ignore[attr-defined]
    for name, value in (prices or {}).items():
        if name not in par.prov_index:
            raise ScenarioError(f"prices: unknown provider {name!r}")
        p = par.prov_index[name]
        factor = value / block.blended()[p]  # type: ignore[attr-defined]
        block.price_in[p] *= factor  # type: ignore[attr-defined]
        block.price_out[p] *= factor  # type: ignore[attr-defined]
    price = block.blended()  # type: ignore[attr-defined]
    choice = block.choose(block.log_prices(price))  # type: ignore[attr-defined]
    seg = par.seg
    from simlab.market import bass_cdf

    adoption = bass_cdf(block.bass_time, seg["bass_p"], seg["bass_q"])  # type: ignore[attr-defined]
    volume = block.volume(adoption, choice.inclusive)  # type: ignore[attr-defined]
    buyers = volume[:, None, :] * choice.shares
    bill = block.bill(buyers, price)  # type: ignore[attr-defined]
    demand = pd.DataFrame(bill.on_own[:, :, 0], index=sc.segments, columns=sc.providers)
    revenue = bill.billed
    return demand, pd.Series(revenue[:, 0], index=sc.providers, name="revenue")


def elasticities(scenario: object) -> pd.DataFrame:
    """Return each provider's own-price elasticity by segment at the first step.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario or a catalog name; its point values are used.

    Returns
    -------
    pandas.DataFrame
        One row per (provider, segment) where the provider is available, with its
        ``price`` (blended list price, or seat price in seat segments), ``cost``,
        ``margin`` ``(π - c)/π`` (token segments), ``share`` ``σ_sp``, ``within``
        ``σ_{p|n}``, the ``choice`` and ``volume`` parts of the elasticity and their sum
        ``elasticity``, and ``lerner`` ``-π/(π - c)``: the elasticity at which the
        margin would be the profit-maximising one.
    """
    block = _block(scenario)
    par = block.par  # type: ignore[attr-defined]
    sc = block.sc  # type: ignore[attr-defined]
    seg = par.seg
    price = block.blended()  # type: ignore[attr-defined]
    log_price = block.log_prices(price)  # type: ignore[attr-defined]
    choice = block.choose(log_price)  # type: ignore[attr-defined]
    lam_p = par.lam[par.nest_of]  # (P, B)
    inside = 1.0 - choice.outside  # (S, B)
    rows = []
    for s, seg_name in enumerate(sc.segments):
        for p, name in enumerate(sc.providers):
            if not block.available[s, p, 0]:  # type: ignore[attr-defined]
                continue
            share, within = choice.shares[s, p, 0], choice.within[s, p, 0]
            alpha, eps = seg["beta_price"][s, 0], seg["elasticity"][s, 0]
            choice_part = float(own_price_elasticity(alpha, lam_p[p, 0], within, share, 0.0))
            total = float(
                own_price_elasticity(alpha, lam_p[p, 0], within, share, share / inside[s, 0], eps)
            )
            pi = float(np.exp(log_price[min(s, log_price.shape[0] - 1), p, 0]))
            cost = float(block.cost[p, 0])  # type: ignore[attr-defined]
            seat = bool(par.is_seat[s])
            margin = np.nan if seat else (pi - cost) / pi
            rows.append(
                {
                    "provider": name,
                    "segment": seg_name,
                    "billing": "seats" if seat else "tokens",
                    "price": pi,
                    "cost": np.nan if seat else cost,
                    "margin": margin,
                    "share": float(share),
                    "within": float(within),
                    "choice": choice_part,
                    "volume": total - choice_part,
                    "elasticity": total,
                    "lerner": np.nan if seat or margin <= 0 else -1.0 / margin,
                }
            )
    return pd.DataFrame(rows).set_index(["provider", "segment"])


def revenue_maximising_prices(
    scenario: object,
    providers: list[str] | None = None,
    bounds: tuple[float, float] = (0.01, 100.0),
) -> pd.DataFrame:
    """Return each provider's revenue-maximising blended list price, others' prices fixed.

    The first step's long-run demand (:func:`demand_at`) is maximised over the provider's
    own price times a factor in ``bounds`` (a bounded search on the log factor). A factor
    at a bound means revenue keeps rising that way: demand is inelastic there.

    Returns
    -------
    pandas.DataFrame
        By provider: ``list_price``, ``best_price``, ``factor`` (best over list) and
        ``at_bound`` (True where the optimum is the search's edge, i.e. not finite).
    """
    block = _block(scenario)
    sc = block.sc  # type: ignore[attr-defined]
    list_price = block.blended()[:, 0]  # type: ignore[attr-defined]
    rows = []
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    for name in providers or list(sc.providers):
        p = sc.providers.index(name)
        base = float(list_price[p])

        def minus_revenue(x: float, name: str = name, base: float = base) -> float:
            return -float(demand_at(sc, {name: base * np.exp(x)})[1][name])

        found = minimize_scalar(
            minus_revenue, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6}
        )
        x = float(found.x)
        rows.append(
            {
                "provider": name,
                "list_price": base,
                "best_price": base * np.exp(x),
                "factor": float(np.exp(x)),
                "at_bound": bool(min(x - lo, hi - x) < 1e-3),
            }
        )
    return pd.DataFrame(rows).set_index("provider")
