"""Figures of runs and sensitivity analyses, drawn with matplotlib.

Every function draws on ``ax`` when one is given (a new figure otherwise) and returns the
:class:`~matplotlib.figure.Figure`. matplotlib is imported inside the functions, so the
rest of simlab never needs it. One style throughout: closed providers in shades of blue,
open-weight providers in shades of orange; medians as lines, 50 % and 90 % bands as
shading; every axis labelled with its unit; money in billions of USD where large.

- runs: :func:`fan`, :func:`shares`, :func:`distribution`, :func:`compare`
- sensitivity: :func:`tornado`, :func:`spider`, :func:`heatmap` (two-parameter sweeps),
  :func:`sweep_line` (one-parameter sweeps), :func:`sobol_bars`, :func:`morris`
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from simlab.errors import ScenarioError
from simlab.metrics import YEARLY_METRICS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simlab.results import Results

__all__ = [
    "compare",
    "distribution",
    "fan",
    "heatmap",
    "morris",
    "shares",
    "sobol_bars",
    "spider",
    "sweep_line",
    "tornado",
]

#: Path variables that add up over a group's members; the others (price, cost, quality)
#: are share-weighted means over the members, as the engine's group metrics are.
_ADDITIVE_PATHS = ("share", "capacity", "owned", "served", "revenue", "capex", "fcf", "cash")

_NAMES = {
    "share": "Market share",
    "price": "Price",
    "quality": "Quality",
    "cost": "Serving cost",
    "capacity": "Capacity",
    "served": "Tokens served",
    "revenue": "Revenue",
    "revenue_year": "Revenue",
    "capex": "Capex",
    "training": "Training cost",
    "fcf": "Free cash flow",
    "cash": "Cash",
    "unmet": "Unmet demand",
    "adoption": "Adoption",
    "volume": "Token volume",
    "npv": "NPV",
    "irr": "IRR",
    "payback_years": "Payback time",
    "roi": "ROI on capex",
    "capex_coverage": "Capex coverage",
    "model_roi": "Model ROI",
    "valuation": "Implied valuation",
    "share_final": "Final market share",
    "price_final": "Final price",
    "quality_final": "Final quality",
    "price_index": "Price index",
    "unmet_share": "Unmet share of demand",
}

#: Metrics that cannot be below zero: no P(x < 0) to mark.
_NON_NEGATIVE = {
    "payback_years",
    "revenue",
    "capex",
    "training",
    "capex_coverage",
    "model_roi",
    "share_final",
    "price_final",
    "quality_final",
    "price_index",
    "unmet_share",
}

_COLOR_OPEN = "#e6550d"
_COLOR_CLOSED = "#3182bd"
_COLOR_ALL = "#525252"
_COLOR_LOW = "#3182bd"
_COLOR_HIGH = "#e6550d"
_FIGSIZE = (7.5, 4.5)


# --------------------------------------------------------------------------- style


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        raise ImportError(
            "simlab.plot needs matplotlib; install it with `pip install matplotlib`"
        ) from None
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float] = _FIGSIZE) -> tuple[Figure, Axes]:
    """Return ``ax`` and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value]
    plt = _pyplot()
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new


def _tidy(ax: Axes, grid: str = "y") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis=grid, alpha=0.3, linewidth=0.6)  # type: ignore[arg-type]
    ax.set_axisbelow(True)


def _shades(cmap_name: str, n: int) -> list[Any]:
    import matplotlib as mpl

    cmap = mpl.colormaps[cmap_name]
    if n == 1:
        return [cmap(0.7)]
    return [cmap(x) for x in np.linspace(0.9, 0.45, n)]


def _provider_colors(kinds: Sequence[str]) -> list[Any]:
    """Return colours: closed providers in blues, open-weight ones in oranges, in order."""
    closed = _shades("Blues", sum(k == "closed" for k in kinds))
    opened = _shades("Oranges", sum(k != "closed" for k in kinds))
    out = []
    for kind in kinds:
        out.append(closed.pop(0) if kind == "closed" else opened.pop(0))
    return out


def _group_color(group: str, i: int) -> Any:
    if group == "open":
        return _COLOR_OPEN
    if group == "closed":
        return _COLOR_CLOSED
    if group == "all":
        return _COLOR_ALL
    import matplotlib as mpl

    return mpl.colormaps["Dark2"](i % 8)


def _scale(units: str, values: np.ndarray) -> tuple[float, str]:
    """Return a factor and a unit label that keep large money and token figures readable."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if units in ("1", "share"):
        return 1.0, "fraction"
    if units.startswith("USD") and not units.startswith("USD per million"):
        rest = units[3:]
        if top >= 1e9:
            return 1e-9, f"billion USD{rest}"
        if top >= 1e6:
            return 1e-6, f"million USD{rest}"
        return 1.0, units
    if units.startswith("tokens") and top >= 1e12:
        return 1e-12, f"trillion {units}"
    return 1.0, units or "as stated"


def _time_axis(ax: Axes, x: np.ndarray) -> None:
    """Readable ticks for a date axis (years and months without overlap)."""
    if np.issubdtype(np.asarray(x).dtype, np.datetime64):
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _label(name: str, units: str, who: str | None = None) -> str:
    text = _NAMES.get(name, name)
    if who:
        text += f" of {who}"
    return f"{text} ({units})"


# --------------------------------------------------------------------- run figures


def _series(results: Results, var: str, by: str) -> tuple[xr.DataArray, str, str]:
    """Return ``var`` as a DataArray (draw, x, member), the x dim's name and x label.

    Paths (per step) are used when the run kept them and hold ``var``; otherwise the yearly
    metrics (``share``, ``price``, ``quality``, ``revenue_year``).
    """
    if by not in ("provider", "group", "segment"):
        raise ScenarioError(f"by must be 'provider', 'group' or 'segment', got {by!r}")
    paths = results.paths
    if paths is not None and var in paths.data_vars:
        data = paths[var]
        if by == "segment":
            if "segment" not in data.dims:
                raise ScenarioError(f"path {var!r} is not by segment (it is by {data.dims[-1]})")
            out = data
        elif "provider" not in data.dims:
            raise ScenarioError(
                f"path {var!r} is by {data.dims[-1]}, not by provider; use by='segment'"
            )
        elif by == "provider":
            out = data
        else:
            out = _group_paths(results, paths, var)
        out = out.rename({out.dims[-1]: "member"})
        out.attrs = dict(data.attrs)
        return out, "time", "Date (start of step)"
    if var in YEARLY_METRICS:
        if by == "segment":
            raise ScenarioError(f"metric {var!r} is by provider or group, not by segment")
        name = var if by == "provider" else f"{var}_by_group"
        data = results.metrics[name]
        out = data.rename({data.dims[-1]: "member"})
        out.attrs = dict(data.attrs)
        return out, "year", "Year (calendar)"
    allowed = list(YEARLY_METRICS)
    if paths is not None:
        allowed += [str(v) for v in paths.data_vars]
    hint = "" if paths is not None else " (run with paths=True for per-step paths)"
    raise ScenarioError(
        f"cannot draw {var!r} over time; allowed: {', '.join(dict.fromkeys(allowed))}{hint}"
    )


def _group_paths(results: Results, paths: xr.Dataset, var: str) -> xr.DataArray:
    from simlab.engine.metrics import group_matrix

    scenario = results.scenario
    groups = [str(g) for g in results.metrics.coords["group"].values]
    member = xr.DataArray(
        group_matrix(scenario).astype(np.float64),
        dims=("group", "provider"),
        coords={"group": groups, "provider": scenario.providers},
    )
    values = paths[var].astype(np.float64)
    if var in _ADDITIVE_PATHS:
        return xr.dot(values, member, dim="provider")
    weight = paths["share"].astype(np.float64)
    total = xr.dot(weight, member, dim="provider")
    weighted = xr.dot(values * weight, member, dim="provider")
    return weighted / total.where(total != 0)


def _members(data: xr.DataArray, who: str | Sequence[str] | None) -> list[str]:
    known = [str(m) for m in data.coords["member"].values]
    if who is None:
        return known
    chosen = [who] if isinstance(who, str) else [str(w) for w in who]
    for name in chosen:
        if name not in known:
            raise ScenarioError(
                f"unknown provider, group or segment {name!r} (known: {', '.join(known)})"
            )
    return chosen


def _member_colors(results: Results, data: xr.DataArray, members: Sequence[str]) -> list[Any]:
    providers = results.scenario.providers
    if all(m in providers for m in members):
        kinds = [results.scenario.spec.providers[p].kind for p in providers]
        colors = dict(zip(providers, _provider_colors(kinds), strict=True))
        return [colors[m] for m in members]
    import matplotlib as mpl

    return [
        _group_color(m, i)
        if m in ("open", "closed", "all") or m.startswith("region=")
        else mpl.colormaps["tab10"](i % 10)
        for i, m in enumerate(members)
    ]


def _quantiles(values: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps (before an entry)
        return np.nanquantile(values, qs, axis=0)


def fan(
    results: Results,
    var: str = "share",
    who: str | Sequence[str] | None = None,
    by: str = "provider",
    ax: Axes | None = None,
) -> Figure:
    """Draw a fan chart: the median of ``var`` over time with its 50 % and 90 % bands.

    Parameters
    ----------
    results : Results
        A run. Its per-step paths are used when it kept them (``paths=True``) and they hold
        ``var``; otherwise the yearly metrics ``share``, ``price``, ``quality`` or
        ``revenue_year``, by calendar year.
    var : str
        The variable: a path variable (``share``, ``price``, ``cost``, ``quality``,
        ``served``, ``revenue``, ``cash``, ``adoption``, ...) or a yearly metric.
    who : str or sequence of str, optional
        Providers, groups or segments to draw (all of them when omitted).
    by : {"provider", "group", "segment"}
        What ``who`` names. Groups of paths add their members' additive variables (shares,
        flows) and take share-weighted means of the others (price, cost, quality).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ScenarioError
        For a variable the run does not hold, or an unknown ``who``.

    Examples
    --------
    >>> res = simlab.run("baseline-2025", draws=1000, seed=1, paths=True)  # doctest: +SKIP
    >>> simlab.plot.fan(res, "share", who=["openai", "deepseek"])  # doctest: +SKIP
    """
    data, xdim, xlabel = _series(results, var, by)
    members = _members(data, who)
    colors = _member_colors(results, data, members)
    x = data.coords[xdim].values
    stacked = data.sel(member=members).transpose("draw", xdim, "member").to_numpy()
    factor, units = _scale(str(data.attrs.get("units", "")), stacked)
    qs = _quantiles(stacked.astype(np.float64) * factor, [0.05, 0.25, 0.5, 0.75, 0.95])
    names = [results.scenario.label(m) for m in members]
    if ax is None and len(members) > _FAN_PANELS:
        # Many bands on one axes overlap unreadably: one small panel each, same y scale.
        plt = _pyplot()
        cols = 3
        rows = -(-len(members) // cols)
        fig, grid = plt.subplots(
            rows, cols, figsize=(11, 2.6 * rows), sharex=True, sharey=True, layout="constrained"
        )
        panels = list(np.ravel(grid))
        for panel in panels[len(members) :]:
            fig.delaxes(panel)
        for j, panel in enumerate(panels[: len(members)]):
            _fan_one(panel, x, qs[:, :, j], colors[j], names[j])
            panel.set_title(names[j], fontsize="medium")
            panel.set_ylabel(_label(var, units) if j % cols == 0 else f"({units})")
            panel.set_xlabel(xlabel if j >= len(members) - cols else "")
            _time_axis(panel, x)
            _tidy(panel)
        panels[0].set_xlabel(xlabel)
        panels[0].legend(*_fan_legend(panels[0]), frameon=False, fontsize="x-small")
        fig.suptitle(f"{_NAMES.get(var, var)}: median, 50 % and 90 % bands ({results.draws} draws)")
        return fig
    fig, ax = _axes(ax)
    for j, (name, color) in enumerate(zip(names, colors, strict=True)):
        _fan_one(ax, x, qs[:, :, j], color, name)
    ax.legend(*_fan_legend(ax), frameon=False, fontsize="small", ncol=1 + len(members) // 6)
    _time_axis(ax, x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_label(var, units))
    ax.set_title(f"{_NAMES.get(var, var)}: median, 50 % and 90 % bands ({results.draws} draws)")
    _tidy(ax)
    return fig


#: A fan chart of more members than this, on a new figure, gets one panel per member.
_FAN_PANELS = 4


def _fan_one(ax: Axes, x: np.ndarray, qs: np.ndarray, color: Any, name: str) -> None:
    """Draw one member's 90 % and 50 % bands and its median line."""
    ax.fill_between(x, qs[0], qs[4], color=color, alpha=0.15, linewidth=0)
    ax.fill_between(x, qs[1], qs[3], color=color, alpha=0.35, linewidth=0)
    ax.plot(x, qs[2], color=color, linewidth=2, label=f"{name}, median")


def _fan_legend(ax: Axes) -> tuple[list[Any], list[str]]:
    """Return the legend of a fan: each median line, then what the two bands are."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="0.5", alpha=0.5), Patch(color="0.5", alpha=0.2)]
    labels += ["50 % band (25th-75th percentile)", "90 % band (5th-95th percentile)"]
    return handles, labels


def shares(results: Results, ax: Axes | None = None) -> Figure:
    """Draw the mean market share of each provider over time, stacked.

    Closed providers are stacked first, in blues; open-weight providers above them, in
    oranges. Means over the draws are stacked (they add up to 1, as shares do in every
    draw; medians taken provider by provider would not); :func:`fan` shows the spread.

    Parameters
    ----------
    results : Results
        A run; per-step paths are used when it kept them, yearly shares otherwise.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    data, xdim, xlabel = _series(results, "share", "provider")
    spec = results.scenario.spec
    providers = results.scenario.providers
    order = [p for p in providers if spec.providers[p].kind == "closed"]
    order += [p for p in providers if spec.providers[p].kind != "closed"]
    colors = _member_colors(results, data, order)
    stacked = data.sel(member=order).transpose("draw", xdim, "member").to_numpy()
    mean = np.nan_to_num(stacked.astype(np.float64).mean(axis=0))
    fig, ax = _axes(ax)
    x = data.coords[xdim].values
    labels = [f"{results.scenario.label(p)} ({spec.providers[p].kind})" for p in order]
    ax.stackplot(x, mean.T, labels=labels, colors=colors, alpha=0.9, linewidth=0.3)
    ax.set_ylim(0, max(1.0, float(mean.sum(axis=1).max()) * 1.02))
    ax.set_xlim(x[0], x[-1])
    _time_axis(ax, x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Market share, mean over draws (fraction)")
    ax.set_title(f"Market shares, closed (blue) vs open-weight (orange), {results.draws} draws")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        names[::-1],
        frameon=False,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    _tidy(ax)
    return fig


def _metric_values(
    results: Results, metric: str, who: str, year: int | None
) -> tuple[np.ndarray, str]:
    data = results.metric(metric, who, year)
    return data.to_numpy().astype(np.float64), str(data.attrs.get("units", ""))


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(values)
    return x, np.arange(1, x.size + 1) / x.size


def distribution(
    results: Results,
    metric: str = "npv",
    who: str = "openai",
    ax: Axes | None = None,
    year: int | None = None,
    bins: int = 50,
    clip: tuple[float, float] | None = (0.01, 0.99),
) -> Figure:
    """Draw a metric's distribution over draws: histogram, ECDF, and P(x < 0) marked.

    Parameters
    ----------
    results : Results
        A run.
    metric : str
        A per-draw metric (``npv``, ``irr``, ``payback_years``, ...); yearly ones need
        ``year``.
    who : str
        A provider or a group (``all``, ``open``, ``closed``, ``region=XX``).
    ax : matplotlib.axes.Axes, optional
        Where to draw the histogram; the ECDF goes on a twin axis.
    year : int, optional
        The calendar year of a yearly metric.
    bins : int
        Histogram bins.
    clip : (float, float) or None
        The quantile range the x axis shows (by default the 1st to the 99th percentile),
        so that a few tail draws do not squeeze the rest into one bar; the figure says
        how many draws lie outside it. None shows every draw.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Every draw counts, as in :meth:`Results.summary <simlab.results.Results.summary>`:
    a payback that never comes ranks last and a missing IRR ranks below every rate when
    the NPV is negative (above when not), so the ECDF and P(x < 0) are over all draws;
    such draws lie off the axis and are counted in the title. Draws with no value and no
    rank are left out, and counted too. P(x < 0) is not marked for metrics that cannot
    be negative (payback time, shares, prices, ...).
    """
    from simlab.tables import ordered_values

    if clip is not None and not (0.0 <= clip[0] < clip[1] <= 1.0):
        raise ScenarioError(f"clip must be two quantiles 0 <= low < high <= 1, got {clip!r}")
    ranked, _ = ordered_values(results, metric, who, year)
    units = str(results.metric(metric, who, year).attrs.get("units", ""))
    counted = ranked[~np.isnan(ranked)]
    unranked = ranked.size - counted.size
    finite = counted[np.isfinite(counted)]
    factor, shown_units = _scale(units, finite)
    name = results.scenario.label(who)
    fig, ax = _axes(ax)
    twin = ax.twinx()
    ax.set_xlabel(_label(metric, shown_units, name))
    ax.set_ylabel("Draws (count)")
    twin.set_ylabel("Cumulative probability (fraction)")
    twin.set_ylim(0, 1.02)
    mark = not (metric in _NON_NEGATIVE and (finite >= 0).all())
    outside = 0
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if clip is not None:
            lo = float(np.quantile(finite, clip[0], method="lower"))
            hi = float(np.quantile(finite, clip[1], method="higher"))
        shown = finite[(finite >= lo) & (finite <= hi)]
        outside = int(finite.size - shown.size)
        ax.hist(shown * factor, bins=bins, color=_COLOR_CLOSED, alpha=0.55, label="histogram")
        xs, ps = _ecdf(counted * factor)  # over every ranked draw, +-inf included
        keep = np.isfinite(xs)
        twin.step(xs[keep], ps[keep], where="post", color=_COLOR_ALL, linewidth=1.5)
        pad = 0.02 * (hi - lo) * factor or 1.0
        ax.set_xlim(lo * factor - pad, hi * factor + pad)
        p_neg = float(np.mean(counted < 0))
        se = float(np.sqrt(p_neg * (1 - p_neg) / counted.size))
        if mark and lo <= 0 <= hi:
            ax.axvline(0.0, color=_COLOR_OPEN, linewidth=1.5, linestyle="--")
            twin.plot([0.0], [p_neg], marker="o", color=_COLOR_OPEN)
        if mark:
            ax.text(
                0.02,
                0.95,
                f"P({_NAMES.get(metric, metric)} < 0) = {p_neg:.3f} ± {se:.3f}",
                transform=ax.transAxes,
                va="top",
                color=_COLOR_OPEN,
                fontweight="bold",
            )
    else:
        ax.text(0.5, 0.5, "no draw has a finite value", transform=ax.transAxes, ha="center")
    notes = []
    if clip is not None and outside:
        notes.append(
            f"axis: {clip[0]:.0%} to {clip[1]:.0%} quantile, {outside} draws outside not shown"
        )
    infinite = int(counted.size - finite.size)
    if metric == "irr" and np.isnan(results.metric(metric, who).to_numpy()).any():
        notes.append(_irr_note(results, who))
    elif infinite:
        what = "never pay back" if metric == "payback_years" else "have no value (ranked)"
        notes.append(f"{infinite} draws {what}, off the axis")
    if unranked:
        notes.append(f"{unranked} draws without a value left out")
    when = f" in {year}" if year is not None else ""
    title = f"{_NAMES.get(metric, metric)} of {name}{when}: {ranked.size} draws"
    ax.set_title(title + ("\n" + "; ".join(notes) if notes else ""), fontsize="medium")
    _tidy(ax)
    twin.spines[["top"]].set_visible(False)
    return fig


def _irr_note(results: Results, who: str) -> str:
    """Return the title note of an IRR panel: how many draws have none, why, where ranked."""
    from simlab.tables import irr_codes, irr_ranks, irr_reasons_text

    values = results.metric("irr", who).to_numpy()
    ranked, _ = irr_ranks(results, who)
    k, n = int(np.isnan(values).sum()), values.size
    below, above = int((ranked == -np.inf).sum()), int((ranked == np.inf).sum())
    where = [f"{below} below every rate" if below else "", f"{above} above" if above else ""]
    shown = ", ".join(w for w in where if w)
    return (
        f"{k} ({100.0 * k / n:.3g} %) have no IRR: "
        f"{irr_reasons_text(irr_codes(results, who), short=True)}"
        + (f"; ranked {shown}, off the axis" if shown else "")
    )


def compare(
    res_a: Results,
    res_b: Results,
    metric: str,
    who: str,
    ax: Axes | None = None,
    year: int | None = None,
    labels: Sequence[str] | None = None,
) -> Figure:
    """Compare a metric's distribution in two runs: their ECDFs and medians.

    Parameters
    ----------
    res_a, res_b : Results
        The two runs (e.g. a scenario and an edited copy).
    metric : str
        A per-draw metric; yearly ones need ``year``.
    who : str
        A provider or group present in both runs.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    year : int, optional
        The calendar year of a yearly metric.
    labels : sequence of two str, optional
        Legend labels; the scenario names by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if labels is None:
        a, b = res_a.scenario.name, res_b.scenario.name
        labels = (a, b) if a != b else (f"{a} (A)", f"{b} (B)")
    if len(labels) != 2:
        raise ScenarioError(f"labels must hold two names, got {list(labels)!r}")
    from simlab.tables import cell, ordered_values, quantiles_of

    va, units = _metric_values(res_a, metric, who, year)
    vb, _ = _metric_values(res_b, metric, who, year)
    both = np.concatenate([va, vb])
    factor, shown_units = _scale(units, both)
    fig, ax = _axes(ax)
    runs = ((res_a, va, labels[0], _COLOR_CLOSED), (res_b, vb, labels[1], _COLOR_OPEN))
    for res, values, label, color in runs:
        # Every draw counts, as in summaries: a missing IRR or payback ranked off the axis.
        ranked = ordered_values(res, metric, who, year)[0]
        counted = ranked[~np.isnan(ranked)]
        if not np.isfinite(counted).any():
            continue
        xs, ps = _ecdf(counted * factor)
        keep = np.isfinite(xs)
        median = quantiles_of(ranked, [0.5])[0]
        missing = int(np.isnan(values).sum())
        extra = f"; {missing} of {values.size} draws with no value" if missing else ""
        shown = cell(metric, median * factor) if np.isfinite(median) else cell(metric, median)
        ax.step(
            xs[keep],
            ps[keep],
            where="post",
            color=color,
            linewidth=2,
            label=f"{label} (median {shown}{extra})",
        )
        if np.isfinite(median):
            ax.axvline(float(median) * factor, color=color, linewidth=1, linestyle=":")
    name = res_a.scenario.label(who)
    ax.set_xlabel(_label(metric, shown_units, name))
    ax.set_ylabel("Cumulative probability (fraction)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small", loc="lower right", title="ECDF (median)")
    when = f" in {year}" if year is not None else ""
    ax.set_title(f"{_NAMES.get(metric, metric)} of {name}{when}: two runs compared")
    _tidy(ax, grid="both")
    return fig


# ------------------------------------------------------------- sensitivity figures


def _result_label(attrs: Mapping[Any, Any], values: np.ndarray) -> tuple[float, str]:
    """Factor and axis label of a sensitivity result, from the attrs sensitivity sets."""
    metric = str(attrs.get("metric", "metric"))
    who = attrs.get("who")
    statistic = attrs.get("statistic")
    units = str(attrs.get("units", ""))
    factor, shown = _scale(units, np.asarray(values, dtype=np.float64))
    text = _label(metric, shown, str(who) if who else None)
    if attrs.get("year") is not None:
        text = text.replace(" (", f" in {attrs['year']} (", 1)
    if statistic:
        lowered = text[0].lower() + text[1:] if text[1:2].islower() else text
        text = f"{str(statistic).capitalize()} of {lowered}"
    return factor, text


def _without_none(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Return sensitivity values with -inf/+inf as NaN (not drawn), and a note on them.

    A statistic is -inf or +inf where the draw it falls on has no IRR (ranked below or
    above every rate, as in summaries): it has no place on the axis, so it is left out of
    the figure and counted in its title rather than replaced by a statistic of the rest.
    """
    values = np.asarray(values, dtype=np.float64)
    infinite = np.isinf(values)
    if not infinite.any():
        return values, ""
    below = int((values == -np.inf).sum())
    above = int(infinite.sum()) - below
    parts = [f"{below} below every rate" if below else "", f"{above} above" if above else ""]
    note = (
        f"{int(infinite.sum())} values not drawn: their draw has no IRR "
        f"({', '.join(p for p in parts if p)})"
    )
    return np.where(infinite, np.nan, values), note


def tornado(df: pd.DataFrame, ax: Axes | None = None, top: int | None = 20) -> Figure:
    """Draw a tornado chart from :func:`simlab.tornado`: one bar pair per parameter.

    Parameters
    ----------
    df : pandas.DataFrame
        The table :func:`simlab.tornado` returns (columns ``parameter``, ``low_value``,
        ``high_value``, ``metric_low``, ``metric_high``, ``swing``, ``base``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    top : int, optional
        Draw only the ``top`` largest swings (all when None).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(df, ("parameter", "metric_low", "metric_high", "swing", "base"), "tornado")
    rows = df.sort_values("swing", ascending=False)
    if top is not None:
        rows = rows.head(top)
    rows = rows.iloc[::-1]
    values, none = _without_none(rows[["metric_low", "metric_high", "base"]].to_numpy())
    factor, xlabel = _result_label(df.attrs, values)
    low, high, base = (values * factor).T
    fig, ax = _axes(ax, figsize=(8.0, 1.2 + 0.35 * max(len(rows), 3)))
    y = np.arange(len(rows))
    center = float(base[0]) if len(base) else 0.0
    qlow, qhigh = df.attrs.get("low", 0.1), df.attrs.get("high", 0.9)
    ax.barh(
        y,
        low - center,
        left=center,
        color=_COLOR_LOW,
        alpha=0.85,
        height=0.7,
        label=f"parameter at its {qlow:.0%} quantile",
    )
    ax.barh(
        y,
        high - center,
        left=center,
        color=_COLOR_HIGH,
        alpha=0.85,
        height=0.7,
        label=f"parameter at its {qhigh:.0%} quantile",
    )
    ax.axvline(center, color=_COLOR_ALL, linewidth=1)
    ax.set_yticks(y, [str(p) for p in rows["parameter"]], fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Parameter (swung one at a time)")
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    title = "Tornado: change of the metric as each parameter swings"
    ax.set_title(title + (f"\n{none}" if none else ""), fontsize="medium" if none else None)
    _tidy(ax, grid="x")
    return fig


def spider(df: pd.DataFrame, ax: Axes | None = None, top: int | None = 10) -> Figure:
    """Draw a spider plot from :func:`simlab.spider`: the metric against each parameter's quantile.

    Parameters
    ----------
    df : pandas.DataFrame
        The long table :func:`simlab.spider` returns (columns ``parameter``,
        ``quantile``, ``value``, ``metric``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    top : int, optional
        Draw only the ``top`` parameters with the widest range of the metric.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(df, ("parameter", "quantile", "metric"), "spider")
    metric, none = _without_none(df["metric"].to_numpy())
    df = df.assign(metric=metric)
    spread = df.groupby("parameter", sort=False)["metric"].agg(lambda s: s.max() - s.min())
    names = list(spread.sort_values(ascending=False).index)
    if top is not None:
        names = names[:top]
    factor, ylabel = _result_label(df.attrs, metric)
    fig, ax = _axes(ax)
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10"]
    for i, name in enumerate(names):
        part = df[df["parameter"] == name].sort_values("quantile")
        ax.plot(
            part["quantile"],
            part["metric"] * factor,
            marker="o",
            color=cmap(i % 10),
            linewidth=1.8,
            label=str(name),
        )
    ax.set_xlabel("Quantile of the parameter's distribution (probability)")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    title = "Spider: the metric as each parameter moves through its quantiles"
    ax.set_title(title + (f"\n{none}" if none else ""), fontsize="medium" if none else None)
    _tidy(ax, grid="both")
    return fig


def _coord_label(da: xr.DataArray, dim: str) -> str:
    coord = da.coords[dim]
    if np.issubdtype(coord.dtype, np.datetime64):
        return f"{dim} (date)"
    units = str(coord.attrs.get("units", "")) or "as stated"
    return f"{dim} ({units})"


def heatmap(da: xr.DataArray, ax: Axes | None = None, statistic: str = "median") -> Figure:
    """Draw a two-parameter sweep from :func:`simlab.sweep` as a heat map with contours.

    Parameters
    ----------
    da : xarray.DataArray
        The sweep: two swept dims (and optionally ``statistic``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    statistic : str
        Which statistic to draw when ``da`` has a ``statistic`` dim.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ScenarioError
        If ``da`` does not have exactly two swept dims, or lacks ``statistic``.
    """
    if "statistic" in da.dims:
        have = [str(s) for s in da.coords["statistic"].values]
        if statistic not in have:
            raise ScenarioError(
                f"statistic {statistic!r} not in the sweep (it has {', '.join(have)})"
            )
        da = da.sel(statistic=statistic).assign_attrs({**da.attrs, "statistic": statistic})
    if da.ndim != 2:
        raise ScenarioError(
            f"heatmap needs a sweep over exactly two parameters, got dims {list(da.dims)}"
        )
    ydim, xdim = (str(d) for d in da.dims)
    z, none = _without_none(da.to_numpy())
    factor, zlabel = _result_label(dict(da.attrs), z)
    z = z * factor
    x = _numeric(da.coords[xdim].values)
    y = _numeric(da.coords[ydim].values)
    fig, ax = _axes(ax, figsize=(7.0, 5.0))
    # One cell per grid point, at equal size whatever the spacing of the values (a log
    # or uneven grid reads as well as a linear one); ticks name the grid values.
    mesh = ax.pcolormesh(np.arange(len(x)), np.arange(len(y)), z, shading="nearest", cmap="viridis")
    if z.size <= 64:
        finite = z[np.isfinite(z)]
        middle = float(np.median(finite)) if finite.size else 0.0
        for (i, j), value in np.ndenumerate(z):
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    f"{value:.3g}",
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="black" if value > middle else "white",
                )
    _grid_ticks(ax.set_xticks, x, horizontal=True)
    _grid_ticks(ax.set_yticks, y, horizontal=False)
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(zlabel)
    ax.set_xlabel(_coord_label(da, xdim))
    ax.set_ylabel(_coord_label(da, ydim))
    statistic = str(da.attrs.get("statistic", "value"))
    draws = da.attrs.get("draws")
    over = f" over {draws} draws" if draws else ""
    title = f"Sweep: {statistic}{over} at each grid point"
    ax.set_title(title + (f"\n{none}" if none else ""), fontsize="medium" if none else None)
    return fig


def _grid_ticks(setter: Any, values: np.ndarray, horizontal: bool) -> None:
    """Tick every grid value (about 8 at most), labelled with its value."""
    n = len(values)
    step = max(1, int(np.ceil(n / 8)))
    where = np.arange(0, n, step)
    labels = [
        f"{float(v):.3g}" if np.issubdtype(np.asarray(values).dtype, np.number) else str(v)
        for v in np.asarray(values)[where]
    ]
    setter(where, labels, rotation=45 if horizontal and n > 5 else 0)


def sweep_line(da: xr.DataArray, ax: Axes | None = None) -> Figure:
    """Draw a one-parameter sweep from :func:`simlab.sweep`: the statistics against the value.

    The median is a solid line, the mean dashed, and a band joins the lowest and highest
    percentiles (e.g. ``q05`` to ``q95``) when the sweep has them.

    Parameters
    ----------
    da : xarray.DataArray
        The sweep: one swept dim (and optionally ``statistic``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ScenarioError
        If ``da`` does not have exactly one swept dim.
    """
    swept = [str(d) for d in da.dims if d != "statistic"]
    if len(swept) != 1:
        raise ScenarioError(
            f"sweep_line needs a sweep over one parameter, got dims {list(da.dims)}"
        )
    (dim,) = swept
    if "statistic" not in da.dims:
        da = da.expand_dims(statistic=[str(da.attrs.get("statistic", "value"))])
    stats = [str(s) for s in da.coords["statistic"].values]
    z, none = _without_none(da.transpose(dim, "statistic").to_numpy())
    factor, ylabel = _result_label({**da.attrs, "statistic": None}, z)
    z = z * factor
    x = _numeric(da.coords[dim].values)
    fig, ax = _axes(ax)
    quantiles = sorted((float(s[1:]), j) for j, s in enumerate(stats) if s.startswith("q"))
    if len(quantiles) >= 2:
        (qlo, jlo), (qhi, jhi) = quantiles[0], quantiles[-1]
        ax.fill_between(
            x,
            z[:, jlo],
            z[:, jhi],
            color=_COLOR_CLOSED,
            alpha=0.2,
            linewidth=0,
            label=f"{qlo:g} to {qhi:g} percentile",
        )
    styles = {"median": "-", "mean": "--"}
    for j, name in enumerate(stats):
        if name.startswith("q") and len(quantiles) >= 2:
            continue
        ax.plot(
            x,
            z[:, j],
            styles.get(name, ":"),
            color=_COLOR_CLOSED,
            linewidth=2,
            marker="o",
            markersize=3,
            label=name,
        )
    ax.set_xlabel(_coord_label(da, dim))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize="small")
    title = f"Sweep of {dim}"
    ax.set_title(title + (f"\n{none}" if none else ""), fontsize="medium" if none else None)
    _tidy(ax, grid="both")
    return fig


def _numeric(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        return values
    return values.astype(np.float64)


def sobol_bars(df: pd.DataFrame, ax: Axes | None = None, top: int | None = 15) -> Figure:
    """Draw Sobol' indices from :func:`simlab.sobol`: S1 and ST per parameter, with intervals.

    Parameters
    ----------
    df : pandas.DataFrame
        Indexed by parameter, columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    top : int or None
        Draw the ``top`` parameters by total index (ST), the largest on top; the title
        says how many others there are and their largest ST. None draws them all.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require_columns(df, ("S1", "S1_conf", "ST", "ST_conf"), "sobol_bars")
    ranked = df.sort_values("ST", ascending=False)
    hidden = ranked.iloc[top:] if top is not None else ranked.iloc[:0]
    rows = ranked.iloc[:top].iloc[::-1] if top is not None else ranked.iloc[::-1]
    y = np.arange(len(rows))
    fig, ax = _axes(ax, figsize=(8.0, 1.2 + 0.4 * max(len(rows), 3)))
    h = 0.38
    ax.barh(
        y + h / 2,
        rows["ST"],
        height=h,
        xerr=rows["ST_conf"],
        color=_COLOR_OPEN,
        alpha=0.85,
        label="total (ST)",
        error_kw={"elinewidth": 1, "capsize": 2},
    )
    ax.barh(
        y - h / 2,
        rows["S1"],
        height=h,
        xerr=rows["S1_conf"],
        color=_COLOR_CLOSED,
        alpha=0.85,
        label="first order (S1)",
        error_kw={"elinewidth": 1, "capsize": 2},
    )
    ax.axvline(0.0, color=_COLOR_ALL, linewidth=0.8)
    ax.set_yticks(y, [str(p) for p in rows.index], fontsize="small")
    ax.set_xlabel("Sobol' index (fraction of output variance)")
    ax.set_ylabel("Parameter")
    level = df.attrs.get("conf_level", 0.95)
    what = df.attrs.get("metric")
    who = df.attrs.get("who")
    target = f" of {what}" + (f"[{who}]" if who else "") if what else ""
    title = f"Sobol' indices{target}, {level:.0%} bootstrap intervals"
    if len(hidden):
        title += (
            f"\ntop {len(rows)} of {len(df)} parameters by ST; the other {len(hidden)} "
            f"have ST <= {float(hidden['ST'].max()):.2g}"
        )
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    _tidy(ax, grid="x")
    return fig


def morris(df: pd.DataFrame, ax: Axes | None = None, top: int | None = 12) -> Figure:
    """Draw a Morris screening from :func:`simlab.morris`: mu* against sigma.

    Parameters
    ----------
    df : pandas.DataFrame
        Indexed by parameter, columns ``mu_star``, ``sigma``, ``mu_star_conf``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    top : int, optional
        Label only the ``top`` parameters by mu*.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Points far right matter most; points high above the diagonal act non-linearly or
    through interactions.
    """
    _require_columns(df, ("mu_star", "sigma", "mu_star_conf"), "morris")
    values = df[["mu_star", "sigma"]].to_numpy(dtype=np.float64)
    factor, label = _result_label(df.attrs, values)
    unit = label[label.rfind("(") + 1 : -1] if label.endswith(")") else "as stated"
    mu, sigma, conf = (
        df[c].to_numpy(dtype=np.float64) * factor for c in ("mu_star", "sigma", "mu_star_conf")
    )
    fig, ax = _axes(ax)
    ax.errorbar(
        mu, sigma, xerr=conf, fmt="o", color=_COLOR_CLOSED, ecolor="0.6", elinewidth=1, capsize=2
    )
    top_n = len(df) if top is None else top
    biggest = float(np.nanmax(mu)) if np.isfinite(mu).any() else 0.0
    for i in np.argsort(-np.nan_to_num(mu))[:top_n]:
        if not mu[i] > 0.02 * biggest:
            continue  # too close to 0 to label without overlap
        ax.annotate(
            str(df.index[i]),
            (mu[i], sigma[i]),
            fontsize="x-small",
            xytext=(4, 3),
            textcoords="offset points",
        )
    finite = np.concatenate([mu[np.isfinite(mu)], sigma[np.isfinite(sigma)]])
    edge = float(finite.max()) if finite.size else 1.0
    ax.plot([0, edge], [0, edge], color="0.7", linewidth=0.8, linestyle="--")
    ax.set_xlabel(f"mu*, mean |elementary effect| ({unit} per unit probability)")
    ax.set_ylabel(f"sigma ({unit} per unit probability)")
    ax.set_title(f"Morris screening: {label}")
    _tidy(ax, grid="both")
    return fig


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ScenarioError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ScenarioError(
            f"{what} needs columns {', '.join(columns)}; missing {', '.join(missing)}"
        )
