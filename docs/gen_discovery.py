"""Generate docs/discovery.md: under which assumptions does OpenAI's compute pay back?

Usage (from the repository's top folder)::

    python docs/gen_discovery.py           # (re)write docs/discovery.md and its figures
    python docs/gen_discovery.py --check   # exit 1 if docs/discovery.md is out of date

Every number on the page comes from seeded runs of ``baseline-2025`` through the public
API (``simlab.run``, ``prim``, ``cart``, ``conditional``, ``drivers``, ``goal_seek``),
so the page cannot drift from the model: when the model changes, regenerate it. The
figures go to docs/img/discovery/; ``--check`` recomputes the text (about 20 s) and
checks that the figures exist, but does not compare pixels.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

import simlab  # noqa: E402
from simlab.discover import plots  # noqa: E402

OUTPUT = REPO / "docs" / "discovery.md"
IMG = REPO / "docs" / "img" / "discovery"
FIGURES = ("trajectory.png", "box.png", "drivers.png")
SCENARIO = "baseline-2025"
DRAWS = 5000
SEED = 2025
CLAIM = "openai-npv-negative"
UNTIL_SE = 0.005
SEEK = ("events.openai-compute.amount", 0.95, 1e11, 1.4e12, 500)  # param, target, low, high, draws


def fmt(x: object) -> str:
    """Three significant figures; dates as YYYY-MM-DD; B/T suffixes for large numbers."""
    if isinstance(x, pd.Timestamp):
        return x.strftime("%Y-%m-%d")
    if isinstance(x, tuple):
        return ", ".join(map(str, x))
    value = float(x)  # type: ignore[arg-type]
    if not np.isfinite(value):
        return "n/a"
    for size, suffix in ((1e12, " T"), (1e9, " B")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def pct(x: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100 * x:.1f} %"


def table(frame: pd.DataFrame) -> list[str]:
    """A markdown table of a frame's index and columns, numbers through :func:`fmt`."""
    frame = frame.reset_index()
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        cells = [c if isinstance(c, str) else fmt(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def compute(figures: bool) -> str:
    """Run everything and return the page's text; draw the figures when asked."""
    sc = simlab.load_scenario(SCENARIO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        res = simlab.run(sc, draws=DRAWS, seed=SEED, progress=False)
    pays_back = simlab.outcome(res, metric="npv", provider="openai", above=0)
    p = float(pays_back.mean())
    se = float(np.sqrt(p * (1 - p) / DRAWS))
    found = simlab.prim(res, pays_back)
    chosen = found.choose()
    box = found.box()
    tree = simlab.cart(res, pays_back, max_depth=3)
    shifted = simlab.conditional(res, pays_back)
    drivers = simlab.drivers(res, "npv", provider="openai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        precise = simlab.run(
            sc,
            draws=100_000,
            seed=SEED,
            until=simlab.Precision(se=UNTIL_SE, claims=[CLAIM]),
            metrics=["npv"],
            progress=False,
        )
    param, target, low, high, seek_draws = SEEK
    try:
        seek = simlab.goal_seek(
            sc, param, CLAIM, target, low=low, high=high, draws=seek_draws, seed=SEED
        )
        not_bracketed = ""
    except simlab.ScenarioError as exc:  # the model changed: say so on the page
        seek, not_bracketed = None, str(exc)

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        IMG.mkdir(parents=True, exist_ok=True)
        for name, fig in (
            ("trajectory.png", plots.trajectory(found, chosen=chosen)),
            ("box.png", plots.box_limits(box)),
            ("drivers.png", plots.drivers_bars(drivers, column="spearman", top=12)),
        ):
            fig.savefig(IMG / name, dpi=110)
            plt.close(fig)

    t = found.trajectory
    shown_rows = sorted({*range(0, len(t), 8), chosen, len(t) - 1})
    trajectory = t.loc[shown_rows, ["coverage", "density", "mass", "restricted", "qp_max"]]
    limits = box.limits.copy()
    limits["range over all draws"] = [
        f"{fmt(a)} to {fmt(b)}"
        for a, b in zip(limits["full_low"], limits["full_high"], strict=True)
    ]
    limits = limits[["low", "high", "range over all draws", "qp"]]
    words = []
    for name, row in box.limits.iterrows():
        at_low = row["low"] == row["full_low"]
        at_high = row["high"] == row["full_high"]
        if at_low:
            words.append(f"`{name}` at most {fmt(row['high'])}")
        elif at_high:
            words.append(f"`{name}` at least {fmt(row['low'])}")
        else:
            words.append(f"`{name}` between {fmt(row['low'])} and {fmt(row['high'])}")
    leaves = tree.leaves[tree.leaves["density"] >= 0.5].head(3)
    significant = shifted[shifted["significant"]]
    shown_shift = significant[["median_all", "median_given", "shift"]]
    top = drivers.head(10)
    capex = "events.openai-compute.amount"
    capex_rank = list(drivers.index).index(capex) + 1 if capex in drivers.index else None
    stopped = precise.metrics.attrs["until_stopped"]
    p_claim, se_claim = precise.claims().loc[CLAIM, ["probability", "se"]]

    lines = [
        "# Which assumptions?",
        "",
        "<!-- generated by docs/gen_discovery.py: edit that script, not this page -->",
        "",
        "simlab says how likely each claim is; this page asks the next question: *under",
        "which assumptions does it come true?* It answers it for one question of the",
        f"articles, in `{SCENARIO}`: **does OpenAI's compute pay back?**, read as OpenAI's",
        "NPV (with its terminal value, at the scenario's discount rate) above zero, the",
        f"opposite of the claim `{CLAIM}`. Every number here comes from a seeded run",
        f"({DRAWS} draws, seed {SEED}) through the public API, regenerated by",
        "`python docs/gen_discovery.py` whenever the model changes; none is typed by hand.",
        "Nothing below runs the engine again except the last two sections: discovery and",
        "sensitivity read the run's own inputs table and one value per draw.",
        "",
        "```python",
        "import simlab",
        "",
        f'res = simlab.run("{SCENARIO}", draws={DRAWS}, seed={SEED})',
        'pays_back = simlab.outcome(res, metric="npv", provider="openai", above=0)',
        "found = simlab.prim(res, pays_back)  # the peeling trajectory",
        "box = found.box()  # the chosen box: limits, coverage, density, quasi-p-values",
        "print(box)",
        "```",
        "",
        f"OpenAI's NPV is positive in **{pct(p)}** of the draws (standard error {pct(se)}).",
        "",
        "## Scenario discovery: PRIM",
        "",
        "PRIM (Friedman and Fisher 1999) starts from every draw and peels, one thin slice",
        "of one input at a time, the draws where the outcome is rarest. Each box on the",
        "way keeps some *coverage* (the share of all the draws where OpenAI's NPV is",
        "positive that fall in the box) and reaches some *density* (the share of the",
        "box's own draws where it is positive). The peeling trajectory shows the trade-off:",
        "",
        "![PRIM peeling trajectory](img/discovery/trajectory.png)",
        "",
        *table(trajectory),
        "",
        "`qp_max` is the largest quasi-p-value of a box's restrictions: the one-sided",
        "binomial probability that the box would be as dense without that restriction.",
        "Late boxes restrict many inputs with large quasi-p-values: they fit the noise.",
        f"`Prim.choose()` takes box {chosen}: the one with the highest coverage among the",
        "boxes that keep at least half of the coverage and are within one standard error",
        "of the densest of those. `Prim.box()` then lifts the restrictions whose",
        "quasi-p-value is above 0.05 and pastes (widens the box again where that raises",
        "its density).",
        "",
        "### The box",
        "",
        f"**Coverage {pct(box.coverage)}, density {pct(box.density)}**, mass "
        f"{pct(box.mass)} ({box.draws} of {DRAWS} draws), against {pct(p)} of all draws.",
        (
            "In words, OpenAI's compute pays back mostly where " + "; ".join(words) + "."
            if words
            else "No restriction of the inputs makes it markedly more frequent."
        ),
        "",
        *table(limits),
        "",
    ]
    if box.dropped:
        lines += [
            "Restrictions lifted for their quasi-p-value (noise): "
            + ", ".join(f"`{d}`" for d in box.dropped)
            + ".",
            "",
        ]
    lines += [
        "![The chosen box](img/discovery/box.png)",
        "",
        "### CART, for comparison",
        "",
        "A classification tree (`simlab.cart`, depth 3) describes the same draws by its",
        "leaves; the leaves where OpenAI's NPV is positive in at least half of the draws:",
        "",
        *table(leaves[["coverage", "density", "mass", "rule"]]),
        "",
        "## Which inputs move where it pays back",
        "",
        "@RISK's scenario analysis (`simlab.conditional`): over the draws where OpenAI's",
        "NPV is positive, how far each input's median moved, in standard deviations of",
        "that input over all draws; those at least 0.5 away:",
        "",
        *table(shown_shift),
        "",
        "## What drives OpenAI's NPV",
        "",
        '`simlab.drivers(res, "npv", provider="openai")` ranks all '
        f"{res.inputs.shape[1]} inputs from the same draws: rank correlation, standardised",
        "rank regression (SRRC) and partial rank correlation (PRCC), contribution to",
        "variance, and the given-data estimators delta (moment-independent), PAWN and",
        f"RBD-FAST. The rank regression explains R² = {fmt(drivers.attrs['rank_r2'])} of the",
        "ranks' variance. The ten largest by rank correlation:",
        "",
        *table(top),
        "",
        "![Drivers of OpenAI's NPV](img/discovery/drivers.png)",
        "",
    ]
    if capex_rank is not None:
        verdict = (
            "one of the main drivers"
            if capex_rank <= 5
            else "within its range, it matters less than the inputs above it"
        )
        lines += [
            f"The size of the compute commitment itself (`{capex}`) ranks {capex_rank} of "
            f"{len(drivers)} (rank correlation {fmt(drivers.loc[capex, 'spearman'])}): "
            f"{verdict}.",
            "",
        ]
    lines += [
        "## How many draws? A precision-targeted run",
        "",
        f'`simlab.run(..., until=simlab.Precision(se={UNTIL_SE}, claims=["{CLAIM}"]))` adds',
        "blocks of draws until the claim's probability has that standard error, or the",
        "budget (`draws`) is spent, and equals the fixed run of its final size bit for",
        f"bit. Here it {'reached the target' if stopped == 'target' else 'spent its budget'}"
        f" after **{precise.draws} draws**: P({CLAIM}) = {pct(p_claim)} "
        f"(standard error {pct(se_claim)}).",
        "",
        "## Goal seek: how large a compute commitment can pay back?",
        "",
        f"`simlab.goal_seek` finds the value of `{param}` (OpenAI's compute commitment in",
        "USD, uncertain in the scenario and set here in every draw) at which",
        f"P({CLAIM}) = {target:g}, i.e. a {1 - target:.0%} chance that the compute pays back",
        "(less compute leaves OpenAI short of capacity for its demand, so the chance rises",
        "with the commitment),",
        f"by bisection on the same {seek_draws} draws at every trial (common random",
        "numbers):",
        "",
    ]
    if seek is not None:
        lines += [
            f"- answer: **{fmt(seek.value)}** (bracket {seek.bracket[0]:.5g} to "
            f"{seek.bracket[1]:.5g}, {len(seek.evaluations)} trials);",
            f"- Monte Carlo interval (95 %): {fmt(seek.low)} to {fmt(seek.high)}, where the",
            "  probability crosses the target plus or minus 1.96 of its standard errors.",
            "",
        ]
    else:
        lines += [f"In this version of the model there is no such value: {not_bracketed}.", ""]
    lines += [
        "## Reading these numbers",
        "",
        "- A box is a description of the draws, not a forecast: it says which",
        "  combinations of the scenario's assumptions produce the outcome in the model.",
        "- Coverage and density trade off; the chosen box is one reasonable point of the",
        "  trajectory. Pick another with `found.box(i)`.",
        "- Inputs that are not restricted may still matter in ways one box cannot show;",
        "  the drivers table ranks all of them.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write or check docs/discovery.md; exit 0 when written or up to date, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = compute(figures=not args.check)
    if args.check:
        problems = []
        if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != text:
            problems.append(
                f"{OUTPUT.relative_to(REPO)} is stale; run python docs/gen_discovery.py"
            )
        for name in FIGURES:
            if not (IMG / name).is_file():
                problems.append(f"docs/img/discovery/{name} is missing")
        for problem in problems:
            print(f"gen_discovery: {problem}", file=sys.stderr)
        if not problems:
            print(f"{OUTPUT.relative_to(REPO)} is up to date")
        return 1 if problems else 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)} and {len(FIGURES)} figures in docs/img/discovery/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
