"""A report people share: one self-contained HTML file of a run.

:func:`write_report` (also :meth:`Results.to_html <simlab.results.Results.to_html>` and
``simlab report``) writes the scenario's question and assumptions, the claims with their
probabilities and standard errors, what drives each claim (rank correlations over the
run's own draws), the headline metrics in units people read, the standard figures, and
every parameter with its source. The file needs no network to be read: the figures are
PNG images embedded as ``data:`` URIs, the styles are inline, there is no script and no
maths to typeset. The template is ``simlab/templates/report.html.j2`` (Jinja2, escaped).
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simlab._version import __version__
from simlab.errors import ScenarioError, SimlabWarning

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simlab.results import Results

__all__ = ["render_report", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"


def write_report(
    results: Results, path: str | os.PathLike[str], *, drivers: bool = True, top: int = 5
) -> Path:
    """Write a run as one self-contained HTML file.

    Parameters
    ----------
    results : Results
        The run.
    path : str or os.PathLike
        The file to write (``.html``); replaced if it exists.
    drivers : bool
        Rank each claim's drivers (Spearman rank correlation of each input with whether
        the claim holds, over the run's draws).
    top : int
        How many drivers to list per claim.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ScenarioError
        If the folder of ``path`` does not exist or ``top`` is not a positive integer.

    Examples
    --------
    >>> res = simlab.run("baseline-2025", draws=1000, seed=7)  # doctest: +SKIP
    >>> res.to_html("baseline.html")  # doctest: +SKIP
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise ScenarioError(f"{target}: its folder {target.parent} does not exist")
    text = render_report(results, drivers=drivers, top=top)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


def render_report(results: Results, *, drivers: bool = True, top: int = 5) -> str:
    """Return the report of :func:`write_report` as HTML text."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ScenarioError(f"top must be a positive integer, got {top!r}")
    import jinja2

    from simlab._html import claims_rows, headline_rows, parameter_groups

    sc = results.scenario
    spec = sc.spec
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    headers, rows, notes = headline_rows(results)
    claims = []
    claim_table = results.claims() if spec.claims else None
    for row in claims_rows(results):
        key = row[0]
        source = claim_table.loc[key, "source"] if claim_table is not None else ""
        claims.append(
            {
                "key": key,
                "text": row[1],
                "expr": row[2],
                "probability": row[3],
                "se": row[4],
                "undecided": row[5],
                "source": source,
            }
        )
    parameters = [
        {
            "owner": owner,
            "rows": [
                {
                    "path": str(path),
                    "value": row["distribution"] or _value(row["value"]),
                    "unit": row["unit"],
                    "source": row["source"],
                }
                for path, row in table.iterrows()
            ],
        }
        for owner, table in parameter_groups(sc).items()
    ]
    context = {
        "version": __version__,
        "written": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scenario": {
            "name": sc.name,
            "title": sc.title,
            "extends": spec.extends,
            "start": spec.start,
            "end": spec.end,
            "step": spec.step,
            "hash": sc.hash[:16],
            "description": [" ".join(p.split()) for p in spec.description.split("\n\n") if p],
            "n_params": len(sc.params),
            "n_uncertain": len(sc.uncertain),
        },
        "run": {"draws": results.draws, "seed": results.seed, "sampler": results.sampler},
        "providers": [
            {"name": n, "label": sc.label(n), "kind": p.kind, "region": p.region}
            for n, p in spec.providers.items()
        ],
        "claims": claims,
        "drivers": _claim_drivers(results, top) if drivers and claims else [],
        "drivers_top": top,
        "headline": {"headers": headers, "rows": rows, "notes": notes},
        "figures": _figures(results),
        "hindcast": "",
        "parameters": parameters,
        "references": list(spec.references.items()),
    }
    return env.get_template("report.html.j2").render(**context)


def _value(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _claim_drivers(results: Results, top: int) -> list[dict[str, Any]]:
    """Per claim: the inputs most rank-correlated with whether it holds."""
    import numpy as np

    from simlab.discover._data import outcome
    from simlab.discover.drivers import drivers

    out = []
    for key in results.scenario.spec.claims:
        held = outcome(results, key)
        decided = held[~np.isnan(held)]
        entry: dict[str, Any] = {"key": key, "rows": [], "why": ""}
        if results.inputs.shape[1] == 0:
            entry["why"] = "the run has no uncertain input"
        elif decided.size < 3 or decided.min() == decided.max():
            share = "every" if decided.size and decided.min() == 1 else "no"
            entry["why"] = f"the claim holds in {share} decided draw: nothing to rank"
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SimlabWarning)  # undecided draws left out
                table = drivers(results, held, methods=("spearman",))
            for name, value in table["spearman"].head(top).items():
                path = str(name)
                unit = results.scenario.unit_of(path) if path in results.scenario.params else ""
                entry["rows"].append({"input": path, "unit": unit, "value": f"{value:+.2f}"})
        out.append(entry)
    return out


def _figures(results: Results) -> list[dict[str, Any]]:
    """Return the standard figures as PNG data URIs, with captions."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed; the figures go into the file
    import matplotlib.pyplot as plt

    from simlab import plot

    spec = results.scenario.spec
    closed = [n for n, p in spec.providers.items() if p.kind == "closed"]
    draws: list[tuple[str, Callable[[], Figure]]] = [
        ("Market shares over time, mean over the draws", lambda: plot.shares(results)),
        (
            "Share of open-weight and closed providers: median, 50 % and 90 % bands",
            lambda: plot.fan(results, var="share", who=["open", "closed"], by="group"),
        ),
    ]
    if "npv" in results.metrics.data_vars:
        draws.append(
            (
                "NPV of the closed providers together: histogram, ECDF and P(NPV < 0)",
                lambda: plot.distribution(results, metric="npv", who="closed"),
            )
        )
        if closed:
            name = results.scenario.label(closed[0])
            draws.append(
                (
                    f"NPV of {name}: histogram, ECDF and P(NPV < 0)",
                    lambda: plot.distribution(results, metric="npv", who=closed[0]),
                )
            )
    figures = []
    for caption, draw in draws:
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        width, height = (round(float(v) * 100) for v in fig.get_size_inches())
        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        figures.append(
            {
                "src": f"data:image/png;base64,{data}",
                "caption": caption,
                "width": width,
                "height": height,
            }
        )
    return figures
