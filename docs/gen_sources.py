"""Generate docs/sources.md: every figure of the shipped scenarios and where it comes from.

Usage::

    python docs/gen_sources.py           # (re)write docs/sources.md
    python docs/gen_sources.py --check   # exit 1 if docs/sources.md is out of date

The page is built through the library (``Scenario.params``, ``Scenario.source_of``,
``ScenarioSpec.references``), never by re-reading the TOML, so it lists what a run uses: a
figure a variant inherits through ``extends`` counts for every scenario that uses it, and rows
with the same path, value and source are merged into one. Parameters the engine never reads
(e.g. a share-defence ``cut`` under a ``fixed`` pricing rule, or capex settings of a provider
without capex events) are left out; :func:`used_params` says which. The output depends only
on the scenario files, so it is deterministic.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from simlab.scenario.load import Scenario, load_scenario  # noqa: E402
from simlab.scenario.params import Param  # noqa: E402
from simlab.scenario.schema import CapexEvent  # noqa: E402

SCENARIOS = REPO / "scenarios"
OUTPUT = REPO / "docs" / "sources.md"

#: Parameters each pricing rule reads (``providers.X.pricing.<name>``).
RULE_PARAMS = {
    "fixed": {"drift"},
    "share_defense": {"drift", "review", "trigger", "cut", "lag", "floor"},
    "cost_plus": {"markup"},
    "follow": {"ratio"},
    "best_response": {"review", "adjust", "ceiling"},
}
#: Segment parameters read only under seat billing.
SEAT_PARAMS = {"free_share", "tokens_per_seat", "seat_price"}
#: Segment parameters not read under seat billing.
TOKEN_PARAMS = {"elasticity", "leakage"}
#: Parameters each projected-release mode reads (``providers.X.releases.<name>``).
MODE_PARAMS = {
    "step": {"first", "cadence", "step", "training_cost", "training_growth"},
    "catch_up": {"first", "cadence", "catch_up", "training_cost", "training_growth"},
    "lead": {"first", "cadence", "lead", "training_cost", "training_growth"},
    "frontier": {"first", "cadence", "gap_change", "training_cost", "training_growth"},
}
#: Provider parameters read only through capex events.
CAPEX_PARAMS = {
    "capacity_cost",
    "capacity_cost_decline",
    "capex_lead",
    "capex_life",
    "own_cost_share",
}


def written(document: object, path: str) -> bool:
    """Whether the resolved document spells out ``path`` (rather than taking a default)."""
    node = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def used_params(sc: Scenario) -> dict[str, Param]:
    """Return the parameters of ``sc`` that a run reads, by path, in file order.

    Left out: pricing parameters of other rules than the provider's, release parameters of
    other modes, the frontier's rate without a ``frontier0``, and a provider's capacity
    settings when it owns no capacity (no ``capacity`` and no capex event;
    ``capex_lead``/``capex_life`` also when every such event sets its own). A figure written
    in a file but never read (e.g. a ``markup`` inherited by a variant that switched the rule)
    is not a figure the scenario uses.
    """
    spec = sc.spec
    capex_events: dict[str, list[CapexEvent]] = {}
    for event in spec.events.values():
        if isinstance(event, CapexEvent):
            capex_events.setdefault(event.provider, []).append(event)
    out: dict[str, Param] = {}
    for path, param in sc.params.items():
        parts = path.split(".")
        used = True
        if path == "quality.frontier_rate":
            # Without frontier0 the frontier sits at the index's maximum: no trend to draw.
            used = spec.quality.frontier0 is not None
        if parts[0] == "segments" and parts[2] in SEAT_PARAMS:
            used = spec.segments[parts[1]].billing == "seats"
        if parts[0] == "segments" and parts[2] in TOKEN_PARAMS:
            used = spec.segments[parts[1]].billing == "tokens"
        if parts[0] == "providers":
            name, rest = parts[1], parts[2:]
            provider = spec.providers[name]
            if rest[0] == "pricing":
                used = rest[1] in RULE_PARAMS[provider.pricing.rule]
            elif rest[0] == "releases" and provider.releases is not None:
                used = rest[1] in MODE_PARAMS[provider.releases.mode]
            elif rest[0] in CAPEX_PARAMS:
                # Owned capacity: the start's (which retires over capex_life, is valued
                # at capacity_cost in the terminal value) and what capex events buy.
                events = capex_events.get(name, [])
                owns = provider.capacity is not None
                if rest[0] == "capex_lead":
                    used = any(e.lead is None for e in events)
                elif rest[0] == "capex_life":
                    used = owns or any(e.life is None for e in events)
                else:
                    used = owns or bool(events)
        if used:
            out[path] = param
    return out


def value_text(param: Param) -> str:
    """Return the point value, and the distribution when the figure is uncertain."""
    if param.dist is None:
        return param.display()
    return f"{param.dist.describe()}; point {param.display()}"


def source_text(param: Param) -> str:
    """Return the source as written (reference keys kept) with its note, or the assumption."""
    if param.source:
        text = param.source
    elif param.assumption:
        text = f"assumption: {param.assumption}"
    else:
        text = "(none)"
    if param.note:
        text += f" ({param.note})"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def load_catalog(folder: Path = SCENARIOS) -> list[Scenario]:
    """Load every scenario file of ``folder``, sorted by name."""
    return [load_scenario(path) for path in sorted(folder.glob("*.toml"))]


def render(scenarios: list[Scenario]) -> str:
    """Return the text of docs/sources.md for these scenarios."""
    # (path, value, expanded source) -> [shown source, unit, scenarios]; dict keeps the
    # order of first appearance: the first scenario's file order, then what others add.
    rows: dict[tuple[str, str, str], list] = {}
    counts: dict[str, tuple[int, int]] = {}
    for sc in scenarios:
        params = used_params(sc)
        sourced = 0
        for path, param in params.items():
            expanded = sc.source_of(path) + (f" ({param.note})" if param.note else "")
            key = (path, value_text(param), expanded)
            row = rows.setdefault(key, [source_text(param), sc.unit_of(path), []])
            row[2].append(sc.name)
            sourced += bool(param.source)
        counts[sc.name] = (len(params), sourced)

    lines = [
        "# Sources",
        "",
        "<!-- Generated by docs/gen_sources.py from scenarios/*.toml; do not edit by hand. -->",
        "",
        "Every figure the shipped scenarios use, with its source or, where no source exists, "
        "the one-line assumption behind it. Source keys (`A3`, `AA`, ...) are those of the "
        "scenario's `[references]`, listed at the end of this page. A figure a variant "
        "inherits through `extends` is listed for every scenario that uses it; rows with the "
        "same path, value and source are merged. Distributions show their point value (used "
        "by a single point run) after the semicolon.",
        "",
        "## Scenarios",
        "",
    ]
    lines += _table(
        ["scenario", "title", "extends", "horizon", "figures", "with a source"],
        [
            [
                f"`{sc.name}`",
                sc.title,
                f"`{sc.spec.extends}`" if sc.spec.extends else "",
                f"{sc.spec.start} to {sc.spec.end}",
                str(counts[sc.name][0]),
                str(counts[sc.name][1]),
            ]
            for sc in scenarios
        ],
    )
    lines += [
        "",
        "## Quality index",
        "",
        "Every quality figure of a scenario (a provider's `quality`, a release's, a need, the "
        "frontier) is a score on the one index its `[quality]` table names, and none exceeds "
        'that index\'s maximum (docs/model.md, "Quality"). Index versions are never mixed: '
        "Artificial Analysis replaced its Intelligence Index v3 on 2026-01-06 with v4, a "
        "rescaled index on which v3's top score of 73 is about 50.",
        "",
    ]
    lines += _table(
        ["scenario", "index", "maximum"],
        [[f"`{sc.name}`", sc.spec.quality.index, f"{sc.spec.quality.max:g}"] for sc in scenarios],
    )
    lines += ["", "## Figures", ""]
    lines += _table(
        ["path", "value", "unit", "source", "scenarios"],
        [
            [f"`{path}`", value, unit, shown, ", ".join(names)]
            for (path, value, _), (shown, unit, names) in rows.items()
        ],
    )
    lines += ["", "## References", ""]
    by_name = {sc.name: sc for sc in scenarios}
    for sc in scenarios:
        refs = sc.spec.references
        lines += [f"### `{sc.name}`: {sc.title}", ""]
        parent = by_name.get(sc.spec.extends or "")
        if parent is not None:
            own = {k: v for k, v in refs.items() if parent.spec.references.get(k) != v}
            lines.append(f"The references of `{parent.name}`" + (", plus:" if own else "."))
            refs = own
        if refs:
            if parent is not None:
                lines.append("")
            lines += [f"- **{key}**: {text}" for key, text in refs.items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write docs/sources.md, or with ``--check`` compare it with what would be written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if docs/sources.md is out of date"
    )
    args = parser.parse_args(argv)
    text = render(load_catalog())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(
                f"{OUTPUT.relative_to(REPO)} is out of date: run python docs/gen_sources.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
