"""Fit baseline-2025's demand to the market of November 2025 (run after a structural change).

    python docs/fit_baseline.py            # print the fit and write it into the scenario
    python docs/fit_baseline.py --dry-run  # print only

Unknowns: the brand term ``xi`` of every provider but OpenAI (the reference), OpenAI's
consumer preference, the potentials of the three API segments, every segment's price
coefficient ``beta_price``, the outside options' utility in enterprise and public and the
developer segment's preference for Chinese providers.
Targets at the first step (annualised, point values), each named in the scenario's
assumption line of the figure it fixes:

- every provider's revenue (REVENUE below), but for the non-Chinese open-weight models,
  whose hosts' revenue nobody reports: their share of developer tokens (DEVELOPER_SHARE);
- OpenAI's subscription revenue, USD 13.5 B of its 20 B;
- API spend split 60 / 34 / 6 % between developer, enterprise and public;
- the outside option's share: 15 % of enterprise and 25 % of public buyers;
- Chinese open models' share of developer tokens, 20 % (OpenRouter);
- the Lerner condition in every segment: the closed labs' revenue-weighted own-price
  elasticity equals their revenue-weighted ``-price / (price - cost)`` (consumer: OpenAI's
  seat margin, with the serving cost of its free users charged to its paying seats).

A least-squares solve (scipy) on log-revenue and elasticity residuals; it prints the
residuals, so an unmet target shows.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

import simlab
from simlab.elasticity import demand_at, elasticities
from simlab.market import blend

SCENARIO = Path(__file__).parents[1] / "scenarios" / "baseline-2025.toml"
#: Annualised revenue at the start, USD (see each provider's xi line).
REVENUE = {
    "openai": 20.0e9,
    "anthropic": 7.0e9,
    "google": 4.0e9,
    "xai": 1.0e9,
    "deepseek": 0.15e9,
    "moonshot": 0.1e9,
    "minimax": 0.1e9,
    "qwen": 0.3e9,
    "zhipu": 0.1e9,
}
OPENAI_SUBSCRIPTIONS = 13.5e9
API_SPLIT = {"developer": 0.60, "enterprise": 0.34, "public": 0.06}
OUTSIDE = {"enterprise": 0.15, "public": 0.25}
#: Chinese open models' share of developer tokens (all tokens of their models, third-party
#: hosts included, as OpenRouter counts them): OPENROUTER, 13 % average in 2025, near 30 %
#: at peak; 0.2 at the start.
CN_DEVELOPER_SHARE = 0.2
#: Developer token shares of the open-weight models sold mostly by third-party hosts
#: (OPENROUTER: open weights about 1/3 of tokens late in 2025, Chinese open models 13-20 %;
#: the rest Llama, gpt-oss, Mistral, Gemma and smaller ones), split by assumption.
DEVELOPER_SHARE = {"llama": 0.03, "mistral": 0.02, "gpt-oss": 0.04}
CLOSED = ["openai", "anthropic", "google", "xai"]


def unknowns(sc: simlab.Scenario) -> list[str]:
    """The fitted paths, in a fixed order."""
    xi = [f"providers.{p}.xi" for p in sc.providers if p != "openai"]
    return [
        *xi,
        "segments.consumer.pref_provider.openai",
        *[f"segments.{s}.potential" for s in API_SPLIT],
        *[f"segments.{s}.beta_price" for s in sc.segments],
        *[f"segments.{s}.outside.utility" for s in OUTSIDE],
        "segments.developer.pref_region.cn",
    ]


def _with(sc: simlab.Scenario, paths: list[str], x: np.ndarray) -> simlab.Scenario:
    values = {
        path: float(np.exp(v)) if path.endswith(("potential", "beta_price")) else float(v)
        for path, v in zip(paths, x, strict=True)
    }
    return sc.with_values(values)


def residuals(sc: simlab.Scenario) -> np.ndarray:
    """Log-revenue, share and elasticity residuals of a scenario at its first step."""
    demand, revenue = demand_at(sc)
    year = revenue * 12.0
    out = [np.log(year[p] / REVENUE[p]) for p in REVENUE]
    from simlab.engine.core import _Block  # noqa: F401  (the helper's block)

    table = elasticities(sc)
    consumer = table.xs("consumer", level="segment")
    seats = consumer.loc["openai"]
    out.append(np.log(seats["share"] * _consumer_revenue(sc) * 12.0 / OPENAI_SUBSCRIPTIONS))
    spend = {s: float((demand.loc[s] * _price(sc)).sum() * 1e-6 * 12.0) for s in API_SPLIT}
    total = sum(spend.values())
    out += [np.log(spend[s] / total / API_SPLIT[s]) for s in API_SPLIT]
    for s, target in OUTSIDE.items():
        inside = table.xs(s, level="segment")["share"].sum()
        out.append(np.log((1.0 - inside) / target))
    developer = table.xs("developer", level="segment")["share"]
    chinese = [p for p in developer.index if sc.spec.providers[p].region == "cn"]
    out.append(np.log(developer[chinese].sum() / developer.sum() / CN_DEVELOPER_SHARE))
    out += [np.log(developer[p] / developer.sum() / DEVELOPER_SHARE[p]) for p in DEVELOPER_SHARE]
    for s in sc.segments:
        rows = table.xs(s, level="segment").loc[CLOSED]
        if s == "consumer":
            lerner = _seat_lerner(sc)
            out.append(np.log(rows.loc["openai", "elasticity"] / lerner))
            continue
        weight = rows["share"] * rows["price"]
        eta = float((weight * rows["elasticity"]).sum() / weight.sum())
        target = float((weight * rows["lerner"]).sum() / weight.sum())
        out.append(np.log(eta / target))
    return np.array(out)


def _price(sc: simlab.Scenario) -> np.ndarray:
    providers = sc.spec.providers.values()
    price_in = [p.price_in.value for p in providers]
    price_out = [p.price_out.value for p in providers]
    return blend(price_in, price_out, sc.spec.market.input_share.value)


def _consumer_revenue(sc: simlab.Scenario) -> float:
    """Monthly subscription revenue of the whole consumer segment if one seat price held."""
    seg = sc.spec.segments["consumer"]
    users = seg.potential.value * seg.adoption0.value
    paying = users * (1.0 - seg.free_share.value)
    return paying * seg.seat_price["openai"].value


def _seat_lerner(sc: simlab.Scenario) -> float:
    """OpenAI's Lerner elasticity per paying seat (free users' tokens charged to it)."""
    seg = sc.spec.segments["consumer"]
    price = seg.seat_price["openai"].value
    tokens = seg.tokens_per_seat.value if seg.tokens_per_seat is not None else 0.0
    cost = tokens * sc.spec.providers["openai"].cost.value * 1e-6 / (1 - seg.free_share.value)
    return -price / (price - cost)


def fit(sc: simlab.Scenario) -> tuple[dict[str, float], np.ndarray]:
    """Return the fitted values by path and the residuals at the fit."""
    paths = unknowns(sc)
    x0 = np.array(
        [
            np.log(sc.params[p].value)
            if p.endswith(("potential", "beta_price"))
            else sc.params[p].value
            for p in paths
        ]
    )
    solved = least_squares(lambda x: residuals(_with(sc, paths, x)), x0, xtol=1e-12, ftol=1e-12)
    values = {
        p: float(np.exp(v)) if p.endswith(("potential", "beta_price")) else float(v)
        for p, v in zip(paths, solved.x, strict=True)
    }
    return values, solved.fun


def write(values: dict[str, float], text: str) -> str:
    """Write fitted values into the scenario's text (the ``value = ...`` of each path)."""
    lines = text.split("\n")
    for path, value in values.items():
        *table, key = path.split(".")
        header = f"[{'.'.join(table)}]"
        shown = f"{value:.4g}" if abs(value) >= 1e3 else f"{value:.3f}"
        start = lines.index(header)
        for k in range(start + 1, len(lines)):
            if lines[k].startswith("["):
                raise SystemExit(f"could not find {path} in {SCENARIO}")
            found = re.match(rf"({re.escape(key)} = \{{ value = )([^,]+)(.*)", lines[k])
            if found:
                lines[k] = found.group(1) + shown + found.group(3)
                break
    return "\n".join(lines)


SHOCK = SCENARIO.with_name("deepseek-shock-2025.toml")
#: OpenAI's annualised revenue at 2024-12 (deepseek-shock-2025's start), USD.
OPENAI_2024_12 = 5.5e9


def fit_deepseek_shock(sc: simlab.Scenario) -> dict[str, float]:
    """Scale deepseek-shock-2025's API potentials to OpenAI's USD 5.5 B at 2024-12.

    Its revenue at the first step is linear in the API potentials (they scale the API
    volume; consumers are seats from user counts), so two runs give the exact factor.
    """
    paths = [f"segments.{s}.potential" for s in API_SPLIT]
    base = {p: sc.params[p].value for p in paths}

    def openai_at_start(scale: float) -> float:
        edited = sc.with_values({p: v * scale for p, v in base.items()})
        revenue = simlab.simulate(edited, paths=True).paths.revenue
        return float(revenue.sel(provider="openai").isel(draw=0, time=0)) * 12.0

    one, two = openai_at_start(1.0), openai_at_start(2.0)
    scale = 1.0 + (OPENAI_2024_12 - one) / (two - one)
    return {p: v * scale for p, v in base.items()}


def main() -> None:
    sc = simlab.load_scenario(SCENARIO)
    values, fun = fit(sc)
    for path, value in values.items():
        print(f"{path:45s} {value:.6g}")
    print("largest residual:", float(np.abs(fun).max()))
    if "--dry-run" not in sys.argv:
        SCENARIO.write_text(write(values, SCENARIO.read_text()))
        print(f"wrote {SCENARIO}")
    shock = fit_deepseek_shock(simlab.load_scenario(SHOCK))
    for path, value in shock.items():
        print(f"deepseek-shock-2025 {path:30s} {value:.6g}")
    if "--dry-run" not in sys.argv:
        SHOCK.write_text(write(shock, SHOCK.read_text()))
        print(f"wrote {SHOCK}")


if __name__ == "__main__":
    main()
