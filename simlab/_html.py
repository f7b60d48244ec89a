"""HTML for notebooks: ``Scenario._repr_html_`` and ``Results._repr_html_``.

Plain HTML with inline styles (no script, no network), so that it renders the same in
Jupyter, VS Code and a saved notebook. The report (:mod:`simlab.report`) builds on the
same tables.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from simlab.results import Results
    from simlab.scenario.load import Scenario

__all__ = ["claims_rows", "headline_rows", "parameter_groups", "results_html", "scenario_html"]

#: One style block per repr; tables carry only its class.
STYLE = (
    "<style>.simlab-t{border-collapse:collapse;font-size:0.9em}"
    ".simlab-t th,.simlab-t td{padding:2px 8px;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}</style>"
)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="simlab-t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def parameter_groups(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Return the parameters table split by owner: market, finance, each segment, ..."""
    table = scenario.parameters
    groups: dict[str, list[str]] = {}
    for path in table.index:
        parts = str(path).split(".")
        owner = ".".join(parts[:2]) if parts[0] in ("segments", "providers", "events") else parts[0]
        groups.setdefault(owner, []).append(str(path))
    return {owner: table.loc[paths] for owner, paths in groups.items()}


def scenario_html(scenario: Scenario) -> str:
    """Return a scenario as HTML: header, providers, parameters grouped, claims."""
    spec = scenario.spec
    parts = [
        STYLE,
        f"<div><strong>Scenario {html.escape(scenario.name)}</strong>: "
        f"{html.escape(scenario.title)}<br>"
        f"{html.escape(spec.start)} to {html.escape(spec.end)} (end exclusive) by "
        f"{html.escape(spec.step)}; {len(scenario.params)} parameters, "
        f"{len(scenario.uncertain)} uncertain; file {html.escape(scenario.origin)}</div>",
    ]
    if spec.description:
        parts.append(f"<p>{html.escape(' '.join(spec.description.split()))}</p>")
    providers = [
        [name, scenario.label(name), p.kind, p.region] for name, p in spec.providers.items()
    ]
    parts.append(_table(["provider", "label", "kind", "region"], providers))
    for owner, rows in parameter_groups(scenario).items():
        body = _table(
            ["parameter", "value or distribution", "unit", "source"],
            [
                [
                    str(path).removeprefix(owner + "."),
                    row["distribution"] or _value(row["value"]),
                    row["unit"],
                    row["source"],
                ]
                for path, row in rows.iterrows()
            ],
        )
        parts.append(
            f"<details><summary>{html.escape(owner)} ({len(rows)})</summary>{body}</details>"
        )
    if spec.claims:
        claims = [[key, c.expr, c.text] for key, c in spec.claims.items()]
        parts.append(
            "<p><strong>Claims</strong></p>" + _table(["claim", "condition", "text"], claims)
        )
    return "\n".join(parts)


def _value(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def headline_rows(results: Results) -> tuple[list[str], list[list[str]], list[str]]:
    """Return the headline summary in human units: headers, rows and notes."""
    from simlab.tables import cell, missing_cell

    summary = results.summary(human=True)
    stats = [c for c in summary.columns if str(c).startswith("q")]
    rows = []
    notes = []
    for key, row in zip(summary.index, summary.to_dict("records"), strict=True):
        label, who = str(key[0]), str(key[1])
        name = str(label).split(",")[0].split(" (")[0]
        rows.append(
            [
                str(label),
                " = ".join(results.scenario.label(w) for w in str(who).split(" = ")),
                *(cell(name, row[q]) for q in stats),
                missing_cell(int(row["nan"]), results.draws),
            ]
        )
        if row["note"]:
            notes.append(f"{name}[{who}]: {row['note']}")
    notes += list(summary.attrs.get("notes", []))
    return ["metric (unit)", "who", *stats, "draws with no value"], rows, notes


def claims_rows(results: Results) -> list[list[str]]:
    """Return the claims as rows: key, text, condition, probability, standard error, ..."""
    claims = results.claims()
    rows = []
    for key, row in claims.iterrows():
        undecided = f"{row['undecided']} of {results.draws}" if row["undecided"] else ""
        if row["note"]:
            undecided = f"{undecided}; {row['note']}" if undecided else str(row["note"])
        rows.append(
            [
                str(key),
                str(row["text"]),
                str(row["expr"]),
                _percent(row["probability"]),
                _percent(row["se"]),
                undecided,
            ]
        )
    return rows


def _percent(value: float) -> str:
    return "n/a" if value != value else f"{100 * float(value):.1f} %"


def results_html(results: Results) -> str:
    """Return a run as HTML: what was run, the headline metrics and the claims."""
    sc = results.scenario
    seed = "" if results.seed is None else f", seed {results.seed}"
    sampler = "" if results.sampler is None else f", sampler {results.sampler}"
    parts = [
        STYLE,
        f"<div><strong>Results of {html.escape(sc.name)}</strong>: "
        f"{html.escape(sc.title)}<br>{results.draws} draws{seed}{sampler}; "
        f"paths {'kept' if results.paths is not None else 'not kept'}</div>",
    ]
    headers, rows, notes = headline_rows(results)
    parts.append(f"<p>Quantiles over all {results.draws} draws</p>" + _table(headers, rows))
    if notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if sc.spec.claims:
        parts.append(
            "<p><strong>Claims</strong></p>"
            + _table(
                ["claim", "text", "condition", "probability", "std. error", "undecided"],
                claims_rows(results),
            )
        )
    return "\n".join(parts)
