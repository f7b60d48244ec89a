"""Fit the API growth's half-life to its anchor: OpenAI's own revenue projection for 2030.

Usage::

    python docs/fit_halflife.py           # print the fit and write it into the scenarios
    python docs/fit_halflife.py --check   # exit 1 if the scenarios are not current

The API potential grew about fourfold a year in 2023-2025 (the calibrated start rate,
docs/calibration.md); no market grows so for a decade, so the rate decays with a
half-life (docs/model.md, "Decaying growth"). History cannot identify the half-life, and
the claims about OpenAI's finances rest on it (docs/calibration.md's table). Its anchor is
OpenAI's own projection, USD 174-200 B of revenue in 2030 (OPENAI-PROJ): an optimistic
one, since no US firm went from 10 to 100 B of sales in under seven years
(EPOCH-GROWTH). The half-life's mode is the one at which baseline-2025's median OpenAI
revenue in 2030 is the projection's midpoint, found by bisection over seeded runs (the
same draws each time); the PERT spans half to twice the mode. The developer and
enterprise segments share it, and deepseek-shock-2025 sets the same at 2025-11.

Run it after docs/fit_calibrated.py and docs/fit_baseline.py (it takes the calibrated
start rate and the start market as they are), then the pin and the generated pages.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
from pathlib import Path

import numpy as np

import simlab

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

ANCHOR = 187e9  # USD, the midpoint of OpenAI's projected 174-200 B for 2030 (OPENAI-PROJ)
YEAR = 2030
DRAWS, SEED = 1000, 7
SEGMENTS = ("developer", "enterprise")
SOURCE = "OPENAI-PROJ; EPOCH-GROWTH"


def pert(mode: float) -> dict[str, object]:
    """The half-life's distribution for a mode (years): PERT from half to twice it."""
    return {"value": mode, "dist": "pert", "low": mode / 2, "mode": mode, "high": 2 * mode}


def median_revenue(sc: simlab.Scenario, mode: float) -> float:
    """Median OpenAI revenue in :data:`YEAR` over the seeded draws, at a half-life mode."""
    doc = copy.deepcopy(dict(sc.document))
    doc.pop("extends", None)
    for seg in SEGMENTS:
        entry = doc["segments"][seg]["growth_halflife"]
        doc["segments"][seg]["growth_halflife"] = {**entry, **pert(mode)}
    trial = simlab.Scenario.from_dict(doc, origin=f"{sc.origin} (half-life {mode:g})")
    res = simlab.run(trial, draws=DRAWS, seed=SEED, progress=False, metrics=["revenue_year"])
    return float(np.median(res.metric("revenue_year", "openai", year=YEAR)))


def fit(sc: simlab.Scenario) -> tuple[float, float]:
    """Return the mode (years, two decimals) that meets the anchor, and its median."""
    lo, hi = 0.1, 8.0
    if median_revenue(sc, lo) > ANCHOR or median_revenue(sc, hi) < ANCHOR:
        raise SystemExit(f"fit_halflife: the anchor is not met for a mode in [{lo}, {hi}] years")
    for _ in range(12):  # on a log scale: 8 / 0.1 = 80, 12 halvings reach 0.1 %
        mid = math.sqrt(lo * hi)
        if median_revenue(sc, mid) < ANCHOR:
            lo = mid
        else:
            hi = mid
    mode = round(math.sqrt(lo * hi), 2)
    return mode, median_revenue(sc, mode)


def entry(mode: float, median: float, note: str | None = None) -> str:
    """The TOML value of a half-life entry."""
    p = pert(mode)
    text = note or (
        "the API potential grew about 4x a year in 2023-2025 (HINDCAST, the start rate); no "
        "market grows so for a decade. The half-life's mode is fitted (docs/fit_halflife.py) "
        f"so that the median OpenAI revenue in {YEAR} is the midpoint of its own projection "
        f"(174-200 B; here {median / 1e9:.0f} B over {DRAWS:,} draws), itself faster than any "
        "US firm's rise from 10 to 100 B (at least seven years): an optimistic anchor, so not "
        "longer; half to twice the mode"
    )
    return (
        f'{{ value = {p["value"]:g}, dist = "pert", low = {p["low"]:g}, mode = {p["mode"]:g}, '
        f'high = {p["high"]:g}, source = "{SOURCE}", note = "{text}" }}'
    )


def rewrite(text: str, table_keys: list[tuple[str, str]], value: str) -> str:
    """Return a TOML file's text with ``key = ...`` under each ``[table]`` set to ``value``."""
    lines = text.split("\n")
    for table, key in table_keys:
        start = lines.index(f"[{table}]")
        for k in range(start + 1, len(lines)):
            if lines[k].startswith("["):
                raise SystemExit(f"fit_halflife: no '{key} = ...' under [{table}]")
            if lines[k].startswith(f"{key} = "):
                lines[k] = f"{key} = {value}"
                break
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the fitted half-life, or with ``--check`` exit 1 when it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a scenario is stale")
    args = parser.parse_args(argv)
    sc = simlab.load_scenario("baseline-2025")
    mode, median = fit(sc)
    print(f"half-life mode {mode} years: median OpenAI revenue in {YEAR} {median / 1e9:.1f} B")
    edits = {
        "baseline-2025": (
            [(f"segments.{s}", "growth_halflife") for s in SEGMENTS],
            entry(mode, median),
        ),
        "deepseek-shock-2025": (
            [(f"events.{s}-halflife-2026", "value") for s in SEGMENTS],
            entry(mode, median, "the baseline-2025 half-life of this segment's growth (see there)"),
        ),
    }
    stale = []
    for name, (places, value) in edits.items():
        path = SCENARIOS / f"{name}.toml"
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, places, value)
        if new != old:
            stale.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
                simlab.load_scenario(path)  # still valid
                print(f"wrote {path.relative_to(REPO)}")
    if args.check:
        if stale:
            print(
                f"{', '.join(stale)} not current: run python docs/fit_halflife.py", file=sys.stderr
            )
            return 1
        print("the half-life is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
