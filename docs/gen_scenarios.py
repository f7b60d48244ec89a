"""Generate docs/scenarios.md: each shipped scenario, its question, and its results.

Usage::

    python docs/gen_scenarios.py           # (re)write docs/scenarios.md
    python docs/gen_scenarios.py --check   # exit 1 if docs/scenarios.md is out of date

Every number on the page comes from a seeded Monte Carlo run of the scenario through the
public API (``simlab.run``), so the page cannot drift from the code. Numbers are shown to
three significant figures.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
for where in (REPO, REPO / "docs"):
    if str(where) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(where))

from fit_calibrated import SOURCE, uncalibrated  # noqa: E402

import simlab  # noqa: E402
from simlab.calibration import Observations  # noqa: E402
from simlab.scenario.catalog import catalog_names  # noqa: E402

OUTPUT = REPO / "docs" / "scenarios.md"
DRAWS = 2000
SEED = 2025

#: Headline metrics: (metric, who, label).
HEADLINES = (
    ("share_final", "closed", "closed providers' share of tokens at the end"),
    ("share_final", "open", "open-weight providers' share of tokens at the end"),
    ("price_index", "all", "average price at the end / at the start"),
    ("revenue", "closed", "closed providers' revenue over the horizon (USD)"),
    ("revenue", "open", "open-weight providers' revenue over the horizon (USD)"),
    ("npv", "closed", "closed providers' NPV incl. terminal value (USD)"),
    ("capex_coverage", "closed", "closed providers' revenue / capex"),
    ("model_roi", "region=cn", "Chinese providers' revenue / training cost"),
    ("model_roi", "region=us", "US providers' revenue / training cost"),
)

#: A scenario that replays observed months is scored against the observations that fall
#: inside its horizon (the hindcast's file, less the ones its calibration skips): a run
#: with paths of this many draws, seed :data:`SEED`, its median against each tolerance.
OBSERVATIONS = "history-2023"
REPLAY_DRAWS = 500
#: The replaying scenarios, and why each observation their median misses is missed
#: (tests/test_catalog.py reads the page's list: a miss must be listed, a listed one missed).
REPLAYS: dict[str, dict[str, str]] = {
    "deepseek-shock-2025": {
        "chatgpt-paying-2025-04": (
            "the consumer segment takes baseline-2025's paying share (6 % of users, "
            "fitted to OpenAI's subscriptions at 2025-11) from December 2024 on, while its "
            "potential doubles over 2025 (weekly users 300 M to 800 M); about 4 % of "
            "ChatGPT's users paid in April 2025, so paying seats run ahead and OpenAI's "
            "2025 revenue rests more on subscriptions than it did"
        ),
        "openai-api-tokens-2025-10": (
            "OpenAI is one model at one price: until GPT-5 it is o1 at USD 26.25 a million "
            "tokens (the scenario's question is R1 against o1), while most of its API "
            "tokens were GPT-4o and GPT-4o mini at a sixth to a hundredth of that. The API "
            "potentials are fitted to OpenAI's revenue at o1's price (docs/fit_baseline.py), "
            "so the API starts with a sixth of the tokens per dollar and stays one to two "
            "orders of magnitude below the tokens reported; the money is matched"
        ),
        "anthropic-runrate-2025-11": (
            "Anthropic's run-rate grew about ninefold in 2025, mostly on the API (Claude "
            "for coding); the scenario's API grows at one rate, fitted to OpenAI's 3.5x "
            "(docs/fit_baseline.py), and Anthropic keeps baseline-2025's brand term with "
            "one release before Sonnet 4.5 (Claude 4, score assumed), so its API share "
            "does not rise as it did; even an API growing elevenfold in 2025 leaves it "
            "below 6.3 B"
        ),
    },
}

#: Reported valuations to hold the implied ones against (baseline only).
REPORTED = (
    ("openai", 500e9, "about USD 500 B: MiniMax's USD 4 B is 0.8 % of it (A4)"),
    ("moonshot", 2.5e9, "0.5 % of OpenAI's (A3), so about USD 2.5 B"),
    ("minimax", 4e9, "USD 4 B (A4)"),
)


def fmt(x: float) -> str:
    """Three significant figures, with B/M/T suffixes for large numbers."""
    if not np.isfinite(x):
        return "n/a"
    for size, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def band(values: np.ndarray) -> tuple[str, str, int]:
    """Median, 90 % interval, and how many draws were NaN."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "n/a", "n/a", int(values.size)
    lo, mid, hi = np.quantile(finite, [0.05, 0.5, 0.95])
    return fmt(mid), f"{fmt(lo)} to {fmt(hi)}", int(values.size - finite.size)


def calibrated(sc: simlab.Scenario) -> bool:
    """Whether a scenario holds entries calibrated to history (docs/fit_calibrated.py)."""
    return any(p.source == SOURCE for p in sc.params.values())


def _run(sc: simlab.Scenario) -> simlab.Results:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        return simlab.run(sc, draws=DRAWS, seed=SEED, progress=False)


def section(name: str) -> list[str]:
    """The page section of one scenario."""
    sc = simlab.load_scenario(name)
    res = _run(sc)
    before = _run(uncalibrated(sc)).claims() if calibrated(sc) else None
    spec = sc.spec
    kinds = {k: [p for p, v in spec.providers.items() if v.kind == k] for k in ("closed", "open")}
    lines = [f"## {name}", "", f"**{sc.title}**", ""]
    if spec.description:
        lines += [" ".join(spec.description.split()), ""]
    lines += [
        f"- horizon: {spec.start} to {spec.end} (monthly steps: {sc.n_steps})"
        if spec.step == "month"
        else f"- horizon: {spec.start} to {spec.end} ({spec.step}ly steps: {sc.n_steps})",
        f"- closed: {', '.join(kinds['closed'])}; open-weight: {', '.join(kinds['open'])}",
        f"- {len(sc.params)} parameters, {len(sc.uncertain)} of them uncertain"
        + (f"; extends `{spec.extends}`" if spec.extends else ""),
        f"- results: {DRAWS:,} Monte Carlo draws, seed {SEED} "
        f"(`simlab run {name} --draws {DRAWS} --seed {SEED}`)",
        "",
        "| metric | median | 90 % interval | no value |",
        "|---|---|---|---|",
    ]
    for metric, who, label in HEADLINES:
        median, interval, nan = band(res.metric(metric, who).to_numpy())
        lines.append(f"| {label} | {median} | {interval} | {nan or ''} |")
    lines.append("")
    claims = res.claims()
    if len(claims) and before is not None:
        lines += [
            "Each claim's probability after calibration (the scenario as shipped) and before "
            "(the same scenario with its calibrated entries put back to the sourced priors "
            "they replaced, the API growth constant at those priors' rates with no decay, "
            "no spend ceiling and no calibrated correlations, the start refitted: the "
            "catalog as it was; `uncalibrated` in docs/fit_calibrated.py), "
            "over the same draws and seed:",
            "",
            "| claim | condition | before calibration | after | ± s.e. | undecided |",
            "|---|---|---|---|---|---|",
        ]
        for claim, row in claims.iterrows():
            lines.append(
                f"| {row.text} | `{row.expr}` | {before.loc[claim, 'probability']:.3f} | "
                f"{row.probability:.3f} | {row.se:.3f} | {row.undecided or ''} |"
            )
        lines.append("")
    elif len(claims):
        lines += [
            "| claim | condition | probability | ± s.e. | undecided |",
            "|---|---|---|---|---|",
        ]
        for _, row in claims.iterrows():
            lines.append(
                f"| {row.text} | `{row.expr}` | {row.probability:.3f} | {row.se:.3f} | "
                f"{row.undecided or ''} |"
            )
        lines.append("")
    if name == "baseline-2025":
        lines += valuations(res) + anchors(sc, res)
    if name in REPLAYS:
        lines += replay(sc, REPLAYS[name])
    return lines


def replayed(sc: simlab.Scenario) -> Observations:
    """The observations of :data:`OBSERVATIONS` inside a scenario's horizon, less skipped."""
    obs = simlab.load_observations(OBSERVATIONS)
    start, end = str(sc.spec.start), str(sc.spec.end)
    inside = [o for o in obs.values() if start <= o.start and o.end < end and o.id not in obs.skip]
    return Observations(inside, name=f"{OBSERVATIONS} inside {sc.name}")


def replay_score(sc: simlab.Scenario) -> object:
    """Score a replaying scenario's run against :func:`replayed` (a DataFrame)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        res = simlab.run(sc, draws=REPLAY_DRAWS, seed=SEED, paths=True, progress=False)
    return simlab.score(res, replayed(sc))


def replay(sc: simlab.Scenario, reasons: dict[str, str]) -> list[str]:
    """The section that holds a replaying scenario's observed months against it."""
    table = replay_score(sc)
    missed = [oid for oid, row in table.iterrows() if not row["within_tolerance"]]
    wrong = sorted(set(missed) ^ set(reasons))
    if wrong:
        raise SystemExit(
            f"gen_scenarios: {sc.name}: REPLAYS must list exactly the missed observations; "
            f"differs on {', '.join(wrong)}"
        )
    lines = [
        "### The observed months replayed",
        "",
        f"The observations of `{OBSERVATIONS}` (docs/calibration.md) inside this scenario's "
        "horizon, less those its calibration skips, against the scenario's median and "
        f"90 % interval over {REPLAY_DRAWS} draws (seed {SEED}, paths; `simlab.score`). "
        "tests/test_catalog.py reads the list of misses below:",
        "",
        "| observation | when | observed | tolerance | median [90 %] | matched |",
        "|---|---|---|---|---|---|",
    ]
    for oid, row in table.iterrows():  # type: ignore[attr-defined]
        share = row["metric"].endswith("share")
        show = (lambda x: f"{x:.0%}") if share else fmt
        lines.append(
            f"| `{oid}` | {row['when']} | {show(row['observed'])} | {show(row['low'])} to "
            f"{show(row['high'])} | {show(row['median'])} [{show(row['q05'])}, "
            f"{show(row['q95'])}] | {'yes' if row['within_tolerance'] else '**no**'} |"
        )
    lines += ["", "Missed, and why:", "", "| observation | why it is missed |", "|---|---|"]
    lines += [f"| `{oid}` | {reasons[oid]} |" for oid in missed]
    return [*lines, ""]


def valuations(res: simlab.Results) -> list[str]:
    """Implied valuations (PV of free cash flow + terminal value) against reported ones."""
    lines = [
        "### Implied against reported valuations",
        "",
        "The articles say Chinese AI firms are worth 30 to 50 times more than their "
        "valuations if judged by OpenAI's valuation logic (A2). Here is what the model's "
        "cash flows imply (enterprise value: PV of free cash flow plus terminal value):",
        "",
        "| provider | implied (median) | 90 % interval | reported | implied / reported |",
        "|---|---|---|---|---|",
    ]
    ratios = {}
    for who, reported, note in REPORTED:
        values = res.metric("valuation", who).to_numpy()
        median, interval, _ = band(values)
        ratios[who] = float(np.nanmedian(values)) / reported
        lines.append(f"| {who} | {median} | {interval} | {note} | {ratios[who]:.3g} |")
    lines.append("")
    if ratios["openai"] > 0:
        lines += [
            "The articles' claim, measured: the Chinese labs' implied/reported ratio over "
            f"OpenAI's is {ratios['moonshot'] / ratios['openai']:.3g} for Moonshot and "
            f"{ratios['minimax'] / ratios['openai']:.3g} for MiniMax (the claim: 30 to 50).",
            "",
        ]
    else:
        lines += [
            "The articles' claim cannot be read as a multiple here: in the median draw "
            "OpenAI's own cash flows imply a negative value, so its reported USD 500 B "
            "rests on more than the cash flows this scenario projects, and 'OpenAI's "
            "valuation logic' is not a ratio of cash-flow value. What the model does say: "
            f"MiniMax's implied/reported ratio is {ratios['minimax']:.3g} and Moonshot's "
            f"{ratios['moonshot']:.3g}, against OpenAI's {ratios['openai']:.3g}.",
            "",
        ]
    return lines


def anchors(sc: simlab.Scenario, draws: simlab.Results) -> list[str]:
    """The baseline's documented anchors, as the model reproduces them (point values)."""
    res = simlab.simulate(sc, paths=True)
    revenue = res.paths.revenue.isel(draw=0).to_pandas()
    per_year = 12.0 if sc.spec.step == "month" else 1.0 / sc.dt

    def annualised(who: str, month: str) -> float:
        return float(revenue.loc[month, who]) * per_year

    p = sc.params
    rows: list[tuple[str, str, str, Callable[[], float]]] = [
        (
            "OpenAI revenue, annualised at 2025-12",
            "USD 20 B (A3)",
            "25 %",
            lambda: annualised("openai", "2025-12-01"),
        ),
        (
            "MiniMax revenue, annualised at 2025-11",
            "USD 100 M ARR (A2, A4)",
            "50 %",
            lambda: annualised("minimax", "2025-11-01"),
        ),
        (
            "MiniMax M2 / Claude Sonnet 4.5 output price",
            "8 % (A2, A4)",
            "",
            lambda: (
                p["providers.minimax.price_out"].value / p["providers.anthropic.price_out"].value
            ),
        ),
    ]
    lines = [
        "### Anchors",
        "",
        "The baseline's point values against the figures it was calibrated to "
        "(tests/test_catalog.py checks them):",
        "",
        "| anchor | documented | tolerance | model |",
        "|---|---|---|---|",
    ]
    for label, documented, tolerance, value in rows:
        shown = value()
        text = f"{shown:.3g}" if shown < 1 else fmt(shown)
        lines.append(f"| {label} | {documented} | {tolerance} | {text} |")
    openai_2030 = draws.metric("revenue_year", "openai", year=2030).to_numpy()
    lines += [
        "",
        "The decaying API growth's anchor (segments.developer.growth_halflife), over the "
        f"{DRAWS:,} draws: OpenAI's revenue in 2030, median {fmt(float(np.median(openai_2030)))} "
        f"(90 % {fmt(float(np.quantile(openai_2030, 0.05)))} to "
        f"{fmt(float(np.quantile(openai_2030, 0.95)))}), against its own projection of "
        "USD 174-200 B (OPENAI-PROJ).",
    ]
    return [*lines, ""]


def render() -> str:
    """The whole page."""
    lines = [
        "# Scenarios",
        "",
        "<!-- Generated by docs/gen_scenarios.py from the scenario files; do not edit. -->",
        "",
        "Each shipped scenario, the question it answers, what it assumes, and its headline "
        "results: the median and 90 % interval of key metrics over the draws, and the "
        "probability of each claim the articles make, with its Monte Carlo standard error. "
        "Every figure's source is on the [sources page](sources.md). Run any of them with "
        "`simlab run NAME`; change a figure with `Scenario.with_values` or a file that "
        "`extends` it ([writing a scenario](scenario-format.md)).",
        "",
    ]
    for name in catalog_names():
        lines += section(name)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` say whether the committed one is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(
                "docs/scenarios.md is out of date: run python docs/gen_scenarios.py",
                file=sys.stderr,
            )
            return 1
        print("docs/scenarios.md is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
